package handler

import (
	"context"
	"log/slog"
	"time"

	"github.com/mifos-edge/mifos-edge/mifos"
	"github.com/mifos-edge/mifos-edge/store"
)

// Env is what handlers may use: the store, the Fineract client, the reply
// texts and the branch's settings. Handlers never see the modem.
type Env struct {
	DB    *store.DB
	API   mifos.API // nil while [mifos] is not configured
	Texts *Texts
	Log   *slog.Logger

	Country          string // ISO region for numbers without +, e.g. "KE"
	PaymentTypeID    int64
	RequireClientPIN bool // BAL needs "BAL <PIN>"
	Lockout          Lockout
	// Online reports whether Fineract answered recently; nil = assume online.
	Online func() bool
	// Now is the clock; nil = time.Now.
	Now func() time.Time
	// Box identifies this branch box in external ids (e.g. "KSM01").
	Box string
}

// Lockout is the wrong-PIN policy for officers.
type Lockout struct {
	Attempts int           // wrong PINs in a row before a lock (default 3)
	Duration time.Duration // how long the lock lasts (default 15m)
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
	if e.API != nil && e.online() {
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		if d, err := e.API.BusinessDate(ctx); err == nil {
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
