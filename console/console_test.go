package console

import (
	"bytes"
	"crypto/sha256"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/mifos-edge/mifos-edge/mifos"
	"github.com/mifos-edge/mifos-edge/modem"
	"github.com/mifos-edge/mifos-edge/store"
)

const managerPassword = "correct horse battery"

func TestPagesNeedASession(t *testing.T) {
	r := newRig(t)
	b := r.browser()
	for _, path := range []string{"/console/", "/console/loans", "/console/money"} {
		a := b.get(path)
		if a.status != http.StatusSeeOther || a.location != "/console/signin" {
			t.Errorf("GET %s without a session: %d %q, want 303 to /console/signin", path, a.status, a.location)
		}
		if strings.Contains(a.body, "Akello") || strings.Contains(a.body, "UGX") {
			t.Errorf("GET %s without a session shows data:\n%s", path, a.body)
		}
	}
	for _, path := range []string{"/console/loans/41/approve", "/console/loans/41/reject", "/console/money/1/requeue"} {
		a := b.post(path, url.Values{"date": {"2026-12-01"}, "note": {"x"}})
		if a.status != http.StatusSeeOther || a.location != "/console/signin" {
			t.Errorf("POST %s without a session: %d %q, want 303 to /console/signin", path, a.status, a.location)
		}
	}
	if _, done := r.fin.decision(41); done {
		t.Error("a loan was decided without a session")
	}
	// A made-up cookie is no session either.
	u, _ := url.Parse(r.srv.URL)
	b.jar.SetCookies(u, []*http.Cookie{{Name: cookieName, Value: strings.Repeat("A", 43)}})
	if a := b.get("/console/"); a.status != http.StatusSeeOther || !strings.HasPrefix(a.location, "/console/signin") {
		t.Errorf("GET with a forged cookie: %d %q", a.status, a.location)
	}
	if a := b.get("/"); a.status != http.StatusSeeOther || a.location != "/console/" {
		t.Errorf("GET /: %d %q, want 303 to /console/", a.status, a.location)
	}
	if a := b.get("/console/static/console.css"); a.status != 200 || !strings.Contains(a.body, "body{") {
		t.Errorf("stylesheet: %d", a.status)
	}
}

func TestSignInKeepsOnlyHashesAndSetsAStrictCookie(t *testing.T) {
	r := newRig(t)
	b := r.browser()
	a := b.signIn("manager", managerPassword)
	if a.status != http.StatusSeeOther {
		t.Fatalf("sign-in: %d\n%s", a.status, a.body)
	}
	var ck *http.Cookie
	for _, c := range (&http.Response{Header: a.header}).Cookies() {
		if c.Name == cookieName {
			ck = c
		}
	}
	if ck == nil {
		t.Fatal("no session cookie set")
	}
	if !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || ck.Path != "/" || ck.Secure {
		t.Errorf("cookie %+v: want HttpOnly, SameSite=Strict, Path=/, not Secure over plain http", ck)
	}
	// The store holds the session under the hash of its id, and the
	// password only as an argon2id hash made with the box pepper.
	if _, found, _ := r.db.ConsoleSession([]byte(ck.Value)); found {
		t.Error("the session is stored under its id in clear")
	}
	h := sha256.Sum256([]byte(ck.Value))
	if s, found, err := r.db.ConsoleSession(h[:]); err != nil || !found || s.Username != "manager" || s.OfficeID != 2 || s.Offline {
		t.Errorf("stored session = %+v, %v, %v", s, found, err)
	}
	u, found, err := r.db.ConsoleUser("manager")
	if err != nil || !found {
		t.Fatalf("no stored user: %v", err)
	}
	if !strings.HasPrefix(u.Hash, "$argon2id$") || !strings.Contains(u.Hash, "k="+testPepper.ID) {
		t.Errorf("stored hash %q is not a peppered argon2id hash", u.Hash)
	}
	raw, err := os.ReadFile(r.db.Path())
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte(managerPassword)) || bytes.Contains(raw, []byte(ck.Value)) {
		t.Error("the store file contains the password or the session id in clear")
	}
	if strings.Contains(r.logs.String(), managerPassword) {
		t.Error("the log contains the password")
	}
	page := b.get("/console/")
	if page.status != 200 || !strings.Contains(page.body, "Modem") || !strings.Contains(page.body, "manager") {
		t.Errorf("status page after sign-in: %d\n%s", page.status, page.body)
	}
	if page.header.Get("Cache-Control") != "no-store" {
		t.Errorf("status page Cache-Control %q, want no-store", page.header.Get("Cache-Control"))
	}
	// Signed in, the sign-in page sends to the status page.
	if a := b.get("/console/signin"); a.status != http.StatusSeeOther || a.location != "/console/" {
		t.Errorf("sign-in page while signed in: %d %q", a.status, a.location)
	}
	// Sign-out ends the session on the server, not only in the browser.
	if a := b.post("/console/signout", nil); a.status != http.StatusSeeOther {
		t.Errorf("sign-out: %d", a.status)
	}
	if _, found, _ := r.db.ConsoleSession(h[:]); found {
		t.Error("the session is still stored after sign-out")
	}
	replay := r.browser()
	srvURL, _ := url.Parse(r.srv.URL)
	replay.jar.SetCookies(srvURL, []*http.Cookie{{Name: cookieName, Value: ck.Value}})
	if a := replay.get("/console/"); a.status != http.StatusSeeOther {
		t.Errorf("the old cookie still opens the console after sign-out: %d", a.status)
	}
}

