package disburse

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mifos-edge/mifos-edge/mifos"
	"github.com/mifos-edge/mifos-edge/store"
)

func paidResult(l store.DisburseLine, confirmation string) Result {
	return Result{Ref: l.Ref, Outcome: Paid, Confirmation: confirmation, Amount: l.Amount, Phone: l.Phone,
		At: time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC), Code: "0", Via: "callback"}
}

// noticesOf counts the officer's SMS that contain words.
func (r *rig) noticesOf(words string) int {
	n := 0
	for _, o := range r.toOfficer() {
		if strings.Contains(o.Text, words) {
			n++
		}
	}
	return n
}

func TestEnginePaysAndJournalsOnTheOperatorsWord(t *testing.T) {
	r := newRig(t, false)
	b, lines := r.sending(1, 2)
	r.step()
	for i, l := range lines {
		got := r.line(l.ID)
		if got.State != store.LineSent || !got.Submitted || got.ProviderRef == "" || got.Tries != 1 {
			t.Errorf("line %d after sending: %+v", i, got)
		}
		if n := r.provider.submitted(l.Ref); n != 1 {
			t.Errorf("line %d submitted %d times", i, n)
		}
	}
	o := r.provider.submits[0]
	if o.Ref != lines[0].Ref || o.Phone != "+254712000001" || o.Amount != 1000_000000 || o.Currency != "KES" || o.Remarks != "Loan 000000001" || o.LineID != lines[0].ID {
		t.Errorf("order %+v", o)
	}
	if n := len(r.journal()); n != 0 {
		t.Fatalf("journaled %d entries before any result", n)
	}

	res := paidResult(lines[0], "QKA1B2C3D4")
	r.report(res)
	got := r.line(lines[0].ID)
	if got.State != store.LineSuccessful || got.Confirmation != "QKA1B2C3D4" || got.SettledBy != "callback" || !got.CompletedAt.Equal(res.At) || got.Code != "0" {
		t.Errorf("paid line %+v", got)
	}
	j := r.journal()
	if len(j) != 1 {
		t.Fatalf("%d journal entries, want 1", len(j))
	}
	e := j[0]
	if e.ID != got.Journal || e.Kind != store.JournalLoanDisbursement || e.ExternalID != "md-"+lines[0].Ref || e.Receipt != "QKA1B2C3D4" ||
		e.PaymentTypeID != 9 || e.Date != "2026-03-02" || e.AccountID != 1 || e.Amount != 1000_000000 || e.DisburseLine != got.ID {
		t.Errorf("journal entry %+v", e)
	}
	if r.journaled != 1 {
		t.Errorf("posting woken %d times", r.journaled)
	}

	// The same callback again, and one with another receipt: no second entry.
	r.report(res)
	other := paidResult(lines[0], "QZZ9Y8X7W6")
	r.report(other)
	if n := len(r.journal()); n != 1 || r.journaled != 1 {
		t.Errorf("%d journal entries after duplicates (posting woken %d times)", n, r.journaled)
	}
	if c := r.line(lines[0].ID); c.Confirmation != "QKA1B2C3D4" || !strings.Contains(c.Conflict, "QZZ9Y8X7W6") {
		t.Errorf("line after a conflicting callback: %+v", c)
	}

	// A result naming only the operator's own id.
	second := r.line(lines[1].ID)
	r.report(Result{ProviderRef: second.ProviderRef, Outcome: Paid, Confirmation: "QKB2C3D4E5", Via: "callback"})
	if got := r.line(lines[1].ID); got.State != store.LineSuccessful {
		t.Errorf("line paid by provider ref: %+v", got)
	}
	for range 3 {
		r.step()
	}
	for _, l := range lines {
		if n := r.provider.submitted(l.Ref); n != 1 {
			t.Errorf("line %d submitted %d times", l.ID, n)
		}
	}
	if got := r.batch(b.ID); got.State != store.BatchSending {
		t.Errorf("batch %s before Mifos recorded the disbursements", got.State)
	}
	r.post(r.line(lines[0].ID), 501)
	r.post(r.line(lines[1].ID), 502)
	r.step()
	r.step()
	if got := r.batch(b.ID); got.State != store.BatchDone {
		t.Errorf("batch %s after every line finished", got.State)
	}
	if n := r.noticesOf("2 of 2 paid, KES 2,000.00"); n != 1 {
		t.Errorf("%d summaries: %+v", n, r.toOfficer())
	}
}

