package officer

import (
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/mifos-edge/mifos-edge/store"
)

const phoneA = "+254712345678"

func enrolled(t *testing.T, pin string) *store.DB {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "state.db"), store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	h, err := HashPIN(pin)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.AddOfficer(store.Officer{Phone: phoneA, StaffID: 3, Name: "Amina", PINHash: h}); err != nil {
		t.Fatal(err)
	}
	return db
}

func mustAuth(t *testing.T, db *store.DB, phone, pin string, now time.Time, p Policy) Result {
	t.Helper()
	r, err := Authenticate(db, phone, pin, now, p)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestAuthenticateLockout(t *testing.T) {
	db := enrolled(t, "2580")
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	p := Policy{} // defaults: 3 attempts, 15 minutes

	if r := mustAuth(t, db, "+254700000000", "2580", now, p); r.Outcome != NotOfficer {
		t.Fatalf("unknown phone: %v", r.Outcome)
	}
	if r := mustAuth(t, db, phoneA, "2580", now, p); r.Outcome != OK || r.Officer.Name != "Amina" || r.AttemptsLeft != 3 {
		t.Fatalf("right PIN: %+v", r)
	}
	r := mustAuth(t, db, phoneA, "1111", now, p)
	if r.Outcome != WrongPIN || r.AttemptsLeft != 2 || r.Officer.FailedAttempts != 1 {
		t.Fatalf("1st wrong PIN: %+v", r)
	}
	if r = mustAuth(t, db, phoneA, "1112", now, p); r.Outcome != WrongPIN || r.AttemptsLeft != 1 {
		t.Fatalf("2nd wrong PIN: %+v", r)
	}
	r = mustAuth(t, db, phoneA, "1113", now, p)
	if r.Outcome != Locked || !r.LockedUntil.Equal(now.Add(15*time.Minute)) || r.Officer.FailedAttempts != 0 {
		t.Fatalf("3rd wrong PIN: %+v", r)
	}
	// While locked even the right PIN is refused and nothing changes.
	before, _ := db.Officer(phoneA)
	if r = mustAuth(t, db, phoneA, "2580", now.Add(14*time.Minute), p); r.Outcome != Locked || !r.LockedUntil.Equal(now.Add(15*time.Minute)) {
		t.Fatalf("right PIN while locked: %+v", r)
	}
	after, _ := db.Officer(phoneA)
	if !after.UpdatedAt.Equal(before.UpdatedAt) || after.FailedAttempts != 0 {
		t.Errorf("a locked attempt changed the record: %+v -> %+v", before, after)
	}
	// After the lock: full attempts again.
	later := now.Add(15 * time.Minute)
	if r = mustAuth(t, db, phoneA, "9999", later, p); r.Outcome != WrongPIN || r.AttemptsLeft != 2 {
		t.Fatalf("wrong PIN after the lock: %+v", r)
	}
	if r = mustAuth(t, db, phoneA, "2580", later, p); r.Outcome != OK || r.Officer.FailedAttempts != 0 || !r.Officer.LockedUntil.IsZero() {
		t.Fatalf("right PIN after the lock: %+v", r)
	}
	// A success resets the count: two more wrong PINs do not lock.
	mustAuth(t, db, phoneA, "9999", later, p)
	if r = mustAuth(t, db, phoneA, "9999", later, p); r.Outcome != WrongPIN || r.AttemptsLeft != 1 {
		t.Fatalf("count not reset by success: %+v", r)
	}
}

func TestAuthenticateCustomPolicy(t *testing.T) {
	db := enrolled(t, "2580")
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	p := Policy{Attempts: 1, LockFor: time.Hour}
	if r := mustAuth(t, db, phoneA, "0000", now, p); r.Outcome != Locked || !r.LockedUntil.Equal(now.Add(time.Hour)) {
		t.Fatalf("one attempt policy: %+v", r)
	}
	if r := mustAuth(t, db, phoneA, "2580", now.Add(59*time.Minute), p); r.Outcome != Locked {
		t.Fatalf("still locked: %+v", r)
	}
	// A PIN reset by the branch manager lifts the lock at once.
	h, _ := HashPIN("3691")
	if err := db.SetOfficerPIN(phoneA, h); err != nil {
		t.Fatal(err)
	}
	if r := mustAuth(t, db, phoneA, "3691", now.Add(time.Minute), p); r.Outcome != OK {
		t.Fatalf("after reset: %+v", r)
	}
}

// Concurrent wrong PINs must each count: with 3 attempts, 3 parallel wrong
// PINs end in exactly one lock and two "attempts left" replies.
func TestAuthenticateConcurrentWrongPINsAllCount(t *testing.T) {
	db := enrolled(t, "2580")
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	var wg sync.WaitGroup
	results := make([]Result, 3)
	errs := make([]error, 3)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = Authenticate(db, phoneA, "0000", now, Policy{})
		}()
	}
	wg.Wait()
	locked, left := 0, map[int]bool{}
	for i, r := range results {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		switch r.Outcome {
		case Locked:
			locked++
		case WrongPIN:
			left[r.AttemptsLeft] = true
		default:
			t.Errorf("unexpected outcome %v", r.Outcome)
		}
	}
	if locked != 1 || !left[1] || !left[2] {
		t.Errorf("outcomes %+v: want one lock and attempts left 2 and 1", results)
	}
	if r := mustAuth(t, db, phoneA, "2580", now, Policy{}); r.Outcome != Locked {
		t.Errorf("right PIN after the concurrent lock: %v", r.Outcome)
	}
}

func TestAuthenticateStoreError(t *testing.T) {
	db := enrolled(t, "2580")
	db.Close()
	if _, err := Authenticate(db, phoneA, "2580", time.Now(), Policy{}); err == nil || errors.Is(err, store.ErrNoOfficer) {
		t.Errorf("closed store: %v", err)
	}
}
