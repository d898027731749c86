package disburse

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mifos-edge/mifos-edge/internal/crashtest"
	"github.com/mifos-edge/mifos-edge/mifos"
	"github.com/mifos-edge/mifos-edge/store"
)

// The crash test: a child process runs the engine against an operator that
// writes down every request that reaches it before it answers, and is
// killed with SIGKILL at random points, again and again, on the same state
// file. After every kill the parent reopens the store, recovers as the
// daemon does, and checks the operator's record against the lines: no
// request reached the operator twice, no line it paid is pending or
// failed, and no line is successful (journaled in Mifos) that it did not
// pay.

// crashChildEnv names the directory of the state file and the operator's
// record a re-executed test binary works on (see TestMain).
const crashChildEnv = "MIFOS_EDGE_DISBURSE_CRASH_CHILD"

// The operator's record, one line per request that reached it:
// "<ref> paid <confirmation>" or "<ref> refused -".
const operatorRecord = "operator.log"

type opEntry struct {
	outcome, confirmation string
}

// readOperatorRecord reads the record; every request listed, in order.
func readOperatorRecord(path string) ([]string, map[string]opEntry, error) {
	raw, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, map[string]opEntry{}, nil
	}
	if err != nil {
		return nil, nil, err
	}
	var refs []string
	seen := map[string]opEntry{}
	text := string(raw)
	if text != "" && !strings.HasSuffix(text, "\n") {
		return nil, nil, fmt.Errorf("the operator's record ends in a torn line: %q", text[strings.LastIndex(text, "\n")+1:])
	}
	for _, line := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		if line == "" {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 3 || (f[1] != "paid" && f[1] != "refused") {
			return nil, nil, fmt.Errorf("bad line in the operator's record: %q", line)
		}
		refs = append(refs, f[0])
		if _, ok := seen[f[0]]; !ok {
			seen[f[0]] = opEntry{f[1], f[2]}
		}
	}
	return refs, seen, nil
}

// crashOperator is the operator's API as the child sees it: what reaches
// it is appended to the record before it answers, so a kill at any point
// after the request left leaves a trace.
type crashOperator struct {
	mu     sync.Mutex
	rng    *rand.Rand
	record *os.File
	known  map[string]opEntry
}

// note records a request that reached the operator; the answer then takes
// its time on the way back, the window a kill must be able to hit.
func (p *crashOperator) note(ref, outcome, confirmation string) error {
	if _, err := fmt.Fprintf(p.record, "%s %s %s\n", ref, outcome, confirmation); err != nil {
		return err
	}
	if _, ok := p.known[ref]; !ok {
		p.known[ref] = opEntry{outcome, confirmation}
	}
	time.Sleep(time.Duration(p.rng.IntN(10_000)) * time.Microsecond)
	return nil
}

func (p *crashOperator) Submit(_ context.Context, o Order) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	conf := fmt.Sprintf("Q%dX%d", o.LineID, p.rng.IntN(1e6))
	switch n := p.rng.IntN(10); {
	case n < 2: // the link is down: nothing reached the operator
		return "", &NotSentError{Err: errors.New("dial tcp: connection refused")}
	case n < 3:
		if err := p.note(o.Ref, "refused", "-"); err != nil {
			return "", err
		}
		return "", &RefusedError{Code: "2001", Reason: "the initiator information is invalid"}
	case n < 4: // paid, and the answer is lost
		if err := p.note(o.Ref, "paid", conf); err != nil {
			return "", err
		}
		return "", errors.New("read tcp: i/o timeout")
	case n < 5: // lost on the way: the operator never saw it
		return "", errors.New("read tcp: connection reset by peer")
	default:
		if err := p.note(o.Ref, "paid", conf); err != nil {
			return "", err
		}
		return "AG_" + o.Ref, nil
	}
}

func (p *crashOperator) Query(_ context.Context, o Order, _ string) (Result, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	e, ok := p.known[o.Ref]
	switch {
	case !ok:
		return Result{Outcome: NoRecord}, nil
	case e.outcome == "paid":
		return Result{Outcome: Paid, Confirmation: e.confirmation, Amount: o.Amount}, nil
	}
	return Result{Outcome: NotPaid, Reason: "the initiator information is invalid", Code: "2001"}, nil
}

// crashFineract approves every loan: officer 14, KES 1,000.00.
type crashFineract struct{}

