package smscommand

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/mifos-edge/mifos-edge/disburse"
	"github.com/mifos-edge/mifos-edge/mifos"
	"github.com/mifos-edge/mifos-edge/pdu"
	"github.com/mifos-edge/mifos-edge/phone"
)

// Whatever the sender and text, Reply does not panic, and what it reads
// is a whole result: paid with a reference, a positive amount or none, an
// international number or none; or not paid with a short reason.
func FuzzReply(f *testing.F) {
	for _, s := range []string{
		sentText, failedText,
		"Your transaction failed: wrong MPIN.",
		"Your transaction failed: invalid recipient.",
		"You have sent PHP 250.5 to +639181112222. Ref. No. 8012262033422.",
		"You have sent PHP 1,00.0 to 0917. Ref. No. 1.",
		"You have sent PHP 0.00 to 09171234567. Ref. No. 7012121108038. failed",
		"We are experiencing a system delay. Please check your transaction history before trying again.",
		"",
	} {
		f.Add("GCash", s)
	}
	f.Add("gcash", sentText)
	f.Add("+639171234567", sentText)
	f.Add("GCash", "You have sent PHP 99999999999999999999.99 to 09171234567. Ref. No. 7.")
	f.Add("GCash", "You have sent PHP 5.00 to 0917***4567. Ref. No. 7012121108038.")
	variants := []*Provider{
		provider(f, gcash(nil)),
		provider(f, gcash(func(c *Config) {
			c.Success = `sent (?P<amount>\S*) to (?P<phone>\S*) ref (?P<confirmation>\S*)`
			c.Failure = `(?i)fail(?P<reason>.*)`
		})),
	}
	when := time.Date(2026, 7, 1, 9, 30, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, from, text string) {
		for _, p := range variants {
			r, ok := p.Reply(from, text, when)
			if !ok {
				if r != (disburse.Result{}) {
					t.Fatalf("not read, yet %+v", r)
				}
				continue
			}
			if !strings.EqualFold(from, "GCash") {
				t.Fatalf("read from %q: %+v", from, r)
			}
			if r.Ref != "" || r.Via != "reply SMS" || !r.At.Equal(when) || r.Code != "" {
				t.Fatalf("reply %+v", r)
			}
			switch r.Outcome {
			case disburse.Paid:
				if r.Confirmation == "" || r.Reason != "" || r.Amount < 0 {
					t.Fatalf("paid %+v", r)
				}
				if r.Phone != "" {
					if n, err := phone.Normalize(r.Phone, ""); err != nil || n != r.Phone {
						t.Fatalf("paid to %q, not an international number: %v", r.Phone, err)
					}
				}
			case disburse.NotPaid:
				if r.Reason == "" || utf8.RuneCountInString(r.Reason) > maxReason || r.Confirmation != "" || r.Amount != 0 || r.Phone != "" {
					t.Fatalf("not paid %+v", r)
				}
			default:
				t.Fatalf("outcome %q", r.Outcome)
			}
		}
	})
}

// Whatever the line, Command either refuses it without showing the PIN,
// or writes one GSM 7-bit SMS that holds the PIN and pays exactly the
// line's amount to the line's number.
func FuzzCommand(f *testing.F) {
	const pin = "k9Zq77"
	f.Add(int64(1000*php), "PHP", "+639171234567", "D7-0001", uint8(0))
	f.Add(int64(1000*php+5_000), "PHP", "09171234567", "D7 1", uint8(1))
	f.Add(int64(50_000*php), "UGX", "+256772123456", "r", uint8(2))
	f.Add(int64(1_500_000), "KWD", "+254722000012", strings.Repeat("[", 70), uint8(0))
	f.Add(int64(-1), "", "k9Zq77", pin, uint8(1))
	f.Add(int64(php), "PHP", "+63917***4567", "{pin}", uint8(2))
	formats := []string{PhoneNational, PhoneDigits, PhoneInternational}
	f.Fuzz(func(t *testing.T, amount int64, currency, number, ref string, format uint8) {
		c := gcash(func(c *Config) {
			c.Command = "PAY {amount} {phone} {pin} {ref}"
			c.PIN = pin
			c.PhoneFormat = formats[int(format)%len(formats)]
		})
		p := provider(t, c)
		o := disburse.Order{LineID: 3, Ref: ref, Phone: number, Amount: amount, Currency: currency}
		to, text, err := p.Command(o)
		if err != nil {
			if strings.Contains(err.Error(), pin) && !strings.Contains(number+ref+currency, pin) {
				t.Fatalf("error %q shows the PIN", err)
			}
			return
		}
		if to != c.Operator {
			t.Fatalf("sent to %q", to)
		}
		if chunks, wide := pdu.Split(text); len(chunks) != 1 || wide {
			t.Fatalf("command %q is %d parts (UCS-2 %v)", text, len(chunks), wide)
		}
		words := strings.Fields(text)
		if len(words) != 5 || words[0] != "PAY" || words[3] != pin || words[4] != ref {
			t.Fatalf("command %q does not have the template's shape", text)
		}
		a, perr := mifos.ParseAmount(words[1])
		if perr != nil || int64(a) != amount || strings.Contains(words[1], ",") {
			t.Fatalf("amount written %q for %d: %v", words[1], amount, perr)
		}
		want, _ := phone.Normalize(number, c.Country)
		if got, err := phone.Normalize(words[2], c.Country); err != nil || got != want {
			t.Fatalf("number written %q for %q reads as %q, %v", words[2], number, got, err)
		}
	})
}
