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
		if m.known[p.TxnID] {
			out[i] = Result{TxnID: p.TxnID, Outcome: Known, State: store.PaymentPosted, Source: "sms"}
		}
		m.known[p.TxnID] = true
	}
	return out, nil
}

func (m *memBackend) Known(_ context.Context, a KnownArgs) ([]Result, error) {
	m.knowns++
	out := make([]Result, len(a.TxnIDs))
	for i, id := range a.TxnIDs {
		out[i] = Result{TxnID: id, Outcome: New}
		if m.known[id] {
			out[i] = Result{TxnID: id, Outcome: Known, State: store.PaymentPosted, Source: "sms"}
		}
	}
	return out, nil
}

func (m *memBackend) Receipts(context.Context, ReceiptsArgs) (ReceiptsPage, error) {
	return ReceiptsPage{Receipts: m.receipts}, nil
}

// statement is the 2025 sample's preamble and header with n payment rows
// (one of them twice).
func statement(t *testing.T, n int) *mpesastatement.Reader {
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
	rd, err := mpesastatement.NewReader(&b)
	if err != nil {
		t.Fatal(err)
	}
	return rd
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