func TestEngineRefusedLineFails(t *testing.T) {
	r := newRig(t, false)
	_, lines := r.sending(1)
	r.provider.answer(lines[0].Ref, &RefusedError{Code: "2001", Reason: "the initiator information is invalid"})
	r.step()
	got := r.line(lines[0].ID)
	if got.State != store.LineFailed || got.Reason != "the initiator information is invalid" || got.Code != "2001" || got.SettledBy != "operator" {
		t.Errorf("refused line %+v", got)
	}
	if n := len(r.journal()); n != 0 {
		t.Errorf("a refused line journaled %d entries", n)
	}
	// Its loan may be paid by a new batch.
	if _, _, err := r.bd.Create(ctx, officer, []Item{{LoanID: 1}}, "staff 14", "grace"); err != nil {
		t.Errorf("new batch of the refused loan: %v", err)
	}
}

// A provider that surely did not get the request: the line waits and is
// sent later; the officer hears of it once; each line reaches the
// operator once.
func TestEngineNotSentWaitsAndSendsLater(t *testing.T) {
	r := newRig(t, false)
	_, lines := r.sending(1, 2)
	down := &NotSentError{Err: errors.New("dial tcp: connection refused")}
	r.provider.answer(lines[0].Ref, down, down)
	r.provider.answer(lines[1].Ref, down)
	r.step()
	got := r.line(lines[0].ID)
	if got.State != store.LinePending || !got.NextTry.Equal(r.clk.Now().Add(5*time.Minute)) || !strings.Contains(got.LastError, "connection refused") {
		t.Errorf("line after the provider was down: %+v", got)
	}
	if n := len(r.provider.submits); n != 1 {
		t.Errorf("%d submits in the first step; the rest should wait", n)
	}
	for range 4 {
		r.clk.Advance(5 * time.Minute)
		r.step()
	}
	for i, l := range lines {
		// Sent, and asked about since (no result came).
		got := r.line(l.ID)
		if got.State != store.LineUnknown || !got.Submitted || got.ProviderRef == "" {
			t.Errorf("line %d after the provider came back: %+v", i, got)
		}
	}
	// Submit reached the operator once per line; the refused attempts did not.
	if a, b := r.provider.submitted(lines[0].Ref), r.provider.submitted(lines[1].Ref); a != 3 || b != 2 {
		t.Errorf("submits %d and %d, want 3 and 2 (two and one not sent)", a, b)
	}
	if n := r.noticesOf("operator cannot be reached"); n != 1 {
		t.Errorf("officer told %d times", n)
	}
}

// An answer lost: the line is unknown, asked about, never sent again.
func TestEngineUnknownIsAskedNeverResent(t *testing.T) {
	r := newRig(t, false)
	_, lines := r.sending(1)
	l := lines[0]
	r.provider.answer(l.Ref, errors.New("read tcp 10.0.0.9:443: i/o timeout"))
	r.step()
	got := r.line(l.ID)
	if got.State != store.LineUnknown || !strings.Contains(got.LastError, "i/o timeout") || !got.NextTry.Equal(r.clk.Now().Add(2*time.Minute)) {
		t.Fatalf("line after a lost answer: %+v", got)
	}
	r.step()
	if n := len(r.provider.queries); n != 0 {
		t.Errorf("asked %d times before the result wait", n)
	}
	r.clk.Advance(2 * time.Minute)
	r.step()
	got = r.line(l.ID)
	if got.State != store.LineUnknown || got.Queries != 1 || !strings.Contains(got.LastError, "no record") || !got.NextTry.Equal(r.clk.Now().Add(5*time.Minute)) {
		t.Errorf("line after a query with no record: %+v", got)
	}
	if n := r.noticesOf("no answer from the operator"); n != 1 {
		t.Errorf("officer told %d times", n)
	}
	r.step()
	if n := len(r.provider.queries); n != 1 {
		t.Errorf("asked %d times within the query pause", n)
	}
	// A failing query is noted, and the line stays unknown.
	r.clk.Advance(5 * time.Minute)
	r.provider.queryErr = errors.New("503 Service Unavailable")
	r.step()
	if got := r.line(l.ID); got.State != store.LineUnknown || !strings.Contains(got.LastError, "status query failed: 503") {
		t.Errorf("line after a failed query: %+v", got)
	}
	// This operator has no status query: the line waits a day.
	r.clk.Advance(5 * time.Minute)
	r.provider.queryErr = ErrNoQuery
	r.step()
	if got := r.line(l.ID); !got.NextTry.Equal(r.clk.Now().Add(24 * time.Hour)) {
		t.Errorf("line of an operator without status query: next try %v", got.NextTry)
	}
	r.clk.Advance(24 * time.Hour)
	r.provider.queryErr = nil
	r.provider.query[l.Ref] = Result{Outcome: Paid, Confirmation: "QKA1B2C3D4", Amount: l.Amount}
	r.step()
	got = r.line(l.ID)
	if got.State != store.LineSuccessful || got.SettledBy != "status query" || got.Confirmation != "QKA1B2C3D4" {
		t.Errorf("line after the query found it paid: %+v", got)
	}
	if n := len(r.journal()); n != 1 {
		t.Errorf("%d journal entries", n)
	}
	if n := r.provider.submitted(l.Ref); n != 1 {
		t.Errorf("an unknown line was submitted %d times", n)
	}
	if n := r.noticesOf("no answer from the operator"); n != 1 {
		t.Errorf("officer told %d times", n)
	}
}

