package fineractsim

import (
	"errors"
	"fmt"
	"strconv"
	"testing"
)

// A held repayment is listed for checkers and audited as awaiting; once a
// checker approves it, it posts, its audit says processed (by whom), and a
// replay of its key gets the posted answer from the idempotency store.
func TestMakerCheckerApprove(t *testing.T) {
	s := startSeeded(t)
	s.SetMakerChecker(true)
	body := repayBody("2024-09-26", "500", "mc-a")
	r := call(t, s, "POST", repayPath(SeedLoanAmina), body, "Idempotency-Key", "k-a")
	id := commandID(t, r.body)
	if got := s.Awaiting(); len(got) != 1 || got[0] != id {
		t.Fatalf("awaiting: %v, want [%d]", got, id)
	}
	list := arr(t, call(t, s, "GET", "/makercheckers", "").body)
	if len(list) != 1 || str(path(list[0], "id")) != fmt.Sprint(id) || str(path(list[0], "processingResult")) != "awaiting.approval" ||
		str(path(list[0], "actionName")) != "REPAYMENT" || str(path(list[0], "entityName")) != "LOAN" {
		t.Fatalf("makercheckers: %v", list)
	}
	audit := obj(t, call(t, s, "GET", fmt.Sprintf("/audits/%d", id), "").body)
	if audit["processingResult"] != "awaiting.approval" || audit["checker"] != nil {
		t.Fatalf("audit before approval: %v", audit)
	}

	s.SetMakerChecker(false) // the checker's decision does not depend on it
	if err := s.Approve(id); err != nil {
		t.Fatal(err)
	}
	if n := len(s.LoanTransactions(SeedLoanAmina)); n != 5 {
		t.Fatalf("approved repayment not posted: %d transactions", n)
	}
	audit = obj(t, call(t, s, "GET", fmt.Sprintf("/audits/%d", id), "").body)
	if audit["processingResult"] != "processed" || audit["checker"] != checkerName {
		t.Fatalf("audit after approval: %v", audit)
	}
	if list := arr(t, call(t, s, "GET", "/makercheckers", "").body); len(list) != 0 {
		t.Fatalf("an approved command is still listed: %v", list)
	}
	replay := call(t, s, "POST", repayPath(SeedLoanAmina), body, "Idempotency-Key", "k-a")
	if replay.status != 200 || replay.header.Get("x-served-from-cache") != "true" || obj(t, replay.body)["resourceId"] == nil {
		t.Fatalf("replay after approval: %d %s", replay.status, replay.body)
	}
	if err := s.Approve(id); !errors.Is(err, ErrNotAwaitingApproval) {
		t.Fatalf("second approval: %v", err)
	}
}

// A rejected command never posts; its audit says rejected; a replay of its
// key is 425 (Fineract has no branch for a rejected command); it can be
// neither approved nor rejected again.
func TestMakerCheckerReject(t *testing.T) {
	s := startSeeded(t)
	s.SetMakerChecker(true)
	body := repayBody("2024-09-26", "500", "mc-r")
	id := commandID(t, call(t, s, "POST", repayPath(SeedLoanAmina), body, "Idempotency-Key", "k-r").body)
	r := call(t, s, "POST", fmt.Sprintf("/makercheckers/%d?command=reject", id), "")
	if r.status != 200 || str(obj(t, r.body)["commandId"]) != fmt.Sprint(id) {
		t.Fatalf("reject: %d %s", r.status, r.body)
	}
	if n := len(s.LoanTransactions(SeedLoanAmina)); n != 4 {
		t.Fatalf("a rejected repayment posted: %d transactions", n)
	}
	audit := obj(t, call(t, s, "GET", fmt.Sprintf("/audits/%d", id), "").body)
	if audit["processingResult"] != "rejected" || audit["checker"] != checkerName {
		t.Fatalf("audit after rejection: %v", audit)
	}
	if r := call(t, s, "POST", repayPath(SeedLoanAmina), body, "Idempotency-Key", "k-r"); r.status != 425 {
		t.Fatalf("replay of a rejected command: %d %s", r.status, r.body)
	}
	if err := s.Approve(id); !errors.Is(err, ErrNotAwaitingApproval) {
		t.Fatalf("approval after rejection: %v", err)
	}
	wantError(t, call(t, s, "POST", fmt.Sprintf("/makercheckers/%d?command=approve", id), ""), 404, "error.msg.command.id.not.awaiting.approval")
	wantError(t, call(t, s, "POST", "/makercheckers/4242?command=approve", ""), 404, "error.msg.command.id.invalid")
	wantError(t, call(t, s, "POST", fmt.Sprintf("/makercheckers/%d?command=maybe", id), ""), 400, "error.msg.unknown.query.param.command")
	wantError(t, call(t, s, "GET", "/audits/4242", ""), 404, "error.msg.command.id.invalid")
}

