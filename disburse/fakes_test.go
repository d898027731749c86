package disburse

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/mifos-edge/mifos-edge/mifos"
	"github.com/mifos-edge/mifos-edge/store"
)

// Stand-ins for Fineract, an operator's API and an operator's SMS
// interface, in memory, recording what they were asked.

var kes = mifos.Currency{Code: "KES", DecimalPlaces: 2, InMultiplesOf: 1}

// officer is the loan officer whose loans the tests pay.
const officer = int64(14)

// fakeFineract answers LoanApplication and Client from maps, like
// Fineract: an unknown id is its own 404 answer; down makes every call
// fail like a dead link.
type fakeFineract struct {
	mu      sync.Mutex
	loans   map[int64]mifos.LoanApplication
	clients map[int64]mifos.Client
	down    error
	calls   int
}

func newFakeFineract() *fakeFineract {
	return &fakeFineract{loans: map[int64]mifos.LoanApplication{}, clients: map[int64]mifos.Client{}}
}

// approvedLoan adds loan id of officer 14, approved for KES 5,000.00, its
// client id+1000 with mobile number 07120000<id>.
func (f *fakeFineract) approvedLoan(id int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.loans[id] = mifos.LoanApplication{PendingLoan: mifos.PendingLoan{ID: id, AccountNo: fmt.Sprintf("%09d", id), ClientID: id + 1000,
		ClientName: fmt.Sprintf("Wanjiku Kamau%d", id), Principal: 5000_000000, Currency: kes, OfficerID: officer, OfficerName: "Grace Wanjiru"},
		StatusID: mifos.StatusApproved, ApprovedPrincipal: 5000_000000}
	f.clients[id+1000] = mifos.Client{ID: id + 1000, DisplayName: fmt.Sprintf("Wanjiku Kamau%d", id), MobileNo: fmt.Sprintf("07120000%02d", id%100), StatusID: 300}
}

func (f *fakeFineract) setLoan(id int64, change func(l *mifos.LoanApplication)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	l := f.loans[id]
	change(&l)
	f.loans[id] = l
}

func (f *fakeFineract) setClient(id int64, change func(c *mifos.Client)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.clients[id]
	change(&c)
	f.clients[id] = c
}

func (f *fakeFineract) setDown(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.down = err
}

func notFound() error {
	return &mifos.Error{Status: 404, Code: mifos.CodeNotFound, Message: "resource not found"}
}

func (f *fakeFineract) LoanApplication(_ context.Context, id int64) (mifos.LoanApplication, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.down != nil {
		return mifos.LoanApplication{}, f.down
	}
	l, ok := f.loans[id]
	if !ok {
		return l, notFound()
	}
	return l, nil
}

func (f *fakeFineract) Client(_ context.Context, id int64) (mifos.Client, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.down != nil {
		return mifos.Client{}, f.down
	}
	c, ok := f.clients[id]
	if !ok {
		return c, notFound()
	}
	return c, nil
}

// fakeProvider is an operator's API: Submit takes the next scripted
// answer for the order's ref (default: accepted) and records every call;
// Query answers from what it paid, or a scripted result.
type fakeProvider struct {
	mu       sync.Mutex
	submits  []Order
	answers  map[string][]error // per ref, in turn; nil = accepted
	queries  []string           // refs asked about
	query    map[string]Result  // scripted query results per ref
	queryErr error
	n        int
}

func newFakeProvider() *fakeProvider {
	return &fakeProvider{answers: map[string][]error{}, query: map[string]Result{}}
}

// answer scripts the next Submit answers for ref.
func (p *fakeProvider) answer(ref string, errs ...error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.answers[ref] = append(p.answers[ref], errs...)
}

func (p *fakeProvider) Submit(_ context.Context, o Order) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.submits = append(p.submits, o)
	if a := p.answers[o.Ref]; len(a) > 0 {
		p.answers[o.Ref] = a[1:]
		if a[0] != nil {
			return "", a[0]
		}
	}
	p.n++
	return "AG_" + strconv.Itoa(p.n), nil
}

func (p *fakeProvider) Query(_ context.Context, o Order, _ string) (Result, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.queries = append(p.queries, o.Ref)
	if p.queryErr != nil {
		return Result{}, p.queryErr
	}
	if r, ok := p.query[o.Ref]; ok {
		return r, nil
	}
	return Result{Ref: o.Ref, Outcome: NoRecord}, nil
}

// submitted counts the Submit calls for ref.
func (p *fakeProvider) submitted(ref string) (calls int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, o := range p.submits {
		if o.Ref == ref {
			calls++
		}
	}
	return calls
}

// operatorNumber is where payment commands go and replies come from.
const operatorNumber = "+254700100100"

// fakeCommander is an operator's SMS interface: the command carries the
// PIN; a reply reads "Confirmed <code>[ Ksh<amount>][ to <phone>]" or
// "Failed: <reason>", and only from the operator's number counts.
type fakeCommander struct{ commandErr error }

var (
	replyOK   = regexp.MustCompile(`^Confirmed (\w+)(?: Ksh([0-9.]+))?(?: to (\+?\d+))?`)
	replyFail = regexp.MustCompile(`^Failed: (.+)$`)
)

func (c *fakeCommander) Command(o Order) (string, string, error) {
	if c.commandErr != nil {
		return "", "", c.commandErr
	}
	return operatorNumber, fmt.Sprintf("PAY %s %s PIN 4321 REF %s", mifos.Amount(o.Amount).Format(2), o.Phone, o.Ref), nil
}

