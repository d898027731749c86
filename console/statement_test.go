package console

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"mime/multipart"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/mifos-edge/mifos-edge/mobilemoney"
	"github.com/mifos-edge/mifos-edge/reconcile"
	"github.com/mifos-edge/mifos-edge/store"
)

// fakeStatements is the daemon's import backend on the rig's real store,
// without the matching: a payment with an account typed waits for
// Fineract, one without goes to suspense.
type fakeStatements struct {
	db      *store.DB
	records int // Record calls
}

func (f *fakeStatements) Record(_ context.Context, batch []mobilemoney.Payment) ([]reconcile.Result, error) {
	f.records++
	out := make([]reconcile.Result, len(batch))
	err := f.db.Update(func(tx *store.Tx) error {
		for i, p := range batch {
			st, reason := store.PaymentPending, ""
			if p.AccountRef == "" {
				st, reason = store.PaymentSuspense, "no account typed and the payer's phone is masked"
			}
			got, added, err := tx.AddPayment(store.Payment{Operator: p.Operator, TxnID: p.TxnID, Kind: string(p.Kind), Amount: int64(p.Amount),
				Currency: p.Currency, PayerPhone: p.PayerPhone, PayerName: p.PayerName, AccountRef: p.AccountRef, Time: p.Time,
				Source: "statement", State: st, Reason: reason})
			if err != nil {
				return err
			}
			out[i] = reconcile.Result{TxnID: got.TxnID, Outcome: reconcile.Known, State: got.State, Matched: got.Matched, Source: got.Source, Reason: got.Reason}
			if added {
				out[i].Outcome = reconcile.New
			}
		}
		return nil
	})
	return out, err
}

func (f *fakeStatements) Known(_ context.Context, a reconcile.KnownArgs) ([]reconcile.Result, error) {
	out := make([]reconcile.Result, len(a.TxnIDs))
	for i, id := range a.TxnIDs {
		out[i] = reconcile.Result{TxnID: id, Outcome: reconcile.New}
		if p, err := f.db.Payment(a.Operator, id); err == nil {
			out[i] = reconcile.Result{TxnID: id, Outcome: reconcile.Known, State: p.State, Source: p.Source}
		} else if !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
	}
	return out, nil
}

func (f *fakeStatements) Receipts(_ context.Context, a reconcile.ReceiptsArgs) (reconcile.ReceiptsPage, error) {
	all, err := f.db.ListPayments("", 0)
	var page reconcile.ReceiptsPage
	for _, p := range all {
		if p.Operator == a.Operator && p.Source != "statement" && !p.Time.Before(a.From) && !p.Time.After(a.To) {
			page.Receipts = append(page.Receipts, reconcile.Receipt{Seq: p.Seq, TxnID: p.TxnID, Amount: p.Amount, Currency: p.Currency,
				Time: p.Time, State: p.State, Source: p.Source, Account: p.AccountNo})
		}
	}
	return page, err
}

// upload posts a statement file as the browser's form does.
func (b *browser) upload(name string, file []byte, dryRun bool, origin string) answer {
	b.r.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	if dryRun {
		_ = mw.WriteField("dry_run", "1")
	}
	fw, _ := mw.CreateFormFile("statement", name)
	_, _ = fw.Write(file)
	_ = mw.Close()
	req, _ := http.NewRequest("POST", b.r.srv.URL+StatementPath, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Origin", origin)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	if origin != b.r.srv.URL {
		req.Header.Set("Sec-Fetch-Site", "cross-site")
	}
	return b.do(req)
}

