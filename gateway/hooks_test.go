package gateway

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mifos-edge/mifos-edge/handler"
	"github.com/mifos-edge/mifos-edge/mifos"
	"github.com/mifos-edge/mifos-edge/store"
)

// fakeFineract holds what Fineract would answer; down makes every read
// fail as an unreachable server does.
type fakeFineract struct {
	down    bool
	clients map[int64]mifos.Client
	loans   map[int64]mifos.Loan
	apps    map[int64]mifos.LoanApplication
	txns    map[int64]mifos.LoanTxn
	// loanTxns are each loan's transactions (LoanTransactions).
	loanTxns map[int64][]mifos.LoanTxn
	reads    int
}

func (f *fakeFineract) LoanTransactions(_ context.Context, loanID int64) ([]mifos.LoanTxn, error) {
	f.reads++
	if f.down {
		return nil, errDown
	}
	return f.loanTxns[loanID], nil
}

var errDown = errors.New("dial tcp 10.0.0.5:443: connect: connection refused")

func (f *fakeFineract) Client(_ context.Context, id int64) (mifos.Client, error) {
	f.reads++
	if f.down {
		return mifos.Client{}, errDown
	}
	c, ok := f.clients[id]
	if !ok {
		return c, &mifos.Error{Status: 404, Code: "error.msg.client.id.invalid"}
	}
	return c, nil
}

func (f *fakeFineract) Loan(_ context.Context, id int64) (mifos.Loan, error) {
	f.reads++
	if f.down {
		return mifos.Loan{}, errDown
	}
	l, ok := f.loans[id]
	if !ok {
		return l, &mifos.Error{Status: 404, Code: "error.msg.loan.id.invalid"}
	}
	return l, nil
}

func (f *fakeFineract) LoanApplication(_ context.Context, id int64) (mifos.LoanApplication, error) {
	f.reads++
	if f.down {
		return mifos.LoanApplication{}, errDown
	}
	a, ok := f.apps[id]
	if !ok {
		return a, &mifos.Error{Status: 404, Code: "error.msg.loan.id.invalid"}
	}
	return a, nil
}

func (f *fakeFineract) LoanTxn(_ context.Context, loanID, id int64) (mifos.LoanTxn, error) {
	f.reads++
	if f.down {
		return mifos.LoanTxn{}, errDown
	}
	t, ok := f.txns[id]
	if !ok {
		return t, &mifos.Error{Status: 404}
	}
	return t, nil
}

var kes = mifos.Currency{Code: "KES", DecimalPlaces: 2, DisplaySymbol: "KSh"}

