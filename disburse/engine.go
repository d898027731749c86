package disburse

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/mifos-edge/mifos-edge/mifos"
	"github.com/mifos-edge/mifos-edge/phone"
	"github.com/mifos-edge/mifos-edge/store"
)

// Engine pays the lines of sending batches through one provider, takes
// the operator's results, asks about unknown outcomes and tells the
// officer. Exactly one of Provider and Commander is set.
type Engine struct {
	DB        *store.DB
	API       Fineract
	Provider  Provider
	Commander Commander
	// PaymentTypeID is Fineract's payment type of the disbursements.
	PaymentTypeID int64
	// Today is the date disbursements are recorded on (Fineract's business date).
	Today func(ctx context.Context) mifos.Date
	// ResultWait: a sent line without a result after it is unknown.
	ResultWait time.Duration
	// QueryEvery is the pause between status queries (and between tries
	// while the provider or Mifos is down).
	QueryEvery time.Duration
	// Journaled wakes the posting worker; Queued wakes the outbox.
	Journaled, Queued func()
	Log               *slog.Logger
	// Country reads numbers written without a country code (sms.country).
	Country string
	// Now is the clock (tests); default time.Now.
	Now func() time.Time

	wakeOnce sync.Once
	wake     chan struct{}
	// mu keeps one step at a time: the loop, a report, a reply.
	mu sync.Mutex
}

// Notices given to the officer once per batch.
const (
	toldProviderDown = "provider-down"
	toldMifosDown    = "mifos-down"
	toldUnknown      = "unknown"
)

func (e *Engine) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

func (e *Engine) log() *slog.Logger {
	if e.Log == nil {
		return slog.Default()
	}
	return e.Log
}

func (e *Engine) wakeCh() chan struct{} {
	e.wakeOnce.Do(func() { e.wake = make(chan struct{}, 1) })
	return e.wake
}

// Nudge makes the engine look at its lines now (a batch was sent).
func (e *Engine) Nudge() {
	select {
	case e.wakeCh() <- struct{}{}:
	default:
	}
}

// Recorded takes word that Fineract settled journal entry j. A line's
// disbursement recorded (or refused) may be the last thing its batch
// waits for, and an idle engine looks only once a minute: it looks now,
// so the officer's summary leaves at once.
func (e *Engine) Recorded(j store.JournalEntry) {
	if j.Kind == store.JournalLoanDisbursement && j.DisburseLine != 0 {
		e.Nudge()
	}
}

// Run works until ctx ends. It first makes every line left mid-send by a
// crash unknown (RecoverDisburse): asked about, never sent again.
func (e *Engine) Run(ctx context.Context) error {
	n, err := e.DB.RecoverDisburse()
	if err != nil {
		return fmt.Errorf("recover disbursement lines: %w", err)
	}
	if n > 0 {
		e.log().Warn("disbursement lines were being sent when the box stopped; their outcome is unknown and the operator is asked (never sent again)", "lines", n)
	}
	for {
		next := e.Step(ctx)
		wait := min(max(time.Until(next), 200*time.Millisecond), time.Minute)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-e.wakeCh():
		case <-t.C:
		}
		t.Stop()
	}
}

// Step does everything that is due once, and says when something is due
// next (a line to send, a result overdue, a status query).
func (e *Engine) Step(ctx context.Context) (next time.Time) {
	e.mu.Lock()
	defer e.mu.Unlock()
	retry := e.now().Add(time.Second)
	sent, err := e.DB.DisburseLines(store.LineSent)
	if err != nil {
		e.log().Error("read disbursement lines", "err", err)
		return retry
	}
	for _, l := range sent {
		e.checkSent(ctx, l)
	}
	if err := e.sendDue(ctx); err != nil {
		e.log().Error("send disbursement lines", "err", err)
	}
	unknown, err := e.DB.DisburseLines(store.LineUnknown)
	if err != nil {
		e.log().Error("read disbursement lines", "err", err)
		return retry
	}
	for _, l := range unknown {
		if !l.NextTry.After(e.now()) {
			e.query(ctx, l)
		}
	}
	e.finishBatches()
	return e.nextDue()
}