func TestEngineQueryNotPaidFails(t *testing.T) {
	r := newRig(t, false)
	_, lines := r.sending(1)
	r.provider.answer(lines[0].Ref, errors.New("EOF"))
	r.step()
	r.clk.Advance(2 * time.Minute)
	r.provider.query[lines[0].Ref] = Result{Outcome: NotPaid, Reason: "the receiver's wallet is closed", Code: "2040"}
	r.step()
	if got := r.line(lines[0].ID); got.State != store.LineFailed || got.Reason != "the receiver's wallet is closed" || got.SettledBy != "status query" {
		t.Errorf("line %+v", got)
	}
}

// No result within ResultWait: the line is unknown and asked about.
func TestEngineResultWait(t *testing.T) {
	r := newRig(t, false)
	_, lines := r.sending(1)
	r.step()
	r.clk.Advance(time.Minute)
	r.step()
	if got := r.line(lines[0].ID); got.State != store.LineSent {
		t.Fatalf("line unknown before the result wait: %+v", got)
	}
	r.clk.Advance(time.Minute + time.Second) // the store stamps SentAt by the wall clock
	r.step()
	if got := r.line(lines[0].ID); got.State != store.LineUnknown || got.Queries != 1 {
		t.Errorf("line after the result wait: %+v", got)
	}
}

func TestEngineReportsThatSettleNothing(t *testing.T) {
	r := newRig(t, false)
	_, lines := r.sending(1, 2, 3)
	r.step()
	l := lines[0]

	// Another amount than the line's: a person must look.
	res := paidResult(l, "QKA1B2C3D4")
	res.Amount = l.Amount + 500_000000
	r.report(res)
	got := r.line(l.ID)
	if got.State != store.LineUnknown || !strings.Contains(got.LastError, "1,500.00") || got.Journal != 0 {
		t.Errorf("line after a result with another amount: %+v", got)
	}

	// No usable confirmation: the line stays open.
	for _, conf := range []string{"", "QK-1B2C3D4", "QK1"} {
		r.report(paidResult(lines[1], conf))
		if got := r.line(lines[1].ID); got.State != store.LineSent {
			t.Errorf("line after a payment with confirmation %q: %+v", conf, got)
		}
	}

	// For no line of this box: ignored.
	before := r.line(lines[2].ID)
	for _, res := range []Result{
		{Ref: "MFEotherD1", Outcome: Paid, Confirmation: "QKA1B2C3D5"},
		{ProviderRef: "AG_999", Outcome: NotPaid, Reason: "x"},
		{Outcome: Paid, Confirmation: "QKA1B2C3D6"},
	} {
		if err := r.eng.Report(ctx, res); err != nil {
			t.Errorf("report %+v: %v", res, err)
		}
	}
	if after := r.line(lines[2].ID); after.State != before.State {
		t.Errorf("a foreign result moved line 3: %+v", after)
	}

	// The operator's queue timed out: unknown, asked about.
	r.report(Result{Ref: lines[2].Ref, Outcome: TimedOut, Via: "callback"})
	if got := r.line(lines[2].ID); got.State != store.LineUnknown {
		t.Errorf("line after a queue time-out: %+v", got)
	}
	// In progress, and an outcome nobody knows: nothing changes.
	r.report(Result{Ref: lines[1].Ref, Outcome: InProgress})
	r.report(Result{Ref: lines[1].Ref, Outcome: "weird"})
	if got := r.line(lines[1].ID); got.State != store.LineSent {
		t.Errorf("line after in-progress words: %+v", got)
	}
	if n := len(r.journal()); n != 0 {
		t.Errorf("%d journal entries", n)
	}
}

