package officer

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/mifos-edge/mifos-edge/store"
)

const phoneA = "+254712345678"

// base is a morning well away from midnight, so the daily budget's day
// never changes under a test.
var base = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// utc keeps the budget's day in the test's zone.
var utc = Policy{Zone: time.UTC}

func openStore(t *testing.T) *store.DB {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "state.db"), store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func enrolled(t *testing.T, pin string) *store.DB {
	t.Helper()
	db := openStore(t)
	enroll(t, db, phoneA, pin)
	return db
}

func enroll(t *testing.T, db *store.DB, phone, pin string) {
	t.Helper()
	h, err := HashPIN(pin, testPepper)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.AddOfficer(store.Officer{Phone: phone, StaffID: 3, Name: "Amina", PINHash: h}); err != nil {
		t.Fatal(err)
	}
}

func mustAuth(t *testing.T, db *store.DB, phone, pin string, now time.Time, p Policy) Result {
	t.Helper()
	r, err := Authenticate(db, phone, pin, now, p, testPepper)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestAuthenticateLockout(t *testing.T) {
	db := enrolled(t, "258013")
	now := base
	p := utc // defaults: 3 attempts, 15 minutes first

	if r := mustAuth(t, db, "+254700000000", "258013", now, p); r.Outcome != NotOfficer {
		t.Fatalf("unknown phone: %v", r.Outcome)
	}
	if r := mustAuth(t, db, phoneA, "258013", now, p); r.Outcome != OK || r.Officer.Name != "Amina" || r.AttemptsLeft != 3 {
		t.Fatalf("right PIN: %+v", r)
	}
	r := mustAuth(t, db, phoneA, "111111", now, p)
	if r.Outcome != WrongPIN || r.AttemptsLeft != 2 {
		t.Fatalf("1st wrong PIN: %+v", r)
	}
	if r = mustAuth(t, db, phoneA, "111112", now, p); r.Outcome != WrongPIN || r.AttemptsLeft != 1 {
		t.Fatalf("2nd wrong PIN: %+v", r)
	}
	r = mustAuth(t, db, phoneA, "111113", now, p)
	if r.Outcome != Locked || !r.LockedUntil.Equal(now.Add(15*time.Minute)) || !slices.Equal(r.Alerts, []Alert{AlertLocked}) {
		t.Fatalf("3rd wrong PIN: %+v", r)
	}
	// While locked even the right PIN is refused and nothing changes.
	before, _ := db.PINGuard(store.OfficerSubject(phoneA))
	if r = mustAuth(t, db, phoneA, "258013", now.Add(14*time.Minute), p); r.Outcome != Locked || !r.LockedUntil.Equal(now.Add(15*time.Minute)) {
		t.Fatalf("right PIN while locked: %+v", r)
	}
	if after, _ := db.PINGuard(store.OfficerSubject(phoneA)); after != before {
		t.Errorf("a locked attempt changed the guard: %+v -> %+v", before, after)
	}
	// After the lock: full attempts again.
	later := now.Add(15 * time.Minute)
	if r = mustAuth(t, db, phoneA, "999999", later, p); r.Outcome != WrongPIN || r.AttemptsLeft != 2 {
		t.Fatalf("wrong PIN after the lock: %+v", r)
	}
	if r = mustAuth(t, db, phoneA, "258013", later, p); r.Outcome != OK {
		t.Fatalf("right PIN after the lock: %+v", r)
	}
	if g, _ := db.PINGuard(store.OfficerSubject(phoneA)); g != (store.PINGuard{Subject: store.OfficerSubject(phoneA)}) {
		t.Fatalf("a right PIN left the guard at %+v", g)
	}
	// A success resets the count: two more wrong PINs do not lock.
	mustAuth(t, db, phoneA, "999999", later, p)
	if r = mustAuth(t, db, phoneA, "999999", later, p); r.Outcome != WrongPIN || r.AttemptsLeft != 1 {
		t.Fatalf("count not reset by success: %+v", r)
	}
}

// Locks escalate 15 min -> 1 h -> 24 h -> until an administrator acts, as
// long as no right PIN comes in between.
func TestLocksEscalateUntilReset(t *testing.T) {
	db := enrolled(t, "258013")
	p := utc
	p.DailyBudget = 1000
	now := base
	guess := 100000
	lockRound := func() Result {
		t.Helper()
		var r Result
		for range 3 {
			guess++
			r = mustAuth(t, db, phoneA, fmt.Sprint(guess), now, p)
		}
		return r
	}
	for i, want := range []time.Duration{15 * time.Minute, time.Hour, 24 * time.Hour} {
		r := lockRound()
		if r.Outcome != Locked || r.UntilReset || !r.LockedUntil.Equal(now.Add(want)) || r.Locks != i+1 {
			t.Fatalf("lock %d: %+v, want locked for %s", i+1, r, want)
		}
		now = r.LockedUntil
	}
	r := lockRound()
	if r.Outcome != Locked || !r.UntilReset || !slices.Contains(r.Alerts, AlertLocked) {
		t.Fatalf("4th lock: %+v, want locked until reset", r)
	}
	if r = mustAuth(t, db, phoneA, "258013", now.Add(30*24*time.Hour), p); r.Outcome != Locked || !r.UntilReset {
		t.Fatalf("a month later the right PIN got %+v; the lock must hold until reset", r)
	}
	if err := Unlock(db, store.OfficerSubject(phoneA)); err != nil {
		t.Fatal(err)
	}
	if r = mustAuth(t, db, phoneA, "258013", now, p); r.Outcome != OK {
		t.Fatalf("after unlock: %+v", r)
	}
}

// The security review's experiment: with a lock that repeats forever an
// attacker who waits out each lock tries 288 PINs a day against one
// officer. With escalation the first day allows at most 4 rounds of 3.
func TestPatientGuessingGetsFewTriesADay(t *testing.T) {
	db := enrolled(t, "258013")
	p := utc
	p.DailyBudget = 1000 // the per-officer escalation alone
	now, end := base, base.Add(24*time.Hour)
	tried := 0
	for guess := 100000; now.Before(end); guess++ {
		r := mustAuth(t, db, phoneA, fmt.Sprint(guess), now, p)
		switch {
		case r.Outcome == WrongPIN:
			tried++
		case r.Outcome == Locked && r.UntilReset:
			now = end
		case r.Outcome == Locked && len(r.Alerts) > 0:
			tried++
			now = r.LockedUntil
		case r.Outcome == Locked:
			now = r.LockedUntil
		default:
			t.Fatalf("guess %d: %+v", guess, r)
		}
	}
	if tried > 12 {
		t.Fatalf("%d PINs checked within a day; want at most 12", tried)
	}
}

// Spreading guesses over many officers is stopped by the box's budget.
func TestDailyBudgetStopsGuessingAcrossOfficers(t *testing.T) {
	db := openStore(t)
	phones := []string{"+254711000001", "+254711000002", "+254711000003", "+254711000004"}
	for _, ph := range phones {
		enroll(t, db, ph, "258013")
	}
	p := utc
	p.DailyBudget = 5
	var alerts []Alert
	checked := 0
	for i := range 8 {
		r := mustAuth(t, db, phones[i%len(phones)], fmt.Sprint(300000+i), base, p)
		alerts = append(alerts, r.Alerts...)
		if r.Outcome == WrongPIN {
			checked++
		}
		if i >= 5 && r.Outcome != BudgetSpent {
			t.Fatalf("attempt %d after the budget was spent: %+v", i+1, r)
		}
	}
	if checked != 5 || !slices.Equal(alerts, []Alert{AlertBudgetSpent}) {
		t.Fatalf("checked %d, alerts %v; want 5 checked and one budget alert", checked, alerts)
	}
	// Even the right PIN waits for the next day (or an administrator).
	if r := mustAuth(t, db, phones[3], "258013", base, p); r.Outcome != BudgetSpent {
		t.Fatalf("right PIN with the budget spent: %+v", r)
	}
	if r := mustAuth(t, db, phones[3], "258013", base.Add(24*time.Hour), p); r.Outcome != OK {
		t.Fatalf("right PIN the next day: %+v", r)
	}
	mustAuth(t, db, phones[0], "400000", base.Add(24*time.Hour), p)
	if err := ResetBudget(db, KindOfficer, base.Add(24*time.Hour), p); err != nil {
		t.Fatal(err)
	}
	if n := failuresOn(t, db, KindOfficer, p.Day(base.Add(24*time.Hour))); n != 0 {
		t.Fatalf("%d failures counted after the reset", n)
	}
	// Client PINs have a budget of their own: officers' guesses do not spend it.
	if n := failuresOn(t, db, KindClient, p.Day(base)); n != 0 {
		t.Fatalf("client budget shows %d failures", n)
	}
}

func failuresOn(t *testing.T, db *store.DB, kind, day string) int {
	t.Helper()
	var n int
	if err := db.View(func(tx *store.Tx) (err error) { n, err = tx.PINFailures(kind, day); return err }); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestCustomPolicyAndResetLiftsLock(t *testing.T) {
	db := enrolled(t, "258013")
	p := Policy{Attempts: 1, Locks: []time.Duration{time.Hour}, Zone: time.UTC}
	if r := mustAuth(t, db, phoneA, "000000", base, p); r.Outcome != Locked || !r.LockedUntil.Equal(base.Add(time.Hour)) {
		t.Fatalf("one attempt policy: %+v", r)
	}
	if r := mustAuth(t, db, phoneA, "258013", base.Add(59*time.Minute), p); r.Outcome != Locked {
		t.Fatalf("still locked: %+v", r)
	}
	// A PIN reset by the branch manager lifts the lock at once.
	h, _ := HashPIN("369147", testPepper)
	if err := db.SetOfficerPIN(phoneA, h); err != nil {
		t.Fatal(err)
	}
	if r := mustAuth(t, db, phoneA, "369147", base.Add(time.Minute), p); r.Outcome != OK {
		t.Fatalf("after reset: %+v", r)
	}
}

func TestOtherKeyAsksForResetWithoutCounting(t *testing.T) {
	db := enrolled(t, "258013")
	other := Pepper{ID: "12345678", Key: []byte("another pepper of thirty-two b..")}
	r, err := Authenticate(db, phoneA, "258013", base, utc, other)
	if err != nil || r.Outcome != MustReset {
		t.Fatalf("hash of another key: %+v, %v", r, err)
	}
	if g, _ := db.PINGuard(store.OfficerSubject(phoneA)); g.Failures != 0 || failuresOn(t, db, KindOfficer, utc.Day(base)) != 0 {
		t.Fatalf("a hash of another key counted as a wrong PIN: %+v", g)
	}
}

// A hash made by an older version (no pepper) is hashed again with the
// pepper the first time the officer gives the right PIN.
func TestUnpepperedHashUpgradedOnRightPIN(t *testing.T) {
	db := openStore(t)
	plain, _ := HashPIN("258013", Pepper{})
	if err := db.AddOfficer(store.Officer{Phone: phoneA, StaffID: 3, Name: "Amina", PINHash: plain}); err != nil {
		t.Fatal(err)
	}
	if r := mustAuth(t, db, phoneA, "258013", base, utc); r.Outcome != OK {
		t.Fatalf("right PIN on an old hash: %+v", r)
	}
	o, _ := db.Officer(phoneA)
	if o.PINHash == plain || NeedsRehash(o.PINHash, testPepper) || !verified(t, o.PINHash, "258013", testPepper) {
		t.Fatalf("hash not upgraded: %s", o.PINHash)
	}
}

func TestClientPINLockout(t *testing.T) {
	db := openStore(t)
	if r, err := CheckClientPIN(db, 42, "258013", base, utc, testPepper); err != nil || r.Outcome != NoPIN {
		t.Fatalf("client without PIN: %+v, %v", r, err)
	}
	h, _ := HashPIN("258013", testPepper)
	if err := db.PutClientPIN(42, h); err != nil {
		t.Fatal(err)
	}
	var r Result
	var err error
	for i := range 3 {
		if r, err = CheckClientPIN(db, 42, fmt.Sprint(500000+i), base, utc, testPepper); err != nil {
			t.Fatal(err)
		}
	}
	if r.Outcome != Locked || !r.LockedUntil.Equal(base.Add(15*time.Minute)) {
		t.Fatalf("3 wrong client PINs: %+v", r)
	}
	if r, _ = CheckClientPIN(db, 42, "258013", base.Add(time.Minute), utc, testPepper); r.Outcome != Locked {
		t.Fatalf("right client PIN while locked: %+v", r)
	}
	if n := failuresOn(t, db, KindClient, utc.Day(base)); n != 3 {
		t.Fatalf("client failures counted %d, want 3", n)
	}
	if n := failuresOn(t, db, KindOfficer, utc.Day(base)); n != 0 {
		t.Fatalf("client failures spent the officers' budget: %d", n)
	}
	// A new PIN set at the branch lifts the lock.
	h2, _ := HashPIN("369147", testPepper)
	if err := db.PutClientPIN(42, h2); err != nil {
		t.Fatal(err)
	}
	if r, _ = CheckClientPIN(db, 42, "369147", base.Add(2*time.Minute), utc, testPepper); r.Outcome != OK {
		t.Fatalf("after a new PIN: %+v", r)
	}
}

// Concurrent wrong PINs must each count: with 3 attempts, 3 parallel wrong
// PINs end in exactly one lock and two "attempts left" replies.
func TestAuthenticateConcurrentWrongPINsAllCount(t *testing.T) {
	db := enrolled(t, "258013")
	var wg sync.WaitGroup
	results := make([]Result, 3)
	errs := make([]error, 3)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = Authenticate(db, phoneA, "000000", base, utc, testPepper)
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
	if r := mustAuth(t, db, phoneA, "258013", base, utc); r.Outcome != Locked {
		t.Errorf("right PIN after the concurrent lock: %v", r.Outcome)
	}
}

func TestAuthenticateStoreError(t *testing.T) {
	db := enrolled(t, "258013")
	db.Close()
	if _, err := Authenticate(db, phoneA, "258013", base, utc, testPepper); err == nil || errors.Is(err, store.ErrNoOfficer) {
		t.Errorf("closed store: %v", err)
	}
}