// nextDue is when the engine next has something to do; far ahead when
// nothing moves (a new batch wakes it through Nudge).
func (e *Engine) nextDue() time.Time {
	now := e.now()
	next := now.Add(time.Hour)
	soon := func(t time.Time) {
		if t.Before(next) {
			next = t
		}
	}
	if sent, err := e.DB.DisburseLines(store.LineSent); err == nil && len(sent) > 0 {
		// Waiting for the operator's result, or the modem's word on a command SMS.
		soon(now.Add(time.Second))
	}
	if unknown, err := e.DB.DisburseLines(store.LineUnknown); err == nil {
		for _, l := range unknown {
			soon(l.NextTry)
		}
	}
	if pending, err := e.DB.DisburseLines(store.LinePending); err == nil {
		batches := map[uint64]bool{}
		for _, l := range pending {
			sending, ok := batches[l.Batch]
			if !ok {
				b, _, err := e.DB.DisburseBatch(l.Batch)
				sending = err == nil && b.State == store.BatchSending
				batches[l.Batch] = sending
			}
			if sending {
				soon(l.NextTry)
			}
		}
	}
	return next
}

func orderOf(l store.DisburseLine) Order {
	return Order{LineID: l.ID, Ref: l.Ref, Phone: l.Phone, Amount: l.Amount, Currency: l.Currency,
		Remarks: "Loan " + l.AccountNo}
}

// sendDue sends the pending lines of sending batches, oldest first; a
// provider by SMS commands has one line in flight at a time, since its
// reply does not name the line.
func (e *Engine) sendDue(ctx context.Context) error {
	pending, err := e.DB.DisburseLines(store.LinePending)
	if err != nil {
		return err
	}
	batches := map[uint64]store.DisburseBatch{}
	for _, l := range pending {
		if ctx.Err() != nil {
			return nil
		}
		if l.NextTry.After(e.now()) {
			continue
		}
		b, ok := batches[l.Batch]
		if !ok {
			if b, _, err = e.DB.DisburseBatch(l.Batch); err != nil {
				return err
			}
			batches[l.Batch] = b
		}
		if b.State != store.BatchSending {
			continue
		}
		if e.Commander != nil {
			inFlight, err := e.DB.DisburseLines(store.LineSent)
			if err != nil {
				return err
			}
			if len(inFlight) > 0 {
				return nil
			}
		}
		if stop := e.send(ctx, b, l); stop {
			return nil
		}
	}
	return nil
}

// send pays one line; stop means the provider or Mifos is down, so the
// rest wait too.
func (e *Engine) send(ctx context.Context, b store.DisburseBatch, l store.DisburseLine) (stop bool) {
	log := e.log().With("batch", l.Batch, "line", l.ID, "loan", l.LoanID)
	// The loan is checked again right before paying: disbursed meanwhile
	// (in cash), rejected, or its client's phone changed.
	if why, err := e.stillPayable(ctx, l); err != nil {
		next := e.now().Add(e.QueryEvery)
		log.Warn("cannot check the loan in Mifos before paying; the line waits", "err", err)
		if _, err := e.DB.DeferLine(l.ID, "Mifos cannot be reached to check the loan before paying: "+err.Error(), next); err != nil {
			log.Error("defer line", "err", err)
		}
		e.tell(b, toldMifosDown, fmt.Sprintf("Disbursement batch %d waits: Mifos cannot be reached to check the loans before paying. It goes on by itself when Mifos answers.", b.ID))
		return true
	} else if why != "" {
		e.settle(l, store.LineOutcome{State: store.LineFailed, Reason: why, By: "box"})
		return false
	}
	o := orderOf(l)
	if e.Commander != nil {
		to, text, err := e.Commander.Command(o)
		if err != nil {
			e.settle(l, store.LineOutcome{State: store.LineFailed, Reason: "the payment command could not be written: " + err.Error(), By: "box"})
			return false
		}
		if _, err := e.DB.MarkLineCommand(l.ID, store.Outbound{To: to, Text: text, Origin: fmt.Sprintf("disburse:%d", l.ID),
			Priority: store.PriorityInteractive}); err != nil {
			log.Error("queue the payment command", "err", err)
			return true
		}
		log.Info("payment command queued to the operator")
		if e.Queued != nil {
			e.Queued()
		}
		return true // one in flight
	}
	// The line is durably "sent" before the request leaves: a crash from
	// here on leaves it unknown, never sent again.
	if _, err := e.DB.MarkLineSending(l.ID); err != nil {
		log.Error("mark line sending", "err", err)
		return true
	}
	ref, err := e.Provider.Submit(ctx, o)
	var notSent *NotSentError
	var refused *RefusedError
	switch {
	case err == nil:
		if _, err := e.DB.MarkLineSubmitted(l.ID, ref); err != nil {
			log.Error("record the operator's acceptance", "err", err)
		}
		log.Info("payment accepted by the operator", "provider_ref", ref)
	case errors.As(err, &notSent):
		next := e.now().Add(e.QueryEvery)
		if _, err2 := e.DB.ReleaseLine(l.ID, err.Error(), next); err2 != nil {
			log.Error("release line", "err", err2)
		}
		log.Warn("the operator cannot be reached; the line waits", "err", err)
		e.tell(b, toldProviderDown, fmt.Sprintf("Disbursement batch %d: the operator cannot be reached; the payments wait and are sent when it answers. Nothing was paid twice.", b.ID))
		return true
	case errors.As(err, &refused):
		e.settle(l, store.LineOutcome{State: store.LineFailed, Reason: refused.Reason, Code: refused.Code, By: "operator"})
	default:
		log.Warn("the operator's answer was lost; the outcome is unknown and it will be asked", "err", err)
		if _, err2 := e.DB.LineUnknown(l.ID, "no clear answer from the operator: "+err.Error(), e.now().Add(e.ResultWait)); err2 != nil {
			log.Error("mark line unknown", "err", err2)
		}
	}
	return false
}

