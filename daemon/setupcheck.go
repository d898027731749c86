package daemon

// The Fineract setup check: at the daemon's first contact with Fineract,
// again while a problem remains, and in `mifos-edge doctor`, it asks
// whether the tenant answers, the box's user may do what the box does, the
// payment type exists, and which date Fineract takes for today. Postings
// meanwhile wait on such problems on their own (docs/fineract.md §10.3);
// this says why in plain words, in the log and in `mifos-edge status`.

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/mifos-edge/mifos-edge/config"
	"github.com/mifos-edge/mifos-edge/handler"
	"github.com/mifos-edge/mifos-edge/mifos"
)

// SetupCheck is one finding of the Fineract setup check, for people.
type SetupCheck struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Warn   bool   `json:"warn,omitempty"` // OK, with something a person should know
	Detail string `json:"detail"`
	Fix    string `json:"fix,omitempty"`
}

// FineractStatus is the last setup check the daemon made.
type FineractStatus struct {
	CheckedAt time.Time    `json:"checked_at"`
	Checks    []SetupCheck `json:"checks"`
}

// Problems are the checks that failed.
func (s FineractStatus) Problems() []SetupCheck {
	var out []SetupCheck
	for _, c := range s.Checks {
		if !c.OK {
			out = append(out, c)
		}
	}
	return out
}

// setupAPI is what the setup check asks Fineract.
type setupAPI interface {
	Authenticate(ctx context.Context) (mifos.User, error)
	PaymentType(ctx context.Context, id int64) (string, error)
	BusinessDate(ctx context.Context) (mifos.Date, error)
}

// permission is one Fineract permission the box's user needs, and why.
type permission struct{ code, why string }

// neededPermissions is what the box's features need (docs/fineract.md
// §1.8). Reads are also granted by ALL_FUNCTIONS_READ, everything by
// ALL_FUNCTIONS.
func neededPermissions(cfg *config.Config) []permission {
	p := []permission{
		{"READ_CLIENT", "BAL, PAY and COLLECT read clients"},
		{"READ_LOAN", "BAL, PAY and REMIND read loans"},
		{"READ_SAVINGSACCOUNT", "BAL and PAY read savings accounts"},
		{"READ_GROUP", "COLLECT and REMIND read groups"},
		{"READ_STAFF", "officer commands read the officer's office"},
		{"READ_BUSINESS_DATE", "postings are dated by Fineract's business date"},
		{"REPAYMENT_LOAN", "PAY and COLLECT post loan repayments"},
		{"DEPOSIT_SAVINGSACCOUNT", "PAY posts savings deposits"},
		{"SAVECOLLECTIONSHEET_GROUP", "COLLECT saves group collection sheets"},
	}
	if cfg.Mifos.PaymentTypeID > 0 {
		p = append(p, permission{"READ_PAYMENTTYPE", "this check of mifos.payment_type_id"})
	}
	if cfg.Disbursement.Enabled() {
		p = append(p, permission{"DISBURSE_LOAN", "mobile disbursement records each loan it paid out as disbursed"})
	}
	return p
}

// CheckFineract runs the setup check against api for cfg, now being the
// box's clock. When Fineract cannot be reached or refuses the box's
// tenant or user, the first check says so and the rest are not run.
func CheckFineract(ctx context.Context, api setupAPI, cfg *config.Config, now time.Time) []SetupCheck {
	user, err := api.Authenticate(ctx)
	link := linkCheck(cfg, user, err)
	if !link.OK {
		return []SetupCheck{link}
	}
	checks := []SetupCheck{link, permissionCheck(cfg, user), paymentTypeCheck(ctx, api, cfg, user)}
	if cfg.Disbursement.Enabled() {
		checks = append(checks, disbursePaymentTypeCheck(ctx, api, cfg, user))
	}
	return append(checks, businessDateCheck(ctx, api, cfg, now))
}

// CheckFineractConfig runs the setup check with a client built from cfg
// ([mifos] must be set), as `mifos-edge doctor` does.
func CheckFineractConfig(ctx context.Context, cfg *config.Config, now time.Time) ([]SetupCheck, error) {
	api, err := newFineract(cfg, slog.New(slog.DiscardHandler), nil)
	if err != nil {
		return nil, err
	}
	if api == nil {
		return nil, errors.New("mifos.base_url is not set")
	}
	return CheckFineract(ctx, api, cfg, now), nil
}

