package fineractsim

import (
	"testing"
	"time"
)

func TestAmountText(t *testing.T) {
	for in, want := range map[string]string{
		"14250.5": "14250.500000", "0": "0.000000", "-3.25": "-3.250000", "0.000001": "0.000001", "1e3": "1000.000000",
	} {
		a, err := ParseAmount(in)
		if err != nil || a.String() != want {
			t.Fatalf("ParseAmount(%q) = %s, %v; want %s", in, a, err, want)
		}
	}
	if _, err := ParseAmount("12,5"); err == nil {
		t.Fatal("12,5 accepted")
	}
}

func TestJavaDatePatterns(t *testing.T) {
	want := time.Date(2024, 9, 5, 0, 0, 0, 0, time.UTC)
	for _, c := range [][2]string{
		{"2024-09-05", "yyyy-MM-dd"}, {"05 September 2024", "dd MMMM yyyy"},
		{"05 SEPTEMBER 2024", "dd MMMM yyyy"}, {"5 Sep 2024", "d MMM yyyy"}, {"05/09/2024", "dd/MM/yyyy"},
		{"2024-09-05 10:15:00", "yyyy-MM-dd"},
	} {
		got, err := parseJavaDate(c[0], c[1], "en")
		if err != nil || !got.Equal(want) {
			t.Fatalf("%q with %q: %v %v", c[0], c[1], got, err)
		}
	}
	for _, c := range [][2]string{{"2024-02-30", "yyyy-MM-dd"}, {"2024-09-05x", "yyyy-MM-dd"}, {"05-09-2024", "yyyy-MM-dd"}, {"2024-09-05", "yyyy-MM-dd HH:mm"}} {
		if _, err := parseJavaDate(c[0], c[1], "en"); err == nil {
			t.Fatalf("%q with %q accepted", c[0], c[1])
		}
	}
}
