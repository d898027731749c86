package store

import (
	"testing"
	"time"
)

// submitted queues a message to to and submits its parts with mrs.
func submitted(t *testing.T, db *DB, to string, mrs ...int) uint64 {
	t.Helper()
	id := mustEnqueue(t, db, Outbound{To: to, Text: "x"})
	if err := db.MarkSubmitting(id, 1); err != nil {
		t.Fatal(err)
	}
	for i, mr := range mrs {
		if err := db.MarkPartSubmitted(id, i, mr, len(mrs)); err != nil {
			t.Fatal(err)
		}
	}
	return id
}

// sameAs matches the numbers a test considers one phone: equal, or one
// the national form (0...) of the other's +254 form.
func sameAs(n string) func(string) bool {
	return func(to string) bool {
		norm := func(s string) string {
			if len(s) > 0 && s[0] == '0' {
				return "+254" + s[1:]
			}
			return s
		}
		return norm(to) == norm(n)
	}
}

func report(mr int, to string, st int, d Delivery, at time.Time) StatusReport {
	return StatusReport{MR: mr, Recipient: to, Status: st, Delivery: d, Discharge: at, SCTS: at.Add(-time.Second),
		SameRecipient: sameAs(to), Since: time.Now().Add(-time.Hour)}
}

func record(t *testing.T, db *DB, r StatusReport) ReportResult {
	t.Helper()
	res, err := db.RecordStatusReport(r, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestStatusReportDeliversSinglePart(t *testing.T) {
	db := openTemp(t)
	id := submitted(t, db, "+254712345678", 7)
	at := baseTime.Add(5 * time.Second)
	// The network writes the national form; the caller's matcher knows it is the same phone.
	res := record(t, db, report(7, "0712345678", 0x00, DeliveryDelivered, at))
	if !res.Matched || res.ID != id || res.Part != 0 || !res.Changed || res.Delivery != DeliveryDelivered {
		t.Fatalf("result %+v", res)
	}
	o := mustOutbound(t, db, id)
	if o.State != OutSubmitted || o.Delivery != DeliveryDelivered || !o.DeliveredAt.Equal(at) {
		t.Fatalf("record %+v", o)
	}
	if len(o.Reports) != 1 || o.Reports[0].MR != 7 || o.Reports[0].Status != 0 || o.Reports[0].Delivery != DeliveryDelivered {
		t.Fatalf("reports %+v", o.Reports)
	}
	// The same report again changes nothing, not even UpdatedAt.
	again := record(t, db, report(7, "0712345678", 0x00, DeliveryDelivered, at))
	if !again.Matched || again.Changed || again.ID != id {
		t.Fatalf("repeat %+v", again)
	}
	if o2 := mustOutbound(t, db, id); !o2.UpdatedAt.Equal(o.UpdatedAt) || o2.Reports[0].Received != o.Reports[0].Received {
		t.Fatalf("repeat changed the record: %+v", o2)
	}
	// A late failure does not undo the delivery.
	late := record(t, db, report(7, "+254712345678", 0x46, DeliveryFailed, at.Add(time.Hour)))
	if late.Changed || mustOutbound(t, db, id).Delivery != DeliveryDelivered {
		t.Fatalf("a final state was undone: %+v", late)
	}
}

func TestStatusReportMultiPart(t *testing.T) {
	db := openTemp(t)
	// The first part's report comes while the second is still being sent.
	id := mustEnqueue(t, db, Outbound{To: "+254700000001", Text: "long"})
	if err := db.MarkSubmitting(id, 3); err != nil {
		t.Fatal(err)
	}
	if err := db.MarkPartSubmitted(id, 0, 254, 3); err != nil {
		t.Fatal(err)
	}
	r := record(t, db, report(254, "+254700000001", 0, DeliveryDelivered, baseTime))
	if !r.Matched || r.Part != 0 || r.Delivery != DeliveryPending {
		t.Fatalf("first part while submitting: %+v", r)
	}
	// MRs wrap: 255 then 0.
	if err := db.MarkPartSubmitted(id, 1, 255, 3); err != nil {
		t.Fatal(err)
	}
	if err := db.MarkPartSubmitted(id, 2, 0, 3); err != nil {
		t.Fatal(err)
	}
	if r := record(t, db, report(0, "+254700000001", 0x21, DeliveryPending, baseTime.Add(time.Second))); r.Part != 2 || r.Delivery != DeliveryPending {
		t.Fatalf("pending third part: %+v", r)
	}
	if r := record(t, db, report(0, "+254700000001", 0x00, DeliveryDelivered, baseTime.Add(3*time.Second))); !r.Changed || r.Delivery != DeliveryPending {
		t.Fatalf("third part delivered, second unknown: %+v", r)
	}
	r = record(t, db, report(255, "+254700000001", 0x00, DeliveryDelivered, baseTime.Add(2*time.Second)))
	o := mustOutbound(t, db, id)
	if r.Part != 1 || r.Delivery != DeliveryDelivered || o.Delivery != DeliveryDelivered || !o.DeliveredAt.Equal(baseTime.Add(3*time.Second)) {
		t.Fatalf("all parts delivered: %+v, record %+v", r, o)
	}

	// One failed part fails the message, whatever the others say.
	id2 := submitted(t, db, "+254700000002", 10, 11)
	record(t, db, report(10, "+254700000002", 0x00, DeliveryDelivered, baseTime))
	if r := record(t, db, report(11, "+254700000002", 0x46, DeliveryFailed, baseTime.Add(time.Minute))); r.Delivery != DeliveryFailed {
		t.Fatalf("failed part: %+v", r)
	}
	if o := mustOutbound(t, db, id2); o.Delivery != DeliveryFailed || o.Reports[1].Status != 0x46 {
		t.Fatalf("record %+v", o)
	}
}

func TestStatusReportMatching(t *testing.T) {
	db := openTemp(t)
	// MR 5 was used for three messages; the wrap made them share it.
	old := submitted(t, db, "+254700000001", 5)
	other := submitted(t, db, "+254700000002", 5)
	recent := submitted(t, db, "+254700000001", 5)

	// The recipient picks between messages with the same MR; the newest first.
	if r := record(t, db, report(5, "+254700000001", 0, DeliveryDelivered, baseTime)); r.ID != recent {
		t.Fatalf("matched %d, want the most recent %d", r.ID, recent)
	}
	if r := record(t, db, report(5, "+254700000002", 0, DeliveryDelivered, baseTime)); r.ID != other {
		t.Fatalf("matched %d, want %d (recipient)", r.ID, other)
	}
	// The recent one is final; a different report for the same MR and phone
	// belongs to the older message, still waiting for its word.
	if r := record(t, db, report(5, "+254700000001", 0x46, DeliveryFailed, baseTime.Add(time.Minute))); r.ID != old || !r.Changed {
		t.Fatalf("matched %+v, want the older %d", r, old)
	}
	// ...while a repeat of the recent one's report still changes nothing.
	if r := record(t, db, report(5, "+254700000001", 0, DeliveryDelivered, baseTime)); r.ID != recent || r.Changed {
		t.Fatalf("repeat matched %+v", r)
	}
	if o := mustOutbound(t, db, old); o.Delivery != DeliveryFailed {
		t.Fatalf("old %+v", o)
	}

	// Nothing fits: kept for a person, not an error.
	r := record(t, db, report(99, "+254700000003", 0, DeliveryDelivered, baseTime))
	if r.Matched {
		t.Fatalf("unknown MR matched %+v", r)
	}
	wrong := record(t, db, report(5, "+254799999999", 0, DeliveryDelivered, baseTime))
	if wrong.Matched {
		t.Fatalf("another phone's report matched %+v", wrong)
	}
	// Too old: a message submitted before Since cannot take a report.
	tooOld := report(5, "+254700000002", 0x46, DeliveryFailed, baseTime)
	tooOld.Since = time.Now().Add(time.Hour)
	if r := record(t, db, tooOld); r.Matched {
		t.Fatalf("a message older than Since matched %+v", r)
	}
	un, err := db.UnmatchedReports(0)
	if err != nil || len(un) != 3 || un[0].MR != 5 || un[2].MR != 99 || un[1].Recipient != "+254799999999" {
		t.Fatalf("unmatched %+v %v", un, err)
	}
}

func TestStatusReportBadInput(t *testing.T) {
	db := openTemp(t)
	if _, err := db.RecordStatusReport(StatusReport{MR: 1, Delivery: DeliveryDelivered}, time.Now()); err == nil {
		t.Error("a report without a matcher was accepted")
	}
	r := report(1, "+1", 0, "maybe", baseTime)
	if _, err := db.RecordStatusReport(r, time.Now()); err == nil {
		t.Error("an unknown delivery state was accepted")
	}
}

func TestUnmatchedReportsBounded(t *testing.T) {
	db := openTemp(t)
	for i := range maxUnmatchedReports + 3 {
		record(t, db, report(i%256, "+254700000009", 0, DeliveryDelivered, baseTime))
	}
	un, err := db.UnmatchedReports(0)
	if err != nil || len(un) != maxUnmatchedReports || un[0].MR != (maxUnmatchedReports+2)%256 {
		t.Fatalf("%d kept, newest %+v, %v", len(un), un[0], err)
	}
}

func TestEnqueueClearsDelivery(t *testing.T) {
	db := openTemp(t)
	id := mustEnqueue(t, db, Outbound{To: "+1", Text: "x", Delivery: DeliveryDelivered, DeliveredAt: baseTime, Reports: []PartReport{{MR: 1}}})
	if o := mustOutbound(t, db, id); o.Delivery != "" || !o.DeliveredAt.IsZero() || o.Reports != nil {
		t.Fatalf("caller-supplied delivery kept: %+v", o)
	}
}
