package store

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

var (
	// ErrOfficerExists means the phone is already enrolled as an officer.
	ErrOfficerExists = errors.New("this phone is already enrolled as an officer")
	// ErrNoOfficer means no officer is enrolled with the phone.
	ErrNoOfficer = errors.New("no officer is enrolled with this phone")
)

// Officer is a loan officer allowed to send officer commands (PAY, COLLECT,
// REMIND) from one enrolled phone.
type Officer struct {
	Phone   string `json:"phone"` // E.164, the key
	StaffID int64  `json:"staff_id"`
	Name    string `json:"name"`
	// PINHash is an argon2id PHC string; the PIN itself is never stored.
	PINHash string `json:"pin_hash"`
	// FailedAttempts and LockedUntil are what older versions kept here; the
	// lockout now lives in the officer's PINGuard and these stay zero.
	FailedAttempts int       `json:"failed_attempts,omitempty"`
	LockedUntil    time.Time `json:"locked_until,omitzero"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
}

// Locked reports whether the officer is locked out at now.
func (o Officer) Locked(now time.Time) bool { return o.LockedUntil.After(now) }

func checkOfficerPhone(phone string) error {
	if !strings.HasPrefix(phone, "+") || len(phone) < 2 {
		return fmt.Errorf("officer phone %q is not in international form (+ and country code)", phone)
	}
	return nil
}

// AddOfficer enrolls o; ErrOfficerExists if the phone is already enrolled.
func (db *DB) AddOfficer(o Officer) error {
	if err := checkOfficerPhone(o.Phone); err != nil {
		return err
	}
	if o.PINHash == "" {
		return errors.New("an officer needs a PIN")
	}
	return db.Update(func(tx *Tx) error {
		if _, err := tx.Officer(o.Phone); err == nil {
			return fmt.Errorf("%w: %s", ErrOfficerExists, o.Phone)
		} else if !errors.Is(err, ErrNoOfficer) {
			return err
		}
		now := time.Now()
		o.CreatedAt = now
		return tx.PutOfficer(o)
	})
}

// Officer returns the officer enrolled with phone, or ErrNoOfficer.
func (db *DB) Officer(phone string) (Officer, error) {
	var o Officer
	err := db.View(func(tx *Tx) (err error) {
		o, err = tx.Officer(phone)
		return err
	})
	return o, err
}

// ListOfficers returns every officer, ordered by phone.
func (db *DB) ListOfficers() ([]Officer, error) {
	var out []Officer
	err := db.View(func(tx *Tx) error {
		b := tx.btx.Bucket(bucketOfficers)
		return b.ForEach(func(k, v []byte) error {
			var o Officer
			if _, err := getJSON(b, k, &o); err != nil {
				return fmt.Errorf("officer %s: %w", k, err)
			}
			out = append(out, o)
			return nil
		})
	})
	// bbolt iterates in key order already; sorting keeps the promise explicit.
	sort.Slice(out, func(i, j int) bool { return out[i].Phone < out[j].Phone })
	return out, err
}

// RemoveOfficer un-enrolls phone; ErrNoOfficer if it was not enrolled.
func (db *DB) RemoveOfficer(phone string) error {
	return db.Update(func(tx *Tx) error {
		if _, err := tx.Officer(phone); err != nil {
			return err
		}
		if err := tx.PutPINGuard(PINGuard{Subject: OfficerSubject(phone)}); err != nil {
			return err
		}
		return tx.btx.Bucket(bucketOfficers).Delete([]byte(phone))
	})
}

// SetOfficerPIN replaces the officer's PIN hash and clears its PIN guard,
// so a branch manager's PIN reset also unlocks the officer.
func (db *DB) SetOfficerPIN(phone, pinHash string) error {
	if pinHash == "" {
		return errors.New("an officer needs a PIN")
	}
	return db.Update(func(tx *Tx) error {
		o, err := tx.Officer(phone)
		if err != nil {
			return err
		}
		o.PINHash, o.FailedAttempts, o.LockedUntil = pinHash, 0, time.Time{}
		if err := tx.PutPINGuard(PINGuard{Subject: OfficerSubject(phone)}); err != nil {
			return err
		}
		return tx.PutOfficer(o)
	})
}

// Officer returns the officer enrolled with phone, or ErrNoOfficer.
func (tx *Tx) Officer(phone string) (Officer, error) {
	var o Officer
	found, err := getJSON(tx.btx.Bucket(bucketOfficers), []byte(phone), &o)
	if err != nil {
		return Officer{}, fmt.Errorf("officer %s: %w", phone, err)
	}
	if !found {
		return Officer{}, fmt.Errorf("%w: %s", ErrNoOfficer, phone)
	}
	return o, nil
}

// PutOfficer writes o under its phone, creating or replacing the record;
// UpdatedAt is set to the current time (CreatedAt too when it is zero).
func (tx *Tx) PutOfficer(o Officer) error {
	if err := checkOfficerPhone(o.Phone); err != nil {
		return err
	}
	now := time.Now()
	if o.CreatedAt.IsZero() {
		o.CreatedAt = now
	}
	o.UpdatedAt = now
	return putJSON(tx.btx.Bucket(bucketOfficers), []byte(o.Phone), o)
}

// PutOfficerPINHash replaces the officer's PIN hash and nothing else: the
// same PIN hashed again (with the box key's pepper), not a reset.
func (tx *Tx) PutOfficerPINHash(phone, pinHash string) error {
	if pinHash == "" {
		return errors.New("an officer needs a PIN")
	}
	o, err := tx.Officer(phone)
	if err != nil {
		return err
	}
	o.PINHash = pinHash
	return tx.PutOfficer(o)
}