func TestEnginePreSendChecks(t *testing.T) {
	for _, c := range []struct {
		name   string
		change func(api *fakeFineract)
		why    string // "" = sent
	}{
		{"disbursed meanwhile", func(api *fakeFineract) {
			api.setLoan(1, func(l *mifos.LoanApplication) { l.StatusID = mifos.StatusActive })
		}, "disbursed in Mifos meanwhile"},
		{"rejected", func(api *fakeFineract) { api.setLoan(1, func(l *mifos.LoanApplication) { l.StatusID = 500 }) }, "no longer approved"},
		{"approved amount lowered", func(api *fakeFineract) {
			api.setLoan(1, func(l *mifos.LoanApplication) { l.ApprovedPrincipal = 900_000000 })
		}, "approved amount in Mifos is now below"},
		{"loan deleted", func(api *fakeFineract) { api.mu.Lock(); delete(api.loans, 1); api.mu.Unlock() }, "no longer has this loan"},
		{"phone changed", func(api *fakeFineract) { api.setClient(1001, func(c *mifos.Client) { c.MobileNo = "0799000001" }) }, "mobile number in Mifos changed"},
		{"phone removed", func(api *fakeFineract) { api.setClient(1001, func(c *mifos.Client) { c.MobileNo = "" }) }, "mobile number in Mifos changed"},
		{"phone written otherwise", func(api *fakeFineract) {
			api.setClient(1001, func(c *mifos.Client) { c.MobileNo = "+254 712 000 001" })
		}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := newRig(t, false)
			_, lines := r.sending(1)
			c.change(r.api)
			r.step()
			got := r.line(lines[0].ID)
			if c.why == "" {
				if got.State != store.LineSent {
					t.Errorf("line %+v", got)
				}
				return
			}
			if got.State != store.LineFailed || !strings.Contains(got.Reason, c.why) || got.SettledBy != "box" {
				t.Errorf("line %+v, want failed: %s", got, c.why)
			}
			if n := len(r.provider.submits); n != 0 {
				t.Errorf("submitted %d times", n)
			}
		})
	}
}

// Mifos cannot be asked before paying: the line waits, the officer is
// told once, and it goes on by itself when Mifos answers.
func TestEngineMifosDownWaits(t *testing.T) {
	r := newRig(t, false)
	_, lines := r.sending(1, 2)
	r.api.setDown(errors.New("dial tcp 10.0.0.5:443: connection refused"))
	for range 3 {
		r.step()
		r.clk.Advance(5 * time.Minute)
	}
	// The first line waits, and the others behind it.
	if got := r.line(lines[0].ID); got.State != store.LinePending || !strings.Contains(got.LastError, "Mifos cannot be reached") {
		t.Errorf("line while Mifos is down: %+v", got)
	}
	if got := r.line(lines[1].ID); got.State != store.LinePending {
		t.Errorf("line behind it: %+v", got)
	}
	if n := len(r.provider.submits); n != 0 {
		t.Errorf("submitted %d times without the check", n)
	}
	if n := r.noticesOf("Mifos cannot be reached"); n != 1 {
		t.Errorf("officer told %d times", n)
	}
	r.api.setDown(nil)
	r.step()
	for _, l := range lines {
		if got := r.line(l.ID); got.State != store.LineSent {
			t.Errorf("line after Mifos came back: %+v", got)
		}
	}
}

func TestEngineRunRecoversLinesLeftMidSend(t *testing.T) {
	r := newRig(t, false)
	_, lines := r.sending(1, 2)
	if _, err := r.db.MarkLineSending(lines[0].ID); err != nil { // the box stopped right after this
		t.Fatal(err)
	}
	c, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- r.eng.Run(c) }()
	// Run does its first step at once; wait for line 2 to be sent.
	deadline := time.Now().Add(10 * time.Second)
	for r.line(lines[1].ID).State != store.LineSent && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := r.line(lines[0].ID); got.State != store.LineUnknown {
		t.Errorf("line left mid-send: %+v", got)
	}
	if n := r.provider.submitted(lines[0].Ref); n != 0 {
		t.Errorf("the line left mid-send was submitted %d times", n)
	}
	if n := r.provider.submitted(lines[1].Ref); n != 1 {
		t.Errorf("line 2 submitted %d times", n)
	}
}

