package handler

import (
	"context"
	"log/slog"
	"time"

	"github.com/mifos-edge/mifos-edge/mifos"
	"github.com/mifos-edge/mifos-edge/officer"
	"github.com/mifos-edge/mifos-edge/store"
)

// Env is what handlers may use: the store, the Fineract client, the reply
// texts and the branch's settings. Handlers never see the modem.
type Env struct {
	DB    *store.DB
	API   Fineract // nil while [mifos] is not configured
	Texts *Texts
	Log   *slog.Logger

	Country          string // ISO region for numbers without +, e.g. "KE"
	PaymentTypeID    int64
	RequireClientPIN bool // BAL needs "BAL <PIN>"
	// PINs is the wrong-PIN rule for officers' and clients' PINs.
	PINs officer.Policy
	// Pepper is the box key's PIN pepper; PIN hashes need it to verify.
	Pepper officer.Pepper
	// AcceptUndeclared takes officer commands from numbers whose type the
	// network left undeclared ([officers] accept_undeclared_numbers).
	AcceptUndeclared bool
	// ManagerPhone (E.164) gets alerts: locks, a spent budget; "" = log only.
	ManagerPhone string
	// Money is the officers' money rules: scope, repeats, ceilings.
	Money MoneyRules
	// PhoneCache bounds how long BAL trusts a cached phone -> client mapping.
	PhoneCache PhoneCachePolicy
	// Online reports whether Fineract answered recently; nil = assume online.
	Online func() bool
	// Now is the clock; nil = time.Now.
	Now func() time.Time
	// Box identifies this branch box in external ids (e.g. "KSM01").
	Box string
}

// MoneyRules bound what one officer may post by SMS.
type MoneyRules struct {
	// RepeatWindow: a command equal to one the officer sent within it is
	// held for YES <PIN>; 0 means 24h.
	RepeatWindow time.Duration
	// GroupsOnly limits PAY to the officer's own clients and the members
	// of the officer's groups; otherwise the officer's office.
	GroupsOnly bool
	// MaxItem and MaxDaily are ceilings in whole currency units; 0 = none.
	MaxItem  int64
	MaxDaily int64
}

// PhoneCachePolicy bounds the trust in a cached phone -> client mapping.
// A number taken off a client in Mifos (a stolen phone) keeps getting that
// client's balances until its mapping is no longer trusted.
type PhoneCachePolicy struct {
	// For is how long a mapping is used without asking Fineract; 0 means 24h.
	For time.Duration
	// OfflineMax is the oldest mapping used while Fineract cannot be
	// reached; 0 means 7 days. Older ones get "try again later".
	OfflineMax time.Duration
}

func (e *Env) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

func (e *Env) online() bool { return e.Online == nil || e.Online() }

// today is the tenant business date, or the box's date when Fineract cannot say.
func (e *Env) today(ctx context.Context) mifos.Date {
	if e.API == nil {
		return e.todayFrom(ctx, nil)
	}
	return e.todayFrom(ctx, e.API)
}

// todayFrom is today asking bd (nil: the box's date).
func (e *Env) todayFrom(ctx context.Context, bd businessDay) mifos.Date {
	if bd != nil && e.online() {
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		if d, err := bd.BusinessDate(ctx); err == nil {
			return d
		}
	}
	t := e.now()
	return mifos.Date{Year: t.Year(), Month: int(t.Month()), Day: t.Day()}
}

func (e *Env) texts() *Texts {
	if e.Texts == nil {
		t, _ := NewTexts("en", nil)
		return t
	}
	return e.Texts
}