func seededFineract() *fakeFineract {
	return &fakeFineract{
		clients: map[int64]mifos.Client{
			42: {ID: 42, DisplayName: "Amina Odhiambo", MobileNo: "0712345678"},
			43: {ID: 43, DisplayName: "Juma Bakari"}, // no mobile number
		},
		loans: map[int64]mifos.Loan{
			981: {ID: 981, AccountNo: "000000981", ClientID: 42, ProductName: "Biashara", Currency: kes,
				TotalOutstanding: mifos.Amount(11_500_000000), PrincipalDisbursed: mifos.Amount(10_000_000000),
				Periods: []mifos.Period{
					{Number: 1, DueDate: mifos.Date{Year: 2026, Month: 3, Day: 4}, Complete: true, TotalOutstanding: 0},
					{Number: 2, DueDate: mifos.Date{Year: 2026, Month: 3, Day: 11}, TotalOutstanding: mifos.Amount(2_875_000000)},
				}},
			982: {ID: 982, AccountNo: "000000982", ClientID: 43, Currency: kes},
			// Paid out by this box's mobile disbursement: its SMS went already.
			985: {ID: 985, AccountNo: "000000985", ClientID: 42, StatusID: 300, Currency: kes,
				TotalOutstanding: mifos.Amount(5_000_000000), PrincipalDisbursed: mifos.Amount(5_000_000000)},
			// Approved, then its disbursement undone: nothing disbursed.
			984: {ID: 984, AccountNo: "000000984", ClientID: 42, StatusID: 200, Currency: kes, TotalOutstanding: mifos.Amount(5_000_000000)},
		},
		// 981 was approved for 12,000.00 of the 15,000.00 applied for, and
		// disbursed for 10,000.00: the approval SMS says 12,000.00.
		apps: map[int64]mifos.LoanApplication{
			981: {PendingLoan: mifos.PendingLoan{ID: 981, AccountNo: "000000981", ClientID: 42, ProductName: "Biashara",
				Principal: mifos.Amount(10_000_000000), Currency: kes}, StatusID: 300, ProposedPrincipal: mifos.Amount(15_000_000000),
				ApprovedPrincipal: mifos.Amount(12_000_000000), ApprovedOn: mifos.Date{Year: 2026, Month: 2, Day: 27}},
			982: {PendingLoan: mifos.PendingLoan{ID: 982, AccountNo: "000000982", ClientID: 43, Currency: kes}, StatusID: 200,
				ApprovedPrincipal: mifos.Amount(1_000_000000), ApprovedOn: mifos.Date{Year: 2026, Month: 2, Day: 27}},
			// Its approval undone: waiting for approval again.
			983: {PendingLoan: mifos.PendingLoan{ID: 983, AccountNo: "000000983", ClientID: 42, Currency: kes,
				Principal: mifos.Amount(2_000_000000)}, StatusID: 100, ApprovedPrincipal: mifos.Amount(2_000_000000)},
		},
		loanTxns: map[int64][]mifos.LoanTxn{
			981: {{ID: 77, Disbursement: true, Amount: mifos.Amount(10_000_000000)}},
			985: {{ID: 78, Disbursement: true, ExternalID: mifos.ExternalIDDisbursal + "MFEE2ED7", Amount: mifos.Amount(5_000_000000)}},
		},
		txns: map[int64]mifos.LoanTxn{
			5001: {ID: 5001, Date: mifos.Date{Year: 2026, Month: 3, Day: 2}, Amount: mifos.Amount(1_500_000000), OutstandingBalance: mifos.Amount(10_000_000000)},
			5002: {ID: 5002, Date: mifos.Date{Year: 2026, Month: 3, Day: 2}, Amount: mifos.Amount(1_000_000000), ManuallyReversed: true},
			// Posted by this box (a mobile-money payment): its receipt went already.
			5004: {ID: 5004, ExternalID: mifos.ExternalIDMobileMoney + "mpesa-ke-SKQ7H2ZP4M", Date: mifos.Date{Year: 2026, Month: 3, Day: 2}, Amount: mifos.Amount(1_200_000000)},
		},
	}
}

