package modem

import (
	"context"
	"errors"
	"fmt"

	"github.com/mifos-edge/mifos-edge/modem/atcmd"
)

// Errors returned by Send.
var (
	// ErrNotReady: the modem is not usable now (absent, initialising, or ctx ended first). Nothing was sent.
	ErrNotReady = errors.New("the modem is not ready")
	// ErrUnknownOutcome: the PDU reached the modem but no answer came; it may have been sent. Never resend blindly.
	ErrUnknownOutcome = atcmd.ErrUnknownOutcome
	// ErrNoPrompt: the modem did not ask for the PDU; nothing was sent and a retry is safe.
	ErrNoPrompt = atcmd.ErrNoPrompt
)

// Outcome says what a failed send means for the message.
type Outcome int

const (
	// Permanent: retrying the same message will fail again; needs a person.
	Permanent Outcome = iota
	// Transient: retry later with back-off.
	Transient
	// Unknown: the message may have gone out; do not resend blindly.
	Unknown
	// NotReady: nothing was sent because the modem was not usable; retry when it is.
	NotReady
)

func (o Outcome) String() string {
	switch o {
	case Permanent:
		return "permanent"
	case Transient:
		return "transient"
	case Unknown:
		return "unknown"
	case NotReady:
		return "not ready"
	}
	return fmt.Sprintf("Outcome(%d)", int(o))
}

// Classify says what a Send error means for the message and why, in plain words.
func Classify(err error) (Outcome, string) {
	if err == nil {
		return Transient, "no error"
	}
	switch {
	case errors.Is(err, ErrUnknownOutcome):
		return Unknown, "the modem took the message but gave no answer; it may have been sent"
	case errors.Is(err, ErrNotReady):
		return NotReady, "the modem is not ready; nothing was sent"
	case errors.Is(err, ErrNoPrompt):
		return NotReady, "the modem did not ask for the message; nothing was sent"
	case errors.Is(err, atcmd.ErrClosed):
		return NotReady, "the modem went away before the message was sent"
	case errors.Is(err, atcmd.ErrTimeout):
		return NotReady, "the modem did not answer; nothing was sent"
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return NotReady, "gave up waiting before the message was sent"
	}
	if code, ok := atcmd.CMSCode(err); ok {
		words, class := atcmd.CMSMeaning(code)
		why := fmt.Sprintf("%s (+CMS ERROR %d)", words, code)
		switch class {
		case atcmd.CMSPermanent:
			return Permanent, why
		case atcmd.CMSMaybeSent:
			return Unknown, why
		}
		return Transient, why
	}
	var modemErr *atcmd.Error
	if errors.As(err, &modemErr) {
		return Transient, modemErr.Error()
	}
	return Transient, err.Error()
}
