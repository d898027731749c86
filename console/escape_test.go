package console

import (
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/mifos-edge/mifos-edge/disburse"
	"github.com/mifos-edge/mifos-edge/mifos"
	"github.com/mifos-edge/mifos-edge/mobilemoney/mpesastatement"
	"github.com/mifos-edge/mifos-edge/modem"
	"github.com/mifos-edge/mifos-edge/reconcile"
	"github.com/mifos-edge/mifos-edge/store"
)

// hostile are values a client's SMS, a phone's sender header, a person
// typing in a form or Fineract (client, group, product names, notes,
// error messages) can put on a page.
var hostile = []string{
	`<script>alert(1)</script>`,
	`"><script>alert(1)</script>`,
	`' onmouseover='alert(1)`,
	`" autofocus onfocus="alert(1)`,
	`</textarea><script>alert(1)</script>`,
	`</title><img src=x onerror=alert(1)>`,
	`&lt;b&gt; &amp; &#34; &#x3C;`,
	`javascript:alert(1)`,
	"line\u2028separator\u2029paragraph",
	"nul\x00byte",
	"+256 772 000 001?x=1&y=2#frag/../..%2F",
	"<!-- --!> <![CDATA[ ]]> {{.}} ${x} `",
}

// fixture is a page whose every shown string comes from s.
type fixture struct {
	name string
	page func(c *Console, s func() string) (page, func(*htmlWriter))
}

// layoutOf is the layout's part: a signed-in user with an office, a
// notice and an error, all from s.
func layoutOf(s func() string) page {
	return page{Title: "Page", Tab: "status", User: &store.ConsoleSession{Username: s(), OfficeName: s()}, Notice: s(), Error: s()}
}

