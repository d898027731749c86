package store

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// disbRef is the tests' operator ref of a line: unique per store.
func disbRef(id uint64) string { return "TD" + strconv.FormatUint(id, 10) }

// disbLine is a line for loan (client loan+1000, KES 1,000.00 each).
func disbLine(loan int64) DisburseLine {
	return DisburseLine{LoanID: loan, AccountNo: fmt.Sprintf("%09d", loan), ClientID: loan + 1000,
		ClientName: "Client " + strconv.FormatInt(loan, 10), Phone: fmt.Sprintf("+2547%08d", loan),
		Amount: 1000_000000, Approved: 1000_000000, Currency: "KES", Decimals: 2}
}

func disbLines(loans ...int64) []DisburseLine {
	out := make([]DisburseLine, 0, len(loans))
	for _, l := range loans {
		out = append(out, disbLine(l))
	}
	return out
}

// builtBatch stores a batch of staff 14 built by user "grace" with the loans.
func builtBatch(t *testing.T, db *DB, needsApproval bool, loans ...int64) (DisburseBatch, []DisburseLine) {
	t.Helper()
	b, lines, err := db.CreateDisburseBatch(DisburseBatch{StaffID: 14, StaffName: "Grace Wanjiru", CreatedBy: "staff 14 Grace Wanjiru (console)",
		CreatedByUser: "grace", OfficerPhone: "+254711000014", Currency: "KES", Decimals: 2, Limit: 5000_000000, NeedsApproval: needsApproval},
		disbLines(loans...), disbRef)
	if err != nil {
		t.Fatalf("create batch of %v: %v", loans, err)
	}
	return b, lines
}

// sendingBatch is a batch within the limit, sent.
func sendingBatch(t *testing.T, db *DB, loans ...int64) (DisburseBatch, []DisburseLine) {
	t.Helper()
	b, lines := builtBatch(t, db, false, loans...)
	b = must(db.SendDisburseBatch(b.ID, "grace"))(t)
	return b, lines
}

// disbEntry is the loan_disbursement entry of a paid line (as package
// disburse makes it).
func disbEntry(l DisburseLine, confirmation string) *JournalEntry {
	return &JournalEntry{Batch: DisburseBatchBase + l.ID, Kind: JournalLoanDisbursement, ClientPhone: l.Phone,
		ClientID: l.ClientID, AccountID: l.LoanID, AccountNo: l.AccountNo, Amount: l.Amount, Currency: l.Currency,
		Decimals: l.Decimals, Date: "2026-03-02", ExternalID: "md-" + l.Ref, Receipt: confirmation, PaymentTypeID: 9}
}

func paid(confirmation string, l DisburseLine) LineOutcome {
	return LineOutcome{State: LineSuccessful, Confirmation: confirmation, By: "callback", Disbursement: disbEntry(l, confirmation)}
}

func notPaid(reason string) LineOutcome {
	return LineOutcome{State: LineFailed, Reason: reason, Code: "2001", By: "callback"}
}

// lineStartStates are the states a line is driven to before a transition
// is tried, through the store's own transitions.
var lineStartStates = []string{"pending", "sent", "sent+submitted", "unknown", "successful", "failed"}

// lineIn is a line of a sending batch driven to start (see lineStartStates).
func lineIn(t *testing.T, db *DB, loan int64, start string) DisburseLine {
	t.Helper()
	_, lines := sendingBatch(t, db, loan)
	l := lines[0]
	step := func(got DisburseLine, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("drive line to %s: %v", start, err)
		}
		l = got
	}
	if start == "pending" {
		return l
	}
	step(db.MarkLineSending(l.ID))
	switch start {
	case "sent+submitted":
		step(db.MarkLineSubmitted(l.ID, "AG_1"))
	case "unknown":
		step(db.LineUnknown(l.ID, "no answer", time.Now()))
	case "successful":
		got, _, err := db.SettleLine(l.ID, paid("QKA1B2C3D4", l))
		step(got, err)
	case "failed":
		got, _, err := db.SettleLine(l.ID, notPaid("wallet closed"))
		step(got, err)
	}
	return l
}

// requireDisbInvariants checks that every disbursement index agrees with
// the lines: each line in exactly its state's index, its ref pointing at
// it, its loan held by it unless it failed, each batch's total and digest.
func requireDisbInvariants(t *testing.T, db *DB) {
	t.Helper()
	for _, p := range checkDisbInvariants(db) {
		t.Error(p)
	}
}

func checkDisbInvariants(db *DB) []error {
	var problems []error
	report := func(format string, args ...any) { problems = append(problems, fmt.Errorf(format, args...)) }
	err := db.View(func(tx *Tx) error {
		lb, err := tx.disbBucket(extDisbLines)
		if err != nil || lb == nil {
			return err
		}
		live := map[int64]uint64{}
		paidLater := map[int64][]uint64{} // failed lines the operator later said it paid
		err = lb.ForEach(func(k, _ []byte) error {
			l, err := tx.loadLine(keyID(k))
			if err != nil {
				return err
			}
			for _, s := range LineStates {
				sb, err := tx.disbBucket(extDisbState(s))
				if err != nil {
					return err
				}
				if in := sb != nil && sb.Get(k) != nil; in != (l.State == s) {
					report("line %d is %s but in-%s-index=%v", l.ID, l.State, s, in)
				}
			}
			refs, err := tx.disbBucket(extDisbRefs)
			if err != nil {
				return err
			}
			if v := refs.Get([]byte(l.Ref)); v == nil || keyID(v) != l.ID {
				report("line %d: its ref %q does not point at it", l.ID, l.Ref)
			}
			if l.State != LineFailed {
				if other, ok := live[l.LoanID]; ok {
					report("loan %d is on live lines %d and %d", l.LoanID, other, l.ID)
				}
				live[l.LoanID] = l.ID
			} else if l.Conflict != "" {
				paidLater[l.LoanID] = append(paidLater[l.LoanID], l.ID)
			}
			return nil
		})
		if err != nil {
			return err
		}
		loans, err := tx.disbBucket(extDisbLoans)
		if err != nil {
			return err
		}
		for loan, id := range live {
			if v := loans.Get([]byte(strconv.FormatInt(loan, 10))); v == nil || keyID(v) != id {
				report("loan %d: its live line %d does not hold it", loan, id)
			}
		}
		// A failed line the operator later said it paid bars its loan.
		barred, err := tx.disbBucket(extDisbPaidLater)
		if err != nil {
			return err
		}
		for loan, ids := range paidLater {
			if v := barred.Get([]byte(strconv.FormatInt(loan, 10))); v == nil || !slices.Contains(ids, keyID(v)) {
				report("loan %d: its lines %v said paid after they failed do not bar it", loan, ids)
			}
		}
		// And back: no entry left over from a deleted or freed line.
		if err := loans.ForEach(func(k, v []byte) error {
			if l, err := tx.loadLine(keyID(v)); err != nil || strconv.FormatInt(l.LoanID, 10) != string(k) || live[l.LoanID] != l.ID {
				report("loan %s is held by line %d, which is not its live line (%v)", k, keyID(v), err)
			}
			return nil
		}); err != nil {
			return err
		}
		refs, err := tx.disbBucket(extDisbRefs)
		if err != nil {
			return err
		}
		if err := refs.ForEach(func(k, v []byte) error {
			if l, err := tx.loadLine(keyID(v)); err != nil || l.Ref != string(k) {
				report("ref %s points at line %d, which is not its line (%v)", k, keyID(v), err)
			}
			return nil
		}); err != nil {
			return err
		}
		bb, err := tx.disbBucket(extDisbBatches)
		if err != nil || bb == nil {
			return err
		}
		return bb.ForEach(func(k, _ []byte) error {
			b, err := tx.loadBatch(keyID(k))
			if err != nil {
				return err
			}
			lines, err := tx.batchLines(b)
			if err != nil {
				return err
			}
			var total int64
			for _, l := range lines {
				total += l.Amount
				if l.Batch != b.ID {
					report("line %d of batch %d says batch %d", l.ID, b.ID, l.Batch)
				}
			}
			if total != b.Total || LinesDigest(lines) != b.Digest {
				report("batch %d: total %d digest %s, its lines make %d %s", b.ID, b.Total, b.Digest, total, LinesDigest(lines))
			}
			return nil
		})
	})
	if err != nil {
		problems = append(problems, err)
	}
	return problems
}

