package pdu

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/warthog618/sms"
	"github.com/warthog618/sms/encoding/pdumode"
	"github.com/warthog618/sms/encoding/tpdu"
)

// DecodeDeliver decodes one PDU line as printed by a modem (SMSC field or
// "00", then the TPDU). tpduLen is the length from the +CMT/+CMGR/+CMGL
// header, or <0 if unknown; it is only a hint, because field captures carry
// wrong lengths and the PDU itself is more trustworthy.
//
// Some modems store PDUs without the SMSC field. When the standard reading
// lands on what a received PDU should not be (a stored SUBMIT, a decode
// failure, a reserved type, a reading only the lenient decoder manages),
// the PDU is read again as a bare TPDU and the better reading wins.
//
// A stored SUBMIT or a status report decodes as far as possible and returns
// an error wrapping ErrNotDeliver. Undecodable input returns an error
// wrapping ErrMalformed; it never panics.
func DecodeDeliver(hexPDU string, tpduLen int) (Segment, error) {
	b, err := parseHex(hexPDU)
	if err != nil {
		return Segment{Raw: hexPDU, Class: -1}, err
	}
	seg, err := decodeWithSMSC(b)
	withoutSMSC := false
	if alt, altErr, better := readWithoutSMSC(b, tpduLen, seg, err); better {
		seg, err, withoutSMSC = alt, altErr, true
		seg.Defects = append(seg.Defects, noSMSCDefect)
	}
	seg.Raw = hexPDU
	if err != nil {
		return seg, err
	}
	if tpduLen >= 0 {
		n := len(b) - smscFieldLen(b)
		if withoutSMSC {
			n = len(b)
		}
		if n != tpduLen {
			seg.Defects = append(seg.Defects, fmt.Sprintf("header gives TPDU length %d but the PDU has %d octets", tpduLen, n))
		}
	}
	return seg, nil
}

const noSMSCDefect = "PDU has no SMSC field"

// Ranks of a reading of a received PDU, worst first.
const (
	readingMalformed  = iota // nothing sensible came out
	readingUnexpected        // a stored SUBMIT, or a reserved message type
	readingLenient           // only the lenient decoder could read it
	readingClean             // sms v0.3.0 reads it as a DELIVER or a status report
)

func rankReading(tp []byte, seg Segment, err error) int {
	switch {
	case err != nil && !errors.Is(err, ErrNotDeliver):
		return readingMalformed
	case seg.Kind == Submit, seg.Kind == Deliver && len(tp) > 0 && tp[0]&0x03 == 0x03:
		return readingUnexpected
	case seg.Lenient:
		return readingLenient
	}
	return readingClean
}

// readWithoutSMSC reads b as a TPDU without the SMSC field and reports
// whether that reading is the better one. The header length, when it fits
// exactly one of the two readings, counts as evidence for it: a bare reading
// the header confirms wins when it is at least as good, one the header
// contradicts only over a reading that failed. Without such evidence the
// bare reading must be a real improvement, so a well-formed PDU with its
// SMSC field keeps its meaning.
func readWithoutSMSC(b []byte, tpduLen int, first Segment, firstErr error) (Segment, error, bool) {
	firstRank := rankReading(b[smscFieldLen(b):], first, firstErr)
	headerSaysBare := tpduLen == len(b)
	headerSaysSMSC := tpduLen >= 0 && tpduLen == len(b)-smscFieldLen(b)
	if firstRank == readingClean && !headerSaysBare {
		return Segment{}, nil, false
	}
	alt, altErr := decodeTPDU(b, "")
	altRank := rankReading(b, alt, altErr)
	var better bool
	switch {
	case headerSaysBare:
		better = altRank > readingMalformed && altRank >= firstRank
	case headerSaysSMSC:
		better = firstRank == readingMalformed && altRank == readingClean
	default:
		better = altRank > firstRank && altRank >= readingLenient
	}
	return alt, altErr, better
}

func (s Segment) hasDefect(d string) bool {
	for _, x := range s.Defects {
		if x == d {
			return true
		}
	}
	return false
}

func parseHex(s string) ([]byte, error) {
	// Captures sometimes keep the quotes or line ends around the PDU.
	t := strings.Trim(s, " \t\r\n\"")
	if t == "" {
		return nil, fmt.Errorf("%w: empty PDU", ErrMalformed)
	}
	b, err := hex.DecodeString(t)
	if err != nil {
		return nil, fmt.Errorf("%w: not a hex string: %v", ErrMalformed, err)
	}
	return b, nil
}

func smscFieldLen(b []byte) int {
	if len(b) == 0 {
		return 0
	}
	return min(1+int(b[0]), len(b))
}

func decodeWithSMSC(b []byte) (Segment, error) {
	var p pdumode.PDU
	if err := p.UnmarshalBinary(b); err != nil {
		return Segment{Class: -1}, fmt.Errorf("%w: SMSC field: %v", ErrMalformed, err)
	}
	return decodeTPDU(p.TPDU, p.SMSC.Number())
}

