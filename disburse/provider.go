// Package disburse pays approved loans out to clients' mobile wallets in
// batches and records each payment's fate, never paying a line twice
// (docs/disbursement.md). This file is the contract between the batch
// engine and the operators' interfaces (providers).
package disburse

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Order is one line to pay, as a provider sees it.
type Order struct {
	LineID uint64
	// Ref is the line's own id towards the operator, unique and fixed when
	// the line is created: Daraja's OriginatorConversationID, the command
	// SMS's reference. Sending it twice is what the operator's duplicate
	// check refuses.
	Ref string
	// Phone is the client's wallet number in international form (+2547…).
	Phone string
	// Amount in millionths of the currency unit (like mifos.Amount).
	Amount   int64
	Currency string
	// Remarks names the loan for the operator's records ("Loan 000000981").
	Remarks string
}

// Outcome is what is known of a line's payment.
type Outcome string

const (
	// Paid: the operator paid the client; Confirmation is its receipt.
	Paid Outcome = "paid"
	// NotPaid: the operator refused or failed it; nothing left the float.
	NotPaid Outcome = "not_paid"
	// NoRecord: a status query found no such payment at the operator (yet).
	// It is not proof that nothing will be paid: the line stays unknown.
	NoRecord Outcome = "no_record"
	// InProgress: the operator has it and has not finished.
	InProgress Outcome = "in_progress"
	// TimedOut: the operator's queue gave up on the request (Daraja's
	// queue time-out callback); whether it was paid is unknown: ask.
	TimedOut Outcome = "timed_out"
)

// Result is an operator's word on one line: a callback, a reply SMS, the
// answer to a status query.
type Result struct {
	// Ref is Order.Ref of the line it is about. A result that names only
	// the provider's own id carries it in ProviderRef and leaves Ref empty.
	Ref          string
	ProviderRef  string
	Outcome      Outcome
	Confirmation string    // the operator's receipt number (Paid)
	At           time.Time // when the operator completed it; zero if not said
	Reason       string    // why not paid, in words a loan officer can read
	// Code is the operator's own result code ("1", "2001"), for people.
	Code string
	// Amount the operator says it paid, millionths; 0 when not said.
	Amount int64
	// Phone the operator says it paid (international form); "" if not said.
	Phone string
	// Via says where the word came from: "callback", "status query", "reply SMS".
	Via string
}

// Provider pays lines through an operator's network interface (Daraja's
// B2C API). Submit sends one line once; the outcome arrives later through
// the Reporter the provider was built with, or by Query.
type Provider interface {
	// Submit asks the operator to pay o and returns the operator's id of
	// the request. Its error says what is known:
	//   - *NotSentError: the request surely did not reach the operator
	//     (connection refused, no token): the line may be sent later;
	//   - *RefusedError: the operator refused it at once: nothing paid;
	//   - any other error: it may have been accepted; the outcome is unknown.
	// A refusal because the operator has a request with this Ref already
	// (Daraja's duplicate OriginatorConversationID) is no proof that nothing
	// was paid: it is an ordinary error, so the line is asked about.
	Submit(ctx context.Context, o Order) (providerRef string, err error)
	// Query asks the operator what became of o (sent earlier with
	// providerRef, which may be "" when the answer to Submit was lost).
	// ErrNoQuery if this operator has no status query.
	Query(ctx context.Context, o Order, providerRef string) (Result, error)
}

// Commander pays lines by SMS commands to the operator's number, sent by
// this box's own modem: the command is queued in the same transaction that
// marks the line sent, and the operator's reply SMS is its result.
type Commander interface {
	// Command is the SMS that pays o: the operator's number and the text.
	Command(o Order) (to, text string, err error)
	// Reply reads an SMS from the operator; ok false when it is not a
	// reply to a payment command (a balance notice, an advert).
	Reply(from, text string, received time.Time) (r Result, ok bool)
}

// Reporter takes results that arrive on their own (callbacks, reply SMS).
type Reporter interface {
	Report(ctx context.Context, r Result) error
}

// ErrNoQuery: the provider cannot ask the operator about a payment; an
// unknown line waits for a late result or a person.
var ErrNoQuery = errors.New("this operator interface has no status query; a person must check the payment with the operator")

// NotSentError is a request that surely did not reach the operator.
type NotSentError struct{ Err error }

func (e *NotSentError) Error() string { return "not sent to the operator: " + e.Err.Error() }
func (e *NotSentError) Unwrap() error { return e.Err }

// RefusedError is the operator refusing a request at once: nothing paid.
type RefusedError struct {
	Code   string // the operator's code
	Reason string // in words a loan officer can read
}

func (e *RefusedError) Error() string {
	if e.Code == "" {
		return "refused by the operator: " + e.Reason
	}
	return fmt.Sprintf("refused by the operator (%s): %s", e.Code, e.Reason)
}
