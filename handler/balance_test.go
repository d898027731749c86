package handler

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mifos-edge/mifos-edge/mifos"
	"github.com/mifos-edge/mifos-edge/officer"
	"github.com/mifos-edge/mifos-edge/pdu"
	"github.com/mifos-edge/mifos-edge/store"
)

// fakeAPI is an in-memory Fineract answering what BAL asks (balanceAPI).
type fakeAPI struct {
	mu       sync.Mutex
	phones   map[string][]mifos.ClientHit // keyed by the stored mobileNo form
	accounts map[int64]mifos.Accounts
	loans    map[int64]mifos.Loan
	today    mifos.Date
	fail     error // returned by every call while set
	calls    map[string]int
}

func (f *fakeAPI) call(name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls[name]++
	return f.fail
}

func (f *fakeAPI) count(name string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[name]
}

func (f *fakeAPI) setFail(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail = err
}

func (f *fakeAPI) BusinessDate(context.Context) (mifos.Date, error) {
	if err := f.call("BusinessDate"); err != nil {
		return mifos.Date{}, err
	}
	return f.today, nil
}

func (f *fakeAPI) ClientsByPhone(_ context.Context, p string) ([]mifos.ClientHit, error) {
	if err := f.call("ClientsByPhone"); err != nil {
		return nil, err
	}
	return f.phones[p], nil
}

func (f *fakeAPI) ClientAccounts(_ context.Context, id int64) (mifos.Accounts, error) {
	if err := f.call("ClientAccounts"); err != nil {
		return mifos.Accounts{}, err
	}
	a, ok := f.accounts[id]
	if !ok {
		return mifos.Accounts{}, &mifos.Error{Status: 404, Code: "error.msg.client.id.invalid"}
	}
	return a, nil
}

func (f *fakeAPI) Loan(_ context.Context, id int64) (mifos.Loan, error) {
	if err := f.call(fmt.Sprintf("Loan/%d", id)); err != nil {
		return mifos.Loan{}, err
	}
	l, ok := f.loans[id]
	if !ok {
		return mifos.Loan{}, &mifos.Error{Status: 404, Code: "error.msg.loan.id.invalid"}
	}
	return l, nil
}

var errNetwork = errors.New("dial tcp 10.0.0.5:8443: connect: no route to host")

func amt(s string) mifos.Amount {
	// "14250.50" -> millionths, exactly.
	whole, frac, _ := strings.Cut(s, ".")
	frac = (frac + "000000")[:6]
	// Base 10: Sscan would read the "05" of "10.05" as octal.
	w, _ := strconv.ParseInt(whole, 10, 64)
	f, _ := strconv.ParseInt(frac, 10, 64)
	return mifos.Amount(w*1_000_000 + f)
}

var kes = mifos.Currency{Code: "KES", DecimalPlaces: 2}

