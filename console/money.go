package console

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/mifos-edge/mifos-edge/mifos"
	"github.com/mifos-edge/mifos-edge/store"
)

// How many journal entries the money page reads: enough for a branch's
// day, bounded so the page stays small on a phone.
const (
	moneyTodayScan = 500
	moneyFailed    = 100
)

type postingRow struct {
	store.JournalEntry
	Money  string // amount as people read it
	TxnIDs string // Fineract transaction ids, comma separated
	Why    string // why it failed, in plain words
}

type moneyData struct {
	Today  []postingRow
	Failed []postingRow
	Date   string
	// CanRequeue offers the requeue buttons.
	CanRequeue bool
	// Suspense is shown while mobile money is on (ShowSuspense); Writable
	// offers the assign forms.
	ShowSuspense, Writable bool
	Suspense               []suspenseRow
}

func row(e store.JournalEntry) postingRow {
	amount := e.Amount
	if e.PostedAmount != 0 {
		amount = e.PostedAmount
	}
	r := postingRow{JournalEntry: e, Money: mifos.Currency{Code: e.Currency, DecimalPlaces: e.Decimals}.Format(mifos.Amount(amount))}
	for i, id := range e.FineractTxnIDs {
		if i > 0 {
			r.TxnIDs += ", "
		}
		r.TxnIDs += strconv.FormatInt(id, 10)
	}
	r.Why = e.Refusal
	if r.Why == "" {
		r.Why = e.Outcome
	}
	if r.Why == "" {
		r.Why = e.LastError
	}
	return r
}

func (c *Console) moneyPage(w http.ResponseWriter, r *http.Request, s *session) {
	p := page{Title: "Money", Tab: "money", User: &s.ConsoleSession}
	switch q := r.URL.Query(); q.Get("m") {
	case "requeued":
		p.Notice = fmt.Sprintf("Posting %d is queued again; it is posted as soon as Mifos answers.", parseID(q.Get("id")))
	case "assigned":
		p.Notice = fmt.Sprintf("Payment %s is assigned to account %s; it is posted as soon as Mifos answers, and the client gets a receipt.",
			oneWord(q.Get("txn")), oneWord(q.Get("account")))
	}
	c.showMoney(w, s, http.StatusOK, p)
}

// showMoney renders today's postings (every state) and every failed one.
func (c *Console) showMoney(w http.ResponseWriter, s *session, status int, p page) {
	now := c.d.Now().In(c.d.Location)
	today := mifos.DateOf(now)
	data := moneyData{Date: today.String(), CanRequeue: c.may(s, requeueMoney)}
	all, err := c.d.DB.ListJournal("", moneyTodayScan)
	if err == nil {
		for _, e := range all {
			if mifos.DateOf(e.CreatedAt.In(c.d.Location)) != today {
				continue
			}
			if e.State != store.JournalFailed && e.SupersededBy == 0 {
				data.Today = append(data.Today, row(e))
			}
		}
		var failed []store.JournalEntry
		failed, err = c.d.DB.ListJournal(store.JournalFailed, moneyFailed)
		for _, e := range failed {
			data.Failed = append(data.Failed, row(e))
		}
	}
	if err == nil && c.d.Payments != nil {
		data.ShowSuspense, data.Writable = true, c.may(s, postMoney)
		data.Suspense, err = suspenseRows(c.d.DB)
	}
	if err != nil {
		c.d.Logger.Error("console money page failed", "err", err)
		p.Error = "The box could not read its postings; try again."
		status = http.StatusInternalServerError
	}
	c.render(w, status, p, moneyHTML(data))
}