// stillPayable reads the loan again: why is "" when it may be paid; err
// when Mifos cannot be asked.
func (e *Engine) stillPayable(ctx context.Context, l store.DisburseLine) (why string, err error) {
	app, err := e.API.LoanApplication(ctx, l.LoanID)
	if err != nil {
		if mifos.IsNotFoundAnswer(err) {
			return "Mifos no longer has this loan: not paid", nil
		}
		return "", err
	}
	switch {
	case app.StatusID == mifos.StatusActive:
		return "the loan was disbursed in Mifos meanwhile (not by this box): not paid", nil
	case app.StatusID != mifos.StatusApproved:
		return fmt.Sprintf("the loan is no longer approved in Mifos (status %d): not paid", app.StatusID), nil
	}
	approved := app.ApprovedPrincipal
	if approved == 0 {
		approved = app.Principal
	}
	if int64(approved) < l.Amount {
		return "the approved amount in Mifos is now below this line's amount: not paid", nil
	}
	cl, err := e.API.Client(ctx, l.ClientID)
	if err != nil {
		return "", err
	}
	if !samePhone(cl.MobileNo, l.Phone, e.Country) {
		return "the client's mobile number in Mifos changed after the batch was built: not paid (build a new batch)", nil
	}
	return "", nil
}

// samePhone reports whether a number as Fineract (or an operator) writes
// it is the line's number: both read in the box's country, compared whole
// (a national number alone would match the same digits in another country).
func samePhone(other, line, country string) bool {
	a, err := phone.Normalize(other, country)
	if err != nil {
		return false
	}
	b, err := phone.Normalize(line, country)
	return err == nil && a == b
}

// checkSent moves a sent line on when its answer is overdue, or, for a
// command SMS, when the modem could not send it or nobody knows.
func (e *Engine) checkSent(ctx context.Context, l store.DisburseLine) {
	log := e.log().With("batch", l.Batch, "line", l.ID)
	since := l.SentAt
	if e.Commander != nil && l.OutboxID != 0 {
		o, err := e.DB.Outbound(l.OutboxID)
		if err != nil {
			log.Error("read the payment command SMS", "err", err)
			return
		}
		switch o.State {
		case store.OutFailed:
			// The modem refused it every time: it never left the box.
			e.settle(l, store.LineOutcome{State: store.LineFailed, Reason: "the payment command SMS could not be sent by the modem: " + o.LastError, By: "box"})
			return
		case store.OutUnknown:
			if _, err := e.DB.LineUnknown(l.ID, "the payment command SMS may or may not have left the modem: "+o.LastError, e.now()); err != nil {
				log.Error("mark line unknown", "err", err)
			}
			return
		case store.OutSubmitted:
			since = o.SubmittedAt
		default:
			return // still queued: the wait starts when it leaves
		}
	}
	if !l.Submitted || e.now().Sub(since) < e.ResultWait {
		return
	}
	if _, err := e.DB.LineUnknown(l.ID, fmt.Sprintf("no result from the operator within %s", e.ResultWait), e.now()); err != nil {
		log.Error("mark line unknown", "err", err)
	}
}

