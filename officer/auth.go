package officer

import (
	"errors"
	"fmt"
	"time"

	"github.com/mifos-edge/mifos-edge/store"
)

// Policy is the wrong-PIN lockout rule.
type Policy struct {
	Attempts int           // wrong PINs in a row that lock the officer; default 3
	LockFor  time.Duration // how long the lock lasts; default 15m
}

func (p Policy) withDefaults() Policy {
	if p.Attempts <= 0 {
		p.Attempts = 3
	}
	if p.LockFor <= 0 {
		p.LockFor = 15 * time.Minute
	}
	return p
}

// Outcome is the verdict on one officer command's PIN.
type Outcome int

const (
	// OK: the phone is enrolled and the PIN is right.
	OK Outcome = iota
	// WrongPIN: the PIN is wrong; Result.AttemptsLeft more tries before a lock.
	WrongPIN
	// Locked: the officer is locked until Result.LockedUntil (possibly by this attempt).
	Locked
	// NotOfficer: the phone is not enrolled.
	NotOfficer
)

func (o Outcome) String() string {
	switch o {
	case OK:
		return "ok"
	case WrongPIN:
		return "wrong PIN"
	case Locked:
		return "locked"
	case NotOfficer:
		return "not an officer"
	}
	return fmt.Sprintf("Outcome(%d)", int(o))
}

// Result is what Authenticate decided.
type Result struct {
	Outcome      Outcome
	Officer      store.Officer // as stored after this attempt (zero for NotOfficer)
	AttemptsLeft int           // wrong PINs still allowed before a lock
	LockedUntil  time.Time     // set when Outcome is Locked
}

// maxRaces bounds how often Authenticate re-verifies because the PIN was
// reset between its read and its write; a reset is a rare manual action.
const maxRaces = 3

// Authenticate checks pin for the officer enrolled with phone (E.164) at
// now and records the attempt.
//
// The argon2id check (tens of milliseconds on a small box) runs outside the
// write transaction so it does not hold bbolt's single writer lock against
// the inbox and outbox. It stays race-free because the write transaction
// re-reads the record and only applies the verdict if the PIN hash is the one
// that was verified; the failure count and lock are read fresh inside it, so
// concurrent wrong PINs each count.
func Authenticate(db *store.DB, phone, pin string, now time.Time, p Policy) (Result, error) {
	p = p.withDefaults()
	for range maxRaces {
		snap, err := db.Officer(phone)
		if errors.Is(err, store.ErrNoOfficer) {
			return Result{Outcome: NotOfficer}, nil
		}
		if err != nil {
			return Result{}, err
		}
		// A locked officer's PIN is not even checked: guessing stays useless.
		if snap.Locked(now) {
			return lockedResult(snap), nil
		}
		right := VerifyPIN(snap.PINHash, pin)

		var res Result
		raced := false
		err = db.Update(func(tx *store.Tx) error {
			o, err := tx.Officer(phone)
			if errors.Is(err, store.ErrNoOfficer) {
				res = Result{Outcome: NotOfficer}
				return nil
			}
			if err != nil {
				return err
			}
			if o.PINHash != snap.PINHash {
				raced = true
				return nil
			}
			if o.Locked(now) {
				res = lockedResult(o)
				return nil
			}
			if right {
				o.FailedAttempts, o.LockedUntil = 0, time.Time{}
				res = Result{Outcome: OK, AttemptsLeft: p.Attempts}
			} else {
				o.FailedAttempts++
				if o.FailedAttempts >= p.Attempts {
					// The count restarts so the officer gets full attempts after the lock.
					o.FailedAttempts, o.LockedUntil = 0, now.Add(p.LockFor)
					res = Result{Outcome: Locked, LockedUntil: o.LockedUntil}
				} else {
					res = Result{Outcome: WrongPIN, AttemptsLeft: p.Attempts - o.FailedAttempts}
				}
			}
			if err := tx.PutOfficer(o); err != nil {
				return err
			}
			res.Officer, err = tx.Officer(phone)
			return err
		})
		if err != nil {
			return Result{}, fmt.Errorf("record PIN attempt: %w", err)
		}
		if !raced {
			return res, nil
		}
	}
	return Result{}, errors.New("the officer's PIN kept changing while it was checked; try again")
}

func lockedResult(o store.Officer) Result {
	return Result{Outcome: Locked, Officer: o, LockedUntil: o.LockedUntil}
}