// The checker must notice damage, or the tests that rely on it prove nothing.
func TestDisbInvariantCheckerDetectsDamage(t *testing.T) {
	damage := map[string]func(tx *Tx) error{
		"state index entry lost": func(tx *Tx) error {
			b, _ := tx.Bucket(extDisbState(LinePending))
			return b.Delete(idKey(1))
		},
		"line also in sent index": func(tx *Tx) error {
			b, _ := tx.Bucket(extDisbState(LineSent))
			return b.Put(idKey(1), nil)
		},
		"loan not held": func(tx *Tx) error {
			b, _ := tx.Bucket(extDisbLoans)
			return b.Delete([]byte("1"))
		},
		"ref left over": func(tx *Tx) error {
			b, _ := tx.Bucket(extDisbRefs)
			return b.Put([]byte("TD99"), idKey(99))
		},
		"loan held by a freed line": func(tx *Tx) error {
			b, _ := tx.Bucket(extDisbLoans)
			return b.Put([]byte("7"), idKey(1))
		},
		"amount changed behind the digest": func(tx *Tx) error {
			l, _ := tx.loadLine(1)
			l.Amount++
			b, _ := tx.Bucket(extDisbLines)
			return putJSON(b, idKey(1), l)
		},
	}
	for name, breakIt := range damage {
		t.Run(name, func(t *testing.T) {
			db := openTemp(t)
			builtBatch(t, db, false, 1, 2)
			if p := checkDisbInvariants(db); len(p) != 0 {
				t.Fatalf("healthy store reported: %v", p)
			}
			check(t, db.Update(breakIt))
			if p := checkDisbInvariants(db); len(p) == 0 {
				t.Error("damage not detected")
			}
		})
	}
}

// Every line transition, from every state: the allowed ones move the line
// where the diagram says, the others are refused with ErrLineState and
// change nothing.
func TestDisburseLineTransitions(t *testing.T) {
	type op struct {
		name string
		do   func(db *DB, l DisburseLine) (DisburseLine, error)
		// to is the state after it, per start state; a start state not
		// listed is refused.
		to map[string]LineState
	}
	ops := []op{
		{"MarkLineSending", func(db *DB, l DisburseLine) (DisburseLine, error) { return db.MarkLineSending(l.ID) },
			map[string]LineState{"pending": LineSent}},
		{"MarkLineCommand", func(db *DB, l DisburseLine) (DisburseLine, error) {
			return db.MarkLineCommand(l.ID, Outbound{To: "+254700100100", Text: "PAY 1000 0712 PIN 1234"})
		}, map[string]LineState{"pending": LineSent}},
		{"MarkLineSubmitted", func(db *DB, l DisburseLine) (DisburseLine, error) { return db.MarkLineSubmitted(l.ID, "AG_2") },
			map[string]LineState{"sent": LineSent, "sent+submitted": LineSent}},
		{"ReleaseLine", func(db *DB, l DisburseLine) (DisburseLine, error) {
			return db.ReleaseLine(l.ID, "connection refused", time.Now().Add(time.Minute))
		}, map[string]LineState{"sent": LinePending}},
		{"LineUnknown", func(db *DB, l DisburseLine) (DisburseLine, error) {
			return db.LineUnknown(l.ID, "timeout", time.Now())
		}, map[string]LineState{"sent": LineUnknown, "sent+submitted": LineUnknown, "unknown": LineUnknown}},
		{"NoteLineQuery", func(db *DB, l DisburseLine) (DisburseLine, error) {
			return db.NoteLineQuery(l.ID, "no record yet", time.Now())
		}, map[string]LineState{"unknown": LineUnknown}},
		{"DeferLine", func(db *DB, l DisburseLine) (DisburseLine, error) {
			return db.DeferLine(l.ID, "Mifos down", time.Now().Add(time.Minute))
		}, map[string]LineState{"pending": LinePending}},
		{"SettleLine failed", func(db *DB, l DisburseLine) (DisburseLine, error) {
			got, _, err := db.SettleLine(l.ID, notPaid("insufficient float"))
			return got, err
		}, map[string]LineState{"pending": LineFailed, "sent": LineFailed, "sent+submitted": LineFailed, "unknown": LineFailed,
			"failed": LineFailed}}, // the same outcome again: a duplicate
		{"SettleLine successful", func(db *DB, l DisburseLine) (DisburseLine, error) {
			got, _, err := db.SettleLine(l.ID, paid("QKA1B2C3D4", l))
			return got, err
		}, map[string]LineState{"sent": LineSuccessful, "sent+submitted": LineSuccessful, "unknown": LineSuccessful,
			"successful": LineSuccessful,  // the same confirmation again: a duplicate
			"pending":    LineSuccessful}, // the operator's word names the line's ref: it got the request
		},
	}
	for _, o := range ops {
		for _, start := range lineStartStates {
			t.Run(o.name+" from "+start, func(t *testing.T) {
				db := openTemp(t)
				l := lineIn(t, db, 1, start)
				got, err := o.do(db, l)
				after := must(db.DisburseLine(l.ID))(t)
				want, allowed := o.to[start]
				switch {
				case allowed && err != nil:
					t.Fatalf("refused: %v", err)
				case allowed && after.State != want:
					t.Errorf("line is %s, want %s", after.State, want)
				case allowed && got.State != want:
					t.Errorf("returned line is %s, want %s", got.State, want)
				case !allowed && !errors.Is(err, ErrLineState):
					t.Errorf("allowed (err %v), line now %s", err, after.State)
				case !allowed && (after.State != l.State || after.Tries != l.Tries || after.Submitted != l.Submitted):
					t.Errorf("refused, yet the line changed: %+v, was %+v", after, l)
				}
				requireDisbInvariants(t, db)
				requireInvariants(t, db)
			})
		}
	}
}