func TestSignInFormErrors(t *testing.T) {
	r := newRig(t)
	b := r.browser()
	for _, tc := range []struct {
		name       string
		form       url.Values
		status     int
		message    string
		mifosCalls int
	}{
		{"empty", url.Values{}, 400, "Enter your Mifos username and password.", 0},
		{"no password", url.Values{"username": {"manager"}}, 400, "Enter your Mifos username and password.", 0},
		{"long username", url.Values{"username": {strings.Repeat("u", 101)}, "password": {"x"}}, 400, "at most 100 characters", 0},
		{"long password", url.Values{"username": {"manager"}, "password": {strings.Repeat("p", 257)}}, 400, "at most 256 characters", 0},
		{"wrong password", url.Values{"username": {"manager"}, "password": {"nope"}}, 401, "Wrong username or password.", 1},
	} {
		before := r.fin.calls
		a := b.post("/console/signin", tc.form)
		if a.status != tc.status || !strings.Contains(a.body, tc.message) {
			t.Errorf("%s: %d, want %d with %q:\n%s", tc.name, a.status, tc.status, tc.message, a.body)
		}
		if got := r.fin.calls - before; got != tc.mifosCalls {
			t.Errorf("%s: %d calls to Mifos, want %d", tc.name, got, tc.mifosCalls)
		}
	}
	// The username typed is kept in the form, escaped.
	a := b.post("/console/signin", url.Values{"username": {`<b>x"`}, "password": {"y"}})
	if strings.Contains(a.body, `<b>x"`) || !strings.Contains(a.body, "&lt;b&gt;x&#34;") {
		t.Errorf("the typed username is not escaped in the form:\n%s", a.body)
	}
}

func TestFailedSignInsAreRateLimited(t *testing.T) {
	r := newRig(t)
	b := r.browser()
	for i := 1; i <= freeUserFailures+1; i++ {
		if a := b.signIn("manager", "guess"); a.status != http.StatusUnauthorized {
			t.Fatalf("wrong password %d: %d, want 401", i, a.status)
		}
	}
	calls := r.fin.calls
	// Locked now: even the right password waits, and Mifos is not asked.
	a := b.signIn("manager", managerPassword)
	if a.status != http.StatusTooManyRequests || !strings.Contains(a.body, "Too many failed sign-ins") || a.header.Get("Retry-After") == "" {
		t.Fatalf("sign-in while locked: %d %q\n%s", a.status, a.header.Get("Retry-After"), a.body)
	}
	if r.fin.calls != calls {
		t.Error("Mifos was asked during a lockout")
	}
	// Another user from the same address is not locked yet.
	if a := b.signIn("clerk", "clerk password 1"); a.status != http.StatusSeeOther {
		t.Errorf("another user from the same address: %d", a.status)
	}
	// The lock ends, and the next failure locks for twice as long.
	r.clock.Advance(firstLock + time.Second)
	if a := b.signIn("manager", "guess again"); a.status != http.StatusUnauthorized {
		t.Fatalf("after the lock: %d", a.status)
	}
	r.clock.Advance(firstLock + time.Second)
	if a := b.signIn("manager", managerPassword); a.status != http.StatusTooManyRequests {
		t.Errorf("the second lock did not escalate: %d", a.status)
	}
	r.clock.Advance(firstLock)
	b.mustSignIn("manager", managerPassword)
	if strings.Contains(r.logs.String(), "guess") || strings.Contains(r.logs.String(), managerPassword) {
		t.Error("a password reached the log")
	}
	// Many usernames from one address lock the address.
	other := r.browser()
	for i := 0; i <= freeAddrFailures; i++ {
		other.signIn("user"+itoa(int64(i)), "x")
	}
	if a := other.signIn("clerk", "clerk password 1"); a.status != http.StatusTooManyRequests {
		t.Errorf("address with %d failures: %d, want 429", freeAddrFailures+1, a.status)
	}
}

