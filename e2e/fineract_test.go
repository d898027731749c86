package e2e

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mifos-edge/mifos-edge/daemon"
	"github.com/mifos-edge/mifos-edge/fineractsim"
	"github.com/mifos-edge/mifos-edge/mifos"
	"github.com/mifos-edge/mifos-edge/modemsim"
	"github.com/mifos-edge/mifos-edge/store"
)

const (
	officerPIN   = "482613"
	peter        = fineractsim.SeedPeterPhone
	amina        = fineractsim.SeedAminaPhone
	graceE164    = "+254722111222" // stored in Fineract as 0722111222
	john         = fineractsim.SeedJohnPhone
	unregistered = "+254700000002"
)

func newFineractEnv(t *testing.T) *env {
	e := newEnv(t, envOptions{fineract: true})
	e.enrollOfficer(officerPIN)
	e.start()
	return e
}

func repayments(e *env, loanID int64) []fineractsim.LoanTxn {
	var out []fineractsim.LoanTxn
	for _, tx := range e.fin.LoanTransactions(loanID) {
		if tx.Type == "Repayment" {
			out = append(out, tx)
		}
	}
	return out
}

func TestBalanceForRegisteredPhonesOnly(t *testing.T) {
	e := newFineractEnv(t)
	e.deliver(amina, "bal")
	r := e.waitReply(amina, 30*time.Second)
	for _, want := range []string{"Amina", money(t, e.fin.LoanOutstanding(fineractsim.SeedLoanAmina)), "OVERDUE", money(t, e.fin.SavingsBalance(fineractsim.SeedSavingsAmina))} {
		if !strings.Contains(r.Text, want) {
			t.Errorf("Amina's balance lacks %q: %s", want, r.Text)
		}
	}
	// Grace's number is stored in national form; she texts from E.164.
	e.deliver(graceE164, "  Balance ")
	if r := e.waitReply(graceE164, 30*time.Second); !strings.Contains(r.Text, "Grace") || !strings.Contains(r.Text, money(t, e.fin.SavingsBalance(fineractsim.SeedSavingsGrace))) {
		t.Errorf("Grace's balance: %s", r.Text)
	}
	e.deliver(unregistered, "BAL")
	if r := e.waitReply(unregistered, 30*time.Second); r.Text != notRegisteredEnglish {
		t.Errorf("unregistered phone was told %q", r.Text)
	}
}

func TestPayLoanAndSavingsConfirmedToOfficerAndClient(t *testing.T) {
	e := newFineractEnv(t)
	before := repayments(e, fineractsim.SeedLoanAmina)
	e.deliver(peter, "pay 482613 000042 L1=500 S=1,000.50")
	off := e.waitText(peter, "Posted for Amina", 30*time.Second)
	if !strings.Contains(off.Text, "L1 500.00 (txn ") || !strings.Contains(off.Text, "S1 1,000.50 (txn ") {
		t.Errorf("officer confirmation: %s", off.Text)
	}
	cl := e.waitText(amina, "we received your payment", 30*time.Second)
	for _, want := range []string{"500.00", "1,000.50", "New balance", money(t, e.fin.LoanOutstanding(fineractsim.SeedLoanAmina))} {
		if !strings.Contains(cl.Text, want) {
			t.Errorf("client confirmation lacks %q: %s", want, cl.Text)
		}
	}
	// Each item carries the deterministic id of its SMS and its place in it:
	// me-<box>-m<message id>-<item>, and the receipt ME<box><message id>I<item>,
	// where <box> is box_id and the store's install id.
	var payID uint64
	for _, m := range e.messages(store.MessageHandled) {
		if strings.Contains(m.Text, "L1=500") {
			payID = m.ID
		}
	}
	after := repayments(e, fineractsim.SeedLoanAmina)
	var receipts []string
	for _, tx := range e.fin.SavingsTransactions(fineractsim.SeedSavingsAmina) {
		if tx.Amount.String() == "1000.500000" {
			receipts = append(receipts, tx.ReceiptNumber)
		}
	}
	install := installID(t, e)
	if len(after) != len(before)+1 || after[len(after)-1].Amount.String() != "500.000000" ||
		after[len(after)-1].ExternalID != fmt.Sprintf("me-E2E-%s-m%d-1", install, payID) {
		t.Fatalf("loan repayments before %d, after %+v (message %d, install id %s)", len(before), after, payID, install)
	}
	if want := fmt.Sprintf("MEE2E%s%dI2", install, payID); len(receipts) != 1 || receipts[0] != want {
		t.Fatalf("deposits of 1000.50 with receipts %q, want one with %s", receipts, want)
	}
}

