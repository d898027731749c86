package console

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mifos-edge/mifos-edge/mifos"
	"github.com/mifos-edge/mifos-edge/modem"
	"github.com/mifos-edge/mifos-edge/officer"
	"github.com/mifos-edge/mifos-edge/store"
	"github.com/mifos-edge/mifos-edge/web"
)

// fakeFineract stands in for Fineract: users with passwords and
// permissions, pending loans, and the decisions taken (with who took
// them). down makes every call fail as an unreachable server would.
type fakeFineract struct {
	mu        sync.Mutex
	down      bool
	users     map[string]fakeUser
	loans     []mifos.PendingLoan
	approvals map[int64]decided
	calls     int
}

type fakeUser struct {
	password string
	user     mifos.User
}

type decided struct {
	by       string
	approval mifos.Approval
	reject   *mifos.Rejection
}

var errDown = errors.New("dial tcp 10.0.0.5:443: connect: connection refused")

func newFakeFineract() *fakeFineract {
	ugx := mifos.Currency{Code: "UGX", DecimalPlaces: 0}
	return &fakeFineract{
		users: map[string]fakeUser{
			"manager": {password: "correct horse battery", user: mifos.User{ID: 7, Username: "manager", OfficeID: 2, OfficeName: "Gulu branch", StaffID: 3,
				Permissions: []string{"READ_LOAN", "APPROVE_LOAN", "REJECT_LOAN"}}},
			// The clerk records and undoes money (no loan decisions); the
			// cashier records it but may not undo; the manager only decides loans.
			"clerk": {password: "clerk password 1", user: mifos.User{ID: 8, Username: "clerk", OfficeID: 2, OfficeName: "Gulu branch",
				Permissions: []string{"READ_LOAN", "REPAYMENT_LOAN", "DEPOSIT_SAVINGSACCOUNT", "UNDOTRANSACTION_LOAN", "UNDOTRANSACTION_SAVINGSACCOUNT"}}},
			"cashier": {password: "cashier password 1", user: mifos.User{ID: 9, Username: "cashier", OfficeID: 2, OfficeName: "Gulu branch",
				Permissions: []string{"READ_LOAN", "REPAYMENT_LOAN", "DEPOSIT_SAVINGSACCOUNT"}}},
		},
		loans: []mifos.PendingLoan{
			{ID: 41, AccountNo: "000000041", ClientName: "Akello Grace", ProductName: "Group loan", Principal: 1_500_000 * 1_000_000,
				Currency: ugx, OfficerName: "Okello James", OfficeID: 2, SubmittedOn: mifos.Date{Year: 2026, Month: 12, Day: 1}},
			{ID: 42, AccountNo: "000000042", ClientName: "Other Office Client", ProductName: "Group loan", Principal: 900_000 * 1_000_000,
				Currency: ugx, OfficerName: "Someone Else", OfficeID: 9},
		},
		approvals: map[int64]decided{},
	}
}

func (f *fakeFineract) AuthenticateUser(_ context.Context, username, password string) (mifos.User, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.down {
		return mifos.User{}, errDown
	}
	u, ok := f.users[username]
	if !ok || u.password != password {
		return mifos.User{}, &mifos.Error{Status: 401, Message: "Unauthenticated. Please login."}
	}
	return u.user, nil
}

func (f *fakeFineract) AsUser(username, password string) LoanDesk {
	return &fakeDesk{f: f, username: username, password: password}
}

func (f *fakeFineract) setDown(down bool) {
	f.mu.Lock()
	f.down = down
	f.mu.Unlock()
}

func (f *fakeFineract) decision(id int64) (decided, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	d, ok := f.approvals[id]
	return d, ok
}

type fakeDesk struct {
	f                  *fakeFineract
	username, password string
}

func (d *fakeDesk) check() error {
	if d.f.down {
		return errDown
	}
	u, ok := d.f.users[d.username]
	if !ok || u.password != d.password {
		return &mifos.Error{Status: 401}
	}
	return nil
}

func (d *fakeDesk) PendingLoans(context.Context) ([]mifos.PendingLoan, error) {
	d.f.mu.Lock()
	defer d.f.mu.Unlock()
	if err := d.check(); err != nil {
		return nil, err
	}
	var out []mifos.PendingLoan
	for _, l := range d.f.loans {
		if _, done := d.f.approvals[l.ID]; !done {
			out = append(out, l)
		}
	}
	return out, nil
}

func (d *fakeDesk) ApproveLoan(_ context.Context, id int64, a mifos.Approval) (mifos.Result, error) {
	d.f.mu.Lock()
	defer d.f.mu.Unlock()
	if err := d.check(); err != nil {
		return mifos.Result{}, err
	}
	if !d.f.users[d.username].user.Permitted("APPROVE_LOAN") {
		return mifos.Result{}, &mifos.Error{Status: 403, Code: "error.msg.not.authorized"}
	}
	if _, done := d.f.approvals[id]; done {
		return mifos.Result{}, &mifos.Error{Status: 400, Code: "error.msg.loan.approve.not.in.submitted.state", Message: "Loan is not in submitted and pending approval state."}
	}
	d.f.approvals[id] = decided{by: d.username, approval: a}
	return mifos.Result{ResourceID: id}, nil
}

func (d *fakeDesk) RejectLoan(_ context.Context, id int64, r mifos.Rejection) (mifos.Result, error) {
	d.f.mu.Lock()
	defer d.f.mu.Unlock()
	if err := d.check(); err != nil {
		return mifos.Result{}, err
	}
	d.f.approvals[id] = decided{by: d.username, reject: &r}
	return mifos.Result{ResourceID: id}, nil
}