func linkCheck(cfg *config.Config, user mifos.User, err error) SetupCheck {
	c := SetupCheck{Name: "fineract"}
	m := cfg.Mifos
	if err == nil {
		if user.MustRenewPassword {
			c.Detail = fmt.Sprintf("Fineract wants user %q to change its password before it may do anything", m.Username)
			c.Fix = "log in to Mifos as this user once, change the password, and put the new one in mifos.password_file"
			return c
		}
		c.OK = true
		c.Detail = fmt.Sprintf("tenant %q answers; user %q (office %s)", m.Tenant, m.Username, user.OfficeName)
		return c
	}
	var fe *mifos.Error
	switch a := mifos.Classify(err); {
	case a == mifos.Unreachable:
		c.Detail = "no answer from Fineract: " + err.Error()
		c.Fix = "check the network and mifos.base_url; postings wait until Fineract answers"
	case a == mifos.Redirected:
		c.Detail = err.Error()
		c.Fix = "set mifos.base_url to the address Fineract answers on; postings wait until it is fixed"
	case a == mifos.Misconfigured:
		c.Detail = fmt.Sprintf("Fineract does not know the tenant %q (it answers with a plain page, not its JSON)", m.Tenant)
		c.Fix = "set mifos.tenant to the tenant's identifier in Fineract (usually \"default\"); postings wait until it is fixed"
	case errors.As(err, &fe) && fe.Status == 401:
		c.Detail = fmt.Sprintf("Fineract refuses user %q with this password", m.Username)
		c.Fix = "check mifos.username and mifos.password_file against the box's user in Mifos; postings wait until they match"
	default:
		c.Detail = "Fineract did not accept the check of the box's user: " + err.Error()
		c.Fix = "check mifos.base_url, mifos.tenant and the user in Mifos"
	}
	return c
}

func permissionCheck(cfg *config.Config, user mifos.User) SetupCheck {
	var missing []string
	for _, p := range neededPermissions(cfg) {
		if !user.Permitted(p.code) {
			missing = append(missing, p.code+" ("+p.why+")")
		}
	}
	if len(missing) == 0 {
		return SetupCheck{Name: "permissions", OK: true, Detail: fmt.Sprintf("user %q has every permission the box needs", cfg.Mifos.Username)}
	}
	return SetupCheck{Name: "permissions",
		Detail: fmt.Sprintf("user %q lacks %s", cfg.Mifos.Username, strings.Join(missing, ", ")),
		Fix:    "in Mifos, Admin > System > Manage Roles and Permissions: give the role of the box's user these permissions; until then such postings wait"}
}

func paymentTypeCheck(ctx context.Context, api setupAPI, cfg *config.Config, user mifos.User) SetupCheck {
	id := int64(cfg.Mifos.PaymentTypeID)
	if id == 0 {
		return SetupCheck{Name: "payment type",
			Detail: "mifos.payment_type_id is not set: Fineract takes no savings deposit without one, so PAY S= items and sheets with savings cannot be posted",
			Fix:    "set mifos.payment_type_id to a payment type id from Mifos, Admin > Organization > Payment Types"}
	}
	return checkPaymentType(ctx, api, user, "payment type", "mifos.payment_type_id", id, "postings wait until it is fixed")
}

// disbursePaymentTypeCheck checks [disbursement] payment_type_id, which
// Fineract records on every mobile disbursement.
func disbursePaymentTypeCheck(ctx context.Context, api setupAPI, cfg *config.Config, user mifos.User) SetupCheck {
	return checkPaymentType(ctx, api, user, "disbursement payment type", "disbursement.payment_type_id",
		int64(cfg.Disbursement.PaymentTypeID), "paid loans wait to be recorded until it is fixed")
}

// checkPaymentType asks Fineract for payment type id, set by key.
func checkPaymentType(ctx context.Context, api setupAPI, user mifos.User, name, key string, id int64, meanwhile string) SetupCheck {
	c := SetupCheck{Name: name}
	if !user.Permitted("READ_PAYMENTTYPE") {
		c.OK, c.Warn = true, true
		c.Detail = fmt.Sprintf("payment type %d not checked: the user may not read payment types (READ_PAYMENTTYPE)", id)
		return c
	}
	typeName, err := api.PaymentType(ctx, id)
	switch {
	case err == nil:
		c.OK = true
		c.Detail = fmt.Sprintf("payment type %d is %q", id, typeName)
	case mifos.IsNotFoundAnswer(err, mifos.CodePaymentTypeInvalid):
		c.Detail = fmt.Sprintf("Fineract has no payment type %d", id)
		if key != "mifos.payment_type_id" {
			c.Detail += " (" + key + ")"
		}
		c.Fix = "set " + key + " to a payment type id from Mifos, Admin > Organization > Payment Types; " + meanwhile
	default:
		c.OK, c.Warn = true, true
		c.Detail = fmt.Sprintf("payment type %d could not be checked: %v", id, err)
	}
	return c
}

