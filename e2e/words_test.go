package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mifos-edge/mifos-edge/mifos"
)

// The replies as the SMS command card (docs/sms-commands.md) words them,
// written out here rather than rendered with the daemon's own catalogue,
// so that a wrong word in the catalogue fails these tests.
const (
	helpEnglish = "Mifos Edge. Clients: BAL - your loan and savings balances. " +
		"Officers: PAY <PIN> <client> L1=500 S=200 - record payments; " +
		"COLLECT <PIN> <group> ALL [EXCEPT <client>...] - group collection; " +
		"REMIND <PIN> [group] - send arrears reminders. HELP - this list."
	unknownEnglish       = "Sorry, we did not understand your message. Send HELP for the list of commands."
	notRegisteredEnglish = "This phone is not registered. Please contact your branch."
	notEnrolledEnglish   = "This phone is not enrolled for officer commands. Ask your branch manager."
	undeclaredEnglish    = "Officer commands are only taken from numbers the network identifies. Ask your branch manager."
	clientPINWrong       = "Wrong PIN. Send BAL followed by your PIN, for example BAL 482613."
)

// money writes the stand-in's decimal text ("13975.340000") as the SMS
// write an amount of a two-decimal currency: thousands grouped with
// commas, two decimals ("13,975.34"). It is written here, apart from the
// daemon's formatter, so that a bug there fails the tests.
func money(t *testing.T, decimal string) string {
	t.Helper()
	whole, frac, _ := strings.Cut(decimal, ".")
	frac += "00"
	if whole == "" || strings.Trim(whole, "0123456789") != "" || strings.Trim(frac, "0123456789") != "" {
		t.Fatalf("amount %q is not a plain decimal", decimal)
	}
	if strings.TrimRight(frac[2:], "0") != "" {
		t.Fatalf("amount %q has more than two decimals", decimal)
	}
	var b strings.Builder
	for i, d := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(d)
	}
	return b.String() + "." + frac[:2]
}

func TestMoneyWritesTheStandInsDecimals(t *testing.T) {
	for in, want := range map[string]string{
		"13975.340000": "13,975.34", "0.500000": "0.50", "750": "750.00", "1000000.5": "1,000,000.50", "999.990000": "999.99",
	} {
		if got := money(t, in); got != want {
			t.Errorf("money(%q) = %q, want %q", in, got, want)
		}
	}
}

// smsDate writes d as the SMS write a date in English: weekday, day and
// short month ("Wed 4 Mar"), with the year when it is not this year's. It
// is written here, apart from the daemon's, so that a wrong name there
// fails the tests.
func smsDate(d mifos.Date) string {
	weekdays := []string{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"} // time.Weekday's order
	months := []string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}
	t := time.Date(d.Year, time.Month(d.Month), d.Day, 12, 0, 0, 0, time.UTC)
	s := fmt.Sprintf("%s %d %s", weekdays[t.Weekday()], d.Day, months[d.Month-1])
	if d.Year != time.Now().Year() {
		s += fmt.Sprintf(" %d", d.Year)
	}
	return s
}

func TestSMSDateWritesKnownDays(t *testing.T) {
	this := time.Now().Year()
	for d, want := range map[mifos.Date]string{
		{Year: 2026, Month: 12, Day: 9}: "Wed 9 Dec",
		{Year: 2026, Month: 3, Day: 1}:  "Sun 1 Mar",
		{Year: 2027, Month: 1, Day: 4}:  "Mon 4 Jan",
	} {
		if d.Year != this {
			want += fmt.Sprintf(" %d", d.Year)
		}
		if got := smsDate(d); got != want {
			t.Errorf("smsDate(%s) = %q, want %q", d, got, want)
		}
	}
}
