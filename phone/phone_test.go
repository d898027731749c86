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

func TestNational(t *testing.T) {
	cases := []struct{ number, country, want string }{
		{"+639171234567", "PH", "09171234567"},
		{"+639171234567", "ph", "09171234567"},
		{"639171234567", "PH", "09171234567"},
		{"09171234567", "PH", "09171234567"},
		{"+254722000012", "KE", "0722000012"},
		{"+256772123456", "UG", "0772123456"},
	}
	for _, c := range cases {
		if got, err := National(c.number, c.country); err != nil || got != c.want {
			t.Errorf("National(%q, %q) = %q, %v; want %q", c.number, c.country, got, err, c.want)
		}
	}
	for _, bad := range []struct{ number, country string }{
		{"+254722000012", "PH"}, // another country's number
		{"+447700900123", "GB"}, // a country outside the table
		{"+639171234567", ""},
		{"+6391712345", "PH"}, // a digit short
		{"0917***4567", "PH"},
		{"+25006123456", "RW"}, // "006…" would read as international
	} {
		if got, err := National(bad.number, bad.country); !errors.Is(err, ErrInvalid) {
			t.Errorf("National(%q, %q) = %q, %v; want ErrInvalid", bad.number, bad.country, got, err)
		}
	}
}
