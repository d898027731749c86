package fineractsim

// Currency is Fineract's CurrencyData, the object every loan, savings
// account and collection sheet item carries. The zero Currency of a Loan or
// Savings stands for KES.
type Currency struct {
	Code          string `json:"code"`
	Name          string `json:"name"`
	DecimalPlaces int    `json:"decimalPlaces"`
	// InMultiplesOf: for a currency without decimals, Fineract rounds every
	// amount it posts to a multiple of this (Money.of); 0 or 1 = whole units.
	InMultiplesOf int    `json:"inMultiplesOf"`
	DisplaySymbol string `json:"displaySymbol"`
	NameCode      string `json:"nameCode"`
	DisplayLabel  string `json:"displayLabel"`
}

// KES is the seed's currency: two decimals, no multiples rounding.
var KES = Currency{Code: "KES", Name: "Kenyan Shilling", DecimalPlaces: 2, InMultiplesOf: 1,
	DisplaySymbol: "KSh", NameCode: "currency.KES", DisplayLabel: "Kenyan Shilling (KSh)"}

// UGX is a currency without decimals; Fineract's default data has it in
// multiples of 1, an MFI may set 50 or 100 (a copy with InMultiplesOf set).
var UGX = Currency{Code: "UGX", Name: "Uganda Shilling", DecimalPlaces: 0, InMultiplesOf: 1,
	DisplaySymbol: "USh", NameCode: "currency.UGX", DisplayLabel: "Uganda Shilling (USh)"}

func orKES(c Currency) Currency {
	if c.Code == "" {
		return KES
	}
	return c
}

func (l *loanState) currency() Currency     { return orKES(l.Currency) }
func (sv *savingsState) currency() Currency { return orKES(sv.Currency) }

// money is what Fineract's Money.of makes of an amount in c: for a currency
// without decimals first the nearest multiple of InMultiplesOf (a tie goes
// up: roundToMultiplesOf takes the floor only when the ceiling is farther),
// then the currency's decimal places, half-even. So UGX in multiples of 100
// posts 1,050 as 1,100 and 1,020 as 1,000.
func (c Currency) money(a Amount) Amount {
	if c.DecimalPlaces == 0 && c.InMultiplesOf > 0 && a > 0 {
		step := Amount(c.InMultiplesOf) * unit
		floor := a - a%step
		ceil := floor
		if a%step != 0 {
			ceil += step
		}
		if ceil-a > a-floor {
			a = floor
		} else {
			a = ceil
		}
	}
	return a.roundTo(c.DecimalPlaces)
}

// roundTo rounds half-even to decimals places (0-6).
func (a Amount) roundTo(decimals int) Amount {
	step := Amount(1)
	for range 6 - min(max(decimals, 0), 6) {
		step *= 10
	}
	q, r := a/step, a%step
	if r < 0 {
		q, r = q-1, r+step
	}
	if 2*r > step || (2*r == step && q%2 != 0) {
		q++
	}
	return q * step
}
