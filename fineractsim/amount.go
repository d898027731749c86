package fineractsim

import (
	"errors"
	"fmt"
	"math/big"
	"strings"
)

// Amount is an exact money amount in millionths of the currency unit, the
// precision Fineract prints (14250.50 is Amount(14250500000)).
type Amount int64

// unit is one currency unit in millionths.
const unit = 1_000_000

// ParseAmount reads a plain decimal such as "14250.50" (no grouping).
func ParseAmount(s string) (Amount, error) {
	r, ok := new(big.Rat).SetString(strings.TrimSpace(s))
	if !ok {
		return 0, fmt.Errorf("%q is not a decimal number", s)
	}
	return ratToAmount(r, 1)
}

// MustAmount is ParseAmount for literals in seeds and tests.
func MustAmount(s string) Amount {
	a, err := ParseAmount(s)
	if err != nil {
		panic(err)
	}
	return a
}

// ratToAmount converts to millionths, rounding half-even to a multiple of step
// (Fineract rounds input amounts to the currency's decimal places, HALF_EVEN).
func ratToAmount(r *big.Rat, step int64) (Amount, error) {
	m := new(big.Rat).Mul(r, big.NewRat(unit/step, 1))
	num, den := m.Num(), m.Denom()
	q, rem := new(big.Int).QuoRem(num, den, new(big.Int))
	// half-even on the remainder
	twice := new(big.Int).Mul(new(big.Int).Abs(rem), big.NewInt(2))
	c := twice.Cmp(den)
	if c > 0 || (c == 0 && q.Bit(0) == 1) {
		if num.Sign() < 0 {
			q.Sub(q, big.NewInt(1))
		} else {
			q.Add(q, big.NewInt(1))
		}
	}
	q.Mul(q, big.NewInt(step))
	if !q.IsInt64() {
		return 0, errors.New("amount out of range")
	}
	return Amount(q.Int64()), nil
}

// String prints the amount the way Fineract serialises a BigDecimal with
// scale 6: "14250.500000".
func (a Amount) String() string {
	neg := a < 0
	u := uint64(a)
	if neg {
		u = uint64(-a)
	}
	s := fmt.Sprintf("%d.%06d", u/unit, u%unit)
	if neg {
		return "-" + s
	}
	return s
}

// MarshalJSON writes the number text itself so no float ever touches it.
func (a Amount) MarshalJSON() ([]byte, error) { return []byte(a.String()), nil }

// intPart is the integer part, as Java's BigDecimal.intValue() sees it.
func (a Amount) intPart() int64 { return int64(a) / unit }
