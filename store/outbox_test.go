package store

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

func mustEnqueue(t *testing.T, db *DB, o Outbound) uint64 {
	t.Helper()
	id, err := db.Enqueue(o)
	if err != nil {
		t.Fatalf("Enqueue: %v", err)
	}
	return id
}

func mustOutbound(t *testing.T, db *DB, id uint64) Outbound {
	t.Helper()
	o, err := db.Outbound(id)
	if err != nil {
		t.Fatalf("Outbound(%d): %v", id, err)
	}
	return o
}

func TestEnqueueFillsRecord(t *testing.T) {
	db := openTemp(t)
	id := mustEnqueue(t, db, Outbound{To: "+1", Text: "hi", Origin: "cli", State: OutSubmitted, PartsDone: 3, Attempts: 7})
	o := mustOutbound(t, db, id)
	if o.ID != id || o.State != OutQueued || o.CreatedAt.IsZero() || !o.NextAttempt.Equal(o.CreatedAt) {
		t.Errorf("enqueued record %+v", o)
	}
	if o.PartsDone != 0 || o.Attempts != 0 {
		t.Errorf("caller-supplied progress kept: %+v", o)
	}
	if _, err := db.Enqueue(Outbound{Text: "no recipient"}); err == nil {
		t.Error("outbound without recipient accepted")
	}
	if _, err := db.Outbound(id + 1); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing outbound: %v", err)
	}
}

func TestDueOrderingAndNextWake(t *testing.T) {
	db := openTemp(t)
	if _, ok, err := db.NextWake(); ok || err != nil {
		t.Fatalf("NextWake on empty outbox: %v, %v", ok, err)
	}
	late := mustEnqueue(t, db, Outbound{To: "+1", Text: "late", NextAttempt: baseTime.Add(10 * time.Minute)})
	early := mustEnqueue(t, db, Outbound{To: "+2", Text: "early", NextAttempt: baseTime.Add(time.Minute)})
	tie := mustEnqueue(t, db, Outbound{To: "+3", Text: "tie", NextAttempt: baseTime.Add(time.Minute)})

	wake, ok, err := db.NextWake()
	if err != nil || !ok || !wake.Equal(baseTime.Add(time.Minute)) {
		t.Errorf("NextWake = %v, %v, %v", wake, ok, err)
	}
	if _, ok := must2(db.NextDue(baseTime))(t); ok {
		t.Error("something is due before any NextAttempt")
	}
	var order []uint64
	now := baseTime.Add(time.Hour)
	for {
		o, ok, err := db.NextDue(now)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			break
		}
		order = append(order, o.ID)
		if err := db.MarkSubmitting(o.ID, 0); err != nil {
			t.Fatal(err)
		}
		if err := db.MarkPartSubmitted(o.ID, 0, int(o.ID), 1); err != nil {
			t.Fatal(err)
		}
	}
	if want := []uint64{early, tie, late}; !slices.Equal(order, want) {
		t.Errorf("due order %v, want %v (earliest, then lowest id)", order, want)
	}
	if _, ok := must2(db.NextWake())(t); ok {
		t.Error("NextWake reports a time with nothing queued")
	}
	requireInvariants(t, db)
}

func TestMultipartSendStateMachine(t *testing.T) {
	db := openTemp(t)
	id := mustEnqueue(t, db, Outbound{To: "+254700", Text: "long text", Origin: "reply:1", DuplicateHarmless: true})
	if err := db.MarkPartSubmitted(id, 0, 1, 3); !errors.Is(err, ErrWrongState) {
		t.Errorf("part submitted while queued: %v", err)
	}
	if err := db.MarkSubmitting(id, 17); err != nil {
		t.Fatal(err)
	}
	if err := db.MarkSubmitting(id, 17); !errors.Is(err, ErrWrongState) {
		t.Errorf("MarkSubmitting twice: %v", err)
	}
	if _, ok := must2(db.NextDue(time.Now().Add(time.Hour)))(t); ok {
		t.Error("submitting record is still due")
	}
	if err := db.MarkPartSubmitted(id, 0, 101, 3); err != nil {
		t.Fatal(err)
	}
	if err := db.MarkPartSubmitted(id, 2, 103, 3); err == nil {
		t.Error("skipping part 1 accepted")
	}
	// The modem rejected part 1: retry later, keeping part 0 and the reference.
	retryAt := baseTime.Add(5 * time.Minute)
	if err := db.MarkRetry(id, retryAt, "+CMS ERROR: 500"); err != nil {
		t.Fatal(err)
	}
	o := mustOutbound(t, db, id)
	if o.State != OutQueued || !o.NextAttempt.Equal(retryAt) || o.LastError != "+CMS ERROR: 500" || o.PartsDone != 1 {
		t.Errorf("after retry %+v", o)
	}
	if err := db.MarkSubmitting(id, 99); err == nil {
		t.Error("a different concat reference on resend was accepted")
	}
	if err := db.MarkSubmitting(id, 0); err != nil {
		t.Fatal(err)
	}
	if err := db.MarkPartSubmitted(id, 1, 102, 3); err != nil {
		t.Fatal(err)
	}
	if o := mustOutbound(t, db, id); o.State != OutSubmitting {
		t.Errorf("state %s after 2 of 3 parts", o.State)
	}
	if err := db.MarkPartSubmitted(id, 2, 103, 3); err != nil {
		t.Fatal(err)
	}
	o = mustOutbound(t, db, id)
	if o.State != OutSubmitted || o.PartsDone != 3 || !slices.Equal(o.MRs, []int{101, 102, 103}) ||
		o.ConcatRef != 17 || o.Attempts != 2 || o.TotalParts != 3 || o.SubmittedAt.IsZero() {
		t.Errorf("submitted record %+v", o)
	}
	for name, f := range map[string]func() error{
		"retry":   func() error { return db.MarkRetry(id, baseTime, "") },
		"unknown": func() error { return db.MarkUnknown(id, "") },
		"failed":  func() error { return db.MarkFailed(id, "") },
		"requeue": func() error { return db.Requeue(id) },
	} {
		if err := f(); !errors.Is(err, ErrWrongState) {
			t.Errorf("%s of a submitted record: %v, want ErrWrongState", name, err)
		}
	}
	requireInvariants(t, db)
}

