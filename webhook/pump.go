package webhook

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/mifos-edge/mifos-edge/api"
	"github.com/mifos-edge/mifos-edge/mifos"
	"github.com/mifos-edge/mifos-edge/store"
)

// Hook is one configured webhook.
type Hook struct {
	URL         string
	Events      []string
	Secret      []byte
	GiveUpAfter time.Duration
}

func (h Hook) wants(event string) bool { return slices.Contains(h.Events, event) }

// CursorName is the pump's position in the store's feed.
const CursorName = "webhooks"

// Modem notes in the feed (store.FeedNote states).
const (
	NoteModemRegistered = "modem.registered"
	NoteModemLost       = "modem.lost"
)

// Posting is the data of posting.settled. It carries no balance and no
// phone number: who was paid and how much, and what Fineract said.
type Posting struct {
	ID             uint64  `json:"id"`
	Kind           string  `json:"kind"`
	State          string  `json:"state"` // done or failed
	Amount         string  `json:"amount"`
	Currency       string  `json:"currency,omitempty"`
	Date           string  `json:"date"`
	ClientID       int64   `json:"client_id,omitempty"`
	AccountNo      string  `json:"account_no,omitempty"`
	GroupID        int64   `json:"group_id,omitempty"`
	FineractTxnIDs []int64 `json:"fineract_txn_ids,omitempty"`
	// Reason is the box's plain-words reason of a failure.
	Reason    string    `json:"reason,omitempty"`
	SettledAt time.Time `json:"settled_at,omitzero"`
}

// SMSEvent is the data of sms.delivered and sms.failed: the SMS as GET
// /api/v1/sms/{id} shows it, and the token that queued it.
type SMSEvent struct {
	api.SMS
	TokenID string `json:"token_id"`
}

// ModemEvent is the data of modem.state.
type ModemEvent struct {
	State        string `json:"state"` // registered or lost
	Registration string `json:"registration,omitempty"`
	Signal       string `json:"signal,omitempty"`
	Detail       string `json:"detail,omitempty"`
}

// Pump moves up to batch entries of the store's feed, after the pump's
// cursor, into the delivery queue: one delivery per entry and subscribed
// hook, and the new cursor, in one transaction. A crash before the commit
// leaves the cursor where it was (the entries are turned into deliveries
// again); after it, the deliveries are durable. It returns how many feed
// entries it consumed. With no hooks it only moves the cursor, so a webhook
// added later starts with the events after it was added.
func Pump(db *store.DB, hooks []Hook, country string, batch int) (int, error) {
	n := 0
	err := db.Update(func(tx *store.Tx) error {
		n = 0
		cur := tx.Cursor(CursorName)
		err := tx.FeedAfter(cur, func(e store.FeedEntry) (bool, error) {
			if err := enqueue(tx, e, hooks, country); err != nil {
				return false, err
			}
			cur = e.Seq
			n++
			return n < batch, nil
		})
		if err != nil {
			return err
		}
		return tx.SetCursor(CursorName, cur)
	})
	return n, err
}

// enqueue turns one feed entry into the deliveries it calls for.
func enqueue(tx *store.Tx, e store.FeedEntry, hooks []Hook, country string) error {
	event, data, err := describe(tx, e, hooks, country)
	if err != nil || event == "" {
		return err
	}
	raw, err := json.Marshal(data)
	if err != nil {
		return err
	}
	id := "evt_" + strconv.FormatUint(e.Seq, 10)
	body, err := json.Marshal(Envelope{ID: id, Type: event, CreatedAt: e.At.UTC(), Data: raw})
	if err != nil {
		return err
	}
	for _, h := range hooks {
		if !h.wants(event) {
			continue
		}
		if _, err := tx.EnqueueWebhook(store.WebhookDelivery{EventID: id, Event: event, URL: h.URL, Body: body, CreatedAt: time.Now()}); err != nil {
			return err
		}
	}
	return nil
}

// describe names the event of a feed entry and its data; "" when the entry
// is no event for integrators or no hook wants it.
func describe(tx *store.Tx, e store.FeedEntry, hooks []Hook, country string) (string, any, error) {
	wanted := func(event string) bool {
		return slices.ContainsFunc(hooks, func(h Hook) bool { return h.wants(event) })
	}
	gone := func(err error) bool { return errors.Is(err, store.ErrNotFound) }
	switch e.Kind {
	case store.FeedMessage:
		if !wanted(SMSReceived) {
			return "", nil, nil
		}
		m, err := tx.Message(e.ID)
		if gone(err) {
			return "", nil, nil
		} else if err != nil {
			return "", nil, err
		}
		return SMSReceived, api.MessageOf(tx, m, country), nil
	case store.FeedOutbound:
		event := SMSFailed
		if e.State == "delivery_"+string(store.DeliveryDelivered) {
			event = SMSDelivered
		}
		if !wanted(event) {
			return "", nil, nil
		}
		o, err := tx.Outbound(e.ID)
		if gone(err) {
			return "", nil, nil
		} else if err != nil {
			return "", nil, err
		}
		// Only SMS an integrator queued: the box's own replies carry
		// balances and officers' business.
		tok, ok := api.TokenOfOrigin(o.Origin)
		if !ok {
			return "", nil, nil
		}
		return event, SMSEvent{SMS: api.SMSOf(o), TokenID: tok}, nil
	case store.FeedJournal:
		if !wanted(PostingSettled) {
			return "", nil, nil
		}
		j, err := tx.JournalEntry(e.ID)
		if gone(err) {
			return "", nil, nil
		} else if err != nil {
			return "", nil, err
		}
		p := Posting{ID: j.ID, Kind: string(j.Kind), State: e.State, Amount: mifos.Amount(j.Amount).String(), Currency: j.Currency,
			Date: j.Date, ClientID: j.ClientID, AccountNo: j.AccountNo, GroupID: j.GroupID, FineractTxnIDs: j.FineractTxnIDs, SettledAt: j.SettledAt}
		if e.State == string(store.JournalFailed) {
			// Refusal is what the officer was told; Outcome may quote
			// Fineract's own words, which stay on the box.
			p.Reason = j.Refusal
		}
		return PostingSettled, p, nil
	case store.FeedPayment:
		event := PaymentPosted
		if e.State == string(store.PaymentSuspense) {
			event = PaymentSuspense
		}
		if !wanted(event) {
			return "", nil, nil
		}
		p, err := tx.PaymentBySeq(e.ID)
		if gone(err) {
			return "", nil, nil
		} else if err != nil {
			return "", nil, err
		}
		// As the entry says, not as the payment stands now: a payment
		// posted after its suspense is told as each happened.
		v := api.PaymentOf(p)
		if v.State != e.State {
			var then struct{ Reason string }
			_ = json.Unmarshal(e.Data, &then)
			v.State, v.Reason = e.State, then.Reason
			if event == PaymentSuspense {
				// Assigned since: the event tells the suspense, not the assignment.
				v.ClientID, v.AccountNo, v.FineractTxnID, v.FineractTxnIDs = nil, "", nil, []int64{}
			}
		}
		return event, v, nil
	case store.FeedNote:
		if (e.State != NoteModemRegistered && e.State != NoteModemLost) || !wanted(ModemState) {
			return "", nil, nil
		}
		var m ModemEvent
		if err := json.Unmarshal(e.Data, &m); err != nil {
			return "", nil, fmt.Errorf("feed note %d: %w", e.Seq, err)
		}
		return ModemState, m, nil
	}
	return "", nil, nil
}
