package console

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/mifos-edge/mifos-edge/disburse"
	"github.com/mifos-edge/mifos-edge/mifos"
	"github.com/mifos-edge/mifos-edge/store"
)

// The Disburse pages: a loan officer builds a batch of their loans that
// Mifos shows approved, a second person approves it when its total is
// above the officer's limit, someone sends it, and everyone follows each
// line to its outcome. They do what `mifos-edge disburse` does, through
// the same builder (package disburse), as the signed-in person.

// DisburseReader reads what the Disburse pages show.
type DisburseReader interface {
	// Waiting is staffID's loans that Fineract shows approved and not yet
	// disbursed, and staffID's limit.
	Waiting(ctx context.Context, staffID int64) (Waiting, error)
	// Batches are the newest batches first, at most limit, with their
	// lines (their history is not needed).
	Batches(ctx context.Context, limit int) ([]Batch, error)
	// Batch is batch id with its lines and its history; an error wrapping
	// store.ErrNotFound when there is none.
	Batch(ctx context.Context, id uint64) (Batch, error)
}

// DisburseOfficer is what a person with Mifos's DISBURSE_LOAN permission
// does (the console checks the permission first). by names the person
// for the history; user is their Mifos user name, which the approval
// check compares with the approver's.
type DisburseOfficer interface {
	// Create builds a batch of staffID's loans; a *disburse.BuildError
	// lists every refused line (nothing built).
	Create(ctx context.Context, staffID int64, items []disburse.Item, by, user string) (Batch, error)
	// Send starts paying a ready or approved batch.
	Send(ctx context.Context, id uint64, by string) error
	// Cancel cancels a batch not yet sent (nothing is paid).
	Cancel(ctx context.Context, id uint64, by string) error
	// Resolve records a person's word on a line whose outcome is unknown:
	// the same as `mifos-edge disburse resolve`.
	Resolve(ctx context.Context, line uint64, r disburse.Resolution, by string) error
}

// DisburseApprovals is the second person's part.
type DisburseApprovals interface {
	// IsApprover reports whether Mifos user name user is a disbursement
	// approver ([[disbursement.approver]]).
	IsApprover(user string) bool
	// Approve records user's approval of batch id as it was shown to
	// them: digest is the Batch.Digest they saw; a batch changed since is
	// refused (store.ErrBatchChanged), and so is their own
	// (store.ErrSelfApproval).
	Approve(ctx context.Context, id uint64, user, digest string) error
}

// DisburseDesk is mobile disbursement as the console uses it.
type DisburseDesk interface {
	DisburseReader
	DisburseOfficer
	DisburseApprovals
}

// Waiting is what a loan officer may put in a new batch.
type Waiting struct {
	Loans []ApprovedLoan
	// Limit is what the officer may send in one batch without a second
	// person's approval, in the loans' currency; 0: every batch needs one.
	Limit mifos.Amount
}

// ApprovedLoan is a loan Fineract shows approved and not yet disbursed.
type ApprovedLoan struct {
	ID        int64
	AccountNo string
	Client    string
	Group     string       // "" for an individual loan
	Amount    mifos.Amount // the approved principal
	Currency  mifos.Currency
	// Phone is the client's mobile number as Mifos holds it; "" none.
	Phone string
	// Batch is the batch already holding the loan on a line that did not
	// fail; 0 none.
	Batch uint64
}

// Batch is a batch as the console shows it.
type Batch struct {
	disburse.BatchView
	// Digest is what an approval covers (store.LinesDigest of its lines).
	Digest string
	// BuiltBy is the Mifos user name of whoever built it; "" when it was
	// built from the command line.
	BuiltBy string
}

// disburseLoans: building, sending, cancelling and recording a line's
// outcome move loan money out; Mifos asks DISBURSE_LOAN for a
// disbursement.
var disburseLoans = moneyAction{"disburse loans", []string{"DISBURSE_LOAN"}}

const (
	// batchesShown bounds the list on a phone.
	batchesShown = 30
	// maxBatchLoans bounds the loans of one form.
	maxBatchLoans = 200
	// maxResolveText bounds a typed reason or confirmation number.
	maxResolveText = 200
)

// batchStateWords says a batch's state as people do.
var batchStateWords = map[store.BatchState]string{
	store.BatchAwaitingApproval: "waiting for approval",
	store.BatchReady:            "ready to send",
	store.BatchApproved:         "approved, ready to send",
	store.BatchSending:          "sending",
	store.BatchDone:             "done",
	store.BatchCancelled:        "cancelled",
}

func stateWords(s store.BatchState) string {
	if w, ok := batchStateWords[s]; ok {
		return w
	}
	return string(s)
}

// lineCounts is "2 successful · 1 unknown": the batch's lines by state.
func lineCounts(lines []disburse.LineView) string {
	var parts []string
	for _, st := range store.LineStates {
		n := 0
		for _, l := range lines {
			if l.State == st {
				n++
			}
		}
		if n > 0 {
			parts = append(parts, strconv.Itoa(n)+" "+string(st))
		}
	}
	if len(parts) == 0 {
		return "no lines"
	}
	return strings.Join(parts, " · ")
}

