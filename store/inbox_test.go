package store

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func part(fp, sender string, ref, total, seq int, wide bool, text string, at time.Time) Segment {
	return Segment{
		Fingerprint: fp, Sender: sender, Text: text, Encoding: "gsm7",
		SCTS:       at.Add(-time.Duration(seq) * time.Second),
		Concat:     &Concat{Ref: ref, Total: total, Seq: seq, Wide: wide},
		RawPDU:     "PDU-" + fp,
		ReceivedAt: at,
	}
}

func mustAdd(t *testing.T, db *DB, seg Segment) AddResult {
	t.Helper()
	res, err := db.AddSegment(seg)
	if err != nil {
		t.Fatalf("AddSegment(%s): %v", seg.Fingerprint, err)
	}
	return res
}

func TestSingleSegmentBecomesPendingMessage(t *testing.T) {
	db := openTemp(t)
	scts := baseTime.Add(-time.Minute)
	res := mustAdd(t, db, Segment{Fingerprint: "f1", Sender: "+254711", SCTS: scts, Text: "BAL 1234", RawPDU: "07911326", ReceivedAt: baseTime})
	if res.Duplicate || res.MessageID == 0 {
		t.Fatalf("result %+v, want a new message", res)
	}
	m, err := db.Message(res.MessageID)
	if err != nil {
		t.Fatal(err)
	}
	want := Message{ID: res.MessageID, Sender: "+254711", Text: "BAL 1234", SCTS: scts, ReceivedAt: baseTime,
		Parts: 1, Total: 1, State: MessagePending, RawPDUs: []string{"07911326"}}
	if !equalMessage(m, want) {
		t.Errorf("message\n got %+v\nwant %+v", m, want)
	}
	if _, err := db.Message(res.MessageID + 100); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing message: %v, want ErrNotFound", err)
	}
	requireInvariants(t, db)
}

func equalMessage(a, b Message) bool {
	return a.ID == b.ID && a.Sender == b.Sender && a.Text == b.Text && a.SCTS.Equal(b.SCTS) &&
		a.ReceivedAt.Equal(b.ReceivedAt) && a.Parts == b.Parts && a.Total == b.Total &&
		a.Incomplete == b.Incomplete && a.State == b.State && a.Note == b.Note &&
		a.HandledAt.Equal(b.HandledAt) && slices.Equal(a.RawPDUs, b.RawPDUs) && a.DecodeError == b.DecodeError
}

func TestDuplicateFingerprintChangesNothing(t *testing.T) {
	db := openTemp(t)
	first := mustAdd(t, db, Segment{Fingerprint: "same", Sender: "+1", Text: "hello", ReceivedAt: baseTime})
	before := must(db.Stats())(t)
	again := mustAdd(t, db, Segment{Fingerprint: "same", Sender: "+1", Text: "hello", ReceivedAt: baseTime.Add(time.Hour)})
	if !again.Duplicate || again.MessageID != 0 {
		t.Fatalf("second add %+v, want Duplicate without message", again)
	}
	after := must(db.Stats())(t)
	if before != after {
		t.Errorf("stats changed on duplicate: %+v -> %+v", before, after)
	}
	if pending := must(db.PendingMessages(0))(t); len(pending) != 1 || pending[0].ID != first.MessageID {
		t.Errorf("pending %+v, want only message %d", pending, first.MessageID)
	}
	if seen, err := db.SeenFingerprint("same"); err != nil || !seen {
		t.Errorf("SeenFingerprint = %v, %v", seen, err)
	}
	if _, err := db.AddSegment(Segment{Sender: "+1"}); err == nil {
		t.Error("segment without fingerprint accepted")
	}
}

