package mobilemoney

import (
	"errors"
	"fmt"
	"strings"
)

// ErrNotPayment is wrapped by a parser's error for a message that does not
// report money paid in: an outgoing send, airtime, a balance enquiry, an
// advert, another operator's or country's wording. The box keeps such a
// message for a person; it never posts it.
var ErrNotPayment = errors.New("not a payment notification")

// ErrAmountHidden is wrapped by a *ParseError when the operator printed
// the amount masked ("Ksh XXXX"): a payment whose amount is unknown can
// only be posted by a person who knows it.
var ErrAmountHidden = errors.New("amount not shown")

// ParseError says why a message worded as a payment could not be read
// whole: the fields it lacks and the first field that did not read.
type ParseError struct {
	Operator string
	Missing  []string // e.g. "transaction id", "time"
	Err      error    // e.g. ErrAmountHidden, an impossible date
}

func (e *ParseError) Error() string {
	var parts []string
	if len(e.Missing) > 0 {
		parts = append(parts, "no "+strings.Join(e.Missing, ", no "))
	}
	if e.Err != nil {
		parts = append(parts, e.Err.Error())
	}
	return e.Operator + ": malformed payment notification: " + strings.Join(parts, "; ")
}

func (e *ParseError) Unwrap() error { return e.Err }

// notPayment is a parser's refusal of a text that is not its payment.
func notPayment(operator, why string) error {
	return fmt.Errorf("%s: %w (%s)", operator, ErrNotPayment, why)
}
