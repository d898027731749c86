// Package phone normalises phone numbers to E.164 and lists the forms a
// number may have been typed in (Fineract stores mobileNo exactly as typed).
//
// National numbers are read for the countries in plans (see Countries and
// docs/phone-numbers.md); a number of any other country is read when it is
// written in international form, with basic length checks only.
package phone

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
)

// ErrInvalid is wrapped by Normalize for text that is not a phone number.
var ErrInvalid = errors.New("not a valid phone number")

// ErrMasked is wrapped by Normalize, besides ErrInvalid, for a number with
// hidden digits as mobile money notices print them ("0722***012",
// "2547******12"): it names nobody, so it never becomes a number.
var ErrMasked = errors.New("some digits are hidden")

// e164Digits is the most digits an international number has (ITU-T E.164),
// country code included.
const e164Digits = 15

// minForeignDigits is the fewest digits after the country code accepted
// for a country outside the table (the shortest numbers in service have 4).
const minForeignDigits = 4

// nationalOnlyDigits: without a country, digits written without + or 0
// that are longer than this are read as international (as SMS headers
// often carry them), shorter ones cannot be read.
const nationalOnlyDigits = 10

// Normalize returns the E.164 form ("+254712345678") of raw, reading numbers
// written without + in country (ISO region, e.g. "KE"). Accepted forms:
// "+254712345678", "00254712345678", "254712345678", "0712345678" and
// "712345678"; spaces, dashes, dots, slashes and brackets are ignored.
func Normalize(raw, country string) (string, error) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return "", fmt.Errorf("%w: empty", ErrInvalid)
	}
	d, plus, masked, ok := clean(s)
	switch {
	case !ok:
		return "", fmt.Errorf("%w: %q has characters other than digits, + and separators", ErrInvalid, raw)
	case masked:
		return "", fmt.Errorf("%w: %q: %w, so it is not a full number", ErrInvalid, raw, ErrMasked)
	case d == "":
		return "", fmt.Errorf("%w: %q has no digits", ErrInvalid, raw)
	}
	home := planOf(country)
	switch {
	case plus:
		return international(raw, d)
	case home != nil && home.exit != "" && strings.HasPrefix(d, home.exit):
		return international(raw, d[len(home.exit):])
	case strings.HasPrefix(d, "00"):
		return international(raw, d[2:])
	case strings.HasPrefix(d, trunkPrefix):
		return national(raw, d[len(trunkPrefix):], home, country)
	case home != nil && len(d) <= home.mobileDigits():
		e164, err := national(raw, d, home, country)
		// "63884…" in PH: the country's own code without + or 00, on a
		// number shorter than its mobiles.
		if err != nil && strings.HasPrefix(d, home.code) && home.fits(d[len(home.code):]) {
			return "+" + d, nil
		}
		return e164, err
	case home != nil || len(d) > nationalOnlyDigits:
		return international(raw, d)
	default:
		return national(raw, d, home, country)
	}
}

// international reads d, the digits after "+" or "00".
func international(raw, d string) (string, error) {
	cc := callingCode(d)
	if cc == "" {
		return "", fmt.Errorf("%w: %q does not begin with a country calling code", ErrInvalid, raw)
	}
	nsn := d[len(cc):]
	if p := planFor(cc); p != nil {
		// "+254 0722…": the trunk 0 kept after the country code is a
		// common slip, dropped only when the number does not fit as written.
		if !p.fits(nsn) && strings.HasPrefix(nsn, trunkPrefix) && p.fits(nsn[len(trunkPrefix):]) {
			nsn = nsn[len(trunkPrefix):]
		}
		if !p.fits(nsn) {
			return "", fmt.Errorf("%w: %q is not a number of %s (+%s)", ErrInvalid, raw, p.region, p.code)
		}
		return "+" + cc + nsn, nil
	}
	if len(nsn) < minForeignDigits || len(d) > e164Digits {
		return "", fmt.Errorf("%w: %q has %d digits after the country code +%s", ErrInvalid, raw, len(nsn), cc)
	}
	return "+" + d, nil
}

// national reads nsn as a national significant number of home.
func national(raw, nsn string, home *plan, country string) (string, error) {
	if home == nil {
		if country == "" {
			return "", fmt.Errorf("%w: %q has no country code, and no country is set for such numbers", ErrInvalid, raw)
		}
		return "", fmt.Errorf("%w: %q has no country code, and national numbers of %q cannot be read (only %s)",
			ErrInvalid, raw, country, strings.Join(Countries(), ", "))
	}
	if !home.fits(nsn) {
		return "", fmt.Errorf("%w: %q is not a number of %s", ErrInvalid, raw, home.region)
	}
	return "+" + home.code + nsn, nil
}

// clean strips separators from s: d holds its digits and plus says whether
// it began with "+". masked: some digits are hidden behind "*", "x" or "•".
// ok is false for any other character, or a "+" after a digit or another +.
func clean(s string) (d string, plus, masked, ok bool) {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '+' && !plus && !masked && b.Len() == 0:
			plus = true
		// Numbers pasted from spreadsheets and documents bring no-break
		// spaces, typographic dashes and invisible direction marks.
		case unicode.IsSpace(r), unicode.Is(unicode.Cf, r), strings.ContainsRune(".()/-‐‑‒–—―−", r):
		case strings.ContainsRune("*xX•", r):
			masked = true
		default:
			return "", false, false, false
		}
	}
	return b.String(), plus, masked, true
}

// Variants lists the forms an MFI may have typed e164 in: E.164, without
// the +, and for a country of the table the national form with its trunk
// prefix (0712345678), without spaces. The E.164 form comes first.
func Variants(e164 string) []string {
	out := []string{e164}
	d := strings.TrimPrefix(e164, "+")
	cc := callingCode(d)
	p := planFor(cc)
	// In its own country a form may read as another number: the digits of
	// a short number without + as a national one ("9110000000" in India),
	// a national number beginning 0 as international ("006…" in Rwanda).
	if d != e164 && (p == nil || readsAs(d, p.region, e164)) {
		out = append(out, d)
	}
	if national := trunkPrefix + d[len(cc):]; p != nil && readsAs(national, p.region, e164) {
		out = append(out, national)
	}
	return out
}

// National writes a number of country (ISO region, one of Countries) as
// it is dialled inside that country: the trunk prefix 0, then the national
// significant number ("+639171234567" in "PH" is "09171234567"). It is
// the form operators' SMS interfaces and receipts use. A number of another
// country has no national form there, and a country outside the table has
// no known national form: both are errors wrapping ErrInvalid.
func National(number, country string) (string, error) {
	home := planOf(country)
	if home == nil {
		return "", fmt.Errorf("%w: national numbers of %q are not known (only %s)", ErrInvalid, country, strings.Join(Countries(), ", "))
	}
	e164, err := Normalize(number, country)
	if err != nil {
		return "", err
	}
	if !strings.HasPrefix(e164, "+"+home.code) {
		return "", fmt.Errorf("%w: %s is not a number of %s (+%s), so it has no national form there", ErrInvalid, e164, home.region, home.code)
	}
	n := trunkPrefix + e164[len(home.code)+1:]
	// "+25006…" in Rwanda: with its trunk 0 it would read as "00" and an
	// international number, so it has no national form to dial.
	if !readsAs(n, home.region, e164) {
		return "", fmt.Errorf("%w: %s has no national form in %s that reads as itself", ErrInvalid, e164, home.region)
	}
	return n, nil
}

func readsAs(raw, country, e164 string) bool {
	n, err := Normalize(raw, country)
	return err == nil && n == e164
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