// who names the signed-in person in a batch's history.
func who(s *session) string { return s.Username + " (console)" }

// ownBatch reports whether b is s's own: s built it, or its loans are
// s's (s's staff id in Mifos is the batch's officer). Nobody approves
// their own batch: the store refuses it (store.ErrSelfApproval, by the
// approver's configured staff id); the console asks too, by what Mifos
// says of the signed-in user, so that it offers no form it would refuse.
func ownBatch(s *session, b Batch) bool {
	return (b.BuiltBy != "" && strings.EqualFold(b.BuiltBy, s.Username)) || (s.StaffID != 0 && s.StaffID == b.StaffID)
}

// canCancel: an officer with the permission, or an approver declining
// to approve; only before sending.
func (c *Console) canCancel(s *session, b Batch) bool {
	switch b.State {
	case store.BatchAwaitingApproval, store.BatchReady, store.BatchApproved:
	default:
		return false
	}
	return c.may(s, disburseLoans) || (c.writable(s) && c.d.Disburse.IsApprover(s.Username))
}

// lineProblem is why one loan could not go into a batch.
type lineProblem struct {
	LoanID int64
	Why    string
}

type waitingRow struct {
	ApprovedLoan
	Money   string // approved amount as people read it
	Typed   string // the amount field's value
	Checked bool
}

type batchRow struct {
	Batch
	Counts string
	Built  string // when it was built
}

type disburseData struct {
	Batches []batchRow
	Capped  bool
	// The New batch section: shown when Staff; the form when CanBuild.
	Staff    bool
	CanBuild bool
	NoRight  string // why the user may not build
	WaitErr  string // the approved loans could not be read
	Loans    []waitingRow
	Limit    string // the limit with its currency; "" every batch needs approval
	Problems []string
}

// disbursePage lists the batches and offers a new one.
func (c *Console) disbursePage(w http.ResponseWriter, r *http.Request, s *session) {
	if c.d.Disburse == nil {
		http.NotFound(w, r)
		return
	}
	c.showDisburse(w, r, s, http.StatusOK, page{}, nil, nil)
}

// showDisburse renders the list page with problems of a build that failed
// (each loan's), keeping the amounts typed (chosen: loan → amount field).
func (c *Console) showDisburse(w http.ResponseWriter, r *http.Request, s *session, status int, p page, problems []lineProblem, chosen map[int64]string) {
	p.Title, p.Tab, p.User = "Disburse", "disburse", &s.ConsoleSession
	ctx, cancel := context.WithTimeout(r.Context(), loanTimeout)
	defer cancel()
	d := &disburseData{}
	list, err := c.d.Disburse.Batches(ctx, batchesShown+1)
	if err != nil {
		c.d.Logger.Error("console disburse page failed", "err", err)
		p.Error = "The box could not read its disbursement batches; try again."
		c.render(w, http.StatusInternalServerError, p, nil)
		return
	}
	if len(list) > batchesShown {
		list, d.Capped = list[:batchesShown], true
	}
	for _, b := range list {
		d.Batches = append(d.Batches, batchRow{Batch: b, Counts: lineCounts(b.Lines), Built: c.when(b.CreatedAt)})
	}
	d.Staff = s.StaffID > 0
	names := map[int64]string{}
	switch {
	case !d.Staff || !c.writable(s):
		// No loans of their own, or read-only (the layout says so).
	case !c.may(s, disburseLoans):
		d.NoRight = "Your Mifos user may not disburse loans (permission DISBURSE_LOAN), so you cannot build batches here."
	default:
		d.CanBuild = true
		waiting, err := c.d.Disburse.Waiting(ctx, s.StaffID)
		if err != nil {
			_, d.WaitErr = disburseFailure(err, "The approved loans could not be read", true)
			c.d.Logger.Warn("console could not list loans to disburse", "staff_id", s.StaffID, "err", err)
			break
		}
		var cur mifos.Currency
		for _, l := range waiting.Loans {
			typed, checked := chosen[l.ID]
			plain := strings.ReplaceAll(l.Currency.Format(l.Amount), ",", "")
			if !checked {
				typed = plain
			}
			d.Loans = append(d.Loans, waitingRow{ApprovedLoan: l, Money: l.Currency.Code + " " + l.Currency.Format(l.Amount), Typed: typed, Checked: checked})
			names[l.ID] = fmt.Sprintf("Loan %s (%s)", l.AccountNo, l.Client)
			if cur.Code == "" {
				cur = l.Currency
			}
		}
		if waiting.Limit > 0 {
			d.Limit = strings.TrimSpace(cur.Code + " " + cur.Format(waiting.Limit))
		}
	}
	for _, pr := range problems {
		name, ok := names[pr.LoanID]
		if !ok {
			name = "Loan " + itoa(pr.LoanID)
		}
		d.Problems = append(d.Problems, name+": "+pr.Why)
	}
	c.render(w, status, p, c.disburseHTML(d))
}

