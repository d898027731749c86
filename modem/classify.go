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

// permanentCMS are send errors that repeat for the same message (docs/modem.md §7 Error classes).
var permanentCMS = map[int]string{
	1:   "the number does not exist",
	8:   "the operator barred this SIM from sending",
	10:  "sending is barred for this SIM (barring, or no credit on some networks)",
	21:  "the network rejected the message (often no prepaid balance, or barring)",
	28:  "the recipient is not known to the network",
	29:  "the network refused the request",
	30:  "the recipient is not known to the network",
	50:  "this SIM has no SMS service",
	69:  "the network does not support this request",
	95:  "the message was malformed",
	96:  "the message was malformed",
	97:  "the message was malformed",
	98:  "the message was malformed",
	99:  "the message was malformed",
	111: "protocol error in the message",
	193: "this SIM has no subscription at the service centre",
	195: "the recipient address is invalid",
	196: "the recipient is barred",
	198: "the service centre does not accept the validity period",
	199: "the service centre does not accept the validity period",
	303: "the modem does not support this operation",
	304: "the message PDU was invalid (length or format)",
	305: "invalid text-mode parameter",
	310: "no SIM card is inserted",
	311: "the SIM needs its PIN",
	312: "the SIM needs a phone PIN",
	313: "the SIM card has failed",
	315: "the SIM card is wrong",
	316: "the SIM needs its PUK",
	317: "the SIM needs its PIN2",
	318: "the SIM needs its PUK2",
}

// transientCMS are send errors worth retrying after a pause.
var transientCMS = map[int]string{
	27:  "the recipient's phone is off or out of coverage",
	38:  "the network is out of order",
	41:  "temporary network failure",
	42:  "the network is congested",
	47:  "network resources unavailable",
	127: "network interworking error",
	192: "the service centre is busy",
	194: "the service centre failed",
	300: "the modem failed; it will be re-initialised",
	301: "another program (often ModemManager) holds the modem's SMS service",
	302: "the modem was not ready for sending",
	314: "the SIM is busy",
	320: "the modem's message memory failed",
	322: "the modem's message memory is full",
	330: "the modem has no SMS service centre number (check AT+CSCA)",
	331: "no network service",
	500: "the modem reported an unknown error (often no network or no credit)",
	532: "the SIM is not ready",
	535: "the modem is busy",
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
		if r, ok := permanentCMS[code]; ok {
			return Permanent, fmt.Sprintf("%s (+CMS ERROR %d)", r, code)
		}
		if code >= 144 && code <= 159 {
			return Permanent, fmt.Sprintf("the message's data coding was rejected (+CMS ERROR %d)", code)
		}
		if code == 197 {
			return Unknown, "the service centre says it already has this message (+CMS ERROR 197)"
		}
		if code == 332 {
			// The network timed out after taking the message: it may have gone.
			return Unknown, "the network timed out; the message may have been sent (+CMS ERROR 332)"
		}
		if r, ok := transientCMS[code]; ok {
			return Transient, fmt.Sprintf("%s (+CMS ERROR %d)", r, code)
		}
		if code >= 512 && code <= 521 {
			return Transient, fmt.Sprintf("vendor-specific modem error (+CMS ERROR %d)", code)
		}
		return Transient, fmt.Sprintf("unrecognised modem error (+CMS ERROR %d)", code)
	}
	var modemErr *atcmd.Error
	if errors.As(err, &modemErr) {
		return Transient, modemErr.Error()
	}
	return Transient, err.Error()
}
