package store

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"go.etcd.io/bbolt"
)

func repayment(loan int64, batch uint64, ext string) JournalEntry {
	return JournalEntry{Batch: batch, Kind: JournalLoanRepayment, AccountID: loan, Amount: 1_500_000_000,
		Date: "2024-09-26", ExternalID: ext, Officer: "+254700000001"}
}

func deposit(savings int64, batch uint64, receipt string) JournalEntry {
	return JournalEntry{Batch: batch, Kind: JournalSavingsDeposit, AccountID: savings, Amount: 500_000_000,
		Date: "2024-09-26", Receipt: receipt}
}

func mustAppend(t *testing.T, db *DB, e JournalEntry) uint64 {
	t.Helper()
	id, err := db.AppendJournal(e)
	if err != nil {
		t.Fatalf("append %+v: %v", e, err)
	}
	return id
}

func dueIDs(t *testing.T, db *DB, now time.Time) []uint64 {
	t.Helper()
	due, err := db.DueJournal(now, 0)
	if err != nil {
		t.Fatal(err)
	}
	var ids []uint64
	for _, e := range due {
		ids = append(ids, e.ID)
	}
	return ids
}

func assertJournalInvariants(t *testing.T, db *DB) {
	t.Helper()
	for _, p := range checkJournalInvariants(db) {
		t.Error(p)
	}
}

// checkJournalInvariants verifies that every journal index agrees with the
// records: one state index per record, the open index holds exactly the
// open entries, the due index exactly the pending heads, the done-at index
// exactly the done entries, the batch index every record.
func checkJournalInvariants(db *DB) []error {
	var problems []error
	report := func(format string, args ...any) { problems = append(problems, fmt.Errorf(format, args...)) }
	err := db.bolt.View(func(btx *bbolt.Tx) error {
		heads := map[string]uint64{}
		var entries []JournalEntry
		err := btx.Bucket(bucketJournal).ForEach(func(k, _ []byte) error {
			e, err := loadJournal(btx, keyID(k))
			if err != nil {
				report("journal %d unreadable: %v", keyID(k), err)
				return nil
			}
			entries = append(entries, e)
			for _, s := range journalStates {
				if in := btx.Bucket(journalStateBucket(s)).Get(k) != nil; in != (e.State == s) {
					report("journal %d is %s but in-%s-index=%v", e.ID, e.State, s, in)
				}
			}
			if in := btx.Bucket(bucketJournalOpen).Get(openKey(&e)) != nil; in != e.State.Open() {
				report("journal %d is %s but in-open-index=%v", e.ID, e.State, in)
			}
			if e.State.Open() && heads[e.OrderKey()] == 0 {
				heads[e.OrderKey()] = e.ID // records are walked in id order
			}
			if in := btx.Bucket(bucketJournalDoneAt).Get(timeIDKey(e.SettledAt, e.ID)) != nil; in != (e.State == JournalDone) {
				report("journal %d is %s but in-done-at-index=%v", e.ID, e.State, in)
			}
			if btx.Bucket(bucketJournalBatch).Get(append(idKey(e.Batch), k...)) == nil {
				report("journal %d missing from batch index", e.ID)
			}
			return nil
		})
		if err != nil {
			return err
		}
		wantDue := 0
		for _, e := range entries {
			isHead := heads[e.OrderKey()] == e.ID
			want := isHead && e.State == JournalPending
			if in := btx.Bucket(bucketJournalDue).Get(timeIDKey(e.NextAttempt, e.ID)) != nil; in != want {
				report("journal %d (%s, head=%v) in-due-index=%v", e.ID, e.State, isHead, in)
			}
			if want {
				wantDue++
			}
		}
		for name, want := range map[string]int{
			"due": wantDue, "batch": len(entries),
		} {
			b := map[string][]byte{"due": bucketJournalDue, "batch": bucketJournalBatch}[name]
			if n := btx.Bucket(b).Stats().KeyN; n != want {
				report("%s index has %d keys, want %d", name, n, want)
			}
		}
		indexed := 0
		for _, s := range journalStates {
			indexed += btx.Bucket(journalStateBucket(s)).Stats().KeyN
		}
		if indexed != len(entries) {
			report("state indexes hold %d ids for %d journal entries", indexed, len(entries))
		}
		return nil
	})
	if err != nil {
		problems = append(problems, err)
	}
	return problems
}

