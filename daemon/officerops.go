package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mifos-edge/mifos-edge/control"
	"github.com/mifos-edge/mifos-edge/officer"
	"github.com/mifos-edge/mifos-edge/store"
)

// The officer operations carry only PIN hashes: the CLI hashes the PIN, so
// the PIN itself never crosses the control socket.

// OfficerAddArgs is the "officer.add" control operation's argument.
type OfficerAddArgs struct {
	Phone   string `json:"phone"` // E.164
	StaffID int64  `json:"staff_id"`
	Name    string `json:"name"`
	PINHash string `json:"pin_hash"`
}

// OfficerPhoneArgs is the "officer.remove" argument.
type OfficerPhoneArgs struct {
	Phone string `json:"phone"`
}

// OfficerResetPINArgs is the "officer.reset_pin" argument.
type OfficerResetPINArgs struct {
	Phone   string `json:"phone"`
	PINHash string `json:"pin_hash"`
}

// OfficerInfo is an officer as listed by "officer.list": never the PIN hash.
type OfficerInfo struct {
	Phone            string    `json:"phone"`
	StaffID          int64     `json:"staff_id"`
	Name             string    `json:"name"`
	FailedAttempts   int       `json:"failed_attempts"`
	LockedUntil      time.Time `json:"locked_until"`
	LockedUntilReset bool      `json:"locked_until_reset,omitempty"`
	CreatedAt        time.Time `json:"created_at"`
	UpdatedAt        time.Time `json:"updated_at"`
}

// PINRules are the box's PIN rules the officer operations apply: the
// wrong-PIN policy (for unlocking the budget's day) and the pepper every
// new hash must be made with.
type PINRules struct {
	Policy officer.Policy
	Pepper officer.Pepper
}

// UnlockArgs is the "officer.unlock" argument: exactly one of a phone
// (E.164: an officer's, or any phone locked by BAL <account> <PIN>
// tries), a client id, or the box's daily budget.
type UnlockArgs struct {
	Phone    string `json:"phone,omitempty"`
	ClientID int64  `json:"client_id,omitempty"`
	Budget   bool   `json:"budget,omitempty"`
}

// RegisterOfficerOps adds the officer.add, officer.list, officer.remove,
// officer.reset_pin and officer.unlock control operations. The audit line
// gets the phone and staff id, never the PIN hash.
func RegisterOfficerOps(s *control.Server, db *store.DB, pins PINRules) {
	s.Handle(OpOfficerUnlock, func(ctx context.Context, raw json.RawMessage) (any, error) {
		var a UnlockArgs
		if err := json.Unmarshal(raw, &a); err != nil {
			return nil, err
		}
		control.Audit(ctx, "phone", a.Phone, "client_id", a.ClientID, "budget", a.Budget)
		return nil, Unlock(db, pins.Policy, a)
	})
	s.Handle(OpOfficerAdd, func(ctx context.Context, raw json.RawMessage) (any, error) {
		var a OfficerAddArgs
		if err := json.Unmarshal(raw, &a); err != nil {
			return nil, err
		}
		control.Audit(ctx, "phone", a.Phone, "staff_id", a.StaffID)
		return AddOfficer(db, pins.Pepper, a)
	})
	s.HandleReadOnly(OpOfficerList, func(context.Context, json.RawMessage) (any, error) {
		return ListOfficers(db)
	})
	s.Handle(OpOfficerRemove, func(ctx context.Context, raw json.RawMessage) (any, error) {
		var a OfficerPhoneArgs
		if err := json.Unmarshal(raw, &a); err != nil {
			return nil, err
		}
		control.Audit(ctx, "phone", a.Phone)
		return nil, RemoveOfficer(db, a)
	})
	s.Handle(OpOfficerResetPIN, func(ctx context.Context, raw json.RawMessage) (any, error) {
		var a OfficerResetPINArgs
		if err := json.Unmarshal(raw, &a); err != nil {
			return nil, err
		}
		control.Audit(ctx, "phone", a.Phone)
		return nil, ResetOfficerPIN(db, pins.Pepper, a)
	})
}

var e164 = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)

func checkPhone(p string) error {
	if !e164.MatchString(p) {
		return fmt.Errorf("phone %q is not in international form (like +254712345678)", p)
	}
	return nil
}

