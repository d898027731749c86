package handler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
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
	// CollectWindow is how long after a group's meeting COLLECT still
	// records it ([officers] collect_window), counted in whole days from the
	// meeting's date; 0 means 48h.
	CollectWindow time.Duration
	// Zone is the tenant's time zone ([mifos] timezone): the date there is
	// "today" when Fineract has no business date to give; nil = the box's.
	Zone *time.Location
	// Box identifies this branch box in external ids (e.g. "KSM01").
	Box string

	// staleSeen is the last stale business date warned about, with the
	// tenant's date then.
	staleMu   sync.Mutex
	staleSeen [2]mifos.Date

	// dayCache is the business date BAL last read (cachedToday).
	dayMu    sync.Mutex
	dayCache cachedDay
}

// cachedDay is a business date as read at a time on a tenant's date.
type cachedDay struct {
	tenant mifos.Date // the tenant's date when it was read
	date   mifos.Date // "today" as todayFrom gave it
	at     time.Time
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

// today is the tenant business date, or the date in the tenant's time zone
// when Fineract cannot say.
func (e *Env) today(ctx context.Context) mifos.Date {
	if e.API == nil {
		return e.todayFrom(ctx, nil)
	}
	return e.todayFrom(ctx, e.API)
}

// BusinessDateMaxLag is how far Fineract's business date may be behind the
// date in the tenant's time zone and still be taken for "today". A tenant
// using the feature moves it on every night, so a day or two behind is
// normal; a date further behind is a row left from when the feature was on
// (GET answers it whatever the setting, while Fineract validates against
// the tenant's date), and using it would back-date every posting and put
// every overdue figure on the wrong day.
const BusinessDateMaxLag = 2

// todayFrom is "today" as Fineract validates postings (docs/fineract.md
// §9): its business date; the date in the tenant's zone when it has none
// (the 404 of a tenant that never used the feature, or no answer), or
// when the one it gives is more than BusinessDateMaxLag days behind.
func (e *Env) todayFrom(ctx context.Context, bd businessDay) mifos.Date {
	d, _ := e.askToday(ctx, bd)
	return d
}

// askToday is todayFrom, and whether it is Fineract's word for today: its
// business date, or its 404 of a tenant that never used the feature. A
// date it falls back to for want of an answer is not.
func (e *Env) askToday(ctx context.Context, bd businessDay) (mifos.Date, bool) {
	tenant := e.TenantToday()
	if bd == nil || !e.online() {
		return tenant, false
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	d, err := bd.BusinessDate(ctx)
	if err != nil {
		return tenant, errors.Is(err, mifos.ErrNotFound)
	}
	if StaleBusinessDate(d, tenant) {
		e.warnStale(d, tenant)
		return tenant, true
	}
	return d, true
}

// businessDateCacheFor bounds how long BAL trusts the business date it
// read: an MFI may move the date by hand, or its nightly job may run after
// the tenant's midnight, and an hour of figures on yesterday's date is
// what a branch can live with; asking on every BAL costs a round trip on a
// slow uplink.
const businessDateCacheFor = time.Hour

// cachedToday is todayFrom for figures shown to clients (BAL): Fineract's
// answer is kept up to businessDateCacheFor and never past the tenant's
// midnight. Postings never use it: they take the date Fineract holds now.
func (e *Env) cachedToday(ctx context.Context, bd businessDay) mifos.Date {
	tenant, now := e.TenantToday(), e.now()
	e.dayMu.Lock()
	c := e.dayCache
	e.dayMu.Unlock()
	// A negative age (the clock went back) does not count as fresh.
	if age := now.Sub(c.at); c.tenant == tenant && !c.at.IsZero() && age >= 0 && age < businessDateCacheFor {
		return c.date
	}
	d, answered := e.askToday(ctx, bd)
	if answered {
		e.dayMu.Lock()
		e.dayCache = cachedDay{tenant: tenant, date: d, at: now}
		e.dayMu.Unlock()
	}
	return d
}

// StaleBusinessDate reports a business date more than BusinessDateMaxLag
// days behind the tenant's date.
func StaleBusinessDate(business, tenant mifos.Date) bool {
	return tenant.Time(time.UTC).Sub(business.Time(time.UTC)) > BusinessDateMaxLag*24*time.Hour
}

// warnStale logs a stale business date once per pair of dates, not once
// per SMS.
func (e *Env) warnStale(business, tenant mifos.Date) {
	e.staleMu.Lock()
	seen := e.staleSeen == [2]mifos.Date{business, tenant}
	e.staleSeen = [2]mifos.Date{business, tenant}
	e.staleMu.Unlock()
	if seen || e.Log == nil {
		return
	}
	e.Log.Warn(fmt.Sprintf("Fineract's business date is more than %d days behind the date in the tenant's time zone; "+
		"the box dates postings by the tenant's date instead. If the business-date feature is switched off in Mifos, "+
		"its old date is left over and this is right; if it is on, its job that moves the date on has stopped, and "+
		"postings wait as too early until it runs", BusinessDateMaxLag),
		"business_date", business.String(), "tenant_date", tenant.String())
}

// TenantToday is the date now in the tenant's time zone.
func (e *Env) TenantToday() mifos.Date {
	zone := e.Zone
	if zone == nil {
		zone = time.Local
	}
	return mifos.DateOf(e.now().In(zone))
}

func (e *Env) texts() *Texts {
	if e.Texts == nil {
		t, _ := NewTexts("en", nil)
		return t
	}
	return e.Texts
}
