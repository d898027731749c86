package handler

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mifos-edge/mifos-edge/mifos"
)

// BAL over a slow uplink: what does not depend on each other is asked at
// once, with the same View, reply and error as asking one after another.

// gateWait is how long a gated call waits for its companions. It only runs
// out when the calls come one after another (the defect); then the call
// goes on and the test fails on gate.missed.
const gateWait = 3 * time.Second

// gatedAPI holds the calls named in held until want of them are in flight
// together, then lets them all go; later calls pass. Any call may fail or
// be slowed a little (jitter) to shuffle the order answers come back in.
type gatedAPI struct {
	*fakeAPI
	held   func(name string) bool
	want   int
	fail   map[string]error
	jitter bool

	mu        sync.Mutex
	inFlight  int
	maxFlight int
	opened    bool
	missed    bool
	open      chan struct{}
}

func gate(api *fakeAPI, want int, held func(string) bool) *gatedAPI {
	return &gatedAPI{fakeAPI: api, held: held, want: want, open: make(chan struct{})}
}

func (g *gatedAPI) enter(name string) error {
	if g.jitter {
		time.Sleep(time.Duration(rand.IntN(2000)) * time.Microsecond)
	}
	if g.held != nil && g.held(name) {
		g.mu.Lock()
		g.inFlight++
		g.maxFlight = max(g.maxFlight, g.inFlight)
		if g.inFlight >= g.want && !g.opened {
			g.opened = true
			close(g.open)
		}
		g.mu.Unlock()
		select {
		case <-g.open:
		case <-time.After(gateWait):
			g.mu.Lock()
			g.missed = true
			if !g.opened {
				g.opened = true
				close(g.open)
			}
			g.mu.Unlock()
		}
		defer func() {
			g.mu.Lock()
			g.inFlight--
			g.mu.Unlock()
		}()
	}
	if err := g.fail[name]; err != nil {
		g.fakeAPI.call(name) // counted like a call that was answered
		return err
	}
	return nil
}

func (g *gatedAPI) checkGate(t *testing.T, what string) {
	t.Helper()
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.missed || !g.opened {
		t.Errorf("%s: asked one after another, not together (at most %d in flight, want %d)", what, g.maxFlight, g.want)
	}
}

func (g *gatedAPI) BusinessDate(ctx context.Context) (mifos.Date, error) {
	if err := g.enter("BusinessDate"); err != nil {
		return mifos.Date{}, err
	}
	return g.fakeAPI.BusinessDate(ctx)
}

func (g *gatedAPI) ClientsByPhone(ctx context.Context, p string) ([]mifos.ClientHit, error) {
	if err := g.enter("ClientsByPhone"); err != nil {
		return nil, err
	}
	return g.fakeAPI.ClientsByPhone(ctx, p)
}

func (g *gatedAPI) ClientAccounts(ctx context.Context, id int64) (mifos.Accounts, error) {
	if err := g.enter("ClientAccounts"); err != nil {
		return mifos.Accounts{}, err
	}
	return g.fakeAPI.ClientAccounts(ctx, id)
}

func (g *gatedAPI) Loan(ctx context.Context, id int64) (mifos.Loan, error) {
	if err := g.enter(fmt.Sprintf("Loan/%d", id)); err != nil {
		return mifos.Loan{}, err
	}
	return g.fakeAPI.Loan(ctx, id)
}

func isLoan(name string) bool { return strings.HasPrefix(name, "Loan/") }

func TestBalanceReadsLoansTogether(t *testing.T) {
	api := aminaAPI()
	addLoans(api, 1) // three active loans
	f := newBalanceFixture(t, api, "en")
	g := gate(api, 3, isLoan)
	f.bal.API = g
	if _, err := f.bal.Fetch(context.Background(), 42); err != nil {
		t.Fatal(err)
	}
	g.checkGate(t, "three loans")
}

func TestBalanceReadsAccountsAndBusinessDateTogether(t *testing.T) {
	f := newBalanceFixture(t, aminaAPI(), "en")
	g := gate(f.api, 2, func(n string) bool { return n == "ClientAccounts" || n == "BusinessDate" })
	f.bal.API = g
	if _, err := f.bal.Fetch(context.Background(), 42); err != nil {
		t.Fatal(err)
	}
	g.checkGate(t, "accounts and business date")
}

