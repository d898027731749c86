package mobilemoney

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	// The operators' zones must be known on a box without zoneinfo files.
	_ "time/tzdata"

	"github.com/mifos-edge/mifos-edge/mifos"
)

// This file holds the readers every operator's wording shares: text
// layout, amounts, currencies, zones, clock times and the payer.

// amountPat matches an amount as operators print it ("1,050.00", "950",
// "30300.00", "4,000.36") or masked ("XXXX"). It ends on a digit, so a
// glued advert ("5,844.00.Save") or a sentence's full stop is left out.
const amountPat = `(\d(?:[\d,]*\d)?(?:\.\d+)?|[Xx*•]{2,}(?:[.,][Xx*•\d]+)?)`

// flatten turns line breaks and other spacing into single spaces, one for
// one (a CRLF becomes one space), so wordings read the same over one line
// or several while names keep the spacing the operator printed.
func flatten(text string) string {
	text = strings.ReplaceAll(text, "\r\n", " ")
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return ' '
		}
		return r
	}, text)
}

// blank replaces t[start:end] by as many underscores, so that no field
// can be read from text a payer typed.
func blank(t string, start, end int) string {
	return t[:start] + strings.Repeat("_", end-start) + t[end:]
}

// readAmount reads an amount printed by an operator exactly.
func readAmount(s string) (mifos.Amount, error) {
	if strings.ContainsAny(s, "Xx*•") {
		return 0, ErrAmountHidden
	}
	return mifos.ParseAmount(s)
}

// currencyOf maps the currency marks operators print to ISO 4217; "" for
// a mark not known.
func currencyOf(mark string) string {
	switch strings.ToUpper(strings.TrimSpace(mark)) {
	case "KSH", "KES":
		return "KES"
	case "TSH", "TSHS", "TZS":
		return "TZS"
	case "UGX", "USH":
		return "UGX"
	case "RWF", "FRW":
		return "RWF"
	case "GHS", "GHC", "GH₵", "GH¢":
		// MTN Ghana still printed the old code GHC in 2014 for today's cedi.
		return "GHS"
	case "PHP", "₱":
		return "PHP"
	}
	return ""
}

// zone loads a zone from the embedded database; the names are constants,
// so a failure is a build error.
func zone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic("mobilemoney: zone " + name + ": " + err.Error())
	}
	return loc
}

var (
	nairobi = zone("Africa/Nairobi")
	dar     = zone("Africa/Dar_es_Salaam")
	kampala = zone("Africa/Kampala")
	kigali  = zone("Africa/Kigali")
	accra   = zone("Africa/Accra")
	manila  = zone("Asia/Manila")
)

// marketFor returns the market of info that prints currency.
func marketFor(info Info, currency string) (Market, bool) {
	for _, m := range info.Markets {
		if m.Currency == currency {
			return m, true
		}
	}
	return Market{}, false
}

// localTime builds the operator's wall-clock time in loc from the printed
// parts. A 2-digit year is this century's; ampm ("PM", "am" or "") turns a
// 12-hour clock into 24 hours. Impossible dates and times ("29/13/11",
// "13:75 PM") are refused, as a forger's typo would be.
func localTime(loc *time.Location, year, month, day, hour, minute, second, ampm string) (time.Time, error) {
	printed := fmt.Sprintf("%s/%s/%s %s:%s", day, month, year, hour, minute)
	if second != "" {
		printed += ":" + second
	}
	if ampm != "" {
		printed += " " + ampm
	}
	bad := fmt.Errorf("time %q is not a real date and time", printed)
	num := func(s string) int {
		n, err := strconv.Atoi(s)
		if err != nil || len(s) > 4 {
			return -1
		}
		return n
	}
	y, mo, d, h, mi, s := num(year), num(month), num(day), num(hour), num(minute), 0
	if second != "" {
		s = num(second)
	}
	if len(year) == 2 {
		y += 2000
	}
	switch strings.ToUpper(ampm) {
	case "":
	case "AM", "PM":
		if h < 1 || h > 12 {
			return time.Time{}, bad
		}
		h %= 12
		if strings.EqualFold(ampm, "PM") {
			h += 12
		}
	default:
		return time.Time{}, bad
	}
	if y < 2000 || y > 2099 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 59 {
		return time.Time{}, bad
	}
	t := time.Date(y, time.Month(mo), d, h, mi, s, 0, loc)
	if t.Day() != d { // 31/4, 29/2 of a common year
		return time.Time{}, bad
	}
	return t, nil
}

// isPhone says whether tok (its punctuation already trimmed) is a phone
// number as operators print it: 9-16 characters of digits and mask marks
// ("0712***345", "*********013", "0915••••847", "+639171234567"), ending
// on a digit, with at least 3 digits. Short codes ("922756") and account
// numbers shown masked ("****1234") are shorter.
func isPhone(tok string) bool {
	n := utf8.RuneCountInString(tok)
	if n < 9 || n > 16 {
		return false
	}
	digits := 0
	for _, r := range strings.TrimPrefix(tok, "+") {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case r == '*' || r == '•' || r == 'X' || r == 'x':
		default:
			return false
		}
	}
	last, _ := utf8.DecodeLastRuneInString(tok)
	return digits >= 3 && last >= '0' && last <= '9'
}