// build builds a batch of the signed-in officer's loans ticked on the form.
func (c *Console) build(w http.ResponseWriter, r *http.Request, s *session) {
	if c.d.Disburse == nil {
		http.NotFound(w, r)
		return
	}
	var chosen map[int64]string
	fail := func(status int, msg string, problems []lineProblem) {
		c.showDisburse(w, r, s, status, page{Error: msg}, problems, chosen)
	}
	if status, problem := c.refusal(s, disburseLoans); problem != "" {
		fail(status, problem, nil)
		return
	}
	if s.StaffID <= 0 {
		fail(http.StatusForbidden, "Your Mifos user is not a staff member, so it has no loans to disburse; nothing was built.", nil)
		return
	}
	if err := r.ParseForm(); err != nil {
		fail(http.StatusBadRequest, "The form could not be read; nothing was built.", nil)
		return
	}
	ids := r.PostForm["loan"]
	switch {
	case len(ids) == 0:
		fail(http.StatusUnprocessableEntity, "Tick at least one loan to build a batch.", nil)
		return
	case len(ids) > maxBatchLoans:
		fail(http.StatusUnprocessableEntity, fmt.Sprintf("A batch takes at most %d loans; nothing was built.", maxBatchLoans), nil)
		return
	}
	chosen = map[int64]string{}
	items := make([]disburse.Item, 0, len(ids))
	var problems []lineProblem
	for _, raw := range ids {
		id := parseID(raw)
		if id <= 0 {
			fail(http.StatusBadRequest, "That loan number is not valid; nothing was built.", nil)
			return
		}
		typed := strings.TrimSpace(r.PostForm.Get("amount-" + itoa(id)))
		chosen[id] = typed
		var amount mifos.Amount // 0: the approved amount
		if typed != "" {
			a, err := mifos.ParseAmount(typed)
			switch {
			case err != nil:
				problems = append(problems, lineProblem{id, fmt.Sprintf("the amount: %v", err)})
				continue
			case a <= 0:
				problems = append(problems, lineProblem{id, "the amount must be more than zero"})
				continue
			}
			amount = a
		}
		items = append(items, disburse.Item{LoanID: id, Amount: amount})
	}
	const notBuilt = "The batch was not built; nothing will be paid. Fix these and build it again:"
	if len(problems) > 0 {
		fail(http.StatusUnprocessableEntity, notBuilt, problems)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), loanTimeout)
	defer cancel()
	b, err := c.d.Disburse.Create(ctx, s.StaffID, items, fmt.Sprintf("staff %d via %s", s.StaffID, who(s)), s.Username)
	if err != nil {
		var be *disburse.BuildError
		if errors.As(err, &be) {
			for _, l := range be.Lines {
				problems = append(problems, lineProblem{l.LoanID, l.Why})
			}
			fail(http.StatusUnprocessableEntity, notBuilt, problems)
			return
		}
		status, msg := disburseFailure(err, "The batch was not built", true)
		c.d.Logger.Warn("console could not build a disbursement batch", "user", s.Username, "err", err)
		fail(status, msg, nil)
		return
	}
	c.d.Logger.Info("console built a disbursement batch", "user", s.Username, "batch", b.ID, "lines", len(b.Lines), "state", b.State)
	seeOther(w, r, pathTo("/console/disburse/", strconv.FormatUint(b.ID, 10), "?m=built").s)
}

// disburseFailure is the status and sentence for an act the desk refused:
// the store's refusals, Mifos's answers, Mifos not answering. viaMifos
// says the act reads Fineract: then any other failure is taken as Mifos
// not reached, as mifos.Classify takes it; else it is one of the
// builder's own sentences for a person.
func disburseFailure(err error, what string, viaMifos bool) (int, string) {
	var answered *mifos.Error
	switch {
	case errors.Is(err, store.ErrNotFound):
		return http.StatusNotFound, what + ": there is no such batch or line."
	case errors.Is(err, store.ErrSelfApproval):
		return http.StatusForbidden, what + ": nobody approves a batch of their own; another approver must approve it."
	case errors.Is(err, store.ErrBatchChanged):
		return http.StatusConflict, what + ": the batch changed after it was shown; look at it again."
	case errors.Is(err, store.ErrBatchState), errors.Is(err, store.ErrLineState), errors.Is(err, store.ErrLoanInBatch),
		errors.Is(err, store.ErrBatchApprovedAlready):
		return http.StatusConflict, what + ": " + err.Error() + "."
	case errors.As(err, &answered):
		if !mifos.Classify(err).Offline() {
			return http.StatusBadGateway, what + ": Mifos refused: " + err.Error()
		}
	case !viaMifos && !errors.Is(err, context.DeadlineExceeded):
		return http.StatusUnprocessableEntity, what + ": " + err.Error()
	}
	return http.StatusServiceUnavailable, what + ": Mifos cannot be reached (" + err.Error() + "). Nothing was changed; try again when the link is back (see Status)."
}

