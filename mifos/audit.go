package mifos

import (
	"context"
	"strings"
)

// CommandAudit is what Fineract's audit keeps of one command, by the
// commandId a write answered with (m_portfolio_command_source): whether it
// was processed, still awaits a checker, or a checker rejected it. Fineract
// keeps no reason for a rejection, only who rejected it.
type CommandAudit struct {
	ID     int64
	Action string // "REPAYMENT", "DEPOSIT", "SAVECOLLECTIONSHEET", ...
	Entity string // "LOAN", "SAVINGSACCOUNT", "GROUP", ...
	// Result is processingResult as Fineract words it ("processed",
	// "awaiting.approval", "rejected", ...).
	Result string
	// Checker is the user name of the checker who approved or rejected
	// it; "" until then.
	Checker string
}

// resultIs matches processingResult tolerantly: the enum's message
// property ("rejected") or its full code ("commandProcessingResultType.rejected").
func (a CommandAudit) resultIs(word string) bool {
	r := strings.ToLower(strings.TrimSpace(a.Result))
	return r == word || strings.HasSuffix(r, "."+word)
}

// Rejected reports whether a checker rejected the command: it was never
// executed and never will be.
func (a CommandAudit) Rejected() bool { return a.resultIs("rejected") }

// Processed reports whether the command ran (approved by a checker, or
// never held).
func (a CommandAudit) Processed() bool { return a.resultIs("processed") }

// Awaiting reports whether the command still waits for a checker.
func (a CommandAudit) Awaiting() bool { return a.resultIs("awaiting.approval") }

// CommandAudit is GET /audits/{commandId} (permission READ_AUDIT).
func (c *HTTPClient) CommandAudit(ctx context.Context, commandID int64) (CommandAudit, error) {
	var w struct {
		ID               int64      `json:"id"`
		ActionName       flexString `json:"actionName"`
		EntityName       flexString `json:"entityName"`
		ProcessingResult flexString `json:"processingResult"`
		Checker          flexString `json:"checker"`
	}
	if _, err := c.do(ctx, request{method: "GET", path: "/audits/" + id(commandID)}, &w); err != nil {
		return CommandAudit{}, err
	}
	return CommandAudit{ID: w.ID, Action: string(w.ActionName), Entity: string(w.EntityName),
		Result: string(w.ProcessingResult), Checker: string(w.Checker)}, nil
}
