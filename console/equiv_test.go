package console

import (
	"bytes"
	"html"
	"html/template"
	"math/rand/v2"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mifos-edge/mifos-edge/mifos"
	"github.com/mifos-edge/mifos-edge/modem"
	"github.com/mifos-edge/mifos-edge/store"
)

// Temporary: the hand-written pages against the templates they replace.
type oldPage struct {
	Title  string
	Tab    string
	User   *store.ConsoleSession
	Notice string
	Error  string
	Data   any
}

var hrefRE = regexp.MustCompile(`href="/console/messages\?phone=([^"]*)"`)

type signinData struct{ Username string }

func normHref(s string) string {
	return hrefRE.ReplaceAllStringFunc(s, func(m string) string {
		v := strings.TrimPrefix(html.UnescapeString(hrefRE.FindStringSubmatch(m)[1]), "phone=")
		d, err := url.QueryUnescape(v)
		if err != nil {
			return m
		}
		return `href="PHONE:` + d + `"`
	})
}

func TestPagesSameAsTemplates(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	pool := []string{"", "Akello", "<script>alert(1)</script>", `"'&+<>`, "javascript:alert(1)", "a\u2028b", "a\x00b", "+256772000001", "x y", "ü", "MTN Uganda"}
	s := func() string { return pool[rng.IntN(len(pool))] }
	b := func() bool { return rng.IntN(2) == 0 }
	n := func() int { return rng.IntN(4) }
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	tm := func() time.Time {
		switch rng.IntN(3) {
		case 0:
			return time.Time{}
		case 1:
			return now.Add(-time.Hour)
		}
		return now.Add(-72 * time.Hour)
	}
	c := &Console{d: Deps{Now: func() time.Time { return now }, Location: time.UTC}}
	parse := func(name string) *template.Template {
		return template.Must(template.New("layout.html").Funcs(template.FuncMap{"when": c.when}).ParseFS(os.DirFS("."), "templates/layout.html", "templates/"+name+".html"))
	}
	pages := map[string]*template.Template{}
	for _, p := range []string{"signin", "status", "loans", "money", "messages", "reminders"} {
		pages[p] = parse(p)
	}
	for i := range 3000 {
		p := page{Title: s(), Tab: []string{"status", "loans", "money", "messages", "reminders", ""}[rng.IntN(6)], Notice: s(), Error: s()}
		if b() {
			p.User = &store.ConsoleSession{Username: s(), OfficeName: s(), Offline: b()}
		}
		var name string
		var data any
		var body func(*htmlWriter)
		switch i % 7 {
		case 0:
			name = "signin"
			u := s()
			data, body = signinData{Username: u}, signinHTML(u)
		case 1:
			name = "status"
			d := statusData{Status: Status{Started: tm(), Modem: modem.Status{State: modem.State(s()), LastError: s(), SignalText: s(), RegistrationText: s(), Operator: s(), StorageUsed: n(), StorageTotal: n(), LastOK: tm(), Reconnects: n()},
				Store:  store.Stats{Pending: n(), Handled: n(), Parked: n(), Queued: n(), Submitting: n(), Submitted: n(), Unknown: n(), Failed: n(), Journal: store.JournalStats{Pending: n(), Posting: n(), Done: n(), AwaitingApproval: n(), Failed: n()}},
				Oldest: store.Oldest{Inbox: tm(), Outbox: tm(), Journal: tm()},
				Link:   Link{Configured: b(), Online: b(), LastSuccess: tm(), LastError: s(), LastErrorAt: tm(), CheckedAt: tm()}}}
			for range n() {
				d.Link.Checks = append(d.Link.Checks, Check{Name: s()})
			}
			for range n() {
				d.Problems = append(d.Problems, Problem{What: s(), Do: s()})
			}
			data, body = d, c.statusHTML(d)
		case 2:
			name = "loans"
			d := &loansData{NeedPassword: b(), CanApprove: b(), CanReject: b(), Today: s()}
			for range n() {
				d.Loans = append(d.Loans, loanRow{PendingLoan: mifos.PendingLoan{ID: int64(rng.IntN(100)), AccountNo: s(), ClientName: s(), GroupName: s(), ProductName: s(), OfficerName: s(), Currency: mifos.Currency{Code: s()}, SubmittedOn: mifos.Date{Year: 2026, Month: 3, Day: 4}}, Amount: s(), Plain: s()})
			}
			data, body = d, loansHTML(d)
		case 3:
			name = "money"
			d := moneyData{Date: s()}
			rows := func() (out []postingRow) {
				for range n() {
					out = append(out, postingRow{JournalEntry: store.JournalEntry{ID: uint64(rng.IntN(100)), Currency: s(), ClientName: s(), AccountNo: s(), Date: s(), Kind: store.JournalKind(s()), State: store.JournalState(s())}, Money: s(), TxnIDs: s(), Why: s()})
				}
				return out
			}
			d.Failed, d.Today = rows(), rows()
			data, body = d, moneyHTML(d)
		case 4, 5:
			name = "messages"
			d := &messagesData{Typed: s(), Text: s(), CanSend: b()}
			if b() {
				d.Phone = s()
				for range n() {
					d.Lines = append(d.Lines, line{At: tm(), In: b(), Text: s(), State: s()})
				}
			} else {
				for range n() {
					d.Recent = append(d.Recent, conversation{Phone: s(), Last: tm(), Count: n()})
				}
			}
			data, body = d, c.messagesHTML(d)
		case 6:
			name = "reminders"
			d := &remindersData{Group: s(), Staff: s(), CanSend: b()}
			if b() || d.CanSend {
				d.Run = &ReminderRun{Summary: s(), Queued: b()}
				for range n() {
					d.Run.List = append(d.Run.List, Reminder{Name: s(), Phone: s(), AccountNo: s(), Overdue: s(), Meeting: s(), Text: s()})
				}
			}
			data, body = d, remindersHTML(d)
		}
		var want bytes.Buffer
		if err := pages[name].Execute(&want, oldPage{p.Title, p.Tab, p.User, p.Notice, p.Error, data}); err != nil {
			t.Fatal(err)
		}
		var h htmlWriter
		c.layout(&h, p, body)
		if got, w := normHref(h.String()), normHref(want.String()); got != w {
			k := 0
			for k < len(got) && k < len(w) && got[k] == w[k] {
				k++
			}
			t.Fatalf("%s page %d differs at %d:\n--- got\n%q\n--- want\n%q", name, i, k, got[max(0, k-200):min(len(got), k+100)], w[max(0, k-200):min(len(w), k+100)])
		}
	}
	// The status page when the box could not read its state.
	var want bytes.Buffer
	_ = pages["status"].Execute(&want, oldPage{Title: "Status", Error: "e"})
	var h htmlWriter
	c.layout(&h, page{Title: "Status", Error: "e"}, nil)
	if h.String() != want.String() {
		t.Fatalf("nil data differs:\n%s\n---\n%s", h.String(), want.String())
	}
}
