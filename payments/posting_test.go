package payments

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mifos-edge/mifos-edge/fineractsim"
	"github.com/mifos-edge/mifos-edge/handler"
	"github.com/mifos-edge/mifos-edge/mifos"
	"github.com/mifos-edge/mifos-edge/mobilemoney"
	"github.com/mifos-edge/mifos-edge/posting"
	"github.com/mifos-edge/mifos-edge/store"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// rig is the core and the real posting worker on a store, against the stand-in.
type rig struct {
	fin  *fineractsim.Server
	db   *store.DB
	core *Core
}

func newRig(t *testing.T) rig {
	t.Helper()
	fin, api := standIn(t)
	db, err := store.Open(filepath.Join(t.TempDir(), "state.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	env := &handler.Env{DB: db, API: api, Country: "KE", Log: quiet}
	w := posting.New(posting.Options{
		DB: db, API: api, PaymentTypeID: fineractsim.SeedPaymentCash, Logger: quiet,
		BalanceAfter: env.BalanceAfter,
		Settled: func(_ context.Context, e store.JournalEntry, batch []store.JournalEntry) []store.Outbound {
			return env.Confirmations(e, batch)
		},
		MinBackoff:    50 * time.Millisecond,
		MaxBackoff:    200 * time.Millisecond,
		ProbeInterval: 50 * time.Millisecond,
		CallTimeout:   3 * time.Second,
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = w.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	core := &Core{DB: db, API: api, Operators: []string{"mpesa-ke", "mpesa-tz"}, PaymentTypeID: fineractsim.SeedPaymentMpesa,
		Country: "KE", Today: env.Today, Journaled: w.Nudge, CallTimeout: 3 * time.Second, Log: quiet}
	return rig{fin: fin, db: db, core: core}
}

func (r rig) waitState(t *testing.T, operator, txn string, want store.PaymentState) store.Payment {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		p, err := r.db.Payment(operator, txn)
		if err == nil && p.State == want {
			return p
		}
		if time.Now().After(deadline) {
			t.Fatalf("payment %s %s is %s (%q), want %s", operator, txn, p.State, p.Reason, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (r rig) loanTxns(loanID int64, externalID string) []fineractsim.LoanTxn {
	var out []fineractsim.LoanTxn
	for _, t := range r.fin.LoanTransactions(loanID) {
		if t.ExternalID == externalID {
			out = append(out, t)
		}
	}
	return out
}

func payment(txn, ref, amount, source string) mobilemoney.Payment {
	a, err := mifos.ParseAmount(amount)
	if err != nil {
		panic(err)
	}
	return mobilemoney.Payment{Operator: "mpesa-ke", Kind: mobilemoney.KindPayment, TxnID: txn, Amount: a, Currency: "KES",
		AccountRef: ref, PayerPhone: "0799***001", Source: source}
}

// Fineract down when the payment arrives: recorded, matched and posted once
// it answers; every later arrival (SMS resent, statement, API retry)
// changes nothing; the client's receipt goes to the number Fineract has,
// after the posting, with the new balance.
func TestPaymentPostedOnceAcrossOutageAndSources(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	if err := r.fin.SetDown(true); err != nil {
		t.Fatal(err)
	}
	p, added, err := r.core.Record(ctx, payment("qai1s35s7z", "981", "1050", "sms"))
	if err != nil || !added {
		t.Fatalf("record: %v added=%v", err, added)
	}
	if p.State != store.PaymentPending || p.Matched || p.TxnID != "QAI1S35S7Z" {
		t.Fatalf("while Fineract is down: %+v", p)
	}
	if _, added, err := r.core.Record(ctx, payment("QAI1S35S7Z", "981", "1050", "api")); err != nil || added {
		t.Fatalf("second arrival while down: %v added=%v", err, added)
	}
	if out := must(r.db.ListOutbound("", 0))(t); len(out) != 0 {
		t.Fatalf("confirmed before posting: %+v", out)
	}
	if err := r.fin.SetDown(false); err != nil {
		t.Fatal(err)
	}
	if n, err := r.core.MatchWaiting(ctx, 10); err != nil || n != 1 {
		t.Fatalf("match waiting: %d %v", n, err)
	}
	p = r.waitState(t, "mpesa-ke", "QAI1S35S7Z", store.PaymentPosted)
	if p.ClientID != fineractsim.SeedClientAmina || p.AccountNo != "000000981" || len(p.FineractTxnIDs) != 1 || p.Sightings != 1 {
		t.Fatalf("posted: %+v", p)
	}
	txns := r.loanTxns(fineractsim.SeedLoanAmina, "mm-mpesa-ke-QAI1S35S7Z")
	if len(txns) != 1 || txns[0].ReceiptNumber != "QAI1S35S7Z" || txns[0].PaymentTypeID != fineractsim.SeedPaymentMpesa || txns[0].Amount != fineractsim.MustAmount("1050") {
		t.Fatalf("Fineract holds %+v", txns)
	}
	for _, source := range []string{"statement", "sms", "api"} {
		again, added, err := r.core.Record(ctx, payment("QAI1S35S7Z", "981", "1050", source))
		if err != nil || added || again.State != store.PaymentPosted {
			t.Fatalf("arrival from %s after posting: %v added=%v %+v", source, err, added, again)
		}
	}
	if n := len(r.loanTxns(fineractsim.SeedLoanAmina, "mm-mpesa-ke-QAI1S35S7Z")); n != 1 {
		t.Fatalf("%d repayments in Fineract", n)
	}
	out := waitOutbound(t, r.db, 1)
	sms := out[0]
	if sms.To != fineractsim.SeedAminaPhone || !strings.Contains(sms.Text, "M-PESA payment QAI1S35S7Z") ||
		!strings.Contains(sms.Text, "KES 1,050.00 to 000000981") || !strings.Contains(sms.Text, "New balance: loan 000000981 "+mifos.Amount(fineractsim.MustAmount(r.fin.LoanOutstanding(fineractsim.SeedLoanAmina))).Format(2)) {
		t.Fatalf("confirmation %+v", sms)
	}
}

// Fineract answers 500 after committing a deposit (docs/fineract.md): the
// worker finds it by its receipt number and does not post it again.
func TestPaymentDepositExactlyOnceAfterA500AfterCommit(t *testing.T) {
	r := newRig(t)
	r.fin.FailAfterCommit(1)
	p, _, err := r.core.Record(context.Background(), payment("QDEP500", "77", "300", "api"))
	if err != nil {
		t.Fatal(err)
	}
	if !p.Matched {
		t.Fatalf("not matched: %+v", p)
	}
	r.waitState(t, "mpesa-ke", "QDEP500", store.PaymentPosted)
	n := 0
	for _, tx := range r.fin.SavingsTransactions(fineractsim.SeedSavingsAmina) {
		if tx.ReceiptNumber == "QDEP500" {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d deposits with the receipt", n)
	}
}

// A payment in suspense is posted once a person assigns it; assigning it
// again is refused.
func TestAssignSuspense(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	p, _, err := r.core.Record(ctx, payment("QSUSP1", "", "500", "sms"))
	if err != nil || p.State != store.PaymentSuspense || !strings.Contains(p.Reason, "masked") {
		t.Fatalf("record: %v %+v", err, p)
	}
	if _, err := r.core.Assign(ctx, "", "qsusp1", "12345"); err == nil {
		t.Fatal("assigned to an unknown account")
	}
	p, err = r.core.Assign(ctx, "", "QSUSP1", "983")
	if err != nil || p.State != store.PaymentPending || p.AccountNo != "000000983" {
		t.Fatalf("assign: %v %+v", err, p)
	}
	r.waitState(t, "mpesa-ke", "QSUSP1", store.PaymentPosted)
	if _, err := r.core.Assign(ctx, "", "QSUSP1", "983"); err == nil {
		t.Fatal("assigned twice")
	}
	if n := len(r.loanTxns(fineractsim.SeedLoanGrace, "mm-mpesa-ke-QSUSP1")); n != 1 {
		t.Fatalf("%d repayments", n)
	}
}

// Bad input is refused before anything is recorded, with the field named.
func TestRecordRefusesBadInput(t *testing.T) {
	r := newRig(t)
	for _, tc := range []struct {
		mutate func(*mobilemoney.Payment)
		field  string
	}{
		{func(p *mobilemoney.Payment) { p.Operator = "gcash" }, "operator"},
		{func(p *mobilemoney.Payment) { p.TxnID = "" }, "txn_id"},
		{func(p *mobilemoney.Payment) { p.TxnID = "QA I1" }, "txn_id"},
		{func(p *mobilemoney.Payment) { p.Amount = 0 }, "amount"},
		{func(p *mobilemoney.Payment) { p.Currency = "kes" }, "currency"},
		{func(p *mobilemoney.Payment) { p.Source = "fax" }, "source"},
	} {
		p := payment("QBAD1", "981", "10", "api")
		tc.mutate(&p)
		_, _, err := r.core.Record(context.Background(), p)
		var ie *InvalidError
		if err == nil || !asInvalid(err, &ie) || ie.Field != tc.field {
			t.Errorf("%+v: %v, want a refusal of %s", p, err, tc.field)
		}
	}
	if all := must(r.db.ListPayments("", 0))(t); len(all) != 0 {
		t.Fatalf("refused payments were recorded: %+v", all)
	}
}

func waitOutbound(t *testing.T, db *store.DB, n int) []store.Outbound {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		out := must(db.ListOutbound("", 0))(t)
		if len(out) >= n {
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d SMS queued, want %d", len(out), n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func must[T any](v T, err error) func(testing.TB) T {
	return func(t testing.TB) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func asInvalid(err error, target **InvalidError) bool { return errors.As(err, target) }

// Fineract refuses the posting (a date before the loan's disbursement): the
// payment is failed with Fineract's reason for a person, and nobody gets an SMS.
func TestPaymentRefusedByFineractIsFailedWithTheReason(t *testing.T) {
	r := newRig(t)
	p := payment("QOLD1", "982", "100", "statement")
	p.Time = time.Now().AddDate(-1, 0, 0) // before loan 982 was disbursed
	if _, _, err := r.core.Record(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	got := r.waitState(t, "mpesa-ke", "QOLD1", store.PaymentFailed)
	if !strings.Contains(got.Reason, "000000982") || !strings.Contains(got.Reason, "disbursement") {
		t.Fatalf("reason %q", got.Reason)
	}
	time.Sleep(100 * time.Millisecond)
	if out := must(r.db.ListOutbound("", 0))(t); len(out) != 0 {
		t.Fatalf("SMS after a refusal: %+v", out)
	}
}
