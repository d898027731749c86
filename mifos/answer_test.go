package mifos

import (
	"context"
	"errors"
	"fmt"
	"net"
	"testing"
)

func TestClassify(t *testing.T) {
	notAuthorized := &Error{Status: 403, Errors: []FieldError{{Code: "error.msg.not.authorized"}}}
	cases := []struct {
		name string
		err  error
		want Answer
	}{
		{"network", &net.OpError{Op: "dial", Err: errors.New("connection refused")}, Unreachable},
		{"timeout", context.DeadlineExceeded, Unreachable},
		{"gateway 502", &Error{Status: 502}, Unreachable},
		{"unavailable 503", &Error{Status: 503}, Unreachable},
		{"gateway timeout 504", &Error{Status: 504}, Unreachable},
		{"500", &Error{Status: 500}, ServerError},
		{"507", &Error{Status: 507}, ServerError},
		{"501", &Error{Status: 501}, Refused},
		{"408", &Error{Status: 408}, Busy},
		{"409", &Error{Status: 409}, Busy},
		{"425 still running", &Error{Status: 425}, Busy},
		{"429", &Error{Status: 429}, Busy},
		{"400", &Error{Status: 400, Code: "validation.msg.validation.errors.exist"}, Refused},
		{"400 tenant page", &Error{Status: 400, Message: "The tenant identifier provided is invalid."}, Misconfigured},
		{"404 payment type", &Error{Status: 404, Code: CodeNotFound, Errors: []FieldError{{Code: CodePaymentTypeInvalid}}}, Misconfigured},
		{"404", &Error{Status: 404}, Refused},
		{"403 maker-checker or other", &Error{Status: 403, Code: "error.msg.loan.transaction.cannot.be.before.disbursement.date"}, Refused},
		{"403 not authorized", notAuthorized, NotAllowed},
		{"403 repayment dated after Fineract's today", &Error{Status: 403, Code: "validation.msg.domain.rule.violation",
			Errors: []FieldError{{Code: CodeLoanFutureDate}}}, Early},
		{"400 deposit dated after Fineract's today", &Error{Status: 400, Code: "validation.msg.validation.errors.exist",
			Errors: []FieldError{{Code: CodeSavingsFutureDate}}}, Early},
		{"403 disbursement dated after Fineract's today", &Error{Status: 403, Code: "validation.msg.domain.rule.violation",
			Errors: []FieldError{{Code: CodeDisbursalFutureDate}}}, Early},
		{"403 approval dated after Fineract's today: a person's decision, not a posting", &Error{Status: 403,
			Code: "validation.msg.domain.rule.violation", Errors: []FieldError{{Code: "error.msg.loan.approval.cannot.be.a.future.date"}}}, Refused},
		{"401", &Error{Status: 401}, NotAllowed},
		{"302", &Error{Status: 302, Location: "http://x"}, Redirected},
		{"local refusal", invalidf("amount %d", -1), NotSent},
		{"too large", fmt.Errorf("%w: GET /savingsaccounts/77", ErrTooLarge), TooLarge},
		{"wrapped", fmt.Errorf("loan 7: %w", &Error{Status: 503}), Unreachable},
	}
	for _, c := range cases {
		if got := Classify(c.err); got != c.want {
			t.Errorf("%s: Classify = %s, want %s", c.name, got, c.want)
		}
	}
	retry := map[Answer]bool{Busy: true, ServerError: true, Unreachable: true, Early: true}
	offline := map[Answer]bool{Busy: true, ServerError: true, Unreachable: true}
	waits := map[Answer]bool{NotAllowed: true, Redirected: true, Misconfigured: true}
	for a := Refused; a <= Early; a++ {
		if a.Retryable() != retry[a] || a.Offline() != offline[a] || a.Waits() != waits[a] {
			t.Errorf("%s: retryable %v offline %v waits %v", a, a.Retryable(), a.Offline(), a.Waits())
		}
	}
	if IsRetryable(nil) || IsRedirect(nil) || IsAuthProblem(nil) {
		t.Error("a nil error is classified as a failure")
	}
}

// Only Fineract's own not-found body says a thing is absent; a plain 404
// (a route the server does not have) says nothing about it.
func TestNotFoundAnswerAndMissingRoute(t *testing.T) {
	own := &Error{Status: 404, Code: CodeNotFound, Errors: []FieldError{{Code: "error.msg.loan.transaction.external.id.invalid"}}}
	page := &Error{Status: 404, Message: "404 page not found"}
	if !IsNotFoundAnswer(own) || !IsNotFoundAnswer(own, "x", "error.msg.loan.transaction.external.id.invalid") || IsNotFoundAnswer(own, "error.msg.loan.id.invalid") {
		t.Error("Fineract's own 404 misread")
	}
	if IsMissingRoute(own) || !IsMissingRoute(page) || IsNotFoundAnswer(page) {
		t.Error("a plain 404 misread")
	}
	if IsMissingRoute(&Error{Status: 400}) || IsNotFoundAnswer(fmt.Errorf("wrapped: %w", page)) || !IsMissingRoute(fmt.Errorf("wrapped: %w", page)) {
		t.Error("other answers misread")
	}
}
