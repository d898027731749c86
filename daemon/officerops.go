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
	Phone          string    `json:"phone"`
	StaffID        int64     `json:"staff_id"`
	Name           string    `json:"name"`
	FailedAttempts int       `json:"failed_attempts"`
	LockedUntil    time.Time `json:"locked_until"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
}

// RegisterOfficerOps adds the officer.add, officer.list, officer.remove and
// officer.reset_pin control operations. The audit line gets the phone and
// staff id, never the PIN hash.
func RegisterOfficerOps(s *control.Server, db *store.DB) {
	s.Handle("officer.add", func(ctx context.Context, raw json.RawMessage) (any, error) {
		var a OfficerAddArgs
		if err := json.Unmarshal(raw, &a); err != nil {
			return nil, err
		}
		control.Audit(ctx, "phone", a.Phone, "staff_id", a.StaffID)
		return AddOfficer(db, a)
	})
	s.HandleReadOnly("officer.list", func(context.Context, json.RawMessage) (any, error) {
		return ListOfficers(db)
	})
	s.Handle("officer.remove", func(ctx context.Context, raw json.RawMessage) (any, error) {
		var a OfficerPhoneArgs
		if err := json.Unmarshal(raw, &a); err != nil {
			return nil, err
		}
		control.Audit(ctx, "phone", a.Phone)
		return nil, RemoveOfficer(db, a)
	})
	s.Handle("officer.reset_pin", func(ctx context.Context, raw json.RawMessage) (any, error) {
		var a OfficerResetPINArgs
		if err := json.Unmarshal(raw, &a); err != nil {
			return nil, err
		}
		control.Audit(ctx, "phone", a.Phone)
		return nil, ResetOfficerPIN(db, a)
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
func AddOfficer(db *store.DB, a OfficerAddArgs) (OfficerInfo, error) {
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
	if err := officer.CheckHash(a.PINHash); err != nil {
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
		out = append(out, officerInfo(o))
	}
	return out, nil
}

// RemoveOfficer un-enrolls a phone.
func RemoveOfficer(db *store.DB, a OfficerPhoneArgs) error {
	if err := checkPhone(a.Phone); err != nil {
		return err
	}
	return db.RemoveOfficer(a.Phone)
}

// ResetOfficerPIN sets a new PIN hash; it also lifts a lockout.
func ResetOfficerPIN(db *store.DB, a OfficerResetPINArgs) error {
	if err := checkPhone(a.Phone); err != nil {
		return err
	}
	if err := officer.CheckHash(a.PINHash); err != nil {
		return err
	}
	return db.SetOfficerPIN(a.Phone, a.PINHash)
}

func officerInfo(o store.Officer) OfficerInfo {
	return OfficerInfo{Phone: o.Phone, StaffID: o.StaffID, Name: o.Name, FailedAttempts: o.FailedAttempts,
		LockedUntil: o.LockedUntil, CreatedAt: o.CreatedAt, UpdatedAt: o.UpdatedAt}
}
