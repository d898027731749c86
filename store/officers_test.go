package store

import (
	"errors"
	"path/filepath"
	"testing"
	"time"
)

func openOfficerDB(t *testing.T) (*DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "state.db")
	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, path
}

func TestOfficerLifecycle(t *testing.T) {
	db, path := openOfficerDB(t)
	amina := Officer{Phone: "+254712345678", StaffID: 7, Name: "Amina", PINHash: "h1"}
	if err := db.AddOfficer(amina); err != nil {
		t.Fatal(err)
	}
	dup := amina
	dup.Name = "Other"
	if err := db.AddOfficer(dup); !errors.Is(err, ErrOfficerExists) {
		t.Fatalf("second AddOfficer = %v, want ErrOfficerExists", err)
	}
	if err := db.AddOfficer(Officer{Phone: "+256700000001", StaffID: 9, Name: "Brian", PINHash: "h2"}); err != nil {
		t.Fatal(err)
	}

	got, err := db.Officer(amina.Phone)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "Amina" || got.StaffID != 7 || got.PINHash != "h1" || got.CreatedAt.IsZero() || got.UpdatedAt.IsZero() {
		t.Errorf("Officer = %+v", got)
	}

	// A failure count and lock are cleared by a PIN reset.
	if err := db.Update(func(tx *Tx) error {
		o, err := tx.Officer(amina.Phone)
		if err != nil {
			return err
		}
		o.FailedAttempts, o.LockedUntil = 2, time.Now().Add(time.Hour)
		return tx.PutOfficer(o)
	}); err != nil {
		t.Fatal(err)
	}
	if o := must(db.Officer(amina.Phone))(t); o.FailedAttempts != 2 || !o.Locked(time.Now()) {
		t.Fatalf("PutOfficer did not persist: %+v", o)
	}
	if err := db.SetOfficerPIN(amina.Phone, "h3"); err != nil {
		t.Fatal(err)
	}
	o := must(db.Officer(amina.Phone))(t)
	if o.PINHash != "h3" || o.FailedAttempts != 0 || !o.LockedUntil.IsZero() || o.Locked(time.Now()) {
		t.Errorf("after SetOfficerPIN: %+v", o)
	}
	if !o.CreatedAt.Equal(got.CreatedAt) {
		t.Errorf("CreatedAt changed from %v to %v", got.CreatedAt, o.CreatedAt)
	}
	if err := db.SetOfficerPIN("+254799999999", "h"); !errors.Is(err, ErrNoOfficer) {
		t.Errorf("SetOfficerPIN of unknown phone = %v", err)
	}

	list, err := db.ListOfficers()
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].Phone != "+254712345678" || list[1].Phone != "+256700000001" {
		t.Fatalf("ListOfficers = %+v", list)
	}

	// Officers survive a reopen.
	check(t, db.Close())
	db, err = Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.RemoveOfficer(amina.Phone); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Officer(amina.Phone); !errors.Is(err, ErrNoOfficer) {
		t.Errorf("Officer after remove = %v", err)
	}
	if err := db.RemoveOfficer(amina.Phone); !errors.Is(err, ErrNoOfficer) {
		t.Errorf("second remove = %v", err)
	}
	if list := must(db.ListOfficers())(t); len(list) != 1 {
		t.Errorf("after remove: %+v", list)
	}
}

func TestOfficerRefusesBadInput(t *testing.T) {
	db, _ := openOfficerDB(t)
	if err := db.AddOfficer(Officer{Phone: "0712345678", PINHash: "h"}); err == nil {
		t.Error("a national-form phone was accepted as a key")
	}
	if err := db.AddOfficer(Officer{Phone: "+254712345678"}); err == nil {
		t.Error("an officer without a PIN hash was accepted")
	}
	if err := db.SetOfficerPIN("+254712345678", ""); err == nil {
		t.Error("an empty PIN hash was accepted")
	}
	if list, err := db.ListOfficers(); err != nil || len(list) != 0 {
		t.Errorf("ListOfficers = %v, %v", list, err)
	}
}

func TestPutOfficerRolledBackWithTx(t *testing.T) {
	db, _ := openOfficerDB(t)
	if err := db.AddOfficer(Officer{Phone: "+254712345678", PINHash: "h"}); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	err := db.Update(func(tx *Tx) error {
		o, err := tx.Officer("+254712345678")
		if err != nil {
			return err
		}
		o.FailedAttempts = 1
		if err := tx.PutOfficer(o); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if o := must(db.Officer("+254712345678"))(t); o.FailedAttempts != 0 {
		t.Errorf("rolled-back change persisted: %+v", o)
	}
}