func TestUnknownFailedAndRequeue(t *testing.T) {
	db := openTemp(t)
	id := mustEnqueue(t, db, Outbound{To: "+1", Text: "x", Origin: "cli"})
	if err := db.MarkUnknown(id, ""); !errors.Is(err, ErrWrongState) {
		t.Errorf("unknown from queued: %v", err)
	}
	if err := db.MarkSubmitting(id, 3); err != nil {
		t.Fatal(err)
	}
	if err := db.MarkUnknown(id, "modem vanished after AT+CMGS"); err != nil {
		t.Fatal(err)
	}
	if _, ok := must2(db.NextDue(time.Now().Add(time.Hour)))(t); ok {
		t.Error("unknown record is due")
	}
	if err := db.MarkFailed(id, "operator gave up"); err != nil {
		t.Fatal(err)
	}
	failed := must(db.ListOutbound(OutFailed, 0))(t)
	if len(failed) != 1 || failed[0].ID != id || failed[0].LastError != "operator gave up" {
		t.Errorf("dead letters %+v", failed)
	}
	before := time.Now()
	if err := db.Requeue(id); err != nil {
		t.Fatal(err)
	}
	o := mustOutbound(t, db, id)
	if o.State != OutQueued || o.Requeues != 1 || o.Attempts != 0 || o.NextAttempt.Before(before) || o.ConcatRef != 3 {
		t.Errorf("requeued record %+v", o)
	}
	if due, ok := must2(db.NextDue(time.Now().Add(time.Second)))(t); !ok || due.ID != id {
		t.Error("requeued record is not due now")
	}
	if err := db.Requeue(id); !errors.Is(err, ErrWrongState) {
		t.Errorf("requeue of a queued record: %v", err)
	}
	requireInvariants(t, db)
}

func TestRecoverSubmitting(t *testing.T) {
	db := openTemp(t)
	crashed := mustEnqueue(t, db, Outbound{To: "+1", Text: "a"})
	waiting := mustEnqueue(t, db, Outbound{To: "+2", Text: "b", NextAttempt: time.Now().Add(time.Hour)})
	if err := db.MarkSubmitting(crashed, 8); err != nil {
		t.Fatal(err)
	}
	if err := db.MarkPartSubmitted(crashed, 0, 55, 2); err != nil {
		t.Fatal(err)
	}
	n, err := db.RecoverSubmitting()
	if err != nil || n != 1 {
		t.Fatalf("RecoverSubmitting = %d, %v; want 1", n, err)
	}
	o := mustOutbound(t, db, crashed)
	if o.State != OutQueued || o.ResentAfterCrash != 1 || o.PartsDone != 1 || o.ConcatRef != 8 {
		t.Errorf("recovered record %+v", o)
	}
	if w := mustOutbound(t, db, waiting); w.State != OutQueued || w.ResentAfterCrash != 0 {
		t.Errorf("untouched record changed: %+v", w)
	}
	if n := must(db.RecoverSubmitting())(t); n != 0 {
		t.Errorf("second recovery found %d", n)
	}
	due, ok := must2(db.NextDue(time.Now().Add(time.Minute)))(t)
	if !ok || due.ID != crashed {
		t.Errorf("recovered record not due first: %+v, %v", due, ok)
	}
	requireInvariants(t, db)
}