// aminaAPI is docs/fineract.md §4's example: client 42 stored as 0712345678, loan 981 with
// 2,375.00 overdue since 2024-09-05 (business date 2024-09-26), a newer loan
// with nothing overdue, a closed and a pending loan, one active and one
// closed savings account.
func aminaAPI() *fakeAPI {
	return &fakeAPI{
		calls: map[string]int{},
		today: mifos.Date{Year: 2024, Month: 9, Day: 26},
		phones: map[string][]mifos.ClientHit{
			"0712345678": {{ID: 42, DisplayName: "Amina Odhiambo", MobileNo: "0712345678", StatusID: 300}},
		},
		accounts: map[int64]mifos.Accounts{42: {
			Loans: []mifos.LoanSummary{
				{ID: 990, AccountNo: "000000990", ProductName: "Kilimo 12M", StatusID: 300, Currency: kes, LoanBalance: amt("30000"), ActualDisbursementDate: mifos.Date{Year: 2024, Month: 8, Day: 20}},
				{ID: 500, AccountNo: "000000500", ProductName: "Old Loan", StatusID: 600, Currency: kes, ActualDisbursementDate: mifos.Date{Year: 2023, Month: 1, Day: 5}},
				{ID: 981, AccountNo: "000000981", ProductName: "Biashara 6M", StatusID: 300, Currency: kes, LoanBalance: amt("14250.50"), InArrears: true, ActualDisbursementDate: mifos.Date{Year: 2024, Month: 6, Day: 5}},
				{ID: 600, AccountNo: "000000600", ProductName: "Pending Loan", StatusID: 100, Currency: kes, LoanBalance: amt("50000")},
			},
			Savings: []mifos.SavingsSummary{
				{ID: 78, AccountNo: "000000078", ProductName: "Closed Savings", StatusID: 600, Currency: kes, AccountBalance: amt("999")},
				{ID: 77, AccountNo: "000000077", ProductName: "Voluntary Savings", StatusID: 300, Currency: kes, AccountBalance: amt("3150")},
			},
		}},
		loans: map[int64]mifos.Loan{
			981: {ID: 981, AccountNo: "000000981", StatusID: 300, ClientID: 42, ClientName: "Amina Odhiambo", Currency: kes,
				TotalOutstanding: amt("14250.50"),
				Periods: []mifos.Period{
					{Number: 1, DueDate: mifos.Date{Year: 2024, Month: 7, Day: 5}, Complete: true, TotalDue: amt("3400")},
					{Number: 2, DueDate: mifos.Date{Year: 2024, Month: 8, Day: 5}, Complete: true, TotalDue: amt("3400")},
					{Number: 3, DueDate: mifos.Date{Year: 2024, Month: 9, Day: 5}, TotalDue: amt("3400"), TotalOutstanding: amt("2375")},
					{Number: 4, DueDate: mifos.Date{Year: 2024, Month: 10, Day: 5}, TotalDue: amt("3400"), TotalOutstanding: amt("3400")},
					{Number: 5, DueDate: mifos.Date{Year: 2024, Month: 11, Day: 5}, TotalDue: amt("3400"), TotalOutstanding: amt("3400")},
				}},
			990: {ID: 990, AccountNo: "000000990", StatusID: 300, ClientID: 42, ClientName: "Amina Odhiambo", Currency: kes,
				TotalOutstanding: amt("30000"),
				Periods: []mifos.Period{
					{Number: 1, DueDate: mifos.Date{Year: 2024, Month: 9, Day: 20}, Complete: true, TotalDue: amt("2750")},
					{Number: 2, DueDate: mifos.Date{Year: 2024, Month: 10, Day: 20}, TotalDue: amt("2750"), TotalOutstanding: amt("2750")},
				}},
		},
	}
}

// The replies as the SMS command card words them, written out here so that
// a wrong word in the catalogue fails these tests.
const (
	notRegisteredEnglish = "This phone is not registered. Please contact your branch."
	notRegisteredSwahili = "Simu hii haijasajiliwa. Tafadhali wasiliana na tawi lako."
	ambiguousEnglish     = "This phone is registered to more than one client. Please contact your branch."
	tryLaterEnglish      = "We cannot reach the office system now. Please try again later."
	failedEnglish        = "Sorry, your balance is not available now. Please contact your branch."
	pinUnsetEnglish      = "PIN balance enquiries are not set up. Please contact your branch."
	pinWrongEnglish      = "Wrong PIN. Send BAL followed by your PIN, for example BAL 482613."
)

const aminaEnglish = "Amina Odhiambo: L1 Biashara 6M: balance KES 14,250.50, next KES 2,375.00 due Thu 5 Sep, OVERDUE KES 2,375.00; " +
	"L2 Kilimo 12M: balance KES 30,000.00, next KES 2,750.00 due Sun 20 Oct; S1 Voluntary Savings: KES 3,150.00."

const aminaSwahili = "Amina Odhiambo: L1 Biashara 6M: deni KES 14,250.50, kinachofuata KES 2,375.00 tarehe Alhamisi 5 Sep, IMECHELEWA KES 2,375.00; " +
	"L2 Kilimo 12M: deni KES 30,000.00, kinachofuata KES 2,750.00 tarehe Jumapili 20 Okt; S1 Voluntary Savings: akiba KES 3,150.00."