func TestMarkLineSendingOnlyForASendingBatch(t *testing.T) {
	db := openTemp(t)
	_, ready := builtBatch(t, db, false, 1)
	waiting, awaiting := builtBatch(t, db, true, 2)
	approved, approvedLines := builtBatch(t, db, true, 3)
	must(db.ApproveDisburseBatch(approved.ID, "mary", 20, ""))(t)
	for name, l := range map[string]DisburseLine{"ready": ready[0], "awaiting approval": awaiting[0], "approved": approvedLines[0]} {
		if _, err := db.MarkLineSending(l.ID); !errors.Is(err, ErrBatchState) {
			t.Errorf("%s batch: MarkLineSending = %v, want ErrBatchState", name, err)
		}
		if _, err := db.MarkLineCommand(l.ID, Outbound{To: "+254700100100", Text: "PAY"}); !errors.Is(err, ErrBatchState) {
			t.Errorf("%s batch: MarkLineCommand = %v, want ErrBatchState", name, err)
		}
		if got := must(db.DisburseLine(l.ID))(t); got.State != LinePending {
			t.Errorf("%s batch: line is %s", name, got.State)
		}
	}
	if out := must(db.ListOutbound("", 0))(t); len(out) != 0 {
		t.Errorf("a refused command was queued: %+v", out)
	}
	must(db.CancelDisburseBatch(waiting.ID, "grace"))(t)
	if _, err := db.MarkLineSending(awaiting[0].ID); !errors.Is(err, ErrLineState) {
		t.Errorf("line of a cancelled batch: %v", err)
	}
}

func TestReleaseLineRefusesALineTheOperatorGot(t *testing.T) {
	db := openTemp(t)
	l := lineIn(t, db, 1, "sent+submitted")
	if _, err := db.ReleaseLine(l.ID, "connection refused", time.Now()); !errors.Is(err, ErrLineState) {
		t.Fatalf("ReleaseLine of a submitted line = %v", err)
	}
	if got := must(db.DisburseLine(l.ID))(t); got.State != LineSent || !got.Submitted {
		t.Errorf("line after the refusal: %+v", got)
	}
	// A command SMS is submitted as soon as it is queued.
	_, lines := sendingBatch(t, db, 2)
	c := must(db.MarkLineCommand(lines[0].ID, Outbound{To: "+254700100100", Text: "PAY"}))(t)
	if !c.Submitted {
		t.Fatal("a line whose command SMS is queued is not submitted")
	}
	if _, err := db.ReleaseLine(c.ID, "modem busy", time.Now()); !errors.Is(err, ErrLineState) {
		t.Errorf("ReleaseLine of a queued command = %v", err)
	}
}

func TestReleaseLineWaitsAndCountsTries(t *testing.T) {
	db := openTemp(t)
	l := lineIn(t, db, 1, "sent")
	next := time.Now().Add(5 * time.Minute)
	got := must(db.ReleaseLine(l.ID, "connection refused", next))(t)
	if got.State != LinePending || !got.NextTry.Equal(next) || got.LastError != "connection refused" || got.Tries != 1 {
		t.Errorf("released line %+v", got)
	}
	again := must(db.MarkLineSending(l.ID))(t)
	if again.Tries != 2 || again.Submitted {
		t.Errorf("second send %+v", again)
	}
}

func TestSettleLineDuplicateAndConflict(t *testing.T) {
	db := openTemp(t)
	l := lineIn(t, db, 1, "sent+submitted")
	first, dup, err := db.SettleLine(l.ID, paid("QKA1B2C3D4", l))
	if err != nil || dup {
		t.Fatalf("first settle: dup %v, %v", dup, err)
	}
	if first.State != LineSuccessful || first.Confirmation != "QKA1B2C3D4" || first.SettledBy != "callback" || first.Journal == 0 || first.Posted != JournalPending {
		t.Errorf("settled line %+v", first)
	}
	// The same callback again: nothing changes, no second entry.
	again, dup, err := db.SettleLine(l.ID, paid("QKA1B2C3D4", l))
	if err != nil || !dup || again.Journal != first.Journal {
		t.Errorf("duplicate settle: %+v dup %v, %v", again, dup, err)
	}
	// Another confirmation, then a failure: both recorded as a conflict,
	// committed although the call fails.
	for i, o := range []LineOutcome{paid("QZZ9Y8X7W6", l), notPaid("wallet closed")} {
		got, dup, err := db.SettleLine(l.ID, o)
		if !errors.Is(err, ErrLineState) || dup {
			t.Fatalf("conflicting outcome %d: dup %v, %v", i, dup, err)
		}
		stored := must(db.DisburseLine(l.ID))(t)
		if stored.State != LineSuccessful || stored.Confirmation != "QKA1B2C3D4" || stored.Conflict == "" || stored.Conflict != got.Conflict {
			t.Errorf("after conflicting outcome %d: %+v", i, stored)
		}
	}
	if n := len(must(db.ListJournal("", 0))(t)); n != 1 {
		t.Errorf("%d journal entries, want 1", n)
	}
	var conflicts int
	for _, a := range must(db.DisburseAuditOf(l.Batch))(t) {
		if strings.HasPrefix(a.What, "CONFLICT") {
			conflicts++
		}
	}
	if conflicts != 2 {
		t.Errorf("%d conflicts in the audit trail, want 2", conflicts)
	}

	// A failed line: the same failure is a duplicate, a payment a conflict.
	f := lineIn(t, db, 2, "failed")
	if _, dup, err := db.SettleLine(f.ID, notPaid("another reason")); err != nil || !dup {
		t.Errorf("failure again: dup %v, %v", dup, err)
	}
	if _, _, err := db.SettleLine(f.ID, paid("QKA1B2C3D5", f)); !errors.Is(err, ErrLineState) {
		t.Errorf("payment after failure: %v", err)
	}
	if got := must(db.DisburseLine(f.ID))(t); got.State != LineFailed || got.Conflict == "" || got.Journal != 0 {
		t.Errorf("failed line after a late payment word: %+v", got)
	}
	if n := len(must(db.ListJournal("", 0))(t)); n != 1 {
		t.Errorf("%d journal entries, want 1", n)
	}
	if _, _, err := db.SettleLine(f.ID, LineOutcome{State: LineUnknown}); err == nil {
		t.Error("settled as unknown")
	}
	requireDisbInvariants(t, db)
}