func TestNextConcatRefWrapsAndPersists(t *testing.T) {
	db := openTemp(t)
	seen := map[int]bool{}
	for i := range 255 {
		ref, err := db.NextConcatRef()
		if err != nil {
			t.Fatal(err)
		}
		if ref != i+1 {
			t.Fatalf("ref %d at step %d, want %d", ref, i, i+1)
		}
		seen[ref] = true
	}
	if ref := must(db.NextConcatRef())(t); ref != 1 {
		t.Errorf("after 255 got %d, want wrap to 1", ref)
	}
	if len(seen) != 255 || seen[0] {
		t.Errorf("references used: %d distinct, zero used=%v", len(seen), seen[0])
	}
	path := db.Path()
	check(t, db.Close())
	db2, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	if ref := must(db2.NextConcatRef())(t); ref != 2 {
		t.Errorf("after reopen got %d, want 2", ref)
	}
}

func TestListOutbound(t *testing.T) {
	db := openTemp(t)
	a := mustEnqueue(t, db, Outbound{To: "+1", Text: "a"})
	b := mustEnqueue(t, db, Outbound{To: "+1", Text: "b"})
	c := mustEnqueue(t, db, Outbound{To: "+1", Text: "c"})
	if err := db.MarkSubmitting(b, 0); err != nil {
		t.Fatal(err)
	}
	all := must(db.ListOutbound("", 0))(t)
	if got := outIDs(all); !slices.Equal(got, []uint64{c, b, a}) {
		t.Errorf("ListOutbound(all) = %v", got)
	}
	queued := must(db.ListOutbound(OutQueued, 1))(t)
	if got := outIDs(queued); !slices.Equal(got, []uint64{c}) {
		t.Errorf("ListOutbound(queued, 1) = %v", got)
	}
	st := must(db.Stats())(t)
	if st.Queued != 2 || st.Submitting != 1 {
		t.Errorf("stats %+v", st)
	}
	if _, err := db.ListOutbound("sent", 0); err == nil {
		t.Error("unknown state accepted")
	}
}

// A payment command holds the operator PIN: listings get the notice, the
// sender (by id, or as the next due) the text it must send.
func TestListOutboundHidesSecretTexts(t *testing.T) {
	db := openTemp(t)
	const command = "SEND 1000.00 09171234567 918273"
	id := mustEnqueue(t, db, Outbound{To: "2882", Text: command, Hidden: true, AtMostOnce: true})
	plain := mustEnqueue(t, db, Outbound{To: "+254712345678", Text: "Dear Amina"})
	for _, state := range []OutState{"", OutQueued} {
		for _, o := range must(db.ListOutbound(state, 0))(t) {
			want := map[uint64]string{id: hiddenText, plain: "Dear Amina"}[o.ID]
			if o.Text != want || strings.Contains(o.Text, "918273") {
				t.Errorf("ListOutbound(%q): message %d reads %q, want %q", state, o.ID, o.Text, want)
			}
		}
	}
	if o := must(db.Outbound(id))(t); o.Text != command || o.Shown() != hiddenText {
		t.Errorf("Outbound(%d) = %q (shown %q), want the command to send", id, o.Text, o.Shown())
	}
	if o, ok, err := db.NextDue(time.Now().Add(time.Hour)); err != nil || !ok || o.ID != id || o.Text != command {
		t.Errorf("NextDue = %d %q %v %v, want the command to send", o.ID, o.Text, ok, err)
	}
}

func outIDs(os []Outbound) []uint64 {
	var ids []uint64
	for _, o := range os {
		ids = append(ids, o.ID)
	}
	return ids
}

func TestMarkResendUnknownCountsAndRequeues(t *testing.T) {
	db := openTemp(t)
	id := mustEnqueue(t, db, Outbound{To: "+254700000001", Text: "hi", DuplicateHarmless: true})
	if err := db.MarkResendUnknown(id, time.Now(), "x"); !errors.Is(err, ErrWrongState) {
		t.Fatalf("resend from queued: %v, want ErrWrongState", err)
	}
	if err := db.MarkSubmitting(id, 5); err != nil {
		t.Fatal(err)
	}
	if err := db.MarkResendUnknown(id, time.Now(), "no answer after the PDU"); err != nil {
		t.Fatal(err)
	}
	o := mustOutbound(t, db, id)
	if o.State != OutQueued || o.UnknownResends != 1 || o.ConcatRef != 5 {
		t.Fatalf("after resend-unknown: %+v", o)
	}
	if got, ok, err := db.NextDue(time.Now().Add(time.Second)); err != nil || !ok || got.ID != id {
		t.Fatalf("not due again: %v %v %+v", err, ok, got)
	}
}