type balanceFixture struct {
	api    *fakeAPI
	db     *store.DB
	env    *Env
	bal    Balance
	now    time.Time
	online bool
}

func newBalanceFixture(t *testing.T, api *fakeAPI, lang string) *balanceFixture {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "state.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	texts, err := NewTexts(lang, nil)
	if err != nil {
		t.Fatal(err)
	}
	f := &balanceFixture{api: api, db: db, now: time.Date(2024, 9, 26, 11, 5, 0, 0, time.UTC), online: true}
	f.env = &Env{DB: db, Texts: texts, Country: "KE",
		Now: func() time.Time { return f.now }, Online: func() bool { return f.online }}
	f.bal = Balance{Env: f.env, API: api}
	return f
}

func (f *balanceFixture) ask(t *testing.T, from, text string) string {
	t.Helper()
	res := f.bal.Handle(context.Background(), Request{From: from, Text: text, ReceivedAt: f.now})
	if len(res.Replies) != 1 {
		t.Fatalf("%d replies, want 1: %+v", len(res.Replies), res)
	}
	if res.Replies[0].To != "" {
		t.Fatalf("reply addressed to %q, want the sender", res.Replies[0].To)
	}
	return res.Replies[0].Text
}

func checkTwoSMS(t *testing.T, text string) {
	t.Helper()
	chunks, ucs2 := pdu.Split(text)
	if len(chunks) > 2 || ucs2 {
		t.Errorf("reply needs %d SMS (ucs2=%v), want at most two GSM-7 parts: %q", len(chunks), ucs2, text)
	}
}

func TestBalanceRegisteredPhoneStoredNationally(t *testing.T) {
	for _, from := range []string{"+254712345678", "0712345678", "254712345678"} {
		f := newBalanceFixture(t, aminaAPI(), "en")
		got := f.ask(t, from, "BAL")
		if got != aminaEnglish {
			t.Errorf("from %s:\n got %q\nwant %q", from, got, aminaEnglish)
		}
		checkTwoSMS(t, got)
		// Closed and pending loans are never read, let alone shown.
		if n := f.api.count("Loan/500") + f.api.count("Loan/600"); n != 0 {
			t.Errorf("inactive loans fetched %d times", n)
		}
	}
}

func TestBalanceRegisteredPhoneStoredE164(t *testing.T) {
	api := aminaAPI()
	api.phones = map[string][]mifos.ClientHit{
		"+254712345678": {{ID: 42, DisplayName: "Amina Odhiambo", MobileNo: "+254712345678", StatusID: 300}},
	}
	f := newBalanceFixture(t, api, "en")
	if got := f.ask(t, "0712345678", "balance"); got != aminaEnglish {
		t.Errorf("got %q", got)
	}
}

func TestBalanceSwahili(t *testing.T) {
	f := newBalanceFixture(t, aminaAPI(), "sw")
	got := f.ask(t, "+254712345678", "SALIO")
	if got != aminaSwahili {
		t.Errorf("\n got %q\nwant %q", got, aminaSwahili)
	}
	checkTwoSMS(t, got)
	f.api.phones = nil
	if got := f.ask(t, "+254799999999", "salio"); got != notRegisteredSwahili {
		t.Errorf("Swahili not-registered = %q", got)
	}
}

func TestBalanceUnregisteredGetsNoFigures(t *testing.T) {
	api := aminaAPI()
	// An inactive client and a loose search match must not count either.
	api.phones["0722000001"] = []mifos.ClientHit{{ID: 43, DisplayName: "Pending Client", MobileNo: "0722000001", StatusID: 100}}
	api.phones["0733000002"] = []mifos.ClientHit{{ID: 42, DisplayName: "Amina Odhiambo", MobileNo: "0712345678", StatusID: 300}}
	f := newBalanceFixture(t, api, "en")
	for _, from := range []string{"+254799999999", "+254722000001", "+254733000002", "MPESA"} {
		if got := f.ask(t, from, "BAL"); got != notRegisteredEnglish {
			t.Errorf("from %s: got %q, want the not-registered text", from, got)
		}
	}
	if n := api.count("ClientAccounts"); n != 0 {
		t.Errorf("accounts fetched %d times for unregistered phones", n)
	}
	if regexp.MustCompile(`[0-9]`).MatchString(catalogs["en"]["bal.notregistered"]) {
		t.Error("the not-registered text itself contains a digit")
	}
}

