package mobilemoney

import (
	"fmt"
	"regexp"
	"strings"
)

// mpesa reads the M-PESA wording that Safaricom (Kenya) and Vodacom
// (Tanzania) share: "<ID> Confirmed. You have received <cur><amount> from
// <payer> on d/m/yy at h:mm PM. New M-PESA balance is ..." and its
// till/paybill order "<ID> Confirmed. on <date> <cur><amount> received
// from <payer>. Account Number <ref> New Utility balance is ...". The two
// markets are told apart by the currency mark, since both send from MPESA.
type mpesa struct {
	info Info
	// swahili also reads Vodacom's Swahili twin of each receipt.
	swahili bool

	mark      *regexp.Regexp // the market's currency mark before an amount
	receipt   *regexp.Regexp
	received  []*regexp.Regexp // "You have received <money> from", "<money> received from"
	rest      *regexp.Regexp   // payer, account reference, up to the date or balance
	when      *regexp.Regexp
	timeLine  *regexp.Regexp // 2011 paybill "Time: 05/04/2011 14:45:34" (has seconds)
	tarehe    *regexp.Regexp // Swahili "tarehe 19/06/2026 saa 22:38:24"
	balance   *regexp.Regexp
	balAmount *regexp.Regexp
	reversed  *regexp.Regexp
	looksPaid *regexp.Regexp
}

// newMpesa builds the grammar for one market; marks are the currency marks
// the market prints, case-sensitive ("Ksh|KES": a lower-case "kes" is in
// too many words of the adverts).
func newMpesa(info Info, marks string, swahili bool) *mpesa {
	cur := `(` + marks + `)`
	receiptWords := `confirmed|completed`
	received := []string{
		`(?i:you\s+have\s+received)\s+(?i:a\s+payment\s+of\s+)?` + cur + `\s*` + amountPat + `\s+(?i:from)\s+`,
		cur + `\s*` + amountPat + `\s+(?i:received\s+from)\s+`,
	}
	looks := `(?i)\byou\s+have\s+received\b|\breceived\s+from\b|\bhas\s+been\s+reversed\b`
	balance := `new\s+[\w-]+\s+balance\s+is|your\s+account\s+balance\s+is\s+now`
	if swahili {
		receiptWords += `|imethibitishwa`
		received = append(received, `(?i:umepokea)\s+`+cur+`\s*`+amountPat+`\s+(?i:kutoka)\s+`)
		looks += `|\bumepokea\b`
		balance += `|salio(?:\s+jipya)?(?:\s+la\s+m-?pesa)?\s+ni`
	}
	m := &mpesa{
		info:    info,
		swahili: swahili,
		mark:    regexp.MustCompile(cur + `\s*(?:\d|[Xx*•]{2})`),
		receipt: regexp.MustCompile(`\b([A-Z0-9]{8,12})\s*(?i:` + receiptWords + `)\b`),
		rest: regexp.MustCompile(`^(.+?)(?:\.?\s*(?i:for\s+account|account\s+number|account\s+no\.?|acc\.)\s+(.+?))?` +
			`(?:\.?\s+(?i:on)\s+\d{1,2}/\d{1,2}/\d{2,4}\b|\.?\s*(?i:new\s+[\w-]+\s+balance)\b|\.?\s+Time:|,?\s+(?i:tarehe)\s|\.?\s*$)`),
		when:      regexp.MustCompile(`\b(?i:on)\s+(\d{1,2})/(\d{1,2})/(\d{4}|\d{2})\s+(?i:at)\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp][Mm])?`),
		timeLine:  regexp.MustCompile(`\bTime:\s*(\d{1,2})/(\d{1,2})/(\d{4})\s+(\d{1,2}):(\d{2}):(\d{2})`),
		tarehe:    regexp.MustCompile(`\b(?i:tarehe)\s+(\d{1,2})/(\d{1,2})/(\d{4}|\d{2})\s+(?i:saa)\s+(\d{1,2}):(\d{2})(?::(\d{2}))?`),
		balance:   regexp.MustCompile(`(?i:` + balance + `)`),
		balAmount: regexp.MustCompile(`^\s*` + cur + `?\s*` + amountPat),
		reversed:  regexp.MustCompile(`(?i:transaction)\s+([A-Z0-9]{8,12})\s+(?i:has\s+been\s+reversed)`),
		looksPaid: regexp.MustCompile(looks),
	}
	for _, r := range received {
		m.received = append(m.received, regexp.MustCompile(r))
	}
	return m
}