func TestBalanceSearchesEveryFormOfThePhoneTogether(t *testing.T) {
	f := newBalanceFixture(t, aminaAPI(), "en")
	// +254712345678, 254712345678 and 0712345678.
	g := gate(f.api, 3, func(n string) bool { return n == "ClientsByPhone" })
	f.bal.API = g
	if got := f.ask(t, "+254712345678", "BAL"); got != aminaEnglish {
		t.Errorf("got %q", got)
	}
	g.checkGate(t, "the phone's three stored forms")
}

// A client who asks less often than the phone cache keeps a mapping has it
// checked again; the figures of the client it maps to are read meanwhile.
func TestBalanceRecheckOfAMappingOverlapsTheRead(t *testing.T) {
	f := newBalanceFixture(t, aminaAPI(), "en")
	f.ask(t, "+254712345678", "BAL")
	f.now = f.now.Add(25 * time.Hour)
	g := gate(f.api, 4, func(n string) bool { return n == "ClientsByPhone" || n == "ClientAccounts" })
	f.bal.API = g
	if got := f.ask(t, "+254712345678", "BAL"); got != aminaEnglish {
		t.Errorf("got %q", got)
	}
	g.checkGate(t, "the re-check and the client's accounts")
	if p, _, _ := f.db.PhoneClient("+254712345678"); !p.CheckedAt.Equal(f.now) {
		t.Errorf("mapping not re-checked: checked at %v", p.CheckedAt)
	}
}

// Figures read ahead for the old client are never sent once the number
// belongs to someone else, nor to a number no longer registered.
func TestBalanceRecheckThatChangesTheClientDiscardsTheRead(t *testing.T) {
	f := newBalanceFixture(t, aminaAPI(), "en")
	f.ask(t, "+254712345678", "BAL")
	f.now = f.now.Add(25 * time.Hour)
	f.api.accounts[43] = mifos.Accounts{Savings: []mifos.SavingsSummary{{ID: 5, AccountNo: "000000005", ProductName: "Akiba", StatusID: 300, Currency: kes, AccountBalance: amt("10.05")}}}
	f.api.phones = map[string][]mifos.ClientHit{"0712345678": {{ID: 43, DisplayName: "Baraka Mwangi", MobileNo: "0712345678", StatusID: 300}}}
	if got, want := f.ask(t, "+254712345678", "BAL"), "Baraka Mwangi: S1 Akiba: KES 10.05."; got != want {
		t.Errorf("number now of another client:\n got %q\nwant %q", got, want)
	}
	f.now = f.now.Add(25 * time.Hour)
	f.api.phones = nil
	if got := f.ask(t, "+254712345678", "BAL"); got != notRegisteredEnglish {
		t.Errorf("number taken off the client: %q", got)
	}
}

// sequentialFetch is fetch as it was before its reads were made parallel:
// the reference the parallel one must agree with.
func sequentialFetch(ctx context.Context, b Balance, clientID int64, name string) (View, error) {
	accts, err := b.api().ClientAccounts(ctx, clientID)
	if err != nil {
		return View{}, fmt.Errorf("accounts of client %d: %w", clientID, err)
	}
	today := b.Env.todayFrom(ctx, b.api())
	v := View{ClientID: clientID, Name: name, At: b.Env.now()}
	for _, ls := range accts.ActiveLoans() {
		l, err := b.api().Loan(ctx, ls.ID)
		if err != nil {
			return View{}, fmt.Errorf("loan %d: %w", ls.ID, err)
		}
		v.addLoan(ls, l, today)
	}
	v.addSavings(accts)
	return v, nil
}

