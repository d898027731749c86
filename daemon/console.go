package daemon

// Wiring of the branch console (package console): what it reads from the
// daemon and which Fineract client acts for the signed-in user.

import (
	"context"
	"net/http"
	"slices"
	"time"

	"github.com/mifos-edge/mifos-edge/console"
	"github.com/mifos-edge/mifos-edge/mifos"
	"github.com/mifos-edge/mifos-edge/reconcile"
	"github.com/mifos-edge/mifos-edge/store"
)

// consoleFineract is what the console needs of the box's Fineract client:
// checking a person's own credentials, and a client acting as that person.
type consoleFineract interface {
	AuthenticateUser(ctx context.Context, username, password string) (mifos.User, error)
	AsUser(username, password string) *mifos.HTTPClient
}

// The box's Fineract client signs people in and acts as them.
var (
	_ consoleFineract  = (*mifos.HTTPClient)(nil)
	_ console.LoanDesk = (*mifos.HTTPClient)(nil)
)

// mountConsole adds the console to mux. A console that cannot be built
// is logged; the rest of the box serves on.
func (d *Daemon) mountConsole(mux *http.ServeMux) {
	deps := console.Deps{
		DB:        d.db,
		Pepper:    d.env.Pepper,
		Box:       consoleBox{d},
		Messenger: consoleBox{d},
		Country:   d.cfg.SMS.Country,
		Logger:    d.log,
		Location:  d.tenantLocation(),
	}
	if d.env.API != nil {
		deps.Reminders = consoleBox{d}
	}
	if d.payments != nil {
		deps.Payments = d.payments
		if slices.Contains(d.cfg.MobileMoney.Operators, reconcile.Operator) {
			// The upload runs in the daemon, on its store and payments
			// core: the same import as the command line's.
			deps.Statements = StoreImport{DB: d.db, Core: d.payments}
		}
	}
	if d.builder != nil {
		if api, ok := d.builder.API.(approvedReader); ok {
			deps.Disburse = consoleDisburse{d: d, api: api}
		}
	}
	if f, ok := d.setupAPI.(consoleFineract); ok {
		deps.Auth = f
		deps.AsUser = func(username, password string) console.LoanDesk { return f.AsUser(username, password) }
		if d.poster != nil {
			deps.Auth = watchedAuth{f, d.poster}
			deps.AsUser = func(username, password string) console.LoanDesk {
				return watchedDesk{f.AsUser(username, password), d.poster}
			}
		}
	} else if d.setupAPI != nil {
		// Only a test's stand-in client lacks the calls.
		d.log.Warn("the console cannot check Mifos passwords with this Fineract client; only users signed in before can sign in (read-only)")
	}
	c, err := console.New(deps)
	if err != nil {
		d.log.Error("the console could not be built; the API and operations endpoints serve on", "err", err)
		return
	}
	c.Mount(mux)
}

// tenantLocation is the tenant's time zone when [mifos] timezone is set,
// else the box's.
func (d *Daemon) tenantLocation() *time.Location {
	if loc, set := d.cfg.Mifos.Location(); set {
		return loc
	}
	return time.Local
}

// consoleBox gives the console the daemon's state and the requeue of a
// failed posting.
type consoleBox struct{ d *Daemon }

// Status gathers the status page: the modem, the queues and the
// Fineract link. The link's last success is the latest posting settled
// or setup check passed; its last error the latest error a waiting
// posting recorded.
func (b consoleBox) Status(context.Context) (console.Status, error) {
	d := b.d
	st, err := d.db.Stats()
	if err != nil {
		return console.Status{}, err
	}
	oldest, err := d.db.OldestWaiting()
	if err != nil {
		return console.Status{}, err
	}
	s := console.Status{Started: d.started, Modem: d.modem.Status(), Store: st, Oldest: oldest}
	l := &s.Link
	l.Configured = d.poster != nil
	if d.poster != nil {
		l.Online = d.poster.Online()
	}
	if f := d.setup.get(); f != nil {
		l.CheckedAt = f.CheckedAt
		problems := f.Problems()
		for _, c := range problems {
			l.Checks = append(l.Checks, console.Check{Name: c.Name, Detail: c.Detail, Fix: c.Fix})
		}
		if len(problems) == 0 {
			l.LastSuccess = f.CheckedAt
		}
	}
	if done, err := d.db.ListJournal(store.JournalDone, 1); err == nil && len(done) == 1 && done[0].SettledAt.After(l.LastSuccess) {
		l.LastSuccess = done[0].SettledAt
	}
	if waiting, err := d.db.ListJournal(store.JournalPending, 20); err == nil {
		for _, e := range waiting {
			if e.LastError != "" {
				l.LastError, l.LastErrorAt = e.LastError, e.UpdatedAt
				break
			}
		}
	}
	return s, nil
}