var fixtures = []fixture{
	{"signin", func(c *Console, s func() string) (page, func(*htmlWriter)) {
		return page{Title: "Sign in", Notice: s(), Error: s()}, signinHTML(s())
	}},
	{"status", func(c *Console, s func() string) (page, func(*htmlWriter)) {
		now := c.d.Now()
		st := Status{Started: now, Modem: modem.Status{State: modem.State(s()), LastError: s(), SignalText: s(), RegistrationText: s(), Operator: s(), StorageTotal: 20, LastOK: now},
			Link: Link{Configured: true, LastError: s(), LastErrorAt: now, CheckedAt: now}}
		return layoutOf(s), c.statusHTML(statusData{Status: st, Problems: []Problem{{What: s(), Do: s()}}})
	}},
	{"loans", func(c *Console, s func() string) (page, func(*htmlWriter)) {
		l := loanRow{PendingLoan: mifos.PendingLoan{ID: 41, AccountNo: s(), ClientName: s(), GroupName: s(), ProductName: s(), OfficerName: s(),
			Currency: mifos.Currency{Code: s()}, SubmittedOn: mifos.Date{Year: 2026, Month: 11, Day: 30}}, Amount: s(), Plain: s()}
		return layoutOf(s), loansHTML(&loansData{CanApprove: true, CanReject: true, Today: s(), Loans: []loanRow{l}})
	}},
	{"money", func(c *Console, s func() string) (page, func(*htmlWriter)) {
		failed := postingRow{JournalEntry: store.JournalEntry{ID: 7, Currency: s(), ClientName: s(), AccountNo: s(), Date: s()}, Money: s(), Why: s()}
		today := postingRow{JournalEntry: store.JournalEntry{ID: 8, Currency: s(), ClientName: s(), AccountNo: s(), Kind: store.JournalKind(s()), State: store.JournalState(s())},
			Money: s(), TxnIDs: s()}
		return layoutOf(s), moneyHTML(moneyData{Date: s(), Failed: []postingRow{failed}, Today: []postingRow{today}})
	}},
	{"payments", func(c *Console, s func() string) (page, func(*htmlWriter)) {
		row := paymentRow{Payment: store.Payment{Operator: s(), TxnID: s(), Currency: s(), PayerName: s(), PayerPhone: s(), AccountRef: s(),
			Source: s(), State: store.PaymentState(s()), AccountNo: s(), Reason: s(), Flag: s()}, Money: s(), When: s(), TxnIDs: s(), Writable: true}
		return layoutOf(s), paymentsHTML(paymentsData{State: "suspense", Rows: []paymentRow{row}, Capped: true})
	}},
	{"statement report", func(c *Console, s func() string) (page, func(*htmlWriter)) {
		at := time.Date(2025, 10, 12, 13, 0, 0, 0, time.UTC)
		rep := &reconcile.Report{File: s(), Rows: 9, ReadErr: s(), Period: mpesastatement.Span{From: at, To: at.Add(time.Hour)},
			New: 1, NewAmount: 5, Suspense: 2, Known: 1, KnownStates: map[store.PaymentState]int{store.PaymentState(s()): 1},
			Skipped: map[mpesastatement.SkipReason]int{mpesastatement.SkipReason(s()): 1},
			Refused: 2, RefusedRows: []string{s()}, Broken: 2, BrokenRows: []string{s()}, Repeated: 1, RepeatedRows: []string{s()},
			SuspenseRows: []reconcile.SuspenseRow{{TxnID: s(), Currency: s(), Amount: 7, Line: 3, Reason: s()}},
			Reconciled:   true, Unlisted: 2, UnlistedRows: []reconcile.Unlisted{{Receipt: reconcile.Receipt{TxnID: s(), Currency: s(),
				Time: at, State: store.PaymentState(s()), Source: s(), Account: s()}, Note: s()}},
			Reversed: 2, ReversedRows: []reconcile.Reversed{{TxnID: s(), By: s(), Line: 4, State: store.PaymentState(s()), Note: s()}}}
		return layoutOf(s), reportHTML(rep)
	}},
	{"payments with the upload form", func(c *Console, s func() string) (page, func(*htmlWriter)) {
		return layoutOf(s), paymentsHTML(paymentsData{Upload: true})
	}},
	{"messages, one conversation", func(c *Console, s func() string) (page, func(*htmlWriter)) {
		at := c.d.Now()
		d := &messagesData{Phone: s(), Typed: s(), Text: s(), CanSend: true,
			Lines: []line{{At: at, In: true, Text: s()}, {At: at, Text: s(), State: s()}}}
		return layoutOf(s), c.messagesHTML(d)
	}},
	{"messages, latest conversations", func(c *Console, s func() string) (page, func(*htmlWriter)) {
		d := &messagesData{Typed: s(), Recent: []conversation{{Phone: s(), Last: c.d.Now(), Count: 2}, {Phone: s(), Count: 1}}}
		return layoutOf(s), c.messagesHTML(d)
	}},
	{"disburse", func(c *Console, s func() string) (page, func(*htmlWriter)) {
		b := batchRow{Batch: Batch{BatchView: disburse.BatchView{ID: 7, State: store.BatchState(s()), Staff: s(), CreatedBy: s(), Total: s(),
			ApprovedBy: s()}}, Counts: s(), Built: s()}
		loan := waitingRow{ApprovedLoan: ApprovedLoan{ID: 501, AccountNo: s(), Client: s(), Group: s(), Phone: s()}, Money: s(), Typed: s(), Checked: true}
		noPhone := waitingRow{ApprovedLoan: ApprovedLoan{ID: 503, AccountNo: s(), Client: s()}, Money: s()}
		inBatch := waitingRow{ApprovedLoan: ApprovedLoan{ID: 502, AccountNo: s(), Client: s(), Phone: s(), Batch: 7}, Money: s()}
		return layoutOf(s), c.disburseHTML(&disburseData{Batches: []batchRow{b}, Capped: true, Staff: true, CanBuild: true,
			Loans: []waitingRow{loan, noPhone, inBatch}, Limit: s(), Problems: []string{s()}})
	}},
	{"disburse, no right", func(c *Console, s func() string) (page, func(*htmlWriter)) {
		return layoutOf(s), c.disburseHTML(&disburseData{Staff: true, NoRight: s()})
	}},
	{"disburse batch", func(c *Console, s func() string) (page, func(*htmlWriter)) {
		at := c.d.Now()
		v := disburse.BatchView{ID: 7, State: store.BatchState(s()), Staff: s(), CreatedBy: s(), Total: s(), Limit: s(),
			ApprovedBy: s(), ApprovedAt: &at, SentBy: s(), SentAt: &at,
			Lines: []disburse.LineView{
				{ID: 12, AccountNo: s(), Client: s(), Phone: s(), Amount: s(), State: store.LineState(s()), Confirmation: s(), Reason: s(),
					FineractTxnID: 901, Conflict: s()},
				{ID: 13, AccountNo: s(), Client: s(), Phone: s(), Amount: s(), State: store.LineUnknown, Reason: s(), Ref: s(), Posted: store.JournalState(s())},
			},
			Audit: []disburse.AuditView{{At: at, Who: s(), What: s()}, {At: at, Line: 12, Who: s(), What: s()}}}
		d := &batchData{Batch: Batch{BatchView: v, Digest: s()}, Counts: s(), CanApprove: true, CanSend: true, CanCancel: true, CanFix: true,
			Waits: s(), Built: s(), Approved: s(), Sent: s(), LineTimes: []string{s(), s()}, AuditTimes: []string{s(), s()}, AllSteps: true}
		return layoutOf(s), batchHTML(d)
	}},
	{"disburse batch, unknown line without the right", func(c *Console, s func() string) (page, func(*htmlWriter)) {
		v := disburse.BatchView{ID: 7, Lines: []disburse.LineView{{ID: 13, State: store.LineUnknown, Ref: s()}},
			Audit: []disburse.AuditView{{Who: s(), What: s()}, {Line: 13, What: "hidden"}}}
		return layoutOf(s), batchHTML(&batchData{Batch: Batch{BatchView: v}, LineTimes: []string{s()}, AuditTimes: []string{s(), ""}})
	}},
	{"reminders, preview", func(c *Console, s func() string) (page, func(*htmlWriter)) {
		d := &remindersData{Group: s(), Staff: s(), CanSend: true,
			Run: &ReminderRun{List: []Reminder{{Name: s(), Phone: s(), AccountNo: s(), Overdue: s(), Meeting: s(), Text: s()}}}}
		return layoutOf(s), remindersHTML(d)
	}},
	{"reminders, queued", func(c *Console, s func() string) (page, func(*htmlWriter)) {
		d := &remindersData{Group: s(), Staff: s(), Run: &ReminderRun{Summary: s(), Queued: true}}
		return layoutOf(s), remindersHTML(d)
	}},
}

