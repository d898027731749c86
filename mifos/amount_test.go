package mifos

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
)

func TestParseAmount(t *testing.T) {
	ok := []struct {
		in   string
		want Amount
	}{
		{"1500", 1_500_000_000},
		{"1,500", 1_500_000_000},
		{"1500.50", 1_500_500_000},
		{"1,500.5", 1_500_500_000},
		{"0.5", 500_000},
		{"0", 0},
		{" 42 ", 42_000_000},
		{"1,234,567.000001", 1_234_567_000_001},
		{"007", 7_000_000},
		{"123,456", 123_456_000_000},
		{"9223372036854.775807", math.MaxInt64},
	}
	for _, c := range ok {
		got, err := ParseAmount(c.in)
		if err != nil || got != c.want {
			t.Errorf("ParseAmount(%q) = %d, %v; want %d", c.in, got, err, c.want)
		}
	}
	bad := []string{
		"", "  ", "-5", "+5", "1,50", "1,5000", ",500", "1500,", "1,,500", "1234,567",
		"1.2345678", "abc", "12a", "1.5.0", ".5", "5.", "1 500", "1e3", "0x10",
		"9223372036854.775808", "99999999999999999999", "1,500.5,0", "١٢", "1.-5",
	}
	for _, in := range bad {
		if got, err := ParseAmount(in); err == nil {
			t.Errorf("ParseAmount(%q) = %d, want an error", in, got)
		}
	}
}

func TestAmountFormat(t *testing.T) {
	cases := []struct {
		a    Amount
		dec  int
		want string
	}{
		{1_500_500_000, 2, "1,500.50"},
		{1_500_500_000, 0, "1,500"}, // .5 rounds to even 1500
		{1_501_500_000, 0, "1,502"}, // .5 rounds to even 1502
		{1_500_500_001, 0, "1,501"},
		{14_250_500_000, 2, "14,250.50"},
		{125_000, 2, "0.12"}, // 0.125 -> even 0.12
		{135_000, 2, "0.14"}, // 0.135 -> even 0.14
		{125_001, 2, "0.13"},
		{995_000, 2, "1.00"}, // carry into units
		{999_999_999_999, 2, "1,000,000.00"},
		{0, 2, "0.00"},
		{0, 0, "0"},
		{-1_500_500_000, 2, "-1,500.50"},
		{-4_000, 2, "0.00"}, // rounds to zero: no "-0.00"
		{123, 6, "0.000123"},
		{123, 9, "0.000123"}, // clamped to 6
		{1_000_000, -1, "1"}, // clamped to 0
		{math.MaxInt64, 6, "9,223,372,036,854.775807"},
		{math.MinInt64, 6, "-9,223,372,036,854.775808"},
		{999_000_000, 2, "999.00"},
		{1_000_000_000_000, 0, "1,000,000"},
	}
	for _, c := range cases {
		if got := c.a.Format(c.dec); got != c.want {
			t.Errorf("Amount(%d).Format(%d) = %q, want %q", c.a, c.dec, got, c.want)
		}
	}
}

func TestAmountString(t *testing.T) {
	cases := map[Amount]string{
		1_500_500_000: "1500.5", 0: "0", 1: "0.000001", -3_000_000: "-3",
		14_250_500_000: "14250.5", math.MaxInt64: "9223372036854.775807",
		math.MinInt64: "-9223372036854.775808", 100_000: "0.1",
	}
	for a, want := range cases {
		if got := a.String(); got != want {
			t.Errorf("Amount(%d).String() = %q, want %q", int64(a), got, want)
		}
		b, _ := json.Marshal(a)
		if string(b) != want {
			t.Errorf("json.Marshal(Amount(%d)) = %s, want %s", int64(a), b, want)
		}
	}
}

