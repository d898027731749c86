package pdu

import (
	"errors"
	"fmt"
	"time"

	"github.com/warthog618/sms/encoding/bcd"
	"github.com/warthog618/sms/encoding/gsm7"
	"github.com/warthog618/sms/encoding/tpdu"
)

// The lenient decoder reads what sms v0.3.0 rejects in real captures
// (docs/modem.md §11 The PDU samples): a non-zero trailing fill septet, octets beyond
// the UDL, 0xFF SIM-record padding, invalid BCD in a timestamp, reserved DCS
// coding groups and sloppy address fill. For well-formed PDUs it must give
// exactly what the strict path gives, so fingerprints do not depend on the path.

var errTruncated = errors.New("PDU ends early")

type reader struct {
	b   []byte
	pos int
}

func (r *reader) byte(field string) (byte, error) {
	if r.pos >= len(r.b) {
		return 0, fmt.Errorf("%w: no %s at octet %d", errTruncated, field, r.pos)
	}
	r.pos++
	return r.b[r.pos-1], nil
}

func (r *reader) take(n int, field string) ([]byte, error) {
	if r.pos+n > len(r.b) {
		return nil, fmt.Errorf("%w: %s needs %d octets at octet %d, %d left", errTruncated, field, n, r.pos, len(r.b)-r.pos)
	}
	r.pos += n
	return r.b[r.pos-n : r.pos], nil
}

func (r *reader) rest() []byte { return r.b[r.pos:] }

type address struct {
	number string
	typ    SenderType
}

func readAddress(r *reader, field string) (address, []string, error) {
	semiOctets, err := r.byte(field + " length")
	if err != nil {
		return address{}, nil, err
	}
	toa, err := r.byte(field + " type")
	if err != nil {
		return address{}, nil, err
	}
	raw, err := r.take((int(semiOctets)+1)/2, field)
	if err != nil {
		return address{}, nil, err
	}
	ton := tpdu.TypeOfNumber((toa >> 4) & 0x07)
	if ton == tpdu.TonAlphanumeric {
		septets := gsm7.Unpack7Bit(raw, 0)
		if (len(septets)*7+3)/4 > int(semiOctets) {
			septets = septets[:len(septets)-1]
		}
		text, _ := gsm7.Decode(septets) // non-strict: never fails
		return address{number: string(text), typ: SenderAlphanumeric}, nil, nil
	}
	const digits = "0123456789*#abc"
	var defects []string
	out := make([]byte, 0, semiOctets)
	for i := 0; i < 2*len(raw) && len(out) < int(semiOctets); i++ {
		nibble := raw[i/2] >> (4 * (i % 2)) & 0x0f
		if nibble == 0x0f {
			continue
		}
		out = append(out, digits[nibble])
	}
	if len(out) < int(semiOctets) {
		defects = append(defects, fmt.Sprintf("%s has filler in the middle of its digits", field))
	}
	number := string(out)
	if ton == tpdu.TonInternational {
		number = "+" + number
	}
	return address{number: number, typ: senderTypeOf(ton)}, defects, nil
}

// readTimestamp keeps going past invalid BCD: a bad zone reads as UTC, a bad
// date or time as the zero time, each noted as a defect.
func readTimestamp(r *reader, field string) (time.Time, []string, error) {
	raw, err := r.take(7, field)
	if err != nil {
		return time.Time{}, nil, err
	}
	var v [6]int
	for i := range v {
		if v[i], err = bcd.Decode(raw[i]); err != nil {
			return time.Time{}, []string{fmt.Sprintf("%s is not valid BCD (%02X)", field, raw[:])}, nil
		}
	}
	var defects []string
	quarterHours, err := bcd.DecodeSigned(raw[6])
	if err != nil {
		quarterHours = 0
		defects = append(defects, fmt.Sprintf("%s time zone octet %02X is not valid BCD; read as UTC", field, raw[6]))
	}
	year := v[0] + 1900
	if v[0] < 70 {
		year = v[0] + 2000
	}
	return time.Date(year, time.Month(v[1]), v[2], v[3], v[4], v[5], 0, zoneFor(quarterHours)), defects, nil
}

func lenientDeliver(tp []byte) (Segment, error) {
	seg := Segment{Kind: Deliver, Class: -1}
	r := &reader{b: tp}
	fo, _ := r.byte("first octet")
	if fo&0x03 == 0x03 {
		seg.Defects = append(seg.Defects, "reserved message type read as SMS-DELIVER")
	}
	oa, defects, err := readAddress(r, "sender address")
	if err != nil {
		return seg, err
	}
	seg.Defects = append(seg.Defects, defects...)
	seg.Sender, seg.SenderType = oa.number, oa.typ
	if seg.PID, err = r.byte("PID"); err != nil {
		return seg, err
	}
	dcs, err := r.byte("DCS")
	if err != nil {
		return seg, err
	}
	if seg.SCTS, defects, err = readTimestamp(r, "SCTS"); err != nil {
		return seg, err
	}
	seg.Defects = append(seg.Defects, defects...)
	udh, ud, defects, err := readUserData(r, tpdu.DCS(dcs), fo&0x40 != 0)
	if err != nil {
		return seg, err
	}
	seg.Defects = append(seg.Defects, defects...)
	fillBody(&seg, tpdu.DCS(dcs), udh, ud)
	return seg, nil
}

