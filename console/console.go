// Package console is the branch console: small server-rendered pages a
// branch manager opens on a phone to see whether the box works, approve
// loans in Mifos as themself, look after postings and pay approved loans
// out to mobile wallets (with a second person's approval above a loan
// officer's limit). The pages need no JavaScript and load nothing from
// elsewhere: the pages are written by the code (html.go) and the one
// stylesheet is embedded in the binary, since the branch is often
// offline. The daemon mounts the console and gives it its parts through
// the interfaces declared here.
package console

import (
	"context"
	"embed"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"time"

	"github.com/mifos-edge/mifos-edge/mifos"
	"github.com/mifos-edge/mifos-edge/officer"
	"github.com/mifos-edge/mifos-edge/reconcile"
	"github.com/mifos-edge/mifos-edge/store"
)

//go:embed static/console.css
var files embed.FS

// Authenticator checks a person's own Mifos username and password with
// Fineract (POST /authentication).
type Authenticator interface {
	AuthenticateUser(ctx context.Context, username, password string) (mifos.User, error)
}

// LoanDesk is Fineract acting as one signed-in user: Fineract records that
// user as the one who approved or rejected.
type LoanDesk interface {
	PendingLoans(ctx context.Context) ([]mifos.PendingLoan, error)
	ApproveLoan(ctx context.Context, loanID int64, a mifos.Approval) (mifos.Result, error)
	RejectLoan(ctx context.Context, loanID int64, r mifos.Rejection) (mifos.Result, error)
}

// Box is what the status and money pages read from, and do to, the running
// daemon.
type Box interface {
	Status(ctx context.Context) (Status, error)
	// RequeueJournal puts a failed posting back in the queue and wakes the
	// posting stage.
	RequeueJournal(id uint64) error
}

// Deps are the console's parts; the daemon fills them.
type Deps struct {
	DB *store.DB
	// Pepper is the box key's pepper, mixed into the stored password hashes.
	Pepper officer.Pepper
	// Auth is nil when the box has no [mifos]: only offline sign-in then.
	Auth Authenticator
	// AsUser gives Fineract acting as username; nil without [mifos].
	AsUser func(username, password string) LoanDesk
	Box    Box
	// Messenger queues SMS typed in the console; nil: no sending.
	Messenger Messenger
	// Reminders previews and queues arrears reminders; nil without [mifos].
	Reminders Reminders
	// Payments assigns mobile-money payments in suspense; nil while
	// mobile money is off (the Money page then shows no suspense).
	Payments PaymentDesk
	// Statements records what an uploaded M-PESA statement holds (the
	// daemon's store and payments core); nil: no statement upload.
	Statements reconcile.Backend
	// Disburse builds, approves and sends mobile-disbursement batches;
	// nil while mobile disbursement is off (no Disburse tab then).
	Disburse DisburseDesk
	// Country reads phone numbers typed without a country code.
	Country string
	Logger  *slog.Logger
	// Location is the tenant's time zone, for "today" and approval dates.
	Location *time.Location
	// Now is time.Now except in tests.
	Now func() time.Time
	// IdleTimeout ends a session nobody used for so long (default 30 min);
	// MaxLifetime ends every session that old (default 12 h).
	IdleTimeout, MaxLifetime time.Duration
	// OfflineFor is how long after the last sign-in Fineract accepted a
	// stored password hash may still be used while Fineract is
	// unreachable (default 30 days).
	OfflineFor time.Duration
}

// Console serves the pages.
type Console struct {
	d       Deps
	secrets *secrets
	limit   *limiter
	// hashSlots bounds the argon2id computations running at once.
	hashSlots chan struct{}
}