// A message that pays money (AtMostOnce) interrupted by a crash is
// unknown, not sent again; an ordinary one is queued again.
func TestRecoverSubmittingAtMostOnce(t *testing.T) {
	db := openTemp(t)
	pay := mustEnqueue(t, db, Outbound{To: "+254700100100", Text: "PAY 1000", AtMostOnce: true, Hidden: true})
	half := mustEnqueue(t, db, Outbound{To: "+254700100100", Text: "PAY 2000", AtMostOnce: true})
	reply := mustEnqueue(t, db, Outbound{To: "+254700000001", Text: "BAL 10"})
	for _, id := range []uint64{pay, half, reply} {
		check(t, db.MarkSubmitting(id, 0))
	}
	check(t, db.MarkPartSubmitted(half, 0, 41, 2))
	n, err := db.RecoverSubmitting()
	if err != nil || n != 1 {
		t.Fatalf("RecoverSubmitting = %d, %v; want 1 queued again", n, err)
	}
	for _, id := range []uint64{pay, half} {
		o := mustOutbound(t, db, id)
		if o.State != OutUnknown || o.ResentAfterCrash != 0 || !strings.Contains(o.LastError, "not sent again") {
			t.Errorf("payment command after the crash: %+v", o)
		}
	}
	if o := mustOutbound(t, db, reply); o.State != OutQueued || o.ResentAfterCrash != 1 {
		t.Errorf("reply after the crash: %+v", o)
	}
	if due, ok := must2(db.NextDue(time.Now().Add(time.Hour)))(t); !ok || due.ID != reply {
		t.Errorf("due after the crash: %+v %v, want only the reply", due, ok)
	}
	requireInvariants(t, db)
}

// Nobody sends a payment command again, whatever its state: not after an
// unknown outcome, and not after a failure (its line failed on it, and
// its loan may already be in a new batch).
func TestAtMostOnceNeverSentAgain(t *testing.T) {
	db := openTemp(t)
	unknown := mustEnqueue(t, db, Outbound{To: "+254700100100", Text: "PAY 1000", AtMostOnce: true})
	check(t, db.MarkSubmitting(unknown, 0))
	check(t, db.MarkUnknown(unknown, "no answer after the PDU"))
	failed := mustEnqueue(t, db, Outbound{To: "+254700100100", Text: "PAY 2000", AtMostOnce: true})
	check(t, db.MarkSubmitting(failed, 0))
	check(t, db.MarkFailed(failed, "CMS ERROR 500"))
	for _, id := range []uint64{unknown, failed} {
		before := mustOutbound(t, db, id)
		if err := db.Requeue(id); !errors.Is(err, ErrAtMostOnce) {
			t.Errorf("Requeue of %s payment command: %v, want ErrAtMostOnce", before.State, err)
		}
		if after := mustOutbound(t, db, id); after.State != before.State || after.Requeues != 0 {
			t.Errorf("refused requeue changed %+v", after)
		}
	}
	// Nor is an unknown one given up as failed: that would say it never
	// left the box.
	if err := db.MarkFailed(unknown, "gave up"); !errors.Is(err, ErrAtMostOnce) {
		t.Errorf("MarkFailed of an unknown payment command: %v, want ErrAtMostOnce", err)
	}
	if o := mustOutbound(t, db, unknown); o.State != OutUnknown {
		t.Errorf("refused MarkFailed left %s", o.State)
	}
	resend := mustEnqueue(t, db, Outbound{To: "+254700100100", Text: "PAY 3000", AtMostOnce: true, DuplicateHarmless: true})
	check(t, db.MarkSubmitting(resend, 0))
	if err := db.MarkResendUnknown(resend, time.Now(), "no answer"); !errors.Is(err, ErrAtMostOnce) {
		t.Errorf("resend after an unknown outcome: %v, want ErrAtMostOnce", err)
	}
	if o := mustOutbound(t, db, resend); o.State != OutSubmitting {
		t.Errorf("refused resend left %s", o.State)
	}
	// An ordinary failed message is requeued as before.
	plain := mustEnqueue(t, db, Outbound{To: "+254700000001", Text: "hi"})
	check(t, db.MarkSubmitting(plain, 0))
	check(t, db.MarkFailed(plain, "CMS ERROR 500"))
	check(t, db.Requeue(plain))
	requireInvariants(t, db)
}

func TestShownHidesHiddenText(t *testing.T) {
	for _, c := range []struct {
		o    Outbound
		want string
	}{
		{Outbound{Text: "BAL 1,000.00"}, "BAL 1,000.00"},
		{Outbound{Text: "PAY 1000 0712000001 PIN 4321", Hidden: true}, hiddenText},
		{Outbound{Text: "", Hidden: true}, hiddenText},
	} {
		if got := c.o.Shown(); got != c.want {
			t.Errorf("Shown of %+v = %q, want %q", c.o, got, c.want)
		}
	}
	if strings.Contains(hiddenText, "4321") || hiddenText == "" {
		t.Errorf("the hidden notice %q", hiddenText)
	}
}
