package e2e

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/mifos-edge/mifos-edge/daemon"
	"github.com/mifos-edge/mifos-edge/modemsim"
	"github.com/mifos-edge/mifos-edge/store"
)

// outboxTo returns the outbox record for number, through the running daemon.
func (e *env) outboxTo(number string) (store.Outbound, bool) {
	e.t.Helper()
	var list []store.Outbound
	if err := callJSON(e, daemon.OpOutbox, daemon.ListArgs{Limit: 100}, &list); err != nil {
		e.t.Fatal(err)
	}
	for _, o := range list {
		if o.To == number {
			return o, true
		}
	}
	return store.Outbound{}, false
}

// waitDelivery waits until number's outbox record has delivery state want.
func (e *env) waitDelivery(number string, want store.Delivery) store.Outbound {
	e.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		o, ok := e.outboxTo(number)
		if ok && o.Delivery == want {
			return o
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("outbox record to %s: %+v, want delivery %q", number, o, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// The real daemon sends a two-part SMS through the pty modem, the network
// reports each part delivered, and the outbox (CLI too) shows it delivered.
func TestDeliveryReportsMarkDelivered(t *testing.T) {
	for _, profile := range []string{"generic", "sim800"} { // stored (+CDSI) and pushed (+CDS) reports
		t.Run(profile, func(t *testing.T) {
			e := newEnv(t, envOptions{profile: profile})
			e.start()
			long := strings.Repeat("Karibu sana. ", 20) // two parts
			if out, err := e.cli("send", "+254700000041", long); err != nil {
				t.Fatalf("send: %v\n%s", err, out)
			}
			sent := e.waitReply("+254700000041", 20*time.Second)
			for _, h := range sent.PDUs {
				// "00" (the modem's SMSC), then the first octet: SUBMIT with SRR (0x20).
				if fo := h[2:4]; fo != "71" && fo != "75" && fo != "31" && fo != "35" {
					t.Fatalf("first octet %s of %s asks for no status report", fo, h)
				}
			}
			o := e.waitDelivery("+254700000041", store.DeliveryDelivered)
			if o.State != store.OutSubmitted || len(o.Reports) != 2 || o.DeliveredAt.IsZero() {
				t.Fatalf("record %+v", o)
			}
			for i, p := range o.Reports {
				if p.MR != sent.MRs[i] || p.Delivery != store.DeliveryDelivered || p.Status != 0 {
					t.Fatalf("part %d: %+v, sent with MR %d", i, p, sent.MRs[i])
				}
			}
			out, err := e.cli("outbox")
			if err != nil || !strings.Contains(out, "DELIVERY") {
				t.Fatalf("outbox: %v\n%s", err, out)
			}
			if line := lineWith(out, "+254700000041"); !strings.Contains(line, "submitted") || !strings.Contains(line, "delivered") {
				t.Fatalf("outbox line %q", line)
			}
			if used, _ := e.sim.Storage(); used != 0 {
				t.Fatalf("%d reports left on the SIM", used)
			}
		})
	}
}

// The network gives up on the message: it shows failed. A duplicate report
// and one for a reference never sent change nothing and stop nothing.
func TestDeliveryReportFailureAndOddReports(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.start()
	e.sim.SetReports(modemsim.ReportsFail)
	if out, err := e.cli("send", "+254700000042", "Meeting moved to Monday"); err != nil {
		t.Fatalf("send: %v\n%s", err, out)
	}
	o := e.waitDelivery("+254700000042", store.DeliveryFailed)
	if o.State != store.OutSubmitted || o.Reports[0].Status != 0x46 {
		t.Fatalf("record %+v", o)
	}
	if line := lineWith(mustCLI(t, e, "outbox"), "+254700000042"); !strings.Contains(line, "failed") {
		t.Fatalf("outbox line %q", line)
	}

	e.sim.SetReports(modemsim.ReportsDuplicate)
	if out, err := e.cli("send", "+254700000043", "Twice reported"); err != nil {
		t.Fatalf("send: %v\n%s", err, out)
	}
	first := e.waitDelivery("+254700000043", store.DeliveryDelivered)

	e.sim.SetReports(modemsim.ReportsUnknownMR)
	if out, err := e.cli("send", "+254700000044", "Nobody's reference"); err != nil {
		t.Fatalf("send: %v\n%s", err, out)
	}
	e.waitReply("+254700000044", 20*time.Second)
	// The report for the unknown reference arrives, is kept aside and deleted from the SIM.
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(readLog(t, e), "status report for no SMS this box sent recently") {
		if time.Now().After(deadline) {
			t.Fatal("the unknown reference's report never reached the daemon")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if o, _ := e.outboxTo("+254700000044"); o.Delivery != "" {
		t.Fatalf("a report for another reference changed %+v", o)
	}
	if again, _ := e.outboxTo("+254700000043"); !again.UpdatedAt.Equal(first.UpdatedAt) || again.Delivery != store.DeliveryDelivered {
		t.Fatalf("the duplicate changed the record: %+v", again)
	}
	if used, _ := e.sim.Storage(); used != 0 {
		t.Fatalf("%d reports left on the SIM", used)
	}
}

// With delivery_reports = false the SMS asks for no report: it stays
// submitted with an empty delivery state.
func TestNoDeliveryReportsWhenOff(t *testing.T) {
	e := newEnv(t, envOptions{extraSMS: "delivery_reports = false\n"})
	e.start()
	if out, err := e.cli("send", "+254700000045", "No report please"); err != nil {
		t.Fatalf("send: %v\n%s", err, out)
	}
	sent := e.waitReply("+254700000045", 20*time.Second)
	if fo := sent.PDUs[0][2:4]; fo != "11" {
		t.Fatalf("first octet %s, want 11 (SUBMIT, relative validity, no SRR)", fo)
	}
	time.Sleep(time.Second) // several report delays
	o, ok := e.outboxTo("+254700000045")
	if !ok || o.State != store.OutSubmitted || o.Delivery != "" || o.Reports != nil {
		t.Fatalf("record %+v", o)
	}
	if line := lineWith(mustCLI(t, e, "outbox"), "+254700000045"); !strings.Contains(line, "submitted  -") {
		t.Fatalf("outbox line %q", line)
	}
	if cmds := strings.Join(e.sim.Commands(), "\n"); !strings.Contains(cmds, "AT+CNMI=2,1,0,0,0") {
		t.Fatalf("reports routed although off:\n%s", cmds)
	}
}

func lineWith(out, s string) string {
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, s) {
			return l
		}
	}
	return ""
}

func mustCLI(t *testing.T, e *env, args ...string) string {
	t.Helper()
	out, err := e.cli(args...)
	if err != nil {
		t.Fatalf("%v: %v\n%s", args, err, out)
	}
	return out
}

func readLog(t *testing.T, e *env) string {
	t.Helper()
	b, err := os.ReadFile(e.logPath)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
