package handler_test

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mifos-edge/mifos-edge/fineractsim"
	"github.com/mifos-edge/mifos-edge/handler"
	"github.com/mifos-edge/mifos-edge/mifos"
	"github.com/mifos-edge/mifos-edge/officer"
	"github.com/mifos-edge/mifos-edge/pdu"
	"github.com/mifos-edge/mifos-edge/phone"
	"github.com/mifos-edge/mifos-edge/posting"
	"github.com/mifos-edge/mifos-edge/store"
)

// The in-process specs of the SMS command card (docs/sms-commands.md): the
// handlers against the Fineract stand-in over real HTTP and a real bbolt
// store, with no modem and no binary. Every handled message is applied as
// the daemon applies it (one transaction), and postings go through the real
// posting worker when a spec needs Fineract's answer. Expected replies are
// written out in the specs, never rendered with the catalogue under test.

const (
	pin       = "482613"
	officerPh = fineractsim.SeedPeterPhone
	// A second office with its own officer and client.
	otherOffice  = 2
	otherStaff   = 99
	otherClient  = 100
	otherSavings = 500
)

// The business date every spec starts on: a Monday. The seed's group 7
// (Umoja) meets on Wednesdays, so its next meeting is 2026-03-04.
var (
	specDay     = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	meetingDay  = time.Date(2026, 3, 4, 0, 0, 0, 0, time.UTC)
	specMorning = time.Date(2026, 3, 2, 9, 0, 0, 0, time.Local)
)

var pepper = officer.Pepper{ID: "0badc0de", Key: []byte("a pepper of thirty-two bytes....")}

type spec struct {
	t   *testing.T
	fin *fineractsim.Server
	db  *store.DB
	env *handler.Env
	reg *handler.Registry
	now time.Time
	// next is the id of the latest message handled; the first is 1.
	next uint64
	// last is the result of the latest message handled.
	last handler.Result
	// offline is what env.Online answers inverted: the daemon's view of
	// whether Fineract answered recently.
	offline bool

	workerOnce sync.Once
	worker     *posting.Worker
	settled    chan struct{}
}

// newSpec starts the seeded stand-in on specDay, an empty store with the
// seed's loan officer enrolled under pin, and the registry the daemon uses.
// The clock is specMorning and moves only when a spec moves it; env is
// shared with the handlers, so a spec may change its settings afterwards.
func newSpec(t *testing.T, money handler.MoneyRules) *spec {
	t.Helper()
	return newSpecWith(t, money, fineractsim.Options{BusinessDate: specDay})
}

// newSpecWith is newSpec on a stand-in started with opts (its request log
// off), for specs of Fineract's dates and setup.
func newSpecWith(t *testing.T, money handler.MoneyRules, opts fineractsim.Options) *spec {
	t.Helper()
	opts.NoRequestLog = true
	fin, err := fineractsim.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fin.Close() })
	fin.Seed()
	fin.AddOffice(otherOffice, "Kakamega Branch")
	fin.AddStaff(fineractsim.Staff{ID: otherStaff, Firstname: "Other", Lastname: "Officer", OfficeID: otherOffice, IsLoanOfficer: true})
	fin.AddClient(fineractsim.Client{ID: otherClient, Firstname: "Zawadi", Lastname: "Njeri", MobileNo: "+254799000100",
		StaffID: otherStaff, OfficeID: otherOffice, ActivationDate: specDay.AddDate(-1, 0, 0)})
	fin.AddSavings(fineractsim.Savings{ID: otherSavings, ClientID: otherClient, ProductName: "Akiba"})
	api, err := mifos.New(mifos.Config{BaseURL: fin.URL(), Tenant: "default", Username: "mifos", Password: "password"})
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(filepath.Join(t.TempDir(), "state.db"), store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s := &spec{t: t, fin: fin, db: db, now: specMorning}
	s.enrol(officerPh, fineractsim.SeedStaffPeter, "Peter Otieno", pin)
	texts, err := handler.NewTexts("en", nil)
	if err != nil {
		t.Fatal(err)
	}
	s.env = &handler.Env{DB: db, API: api, Texts: texts, Country: "KE", PaymentTypeID: 1, Box: "SPEC",
		PINs: officer.Policy{Zone: time.Local}, Pepper: pepper, Money: money,
		Now:    func() time.Time { return s.now },
		Online: func() bool { return !s.offline }}
	s.reg = handler.Default(s.env)
	return s
}

