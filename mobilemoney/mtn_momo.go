package mobilemoney

import (
	"fmt"
	"regexp"
	"strings"
)

// mtn-momo: MTN Mobile Money in Rwanda (sender "M-Money"), Uganda
// ("MTNMobMoney") and Ghana ("MobileMoney"). Wordings read:
//
//	Rwanda:  "You have received 2000 RWF from Jane Smith (*********013) on
//	         your mobile money account at 2024-05-10 16:30:51. Message from
//	         sender: . Your new balance:2000 RWF. Financial Transaction Id:
//	         76662021700."
//	         "*113*R*A bank deposit of 40000 RWF has been added to your
//	         mobile money account at ... Cash Deposit::CASH::::0::2507...."
//	Uganda:  "You have received UGX 22120 from NAME, 2567... on 2026-06-14
//	         ... ID: 41454115808." (2015: "(2567...)" and no id); from
//	         Airtel the payer is in "Reason: NAME, 07...".
//	Ghana:   "Payment received for GHC50.00 from NAME Current Balance:
//	         GHC... Reference: ... Transaction ID: ..."
//
// Times are "YYYY-MM-DD HH:MM:SS" in the market's zone. Several wordings
// carry no transaction id; those are refused as malformed (nothing to
// post exactly once by) and kept for a person.
type mtnMoMo struct {
	info      Info
	id        *regexp.Regexp
	received  *regexp.Regexp
	rest      *regexp.Regexp
	when      *regexp.Regexp
	balance   *regexp.Regexp
	message   *regexp.Regexp
	reason    *regexp.Regexp
	reference *regexp.Regexp
	cashFrom  *regexp.Regexp
	looks     *regexp.Regexp
	freeText  *regexp.Regexp // labels of what the payer typed
}

const mtnMarks = `RWF|FRW|UGX|USh|GHS|GHC|GH₵|GH¢`

// mtnMoneyPat: groups mark-before, amount, amount, mark-after.
const mtnMoneyPat = `(?:(` + mtnMarks + `)\s*` + amountPat + `|` + amountPat + `\s*(` + mtnMarks + `))`

func newMTNMoMo() *mtnMoMo {
	return &mtnMoMo{
		info: Info{
			Name:    "mtn-momo",
			Senders: []string{"M-Money", "MTNMobMoney", "MobileMoney"},
			Markets: []Market{
				{Country: "RW", Currency: "RWF", Zone: kigali},
				{Country: "UG", Currency: "UGX", Zone: kampala},
				{Country: "GH", Currency: "GHS", Zone: accra},
			},
		},
		id: regexp.MustCompile(`(?i)(?:financial\s+transaction\s+id|transaction\s+id|txid|\bid)\s*:\s*(\d{6,})`),
		received: regexp.MustCompile(`(?i:you\s+have\s+received|payment\s+received\s+for|(?:a\s+)?(?:bank|cash)\s+deposit\s+of)\s+` +
			mtnMoneyPat + `(?:\s+(?i:from)\s+|\s+(?i:has\s+been\s+added)\b)`),
		rest:      regexp.MustCompile(`^(.+?)(?:\s+(?i:on\s+your|on\s+\d{4}-|at\s+\d{4}-)|\s+(?i:current\s+balance)|\.\s*(?i:reason|message|your|reference|transaction|financial)\b|\.?\s*$)`),
		when:      regexp.MustCompile(`\b(\d{4})-(\d{2})-(\d{2})\s+(\d{1,2}):(\d{2}):(\d{2})\b`),
		balance:   regexp.MustCompile(`(?i:new\s+balance\s*:|current\s+balance\s*:)\s*` + mtnMoneyPat),
		message:   regexp.MustCompile(`(?i:message\s+from\s+sender)\s*:\s*(.*?)\s*\.?\s*(?i:your\s+new\s+balance|financial|$)`),
		reason:    regexp.MustCompile(`(?i:reason)\s*:\s*(.+?)\.(?:\s|$)`),
		reference: regexp.MustCompile(`(?i:reference)\s*:\s*(.*?)\s*(?:\.\s|/|(?i:transaction\s+id)|$)`),
		cashFrom:  regexp.MustCompile(`::(\+?[0-9*]{9,15})(?:\.|\s|$)`),
		freeText:  regexp.MustCompile(`(?i:message\s+from\s+sender|reason|reference)\s*:`),
		looks:     regexp.MustCompile(`(?i)\byou\s+have\s+received\b|\bpayment\s+received\b|\bdeposit\s+of\b`),
	}
}

