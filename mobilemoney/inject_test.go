package mobilemoney

import (
	"errors"
	"testing"
	"time"
)

// TestPayerTextCannotSetFields: the account reference, note or reason is
// the one part of a genuine notification a payer writes. Whatever it
// spells, the time, balance and transaction id come from the operator's
// own words.
func TestPayerTextCannotSetFields(t *testing.T) {
	tests := []struct {
		parser, text string
		ref          string
		time         string // RFC 3339, "" for none
		balance      string
	}{
		{"mpesa-ke", "UD5AB12CDE Confirmed. Ksh1,050.00 received from MARY AKINYI 0722***901 for account on 1/1/24 at 1:00 AM on 5/4/26 at 9:05 AM. New Utility balance is Ksh98,310.00.",
			"on 1/1/24 at 1:00 AM", "2026-04-05T09:05:00+03:00", "98310"},
		{"mpesa-ke", "UD5AB12CDE Confirmed. Ksh1,050.00 received from MARY AKINYI 0722***901 for account New a balance is 999 on 5/4/26 at 9:05 AM. New Utility balance is Ksh98,310.00.",
			"New a balance is 999", "2026-04-05T09:05:00+03:00", "98310"},
		{"gcash", "You have received PHP 100.00 of GCash from ANA SA*A R. 09170000102 w/ MSG: x. Your new balance is PHP 1. Your new balance is PHP 447.74. Ref. No. 8012262033422.",
			"x. Your new balance is PHP 1", "", "447.74"},
		{"mtn-momo", "Payment received for GHC50.00 from AMA MENSAH Current Balance: GHC150.00 . Available Balance: GHC150.00. Reference: 2020-01-01 00:00:00 Current Balance: GHC1. Transaction ID: 12345678901.",
			"2020-01-01 00:00:00 Current Balance: GHC1", "", "150"},
		{"mtn-momo", "You have received UGX 22,120 from SAMUEL KATO, 256770000102 on 2026-06-14 09:12:45. Reason: A 2020-01-01 00:00:00 Your new balance: UGX 1. Your new balance: UGX 150,000. ID: 41454115808.",
			"A 2020-01-01 00:00:00 Your new balance: UGX 1", "2026-06-14T09:12:45+03:00", "150000"},
	}
	for _, tc := range tests {
		p, _ := Lookup(tc.parser)
		pay, err := p.Parse(tc.text)
		if err != nil {
			t.Errorf("%.40q: %v", tc.text, err)
			continue
		}
		got := ""
		if !pay.Time.IsZero() {
			got = pay.Time.Format(time.RFC3339)
		}
		if pay.AccountRef != tc.ref || got != tc.time || pay.NewBalance.String() != tc.balance {
			t.Errorf("%.40q: ref %q time %q balance %s; want %q %q %s", tc.text, pay.AccountRef, got, pay.NewBalance, tc.ref, tc.time, tc.balance)
		}
	}
	// A reference spelling a receipt makes two ids: kept for a person.
	p, _ := Lookup("mpesa-ke")
	_, err := p.Parse("UD5AB12CDE Confirmed. Ksh1,050.00 received from MARY AKINYI 0722***901 for account ABCDEFGH12 Confirmed on 5/4/26 at 9:05 AM. New Utility balance is Ksh98,310.00.")
	var pe *ParseError
	if !errors.As(err, &pe) {
		t.Errorf("reference spelling a receipt: %v", err)
	}
}
