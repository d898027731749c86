package daemon

import (
	"context"
	"testing"
	"time"

	"github.com/mifos-edge/mifos-edge/modem"
	"github.com/mifos-edge/mifos-edge/store"
)

// submittedSMS queues an SMS to to and records its parts as the modem took them.
func submittedSMS(t *testing.T, d *Daemon, to string, mrs ...int) uint64 {
	t.Helper()
	id, err := d.db.Enqueue(store.Outbound{To: to, Text: "Loan repaid"})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.db.MarkSubmitting(id, 1); err != nil {
		t.Fatal(err)
	}
	for i, mr := range mrs {
		if err := d.db.MarkPartSubmitted(id, i, mr, len(mrs)); err != nil {
			t.Fatal(err)
		}
	}
	return id
}

func TestStatusReportSinkRecordsDelivery(t *testing.T) {
	d, _ := secretsDaemon(t)
	ctx := context.Background()
	at := time.Date(2026, 12, 1, 9, 30, 5, 0, time.FixedZone("EAT", 3*3600))
	// Sent to the international form, reported in the national one (KE).
	intl := submittedSMS(t, d, "+254712345678", 17)
	if err := d.statusReport(ctx, modem.Report{MR: 17, Recipient: "0712345678", Status: 0x00, Discharge: at}); err != nil {
		t.Fatal(err)
	}
	// Typed nationally, reported internationally: one failed part fails it.
	nat := submittedSMS(t, d, "0722000001", 18, 19)
	for _, r := range []modem.Report{
		{MR: 18, Recipient: "+254722000001", Status: 0x00, Discharge: at},
		{MR: 19, Recipient: "+254722000001", Status: 0x46, Discharge: at.Add(time.Hour)},
	} {
		if err := d.statusReport(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	// Another phone with the same MR takes nothing.
	if err := d.statusReport(ctx, modem.Report{MR: 17, Recipient: "+254799999999", Status: 0}); err != nil {
		t.Fatalf("an unmatched report is no error: %v", err)
	}
	o, _ := d.db.Outbound(intl)
	if o.Delivery != store.DeliveryDelivered || !o.DeliveredAt.Equal(at) {
		t.Errorf("international: %s %v", o.Delivery, o.DeliveredAt)
	}
	o, _ = d.db.Outbound(nat)
	if o.Delivery != store.DeliveryFailed || o.Reports[1].Status != 0x46 {
		t.Errorf("national: %s %+v", o.Delivery, o.Reports)
	}
	if un, err := d.db.UnmatchedReports(0); err != nil || len(un) != 1 || un[0].Recipient != "+254799999999" {
		t.Errorf("unmatched %+v %v", un, err)
	}
	// Without a store to write to, the report must stay on the SIM.
	if err := d.db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := d.statusReport(ctx, modem.Report{MR: 17, Recipient: "0712345678"}); err == nil {
		t.Error("a report the store could not keep returned nil: the modem would delete it")
	}
}

func TestSubmitOptionsFollowConfig(t *testing.T) {
	d, _ := secretsDaemon(t)
	d.cfg.SMS.DeliveryReports = true
	if o := d.submitOptions(); !o.StatusReport || o.Validity == 0 {
		t.Errorf("reports on: %+v", o)
	}
	d.cfg.SMS.DeliveryReports = false
	if o := d.submitOptions(); o.StatusReport {
		t.Errorf("reports off: %+v", o)
	}
}