func TestSettleLineJournalsTheDisbursement(t *testing.T) {
	db := openTemp(t)
	l := lineIn(t, db, 1, "unknown")
	got, _, err := db.SettleLine(l.ID, paid("QKA1B2C3D4", l))
	if err != nil {
		t.Fatal(err)
	}
	all := must(db.ListJournal("", 0))(t)
	if len(all) != 1 {
		t.Fatalf("%d journal entries, want 1", len(all))
	}
	e := all[0]
	if e.ID != got.Journal || e.Kind != JournalLoanDisbursement || e.DisburseLine != l.ID || e.AccountID != l.LoanID ||
		e.Amount != l.Amount || e.ExternalID != "md-"+l.Ref || e.Receipt != "QKA1B2C3D4" || e.State != JournalPending {
		t.Errorf("journal entry %+v for line %+v", e, got)
	}
	if got.Finished() {
		t.Error("a successful line whose disbursement is not posted counts as finished")
	}

	// No entry, or one the journal refuses, leaves the line as it was: the
	// line is never successful without its disbursement.
	v := lineIn(t, db, 3, "unknown")
	if _, _, err := db.SettleLine(v.ID, LineOutcome{State: LineSuccessful, Confirmation: "QKA1B2C3D6", By: "mary"}); err == nil {
		t.Error("settled paid without its disbursement")
	}
	if after := must(db.DisburseLine(v.ID))(t); after.State != LineUnknown {
		t.Errorf("line after settling without an entry: %+v", after)
	}
	u := lineIn(t, db, 2, "unknown")
	bad := paid("QKA1B2C3D5", u)
	bad.Disbursement.Date = "yesterday"
	if _, _, err := db.SettleLine(u.ID, bad); err == nil {
		t.Fatal("settled with an entry the journal refuses")
	}
	if after := must(db.DisburseLine(u.ID))(t); after.State != LineUnknown || after.Journal != 0 {
		t.Errorf("line after the failed settle: %+v", after)
	}
	if n := len(must(db.ListJournal("", 0))(t)); n != 1 {
		t.Errorf("%d journal entries, want 1", n)
	}
	requireJournal(t, db)
}

func requireJournal(t *testing.T, db *DB) {
	t.Helper()
	for _, p := range checkJournalInvariants(db) {
		t.Error(p)
	}
}

func TestJournalSettlingUpdatesTheLine(t *testing.T) {
	db := openTemp(t)
	posted := lineIn(t, db, 1, "successful")
	refused := lineIn(t, db, 2, "successful")
	check(t, db.MarkJournalPosting(posted.Journal, "k1"))
	if l := must(db.DisburseLine(posted.ID))(t); l.Posted != JournalPosting || l.Finished() {
		t.Errorf("line while posting: %+v", l)
	}
	check(t, db.SettleJournal(posted.Journal, JournalDone, []int64{7781}, "disbursed", nil))
	l := must(db.DisburseLine(posted.ID))(t)
	if l.Posted != JournalDone || l.FineractTxnID != 7781 || l.PostError != "" || !l.Finished() {
		t.Errorf("line after its disbursement posted: %+v", l)
	}
	check(t, db.FailJournalWith(refused.Journal, nil, "fineract 403 error.msg.loan.disbursal.date", "fineract 403 error.msg.loan.disbursal.date", nil))
	r := must(db.DisburseLine(refused.ID))(t)
	if r.Posted != JournalFailed || r.PostError != "fineract 403 error.msg.loan.disbursal.date" || !r.Finished() {
		t.Errorf("line after its disbursement was refused: %+v", r)
	}
	var trail []string
	for _, a := range must(db.DisburseAuditOf(posted.Batch))(t) {
		trail = append(trail, a.What)
	}
	if !slices.Contains(trail, "disbursed in Mifos (transaction 7781)") {
		t.Errorf("audit trail %q", trail)
	}
	requireDisbInvariants(t, db)
	requireJournal(t, db)
}

func TestLoanOnOneLiveLineOnly(t *testing.T) {
	db := openTemp(t)
	first, lines := builtBatch(t, db, false, 1, 2)
	if _, _, err := db.CreateDisburseBatch(DisburseBatch{StaffID: 14, CreatedBy: "x", Currency: "KES"}, disbLines(3, 2), disbRef); !errors.Is(err, ErrLoanInBatch) {
		t.Fatalf("loan 2 in a second batch: %v", err)
	}
	if bs := must(db.DisburseBatches(0))(t); len(bs) != 1 {
		t.Errorf("the refused batch left %d batches", len(bs))
	}
	if _, err := db.DisburseLineByRef(disbRef(lines[1].ID + 1)); !errors.Is(err, ErrNotFound) {
		t.Errorf("the refused batch left a line: %v", err)
	}
	// Listed twice in one batch is refused too.
	if _, _, err := db.CreateDisburseBatch(DisburseBatch{StaffID: 14, CreatedBy: "x", Currency: "KES"}, disbLines(5, 5), disbRef); !errors.Is(err, ErrLoanInBatch) {
		t.Errorf("a loan listed twice: %v", err)
	}
	must(db.SendDisburseBatch(first.ID, "grace"))(t)
	// Each live state holds the loan; failing frees it.
	must(db.MarkLineSending(lines[1].ID))(t)
	for _, step := range []func() error{
		func() error { _, err := db.LineUnknown(lines[1].ID, "timeout", time.Now()); return err },
	} {
		check(t, step())
		if _, _, err := db.CreateDisburseBatch(DisburseBatch{StaffID: 14, CreatedBy: "x", Currency: "KES"}, disbLines(2), disbRef); !errors.Is(err, ErrLoanInBatch) {
			t.Errorf("loan of a live line in another batch: %v", err)
		}
	}
	must2(db.SettleLine(lines[1].ID, notPaid("wallet closed")))(t)
	_, again := builtBatch(t, db, false, 2)
	if again[0].LoanID != 2 {
		t.Fatalf("new line %+v", again[0])
	}
	// The old failed line written again (a duplicate, a conflict) must not
	// free the new line's loan.
	must2(db.SettleLine(lines[1].ID, notPaid("wallet closed")))(t)
	if _, _, err := db.SettleLine(lines[1].ID, paid("QKA1B2C3D9", lines[1])); !errors.Is(err, ErrLineState) {
		t.Fatalf("late payment word on the old line: %v", err)
	}
	if _, _, err := db.CreateDisburseBatch(DisburseBatch{StaffID: 14, CreatedBy: "x", Currency: "KES"}, disbLines(2), disbRef); !errors.Is(err, ErrLoanInBatch) {
		t.Errorf("loan of the new line freed by the old one: %v", err)
	}
	// A successful line holds its loan for good.
	must2(db.SettleLine(lines[0].ID, paid("QKA1B2C3D4", lines[0])))(t)
	if _, _, err := db.CreateDisburseBatch(DisburseBatch{StaffID: 14, CreatedBy: "x", Currency: "KES"}, disbLines(1), disbRef); !errors.Is(err, ErrLoanInBatch) {
		t.Errorf("loan of a paid line in another batch: %v", err)
	}
	requireDisbInvariants(t, db)
}

