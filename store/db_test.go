package store

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.etcd.io/bbolt"
)

func TestOpenCreatesPrivateFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if db.Path() != path {
		t.Errorf("Path() = %q, want %q", db.Path(), path)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("file mode %o, want 600", perm)
	}
}

func TestOpenDoesNotCreateParentDirectory(t *testing.T) {
	_, err := Open(filepath.Join(t.TempDir(), "missing", "state.db"), Options{})
	if err == nil {
		t.Fatal("Open succeeded although the parent directory does not exist")
	}
}

func TestSecondOpenIsLocked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	second, err := Open(path, Options{LockTimeout: 100 * time.Millisecond})
	if err == nil {
		second.Close()
		t.Fatal("second Open of a locked file succeeded")
	}
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("err = %v, want ErrLocked", err)
	}
	if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "mifos-edge") {
		t.Errorf("error %q should name the file and mention another mifos-edge", err)
	}
	// Once the holder closes, the file opens again.
	check(t, db.Close())
	third, err := Open(path, Options{LockTimeout: time.Second})
	if err != nil {
		t.Fatalf("open after the holder closed: %v", err)
	}
	check(t, third.Close())
}

func TestNewerSchemaIsRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	err = db.bolt.Update(func(btx *bbolt.Tx) error {
		return btx.Bucket(bucketMeta).Put(keySchemaVersion, idKey(schemaVersion+1))
	})
	if err != nil {
		t.Fatal(err)
	}
	check(t, db.Close())

	_, err = Open(path, Options{})
	if !errors.Is(err, ErrSchemaTooNew) {
		t.Fatalf("err = %v, want ErrSchemaTooNew", err)
	}
	if !strings.Contains(err.Error(), path) {
		t.Errorf("error %q should name the file", err)
	}
	// The refused open must leave the lock free and the version untouched.
	raw, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	check(t, raw.View(func(btx *bbolt.Tx) error {
		if v := keyID(btx.Bucket(bucketMeta).Get(keySchemaVersion)); v != schemaVersion+1 {
			t.Errorf("schema version rewritten to %d", v)
		}
		return nil
	}))
}

func TestSchemaVersionWrittenOnCreate(t *testing.T) {
	db := openTemp(t)
	check(t, db.bolt.View(func(btx *bbolt.Tx) error {
		if v := keyID(btx.Bucket(bucketMeta).Get(keySchemaVersion)); v != schemaVersion {
			t.Errorf("schema version %d, want %d", v, schemaVersion)
		}
		return nil
	}))
}

func TestReopenKeepsEverything(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	single, err := db.AddSegment(Segment{Fingerprint: "a", Sender: "+254700000001", Text: "balance", RawPDU: "00AA", ReceivedAt: baseTime})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.AddSegment(Segment{Fingerprint: "p1", Sender: "+254700000002", Text: "part one ", Concat: &Concat{Ref: 9, Total: 2, Seq: 1}, ReceivedAt: baseTime}); err != nil {
		t.Fatal(err)
	}
	outID, err := db.Enqueue(Outbound{To: "+254700000001", Text: "Your balance is 10", Origin: "cli", NextAttempt: baseTime})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.MarkSubmitting(outID, 42); err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *Tx) error {
		b, err := tx.Bucket("journal")
		if err != nil {
			return err
		}
		return b.Put([]byte("k"), []byte("v"))
	})
	if err != nil {
		t.Fatal(err)
	}
	before, err := db.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db, err = Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	after, err := db.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if after != before {
		t.Errorf("stats after reopen %+v, before %+v", after, before)
	}
	m, err := db.Message(single.MessageID)
	if err != nil || m.Text != "balance" || m.State != MessagePending {
		t.Errorf("message after reopen: %+v, %v", m, err)
	}
	o, err := db.Outbound(outID)
	if err != nil || o.State != OutSubmitting || o.ConcatRef != 42 || o.Attempts != 1 {
		t.Errorf("outbound after reopen: %+v, %v", o, err)
	}
	if dup := must(db.AddSegment(Segment{Fingerprint: "p1", Sender: "+254700000002"}))(t); !dup.Duplicate {
		t.Error("fingerprint forgotten after reopen")
	}
	res, err := db.AddSegment(Segment{Fingerprint: "p2", Sender: "+254700000002", Text: "part two", Concat: &Concat{Ref: 9, Total: 2, Seq: 2}, ReceivedAt: baseTime})
	if err != nil {
		t.Fatal(err)
	}
	if m := must(db.Message(res.MessageID))(t); m.Text != "part one part two" {
		t.Errorf("set stored before reopen assembled to %q", m.Text)
	}
	check(t, db.View(func(tx *Tx) error {
		b, err := tx.Bucket("journal")
		if err != nil || string(b.Get([]byte("k"))) != "v" {
			t.Errorf("extension bucket lost: %v", err)
		}
		if _, err := tx.Bucket("never-created"); !errors.Is(err, ErrNotFound) {
			t.Errorf("read-only Bucket of a missing name: %v, want ErrNotFound", err)
		}
		return nil
	}))
	requireInvariants(t, db)
}

func TestTimeKeyOrder(t *testing.T) {
	times := []time.Time{
		{}, // zero time clamps to the minimum
		time.Unix(-5, 0),
		time.Unix(0, 0),
		time.Unix(0, 1),
		baseTime,
		baseTime.Add(time.Nanosecond),
		time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC), // beyond int64 nanoseconds: clamps
	}
	for i := 1; i < len(times); i++ {
		if string(timeKey(times[i-1])) >= string(timeKey(times[i])) {
			t.Errorf("timeKey(%v) does not sort before timeKey(%v)", times[i-1], times[i])
		}
	}
	if got := keyTime(timeKey(baseTime)); !got.Equal(baseTime) {
		t.Errorf("keyTime round trip = %v, want %v", got, baseTime)
	}
}

func TestInstallIDIsStableAndPerStore(t *testing.T) {
	dir := t.TempDir()
	db, err := Open(filepath.Join(dir, "a.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	first, err := db.InstallID()
	if err != nil || len(first) != 8 {
		t.Fatalf("InstallID = %q, %v", first, err)
	}
	check(t, db.Close())
	db, err = Open(filepath.Join(dir, "a.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	again := must(db.InstallID())(t)
	check(t, db.Close())
	other, err := Open(filepath.Join(dir, "b.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	fresh := must(other.InstallID())(t)
	if again != first || fresh == first {
		t.Fatalf("reopened %q (want %q), new store %q", again, first, fresh)
	}
}