func TestBalanceAmbiguousPhone(t *testing.T) {
	api := aminaAPI()
	api.phones["+254712345678"] = []mifos.ClientHit{{ID: 77, DisplayName: "Someone Else", MobileNo: "+254712345678", StatusID: 300}}
	f := newBalanceFixture(t, api, "en")
	if got := f.ask(t, "+254712345678", "BAL"); got != ambiguousEnglish {
		t.Errorf("got %q", got)
	}
	if _, ok, _ := f.db.PhoneClient("+254712345678"); ok {
		t.Error("an ambiguous lookup was cached")
	}
}

func TestBalanceFetchScheduleFigures(t *testing.T) {
	f := newBalanceFixture(t, aminaAPI(), "en")
	v, err := f.bal.Fetch(context.Background(), 42)
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Loans) != 2 || len(v.Savings) != 1 {
		t.Fatalf("view has %d loans, %d savings: %+v", len(v.Loans), len(v.Savings), v)
	}
	l1 := v.Loans[0]
	if l1.LoanID != 981 || l1.Outstanding != amt("14250.50") || l1.Overdue != amt("2375") ||
		l1.NextDue != (mifos.Date{Year: 2024, Month: 9, Day: 5}) || l1.NextAmount != amt("2375") || l1.Decimals != 2 || l1.Currency != "KES" {
		t.Errorf("L1 = %+v", l1)
	}
	if l2 := v.Loans[1]; l2.LoanID != 990 || l2.Overdue != 0 || l2.NextDue != (mifos.Date{Year: 2024, Month: 10, Day: 20}) {
		t.Errorf("L2 = %+v", l2)
	}
	if s := v.Savings[0]; s.SavingsID != 77 || s.Balance != amt("3150") {
		t.Errorf("S1 = %+v", s)
	}
	if v.Name != "Amina Odhiambo" { // from the loan: no cached phone entry names the client
		t.Errorf("name = %q", v.Name)
	}
	if _, at, ok, err := f.db.Snapshot(42); err != nil || !ok || !at.Equal(f.now) {
		t.Errorf("Fetch stored no snapshot: ok=%v at=%v err=%v", ok, at, err)
	}
}

func TestBalanceOverdueFollowsBusinessDate(t *testing.T) {
	api := aminaAPI()
	// On the due date itself nothing is overdue yet. The box's clock is a
	// day later: a business date a day behind is still "today".
	api.today = mifos.Date{Year: 2024, Month: 9, Day: 5}
	f := newBalanceFixture(t, api, "en")
	f.now = time.Date(2024, 9, 6, 11, 5, 0, 0, time.UTC)
	got := f.ask(t, "+254712345678", "BAL")
	if strings.Contains(got, "OVERDUE") {
		t.Errorf("overdue shown on the due date: %q", got)
	}
	if !strings.Contains(got, "next KES 2,375.00 due Thu 5 Sep") {
		t.Errorf("next instalment missing: %q", got)
	}
}

func TestBalanceOfflineUsesSnapshotWithAsOf(t *testing.T) {
	for _, mode := range []string{"network error", "503", "known offline", "cache expired"} {
		t.Run(mode, func(t *testing.T) {
			f := newBalanceFixture(t, aminaAPI(), "en")
			if got := f.ask(t, "+254712345678", "BAL"); got != aminaEnglish {
				t.Fatalf("live reply %q", got)
			}
			at := f.now
			f.now = f.now.Add(3 * time.Hour)
			switch mode {
			case "network error":
				f.api.setFail(errNetwork)
			case "503":
				f.api.setFail(&mifos.Error{Status: 503, Code: "error.msg.platform.service.unavailable"})
			case "known offline":
				f.online = false
			case "cache expired":
				// Offline for days: the phone mapping is stale but still the client's.
				f.now = at.Add(72 * time.Hour)
				f.api.setFail(errNetwork)
			}
			before := f.api.count("ClientAccounts")
			got := f.ask(t, "+254712345678", "BAL")
			want := "As of " + at.Local().Format("Mon 2 Jan 15:04") + ". " + aminaEnglish
			if got != want {
				t.Errorf("\n got %q\nwant %q", got, want)
			}
			checkTwoSMS(t, got)
			if mode == "known offline" && f.api.count("ClientAccounts") != before {
				t.Error("Fineract called although known to be offline")
			}
		})
	}
}

