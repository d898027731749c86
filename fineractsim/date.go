package fineractsim

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// day truncates t to its calendar date (in t's own zone) at UTC midnight, so
// dates compare and subtract without zone surprises.
func day(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// jdate serialises as Fineract v1 does: [y,m,d], omitted when zero (omitzero).
type jdate time.Time

func (d jdate) IsZero() bool { return time.Time(d).IsZero() }

func (d jdate) MarshalJSON() ([]byte, error) {
	y, m, dd := time.Time(d).Date()
	return fmt.Appendf(nil, "[%d,%d,%d]", y, int(m), dd), nil
}

func isoDate(t time.Time) string { return t.Format("2006-01-02") }

var monthNames = []string{"january", "february", "march", "april", "may", "june", "july",
	"august", "september", "october", "november", "december"}

// parseJavaDate parses value with a Java DateTimeFormatter pattern the way
// Fineract's JsonParserHelper does: case-insensitive, an optional trailing
// time, then a strict calendar check. Only the pattern letters y, u, M and d
// are supported (all a date needs); other letters fail as a bad format.
func parseJavaDate(value, pattern, locale string) (time.Time, error) {
	if !strings.HasPrefix(strings.ToLower(locale), "en") {
		// Month names are only known in English here; numeric patterns work in any locale.
		if strings.Contains(pattern, "MMM") {
			return time.Time{}, fmt.Errorf("month names only supported for English locales")
		}
	}
	v := strings.TrimSpace(value)
	// Fineract accepts an optional " HH:mm:ss" after the date.
	if i := strings.LastIndexByte(v, ' '); i > 0 && strings.Count(v[i+1:], ":") == 2 && !strings.Contains(pattern, ":") {
		v = v[:i]
	}
	year, month, dd := -1, -1, -1
	p := []rune(pattern)
	in := []rune(v)
	pos := 0
	for i := 0; i < len(p); {
		c := p[i]
		if c == '\'' { // quoted literal
			j := i + 1
			for j < len(p) && p[j] != '\'' {
				j++
			}
			lit := string(p[i+1 : min(j, len(p))])
			if !strings.HasPrefix(strings.ToLower(string(in[pos:])), strings.ToLower(lit)) {
				return time.Time{}, fmt.Errorf("literal %q expected", lit)
			}
			pos += len([]rune(lit))
			i = j + 1
			continue
		}
		if !unicode.IsLetter(c) {
			if pos >= len(in) || in[pos] != c {
				return time.Time{}, fmt.Errorf("%q expected at %d", c, pos)
			}
			pos++
			i++
			continue
		}
		j := i
		for j < len(p) && p[j] == c {
			j++
		}
		n := j - i
		i = j
		switch {
		case c == 'y' || c == 'u':
			digits, next := takeDigits(in, pos, 9)
			if digits == "" || (n == 2 && len(digits) != 2) {
				return time.Time{}, fmt.Errorf("year expected")
			}
			y, _ := strconv.Atoi(digits)
			if n == 2 {
				y += 2000
			}
			year, pos = y, next
		case c == 'M' && n <= 2:
			digits, next := takeDigits(in, pos, 2)
			if digits == "" {
				return time.Time{}, fmt.Errorf("month expected")
			}
			month, _ = strconv.Atoi(digits)
			pos = next
		case c == 'M':
			rest := strings.ToLower(string(in[pos:]))
			found := false
			for k, name := range monthNames {
				cand := name
				if n == 3 {
					cand = name[:3]
				}
				if strings.HasPrefix(rest, cand) {
					month, pos, found = k+1, pos+len(cand), true
					break
				}
			}
			if !found {
				return time.Time{}, fmt.Errorf("month name expected")
			}
		case c == 'd':
			digits, next := takeDigits(in, pos, 2)
			if digits == "" {
				return time.Time{}, fmt.Errorf("day expected")
			}
			dd, _ = strconv.Atoi(digits)
			pos = next
		default:
			return time.Time{}, fmt.Errorf("pattern letter %q not supported", c)
		}
	}
	if pos != len(in) || year < 0 || month < 1 || month > 12 || dd < 1 {
		return time.Time{}, fmt.Errorf("%q does not match %q", value, pattern)
	}
	t := time.Date(year, time.Month(month), dd, 0, 0, 0, 0, time.UTC)
	if t.Day() != dd { // resolved strictly: no 30 February
		return time.Time{}, fmt.Errorf("%q is not a calendar date", value)
	}
	return t, nil
}

func takeDigits(in []rune, pos, max int) (string, int) {
	j := pos
	for j < len(in) && j-pos < max && in[j] >= '0' && in[j] <= '9' {
		j++
	}
	return string(in[pos:j]), j
}
