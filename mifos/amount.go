package mifos

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// amountScale is the number of decimals an Amount keeps (millionths).
const amountScale = 6

// maxAmountUnits is the largest whole-unit part that still fits an Amount.
const maxAmountUnits = math.MaxInt64 / 1_000_000

// ParseAmount reads an amount a person typed: digits with an optional "."
// and up to 6 decimals, optionally grouped by thousands with ","
// ("1500", "1,500", "1,500.50", "0.5"). Negative numbers, bad grouping
// ("1,50"), ".5", "5." and anything else are rejected.
func ParseAmount(s string) (Amount, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, errors.New("amount is empty")
	}
	intPart, frac, hasDot := strings.Cut(s, ".")
	if hasDot && frac == "" {
		return 0, fmt.Errorf("amount %q has nothing after the decimal point", s)
	}
	if intPart == "" {
		return 0, fmt.Errorf("amount %q needs a digit before the decimal point", s)
	}
	if strings.Contains(intPart, ",") {
		groups := strings.Split(intPart, ",")
		// The first group has 1-3 digits, every later group exactly 3.
		if len(groups[0]) < 1 || len(groups[0]) > 3 {
			return 0, fmt.Errorf("amount %q has misplaced thousands separators", s)
		}
		for _, g := range groups[1:] {
			if len(g) != 3 {
				return 0, fmt.Errorf("amount %q has misplaced thousands separators", s)
			}
		}
		intPart = strings.Join(groups, "")
	}
	if !allDigits(intPart) || (hasDot && !allDigits(frac)) {
		return 0, fmt.Errorf("amount %q is not a number", s)
	}
	if len(frac) > amountScale {
		return 0, fmt.Errorf("amount %q has more than %d decimals", s, amountScale)
	}
	return fromDecimal(false, intPart, frac)
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// fromDecimal builds an Amount from validated digit strings (frac has at
// most amountScale digits).
func fromDecimal(neg bool, intPart, frac string) (Amount, error) {
	intPart = strings.TrimLeft(intPart, "0")
	if intPart == "" {
		intPart = "0"
	}
	units, err := strconv.ParseInt(intPart, 10, 64)
	if err != nil || units > maxAmountUnits {
		return 0, fmt.Errorf("amount %s is too large", intPart)
	}
	var micro int64
	if frac != "" {
		micro, _ = strconv.ParseInt(frac+strings.Repeat("0", amountScale-len(frac)), 10, 64)
	}
	if units == maxAmountUnits && micro > math.MaxInt64%1_000_000 {
		return 0, fmt.Errorf("amount %s.%s is too large", intPart, frac)
	}
	v := units*1_000_000 + micro
	if neg {
		v = -v
	}
	return Amount(v), nil
}

// parseJSONNumber decodes a JSON number's text exactly. Digits past the 6th
// decimal (which Fineract's BigDecimal amounts never have) are rounded half
// to even, the tenant's default rounding mode.
func parseJSONNumber(s string) (Amount, error) {
	orig := s
	neg := false
	if strings.HasPrefix(s, "-") {
		neg, s = true, s[1:]
	}
	mant, expStr, hasExp := strings.Cut(strings.ToLower(s), "e")
	exp := 0
	if hasExp {
		e, err := strconv.Atoi(strings.TrimPrefix(expStr, "+"))
		if err != nil || e > 40 || e < -40 {
			return 0, fmt.Errorf("amount %s is out of range", orig)
		}
		exp = e
	}
	intPart, frac, _ := strings.Cut(mant, ".")
	if intPart == "" || !allDigits(intPart) || !allDigits(frac) {
		return 0, fmt.Errorf("amount %q is not a number", orig)
	}
	// Move the decimal point by the exponent on the digit string.
	digits := intPart + frac
	point := len(intPart) + exp
	if point < 0 {
		digits = strings.Repeat("0", -point) + digits
		point = 0
	}
	if point > len(digits) {
		digits += strings.Repeat("0", point-len(digits))
	}
	intPart, frac = digits[:point], digits[point:]
	roundUp := false
	if len(frac) > amountScale {
		rest := frac[amountScale:]
		frac = frac[:amountScale]
		half := strings.TrimRight(rest[1:], "0") == ""
		switch {
		case rest[0] > '5', rest[0] == '5' && !half:
			roundUp = true
		case rest[0] == '5' && half:
			last := frac[len(frac)-1]
			roundUp = (last-'0')%2 == 1
		}
	}
	a, err := fromDecimal(false, intPart, frac)
	if err != nil {
		return 0, fmt.Errorf("amount %s is too large", orig)
	}
	if roundUp {
		if a == math.MaxInt64 {
			return 0, fmt.Errorf("amount %s is too large", orig)
		}
		a++
	}
	if neg {
		a = -a
	}
	return a, nil
}

