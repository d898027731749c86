package modemsim

import (
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/warthog618/sms/encoding/pdumode"
	"github.com/warthog618/sms/encoding/tpdu"
)

// ReportFault is what the simulated network says about the SMS parts the
// host sends with a status report requested (TP-SRR).
type ReportFault int

const (
	// ReportsDeliver reports every part received by the phone (TP-ST 0x00).
	ReportsDeliver ReportFault = iota
	// ReportsFail reports every part given up: validity period expired (TP-ST 0x46), a permanent error.
	ReportsFail
	// ReportsNever sends no report at all, as a network that ignores SRR.
	ReportsNever
	// ReportsDuplicate sends every report twice, as networks do after a lost acknowledgement.
	ReportsDuplicate
	// ReportsUnknownMR reports a message reference the host never got (the
	// part's MR plus 128), as after a modem swap.
	ReportsUnknownMR
)

// Status values the simulated network sends.
const (
	statusDelivered = 0x00
	statusExpired   = 0x46
)

type reportState struct {
	reportFault ReportFault
}

// SetReports chooses what the network reports for parts sent from now on.
func (s *Sim) SetReports(f ReportFault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reportFault = f
}

// scheduleReport arranges the network's status report for one submitted
// part when it asked for one: after Options.ReportDelay, per the fault set
// and the CNMI ds in force then. Caller holds mu.
func (s *Sim) scheduleReport(t *tpdu.TPDU, mr int, submitted time.Time) {
	if t.FirstOctet&tpdu.FoSRR == 0 {
		return
	}
	fault := s.reportFault
	if fault == ReportsNever {
		return
	}
	st, ref := statusDelivered, mr
	switch fault {
	case ReportsFail:
		st = statusExpired
	case ReportsUnknownMR:
		ref = (mr + 128) % 256
	}
	ra := t.DA
	s.after(s.opts.ReportDelay, func() {
		h, n, err := s.encodeReport(ra, ref, st, submitted, time.Now())
		if err != nil {
			s.log.Warn("status report does not encode", "err", err)
			return
		}
		s.routeReport(h, n)
		if fault == ReportsDuplicate {
			s.routeReport(h, n)
		}
	})
}

// encodeReport builds an SMS-STATUS-REPORT as a network sends it: the
// service centre's address, then first octet 0x06 (status report, no more
// messages), the MR, the recipient, when the SC took the part, when the
// status was reached, and TP-ST. Caller holds mu.
func (s *Sim) encodeReport(ra tpdu.Address, mr, st int, scts, dt time.Time) (string, int, error) {
	var t tpdu.TPDU
	if err := t.SetSmsType(tpdu.SmsStatusReport); err != nil {
		return "", 0, err
	}
	t.FirstOctet |= tpdu.FoMMS
	t.MR = byte(mr)
	t.RA = ra
	t.SCTS = tpdu.Timestamp{Time: scts.Truncate(time.Second)}
	t.DT = tpdu.Timestamp{Time: dt.Truncate(time.Second)}
	t.ST = byte(st)
	tp, err := t.MarshalBinary()
	if err != nil {
		return "", 0, err
	}
	smsc := tpdu.Address{TOA: 0x91, Addr: strings.TrimPrefix(s.opts.SMSC, "+")}
	b, err := (&pdumode.PDU{SMSC: pdumode.SMSCAddress{Address: smsc}, TPDU: tp}).MarshalBinary()
	if err != nil {
		return "", 0, err
	}
	return strings.ToUpper(hex.EncodeToString(b)), len(tp), nil
}

// routeReport hands a status report to the host as AT+CNMI ds asks: ds 1
// pushes it (+CDS: <len> and the PDU), ds 2 stores it and announces it
// with +CDSI in the status report store, ds 0 drops it (27.005: no report
// is routed to the host). Caller holds mu.
func (s *Sim) routeReport(hexPDU string, n int) {
	if !s.canReceive() {
		return
	}
	switch s.cnmi[3] {
	case 1:
		s.urc(fmt.Sprintf("+CDS: %d", n), hexPDU)
	case 2:
		idx, ok := s.store(delivery{pdu: hexPDU, tpduLen: n, class: -1}, statUnread)
		if !ok {
			s.log.Warn("status report dropped: message storage full")
			if s.prof.FullURC != "" {
				s.urc(s.prof.FullURC)
			}
			return
		}
		s.urc(fmt.Sprintf("+CDSI: %q,%d", s.reportStore(), idx))
	default:
		s.log.Debug("status report dropped: CNMI ds is 0")
	}
}

// reportStore is the store name +CDSI gives: "SR" where the modem has
// one, else the receive store. (Every name maps to the one store.)
func (s *Sim) reportStore() string {
	if contains(s.prof.Memories[0], "SR") {
		return "SR"
	}
	return s.mems[2]
}