func TestOutOfOrderSetAssembledOnce(t *testing.T) {
	db := openTemp(t)
	texts := map[int]string{1: "Loan repayment ", 2: "of 500 KES ", 3: "received."}
	order := []int{3, 1, 2}
	var ids []uint64
	for i, seq := range order {
		res := mustAdd(t, db, part(fmt.Sprintf("fp%d", seq), "+254722", 77, 3, seq, false, texts[seq], baseTime.Add(time.Duration(i)*time.Second)))
		if res.Duplicate {
			t.Fatalf("part %d reported duplicate", seq)
		}
		if res.MessageID != 0 {
			ids = append(ids, res.MessageID)
		}
		if i < len(order)-1 && res.MessageID != 0 {
			t.Fatalf("message produced after only %d parts", i+1)
		}
	}
	if len(ids) != 1 {
		t.Fatalf("got %d messages, want exactly one", len(ids))
	}
	m, err := db.Message(ids[0])
	if err != nil {
		t.Fatal(err)
	}
	if m.Text != "Loan repayment of 500 KES received." {
		t.Errorf("text %q", m.Text)
	}
	if !slices.Equal(m.RawPDUs, []string{"PDU-fp1", "PDU-fp2", "PDU-fp3"}) {
		t.Errorf("raw PDUs %v, want seq order", m.RawPDUs)
	}
	// Part 1 arrived second (i=1), so its SCTS is baseTime+1s-1s.
	if want := baseTime; !m.SCTS.Equal(want) {
		t.Errorf("SCTS %v, want part 1's %v", m.SCTS, want)
	}
	if m.Parts != 3 || m.Total != 3 || m.Incomplete || m.State != MessagePending || m.Encoding != "gsm7" {
		t.Errorf("message %+v", m)
	}
	st := must(db.Stats())(t)
	if st.IncompleteSets != 0 || st.Pending != 1 || st.Fingerprints != 3 {
		t.Errorf("stats %+v", st)
	}
	// A late re-read of any part is a fingerprint duplicate and builds nothing.
	if res := mustAdd(t, db, part("fp2", "+254722", 77, 3, 2, false, texts[2], baseTime)); !res.Duplicate {
		t.Error("re-read part not flagged duplicate")
	}
	if st := must(db.Stats())(t); st.IncompleteSets != 0 || st.Pending != 1 {
		t.Errorf("re-read part changed state: %+v", st)
	}
	requireInvariants(t, db)
}

func TestDuplicatePartWithOtherFingerprint(t *testing.T) {
	db := openTemp(t)
	mustAdd(t, db, part("a1", "+1", 5, 2, 1, false, "first half ", baseTime))
	res := mustAdd(t, db, part("a1-copy", "+1", 5, 2, 1, false, "first half ", baseTime.Add(time.Second)))
	if !res.Duplicate || res.MessageID != 0 {
		t.Fatalf("same slot, same text: %+v, want Duplicate", res)
	}
	res = mustAdd(t, db, part("a2", "+1", 5, 2, 2, false, "second half", baseTime.Add(2*time.Second)))
	m := must(db.Message(res.MessageID))(t)
	if m.Text != "first half second half" || !slices.Equal(m.RawPDUs, []string{"PDU-a1", "PDU-a2"}) {
		t.Errorf("assembled %q from %v; the duplicate must not replace the stored part", m.Text, m.RawPDUs)
	}
	requireInvariants(t, db)
}

func TestReusedReferenceFlushesStaleSet(t *testing.T) {
	db := openTemp(t)
	mustAdd(t, db, part("old1", "+1", 5, 2, 1, false, "old message part one", baseTime))
	res := mustAdd(t, db, part("new1", "+1", 5, 2, 1, false, "new message part one ", baseTime.Add(time.Hour)))
	if res.Duplicate || res.MessageID == 0 {
		t.Fatalf("conflicting part: %+v, want the stale set delivered", res)
	}
	stale := must(db.Message(res.MessageID))(t)
	if !stale.Incomplete || stale.Text != "old message part one"+missingPartMarker {
		t.Errorf("stale set delivered as %+v", stale)
	}
	res = mustAdd(t, db, part("new2", "+1", 5, 2, 2, false, "and two", baseTime.Add(time.Hour)))
	fresh := must(db.Message(res.MessageID))(t)
	if fresh.Text != "new message part one and two" || fresh.Incomplete {
		t.Errorf("new set assembled as %+v", fresh)
	}
	requireInvariants(t, db)
}