func TestJournalAppendValidates(t *testing.T) {
	db := openTemp(t)
	bad := []JournalEntry{
		{Kind: "withdrawal", AccountID: 1, Amount: 1, Date: "2024-01-01"},
		{Kind: JournalLoanRepayment, AccountID: 1, Amount: 1, Date: "2024-01-01"},                  // no external id
		{Kind: JournalLoanRepayment, AccountID: 1, Amount: 0, Date: "2024-01-01", ExternalID: "x"}, // no amount
		{Kind: JournalLoanDisbursement, AccountID: 1, Amount: 1, Date: "2024-01-01", Receipt: "R"}, // no external id
		{Kind: JournalLoanDisbursement, Amount: 1, Date: "2024-01-01", ExternalID: "x"},            // no loan
		{Kind: JournalSavingsDeposit, AccountID: 1, Amount: 1, Date: "2024-01-01"},                 // no receipt
		{Kind: JournalSavingsDeposit, AccountID: 1, Amount: 1, Date: "26/09/2024", Receipt: "r"},
		{Kind: JournalCollectionSheet, GroupID: 1, Date: "2024-01-01"}, // no payload
		{Kind: JournalSavingsDeposit, AccountID: 1, Amount: 1, Date: "2024-01-01", Receipt: string(make([]byte, 51))},
		{Kind: JournalLoanDisbursement, AccountID: 1, Amount: 1, Date: "2024-01-01", Receipt: "QKA1", DisburseLine: 1},       // no external id
		{Kind: JournalLoanDisbursement, AccountID: 1, Amount: 1, Date: "2024-01-01", ExternalID: "md-x", DisburseLine: 1},    // no confirmation
		{Kind: JournalLoanDisbursement, AccountID: 1, Amount: 1, Date: "2024-01-01", ExternalID: "md-x", Receipt: "QKA1"},    // no line
		{Kind: JournalLoanDisbursement, Amount: 1, Date: "2024-01-01", ExternalID: "md-x", Receipt: "QKA1", DisburseLine: 1}, // no loan
	}
	for _, e := range bad {
		if _, err := db.AppendJournal(e); err == nil {
			t.Errorf("AppendJournal(%+v) accepted an invalid entry", e)
		}
	}
	if st := must(db.JournalStats())(t); st != (JournalStats{}) {
		t.Errorf("stats after rejected appends: %+v", st)
	}
	// A complete disbursement record is a journal entry like a repayment.
	if _, err := db.AppendJournal(JournalEntry{Kind: JournalLoanDisbursement, AccountID: 1, Amount: 1, Date: "2024-01-01",
		ExternalID: "x", Receipt: "R", DisburseLine: 7}); err != nil {
		t.Errorf("a disbursement: %v", err)
	}
}

// A paid disbursement line is journaled as a loan_disbursement entry on
// its loan's order key.
func TestJournalAppendLoanDisbursement(t *testing.T) {
	db := openTemp(t)
	id := mustAppend(t, db, JournalEntry{Kind: JournalLoanDisbursement, AccountID: 981, Amount: 5000_000000, Date: "2026-03-02",
		ExternalID: "md-MFEBOX1D7", Receipt: "QKA1B2C3D4", DisburseLine: 7})
	e := must(db.JournalEntry(id))(t)
	if e.State != JournalPending || e.OrderKey() != "loan:981" || e.DisburseLine != 7 {
		t.Errorf("entry %+v (order key %s)", e, e.OrderKey())
	}
	if due := dueIDs(t, db, time.Now().Add(time.Second)); len(due) != 1 || due[0] != id {
		t.Errorf("due %v", due)
	}
}