// ---- sms-command

// commandOf is the outbound command SMS of line id.
func (r *rig) commandOf(id uint64) store.Outbound {
	r.t.Helper()
	l := r.line(id)
	if l.OutboxID == 0 {
		r.t.Fatalf("line %d has no command SMS: %+v", id, l)
	}
	o, err := r.db.Outbound(l.OutboxID)
	if err != nil {
		r.t.Fatal(err)
	}
	return o
}

func (r *rig) reply(text string) bool {
	r.t.Helper()
	ok, err := r.eng.Reply(ctx, operatorNumber, text, time.Now())
	if err != nil {
		r.t.Fatalf("reply %q: %v", text, err)
	}
	return ok
}

func TestCommanderOneLineInFlight(t *testing.T) {
	r := newRig(t, true)
	_, lines := r.sending(1, 2)
	r.step()
	first, second := r.line(lines[0].ID), r.line(lines[1].ID)
	if first.State != store.LineSent || !first.Submitted || second.State != store.LinePending {
		t.Fatalf("after the first step: %s %s", first.State, second.State)
	}
	cmd := r.commandOf(first.ID)
	if cmd.To != operatorNumber || !cmd.AtMostOnce || !cmd.Hidden || !strings.Contains(cmd.Text, first.Ref) || strings.Contains(cmd.Shown(), "4321") {
		t.Errorf("command SMS %+v", cmd)
	}
	r.step()
	r.modemSent(cmd.ID)
	r.step()
	if got := r.line(second.ID); got.State != store.LinePending {
		t.Fatalf("a second command while the first is in flight: %+v", got)
	}
	// Not from the operator, or not a reply: not handled.
	if ok, _ := r.eng.Reply(ctx, "+254799999999", "Confirmed QKA1B2C3D4", time.Now()); ok {
		t.Error("a reply from another number was handled")
	}
	if r.reply("Your balance is Ksh 10,000") {
		t.Error("a balance notice was handled as a reply")
	}
	if !r.reply("Confirmed QKA1B2C3D4 Ksh1000.00 to +254712000001") {
		t.Fatal("the reply was not handled")
	}
	got := r.line(first.ID)
	if got.State != store.LineSuccessful || got.Confirmation != "QKA1B2C3D4" || got.SettledBy != "reply SMS" {
		t.Errorf("paid line %+v", got)
	}
	if j := r.journal(); len(j) != 1 || j[0].ExternalID != "md-"+first.Ref {
		t.Errorf("journal %+v", j)
	}
	r.step()
	if got := r.line(second.ID); got.State != store.LineSent {
		t.Errorf("the next line after the reply: %+v", got)
	}
}

func TestCommanderReplyMustFitTheLine(t *testing.T) {
	r := newRig(t, true)
	_, lines := r.sending(1)
	r.step()
	r.modemSent(r.line(lines[0].ID).OutboxID)
	for _, text := range []string{
		"Confirmed QKA1B2C3D4 Ksh1500.00 to +254712000001", // another amount
		"Confirmed QKA1B2C3D4 Ksh1000.00 to +254712999999", // another phone
	} {
		if r.reply(text) {
			t.Errorf("reply %q matched", text)
		}
		if got := r.line(lines[0].ID); got.State != store.LineSent {
			t.Errorf("after %q: %+v", text, got)
		}
	}
	if !r.reply("Failed: insufficient float") {
		t.Fatal("failure reply not handled")
	}
	if got := r.line(lines[0].ID); got.State != store.LineFailed || got.Reason != "insufficient float" {
		t.Errorf("line after a failure reply: %+v", got)
	}
	if n := len(r.journal()); n != 0 {
		t.Errorf("%d journal entries", n)
	}
}