// New prepares the console.
func New(d Deps) (*Console, error) {
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	d.Logger = d.Logger.With("component", "console")
	if d.Location == nil {
		d.Location = time.Local
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.IdleTimeout <= 0 {
		d.IdleTimeout = 30 * time.Minute
	}
	if d.MaxLifetime <= 0 {
		d.MaxLifetime = 12 * time.Hour
	}
	if d.OfflineFor <= 0 {
		d.OfflineFor = 30 * 24 * time.Hour
	}
	c := &Console{d: d, secrets: newSecrets(), limit: newLimiter(d.Now), hashSlots: make(chan struct{}, maxHashing)}
	return c, nil
}

// Mount adds the console's routes to mux: "/" and everything under
// /console/.
func (c *Console) Mount(mux *http.ServeMux) {
	css, _ := fs.ReadFile(files, "static/console.css")
	mux.Handle("GET /console/static/console.css", cacheFor(24*time.Hour, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/css; charset=utf-8")
		_, _ = w.Write(css)
	})))
	// Browsers ask for an icon by themselves; an empty answer, kept for a
	// week, saves a 404 on every page.
	mux.Handle("GET /favicon.ico", cacheFor(7*24*time.Hour, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	})))
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/console/", http.StatusSeeOther)
	})
	mux.HandleFunc("GET /console/signin", c.signinPage)
	mux.HandleFunc("POST /console/signin", c.signin)
	mux.HandleFunc("POST /console/signout", c.signout)
	mux.HandleFunc("GET /console/{$}", c.signedIn(c.statusPage))
	mux.HandleFunc("GET /console/loans", c.signedIn(c.loansPage))
	mux.HandleFunc("POST /console/loans/connect", c.signedIn(c.connect))
	mux.HandleFunc("POST /console/loans/{id}/approve", c.signedIn(c.approve))
	mux.HandleFunc("POST /console/loans/{id}/reject", c.signedIn(c.reject))
	mux.HandleFunc("GET /console/money", c.signedIn(c.moneyPage))
	mux.HandleFunc("POST /console/money/{id}/requeue", c.signedIn(c.requeue))
	mux.HandleFunc("POST /console/money/assign", c.signedIn(c.assign))
	mux.HandleFunc("GET /console/payments", c.signedIn(c.paymentsPage))
	mux.HandleFunc("POST /console/payments/undo", c.signedIn(c.undo))
	mux.HandleFunc("POST "+StatementPath, c.signedIn(c.uploadStatement))
	mux.HandleFunc("GET /console/disburse", c.signedIn(c.disbursePage))
	mux.HandleFunc("POST /console/disburse", c.signedIn(c.build))
	mux.HandleFunc("GET /console/disburse/{id}", c.signedIn(c.batchPage))
	mux.HandleFunc("POST /console/disburse/{id}/approve", c.signedIn(c.approveBatch))
	mux.HandleFunc("POST /console/disburse/{id}/send", c.signedIn(c.sendBatch))
	mux.HandleFunc("POST /console/disburse/{id}/cancel", c.signedIn(c.cancelBatch))
	mux.HandleFunc("POST /console/disburse/{id}/resolve", c.signedIn(c.resolveLine))
	mux.HandleFunc("GET /console/messages", c.signedIn(c.messagesPage))
	mux.HandleFunc("POST /console/messages", c.signedIn(c.send))
	mux.HandleFunc("GET /console/reminders", c.signedIn(c.remindersPage))
	mux.HandleFunc("POST /console/reminders", c.signedIn(c.sendReminders))
}

// when writes a time for a person; zero is "never".
func (c *Console) when(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return clock(t, c.d.Now().In(c.d.Location))
}

func cacheFor(d time.Duration, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age="+itoa(int64(d/time.Second)))
		h.ServeHTTP(w, r)
	})
}

// page is what the layout shows around every page: the signed-in user
// (nil on the sign-in page), which tab is open, a notice and an error.
type page struct {
	Title  string
	Tab    string
	User   *store.ConsoleSession
	Notice string
	Error  string
}

// render writes the page p with body, the page's own part (nil when its
// data could not be read), with status. Pages carry personal data: never
// cached.
func (c *Console) render(w http.ResponseWriter, status int, p page, body func(h *htmlWriter)) {
	var h htmlWriter
	c.layout(&h, p, body)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	// A write fails only when the browser went away: nothing to do.
	_, _ = io.WriteString(w, h.String())
}

// seeOther ends a POST that worked: the browser loads target with GET, so
// reloading the page does not repeat the action.
func seeOther(w http.ResponseWriter, r *http.Request, target string) {
	http.Redirect(w, r, target, http.StatusSeeOther)
}