// addLoans gives client 42 n more active loans, one with no currency of
// its own (the summary's is used) and one closed a moment ago (active in
// the summary, closed when read).
func addLoans(api *fakeAPI, n int) {
	a := api.accounts[42]
	for i := range n {
		id := int64(3000 + i)
		a.Loans = append(a.Loans, mifos.LoanSummary{ID: id, AccountNo: fmt.Sprint(id), ProductName: "Extra", StatusID: 300, Currency: kes,
			ActualDisbursementDate: mifos.Date{Year: 2024, Month: 9, Day: 1 + i%20}})
		l := mifos.Loan{ID: id, StatusID: 300, Currency: kes, TotalOutstanding: amt(fmt.Sprintf("%d00.25", i+1)),
			Periods: []mifos.Period{{Number: 1, DueDate: mifos.Date{Year: 2024, Month: 9, Day: 2 + i%20}, TotalOutstanding: amt("100.25")}}}
		switch i % 3 {
		case 1:
			l.Currency = mifos.Currency{}
		case 2:
			l.StatusID = 600
		}
		api.loans[id] = l
	}
	api.accounts[42] = a
}

func TestBalanceParallelReadGivesTheSequentialView(t *testing.T) {
	notAllowed := &mifos.Error{Status: 403, Code: "error.msg.not.authorized"}
	gone := &mifos.Error{Status: 404, Code: "error.msg.loan.id.invalid"}
	for _, tc := range []struct {
		name  string
		extra int
		fail  map[string]error
		named string
	}{
		{name: "two loans"},
		{name: "two loans, name given", named: "Amina O."},
		{name: "nine loans", extra: 7},
		{name: "a loan times out", extra: 7, fail: map[string]error{"Loan/3004": context.DeadlineExceeded}},
		{name: "a loan refused", fail: map[string]error{"Loan/981": notAllowed}},
		// The first failure in the accounts' order decides: 981 is older
		// than 990, and 3001 older than 3005.
		{name: "two loans fail differently", fail: map[string]error{"Loan/981": notAllowed, "Loan/990": errNetwork}},
		{name: "two of many fail", extra: 7, fail: map[string]error{"Loan/3005": errNetwork, "Loan/3001": gone}},
		{name: "accounts fail", fail: map[string]error{"ClientAccounts": errNetwork}},
		{name: "business date fails", fail: map[string]error{"BusinessDate": errNetwork}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for round := range 20 {
				api := aminaAPI()
				addLoans(api, tc.extra)
				f := newBalanceFixture(t, api, "en")
				g := &gatedAPI{fakeAPI: api, fail: tc.fail, jitter: true}
				f.bal.API = g
				want, wantErr := sequentialFetch(context.Background(), f.bal, 42, tc.named)
				// A fresh Env: no business date kept from the reference read.
				f.env = &Env{DB: f.db, Texts: f.env.Texts, Country: "KE", Now: f.env.Now, Online: f.env.Online}
				f.bal.Env = f.env
				got, err := f.bal.fetch(context.Background(), 42, tc.named)
				if fmt.Sprint(err) != fmt.Sprint(wantErr) || !errors.Is(err, errors.Unwrap(wantErr)) {
					t.Fatalf("round %d: error %v, want %v", round, err, wantErr)
				}
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("round %d:\n got %+v\nwant %+v", round, got, want)
				}
				if wantErr == nil && f.bal.Render(got, false) != f.bal.Render(want, false) {
					t.Fatalf("round %d: replies differ", round)
				}
			}
		})
	}
}

// A loan that cannot be read while the mapping is re-checked still means
// the whole snapshot, never live figures mixed into it.
func TestBalanceRecheckWithALoanUnreadableAnswersFromTheSnapshotWhole(t *testing.T) {
	f := newBalanceFixture(t, aminaAPI(), "en")
	f.ask(t, "+254712345678", "BAL")
	at := f.now
	f.now = f.now.Add(25 * time.Hour)
	l := f.api.loans[981]
	l.TotalOutstanding -= amt("1")
	f.api.loans[981] = l
	f.bal.API = &gatedAPI{fakeAPI: f.api, fail: map[string]error{"Loan/990": context.DeadlineExceeded}}
	got := f.ask(t, "+254712345678", "BAL")
	if want := "As of " + at.Local().Format("Mon 2 Jan 15:04") + ". " + aminaEnglish; got != want {
		t.Errorf("\n got %q\nwant %q", got, want)
	}
}