type batchData struct {
	Batch
	Counts                                 string
	CanApprove, CanSend, CanCancel, CanFix bool
	// Waits says who must approve when the user cannot.
	Waits string
	// Times of the batch's steps and lines, and of its history, as shown.
	Built, Approved, Sent string
	LineTimes, AuditTimes []string
	// AllSteps shows every line's steps in the history too; by default
	// only the batch's own (a line adds about four, which would make a
	// long batch's page heavy on a phone).
	AllSteps bool
}

// batchPage shows one batch with its lines, history and actions.
func (c *Console) batchPage(w http.ResponseWriter, r *http.Request, s *session) {
	if c.d.Disburse == nil {
		http.NotFound(w, r)
		return
	}
	id := uint64(parseID(r.PathValue("id")))
	p := page{}
	q := r.URL.Query()
	line := oneWord(q.Get("line"))
	switch q.Get("m") {
	case "built":
		p.Notice = fmt.Sprintf("Batch %d is built. Nothing is paid until someone presses Send.", id)
	case "approved":
		p.Notice = fmt.Sprintf("Batch %d is approved; it can be sent.", id)
	case "sent":
		p.Notice = fmt.Sprintf("Batch %d is being paid, line by line; this page shows each line's outcome.", id)
	case "cancelled":
		p.Notice = fmt.Sprintf("Batch %d is cancelled; nothing was paid.", id)
	case "paid":
		p.Notice = fmt.Sprintf("Line %s is recorded as paid; the loan is disbursed in Mifos as soon as Mifos answers.", line)
	case "notpaid":
		p.Notice = fmt.Sprintf("Line %s is recorded as not paid.", line)
	}
	c.showBatch(w, r, s, http.StatusOK, p, id)
}

// showBatch reads batch id afresh and renders it with status.
func (c *Console) showBatch(w http.ResponseWriter, r *http.Request, s *session, status int, p page, id uint64) {
	p.Title, p.Tab, p.User = "Batch "+strconv.FormatUint(id, 10), "disburse", &s.ConsoleSession
	b, err := c.readBatch(r.Context(), id)
	if err != nil {
		st, msg := disburseFailure(err, fmt.Sprintf("Batch %d could not be read", id), false)
		if errors.Is(err, store.ErrNotFound) || id == 0 {
			st, msg = http.StatusNotFound, fmt.Sprintf("There is no batch %s.", r.PathValue("id"))
		} else if st == http.StatusUnprocessableEntity {
			c.d.Logger.Error("console batch page failed", "batch", id, "err", err)
			st, msg = http.StatusInternalServerError, "The box could not read the batch; try again."
		}
		if p.Error == "" {
			p.Error = msg
		}
		if status == http.StatusOK {
			status = st
		}
		c.render(w, status, p, nil)
		return
	}
	d := batchData{Batch: b, Counts: lineCounts(b.Lines), Built: c.when(b.CreatedAt), AllSteps: r.URL.Query().Get("history") == "all"}
	if b.ApprovedAt != nil {
		d.Approved = c.when(*b.ApprovedAt)
	}
	if b.SentAt != nil {
		d.Sent = c.when(*b.SentAt)
	}
	for _, l := range b.Lines {
		t := ""
		if l.Time != nil {
			t = c.when(*l.Time)
		}
		d.LineTimes = append(d.LineTimes, t)
	}
	for _, a := range b.Audit {
		d.AuditTimes = append(d.AuditTimes, c.when(a.At))
	}
	approver := c.writable(s) && c.d.Disburse.IsApprover(s.Username)
	switch {
	case b.State != store.BatchAwaitingApproval:
	case approver && !ownBatch(s, b):
		d.CanApprove = true
	case approver:
		d.Waits = "Its total is above the officer's limit. You built it, or its loans are yours: another disbursement approver must approve it."
	default:
		d.Waits = "Its total is above the officer's limit: a disbursement approver must approve it before it is sent."
	}
	d.CanSend = (b.State == store.BatchReady || b.State == store.BatchApproved) && c.may(s, disburseLoans)
	d.CanCancel = c.canCancel(s, b)
	d.CanFix = c.may(s, disburseLoans)
	c.render(w, status, p, batchHTML(&d))
}

func (c *Console) readBatch(ctx context.Context, id uint64) (Batch, error) {
	if id == 0 {
		return Batch{}, fmt.Errorf("batch 0: %w", store.ErrNotFound)
	}
	ctx, cancel := context.WithTimeout(ctx, loanTimeout)
	defer cancel()
	return c.d.Disburse.Batch(ctx, id)
}

// batchAct reads the batch a POST acts on; false when it answered the
// request already (no such batch).
func (c *Console) batchAct(w http.ResponseWriter, r *http.Request, s *session) (Batch, bool) {
	if c.d.Disburse == nil {
		http.NotFound(w, r)
		return Batch{}, false
	}
	id := uint64(parseID(r.PathValue("id")))
	b, err := c.readBatch(r.Context(), id)
	if err != nil {
		c.showBatch(w, r, s, http.StatusOK, page{}, id)
		return Batch{}, false
	}
	return b, true
}

