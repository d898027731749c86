package console

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/mifos-edge/mifos-edge/internal/phonebrowser"
	"github.com/mifos-edge/mifos-edge/store"
)

// The pages in a real headless browser (Debian's chromium) at a phone's
// width, with JavaScript switched off: sign in, read the status, approve a
// loan, look at the money. Each page is screenshotted; with
// CONSOLE_SCREENSHOTS=1 the screenshots go to docs/screenshots/ (the ones
// committed), else to a temporary directory.
//
// Without chromium the test is skipped on a developer's machine, but fails
// where CI is set: there the browser check must run.
func TestConsoleInABrowser(t *testing.T) {
	phonebrowser.Find(t) // before the rig: skip early without a browser
	r := newRig(t)
	// A failed posting, so the status page has a problem to show and the
	// money page a requeue button.
	id, err := r.db.AppendJournal(store.JournalEntry{Batch: 9, Kind: store.JournalLoanRepayment, AccountID: 43, AccountNo: "000000043",
		ClientName: "Opio Peter", Amount: 20_000 * 1_000_000, Currency: "UGX", Date: today(r), ExternalID: "sms-9"})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.db.MarkJournalPosting(id, "k9"); err != nil {
		t.Fatal(err)
	}
	if err := r.db.FailJournalWith(id, nil, "fineract 403 error.msg.loan.closed", "the loan is closed in Mifos", nil); err != nil {
		t.Fatal(err)
	}

	ctx := phonebrowser.Open(t, 2*time.Minute)
	shots := newShooter(t, ctx)
	snap, text := shots.snap, shots.text

	// Sign in.
	if err := chromedp.Do(ctx, chromedp.Navigate(r.srv.URL+"/"), chromedp.WaitVisible(chromedp.CSS("#username"))); err != nil {
		t.Fatal(err)
	}
	snap("signin")
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS("#username"), "manager"),
		chromedp.SendKeys(chromedp.CSS("#password"), managerPassword),
		chromedp.Click(chromedp.CSS("form button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS(".problems")),
	); err != nil {
		t.Fatal(err)
	}
	if h := text("h1"); h != "Status" {
		t.Errorf("after sign-in the page is %q, want Status", h)
	}
	if p := text(".problems"); !strings.Contains(p, "1 payment postings failed") {
		t.Errorf("status problems: %q", p)
	}
	snap("status")

	// Approve loan 41 with the form's defaults.
	if err := chromedp.Do(ctx, chromedp.Navigate(r.srv.URL+"/console/loans"), chromedp.WaitVisible(chromedp.CSS("#loan-41"))); err != nil {
		t.Fatal(err)
	}
	if l := text("#loan-41"); !strings.Contains(l, "1,500,000 UGX") || !strings.Contains(l, "Akello Grace") {
		t.Errorf("loan card: %q", l)
	}
	snap("loans")
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS("#note-41"), "seen the group"),
		chromedp.Click(chromedp.CSS(`#loan-41 form[action$="/approve"] button`)),
		chromedp.WaitVisible(chromedp.CSS(".notice")),
	); err != nil {
		t.Fatal(err)
	}
	if n := text(".notice"); n != "Loan 41 approved in Mifos." {
		t.Errorf("after approving: %q", n)
	}
	if d, done := r.fin.decision(41); !done || d.by != "manager" || d.approval.Note != "seen the group" || d.approval.Amount != 1_500_000*1_000_000 {
		t.Errorf("Mifos got %+v", d)
	}
	snap("loans-approved")

	if err := chromedp.Do(ctx, chromedp.Navigate(r.srv.URL+"/console/money"), chromedp.WaitVisible(chromedp.CSS(".why"))); err != nil {
		t.Fatal(err)
	}
	snap("money")

	// A conversation, and an SMS written and sent from the form.
	receive(t, r.db, "fp-b1", "+256772000001", "BAL")
	if _, err := r.db.Enqueue(store.Outbound{To: "+256772000001", Text: "Loan 000000041: balance 1,200,000 UGX, next 30,000 UGX on 9 Dec."}); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx,
		chromedp.Navigate(r.srv.URL+"/console/messages"),
		chromedp.SendKeys(chromedp.CSS("#phone"), "0772 000001"),
		chromedp.Click(chromedp.CSS("form.search button")),
		chromedp.WaitVisible(chromedp.CSS("#text")),
		chromedp.SendKeys(chromedp.CSS("#text"), "Group meeting moved to Friday 10:00."),
		chromedp.Click(chromedp.CSS(`form[action="/console/messages"][method="post"] button`)),
		chromedp.WaitVisible(chromedp.CSS(".notice")),
	); err != nil {
		t.Fatal(err)
	}
	if out, _ := r.db.ListOutbound(store.OutQueued, 1); len(out) != 1 || out[0].Text != "Group meeting moved to Friday 10:00." {
		t.Errorf("the SMS written in the browser was not queued: %+v", out)
	}
	snap("messages")

	if err := chromedp.Do(ctx, chromedp.Navigate(r.srv.URL+"/console/reminders?preview=1&group=5"), chromedp.WaitVisible(chromedp.CSS(".item"))); err != nil {
		t.Fatal(err)
	}
	snap("reminders")

	shots.weigh()
}

// shooter screenshots the pages a browser test visits and keeps what
// each weighs: into docs/screenshots/console-NAME.png with
// CONSOLE_SCREENSHOTS=1, else into a temporary directory.
type shooter struct {
	t       *testing.T
	ctx     context.Context
	dir     string
	names   []string
	figures map[string]phonebrowser.Figures
}

func newShooter(t *testing.T, ctx context.Context) *shooter {
	return &shooter{t: t, ctx: ctx, dir: phonebrowser.ShotsDir(t, ".."), figures: map[string]phonebrowser.Figures{}}
}

// snap measures and screenshots the page shown: it must fit the phone's
// width and load nothing but its stylesheet.
func (s *shooter) snap(name string) {
	t := s.t
	t.Helper()
	f, err := phonebrowser.Measure(s.ctx)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	png, err := chromedp.Run(s.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if f.Wide > phonebrowser.Width {
		t.Errorf("%s is %.0f px wide, wider than the phone's %d px: it scrolls sideways", name, f.Wide, phonebrowser.Width)
	}
	if len(f.Others) != 0 {
		t.Errorf("%s loads more than its stylesheet: %q", name, f.Others)
	}
	if _, seen := s.figures[name]; !seen {
		s.names = append(s.names, name)
	}
	s.figures[name] = f
	if err := os.WriteFile(filepath.Join(s.dir, "console-"+name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// text is the text of the element sel.
func (s *shooter) text(sel string) string {
	s.t.Helper()
	v, err := chromedp.Run(s.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		s.t.Fatalf("text of %s: %v", sel, err)
	}
	return v
}

// weigh logs each page's weight and load time, and fails a page that a
// phone on a slow link would wait for: every page (HTML + CSS) stays
// under 16 KB.
func (s *shooter) weigh() {
	for _, name := range s.names {
		f := s.figures[name]
		s.t.Logf("%-17s HTML %5.0f B + CSS %5.0f B = %5.0f B, load %4.0f ms", name, f.HTML, f.CSS, f.HTML+f.CSS, f.Render)
		if f.HTML+f.CSS > 16<<10 || f.HTML == 0 {
			s.t.Errorf("%s weighs %.0f bytes", name, f.HTML+f.CSS)
		}
	}
}
