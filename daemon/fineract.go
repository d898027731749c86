package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mifos-edge/mifos-edge/boxkey"
	"github.com/mifos-edge/mifos-edge/config"
	"github.com/mifos-edge/mifos-edge/handler"
	"github.com/mifos-edge/mifos-edge/mifos"
	"github.com/mifos-edge/mifos-edge/officer"
	"github.com/mifos-edge/mifos-edge/store"
	"github.com/mifos-edge/mifos-edge/sync"
)

// minPasswordLength is the shortest Fineract password started without a
// warning; the box's user may post repayments.
const minPasswordLength = 8

// Fineract is what the daemon's stages ask Fineract: the handlers' calls
// and the posting worker's (a *mifos.HTTPClient, or a test's fake).
type Fineract interface {
	handler.Fineract
	sync.Fineract
}

// newFineract builds the Fineract client from [mifos]; nil when not
// configured. It warns in log about settings that weaken the link.
func newFineract(cfg *config.Config, log *slog.Logger) (*mifos.HTTPClient, error) {
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

// boxID names this box in Fineract external ids.
func boxID(cfg *config.Config) string {
	if cfg.Mifos.BoxID != "" {
		return cfg.Mifos.BoxID
	}
	h, err := os.Hostname()
	if err != nil || h == "" {
		return "box"
	}
	if i := strings.IndexByte(h, '.'); i > 0 {
		h = h[:i]
	}
	return h
}

// PINPolicy is the wrong-PIN rule of the configuration.
func PINPolicy(cfg *config.Config) officer.Policy {
	locks := []time.Duration{cfg.Officers.LockoutDuration.Duration}
	for _, d := range cfg.Officers.LockoutEscalation {
		locks = append(locks, d.Duration)
	}
	return officer.Policy{Attempts: cfg.Officers.LockoutAttempts, Locks: locks, DailyBudget: cfg.Officers.DailyFailureBudget}
}

// PepperOf is the PIN pepper of a box key.
func PepperOf(key *boxkey.Key) officer.Pepper {
	return officer.Pepper{ID: key.ID(), Key: key.Pepper()}
}

// NewEnv builds the handlers' environment from the configuration.
func NewEnv(cfg *config.Config, db *store.DB, api handler.Fineract, key *boxkey.Key, d *Daemon) (*handler.Env, error) {
	texts, err := handler.NewTexts(cfg.SMS.Language, cfg.Templates)
	if err != nil {
		return nil, err
	}
	env := &handler.Env{
		DB:               db,
		Texts:            texts,
		Country:          cfg.SMS.Country,
		PaymentTypeID:    int64(cfg.Mifos.PaymentTypeID),
		RequireClientPIN: cfg.SMS.RequireClientPIN,
		PINs:             PINPolicy(cfg),
		Pepper:           PepperOf(key),
		AcceptUndeclared: cfg.Officers.AcceptUndeclaredNumbers,
		ManagerPhone:     cfg.Officers.ManagerPhone,
		PhoneCache: handler.PhoneCachePolicy{
			For:        cfg.SMS.PhoneCacheFor.Duration,
			OfflineMax: cfg.SMS.PhoneCacheOfflineMax.Duration,
		},
		Money: handler.MoneyRules{
			RepeatWindow: cfg.Officers.RepeatWindow.Duration,
			GroupsOnly:   cfg.Officers.PayScope == "groups",
			MaxItem:      int64(cfg.Officers.MaxItemAmount),
			MaxDaily:     int64(cfg.Officers.MaxDailyAmount),
		},
	}
	install, err := db.InstallID()
	if err != nil {
		return nil, err
	}
	// The box name says where a posting came from; the store's random id
	// keeps ids unique when a box starts over or two boxes share a name.
	env.Box = boxID(cfg) + "-" + install
	if api != nil {
		env.API = api
	}
	if d != nil {
		env.Log = d.log
	}
	return env, nil
}

// permanent marks an error the sync stage must not retry. msg is what the
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

// resolver adapts handler resolution for the sync stage.
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
func (d *Daemon) newSync(api sync.Fineract, env *handler.Env) *sync.Worker {
	return sync.New(sync.Options{
		DB:            d.db,
		API:           api,
		PaymentTypeID: int64(d.cfg.Mifos.PaymentTypeID),
		Workers:       d.cfg.Sync.Workers,
		Logger:        d.log.With("component", "sync"),
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
		},
	})
}

