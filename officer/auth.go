package officer

import (
	"errors"
	"fmt"
	"time"

	"github.com/mifos-edge/mifos-edge/store"
)

// Policy is the wrong-PIN rule, the same for officers and clients.
type Policy struct {
	// Attempts wrong PINs in a row lock the subject; default 3.
	Attempts int
	// Locks are the lengths of the first, second, ... lock since the last
	// right PIN; after the last one the next lock lasts until an
	// administrator resets the PIN or unlocks. Default 15m, 1h, 24h.
	Locks []time.Duration
	// DailyBudget is how many wrong PINs of one kind (officer or client)
	// the whole box accepts in a day; once spent, no PIN of that kind is
	// checked until the next day or an administrator lifts it. It stops a
	// guesser who spreads tries over many officers. Default 20.
	DailyBudget int
	// Zone is the time zone of the branch's day; default the box's.
	Zone *time.Location
}

// DefaultLocks is the escalation the branch gets unless configured.
var DefaultLocks = []time.Duration{15 * time.Minute, time.Hour, 24 * time.Hour}

// DefaultDailyBudget is the box's daily allowance of wrong PINs per kind.
const DefaultDailyBudget = 20

func (p Policy) withDefaults() Policy {
	if p.Attempts <= 0 {
		p.Attempts = 3
	}
	if len(p.Locks) == 0 {
		p.Locks = DefaultLocks
	}
	if p.DailyBudget <= 0 {
		p.DailyBudget = DefaultDailyBudget
	}
	if p.Zone == nil {
		p.Zone = time.Local
	}
	return p
}

// Day is the budget's day key for now.
func (p Policy) Day(now time.Time) string {
	return now.In(p.withDefaults().Zone).Format(time.DateOnly)
}

// Kinds of PIN, each with its own daily budget.
const (
	KindOfficer = "officer"
	KindClient  = "client"
)

// Outcome is the verdict on one PIN.
type Outcome int

const (
	// OK: the subject has a PIN and it is right.
	OK Outcome = iota
	// WrongPIN: Result.AttemptsLeft more tries before a lock.
	WrongPIN
	// Locked: locked until Result.LockedUntil, or until an administrator
	// acts when Result.UntilReset (possibly by this attempt).
	Locked
	// NotOfficer: the phone is not enrolled (officers only).
	NotOfficer
	// NoPIN: the client has no PIN set (clients only).
	NoPIN
	// MustReset: the PIN was set with another box key; it cannot be
	// checked and must be set again. Nothing is counted against anyone.
	MustReset
	// BudgetSpent: the box's wrong-PIN budget for the day is spent; the PIN
	// was not even checked.
	BudgetSpent
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
	case NoPIN:
		return "no PIN set"
	case MustReset:
		return "PIN must be set again"
	case BudgetSpent:
		return "daily wrong-PIN budget spent"
	}
	return fmt.Sprintf("Outcome(%d)", int(o))
}

// Alert is something an attempt did that an administrator must hear about.
type Alert int

const (
	// AlertLocked: this attempt locked the subject.
	AlertLocked Alert = iota + 1
	// AlertBudgetSpent: this attempt spent the box's daily budget.
	AlertBudgetSpent
)

// Result is what a check decided.
type Result struct {
	Outcome      Outcome
	Officer      store.Officer // officers only; zero for NotOfficer
	AttemptsLeft int           // wrong PINs still allowed before a lock
	LockedUntil  time.Time     // Locked and not UntilReset
	UntilReset   bool          // Locked until an administrator acts
	Locks        int           // locks since the last right PIN, this one included
	Alerts       []Alert       // what this attempt did that an administrator must hear
}

// maxRaces bounds how often a check re-verifies because the PIN was reset
// between its read and its write; a reset is a rare manual action.
const maxRaces = 3

// Authenticate checks pin for the officer enrolled with phone (E.164) at
// now and records the attempt.
func Authenticate(db *store.DB, phone, pin string, now time.Time, p Policy, pepper Pepper) (Result, error) {
	var off store.Officer
	res, err := check(db, store.OfficerSubject(phone), KindOfficer, pin, now, p, pepper, func(tx *store.Tx) (string, bool, error) {
		o, err := tx.Officer(phone)
		if errors.Is(err, store.ErrNoOfficer) {
			return "", false, nil
		}
		off = o
		return o.PINHash, err == nil, err
	}, func(tx *store.Tx, hash string) error {
		return tx.PutOfficerPINHash(phone, hash)
	})
	if err != nil {
		return Result{}, err
	}
	switch res.Outcome {
	case NoPIN:
		res.Outcome = NotOfficer
	default:
		res.Officer = off
	}
	return res, nil
}