// approveBatch records the signed-in approver's approval of exactly the
// batch they were shown.
func (c *Console) approveBatch(w http.ResponseWriter, r *http.Request, s *session) {
	b, ok := c.batchAct(w, r, s)
	if !ok {
		return
	}
	fail := func(status int, msg string) { c.showBatch(w, r, s, status, page{Error: msg}, b.ID) }
	digest := r.PostFormValue("digest")
	switch {
	case !c.writable(s):
		fail(http.StatusForbidden, readOnly)
	case !c.d.Disburse.IsApprover(s.Username):
		fail(http.StatusForbidden, fmt.Sprintf("Your user (%s) is not a disbursement approver on this box ([[disbursement.approver]] in its configuration); nothing was approved.", s.Username))
	case ownBatch(s, b):
		fail(http.StatusForbidden, "Nobody approves a batch of their own: you built it, or its loans are yours. Another approver must approve it; nothing was approved.")
	case digest == "" || len(digest) > 128:
		fail(http.StatusBadRequest, "That approval does not say which lines it covers; nothing was approved. Approve from the batch's page.")
	case b.State != store.BatchAwaitingApproval:
		fail(http.StatusConflict, fmt.Sprintf("Batch %d is %s, not waiting for approval; nothing was changed.", b.ID, stateWords(b.State)))
	case digest != b.Digest:
		fail(http.StatusConflict, fmt.Sprintf("Batch %d changed after you opened it; nothing was approved. Look at it again below and approve what you see.", b.ID))
	default:
		c.runOnBatch(w, r, s, b.ID, "approved", "?m=approved", func(ctx context.Context) error {
			return c.d.Disburse.Approve(ctx, b.ID, s.Username, digest)
		})
	}
}

// runOnBatch runs act (approve, send, cancel) on batch id with the
// console's timeout: a refusal is shown on the batch's page; what was
// done (approved, sent, cancelled) is logged and then (the batch page's
// notice) shown.
func (c *Console) runOnBatch(w http.ResponseWriter, r *http.Request, s *session, id uint64, done string, then markup, act func(ctx context.Context) error) {
	ctx, cancel := context.WithTimeout(r.Context(), loanTimeout)
	defer cancel()
	if err := act(ctx); err != nil {
		status, msg := disburseFailure(err, fmt.Sprintf("Batch %d was not %s", id, done), false)
		c.showBatch(w, r, s, status, page{Error: msg}, id)
		return
	}
	c.d.Logger.Info("console "+done+" a disbursement batch", "user", s.Username, "batch", id)
	seeOther(w, r, pathTo("/console/disburse/", strconv.FormatUint(id, 10), then).s)
}

// sendBatch starts paying a ready or approved batch.
func (c *Console) sendBatch(w http.ResponseWriter, r *http.Request, s *session) {
	b, ok := c.batchAct(w, r, s)
	if !ok {
		return
	}
	fail := func(status int, msg string) { c.showBatch(w, r, s, status, page{Error: msg}, b.ID) }
	if status, problem := c.refusal(s, disburseLoans); problem != "" {
		fail(status, problem)
		return
	}
	switch b.State {
	case store.BatchReady, store.BatchApproved:
	case store.BatchAwaitingApproval:
		fail(http.StatusConflict, fmt.Sprintf("Batch %d waits for approval: its total is above the officer's limit, so a disbursement approver must approve it first. Nothing was sent.", b.ID))
		return
	default:
		fail(http.StatusConflict, fmt.Sprintf("Batch %d is %s; only a batch ready to send or approved can be sent. Nothing was changed.", b.ID, stateWords(b.State)))
		return
	}
	c.runOnBatch(w, r, s, b.ID, "sent", "?m=sent", func(ctx context.Context) error { return c.d.Disburse.Send(ctx, b.ID, who(s)) })
}

// cancelBatch cancels a batch not yet sent.
func (c *Console) cancelBatch(w http.ResponseWriter, r *http.Request, s *session) {
	b, ok := c.batchAct(w, r, s)
	if !ok {
		return
	}
	fail := func(status int, msg string) { c.showBatch(w, r, s, status, page{Error: msg}, b.ID) }
	if !c.writable(s) {
		fail(http.StatusForbidden, readOnly)
		return
	}
	if !c.may(s, disburseLoans) && !c.d.Disburse.IsApprover(s.Username) {
		_, problem := c.refusal(s, disburseLoans)
		fail(http.StatusForbidden, problem)
		return
	}
	if !c.canCancel(s, b) {
		fail(http.StatusConflict, fmt.Sprintf("Batch %d is %s; only a batch not yet sent can be cancelled. Nothing was changed.", b.ID, stateWords(b.State)))
		return
	}
	c.runOnBatch(w, r, s, b.ID, "cancelled", "?m=cancelled", func(ctx context.Context) error { return c.d.Disburse.Cancel(ctx, b.ID, who(s)) })
}