// enrol enrols an officer's phone for staff with pin.
func (s *spec) enrol(ph string, staff int64, name, pin string) {
	s.t.Helper()
	hash, err := officer.HashPIN(pin, pepper)
	if err != nil {
		s.t.Fatal(err)
	}
	if err := s.db.AddOfficer(store.Officer{Phone: ph, StaffID: staff, Name: name, PINHash: hash}); err != nil {
		s.t.Fatal(err)
	}
}

// send handles text from the officer's phone; it returns the reply texts.
func (s *spec) send(text string) []string {
	s.t.Helper()
	return s.sendFrom(officerPh, pdu.SenderInternational, text)
}

// sendFrom handles text from number, of the type the network gave it, and
// applies the result as the daemon does; it returns the reply texts.
func (s *spec) sendFrom(number string, typ pdu.SenderType, text string) []string {
	s.t.Helper()
	s.next++
	res := s.dispatch(s.request(s.next, number, typ, text))
	s.apply(res)
	var out []string
	for _, r := range res.Replies {
		if r.To != "" {
			s.t.Fatalf("%q: a reply addressed to %s, not the sender", text, r.To)
		}
		noISODate(s.t, r.Text)
		out = append(out, r.Text)
	}
	return out
}

func (s *spec) request(id uint64, number string, typ pdu.SenderType, text string) handler.Request {
	sender := phone.Identify(number, typ, "KE")
	return handler.Request{MessageID: id, From: sender.E164, Sender: sender, Text: text, ReceivedAt: s.now}
}

// dispatch handles req without applying the result.
func (s *spec) dispatch(req handler.Request) handler.Result {
	s.t.Helper()
	res := s.reg.Dispatch(context.Background(), req)
	if res.Retry {
		s.t.Fatalf("%q asked to be retried: %s", req.Text, res.Note)
	}
	s.last = res
	return res
}

// apply commits what a result must make durable, as the daemon does in
// the transaction that marks the message handled.
func (s *spec) apply(res handler.Result) {
	s.t.Helper()
	if res.Apply == nil {
		return
	}
	if err := s.db.Update(res.Apply); err != nil {
		s.t.Fatalf("apply: %v", err)
	}
}

func (s *spec) journal() []store.JournalEntry {
	s.t.Helper()
	all, err := s.db.ListJournal("", 0)
	if err != nil {
		s.t.Fatal(err)
	}
	// Oldest first: the order the specs write them in.
	slices.SortFunc(all, func(a, b store.JournalEntry) int { return cmp.Compare(a.ID, b.ID) })
	return all
}

// queued is every SMS waiting in the outbox (reminders, confirmations):
// replies to the sender are returned by send, not queued here.
func (s *spec) queued() []sms {
	s.t.Helper()
	out, err := s.db.ListOutbound(store.OutQueued, 0)
	if err != nil {
		s.t.Fatal(err)
	}
	var list []sms
	for _, o := range out {
		noISODate(s.t, o.Text)
		list = append(list, sms{o.To, o.Text})
	}
	return list
}

// sms is one outbound message as the specs compare it.
type sms struct{ To, Text string }

// post runs the posting worker until every journal entry has settled and
// returns the outbox then. It waits on the worker's settle events.
func (s *spec) post() []sms {
	s.t.Helper()
	s.workerOnce.Do(s.startWorker)
	s.worker.Nudge()
	deadline := time.NewTimer(30 * time.Second)
	defer deadline.Stop()
	for !s.allSettled() {
		select {
		case <-s.settled:
		case <-deadline.C:
			s.t.Fatalf("postings did not settle: %+v", s.journal())
		}
	}
	return s.queued()
}

func (s *spec) allSettled() bool {
	for _, j := range s.journal() {
		if j.State.Open() {
			return false
		}
	}
	return true
}

