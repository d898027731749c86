// Package phone normalises phone numbers to E.164 and lists the forms a
// number may have been typed in (Fineract stores mobileNo exactly as typed).
package phone

import (
	"errors"
	"fmt"
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// ErrInvalid is wrapped by Normalize for text that is not a phone number.
var ErrInvalid = errors.New("not a valid phone number")

// Normalize returns the E.164 form ("+254712345678") of raw, reading numbers
// written without + in country (ISO region, e.g. "KE"). Spaces, dashes and
// brackets are ignored.
func Normalize(raw, country string) (string, error) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return "", fmt.Errorf("%w: empty", ErrInvalid)
	}
	region := strings.ToUpper(country)
	if region == "" {
		region = "ZZ" // unknown region: only numbers with + parse
	}
	// "254712345678" (international without +) is common in SMS headers.
	if !strings.HasPrefix(s, "+") && !strings.HasPrefix(s, "0") && len(digits(s)) > 10 {
		s = "+" + digits(s)
	}
	n, err := phonenumbers.Parse(s, region)
	if err != nil {
		return "", fmt.Errorf("%w: %q (%v)", ErrInvalid, raw, err)
	}
	if !phonenumbers.IsPossibleNumber(n) {
		return "", fmt.Errorf("%w: %q", ErrInvalid, raw)
	}
	return phonenumbers.Format(n, phonenumbers.E164), nil
}

// Variants lists the forms an MFI may have typed e164 in: E.164, without
// the +, and the national form with its trunk prefix (0712345678), without
// spaces. The E.164 form comes first.
func Variants(e164 string) []string {
	out := []string{e164}
	add := func(v string) {
		for _, have := range out {
			if have == v {
				return
			}
		}
		out = append(out, v)
	}
	add(strings.TrimPrefix(e164, "+"))
	if n, err := phonenumbers.Parse(e164, "ZZ"); err == nil {
		add(digits(phonenumbers.Format(n, phonenumbers.NATIONAL)))
	}
	return out
}

func digits(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}