// maxOfficerName keeps names short enough for SMS confirmations.
const maxOfficerName = 100

// AddOfficer validates and enrolls an officer; it serves both the control
// socket and the CLI when no daemon runs.
func AddOfficer(db *store.DB, pepper officer.Pepper, a OfficerAddArgs) (OfficerInfo, error) {
	a.Name = strings.TrimSpace(a.Name)
	var errs []error
	if err := checkPhone(a.Phone); err != nil {
		errs = append(errs, err)
	}
	if a.StaffID <= 0 {
		errs = append(errs, fmt.Errorf("staff id must be the officer's positive Fineract staff id, got %d", a.StaffID))
	}
	if a.Name == "" {
		errs = append(errs, errors.New("the officer needs a name"))
	} else if utf8.RuneCountInString(a.Name) > maxOfficerName {
		errs = append(errs, fmt.Errorf("the name is longer than %d characters", maxOfficerName))
	}
	if err := officer.CheckHash(a.PINHash, pepper); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return OfficerInfo{}, err
	}
	if err := db.AddOfficer(store.Officer{Phone: a.Phone, StaffID: a.StaffID, Name: a.Name, PINHash: a.PINHash}); err != nil {
		return OfficerInfo{}, err
	}
	o, err := db.Officer(a.Phone)
	return officerInfo(o), err
}

// ListOfficers lists the enrolled officers without their PIN hashes.
func ListOfficers(db *store.DB) ([]OfficerInfo, error) {
	list, err := db.ListOfficers()
	if err != nil {
		return nil, err
	}
	out := make([]OfficerInfo, 0, len(list))
	for _, o := range list {
		g, err := db.PINGuard(store.OfficerSubject(o.Phone))
		if err != nil {
			return nil, err
		}
		info := officerInfo(o)
		info.FailedAttempts, info.LockedUntil, info.LockedUntilReset = g.Failures, g.LockedUntil, g.UntilReset
		out = append(out, info)
	}
	return out, nil
}

// Unlock lifts one lock (an officer's phone, a client's BAL PIN) or the
// box's spent daily wrong-PIN budget (officers' and clients' alike).
func Unlock(db *store.DB, policy officer.Policy, a UnlockArgs) error {
	switch {
	case a.Phone != "" && a.ClientID == 0 && !a.Budget:
		if err := checkPhone(a.Phone); err != nil {
			return err
		}
		// A phone is locked as an officer's (wrong PINs in PAY, COLLECT,
		// REMIND) or as the sender of BAL <account> <PIN> tries, any phone.
		_, err := db.Officer(a.Phone)
		switch {
		case err == nil:
			if err := officer.Unlock(db, store.OfficerSubject(a.Phone)); err != nil {
				return err
			}
		case !errors.Is(err, store.ErrNoOfficer):
			return err
		}
		return officer.Unlock(db, store.SenderSubject(a.Phone))
	case a.ClientID > 0 && a.Phone == "" && !a.Budget:
		return officer.Unlock(db, store.ClientSubject(a.ClientID))
	case a.Budget && a.Phone == "" && a.ClientID == 0:
		now := time.Now()
		if err := officer.ResetBudget(db, officer.KindOfficer, now, policy); err != nil {
			return err
		}
		return officer.ResetBudget(db, officer.KindClient, now, policy)
	}
	return errors.New("unlock needs exactly one of a phone, a client id or the daily budget")
}

// RemoveOfficer un-enrolls a phone.
func RemoveOfficer(db *store.DB, a OfficerPhoneArgs) error {
	if err := checkPhone(a.Phone); err != nil {
		return err
	}
	return db.RemoveOfficer(a.Phone)
}

// ResetOfficerPIN sets a new PIN hash; it also lifts a lockout.
func ResetOfficerPIN(db *store.DB, pepper officer.Pepper, a OfficerResetPINArgs) error {
	if err := checkPhone(a.Phone); err != nil {
		return err
	}
	if err := officer.CheckHash(a.PINHash, pepper); err != nil {
		return err
	}
	return db.SetOfficerPIN(a.Phone, a.PINHash)
}

func officerInfo(o store.Officer) OfficerInfo {
	return OfficerInfo{Phone: o.Phone, StaffID: o.StaffID, Name: o.Name, CreatedAt: o.CreatedAt, UpdatedAt: o.UpdatedAt}
}