// RequeueJournal puts a failed posting back and wakes the posting stage.
func (b consoleBox) RequeueJournal(id uint64) error {
	if err := b.d.db.RequeueJournal(id); err != nil {
		return err
	}
	if b.d.poster != nil {
		b.d.poster.Nudge()
	}
	return nil
}

// QueueSMS queues an SMS typed in the console, as `mifos-edge send` does,
// and wakes the send stage.
func (b consoleBox) QueueSMS(to, text, origin string) (uint64, int, error) {
	res, err := QueueSMS(b.d.db, SendArgs{To: to, Text: text}, origin)
	if err != nil {
		return 0, 0, err
	}
	nudge(b.d.outboxReady)
	return res.ID, res.Parts, nil
}

// Remind runs the reminder run of the remind command for the console.
func (b consoleBox) Remind(ctx context.Context, groupID, staffID int64, dryRun bool) (console.ReminderRun, error) {
	res, err := RunReminders(ctx, b.d.env, RemindArgs{GroupID: groupID, StaffID: staffID, DryRun: dryRun})
	if err != nil {
		return console.ReminderRun{}, err
	}
	if res.Queued {
		nudge(b.d.outboxReady)
	}
	run := console.ReminderRun{Summary: res.Summary, Queued: res.Queued}
	for _, r := range res.Reminders {
		meeting := ""
		if !r.Meeting.IsZero() {
			meeting = r.Meeting.String()
		}
		run.List = append(run.List, console.Reminder{Name: r.Name, Phone: r.Phone, AccountNo: r.AccountNo,
			Overdue: r.Currency.Format(r.Overdue) + " " + r.Currency.Code, Meeting: meeting, Text: r.Text})
	}
	return run, nil
}

// linkObserver is the posting stage, which keeps the link state. The
// console's own calls to Fineract are passed to it: a sign-in that found
// Mifos unreachable makes the status page say so (and the posting stage
// probe until it answers), rather than "answering" until the next payment.
type linkObserver interface {
	Observe(ctx context.Context, start time.Time, err error)
}

type watchedAuth struct {
	a    console.Authenticator
	link linkObserver
}

func (a watchedAuth) AuthenticateUser(ctx context.Context, username, password string) (mifos.User, error) {
	start := time.Now()
	u, err := a.a.AuthenticateUser(ctx, username, password)
	a.link.Observe(ctx, start, err)
	return u, err
}

type watchedDesk struct {
	d    console.LoanDesk
	link linkObserver
}

func (d watchedDesk) PendingLoans(ctx context.Context) ([]mifos.PendingLoan, error) {
	start := time.Now()
	l, err := d.d.PendingLoans(ctx)
	d.link.Observe(ctx, start, err)
	return l, err
}

func (d watchedDesk) ApproveLoan(ctx context.Context, loanID int64, a mifos.Approval) (mifos.Result, error) {
	start := time.Now()
	r, err := d.d.ApproveLoan(ctx, loanID, a)
	d.link.Observe(ctx, start, err)
	return r, err
}

func (d watchedDesk) RejectLoan(ctx context.Context, loanID int64, rj mifos.Rejection) (mifos.Result, error) {
	start := time.Now()
	r, err := d.d.RejectLoan(ctx, loanID, rj)
	d.link.Observe(ctx, start, err)
	return r, err
}
