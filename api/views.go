package api

import (
	"errors"
	"time"

	"github.com/mifos-edge/mifos-edge/pdu"
	"github.com/mifos-edge/mifos-edge/phone"
	"github.com/mifos-edge/mifos-edge/store"
)

// SMS is an outbound SMS as an integrator sees it: no text (the integrator
// wrote it), no modem internals.
type SMS struct {
	ID       uint64 `json:"id"`
	To       string `json:"to"`
	State    string `json:"state"` // queued, submitting, submitted, unknown, failed
	Priority string `json:"priority"`
	Parts    int    `json:"parts"`
	// Delivery is the network's verdict once the modem submitted it and a
	// status report came back: pending, delivered, failed; "" before.
	Delivery    string    `json:"delivery,omitempty"`
	Attempts    int       `json:"attempts"`
	Error       string    `json:"error,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
	SubmittedAt time.Time `json:"submitted_at,omitzero"`
	DeliveredAt time.Time `json:"delivered_at,omitzero"`
}

// SMSOf is o as an integrator sees it.
func SMSOf(o store.Outbound) SMS {
	chunks, _ := pdu.Split(o.Text)
	v := SMS{
		ID: o.ID, To: o.To, State: string(o.State), Priority: string(o.Priority), Parts: len(chunks),
		Delivery: string(o.Delivery), Attempts: o.Attempts,
		CreatedAt: o.CreatedAt, UpdatedAt: o.UpdatedAt, SubmittedAt: o.SubmittedAt, DeliveredAt: o.DeliveredAt,
	}
	if o.State == store.OutFailed || o.State == store.OutUnknown || o.Delivery == store.DeliveryFailed {
		v.Error = o.LastError
	}
	return v
}

// Message is a received SMS as an integrator sees it.
type Message struct {
	ID uint64 `json:"id"`
	// From is the sender in E.164 form when it is a phone number, else as
	// the network gave it (an operator's name, a short code).
	From string `json:"from"`
	// Text is null when withheld; TextWithheld then says why.
	Text         *string   `json:"text"`
	TextWithheld string    `json:"text_withheld,omitempty"`
	ReceivedAt   time.Time `json:"received_at"`
	Parts        int       `json:"parts"`
	Incomplete   bool      `json:"incomplete,omitempty"`
}

// withheldOfficer is why an officer's message text is not shown.
const withheldOfficer = "sent by an enrolled officer's phone: officers' commands to the box are not shared with integrators"

// MessageOf is m as an integrator sees it, inside the transaction that
// read it. The text of a message from an enrolled officer's phone is
// withheld: those are commands to the box (payments, collections) whose
// PINs are already blanked but whose amounts and accounts are the MFI's
// business, not the integrator's. The store's verdict on "officer" is
// taken at read time; when it cannot be read the text is withheld too.
func MessageOf(tx *store.Tx, m store.Message, country string) Message {
	s := phone.Identify(m.Sender, pdu.SenderType(m.SenderType), country)
	v := Message{ID: m.ID, From: m.Sender, ReceivedAt: m.ReceivedAt, Parts: m.Total, Incomplete: m.Incomplete}
	if v.Parts == 0 {
		v.Parts = m.Parts
	}
	if s.Person() {
		v.From = s.E164
		if _, err := tx.Officer(s.E164); !errors.Is(err, store.ErrNoOfficer) {
			v.TextWithheld = withheldOfficer
			return v
		}
	}
	text := m.Text
	v.Text = &text
	return v
}
