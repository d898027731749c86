package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/mifos-edge/mifos-edge/control"
	"github.com/mifos-edge/mifos-edge/modem"
	"github.com/mifos-edge/mifos-edge/officer"
	"github.com/mifos-edge/mifos-edge/pdu"
	"github.com/mifos-edge/mifos-edge/store"
)

// SendArgs is the "send" control operation's argument.
type SendArgs struct {
	To   string `json:"to"`
	Text string `json:"text"`
}

// SendResult is its result.
type SendResult struct {
	ID    uint64 `json:"id"`
	Parts int    `json:"parts"`
}

// StatusResult is the "status" control operation's result.
type StatusResult struct {
	Started time.Time    `json:"started"`
	Modem   modem.Status `json:"modem"`
	Store   store.Stats  `json:"store"`
	// Fineract is the last Fineract setup check; nil without [mifos] or
	// before the first.
	Fineract *FineractStatus `json:"fineract,omitempty"`
}

// ClientPINArgs is the "client_pin.set" argument: a hash, never the PIN.
type ClientPINArgs struct {
	ClientID int64  `json:"client_id"`
	PINHash  string `json:"pin_hash"`
}

// ListArgs selects records for the "messages" and "outbox" operations.
type ListArgs struct {
	State string `json:"state"`
	Limit int    `json:"limit"`
}

// registerControl adds the control operations. Handle marks an operation
// that changes state (audited with the caller's uid); control.Audit adds
// only what is safe to log: numbers and ids, never SMS text or PIN hashes.
func (d *Daemon) registerControl(s *control.Server) {
	s.Handle(OpSend, func(ctx context.Context, raw json.RawMessage) (any, error) {
		var a SendArgs
		if err := json.Unmarshal(raw, &a); err != nil {
			return nil, err
		}
		control.Audit(ctx, "to", a.To)
		res, err := QueueSMS(d.db, a, "cli")
		if err == nil {
			control.Audit(ctx, "outbox_id", res.ID, "parts", res.Parts)
			nudge(d.outboxReady)
		}
		return res, err
	})
	s.HandleReadOnly(OpStatus, func(context.Context, json.RawMessage) (any, error) {
		st, err := d.db.Stats()
		if err != nil {
			return nil, err
		}
		return StatusResult{Started: d.started, Modem: d.modem.Status(), Store: st, Fineract: d.setup.get()}, nil
	})
	s.HandleReadOnly(OpMessages, func(_ context.Context, raw json.RawMessage) (any, error) {
		a := listArgs(raw)
		return d.db.ListMessages(store.MessageState(a.State), a.Limit)
	})
	s.HandleReadOnly(OpOutbox, func(_ context.Context, raw json.RawMessage) (any, error) {
		a := listArgs(raw)
		return d.db.ListOutbound(store.OutState(a.State), a.Limit)
	})
	s.Handle(OpRemind, func(ctx context.Context, raw json.RawMessage) (any, error) {
		var a RemindArgs
		if err := json.Unmarshal(raw, &a); err != nil {
			return nil, err
		}
		control.Audit(ctx, "group_id", a.GroupID, "staff_id", a.StaffID, "dry_run", a.DryRun)
		res, err := RunReminders(ctx, d.env, a)
		if err == nil && res.Queued {
			nudge(d.outboxReady)
		}
		return res, err
	})
	s.HandleReadOnly(OpJournal, func(_ context.Context, raw json.RawMessage) (any, error) {
		a := listArgs(raw)
		return d.db.ListJournal(store.JournalState(a.State), a.Limit)
	})
	s.Handle(OpJournalRequeue, func(ctx context.Context, raw json.RawMessage) (any, error) {
		var id uint64
		if err := json.Unmarshal(raw, &id); err != nil {
			return nil, err
		}
		control.Audit(ctx, "journal_id", id)
		if err := d.db.RequeueJournal(id); err != nil {
			return nil, err
		}
		if d.poster != nil {
			d.poster.Nudge()
		}
		return id, nil
	})
	RegisterOfficerOps(s, d.db, PINRules{Policy: d.env.PINs, Pepper: d.env.Pepper})
	RegisterTokenOps(s, d.db)
	d.registerPaymentOps(s)
	d.registerDisburseOps(s)
	d.registerUndoOps(s)
	d.registerImportOps(s)
	s.Handle(OpClientPINSet, func(ctx context.Context, raw json.RawMessage) (any, error) {
		var a ClientPINArgs
		if err := json.Unmarshal(raw, &a); err != nil {
			return nil, err
		}
		control.Audit(ctx, "client_id", a.ClientID)
		if err := officer.CheckHash(a.PINHash, d.env.Pepper); err != nil {
			return nil, err
		}
		return nil, d.db.PutClientPIN(a.ClientID, a.PINHash)
	})
	RegisterCacheOps(s, d.db)
	RegisterBackupOp(s, d.db)
	s.Handle(OpRequeue, func(ctx context.Context, raw json.RawMessage) (any, error) {
		var id uint64
		if err := json.Unmarshal(raw, &id); err != nil {
			return nil, err
		}
		control.Audit(ctx, "outbox_id", id)
		if err := d.db.Requeue(id); err != nil {
			return nil, err
		}
		nudge(d.outboxReady)
		return id, nil
	})
}

func listArgs(raw json.RawMessage) ListArgs {
	var a ListArgs
	_ = json.Unmarshal(raw, &a)
	if a.Limit <= 0 {
		a.Limit = 50
	}
	return a
}

// QueueSMS validates and queues an SMS typed by a person; it is used both
// by the daemon's control socket and by `send` when no daemon runs. It is a
// notification: ahead of reminders, never ahead of a reply someone awaits.
func QueueSMS(db *store.DB, a SendArgs, origin string) (SendResult, error) {
	if a.Text == "" {
		return SendResult{}, errors.New("the message text is empty")
	}
	parts, err := pdu.EncodeSubmit(a.To, a.Text, 1)
	if err != nil {
		return SendResult{}, fmt.Errorf("cannot send to %q: %w", a.To, err)
	}
	id, err := db.Enqueue(store.Outbound{To: a.To, Text: a.Text, Origin: origin, Priority: store.PriorityNotification})
	if err != nil {
		return SendResult{}, err
	}
	return SendResult{ID: id, Parts: len(parts)}, nil
}