// A line that failed and that the operator later said it paid holds its
// loan again: no new batch pays it until a person has looked.
func TestLoanOfAFailedLineSaidPaidIsHeld(t *testing.T) {
	db := openTemp(t)
	l := lineIn(t, db, 1, "failed")
	builtBatch(t, db, false, 2) // another loan, untouched
	if _, _, err := db.SettleLine(l.ID, paid("QKA1B2C3D4", l)); !errors.Is(err, ErrLineState) {
		t.Fatalf("payment word after the failure: %v", err)
	}
	_, _, err := db.CreateDisburseBatch(DisburseBatch{StaffID: 14, CreatedBy: "x", Currency: "KES"}, disbLines(1), disbRef)
	if !errors.Is(err, ErrLoanInBatch) || !strings.Contains(err.Error(), "QKA1B2C3D4") {
		t.Errorf("a new batch of the loan the operator said it paid: %v", err)
	}
	requireDisbInvariants(t, db)

	// A newer line that holds the loan already keeps it; once it failed
	// too, the loan stays barred.
	old := lineIn(t, db, 3, "failed")
	_, newer := builtBatch(t, db, false, 3)
	if _, _, err := db.SettleLine(old.ID, paid("QKA1B2C3D5", old)); !errors.Is(err, ErrLineState) {
		t.Fatalf("payment word after the failure: %v", err)
	}
	must(db.CancelDisburseBatch(newer[0].Batch, "grace"))(t)
	if _, _, err := db.CreateDisburseBatch(DisburseBatch{StaffID: 14, CreatedBy: "x", Currency: "KES"}, disbLines(3), disbRef); !errors.Is(err, ErrLoanInBatch) {
		t.Errorf("a new batch of the loan the operator said it paid: %v", err)
	}
	requireDisbInvariants(t, db)
}

func TestEditDisburseBatch(t *testing.T) {
	db := openTemp(t)
	b, old := builtBatch(t, db, true, 1, 2)
	got, lines, err := db.EditDisburseBatch(b.ID, disbLines(2, 3, 4), false, 9000_000000, "grace", disbRef)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != BatchReady || got.Total != 3000_000000 || got.Limit != 9000_000000 || len(got.Lines) != 3 || got.Digest == b.Digest || got.Digest != LinesDigest(lines) {
		t.Errorf("edited batch %+v", got)
	}
	for _, l := range old {
		if _, err := db.DisburseLine(l.ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("old line %d: %v", l.ID, err)
		}
		if _, err := db.DisburseLineByRef(l.Ref); !errors.Is(err, ErrNotFound) {
			t.Errorf("old ref %s: %v", l.Ref, err)
		}
	}
	// Loan 1 left the batch: it is free.
	builtBatch(t, db, false, 1)
	// Back above the limit: it waits for approval again.
	got, _ = must2(db.EditDisburseBatch(b.ID, disbLines(2), true, 0, "grace", disbRef))(t)
	if got.State != BatchAwaitingApproval {
		t.Errorf("edited above the limit: %s", got.State)
	}
	// An empty batch is cancelled, not edited.
	if _, _, err := db.EditDisburseBatch(b.ID, nil, false, 0, "grace", disbRef); err == nil {
		t.Error("edited to no lines")
	}
	// Edit refused with a loan of another live line: nothing changed.
	if _, _, err := db.EditDisburseBatch(b.ID, disbLines(1), false, 0, "grace", disbRef); !errors.Is(err, ErrLoanInBatch) {
		t.Errorf("edit with a loan of another batch: %v", err)
	}
	if after, lines := must2(db.DisburseBatch(b.ID))(t); after.Digest != got.Digest || len(lines) != 1 || lines[0].LoanID != 2 {
		t.Errorf("refused edit changed the batch: %+v %+v", after, lines)
	}
	must(db.ApproveDisburseBatch(b.ID, "mary", 20, ""))(t)
	if _, _, err := db.EditDisburseBatch(b.ID, disbLines(2), false, 0, "grace", disbRef); !errors.Is(err, ErrBatchApprovedAlready) {
		t.Errorf("edit after approval: %v", err)
	}
	must(db.SendDisburseBatch(b.ID, "grace"))(t)
	if _, _, err := db.EditDisburseBatch(b.ID, disbLines(2), false, 0, "grace", disbRef); !errors.Is(err, ErrBatchState) {
		t.Errorf("edit while sending: %v", err)
	}
	requireDisbInvariants(t, db)
}

func TestApproveDisburseBatch(t *testing.T) {
	db := openTemp(t)
	b, _ := builtBatch(t, db, true, 1)
	for name, c := range map[string]struct {
		user   string
		staff  int64
		digest string
		want   error
	}{
		"the loans' officer":         {"mary", 14, "", ErrSelfApproval},
		"the builder's user":         {"grace", 20, "", ErrSelfApproval},
		"the builder's user, capped": {"GRACE", 20, "", ErrSelfApproval},
		"another digest":             {"mary", 20, LinesDigest(disbLines(2)), ErrBatchChanged},
	} {
		if _, err := db.ApproveDisburseBatch(b.ID, c.user, c.staff, c.digest); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", name, err, c.want)
		}
	}
	if got, _ := must2(db.DisburseBatch(b.ID))(t); got.State != BatchAwaitingApproval || got.ApprovedBy != "" {
		t.Fatalf("refused approvals changed the batch: %+v", got)
	}
	got := must(db.ApproveDisburseBatch(b.ID, "mary", 20, b.Digest))(t)
	if got.State != BatchApproved || got.ApprovedBy != "mary" || got.ApprovedDigest != b.Digest || got.ApprovedAt.IsZero() {
		t.Errorf("approved batch %+v", got)
	}
	if _, err := db.ApproveDisburseBatch(b.ID, "john", 21, ""); !errors.Is(err, ErrBatchState) {
		t.Errorf("second approval: %v", err)
	}
	ready, _ := builtBatch(t, db, false, 2)
	if _, err := db.ApproveDisburseBatch(ready.ID, "mary", 20, ""); !errors.Is(err, ErrBatchState) {
		t.Errorf("approval of a batch within the limit: %v", err)
	}
}

