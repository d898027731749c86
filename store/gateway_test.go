package store

import (
	"testing"
	"time"
)

func TestGatewayBatchCommitsWholeOrNotAtAll(t *testing.T) {
	db := openTemp(t)
	items := []GatewayItem{
		{InternalID: 1, Out: Outbound{To: "+254712345678", Text: "a", Priority: PriorityBulk}},
		{InternalID: 2, Refused: "no mobile number"},
		{InternalID: 3, Out: Outbound{Text: "no recipient"}}, // Enqueue refuses it
	}
	if _, err := db.GatewayAccept("default", items); err == nil {
		t.Fatal("a batch with an unqueueable item was accepted")
	}
	if out, _ := db.ListOutbound("", 0); len(out) != 0 {
		t.Fatalf("a failed batch left %d SMS queued", len(out))
	}
	looked, err := db.GatewayReport("default", []int64{1, 2}, time.Now(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range looked {
		if l.Record.Final() {
			t.Errorf("a failed batch left a record: %+v", l)
		}
	}
	res, err := db.GatewayAccept("default", items[:2])
	if err != nil || res != (GatewayOutcome{Queued: 1, Refused: 1}) {
		t.Fatalf("retried batch: %+v %v", res, err)
	}
}

func TestGatewayAndHookRecordsArePrunedAfterRetention(t *testing.T) {
	db := openTemp(t)
	if _, err := db.GatewayAccept("default", []GatewayItem{{InternalID: 1, Refused: "x"}}); err != nil {
		t.Fatal(err)
	}
	if n, err := db.PruneGateway(time.Now().Add(-time.Hour), 10); err != nil || n != 0 {
		t.Fatalf("pruned a fresh record: %d %v", n, err)
	}
	if n, err := db.PruneGateway(time.Now().Add(time.Hour), 10); err != nil || n != 1 {
		t.Fatalf("old record: pruned %d %v", n, err)
	}
	if _, err := db.AddHookEvent(HookEvent{Key: "a"}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.AddHookEvent(HookEvent{Key: "b"}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.FinishHookEvent("a", nil, "skipped"); err != nil {
		t.Fatal(err)
	}
	if n, err := db.PruneHookEvents(time.Now().Add(time.Hour), 10); err != nil || n != 1 {
		t.Fatalf("pruned %d hook events (%v), want the finished one", n, err)
	}
	if ev, err := db.HookEvent("b"); err != nil || ev.State != HookWaiting {
		t.Errorf("a waiting event was pruned: %+v %v", ev, err)
	}
	if _, err := db.FinishHookEvent("a", nil, ""); err == nil {
		t.Error("finished a pruned event")
	}
	if added, err := db.AddHookEvent(HookEvent{Key: "b"}); err != nil || added {
		t.Errorf("the same event added twice: %v %v", added, err)
	}
}