// TestHostileValuesStayText renders each page twice: once with a harmless
// placeholder in every string, once with a hostile value in every string.
// Parsed as a browser would, both pages must have the same elements and
// attributes, and the hostile page must show each value exactly where the
// placeholder was, as text.
func TestHostileValuesStayText(t *testing.T) {
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	c := &Console{d: Deps{Now: func() time.Time { return now }, Location: time.UTC}}
	render := func(f fixture, s func() string) string {
		p, body := f.page(c, s)
		var h htmlWriter
		c.layout(&h, p, body)
		return h.String()
	}
	for _, f := range fixtures {
		var placeholders []string
		benign := render(f, func() string {
			placeholders = append(placeholders, fmt.Sprintf("zq%02dzq", len(placeholders)))
			return placeholders[len(placeholders)-1]
		})
		want := parse(t, benign)
		for _, ph := range placeholders {
			if !strings.Contains(benign, ph) {
				t.Errorf("%s: value %s is not on the page; the fixture tests nothing with it", f.name, ph)
			}
		}
		for _, v := range hostile {
			out := render(f, func() string { return v })
			if strings.Contains(strings.ToLower(out), "<script") {
				t.Errorf("%s with %q: unescaped <script:\n%s", f.name, v, out)
			}
			got := parse(t, out)
			// In the page's text and attributes a NUL shows as U+FFFD (as
			// the HTML parser makes it anyway); in a link's query it is
			// %00 and reads back as itself.
			shown := strings.NewReplacer("\x00", "\uFFFD").Replace(v)
			expect := func(s string, inURL bool) string {
				r := shown
				if inURL {
					r = v
				}
				for _, ph := range placeholders {
					s = strings.ReplaceAll(s, ph, r)
				}
				return s
			}
			if len(got) != len(want) {
				t.Errorf("%s with %q: %d nodes, want %d: the value broke out of its place:\n%s", f.name, v, len(got), len(want), out)
				continue
			}
			for i := range want {
				w, g := want[i], got[i]
				if w.kind != g.kind || w.tag != g.tag || !slices.Equal(w.keys(), g.keys()) {
					t.Errorf("%s with %q: node %d is %s, want %s:\n%s", f.name, v, i, g, w, out)
					break
				}
				if g.text != expect(w.text, false) {
					t.Errorf("%s with %q: text %q, want %q", f.name, v, g.text, expect(w.text, false))
				}
				for k, a := range w.attrs {
					if isLink(a.Key) {
						gl, err := link(g.attrs[k].Val)
						if err != nil {
							t.Errorf("%s with %q: %s=%q: %v", f.name, v, a.Key, g.attrs[k].Val, err)
						} else if wl, _ := link(a.Val); gl != expect(wl, true) {
							t.Errorf("%s with %q: %s goes to %q, want %q", f.name, v, a.Key, gl, expect(wl, true))
						}
					} else if g.attrs[k].Val != expect(a.Val, false) {
						t.Errorf("%s with %q: %s=%q, want %q", f.name, v, a.Key, g.attrs[k].Val, expect(a.Val, false))
					}
				}
			}
		}
	}
}