func TestOfflineSignInIsReadOnly(t *testing.T) {
	r := newRig(t)
	b := r.browser()
	// Never signed in while Mifos answered: no way in while it is down.
	r.fin.setDown(true)
	if a := b.signIn("manager", managerPassword); a.status != http.StatusUnauthorized || !strings.Contains(a.body, "cannot be reached") {
		t.Errorf("first sign-in with Mifos down: %d\n%s", a.status, a.body)
	}
	r.fin.setDown(false)
	b.mustSignIn("manager", managerPassword)
	b.post("/console/signout", nil)

	r.fin.setDown(true)
	if a := b.signIn("manager", "wrong one"); a.status != http.StatusUnauthorized {
		t.Errorf("wrong password offline: %d", a.status)
	}
	b.mustSignIn("manager", managerPassword)
	page := b.get("/console/")
	if !strings.Contains(page.body, "you can look, not approve") {
		t.Errorf("offline session not marked read-only:\n%s", page.body)
	}
	// The loans page asks for the password; approving without it is refused
	// and nothing reaches Mifos.
	loans := b.get("/console/loans")
	if !strings.Contains(loans.body, "Connect to Mifos") || strings.Contains(loans.body, "Akello") {
		t.Errorf("loans page of an offline session:\n%s", loans.body)
	}
	a := b.post("/console/loans/41/approve", url.Values{"date": {today(r)}, "amount": {"1500000"}})
	if a.status != http.StatusUnauthorized || !strings.Contains(a.body, "Enter your Mifos password") {
		t.Errorf("approve without password in an offline session: %d\n%s", a.status, a.body)
	}
	a = b.post("/console/loans/41/approve", url.Values{"date": {today(r)}, "amount": {"1500000"}, "password": {managerPassword}})
	if a.status != http.StatusServiceUnavailable || !strings.Contains(a.body, "cannot be reached") {
		t.Errorf("approve with Mifos down: %d\n%s", a.status, a.body)
	}
	if _, done := r.fin.decision(41); done {
		t.Error("a loan was approved while Mifos was down")
	}
	// Mifos back: the password turns the session into a full one.
	r.fin.setDown(false)
	if a := b.post("/console/loans/connect", url.Values{"password": {managerPassword}}); a.status != http.StatusSeeOther {
		t.Fatalf("connect: %d\n%s", a.status, a.body)
	}
	if loans := b.get("/console/loans"); !strings.Contains(loans.body, "Akello Grace") || strings.Contains(loans.body, "you can look, not approve") {
		t.Errorf("loans after connecting:\n%s", loans.body)
	}
	// An old stored hash is not enough for ever.
	b.post("/console/signout", nil)
	r.fin.setDown(true)
	r.clock.Advance(31 * 24 * time.Hour)
	if a := b.signIn("manager", managerPassword); a.status != http.StatusServiceUnavailable {
		t.Errorf("offline sign-in 31 days after the last online one: %d", a.status)
	}
}

func TestSessionsEndWhenIdleOrOld(t *testing.T) {
	r := newRig(t)
	b := r.browser()
	b.mustSignIn("manager", managerPassword)
	r.clock.Advance(29 * time.Minute)
	if a := b.get("/console/"); a.status != 200 {
		t.Fatalf("after 29 min: %d", a.status)
	}
	r.clock.Advance(31 * time.Minute)
	a := b.get("/console/")
	if a.status != http.StatusSeeOther || a.location != "/console/signin?m=expired" {
		t.Fatalf("after 31 idle minutes: %d %q", a.status, a.location)
	}
	if a := b.get("/console/signin?m=expired"); !strings.Contains(a.body, "Your session ended") {
		t.Errorf("expired notice missing:\n%s", a.body)
	}
	// Used every 20 minutes, a session still ends after 12 hours.
	b.mustSignIn("manager", managerPassword)
	for i := 0; i < 40; i++ {
		r.clock.Advance(20 * time.Minute)
		if a := b.get("/console/"); a.status != 200 {
			if time.Duration(i+1)*20*time.Minute <= 12*time.Hour {
				t.Fatalf("session ended after %d min", (i+1)*20)
			}
			return
		}
	}
	t.Error("a session used all the time never ended")
}