func TestWideAndNarrowReferencesStaySeparate(t *testing.T) {
	db := openTemp(t)
	const sender = "+254733"
	mustAdd(t, db, part("n1", sender, 12, 2, 1, false, "narrow-1 ", baseTime))
	mustAdd(t, db, part("w1", sender, 12, 2, 1, true, "wide-1 ", baseTime))
	// Same ref and sender but another part count is also another set.
	mustAdd(t, db, part("t1", sender, 12, 3, 1, false, "three-1 ", baseTime))
	if st := must(db.Stats())(t); st.IncompleteSets != 3 {
		t.Fatalf("%d sets, want 3", st.IncompleteSets)
	}
	wide := mustAdd(t, db, part("w2", sender, 12, 2, 2, true, "wide-2", baseTime))
	narrow := mustAdd(t, db, part("n2", sender, 12, 2, 2, false, "narrow-2", baseTime))
	mw := must(db.Message(wide.MessageID))(t)
	mn := must(db.Message(narrow.MessageID))(t)
	if mw.Text != "wide-1 wide-2" || mn.Text != "narrow-1 narrow-2" {
		t.Errorf("wide %q, narrow %q", mw.Text, mn.Text)
	}
	if st := must(db.Stats())(t); st.IncompleteSets != 1 {
		t.Errorf("%d sets left, want the 3-part one", st.IncompleteSets)
	}
	requireInvariants(t, db)
}

func TestDifferentSendersSameReferenceStaySeparate(t *testing.T) {
	db := openTemp(t)
	mustAdd(t, db, part("x1", "+1", 3, 2, 1, false, "x1 ", baseTime))
	res := mustAdd(t, db, part("y2", "+2", 3, 2, 2, false, "y2", baseTime))
	if res.MessageID != 0 {
		t.Fatal("parts of different senders were combined")
	}
}

// A name that reads like a phone number is another sender: its part must
// never complete (or be answered as) the phone's long SMS.
func TestSenderTypeKeepsLookAlikePartsApart(t *testing.T) {
	db := openTemp(t)
	real := part("r1", "0722000012", 9, 2, 1, false, "PAY 4826 42 ", baseTime)
	real.SenderType = "national"
	mustAdd(t, db, real)
	forged := part("f2", "0722000012", 9, 2, 2, false, "S=9000", baseTime)
	forged.SenderType = "alphanumeric"
	if res := mustAdd(t, db, forged); res.MessageID != 0 {
		t.Fatal("a part from an alphanumeric sender completed a phone's long SMS")
	}
	genuine := part("r2", "0722000012", 9, 2, 2, false, "L1=500", baseTime)
	genuine.SenderType = "national"
	res := mustAdd(t, db, genuine)
	m, err := db.Message(res.MessageID)
	if err != nil {
		t.Fatal(err)
	}
	if m.Text != "PAY 4826 42 L1=500" || m.SenderType != "national" {
		t.Fatalf("assembled %q from a %q sender", m.Text, m.SenderType)
	}
}

func TestDecodeErrorParksSegment(t *testing.T) {
	db := openTemp(t)
	res := mustAdd(t, db, Segment{Fingerprint: "bad", Sender: "+1", RawPDU: "DEADBEEF", DecodeError: "user data length exceeds PDU", ReceivedAt: baseTime})
	m, err := db.Message(res.MessageID)
	if err != nil {
		t.Fatal(err)
	}
	if m.State != MessageParked || m.DecodeError != "user data length exceeds PDU" || !slices.Equal(m.RawPDUs, []string{"DEADBEEF"}) {
		t.Errorf("parked message %+v", m)
	}
	if p := must(db.PendingMessages(0))(t); len(p) != 0 {
		t.Errorf("parked message is pending: %+v", p)
	}
	if parked := must(db.ListMessages(MessageParked, 0))(t); len(parked) != 1 || parked[0].ID != m.ID {
		t.Errorf("ListMessages(parked) = %+v", parked)
	}
}

