package pdu

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf16"

	"github.com/warthog618/sms/encoding/gsm7"
	"github.com/warthog618/sms/encoding/gsm7/charset"
	"github.com/warthog618/sms/encoding/tpdu"
	"github.com/warthog618/sms/encoding/ucs2"
)

// Per-part capacities (23.040): a 6-octet concatenation UDH costs 7 septets or 6 octets.
const (
	SingleGSM7Septets = 160
	SingleUCS2Units   = 70
	PartGSM7Septets   = 153
	PartUCS2Units     = 67
	MaxParts          = 255
)

// DefaultValidity is how long the SMSC keeps trying to deliver what EncodeSubmit encodes.
const DefaultValidity = 24 * time.Hour

// Part is one SMS-SUBMIT ready for AT+CMGS.
type Part struct {
	Hex     string // "00" (use the modem's SMSC) then the TPDU, uppercase hex, written after the prompt
	TPDULen int    // octets after the SMSC field: the <length> of AT+CMGS=<length>
}

// SubmitOptions tunes EncodeSubmitWith.
type SubmitOptions struct {
	// Validity is the relative validity period; 0 leaves the field out and
	// the SMSC applies its own default.
	Validity time.Duration
	// StatusReport asks the network for a delivery report (TP-SRR).
	StatusReport bool
}

var (
	// ErrBadNumber is wrapped when the destination is not a usable phone number.
	ErrBadNumber = errors.New("invalid destination number")
	// ErrEmptyText is returned for an empty message.
	ErrEmptyText = errors.New("message text is empty")
	// ErrTooLong is wrapped when a message needs more than MaxParts parts.
	ErrTooLong = errors.New("message too long")
)

// EncodeSubmit encodes text for `to` with a 24 h validity period and no
// delivery report. See EncodeSubmitWith.
func EncodeSubmit(to, text string, concatRef int) ([]Part, error) {
	return EncodeSubmitWith(to, text, concatRef, SubmitOptions{Validity: DefaultValidity})
}

// EncodeSubmitWith encodes text as one or more SMS-SUBMIT PDUs: GSM 7-bit when
// every character is in the default alphabet or its extension table, UCS2
// otherwise. to is "+<E.164 digits>" (international) or bare digits (unknown
// type of number). Long texts get an 8-bit concatenation header with
// reference concatRef&0xFF. MR is 0: the modem assigns it. Invalid UTF-8 in
// text is sent as U+FFFD.
func EncodeSubmitWith(to, text string, concatRef int, opts SubmitOptions) ([]Part, error) {
	da, err := parseDestination(to)
	if err != nil {
		return nil, err
	}
	if text == "" {
		return nil, ErrEmptyText
	}
	if opts.Validity < 0 {
		return nil, fmt.Errorf("validity period %v is negative", opts.Validity)
	}
	chunks, wide := Split(text)
	if len(chunks) > MaxParts {
		return nil, fmt.Errorf("%w: %d parts, at most %d allowed", ErrTooLong, len(chunks), MaxParts)
	}
	var template tpdu.TPDU
	if err := template.SetSmsType(tpdu.SmsSubmit); err != nil {
		return nil, err
	}
	template.DA = da
	if wide {
		template.DCS = tpdu.DcsUCS2Data
	}
	if opts.Validity > 0 {
		var vp tpdu.ValidityPeriod
		vp.SetRelative(opts.Validity)
		template.SetVP(vp)
	}
	if opts.StatusReport {
		template.FirstOctet |= tpdu.FoSRR
	}
	parts := make([]Part, 0, len(chunks))
	for i, chunk := range chunks {
		t := template
		if len(chunks) > 1 {
			t.SetUDH(tpdu.UserDataHeader{{ID: 0x00, Data: []byte{byte(concatRef), byte(len(chunks)), byte(i + 1)}}})
		}
		if wide {
			t.UD = ucs2.Encode([]rune(chunk))
		} else if t.UD, err = gsm7.Encode([]byte(chunk)); err != nil {
			return nil, fmt.Errorf("GSM 7-bit encoding of part %d: %w", i+1, err)
		}
		b, err := t.MarshalBinary()
		if err != nil {
			return nil, fmt.Errorf("encoding part %d: %w", i+1, err)
		}
		parts = append(parts, Part{Hex: "00" + strings.ToUpper(hex.EncodeToString(b)), TPDULen: len(b)})
	}
	return parts, nil
}

func parseDestination(to string) (tpdu.Address, error) {
	s := strings.TrimSpace(to)
	toa := byte(0x81) // unknown type of number, ISDN plan
	if strings.HasPrefix(s, "+") {
		toa = 0x91 // international
		s = s[1:]
	}
	if s == "" {
		return tpdu.Address{}, fmt.Errorf("%w: %q has no digits", ErrBadNumber, to)
	}
	// The address field holds at most 20 digits.
	if len(s) > 20 {
		return tpdu.Address{}, fmt.Errorf("%w: %q has more than 20 digits", ErrBadNumber, to)
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return tpdu.Address{}, fmt.Errorf("%w: %q may contain only digits after an optional leading '+'", ErrBadNumber, to)
		}
	}
	return tpdu.Address{TOA: toa, Addr: s}, nil
}

// Split cuts text into the chunks EncodeSubmit sends, one per SMS part, and
// says whether they go as UCS2. Chunks are substrings of text on character
// boundaries: a GSM7 escape pair or a UTF-16 surrogate pair is never split.
// A text that fits one SMS (160 septets / 70 UCS2 units) is one chunk;
// otherwise every chunk holds at most 153 septets / 67 units.
func Split(text string) (chunks []string, ucs2 bool) {
	if text == "" {
		return nil, false
	}
	cost := gsm7Cost
	limitSingle, limitPart := SingleGSM7Septets, PartGSM7Septets
	if !isGSM7(text) {
		ucs2 = true
		cost = utf16.RuneLen
		limitSingle, limitPart = SingleUCS2Units, PartUCS2Units
	}
	total := 0
	for _, r := range text {
		total += cost(r)
	}
	if total <= limitSingle {
		return []string{text}, ucs2
	}
	start, used := 0, 0
	for i, r := range text {
		c := cost(r)
		if used+c > limitPart {
			chunks = append(chunks, text[start:i])
			start, used = i, 0
		}
		used += c
	}
	return append(chunks, text[start:]), ucs2
}

var (
	gsm7Default   = charset.DefaultEncoder()
	gsm7Extension = charset.DefaultExtEncoder()
)

// isGSM7 is false for invalid UTF-8: its U+FFFD replacement needs UCS2.
func isGSM7(text string) bool {
	for _, r := range text {
		if gsm7Cost(r) == 0 {
			return false
		}
	}
	return true
}

// gsm7Cost is the septets r takes in the default alphabet, or 0 if it has none.
// U+001B has none: septet 0x1B is the escape to the extension table, not a character.
func gsm7Cost(r rune) int {
	if r == 0x1B {
		return 0
	}
	if _, ok := gsm7Default[r]; ok {
		return 1
	}
	if _, ok := gsm7Extension[r]; ok {
		return 2
	}
	return 0
}
