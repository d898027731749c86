package disburse

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/mifos-edge/mifos-edge/mifos"
	"github.com/mifos-edge/mifos-edge/phone"
	"github.com/mifos-edge/mifos-edge/store"
)

// Fineract is what building and sending a batch reads from Fineract.
type Fineract interface {
	LoanApplication(ctx context.Context, loanID int64) (mifos.LoanApplication, error)
	Client(ctx context.Context, clientID int64) (mifos.Client, error)
}

// Policy is who may send how much (the [disbursement] table).
type Policy struct {
	// LimitOf is staff's limit per batch in millionths; 0 = every batch
	// needs a second person's approval.
	LimitOf func(staffID int64) int64
	// MaxLine refuses a line above it (millionths); 0 = no ceiling.
	MaxLine int64
	// Approver reports the staff id of an approver by Mifos user name;
	// ok false when user is not an approver.
	Approver func(user string) (staffID int64, ok bool)
}

// Item is one loan asked for in a batch: Amount 0 = the approved amount.
type Item struct {
	LoanID int64
	Amount mifos.Amount
}

// Builder builds, approves, sends and settles batches: the acts of
// people, checked against Fineract and the policy.
type Builder struct {
	DB      *store.DB
	API     Fineract
	Policy  Policy
	Country string // reads phone numbers Fineract holds without +
	// BoxID makes line refs unique across boxes.
	BoxID string
	// OfficerPhone finds the phone a staff member's summary goes to ("" none).
	OfficerPhone func(staffID int64) string
	// Sent is called after a batch was set sending (wake the engine).
	Sent func()
	Log  *slog.Logger
}

// LineError is a line refused when a batch is built.
type LineError struct {
	LoanID int64
	Why    string
}

// BuildError lists every refused line of a batch: nothing was stored.
type BuildError struct{ Lines []LineError }

func (e *BuildError) Error() string {
	var b strings.Builder
	b.WriteString("the batch was not built; nothing will be paid:")
	for _, l := range e.Lines {
		fmt.Fprintf(&b, "\n  loan %d: %s", l.LoanID, l.Why)
	}
	return b.String()
}

// Ref is a line's operator ref: box and line id (Daraja allows any
// unique text; an SMS command keeps it short).
func (bd *Builder) Ref(id uint64) string {
	box := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, bd.BoxID)
	if len(box) > 12 {
		box = box[:12]
	}
	return "MFE" + box + "D" + strconv.FormatUint(id, 10)
}

