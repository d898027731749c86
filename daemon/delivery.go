package daemon

import (
	"context"
	"strings"
	"time"

	"github.com/mifos-edge/mifos-edge/modem"
	"github.com/mifos-edge/mifos-edge/pdu"
	"github.com/mifos-edge/mifos-edge/phone"
	"github.com/mifos-edge/mifos-edge/store"
)

// reportWindow is how far back a status report looks for the SMS it
// answers. The network keeps trying for the validity period (24 h) and
// reports after it; message references wrap every 256 parts, so a longer
// window would only risk matching an older message.
const reportWindow = pdu.DefaultValidity + 24*time.Hour

// submitOptions is how every outbound SMS is encoded: the default
// validity, and a status report asked for when [sms] delivery_reports is on.
func (d *Daemon) submitOptions() pdu.SubmitOptions {
	return pdu.SubmitOptions{Validity: pdu.DefaultValidity, StatusReport: d.cfg.SMS.DeliveryReports}
}

// statusReport is the modem's report sink: it records the network's word
// on a part this box sent against its outbox message. It returns an error
// only when the store could not write it, so the report stays on the SIM;
// a report that fits no message is kept in the store's list and logged.
func (d *Daemon) statusReport(_ context.Context, r modem.Report) error {
	outcome := pdu.StatusOutcome(r.Status)
	rep := store.StatusReport{
		MR:            r.MR,
		Recipient:     r.Recipient,
		Status:        r.Status,
		Delivery:      deliveryOf(outcome),
		SCTS:          r.SCTS,
		Discharge:     r.Discharge,
		SameRecipient: d.sameNumber(r.Recipient),
		Since:         time.Now().Add(-reportWindow),
	}
	res, err := d.db.RecordStatusReport(rep, time.Now())
	if err != nil {
		return err
	}
	why := pdu.StatusText(r.Status)
	switch {
	case !res.Matched:
		d.log.Warn("status report for no SMS this box sent recently; kept for review", "mr", r.MR, "to", r.Recipient, "status", why)
	case !res.Changed:
		d.log.Info("repeated or late status report ignored", "sms", res.ID, "part", res.Part+1, "status", why)
	case outcome == pdu.ReportFailed:
		d.log.Warn("the network could not deliver an SMS", "sms", res.ID, "part", res.Part+1, "to", r.Recipient, "status", why, "delivery", res.Delivery)
	default:
		d.log.Info("status report", "sms", res.ID, "part", res.Part+1, "status", why, "delivery", res.Delivery)
	}
	return nil
}

func deliveryOf(o pdu.ReportOutcome) store.Delivery {
	switch o {
	case pdu.ReportDelivered:
		return store.DeliveryDelivered
	case pdu.ReportPending:
		return store.DeliveryPending
	}
	return store.DeliveryFailed
}

// sameNumber matches an outbox recipient with the number a status report
// names: the network may write it in international or national form
// whatever form the SMS was addressed in. Numbers that do not read as
// phone numbers match only digit for digit.
func (d *Daemon) sameNumber(reported string) func(to string) bool {
	country := d.cfg.SMS.Country
	want, err := phone.Normalize(reported, country)
	if err != nil {
		want = ""
	}
	bare := strings.TrimPrefix(reported, "+")
	return func(to string) bool {
		if want != "" {
			if got, err := phone.Normalize(to, country); err == nil {
				return got == want
			}
		}
		return strings.TrimPrefix(to, "+") == bare
	}
}