func (crashFineract) LoanApplication(_ context.Context, id int64) (mifos.LoanApplication, error) {
	return mifos.LoanApplication{PendingLoan: mifos.PendingLoan{ID: id, AccountNo: fmt.Sprintf("%09d", id), ClientID: id,
		Principal: 1000_000000, Currency: kes, OfficerID: officer, OfficerName: "Grace Wanjiru"},
		StatusID: mifos.StatusApproved, ApprovedPrincipal: 1000_000000}, nil
}

func (crashFineract) Client(_ context.Context, id int64) (mifos.Client, error) {
	return mifos.Client{ID: id, DisplayName: "Client " + strconv.FormatInt(id, 10), MobileNo: fmt.Sprintf("0712%06d", id%1_000_000)}, nil
}

// runCrashChild plays the box on dir until it is killed: recovery as Run
// does it, then batches built and sent, engine steps, the operator's
// callbacks and Fineract's postings, all at random.
func runCrashChild(dir string, seed uint64) error {
	db, err := store.Open(filepath.Join(dir, "state.db"), store.Options{LockTimeout: 10 * time.Second})
	if err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(seed, 7))
	_, known, err := readOperatorRecord(filepath.Join(dir, operatorRecord))
	if err != nil {
		return err
	}
	record, err := os.OpenFile(filepath.Join(dir, operatorRecord), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	op := &crashOperator{rng: rand.New(rand.NewPCG(seed, 8)), record: record, known: known}
	bd := &Builder{DB: db, API: crashFineract{}, Country: "KE", BoxID: "crash", Log: quiet,
		Policy: Policy{LimitOf: func(int64) int64 { return 1 << 50 }}}
	eng := &Engine{DB: db, API: crashFineract{}, Provider: op, Country: "KE", PaymentTypeID: 9, Log: quiet,
		Today: func(context.Context) mifos.Date { return today }, ResultWait: 2 * time.Millisecond, QueryEvery: time.Millisecond}
	// The loans of earlier runs are taken: go on after the highest.
	batches, err := db.DisburseBatches(0)
	if err != nil {
		return err
	}
	next := int64(1)
	for _, b := range batches {
		// A batch built by a run killed before it was sent is sent now,
		// as its officer would.
		if b.State == store.BatchReady {
			if _, err := bd.Send(b.ID, "crash child"); err != nil {
				return err
			}
		}
		_, lines, err := db.DisburseBatch(b.ID)
		if err != nil {
			return err
		}
		for _, l := range lines {
			next = max(next, l.LoanID+1)
		}
	}
	// What Engine.Run does first.
	if _, err := db.RecoverDisburse(); err != nil {
		return err
	}
	ctx := context.Background()
	fmt.Println("ready")
	for {
		pending, err := db.DisburseLines(store.LinePending)
		if err != nil {
			return err
		}
		if len(pending) < 3 {
			items := []Item{{LoanID: next}, {LoanID: next + 1}, {LoanID: next + 2}}
			next += 3
			b, _, err := bd.Create(ctx, officer, items, "crash child", "")
			if err != nil {
				return err
			}
			if _, err := bd.Send(b.ID, "crash child"); err != nil {
				return err
			}
		}
		eng.Step(ctx)
		// The operator's callbacks, for some of the lines it accepted.
		sent, err := db.DisburseLines(store.LineSent)
		if err != nil {
			return err
		}
		for _, l := range sent {
			op.mu.Lock()
			e, ok := op.known[l.Ref]
			op.mu.Unlock()
			if ok && e.outcome == "paid" && rng.IntN(2) == 0 {
				if err := eng.Report(ctx, Result{Ref: l.Ref, Outcome: Paid, Confirmation: e.confirmation, Amount: l.Amount, Via: "callback"}); err != nil {
					return err
				}
			}
		}
		// Fineract records the disbursements.
		due, err := db.DueJournal(time.Now(), 5)
		if err != nil {
			return err
		}
		for _, e := range due {
			if err := db.MarkJournalPosting(e.ID, fmt.Sprint("k", e.ID, "-", e.Attempts)); err != nil {
				return err
			}
			if err := db.SettleJournal(e.ID, store.JournalDone, []int64{int64(e.ID)}, "disbursed", nil); err != nil {
				return err
			}
		}
		fmt.Println("tick")
	}
}