// lines checks each item against Fineract and the policy and turns it into
// a line; every refusal is collected so the officer fixes them at once.
func (bd *Builder) lines(ctx context.Context, staffID int64, items []Item) ([]store.DisburseLine, string, error) {
	if len(items) == 0 {
		return nil, "", errors.New("a batch needs at least one loan")
	}
	var out []store.DisburseLine
	var bad []LineError
	seen := map[int64]bool{}
	var cur mifos.Currency
	staffName := ""
	for _, it := range items {
		refuse := func(format string, args ...any) {
			bad = append(bad, LineError{LoanID: it.LoanID, Why: fmt.Sprintf(format, args...)})
		}
		if seen[it.LoanID] {
			refuse("listed twice")
			continue
		}
		seen[it.LoanID] = true
		app, err := bd.API.LoanApplication(ctx, it.LoanID)
		if err != nil {
			if mifos.IsNotFoundAnswer(err) {
				refuse("Mifos has no such loan")
				continue
			}
			return nil, "", fmt.Errorf("read loan %d from Mifos: %w", it.LoanID, err)
		}
		switch app.StatusID {
		case mifos.StatusApproved:
		case mifos.StatusPending:
			refuse("not approved yet in Mifos")
			continue
		case mifos.StatusActive:
			refuse("already disbursed in Mifos")
			continue
		default:
			refuse("not an approved loan waiting for disbursement in Mifos (status %d)", app.StatusID)
			continue
		}
		if app.OfficerID != staffID {
			refuse("its loan officer in Mifos is %s (staff %d), not staff %d", app.OfficerName, app.OfficerID, staffID)
			continue
		}
		staffName = app.OfficerName
		approved := app.ApprovedPrincipal
		if approved == 0 {
			approved = app.Principal
		}
		amount := it.Amount
		if amount == 0 {
			amount = approved
		}
		c := app.Currency
		switch {
		case amount <= 0:
			refuse("the amount must be more than zero")
			continue
		case amount > approved:
			refuse("%s is more than the approved %s", money(c.Code, c.DecimalPlaces, int64(amount)), money(c.Code, c.DecimalPlaces, int64(approved)))
			continue
		case !c.PostsExactly(amount):
			refuse("%s cannot be paid in %s (smallest step %s)", money(c.Code, c.DecimalPlaces, int64(amount)), c.Code,
				money(c.Code, c.DecimalPlaces, max(mifos.MinorUnit(c.DecimalPlaces), c.PostingStep()*1_000_000)))
			continue
		case bd.Policy.MaxLine > 0 && int64(amount) > bd.Policy.MaxLine:
			refuse("%s is above the ceiling of %s for one payment", money(c.Code, c.DecimalPlaces, int64(amount)), money(c.Code, c.DecimalPlaces, bd.Policy.MaxLine))
			continue
		}
		if cur.Code == "" {
			cur = c
		} else if cur.Code != c.Code {
			refuse("its currency %s differs from the batch's %s: one batch, one currency", c.Code, cur.Code)
			continue
		}
		cl, err := bd.API.Client(ctx, app.ClientID)
		if err != nil {
			return nil, "", fmt.Errorf("read client %d from Mifos: %w", app.ClientID, err)
		}
		if strings.TrimSpace(cl.MobileNo) == "" {
			refuse("client %s has no mobile number in Mifos", cl.DisplayName)
			continue
		}
		ph, err := phone.Normalize(cl.MobileNo, bd.Country)
		if err != nil {
			refuse("client %s's mobile number in Mifos (%s) is not a phone number: %v", cl.DisplayName, cl.MobileNo, err)
			continue
		}
		out = append(out, store.DisburseLine{LoanID: app.ID, AccountNo: app.AccountNo, ClientID: app.ClientID,
			ClientName: cl.DisplayName, Phone: ph, Amount: int64(amount), Approved: int64(approved),
			Currency: c.Code, Decimals: c.DecimalPlaces})
	}
	if len(bad) > 0 {
		return nil, "", &BuildError{Lines: bad}
	}
	return out, staffName, nil
}

// limitCheck is the builder's limit and whether total is above it. The
// limit is per officer and day: batches built the same day without a
// second approval count together, so splitting a large payout into small
// batches does not escape the approval. except is a batch being changed.
func (bd *Builder) limitCheck(staffID int64, total int64, except uint64) (limit int64, needsApproval bool, err error) {
	limit = bd.Policy.LimitOf(staffID)
	batches, err := bd.DB.DisburseBatches(0)
	if err != nil {
		return 0, false, err
	}
	y, m, d := time.Now().Date()
	for _, b := range batches {
		by, bm, bday := b.CreatedAt.Date()
		if b.ID == except || b.StaffID != staffID || b.NeedsApproval || b.State == store.BatchCancelled || by != y || bm != m || bday != d {
			continue
		}
		total += b.Total
	}
	return limit, total > limit, nil
}

// Create builds a batch of staffID's approved loans; by says who (in words),
// byUser the Mifos user name when known.
func (bd *Builder) Create(ctx context.Context, staffID int64, items []Item, by, byUser string) (store.DisburseBatch, []store.DisburseLine, error) {
	if staffID <= 0 {
		return store.DisburseBatch{}, nil, errors.New("the loan officer's staff id is required")
	}
	lines, staffName, err := bd.lines(ctx, staffID, items)
	if err != nil {
		return store.DisburseBatch{}, nil, err
	}
	var total int64
	for _, l := range lines {
		total += l.Amount
	}
	limit, needs, err := bd.limitCheck(staffID, total, 0)
	if err != nil {
		return store.DisburseBatch{}, nil, err
	}
	b := store.DisburseBatch{StaffID: staffID, StaffName: staffName, CreatedBy: by, CreatedByUser: byUser,
		Currency: lines[0].Currency, Decimals: lines[0].Decimals, Limit: limit, NeedsApproval: needs}
	if bd.OfficerPhone != nil {
		b.OfficerPhone = bd.OfficerPhone(staffID)
	}
	b, lines, err = bd.DB.CreateDisburseBatch(b, lines, bd.Ref)
	if err == nil {
		bd.log().Info("disbursement batch built", "batch", b.ID, "staff", staffID, "lines", len(lines), "needs_approval", needs, "by", by)
	}
	return b, lines, err
}