// node is an element or a text, in document order.
type node struct {
	kind  html.NodeType
	tag   string
	attrs []html.Attribute
	text  string
}

func (n node) keys() []string {
	var k []string
	for _, a := range n.attrs {
		k = append(k, a.Key)
	}
	return k
}

func (n node) String() string {
	if n.kind == html.TextNode {
		return fmt.Sprintf("text %q", n.text)
	}
	return fmt.Sprintf("<%s %v>", n.tag, n.keys())
}

// parse reads a page as a browser does and lists its nodes.
func parse(t *testing.T, page string) []node {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	var out []node
	for n := range doc.Descendants() {
		switch n.Type {
		case html.ElementNode:
			out = append(out, node{kind: n.Type, tag: n.Data, attrs: n.Attr})
		case html.TextNode:
			out = append(out, node{kind: n.Type, text: n.Data})
		case html.CommentNode:
			t.Errorf("a comment in the page: %q", n.Data)
		}
	}
	return out
}

func isLink(attr string) bool { return attr == "href" || attr == "action" }

// link checks that an href or action stays on the console and writes it
// decoded: path, then each query value.
func link(s string) (string, error) {
	u, err := url.Parse(s)
	if err != nil {
		return "", err
	}
	if u.Scheme != "" || u.Host != "" || u.Opaque != "" || !strings.HasPrefix(u.Path, "/console/") {
		return "", fmt.Errorf("not a console page: scheme %q host %q path %q", u.Scheme, u.Host, u.Path)
	}
	q := u.Query()
	out := u.Path
	for _, k := range slices.Sorted(maps.Keys(q)) {
		out += " " + k + "=" + strings.Join(q[k], ",")
	}
	return out, nil
}

// FuzzEscapedStaysText: any valid text, written as an element's text and
// as an attribute value, is read back by an HTML parser as that text, in
// one element with one attribute.
func FuzzEscapedStaysText(f *testing.F) {
	for _, v := range hostile {
		f.Add(v)
	}
	f.Add("")
	f.Add("a\r\nb")
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			t.Skip("the pages get valid UTF-8: handlers check forms, Go strings from Fineract's JSON are valid")
		}
		var h htmlWriter
		h.raw("<p")
		h.attr("title", s)
		h.raw(">")
		h.text(s)
		h.raw("</p>")
		doc, err := html.ParseFragment(strings.NewReader(h.String()), &html.Node{Type: html.ElementNode, Data: "div", DataAtom: atom.Div})
		if err != nil {
			t.Fatal(err)
		}
		// What a parser does to any input: NUL is U+FFFD, line ends are \n.
		want := strings.NewReplacer("\x00", "\uFFFD", "\r\n", "\n", "\r", "\n").Replace(s)
		if len(doc) != 1 || doc[0].Data != "p" || len(doc[0].Attr) != 1 || doc[0].Attr[0].Key != "title" || doc[0].Attr[0].Val != want {
			t.Fatalf("%q written as %q parses to something else", s, h.String())
		}
		text := ""
		for n := range doc[0].Descendants() {
			if n.Type != html.TextNode {
				t.Fatalf("%q written as %q makes a %v node", s, h.String(), n.Type)
			}
			text += n.Data
		}
		if text != want {
			t.Fatalf("%q written as %q reads back as %q", s, h.String(), text)
		}
	})
}

func TestLinksEscapeTheirValues(t *testing.T) {
	for _, tc := range []struct {
		u    pageURL
		want string
	}{
		{pathTo("/console/loans/", "41", "/approve"), "/console/loans/41/approve"},
		{pathTo("/console/loans/", "../../x?y#z", "/approve"), "/console/loans/..%2F..%2Fx%3Fy%23z/approve"},
		{pathTo("/console/loans/", "javascript:alert(1)", ""), "/console/loans/javascript:alert%281%29"},
		{queryTo("/console/messages", url.Values{"phone": {"+256 7&x=1"}}), "/console/messages?phone=%2B256+7%26x%3D1"},
	} {
		if tc.u.s != tc.want {
			t.Errorf("link %q, want %q", tc.u.s, tc.want)
		}
	}
}