// phoneTrim is the punctuation around a phone number in a payer's text.
const phoneTrim = "().,;:"

// splitPayer splits the payer as printed ("JOHN KAMAU 254700000101",
// "254700000108 Mark OTIENO", "SAMUEL KATO, 256770000102", "Jane Smith
// (*********013)") into name and phone. The phone is the first or the
// last word when it looks like one; everything else is the name, its
// spacing kept.
func splitPayer(party string) (name, phone string) {
	party = strings.TrimSpace(party)
	if i := strings.LastIndexAny(party, " ,"); i >= 0 {
		if tok := strings.Trim(party[i+1:], phoneTrim); isPhone(tok) {
			return cleanName(party[:i]), tok
		}
	} else if tok := strings.Trim(party, phoneTrim); isPhone(tok) {
		return "", tok
	}
	if i := strings.IndexAny(party, " ,"); i >= 0 {
		if tok := strings.Trim(party[:i], phoneTrim); isPhone(tok) {
			return cleanName(party[i+1:]), tok
		}
	}
	return cleanName(party), ""
}

// cleanName trims the separators around a name and a sentence's full stop
// after it, but not the dot of a final initial ("PAUL M.", "ANA SA*A R.").
func cleanName(s string) string {
	s = strings.Trim(s, " ,;:-")
	if strings.HasSuffix(s, ".") {
		last := s[strings.LastIndexByte(s, ' ')+1:]
		if utf8.RuneCountInString(last) > 2 {
			s = strings.TrimRight(s[:len(s)-1], " ")
		}
	}
	return s
}

// reading gathers one notification's fields and what went wrong reading
// them, so that a malformed message still shows a person what was read.
type reading struct {
	p        Payment
	missing  []string
	problem  error
	needTime bool // the wording always prints a time
}

func newReading(operator string) *reading {
	return &reading{p: Payment{Operator: operator, Kind: KindPayment, Source: "sms"}}
}

// fail keeps the first problem.
func (r *reading) fail(err error) {
	if r.problem == nil {
		r.problem = err
	}
}

// amount reads the amount paid and the currency mark printed with it;
// info's markets decide the currency and with it the zone.
func (r *reading) amount(info Info, mark, amount string) {
	cur := currencyOf(mark)
	if _, ok := marketFor(info, cur); !ok {
		r.fail(fmt.Errorf("currency %q is not one of %s's", mark, info.Name))
		return
	}
	r.p.Currency = cur
	a, err := readAmount(amount)
	switch {
	case errors.Is(err, ErrAmountHidden):
		r.fail(err)
	case err != nil:
		r.fail(fmt.Errorf("amount: %w", err))
	case a <= 0:
		r.fail(errors.New("amount is zero"))
	default:
		r.p.Amount = a
	}
}

// balance reads the new balance; one printed in another currency than
// the payment, or not as a number ("*LOCKED*", a forger's trick to stop
// the check), is a problem, not something to skip.
func (r *reading) balance(mark, amount string) {
	if mark != "" && r.p.Currency != "" && currencyOf(mark) != r.p.Currency {
		r.fail(fmt.Errorf("balance in %q, payment in %s", mark, r.p.Currency))
		return
	}
	a, err := readAmount(amount)
	if err != nil {
		r.fail(fmt.Errorf("new balance: %w", err))
		return
	}
	r.p.NewBalance, r.p.HasBalance = a, true
}

// at sets the time from printed parts, in the zone of the payment's market.
func (r *reading) at(info Info, year, month, day, hour, minute, second, ampm string) {
	m, ok := marketFor(info, r.p.Currency)
	if !ok {
		return // the currency problem is reported already
	}
	t, err := localTime(m.Zone, year, month, day, hour, minute, second, ampm)
	if err != nil {
		r.fail(err)
		return
	}
	r.p.Time = t
}

// payer sets name and phone from the payer as printed.
func (r *reading) payer(party string) {
	r.p.PayerName, r.p.PayerPhone = splitPayer(party)
}

// done checks that what a payment needs is there.
func (r *reading) done() (Payment, error) {
	if r.p.TxnID == "" {
		r.missing = append(r.missing, "transaction id")
	}
	if r.p.Kind == KindPayment && r.p.Amount == 0 && r.problem == nil {
		r.missing = append(r.missing, "amount")
	}
	if r.p.Kind == KindReversal && r.p.ReversedTxnID == "" {
		r.missing = append(r.missing, "reversed transaction id")
	}
	if r.needTime && r.p.Time.IsZero() && r.problem == nil {
		r.missing = append(r.missing, "time")
	}
	if len(r.missing) > 0 || r.problem != nil {
		return r.p, &ParseError{Operator: r.p.Operator, Missing: r.missing, Err: r.problem}
	}
	return r.p, nil
}
