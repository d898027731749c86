package e2e

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/mifos-edge/mifos-edge/fineractsim"
	"github.com/mifos-edge/mifos-edge/internal/phonebrowser"
	"github.com/mifos-edge/mifos-edge/modemsim"
)

// The branch console of the real daemon binary, in Debian's chromium at a
// phone's size with JavaScript switched off, against the Fineract stand-in
// and the pty modem simulator: what a branch manager does on a phone. The
// browser is set up as in console/browser_test.go (internal/phonebrowser).
//
// With CONSOLE_SCREENSHOTS=1 the screenshots go to docs/screenshots/ (the
// ones committed), else to a temporary directory. Without chromium the
// test is skipped, except where CI is set: there it fails.

// browser is one headless chromium tab on one box's console.
type browser struct {
	t       *testing.T
	ctx     context.Context
	base    string
	shots   string
	figures map[string]phonebrowser.Figures
	order   []string
}

func newBrowser(t *testing.T, base string) *browser {
	t.Helper()
	ctx := phonebrowser.Open(t, 5*time.Minute)
	shots := phonebrowser.ShotsDir(t, "..")
	return &browser{t: t, ctx: ctx, base: base, shots: shots, figures: map[string]phonebrowser.Figures{}}
}

// open loads path and returns the final HTTP status (after redirects).
func (b *browser) open(path string) int64 {
	b.t.Helper()
	resp, err := chromedp.Run(b.ctx, chromedp.NavigateResponse(b.base+path))
	if err != nil {
		b.t.Fatalf("open %s: %v", path, err)
	}
	return resp.Status
}

// submit clicks a form's button and returns the status of the page the
// browser lands on (a POST that worked answers 303, then that page).
func (b *browser) submit(sel string) int64 {
	b.t.Helper()
	resp, err := chromedp.RunResponse(b.ctx, chromedp.Click(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("submit %s: %v", sel, err)
	}
	return resp.Status
}

// fill replaces the value of an input, as a person who erases and types.
// The value is erased through the DOM's attribute (page scripts are off,
// and an input not typed in yet shows its attribute), then typed.
func (b *browser) fill(sel, value string) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, chromedp.SetAttributeValue(chromedp.CSS(sel), "value", ""), chromedp.SendKeys(chromedp.CSS(sel), value)); err != nil {
		b.t.Fatalf("fill %s: %v", sel, err)
	}
}

func (b *browser) click(sel string) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, chromedp.Click(chromedp.CSS(sel))); err != nil {
		b.t.Fatalf("click %s: %v", sel, err)
	}
}

// text is the rendered text of the first element sel matches ("" when none).
func (b *browser) text(sel string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](fmt.Sprintf(`(document.querySelector(%q) || {innerText: ""}).innerText`, sel)))
	if err != nil {
		b.t.Fatalf("text of %s: %v", sel, err)
	}
	return strings.TrimSpace(s)
}

// textWith is the text of the first element sel matches that contains
// want ("" when none).
func (b *browser) textWith(sel, want string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](fmt.Sprintf(
		`([...document.querySelectorAll(%q)].find(e => e.innerText.includes(%q)) || {innerText: ""}).innerText`, sel, want)))
	if err != nil {
		b.t.Fatalf("text of %s with %q: %v", sel, want, err)
	}
	return strings.TrimSpace(s)
}

func (b *browser) has(sel string) bool {
	b.t.Helper()
	ok, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](fmt.Sprintf(`document.querySelector(%q) !== null`, sel)))
	if err != nil {
		b.t.Fatalf("look for %s: %v", sel, err)
	}
	return ok
}

// dd is the value next to the label dt on the page ("" when none).
func (b *browser) dd(dt string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](fmt.Sprintf(
		`(([...document.querySelectorAll('dt')].find(e => e.textContent === %q) || {}).nextElementSibling || {innerText: ""}).innerText`, dt)))
	if err != nil {
		b.t.Fatalf("dd %s: %v", dt, err)
	}
	return strings.TrimSpace(s)
}

// reloadUntil reloads path until cond holds for the page.
func (b *browser) reloadUntil(path, what string, cond func() bool) {
	b.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if st := b.open(path); st == http.StatusOK && cond() {
			return
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("%s never showed %s; it shows:\n%s", path, what, b.text("main"))
		}
		time.Sleep(300 * time.Millisecond)
	}
}