// CheckClientPIN checks the PIN a client gave with BAL.
func CheckClientPIN(db *store.DB, clientID int64, pin string, now time.Time, p Policy, pepper Pepper) (Result, error) {
	return check(db, store.ClientSubject(clientID), KindClient, pin, now, p, pepper, func(tx *store.Tx) (string, bool, error) {
		return tx.ClientPIN(clientID)
	}, func(tx *store.Tx, hash string) error {
		return tx.PutClientPINHash(clientID, hash)
	})
}

// check is the one wrong-PIN procedure. The argon2id verification (tens of
// milliseconds on a small box) runs outside the write transaction so it
// does not hold bbolt's single writer lock against the inbox and outbox. It
// stays race-free because the write transaction re-reads the hash and only
// applies the verdict if it is the hash that was verified; the guard and
// the budget are read fresh inside it, so concurrent wrong PINs each count.
func check(db *store.DB, subject, kind, pin string, now time.Time, p Policy, pepper Pepper,
	hashOf func(*store.Tx) (string, bool, error), rehash func(*store.Tx, string) error) (Result, error) {
	p = p.withDefaults()
	day := p.Day(now)
	for range maxRaces {
		var snapHash string
		var res Result
		var have bool
		err := db.View(func(tx *store.Tx) error {
			var err error
			if snapHash, have, err = hashOf(tx); err != nil || !have {
				return err
			}
			g, err := tx.PINGuard(subject)
			if err != nil {
				return err
			}
			// A locked subject's PIN is not even checked: guessing stays useless.
			if g.Locked(now) {
				res = lockedResult(g)
				return nil
			}
			spent, err := tx.PINFailures(kind, day)
			if spent >= p.DailyBudget {
				res = Result{Outcome: BudgetSpent}
			}
			return err
		})
		if err != nil {
			return Result{}, err
		}
		if !have {
			return Result{Outcome: NoPIN}, nil
		}
		if res.Outcome == Locked || res.Outcome == BudgetSpent {
			return res, nil
		}
		right, verr := VerifyPIN(snapHash, pin, pepper)
		if errors.Is(verr, ErrOtherKey) {
			return Result{Outcome: MustReset}, nil
		}
		var newHash string
		if right && NeedsRehash(snapHash, pepper) {
			if newHash, err = HashPIN(pin, pepper); err != nil {
				newHash = "" // keep the old hash; the next right PIN tries again
			}
		}

		raced := false
		err = db.Update(func(tx *store.Tx) error {
			h, ok, err := hashOf(tx)
			if err != nil {
				return err
			}
			if !ok || h != snapHash {
				raced = true
				return nil
			}
			g, err := tx.PINGuard(subject)
			if err != nil {
				return err
			}
			if g.Locked(now) {
				res = lockedResult(g)
				return nil
			}
			if right {
				res = Result{Outcome: OK, AttemptsLeft: p.Attempts}
				if newHash != "" {
					if err := rehash(tx, newHash); err != nil {
						return err
					}
				}
				return tx.PutPINGuard(store.PINGuard{Subject: subject})
			}
			spent, err := tx.AddPINFailure(kind, day)
			if err != nil {
				return err
			}
			if res, err = fail(tx, subject, now, p); err != nil {
				return err
			}
			if spent == p.DailyBudget {
				res.Alerts = append(res.Alerts, AlertBudgetSpent)
			}
			return nil
		})
		if err != nil {
			return Result{}, fmt.Errorf("record PIN attempt: %w", err)
		}
		if !raced {
			return res, nil
		}
	}
	return Result{}, errors.New("the PIN kept changing while it was checked; try again")
}

func lockedResult(g store.PINGuard) Result {
	return Result{Outcome: Locked, LockedUntil: g.LockedUntil, UntilReset: g.UntilReset, Locks: g.Locks}
}

// Unlock lifts a lock and forgets the failures of subject (an
// administrator's act); the PIN stays as it is.
func Unlock(db *store.DB, subject string) error {
	return db.Update(func(tx *store.Tx) error {
		return tx.PutPINGuard(store.PINGuard{Subject: subject})
	})
}

// ResetBudget gives the box its daily wrong-PIN budget of kind back.
func ResetBudget(db *store.DB, kind string, now time.Time, p Policy) error {
	return db.Update(func(tx *store.Tx) error {
		return tx.ResetPINFailures(kind, p.Day(now))
	})
}