func decodeTPDU(tp []byte, smsc string) (Segment, error) {
	if len(tp) == 0 {
		return Segment{Class: -1, SMSC: smsc}, fmt.Errorf("%w: no TPDU after the SMSC field", ErrMalformed)
	}
	var (
		seg Segment
		err error
	)
	switch tp[0] & 0x03 {
	case 0x01:
		seg, err = decodeStoredSubmit(tp)
	case 0x02:
		seg, err = decodeStatusReport(tp)
	default:
		// 23.040 9.2.3.1: a reserved MTI (11) is processed as an SMS-DELIVER.
		seg, err = decodeDeliverTPDU(tp)
	}
	seg.SMSC = smsc
	return seg, err
}

func decodeDeliverTPDU(tp []byte) (Segment, error) {
	t, strictErr := sms.Unmarshal(tp)
	if strictErr == nil {
		return fromStrictDeliver(t)
	}
	seg, err := lenientDeliver(tp)
	if err != nil {
		return seg, fmt.Errorf("%w: %v (sms v0.3.0: %v)", ErrMalformed, err, strictErr)
	}
	seg.Lenient = true
	seg.Defects = append([]string{"strict decoder: " + strictErr.Error()}, seg.Defects...)
	return seg, nil
}

func fromStrictDeliver(t *tpdu.TPDU) (Segment, error) {
	seg := Segment{
		Kind:       Deliver,
		Sender:     t.OA.Number(),
		SenderType: senderTypeOf(t.OA.TypeOfNumber()),
		SCTS:       t.SCTS.Time,
		PID:        t.PID,
	}
	fillBody(&seg, t.DCS, t.UDH, t.UD)
	return seg, nil
}

// fillBody sets every field derived from the DCS and user data.
func fillBody(seg *Segment, dcs tpdu.DCS, udh tpdu.UserDataHeader, ud []byte) {
	seg.DCS = byte(dcs)
	seg.Class = classOf(dcs)
	seg.Concat = concatOf(udh)
	alpha := alphabetOf(dcs)
	seg.Encoding = encodingName(alpha)
	seg.UD = append([]byte(nil), ud...)
	if alpha == tpdu.Alpha7Bit {
		seg.LockingShift, seg.SingleShift = languageTables(udh)
	}
	seg.Text = decodeText(alpha, seg.UD, seg.LockingShift, seg.SingleShift)
}

func classOf(dcs tpdu.DCS) int {
	c, err := dcs.Class()
	if err != nil || c == tpdu.MClassUnknown {
		return -1
	}
	return int(c)
}

// alphabetOf follows 23.038 §4: reserved coding groups are read as GSM7.
func alphabetOf(dcs tpdu.DCS) tpdu.Alphabet {
	a, err := dcs.Alphabet()
	if err != nil || a == tpdu.AlphaReserved {
		return tpdu.Alpha7Bit
	}
	return a
}

func encodingName(a tpdu.Alphabet) string {
	switch a {
	case tpdu.AlphaUCS2:
		return "UCS2"
	case tpdu.Alpha8Bit:
		return "8bit"
	default:
		return "GSM7"
	}
}

// concatOf ignores elements whose sequence number is out of range, as 23.040 9.2.3.24.1 requires.
func concatOf(udh tpdu.UserDataHeader) *Concat {
	if total, seq, ref, ok := udh.ConcatInfo8(); ok && seq >= 1 && seq <= total {
		return &Concat{Ref: ref, Total: total, Seq: seq}
	}
	if total, seq, ref, ok := udh.ConcatInfo16(); ok && seq >= 1 && seq <= total {
		return &Concat{Ref: ref, Total: total, Seq: seq, Wide: true}
	}
	return nil
}

func decodeStoredSubmit(tp []byte) (Segment, error) {
	seg := Segment{Kind: Submit, Class: -1}
	t, err := sms.Unmarshal(tp, sms.AsMO)
	if err != nil {
		return seg, fmt.Errorf("%w: stored SMS-SUBMIT (not fully decodable: %v)", ErrNotDeliver, err)
	}
	seg.Recipient = t.DA.Number()
	seg.PID = t.PID
	fillBody(&seg, t.DCS, t.UDH, t.UD)
	return seg, fmt.Errorf("%w: stored SMS-SUBMIT to %s", ErrNotDeliver, seg.Recipient)
}

func decodeStatusReport(tp []byte) (Segment, error) {
	seg := Segment{Kind: StatusReport, Class: -1}
	t, strictErr := sms.Unmarshal(tp)
	if strictErr == nil {
		seg.Recipient = t.RA.Number()
		seg.SCTS = t.SCTS.Time
		seg.Report = &DeliveryReport{MR: int(t.MR), Status: int(t.ST), Discharge: t.DT.Time}
		return seg, fmt.Errorf("%w: status report for MR %d", ErrNotDeliver, t.MR)
	}
	lseg, err := lenientStatusReport(tp)
	if err != nil {
		return seg, fmt.Errorf("%w: status report: %v (sms v0.3.0: %v)", ErrMalformed, err, strictErr)
	}
	lseg.Lenient = true
	lseg.Defects = append([]string{"strict decoder: " + strictErr.Error()}, lseg.Defects...)
	return lseg, fmt.Errorf("%w: status report for MR %d", ErrNotDeliver, lseg.Report.MR)
}

// zoneFor mirrors sms v0.3.0 so strict and lenient results compare equal.
func zoneFor(quarterHours int) *time.Location {
	if quarterHours == 0 {
		return time.UTC
	}
	return time.FixedZone("SCTS", quarterHours*15*60)
}