// query asks the operator about an unknown line.
func (e *Engine) query(ctx context.Context, l store.DisburseLine) {
	b, _, err := e.DB.DisburseBatch(l.Batch)
	if err == nil {
		e.tell(b, toldUnknown, fmt.Sprintf("Disbursement batch %d: no answer from the operator for %s (loan %s, %s); the box is asking the operator and never sends it again. Check: mifos-edge disburse list.",
			b.ID, l.ClientName, l.AccountNo, money(l.Currency, l.Decimals, l.Amount)))
	}
	next := e.now().Add(e.QueryEvery)
	if e.Provider == nil {
		if _, err := e.DB.NoteLineQuery(l.ID, "waiting for the operator's late reply, or for a person who checked with the operator (mifos-edge disburse resolve)", e.now().Add(24*time.Hour)); err != nil {
			e.log().Error("note line", "err", err)
		}
		return
	}
	qctx, cancel := context.WithTimeout(ctx, max(e.ResultWait, 30*time.Second))
	defer cancel()
	r, err := e.Provider.Query(qctx, orderOf(l), l.ProviderRef)
	if errors.Is(err, ErrNoQuery) {
		next = e.now().Add(24 * time.Hour)
	}
	if err != nil {
		if _, err2 := e.DB.NoteLineQuery(l.ID, "status query failed: "+err.Error(), next); err2 != nil {
			e.log().Error("note line query", "err", err2)
		}
		return
	}
	r.Ref, r.Via = l.Ref, "status query"
	e.apply(l, r, next)
}

// Report takes a result that arrived on its own (a callback). A result
// for no line of this box is logged and dropped.
func (e *Engine) Report(_ context.Context, r Result) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	var l store.DisburseLine
	var err error
	if r.Ref != "" {
		l, err = e.DB.DisburseLineByRef(r.Ref)
	} else {
		l, err = e.lineByProviderRef(r.ProviderRef)
	}
	if errors.Is(err, store.ErrNotFound) {
		e.log().Warn("operator result for no disbursement line of this box; ignored", "ref", r.Ref, "provider_ref", r.ProviderRef, "via", r.Via)
		return nil
	}
	if err != nil {
		return err
	}
	e.apply(l, r, e.now().Add(e.QueryEvery))
	return nil
}

func (e *Engine) lineByProviderRef(ref string) (store.DisburseLine, error) {
	if ref != "" {
		for _, s := range []store.LineState{store.LineSent, store.LineUnknown, store.LineSuccessful, store.LineFailed} {
			lines, err := e.DB.DisburseLines(s)
			if err != nil {
				return store.DisburseLine{}, err
			}
			for _, l := range lines {
				if l.ProviderRef == ref {
					return l, nil
				}
			}
		}
	}
	return store.DisburseLine{}, fmt.Errorf("provider ref %q: %w", ref, store.ErrNotFound)
}

