package modemsim

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/mifos-edge/mifos-edge/pdu"
	"github.com/warthog618/sms"
	"github.com/warthog618/sms/encoding/pdumode"
	"github.com/warthog618/sms/encoding/tpdu"
)

// srrPDU is an SMS-SUBMIT asking for a status report, as the daemon sends it.
func srrPDU(t *testing.T, to, text string) pdu.Part {
	t.Helper()
	parts, err := pdu.EncodeSubmitWith(to, text, 1, pdu.SubmitOptions{Validity: pdu.DefaultValidity, StatusReport: true})
	if err != nil || len(parts) != 1 {
		t.Fatalf("encode: %v", err)
	}
	return parts[0]
}

// readReport checks a status report PDU line with both warthog's strict
// decoder and the daemon's, and returns the report.
func readReport(t *testing.T, header, line string) *pdu.DeliveryReport {
	t.Helper()
	p, err := pdumode.UnmarshalHexString(line)
	if err != nil {
		t.Fatalf("PDU line %q: %v", line, err)
	}
	// "+CDS: 25" has no comma; "+CMGR: 0,,25" has the length last.
	if n := lastInt(t, header[strings.IndexByte(header, ':')+1:]); n != len(p.TPDU) {
		t.Fatalf("header %q says %d octets, TPDU has %d", header, n, len(p.TPDU))
	}
	if p.SMSC.Number() != "+254722500000" {
		t.Fatalf("SMSC %q", p.SMSC.Number())
	}
	strict, err := sms.Unmarshal(p.TPDU)
	if err != nil || strict.SmsType() != tpdu.SmsStatusReport {
		t.Fatalf("strict decoder: %v, type %v", err, strict)
	}
	seg, err := pdu.DecodeStatusReport(line, len(p.TPDU))
	if err != nil {
		t.Fatal(err)
	}
	if seg.Recipient != "+254700000005" || int(strict.ST) != seg.Report.Status || int(strict.MR) != seg.Report.MR {
		t.Fatalf("report %+v to %q", seg.Report, seg.Recipient)
	}
	if seg.SCTS.After(seg.Report.Discharge) || time.Since(seg.Report.Discharge) > time.Minute {
		t.Fatalf("SCTS %v, discharge %v", seg.SCTS, seg.Report.Discharge)
	}
	return seg.Report
}

func TestStatusReportPushedWithDS1(t *testing.T) {
	s := start(t, "sim800", func(o *Options) { o.ReportDelay = 20 * time.Millisecond })
	c := quiet(t, s)
	c.ok("AT+CNMI=2,1,0,1,0")
	p := srrPDU(t, "+254700000005", "Loan approved")
	if info, final := sendPDU(t, c, p.Hex, p.TPDULen); final != "OK" || info[0] != "+CMGS: 1" {
		t.Fatalf("send %q %q", info, final)
	}
	header := c.line()
	if !strings.HasPrefix(header, "+CDS: ") {
		t.Fatalf("got %q, want +CDS", header)
	}
	if r := readReport(t, header, c.line()); r.MR != 1 || r.Status != 0 || r.Outcome() != pdu.ReportDelivered {
		t.Fatalf("report %+v", r)
	}

	// A duplicate: the same report twice.
	s.SetReports(ReportsDuplicate)
	sendPDU(t, c, p.Hex, p.TPDULen)
	for range 2 {
		if r := readReport(t, c.line(), c.line()); r.MR != 2 {
			t.Fatalf("duplicate report %+v", r)
		}
	}
	// A reference the host never got.
	s.SetReports(ReportsUnknownMR)
	sendPDU(t, c, p.Hex, p.TPDULen)
	if r := readReport(t, c.line(), c.line()); r.MR != 3+128 {
		t.Fatalf("unknown-MR report %+v", r)
	}
	// Silence.
	s.SetReports(ReportsNever)
	sendPDU(t, c, p.Hex, p.TPDULen)
	if l, err := c.next(200 * time.Millisecond); !errors.Is(err, errTimeout) {
		t.Fatalf("a report came although the network sends none: %q", l)
	}
}

func TestStatusReportStoredWithDS2(t *testing.T) {
	s := start(t, "generic", func(o *Options) { o.ReportDelay = 20 * time.Millisecond })
	c := quiet(t, s)
	c.ok("AT+CNMI=2,1,0,2,0")
	s.SetReports(ReportsFail)
	p := srrPDU(t, "+254700000005", "Loan approved")
	sendPDU(t, c, p.Hex, p.TPDULen)
	if l := c.line(); l != `+CDSI: "SR",1` {
		t.Fatalf("got %q, want +CDSI in SR", l)
	}
	info := c.ok("AT+CMGR=1")
	if r := readReport(t, info[0], info[1]); r.Status != 0x46 || r.Outcome() != pdu.ReportFailed {
		t.Fatalf("report %+v", r)
	}
	c.ok("AT+CMGD=1")
	if used, _ := s.Storage(); used != 0 {
		t.Fatalf("%d stored after delete", used)
	}
}

func TestNoStatusReportWithoutSRROrDS(t *testing.T) {
	s := start(t, "generic", func(o *Options) { o.ReportDelay = 20 * time.Millisecond })
	c := quiet(t, s)
	// ds 2, but the SMS asks for no report.
	c.ok("AT+CNMI=2,1,0,2,0")
	plain := submitPDU(t, "No report asked", "+254700000005")[0]
	sendPDU(t, c, plain, tpduLen(plain))
	if l, err := c.next(200 * time.Millisecond); !errors.Is(err, errTimeout) {
		t.Fatalf("a report came for an SMS without SRR: %q", l)
	}
	// SRR, but ds 0: the modem routes no report to the host.
	c.ok("AT+CNMI=2,1,0,0,0")
	p := srrPDU(t, "+254700000005", "x")
	sendPDU(t, c, p.Hex, p.TPDULen)
	if l, err := c.next(200 * time.Millisecond); !errors.Is(err, errTimeout) {
		t.Fatalf("a report came with ds 0: %q", l)
	}
	if used, _ := s.Storage(); used != 0 {
		t.Fatalf("%d reports stored with ds 0", used)
	}
}
