package console

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/mifos-edge/mifos-edge/mifos"
)

// Fineract's permission codes for the two decisions.
const (
	permApprove = "APPROVE_LOAN"
	permReject  = "REJECT_LOAN"
)

// maxNote bounds the note sent with an approval or rejection (Fineract
// keeps notes up to 1000 characters).
const maxNote = 500

// loanTimeout bounds one call to Fineract made for a page.
const loanTimeout = 30 * time.Second

var loanNotices = map[string]string{
	"approved":  "Loan %s approved in Mifos.",
	"rejected":  "Loan %s rejected in Mifos.",
	"checker":   "Loan %s: Mifos needs a second person to confirm this decision (maker-checker).",
	"connected": "Connected to Mifos as you.",
}

type loanRow struct {
	mifos.PendingLoan
	Amount string // principal in the loan's currency, as people read it
	Plain  string // principal without grouping, for the approve form
}

type loansData struct {
	NeedPassword bool // no password kept for this session: ask for it
	CanApprove   bool
	CanReject    bool
	Today        string
	Loans        []loanRow
}

// user is the session's Mifos user, for permission checks.
func (s *session) user() mifos.User {
	return mifos.User{ID: s.UserID, Username: s.Username, OfficeID: s.OfficeID, OfficeName: s.OfficeName, StaffID: s.StaffID, Permissions: s.Permissions}
}

func (c *Console) loansPage(w http.ResponseWriter, r *http.Request, s *session) {
	q := r.URL.Query()
	notice := ""
	if f, ok := loanNotices[q.Get("m")]; ok {
		notice = f
		if strings.Contains(f, "%s") {
			notice = fmt.Sprintf(f, strconv.FormatInt(parseID(q.Get("loan")), 10))
		}
	}
	c.showLoans(w, r, s, http.StatusOK, notice, "")
}

// showLoans renders the pending loans of the user's office, fetched from
// Fineract as the user.
func (c *Console) showLoans(w http.ResponseWriter, r *http.Request, s *session, status int, notice, problem string) {
	u := s.user()
	today := mifos.DateOf(c.d.Now().In(c.d.Location))
	data := loansData{CanApprove: u.Permitted(permApprove), CanReject: u.Permitted(permReject), Today: today.String()}
	p := page{Title: "Loans to approve", Tab: "loans", User: &s.ConsoleSession, Notice: notice, Error: problem}
	if c.d.AsUser == nil {
		p.Error = "This box has no Mifos link ([mifos] in its configuration), so loans cannot be seen here."
		c.render(w, http.StatusServiceUnavailable, p, loansHTML(&data))
		return
	}
	password, ok := c.secrets.get(s.key)
	if !ok {
		data.NeedPassword = true
		c.render(w, status, p, loansHTML(&data))
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), loanTimeout)
	defer cancel()
	loans, err := c.d.AsUser(s.Username, password).PendingLoans(ctx)
	if err != nil {
		st, msg := c.fineractFailure(s, err, "The list of loans could not be read")
		if p.Error == "" {
			p.Error = msg
		}
		data.NeedPassword = !c.hasPassword(s)
		c.render(w, st, p, loansHTML(&data))
		return
	}
	for _, l := range loans {
		// Only the user's own office: Fineract may list more to a
		// head-office user, but this console is the branch's.
		if s.OfficeID != 0 && l.OfficeID != 0 && l.OfficeID != s.OfficeID {
			continue
		}
		data.Loans = append(data.Loans, loanRow{PendingLoan: l, Amount: l.Currency.Format(l.Principal),
			Plain: strings.ReplaceAll(l.Currency.Format(l.Principal), ",", "")})
	}
	c.render(w, status, p, loansHTML(&data))
}

func (c *Console) hasPassword(s *session) bool {
	_, ok := c.secrets.get(s.key)
	return ok
}