func TestBalanceOfflineWithoutSnapshot(t *testing.T) {
	f := newBalanceFixture(t, aminaAPI(), "en")
	f.api.setFail(errNetwork)
	// Phone never seen: nothing to go on.
	if got := f.ask(t, "+254712345678", "BAL"); got != tryLaterEnglish {
		t.Errorf("unknown phone offline: %q", got)
	}
	// Phone known but no snapshot yet.
	if err := f.db.PutPhoneClient(store.PhoneClient{Phone: "+254712345678", ClientID: 42, Name: "Amina Odhiambo", CheckedAt: f.now}); err != nil {
		t.Fatal(err)
	}
	if got := f.ask(t, "+254712345678", "BAL"); got != tryLaterEnglish {
		t.Errorf("known phone, no snapshot: %q", got)
	}
}

func TestBalanceClearErrorIsNotAnsweredFromSnapshot(t *testing.T) {
	f := newBalanceFixture(t, aminaAPI(), "en")
	f.ask(t, "+254712345678", "BAL")
	// A permission error is a real answer, not an outage: no stale figures.
	f.api.setFail(&mifos.Error{Status: 403, Code: "error.msg.not.authorized"})
	if got := f.ask(t, "+254712345678", "BAL"); got != failedEnglish {
		t.Errorf("got %q", got)
	}
}

func TestBalanceNeverMixesLiveAndSnapshot(t *testing.T) {
	f := newBalanceFixture(t, aminaAPI(), "en")
	f.ask(t, "+254712345678", "BAL")
	// Live: loan 981 now reads 1.00 less, but loan 990 cannot be read.
	l := f.api.loans[981]
	l.TotalOutstanding -= amt("1")
	f.api.loans[981] = l
	f.bal.API = &failingLoanAPI{fakeAPI: f.api, loanID: 990}
	got := f.ask(t, "+254712345678", "BAL")
	if strings.Contains(got, "14,249.50") || !strings.Contains(got, "14,250.50") || !strings.HasPrefix(got, "As of ") {
		t.Errorf("reply mixes a live figure into the snapshot: %q", got)
	}
}

// failingLoanAPI times out reading one loan.
type failingLoanAPI struct {
	*fakeAPI
	loanID int64
}

func (f *failingLoanAPI) Loan(ctx context.Context, id int64) (mifos.Loan, error) {
	if id == f.loanID {
		return mifos.Loan{}, context.DeadlineExceeded
	}
	return f.fakeAPI.Loan(ctx, id)
}

func TestBalanceCachesPhoneLookups(t *testing.T) {
	f := newBalanceFixture(t, aminaAPI(), "en")
	f.ask(t, "+254712345678", "BAL")
	searches := f.api.count("ClientsByPhone")
	if searches == 0 {
		t.Fatal("first BAL did not search Fineract")
	}
	f.now = f.now.Add(time.Hour)
	if got := f.ask(t, "+254712345678", "BAL"); got != aminaEnglish {
		t.Errorf("cached reply %q", got)
	}
	if n := f.api.count("ClientsByPhone"); n != searches {
		t.Errorf("second BAL searched again (%d searches, want %d)", n, searches)
	}
	f.now = f.now.Add(24 * time.Hour)
	f.ask(t, "+254712345678", "BAL")
	if n := f.api.count("ClientsByPhone"); n == searches {
		t.Error("mapping older than CacheFor was not re-checked")
	}

	// "Not registered" is cached only 10 minutes.
	f.ask(t, "+254799999999", "BAL")
	searches = f.api.count("ClientsByPhone")
	f.now = f.now.Add(5 * time.Minute)
	f.ask(t, "+254799999999", "BAL")
	if n := f.api.count("ClientsByPhone"); n != searches {
		t.Errorf("not-registered result not cached (%d searches, want %d)", n, searches)
	}
	// The client registers at the branch; within minutes BAL works.
	f.api.phones["0799999999"] = []mifos.ClientHit{{ID: 42, DisplayName: "Amina Odhiambo", MobileNo: "0799999999", StatusID: 300}}
	f.now = f.now.Add(6 * time.Minute)
	if got := f.ask(t, "+254799999999", "BAL"); got != aminaEnglish {
		t.Errorf("after registration: %q", got)
	}
}