// UnmarshalJSON reads a JSON number (or a quoted plain decimal) exactly;
// null leaves the amount unchanged (zero for a fresh value).
func (a *Amount) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if string(b) == "null" {
		return nil
	}
	s := string(b)
	if len(b) >= 2 && b[0] == '"' && b[len(b)-1] == '"' {
		s = strings.TrimSpace(s[1 : len(s)-1])
		if s == "" {
			*a = 0
			return nil
		}
	}
	v, err := parseJSONNumber(s)
	if err != nil {
		return err
	}
	*a = v
	return nil
}

// MarshalJSON writes the amount as a plain JSON number ("1500.5").
func (a Amount) MarshalJSON() ([]byte, error) { return []byte(a.String()), nil }

// String is the plain decimal form without grouping or trailing zeros:
// "1500.5", "0.000001", "-3".
func (a Amount) String() string {
	neg, units, micro := a.split()
	s := strconv.FormatUint(units, 10)
	if micro != 0 {
		f := fmt.Sprintf("%06d", micro)
		s += "." + strings.TrimRight(f, "0")
	}
	if neg {
		s = "-" + s
	}
	return s
}

// split returns the sign, whole units and millionths; it works on uint64 so
// the most negative Amount does not overflow.
func (a Amount) split() (neg bool, units, micro uint64) {
	v := uint64(a)
	if a < 0 {
		neg = true
		v = uint64(-(a + 1)) + 1
	}
	return neg, v / 1_000_000, v % 1_000_000
}

// Format writes the amount with thousands separators and exactly decimals
// decimals (0-6), rounding half to even: Amount(1500500000).Format(2) is
// "1,500.50".
func (a Amount) Format(decimals int) string {
	decimals = min(max(decimals, 0), amountScale)
	neg, units, micro := a.split()
	div := uint64(1)
	for range amountScale - decimals {
		div *= 10
	}
	q, r := micro/div, micro%div
	// Half to even on the last kept digit (whole units when decimals is 0).
	if r*2 > div || (r*2 == div && ((decimals > 0 && q%2 == 1) || (decimals == 0 && units%2 == 1))) {
		q++
	}
	limit := uint64(1)
	for range decimals {
		limit *= 10
	}
	if q >= limit {
		q -= limit
		units++
	}
	s := group(strconv.FormatUint(units, 10))
	if decimals > 0 {
		s += "." + fmt.Sprintf("%0*d", decimals, q)
	}
	if neg && (units != 0 || q != 0) {
		s = "-" + s
	}
	return s
}

// group inserts "," every three digits from the right.
func group(d string) string {
	if len(d) <= 3 {
		return d
	}
	var b strings.Builder
	head := len(d) % 3
	if head > 0 {
		b.WriteString(d[:head])
	}
	for i := head; i < len(d); i += 3 {
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(d[i : i+3])
	}
	return b.String()
}

// Format writes a as people read money in c: thousands separators and
// exactly c's decimal places (none for UGX, two for KES, three for KWD),
// rounding half to even. A currency not known yet (no code: a payment
// taken while Fineract was unreachable) shows two decimals rather than
// round cents away. It is the one way the daemon writes an amount for a
// person (docs/fineract.md §1.5).
func (c Currency) Format(a Amount) string {
	if c.Code == "" {
		return a.Format(2)
	}
	return a.Format(c.DecimalPlaces)
}
