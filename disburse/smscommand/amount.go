package smscommand

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/mifos-edge/mifos-edge/mifos"
)

// minorUnits are the currencies whose ISO 4217 minor unit is not two
// decimals. An operator's command takes the amount as its wallet shows
// it: whole shillings in Uganda and Rwanda, centavos in the Philippines.
var minorUnits = map[string]int{
	"BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0, "PYG": 0,
	"RWF": 0, "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
	"BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
	"CLF": 4, "UYW": 4,
}

// decimalsOf is the number of decimals amounts of currency (ISO 4217
// code) are written with.
func decimalsOf(currency string) (int, error) {
	if len(currency) != 3 || strings.ToUpper(currency) != currency || strings.ContainsFunc(currency, func(r rune) bool { return r < 'A' || r > 'Z' }) {
		return 0, fmt.Errorf("currency %q is not an ISO 4217 code", currency)
	}
	if d, ok := minorUnits[currency]; ok {
		return d, nil
	}
	return 2, nil
}

// plainAmount writes millionths of currency as an operator's command
// takes them: digits, a point and exactly the currency's decimals, no
// thousands separators ("1000.00" PHP, "5000" UGX). An amount finer than
// the currency (a centavo fraction) is refused, never rounded: the command
// must pay exactly the line.
func plainAmount(millionths int64, currency string) (string, error) {
	decimals, err := decimalsOf(currency)
	if err != nil {
		return "", err
	}
	if millionths <= 0 {
		return "", fmt.Errorf("amount %s is not positive", mifos.Amount(millionths))
	}
	step := int64(1)
	for range 6 - decimals {
		step *= 10
	}
	if millionths%step != 0 {
		return "", fmt.Errorf("amount %s %s has more decimals than the currency's %d", mifos.Amount(millionths), currency, decimals)
	}
	units, frac := millionths/1_000_000, (millionths%1_000_000)/step
	s := strconv.FormatInt(units, 10)
	if decimals > 0 {
		s += fmt.Sprintf(".%0*d", decimals, frac)
	}
	return s, nil
}