func init() { register("mtn-momo", func() Parser { return newMTNMoMo() }) }

func (m *mtnMoMo) Info() Info { return m.info }

func (m *mtnMoMo) Parse(text string) (Payment, error) {
	name := m.info.Name
	t := flatten(text)
	loc := m.received.FindStringSubmatchIndex(t)
	if loc == nil {
		if m.looks.MatchString(t) {
			r := newReading(name)
			r.missing = append(r.missing, "amount and payer")
			return r.done()
		}
		return Payment{}, notPayment(name, "no money received")
	}
	r := newReading(name)
	if ids := m.id.FindAllStringSubmatch(t, -1); len(ids) > 0 {
		r.p.TxnID = ids[0][1]
		for _, id := range ids[1:] {
			if id[1] != r.p.TxnID {
				r.fail(fmt.Errorf("two transaction ids, %s and %s", r.p.TxnID, id[1]))
			}
		}
	}
	sub := func(i int) string { return submatch(t, loc, i) }
	if sub(1) != "" {
		r.amount(m.info, sub(1), sub(2))
	} else {
		r.amount(m.info, sub(4), sub(3))
	}
	after := t[loc[1]:]
	if strings.HasSuffix(strings.ToLower(t[loc[0]:loc[1]]), "added") {
		// A bank or cash deposit names its depositor only in the last
		// "::" field.
		if c := m.cashFrom.FindAllStringSubmatch(after, -1); c != nil {
			r.p.PayerPhone = c[len(c)-1][1]
		}
	} else if rest := m.rest.FindStringSubmatch(after); rest != nil {
		r.payer(rest[1])
		if r.p.PayerName == "" && r.p.PayerPhone == "" {
			r.missing = append(r.missing, "payer")
		}
	}
	if rs := m.reason.FindStringSubmatch(after); rs != nil {
		if strings.Contains(strings.ToLower(r.p.PayerName), "airtel") && r.p.PayerPhone == "" {
			// From another network MTN names the network as payer and
			// the person in the reason.
			r.payer(rs[1])
		} else {
			r.p.AccountRef = strings.TrimSpace(rs[1])
		}
	}
	if msg := m.message.FindStringSubmatch(after); msg != nil {
		r.p.AccountRef = strings.TrimSpace(msg[1])
	}
	if ref := m.reference.FindStringSubmatch(after); ref != nil {
		r.p.AccountRef = strings.TrimSpace(ref[1])
	}
	// The payer's message, reason or reference is free text that could
	// spell a time or a balance. MTN prints the time before it, and the
	// balance before it (Ghana) or after it (Rwanda, Uganda): read the
	// time only before it, and the balance before it or else the last one.
	head, tail := after, ""
	if ft := m.freeText.FindStringIndex(after); ft != nil {
		head, tail = after[:ft[0]], after[ft[0]:]
	}
	if w := m.when.FindStringSubmatch(head); w != nil {
		r.at(m.info, w[1], w[2], w[3], w[4], w[5], w[6], "")
	}
	b := m.balance.FindStringSubmatch(head)
	if all := m.balance.FindAllStringSubmatch(tail, -1); b == nil && all != nil {
		b = all[len(all)-1]
	}
	if b != nil {
		if b[1] != "" {
			r.balance(b[1], b[2])
		} else {
			r.balance(b[4], b[3])
		}
	}
	return r.done()
}
