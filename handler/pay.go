package handler

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/mifos-edge/mifos-edge/mifos"
	"github.com/mifos-edge/mifos-edge/phone"
	"github.com/mifos-edge/mifos-edge/store"
)

// Pay records an officer's field collection for one client:
// PAY <PIN> <client> L1=500 S=200 ... One journal entry per item.
type Pay struct{ Env *Env }

// Keywords implements Handler.
func (Pay) Keywords() []string { return []string{"PAY", "LIPA"} }

// Handle implements Handler.
func (p Pay) Handle(ctx context.Context, req Request) Result {
	env := p.Env
	off, res, ok := env.officer(req)
	if !ok {
		return res
	}
	cmd, err := ParsePay(req.Text)
	if err != nil {
		return reply(env.Render(err), "PAY not understood: "+RedactPIN(req.Text))
	}
	if res, ok := env.checkItemCeiling(cmd.Items); !ok {
		return res
	}
	if res, held := env.holdRepeat(req, off, "PAY", cmd.Normal()); held {
		return res
	}
	today := env.today(ctx)
	var total mifos.Amount
	for _, it := range cmd.Items {
		total += it.Amount
	}
	if res, ok := env.checkDailyCeiling(off, today.String(), total); !ok {
		return res
	}
	if !env.online() {
		return env.payOffline(req, off, cmd, today, "pay.accepted_offline")
	}
	// Payments taken while the link was down are resolved in the order they
	// came; a new one joins that queue rather than overtake them.
	if waiting, err := env.DB.UnresolvedOpen(); err != nil {
		return Result{Retry: true, Note: "journal unreadable: " + err.Error()}
	} else if waiting {
		return env.payOffline(req, off, cmd, today, "pay.accepted_queued")
	}
	cctx, cancel := env.call(ctx)
	defer cancel()
	client, err := env.resolveClient(cctx, cmd.ClientRef)
	if err == nil {
		err = env.checkScope(cctx, off, client, cmd.ClientRef)
	}
	if err != nil && offline(err) {
		return env.payOffline(req, off, cmd, today, "pay.accepted_offline")
	}
	if err != nil {
		return reply(env.Render(err), "PAY refused: "+err.Error())
	}
	entries := make([]store.JournalEntry, 0, len(cmd.Items))
	for i, it := range cmd.Items {
		target, err := env.resolveItem(client, it)
		if err != nil {
			return reply(env.Render(err), "PAY refused: "+err.Error())
		}
		entries = append(entries, store.JournalEntry{
			Batch:       req.MessageID,
			Kind:        target.kind,
			Officer:     off.Phone,
			ClientPhone: client.phone,
			ClientID:    client.ID,
			ClientName:  client.DisplayName,
			AccountID:   target.accountID,
			AccountNo:   target.accountNo,
			Amount:      int64(it.Amount),
			Currency:    target.currency.Code,
			Decimals:    target.currency.DecimalPlaces,
			Date:        today.String(),
			ExternalID:  env.externalID(req.MessageID, i+1),
			Receipt:     env.receipt(req.MessageID, i+1),
			ItemRef:     itemLabel(it),
			ClientRef:   cmd.ClientRef,
			Note:        "SMS payment recorded by " + off.Name,
		})
	}
	return Result{
		Note:  "PAY journaled: " + RedactPIN(req.Text),
		Apply: env.journalOfficer(entries, off, "PAY", cmd.Normal(), req.MessageID, today, total),
	}
}

// journalOfficer journals an officer's command together with what the
// money rules remember of it: when it was posted and the day's total.
func (e *Env) journalOfficer(entries []store.JournalEntry, off store.Officer, keyword, args string, messageID uint64, day mifos.Date, total mifos.Amount) func(tx *store.Tx) error {
	at := e.now()
	return func(tx *store.Tx) error {
		if err := appendJournal(entries)(tx); err != nil {
			return err
		}
		return recordPosting(tx, off, keyword, args, messageID, at, day.String(), total)
	}
}

// payOffline journals the items unresolved: the posting stage resolves them
// against Fineract when the link is back, and the officer hears back then.
func (e *Env) payOffline(req Request, off store.Officer, cmd PayCommand, today mifos.Date, ackKey string) Result {
	entries := make([]store.JournalEntry, 0, len(cmd.Items))
	var items []string
	var total mifos.Amount
	for i, it := range cmd.Items {
		total += it.Amount
		item, _ := json.Marshal(it)
		entries = append(entries, store.JournalEntry{
			Batch:      req.MessageID,
			Kind:       store.JournalUnresolved,
			Officer:    off.Phone,
			Amount:     int64(it.Amount),
			Date:       today.String(),
			ExternalID: e.externalID(req.MessageID, i+1),
			Receipt:    e.receipt(req.MessageID, i+1),
			ItemRef:    itemLabel(it),
			ClientRef:  cmd.ClientRef,
			Payload:    item,
			Note:       "SMS payment recorded by " + off.Name + " while Mifos was unreachable",
		})
		items = append(items, itemLabel(it)+" "+mifos.Currency{}.Format(it.Amount)) // the account, so its currency, is not known yet
	}
	return Result{
		Replies: []Reply{{Text: e.texts().Get(ackKey, "items", strings.Join(items, ", "), "ref", cmd.ClientRef)}},
		Note:    "PAY journaled while offline: " + RedactPIN(req.Text),
		Apply:   e.journalOfficer(entries, off, "PAY", cmd.Normal(), req.MessageID, today, total),
	}
}

func appendJournal(entries []store.JournalEntry) func(tx *store.Tx) error {
	return func(tx *store.Tx) error {
		for _, e := range entries {
			if _, err := tx.AppendJournal(e); err != nil {
				return err
			}
		}
		return nil
	}
}

// ResolveJournal completes an entry journaled while Fineract was
// unreachable: which client, which account. The posting stage calls it before
// posting; a *userError means the item can never be posted (told to the officer).
func (e *Env) ResolveJournal(ctx context.Context, j store.JournalEntry) (store.JournalEntry, error) {
	if j.Kind != store.JournalUnresolved {
		return j, nil
	}
	var it PayItem
	if err := json.Unmarshal(j.Payload, &it); err != nil {
		return j, refuse("pay.unknown_client", "ref", j.ClientRef)
	}
	client, err := e.resolveClient(ctx, j.ClientRef)
	if err != nil {
		return j, err
	}
	off, err := e.officerOf(j.Officer)
	if err != nil {
		return j, err
	}
	if err := e.checkScope(ctx, off, client, j.ClientRef); err != nil {
		return j, err
	}
	target, err := e.resolveItem(client, it)
	if err != nil {
		return j, err
	}
	j.Kind, j.AccountID, j.AccountNo = target.kind, target.accountID, target.accountNo
	j.Currency, j.Decimals = target.currency.Code, target.currency.DecimalPlaces
	j.ClientID, j.ClientName, j.ClientPhone = client.ID, client.DisplayName, client.phone
	j.Payload = nil
	return j, nil
}

func (e *Env) normalisedPhone(s string) (string, error) { return phone.Normalize(s, e.Country) }
