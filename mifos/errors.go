package mifos

import (
	"errors"
	"fmt"
)

// ErrNotFound matches (errors.Is) an *Error with status 404.
var ErrNotFound = errors.New("not found in Fineract")

// ErrTooLarge marks an answer longer than this client reads (maxBody): it
// was not decoded, and asking again gets the same answer.
var ErrTooLarge = errors.New("the answer is larger than this box reads")

// ErrInvalidRequest marks a request this client refused to send (a bad
// amount, date or missing key): retrying it cannot help.
var ErrInvalidRequest = errors.New("invalid request")

// invalidf is an error wrapping ErrInvalidRequest.
func invalidf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidRequest}, args...)...)
}

// FieldError is one entry of Fineract's errors[] list.
type FieldError struct {
	Code      string // userMessageGlobalisationCode
	Parameter string // parameterName
	Message   string // defaultUserMessage
	Value     any
}

// Error is a non-2xx answer from Fineract (ApiGlobalErrorResponse), or a
// 500 {"Exception": ...} body, or a non-JSON error page.
type Error struct {
	Status          int
	Code            string // top-level userMessageGlobalisationCode
	Message         string // defaultUserMessage or developerMessage
	Errors          []FieldError
	ServedFromCache bool   // x-served-from-cache: true (an idempotent replay)
	Body            string // raw body, truncated, for logs (never contains credentials)
	// Location is where a 3xx answer pointed, without credentials, query
	// or fragment; "" for other answers.
	Location string
}

func (e *Error) Error() string {
	if e.Status >= 300 && e.Status <= 399 {
		where := e.Location
		if where == "" {
			where = "an address it did not give (no Location header)"
		}
		return fmt.Sprintf("fineract %d: Fineract answered with a redirect to %s; this box does not follow redirects, "+
			"so the request went no further: fix [mifos] base_url to the address Fineract answers on", e.Status, where)
	}
	msg := e.Message
	if len(e.Errors) > 0 && e.Errors[0].Message != "" {
		msg = e.Errors[0].Message
	}
	code := e.Code
	if len(e.Errors) > 0 && e.Errors[0].Code != "" {
		code = e.Errors[0].Code
	}
	return fmt.Sprintf("fineract %d %s: %s", e.Status, code, msg)
}

// Is makes errors.Is(err, ErrNotFound) true for 404s.
func (e *Error) Is(target error) bool { return target == ErrNotFound && e.Status == 404 }

// HasCode reports whether the top-level code or any errors[] code equals code.
func (e *Error) HasCode(code string) bool {
	if e.Code == code {
		return true
	}
	for _, fe := range e.Errors {
		if fe.Code == code {
			return true
		}
	}
	return false
}

// CodeDuplicateExternalID is the 400 Fineract gives for a repeated loan-transaction externalId.
const CodeDuplicateExternalID = "validation.msg.loan.transaction.externalId.value.must.be.unique"

// IsDuplicateExternalID reports a repayment Fineract already has.
func IsDuplicateExternalID(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Status == 400 && e.HasCode(CodeDuplicateExternalID)
}

// CodeNotFound is the top-level code of Fineract's own 404 answer.
const CodeNotFound = "error.msg.resource.not.found"

// IsNotFoundAnswer reports Fineract's own "no such thing": a 404 with its
// JSON body (top-level error.msg.resource.not.found) and, when codes are
// given, one of them in errors[]. A 404 without that body is not an answer
// about the thing asked for (see IsMissingRoute).
func IsNotFoundAnswer(err error, codes ...string) bool {
	var e *Error
	if !errors.As(err, &e) || e.Status != 404 || e.Code != CodeNotFound {
		return false
	}
	if len(codes) == 0 {
		return true
	}
	for _, c := range codes {
		if e.HasCode(c) {
			return true
		}
	}
	return false
}

// IsMissingRoute reports a 404 that is not Fineract's JSON: the server (or
// a proxy in front of it) does not know the path at all, as a Fineract
// before 1.9 does not know the external-id routes. It says nothing about
// the thing looked for.
func IsMissingRoute(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Status == 404 && e.Code == "" && len(e.Errors) == 0
}