func (c *fakeCommander) Reply(from, text string, received time.Time) (Result, bool) {
	if from != operatorNumber {
		return Result{}, false
	}
	if m := replyOK.FindStringSubmatch(text); m != nil {
		r := Result{Outcome: Paid, Confirmation: m[1], At: received, Phone: m[3], Via: "reply SMS"}
		if m[2] != "" {
			a, err := mifos.ParseAmount(m[2])
			if err != nil {
				return Result{}, false
			}
			r.Amount = int64(a)
		}
		return r, true
	}
	if m := replyFail.FindStringSubmatch(text); m != nil {
		return Result{Outcome: NotPaid, Reason: m[1], At: received, Via: "reply SMS"}, true
	}
	return Result{}, false
}

// clock is the engine's clock, moved by the test.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// quiet drops the logs: the tests check the records, not the words logged.
var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

var today = mifos.Date{Year: 2026, Month: 3, Day: 2}

// rig is a box: its store, Fineract, a builder and an engine.
type rig struct {
	t         *testing.T
	db        *store.DB
	api       *fakeFineract
	provider  *fakeProvider
	commander *fakeCommander
	clk       *clock
	bd        *Builder
	eng       *Engine
	journaled int
	sent      int
}

func newRig(t *testing.T, commander bool) *rig {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "state.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	r := &rig{t: t, db: db, api: newFakeFineract(), clk: &clock{t: time.Now()}}
	r.bd = &Builder{DB: db, API: r.api, Country: "KE", BoxID: "box-1",
		Policy: Policy{
			// Staff 14 may send KES 10,000.00 alone; anyone else nothing.
			LimitOf: func(staff int64) int64 { return map[int64]int64{officer: 10000_000000}[staff] },
			MaxLine: 8000_000000,
			Approver: func(user string) (int64, bool) {
				staff, ok := map[string]int64{"mary": 20, "grace": officer}[user]
				return staff, ok
			},
		},
		OfficerPhone: func(staff int64) string { return "+2547110000" + strconv.FormatInt(staff, 10) },
		Sent:         func() { r.sent++ },
		Log:          quiet,
	}
	r.eng = &Engine{DB: db, API: r.api, Country: "KE", PaymentTypeID: 9, Today: func(context.Context) mifos.Date { return today },
		ResultWait: 2 * time.Minute, QueryEvery: 5 * time.Minute, Now: r.clk.Now, Journaled: func() { r.journaled++ }, Log: quiet}
	if commander {
		r.commander = &fakeCommander{}
		r.eng.Commander = r.commander
	} else {
		r.provider = newFakeProvider()
		r.eng.Provider = r.provider
	}
	return r
}

// sending builds and sends a batch of the loans (each approved in Fineract).
func (r *rig) sending(loans ...int64) (store.DisburseBatch, []store.DisburseLine) {
	r.t.Helper()
	items := make([]Item, 0, len(loans))
	for _, id := range loans {
		r.api.approvedLoan(id)
		items = append(items, Item{LoanID: id, Amount: 1000_000000})
	}
	b, lines, err := r.bd.Create(context.Background(), officer, items, "staff 14 Grace Wanjiru (cli)", "grace")
	if err != nil {
		r.t.Fatalf("build: %v", err)
	}
	if b, err = r.bd.Send(b.ID, "grace"); err != nil {
		r.t.Fatalf("send: %v", err)
	}
	return b, lines
}

func (r *rig) step() { r.eng.Step(context.Background()) }

func (r *rig) line(id uint64) store.DisburseLine {
	r.t.Helper()
	l, err := r.db.DisburseLine(id)
	if err != nil {
		r.t.Fatal(err)
	}
	return l
}

func (r *rig) batch(id uint64) store.DisburseBatch {
	r.t.Helper()
	b, _, err := r.db.DisburseBatch(id)
	if err != nil {
		r.t.Fatal(err)
	}
	return b
}

func (r *rig) journal() []store.JournalEntry {
	r.t.Helper()
	all, err := r.db.ListJournal("", 0)
	if err != nil {
		r.t.Fatal(err)
	}
	return all
}

// toOfficer lists the SMS queued to the officer's phone.
func (r *rig) toOfficer() []store.Outbound {
	r.t.Helper()
	all, err := r.db.ListOutbound("", 0)
	if err != nil {
		r.t.Fatal(err)
	}
	var out []store.Outbound
	for _, o := range all {
		if o.To == "+254711000014" {
			out = append(out, o)
		}
	}
	return out
}

func (r *rig) report(res Result) {
	r.t.Helper()
	if err := r.eng.Report(context.Background(), res); err != nil {
		r.t.Fatalf("report %+v: %v", res, err)
	}
}

// post settles line l's disbursement in the journal as Fineract would.
func (r *rig) post(l store.DisburseLine, txn int64) {
	r.t.Helper()
	if err := r.db.SettleJournal(l.Journal, store.JournalDone, []int64{txn}, "disbursed", nil); err != nil {
		r.t.Fatal(err)
	}
}

// modemSent plays the daemon's sender on command SMS id: the modem took it.
func (r *rig) modemSent(id uint64) {
	r.t.Helper()
	if err := errors.Join(r.db.MarkSubmitting(id, 0), r.db.MarkPartSubmitted(id, 0, 7, 1)); err != nil {
		r.t.Fatal(err)
	}
}