func today(r *rig) string { return mifos.DateOf(r.clock.Now().UTC()).String() }

func TestApproveAsTheSignedInUser(t *testing.T) {
	r := newRig(t)
	b := r.browser()
	b.mustSignIn("manager", managerPassword)
	loans := b.get("/console/loans")
	if loans.status != 200 {
		t.Fatalf("loans: %d\n%s", loans.status, loans.body)
	}
	for _, want := range []string{"Akello Grace", "1,500,000 UGX", "Group loan", "Okello James", `action="/console/loans/41/approve"`} {
		if !strings.Contains(loans.body, want) {
			t.Errorf("loans page lacks %q", want)
		}
	}
	if strings.Contains(loans.body, "Other Office Client") {
		t.Error("a loan of another office is listed")
	}
	// Bad input: a clear message, nothing sent to Mifos.
	for _, tc := range []struct {
		path string
		form url.Values
		want string
	}{
		{"/console/loans/41/approve", url.Values{"date": {"2999-01-01"}, "amount": {"1500000"}}, "is in the future"},
		{"/console/loans/41/approve", url.Values{"date": {"1/12/2026"}, "amount": {"1500000"}}, "is not a date like"},
		{"/console/loans/41/approve", url.Values{"date": {today(r)}, "amount": {"1,50"}}, "misplaced thousands separators"},
		{"/console/loans/41/approve", url.Values{"date": {today(r)}, "amount": {"0"}}, "more than zero"},
		{"/console/loans/41/approve", url.Values{"date": {today(r)}, "amount": {"1"}, "note": {strings.Repeat("n", 501)}}, "longer than 500"},
		{"/console/loans/041/approve", url.Values{"date": {today(r)}}, "loan number is not valid"},
		{"/console/loans/abc/reject", url.Values{"date": {today(r)}}, "loan number is not valid"},
	} {
		a := b.post(tc.path, tc.form)
		if a.status != http.StatusUnprocessableEntity || !strings.Contains(a.body, tc.want) {
			t.Errorf("POST %s %v: %d, want 422 with %q\n%s", tc.path, tc.form, a.status, tc.want, a.body)
		}
	}
	if _, done := r.fin.decision(41); done {
		t.Fatal("invalid input reached Mifos")
	}
	a := b.post("/console/loans/41/approve", url.Values{"date": {today(r)}, "amount": {"1,400,000"}, "note": {"group guarantee seen"}})
	if a.status != http.StatusSeeOther || a.location != "/console/loans?m=approved&loan=41" {
		t.Fatalf("approve: %d %q\n%s", a.status, a.location, a.body)
	}
	d, done := r.fin.decision(41)
	if !done || d.by != "manager" || d.approval.Amount != 1_400_000*1_000_000 || d.approval.Note != "group guarantee seen" || d.approval.On.String() != today(r) {
		t.Errorf("Mifos got %+v, want approval by manager of 1,400,000 today with the note", d)
	}
	after := b.get(a.location)
	if !strings.Contains(after.body, "Loan 41 approved in Mifos.") || strings.Contains(after.body, "Akello Grace") {
		t.Errorf("after approving:\n%s", after.body)
	}
	// Approving again: Mifos's refusal is shown, in its words.
	a = b.post("/console/loans/41/approve", url.Values{"date": {today(r)}})
	if a.status != http.StatusBadGateway || !strings.Contains(a.body, "not in submitted and pending approval state") {
		t.Errorf("second approval: %d\n%s", a.status, a.body)
	}
	if strings.Contains(r.logs.String(), managerPassword) {
		t.Error("the password reached the log")
	}
}

func TestApproveNeedsThePermission(t *testing.T) {
	r := newRig(t)
	b := r.browser()
	b.mustSignIn("clerk", "clerk password 1")
	loans := b.get("/console/loans")
	if !strings.Contains(loans.body, "may not approve loans") || strings.Contains(loans.body, "/approve") {
		t.Errorf("loans page for a user without APPROVE_LOAN:\n%s", loans.body)
	}
	a := b.post("/console/loans/41/approve", url.Values{"date": {today(r)}})
	if a.status != http.StatusForbidden || !strings.Contains(a.body, "permission APPROVE_LOAN") {
		t.Errorf("approve without the permission: %d\n%s", a.status, a.body)
	}
	if _, done := r.fin.decision(41); done {
		t.Error("approved without the permission")
	}
}