// A checker approving a held command that no longer passes (the loan was
// repaid in full meanwhile, or here: its externalId was used) fails, and the
// command is stored as failed, not posted.
func TestMakerCheckerApprovalThatFails(t *testing.T) {
	s := startSeeded(t)
	s.SetMakerChecker(true)
	id := commandID(t, call(t, s, "POST", repayPath(SeedLoanAmina), repayBody("2024-09-26", "500", "mc-dup")).body)
	s.SetMakerChecker(false)
	if r := call(t, s, "POST", repayPath(SeedLoanAmina), repayBody("2024-09-26", "300", "mc-dup")); r.status != 200 {
		t.Fatalf("direct repayment: %d %s", r.status, r.body)
	}
	if err := s.Approve(id); err == nil {
		t.Fatal("approval of a duplicate externalId succeeded")
	}
	if audit := obj(t, call(t, s, "GET", fmt.Sprintf("/audits/%d", id), "").body); audit["processingResult"] != "error" {
		t.Fatalf("audit of a failed approval: %v", audit)
	}
}

// The box's user is no checker: /makercheckers shows it nothing, so the
// fate of its commands is read from /audits/{id}, which needs READ_AUDIT.
func TestMakerCheckerPermissions(t *testing.T) {
	s := startSeeded(t)
	s.SetMakerChecker(true)
	id := commandID(t, call(t, s, "POST", repayPath(SeedLoanAmina), repayBody("2024-09-26", "500", "mc-p")).body)
	s.SetPermissions("REPAYMENT_LOAN", "READ_LOAN")
	if list := arr(t, call(t, s, "GET", "/makercheckers", "").body); len(list) != 0 {
		t.Fatalf("a user without checker rights sees %v", list)
	}
	wantError(t, call(t, s, "GET", fmt.Sprintf("/audits/%d", id), ""), 403, "error.msg.not.authorized")
	wantError(t, call(t, s, "POST", fmt.Sprintf("/makercheckers/%d?command=approve", id), ""), 403, "error.msg.not.authorized")
	s.SetPermissions("REPAYMENT_LOAN", "READ_LOAN", "READ_AUDIT", "REPAYMENT_LOAN_CHECKER")
	if r := call(t, s, "GET", fmt.Sprintf("/audits/%d", id), ""); r.status != 200 {
		t.Fatalf("audit with READ_AUDIT: %d %s", r.status, r.body)
	}
	if list := arr(t, call(t, s, "GET", "/makercheckers", "").body); len(list) != 1 {
		t.Fatalf("a checker of repayments sees %v", list)
	}
	if r := call(t, s, "POST", fmt.Sprintf("/makercheckers/%d?command=approve", id), ""); r.status != 200 || obj(t, r.body)["resourceId"] == nil {
		t.Fatalf("approve over HTTP: %d %s", r.status, r.body)
	}
}

// commandID is the commandId of a write's answer.
func commandID(t *testing.T, body []byte) int64 {
	t.Helper()
	n, err := strconv.ParseInt(str(obj(t, body)["commandId"]), 10, 64)
	if err != nil {
		t.Fatalf("no commandId in %s", body)
	}
	return n
}
