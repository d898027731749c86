package store

import (
	"testing"
	"time"
)

func TestSnapshotRoundTrip(t *testing.T) {
	db := openTemp(t)
	if _, _, ok, err := db.Snapshot(42); err != nil || ok {
		t.Fatalf("no snapshot yet: ok=%v err=%v", ok, err)
	}
	if err := db.PutSnapshot(42, []byte("first"), baseTime); err != nil {
		t.Fatal(err)
	}
	if err := db.PutSnapshot(7, []byte("other"), baseTime); err != nil {
		t.Fatal(err)
	}
	if err := db.PutSnapshot(42, []byte("second"), baseTime.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	data, at, ok, err := db.Snapshot(42)
	if err != nil || !ok || string(data) != "second" || !at.Equal(baseTime.Add(time.Hour)) {
		t.Errorf("Snapshot(42) = %q %v %v %v", data, at, ok, err)
	}
	if data, _, ok, err := db.Snapshot(7); err != nil || !ok || string(data) != "other" {
		t.Errorf("Snapshot(7) = %q %v %v", data, ok, err)
	}
	if err := db.PutSnapshot(0, []byte("x"), baseTime); err == nil {
		t.Error("client id 0 accepted")
	}
}

func TestSnapshotOlderFetchDoesNotReplaceNewer(t *testing.T) {
	db := openTemp(t)
	if err := db.PutSnapshot(42, []byte("new"), baseTime.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := db.PutSnapshot(42, []byte("old"), baseTime); err != nil {
		t.Fatal(err)
	}
	if data, at, _, err := db.Snapshot(42); err != nil || string(data) != "new" || !at.Equal(baseTime.Add(time.Minute)) {
		t.Errorf("snapshot = %q at %v (%v), want the newer one", data, at, err)
	}
}
