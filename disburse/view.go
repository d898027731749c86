package disburse

import (
	"time"

	"github.com/mifos-edge/mifos-edge/store"
)

// BatchView is a batch as people and scripts read it (the CLI's --json,
// the console): amounts in words of their currency, times in RFC 3339.
type BatchView struct {
	ID            uint64           `json:"id"`
	State         store.BatchState `json:"state"`
	StaffID       int64            `json:"staff_id"`
	Staff         string           `json:"staff,omitempty"`
	CreatedBy     string           `json:"created_by"`
	CreatedAt     time.Time        `json:"created_at"`
	Currency      string           `json:"currency"`
	Total         string           `json:"total"`
	Limit         string           `json:"limit"`
	NeedsApproval bool             `json:"needs_approval"`
	ApprovedBy    string           `json:"approved_by,omitempty"`
	ApprovedAt    *time.Time       `json:"approved_at,omitempty"`
	SentBy        string           `json:"sent_by,omitempty"`
	SentAt        *time.Time       `json:"sent_at,omitempty"`
	Lines         []LineView       `json:"lines"`
	Audit         []AuditView      `json:"audit,omitempty"`
}

// LineView is one line as people and scripts read it.
type LineView struct {
	ID        uint64          `json:"id"`
	LoanID    int64           `json:"loan_id"`
	AccountNo string          `json:"account_no"`
	ClientID  int64           `json:"client_id"`
	Client    string          `json:"client"`
	Phone     string          `json:"phone"`
	Amount    string          `json:"amount"`
	State     store.LineState `json:"state"`
	// Confirmation is the operator's confirmation number (successful).
	Confirmation string `json:"confirmation"`
	// Time is when the line last moved: the operator's completion time of
	// a successful line, else when it settled or was sent.
	Time          *time.Time `json:"time"`
	Reason        string     `json:"reason"`
	FineractTxnID int64      `json:"fineract_txn_id"`
	// Posted is the state of its disbursement in Mifos ("" until paid).
	Posted    store.JournalState `json:"posted"`
	PostError string             `json:"post_error,omitempty"`
	Ref       string             `json:"ref"`
	SettledBy string             `json:"settled_by"`
	Conflict  string             `json:"conflict"`
}

// AuditView is one step of a batch's history.
type AuditView struct {
	At   time.Time `json:"at"`
	Line uint64    `json:"line,omitempty"`
	Who  string    `json:"who"`
	What string    `json:"what"`
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// ViewOf is the view of batch b with its lines and history.
func ViewOf(b store.DisburseBatch, lines []store.DisburseLine, audit []store.DisburseAudit) BatchView {
	v := BatchView{ID: b.ID, State: b.State, StaffID: b.StaffID, Staff: b.StaffName, CreatedBy: b.CreatedBy, CreatedAt: b.CreatedAt,
		Currency: b.Currency, Total: money(b.Currency, b.Decimals, b.Total), Limit: money(b.Currency, b.Decimals, b.Limit),
		NeedsApproval: b.NeedsApproval, ApprovedBy: b.ApprovedBy, ApprovedAt: timePtr(b.ApprovedAt), SentBy: b.SentBy, SentAt: timePtr(b.SentAt),
		Lines: make([]LineView, 0, len(lines))}
	for _, l := range lines {
		reason := l.Reason
		if reason == "" && (l.State == store.LineUnknown || l.State == store.LinePending) {
			reason = l.LastError
		}
		if l.PostError != "" && reason == "" {
			reason = "paid, but Mifos refused the disbursement: " + l.PostError
		}
		at := l.CompletedAt
		if at.IsZero() {
			at = l.SettledAt
		}
		if at.IsZero() {
			at = l.SentAt
		}
		v.Lines = append(v.Lines, LineView{ID: l.ID, LoanID: l.LoanID, AccountNo: l.AccountNo, ClientID: l.ClientID, Client: l.ClientName,
			Phone: l.Phone, Amount: money(l.Currency, l.Decimals, l.Amount), State: l.State, Confirmation: l.Confirmation,
			Time: timePtr(at), Reason: reason, FineractTxnID: l.FineractTxnID, Posted: l.Posted, PostError: l.PostError,
			Ref: l.Ref, SettledBy: l.SettledBy, Conflict: l.Conflict})
	}
	for _, a := range audit {
		v.Audit = append(v.Audit, AuditView{At: a.At, Line: a.Line, Who: a.Who, What: a.What})
	}
	return v
}