func TestSendDisburseBatch(t *testing.T) {
	db := openTemp(t)
	waiting, _ := builtBatch(t, db, true, 1)
	if _, err := db.SendDisburseBatch(waiting.ID, "grace"); !errors.Is(err, ErrBatchState) {
		t.Errorf("send of a batch waiting for approval: %v", err)
	}
	must(db.ApproveDisburseBatch(waiting.ID, "mary", 20, ""))(t)
	sent := must(db.SendDisburseBatch(waiting.ID, "grace"))(t)
	if sent.State != BatchSending || sent.SentBy != "grace" || sent.SentAt.IsZero() {
		t.Errorf("sent batch %+v", sent)
	}
	if _, err := db.SendDisburseBatch(waiting.ID, "grace"); !errors.Is(err, ErrBatchState) {
		t.Errorf("second send: %v", err)
	}
	if _, err := db.SendDisburseBatch(999, "grace"); !errors.Is(err, ErrNotFound) {
		t.Errorf("send of no batch: %v", err)
	}
}

// changeLine rewrites line id behind the store's back, as a bug or a
// hand-edited file would.
func changeLine(t *testing.T, db *DB, id uint64, change func(l *DisburseLine)) {
	t.Helper()
	check(t, db.Update(func(tx *Tx) error {
		l, err := tx.loadLine(id)
		if err != nil {
			return err
		}
		change(&l)
		b, err := tx.Bucket(extDisbLines)
		if err != nil {
			return err
		}
		return putJSON(b, idKey(id), l)
	}))
}

func TestSendRefusesLinesChangedAfterApproval(t *testing.T) {
	for name, change := range map[string]func(l *DisburseLine){
		"amount": func(l *DisburseLine) { l.Amount += 1_000000 },
		"phone":  func(l *DisburseLine) { l.Phone = "+254799999999" },
		"loan":   func(l *DisburseLine) { l.LoanID = 77 },
	} {
		t.Run(name, func(t *testing.T) {
			db := openTemp(t)
			b, lines := builtBatch(t, db, true, 1, 2)
			must(db.ApproveDisburseBatch(b.ID, "mary", 20, b.Digest))(t)
			changeLine(t, db, lines[1].ID, change)
			if _, err := db.SendDisburseBatch(b.ID, "grace"); !errors.Is(err, ErrBatchChanged) {
				t.Errorf("send after the lines changed: %v", err)
			}
			if got, _ := must2(db.DisburseBatch(b.ID))(t); got.State != BatchApproved {
				t.Errorf("batch is %s", got.State)
			}
			// A batch within the limit is held to its own digest too.
			r, rl := builtBatch(t, db, false, 3)
			changeLine(t, db, rl[0].ID, change)
			if _, err := db.SendDisburseBatch(r.ID, "grace"); !errors.Is(err, ErrBatchChanged) {
				t.Errorf("send of a ready batch after its lines changed: %v", err)
			}
		})
	}
	// The batch's digest rewritten to match changed lines still differs
	// from what the approver approved.
	db := openTemp(t)
	b, lines := builtBatch(t, db, true, 1)
	must(db.ApproveDisburseBatch(b.ID, "mary", 20, ""))(t)
	changeLine(t, db, lines[0].ID, func(l *DisburseLine) { l.Amount *= 2 })
	check(t, db.Update(func(tx *Tx) error {
		got, err := tx.loadBatch(b.ID)
		if err != nil {
			return err
		}
		l, err := tx.loadLine(lines[0].ID)
		if err != nil {
			return err
		}
		got.Digest = LinesDigest([]DisburseLine{l})
		return tx.saveBatch(&got)
	}))
	if _, err := db.SendDisburseBatch(b.ID, "grace"); !errors.Is(err, ErrBatchChanged) {
		t.Errorf("send with the batch's digest rewritten: %v", err)
	}
}

func TestCancelDisburseBatch(t *testing.T) {
	for _, start := range []BatchState{BatchReady, BatchAwaitingApproval, BatchApproved} {
		t.Run(string(start), func(t *testing.T) {
			db := openTemp(t)
			b, lines := builtBatch(t, db, start != BatchReady, 1, 2)
			if start == BatchApproved {
				must(db.ApproveDisburseBatch(b.ID, "mary", 20, ""))(t)
			}
			got := must(db.CancelDisburseBatch(b.ID, "john"))(t)
			if got.State != BatchCancelled || got.CancelledBy != "john" || got.DoneAt.IsZero() {
				t.Errorf("cancelled batch %+v", got)
			}
			for _, l := range lines {
				c := must(db.DisburseLine(l.ID))(t)
				if c.State != LineFailed || !strings.Contains(c.Reason, "nothing paid") || c.SettledBy != "john" || c.Journal != 0 {
					t.Errorf("line of a cancelled batch: %+v", c)
				}
			}
			if _, err := db.SendDisburseBatch(b.ID, "grace"); !errors.Is(err, ErrBatchState) {
				t.Errorf("send of a cancelled batch: %v", err)
			}
			if _, err := db.CancelDisburseBatch(b.ID, "john"); !errors.Is(err, ErrBatchState) {
				t.Errorf("second cancel: %v", err)
			}
			builtBatch(t, db, false, 1, 2) // the loans are free
			if n := len(must(db.ListJournal("", 0))(t)); n != 0 {
				t.Errorf("cancel journaled %d entries", n)
			}
			requireDisbInvariants(t, db)
		})
	}
	db := openTemp(t)
	b, _ := sendingBatch(t, db, 1)
	if _, err := db.CancelDisburseBatch(b.ID, "john"); !errors.Is(err, ErrBatchState) {
		t.Errorf("cancel of a sending batch: %v", err)
	}
}

