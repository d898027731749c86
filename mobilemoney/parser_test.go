package mobilemoney

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func names(ps []Parser) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Info().Name)
	}
	return out
}

func TestRegistry(t *testing.T) {
	want := []string{"airtel-money", "gcash", "mixx-tz", "mpesa-ke", "mpesa-tz", "mtn-momo"}
	if got := Names(); !slices.Equal(got, want) {
		t.Fatalf("Names() = %v, want %v", got, want)
	}
	for _, n := range want {
		p, ok := Lookup(n)
		if !ok || p.Info().Name != n {
			t.Fatalf("Lookup(%q) = %v, %v", n, p, ok)
		}
		info := p.Info()
		if len(info.Senders) == 0 || len(info.Markets) == 0 {
			t.Errorf("%s: no senders or markets: %+v", n, info)
		}
		for _, m := range info.Markets {
			if m.Zone == nil || len(m.Currency) != 3 || len(m.Country) != 2 {
				t.Errorf("%s: bad market %+v", n, m)
			}
		}
	}
	if _, ok := Lookup("mpesa"); ok {
		t.Error(`Lookup("mpesa") found a parser`)
	}
	defer func() {
		if recover() == nil {
			t.Error("registering a name twice did not panic")
		}
	}()
	register("gcash", func() Parser { return newGCash() })
}

// A parser is built on first use only, and a build that names itself
// differently from its registration is caught.
func TestParsersAreBuiltOnFirstUse(t *testing.T) {
	built := 0
	l := &lazyParser{name: "x-test", build: func() Parser { built++; return newGCash() }}
	if built != 0 {
		t.Fatal("built before use")
	}
	defer func() {
		if recover() == nil {
			t.Error("a parser calling itself gcash under the name x-test did not panic")
		}
		if built != 1 {
			t.Errorf("built %d times", built)
		}
	}()
	l.Info()
}

func TestForSender(t *testing.T) {
	all := Names()
	tests := []struct {
		sender  string
		enabled []string
		want    []string
	}{
		{"MPESA", all, []string{"mpesa-ke", "mpesa-tz"}},
		{"M-PESA", all, []string{"mpesa-ke", "mpesa-tz"}},
		{"mpesa", []string{"mpesa-tz", "mpesa-ke"}, []string{"mpesa-tz", "mpesa-ke"}}, // enabled order
		{"MPESA", []string{"mpesa-ke"}, []string{"mpesa-ke"}},                         // Tanzania not enabled
		{"MPESA", []string{"gcash", "nosuch"}, nil},
		{"MPESA", []string{"mpesa-ke", "mpesa-ke"}, []string{"mpesa-ke"}},
		{"MPESA ", all, nil}, // exact id: no trimming
		{"MPESA2", all, nil},
		{"0700000199", all, nil}, // a phone number never matches an id
		{"+254700000199", all, nil},
		{"", all, nil},
		{"AirtelMoney", all, []string{"airtel-money"}},
		{"AIRTELMONEY", all, []string{"airtel-money"}},
		{"M-Money", all, []string{"mtn-momo"}},
		{"MTNMobMoney", all, []string{"mtn-momo"}},
		{"MobileMoney", all, []string{"mtn-momo"}},
		{"TIGOPESA", all, []string{"mixx-tz"}},
		{"Mixx by Yas", all, []string{"mixx-tz"}},
		{"GCash", all, []string{"gcash"}},
		{"KCB", all, nil}, // bank-hosted paybill notices: not trusted by default
	}
	for _, tc := range tests {
		if got := names(ForSender(tc.sender, tc.enabled)); !slices.Equal(got, tc.want) {
			t.Errorf("ForSender(%q, %v) = %v, want %v", tc.sender, tc.enabled, got, tc.want)
		}
	}
}

// TestSampleSenders: each sample's sender is trusted by its parser, except
// the senders that must not be (a phone number forging M-PESA's wording)
// or that are not an SMS sender id at all.
func TestSampleSenders(t *testing.T) {
	untrusted := map[string]string{
		"0700000199": "a phone number: the forgery",
		"KCB":        "a bank's id, trusted only if the MFI's paybill is bank-hosted (not built in)",
		"com.globe.gcash.android (push, not SMS)": "an app notification, not an SMS",
	}
	for _, s := range loadSamples(t) {
		if s.parser == "" {
			continue
		}
		got := names(ForSender(s.sender, Names()))
		trusted := slices.Contains(got, s.parser)
		if _, no := untrusted[s.sender]; no == trusted {
			t.Errorf("%s:%d: sender %q trusted by %v (parser %s)", s.file, s.line, s.sender, got, s.parser)
		}
	}
}

func TestParseWith(t *testing.T) {
	mpesa := ForSender("MPESA", Names())
	ke := "EP06JS111 Confirmed. You have received Ksh2,500.00 from IVAN OREILLY 254712345678 on 4/2/14 at 1:40 PM New M-PESA balance is Ksh2,509.00.PIN YAKO SIRI YAKO"
	tz := "DFJ9B1FX2B confirmed. You have received a payment of Tsh4,000.00 from 922756 - TIPS-SELCOM MF on 19/6/26 at 10:38 pm. New M-Pesa balance is Tsh4,000.36"
	for text, op := range map[string]string{ke: "mpesa-ke", tz: "mpesa-tz"} {
		p, err := ParseWith(mpesa, text)
		if err != nil || p.Operator != op {
			t.Errorf("ParseWith(%.20q) = %s, %v; want %s", text, p.Operator, err, op)
		}
	}
	if _, err := ParseWith(mpesa, "SDF12AB34C Confirmed. You bought Ksh50.00 of airtime on 14/4/24 at 3:10 PM."); !errors.Is(err, ErrNotPayment) {
		t.Errorf("airtime: %v", err)
	}
	if _, err := ParseWith(nil, ke); !errors.Is(err, ErrNotPayment) {
		t.Errorf("no parser: %v", err)
	}
	// A malformed payment from one parser wins over the other's "not mine".
	p, err := ParseWith(mpesa, "UD7AA11BBB Confirmed. Ksh XXXX received from JANE WANJIRU 0712***678 on 7/4/26 at 8:00 AM.")
	var pe *ParseError
	if !errors.As(err, &pe) || !errors.Is(err, ErrAmountHidden) || pe.Operator != "mpesa-ke" || p.TxnID != "UD7AA11BBB" {
		t.Errorf("masked amount: %+v, %v", p, err)
	}
	if !strings.Contains(err.Error(), "amount not shown") {
		t.Errorf("error %q", err)
	}
}

func TestParseErrorText(t *testing.T) {
	e := &ParseError{Operator: "mtn-momo", Missing: []string{"transaction id", "time"}}
	if got := e.Error(); got != "mtn-momo: malformed payment notification: no transaction id, no time" {
		t.Errorf("%q", got)
	}
	e = &ParseError{Operator: "mpesa-ke", Err: ErrAmountHidden}
	if got := e.Error(); got != "mpesa-ke: malformed payment notification: amount not shown" || !errors.Is(e, ErrAmountHidden) {
		t.Errorf("%q", got)
	}
}