func (m *mpesa) Info() Info { return m.info }

func (m *mpesa) Parse(text string) (Payment, error) {
	name := m.info.Name
	t := flatten(text)
	if !m.mark.MatchString(t) {
		return Payment{}, notPayment(name, "no amount in this market's currency")
	}
	r := newReading(name)
	receipts := m.receipt.FindAllStringSubmatch(t, -1)
	for i, rc := range receipts {
		if i == 0 {
			r.p.TxnID = strings.ToUpper(rc[1])
		} else if !strings.EqualFold(rc[1], r.p.TxnID) {
			// Two receipts in one text: wrongly joined parts or a forgery
			// built from two messages; neither is for posting unseen.
			r.fail(fmt.Errorf("two transaction ids, %s and %s", r.p.TxnID, rc[1]))
			break
		}
	}

	if rv := m.reversed.FindStringSubmatch(t); rv != nil {
		r.p.Kind = KindReversal
		r.p.ReversedTxnID = strings.ToUpper(rv[1])
		r.p.Currency = currencyOf(m.mark.FindStringSubmatch(t)[1])
		m.readBalance(r, t)
		m.readTime(r, t)
		return r.done()
	}

	loc, at := m.findReceived(t)
	if loc == nil {
		if m.looksPaid.MatchString(t) {
			r.missing = append(r.missing, "amount and payer")
			return r.done()
		}
		return Payment{}, notPayment(name, "no money received")
	}
	sub := func(i int) string { return submatch(t, loc, i) }
	r.amount(m.info, sub(1), sub(2))
	// The balance is looked for after the payer and the account reference:
	// the reference is typed by the payer and could spell a balance.
	// The time and the balance are read with the account reference
	// blanked out, and the balance only after it: the payer types the
	// reference and could spell a date ("on 1/1/24 at 1:00 AM") or a
	// balance in it.
	from := at
	if rest := m.rest.FindStringSubmatchIndex(t[at:]); rest != nil {
		r.payer(submatch(t[at:], rest, 1))
		r.p.AccountRef = strings.Trim(strings.TrimSpace(submatch(t[at:], rest, 2)), ".")
		if rest[4] >= 0 {
			t = blank(t, at+rest[4], at+rest[5])
		}
		from += max(rest[3], rest[5])
	}
	if r.p.PayerName == "" && r.p.PayerPhone == "" {
		r.missing = append(r.missing, "payer")
	}
	r.needTime = true
	m.readTime(r, t)
	m.readBalance(r, t[from:])
	return r.done()
}

// findReceived returns the submatch indexes of the earliest "received"
// phrase and where the payer starts.
func (m *mpesa) findReceived(t string) (loc []int, at int) {
	for _, re := range m.received {
		l := re.FindStringSubmatchIndex(t)
		if l != nil && (loc == nil || l[0] < loc[0]) {
			loc = l
		}
	}
	if loc == nil {
		return nil, 0
	}
	return loc, loc[1]
}

// readTime takes the most precise time printed: the 2011 paybill's
// "Time:" line with seconds, the Swahili "tarehe ... saa ...", else
// "on d/m/yy at h:mm PM".
func (m *mpesa) readTime(r *reading, t string) {
	if s := m.timeLine.FindStringSubmatch(t); s != nil {
		r.at(m.info, s[3], s[2], s[1], s[4], s[5], s[6], "")
		return
	}
	if m.swahili {
		if s := m.tarehe.FindStringSubmatch(t); s != nil {
			r.at(m.info, s[3], s[2], s[1], s[4], s[5], s[6], "")
			return
		}
	}
	if s := m.when.FindStringSubmatch(t); s != nil {
		r.at(m.info, s[3], s[2], s[1], s[4], s[5], s[6], s[7])
	}
}

// readBalance reads the balance after its first label in t; a label
// followed by no amount ("New M-PESA balance is *LOCKED*") is a problem.
func (m *mpesa) readBalance(r *reading, t string) {
	loc := m.balance.FindStringIndex(t)
	if loc == nil {
		return
	}
	s := m.balAmount.FindStringSubmatch(t[loc[1]:])
	if s == nil {
		r.fail(fmt.Errorf("new balance is not an amount"))
		return
	}
	r.balance(s[1], s[2])
}

// submatch returns group i of a FindStringSubmatchIndex result, "" when
// the group did not take part.
func submatch(t string, loc []int, i int) string {
	if loc[2*i] < 0 {
		return ""
	}
	return t[loc[2*i]:loc[2*i+1]]
}