// fineractFailure says in plain words why a call made as the user failed,
// with the status to answer. A refused password is forgotten, so the next
// page asks for it.
func (c *Console) fineractFailure(s *session, err error, what string) (int, string) {
	switch a := mifos.Classify(err); {
	case a == mifos.NotAllowed:
		c.secrets.forget(s.key)
		return http.StatusForbidden, what + ": Mifos refused your password or your user may not do this. Enter your password again; if it still fails, ask the person who runs Mifos for the permission."
	case a.Offline():
		return http.StatusServiceUnavailable, what + ": Mifos cannot be reached. Nothing was changed; try again when the link is back (see Status)."
	}
	var fe *mifos.Error
	if errors.As(err, &fe) {
		msg := fe.Message
		if len(fe.Errors) > 0 && fe.Errors[0].Message != "" {
			msg = fe.Errors[0].Message
		}
		return http.StatusBadGateway, fmt.Sprintf("%s: Mifos refused: %s", what, msg)
	}
	c.d.Logger.Error("console call to Fineract failed", "user", s.Username, "err", err)
	return http.StatusBadGateway, what + ": the call to Mifos failed; try again."
}

// connect takes the user's password again (after a restart or an offline
// sign-in), checks it with Fineract and keeps it in memory for the
// session; the session is no longer read-only then.
func (c *Console) connect(w http.ResponseWriter, r *http.Request, s *session) {
	password := r.PostFormValue("password")
	if password == "" || len(password) > maxPassword {
		c.showLoans(w, r, s, http.StatusBadRequest, "", "Enter your Mifos password.")
		return
	}
	if !c.usePassword(w, r, s, password) {
		return
	}
	seeOther(w, r, "/console/loans?m=connected")
}

// usePassword checks password with Fineract for the session's user and
// keeps it; false when it answered the request with why not.
func (c *Console) usePassword(w http.ResponseWriter, r *http.Request, s *session, password string) bool {
	userKey, addrKey := "user:"+strings.ToLower(s.Username), "addr:"+clientAddr(r)
	if wait := c.limit.wait(userKey, addrKey); wait > 0 {
		c.showLoans(w, r, s, http.StatusTooManyRequests, "", fmt.Sprintf("Too many wrong passwords. Wait %s and try again.", roundUp(wait)))
		return false
	}
	if c.d.Auth == nil {
		c.showLoans(w, r, s, http.StatusServiceUnavailable, "", "This box has no Mifos link.")
		return false
	}
	ctx, cancel := context.WithTimeout(r.Context(), authTimeout)
	u, err := c.d.Auth.AuthenticateUser(ctx, s.Username, password)
	cancel()
	if err != nil {
		if mifos.Classify(err) == mifos.NotAllowed {
			c.limit.fail(userKey, freeUserFailures)
			c.limit.fail(addrKey, freeAddrFailures)
			c.d.Logger.Warn("console password refused", "user", s.Username, "addr", clientAddr(r))
			c.showLoans(w, r, s, http.StatusUnauthorized, "", "Mifos did not accept that password.")
			return false
		}
		st, msg := c.fineractFailure(s, err, "Your password could not be checked")
		c.showLoans(w, r, s, st, "", msg)
		return false
	}
	c.limit.succeed(userKey)
	if err := c.remember(r.Context(), s.Username, password, u); err != nil {
		c.d.Logger.Error("keeping a console password hash failed", "err", err)
	}
	s.Offline, s.UserID, s.OfficeID, s.OfficeName, s.StaffID, s.Permissions = false, u.ID, u.OfficeID, u.OfficeName, u.StaffID, u.Permissions
	if err := c.d.DB.PutConsoleSession(s.key, s.ConsoleSession); err != nil {
		c.d.Logger.Error("updating a console session failed", "err", err)
	}
	c.secrets.keep(s.key, password)
	return true
}

// decision is a validated approve or reject form.
type decision struct {
	loanID int64
	on     mifos.Date
	amount mifos.Amount // approve only; zero keeps the applied principal
	note   string
}

