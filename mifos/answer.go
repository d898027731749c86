package mifos

import (
	"errors"
	"fmt"
)

// Answer is what a failed call says about Fineract: whether Fineract
// itself answered, and whether asking again later can help. It is the one
// place that decides "Fineract did not really answer" (docs/fineract.md
// §1.6).
type Answer int

const (
	// Refused: Fineract answered no (a 4xx about this request). The same
	// request will be refused again.
	Refused Answer = iota
	// NotSent: this client refused to send the request (a bad amount or
	// date); Fineract was not asked.
	NotSent
	// NotAllowed: Fineract refused the box's own user (bad credentials, a
	// missing permission). A person must fix the user; the request waits.
	NotAllowed
	// Redirected: a 3xx; the client never follows one. base_url (or a proxy)
	// is wrong; the request went no further and waits for the fix.
	Redirected
	// Busy: Fineract answered "not now" (408, 409, 425, 429).
	Busy
	// ServerError: Fineract failed while handling the request (500 and
	// other 5xx from Fineract itself). For a write the outcome is unknown.
	ServerError
	// Unreachable: no answer from Fineract at all: network, TLS, timeout,
	// or a gateway in front of it answering 502, 503 or 504.
	Unreachable
	// Misconfigured: Fineract refused the box's setup, not the request: a
	// 400 without Fineract's JSON (its tenant filter's page for an unknown
	// [mifos] tenant), or 404 error.msg.payment.type.invalid (no payment
	// type [mifos] payment_type_id). A person must fix the setup; the
	// request waits.
	Misconfigured
	// TooLarge: Fineract answered with more than this client reads (an
	// unpaged list of a very long account). Asking again gets the same.
	TooLarge
	// Early: Fineract refused a posting dated after its "today" (its
	// business date, or the date in the tenant's time zone): a box whose
	// clock is ahead of the tenant's near midnight, or a business date
	// not moved on yet. The same posting goes through once that day has
	// come, so it waits and is sent again; nothing was posted.
	Early
)

var answerNames = [...]string{"refused", "not sent", "not allowed", "redirected", "busy", "server error", "unreachable", "misconfigured", "too large", "too early"}

// The refusals of a posting dated after Fineract's today: 403 for a
// repayment (also in a collection sheet) and a disbursement, 400 for a
// deposit.
const (
	CodeLoanFutureDate      = "error.msg.loan.transaction.cannot.be.a.future.date"
	CodeSavingsFutureDate   = "error.msg.savingsaccount.transaction.in.the.future"
	CodeDisbursalFutureDate = "error.msg.loan.disbursal.cannot.be.a.future.date"
)

// CodePaymentTypeInvalid is the 404 for a payment type Fineract does not have.
const CodePaymentTypeInvalid = "error.msg.payment.type.invalid"

func (a Answer) String() string {
	if int(a) < len(answerNames) {
		return answerNames[a]
	}
	return fmt.Sprintf("Answer(%d)", int(a))
}

// Classify says what err, returned by a call of this package, means. It
// must not be called with a nil error.
func Classify(err error) Answer {
	if errors.Is(err, ErrInvalidRequest) {
		return NotSent
	}
	if errors.Is(err, ErrTooLarge) {
		return TooLarge
	}
	var e *Error
	if !errors.As(err, &e) {
		return Unreachable
	}
	switch {
	case e.Status >= 300 && e.Status <= 399:
		return Redirected
	case e.Status == 401, e.Status == 403 && e.HasCode("error.msg.not.authorized"):
		return NotAllowed
	case e.Status == 400 && e.Code == "" && len(e.Errors) == 0,
		e.Status == 404 && e.HasCode(CodePaymentTypeInvalid):
		return Misconfigured
	case (e.Status == 403 || e.Status == 400) && (e.HasCode(CodeLoanFutureDate) || e.HasCode(CodeSavingsFutureDate) || e.HasCode(CodeDisbursalFutureDate)):
		return Early
	case e.Status == 408, e.Status == 409, e.Status == 425, e.Status == 429:
		return Busy
	case e.Status == 502, e.Status == 503, e.Status == 504:
		return Unreachable
	case e.Status == 501, e.Status == 505:
		// Not implemented / version not supported: asking again cannot help.
		return Refused
	case e.Status >= 500:
		return ServerError
	}
	return Refused
}

// Retryable: asking again later, with a new Idempotency-Key, may succeed.
func (a Answer) Retryable() bool {
	return a == Busy || a == ServerError || a == Unreachable || a == Early
}

// Waits: the request is fine but cannot go through until a person fixes
// the box's setup (its Fineract user, base_url, tenant or payment type);
// hold it, do not fail it.
func (a Answer) Waits() bool { return a == NotAllowed || a == Redirected || a == Misconfigured }

// Offline: Fineract could not give an answer now, so a reply should come
// from the offline copy (BAL) or the request be taken for later (PAY).
func (a Answer) Offline() bool { return a == Busy || a == ServerError || a == Unreachable }

// IsRetryable reports errors worth retrying later with a new
// Idempotency-Key (see Answer.Retryable).
func IsRetryable(err error) bool { return err != nil && Classify(err).Retryable() }

// IsRedirect reports a 3xx answer (see Redirected).
func IsRedirect(err error) bool { return err != nil && Classify(err) == Redirected }

// IsAuthProblem reports Fineract refusing the box itself (see NotAllowed).
func IsAuthProblem(err error) bool { return err != nil && Classify(err) == NotAllowed }
