package modem

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mifos-edge/mifos-edge/modem/atcmd"
	"github.com/mifos-edge/mifos-edge/pdu"
)

// Report is one SMS-STATUS-REPORT: the network's word on an SMS part this
// modem submitted, which the +CMGS message reference MR names.
type Report struct {
	Storage string // store it was read from; empty when pushed (+CDS)
	Index   int    // storage index; -1 when pushed
	PDU     string // the hex as the modem printed it

	MR        int       // TP-MR: the reference +CMGS answered for the part
	Recipient string    // TP-RA: "+<digits>" when international, digits otherwise
	SCTS      time.Time // when the service centre took the part
	Discharge time.Time // TP-DT: when the status below was reached
	Status    int       // TP-ST (3GPP TS 23.040 §9.2.3.15); pdu.StatusOutcome reads it
}

// ReportSink must make the report durable before returning nil; only then
// does the modem delete it from storage (or acknowledge a +CDS). An error
// leaves a stored report for the next sweep.
type ReportSink func(ctx context.Context, r Report) error

// Delivery-report modes, the ds of +CNMI, as Status.Reports shows them.
const (
	reportsOff    = "off"
	reportsPushed = "pushed (+CDS)"
	reportsStored = "stored (+CDSI)"
)

// asReport reads a PDU as a status report; ok is false for anything else.
func asReport(storage string, index int, hexPDU string, tpduLen int) (Report, bool) {
	seg, err := pdu.DecodeStatusReport(hexPDU, tpduLen)
	if err != nil {
		return Report{}, false
	}
	return Report{
		Storage: storage, Index: index, PDU: hexPDU,
		MR: seg.Report.MR, Recipient: seg.Recipient, SCTS: seg.SCTS,
		Discharge: seg.Report.Discharge, Status: seg.Report.Status,
	}, true
}

// handOver gives one PDU to the report sink when it is a status report and
// one is set, else to the message sink.
func (m *Modem) handOver(ctx context.Context, in Inbound) error {
	if m.cfg.Reports != nil {
		if r, ok := asReport(in.Storage, in.Index, in.PDU, in.TPDULen); ok {
			return m.cfg.Reports(ctx, r)
		}
	}
	return m.sink(ctx, in)
}

// cnmiWithReports turns the store-and-indicate setting base (chooseCNMI)
// into the settings to try, best first, when status reports are wanted:
// ds 2 (store, announce +CDSI) when the modem offers it and has an "SR"
// store to read them from, else ds 1 (+CDS pushed in PDU mode), else ds 2
// anyway, and base (ds as chosen, no reports) last. Only values the modem
// advertised are tried.
func cnmiWithReports(groups [][]int, base string, srStore bool) []string {
	fields := strings.Split(base, ",")
	if len(groups) < 4 || len(fields) < 4 {
		return []string{base}
	}
	order := []int{1, 2}
	if srStore {
		order = []int{2, 1}
	}
	var out []string
	for _, ds := range order {
		if !slices.Contains(groups[3], ds) {
			continue
		}
		f := slices.Clone(fields)
		f[3] = strconv.Itoa(ds)
		out = append(out, strings.Join(f, ","))
	}
	return append(out, base)
}

// cnmiDS is the ds field of an AT+CNMI argument string (0 when absent).
func cnmiDS(args string) int {
	f := strings.Split(args, ",")
	if len(f) < 4 {
		return 0
	}
	n, _ := strconv.Atoi(strings.TrimSpace(f[3]))
	return n
}

// noteReports records the ds init set. With ds 1 every +CDS must be
// acknowledged when the modem runs SMS service 1 (AT+CSMS=1), or it stops
// pushing them; init asks for service 0, which needs no acknowledgement,
// and acknowledges only when the modem refuses.
func (s *session) noteReports(ctx context.Context) error {
	s.ds, s.cnma = cnmiDS(s.cnmi), false
	mode := reportsOff
	switch s.ds {
	case 1:
		mode = reportsPushed
		lines, err := s.cmd(ctx, "AT+CSMS?", s.m.cfg.CommandTimeout, "+CSMS:")
		if !answered(err) {
			return err
		}
		if err == nil && len(lines) > 0 && splitFields(afterColon(lines[0]))[0] == "1" {
			_, err := s.cmd(ctx, "AT+CSMS=0", s.m.cfg.CommandTimeout, "+CSMS:")
			if !answered(err) {
				return err
			}
			if err != nil {
				s.cnma = true
				s.m.log.Info("the modem keeps SMS service 1; each status report pushed is acknowledged with AT+CNMA")
			}
		}
	case 2:
		mode = reportsStored
		if s.srStore && s.store != "SR" {
			// Some modems (Quectel EC25) announce a report in "SM" but keep it
			// in "SR": the sweeps read "SR" too.
			s.extra["SR"] = true
		}
	}
	if s.m.cfg.StatusReports && s.ds == 0 {
		s.m.log.Warn("the modem offers no way to pass on delivery reports; sent SMS will not be confirmed as delivered")
	}
	s.m.update(func(st *Status) { st.Reports = mode })
	return nil
}

// pushedReport hands a +CDS report to the report sink and, under SMS
// service 1, acknowledges it: positively once it is stored, negatively
// (the network sends it again later) when it could not be.
func (s *session) pushedReport(ctx context.Context, u atcmd.URC) {
	if len(u.Trailing) == 0 {
		s.m.log.Warn("a pushed status report arrived without its PDU", "line", u.Line)
		return
	}
	f := splitFields(afterColon(u.Line))
	n, err := strconv.Atoi(f[len(f)-1])
	if err != nil {
		n = -1
	}
	in := Inbound{Index: -1, Stat: -1, PDU: u.Trailing[0], TPDULen: n}
	err = s.m.handOver(ctx, in)
	if err != nil {
		s.m.log.Error("a status report pushed by the modem could not be stored", "error", err)
	}
	if !s.cnma {
		return
	}
	ack := "AT+CNMA"
	if err != nil {
		ack = "AT+CNMA=2"
	}
	if _, err := s.cmd(ctx, ack, s.m.cfg.CommandTimeout); err != nil {
		s.m.log.Warn("acknowledging a pushed status report failed", "error", err)
	}
}