// readDecision validates the form; the error is a sentence for the user.
func (c *Console) readDecision(r *http.Request, withAmount bool) (decision, error) {
	var d decision
	if d.loanID = parseID(r.PathValue("id")); d.loanID <= 0 {
		return d, formError("That loan number is not valid.")
	}
	today := mifos.DateOf(c.d.Now().In(c.d.Location))
	on := strings.TrimSpace(r.PostFormValue("date"))
	if on == "" {
		d.on = today
	} else {
		t, err := time.Parse(time.DateOnly, on)
		if err != nil {
			return d, formErrorf("The date %q is not a date like %s.", on, today)
		}
		d.on = mifos.DateOf(t)
		if today.Before(d.on) {
			return d, formErrorf("The date %s is in the future; Mifos accepts today (%s) or earlier.", d.on, today)
		}
	}
	if withAmount {
		if a := strings.TrimSpace(r.PostFormValue("amount")); a != "" {
			amt, err := mifos.ParseAmount(a)
			if err != nil {
				return d, formErrorf("The approved amount: %v.", err)
			}
			if amt <= 0 {
				return d, formError("The approved amount must be more than zero.")
			}
			d.amount = amt
		}
	}
	d.note = strings.TrimSpace(r.PostFormValue("note"))
	if utf8.RuneCountInString(d.note) > maxNote {
		return d, formErrorf("The note is longer than %d characters.", maxNote)
	}
	if !utf8.ValidString(d.note) || strings.ContainsFunc(d.note, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t' }) {
		return d, formError("The note contains characters that cannot be sent.")
	}
	return d, nil
}

func (c *Console) approve(w http.ResponseWriter, r *http.Request, s *session) {
	c.decide(w, r, s, true)
}

func (c *Console) reject(w http.ResponseWriter, r *http.Request, s *session) {
	c.decide(w, r, s, false)
}

// decide approves or rejects a loan in Fineract as the signed-in user.
func (c *Console) decide(w http.ResponseWriter, r *http.Request, s *session, approve bool) {
	perm, verb := permApprove, "approve"
	if !approve {
		perm, verb = permReject, "reject"
	}
	if c.d.AsUser == nil {
		c.showLoans(w, r, s, http.StatusServiceUnavailable, "", "This box has no Mifos link.")
		return
	}
	if !s.user().Permitted(perm) {
		c.showLoans(w, r, s, http.StatusForbidden, "", fmt.Sprintf("Your Mifos user may not %s loans (permission %s). Ask the person who runs Mifos.", verb, perm))
		return
	}
	d, err := c.readDecision(r, approve)
	if err != nil {
		c.showLoans(w, r, s, http.StatusUnprocessableEntity, "", err.Error())
		return
	}
	password, ok := c.secrets.get(s.key)
	if !ok {
		typed := r.PostFormValue("password")
		if typed == "" || len(typed) > maxPassword {
			c.showLoans(w, r, s, http.StatusUnauthorized, "", "Enter your Mifos password to "+verb+" the loan.")
			return
		}
		if !c.usePassword(w, r, s, typed) {
			return
		}
		password = typed
	}
	ctx, cancel := context.WithTimeout(r.Context(), loanTimeout)
	defer cancel()
	desk := c.d.AsUser(s.Username, password)
	var res mifos.Result
	if approve {
		res, err = desk.ApproveLoan(ctx, d.loanID, mifos.Approval{On: d.on, Amount: d.amount, Note: d.note})
	} else {
		res, err = desk.RejectLoan(ctx, d.loanID, mifos.Rejection{On: d.on, Note: d.note})
	}
	if err != nil {
		st, msg := c.fineractFailure(s, err, fmt.Sprintf("Loan %d was not %sd", d.loanID, verb))
		c.showLoans(w, r, s, st, "", msg)
		return
	}
	c.d.Logger.Info("console loan decision", "user", s.Username, "loan_id", d.loanID, "decision", verb, "pending_checker", res.PendingApproval)
	m := "approved"
	if !approve {
		m = "rejected"
	}
	if res.PendingApproval {
		m = "checker"
	}
	seeOther(w, r, fmt.Sprintf("/console/loans?m=%s&loan=%d", m, d.loanID))
}

// formError is a sentence telling a person what is wrong with a form.
type formError string

func (e formError) Error() string { return string(e) }

func formErrorf(format string, a ...any) error { return formError(fmt.Sprintf(format, a...)) }