func statementRig(t *testing.T) (*rig, *fakeStatements, []byte) {
	t.Helper()
	r := newRig(t)
	st := &fakeStatements{db: r.db}
	r.deps.Payments = &fakePaymentDesk{db: r.db}
	r.deps.Statements = st
	r.start()
	file, err := os.ReadFile("../mobilemoney/mpesastatement/testdata/statement-2025.csv")
	if err != nil {
		t.Fatal(err)
	}
	// Two SMS receipts inside the statement's period: one it does not
	// have at all, one it has as Cancelled.
	eat := time.FixedZone("EAT", 3*3600)
	err = r.db.Update(func(tx *store.Tx) error {
		for _, p := range []store.Payment{
			{TxnID: "TJC9FORGED", Amount: 4_000_000000, Time: time.Date(2025, 10, 12, 13, 0, 0, 0, eat)},
			{TxnID: "TJC7CANCEL", Amount: 700_000000, Time: time.Date(2025, 10, 12, 16, 20, 0, 0, eat)},
		} {
			p.Operator, p.Kind, p.Currency, p.Source, p.State = "mpesa-ke", "payment", "KES", "sms", store.PaymentPosted
			if _, _, err := tx.AddPayment(p); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return r, st, file
}

// Uploading a statement imports it and shows the reconciliation; a
// second upload posts nothing; a dry run records nothing.
func TestStatementUploadShowsTheReconciliation(t *testing.T) {
	r, st, file := statementRig(t)
	b := r.browser()
	b.mustSignIn("clerk", "clerk password 1")
	if pg := b.get("/console/payments"); !strings.Contains(pg.body, `enctype="multipart/form-data"`) {
		t.Errorf("the payments page has no upload form:\n%s", pg.body)
	}

	dry := b.upload("statement-2025.csv", file, true, r.srv.URL)
	if dry.status != http.StatusOK {
		t.Fatalf("dry run: %d\n%s", dry.status, dry.body)
	}
	for _, want := range []string{"Dry run: nothing was recorded", "<dt>Would post</dt><dd>5 · KES 14,300.00</dd>", "TJC9FORGED", "Cancelled, not Completed"} {
		if !strings.Contains(dry.body, want) {
			t.Errorf("dry run lacks %q:\n%s", want, dry.body)
		}
	}
	if all, _ := r.db.ListPayments("", 0); len(all) != 2 || st.records != 0 {
		t.Fatalf("a dry run recorded: %d payments, %d record calls", len(all), st.records)
	}

	a := b.upload(`C:\Users\acc\statement-2025.csv`, file, false, r.srv.URL)
	if a.status != http.StatusOK {
		t.Fatalf("upload: %d\n%s", a.status, a.body)
	}
	for _, want := range []string{
		"<h2>statement-2025.csv</h2>",
		"rows read; period 10 Oct 2025 00:00 &#43;03:00 to 13 Oct 2025 23:59 &#43;03:00 (as the file declares it)",
		"<dt>Posted now</dt><dd>5 · KES 14,300.00</dd>",
		"<dt>To suspense</dt><dd>1</dd>", "<dt>Waiting for Mifos</dt><dd>4</dd>",
		"<dt>Already known</dt><dd>0</dd>",
		"<dd>7 · charge 2, not-completed 3, totals 1, withdrawal 1</dd>",
		"TJD8ZZZ001", "no account typed and the payer&#39;s phone is masked",
		"2 receipts inside the period are NOT on the statement", "4,000.00 KES</strong> · TJC9FORGED", "not on the statement",
		"on the statement as Cancelled, not Completed",
	} {
		if !strings.Contains(a.body, want) {
			t.Errorf("report lacks %q:\n%s", want, a.body)
		}
	}
	if p, err := r.db.Payment("mpesa-ke", "TJC6ABC777"); err != nil || p.Source != "statement" {
		t.Errorf("TJC6ABC777 after the import: %+v %v", p, err)
	}

	again := b.upload("statement-2025.csv", file, false, r.srv.URL)
	if !strings.Contains(again.body, "<dt>Posted now</dt><dd>0 · KES 0.00</dd>") || !strings.Contains(again.body, "<dt>Already known</dt><dd>5 · pending 4, suspense 1</dd>") {
		t.Errorf("second upload:\n%s", again.body)
	}
	if all, _ := r.db.ListPayments("", 0); len(all) != 7 {
		t.Errorf("%d payments after two imports, want 7", len(all))
	}
}

// A large statement (over the 1 MiB every other route allows) is taken;
// its lists are capped and its counts whole. One over the upload's own
// cap is refused with 413 before it is read.
func TestStatementUploadSizes(t *testing.T) {
	r, _, file := statementRig(t)
	b := r.browser()
	b.mustSignIn("clerk", "clerk password 1")
	head, _, _ := bytes.Cut(file, []byte("TJD9DECL01"))
	var big bytes.Buffer
	big.Write(head)
	const rows = 10_000
	for i := range rows {
		// Broken rows: an amount that does not parse.
		fmt.Fprintf(&big, "TK%08d,11-10-2025 10:00:00,,Pay Bill from 25472****108 - JANE **** WANJIKU,Completed,12x.00,,\"1.00\",true,Pay Utility,x,,\n", i)
	}
	if big.Len() <= 1<<20 {
		t.Fatalf("the big statement is only %d bytes", big.Len())
	}
	a := b.upload("big.csv", big.Bytes(), true, r.srv.URL)
	if a.status != http.StatusOK || !strings.Contains(a.body, fmt.Sprintf("<dt>Broken rows</dt><dd>%d</dd>", rows)) {
		t.Fatalf("big statement: %d\n%.3000s", a.status, a.body)
	}
	_, broken, _ := strings.Cut(a.body, "<h2>Broken rows</h2>")
	broken, _, _ = strings.Cut(broken, "</section>")
	if n := strings.Count(broken, `<p class="why">`); n != statementListed || !strings.Contains(a.body, fmt.Sprintf("… and %d more", rows-statementListed)) {
		t.Errorf("%d broken rows listed, want %d and the rest counted", n, statementListed)
	}

	huge := bytes.Repeat([]byte("x"), StatementMax+1)
	if a := b.upload("huge.csv", huge, false, r.srv.URL); a.status != http.StatusRequestEntityTooLarge {
		t.Errorf("an upload over %d bytes: %d", StatementMax, a.status)
	}
	if a := b.upload("notes.txt", []byte("hello, world\n"), false, r.srv.URL); a.status != http.StatusUnprocessableEntity ||
		!strings.Contains(a.body, "not an M-PESA statement") {
		t.Errorf("not a statement: %d\n%s", a.status, a.body)
	}
	if all, _ := r.db.ListPayments("", 0); len(all) != 2 {
		t.Errorf("%d payments after refused uploads, want the 2 SMS ones", len(all))
	}
}

// A read-only session and a cross-origin post cannot upload; without
// mobile money the route is not there.
func TestStatementUploadRefusals(t *testing.T) {
	r, st, file := statementRig(t)
	b := r.browser()
	b.mustSignIn("clerk", "clerk password 1")
	if a := b.upload("s.csv", file, false, "http://evil.example"); a.status != http.StatusForbidden {
		t.Errorf("cross-origin upload: %d", a.status)
	}
	b.post("/console/signout", nil)
	r.fin.mu.Lock()
	r.fin.down = true
	r.fin.mu.Unlock()
	b.mustSignIn("clerk", "clerk password 1")
	if pg := b.get("/console/payments"); strings.Contains(pg.body, StatementPath) {
		t.Errorf("a read-only session is offered the upload")
	}
	if a := b.upload("s.csv", file, false, r.srv.URL); a.status != http.StatusForbidden {
		t.Errorf("read-only upload: %d", a.status)
	}
	if all, _ := r.db.ListPayments("", 0); len(all) != 2 || st.records != 0 {
		t.Errorf("a refused upload recorded: %d payments, %d calls", len(all), st.records)
	}
	r.deps.Payments, r.deps.Statements = nil, nil
	r.start()
	if a := b.upload("s.csv", file, false, r.srv.URL); a.status != http.StatusNotFound {
		t.Errorf("upload with mobile money off: %d", a.status)
	}
}
