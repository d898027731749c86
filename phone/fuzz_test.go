package phone

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// Whatever the text, Normalize either refuses it as ErrInvalid or returns
// a number in E.164 form that reads as itself in every box, whose
// variants and national form read back to it.
func FuzzNormalize(f *testing.F) {
	for _, c := range countryCases {
		for _, s := range append(append(c.forms, c.bad...), c.masked...) {
			f.Add(s, c.country)
		}
	}
	f.Add("+447700900123", "")
	f.Add("0044 7700 900123", "ZW")
	f.Add("000722000012", "KE")
	f.Add("+25006123456", "RW")
	f.Add("+9110000000", "IN")
	f.Fuzz(func(t *testing.T, raw, country string) {
		e, err := Normalize(raw, country)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("Normalize(%q, %q) error %v does not wrap ErrInvalid", raw, country, err)
			}
			return
		}
		d := strings.TrimPrefix(e, "+")
		if d == e || digits(d) != d || len(d) < 5 || len(d) > e164Digits {
			t.Fatalf("Normalize(%q, %q) = %q: not E.164", raw, country, e)
		}
		for _, home := range append(Countries(), "") {
			if again, err := Normalize(e, home); err != nil || again != e {
				t.Fatalf("Normalize(%q, %q) = %q, %v; want it unchanged", e, home, again, err)
			}
		}
		p := planFor(callingCode(d))
		if p != nil {
			n, err := National(e, p.region)
			if err == nil {
				if back, err := Normalize(n, p.region); err != nil || back != e || !strings.HasPrefix(n, "0") {
					t.Fatalf("national form %q of %q reads as %q, %v", n, e, back, err)
				}
			} else if !errors.Is(err, ErrInvalid) || slices.Contains(Variants(e), "0"+d[len(p.code):]) {
				t.Fatalf("National(%q, %q): %v, though its variants list the national form", e, p.region, err)
			}
		}
		for _, v := range Variants(e) {
			region := ""
			if p != nil {
				region = p.region
			} else if !strings.HasPrefix(v, "+") && len(v) <= nationalOnlyDigits {
				// Short digits without + read as a national number: a
				// search match on them is checked by normalising it.
				continue
			}
			if back, err := Normalize(v, region); err != nil || back != e {
				t.Fatalf("variant %q of %q reads as %q, %v in %q", v, e, back, err, region)
			}
		}
	})
}