func TestJournalAppendCommitsWithTheHandlerTransaction(t *testing.T) {
	db := openTemp(t)
	boom := errors.New("handler failed")
	err := db.Update(func(tx *Tx) error {
		if _, err := tx.AppendJournal(repayment(1, 7, "ext-1")); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
	if all := must(db.ListJournal("", 0))(t); len(all) != 0 {
		t.Fatalf("rolled-back append left %d entries", len(all))
	}
	id := mustAppend(t, db, repayment(1, 7, "ext-1"))
	e, err := db.JournalEntry(id)
	if err != nil {
		t.Fatal(err)
	}
	if e.State != JournalPending || e.NextAttempt.IsZero() || e.CreatedAt.IsZero() || e.Attempts != 0 {
		t.Errorf("new entry: %+v", e)
	}
	assertJournalInvariants(t, db)
}

func TestJournalOrderingPerKey(t *testing.T) {
	db := openTemp(t)
	a1 := mustAppend(t, db, repayment(1, 1, "a1"))
	a2 := mustAppend(t, db, repayment(1, 2, "a2"))
	b1 := mustAppend(t, db, repayment(2, 2, "b1"))
	s1 := mustAppend(t, db, deposit(1, 3, "s1")) // savings 1 is not loan 1
	now := time.Now()
	if got, want := dueIDs(t, db, now), []uint64{a1, b1, s1}; !slices.Equal(got, want) {
		t.Fatalf("due = %v, want %v (a2 waits behind a1)", got, want)
	}
	if err := db.MarkJournalPosting(a2, "k-a2"); !errors.Is(err, ErrJournalState) {
		t.Fatalf("posting a2 before a1 settled: err = %v, want ErrJournalState", err)
	}
	if err := db.MarkJournalPosting(a1, "k-a1"); err != nil {
		t.Fatal(err)
	}
	if got, want := dueIDs(t, db, now), []uint64{a1, b1, s1}; !slices.Equal(got, want) {
		t.Fatalf("due with a1 posting = %v, want %v", got, want)
	}
	// a1 backs off: neither it nor a2 is due now.
	if err := db.MarkJournalRetry(a1, now.Add(time.Hour), "fineract 503"); err != nil {
		t.Fatal(err)
	}
	if got, want := dueIDs(t, db, now), []uint64{b1, s1}; !slices.Equal(got, want) {
		t.Fatalf("due with a1 backing off = %v, want %v", got, want)
	}
	if at, ok := must2(db.NextJournalWake(now))(t); !ok || !at.Equal(now.Add(time.Hour)) {
		t.Errorf("NextJournalWake = %v %v, want a1's retry time", at, ok)
	}
	if got := dueIDs(t, db, now.Add(2*time.Hour)); !slices.Contains(got, a1) || slices.Contains(got, a2) {
		t.Fatalf("due later = %v, want a1 and not a2", got)
	}
	if err := db.MarkJournalPosting(a1, "k-a1-2"); err != nil {
		t.Fatal(err)
	}
	if err := db.SettleJournal(a1, JournalDone, []int64{99}, "", nil); err != nil {
		t.Fatal(err)
	}
	if got := dueIDs(t, db, now); !slices.Contains(got, a2) {
		t.Fatalf("due after a1 settled = %v, want a2", got)
	}
	// limit bounds the page.
	if due := must(db.DueJournal(now, 2))(t); len(due) != 2 {
		t.Errorf("DueJournal(limit 2) returned %d", len(due))
	}
	e := must(db.JournalEntry(a1))(t)
	if e.Attempts != 2 || e.IdempotencyKey != "k-a1-2" || !slices.Equal(e.FineractTxnIDs, []int64{99}) || e.SettledAt.IsZero() {
		t.Errorf("settled a1: %+v", e)
	}
	assertJournalInvariants(t, db)
}

func TestJournalFailedDoesNotBlockButRequeueDoes(t *testing.T) {
	db := openTemp(t)
	a1 := mustAppend(t, db, repayment(1, 1, "a1"))
	if err := db.SettleJournal(a1, JournalFailed, nil, "loan is not active", nil); err != nil {
		t.Fatal(err)
	}
	a2 := mustAppend(t, db, repayment(1, 2, "a2"))
	if got := dueIDs(t, db, time.Now()); !slices.Equal(got, []uint64{a2}) {
		t.Fatalf("due = %v, want only a2", got)
	}
	if err := db.RequeueJournal(a2); !errors.Is(err, ErrJournalState) {
		t.Errorf("requeue of a pending entry: %v", err)
	}
	if err := db.RequeueJournal(a1); err != nil {
		t.Fatal(err)
	}
	if got := dueIDs(t, db, time.Now()); !slices.Equal(got, []uint64{a1}) {
		t.Fatalf("due after requeue = %v, want a1 first again", got)
	}
	e := must(db.JournalEntry(a1))(t)
	if e.State != JournalPending || e.LastError != "loan is not active" || !e.SettledAt.IsZero() {
		t.Errorf("requeued entry: %+v", e)
	}
	assertJournalInvariants(t, db)
}

func TestJournalPostingSurvivesReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	id := mustAppend(t, db, deposit(5, 1, "rcpt-1"))
	if err := db.MarkJournalPosting(id, "key-1"); err != nil {
		t.Fatal(err)
	}
	check(t, db.Close())
	db, err = Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// Due whatever the time: the outcome of that attempt is unknown.
	due, err := db.DueJournal(time.Now().Add(-time.Hour), 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(due) != 1 || due[0].ID != id || due[0].State != JournalPosting || due[0].IdempotencyKey != "key-1" || due[0].Attempts != 1 {
		t.Fatalf("after reopen: %+v", due)
	}
	if err := db.MarkJournalUncertain(id, time.Now(), "daemon stopped mid-request", true); err != nil {
		t.Fatal(err)
	}
	e := must(db.JournalEntry(id))(t)
	if !e.Uncertain || !e.ReuseKey || e.State != JournalPending {
		t.Errorf("after MarkJournalUncertain: %+v", e)
	}
	// A later answered retry keeps Uncertain (that attempt may still exist) but not ReuseKey.
	if err := db.MarkJournalRetry(id, time.Now(), "503"); err != nil {
		t.Fatal(err)
	}
	e = must(db.JournalEntry(id))(t)
	if !e.Uncertain || e.ReuseKey {
		t.Errorf("after MarkJournalRetry: %+v", e)
	}
	assertJournalInvariants(t, db)
}

func TestSettleJournalQueuesConfirmationsAtomically(t *testing.T) {
	db := openTemp(t)
	a := mustAppend(t, db, repayment(1, 40, "a"))
	b := mustAppend(t, db, repayment(2, 40, "b"))
	other := mustAppend(t, db, repayment(3, 41, "c"))
	// A confirmation that cannot be queued rolls back the settle too.
	err := db.SettleJournal(a, JournalDone, []int64{1}, "", []Outbound{{To: "+254700000001", Text: "ok"}, {To: "", Text: "no number"}})
	if err == nil {
		t.Fatal("settle with an unqueueable confirmation succeeded")
	}
	if e := must(db.JournalEntry(a))(t); e.State != JournalPending {
		t.Fatalf("entry settled although its confirmation failed: %s", e.State)
	}
	if out := must(db.ListOutbound("", 0))(t); len(out) != 0 {
		t.Fatalf("%d confirmations queued by a rolled-back settle", len(out))
	}
	var seen []JournalEntry
	confirm := func(e JournalEntry, batch []JournalEntry) []Outbound {
		seen = batch
		return []Outbound{{To: e.Officer, Text: fmt.Sprintf("entry %d %s", e.ID, e.State), Origin: fmt.Sprint("journal:", e.ID)}}
	}
	if err := db.SettleJournalWith(a, JournalDone, []int64{11}, "posted", confirm); err != nil {
		t.Fatal(err)
	}
	if len(seen) != 2 || seen[0].ID != a || seen[0].State != JournalDone || seen[1].ID != b || seen[1].State != JournalPending {
		t.Fatalf("batch seen by confirm: %+v", seen)
	}
	if err := db.SettleJournalWith(b, JournalFailed, nil, "loan closed", confirm); err != nil {
		t.Fatal(err)
	}
	if seen[0].State != JournalDone || seen[1].State != JournalFailed || seen[1].Outcome != "loan closed" {
		t.Fatalf("second settle saw %+v", seen)
	}
	// Settling twice is refused and queues nothing.
	if err := db.SettleJournalWith(a, JournalDone, nil, "", confirm); !errors.Is(err, ErrJournalState) {
		t.Fatalf("second settle: %v", err)
	}
	out := must(db.ListOutbound("", 0))(t)
	if len(out) != 2 || out[1].Text != fmt.Sprintf("entry %d done", a) || out[0].Text != fmt.Sprintf("entry %d failed", b) {
		t.Fatalf("confirmations: %+v", out)
	}
	if batch := must(db.JournalBatch(41))(t); len(batch) != 1 || batch[0].ID != other {
		t.Errorf("JournalBatch(41) = %+v", batch)
	}
	if err := db.SettleJournal(other, JournalPending, nil, "", nil); err == nil {
		t.Error("settle to pending accepted")
	}
	st := must(db.Stats())(t)
	if st.Journal != (JournalStats{Pending: 1, Done: 1, Failed: 1}) {
		t.Errorf("stats: %+v", st.Journal)
	}
	assertJournalInvariants(t, db)
}

func TestAwaitingApprovalLaterDone(t *testing.T) {
	db := openTemp(t)
	a := mustAppend(t, db, repayment(1, 1, "a"))
	if err := db.SettleJournal(a, JournalAwaitingApproval, nil, "waiting for a checker", nil); err != nil {
		t.Fatal(err)
	}
	if err := db.SettleJournal(a, JournalAwaitingApproval, nil, "", nil); !errors.Is(err, ErrJournalState) {
		t.Errorf("awaiting -> awaiting: %v", err)
	}
	if err := db.SettleJournal(a, JournalDone, []int64{5}, "approved", nil); err != nil {
		t.Fatal(err)
	}
	assertJournalInvariants(t, db)
}

func TestHurryJournal(t *testing.T) {
	db := openTemp(t)
	early := mustAppend(t, db, repayment(1, 1, "early"))
	now := time.Now()
	if err := db.MarkJournalRetry(early, now.Add(time.Hour), "409 loan locked"); err != nil {
		t.Fatal(err)
	}
	outageStart := time.Now()
	late := mustAppend(t, db, repayment(2, 1, "late"))
	if err := db.MarkJournalRetry(late, now.Add(time.Hour), "connection refused"); err != nil {
		t.Fatal(err)
	}
	n, err := db.HurryJournal(now, outageStart)
	if err != nil || n != 1 {
		t.Fatalf("HurryJournal = %d, %v; want 1", n, err)
	}
	if got := dueIDs(t, db, now); !slices.Equal(got, []uint64{late}) {
		t.Fatalf("due = %v, want only the entry delayed by the outage", got)
	}
	assertJournalInvariants(t, db)
}

func TestPruneJournalKeepsUnsettled(t *testing.T) {
	db := openTemp(t)
	var done []uint64
	for i := range 3 {
		id := mustAppend(t, db, repayment(int64(10+i), 1, fmt.Sprint("d", i)))
		if err := db.SettleJournal(id, JournalDone, nil, "", nil); err != nil {
			t.Fatal(err)
		}
		done = append(done, id)
	}
	failed := mustAppend(t, db, repayment(1, 2, "f"))
	check(t, db.SettleJournal(failed, JournalFailed, nil, "no", nil))
	awaiting := mustAppend(t, db, repayment(2, 2, "w"))
	check(t, db.SettleJournal(awaiting, JournalAwaitingApproval, nil, "", nil))
	posting := mustAppend(t, db, repayment(3, 2, "p"))
	check(t, db.MarkJournalPosting(posting, "k"))
	pending := mustAppend(t, db, repayment(4, 2, "q"))
	cutoff := time.Now()
	fresh := mustAppend(t, db, repayment(5, 2, "fresh"))
	check(t, db.SettleJournal(fresh, JournalDone, nil, "", nil))

	n, err := db.PruneJournal(cutoff)
	if err != nil || n != len(done) {
		t.Fatalf("PruneJournal = %d, %v; want %d", n, err, len(done))
	}
	for _, id := range done {
		if _, err := db.JournalEntry(id); !errors.Is(err, ErrNotFound) {
			t.Errorf("done entry %d survived prune: %v", id, err)
		}
	}
	for _, id := range []uint64{failed, awaiting, posting, pending, fresh} {
		if _, err := db.JournalEntry(id); err != nil {
			t.Errorf("entry %d: %v", id, err)
		}
	}
	if b := must(db.JournalBatch(1))(t); len(b) != 0 {
		t.Errorf("batch 1 still lists %d pruned entries", len(b))
	}
	if n := must(db.PruneJournal(time.Now().Add(time.Hour)))(t); n != 1 {
		t.Errorf("second prune removed %d, want only the fresh done entry", n)
	}
	assertJournalInvariants(t, db)
}

func TestListJournal(t *testing.T) {
	db := openTemp(t)
	a := mustAppend(t, db, repayment(1, 1, "a"))
	b := mustAppend(t, db, repayment(2, 1, "b"))
	check(t, db.SettleJournal(a, JournalFailed, nil, "x", nil))
	all := must(db.ListJournal("", 0))(t)
	if len(all) != 2 || all[0].ID != b {
		t.Errorf("ListJournal all: %+v", all)
	}
	if f := must(db.ListJournal(JournalFailed, 5))(t); len(f) != 1 || f[0].ID != a {
		t.Errorf("ListJournal failed: %+v", f)
	}
	if _, err := db.ListJournal("bogus", 0); err == nil {
		t.Error("unknown state accepted")
	}
}

// The amount Fineract posted is recorded on an open entry before it
// settles, kept once settled, and forgotten when a person requeues it.
func TestJournalPostedAmount(t *testing.T) {
	db := openTemp(t)
	id := mustAppend(t, db, repayment(5, 1, "posted-1"))
	if err := db.MarkJournalPosting(id, "k1"); err != nil {
		t.Fatal(err)
	}
	if err := db.SetJournalPostedAmount(id, 0); err == nil {
		t.Fatal("a posted amount of 0 was recorded")
	}
	if err := db.SetJournalPostedAmount(id, 1_600_000_000); err != nil {
		t.Fatal(err)
	}
	if err := db.SettleJournal(id, JournalFailed, nil, "check", nil); err != nil {
		t.Fatal(err)
	}
	if e, _ := db.JournalEntry(id); e.PostedAmount != 1_600_000_000 || e.Amount != 1_500_000_000 {
		t.Fatalf("settled entry %+v", e)
	}
	if err := db.SetJournalPostedAmount(id, 1); !errors.Is(err, ErrJournalState) {
		t.Fatalf("posted amount on a settled entry: %v", err)
	}
	if err := db.RequeueJournal(id); err != nil {
		t.Fatal(err)
	}
	if e, _ := db.JournalEntry(id); e.PostedAmount != 0 {
		t.Fatalf("requeued entry keeps the old posted amount: %+v", e)
	}
	assertJournalInvariants(t, db)
}

// Still-running answers are counted across retries and restarts, and a
// person's requeue starts the count again.
func TestJournalStillRunningCount(t *testing.T) {
	db := openTemp(t)
	id := mustAppend(t, db, deposit(7, 1, "R1"))
	for i := 1; i <= 2; i++ {
		if err := db.MarkJournalPosting(id, "k1"); err != nil {
			t.Fatal(err)
		}
		if err := db.MarkJournalStillRunning(id, time.Now(), "425"); err != nil {
			t.Fatal(err)
		}
		if e, _ := db.JournalEntry(id); e.StillRunning != i || !e.Uncertain || !e.ReuseKey || e.State != JournalPending {
			t.Fatalf("after %d: %+v", i, e)
		}
	}
	if err := db.SettleJournal(id, JournalFailed, nil, "stuck", nil); err != nil {
		t.Fatal(err)
	}
	if err := db.RequeueJournal(id); err != nil {
		t.Fatal(err)
	}
	if e, _ := db.JournalEntry(id); e.StillRunning != 0 {
		t.Fatalf("requeued entry keeps the count: %+v", e)
	}
	assertJournalInvariants(t, db)
}