// staleRefreshEvery batches snapshot refreshes after postings, so a
// drained backlog costs one refresh per client, not one per posting.
const staleRefreshEvery = 15 * time.Second

// markSnapshotStale notes that a client's offline balance copy is out of
// date because something was just posted for them.
func (d *Daemon) markSnapshotStale(clientID int64) {
	d.staleMu.Lock()
	defer d.staleMu.Unlock()
	if d.stale == nil {
		d.stale = map[int64]bool{}
	}
	d.stale[clientID] = true
}

func (d *Daemon) takeStale() []int64 {
	d.staleMu.Lock()
	defer d.staleMu.Unlock()
	out := make([]int64, 0, len(d.stale))
	for id := range d.stale {
		out = append(out, id)
	}
	d.stale = nil
	return out
}

// snapshotLoop keeps the offline balance copies fresh: the clients with new
// postings every few seconds, every known client every snapshot_interval.
func (d *Daemon) snapshotLoop(ctx context.Context) error {
	if d.balance == nil {
		<-ctx.Done()
		return ctx.Err()
	}
	lastFull := time.Now()
	for {
		if err := sleep(ctx, staleRefreshEvery, nil); err != nil {
			return err
		}
		if d.sync != nil && !d.sync.Online() {
			continue
		}
		for _, id := range d.takeStale() {
			if err := d.balance.Refresh(ctx, id); err != nil && ctx.Err() == nil {
				d.log.Info("refreshing a client's offline balance failed; the next full refresh retries", "client", id, "err", err)
			}
		}
		if time.Since(lastFull) < d.cfg.Sync.SnapshotInterval.Duration {
			continue
		}
		lastFull = time.Now()
		if err := d.balance.RefreshAll(ctx); err != nil && !errors.Is(err, context.Canceled) {
			d.log.Warn("refreshing offline balance snapshots failed", "err", err)
		}
	}
}

// RemindArgs is the "remind" control operation's argument.
type RemindArgs struct {
	GroupID int64 `json:"group_id"`
	StaffID int64 `json:"staff_id"`
	DryRun  bool  `json:"dry_run"`
}

// RemindResult lists what was (or would be) sent.
type RemindResult struct {
	Summary   string             `json:"summary"`
	Reminders []handler.Reminder `json:"reminders"`
	Queued    bool               `json:"queued"`
}

// RunReminders finds overdue clients (one group, one officer's groups, or
// every group) and queues their reminders unless dryRun.
func RunReminders(ctx context.Context, env *handler.Env, a RemindArgs) (RemindResult, error) {
	if env.API == nil {
		return RemindResult{}, errors.New("reminders need the Fineract link: set [mifos] base_url")
	}
	var groups []mifos.Group
	scope := "all groups"
	switch {
	case a.GroupID != 0:
		g, err := env.API.Group(ctx, a.GroupID)
		if err != nil {
			return RemindResult{}, fmt.Errorf("group %d: %w", a.GroupID, err)
		}
		groups, scope = []mifos.Group{g}, fmt.Sprintf("group %d", a.GroupID)
	default:
		gs, err := env.API.GroupsByStaff(ctx, a.StaffID)
		if err != nil {
			return RemindResult{}, err
		}
		groups = gs
		if a.StaffID != 0 {
			scope = fmt.Sprintf("the groups of staff %d", a.StaffID)
		}
	}
	all, err := env.Reminders(ctx, groups)
	if err != nil {
		return RemindResult{}, err
	}
	now := time.Now()
	list, skipped, err := env.NotRemindedToday(all, now)
	if err != nil {
		return RemindResult{}, err
	}
	res := RemindResult{Summary: env.RemindSummary(list, skipped, scope), Reminders: list}
	if a.DryRun || len(list) == 0 {
		return res, nil
	}
	origin := "remind:cli:" + now.Format(time.RFC3339)
	if err := env.DB.Update(func(tx *store.Tx) error {
		_, err := handler.QueueReminders(tx, list, origin, now)
		return err
	}); err != nil {
		return RemindResult{}, err
	}
	res.Queued = true
	return res, nil
}

// NewStandaloneEnv is the handlers' environment for a CLI command that runs
// while the daemon is stopped (it owns the store itself).
func NewStandaloneEnv(cfg *config.Config, db *store.DB, key *boxkey.Key) (*handler.Env, error) {
	api, err := newFineract(cfg, slog.Default())
	if err != nil {
		return nil, err
	}
	var iface handler.Fineract
	if api != nil {
		iface = api
	}
	return NewEnv(cfg, db, iface, key, nil)
}
