package daraja

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/mifos-edge/mifos-edge/disburse"
)

// statusRequest is the transaction status query body. It names the payment
// by our own reference (OriginalConversationID), which works when the
// answer to Submit, and with it Daraja's ids, was lost.
type statusRequest struct {
	Initiator              string
	SecurityCredential     string
	CommandID              string
	OriginalConversationID string
	PartyA                 string
	IdentifierType         string
	ResultURL              string
	QueueTimeOutURL        string
	Remarks                string
}

// statusNote is what arrived for a status query: its result, or word that
// it timed out in Daraja's queue.
type statusNote struct {
	cb       callback
	timedOut bool
}

type earlyNote struct {
	note statusNote
	at   time.Time
}

// Early results are kept this long, and at most this many, for a query
// that has not read its own ids from Daraja's answer yet.
const (
	earlyKeep = 10 * time.Minute
	earlyMax  = 256
)

// Query asks M-PESA what became of o and waits for the answer, which
// Daraja posts to the status callback. An error means the question went
// unanswered (it is never a RefusedError or NotSentError: those speak of
// a payment request, and a failed query says nothing of the payment).
func (p *Provider) Query(ctx context.Context, o disburse.Order, providerRef string) (disburse.Result, error) {
	if o.Ref == "" {
		return disburse.Result{}, errors.New("daraja status query: the line has no reference to ask about")
	}
	req := statusRequest{
		Initiator:              p.cfg.InitiatorName,
		SecurityCredential:     p.cfg.SecurityCredential,
		CommandID:              "TransactionStatusQuery",
		OriginalConversationID: o.Ref,
		PartyA:                 p.cfg.ShortCode,
		IdentifierType:         "4", // an organisation's shortcode
		ResultURL:              p.cfg.StatusResultURL,
		QueueTimeOutURL:        p.cfg.StatusTimeOutURL,
		Remarks:                remarks("Status of "+o.Ref, "Payment status"),
	}
	var ack struct {
		OriginatorConversationID text
		ConversationID           text
		ResponseCode             text
		ResponseDescription      text
	}
	if err := p.call(ctx, "/mpesa/transactionstatus/v1/query", req, &ack); err != nil {
		p.log.Warn("daraja: status query", "ref", o.Ref, "err", err)
		return disburse.Result{}, fmt.Errorf("daraja status query of %s: %s", o.Ref, err.Error())
	}
	if ack.ResponseCode != "0" {
		return disburse.Result{}, fmt.Errorf("daraja status query of %s not accepted: %s %s", o.Ref, ack.ResponseCode, ack.ResponseDescription)
	}
	var keys []string
	for _, k := range []text{ack.OriginatorConversationID, ack.ConversationID} {
		if k != "" {
			keys = append(keys, string(k))
		}
	}
	if len(keys) == 0 {
		return disburse.Result{}, fmt.Errorf("daraja status query of %s: Daraja's answer names no query to wait for", o.Ref)
	}
	ch := p.await(keys)
	defer p.unwait(keys)
	p.log.Debug("daraja: status query accepted", "ref", o.Ref, "query", keys[0])

	t := time.NewTimer(p.cfg.Timeout)
	defer t.Stop()
	var n statusNote
	var err error
	select {
	case n = <-ch:
	case <-ctx.Done():
		err = fmt.Errorf("gave up waiting for the result: %w", ctx.Err())
	case <-t.C:
		err = fmt.Errorf("no result within %s; ask again later", p.cfg.Timeout)
	}
	if err == nil && n.timedOut {
		err = errors.New("the query timed out in Daraja's queue; ask again later")
	}
	var r disburse.Result
	if err == nil {
		r, err = statusResult(n.cb, o.Ref, providerRef)
	}
	if err != nil {
		p.log.Warn("daraja: status query unanswered", "ref", o.Ref, "err", err)
		return disburse.Result{}, fmt.Errorf("daraja status query of %s: %w", o.Ref, err)
	}
	p.log.Info("daraja: status", "ref", o.Ref, "outcome", r.Outcome, "code", r.Code)
	return r, nil
}

// await registers a waiter for the status result named by any of keys,
// handing it at once a result that came first.
func (p *Provider) await(keys []string) chan statusNote {
	ch := make(chan statusNote, 1)
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, k := range keys {
		if e, ok := p.early[k]; ok {
			ch <- e.note
			for _, k := range keys {
				delete(p.early, k)
			}
			break
		}
	}
	for _, k := range keys {
		p.waiters[k] = ch
	}
	return ch
}

func (p *Provider) unwait(keys []string) {
	p.mu.Lock()
	for _, k := range keys {
		delete(p.waiters, k)
	}
	p.mu.Unlock()
}

// deliver hands n to the query waiting for it; false when none is, and
// then keeps it for a query about to wait.
func (p *Provider) deliver(n statusNote) bool {
	keys := []string{n.cb.OCID, n.cb.ConvID}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, k := range keys {
		if ch, ok := p.waiters[k]; ok && k != "" {
			select {
			case ch <- n:
			default: // a duplicate: the first is enough
			}
			return true
		}
	}
	now := p.cfg.Now()
	for k, e := range p.early {
		if now.Sub(e.at) > earlyKeep || len(p.early) >= earlyMax {
			delete(p.early, k)
		}
	}
	for _, k := range keys {
		if k != "" {
			p.early[k] = earlyNote{n, now}
		}
	}
	return false
}

// statusResult reads a status result about the payment ref.
func statusResult(cb callback, ref, providerRef string) (disburse.Result, error) {
	r := disburse.Result{Ref: ref, ProviderRef: providerRef, Code: cb.Code, Via: "status query"}
	switch {
	case noRecordCodes[cb.Code]:
		r.Outcome, r.Reason = disburse.NoRecord, "M-PESA has no payment with this reference (yet)"
		return r, nil
	case cb.Code != "0":
		words := statusFailures[cb.Code]
		if words != "" {
			words = ": " + words
		}
		return r, fmt.Errorf("the query failed with code %s (%q)%s", cb.Code, cb.Desc, words)
	}
	if about := cb.Params.get("OriginatorConversationID"); about != "" && about != ref {
		return r, fmt.Errorf("the status result is about %q, not %q", about, ref)
	}
	if conv := cb.Params.get("ConversationID"); conv != "" {
		r.ProviderRef = conv
	}
	st := cb.Params.get("TransactionStatus")
	outcome, ok := transactionStatuses[strings.ToLower(st)]
	if !ok {
		return r, fmt.Errorf("M-PESA reports the payment as %q, which this box does not read: check it on the M-PESA portal", st)
	}
	r.Outcome, r.Code = outcome, st
	r.Amount = amountOf(cb.Params.get("Amount"))
	r.At = timeOf(cb.Params.get("FinalisedTime"), "20060102150405")
	switch outcome {
	case disburse.Paid:
		r.Confirmation = cb.Params.get("ReceiptNo")
		r.Phone = phoneOf(cb.Params.get("CreditPartyName"))
		if r.Phone == "" {
			// Daraja's own sample names the credit party DebitPartyName.
			for _, it := range cb.Params {
				if strings.HasSuffix(string(it.Key), "PartyName") && phoneOf(string(it.Value)) != "" {
					r.Phone = phoneOf(string(it.Value))
				}
			}
		}
	case disburse.NotPaid:
		r.Reason = "M-PESA reports the payment as " + st
	case disburse.InProgress:
		r.Reason = "M-PESA has the payment as " + st + ": not finished yet"
	}
	return r, nil
}