// Reply reads an SMS from the operator (sms-command); handled false when
// it is no reply to a payment command of this box.
func (e *Engine) Reply(ctx context.Context, from, text string, received time.Time) (bool, error) {
	if e.Commander == nil {
		return false, nil
	}
	r, ok := e.Commander.Reply(from, text, received)
	if !ok {
		return false, nil
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	l, found, err := e.replyLine(r)
	if err != nil || !found {
		if err == nil {
			e.log().Warn("operator reply matches no payment command in flight; kept for a person", "from", from)
		}
		return false, err
	}
	r.Ref = l.Ref
	e.apply(l, r, e.now().Add(24*time.Hour))
	return true, nil
}

// replyLine is the line an operator's reply is about. A reply names no
// line, so it is matched only where that is no guess: a confirmation a
// settled line holds already is that line's duplicate; otherwise the reply
// must fit (its amount and phone, when it gives them) exactly one line that
// may be waiting for a reply: the command in flight, or an unknown one
// whose reply is late. A reply that fits none, or several, is left for a
// person: settling the wrong line would tell Mifos of a payment that was
// not made, and leave the paid one free to be paid again.
func (e *Engine) replyLine(r Result) (store.DisburseLine, bool, error) {
	if r.Confirmation != "" {
		paid, err := e.DB.DisburseLines(store.LineSuccessful)
		if err != nil {
			return store.DisburseLine{}, false, err
		}
		for _, l := range paid {
			if l.OutboxID != 0 && l.Confirmation == r.Confirmation {
				return l, true, nil
			}
		}
	}
	fits := func(l store.DisburseLine) bool {
		return (r.Amount == 0 || r.Amount == l.Amount) && (r.Phone == "" || samePhone(r.Phone, l.Phone, e.Country))
	}
	var found []store.DisburseLine
	for _, s := range []store.LineState{store.LineSent, store.LineUnknown} {
		lines, err := e.DB.DisburseLines(s)
		if err != nil {
			return store.DisburseLine{}, false, err
		}
		for _, l := range lines {
			if l.OutboxID != 0 && fits(l) {
				found = append(found, l)
			}
		}
	}
	if len(found) > 1 {
		ids := make([]uint64, len(found))
		for i, l := range found {
			ids[i] = l.ID
		}
		e.log().Warn("operator reply fits several payment commands that wait for a reply; not matched (a person settles them)", "lines", ids)
		return store.DisburseLine{}, false, nil
	}
	if len(found) == 0 {
		return store.DisburseLine{}, false, nil
	}
	return found[0], true, nil
}

// apply records the operator's word r on line l.
func (e *Engine) apply(l store.DisburseLine, r Result, next time.Time) {
	log := e.log().With("batch", l.Batch, "line", l.ID, "via", r.Via)
	switch r.Outcome {
	case Paid:
		// The operator's word about another payment than the line's is no
		// proof the line was paid.
		why := ""
		switch {
		case r.Amount != 0 && r.Amount != l.Amount:
			why = fmt.Sprintf("the operator (%s) reports paying %s but the line is %s: a person must check with the operator",
				r.Via, money(l.Currency, l.Decimals, r.Amount), money(l.Currency, l.Decimals, l.Amount))
		case r.Phone != "" && !samePhone(r.Phone, l.Phone, e.Country):
			why = fmt.Sprintf("the operator (%s) reports paying %s but the line pays %s: a person must check with the operator", r.Via, r.Phone, l.Phone)
		}
		if why != "" {
			log.Warn("operator reports another payment than the line's", "why", why)
			if !l.State.Settled() {
				if _, err := e.DB.LineUnknown(l.ID, why, e.now().Add(24*time.Hour)); err != nil {
					log.Error("mark line unknown", "err", err)
				}
			}
			return
		}
		if !validConfirmation(r.Confirmation) {
			log.Warn("operator result says paid without a usable confirmation number; the line stays open", "confirmation", r.Confirmation)
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		today := e.Today(ctx)
		cancel()
		entry := DisbursementEntry(l, r.Confirmation, e.PaymentTypeID, today)
		e.settle(l, store.LineOutcome{State: store.LineSuccessful, Confirmation: r.Confirmation, CompletedAt: r.At, Code: r.Code, By: r.Via, Disbursement: &entry})
	case NotPaid:
		e.settle(l, store.LineOutcome{State: store.LineFailed, Reason: r.Reason, Code: r.Code, By: r.Via})
	case TimedOut:
		if _, err := e.DB.LineUnknown(l.ID, "the operator's queue timed out the request; asking the operator", e.now()); err != nil && !errors.Is(err, store.ErrLineState) {
			log.Error("mark line unknown", "err", err)
		}
	case NoRecord, InProgress:
		what := "the operator is still processing it"
		if r.Outcome == NoRecord {
			what = "the operator has no record of it (yet); not sent again: if it stays so, check with the operator and settle it (mifos-edge disburse resolve)"
		}
		if l.State == store.LineUnknown {
			if _, err := e.DB.NoteLineQuery(l.ID, what, next); err != nil {
				log.Error("note line query", "err", err)
			}
		}
	default:
		log.Warn("operator result without an outcome; ignored", "outcome", r.Outcome)
	}
}

func (e *Engine) settle(l store.DisburseLine, o store.LineOutcome) {
	log := e.log().With("batch", l.Batch, "line", l.ID, "by", o.By)
	got, dup, err := e.DB.SettleLine(l.ID, o)
	switch {
	case errors.Is(err, store.ErrLineState):
		log.Warn("operator word disagrees with the line's settled outcome; recorded for a person", "line_state", got.State, "conflict", got.Conflict)
		return
	case err != nil:
		log.Error("settle line", "err", err)
		return
	case dup:
		log.Info("the same result again (a duplicate); nothing changed")
		return
	}
	log.Info("disbursement line settled", "state", got.State, "confirmation", got.Confirmation, "reason", got.Reason)
	if got.Journal != 0 && e.Journaled != nil {
		e.Journaled()
	}
}

// tell sends the officer notice kind once per batch.
func (e *Engine) tell(b store.DisburseBatch, kind, text string) {
	if b.WasTold(kind) {
		return
	}
	o := store.Outbound{To: b.OfficerPhone, Text: text, Origin: fmt.Sprintf("disburse-batch:%d", b.ID), Priority: store.PriorityNotification, DuplicateHarmless: true}
	told, err := e.DB.TellBatch(b.ID, kind, o)
	if err != nil {
		e.log().Error("tell the officer", "batch", b.ID, "err", err)
	}
	if told && b.OfficerPhone != "" && e.Queued != nil {
		e.Queued()
	}
}

// finishBatches closes sending batches whose lines are all finished, with
// the officer's summary.
func (e *Engine) finishBatches() {
	batches, err := e.DB.SendingBatches()
	if err != nil {
		e.log().Error("read batches", "err", err)
		return
	}
	for _, b := range batches {
		_, lines, err := e.DB.DisburseBatch(b.ID)
		if err != nil {
			continue
		}
		done := true
		for _, l := range lines {
			done = done && l.Finished()
		}
		if !done {
			continue
		}
		o := store.Outbound{To: b.OfficerPhone, Text: Summary(b, lines), Origin: fmt.Sprintf("disburse-batch:%d", b.ID), Priority: store.PriorityNotification, DuplicateHarmless: true}
		if err := e.DB.FinishBatch(b.ID, o); err != nil {
			e.log().Error("finish batch", "batch", b.ID, "err", err)
			continue
		}
		e.log().Info("disbursement batch done", "batch", b.ID)
		if b.OfficerPhone != "" && e.Queued != nil {
			e.Queued()
		}
	}
}

// money writes an amount with its currency code, as SMS and lists do
// ("KES 20,000.00").
func money(code string, decimals int, a int64) string {
	s := mifos.Currency{Code: code, DecimalPlaces: decimals}.Format(mifos.Amount(a))
	if code == "" {
		return s
	}
	return code + " " + s
}

// maxSummaryFailures bounds the failures named in the summary SMS.
const maxSummaryFailures = 5

// Summary is the officer's SMS about a finished batch: how many were paid
// and how much (what Fineract recorded), and which were not, and why.
func Summary(b store.DisburseBatch, lines []store.DisburseLine) string {
	var paid, posted int
	var total int64
	var failed []string
	var postFailed, postWaiting []string
	for _, l := range lines {
		switch {
		case l.State == store.LineSuccessful:
			paid++
			total += l.Amount
			switch l.Posted {
			case store.JournalDone:
				posted++
			case store.JournalAwaitingApproval:
				// Held for Fineract's maker-checker: not refused.
				postWaiting = append(postWaiting, l.AccountNo)
			default:
				postFailed = append(postFailed, l.AccountNo)
			}
		case l.State == store.LineFailed:
			failed = append(failed, fmt.Sprintf("%s %s (%s)", l.AccountNo, firstName(l.ClientName), l.Reason))
		}
	}
	var s strings.Builder
	fmt.Fprintf(&s, "Disbursement batch %d done: %d of %d paid, %s.", b.ID, paid, len(lines), money(b.Currency, b.Decimals, total))
	if len(failed) > 0 {
		s.WriteString(" Not paid: ")
		shown := failed
		if len(shown) > maxSummaryFailures {
			shown = shown[:maxSummaryFailures]
		}
		s.WriteString(strings.Join(shown, "; "))
		if more := len(failed) - len(shown); more > 0 {
			fmt.Fprintf(&s, "; and %d more (mifos-edge disburse list)", more)
		}
		s.WriteString(".")
	}
	if len(postFailed) > 0 {
		fmt.Fprintf(&s, " Paid but Mifos refused to record: %s (see the console's Money page).", strings.Join(postFailed, ", "))
	}
	if len(postWaiting) > 0 {
		fmt.Fprintf(&s, " Paid, waiting for a checker's approval in Mifos: %s.", strings.Join(postWaiting, ", "))
	}
	return s.String()
}

func firstName(n string) string {
	if f, _, ok := strings.Cut(strings.TrimSpace(n), " "); ok {
		return f
	}
	return n
}