func TestAmountUnmarshal(t *testing.T) {
	cases := []struct {
		in   string
		want Amount
	}{
		{`14250.500000`, 14_250_500_000},
		{`0.1`, 100_000},
		{`0.2`, 200_000},
		{`0.30000000000000004`, 300_000}, // a float artefact rounds to the exact millionth
		{`3400`, 3_400_000_000},
		{`-250.75`, -250_750_000},
		{`0`, 0},
		{`null`, 0},
		{`"2375.00"`, 2_375_000_000},
		{`""`, 0},
		{`1E+3`, 1_000_000_000},
		{`1.5e2`, 150_000_000},
		{`25E-7`, 2}, // 0.0000025 -> half to even 0.000002
		{`35E-7`, 4}, // 0.0000035 -> half to even 0.000004
		{`0.0000025000001`, 3},
		{`9223372036854.775807`, math.MaxInt64},
		{`-9223372036854.775807`, -math.MaxInt64},
		{`12345678901234.5e-1`, 1_234_567_890_123_450_000},
	}
	for _, c := range cases {
		var a Amount
		if err := json.Unmarshal([]byte(c.in), &a); err != nil || a != c.want {
			t.Errorf("Unmarshal(%s) = %d, %v; want %d", c.in, a, err, c.want)
		}
	}
	for _, in := range []string{`9223372036854.775808`, `1e20`, `99999999999999999999`, `"abc"`, `true`, `[1]`, `1e999`} {
		var a Amount
		if err := json.Unmarshal([]byte(in), &a); err == nil {
			t.Errorf("Unmarshal(%s) = %d, want an error", in, a)
		}
	}
}

// TestAmountSumExact is the case float64 gets wrong: 0.1 + 0.2 == 0.3.
func TestAmountSumExact(t *testing.T) {
	var w struct{ A, B, C Amount }
	if err := json.Unmarshal([]byte(`{"A":0.1,"B":0.2,"C":0.3}`), &w); err != nil {
		t.Fatal(err)
	}
	if w.A+w.B != w.C {
		t.Fatalf("0.1 + 0.2 = %s, want %s", w.A+w.B, w.C)
	}
}

func FuzzParseAmount(f *testing.F) {
	for _, s := range []string{"1500", "1,500", "1500.50", "1,500.5", "0.5", "1,50", "-1", "9223372036854.775807", "1.0000001", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseAmount(s)
		if err != nil {
			return
		}
		if a < 0 {
			t.Fatalf("ParseAmount(%q) = %d, negative", s, a)
		}
		// Both output forms read back to the same exact amount.
		for _, out := range []string{a.String(), a.Format(6)} {
			b, err := ParseAmount(out)
			if err != nil || b != a {
				t.Fatalf("ParseAmount(%q) = %d; its form %q reads back as %d, %v", s, a, out, b, err)
			}
		}
		if strings.ContainsAny(s, "-+eE") {
			t.Fatalf("ParseAmount(%q) accepted a sign or exponent", s)
		}
	})
}

func FuzzAmountJSON(f *testing.F) {
	for _, s := range []string{"14250.500000", "0.1", "-3", "1E+3", "25E-7", "null", `"2375.00"`, "9223372036854.775807"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var a Amount
		if json.Unmarshal([]byte(s), &a) != nil {
			return
		}
		// Whatever was read is written as a number that reads back the same.
		b, err := json.Marshal(a)
		if err != nil {
			t.Fatal(err)
		}
		var back Amount
		if err := json.Unmarshal(b, &back); err != nil || back != a {
			t.Fatalf("%q -> %d -> %s -> %d, %v", s, a, b, back, err)
		}
	})
}

// One money format, driven by the currency's decimal places: KES has two,
// UGX none, KWD three; a currency not known yet shows two.
func TestCurrencyFormat(t *testing.T) {
	a, err := ParseAmount("1050500.125")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		c    Currency
		want string
	}{
		{Currency{Code: "KES", DecimalPlaces: 2}, "1,050,500.12"},
		{Currency{Code: "UGX", DecimalPlaces: 0}, "1,050,500"},
		{Currency{Code: "KWD", DecimalPlaces: 3}, "1,050,500.125"},
		{Currency{}, "1,050,500.12"},
	}
	for _, c := range cases {
		if got := c.c.Format(a); got != c.want {
			t.Errorf("%s %d: %s, want %s", c.c.Code, c.c.DecimalPlaces, got, c.want)
		}
	}
}
