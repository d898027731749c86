package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"time"
	"unicode/utf8"

	"github.com/mifos-edge/mifos-edge/config"
	"github.com/mifos-edge/mifos-edge/handler"
	"github.com/mifos-edge/mifos-edge/mifos"
	"github.com/mifos-edge/mifos-edge/posting"
	"github.com/mifos-edge/mifos-edge/store"
)

// minPasswordLength is the shortest Fineract password started without a
// warning; the box's user may post repayments.
const minPasswordLength = 8

// Fineract is what the daemon's stages ask Fineract: the handlers' calls
// and the posting worker's (a *mifos.HTTPClient, or a test's fake).
type Fineract interface {
	handler.Fineract
	posting.Fineract
}

// newFineract builds the Fineract client from [mifos]; nil when not
// configured. It warns in log about settings that weaken the link.
func newFineract(cfg *config.Config, log *slog.Logger, observe func(context.Context, error)) (*mifos.HTTPClient, error) {
	if cfg.Mifos.BaseURL == "" {
		return nil, nil
	}
	password, err := cfg.Mifos.ResolvePassword()
	if err != nil {
		return nil, err
	}
	c, err := mifos.New(mifos.Config{
		BaseURL:      cfg.Mifos.BaseURL,
		Tenant:       cfg.Mifos.Tenant,
		Username:     cfg.Mifos.Username,
		Password:     password,
		CAFile:       cfg.Mifos.CAFile,
		PinSHA256:    cfg.Mifos.PinSHA256,
		InsecureHTTP: cfg.Mifos.InsecureHTTP,
		Timeout:      cfg.Mifos.Timeout.Duration,
		Observe:      observe,
	})
	if err != nil {
		return nil, err
	}
	// The client accepted the URL, so plain http here means insecure_http
	// let it go to another machine.
	if u, err := url.Parse(cfg.Mifos.BaseURL); err == nil && u.Scheme == "http" && !mifos.IsLoopbackHost(u.Hostname()) {
		log.Warn("the Fineract link uses plain http to another machine (mifos.insecure_http = true): the password and client data cross the network unencrypted and anyone on the way can fake Fineract's answers; switch mifos.base_url to https://",
			"host", u.Hostname())
	}
	// Neither the password nor its length is logged.
	if utf8.RuneCountInString(password) < minPasswordLength {
		log.Warn(fmt.Sprintf("the Fineract password of this box's user is shorter than %d characters; give the user a longer one in Fineract and in mifos.password_file", minPasswordLength))
	}
	return c, nil
}

// warnTenantZone warns, once at start, that [mifos] timezone is not set:
// the box then dates postings in its own zone, which near midnight may be
// a day ahead of (or behind) the tenant's, and Fineract refuses a posting
// dated after its today (such postings wait until that day has come).
func warnTenantZone(cfg *config.Config, log *slog.Logger) {
	if _, set := cfg.Mifos.Location(); set || cfg.Mifos.BaseURL == "" {
		return
	}
	log.Warn("mifos.timezone is not set: postings are dated by this box's time zone where Fineract has no business date; "+
		"set mifos.timezone to the tenant's time zone in Fineract (an IANA name like \"Africa/Nairobi\"), or near midnight "+
		"postings may be dated a day off", "box_zone", time.Local.String())
}

// permanent marks an error the posting stage must not retry. msg is what the
// officer is told; a Fineract answer underneath stays reachable (Unwrap)
// and its full text is kept in Error for the log and the journal.
type permanent struct {
	msg   string
	cause error
}

func (p *permanent) Error() string {
	var fe *mifos.Error
	if errors.As(p.cause, &fe) {
		return p.msg + " (" + fe.Error() + ")"
	}
	return p.msg
}
func (p *permanent) Unwrap() error   { return p.cause }
func (p *permanent) Permanent() bool { return true }

// resolver adapts handler resolution for the posting stage.
func resolver(env *handler.Env) func(ctx context.Context, e store.JournalEntry) (store.JournalEntry, error) {
	return func(ctx context.Context, e store.JournalEntry) (store.JournalEntry, error) {
		out, err := env.ResolveJournal(ctx, e)
		// Fineract's refusal is final for this entry; anything it may
		// answer differently later (or a setup a person fixes) is not.
		if err != nil {
			if a := mifos.Classify(err); !a.Retryable() && !a.Waits() {
				return out, &permanent{msg: env.Render(err), cause: err}
			}
		}
		return out, err
	}
}

// newSync wires the journal poster.
func (d *Daemon) newPoster(api posting.Fineract, env *handler.Env) *posting.Worker {
	return posting.New(posting.Options{
		DB:            d.db,
		API:           api,
		PaymentTypeID: int64(d.cfg.Mifos.PaymentTypeID),
		Workers:       d.cfg.Sync.Workers,
		Logger:        d.log,
		Resolve:       resolver(env),
		BalanceAfter:  env.BalanceAfter,
		// Settled runs inside the settle transaction: no Fineract calls there.
		Settled: func(_ context.Context, e store.JournalEntry, batch []store.JournalEntry) []store.Outbound {
			return env.Confirmations(e, batch)
		},
		AfterSettle: func(e store.JournalEntry) {
			nudge(d.outboxReady)
			if e.ClientID != 0 {
				d.markSnapshotStale(e.ClientID)
			}
			// Set after the poster (wireDisburse), before anything runs.
			if d.disburseEngine != nil {
				d.disburseEngine.Recorded(e)
			}
		},
	})
}
