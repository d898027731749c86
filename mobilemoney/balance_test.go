package mobilemoney

import (
	"math"
	"testing"

	"github.com/mifos-edge/mifos-edge/mifos"
)

func amt(t *testing.T, s string) mifos.Amount {
	t.Helper()
	a, err := mifos.ParseAmount(s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestCheckBalance(t *testing.T) {
	pay := func(amount, balance string) Payment {
		p := Payment{Operator: "mpesa-ke", Kind: KindPayment, Currency: "KES"}
		if amount != "" {
			p.Amount = amt(t, amount)
		}
		if balance != "" {
			p.NewBalance, p.HasBalance = amt(t, balance), true
		}
		return p
	}
	reversal := func(amount, balance string) Payment {
		p := pay(amount, balance)
		p.Kind = KindReversal
		return p
	}
	other := func(p Payment, op, cur string) Payment { p.Operator, p.Currency = op, cur; return p }
	tests := []struct {
		name       string
		prev, next Payment
		checked    bool
		broken     bool
		expected   string
		gap        string
	}{
		{"chain holds", pay("50", "100.00"), pay("2500", "2600.00"), true, false, "2600", "0"},
		{"cents", pay("1", "1300.22"), pay("0.78", "1301.00"), true, false, "1301", "0"},
		{"one missing between", pay("50", "100.00"), pay("200", "500.00"), true, true, "300", "200"},
		// samples.tsv: a till's balance lower than the payment (a sweep
		// between): flagged, which is all the check does.
		{"sweep between", pay("200", "400.00"), pay("33950", "2550.00"), true, true, "34350", "-31800"},
		{"injected (balance not moved)", pay("50", "100.00"), pay("500", "100.00"), true, true, "600", "-500"},
		{"reversal", pay("500", "6487.00"), reversal("500", "5987.00"), true, false, "5987", "0"},
		{"reversal, amount unknown", pay("500", "6487.00"), reversal("", "5987.00"), false, false, "0", "0"},
		{"previous without balance", pay("50", ""), pay("50", "100.00"), false, false, "0", "0"},
		{"next without balance", pay("50", "100.00"), pay("50", ""), false, false, "0", "0"},
		{"other operator", other(pay("50", "100.00"), "mpesa-tz", "TZS"), pay("50", "150.00"), false, false, "0", "0"},
		{"overflow", pay("1", "9000000000000"), pay("9000000000000", "1"), false, false, "0", "0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := CheckBalance(tc.prev, tc.next)
			if c.Checked != tc.checked || c.Broken() != tc.broken {
				t.Fatalf("%+v: checked %v broken %v, want %v %v", c, c.Checked, c.Broken(), tc.checked, tc.broken)
			}
			if !c.Checked && c.Why == "" {
				t.Errorf("unchecked without a reason")
			}
			if c.Expected.String() != tc.expected || c.Gap.String() != tc.gap {
				t.Errorf("expected %s gap %s, want %s %s", c.Expected, c.Gap, tc.expected, tc.gap)
			}
		})
	}
}

func TestAddOverflow(t *testing.T) {
	if _, ok := add(math.MaxInt64, 1); ok {
		t.Error("MaxInt64+1 accepted")
	}
	if _, ok := add(math.MinInt64, -1); ok {
		t.Error("MinInt64-1 accepted")
	}
	if s, ok := add(5, -7); !ok || s != -2 {
		t.Errorf("5-7 = %d %v", s, ok)
	}
}

// TestCheckBalanceParsedChain runs the check on parsed notifications: two
// consecutive receipts on one wallet chain, the next one after a gap does
// not.
func TestCheckBalanceParsedChain(t *testing.T) {
	p, _ := Lookup("mpesa-ke")
	texts := []string{
		"SA11AA111A Confirmed. You have received Ksh100.00 from ALICE BETT 0712345678 on 1/1/24 at 1:00 PM New M-PESA balance is Ksh100.00.",
		"SA22BB222B Confirmed. You have received Ksh200.00 from CAROL DIDA 0712345679 on 1/1/24 at 1:05 PM New M-PESA balance is Ksh300.00.",
		"SA44DD444D Confirmed. You have received Ksh50.00 from EVE FARA 0712345670 on 1/1/24 at 2:00 PM New M-PESA balance is Ksh1,350.00.",
	}
	var pays []Payment
	for _, s := range texts {
		pay, err := p.Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		pays = append(pays, pay)
	}
	if c := CheckBalance(pays[0], pays[1]); !c.Checked || c.Broken() {
		t.Errorf("consecutive: %+v", c)
	}
	if c := CheckBalance(pays[1], pays[2]); !c.Broken() || c.Gap != amt(t, "1000") {
		t.Errorf("after a missing 1,000: %+v", c)
	}
}