// resolveLine records what a person found out from the operator about a
// line whose outcome is unknown.
func (c *Console) resolveLine(w http.ResponseWriter, r *http.Request, s *session) {
	b, ok := c.batchAct(w, r, s)
	if !ok {
		return
	}
	fail := func(status int, msg string) { c.showBatch(w, r, s, status, page{Error: msg}, b.ID) }
	if status, problem := c.refusal(s, disburseLoans); problem != "" {
		fail(status, problem)
		return
	}
	lineID := uint64(parseID(r.PostFormValue("line")))
	var line *disburse.LineView
	for i := range b.Lines {
		if b.Lines[i].ID == lineID {
			line = &b.Lines[i]
		}
	}
	if line == nil {
		fail(http.StatusBadRequest, fmt.Sprintf("Batch %d has no such line; nothing was changed.", b.ID))
		return
	}
	res := disburse.Resolution{At: c.d.Now()}
	switch r.PostFormValue("outcome") {
	case "paid":
		res.Successful = true
		res.Confirmation = strings.TrimSpace(r.PostFormValue("confirmation"))
		if res.Confirmation == "" {
			fail(http.StatusUnprocessableEntity, fmt.Sprintf("Type the operator's confirmation number of line %d; nothing was changed.", lineID))
			return
		}
		if len(res.Confirmation) > maxResolveText {
			fail(http.StatusUnprocessableEntity, "That confirmation number is too long; nothing was changed.")
			return
		}
	case "not-paid":
		res.Reason = strings.TrimSpace(r.PostFormValue("reason"))
		switch {
		case res.Reason == "":
			fail(http.StatusUnprocessableEntity, fmt.Sprintf("Say why line %d was not paid (what the operator said); nothing was changed.", lineID))
			return
		case utf8.RuneCountInString(res.Reason) > maxResolveText:
			fail(http.StatusUnprocessableEntity, fmt.Sprintf("The reason is longer than %d characters; nothing was changed.", maxResolveText))
			return
		case !utf8.ValidString(res.Reason) || strings.ContainsFunc(res.Reason, unicode.IsControl):
			fail(http.StatusUnprocessableEntity, "The reason contains characters that cannot be kept; nothing was changed.")
			return
		}
	default:
		fail(http.StatusBadRequest, "Say whether the line was paid or not; nothing was changed.")
		return
	}
	if line.State != store.LineUnknown {
		fail(http.StatusConflict, fmt.Sprintf("Line %d is %s; only a line whose outcome is unknown is recorded by hand. Nothing was changed.", lineID, line.State))
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), loanTimeout)
	defer cancel()
	if err := c.d.Disburse.Resolve(ctx, lineID, res, who(s)); err != nil {
		status, msg := disburseFailure(err, fmt.Sprintf("Line %d was not recorded", lineID), false)
		fail(status, msg)
		return
	}
	m := "notpaid"
	if res.Successful {
		m = "paid"
	}
	c.d.Logger.Info("console resolved a disbursement line", "user", s.Username, "batch", b.ID, "line", lineID, "paid", res.Successful)
	seeOther(w, r, fmt.Sprintf("/console/disburse/%d?m=%s&line=%d", b.ID, m, lineID))
}

// disburseHTML is the batches, then the New batch section.
func (c *Console) disburseHTML(d *disburseData) func(h *htmlWriter) {
	return func(h *htmlWriter) {
		h.raw("\n<section class=\"card\">\n<h2>Batches</h2>\n")
		if len(d.Batches) == 0 {
			h.raw("<p>No batches yet.</p>\n")
		}
		for _, b := range d.Batches {
			id := strconv.FormatUint(b.ID, 10)
			h.raw("<div class=\"item\"><p><a")
			h.link("href", pathTo("/console/disburse/", id, ""))
			h.raw("><strong>Batch ")
			h.text(id)
			h.raw("</strong></a> · ")
			h.text(stateWords(b.State))
			h.raw(" · <strong>")
			h.text(b.Total)
			h.raw("</strong></p>\n<p class=\"small\">")
			h.textOr(b.Staff, "staff "+itoa(b.StaffID))
			h.raw(" · built ")
			h.text(b.Built)
			h.raw(" by ")
			h.text(b.CreatedBy)
			h.suffix(" · approved by ", b.ApprovedBy)
			h.raw("<br>")
			h.text(b.Counts)
			h.raw("</p></div>\n")
		}
		if d.Capped {
			h.raw("<p class=\"small\">Only the newest ")
			h.int(batchesShown)
			h.raw(" are shown; <code>mifos-edge disburse list</code> lists them all.</p>\n")
		}
		h.raw("</section>\n")
		if !d.Staff {
			return
		}
		h.raw("<section class=\"card\">\n<h2>New batch</h2>\n")
		if len(d.Problems) > 0 {
			h.raw("<ul class=\"error\" role=\"alert\">\n")
			for _, p := range d.Problems {
				h.raw("<li>")
				h.text(p)
				h.raw("</li>\n")
			}
			h.raw("</ul>\n")
		}
		switch {
		case d.NoRight != "":
			h.raw("<p class=\"warn\">")
			h.text(d.NoRight)
			h.raw("</p>\n")
		case d.WaitErr != "":
			h.raw("<p class=\"warn\">")
			h.text(d.WaitErr)
			h.raw("</p>\n")
		case d.CanBuild:
			newBatchHTML(h, d)
		}
		h.raw("</section>\n")
	}
}