func TestEngineCrashNeverPaysTwice(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(crashtest.Seed(t), 9))
	recovered := 0
	for round := range 30 {
		crashtest.KillAfterTicks(t, crashtest.Child(crashChildEnv, dir, rng.Uint64()), 1+rng.IntN(8), time.Duration(rng.IntN(20_000))*time.Microsecond)
		db, err := store.Open(filepath.Join(dir, "state.db"), store.Options{LockTimeout: 10 * time.Second})
		if err != nil {
			t.Fatalf("round %d: reopen after kill: %v", round, err)
		}
		n, err := db.RecoverDisburse()
		if err != nil {
			t.Fatalf("round %d: recover: %v", round, err)
		}
		recovered += n
		for _, p := range checkAgainstOperator(db, filepath.Join(dir, operatorRecord)) {
			t.Errorf("round %d: %v", round, p)
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		if t.Failed() {
			return
		}
	}
	// The run must have paid lines, or it proved nothing.
	db, err := store.Open(filepath.Join(dir, "state.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	paid, err := db.DisburseLines(store.LineSuccessful)
	if err != nil {
		t.Fatal(err)
	}
	refs, _, err := readOperatorRecord(filepath.Join(dir, operatorRecord))
	if err != nil {
		t.Fatal(err)
	}
	if len(paid) == 0 || len(refs) == 0 {
		t.Errorf("the children paid nothing: %d lines successful, %d requests reached the operator", len(paid), len(refs))
	}
	t.Logf("%d requests reached the operator, %d lines paid, %d lines found mid-send after a kill", len(refs), len(paid), recovered)
}

// checkAgainstOperator compares the lines, recovered, with the operator's
// record.
func checkAgainstOperator(db *store.DB, recordPath string) []error {
	var problems []error
	report := func(format string, args ...any) { problems = append(problems, fmt.Errorf(format, args...)) }
	refs, op, err := readOperatorRecord(recordPath)
	if err != nil {
		return []error{err}
	}
	seen := map[string]bool{}
	for _, ref := range refs {
		if seen[ref] {
			report("line %s reached the operator twice", ref)
		}
		seen[ref] = true
	}
	journal, err := db.ListJournal("", 0)
	if err != nil {
		return []error{err}
	}
	entries := map[uint64][]store.JournalEntry{}
	for _, e := range journal {
		if e.Kind == store.JournalLoanDisbursement {
			entries[e.DisburseLine] = append(entries[e.DisburseLine], e)
		}
	}
	inState := map[uint64]store.LineState{}
	for _, s := range store.LineStates {
		lines, err := db.DisburseLines(s)
		if err != nil {
			return []error{err}
		}
		for _, l := range lines {
			if prev, ok := inState[l.ID]; ok {
				report("line %d listed as %s and %s", l.ID, prev, s)
			}
			inState[l.ID] = s
			if l.State != s {
				report("line %d is %s but listed as %s", l.ID, l.State, s)
			}
			e, reached := op[l.Ref]
			switch {
			case l.State == store.LineSent && !l.Submitted:
				report("line %d is sent without the operator's answer after recovery", l.ID)
			case l.Submitted && l.OutboxID == 0 && !reached:
				report("line %d is marked accepted, but the operator never saw it", l.ID)
			case reached && e.outcome == "paid" && (l.State == store.LinePending || l.State == store.LineFailed):
				report("line %d was paid by the operator (%s) but is %s", l.ID, e.confirmation, l.State)
			case reached && e.outcome == "refused" && (l.State == store.LinePending || l.State == store.LineSuccessful):
				report("line %d was refused by the operator but is %s", l.ID, l.State)
			case l.State == store.LineSuccessful && (!reached || e.outcome != "paid" || e.confirmation != l.Confirmation):
				report("line %d is successful (confirmation %s) but the operator's record says %+v (reached %v)", l.ID, l.Confirmation, e, reached)
			}
			n := len(entries[l.ID])
			switch {
			case l.State == store.LineSuccessful && n != 1:
				report("successful line %d has %d disbursement entries", l.ID, n)
			case l.State != store.LineSuccessful && n != 0:
				report("%s line %d has %d disbursement entries", l.State, l.ID, n)
			case n == 1 && (entries[l.ID][0].ExternalID != "md-"+l.Ref || entries[l.ID][0].ID != l.Journal):
				report("line %d: its entry %+v", l.ID, entries[l.ID][0])
			}
		}
	}
	return problems
}