func TestRejectAndRestart(t *testing.T) {
	r := newRig(t)
	b := r.browser()
	b.mustSignIn("manager", managerPassword)
	// The daemon restarts: the session stays, the password in memory does not.
	r.start()
	loans := b.get("/console/loans")
	if loans.status != 200 || !strings.Contains(loans.body, "needs your password again") {
		t.Fatalf("loans after a restart: %d\n%s", loans.status, loans.body)
	}
	a := b.post("/console/loans/41/reject", url.Values{"date": {today(r)}, "note": {"no guarantor"}, "password": {"wrong"}})
	if a.status != http.StatusUnauthorized || !strings.Contains(a.body, "did not accept that password") {
		t.Errorf("reject with a wrong password: %d\n%s", a.status, a.body)
	}
	a = b.post("/console/loans/41/reject", url.Values{"date": {today(r)}, "note": {"no guarantor"}, "password": {managerPassword}})
	if a.status != http.StatusSeeOther || a.location != "/console/loans?m=rejected&loan=41" {
		t.Fatalf("reject: %d %q\n%s", a.status, a.location, a.body)
	}
	if d, done := r.fin.decision(41); !done || d.reject == nil || d.by != "manager" || d.reject.Note != "no guarantor" {
		t.Errorf("Mifos got %+v", d)
	}
}

func TestCrossOriginPostsAreRefused(t *testing.T) {
	r := newRig(t)
	b := r.browser()
	b.mustSignIn("manager", managerPassword)
	req, _ := http.NewRequest("POST", r.srv.URL+"/console/loans/41/approve", strings.NewReader("date="+today(r)))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	req.Header.Set("Origin", "http://evil.example")
	if a := b.do(req); a.status != http.StatusForbidden {
		t.Errorf("cross-site POST: %d, want 403", a.status)
	}
	if _, done := r.fin.decision(41); done {
		t.Error("a cross-site POST approved a loan")
	}
}

func TestMoneyShowsTodayAndRequeuesFailed(t *testing.T) {
	r := newRig(t)
	day := today(r)
	okID, err := r.db.AppendJournal(store.JournalEntry{Batch: 1, Kind: store.JournalLoanRepayment, AccountID: 41, AccountNo: "000000041",
		ClientName: "Akello Grace", Amount: 25_000 * 1_000_000, Currency: "UGX", Date: day, ExternalID: "sms-1"})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.db.MarkJournalPosting(okID, "k1"); err != nil {
		t.Fatal(err)
	}
	if err := r.db.SettleJournal(okID, store.JournalDone, []int64{9001}, "posted", nil); err != nil {
		t.Fatal(err)
	}
	badID, err := r.db.AppendJournal(store.JournalEntry{Batch: 2, Kind: store.JournalLoanRepayment, AccountID: 43, AccountNo: "000000043",
		ClientName: "Opio Peter", Amount: 10_500 * 1_000_000, Currency: "KES", Decimals: 2, Date: day, ExternalID: "sms-2"})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.db.MarkJournalPosting(badID, "k2"); err != nil {
		t.Fatal(err)
	}
	if err := r.db.FailJournalWith(badID, nil, "fineract 403 error.msg.loan.closed", "the loan is closed", nil); err != nil {
		t.Fatal(err)
	}
	b := r.browser()
	b.mustSignIn("clerk", "clerk password 1")
	m := b.get("/console/money")
	for _, want := range []string{"25,000 UGX", "Mifos transaction 9001", "10,500.00 KES", "the loan is closed", "/console/money/" + itoa(int64(badID)) + "/requeue"} {
		if !strings.Contains(m.body, want) {
			t.Errorf("money page lacks %q:\n%s", want, m.body)
		}
	}
	a := b.post("/console/money/"+itoa(int64(badID))+"/requeue", nil)
	if a.status != http.StatusSeeOther {
		t.Fatalf("requeue: %d\n%s", a.status, a.body)
	}
	if e, _ := r.db.JournalEntry(badID); e.State != store.JournalPending {
		t.Errorf("after requeue the posting is %s", e.State)
	}
	if a := b.get(a.location); !strings.Contains(a.body, "is queued again") {
		t.Errorf("after requeue:\n%s", a.body)
	}
	if a := b.post("/console/money/"+itoa(int64(badID))+"/requeue", nil); a.status != http.StatusConflict || !strings.Contains(a.body, "is not failed") {
		t.Errorf("second requeue: %d\n%s", a.status, a.body)
	}
	if a := b.post("/console/money/99999/requeue", nil); a.status != http.StatusNotFound {
		t.Errorf("requeue of a missing posting: %d", a.status)
	}
	if a := b.post("/console/money/x/requeue", nil); a.status != http.StatusBadRequest {
		t.Errorf("requeue of a bad id: %d", a.status)
	}
}