// snap measures the page on screen and screenshots it as
// console-<name>.png.
func (b *browser) snap(name string) {
	b.t.Helper()
	f, err := phonebrowser.Measure(b.ctx)
	if err != nil {
		b.t.Fatalf("%s: %v", name, err)
	}
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("%s: %v", name, err)
	}
	if f.Wide > phonebrowser.Width {
		b.t.Errorf("%s is %.0f px wide, wider than the phone's %d px: it scrolls sideways", name, f.Wide, phonebrowser.Width)
	}
	if len(f.Others) != 0 {
		b.t.Errorf("%s loads more than its stylesheet: %q", name, f.Others)
	}
	b.figures[name] = f
	b.order = append(b.order, name)
	if err := os.WriteFile(filepath.Join(b.shots, "console-"+name+".png"), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// signIn fills the sign-in form and returns the status of the page it
// leads to.
func (b *browser) signIn(username, password string) int64 {
	b.t.Helper()
	if !b.has("#username") {
		b.open("/console/signin")
	}
	b.fill("#username", username)
	b.fill("#password", password)
	return b.submit(`form[action="/console/signin"] button[type=submit]`)
}

func (b *browser) signOut() {
	b.t.Helper()
	if st := b.submit(`form[action="/console/signout"] button`); st != http.StatusOK || !strings.Contains(b.text(".notice"), "signed out") {
		b.t.Fatalf("sign out: %d %q", st, b.text(".notice"))
	}
}

// cookies are the browser's cookies for the console, for a request made
// outside the page (a form the page does not offer).
func (b *browser) cookies() []*http.Cookie {
	b.t.Helper()
	got, err := chromedp.Run(b.ctx, chromedp.Action[[]*network.Cookie](func(ctx context.Context, t *chromedp.Target) ([]*network.Cookie, error) {
		res, err := cdp.Call(ctx, t, network.GetCookies, network.GetCookiesParams{URLs: []string{b.base + "/"}})
		return res.Cookies, err
	}))
	if err != nil {
		b.t.Fatal(err)
	}
	var out []*http.Cookie
	for _, c := range got {
		out = append(out, &http.Cookie{Name: c.Name, Value: c.Value})
	}
	return out
}

// noRedirect is a client that shows a redirect instead of following it.
var noRedirect = &http.Client{
	Timeout:       30 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// postForm posts a form to the box with cookies and extra headers (name,
// value pairs), as a browser would but without the page's help.
func postForm(t *testing.T, target string, form url.Values, cookies []*http.Cookie, hdr ...string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest("POST", target, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for _, c := range cookies {
		req.AddCookie(c)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", target, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(body)
}

// finLoan reads a loan from the stand-in over its REST API, as Mifos's
// web app would show it to its administrator.
func finLoan(t *testing.T, fin *fineractsim.Server, id int64) map[string]any {
	t.Helper()
	req, _ := http.NewRequest("GET", fmt.Sprintf("%s/loans/%d", fin.URL(), id), nil)
	req.SetBasicAuth(fineractsim.SeedAdmin, fineractsim.SeedAdminPassword)
	req.Header.Set("Fineract-Platform-TenantId", "default")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET loan %d: %d %v", id, resp.StatusCode, err)
	}
	return m
}

// pendingSeenBy lists the ids of the pending loans the stand-in gives
// username (GET /loans?status=100), to tell Fineract's office filter from
// the console's.
func pendingSeenBy(t *testing.T, fin *fineractsim.Server, username, password string) []int64 {
	t.Helper()
	req, _ := http.NewRequest("GET", fin.URL()+"/loans?status=100", nil)
	req.SetBasicAuth(username, password)
	req.Header.Set("Fineract-Platform-TenantId", "default")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var page struct {
		PageItems []struct {
			ID int64 `json:"id"`
		} `json:"pageItems"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&page); err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET pending loans as %s: %d %v", username, resp.StatusCode, err)
	}
	var ids []int64
	for _, l := range page.PageItems {
		ids = append(ids, l.ID)
	}
	return ids
}

// loanCommands are the commands (approve, reject) the stand-in received
// for a loan, with the user each was sent as.
type loanCommand struct {
	command, user string
	body          string
}

func loanCommands(fin *fineractsim.Server, id int64) []loanCommand {
	var out []loanCommand
	for _, r := range fin.Requests() {
		if r.Method != "POST" || !strings.HasSuffix(r.Path, "/loans/"+strconv.FormatInt(id, 10)) {
			continue
		}
		q, _ := url.ParseQuery(r.Query)
		user := ""
		if enc, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Basic "); ok {
			raw, _ := base64.StdEncoding.DecodeString(enc)
			user, _, _ = strings.Cut(string(raw), ":")
		}
		out = append(out, loanCommand{command: q.Get("command"), user: user, body: string(r.Body)})
	}
	return out
}

func timelineOf(m map[string]any) map[string]any {
	tl, _ := m["timeline"].(map[string]any)
	return tl
}

// vmRSS is the resident memory of process pid in KiB (/proc/pid/status).
func vmRSS(t *testing.T, pid int) int {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			if err != nil {
				t.Fatalf("VmRSS %q: %v", v, err)
			}
			return n
		}
	}
	t.Fatal("no VmRSS in /proc/<pid>/status")
	return 0
}

// countTexts is how many SMS to number contain want.
func countTexts(all []modemsim.Sent, number, want string) int {
	n := 0
	for _, s := range all {
		if s.To == number && strings.Contains(s.Text, want) {
			n++
		}
	}
	return n
}

// raceNote says when the figures come from a race-instrumented daemon.
func raceNote() string {
	if raceEnabled {
		return " (daemon built with -race: memory and times are inflated)"
	}
	return ""
}

// TestConsoleInChromium: a branch manager on a phone signs in with the
// password the stand-in checks, reads the status, sees the pending loans
// of the branch, approves one (recorded in the stand-in as the manager's
// decision) and rejects another; a teller may not; an SMS goes out from
// the console through the modem and a client's SMS shows in the
// conversation; an officer's SMS payment shows with Fineract's transaction
// id, a refused one is requeued from its button; with Mifos down a new
// sign-in is read-only and the status page says Mifos cannot be reached,
// until the password is given again with Mifos back. Page weight, render
// time and the daemon's memory are logged.
func TestConsoleInChromium(t *testing.T) {
	phonebrowser.Find(t) // before the box starts: skip early without a browser
	e := newEnv(t, envOptions{fineract: true, http: true,
		extraSMS: fmt.Sprintf("\n[mobile_money]\noperators = [\"mpesa-ke\"]\npayment_type_id = %d\n", fineractsim.SeedPaymentMpesa)})
	e.enrollOfficer(officerPIN)
	e.start()
	e.waitHTTP()
	fin := e.fin
	pid := e.proc.Process.Pid
	// Idle: the modem polled, the posting stage's first probe done, no
	// page asked for yet.
	time.Sleep(10 * time.Second)
	idleRSS := vmRSS(t, pid)

	b := newBrowser(t, e.httpBase)

	// 1. Sign in. The address alone leads to the sign-in form.
	if st := b.open("/"); st != http.StatusOK || !b.has("#username") {
		t.Fatalf("the box's address shows %d, not the sign-in form:\n%s", st, b.text("main"))
	}
	b.snap("signin")
	if st := b.signIn(fineractsim.SeedManager, "Kisumu-2023!"); st != http.StatusUnauthorized || b.text(".error") != "Wrong username or password." {
		t.Fatalf("a wrong password: %d %q", st, b.text(".error"))
	}
	if b.has(`form[action="/console/signout"]`) {
		t.Fatal("a wrong password signed in")
	}
	if st := b.signIn(fineractsim.SeedManager, fineractsim.SeedManagerPassword); st != http.StatusOK || b.text("h1") != "Status" {
		t.Fatalf("the manager's sign-in: %d, page %q: %s", st, b.text("h1"), b.text("main"))
	}
	if who := b.text(".who"); who != "jakinyi · Kisumu Branch" {
		t.Errorf("signed in as %q", who)
	}
	b.reloadUntil("/console/", "the modem registered and Mifos answering", func() bool {
		return b.dd("State") == "ready" && strings.HasPrefix(b.dd("Network"), "registered") && b.dd("Now") == "answering"
	})
	if q := b.dd("To send"); !strings.HasPrefix(q, "0 queued") || !strings.Contains(q, "0 failed") {
		t.Errorf("outbox on the status page: %q", q)
	}
	if q := b.dd("Postings"); !strings.HasPrefix(q, "0 waiting") || !strings.Contains(q, "0 failed") {
		t.Errorf("journal on the status page: %q", q)
	}
	if ok := b.text(".ok"); !strings.HasPrefix(ok, "All is well") {
		t.Errorf("a fresh box shows problems: %q %q", ok, b.text(".problems"))
	}
	b.snap("status")
	b.signOut()

	// 2a. A teller sees the applications, may not decide; nothing reaches
	// the stand-in.
	if st := b.signIn(fineractsim.SeedTeller, fineractsim.SeedTellerPassword); st != http.StatusOK {
		t.Fatalf("the teller's sign-in: %d %s", st, b.text("main"))
	}
	if st := b.open("/console/loans"); st != http.StatusOK || !b.has("#loan-984") || !b.has("#loan-987") {
		t.Fatalf("teller's loans page %d:\n%s", st, b.text("main"))
	}
	if w := b.text(".warn"); w != "Your Mifos user may not approve loans (permission APPROVE_LOAN)." {
		t.Errorf("the teller is told %q", w)
	}
	if b.has(`form[action$="/approve"]`) || b.has(`form[action$="/reject"]`) {
		t.Error("the teller is offered approve or reject forms")
	}
	// The form the page does not offer, posted anyway with the session.
	st, _, body := postForm(t, e.httpBase+"/console/loans/984/approve",
		url.Values{"date": {""}, "amount": {"5000"}, "note": {"by the teller"}, "password": {fineractsim.SeedTellerPassword}}, b.cookies())
	if st != http.StatusForbidden || !strings.Contains(body, "Your Mifos user may not approve loans (permission APPROVE_LOAN). Ask the person who runs Mifos.") {
		t.Errorf("the teller's approval: %d\n%s", st, body)
	}
	if s := fin.LoanStatus(fineractsim.SeedLoanGracePending); s != 100 || len(loanCommands(fin, fineractsim.SeedLoanGracePending)) != 0 {
		t.Fatalf("after the teller's try loan 984 is %d, commands %+v", s, loanCommands(fin, fineractsim.SeedLoanGracePending))
	}
	b.signOut()

	// 2b. The manager: the branch's own applications, not the sub-branch's
	// (which Fineract lists to an office-1 user).
	if !slices.Contains(pendingSeenBy(t, fin, fineractsim.SeedManager, fineractsim.SeedManagerPassword), fineractsim.SeedLoanFaith) {
		t.Fatal("the stand-in does not list Ahero's application to the Kisumu manager: the office check below proves nothing")
	}
	if st := b.signIn(fineractsim.SeedManager, fineractsim.SeedManagerPassword); st != http.StatusOK {
		t.Fatalf("sign-in: %d", st)
	}
	if st := b.open("/console/loans"); st != http.StatusOK {
		t.Fatalf("loans page: %d\n%s", st, b.text("main"))
	}
	if !b.has("#loan-984") || !b.has("#loan-987") || b.has("#loan-986") || b.has("#loan-988") {
		t.Fatalf("the manager's loans page lists (want 984 and 987 only):\n%s", b.text("main"))
	}
	card := b.text("#loan-987")
	for _, want := range []string{"30,000.00 KES", "Brian Otieno", "Biashara 6M", "Peter Otieno"} {
		if !strings.Contains(card, want) {
			t.Errorf("loan 987's card lacks %q:\n%s", want, card)
		}
	}
	b.snap("loans")
	const note = "Seen the business; approved for less."
	b.fill("#amount-987", "25,000")
	b.fill("#note-987", note)
	if st := b.submit(`#loan-987 form[action$="/approve"] button`); st != http.StatusOK || b.text(".notice") != "Loan 987 approved in Mifos." {
		t.Fatalf("approving: %d %q %q", st, b.text(".notice"), b.text(".error"))
	}
	if b.has("#loan-987") {
		t.Error("the approved loan is still listed")
	}
	loan := finLoan(t, fin, fineractsim.SeedLoanBrian)
	tl := timelineOf(loan)
	if fin.LoanStatus(fineractsim.SeedLoanBrian) != 200 || fin.LoanApprovedBy(fineractsim.SeedLoanBrian) != fineractsim.SeedManager ||
		tl["approvedByUsername"] != fineractsim.SeedManager || tl["approvedByFirstname"] != "Jane" || loan["approvedPrincipal"] != 25000.0 {
		t.Fatalf("in the stand-in loan 987 is status %d, approved by %q, timeline %v, approved principal %v",
			fin.LoanStatus(fineractsim.SeedLoanBrian), fin.LoanApprovedBy(fineractsim.SeedLoanBrian), tl, loan["approvedPrincipal"])
	}
	if cmds := loanCommands(fin, fineractsim.SeedLoanBrian); len(cmds) != 1 || cmds[0].command != "approve" || cmds[0].user != fineractsim.SeedManager || !strings.Contains(cmds[0].body, note) {
		t.Errorf("commands for loan 987: %+v", cmds)
	}
	b.snap("loans-approved")
	b.click("#loan-984 details summary")
	b.fill("#rnote-984", "The client withdrew the application.")
	if st := b.submit(`#loan-984 form[action$="/reject"] button`); st != http.StatusOK || b.text(".notice") != "Loan 984 rejected in Mifos." {
		t.Fatalf("rejecting: %d %q %q", st, b.text(".notice"), b.text(".error"))
	}
	if tl := timelineOf(finLoan(t, fin, fineractsim.SeedLoanGracePending)); fin.LoanStatus(fineractsim.SeedLoanGracePending) != 500 || tl["rejectedByUsername"] != fineractsim.SeedManager {
		t.Fatalf("in the stand-in loan 984 is status %d, timeline %v", fin.LoanStatus(fineractsim.SeedLoanGracePending), tl)
	}
	if b.text(".ok") != "No loan waits for approval in your office." {
		t.Errorf("after both decisions the page says %q", b.text("main"))
	}

	// 3. SMS: a client writes, the conversation shows it; the manager
	// answers from the console, the modem sends it.
	const question = "Hello, is the meeting still on Friday?"
	e.deliver(amina, question)
	b.reloadUntil("/console/messages?phone=0712+345678", "Amina's SMS", func() bool {
		return strings.Contains(b.text("main"), question)
	})
	if h := b.text("main h2"); h != amina {
		t.Errorf("the conversation is headed %q, want %s", h, amina)
	}
	const answer = "Dear Amina, yes: Friday at 10:00 at the chief's camp."
	b.fill("#text", answer)
	if st := b.submit(`form[action="/console/messages"][method="post"] button`); st != http.StatusOK || b.text(".notice") == "" {
		t.Fatalf("sending: %d %q %q", st, b.text(".notice"), b.text(".error"))
	}
	e.waitText(amina, answer, 30*time.Second)
	// The modem has the PDU before it answers +CMGS; then the state follows.
	b.reloadUntil("/console/messages?phone=%2B254712345678", "the SMS sent as submitted", func() bool {
		return strings.HasPrefix(b.textWith(".sms.out", answer), "sent · submitted")
	})
	b.snap("messages")

	// A preview queues nothing, and says so.
	if st := b.open("/console/reminders?preview=1&group=7"); st != http.StatusOK || !b.has(".item") {
		t.Fatalf("reminder preview: %d\n%s", st, b.text("main"))
	}
	if h := b.text("main section h2"); h != "Preview: 2 client(s) overdue. Nothing is sent yet." {
		t.Errorf("the preview is headed %q", h)
	}
	b.snap("reminders")

	// 4. Money: an officer's SMS payment, with Fineract's transaction id.
	before := len(repayments(e, fineractsim.SeedLoanAmina))
	e.deliver(peter, "PAY 482613 42 L1=500")
	e.waitText(peter, "Posted for Amina", 30*time.Second)
	reps := repayments(e, fineractsim.SeedLoanAmina)
	if len(reps) != before+1 {
		t.Fatalf("%d repayments after one PAY", len(reps)-before)
	}
	first := reps[len(reps)-1].ID
	b.open("/console/money")
	if m := b.text("main"); !strings.Contains(m, fmt.Sprintf("Mifos transaction %d", first)) || !strings.Contains(m, "500.00 KES") {
		t.Fatalf("the money page does not show the posting with Fineract's id %d:\n%s", first, m)
	}
	// One Fineract refuses; it waits for a person, who requeues it.
	fin.FailNext(1, 403)
	e.deliver(peter, "PAY 482613 42 L1=120")
	e.waitText(peter, "NOT posted", 30*time.Second)
	b.open("/console/money")
	if !b.has(`form[action$="/requeue"] button`) || b.text(".why") == "" {
		t.Fatalf("the failed posting has no requeue button or no reason:\n%s", b.text("main"))
	}
	b.snap("money")
	if st := b.submit(`form[action$="/requeue"] button`); st != http.StatusOK || !strings.Contains(b.text(".notice"), "is queued again") {
		t.Fatalf("requeue: %d %q %q", st, b.text(".notice"), b.text(".error"))
	}
	e.waitSent(30*time.Second, "a second posting confirmation", func(all []modemsim.Sent) bool { return countTexts(all, peter, "Posted for Amina") == 2 })
	reps = repayments(e, fineractsim.SeedLoanAmina)
	if len(reps) != before+2 || reps[len(reps)-1].Amount.String() != "120.000000" {
		t.Fatalf("after the requeue: %+v", reps[before:])
	}
	second := reps[len(reps)-1].ID
	b.reloadUntil("/console/money", "both postings with their ids and no failure", func() bool {
		m := b.text("main")
		return !b.has(`form[action$="/requeue"]`) && strings.Contains(m, fmt.Sprintf("Mifos transaction %d", first)) &&
			strings.Contains(m, fmt.Sprintf("Mifos transaction %d", second))
	})

	if got := e.sentTo(john); len(got) != 0 {
		t.Errorf("the reminder preview sent SMS: %+v", got)
	}

	// An M-PESA payment the box cannot match (masked payer, a reference
	// that is no account) waits in suspense; the manager assigns it to
	// Amina's loan from the Money page, and it is posted once.
	when := time.Now().In(time.FixedZone("EAT", 3*3600)).Add(-time.Hour)
	notice := fmt.Sprintf("SKQ5SUSP01 Confirmed. on %d/%d/%02d at 9:05 AM Ksh700.00 received from MARY WANJIKU 0712***678. "+
		"Account Number SCHOOL New Utility balance is Ksh50,700.00", when.Day(), int(when.Month()), when.Year()%100)
	if err := e.sim.Deliver(modemsim.Incoming{From: "MPESA", SenderType: "alphanumeric", Text: notice, Class: -1}); err != nil {
		t.Fatal(err)
	}
	b.reloadUntil("/console/money", "the payment in suspense", func() bool { return strings.Contains(b.text("main"), "SKQ5SUSP01") })
	b.snap("money-suspense")
	b.fill(`form[action="/console/money/assign"] input[name="account"]`, "000000981")
	if st := b.submit(`form[action="/console/money/assign"] button`); st != http.StatusOK || !strings.Contains(b.text(".notice"), "is assigned to account 000000981") {
		t.Fatalf("assign: %d %q %q", st, b.text(".notice"), b.text(".error"))
	}
	e.waitSent(30*time.Second, "the receipt of the assigned payment", func(all []modemsim.Sent) bool {
		return countTexts(all, fineractsim.SeedAminaPhone, "SKQ5SUSP01") == 1
	})
	posted := 0
	for _, tx := range fin.LoanTransactions(fineractsim.SeedLoanAmina) {
		if tx.ReceiptNumber == "SKQ5SUSP01" {
			posted++
		}
	}
	if posted != 1 {
		t.Errorf("the assigned payment was posted %d times", posted)
	}
	// The Payments tab lists it, posted, with Fineract's transaction id.
	b.reloadUntil("/console/payments", "the assigned payment posted", func() bool {
		m := b.text("main")
		return strings.Contains(m, "SKQ5SUSP01") && strings.Contains(m, "posted")
	})
	if !b.has(`form[enctype="multipart/form-data"] input[type="file"]`) {
		t.Errorf("the Payments page has no statement upload:\n%s", b.text("main"))
	}
	b.snap("payments")

	// 5. Mifos down: a new sign-in with the same password is read-only.
	if err := fin.SetDown(true); err != nil {
		t.Fatal(err)
	}
	b.open("/console/")
	b.signOut()
	if st := b.signIn(fineractsim.SeedManager, fineractsim.SeedManagerPassword); st != http.StatusOK || b.text("h1") != "Status" {
		t.Fatalf("sign-in with Mifos down: %d %q %q", st, b.text(".error"), b.text("main"))
	}
	if w := b.text(".warn"); !strings.Contains(w, "You signed in while Mifos could not be reached") {
		t.Errorf("a read-only session is not said so: %q", w)
	}
	// The sign-in that found Mifos unreachable is enough for the status
	// page: no payment needs to fail first.
	b.reloadUntil("/console/", "the Mifos link down", func() bool {
		return b.dd("Now") == "not answering" && strings.Contains(b.text(".problems"), "Mifos cannot be reached")
	})
	b.snap("status-offline")
	b.open("/console/loans")
	if !b.has("#connect-password") || b.has(`form[action$="/approve"]`) {
		t.Errorf("the read-only loans page:\n%s", b.text("main"))
	}
	st, _, body = postForm(t, e.httpBase+"/console/loans/986/approve",
		url.Values{"amount": {"12000"}, "note": {"offline"}, "password": {fineractsim.SeedManagerPassword}}, b.cookies())
	if st != http.StatusServiceUnavailable || !strings.Contains(body, "Mifos cannot be reached. Nothing was changed") {
		t.Errorf("approving with Mifos down: %d\n%s", st, body)
	}
	if fin.LoanStatus(fineractsim.SeedLoanFaith) != 100 {
		t.Error("loan 986 changed while Mifos was down")
	}
	b.open("/console/messages?phone=0712345678")
	if b.has("#text") {
		t.Error("a read-only session is offered the SMS form")
	}

	// Mifos is back: the password once more on Loans, and the session
	// may act again; the status page follows.
	if err := fin.SetDown(false); err != nil {
		t.Fatal(err)
	}
	b.open("/console/loans")
	b.fill("#connect-password", fineractsim.SeedManagerPassword)
	if st := b.submit(`form[action="/console/loans/connect"] button`); st != http.StatusOK || b.text(".notice") != "Connected to Mifos as you." || b.has(".warn") {
		t.Fatalf("connecting again: %d %q %q %q", st, b.text(".notice"), b.text(".error"), b.text(".warn"))
	}
	b.reloadUntil("/console/", "the Mifos link answering again", func() bool {
		return b.dd("Now") == "answering" && !b.has(".problems")
	})

	// 7. Figures.
	css, err := http.Get(e.httpBase + "/console/static/console.css")
	if err != nil {
		t.Fatal(err)
	}
	cssBytes, _ := io.ReadAll(css.Body)
	css.Body.Close()
	t.Logf("console at %dx%d against the real daemon%s; stylesheet %d B (Cache-Control: %s)", phonebrowser.Width, phonebrowser.Height, raceNote(), len(cssBytes), css.Header.Get("Cache-Control"))
	for _, name := range b.order {
		f := b.figures[name]
		t.Logf("%-15s HTML %5.0f B + CSS %5.0f B = %5.0f B, render %4.0f ms", name, f.HTML, f.CSS, f.HTML+f.CSS, f.Render)
		// A phone on a slow link: every page (HTML + CSS) under 16 KB.
		if f.HTML+float64(len(cssBytes)) > 16<<10 || f.HTML == 0 {
			t.Errorf("%s weighs %.0f bytes with its stylesheet", name, f.HTML+float64(len(cssBytes)))
		}
	}
	time.Sleep(10 * time.Second)
	t.Logf("daemon VmRSS with [http] on: idle after start %d KiB; settled 10 s after the run above %d KiB%s", idleRSS, vmRSS(t, pid), raceNote())
}

// TestConsoleRefusesCrossOriginPosts: a page on another site cannot sign
// in to the box nor approve a loan with the manager's session; the same
// requests from the console's own pages work.
func TestConsoleRefusesCrossOriginPosts(t *testing.T) {
	e := newEnv(t, envOptions{fineract: true, http: true})
	e.start()
	e.waitHTTP()
	creds := url.Values{"username": {fineractsim.SeedManager}, "password": {fineractsim.SeedManagerPassword}}
	for _, hdr := range [][]string{
		{"Origin", "http://evil.example", "Sec-Fetch-Site", "cross-site"},
		{"Origin", "http://evil.example"}, // an older browser: Origin only
		{"Sec-Fetch-Site", "same-site", "Origin", "http://other.branch.lan:8080"},
	} {
		st, h, body := postForm(t, e.httpBase+"/console/signin", creds, nil, hdr...)
		if st != http.StatusForbidden || h.Get("Set-Cookie") != "" {
			t.Errorf("cross-origin sign-in %v: %d, cookie %q\n%s", hdr, st, h.Get("Set-Cookie"), body)
		}
	}
	// The box's own form (as chromium sends it).
	st, h, body := postForm(t, e.httpBase+"/console/signin", creds, nil, "Origin", e.httpBase, "Sec-Fetch-Site", "same-origin")
	if st != http.StatusSeeOther {
		t.Fatalf("same-origin sign-in: %d\n%s", st, body)
	}
	var cookies []*http.Cookie
	for _, c := range (&http.Response{Header: h}).Cookies() {
		cookies = append(cookies, &http.Cookie{Name: c.Name, Value: c.Value})
	}
	if len(cookies) == 0 {
		t.Fatal("the sign-in set no cookie")
	}
	approve := url.Values{"amount": {"30000"}, "note": {"forged"}}
	st, _, body = postForm(t, e.httpBase+"/console/loans/987/approve", approve, cookies, "Origin", "http://evil.example", "Sec-Fetch-Site", "cross-site")
	if st != http.StatusForbidden {
		t.Errorf("cross-origin approval: %d\n%s", st, body)
	}
	if s := e.fin.LoanStatus(fineractsim.SeedLoanBrian); s != 100 || len(loanCommands(e.fin, fineractsim.SeedLoanBrian)) != 0 {
		t.Fatalf("after a cross-origin approval loan 987 is %d, commands %+v", s, loanCommands(e.fin, fineractsim.SeedLoanBrian))
	}
	// The same approval from the console's page goes through: the 403 was
	// the origin's.
	st, h, body = postForm(t, e.httpBase+"/console/loans/987/approve", approve, cookies, "Origin", e.httpBase, "Sec-Fetch-Site", "same-origin")
	if st != http.StatusSeeOther || h.Get("Location") != "/console/loans?m=approved&loan=987" {
		t.Fatalf("same-origin approval: %d %q\n%s", st, h.Get("Location"), body)
	}
	if e.fin.LoanApprovedBy(fineractsim.SeedLoanBrian) != fineractsim.SeedManager {
		t.Errorf("loan 987 approved by %q", e.fin.LoanApprovedBy(fineractsim.SeedLoanBrian))
	}
}

// TestConsoleStatementUpload uploads an M-PESA statement of over 1 MiB
// (the console's upload route takes up to 8 MiB; every other route 1 MiB)
// to the real daemon from a signed-in manager's session: the payments
// the statement holds are recorded and posted, the report lists the SMS
// receipt the statement lacks, the Payments page shows them, and the
// same body on another route is refused with 413.
func TestConsoleStatementUpload(t *testing.T) {
	b := newPaymentsBox(t)
	e := b.e
	now := time.Now().In(eat)
	smsAt := now.Add(-2 * time.Hour)
	text := fmt.Sprintf("TKC9NOTON1 Confirmed. on %d/%d/%02d at %s Ksh800.00 received from JANE WANJIKU 0712***678. Account Number 983 New Utility balance is Ksh51,200.00",
		smsAt.Day(), int(smsAt.Month()), smsAt.Year()%100, smsAt.Format("3:04 PM"))
	if err := e.sim.Deliver(modemsim.Incoming{From: "MPESA", SenderType: "alphanumeric", Text: text, Class: -1}); err != nil {
		t.Fatal(err)
	}
	b.waitState("mpesa-ke", "TKC9NOTON1", "posted", 30*time.Second)

	rows := []string{
		statementRow("TKC2NEW001", "Completed", now.Add(-70*time.Minute), "2,000.00", "981"),
		statementRow("TKC3NEW002", "Completed", now.Add(-50*time.Minute), "300.00", "77"),
	}
	for i := range 7000 { // broken rows, to pass 1 MiB
		rows = append(rows, statementRow(fmt.Sprintf("TKX%07d", i), "Completed", now.Add(-3*time.Hour), "12O.00", "981"))
	}
	csv := []byte(statementCSV(rows...))
	if len(csv) <= 1<<20 {
		t.Fatalf("the statement is only %d bytes", len(csv))
	}

	creds := url.Values{"username": {fineractsim.SeedManager}, "password": {fineractsim.SeedManagerPassword}}
	st, h, body := postForm(t, b.base+"/console/signin", creds, nil, "Origin", b.base, "Sec-Fetch-Site", "same-origin")
	if st != http.StatusSeeOther {
		t.Fatalf("sign-in: %d\n%s", st, body)
	}
	var cookies []*http.Cookie
	for _, c := range (&http.Response{Header: h}).Cookies() {
		cookies = append(cookies, &http.Cookie{Name: c.Name, Value: c.Value})
	}
	upload := func(path string) (int, string) {
		t.Helper()
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		fw, _ := mw.CreateFormFile("statement", "statement.csv")
		_, _ = fw.Write(csv)
		_ = mw.Close()
		req, _ := http.NewRequest("POST", b.base+path, &buf)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		req.Header.Set("Origin", b.base)
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		for _, c := range cookies {
			req.AddCookie(c)
		}
		start := time.Now()
		resp, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		out, _ := io.ReadAll(resp.Body)
		t.Logf("POST %s, %d bytes: %d in %v, page %d bytes", path, len(csv), resp.StatusCode, time.Since(start).Round(time.Millisecond), len(out))
		return resp.StatusCode, string(out)
	}
	if st, _ := upload("/console/payments/undo"); st != http.StatusRequestEntityTooLarge {
		t.Errorf("the same body on another route: %d, want 413", st)
	}
	st, page := upload("/console/payments/statement")
	if st != http.StatusOK {
		t.Fatalf("upload: %d\n%.4000s", st, page)
	}
	for _, w := range []string{"<dt>Posted now</dt><dd>2 · KES 2,300.00</dd>", "<dt>Broken rows</dt><dd>7000</dd>", "… and 6950 more",
		"1 receipts inside the period are NOT on the statement", "TKC9NOTON1"} {
		if !strings.Contains(page, w) {
			t.Errorf("report lacks %q", w)
		}
	}
	b.waitState("mpesa-ke", "TKC2NEW001", "posted", 30*time.Second)
	b.waitState("mpesa-ke", "TKC3NEW002", "posted", 30*time.Second)
	req, _ := http.NewRequest("GET", b.base+"/console/payments?state=posted", nil)
	for _, c := range cookies {
		req.AddCookie(c)
	}
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	list, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, w := range []string{"TKC2NEW001", "TKC3NEW002", "TKC9NOTON1", "by statement"} {
		if !strings.Contains(string(list), w) {
			t.Errorf("payments page lacks %q", w)
		}
	}
}