// newBatchHTML is the limit and the form: each approved loan with a tick
// box and its amount.
func newBatchHTML(h *htmlWriter, d *disburseData) {
	h.raw("<p>")
	if d.Limit != "" {
		h.raw("Your limit: <strong>")
		h.text(d.Limit)
		h.raw("</strong> a batch; above it a second person must approve.")
	} else {
		h.raw("Every batch you build needs a second person's approval.")
	}
	h.raw("</p>\n")
	if len(d.Loans) == 0 {
		h.raw("<p class=\"ok\">No loan of yours waits for disbursement in Mifos.</p>\n")
		return
	}
	h.raw("<form method=\"post\" action=\"/console/disburse\">\n")
	for _, l := range d.Loans {
		id := itoa(l.ID)
		h.raw("<div class=\"item\">")
		if l.Phone != "" && l.Batch == 0 {
			h.raw("<label class=\"check\"><input type=\"checkbox\" name=\"loan\"")
			h.attr("value", id)
			if l.Checked {
				h.raw(" checked")
			}
			h.raw(">")
		} else {
			h.raw("<p>")
		}
		h.raw("<strong>")
		h.text(l.Client)
		h.raw("</strong> · ")
		h.text(l.Money)
		if l.Phone != "" && l.Batch == 0 {
			h.raw("</label>")
		} else {
			h.raw("</p>")
		}
		h.raw("\n<p class=\"small\">Loan ")
		h.text(l.AccountNo)
		h.suffix(" · ", l.Group)
		h.raw(" · ")
		h.textOr(l.Phone, "no phone")
		h.raw("</p>\n")
		switch {
		case l.Phone == "":
			h.raw("<p class=\"why\">No mobile number in Mifos: add it there first.</p>\n")
		case l.Batch != 0:
			h.raw("<p class=\"small\">Already in <a")
			h.link("href", pathTo("/console/disburse/", strconv.FormatUint(l.Batch, 10), ""))
			h.raw(">batch ")
			h.int(int64(l.Batch))
			h.raw("</a>.</p>\n")
		default:
			h.raw("<label")
			h.attr("for", "amount-"+id)
			h.raw(">Amount</label><input")
			h.attr("id", "amount-"+id)
			h.attr("name", "amount-"+id)
			h.raw(" inputmode=\"decimal\"")
			h.attr("value", l.Typed)
			h.raw(">\n")
		}
		h.raw("</div>\n")
	}
	h.raw("<button type=\"submit\">Build the batch</button>\n<p class=\"small\">Nothing is paid until someone presses Send on the batch's page.</p>\n</form>\n")
}

// batchHTML is the batch's summary and actions, its lines, its history.
func batchHTML(d *batchData) func(h *htmlWriter) {
	return func(h *htmlWriter) {
		id := strconv.FormatUint(d.ID, 10)
		h.raw("\n<section class=\"card\">\n<dl>\n<dt>State</dt><dd><strong>")
		h.text(stateWords(d.State))
		h.raw("</strong></dd>\n<dt>Total</dt><dd>")
		h.text(d.Total)
		h.raw(" · ")
		h.int(int64(len(d.Lines)))
		h.raw(" lines</dd>\n<dt>Lines</dt><dd>")
		h.text(d.Counts)
		h.raw("</dd>\n<dt>Limit</dt><dd>")
		h.text(d.Limit)
		h.raw("</dd>\n<dt>Officer</dt><dd>")
		h.textOr(d.Staff, "staff "+itoa(d.StaffID))
		h.raw("</dd>\n<dt>Built</dt><dd>")
		h.text(d.Built)
		h.raw(" by ")
		h.text(d.CreatedBy)
		h.raw("</dd>\n")
		if d.ApprovedBy != "" {
			h.raw("<dt>Approved</dt><dd>")
			h.text(d.Approved)
			h.raw(" by ")
			h.text(d.ApprovedBy)
			h.raw("</dd>\n")
		}
		if d.SentBy != "" {
			h.raw("<dt>Sent</dt><dd>")
			h.text(d.Sent)
			h.raw(" by ")
			h.text(d.SentBy)
			h.raw("</dd>\n")
		}
		h.raw("</dl>\n")
		if d.Waits != "" {
			h.raw("<p class=\"warn\">")
			h.text(d.Waits)
			h.raw("</p>\n")
		}
		if d.CanApprove {
			h.raw("<form method=\"post\"")
			h.link("action", pathTo("/console/disburse/", id, "/approve"))
			h.raw("><input type=\"hidden\" name=\"digest\"")
			h.attr("value", d.Digest)
			h.raw("><p class=\"small\">Your approval covers exactly the lines below; a batch changed since is not approved.</p><button type=\"submit\">Approve batch ")
			h.text(id)
			h.raw("</button></form>\n")
		}
		if d.CanSend {
			h.raw("<form method=\"post\"")
			h.link("action", pathTo("/console/disburse/", id, "/send"))
			h.raw("><button type=\"submit\">Send: pay ")
			h.text(d.Total)
			h.raw("</button></form>\n")
		}
		if d.CanCancel {
			h.raw("<details><summary>Cancel the batch</summary><form method=\"post\"")
			h.link("action", pathTo("/console/disburse/", id, "/cancel"))
			h.raw("><p class=\"small\">Nothing is paid; its loans can go into a new batch.</p><button type=\"submit\" class=\"danger\">Cancel batch ")
			h.text(id)
			h.raw("</button></form></details>\n")
		}
		h.raw("</section>\n<section class=\"card\">\n<h2>Lines</h2>\n")
		for i, l := range d.Lines {
			lineHTML(h, d, l, d.LineTimes[i])
		}
		h.raw("</section>\n<section class=\"card\">\n<h2>History</h2>\n")
		hidden := 0
		for i, a := range d.Audit {
			if a.Line != 0 && !d.AllSteps {
				hidden++
				continue
			}
			h.raw("<div class=\"item small\">")
			h.text(d.AuditTimes[i])
			h.raw(" · ")
			h.text(a.Who)
			h.raw(": ")
			if a.Line != 0 {
				h.raw("line ")
				h.int(int64(a.Line))
				h.raw(" ")
			}
			h.text(a.What)
			h.raw("</div>\n")
		}
		if hidden > 0 {
			h.raw("<p class=\"small\"><a")
			h.link("href", pathTo("/console/disburse/", id, "?history=all"))
			h.raw(">Every line's steps too (")
			h.int(int64(hidden))
			h.raw(" more)</a></p>\n")
		}
		h.raw("</section>\n")
	}
}

