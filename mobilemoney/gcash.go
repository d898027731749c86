package mobilemoney

import (
	"fmt"
	"regexp"
	"strings"
)

// gcash: GCash, Philippines, sender "GCash". Wordings read:
//
//	"You have received PHP 200.00 of GCash from ANA SA*A R. 09171234567
//	 w/ MSG: . Your new balance is PHP 447.74. Ref. No. 8012262033422."
//	"You have received PHP 1000.00 from DO**A RO**F B. +639171234567 w/
//	 MSG: ...", and the app's push "... of GCash from MI*A P. 0915••••847."
//
// The payer's name is masked by GCash; the number may be too. The
// sender's note ("w/ MSG:") is the account reference, since clients can
// be told to type their account number there. The push carries no Ref.
// No., so it is refused as malformed (nothing to post exactly once by).
// No wording prints a time: the caller takes the SMS's timestamp.
type gcash struct {
	info     Info
	ref      *regexp.Regexp
	received *regexp.Regexp
	rest     *regexp.Regexp
	msg      *regexp.Regexp   // where the sender's note starts
	msgEnds  []*regexp.Regexp // what the operator prints after the note, in order
	balance  *regexp.Regexp
	looks    *regexp.Regexp
}

func newGCash() *gcash {
	return &gcash{
		info: Info{
			Name:    "gcash",
			Senders: []string{"GCash"},
			Markets: []Market{{Country: "PH", Currency: "PHP", Zone: manila}},
		},
		ref:      regexp.MustCompile(`(?i:ref\.?\s*no)\.?\s*:?\s*(\d{6,})`),
		received: regexp.MustCompile(`(?i:you\s+have\s+received)\s+(PHP|₱)\s*` + amountPat + `\s+(?i:of\s+gcash\s+)?(?i:from)\s+`),
		rest:     regexp.MustCompile(`^(.+?)(?:\s+w/\s*(?i:msg)|\.\s*(?i:your\s+new\s+balance)|\.?\s*$)`),
		msg:      regexp.MustCompile(`w/\s*(?i:msg)\s*:\s*`),
		msgEnds: []*regexp.Regexp{
			regexp.MustCompile(`\s*\.?\s*(?i:your\s+new\s+balance)`),
			regexp.MustCompile(`\s*\.?\s*(?i:ref\.?\s*no)`),
		},
		balance: regexp.MustCompile(`(?i:your\s+new\s+balance\s+is)\s*(PHP|₱)?\s*` + amountPat),
		looks:   regexp.MustCompile(`(?i)\byou\s+have\s+received\s+(?:PHP|₱)`),
	}
}

func init() { register("gcash", func() Parser { return newGCash() }) }

func (g *gcash) Info() Info { return g.info }

func (g *gcash) Parse(text string) (Payment, error) {
	name := g.info.Name
	t := flatten(text)
	loc := g.received.FindStringSubmatchIndex(t)
	if loc == nil {
		if g.looks.MatchString(t) {
			r := newReading(name)
			r.missing = append(r.missing, "amount and payer")
			return r.done()
		}
		return Payment{}, notPayment(name, "no money received")
	}
	r := newReading(name)
	if refs := g.ref.FindAllStringSubmatch(t, -1); len(refs) > 0 {
		r.p.TxnID = refs[0][1]
		for _, ref := range refs[1:] {
			if ref[1] != r.p.TxnID {
				r.fail(fmt.Errorf("two reference numbers, %s and %s", r.p.TxnID, ref[1]))
			}
		}
	}
	r.amount(g.info, submatch(t, loc, 1), submatch(t, loc, 2))
	after := t[loc[1]:]
	if rest := g.rest.FindStringSubmatch(after); rest != nil {
		r.payer(rest[1])
	}
	if r.p.PayerName == "" && r.p.PayerPhone == "" {
		r.missing = append(r.missing, "payer")
	}
	// The note is the payer's free text: it ends at the last phrase the
	// operator prints after it, and the balance is read only after it.
	if m := g.msg.FindStringIndex(after); m != nil {
		note := after[m[1]:]
		end := len(note)
		for _, re := range g.msgEnds {
			if ends := re.FindAllStringIndex(note, -1); ends != nil {
				end = ends[len(ends)-1][0]
				break
			}
		}
		r.p.AccountRef = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(note[:end]), "."))
		after = note[end:]
	}
	if b := g.balance.FindStringSubmatch(after); b != nil {
		r.balance(b[1], b[2])
	}
	return r.done()
}