func businessDateCheck(ctx context.Context, api setupAPI, cfg *config.Config, now time.Time) SetupCheck {
	c := SetupCheck{Name: "business date"}
	zone, zoneSet := cfg.Mifos.Location()
	tenant := mifos.DateOf(now.In(zone))
	where := fmt.Sprintf("the date in the tenant's time zone %s (mifos.timezone), today %s", zone, tenant)
	if !zoneSet {
		where = fmt.Sprintf("the date in this box's time zone %s, today %s, since mifos.timezone is not set", zone, tenant)
	}
	d, err := api.BusinessDate(ctx)
	switch {
	case err == nil && handler.StaleBusinessDate(d, tenant):
		c.OK, c.Warn = true, true
		c.Detail = fmt.Sprintf("Fineract's business date %s is more than %d days behind %s: the box takes the latter for today",
			d, handler.BusinessDateMaxLag, where)
		c.Fix = "if the MFI uses Fineract's business date, its job that moves the date on has stopped; otherwise the date is left from before and nothing needs doing"
		return c
	case err == nil:
		c.OK = true
		c.Detail = fmt.Sprintf("Fineract's business date is %s; postings are dated by it", d)
		return c
	case mifos.IsAuthProblem(err):
		c.Detail = "the user may not read Fineract's business date (READ_BUSINESS_DATE): postings are dated by " + where +
			", which is wrong where the MFI uses the business date"
		c.Fix = "give the role of the box's user READ_BUSINESS_DATE"
		return c
	case mifos.IsNotFoundAnswer(err):
		c.OK = true
		c.Detail = "Fineract has no business date (the feature is not used): postings are dated by " + where
	default:
		c.OK, c.Warn = true, true
		c.Detail = fmt.Sprintf("the business date could not be read (%v): postings are dated by %s", err, where)
	}
	if !zoneSet {
		c.Warn = true
		c.Fix = "set mifos.timezone to the tenant's time zone in Fineract (like \"Africa/Nairobi\"): near midnight the box's date may not be Fineract's"
	}
	return c
}

// setupState is the daemon's last setup check, for status.
type setupState struct {
	mu   sync.Mutex
	last *FineractStatus
}

func (s *setupState) get() *FineractStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.last == nil {
		return nil
	}
	cp := *s.last
	return &cp
}

func (s *setupState) set(st FineractStatus) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.last = &st
}

// How often the daemon checks its Fineract setup: soon again while Fineract
// does not answer or a problem remains, seldom once all is well.
const (
	setupRetryUnreachable = 30 * time.Second
	setupRecheckProblem   = 10 * time.Minute
	setupRecheckFine      = 6 * time.Hour
)

// setupLoop checks the Fineract setup from the daemon's start, soon again
// while Fineract does not answer or a problem remains.
func (d *Daemon) setupLoop(ctx context.Context) error {
	var told map[string]bool
	for {
		round := d.checkSetupOnce(ctx, told)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		told = round.told
		wait := setupRecheckFine
		switch {
		case len(round.Checks) == 1 && !round.Checks[0].OK:
			wait = setupRetryUnreachable
		case len(round.Problems()) > 0:
			wait = setupRecheckProblem
		}
		if err := sleep(ctx, wait, nil); err != nil {
			return err
		}
	}
}

// setupRound is one setup check and the details logged by then.
type setupRound struct {
	FineractStatus
	told map[string]bool
}

// checkSetupOnce runs the setup check, keeps its result for status, and
// logs what changed since told (the details logged before).
func (d *Daemon) checkSetupOnce(ctx context.Context, told map[string]bool) setupRound {
	cctx, cancel := context.WithTimeout(ctx, 2*d.cfg.Mifos.Timeout.Duration+10*time.Second)
	checks := CheckFineract(cctx, d.setupAPI, d.cfg, time.Now())
	cancel()
	st := FineractStatus{CheckedAt: time.Now(), Checks: checks}
	if ctx.Err() != nil {
		return setupRound{st, told}
	}
	d.setup.set(st)
	return setupRound{st, logSetup(d.log, checks, told)}
}

// logSetup logs what changed since told (the details logged before): a
// WARN for each new problem or caveat, an INFO when the last is gone.
func logSetup(log *slog.Logger, checks []SetupCheck, told map[string]bool) map[string]bool {
	now := map[string]bool{}
	for _, c := range checks {
		if c.OK && !c.Warn {
			continue
		}
		now[c.Detail] = true
		if told[c.Detail] {
			continue
		}
		msg := "Fineract setup: " + c.Name + ": " + c.Detail
		if c.Fix != "" {
			msg += "; fix: " + c.Fix
		}
		log.Warn(msg)
	}
	if len(now) == 0 && len(told) > 0 {
		log.Info("Fineract setup: every check passes now")
	}
	return now
}