// installID stops the daemon and reads the store's install id.
func installID(t *testing.T, e *env) string {
	t.Helper()
	e.stop()
	db, err := store.Open(filepath.Join(e.dir, "state.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	id, err := db.InstallID()
	if err != nil || id == "" {
		t.Fatalf("install id %q: %v", id, err)
	}
	return id
}

func TestOfficerCommandsNeedEnrolmentAndPIN(t *testing.T) {
	e := newFineractEnv(t)
	before := len(repayments(e, fineractsim.SeedLoanAmina))
	// A client's phone is not an officer's.
	e.deliver(amina, "PAY 482613 42 L1=500")
	if r := e.waitReply(amina, 20*time.Second); r.Text != notEnrolledEnglish {
		t.Errorf("non-officer told %q", r.Text)
	}
	base := time.Now().Add(-time.Hour)
	var lockAsked, lockTold time.Time // around the attempt that locks
	var told []string
	for i, want := range []string{"2 attempt(s) left", "1 attempt(s) left", "locked until", "locked until"} {
		pin := "9999"
		if i == 3 {
			pin = officerPIN // right PIN, but the phone is locked now
		}
		if i == 2 {
			lockAsked = time.Now()
		}
		got := e.nextReply(peter, func() {
			e.deliverAt(peter, fmt.Sprintf("PAY %s 42 L1=500", pin), base.Add(time.Duration(i)*time.Second))
		})
		if i == 2 {
			lockTold = time.Now()
		}
		if !strings.Contains(got.Text, want) {
			t.Fatalf("attempt %d: officer told %q, want %q", i+1, got.Text, want)
		}
		told = append(told, got.Text)
	}
	if n := len(repayments(e, fineractsim.SeedLoanAmina)); n != before {
		t.Fatalf("refused commands posted %d repayments", n-before)
	}
	// The lock lasts 15 minutes from the attempt that set it. Its end is
	// checked as the daemon reports it, so a lock that crosses midnight
	// (set after 23:45) passes too.
	var officers []daemon.OfficerInfo
	if err := callJSON(e, daemon.OpOfficerList, nil, &officers); err != nil || len(officers) != 1 {
		t.Fatalf("officer list: %+v, %v", officers, err)
	}
	until := officers[0].LockedUntil
	if until.Before(lockAsked.Add(15*time.Minute).Truncate(time.Second)) || until.After(lockTold.Add(15*time.Minute)) {
		t.Fatalf("locked until %s, want 15 minutes after the lock was set between %s and %s", until, lockAsked, lockTold)
	}
	for _, text := range told[2:] {
		if want := "locked until " + until.Local().Format("15:04") + "."; !strings.Contains(text, want) {
			t.Fatalf("officer told %q, want %q", text, want)
		}
	}
	if out, err := e.cli("officer", "list"); err != nil || !strings.Contains(out, until.Local().Format(time.DateTime)) {
		t.Fatalf("officer list does not show the lock until %s: %v\n%s", until.Local().Format(time.DateTime), err, out)
	}
	if out, err := e.cliStdin("517394\n", "officer", "reset-pin", "--phone", peter); err != nil {
		t.Fatalf("reset-pin: %v\n%s", err, out)
	}
	// Errors an officer can act on.
	for i, c := range []struct{ text, want string }{
		{"PAY 517394 99999 L1=5", "No active client 99999"},
		{"PAY 517394 42 L3=5", "has no active loan L3"},
		{"PAY 517394 42 L1=5x", "5x"},
	} {
		if got := e.nextReply(peter, func() { e.deliverAt(peter, c.text, base.Add(time.Duration(10+i)*time.Second)) }); !strings.Contains(got.Text, c.want) {
			t.Fatalf("%q: officer told %q, want %q", c.text, got.Text, c.want)
		}
	}
	waitFor(t, 20*time.Second, "queues drained", e.drained)
	if n := len(repayments(e, fineractsim.SeedLoanAmina)); n != before {
		t.Fatalf("refused commands posted %d repayments", n-before)
	}
	if j := e.status().Store.Journal; j != (store.JournalStats{}) {
		t.Fatalf("refused commands were journaled: %+v", j)
	}
}

// nextMeeting reads group 7's next meeting date from the stand-in.
func nextMeeting(t *testing.T, e *env) mifos.Date {
	t.Helper()
	c, err := mifos.New(mifos.Config{BaseURL: e.fin.URL(), Tenant: "default", Username: "mifos", Password: "password"})
	if err != nil {
		t.Fatal(err)
	}
	g, err := c.Group(context.Background(), fineractsim.SeedGroupUmoja)
	if err != nil || g.Meeting == nil || len(g.Meeting.NextRecurringDates) == 0 {
		t.Fatalf("group 7 meeting: %+v %v", g, err)
	}
	return g.Meeting.NextRecurringDates[0]
}

func TestCollectAllExceptOneClient(t *testing.T) {
	e := newFineractEnv(t)
	meeting := nextMeeting(t, e)
	e.fin.SetBusinessDate(meeting.Time(time.UTC))
	johnBefore := len(repayments(e, fineractsim.SeedLoanJohn))
	aminaBefore := len(repayments(e, fineractsim.SeedLoanAmina))
	e.deliver(peter, "COLLECT 482613 7 ALL EXCEPT 44")
	off := e.waitText(peter, "Collection for Umoja", 30*time.Second)
	// On this meeting day only Amina (group member with an instalment due)
	// and John owe; John is excepted.
	if !strings.Contains(off.Text, "posted: 1 client(s)") {
		t.Fatalf("officer: %s", off.Text)
	}
	e.waitText(amina, "was recorded", 20*time.Second)
	if n := len(repayments(e, fineractsim.SeedLoanJohn)); n != johnBefore {
		t.Errorf("the excepted client got %d repayments", n-johnBefore)
	}
	if n := len(repayments(e, fineractsim.SeedLoanAmina)); n != aminaBefore+1 {
		t.Errorf("Amina's L1 got %d repayments, want 1", n-aminaBefore)
	}
	waitFor(t, 20*time.Second, "queues drained", e.drained)
	if s := e.sentTo(john); len(s) != 0 {
		t.Errorf("the excepted client got SMS: %+v", s)
	}
}

func TestRemindBySMSAndCLI(t *testing.T) {
	e := newFineractEnv(t)
	out, err := e.cli("remind", "--group", "7", "--dry-run")
	if err != nil || !strings.Contains(out, john) || !strings.Contains(out, "dry run") {
		t.Fatalf("remind --dry-run: %v\n%s", err, out)
	}
	// Anything a dry run queued would be sent before the outbox drains.
	waitFor(t, 20*time.Second, "queues drained", e.drained)
	if len(e.sentTo(john)) != 0 {
		t.Fatal("a dry run sent reminders")
	}
	e.deliver(peter, "REMIND 482613 7")
	e.waitText(peter, "Reminders queued for 2 client(s)", 30*time.Second)
	r := e.waitText(john, "overdue", 20*time.Second)
	meeting := nextMeeting(t, e)
	if !strings.Contains(r.Text, "meeting on "+smsDate(meeting)+".") || !strings.Contains(r.Text, "000000985") {
		t.Errorf("John's reminder lacks the loan or the next meeting %s: %s", meeting, r.Text)
	}
	e.waitText(amina, "overdue", 20*time.Second)
	waitFor(t, 20*time.Second, "queues drained", e.drained)
	if len(e.sentTo(graceE164)) != 0 {
		t.Error("Grace, who is not in arrears, was reminded")
	}
}

func TestFineractDownPaymentAcknowledgedThenPosted(t *testing.T) {
	e := newFineractEnv(t)
	// A live balance first, so the box has a snapshot.
	e.deliver(amina, "BAL")
	live := e.waitReply(amina, 30*time.Second)
	if err := e.fin.SetDown(true); err != nil {
		t.Fatal(err)
	}
	before := len(repayments(e, fineractsim.SeedLoanAmina))
	e.deliver(peter, "PAY 482613 42 L1=750")
	e.waitText(peter, "will be posted when the link is back", 30*time.Second)
	base := time.Now().Add(-time.Minute)
	e.deliverAt(amina, "BAL", base)
	cached := e.waitText(amina, "As of", 30*time.Second)
	if !strings.Contains(cached.Text, money(t, e.fin.LoanOutstanding(fineractsim.SeedLoanAmina))) || len(e.sentTo(amina)) != 2 {
		t.Errorf("cached balance %q (live one was %q)", cached.Text, live.Text)
	}
	if err := e.fin.SetDown(false); err != nil {
		t.Fatal(err)
	}
	e.waitText(peter, "Posted for Amina", 60*time.Second)
	e.waitText(amina, "we received your payment", 20*time.Second)
	if got := repayments(e, fineractsim.SeedLoanAmina); len(got) != before+1 || got[len(got)-1].Amount.String() != "750.000000" {
		t.Fatalf("after the link came back: %+v", got)
	}
	waitFor(t, 20*time.Second, "journal settled", func() bool {
		st := e.status().Store.Journal
		return st.Pending == 0 && st.Posting == 0 && st.Failed == 0
	})
}

func TestKill9WhileRepaymentInFlightPostsOnce(t *testing.T) {
	e := newFineractEnv(t)
	release := make(chan struct{})
	e.fin.HoldWrites(release)
	before := len(repayments(e, fineractsim.SeedLoanAmina))
	e.deliver(peter, "PAY 482613 42 L1=321")
	waitFor(t, 30*time.Second, "the repayment POST to be in flight", func() bool { return e.fin.HeldWrites() == 1 })
	e.kill9()
	close(release) // Fineract commits the repayment the daemon never heard about
	waitFor(t, 10*time.Second, "the held write to commit", func() bool { return len(repayments(e, fineractsim.SeedLoanAmina)) == before+1 })
	e.fin.HoldWrites(nil)
	e.start()
	e.waitText(peter, "Posted for Amina", 60*time.Second)
	got := repayments(e, fineractsim.SeedLoanAmina)
	if len(got) != before+1 {
		t.Fatalf("%d repayments after a kill -9 mid-POST, want exactly 1", len(got)-before)
	}
	var journal []store.JournalEntry
	if err := callJSON(e, daemon.OpJournal, map[string]any{}, &journal); err != nil {
		t.Fatal(err)
	}
	if len(journal) != 1 || journal[0].State != store.JournalDone || journal[0].FineractTxnIDs[0] != got[len(got)-1].ID {
		t.Fatalf("journal after recovery: %+v", journal)
	}
}

func TestBalanceWithClientPIN(t *testing.T) {
	e := newEnv(t, envOptions{fineract: true, extraSMS: "require_client_pin = true"})
	e.start()
	if out, err := e.cliStdin("735194\n", "client-pin", "--client-id", fmt.Sprint(fineractsim.SeedClientAmina)); err != nil || strings.Contains(out, "735194") {
		t.Fatalf("client-pin: %v\n%s", err, out)
	}
	base := time.Now().Add(-time.Hour)
	e.deliverAt(amina, "BAL", base)
	e.deliverAt(amina, "BAL 111111", base.Add(time.Second))
	e.deliverAt(amina, "BAL 735194", base.Add(2*time.Second))
	all := e.waitSent(30*time.Second, "three answers to Amina", func(s []modemsim.Sent) bool { return len(e.sentToLocked(s, amina)) == 3 })
	got := e.sentToLocked(all, amina)
	if got[0].Text != clientPINWrong || got[1].Text != clientPINWrong || !strings.Contains(got[2].Text, "Amina") {
		t.Fatalf("answers: %q / %q / %q", got[0].Text, got[1].Text, got[2].Text)
	}
}

// A posting Fineract refused stays for a person, who can send it again.
func TestFailedPostingCanBeRequeued(t *testing.T) {
	e := newFineractEnv(t)
	e.fin.FailNext(1, 403)
	e.deliver(peter, "PAY 482613 42 L1=100")
	e.waitText(peter, "NOT posted", 30*time.Second)
	out, err := e.cli("postings", "--state", "failed")
	if err != nil || !strings.Contains(out, "failed") {
		t.Fatalf("postings: %v\n%s", err, out)
	}
	var failed []store.JournalEntry
	if err := callJSON(e, daemon.OpJournal, map[string]any{"state": "failed"}, &failed); err != nil || len(failed) != 1 {
		t.Fatalf("failed postings %+v, %v", failed, err)
	}
	if out, err := e.cli("postings", "requeue", fmt.Sprint(failed[0].ID)); err != nil {
		t.Fatalf("requeue: %v\n%s", err, out)
	}
	e.waitText(peter, "Posted for Amina", 30*time.Second)
}
