package webhook

import (
	"encoding/json"
	"time"
)

// Events a webhook can subscribe to.
const (
	SMSReceived    = "sms.received"    // an SMS came in and the box handled it
	SMSDelivered   = "sms.delivered"   // an SMS queued through the API reached the phone
	SMSFailed      = "sms.failed"      // an SMS queued through the API was given up, or the network failed it
	PostingSettled = "posting.settled" // a journal entry posted to Fineract (done) or failed for good
	ModemState     = "modem.state"     // the modem registered on the network, or lost it
	// PaymentPosted: a mobile-money payment is posted to Fineract.
	PaymentPosted = "payment.posted"
	// PaymentSuspense: a mobile-money payment could not be matched to an account; a person assigns it.
	PaymentSuspense = "payment.suspense"
)

// Events lists every event the box emits.
var Events = []string{SMSReceived, SMSDelivered, SMSFailed, PostingSettled, ModemState, PaymentPosted, PaymentSuspense}

// ReservedPrefix names the mobile-money events: only those in Events are
// emitted; the rest of the name space is kept for later ones.
const ReservedPrefix = "payment."

// Envelope is the body of every webhook request.
type Envelope struct {
	// ID is the event's id: the same on every retry and for every URL, so
	// receivers drop duplicates by it.
	ID        string          `json:"id"`
	Type      string          `json:"type"`
	CreatedAt time.Time       `json:"created_at"`
	Data      json.RawMessage `json:"data"`
}
