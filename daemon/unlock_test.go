package daemon

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/mifos-edge/mifos-edge/store"
)

// unlock --phone frees a phone locked for good by BAL <account> <PIN>
// tries, whether or not it is an officer's, and an officer's own lock.
func TestUnlockAnyPhone(t *testing.T) {
	db, err := store.Open(filepath.Join(t.TempDir(), "s.db"), store.Options{LockTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	lock := func(subject string) {
		t.Helper()
		if err := db.Update(func(tx *store.Tx) error {
			return tx.PutPINGuard(store.PINGuard{Subject: subject, Failures: 3, Locks: 4, UntilReset: true})
		}); err != nil {
			t.Fatal(err)
		}
	}
	locked := func(subject string) bool {
		var g store.PINGuard
		if err := db.View(func(tx *store.Tx) (err error) { g, err = tx.PINGuard(subject); return err }); err != nil {
			t.Fatal(err)
		}
		return g.UntilReset || g.Failures > 0
	}
	const stranger = "+254733000111"
	lock(store.SenderSubject(stranger))
	if err := Unlock(db, PINRules{}.Policy, UnlockArgs{Phone: stranger}); err != nil {
		t.Fatalf("unlock a phone that is no officer's: %v", err)
	}
	if locked(store.SenderSubject(stranger)) {
		t.Error("the phone is still locked")
	}
	if err := db.AddOfficer(store.Officer{Phone: "+254722000012", StaffID: 12, Name: "Peter", PINHash: "$argon2id$x"}); err != nil {
		t.Fatal(err)
	}
	lock(store.OfficerSubject("+254722000012"))
	lock(store.SenderSubject("+254722000012"))
	if err := Unlock(db, PINRules{}.Policy, UnlockArgs{Phone: "+254722000012"}); err != nil {
		t.Fatal(err)
	}
	if locked(store.OfficerSubject("+254722000012")) || locked(store.SenderSubject("+254722000012")) {
		t.Error("the officer's phone is still locked")
	}
	if err := Unlock(db, PINRules{}.Policy, UnlockArgs{Phone: "0722000012"}); err == nil {
		t.Error("a number not in international form was accepted")
	}
}