func TestStatusProblemsInPlainWords(t *testing.T) {
	now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	fine := Status{Modem: modem.Status{State: modem.StateReady, Registration: 1, SignalRSSI: 20, StorageTotal: 30, LastOK: now},
		Link: Link{Configured: true, Online: true}}
	if p := fine.Problems(now); len(p) != 0 {
		t.Errorf("a working box has problems: %+v", p)
	}
	bad := fine
	bad.Modem = modem.Status{State: modem.StateGone, LastError: "open /dev/ttyUSB2: no such file"}
	bad.Link.Online = false
	bad.Store.Journal.Failed = 2
	bad.Oldest.Outbox = now.Add(-time.Hour)
	bad.Link.Checks = []Check{{Name: "payment type", Detail: "payment type 4 does not exist", Fix: "set mifos.payment_type_id"}}
	text := ""
	for _, p := range bad.Problems(now) {
		if p.What == "" || p.Do == "" {
			t.Errorf("problem without words: %+v", p)
		}
		text += p.What + " / " + p.Do + "\n"
	}
	for _, want := range []string{"The modem is not working (gone: open /dev/ttyUSB2", "Mifos cannot be reached", "2 payment postings failed",
		"SMS wait to go out since 09:00", "payment type 4 does not exist", "set mifos.payment_type_id"} {
		if !strings.Contains(text, want) {
			t.Errorf("problems lack %q:\n%s", want, text)
		}
	}
	weak := fine
	weak.Modem.SignalRSSI, weak.Modem.SignalText = 6, "marginal (-101 dBm)"
	if p := weak.Problems(now); len(p) != 1 || !strings.Contains(p[0].What, "weak") {
		t.Errorf("weak signal: %+v", p)
	}
}

func TestSignInAgainReplacesTheSession(t *testing.T) {
	r := newRig(t)
	b := r.browser()
	b.mustSignIn("manager", managerPassword)
	srvURL, _ := url.Parse(r.srv.URL)
	first := b.jar.Cookies(srvURL)[0].Value
	b.mustSignIn("manager", managerPassword)
	second := b.jar.Cookies(srvURL)[0].Value
	if first == second {
		t.Fatal("signing in again kept the session id")
	}
	h := sha256.Sum256([]byte(first))
	if _, found, _ := r.db.ConsoleSession(h[:]); found {
		t.Error("the first session is still stored")
	}
	// A failed sign-in with an unknown username does not log it.
	b.signIn("my secret password", "x")
	if strings.Contains(r.logs.String(), "my secret password") {
		t.Error("an unknown username reached the log")
	}
}

func TestSignInWithoutMifosLink(t *testing.T) {
	r := newRig(t)
	b := r.browser()
	b.mustSignIn("manager", managerPassword) // stores the hash
	b.post("/console/signout", nil)
	r.deps.Auth, r.deps.AsUser = nil, nil
	r.start()
	if a := b.signIn("clerk", "clerk password 1"); a.status != http.StatusUnauthorized || !strings.Contains(a.body, "no Mifos link") {
		t.Errorf("unknown user without a Mifos link: %d\n%s", a.status, a.body)
	}
	b.mustSignIn("manager", managerPassword)
	if a := b.get("/console/loans"); a.status != http.StatusServiceUnavailable || !strings.Contains(a.body, "no Mifos link") {
		t.Errorf("loans without a Mifos link: %d\n%s", a.status, a.body)
	}
}

// Sign-ins at once share the two hashing slots and all get through.
func TestManySignInsAtOnce(t *testing.T) {
	r := newRig(t)
	r.fin.setDown(false)
	r.browser().mustSignIn("manager", managerPassword)
	r.fin.setDown(true) // every sign-in below checks the stored hash
	done := make(chan int, 6)
	for i := 0; i < 6; i++ {
		go func() {
			b := r.browser()
			done <- b.signIn("manager", managerPassword).status
		}()
	}
	for i := 0; i < 6; i++ {
		if st := <-done; st != http.StatusSeeOther {
			t.Errorf("sign-in %d: %d", i, st)
		}
	}
	if a := r.browser().get("/console/static/"); a.status != http.StatusNotFound {
		t.Errorf("the static directory is listed: %d", a.status)
	}
}