func TestInParallelRunsAtMostFourAtATime(t *testing.T) {
	const n = 10
	var mu sync.Mutex
	running, most := 0, 0
	started := make(chan struct{}, n)
	release := make(chan struct{})
	go inParallel(n, func(int) {
		mu.Lock()
		running++
		most = max(most, running)
		mu.Unlock()
		started <- struct{}{}
		<-release
		mu.Lock()
		running--
		mu.Unlock()
	})
	// Let one call go each time as many have started as the bound allows.
	have := 0
	for let := range n {
		for have < min(let+maxParallelReads, n) {
			select {
			case <-started:
				have++
			case <-time.After(gateWait):
				close(release)
				t.Fatalf("%d calls started with %d let go; want %d running together", have, let, maxParallelReads)
			}
		}
		release <- struct{}{}
	}
	mu.Lock()
	defer mu.Unlock()
	if most != maxParallelReads {
		t.Errorf("at most %d calls ran together, want %d", most, maxParallelReads)
	}
}

// The business date BAL reads is kept for the tenant's day, at most an
// hour; an answer that did not come is not kept.
func TestBalanceKeepsTheBusinessDateForTheDay(t *testing.T) {
	api := aminaAPI()
	f := newBalanceFixture(t, api, "en")
	f.env.Zone = time.UTC
	bal := func() {
		t.Helper()
		if _, err := f.bal.Fetch(context.Background(), 42); err != nil {
			t.Fatal(err)
		}
	}
	asked := func(want int, what string) {
		t.Helper()
		if n := api.count("BusinessDate"); n != want {
			t.Errorf("%s: business date asked %d times, want %d", what, n, want)
		}
	}
	f.now = time.Date(2024, 9, 26, 22, 0, 0, 0, time.UTC)
	bal()
	bal()
	asked(1, "two BALs a moment apart")
	f.now = f.now.Add(59 * time.Minute)
	bal()
	asked(1, "59 minutes later")
	f.now = f.now.Add(2 * time.Minute) // 23:01: kept an hour at most
	bal()
	asked(2, "61 minutes later")
	f.now = time.Date(2024, 9, 27, 0, 0, 30, 0, time.UTC) // the tenant's midnight
	bal()
	asked(3, "after the tenant's midnight")

	// No answer: asked again on the next BAL.
	f.now = f.now.Add(2 * time.Hour)
	g := &gatedAPI{fakeAPI: api, fail: map[string]error{"BusinessDate": errNetwork}}
	f.bal.API = g
	bal()
	bal()
	asked(5, "business date unreachable")
	// A tenant that never used the feature answers 404: that is an answer.
	g.fail = map[string]error{"BusinessDate": &mifos.Error{Status: 404, Code: "error.msg.business.date.not.found"}}
	f.now = f.now.Add(time.Minute)
	bal()
	bal()
	asked(6, "no business date in Fineract")
}

// The kept date is only for BAL's figures: a posting asks Fineract.
func TestPostingsDoNotUseTheKeptBusinessDate(t *testing.T) {
	api := aminaAPI()
	f := newBalanceFixture(t, api, "en")
	f.env.API = fullAPI{api}
	if _, err := f.bal.Fetch(context.Background(), 42); err != nil {
		t.Fatal(err)
	}
	api.today = mifos.Date{Year: 2024, Month: 9, Day: 27}
	if got := f.env.today(context.Background()); got != api.today {
		t.Errorf("a posting's today = %s, want Fineract's %s", got, api.today)
	}
}

// fullAPI is a Fineract whose calls other than BAL's are never made.
type fullAPI struct{ *fakeAPI }

func (fullAPI) ClientByRef(context.Context, string) (mifos.ClientHit, error) { panic("not used") }
func (fullAPI) Client(context.Context, int64) (mifos.Client, error)          { panic("not used") }
func (fullAPI) Savings(context.Context, int64) (mifos.Savings, error)        { panic("not used") }
func (fullAPI) Group(context.Context, int64) (mifos.Group, error)            { panic("not used") }
func (fullAPI) GroupsByStaff(context.Context, int64) ([]mifos.Group, error)  { panic("not used") }
func (fullAPI) Staff(context.Context, int64) (mifos.Staff, error)            { panic("not used") }
func (fullAPI) GenerateCollectionSheet(context.Context, int64, int64, mifos.Date) (mifos.CollectionSheet, error) {
	panic("not used")
}