func TestRecoverDisburse(t *testing.T) {
	db := openTemp(t)
	midSend := lineIn(t, db, 1, "sent")
	acked := lineIn(t, db, 2, "sent+submitted")
	pending := lineIn(t, db, 3, "pending")
	unknown := lineIn(t, db, 4, "unknown")
	_, cl := sendingBatch(t, db, 5)
	command := must(db.MarkLineCommand(cl[0].ID, Outbound{To: "+254700100100", Text: "PAY"}))(t)

	n, err := db.RecoverDisburse()
	if err != nil || n != 1 {
		t.Fatalf("RecoverDisburse = %d, %v; want 1", n, err)
	}
	want := map[uint64]LineState{midSend.ID: LineUnknown, acked.ID: LineSent, pending.ID: LinePending, unknown.ID: LineUnknown, command.ID: LineSent}
	for id, s := range want {
		if got := must(db.DisburseLine(id))(t); got.State != s {
			t.Errorf("line %d is %s, want %s", id, got.State, s)
		}
	}
	if got := must(db.DisburseLine(midSend.ID))(t); !strings.Contains(got.LastError, "stopped") {
		t.Errorf("recovered line says %q", got.LastError)
	}
	if n := must(db.RecoverDisburse())(t); n != 0 {
		t.Errorf("second recovery found %d", n)
	}
	// An unknown line is never released for sending again.
	if _, err := db.ReleaseLine(midSend.ID, "x", time.Now()); !errors.Is(err, ErrLineState) {
		t.Errorf("ReleaseLine of a recovered line: %v", err)
	}
	requireDisbInvariants(t, db)
}

func TestTellBatchOncePerKind(t *testing.T) {
	db := openTemp(t)
	b, _ := sendingBatch(t, db, 1)
	note := Outbound{To: b.OfficerPhone, Text: "the operator cannot be reached", Origin: "disburse-batch:1"}
	for i, want := range []bool{true, false, false} {
		if told := must(db.TellBatch(b.ID, "provider-down", note))(t); told != want {
			t.Errorf("tell %d = %v, want %v", i, told, want)
		}
	}
	if told := must(db.TellBatch(b.ID, "unknown", Outbound{}))(t); !told {
		t.Error("a second kind was not told")
	}
	if told := must(db.TellBatch(b.ID, "unknown", Outbound{To: b.OfficerPhone, Text: "again"}))(t); told {
		t.Error("kind unknown told twice")
	}
	if out := must(db.ListOutbound("", 0))(t); len(out) != 1 || out[0].Text != note.Text {
		t.Errorf("queued %+v, want the one notice", out)
	}
	got, _ := must2(db.DisburseBatch(b.ID))(t)
	if !got.WasTold("provider-down") || !got.WasTold("unknown") || got.WasTold("mifos-down") {
		t.Errorf("told %v", got.Told)
	}
	if _, err := db.TellBatch(99, "unknown", note); !errors.Is(err, ErrNotFound) {
		t.Errorf("tell of no batch: %v", err)
	}
}

func TestFinishBatchOnlyWhenEveryLineFinished(t *testing.T) {
	db := openTemp(t)
	summary := Outbound{To: "+254711000014", Text: "batch done", Origin: "disburse-batch"}
	ready, _ := builtBatch(t, db, false, 9)
	if err := db.FinishBatch(ready.ID, summary); !errors.Is(err, ErrBatchState) {
		t.Errorf("finish of a batch not sent: %v", err)
	}
	b, lines := sendingBatch(t, db, 1, 2)
	unfinished := func(step string) {
		t.Helper()
		if err := db.FinishBatch(b.ID, summary); !errors.Is(err, ErrBatchState) {
			t.Errorf("%s: finish = %v", step, err)
		}
	}
	unfinished("pending lines")
	must(db.MarkLineSending(lines[0].ID))(t)
	must(db.MarkLineSending(lines[1].ID))(t)
	must2(db.SettleLine(lines[1].ID, notPaid("wallet closed")))(t)
	unfinished("a line sent")
	must(db.LineUnknown(lines[0].ID, "timeout", time.Now()))(t)
	unfinished("a line unknown")
	l, _ := must2(db.SettleLine(lines[0].ID, paid("QKA1B2C3D4", lines[0])))(t)
	unfinished("a paid line not yet disbursed in Mifos")
	check(t, db.MarkJournalPosting(l.Journal, "k"))
	unfinished("a paid line being disbursed in Mifos")
	if out := must(db.ListOutbound("", 0))(t); len(out) != 0 {
		t.Fatalf("refused finishes queued %+v", out)
	}
	check(t, db.SettleJournal(l.Journal, JournalDone, []int64{5}, "ok", nil))
	check(t, db.FinishBatch(b.ID, summary))
	got, _ := must2(db.DisburseBatch(b.ID))(t)
	if got.State != BatchDone || got.DoneAt.IsZero() {
		t.Errorf("finished batch %+v", got)
	}
	if out := must(db.ListOutbound("", 0))(t); len(out) != 1 || out[0].Text != "batch done" {
		t.Errorf("summary %+v", out)
	}
	if err := db.FinishBatch(b.ID, summary); !errors.Is(err, ErrBatchState) {
		t.Errorf("second finish: %v", err)
	}
}