func TestCommanderLateReplySettlesAnUnknownLine(t *testing.T) {
	r := newRig(t, true)
	_, lines := r.sending(1)
	r.step()
	r.modemSent(r.line(lines[0].ID).OutboxID)
	r.clk.Advance(2*time.Minute + time.Second)
	r.step()
	got := r.line(lines[0].ID)
	if got.State != store.LineUnknown {
		t.Fatalf("no reply within the wait: %+v", got)
	}
	if !strings.Contains(got.LastError, "mifos-edge disburse resolve") || !got.NextTry.After(r.clk.Now().Add(23*time.Hour)) {
		t.Errorf("an unknown command line waits for a reply or a person: %+v", got)
	}
	if !r.reply("Confirmed QKA1B2C3D4") {
		t.Fatal("the late reply was not handled")
	}
	if got := r.line(lines[0].ID); got.State != store.LineSuccessful {
		t.Errorf("line after the late reply: %+v", got)
	}
	// The same reply again: handled, nothing more.
	if !r.reply("Confirmed QKA1B2C3D4") {
		t.Error("the duplicate reply was not recognised")
	}
	if n := len(r.journal()); n != 1 {
		t.Errorf("%d journal entries", n)
	}
}

func TestCommanderOutboxOutcome(t *testing.T) {
	r := newRig(t, true)
	_, lines := r.sending(1, 2)
	r.step()
	id := r.line(lines[0].ID).OutboxID
	if err := errors.Join(r.db.MarkSubmitting(id, 0), r.db.MarkFailed(id, "CMS ERROR 38")); err != nil {
		t.Fatal(err)
	}
	r.step()
	if got := r.line(lines[0].ID); got.State != store.LineFailed || !strings.Contains(got.Reason, "CMS ERROR 38") {
		t.Errorf("line whose command failed: %+v", got)
	}
	r.step()
	id = r.line(lines[1].ID).OutboxID
	if err := errors.Join(r.db.MarkSubmitting(id, 0), r.db.MarkUnknown(id, "no answer after the PDU")); err != nil {
		t.Fatal(err)
	}
	r.step()
	if got := r.line(lines[1].ID); got.State != store.LineUnknown || !strings.Contains(got.LastError, "late reply") {
		t.Errorf("line whose command's fate is unknown: %+v", got)
	}
	trail, err := r.db.DisburseAuditOf(lines[1].Batch)
	if err != nil || !strings.Contains(trail[len(trail)-2].What, "no answer after the PDU") {
		t.Errorf("audit trail %+v, %v", trail, err)
	}
	if err := r.db.Requeue(id); !errors.Is(err, store.ErrAtMostOnce) {
		t.Errorf("requeue of the command: %v", err)
	}
	if n := r.noticesOf("never sends it again"); n != 1 {
		t.Errorf("officer told %d times", n)
	}
}

func TestCommanderCommandCannotBeWritten(t *testing.T) {
	r := newRig(t, true)
	_, lines := r.sending(1)
	r.commander.commandErr = errors.New("{pin}: the PIN file is empty")
	r.step()
	if got := r.line(lines[0].ID); got.State != store.LineFailed || !strings.Contains(got.Reason, "PIN file is empty") {
		t.Errorf("line %+v", got)
	}
	out, _ := r.db.ListOutbound("", 0)
	for _, o := range out {
		if o.To == operatorNumber {
			t.Errorf("queued %+v", o)
		}
	}
}

