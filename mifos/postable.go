package mifos

// Fineract rounds what it posts to what the account's currency can hold
// (docs/fineract.md §1.5): its decimal places, and, for a currency without
// decimals, its inMultiplesOf. An amount it would round is refused before
// anything is journaled, so nobody is told a figure Fineract does not hold.

// MinorUnit is the smallest amount (in millionths) a currency with
// decimals digits after the point can hold.
func MinorUnit(decimals int) int64 {
	u := int64(1)
	for i := decimals; i < 6; i++ {
		u *= 10
	}
	return u
}

// PostingStep is the multiple (in whole units) Fineract rounds a posted
// amount to: InMultiplesOf for a currency without decimals, else 0.
func (c Currency) PostingStep() int64 {
	if c.DecimalPlaces != 0 || c.InMultiplesOf <= 1 {
		return 0
	}
	return int64(c.InMultiplesOf)
}

// PostsExactly reports whether Fineract would post a in this currency as
// it is, without rounding it.
func (c Currency) PostsExactly(a Amount) bool {
	if int64(a)%MinorUnit(c.DecimalPlaces) != 0 {
		return false
	}
	step := c.PostingStep()
	return step <= 1 || int64(a)%(step*1_000_000) == 0
}