func readUserData(r *reader, dcs tpdu.DCS, udhi bool) (tpdu.UserDataHeader, []byte, []string, error) {
	var defects []string
	udl, err := r.byte("user data length")
	if err != nil {
		return nil, nil, []string{"user data length missing; read as empty"}, nil
	}
	if _, err := dcs.Alphabet(); err != nil {
		defects = append(defects, fmt.Sprintf("reserved DCS %02X read as GSM7", byte(dcs)))
	}
	alpha := alphabetOf(dcs)
	need := int(udl)
	if alpha == tpdu.Alpha7Bit {
		need = (int(udl)*7 + 7) / 8
	}
	if udl == 0 {
		need = 0
	}
	body, err := r.take(need, "user data")
	if err != nil {
		return nil, nil, nil, err
	}
	if extra := r.rest(); len(extra) > 0 {
		if allFF(extra) {
			defects = append(defects, fmt.Sprintf("%d octets of 0xFF padding after the user data", len(extra)))
		} else {
			defects = append(defects, fmt.Sprintf("%d octets beyond the declared user data length ignored", len(extra)))
		}
	}
	if udl == 0 {
		return nil, nil, defects, nil
	}
	var udh tpdu.UserDataHeader
	headerLen := 0 // including its own length octet
	if udhi {
		headerLen = int(body[0]) + 1
		if headerLen > len(body) {
			return nil, nil, nil, fmt.Errorf("user data header of %d octets does not fit in %d octets of user data", headerLen, len(body))
		}
		var ieDefects []string
		udh, ieDefects = readHeader(body[:headerLen])
		defects = append(defects, ieDefects...)
	}
	text := body[headerLen:]
	switch alpha {
	case tpdu.Alpha7Bit:
		fill := 0
		if headerLen%7 != 0 {
			fill = 7 - headerLen%7
		}
		septets := int(udl) - (headerLen*8+fill)/7
		if septets < 0 {
			return nil, nil, nil, fmt.Errorf("user data length %d septets is shorter than its %d-octet header", udl, headerLen)
		}
		unpacked := gsm7.Unpack7Bit(text, fill)
		if len(unpacked) < septets {
			return nil, nil, nil, fmt.Errorf("%w: %d septets of text declared, %d present", errTruncated, septets, len(unpacked))
		}
		if len(unpacked) > septets && unpacked[septets] != 0 {
			defects = append(defects, "non-zero fill bits after the last septet")
		}
		return udh, unpacked[:septets], defects, nil
	case tpdu.AlphaUCS2:
		if len(text)%2 == 1 {
			defects = append(defects, "UCS2 text has an odd number of octets")
		}
	}
	return udh, text, defects, nil
}

// readHeader keeps the information elements that fit and drops a truncated last one.
func readHeader(h []byte) (tpdu.UserDataHeader, []string) {
	var udh tpdu.UserDataHeader
	for i := 1; i < len(h); {
		if i+2 > len(h) || i+2+int(h[i+1]) > len(h) {
			return udh, []string{"truncated information element in the user data header ignored"}
		}
		n := int(h[i+1])
		udh = append(udh, tpdu.InformationElement{ID: h[i], Data: append([]byte(nil), h[i+2:i+2+n]...)})
		i += 2 + n
	}
	return udh, nil
}

func allFF(b []byte) bool {
	for _, x := range b {
		if x != 0xFF {
			return false
		}
	}
	return true
}

// lenientStatusReport reads the mandatory fields only; the optional PID, DCS
// and user data after TP-ST matter little and are often SIM padding.
func lenientStatusReport(tp []byte) (Segment, error) {
	seg := Segment{Kind: StatusReport, Class: -1}
	r := &reader{b: tp}
	_, _ = r.byte("first octet")
	mr, err := r.byte("message reference")
	if err != nil {
		return seg, err
	}
	ra, defects, err := readAddress(r, "recipient address")
	if err != nil {
		return seg, err
	}
	seg.Defects = append(seg.Defects, defects...)
	seg.Recipient = ra.number
	if seg.SCTS, defects, err = readTimestamp(r, "SCTS"); err != nil {
		return seg, err
	}
	seg.Defects = append(seg.Defects, defects...)
	discharge, defects, err := readTimestamp(r, "discharge time")
	if err != nil {
		return seg, err
	}
	seg.Defects = append(seg.Defects, defects...)
	st, err := r.byte("status")
	if err != nil {
		return seg, err
	}
	if extra := r.rest(); len(extra) > 0 && allFF(extra) {
		seg.Defects = append(seg.Defects, fmt.Sprintf("%d octets of 0xFF padding after the status", len(extra)))
	}
	seg.Report = &DeliveryReport{MR: int(mr), Status: int(st), Discharge: discharge}
	return seg, nil
}