func TestSummary(t *testing.T) {
	line := func(acct, name string, s store.LineState, amount int64, posted store.JournalState, reason string) store.DisburseLine {
		return store.DisburseLine{AccountNo: acct, ClientName: name, State: s, Amount: amount, Posted: posted, Reason: reason}
	}
	b := store.DisburseBatch{ID: 12, Currency: "KES", Decimals: 2}
	var many []store.DisburseLine
	for i := range 7 {
		many = append(many, line(fmt.Sprintf("00%d", i), "Akinyi Otieno", store.LineFailed, 1_000000, "", fmt.Sprintf("reason %d", i)))
	}
	many = append(many, line("009", "Jane Doe", store.LineSuccessful, 2500_500000, store.JournalDone, ""))
	failures := func(n int) []store.DisburseLine {
		var out []store.DisburseLine
		for i := range n {
			out = append(out, line(fmt.Sprintf("10%d", i), "Baraka", store.LineFailed, 1_000000, "", "x"))
		}
		return out
	}
	for _, c := range []struct {
		name  string
		lines []store.DisburseLine
		want  string
	}{
		{"all paid", []store.DisburseLine{
			line("001", "Wanjiku Kamau", store.LineSuccessful, 1000_000000, store.JournalDone, ""),
			line("002", "Otieno", store.LineSuccessful, 2500_500000, store.JournalDone, ""),
		}, "Disbursement batch 12 done: 2 of 2 paid, KES 3,500.50."},
		{"failures with reasons", []store.DisburseLine{
			line("001", "Wanjiku Kamau", store.LineSuccessful, 1000_000000, store.JournalDone, ""),
			line("002", "Akinyi Otieno", store.LineFailed, 500_000000, "", "wallet closed"),
		}, "Disbursement batch 12 done: 1 of 2 paid, KES 1,000.00. Not paid: 002 Akinyi (wallet closed)."},
		{"Mifos refused to record one", []store.DisburseLine{
			line("001", "Wanjiku Kamau", store.LineSuccessful, 1000_000000, store.JournalFailed, ""),
			line("003", "Baraka", store.LineSuccessful, 1000_000000, store.JournalDone, ""),
		}, "Disbursement batch 12 done: 2 of 2 paid, KES 2,000.00. Paid but Mifos refused to record: 001 (see the console's Money page)."},
		{"one waits for a checker in Mifos", []store.DisburseLine{
			line("001", "Wanjiku Kamau", store.LineSuccessful, 1000_000000, store.JournalAwaitingApproval, ""),
			line("003", "Baraka", store.LineSuccessful, 1000_000000, store.JournalFailed, ""),
		}, "Disbursement batch 12 done: 2 of 2 paid, KES 2,000.00. Paid but Mifos refused to record: 003 (see the console's Money page). Paid, waiting for a checker's approval in Mifos: 001."},
		{"five failures named, the rest counted", many,
			"Disbursement batch 12 done: 1 of 8 paid, KES 2,500.50. Not paid: 000 Akinyi (reason 0); 001 Akinyi (reason 1); 002 Akinyi (reason 2); 003 Akinyi (reason 3); 004 Akinyi (reason 4); and 2 more (mifos-edge disburse list)."},
		{"five failures: all named", failures(5),
			"Disbursement batch 12 done: 0 of 5 paid, KES 0.00. Not paid: 100 Baraka (x); 101 Baraka (x); 102 Baraka (x); 103 Baraka (x); 104 Baraka (x)."},
		{"six failures: one counted", failures(6),
			"Disbursement batch 12 done: 0 of 6 paid, KES 0.00. Not paid: 100 Baraka (x); 101 Baraka (x); 102 Baraka (x); 103 Baraka (x); 104 Baraka (x); and 1 more (mifos-edge disburse list)."},
		{"nothing paid", []store.DisburseLine{line("001", "", store.LineFailed, 1, "", "cancelled")},
			"Disbursement batch 12 done: 0 of 1 paid, KES 0.00. Not paid: 001  (cancelled)."},
	} {
		if got := Summary(b, c.lines); got != c.want {
			t.Errorf("%s:\n got %q\nwant %q", c.name, got, c.want)
		}
	}
}

