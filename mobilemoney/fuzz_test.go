package mobilemoney

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// fuzzParser seeds a fuzz target with every sample of parser name (and the
// other operators' texts, which it must refuse cleanly) and checks what
// must hold for any text: no panic; an error is either "not a payment" or
// a *ParseError, never both; a payment has an id, a positive amount and a
// currency of the operator, and every field printed "as is" is really in
// the text; line breaks in place of spaces change nothing.
func fuzzParser(f *testing.F, name string) {
	p, ok := Lookup(name)
	if !ok {
		f.Fatalf("no parser %s", name)
	}
	for _, s := range loadSamples(f) {
		f.Add(s.text)
	}
	f.Fuzz(func(t *testing.T, text string) {
		pay, err := p.Parse(text)
		var pe *ParseError
		isPE := errors.As(err, &pe)
		if err != nil {
			if errors.Is(err, ErrNotPayment) == isPE {
				t.Fatalf("error %v: not-a-payment %v, malformed %v", err, errors.Is(err, ErrNotPayment), isPE)
			}
			if errors.Is(err, ErrNotPayment) && !reflect.DeepEqual(pay, Payment{}) {
				t.Fatalf("not a payment, yet fields: %+v", pay)
			}
		}
		if err == nil {
			info := p.Info()
			if pay.Operator != name || pay.TxnID == "" || pay.Source != "sms" {
				t.Fatalf("payment without operator or id: %+v", pay)
			}
			if _, ok := marketFor(info, pay.Currency); !ok {
				t.Fatalf("currency %q not of %s", pay.Currency, name)
			}
			switch pay.Kind {
			case KindPayment:
				if pay.Amount <= 0 {
					t.Fatalf("payment of %s", pay.Amount)
				}
			case KindReversal:
				if pay.ReversedTxnID == "" {
					t.Fatalf("reversal of nothing: %+v", pay)
				}
			default:
				t.Fatalf("kind %q", pay.Kind)
			}
			if !pay.Time.IsZero() {
				m, _ := marketFor(info, pay.Currency)
				if pay.Time.Location() != m.Zone {
					t.Fatalf("time %s not in %s", pay.Time, m.Zone)
				}
			}
		}
		flat := flatten(text)
		for field, v := range map[string]string{"txn id": pay.TxnID, "phone": pay.PayerPhone, "name": pay.PayerName, "ref": pay.AccountRef} {
			if v != "" && !strings.Contains(strings.ToUpper(flat), strings.ToUpper(v)) {
				t.Fatalf("%s %q is not in the text %q", field, v, flat)
			}
		}
		// Line breaks where the text had spaces read the same.
		pay2, err2 := p.Parse(strings.ReplaceAll(text, " ", "\n"))
		if !reflect.DeepEqual(pay, pay2) || (err == nil) != (err2 == nil) || (err != nil && err.Error() != err2.Error()) {
			t.Fatalf("line breaks changed the reading:\n%+v %v\n%+v %v", pay, err, pay2, err2)
		}
	})
}

func FuzzMpesaKE(f *testing.F)     { fuzzParser(f, "mpesa-ke") }
func FuzzMpesaTZ(f *testing.F)     { fuzzParser(f, "mpesa-tz") }
func FuzzAirtelMoney(f *testing.F) { fuzzParser(f, "airtel-money") }
func FuzzMTNMoMo(f *testing.F)     { fuzzParser(f, "mtn-momo") }
func FuzzMixxTZ(f *testing.F)      { fuzzParser(f, "mixx-tz") }
func FuzzGCash(f *testing.F)       { fuzzParser(f, "gcash") }