// hookBodyFor is a body shaped as Fineract's Web hook sends it. Its
// request claims another amount: the SMS must not repeat it.
func hookBodyFor(entity, action string, resourceID, loanID, commandID int64) string {
	return `{"entityName":"` + entity + `","actionName":"` + action + `","createdBy":1,"createdByName":"mifos",` +
		`"request":{"transactionAmount":999999,"transactionDate":"02 March 2026","locale":"en","dateFormat":"dd MMMM yyyy"},` +
		`"officeId":1,"clientId":42,"response":{"commandId":` + itoa(commandID) + `,"resourceId":` + itoa(resourceID) +
		`,"loanId":` + itoa(loanID) + `,"clientId":42,"changes":{"transactionAmount":999999}}}`
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func (b *box) hook(key, entity, action, body string) (int, HookAnswer) {
	b.t.Helper()
	rec := b.callHook("POST", "/hooks/fineract/"+key, entity, action, body)
	if rec.Code != http.StatusOK {
		return rec.Code, HookAnswer{}
	}
	return rec.Code, decode[HookAnswer](b.t, rec)
}

func (b *box) callHook(method, path, entity, action, body string) *httptest.ResponseRecorder {
	b.t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json; charset=UTF-8")
	req.Header.Set("X-Fineract-Entity", entity)
	req.Header.Set("X-Fineract-Action", action)
	req.Header.Set(tenantHeader, "default")
	req.Header.Set("X-Fineract-Endpoint", "https://fineract.example.org/fineract-provider/api/v1")
	rec := httptest.NewRecorder()
	b.h.ServeHTTP(rec, req)
	return rec
}

func TestHookEndpointStoresChosenEventsOnce(t *testing.T) {
	b := newBox(t)
	hooked := 0
	b.srv.cfg.Hooked = func() { hooked++ }
	body := hookBodyFor("LOAN", "REPAYMENT", 5001, 981, 77)
	if code, a := b.hook(b.key, "LOAN", "REPAYMENT", body); code != 200 || !a.Stored || a.Duplicate {
		t.Fatalf("first post: %d %+v", code, a)
	}
	// The trailing-slash form some Fineract versions post to, same event.
	rec := b.callHook("POST", "/hooks/fineract/"+b.key+"/", "LOAN", "REPAYMENT", body)
	if a := decode[HookAnswer](t, rec); rec.Code != 200 || !a.Duplicate {
		t.Errorf("same event again: %d %+v", rec.Code, a)
	}
	if hooked != 1 {
		t.Errorf("worker woken %d times, want 1", hooked)
	}
	evs, err := b.db.DueHookEvents(time.Now().Add(time.Hour), 10)
	if err != nil || len(evs) != 1 {
		t.Fatalf("stored events: %v %+v", err, evs)
	}
	if ev := evs[0]; ev.LoanID != 981 || ev.ResourceID != 5001 || ev.Key != "default/LOAN/REPAYMENT/5001" {
		t.Errorf("stored %+v", ev)
	}
	// Not chosen, or failed in Fineract: answered, not stored.
	if code, a := b.hook(b.key, "LOAN", "DISBURSE", hookBodyFor("LOAN", "DISBURSE", 981, 981, 78)); code != 200 || a.Stored || !strings.Contains(a.Reason, "not in [fineract_hooks]") {
		t.Errorf("unchosen event: %d %+v", code, a)
	}
	failed := strings.Replace(hookBodyFor("LOAN", "APPROVE", 981, 981, 79), `"officeId"`, `"status":"Exception","officeId"`, 1)
	if code, a := b.hook(b.key, "LOAN", "APPROVE", failed); code != 200 || a.Stored {
		t.Errorf("failed command: %d %+v", code, a)
	}
	// Refusals.
	sendOnly := b.addToken("send")
	for name, c := range map[string]struct {
		key, body string
		want      int
	}{
		"no token in the URL":  {"x", body, http.StatusUnauthorized},
		"token of scope send":  {sendOnly, body, http.StatusForbidden},
		"malformed JSON":       {b.key, `{"response":`, http.StatusBadRequest},
		"no resource id":       {b.key, `{"response":{"loanId":981}}`, http.StatusBadRequest},
		"a repayment, no loan": {b.key, `{"response":{"resourceId":5001}}`, http.StatusBadRequest},
	} {
		if code, _ := b.hook(c.key, "LOAN", "REPAYMENT", c.body); code != c.want {
			t.Errorf("%s: status %d, want %d", name, code, c.want)
		}
	}
	if rec := b.callHook("GET", "/hooks/fineract/"+b.key, "", "", ""); rec.Code != 200 {
		t.Errorf("ping: %d", rec.Code)
	}
	if rec := b.callHook("GET", "/hooks/fineract/nope", "", "", ""); rec.Code != http.StatusUnauthorized {
		t.Errorf("ping with a bad token: %d", rec.Code)
	}
}

// isoDate is a date written for machines, never for a client.
var isoDate = regexp.MustCompile(`\d{4}-\d{2}-\d{2}|\[\d{4},`)

func TestHookSMSAreBuiltFromFineract(t *testing.T) {
	for _, lang := range []string{"en", "sw"} {
		t.Run(lang, func(t *testing.T) {
			b := newBox(t)
			b.srv.cfg.HookEvents = []string{"LOAN/APPROVE", "LOAN/DISBURSE", "LOAN/REPAYMENT"}
			texts, err := handler.NewTexts(lang, nil)
			if err != nil {
				t.Fatal(err)
			}
			fin := seededFineract()
			queued := 0
			w := &HookWorker{DB: b.db, API: fin, Texts: texts, Country: "KE", Queued: func() { queued++ }, Now: func() time.Time { return b.now },
				Today: func() mifos.Date { return mifos.Date{Year: 2026, Month: 3, Day: 2} }}
			post := func(action string, resource, loan, cmd int64) {
				t.Helper()
				if code, a := b.hook(b.key, "LOAN", action, hookBodyFor("LOAN", action, resource, loan, cmd)); code != 200 || !a.Stored {
					t.Fatalf("%s: %d %+v", action, code, a)
				}
			}
			post("REPAYMENT", 5001, 981, 1)
			post("APPROVE", 981, 0, 2)
			post("DISBURSE", 981, 981, 3)
			post("REPAYMENT", 5002, 981, 4) // reversed since
			post("APPROVE", 982, 982, 5)    // client without a mobile number
			post("REPAYMENT", 5003, 983, 6) // no such loan
			post("APPROVE", 983, 983, 7)    // approval undone since
			post("DISBURSE", 984, 984, 8)   // disbursement undone since
			post("REPAYMENT", 5004, 981, 9) // posted by this box
			post("DISBURSE", 985, 985, 10)  // paid out by this box
			drain(t, w)
			out := outbox(t, b.db)
			if len(out) != 3 || queued != 3 {
				t.Fatalf("%d SMS queued (%d nudges), want 3: %+v", len(out), queued, out)
			}
			want := map[string][]string{
				"en": {
					"Dear Amina Odhiambo, we received your repayment of KES 1,500.00 on loan 000000981 on Mon 2 Mar. Loan balance: KES 10,000.00.",
					"Dear Amina Odhiambo, your loan 000000981 (Biashara) has been approved for KES 12,000.00.",
					"Dear Amina Odhiambo, your loan 000000981 of KES 10,000.00 has been disbursed. Total to repay: KES 11,500.00. Next instalment KES 2,875.00 due Wed 11 Mar.",
				},
				"sw": {"KES 1,500.00", "wa KES 12,000.00 umeidhinishwa", "wa KES 10,000.00 umetolewa", "KES 2,875.00"},
			}[lang]
			for _, w := range want {
				found := false
				for _, o := range out {
					found = found || strings.Contains(o.Text, w)
				}
				if !found {
					t.Errorf("no SMS contains %q: %+v", w, texts_(out))
				}
			}
			for _, o := range out {
				if o.To != "+254712345678" || o.Priority != store.PriorityNotification || strings.Contains(o.Text, "999") || isoDate.MatchString(o.Text) {
					t.Errorf("SMS %q to %s (%s)", o.Text, o.To, o.Priority)
				}
			}
			for key, why := range map[string]string{
				"default/LOAN/REPAYMENT/5002":  "reversed",
				"default/LOAN/APPROVE/982/5":   "no mobile number",
				"default/LOAN/REPAYMENT/5003":  "not in Fineract",
				"default/LOAN/APPROVE/983/7":   "approval was undone",
				"default/LOAN/DISBURSE/984/8":  "disbursement was undone",
				"default/LOAN/REPAYMENT/5004":  "posted by this box",
				"default/LOAN/DISBURSE/985/10": "disbursed by this box",
			} {
				ev, err := b.db.HookEvent(key)
				if err != nil || ev.State != store.HookSkipped || !strings.Contains(ev.Note, why) {
					t.Errorf("%s: %v %+v, want skipped for %q", key, err, ev, why)
				}
			}
		})
	}
}

func texts_(out []store.Outbound) []string {
	var s []string
	for _, o := range out {
		s = append(s, o.Text)
	}
	return s
}

// drain processes every due event once, as Run's loop does.
func drain(t *testing.T, w *HookWorker) {
	t.Helper()
	evs, err := w.DB.DueHookEvents(w.now(), 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range evs {
		if err := w.Process(context.Background(), ev); err != nil {
			t.Fatal(err)
		}
	}
}

func TestHookEventWaitsWhileFineractIsDownAndIsSentOnce(t *testing.T) {
	b := newBox(t)
	texts, _ := handler.NewTexts("en", nil)
	fin := seededFineract()
	fin.down = true
	now := b.now
	w := &HookWorker{DB: b.db, API: fin, Texts: texts, Country: "KE", Now: func() time.Time { return now }}
	if code, a := b.hook(b.key, "LOAN", "REPAYMENT", hookBodyFor("LOAN", "REPAYMENT", 5001, 981, 1)); code != 200 || !a.Stored {
		t.Fatal(code, a)
	}
	drain(t, w)
	ev, _ := b.db.HookEvent("default/LOAN/REPAYMENT/5001")
	if ev.State != store.HookWaiting || ev.Attempts != 1 || !ev.NextAttempt.After(now) || !strings.Contains(ev.Note, "unreachable") {
		t.Fatalf("event while Fineract is down: %+v", ev)
	}
	if n := len(outbox(t, b.db)); n != 0 {
		t.Fatalf("%d SMS queued while Fineract is down", n)
	}
	// Not due yet: nothing is read.
	reads := fin.reads
	drain(t, w)
	if fin.reads != reads {
		t.Error("an event waiting for its retry was tried early")
	}
	fin.down = false
	now = now.Add(time.Hour)
	drain(t, w)
	drain(t, w)
	if out := outbox(t, b.db); len(out) != 1 || !strings.Contains(out[0].Text, "KES 1,500.00") {
		t.Fatalf("after Fineract came back: %+v", out)
	}
	// Processing an old copy of the event again queues nothing more.
	if err := w.Process(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
	if n := len(outbox(t, b.db)); n != 1 {
		t.Errorf("%d SMS after a second Process of the same event", n)
	}
	// An event that waited longer than MaxAge is dropped with a note.
	if code, _ := b.hook(b.key, "LOAN", "APPROVE", hookBodyFor("LOAN", "APPROVE", 981, 981, 9)); code != 200 {
		t.Fatal(code)
	}
	now = now.Add(4 * 24 * time.Hour)
	drain(t, w)
	if ev, _ := b.db.HookEvent("default/LOAN/APPROVE/981/9"); ev.State != store.HookSkipped || !strings.Contains(ev.Note, "waited") {
		t.Errorf("stale event: %+v", ev)
	}
}

func TestHookWorkerRunSurvivesARestart(t *testing.T) {
	b := newBox(t)
	texts, _ := handler.NewTexts("en", nil)
	if code, _ := b.hook(b.key, "LOAN", "REPAYMENT", hookBodyFor("LOAN", "REPAYMENT", 5001, 981, 1)); code != 200 {
		t.Fatal(code)
	}
	// The event was stored before any worker ran (the daemon stopped);
	// a worker started later sends it.
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	w := &HookWorker{DB: b.db, API: seededFineract(), Texts: texts, Country: "KE", Poll: 10 * time.Millisecond, Now: func() time.Time { return b.now }}
	go func() { done <- w.Run(ctx) }()
	deadline := time.Now().Add(5 * time.Second)
	for len(outbox(t, b.db)) == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Run ended with %v", err)
	}
	if n := len(outbox(t, b.db)); n != 1 {
		t.Errorf("%d SMS after a restart, want 1", n)
	}
}