func TestBalanceLookupClientReportsOutcomes(t *testing.T) {
	f := newBalanceFixture(t, aminaAPI(), "en")
	ctx := context.Background()
	hit, ok, err := f.bal.LookupClient(ctx, "0712345678")
	if err != nil || !ok || hit.ID != 42 {
		t.Errorf("registered: %+v %v %v", hit, ok, err)
	}
	if _, ok, err := f.bal.LookupClient(ctx, "+254700000000"); err != nil || ok {
		t.Errorf("unregistered: ok=%v err=%v", ok, err)
	}
	p, ok, err := f.db.PhoneClient("+254700000000")
	if err != nil || !ok || !p.NotRegistered {
		t.Errorf("negative result not cached: %+v %v %v", p, ok, err)
	}
	f.api.setFail(errNetwork)
	if _, _, err := f.bal.LookupClient(ctx, "+254711111111"); err == nil {
		t.Error("unreachable Fineract reported as not registered")
	}
}

func TestBalanceFitsTwoSMSWithManyAccounts(t *testing.T) {
	for _, n := range []int{3, 4, 8} {
		api := aminaAPI()
		a := api.accounts[42]
		for i := range n {
			id := int64(2000 + i)
			a.Loans = append(a.Loans, mifos.LoanSummary{ID: id, AccountNo: fmt.Sprint(id), ProductName: "Group Loan Premium Product", StatusID: 300, Currency: kes,
				ActualDisbursementDate: mifos.Date{Year: 2024, Month: 9, Day: 1 + i}})
			api.loans[id] = mifos.Loan{ID: id, StatusID: 300, Currency: kes, TotalOutstanding: amt(fmt.Sprintf("%d1234.56", i+1)),
				Periods: []mifos.Period{{Number: 1, DueDate: mifos.Date{Year: 2024, Month: 9, Day: 2}, TotalOutstanding: amt("1000.25")},
					{Number: 2, DueDate: mifos.Date{Year: 2024, Month: 10, Day: 2}, TotalOutstanding: amt("1000.25")}}}
		}
		api.accounts[42] = a
		f := newBalanceFixture(t, api, "en")
		got := f.ask(t, "+254712345678", "BAL")
		checkTwoSMS(t, got)
		// Every figure present is whole, and the loans shown are the oldest.
		total := n + 2
		shown := strings.Count(got, ": balance ")
		if !strings.Contains(got, "14,250.50") || !strings.Contains(got, "L1: balance") {
			t.Errorf("%d extra loans: oldest loan missing or product names kept: %q", n, got)
		}
		for i := range min(n, shown-2) {
			if !strings.Contains(got, fmt.Sprintf("%d1,234.56", i+1)) {
				t.Errorf("%d extra loans: loan %d figure cut: %q", n, i, got)
			}
		}
		if shown < total && !strings.Contains(got, fmt.Sprintf("%d more accounts", total-shown+1)) {
			t.Errorf("%d extra loans: %d of %d loans shown without saying how many more: %q", n, shown, total, got)
		}
		if shown == total && strings.Contains(got, "more accounts") {
			t.Errorf("all shown but 'more' announced: %q", got)
		}
	}
}

