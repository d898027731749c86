// Package daemon runs the pipeline stages on one store and one modem:
//
//	modem --sink--> store.inbox --handle--> store.outbox --send--> modem
//
// Each stage reads only durable state, so any of them can be killed at any
// instant and resume from the store without loss or duplicate processing.
package daemon

import (
	"net/http"

	"context"
	"errors"
	"fmt"
	"github.com/mifos-edge/mifos-edge/disburse"
	"log/slog"
	"sync"
	"time"

	"github.com/mifos-edge/mifos-edge/boxkey"
	"github.com/mifos-edge/mifos-edge/config"
	"github.com/mifos-edge/mifos-edge/control"
	"github.com/mifos-edge/mifos-edge/handler"
	"github.com/mifos-edge/mifos-edge/modem"
	"github.com/mifos-edge/mifos-edge/officer"
	"github.com/mifos-edge/mifos-edge/ops"
	"github.com/mifos-edge/mifos-edge/payments"
	"github.com/mifos-edge/mifos-edge/pdu"
	"github.com/mifos-edge/mifos-edge/phone"
	"github.com/mifos-edge/mifos-edge/posting"
	"github.com/mifos-edge/mifos-edge/store"
)

// Daemon is the running branch gateway.
type Daemon struct {
	cfg   *config.Config
	log   *slog.Logger
	db    *store.DB
	modem *modem.Modem
	// key is the box key: keyed fingerprints, PIN pepper.
	key *boxkey.Key
	// send submits one PDU; it is the modem's Send except in state-machine tests.
	send     func(ctx context.Context, pduHex string, tpduLen int) (mr int, err error)
	handlers *handler.Registry
	env      *handler.Env
	poster   *posting.Worker // nil without [mifos]
	payments *payments.Core  // nil while mobile money is off
	// builder and disburseEngine are mobile disbursement; nil while it is
	// off. disburseCallbacks serves the provider's results (Daraja).
	builder           *disburse.Builder
	disburseEngine    *disburse.Engine
	disburseCallbacks http.Handler
	balance           *handler.Balance // nil without [mifos]
	// setupAPI is what the Fineract setup check asks; nil without [mifos].
	setupAPI setupAPI
	setup    setupState
	staleMu  sync.Mutex
	stale    map[int64]bool // clients whose offline snapshot predates a posting
	started  time.Time

	// Wake-ups between stages; buffered so a nudge never blocks and
	// several nudges collapse into one pass.
	inboxReady  chan struct{}
	outboxReady chan struct{}
	hookReady   chan struct{} // a Fineract hook event was stored

	// metrics are what the stages count for /metrics.
	metrics *ops.Metrics
}

// Options adjust a daemon for tests and the demo.
type Options struct {
	Logger   *slog.Logger
	Handlers *handler.Registry // nil: handler.Default()
	API      Fineract          // overrides the client built from [mifos] (tests)

	// TraceSMSText shows SMS PDUs whole in the AT trace (the log at DEBUG):
	// message text and officers' PINs then reach the log.
	TraceSMSText bool
}

// Open opens the store and prepares the stages; Run starts them.
func Open(cfg *config.Config, opts Options) (*Daemon, error) {
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	key, created, err := boxkey.LoadOrCreate(cfg.Security.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("security.key_file: %w", err)
	}
	if created {
		log.Warn("created a new box key; keep a copy of it apart from the store's backups (without it, PINs must be set again)", "key_file", cfg.Security.KeyFile)
	}
	redactParked := func(tx *store.Tx, sender, senderType, text string) (string, bool) {
		s := phone.Identify(sender, pdu.SenderType(senderType), cfg.SMS.Country)
		return handler.RedactDigitRuns(text), enrolled(tx, s)
	}
	db, err := store.Open(cfg.Store.Path, store.Options{LockTimeout: 2 * time.Second, JoinParts: joinRawPDUs, RedactParked: redactParked})
	if err != nil {
		return nil, err
	}
	// Checked after the store is open: Open has narrowed its mode already.
	if err := checkFilePermissions(cfg, db, log); err != nil {
		db.Close()
		return nil, err
	}
	if err := checkBackupDir(cfg); err != nil {
		db.Close()
		return nil, err
	}
	d := &Daemon{
		cfg:         cfg,
		log:         log,
		db:          db,
		key:         key,
		handlers:    opts.Handlers,
		started:     time.Now(),
		inboxReady:  make(chan struct{}, 1),
		outboxReady: make(chan struct{}, 1),
		hookReady:   make(chan struct{}, 1),
	}
	d.metrics = ops.NewMetrics(cfg.Mifos.BaseURL != "" || opts.API != nil)
	api, err := newFineract(cfg, log, d.metrics.FineractAnswer)
	if err != nil {
		db.Close()
		return nil, err
	}
	warnTenantZone(cfg, log)
	var iface Fineract
	if api != nil {
		iface, d.setupAPI = api, api
	}
	if opts.API != nil {
		iface = opts.API
		d.setupAPI, _ = opts.API.(setupAPI)
	}
	if dropped, kept, err := db.RekeyFingerprints(fingerprintVersion, d.fingerprint); err != nil {
		db.Close()
		return nil, err
	} else if dropped > 0 {
		log.Info("replaced the store's old SMS fingerprints with keyed ones", "dropped", dropped, "recomputed", kept)
	}
	if d.env, err = NewEnv(cfg, db, iface, key, d); err != nil {
		db.Close()
		return nil, err
	}
	if iface != nil {
		d.poster = d.newPoster(iface, d.env)
		d.env.Online = d.poster.Online
		d.balance = &handler.Balance{Env: d.env}
		d.wirePayments(iface)
		if err := d.wireDisburse(iface); err != nil {
			db.Close()
			return nil, err
		}
	}
	if d.handlers == nil {
		d.handlers = handler.Default(d.env)
	}
	d.modem = modem.New(modem.Config{
		Device:         cfg.Modem.Device,
		Baud:           cfg.Modem.Baud,
		PIN:            cfg.Modem.PIN,
		CommandTimeout: cfg.Modem.CommandTimeout.Duration,
		SendTimeout:    cfg.Modem.SendTimeout.Duration,
		ProbeInterval:  cfg.Modem.ProbeInterval.Duration,
		StatusInterval: cfg.Modem.StatusInterval.Duration,
		SweepInterval:  cfg.Modem.SweepInterval.Duration,
		InitCommands:   cfg.Modem.InitCommands,
		Logger:         log,
		TraceSMSText:   opts.TraceSMSText,
		StatusReports:  cfg.SMS.DeliveryReports,
		Reports:        d.statusReport,
	}, d.receive)
	d.send = d.modem.Send
	return d, nil
}

