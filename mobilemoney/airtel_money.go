package mobilemoney

import (
	"fmt"
	"regexp"
	"strings"
)

// airtel-money: Airtel Money in Kenya, Uganda, Tanzania, Rwanda and Ghana,
// sender "AirtelMoney" (printed "AIRTELMONEY" too; ids compare without
// case). Wordings read:
//
//	Kenya 2014:  "Trans. ID: 1440225031704 You have received 50.00Ksh from
//	             MARY NDUTA. Your available balance is 155.00Ksh."
//	Uganda 2026: "RECEIVED. TID 149730678579. UGX 27,200 from 772123456,
//	             NAME. Bal UGX 332,358."
//
// The currency may come before or after the amount. None of these
// wordings prints a time: the caller takes the SMS's own timestamp.
type airtelMoney struct {
	info     Info
	id       *regexp.Regexp
	received *regexp.Regexp
	rest     *regexp.Regexp
	balance  *regexp.Regexp
	looks    *regexp.Regexp
	marks    *regexp.Regexp
}

// airtelMarks are the currency marks of Airtel's markets.
const airtelMarks = `Ksh|KES|KSH|UGX|USh|Tsh|TSh|TZS|RWF|FRW|GHS|GHC`

// airtelMoneyPat is an amount with its mark before or after it: groups
// mark-before, amount, amount, mark-after.
const airtelMoneyPat = `(?:(` + airtelMarks + `)\s*` + amountPat + `|` + amountPat + `\s*(` + airtelMarks + `))`

func newAirtelMoney() *airtelMoney {
	return &airtelMoney{
		info: Info{
			Name:    "airtel-money",
			Senders: []string{"AirtelMoney"},
			Markets: []Market{
				{Country: "KE", Currency: "KES", Zone: nairobi},
				{Country: "UG", Currency: "UGX", Zone: kampala},
				{Country: "TZ", Currency: "TZS", Zone: dar},
				{Country: "RW", Currency: "RWF", Zone: kigali},
				{Country: "GH", Currency: "GHS", Zone: accra},
			},
		},
		id:       regexp.MustCompile(`(?i)\b(?:trans\.?\s*id|tid|txn\s*id|transaction\s+id)\s*[:.]?\s*([A-Z0-9]+(?:\.[A-Z0-9]+)*)`),
		received: regexp.MustCompile(`(?i:you\s+have\s+received|\breceived\b\.?)\s*(?:(?i:tid)\s*[:.]?\s*[A-Z0-9.]+?\.\s*)?` + airtelMoneyPat + `\s+(?i:from)\s+`),
		rest:     regexp.MustCompile(`^(.+?)(?:\.\s*(?i:your|bal|balance|new|trans|tid)\b|\.?\s*$)`),
		balance:  regexp.MustCompile(`(?i:available\s+balance\s+is|new\s+balance\s+is|\bbal(?:ance)?\b\s*:?)\s*` + airtelMoneyPat),
		looks:    regexp.MustCompile(`(?i)\breceived\b`),
		marks:    regexp.MustCompile(`(?:` + airtelMarks + `)\s*\d|\d\s*(?:` + airtelMarks + `)`),
	}
}

func init() { register("airtel-money", func() Parser { return newAirtelMoney() }) }

func (a *airtelMoney) Info() Info { return a.info }

func (a *airtelMoney) Parse(text string) (Payment, error) {
	name := a.info.Name
	t := flatten(text)
	loc := a.received.FindStringSubmatchIndex(t)
	if loc == nil {
		if a.looks.MatchString(t) && a.marks.MatchString(t) {
			r := newReading(name)
			r.missing = append(r.missing, "amount and payer")
			return r.done()
		}
		return Payment{}, notPayment(name, "no money received")
	}
	r := newReading(name)
	if ids := a.id.FindAllStringSubmatch(t, -1); len(ids) > 0 {
		r.p.TxnID = strings.ToUpper(ids[0][1])
		for _, id := range ids[1:] {
			if !strings.EqualFold(id[1], r.p.TxnID) {
				r.fail(fmt.Errorf("two transaction ids, %s and %s", r.p.TxnID, id[1]))
			}
		}
	}
	sub := func(i int) string { return submatch(t, loc, i) }
	if sub(1) != "" {
		r.amount(a.info, sub(1), sub(2))
	} else {
		r.amount(a.info, sub(4), sub(3))
	}
	if rest := a.rest.FindStringSubmatch(t[loc[1]:]); rest != nil {
		r.payer(rest[1])
	}
	if r.p.PayerName == "" && r.p.PayerPhone == "" {
		r.missing = append(r.missing, "payer")
	}
	if b := a.balance.FindStringSubmatch(t[loc[1]:]); b != nil {
		if b[1] != "" {
			r.balance(b[1], b[2])
		} else {
			r.balance(b[4], b[3])
		}
	}
	return r.done()
}