// requeue puts a failed posting back in the queue, once a person fixed
// what made Fineract refuse it.
func (c *Console) requeue(w http.ResponseWriter, r *http.Request, s *session) {
	p := page{Title: "Money", Tab: "money", User: &s.ConsoleSession}
	if status, problem := c.refusal(s, requeueMoney); problem != "" {
		p.Error = problem
		c.showMoney(w, s, status, p)
		return
	}
	id := parseID(r.PathValue("id"))
	if id <= 0 {
		p.Error = "That posting number is not valid."
		c.showMoney(w, s, http.StatusBadRequest, p)
		return
	}
	if err := c.d.Box.RequeueJournal(uint64(id)); err != nil {
		switch {
		case errors.Is(err, store.ErrJournalPaymentReversed):
			p.Error = fmt.Sprintf("Posting %d is for a mobile-money payment the operator reversed; it must not be posted. Nothing was changed.", id)
			c.showMoney(w, s, http.StatusConflict, p)
		case errors.Is(err, store.ErrJournalState):
			p.Error = fmt.Sprintf("Posting %d is not failed (any more); nothing was changed.", id)
			c.showMoney(w, s, http.StatusConflict, p)
		case errors.Is(err, store.ErrNotFound):
			p.Error = fmt.Sprintf("There is no posting %d.", id)
			c.showMoney(w, s, http.StatusNotFound, p)
		default:
			c.d.Logger.Error("console requeue failed", "journal_id", id, "err", err)
			p.Error = "The box could not requeue the posting; try again."
			c.showMoney(w, s, http.StatusInternalServerError, p)
		}
		return
	}
	c.d.Logger.Info("console requeued a posting", "user", s.Username, "journal_id", id)
	seeOther(w, r, "/console/money?m=requeued&id="+strconv.FormatInt(id, 10))
}

// clock writes t for a person looking at now: the time alone when it is
// today, else date and time.
func clock(t, now time.Time) string {
	t = t.In(now.Location())
	if mifos.DateOf(t) == mifos.DateOf(now) {
		return t.Format("15:04")
	}
	return t.Format("2 Jan 15:04")
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// moneyHTML is the failed postings, each with its requeue button, then
// today's.
func moneyHTML(d moneyData) func(h *htmlWriter) {
	return func(h *htmlWriter) {
		// amount writes the posting's line: amount, client and loan.
		amount := func(r postingRow) {
			h.raw("<p><strong>")
			h.text(r.Money)
			h.raw(" ")
			h.text(r.Currency)
			h.raw("</strong> · ")
			h.text(r.ClientName)
			h.raw(" ")
			h.text(r.AccountNo)
		}
		h.raw("\n<section class=\"card\">\n<h2>Failed postings</h2>\n")
		if len(d.Failed) == 0 {
			h.raw(`<p class="ok">None.</p>`)
		}
		h.raw("\n")
		for _, r := range d.Failed {
			id := strconv.FormatUint(r.ID, 10)
			h.raw("\n<div class=\"item\">\n")
			amount(r)
			h.raw(" · ")
			h.text(r.Date)
			h.raw("</p>\n<p class=\"why\">")
			h.text(r.Why)
			h.raw("</p>\n")
			if d.CanRequeue {
				h.raw("<form method=\"post\"")
				h.link("action", pathTo("/console/money/", id, "/requeue"))
				h.raw("><button type=\"submit\">Requeue posting ")
				h.text(id)
				h.raw("</button></form>\n")
			}
			h.raw("</div>\n")
		}
		h.raw("\n</section>\n")
		if d.ShowSuspense {
			suspenseHTML(h, d.Suspense, d.Writable)
		}
		h.raw("<section class=\"card\">\n<h2>Today (")
		h.text(d.Date)
		h.raw(")</h2>\n")
		if len(d.Today) == 0 {
			h.raw("<p>No postings today.</p>")
		}
		h.raw("\n")
		for _, r := range d.Today {
			h.raw("\n<div class=\"item\">\n")
			amount(r)
			h.raw("</p>\n<p class=\"small\">")
			h.text(string(r.Kind))
			h.raw(" · ")
			h.text(string(r.State))
			h.suffix(" · Mifos transaction ", r.TxnIDs)
			h.raw("</p>\n</div>\n")
		}
		h.raw("\n</section>\n")
	}
}

// oneWord keeps a value echoed from the query to a short run of letters,
// digits and dashes (it is escaped anyway; this keeps the notice sane).
func oneWord(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == '-' || r == '.' || r >= '0' && r <= '9' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' {
			return r
		}
		return -1
	}, s)
	if len(s) > 40 {
		s = s[:40]
	}
	return s
}
