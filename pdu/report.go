package pdu

import (
	"errors"
	"fmt"
)

// ErrNotStatusReport is wrapped when a PDU decodes but is not an
// SMS-STATUS-REPORT (an incoming SMS, a stored SUBMIT).
var ErrNotStatusReport = errors.New("not a status report (SMS-STATUS-REPORT)")

// DecodeStatusReport decodes one PDU line that should be a status report, as
// a modem prints it after +CDS, +CMGR or +CMGL (SMSC field or not, see
// DecodeDeliver). It returns the segment with Kind StatusReport and Report
// set, or an error wrapping ErrNotStatusReport (the PDU is something else)
// or ErrMalformed. It never panics.
func DecodeStatusReport(hexPDU string, tpduLen int) (Segment, error) {
	seg, err := DecodeDeliver(hexPDU, tpduLen)
	if seg.Kind == StatusReport && seg.Report != nil && (err == nil || errors.Is(err, ErrNotDeliver)) {
		return seg, nil
	}
	if err != nil && !errors.Is(err, ErrNotDeliver) {
		return seg, err
	}
	return seg, fmt.Errorf("%w: the PDU is a %s", ErrNotStatusReport, seg.Kind)
}

// ReportOutcome is what a status report's TP-ST says of the message part.
type ReportOutcome string

// Report outcomes.
const (
	// ReportPending: the service centre met a temporary error and is still trying.
	ReportPending ReportOutcome = "pending"
	// ReportDelivered: the transaction completed; the part reached the handset
	// (or was forwarded or replaced, which is as far as the network can tell).
	ReportDelivered ReportOutcome = "delivered"
	// ReportFailed: the service centre gave up, on a permanent or a temporary error.
	ReportFailed ReportOutcome = "failed"
)

// StatusOutcome classifies a TP-Status octet (3GPP TS 23.040 §9.2.3.15):
//
//	0x00-0x1F  transaction completed (0x00 received by the SME, 0x01
//	           forwarded but unconfirmed, 0x02 replaced, the rest reserved or
//	           specific to the service centre): delivered
//	0x20-0x3F  temporary error, the service centre is still trying: pending
//	0x40-0x5F  permanent error, no more attempts: failed
//	0x60-0x7F  temporary error, no more attempts: failed
//	0x80-0xFF  bit 7 is reserved; no network sends it. Nothing says the
//	           service centre still tries, so it counts as failed rather
//	           than leaving the message pending for ever.
func StatusOutcome(st int) ReportOutcome {
	switch {
	case st < 0:
		return ReportFailed
	case st < 0x20:
		return ReportDelivered
	case st < 0x40:
		return ReportPending
	}
	return ReportFailed
}

// Outcome classifies the report's status; see StatusOutcome.
func (r DeliveryReport) Outcome() ReportOutcome { return StatusOutcome(r.Status) }

// StatusText says in plain words what a TP-Status value means.
func StatusText(st int) string {
	if words, ok := statusWords[st]; ok {
		return words
	}
	switch StatusOutcome(st) {
	case ReportDelivered:
		return "delivered (service-centre specific status)"
	case ReportPending:
		return "temporary error, the network keeps trying"
	}
	return "the network gave up"
}

var statusWords = map[int]string{
	0x00: "received by the phone",
	0x01: "forwarded by the network, delivery not confirmed",
	0x02: "replaced by the network",
	0x20: "network congestion, still trying",
	0x21: "the phone is busy, still trying",
	0x22: "no response from the phone, still trying",
	0x23: "service rejected, still trying",
	0x24: "quality of service not available, still trying",
	0x25: "error in the phone, still trying",
	0x40: "remote procedure error",
	0x41: "incompatible destination",
	0x42: "connection rejected by the phone",
	0x43: "number not obtainable",
	0x44: "quality of service not available",
	0x45: "no interworking available",
	0x46: "validity period expired before delivery",
	0x47: "deleted by the sender",
	0x48: "deleted by the service centre",
	0x49: "the message does not exist",
	0x60: "network congestion, gave up",
	0x61: "the phone was busy, gave up",
	0x62: "no response from the phone, gave up",
	0x63: "service rejected, gave up",
	0x64: "quality of service not available, gave up",
	0x65: "error in the phone, gave up",
}