func TestBalanceRenderEdgeCases(t *testing.T) {
	f := newBalanceFixture(t, aminaAPI(), "en")
	if got := f.bal.Render(View{ClientID: 1, Name: "X"}, false); got != "You have no active loans or savings." {
		t.Errorf("no accounts: %q", got)
	}
	// A name that needs UCS2 is left out rather than halving the capacity.
	v := View{ClientID: 1, Name: "Zoë 李", Savings: []SavingsView{{SavingsID: 1, Currency: "UGX", Decimals: 0, Balance: amt("1500000")}}}
	got := f.bal.Render(v, false)
	if got != "S1: UGX 1,500,000." {
		t.Errorf("UCS2 name / zero-decimal currency: %q", got)
	}
	checkTwoSMS(t, got)
}

func TestBalanceRefreshAll(t *testing.T) {
	api := aminaAPI()
	api.accounts[7] = mifos.Accounts{Savings: []mifos.SavingsSummary{{ID: 5, StatusID: 300, Currency: kes, AccountBalance: amt("10.05")}}}
	f := newBalanceFixture(t, api, "en")
	for _, p := range []store.PhoneClient{
		{Phone: "+254712345678", ClientID: 42, Name: "Amina Odhiambo", CheckedAt: f.now},
		{Phone: "+254722222222", ClientID: 7, Name: "Juma", CheckedAt: f.now},
		{Phone: "+254733333333", NotRegistered: true, CheckedAt: f.now},
	} {
		if err := f.db.PutPhoneClient(p); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.bal.RefreshAll(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, id := range []int64{42, 7} {
		if _, at, ok, err := f.db.Snapshot(id); err != nil || !ok || !at.Equal(f.now) {
			t.Errorf("client %d: snapshot ok=%v at=%v err=%v", id, ok, at, err)
		}
	}
	// Offline: stop at the first client instead of timing out on each.
	before := api.count("ClientAccounts")
	api.setFail(errNetwork)
	if err := f.bal.RefreshAll(context.Background()); err == nil {
		t.Error("refresh while offline reported success")
	}
	if n := api.count("ClientAccounts") - before; n != 1 {
		t.Errorf("offline refresh tried %d clients, want 1", n)
	}
	api.setFail(nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	before = api.count("ClientAccounts")
	if err := f.bal.RefreshAll(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled refresh: %v", err)
	}
	if api.count("ClientAccounts") != before {
		t.Error("cancelled refresh still called Fineract")
	}
}

func TestBalanceRequireClientPIN(t *testing.T) {
	f := newBalanceFixture(t, aminaAPI(), "en")
	f.env.RequireClientPIN = true
	if got := f.ask(t, "+254712345678", "BAL 1234"); got != pinUnsetEnglish {
		t.Errorf("no PIN set: got %q", got)
	}
	if f.api.count("ClientAccounts") != 0 {
		t.Error("figures fetched although the client has no PIN")
	}
	hash, err := officer.HashPIN("482613", f.env.Pepper)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.env.DB.PutClientPIN(42, hash); err != nil {
		t.Fatal(err)
	}
	for _, text := range []string{"BAL", "BAL 123456", "BAL 4826133"} {
		if got := f.ask(t, "+254712345678", text); got != pinWrongEnglish {
			t.Errorf("%q: got %q", text, got)
		}
	}
	if f.api.count("ClientAccounts") != 0 {
		t.Error("figures fetched with a wrong PIN")
	}
	if got := f.ask(t, "+254712345678", "bal 482613"); got != aminaEnglish {
		t.Errorf("right PIN: got %q", got)
	}
}

func TestBalanceKeywordsDispatch(t *testing.T) {
	f := newBalanceFixture(t, aminaAPI(), "en")
	r := NewRegistry(Unknown{Env: f.env})
	r.Register(f.bal)
	for _, text := range []string{"BAL", "bal", "  Balance  ", "salio", "SALIO "} {
		res := r.Dispatch(context.Background(), Request{From: "+254712345678", Text: text})
		if len(res.Replies) != 1 || res.Replies[0].Text != aminaEnglish {
			t.Errorf("%q: %+v", text, res.Replies)
		}
	}
}