// A reply does not name its line: it is matched only when exactly one
// line it fits may be waiting for it. A duplicate of a settled line's
// reply, or a reply that fits two lines, settles no other line.
func TestCommanderReplyNeverGuessesTheLine(t *testing.T) {
	t.Run("duplicate while the next line is in flight", func(t *testing.T) {
		r := newRig(t, true)
		_, lines := r.sending(1, 2)
		r.step()
		r.modemSent(r.line(lines[0].ID).OutboxID)
		if !r.reply("Confirmed QKA1B2C3D4") {
			t.Fatal("reply not handled")
		}
		r.step()
		r.modemSent(r.line(lines[1].ID).OutboxID)
		if !r.reply("Confirmed QKA1B2C3D4") {
			t.Error("the duplicate was not recognised as the first line's")
		}
		if got := r.line(lines[1].ID); got.State != store.LineSent {
			t.Errorf("the line in flight was settled by another line's duplicate: %+v", got)
		}
		if n := len(r.journal()); n != 1 {
			t.Errorf("%d journal entries", n)
		}
	})
	t.Run("an unknown line and one in flight", func(t *testing.T) {
		r := newRig(t, true)
		_, lines := r.sending(1, 2)
		r.step()
		id := r.line(lines[0].ID).OutboxID
		if err := errors.Join(r.db.MarkSubmitting(id, 0), r.db.MarkUnknown(id, "modem reset")); err != nil {
			t.Fatal(err)
		}
		r.step() // line 1 unknown
		r.step() // line 2 sent
		if a, b := r.line(lines[0].ID).State, r.line(lines[1].ID).State; a != store.LineUnknown || b != store.LineSent {
			t.Fatalf("lines %s %s", a, b)
		}
		r.modemSent(r.line(lines[1].ID).OutboxID)
		if r.reply("Confirmed QKA1B2C3D4") {
			t.Error("a reply that fits two lines was matched")
		}
		if r.reply("Failed: insufficient float") {
			t.Error("a failure that fits two lines was matched")
		}
		for _, l := range lines {
			if got := r.line(l.ID); got.State.Settled() {
				t.Errorf("line %d settled by a guess: %+v", l.ID, got)
			}
		}
		// A reply that names the amount and phone picks its line.
		if !r.reply("Confirmed QKB2C3D4E5 Ksh1000.00 to +254712000002") {
			t.Fatal("a reply that fits one line was not matched")
		}
		if got := r.line(lines[1].ID); got.State != store.LineSuccessful || got.Confirmation != "QKB2C3D4E5" {
			t.Errorf("line 2: %+v", got)
		}
		if got := r.line(lines[0].ID); got.State != store.LineUnknown {
			t.Errorf("line 1: %+v", got)
		}
		// Now only line 1 may wait for a reply.
		if !r.reply("Confirmed QKA1B2C3D4") {
			t.Fatal("the late reply was not matched")
		}
		if got := r.line(lines[0].ID); got.State != store.LineSuccessful || got.Confirmation != "QKA1B2C3D4" {
			t.Errorf("line 1: %+v", got)
		}
	})
}

// The operator's word that it paid another phone than the line's is no
// proof the line was paid: a person must look.
func TestEngineReportAnotherPhone(t *testing.T) {
	r := newRig(t, false)
	_, lines := r.sending(1)
	r.step()
	res := paidResult(lines[0], "QKA1B2C3D4")
	res.Phone = "+254799000001"
	r.report(res)
	got := r.line(lines[0].ID)
	if got.State != store.LineUnknown || !strings.Contains(got.LastError, "+254799000001") || got.Journal != 0 {
		t.Errorf("line after a result with another phone: %+v", got)
	}
	// The same phone written otherwise is the line's.
	res.Phone = "0712000001"
	r.report(res)
	if got := r.line(lines[0].ID); got.State != store.LineSuccessful {
		t.Errorf("line after a result with its phone: %+v", got)
	}
}

func TestSamePhone(t *testing.T) {
	for _, c := range []struct {
		fineract, line string
		want           bool
	}{
		{"0712000001", "+254712000001", true},
		{"+254 712-000-001", "+254712000001", true},
		{"254712000001", "+254712000001", true},
		{"0799000001", "+254712000001", false},
		{"12", "+254700000012", false},
		{"", "", false},
		{"", "+254712000001", false},
		// The same national digits in another country are another phone.
		{"+255712000001", "+254712000001", false},
		{"+256712000001", "+254712000001", false},
	} {
		if got := samePhone(c.fineract, c.line, "KE"); got != c.want {
			t.Errorf("samePhone(%q, %q) = %v, want %v", c.fineract, c.line, got, c.want)
		}
	}
}

// Only a settled disbursement of a line wakes the engine: it may finish
// the line's batch. Every other posting is none of its business.
func TestRecordedWakesTheEngineForALinesDisbursement(t *testing.T) {
	for _, tc := range []struct {
		name string
		j    store.JournalEntry
		wake bool
	}{
		{"a line's disbursement done", store.JournalEntry{Kind: store.JournalLoanDisbursement, DisburseLine: 4, State: store.JournalDone}, true},
		{"a line's disbursement refused", store.JournalEntry{Kind: store.JournalLoanDisbursement, DisburseLine: 4, State: store.JournalFailed}, true},
		{"a disbursement of no line", store.JournalEntry{Kind: store.JournalLoanDisbursement, State: store.JournalDone}, false},
		{"a repayment", store.JournalEntry{Kind: store.JournalLoanRepayment, State: store.JournalDone}, false},
		{"a deposit", store.JournalEntry{Kind: store.JournalSavingsDeposit, State: store.JournalDone}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := &Engine{}
			e.Recorded(tc.j)
			if woke := len(e.wakeCh()) == 1; woke != tc.wake {
				t.Fatalf("woke %v, want %v", woke, tc.wake)
			}
		})
	}
}