// startWorker wires the posting worker as the daemon does: confirmations
// from the handlers' Env, unresolved entries resolved by it.
func (s *spec) startWorker() {
	s.settled = make(chan struct{}, 1)
	s.worker = posting.New(posting.Options{
		DB: s.db, API: s.env.API.(posting.Fineract), PaymentTypeID: 1, Workers: 2,
		MinBackoff: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond, ProbeInterval: 20 * time.Millisecond,
		ApprovalInterval: 20 * time.Millisecond,
		Logger:           slog.New(slog.DiscardHandler),
		Resolve:          s.resolve,
		BalanceAfter:     s.env.BalanceAfter,
		Settled: func(_ context.Context, e store.JournalEntry, batch []store.JournalEntry) []store.Outbound {
			return s.env.Confirmations(e, batch)
		},
		AfterSettle: func(store.JournalEntry) {
			select {
			case s.settled <- struct{}{}:
			default:
			}
		},
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.worker.Run(ctx)
	}()
	// Registered after the store's and the stand-in's: runs before them.
	s.t.Cleanup(func() {
		cancel()
		<-done
	})
}

// resolve is the daemon's resolution of an entry journaled offline: a
// refusal is final and told to the officer in the reply's words.
func (s *spec) resolve(ctx context.Context, e store.JournalEntry) (store.JournalEntry, error) {
	out, err := s.env.ResolveJournal(ctx, e)
	var perm interface{ Permanent() bool }
	if err != nil && errors.As(err, &perm) && perm.Permanent() {
		return out, refusedOffline{s.env.Render(err)}
	}
	return out, err
}

type refusedOffline struct{ text string }

func (r refusedOffline) Error() string   { return r.text }
func (r refusedOffline) Permanent() bool { return true }

// entry is what the specs check of a journal entry.
type entry struct {
	Batch      uint64
	Kind       store.JournalKind
	AccountID  int64
	AccountNo  string
	Amount     int64 // millionths
	Currency   string
	Date       string
	ExternalID string
	Receipt    string
	ItemRef    string
	ClientID   int64
	ClientRef  string
}

func entryOf(j store.JournalEntry) entry {
	return entry{j.Batch, j.Kind, j.AccountID, j.AccountNo, j.Amount, j.Currency, j.Date, j.ExternalID, j.Receipt, j.ItemRef, j.ClientID, j.ClientRef}
}

// wantJournal fails unless the journal holds exactly want, in order.
func (s *spec) wantJournal(want ...entry) {
	s.t.Helper()
	var got []entry
	for _, j := range s.journal() {
		got = append(got, entryOf(j))
	}
	if !slices.Equal(got, want) {
		s.t.Fatalf("journal:\n got %s\nwant %s", entries(got), entries(want))
	}
}

func entries(list []entry) string {
	var b strings.Builder
	for _, e := range list {
		fmt.Fprintf(&b, "\n  %+v", e)
	}
	if len(list) == 0 {
		return "(none)"
	}
	return b.String()
}

// wantReplies fails unless got is exactly want.
func wantReplies(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Fatalf("%s:\n got %q\nwant %q", what, got, want)
	}
}

// wantNothingPosted fails if the journal holds anything.
func (s *spec) wantNothingPosted(what string) {
	s.t.Helper()
	if j := s.journal(); len(j) != 0 {
		s.t.Fatalf("%s journaled %d entries: %+v", what, len(j), j)
	}
}

// units is n whole currency units in millionths, as journal amounts are kept.
func units(n float64) int64 { return int64(n*100+0.5) * 10_000 }

// addClient adds an active client of the seed's officer and office.
func (s *spec) addClient(c fineractsim.Client) int64 {
	if c.StaffID == 0 {
		c.StaffID = fineractsim.SeedStaffPeter
	}
	if c.ActivationDate.IsZero() {
		c.ActivationDate = specDay.AddDate(-1, 0, 0)
	}
	return s.fin.AddClient(c)
}

// addLoan adds an active loan of one instalment of amount due on due.
func (s *spec) addLoan(id, client, group int64, disbursed, due time.Time, amount string) int64 {
	return s.fin.AddLoan(fineractsim.Loan{ID: id, ClientID: client, GroupID: group, ProductID: 9, ProductName: "Dharura",
		LoanOfficerID: fineractsim.SeedStaffPeter, Principal: fineractsim.MustAmount(amount), DisbursedOn: disbursed,
		Installments: []fineractsim.Installment{{DueDate: due, Principal: fineractsim.MustAmount(amount)}}})
}
