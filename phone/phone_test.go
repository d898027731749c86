package phone

import (
	"errors"
	"slices"
	"testing"
)

func TestNormalize(t *testing.T) {
	cases := []struct{ raw, country, want string }{
		{"+254712345678", "KE", "+254712345678"},
		{"0712345678", "KE", "+254712345678"},
		{"0712 345 678", "KE", "+254712345678"},
		{"254712345678", "KE", "+254712345678"},
		{"+254 (712) 345-678", "", "+254712345678"},
		{"09171234567", "PH", "+639171234567"},
	}
	for _, c := range cases {
		got, err := Normalize(c.raw, c.country)
		if err != nil || got != c.want {
			t.Errorf("Normalize(%q, %q) = %q, %v; want %q", c.raw, c.country, got, err, c.want)
		}
	}
	for _, bad := range []string{"", "hello", "12", "0712345678"} {
		country := "KE"
		if bad == "0712345678" {
			country = "" // a national number needs a region
		}
		if got, err := Normalize(bad, country); !errors.Is(err, ErrInvalid) {
			t.Errorf("Normalize(%q, %q) = %q, %v; want ErrInvalid", bad, country, got, err)
		}
	}
}

func TestVariants(t *testing.T) {
	got := Variants("+254712345678")
	want := []string{"+254712345678", "254712345678", "0712345678"}
	if !slices.Equal(got, want) {
		t.Fatalf("Variants = %v, want %v", got, want)
	}
}
