package reconcile

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/mifos-edge/mifos-edge/mobilemoney"
	"github.com/mifos-edge/mifos-edge/mobilemoney/mpesastatement"
	"github.com/mifos-edge/mifos-edge/store"
)

// memBackend records payments in memory; failAfter > 0 makes the
// Record call of that number fail, as a store or socket failure would.
type memBackend struct {
	known     map[string]bool
	reversed  map[string]bool   // reversal notices recorded, by the payment they name
	states    map[string]string // the state of a known payment, when not posted
	sources   map[string]string
	records   []int // batch sizes
	knowns    int
	failAfter int
	receipts  []Receipt
}

func (m *memBackend) Record(_ context.Context, batch []mobilemoney.Payment) ([]Result, error) {
	m.records = append(m.records, len(batch))
	if m.failAfter > 0 && len(m.records) == m.failAfter {
		return nil, errors.New("the store is full")
	}
	out := make([]Result, len(batch))
	for i, p := range batch {
		out[i] = Result{TxnID: p.TxnID, Outcome: New, State: store.PaymentPending, Matched: true}
		switch {
		case m.known[p.TxnID]:
			out[i] = m.result(p.TxnID)
		case p.Kind == mobilemoney.KindReversal:
			// As payments.Core: the reversed payment, known or to come,
			// is reversal-pending.
			if m.reversed == nil {
				m.reversed, m.states, m.sources = map[string]bool{}, map[string]string{}, map[string]string{}
			}
			m.reversed[p.ReversedTxnID] = true
			m.states[p.ReversedTxnID] = string(store.PaymentReversalPending)
			out[i].State = store.PaymentIgnored
		case m.reversed[p.TxnID]:
			out[i].State = store.PaymentReversalPending
			m.sources[p.TxnID] = p.Source
		}
		m.known[p.TxnID] = true
	}
	return out, nil
}

func (m *memBackend) result(id string) Result {
	r := Result{TxnID: id, Outcome: Known, State: store.PaymentPosted, Source: "sms"}
	if st := m.states[id]; st != "" {
		r.State = store.PaymentState(st)
	}
	if src := m.sources[id]; src != "" {
		r.Source = src
	}
	return r
}

func (m *memBackend) Known(_ context.Context, a KnownArgs) ([]Result, error) {
	m.knowns++
	out := make([]Result, len(a.TxnIDs))
	for i, id := range a.TxnIDs {
		out[i] = Result{TxnID: id, Outcome: New}
		if m.known[id] {
			out[i] = m.result(id)
		}
	}
	return out, nil
}

func (m *memBackend) Receipts(context.Context, ReceiptsArgs) (ReceiptsPage, error) {
	return ReceiptsPage{Receipts: m.receipts}, nil
}

// statement is the 2025 sample's preamble and header with n payment rows
// (one of them twice), then the extra rows.
func statement(t *testing.T, n int, extra ...string) *bytes.Reader {
	t.Helper()
	file, err := os.ReadFile("../mobilemoney/mpesastatement/testdata/statement-2025.csv")
	if err != nil {
		t.Fatal(err)
	}
	head, _, _ := bytes.Cut(file, []byte("TJD9DECL01"))
	var b bytes.Buffer
	b.Write(head)
	for i := range n {
		fmt.Fprintf(&b, "TK%08d,11-10-2025 10:00:00,,Pay Bill from 25472****108 - JANE **** WANJIKU Acc. 000123,Completed,10.00,,\"1.00\",true,Pay Utility,x,,000123\n", i)
	}
	fmt.Fprintf(&b, "TK%08d,11-10-2025 10:00:00,,Pay Bill from 25472****108 - JANE **** WANJIKU Acc. 000123,Completed,10.00,,\"1.00\",true,Pay Utility,x,,000123\n", 0)
	for _, x := range extra {
		b.WriteString(x + "\n")
	}
	if _, err := mpesastatement.NewReader(bytes.NewReader(b.Bytes())); err != nil {
		t.Fatal(err)
	}
	return bytes.NewReader(b.Bytes())
}

// reversalRow is a statement row reversing the payment of.
func reversalRow(receipt, of string) string {
	return receipt + ",11-10-2025 12:00:00,,Reversal of " + of + ",Completed,,10.00,\"1.00\",true,Reversal,x," + of + ","
}