// fakeBox serves a fixed status and requeues in the real store.
type fakeBox struct {
	db     *store.DB
	status Status
}

func (b *fakeBox) Status(context.Context) (Status, error) {
	st, err := b.db.Stats()
	if err != nil {
		return Status{}, err
	}
	s := b.status
	s.Store = st
	return s, nil
}

func (b *fakeBox) RequeueJournal(id uint64) error { return b.db.RequeueJournal(id) }

// QueueSMS queues into the real outbox, as the daemon does.
func (b *fakeBox) QueueSMS(to, text, origin string) (uint64, int, error) {
	id, err := b.db.Enqueue(store.Outbound{To: to, Text: text, Origin: origin})
	return id, 1, err
}

// fakeReminders answers a fixed overdue list for group 5 and staff 3,
// 404 for anything else, and counts the runs that queued.
type fakeReminders struct {
	mu     sync.Mutex
	down   bool
	queued int
}

func (f *fakeReminders) Remind(_ context.Context, groupID, staffID int64, dryRun bool) (ReminderRun, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down {
		return ReminderRun{}, errDown
	}
	if groupID != 5 && staffID != 3 {
		return ReminderRun{}, &mifos.Error{Status: 404, Code: "error.msg.group.id.invalid"}
	}
	run := ReminderRun{Summary: "1 client overdue", List: []Reminder{{Name: "Akello Grace", Phone: "+256772000001", AccountNo: "000000041",
		Overdue: "30,000 UGX", Meeting: "2026-12-09", Text: "Dear Akello, 30,000 UGX is overdue on loan 000000041."}}}
	if !dryRun {
		f.queued++
		run.Queued = true
	}
	return run, nil
}

// fakeClock is a settable clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// rig is a console served over real HTTP, with the shared protections,
// on a real store.
type rig struct {
	t     *testing.T
	db    *store.DB
	fin   *fakeFineract
	box   *fakeBox
	rem   *fakeReminders
	clock *fakeClock
	logs  *bytes.Buffer
	con   *Console
	srv   *httptest.Server
	deps  Deps
}

// testPepper is a box pepper for hashing in tests.
var testPepper = officer.Pepper{ID: "0a0b0c0d", Key: []byte("0123456789abcdef0123456789abcdef")}

func newRig(t *testing.T) *rig {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "state.db"), store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	r := &rig{t: t, db: db, fin: newFakeFineract(), clock: &fakeClock{t: time.Now()}, logs: &bytes.Buffer{}}
	r.box = &fakeBox{db: db, status: Status{
		Started: r.clock.Now().Add(-time.Hour),
		Modem: modem.Status{State: modem.StateReady, SignalRSSI: 18, SignalText: "good (-77 dBm)", Registration: 1,
			RegistrationText: "registered (home network)", StorageUsed: 2, StorageTotal: 30, LastOK: r.clock.Now()},
		Link: Link{Configured: true, Online: true, LastSuccess: r.clock.Now().Add(-time.Minute)},
	}}
	r.rem = &fakeReminders{}
	r.deps = Deps{DB: db, Pepper: testPepper, Auth: r.fin, AsUser: r.fin.AsUser, Box: r.box, Messenger: r.box, Reminders: r.rem, Country: "UG",
		Logger: slog.New(slog.NewTextHandler(&lockedWriter{w: r.logs}, nil)), Location: time.UTC, Now: r.clock.Now}
	r.start()
	return r
}

// start (re)builds the console on the same store, as a daemon restart
// does: sessions stay, passwords in memory are gone.
func (r *rig) start() {
	if r.srv != nil {
		r.srv.Close()
	}
	con, err := New(r.deps)
	if err != nil {
		r.t.Fatal(err)
	}
	mux := http.NewServeMux()
	con.Mount(mux)
	r.con = con
	r.srv = httptest.NewServer(web.Protect(mux, LargeBodies...))
	r.t.Cleanup(r.srv.Close)
}

// lockedWriter lets the server goroutines log into one buffer.
type lockedWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// browser is a client with its own cookie jar that does not follow
// redirects, so each answer can be checked.
type browser struct {
	r   *rig
	c   *http.Client
	jar *cookiejar.Jar
}

func (r *rig) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{r: r, jar: jar, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type answer struct {
	status   int
	location string
	body     string
	header   http.Header
}

func (b *browser) do(req *http.Request) answer {
	b.r.t.Helper()
	resp, err := b.c.Do(req)
	if err != nil {
		b.r.t.Fatal(err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	_, _ = buf.ReadFrom(resp.Body)
	return answer{status: resp.StatusCode, location: resp.Header.Get("Location"), body: buf.String(), header: resp.Header}
}

func (b *browser) get(path string) answer {
	b.r.t.Helper()
	req, _ := http.NewRequest("GET", b.r.srv.URL+path, nil)
	return b.do(req)
}

func (b *browser) post(path string, form url.Values) answer {
	b.r.t.Helper()
	req, _ := http.NewRequest("POST", b.r.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	// What a browser sends for a form posted from the console's own page.
	req.Header.Set("Origin", b.r.srv.URL)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return b.do(req)
}

func (b *browser) signIn(username, password string) answer {
	b.r.t.Helper()
	return b.post("/console/signin", url.Values{"username": {username}, "password": {password}})
}

// mustSignIn signs in and fails the test unless it worked.
func (b *browser) mustSignIn(username, password string) {
	b.r.t.Helper()
	a := b.signIn(username, password)
	if a.status != http.StatusSeeOther || a.location != "/console/" {
		b.r.t.Fatalf("sign-in as %s: %d %q, want 303 to /console/; body:\n%s", username, a.status, a.location, a.body)
	}
}