func TestInvalidConcatHeaderIsParked(t *testing.T) {
	cases := []struct {
		name   string
		concat Concat
		want   string
	}{
		{"seq zero", Concat{Ref: 1, Total: 3, Seq: 0}, "part number 0"},
		{"seq beyond total", Concat{Ref: 1, Total: 3, Seq: 4}, "part number 4"},
		{"too many parts", Concat{Ref: 1, Total: 256, Seq: 1}, "256 parts"},
		{"8-bit ref too large", Concat{Ref: 300, Total: 2, Seq: 1}, "reference 300"},
	}
	db := openTemp(t)
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := mustAdd(t, db, Segment{Fingerprint: fmt.Sprint("bad", i), Sender: "+1", Text: "x", Concat: &c.concat, RawPDU: "AB", ReceivedAt: baseTime})
			m, err := db.Message(res.MessageID)
			if err != nil {
				t.Fatal(err)
			}
			if m.State != MessageParked || !strings.Contains(m.DecodeError, c.want) {
				t.Errorf("got state %s, decode error %q; want parked mentioning %q", m.State, m.DecodeError, c.want)
			}
		})
	}
	if st := must(db.Stats())(t); st.IncompleteSets != 0 || st.Parked != len(cases) {
		t.Errorf("stats %+v", st)
	}
	// A 16-bit reference may exceed 255.
	res := mustAdd(t, db, part("wide-big", "+1", 40000, 2, 1, true, "a", baseTime))
	if res.MessageID != 0 {
		t.Error("valid 16-bit reference was parked")
	}
	requireInvariants(t, db)
}

func TestTotalOneIsSinglePart(t *testing.T) {
	db := openTemp(t)
	res := mustAdd(t, db, part("one", "+1", 9, 1, 1, false, "short", baseTime))
	m, err := db.Message(res.MessageID)
	if err != nil || m.State != MessagePending || m.Text != "short" {
		t.Errorf("total=1 part: %+v, %v", m, err)
	}
}

