package gateway

import (
	"strconv"
	"time"

	"github.com/mifos-edge/mifos-edge/store"
)

// Fineract's delivery status codes (SmsMessageStatusType). Its report job
// asks only about messages it holds at 150 ("waiting for delivery
// report"): it ignores 100, keeps asking after 150, and stops asking once
// a message is 200, 300 or 400.
const (
	StatusPending   = 100 // not yet sent by the box: Fineract leaves it as it is
	StatusWaiting   = 150 // sent; the network's report is awaited
	StatusSent      = 200 // sent; no report will come (final for Fineract)
	StatusDelivered = 300 // the network reported it delivered
	StatusFailed    = 400 // not sent, or the network reported it failed
)

// Report is one element of the /sms/report answer
// (SmsMessageDeliveryReportData). Fineract unboxes hasError and
// deliveryStatus, so both are always written: a null there makes it drop
// the whole answer.
type Report struct {
	ID              int64   `json:"id"`
	ExternalID      *string `json:"externalId"`
	AddedOnDate     *string `json:"addedOnDate"`
	DeliveredOnDate *string `json:"deliveredOnDate"`
	DeliveryStatus  int     `json:"deliveryStatus"`
	HasError        bool    `json:"hasError"`
	ErrorMessage    *string `json:"errorMessage"`
}

// dateLayout writes dates for Fineract, which stores them as text and
// parses none of them: UTC in ISO 8601.
const dateLayout = time.RFC3339

func strp(s string) *string { return &s }

func datep(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	return strp(t.UTC().Format(dateLayout))
}

// reportOf maps what the box knows of one id to Fineract's report.
// reportWait is how long a submitted message without a network verdict is
// reported 150 (so Fineract keeps asking) before it is reported 200.
func reportOf(l store.GatewayLookup, now time.Time, reportWait time.Duration) Report {
	r := Report{ID: l.InternalID}
	switch {
	case !l.Known || (l.Record.OutboxID == 0 && l.Record.Refused == ""):
		// Not received (yet): hasError makes Fineract skip the entry, so
		// its message stays "waiting" and is asked about again; after
		// gateway.lost_after the store refuses the id and it is reported
		// failed below.
		r.DeliveryStatus, r.HasError = StatusPending, true
		r.ErrorMessage = strp("this message id was not received by the gateway")
		return r
	case l.Record.Refused != "":
		r.DeliveryStatus = StatusFailed
		r.AddedOnDate = datep(l.Record.At)
		r.ErrorMessage = strp(l.Record.Refused)
		return r
	}
	r.ExternalID = strp(strconv.FormatUint(l.Record.OutboxID, 10))
	r.AddedOnDate = datep(l.Record.At)
	if l.OutGone {
		// Only submitted messages are pruned, long after any report.
		r.DeliveryStatus = StatusSent
		return r
	}
	o := l.Out
	switch o.State {
	case store.OutQueued, store.OutSubmitting:
		r.DeliveryStatus = StatusPending
	case store.OutUnknown:
		// The modem did not say whether it sent it; an operator requeues
		// or fails it. Until then Fineract keeps its "waiting".
		r.DeliveryStatus = StatusPending
		r.ErrorMessage = strp("the modem did not confirm sending; waiting for an operator: " + o.LastError)
	case store.OutFailed:
		r.DeliveryStatus = StatusFailed
		r.ErrorMessage = strp("not sent: " + o.LastError)
	case store.OutSubmitted:
		switch o.Delivery {
		case store.DeliveryDelivered:
			r.DeliveryStatus = StatusDelivered
			r.DeliveredOnDate = datep(o.DeliveredAt)
		case store.DeliveryFailed:
			r.DeliveryStatus = StatusFailed
			r.ErrorMessage = strp("the network could not deliver it")
		default:
			r.DeliveryStatus = StatusWaiting
			if now.Sub(o.SubmittedAt) >= reportWait {
				r.DeliveryStatus = StatusSent
			}
		}
	default:
		r.DeliveryStatus = StatusPending
		r.ErrorMessage = strp("unknown outbox state " + string(o.State))
	}
	return r
}