// A reversal row that follows its payment (here, hundreds of rows and a
// batch later) and one that names a payment the box got earlier by SMS:
// neither payment is recorded as a new payment to post; both are
// reversal-pending and listed under "reversed on the statement"; the
// reversals are recorded before any payment.
func TestStatementReversedPaymentsAreNeverPosted(t *testing.T) {
	m := &memBackend{known: map[string]bool{"TJSMS00001": true}}
	f := statement(t, 250, reversalRow("TKREV00001", "TK00000002"), reversalRow("TKREV00002", "TJSMS00001"))
	rep, err := Statement(context.Background(), f, m, Options{List: 5})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(m.records) != "[2 200 50]" {
		t.Errorf("batches %v: the reversals go first", m.records)
	}
	if rep.New != 249 || rep.Journaled != 249 || rep.Reversed != 2 || rep.Skipped[mpesastatement.SkipReversal] != 2 {
		t.Errorf("report: %d new, %d journaled, %d reversed, skipped %v", rep.New, rep.Journaled, rep.Reversed, rep.Skipped)
	}
	want := map[string]string{"TK00000002": "from this statement", "TJSMS00001": "came earlier (sms)"}
	for _, r := range rep.ReversedRows {
		if r.State != store.PaymentReversalPending || !strings.Contains(r.Note, want[r.TxnID]) || want[r.TxnID] == "" {
			t.Errorf("reversed row %+v", r)
		}
		delete(want, r.TxnID)
	}
	if len(want) != 0 {
		t.Errorf("not listed: %v", want)
	}

	// A dry run records nothing, reversals included, and says the same.
	m = &memBackend{known: map[string]bool{"TJSMS00001": true}}
	f = statement(t, 10, reversalRow("TKREV00001", "TK00000002"), reversalRow("TKREV00002", "TJSMS00001"))
	rep, err = Statement(context.Background(), f, m, Options{DryRun: true, List: 5})
	if err != nil || len(m.records) != 0 || rep.New != 9 || rep.Reversed != 2 {
		t.Fatalf("dry run: %v, %d record calls, report %+v", err, len(m.records), rep)
	}
	if n := rep.ReversedRows[0].Note + " | " + rep.ReversedRows[1].Note; !strings.Contains(n, "never posted") || !strings.Contains(n, "marks it reversal-pending") {
		t.Errorf("dry run notes: %s", n)
	}
}

func TestStatementBatchesCountsAndCaps(t *testing.T) {
	m := &memBackend{known: map[string]bool{"TK00000003": true}, receipts: []Receipt{{TxnID: "TK00000001"}, {TxnID: "TJFORGED01"}}}
	rep, err := Statement(context.Background(), statement(t, 450), m, Options{File: "s.csv", List: 5})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(m.records) != "[200 200 50]" || m.knowns != 0 {
		t.Errorf("batches %v, %d lookups", m.records, m.knowns)
	}
	if rep.Rows != 451 || rep.New != 449 || rep.Known != 1 || rep.Journaled != 449 || rep.Repeated != 1 || rep.NewAmount != 449*10_000000 {
		t.Errorf("report %+v", rep)
	}
	if !rep.Reconciled || rep.Unlisted != 1 || rep.UnlistedRows[0].TxnID != "TJFORGED01" {
		t.Errorf("unlisted %d %+v", rep.Unlisted, rep.UnlistedRows)
	}
	if len(rep.RepeatedRows) != 1 || !strings.Contains(rep.RepeatedRows[0], "TK00000000 is on the statement twice") {
		t.Errorf("repeated %v", rep.RepeatedRows)
	}
}

func TestStatementDryRunRecordsNothing(t *testing.T) {
	m := &memBackend{known: map[string]bool{"TK00000003": true}}
	rep, err := Statement(context.Background(), statement(t, 10), m, Options{DryRun: true, List: 5})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.records) != 0 || m.knowns != 1 || rep.New != 9 || rep.Known != 1 || rep.Journaled != 0 {
		t.Errorf("dry run: %d record calls, %d lookups, report %+v", len(m.records), m.knowns, rep)
	}
}

// A failing backend stops the import; what was done is in the report.
func TestStatementStopsAtABackendFailure(t *testing.T) {
	m := &memBackend{known: map[string]bool{}, failAfter: 2}
	rep, err := Statement(context.Background(), statement(t, 450), m, Options{List: 5})
	if err == nil || !strings.Contains(err.Error(), "the store is full") || !strings.Contains(err.Error(), "rows ") {
		t.Fatalf("err %v", err)
	}
	if rep.New != 200 || rep.Reconciled {
		t.Errorf("after a failure: %d new, reconciled %v", rep.New, rep.Reconciled)
	}
}