// checkFilePermissions logs a store whose mode Open narrowed and every file
// holding a secret that others can read or change; with
// security.strict_permissions such a file stops the daemon.
func checkFilePermissions(cfg *config.Config, db *store.DB, log *slog.Logger) error {
	if fix, ok := db.ModeFix(); ok {
		if fix.Err != nil {
			log.Warn("the store file is open to other users and its mode could not be narrowed", "store", db.Path(), "err", fix.Err)
		} else {
			log.Warn(fmt.Sprintf("tightened store file mode from %04o to %04o", fix.From, fix.To), "store", db.Path())
		}
	}
	problems := cfg.CheckFilePermissions()
	if cfg.Security.StrictPermissions {
		return config.StrictPermissionsError(problems)
	}
	for _, p := range problems {
		log.Warn("a file holding secrets is open to other users", "setting", p.Key, "file", p.Path,
			"mode", fmt.Sprintf("%04o", p.Mode), "problem", p.Problem, "fix", p.Fix)
	}
	return nil
}

// Run runs every stage until ctx ends, then closes the store.
func (d *Daemon) Run(ctx context.Context) error {
	defer d.db.Close()
	n, err := d.db.RecoverSubmitting()
	if err != nil {
		return fmt.Errorf("recover outbox: %w", err)
	}
	if n > 0 {
		d.log.Warn("requeued SMS that were being submitted when the daemon stopped; a recipient may get one twice", "count", n)
	}
	srv := control.NewServer(d.cfg.Control.Socket, d.log.With("component", "control"))
	d.registerControl(srv)
	if err := srv.Listen(); err != nil {
		return err
	}
	d.log.Info("mifos-edge running", "device", d.cfg.Modem.Device, "store", d.cfg.Store.Path, "socket", d.cfg.Control.Socket)

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	stage := func(name string, fn func(context.Context) error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := fn(ctx); err != nil && !errors.Is(err, context.Canceled) {
				d.log.Error("stage stopped", "stage", name, "err", err)
				errs <- fmt.Errorf("%s: %w", name, err)
				cancel()
			}
		}()
	}
	// The modem stops only after the send stage: a part being submitted
	// when the stop came finishes and is recorded, so a clean stop never
	// sends an SMS twice (the modem bounds that wait by its send timeout).
	modemCtx, stopModem := context.WithCancel(context.WithoutCancel(ctx))
	defer stopModem()
	stage("modem", func(context.Context) error { return d.modem.Run(modemCtx) })
	stage("handle", d.handleLoop)
	stage("send", func(ctx context.Context) error {
		defer stopModem()
		return d.sendLoop(ctx)
	})
	stage("housekeeping", d.housekeepingLoop)
	stage("events", d.eventsLoop)
	stage("control", srv.Serve)
	stage("fineract-hooks", d.hookLoop)
	if d.cfg.HTTP.Listen != "" {
		stage("http", d.serveHTTP)
	}
	if d.poster != nil {
		stage("posting", d.poster.Run)
		stage("snapshots", d.snapshotLoop)
	}
	if d.disburseEngine != nil {
		stage("disburse", d.disburseEngine.Run)
	}
	if d.payments != nil {
		stage("payments", func(ctx context.Context) error { return d.payments.Run(ctx, matchEvery) })
	}
	if d.setupAPI != nil {
		stage("setup", d.setupLoop)
	}
	nudge(d.inboxReady)
	nudge(d.outboxReady)
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	d.log.Info("mifos-edge stopped")
	return nil
}

// Pepper is the PIN pepper of the daemon's box key, for in-process tools
// such as the demo that enroll officers.
func (d *Daemon) Pepper() officer.Pepper { return PepperOf(d.key) }

// Store exposes the store to in-process tools such as the demo.
func (d *Daemon) Store() *store.DB { return d.db }

// Modem exposes the modem status.
func (d *Daemon) Modem() *modem.Modem { return d.modem }

func nudge(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// sleep waits for d, a wake-up on c, or the end of ctx.
func sleep(ctx context.Context, d time.Duration, c <-chan struct{}) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-c:
	case <-t.C:
	}
	return nil
}