func TestFlushIncomplete(t *testing.T) {
	db := openTemp(t)
	// Old set: parts 1 and 4 of 4 arrived, first at baseTime.
	mustAdd(t, db, part("o4", "+1", 20, 4, 4, false, "D", baseTime))
	mustAdd(t, db, part("o1", "+1", 20, 4, 1, false, "A", baseTime.Add(50*time.Minute)))
	// Young set: first part arrives later.
	mustAdd(t, db, part("y1", "+2", 21, 2, 1, false, "young", baseTime.Add(time.Hour)))

	ids, err := db.FlushIncomplete(baseTime.Add(30 * time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != 1 {
		t.Fatalf("flushed %d sets, want 1", len(ids))
	}
	m := must(db.Message(ids[0]))(t)
	want := "A" + missingPartMarker + missingPartMarker + "D"
	if m.Text != want || !m.Incomplete || m.Parts != 2 || m.Total != 4 || m.State != MessagePending {
		t.Errorf("flushed message %+v, want text %q", m, want)
	}
	if !slices.Equal(m.RawPDUs, []string{"PDU-o1", "PDU-o4"}) {
		t.Errorf("raw PDUs %v", m.RawPDUs)
	}
	if st := must(db.Stats())(t); st.IncompleteSets != 1 {
		t.Errorf("%d sets left, want the young one", st.IncompleteSets)
	}
	// Flushing again finds nothing new; a late part is parked, not a new set.
	if again := must(db.FlushIncomplete(baseTime.Add(30 * time.Minute)))(t); len(again) != 0 {
		t.Errorf("second flush returned %v", again)
	}
	res := mustAdd(t, db, part("o2", "+1", 20, 4, 2, false, "B", baseTime.Add(2*time.Hour)))
	if late := must(db.Message(res.MessageID))(t); res.Duplicate || late.State != MessageParked {
		t.Errorf("late part: %+v -> %+v", res, late)
	}
	requireInvariants(t, db)
}

func TestPendingAndListOrdering(t *testing.T) {
	db := openTemp(t)
	var ids []uint64
	for i := range 5 {
		ids = append(ids, mustAdd(t, db, Segment{Fingerprint: fmt.Sprint("m", i), Sender: "+1", Text: fmt.Sprint(i), ReceivedAt: baseTime}).MessageID)
	}
	err := db.Update(func(tx *Tx) error { return tx.MarkHandled(ids[1], "answered") })
	if err != nil {
		t.Fatal(err)
	}
	pending, err := db.PendingMessages(3)
	if err != nil {
		t.Fatal(err)
	}
	if got := messageIDs(pending); !slices.Equal(got, []uint64{ids[0], ids[2], ids[3]}) {
		t.Errorf("PendingMessages(3) = %v", got)
	}
	all := must(db.ListMessages("", 0))(t)
	if got := messageIDs(all); !slices.Equal(got, []uint64{ids[4], ids[3], ids[2], ids[1], ids[0]}) {
		t.Errorf("ListMessages(all) = %v, want newest first", got)
	}
	handled := must(db.ListMessages(MessageHandled, 10))(t)
	if got := messageIDs(handled); !slices.Equal(got, []uint64{ids[1]}) || handled[0].Note != "answered" || handled[0].HandledAt.IsZero() {
		t.Errorf("ListMessages(handled) = %+v", handled)
	}
	if _, err := db.ListMessages("bogus", 1); err == nil {
		t.Error("unknown state accepted")
	}
}

func messageIDs(ms []Message) []uint64 {
	var ids []uint64
	for _, m := range ms {
		ids = append(ids, m.ID)
	}
	return ids
}

func TestMarkHandledTwiceIsNotPending(t *testing.T) {
	db := openTemp(t)
	id := mustAdd(t, db, Segment{Fingerprint: "h", Sender: "+1", Text: "hi", ReceivedAt: baseTime}).MessageID
	handle := func() error {
		return db.Update(func(tx *Tx) error {
			if err := tx.MarkHandled(id, "ok"); err != nil {
				return err
			}
			_, err := tx.Enqueue(Outbound{To: "+1", Text: "hello", Origin: fmt.Sprint("reply:", id)})
			return err
		})
	}
	if err := handle(); err != nil {
		t.Fatal(err)
	}
	if err := handle(); !errors.Is(err, ErrNotPending) {
		t.Fatalf("second handling: %v, want ErrNotPending", err)
	}
	// The rejected handler's reply was rolled back with it.
	if st := must(db.Stats())(t); st.Queued != 1 || st.Handled != 1 || st.Pending != 0 {
		t.Errorf("stats %+v, want exactly one reply and one handled message", st)
	}
	err := db.Update(func(tx *Tx) error { return tx.MarkHandled(9999, "") })
	if !errors.Is(err, ErrNotFound) {
		t.Errorf("MarkHandled of a missing id: %v", err)
	}
	requireInvariants(t, db)
}

func TestParkPendingMessage(t *testing.T) {
	db := openTemp(t)
	id := mustAdd(t, db, Segment{Fingerprint: "p", Sender: "+1", Text: "???", ReceivedAt: baseTime}).MessageID
	if err := db.Update(func(tx *Tx) error { return tx.Park(id, "unknown keyword") }); err != nil {
		t.Fatal(err)
	}
	err := db.Update(func(tx *Tx) error { return tx.MarkHandled(id, "") })
	if !errors.Is(err, ErrNotPending) {
		t.Errorf("MarkHandled of a parked message: %v, want ErrNotPending", err)
	}
	m := must(db.Message(id))(t)
	if m.State != MessageParked || m.Note != "unknown keyword" {
		t.Errorf("parked message %+v", m)
	}
	requireInvariants(t, db)
}

func TestHandlerErrorRollsBack(t *testing.T) {
	db := openTemp(t)
	id := mustAdd(t, db, Segment{Fingerprint: "r", Sender: "+1", Text: "x", ReceivedAt: baseTime}).MessageID
	boom := errors.New("fineract unreachable")
	err := db.Update(func(tx *Tx) error {
		if err := tx.MarkHandled(id, ""); err != nil {
			return err
		}
		if _, err := tx.Enqueue(Outbound{To: "+1", Text: "y"}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update returned %v", err)
	}
	m := must(db.Message(id))(t)
	if st := must(db.Stats())(t); m.State != MessagePending || st.Queued != 0 {
		t.Errorf("after rollback: message %s, stats %+v", m.State, st)
	}
}

func TestJoinPartsHookBuildsCompleteText(t *testing.T) {
	db, err := Open(filepath.Join(t.TempDir(), "s.db"), Options{JoinParts: func(raws []string) (string, bool) {
		return strings.Join(raws, "+"), true
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var id uint64
	for seq := 1; seq <= 2; seq++ {
		res, err := db.AddSegment(Segment{Fingerprint: fmt.Sprint("fp", seq), Sender: "+254700000001",
			Concat: &Concat{Ref: 9, Total: 2, Seq: seq}, Text: "t", RawPDU: fmt.Sprint("raw", seq)})
		if err != nil {
			t.Fatal(err)
		}
		id = res.MessageID
	}
	m, err := db.Message(id)
	if err != nil {
		t.Fatal(err)
	}
	if m.Text != "raw1+raw2" {
		t.Fatalf("text = %q, want the hook's join", m.Text)
	}
}

func TestMarkHandledRedactedDropsTheSecret(t *testing.T) {
	db := openTemp(t)
	res, err := db.AddSegment(Segment{Fingerprint: "fp-pin", Sender: "+254722000012", Text: "PAY 4826 42 L1=500", RawPDU: "00AB"})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *Tx) error { return tx.MarkHandledRedacted(res.MessageID, "ok", "PAY **** 42 L1=500") }); err != nil {
		t.Fatal(err)
	}
	m, err := db.Message(res.MessageID)
	if err != nil {
		t.Fatal(err)
	}
	if m.State != MessageHandled || strings.Contains(m.Text, "4826") || len(m.RawPDUs) != 0 {
		t.Fatalf("stored %+v", m)
	}
	if err := db.Update(func(tx *Tx) error { return tx.MarkHandledRedacted(res.MessageID, "again", "x") }); !errors.Is(err, ErrNotPending) {
		t.Fatalf("second handling: %v", err)
	}
}

func TestLatePartAfterIncompleteDeliveryIsParked(t *testing.T) {
	db := openTemp(t)
	t0 := time.Now().Add(-time.Hour)
	for _, seq := range []int{1, 3} {
		if _, err := db.AddSegment(part(fmt.Sprint("late-", seq), "+254700000001", 7, 3, seq, false, fmt.Sprint("p", seq), t0)); err != nil {
			t.Fatal(err)
		}
	}
	ids, err := db.FlushIncomplete(t0.Add(time.Minute))
	if err != nil || len(ids) != 1 {
		t.Fatalf("flush: %v %v", ids, err)
	}
	res, err := db.AddSegment(part("late-2", "+254700000001", 7, 3, 2, false, "p2", time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	m, err := db.Message(res.MessageID)
	if err != nil {
		t.Fatal(err)
	}
	if m.State != MessageParked || !strings.Contains(m.DecodeError, "after the rest was handled") {
		t.Fatalf("late part became %+v", m)
	}
	if pending := must(db.PendingMessages(10))(t); len(pending) != 1 {
		t.Fatalf("%d pending messages, want only the incomplete one", len(pending))
	}
}

func TestDeferredMessageWakesPendingThenParksWhenTooOld(t *testing.T) {
	db := openTemp(t)
	a := mustAdd(t, db, Segment{Fingerprint: "a", Sender: "+254711000001", Text: "PAY 4826 42 L1=5", ReceivedAt: baseTime})
	b := mustAdd(t, db, Segment{Fingerprint: "b", Sender: "+254711000001", Text: "PAY 4826 43 L1=5", ReceivedAt: baseTime.Add(-25 * time.Hour)})
	for _, id := range []uint64{a.MessageID, b.MessageID} {
		if err := db.Update(func(tx *Tx) error { return tx.Defer(id, baseTime.Add(10*time.Minute), "over the hourly limit") }); err != nil {
			t.Fatal(err)
		}
	}
	requireInvariants(t, db)
	if pending := must(db.PendingMessages(0))(t); len(pending) != 0 {
		t.Fatalf("deferred messages still pending: %v", messageIDs(pending))
	}
	if n, err := db.WakeDeferred(baseTime.Add(9*time.Minute), baseTime.Add(-24*time.Hour)); err != nil || n != 0 {
		t.Fatalf("woke %d before their time (%v)", n, err)
	}
	n, err := db.WakeDeferred(baseTime.Add(10*time.Minute), baseTime.Add(-24*time.Hour))
	if err != nil || n != 1 {
		t.Fatalf("woke %d, %v; want 1", n, err)
	}
	if pending := must(db.PendingMessages(0))(t); len(pending) != 1 || pending[0].ID != a.MessageID {
		t.Fatalf("pending after wake: %v", messageIDs(pending))
	}
	old := must(db.Message(b.MessageID))(t)
	if old.State != MessageParked || !strings.Contains(old.Note, "parked for a person") {
		t.Fatalf("a message deferred past a day is %s (%q), want parked", old.State, old.Note)
	}
	if st := must(db.Stats())(t); st.Deferred != 0 || st.Parked != 1 || st.Pending != 1 {
		t.Fatalf("stats %+v", st)
	}
	requireInvariants(t, db)
}
