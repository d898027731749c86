package mobilemoney

import (
	"fmt"
	"regexp"
	"strings"
)

// mixx-tz: Tigo Pesa, renamed Mixx by Yas, Tanzania; senders "TIGOPESA"
// and "MIXX BY YAS". The balance comes first:
//
//	2014: "New balance is Tsh 138,522. You have received Tsh 50,000 from
//	      NAME, 07.... 31/01/2014 05:36 PM; with TxnId: PP141141.1843.D06413."
//	2025: "Transfer Successful. New balance is TSh 97,000. You have received
//	      TSh 97,000 from TIPS.Selcom_MFB.2.Tigo, with TxnId: 25693126312543."
//
// The 2025 wording prints no time: the caller takes the SMS's timestamp.
type mixxTZ struct {
	info     Info
	id       *regexp.Regexp
	received *regexp.Regexp
	rest     *regexp.Regexp
	when     *regexp.Regexp
	balance  *regexp.Regexp
	looks    *regexp.Regexp
	mark     *regexp.Regexp
}

const mixxMarks = `(Tshs|Tsh|TShs|TSh|TZS|TSH)`

func newMixxTZ() *mixxTZ {
	return &mixxTZ{
		info: Info{
			Name:    "mixx-tz",
			Senders: []string{"TIGOPESA", "MIXX BY YAS"},
			Markets: []Market{{Country: "TZ", Currency: "TZS", Zone: dar}},
		},
		id:       regexp.MustCompile(`(?i:txn\s*id)\s*:\s*([A-Za-z0-9]+(?:\.[A-Za-z0-9]+)*)`),
		received: regexp.MustCompile(`(?i:you\s+have\s+received)\s+` + mixxMarks + `\s*` + amountPat + `\s+(?i:from)\s+`),
		rest:     regexp.MustCompile(`^(.+?)(?:[.,;]?\s*\d{1,2}/\d{1,2}/\d{4}\b|[.,;]?\s*(?i:with\s+txn\s*id)|\.?\s*$)`),
		when:     regexp.MustCompile(`\b(\d{1,2})/(\d{1,2})/(\d{4})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp][Mm])?`),
		balance:  regexp.MustCompile(`(?i:new\s+balance\s+is)\s*` + mixxMarks + `?\s*` + amountPat),
		looks:    regexp.MustCompile(`(?i)\byou\s+have\s+received\b`),
		mark:     regexp.MustCompile(mixxMarks + `\s*\d`),
	}
}

func init() { register("mixx-tz", func() Parser { return newMixxTZ() }) }

func (m *mixxTZ) Info() Info { return m.info }

func (m *mixxTZ) Parse(text string) (Payment, error) {
	name := m.info.Name
	t := flatten(text)
	loc := m.received.FindStringSubmatchIndex(t)
	if loc == nil {
		if m.looks.MatchString(t) && m.mark.MatchString(t) {
			r := newReading(name)
			r.missing = append(r.missing, "amount and payer")
			return r.done()
		}
		return Payment{}, notPayment(name, "no money received")
	}
	r := newReading(name)
	if ids := m.id.FindAllStringSubmatch(t, -1); len(ids) > 0 {
		r.p.TxnID = strings.ToUpper(ids[0][1])
		for _, id := range ids[1:] {
			if !strings.EqualFold(id[1], r.p.TxnID) {
				r.fail(fmt.Errorf("two transaction ids, %s and %s", r.p.TxnID, id[1]))
			}
		}
	}
	r.amount(m.info, submatch(t, loc, 1), submatch(t, loc, 2))
	after := t[loc[1]:]
	if rest := m.rest.FindStringSubmatch(after); rest != nil {
		r.payer(rest[1])
	}
	if r.p.PayerName == "" && r.p.PayerPhone == "" {
		r.missing = append(r.missing, "payer")
	}
	if w := m.when.FindStringSubmatch(after); w != nil {
		r.at(m.info, w[3], w[2], w[1], w[4], w[5], w[6], w[7])
	}
	// The balance is printed before the payment in both wordings.
	if b := m.balance.FindStringSubmatch(t); b != nil {
		r.balance(b[1], b[2])
	}
	return r.done()
}
