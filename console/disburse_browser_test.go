package console

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/mifos-edge/mifos-edge/disburse"
	"github.com/mifos-edge/mifos-edge/internal/phonebrowser"
	"github.com/mifos-edge/mifos-edge/mifos"
	"github.com/mifos-edge/mifos-edge/store"
)

// The Disburse pages in the phone-sized browser with JavaScript off: the
// loan officer ticks two loans and builds a batch above their limit, which
// waits for approval; the approver signs in, approves and sends it; the
// operator pays one line and leaves the other unknown. Screenshots:
// docs/screenshots/console-disburse-*.png with CONSOLE_SCREENSHOTS=1.
func TestDisburseInABrowser(t *testing.T) {
	phonebrowser.Find(t)
	r, _ := disburseRig(t)
	ctx := phonebrowser.Open(t, 2*time.Minute)
	shots := newShooter(t, ctx)
	snap, text := shots.snap, shots.text
	do := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	signIn := func(user, password string) {
		t.Helper()
		do("sign in as "+user,
			chromedp.Navigate(r.srv.URL+"/console/signin"),
			chromedp.WaitVisible(chromedp.CSS("#username")),
			chromedp.SendKeys(chromedp.CSS("#username"), user),
			chromedp.SendKeys(chromedp.CSS("#password"), password),
			chromedp.Click(chromedp.CSS("form button[type=submit]")),
			chromedp.WaitVisible(chromedp.CSS("nav")),
		)
	}

	// The officer builds a batch of two loans: 85,000 KES, above their
	// 50,000 KES limit.
	signIn("officer", officerPassword)
	do("open Disburse", chromedp.Navigate(r.srv.URL+"/console/disburse"), chromedp.WaitVisible(chromedp.CSS(`form[action="/console/disburse"]`)))
	if s := text("main"); !strings.Contains(s, "Your limit: KES 50,000.00 a batch") || !strings.Contains(s, "Achieng Mary") || !strings.Contains(s, "no phone") {
		t.Errorf("the New batch section: %q", s)
	}
	snap("disburse-new")
	do("build",
		chromedp.Click(chromedp.CSS(`input[name=loan][value="501"]`)),
		chromedp.Click(chromedp.CSS(`input[name=loan][value="502"]`)),
		chromedp.Click(chromedp.CSS(`form[action="/console/disburse"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(".notice")),
	)
	if h := text("h1"); h != "Batch 1" {
		t.Fatalf("after building the page is %q", h)
	}
	if s := text("main"); !strings.Contains(s, "waiting for approval") || !strings.Contains(s, "KES 85,000.00 · 2 lines") || !strings.Contains(s, "another disbursement approver must approve it") {
		t.Errorf("the new batch: %q", s)
	}
	snap("disburse-waiting")
	do("sign out", chromedp.Click(chromedp.CSS("header button")), chromedp.WaitVisible(chromedp.CSS("#username")))

	// The approver finds it in the list, approves it and sends it.
	signIn("approver", approverPassword)
	do("open the list", chromedp.Navigate(r.srv.URL+"/console/disburse"), chromedp.WaitVisible(chromedp.CSS(`a[href="/console/disburse/1"]`)))
	do("open the batch", chromedp.Click(chromedp.CSS(`a[href="/console/disburse/1"]`)), chromedp.WaitVisible(chromedp.CSS(`form[action$="/approve"]`)))
	snap("disburse-approve")
	do("approve", chromedp.Click(chromedp.CSS(`form[action$="/approve"] button`)), chromedp.WaitVisible(chromedp.CSS(`form[action$="/send"]`)))
	if n := text(".notice"); n != "Batch 1 is approved; it can be sent." {
		t.Errorf("after approving: %q", n)
	}
	// The approved page has a notice too: wait for the send form to go.
	do("send", chromedp.Click(chromedp.CSS(`form[action$="/send"] button`)), chromedp.WaitNotPresent(chromedp.CSS(`form[action$="/send"]`)),
		chromedp.WaitVisible(chromedp.CSS(".notice")))
	if n := text(".notice"); !strings.Contains(n, "is being paid") {
		t.Errorf("after sending: %q", n)
	}
	b, lines := r.batch(1)
	if b.State != store.BatchSending || b.ApprovedBy != "approver" || b.SentBy != "approver (console)" {
		t.Fatalf("stored: %+v", b)
	}

	// The engine's part: the operator pays the first line (Mifos records
	// the disbursement) and gives no answer about the second.
	paid := lines[0]
	if _, err := r.db.MarkLineSending(paid.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := r.db.MarkLineSubmitted(paid.ID, "AG_20261207_0001"); err != nil {
		t.Fatal(err)
	}
	e := disburse.DisbursementEntry(paid, "QKX7Y2Z9AB", 7, mifos.DateOf(r.clock.Now()))
	settled, _, err := r.db.SettleLine(paid.ID, store.LineOutcome{State: store.LineSuccessful, Confirmation: "QKX7Y2Z9AB", CompletedAt: r.clock.Now(),
		By: "callback", Disbursement: &e})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.db.MarkJournalPosting(settled.Journal, "kd1"); err != nil {
		t.Fatal(err)
	}
	if err := r.db.SettleJournal(settled.Journal, store.JournalDone, []int64{9101}, "disbursed", nil); err != nil {
		t.Fatal(err)
	}
	r.unknownLines(1)
	do("reload", chromedp.Navigate(r.srv.URL+"/console/disburse/1"), chromedp.WaitVisible(chromedp.CSS("details")))
	if s := text("main"); !strings.Contains(s, "1 successful · 1 unknown") || !strings.Contains(s, "confirmation QKX7Y2Z9AB") ||
		!strings.Contains(s, "Mifos transaction 9101") || !strings.Contains(s, "Nobody knows yet whether this reached the client") {
		t.Errorf("the batch after sending: %q", s)
	}
	// The form to record what the operator says, folded until opened.
	do("open the form", chromedp.Click(chromedp.CSS("details summary")), chromedp.WaitVisible(chromedp.CSS(`input[name=confirmation]`)))
	snap("disburse-sent")
	do("open the list", chromedp.Navigate(r.srv.URL+"/console/disburse"), chromedp.WaitVisible(chromedp.CSS(".item")))
	snap("disburse-list")
	shots.weigh()
}
