package officer

import (
	"errors"
	"fmt"
	"time"

	"github.com/mifos-edge/mifos-edge/store"
)

// MaxAccountOwners is how many clients one account number may name:
// Fineract numbers loans and savings apart, so "12" can be a loan of one
// client and a savings account of another.
const MaxAccountOwners = 2

// AccountResult is the verdict on BAL <account no> <PIN>.
type AccountResult struct {
	// Outcome is OK, Locked (the sender's phone is locked), BudgetSpent,
	// or WrongPIN for every other refusal: a wrong PIN, an unknown
	// account, a client without a PIN or whose guard is locked. The reply
	// must not tell these apart, so neither does the verdict.
	Outcome Outcome
	// ClientID is the client whose PIN matched (OK only).
	ClientID int64
	// Sender is the sender's guard verdict when it is or gets locked.
	Sender Result
	// Locked are the clients this attempt locked, with their verdicts.
	Locked map[int64]Result
	// BudgetAlert: this attempt spent the box's daily client budget.
	BudgetAlert bool
}

// CheckAccountPIN checks pin against the PINs of owners, the clients that
// hold the account number a phone named, and records the attempt against
// the sender's phone (E.164) and every owner. owners may be empty (an
// unknown account). The cost does not depend on what is known: exactly
// MaxAccountOwners argon2id verifications run whenever a PIN is checked,
// against dummy keys where there is no owner, no PIN or a locked owner.
//
// A right PIN clears that client's guard but not the sender's: a guesser
// who knows one account's PIN must not be able to wipe the count of his
// wrong guesses at others by sending his own between them.
func CheckAccountPIN(db *store.DB, sender string, owners []int64, pin string, now time.Time, p Policy, pepper Pepper) (AccountResult, error) {
	p = p.withDefaults()
	if len(owners) > MaxAccountOwners {
		owners = owners[:MaxAccountOwners]
	}
	day := p.Day(now)
	senderSubject := store.SenderSubject(sender)
	for range maxRaces {
		hashes := make([]string, len(owners))
		usable := make([]bool, len(owners))
		var res AccountResult
		stop := false
		err := db.View(func(tx *store.Tx) error {
			g, err := tx.PINGuard(senderSubject)
			if err != nil {
				return err
			}
			if g.Locked(now) {
				res, stop = AccountResult{Outcome: Locked, Sender: lockedResult(g)}, true
				return nil
			}
			spent, err := tx.PINFailures(KindClient, day)
			if err != nil {
				return err
			}
			if spent >= p.DailyBudget {
				res, stop = AccountResult{Outcome: BudgetSpent}, true
				return nil
			}
			for i, id := range owners {
				h, ok, err := tx.ClientPIN(id)
				if err != nil {
					return err
				}
				cg, err := tx.PINGuard(store.ClientSubject(id))
				if err != nil {
					return err
				}
				hashes[i] = h
				// A locked client's PIN is not checked: guessing stays useless.
				usable[i] = ok && !cg.Locked(now) && !MadeWithOtherKey(h, pepper)
			}
			return nil
		})
		if err != nil {
			return AccountResult{}, err
		}
		if stop {
			return res, nil
		}
		match := -1
		for i := range MaxAccountOwners {
			if i < len(owners) && usable[i] {
				right, verr := VerifyPIN(hashes[i], pin, pepper)
				if verr == nil && right && match < 0 {
					match = i
				}
				continue
			}
			burnVerify(pin, pepper)
		}
		var newHash string
		if match >= 0 && NeedsRehash(hashes[match], pepper) {
			if h, err := HashPIN(pin, pepper); err == nil {
				newHash = h
			}
		}

		raced := false
		err = db.Update(func(tx *store.Tx) error {
			// The verdict stands only on the hashes that were verified.
			for i, id := range owners {
				h, _, err := tx.ClientPIN(id)
				if err != nil {
					return err
				}
				if h != hashes[i] {
					raced = true
					return nil
				}
			}
			sg, err := tx.PINGuard(senderSubject)
			if err != nil {
				return err
			}
			if sg.Locked(now) {
				res = AccountResult{Outcome: Locked, Sender: lockedResult(sg)}
				return nil
			}
			if match >= 0 {
				id := owners[match]
				cg, err := tx.PINGuard(store.ClientSubject(id))
				if err != nil {
					return err
				}
				if !cg.Locked(now) {
					res = AccountResult{Outcome: OK, ClientID: id}
					if newHash != "" {
						if err := tx.PutClientPINHash(id, newHash); err != nil {
							return err
						}
					}
					return tx.PutPINGuard(store.PINGuard{Subject: cg.Subject})
				}
			}
			res = AccountResult{Outcome: WrongPIN}
			spent, err := tx.AddPINFailure(KindClient, day)
			if err != nil {
				return err
			}
			res.BudgetAlert = spent == p.DailyBudget
			if r, err := fail(tx, senderSubject, now, p); err != nil {
				return err
			} else if r.Outcome == Locked {
				res.Sender = r
			}
			for i, id := range owners {
				if !usable[i] {
					continue // no PIN to guess, or already locked
				}
				r, err := fail(tx, store.ClientSubject(id), now, p)
				if err != nil {
					return err
				}
				if r.Outcome == Locked {
					if res.Locked == nil {
						res.Locked = map[int64]Result{}
					}
					res.Locked[id] = r
				}
			}
			return nil
		})
		if err != nil {
			return AccountResult{}, fmt.Errorf("record PIN attempt: %w", err)
		}
		if !raced {
			return res, nil
		}
	}
	return AccountResult{}, errors.New("the PIN kept changing while it was checked; try again")
}

// fail counts one wrong PIN against subject with the usual escalation;
// the Result is Locked (with AlertLocked) when this attempt locked it.
func fail(tx *store.Tx, subject string, now time.Time, p Policy) (Result, error) {
	g, err := tx.PINGuard(subject)
	if err != nil {
		return Result{}, err
	}
	g.Failures++
	g.LastFailure = now
	res := Result{Outcome: WrongPIN, AttemptsLeft: p.Attempts - g.Failures, Locks: g.Locks}
	if g.Failures >= p.Attempts {
		g.Failures = 0
		g.Locks++
		if g.Locks > len(p.Locks) {
			g.UntilReset, g.LockedUntil = true, time.Time{}
		} else {
			g.LockedUntil = now.Add(p.Locks[g.Locks-1])
		}
		res = lockedResult(g)
		res.Alerts = []Alert{AlertLocked}
	}
	return res, tx.PutPINGuard(g)
}

// burnSalt keys the dummy verification; it guards nothing.
var burnSalt = make([]byte, saltLen)

// burnVerify costs what VerifyPIN costs, for an attempt with no PIN to
// check, so the time of a refusal does not tell why it was refused.
func burnVerify(pin string, pepper Pepper) {
	idKey(peppered(pin, pepper.Key), burnSalt, argonTime, argonMemory, argonThreads, argonKeyLen)
}