// Edit replaces a batch's lines (before approval only).
func (bd *Builder) Edit(ctx context.Context, id uint64, items []Item, by string) (store.DisburseBatch, []store.DisburseLine, error) {
	b, _, err := bd.DB.DisburseBatch(id)
	if err != nil {
		return b, nil, err
	}
	if b.State == store.BatchApproved {
		return b, nil, store.ErrBatchApprovedAlready
	}
	lines, _, err := bd.lines(ctx, b.StaffID, items)
	if err != nil {
		return b, nil, err
	}
	var total int64
	for _, l := range lines {
		total += l.Amount
	}
	limit, needs, err := bd.limitCheck(b.StaffID, total, id)
	if err != nil {
		return b, nil, err
	}
	return bd.DB.EditDisburseBatch(id, lines, needs, limit, by, bd.Ref)
}

// Approve records user's approval of batch id as it stands (digest: what
// they were shown; "" from the command line, which shows it in the reply).
func (bd *Builder) Approve(id uint64, user, digest string) (store.DisburseBatch, error) {
	staff, ok := bd.Policy.Approver(user)
	if !ok {
		return store.DisburseBatch{}, fmt.Errorf("%q is not a disbursement approver ([[disbursement.approver]] in the configuration)", user)
	}
	b, err := bd.DB.ApproveDisburseBatch(id, user, staff, digest)
	if err == nil {
		bd.log().Info("disbursement batch approved", "batch", id, "by", user)
	}
	return b, err
}

// Send starts paying batch id.
func (bd *Builder) Send(id uint64, by string) (store.DisburseBatch, error) {
	b, err := bd.DB.SendDisburseBatch(id, by)
	if err == nil {
		bd.log().Info("disbursement batch sending", "batch", id, "by", by)
		if bd.Sent != nil {
			bd.Sent()
		}
	}
	return b, err
}

// Cancel cancels batch id before it is sent.
func (bd *Builder) Cancel(id uint64, by string) (store.DisburseBatch, error) {
	return bd.DB.CancelDisburseBatch(id, by)
}

// Resolution is a person's word on a line whose outcome was unknown.
type Resolution struct {
	Successful   bool
	Confirmation string // the operator's confirmation number (successful)
	Reason       string // why it was not paid (failed)
	At           time.Time
}

// Resolve settles an unknown line as a person found it with the operator.
// today dates a successful line's disbursement in Fineract.
func (bd *Builder) Resolve(id uint64, r Resolution, by string, paymentTypeID int64, today mifos.Date) (store.DisburseLine, error) {
	l, err := bd.DB.DisburseLine(id)
	if err != nil {
		return l, err
	}
	if l.State != store.LineUnknown {
		return l, fmt.Errorf("line %d is %s; only a line whose outcome is unknown is settled by hand: %w", id, l.State, store.ErrLineState)
	}
	o := store.LineOutcome{State: store.LineFailed, Reason: strings.TrimSpace(r.Reason), By: by, CompletedAt: r.At}
	if r.Successful {
		conf := strings.TrimSpace(r.Confirmation)
		if !validConfirmation(conf) {
			return l, fmt.Errorf("%q is not an operator confirmation number (4 to 40 letters and digits, with at least one digit)", conf)
		}
		o = store.LineOutcome{State: store.LineSuccessful, Confirmation: conf, By: by, CompletedAt: r.At}
		e := DisbursementEntry(l, conf, paymentTypeID, today)
		o.Disbursement = &e
	} else if o.Reason == "" {
		return l, errors.New("say why the line was not paid (--failed REASON)")
	}
	l, _, err = bd.DB.SettleLine(id, o)
	return l, err
}

func (bd *Builder) log() *slog.Logger {
	if bd.Log == nil {
		return slog.Default()
	}
	return bd.Log
}