// parseID reads a positive decimal id; 0 when it is not one.
func parseID(s string) int64 {
	if s == "" || len(s) > 18 || s[0] < '1' || s[0] > '9' {
		return 0
	}
	for i := 1; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0
	}
	return n
}

// loansHTML asks for the password, or shows each pending loan with the
// approve and reject forms the user's permissions allow.
func loansHTML(d *loansData) func(h *htmlWriter) {
	return func(h *htmlWriter) {
		h.raw("\n")
		if d.NeedPassword {
			h.raw(`
<form method="post" action="/console/loans/connect" class="card">
<p>To see and approve loans, this box acts in Mifos as you, and needs your password again (it keeps it in memory only, until you sign out).</p>
<label for="connect-password">Mifos password</label>
<input id="connect-password" name="password" type="password" autocomplete="current-password" required maxlength="256">
<button type="submit">Connect to Mifos</button>
</form>
`)
		} else {
			h.raw("\n")
			if len(d.Loans) == 0 {
				h.raw(`<p class="ok">No loan waits for approval in your office.</p>`)
			}
			h.raw("\n")
			if !d.CanApprove {
				h.raw(`<p class="warn">Your Mifos user may not approve loans (permission APPROVE_LOAN).</p>`)
			}
			h.raw("\n")
			for _, l := range d.Loans {
				loanHTML(h, d, l)
			}
			h.raw("\n")
		}
		h.raw("\n")
	}
}

// loanHTML is one pending loan.
func loanHTML(h *htmlWriter, d *loansData, l loanRow) {
	id := strconv.FormatInt(l.ID, 10)
	// label writes a label and the opening of its input, tied by an id
	// unique on the page.
	label := func(idPrefix, text markup) {
		h.raw("\n<label")
		h.attr("for", string(idPrefix)+id)
		h.raw(">" + text + "</label>\n<input")
		h.attr("id", string(idPrefix)+id)
	}
	h.raw("\n<section class=\"card loan\"")
	h.attr("id", "loan-"+id)
	h.raw(">\n<h2>")
	h.text(l.Amount)
	h.raw(" ")
	h.text(l.Currency.Code)
	h.raw("</h2>\n<dl>\n<dt>Client</dt><dd>")
	h.text(l.ClientName)
	if l.GroupName != "" {
		h.raw(" (")
		h.text(l.GroupName)
		h.raw(")")
	}
	h.raw("</dd>\n<dt>Product</dt><dd>")
	h.text(l.ProductName)
	h.raw("</dd>\n<dt>Officer</dt><dd>")
	h.textOr(l.OfficerName, "none")
	h.raw("</dd>\n<dt>Loan</dt><dd>")
	h.text(l.AccountNo)
	h.raw(", submitted ")
	h.text(l.SubmittedOn.String())
	h.raw("</dd>\n</dl>\n")
	if d.CanApprove {
		h.raw("\n<form method=\"post\"")
		h.link("action", pathTo("/console/loans/", id, "/approve"))
		h.raw(">")
		label("date-", "Approved on")
		h.raw(` name="date" type="date"`)
		h.attr("value", d.Today)
		h.attr("max", d.Today)
		h.raw(" required>")
		label("amount-", "Approved amount")
		h.raw(` name="amount" inputmode="decimal"`)
		h.attr("value", l.Plain)
		h.raw(" required>")
		label("note-", "Note")
		h.raw(` name="note" maxlength="500">
<button type="submit">Approve</button>
</form>
`)
	}
	h.raw("\n")
	if d.CanReject {
		h.raw("\n<details>\n<summary>Reject</summary>\n<form method=\"post\"")
		h.link("action", pathTo("/console/loans/", id, "/reject"))
		h.raw(">")
		label("rdate-", "Rejected on")
		h.raw(` name="date" type="date"`)
		h.attr("value", d.Today)
		h.attr("max", d.Today)
		h.raw(" required>")
		label("rnote-", "Why")
		h.raw(` name="note" maxlength="500" required>
<button type="submit" class="danger">Reject</button>
</form>
</details>
`)
	}
	h.raw("\n</section>\n")
}