// The audit trail names who did each step and what it was.
func TestDisburseAuditTrail(t *testing.T) {
	db := openTemp(t)
	b, _ := builtBatch(t, db, true, 1, 2)
	other, _ := builtBatch(t, db, false, 3)
	must2(db.EditDisburseBatch(b.ID, disbLines(1, 2, 4), true, 500_000000, "grace", disbRef))(t)
	_, lines := must2(db.DisburseBatch(b.ID))(t)
	must(db.ApproveDisburseBatch(b.ID, "mary", 20, ""))(t)
	must(db.SendDisburseBatch(b.ID, "john"))(t)
	must(db.MarkLineSending(lines[0].ID))(t)
	must(db.MarkLineSubmitted(lines[0].ID, "AG_77"))(t)
	must2(db.SettleLine(lines[0].ID, paid("QKA1B2C3D4", lines[0])))(t)
	must(db.MarkLineSending(lines[1].ID))(t)
	must(db.ReleaseLine(lines[1].ID, "connection refused", time.Now()))(t)
	must(db.MarkLineSending(lines[1].ID))(t)
	must(db.LineUnknown(lines[1].ID, "read timeout", time.Now()))(t)
	must2(db.SettleLine(lines[1].ID, LineOutcome{State: LineFailed, Reason: "checked with the operator: not paid", By: "mary"}))(t)
	must(db.TellBatch(b.ID, "unknown", Outbound{}))(t)

	type step struct{ who, what string }
	want := []step{
		{"staff 14 Grace Wanjiru (console)", "built with 2 lines, total 2000 KES (limit 5000); above the limit: waits for a second person's approval"},
		{"grace", "changed to 3 lines, total 3000 KES"},
		{"mary", "approved 3 lines, total 3000 KES"},
		{"john", "sending asked for"},
		{"box", "sending to the operator"},
		{"box", "accepted by the operator (AG_77)"},
		{"callback", "paid, confirmation QKA1B2C3D4; disbursement journaled"},
		{"box", "sending to the operator"},
		{"box", "not sent, will try again: connection refused"},
		{"box", "sending to the operator"},
		{"box", "outcome unknown: read timeout"},
		{"mary", "not paid: checked with the operator: not paid"},
		{"box", "officer told: unknown"},
	}
	got := must(db.DisburseAuditOf(b.ID))(t)
	if len(got) != len(want) {
		for _, a := range got {
			t.Logf("%s: %s", a.Who, a.What)
		}
		t.Fatalf("%d audit steps, want %d", len(got), len(want))
	}
	for i, w := range want {
		a := got[i]
		if a.Who != w.who || !strings.HasPrefix(a.What, w.what) || a.Batch != b.ID || a.At.IsZero() {
			t.Errorf("step %d: %s: %q, want %s: %q", i, a.Who, a.What, w.who, w.what)
		}
		if i > 0 && a.Seq <= got[i-1].Seq {
			t.Errorf("step %d out of order", i)
		}
	}
	for i := 4; i < len(want)-1; i++ {
		if got[i].Line == 0 {
			t.Errorf("step %d (%s) names no line", i, got[i].What)
		}
	}
	if o := must(db.DisburseAuditOf(other.ID))(t); len(o) != 1 || o[0].Batch != other.ID {
		t.Errorf("other batch's trail %+v", o)
	}
}

func TestCommandLineQueuesAnAtMostOnceHiddenSMS(t *testing.T) {
	db := openTemp(t)
	_, lines := sendingBatch(t, db, 1)
	l := must(db.MarkLineCommand(lines[0].ID, Outbound{To: "+254700100100", Text: "PAY 1000 0712000001 PIN 4321", DuplicateHarmless: true}))(t)
	if l.State != LineSent || !l.Submitted || l.OutboxID == 0 || l.Tries != 1 {
		t.Fatalf("line %+v", l)
	}
	o := mustOutbound(t, db, l.OutboxID)
	if !o.AtMostOnce || !o.Hidden || o.DuplicateHarmless || o.State != OutQueued {
		t.Errorf("command SMS %+v", o)
	}
	if strings.Contains(o.Shown(), "4321") {
		t.Errorf("the command's PIN is shown: %q", o.Shown())
	}
	for _, a := range must(db.DisburseAuditOf(l.Batch))(t) {
		if strings.Contains(a.What, "4321") {
			t.Errorf("the audit trail holds the PIN: %q", a.What)
		}
	}
}

func TestLinesDigestCoversWhatIsApproved(t *testing.T) {
	base := disbLines(1, 2)
	d := LinesDigest(base)
	for name, change := range map[string]func(ls []DisburseLine){
		"amount":   func(ls []DisburseLine) { ls[0].Amount++ },
		"phone":    func(ls []DisburseLine) { ls[1].Phone = "+254700000000" },
		"loan":     func(ls []DisburseLine) { ls[0].LoanID = 9 },
		"client":   func(ls []DisburseLine) { ls[0].ClientID = 9 },
		"currency": func(ls []DisburseLine) { ls[0].Currency = "UGX" },
		"order":    func(ls []DisburseLine) { ls[0], ls[1] = ls[1], ls[0] },
	} {
		ls := slices.Clone(base)
		change(ls)
		if LinesDigest(ls) == d {
			t.Errorf("%s changed, digest the same", name)
		}
	}
	if LinesDigest(slices.Clone(base)) != d {
		t.Error("digest not stable")
	}
}

// SendingBatches lists exactly the batches being paid: a batch joins when
// sent and leaves when done; one cancelled or waiting never shows.
func TestSendingBatchesIndex(t *testing.T) {
	db := openTemp(t)
	mk := func(loan int64) DisburseBatch {
		t.Helper()
		b, _, err := db.CreateDisburseBatch(DisburseBatch{StaffID: 12, Currency: "KES", Decimals: 2},
			[]DisburseLine{{LoanID: loan, Phone: "+254711000001", Amount: 1_000_000000, Currency: "KES"}},
			func(id uint64) string { return "S" + strconv.FormatUint(id, 10) })
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	sent, waiting, cancelled := mk(1), mk(2), mk(3)
	if _, err := db.SendDisburseBatch(sent.ID, "t"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.CancelDisburseBatch(cancelled.ID, "t"); err != nil {
		t.Fatal(err)
	}
	ids := func() []uint64 {
		bs, err := db.SendingBatches()
		if err != nil {
			t.Fatal(err)
		}
		var out []uint64
		for _, b := range bs {
			out = append(out, b.ID)
		}
		return out
	}
	if got := ids(); len(got) != 1 || got[0] != sent.ID {
		t.Fatalf("sending %v, want [%d] (waiting %d)", got, sent.ID, waiting.ID)
	}
	_, lines, err := db.DisburseBatch(sent.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.SettleLine(lines[0].ID, LineOutcome{State: LineFailed, Reason: "refused", By: "t"}); err != nil {
		t.Fatal(err)
	}
	if err := db.FinishBatch(sent.ID, Outbound{}); err != nil {
		t.Fatal(err)
	}
	if got := ids(); len(got) != 0 {
		t.Fatalf("sending after done: %v", got)
	}
}

// LoanBatches names the batch of each loan on a line that has not failed.
func TestLoanBatches(t *testing.T) {
	db := openTemp(t)
	b, lines, err := db.CreateDisburseBatch(DisburseBatch{StaffID: 12, Currency: "KES", Decimals: 2},
		[]DisburseLine{{LoanID: 7, Phone: "+254711000001", Amount: 1_000_000000, Currency: "KES"},
			{LoanID: 8, Phone: "+254711000002", Amount: 1_000_000000, Currency: "KES"}},
		func(id uint64) string { return "L" + strconv.FormatUint(id, 10) })
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.SendDisburseBatch(b.ID, "t"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.SettleLine(lines[1].ID, LineOutcome{State: LineFailed, Reason: "refused", By: "t"}); err != nil {
		t.Fatal(err)
	}
	got, err := db.LoanBatches()
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[7] != b.ID {
		t.Fatalf("LoanBatches = %v, want loan 7 in batch %d and loan 8 (failed) free", got, b.ID)
	}
}