// lineHTML is one line: amount and client, loan and phone, its state
// and outcome, and for an unknown one what to do.
func lineHTML(h *htmlWriter, d *batchData, l disburse.LineView, at string) {
	lid := strconv.FormatUint(l.ID, 10)
	h.raw("<div class=\"item\"")
	h.attr("id", "line-"+lid)
	h.raw("><p><strong>")
	h.text(l.Amount)
	h.raw("</strong> · ")
	h.text(l.Client)
	h.raw("</p>\n<p class=\"small\">Line ")
	h.text(lid)
	h.raw(" · loan ")
	h.text(l.AccountNo)
	h.raw(" · ")
	h.text(l.Phone)
	h.raw("</p>\n<p><strong>")
	h.text(string(l.State))
	h.raw("</strong>")
	h.suffix(" · confirmation ", l.Confirmation)
	h.suffix(" · ", at)
	if l.FineractTxnID != 0 {
		h.raw(" · Mifos transaction ")
		h.int(l.FineractTxnID)
	} else if l.Posted != "" {
		h.raw(" · in Mifos: ")
		h.text(string(l.Posted))
	}
	h.raw("</p>\n")
	if l.Reason != "" {
		h.raw("<p class=\"why\">")
		h.text(l.Reason)
		h.raw("</p>\n")
	}
	if l.Conflict != "" {
		h.raw("<p class=\"warn\">The operator later said otherwise: ")
		h.text(l.Conflict)
		h.raw(". Check with the operator.</p>\n")
	}
	if l.State == store.LineUnknown {
		unknownHTML(h, d, l, lid)
	}
	h.raw("</div>\n")
}

// unknownHTML says what to do about a line nobody knows was paid: never
// pay it again by other means; record what the operator says.
func unknownHTML(h *htmlWriter, d *batchData, l disburse.LineView, lid string) {
	h.raw("<p class=\"warn\">Nobody knows yet whether this reached the client. The box keeps asking the operator and never sends it again: do not pay it by other means. Check with the operator (reference ")
	h.text(l.Ref)
	h.raw(")")
	if !d.CanFix {
		h.raw(", then someone with the permission DISBURSE_LOAN records the answer here or with <code>mifos-edge disburse resolve ")
		h.text(lid)
		h.raw("</code>.</p>\n")
		return
	}
	h.raw(", then record the answer.</p>\n<details><summary>Record the outcome</summary>\n")
	action := pathTo("/console/disburse/", strconv.FormatUint(d.ID, 10), "/resolve")
	form := func(outcome markup) {
		h.raw("<form method=\"post\"")
		h.link("action", action)
		h.raw("><input type=\"hidden\" name=\"line\"")
		h.attr("value", lid)
		h.raw("><input type=\"hidden\" name=\"outcome\" value=\"" + outcome + "\">")
	}
	form("paid")
	h.raw("<label")
	h.attr("for", "conf-"+lid)
	h.raw(">Paid: the operator's confirmation number</label><input")
	h.attr("id", "conf-"+lid)
	h.raw(" name=\"confirmation\" maxlength=\"40\" required><button type=\"submit\">It was paid</button></form>\n")
	form("not-paid")
	h.raw("<label")
	h.attr("for", "why-"+lid)
	h.raw(">Not paid: why</label><input")
	h.attr("id", "why-"+lid)
	h.raw(" name=\"reason\" maxlength=\"200\" required><button type=\"submit\" class=\"danger\">It was not paid</button></form>\n</details>\n")
}
