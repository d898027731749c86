package pdu

import (
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/warthog618/sms"
)

func FuzzDecodeDeliver(f *testing.F) {
	for _, s := range loadSamples(f) {
		b, _ := hex.DecodeString(s.hex)
		f.Add(b, s.tpduLen)
	}
	f.Fuzz(func(t *testing.T, raw []byte, tpduLen int) {
		// Arbitrary text as the PDU line must only ever produce an error.
		_, _ = DecodeDeliver(string(raw), tpduLen)

		line := hex.EncodeToString(raw)
		seg, err := DecodeDeliver(line, tpduLen)
		if err != nil {
			if !errors.Is(err, ErrNotDeliver) && !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v wraps neither ErrNotDeliver nor ErrMalformed", err)
			}
			return
		}
		if seg.Kind != Deliver {
			t.Fatalf("no error but Kind %v", seg.Kind)
		}
		again, err := DecodeDeliver(strings.ToUpper(line), tpduLen)
		if err != nil {
			t.Fatalf("second decode failed: %v", err)
		}
		if Fingerprint(seg, nil) != Fingerprint(again, nil) {
			t.Fatalf("fingerprint not stable")
		}
		if seg.Encoding == "UCS2" && JoinText([]Segment{seg}) != seg.Text {
			t.Fatalf("JoinText of one UCS2 part %q differs from its Text %q", JoinText([]Segment{seg}), seg.Text)
		}
		// Where sms v0.3.0 accepts the TPDU, the fallback must read it identically.
		if len(raw) > 0 && 1+int(raw[0]) < len(raw) {
			tp := raw[1+int(raw[0]):]
			if strictT, err := sms.Unmarshal(tp); err == nil && tp[0]&0x03 == 0 {
				strict, _ := fromStrictDeliver(strictT)
				if lenient, err := lenientDeliver(tp); err != nil {
					t.Fatalf("lenient decoder rejects what sms accepts: %v", err)
				} else if d := sameDecoding(strict, lenient); d != "" {
					t.Fatalf("strict and lenient disagree: %s", d)
				}
			}
		}
	})
}

func FuzzEncodeSubmit(f *testing.F) {
	for _, s := range loadSamples(f) {
		if s.isDeliver() && s.encoding != "8bit" {
			f.Add(s.text)
		}
	}
	f.Add(strings.Repeat("a", 152) + "€€")
	f.Add(strings.Repeat("x", 66) + "😀😀")
	f.Fuzz(func(t *testing.T, text string) {
		if !utf8.ValidString(text) {
			return // the round trip is only defined for valid UTF-8
		}
		parts, err := EncodeSubmit("+254712345678", text, 77)
		switch {
		case text == "":
			if !errors.Is(err, ErrEmptyText) {
				t.Fatalf("empty text: %v", err)
			}
			return
		case errors.Is(err, ErrTooLong):
			return
		case err != nil:
			t.Fatalf("EncodeSubmit: %v", err)
		}
		if got, _ := roundTrip(t, "+254712345678", text, 77); got != text {
			t.Fatalf("round trip = %q, want %q", got, text)
		}
		if len(parts) == 0 {
			t.Fatalf("no parts")
		}
	})
}

func FuzzDecodeStatusReport(f *testing.F) {
	for _, s := range loadSamples(f) {
		b, _ := hex.DecodeString(s.hex)
		f.Add(b, s.tpduLen)
	}
	f.Fuzz(func(t *testing.T, raw []byte, tpduLen int) {
		_, _ = DecodeStatusReport(string(raw), tpduLen)
		line := hex.EncodeToString(raw)
		seg, err := DecodeStatusReport(line, tpduLen)
		if err != nil {
			if !errors.Is(err, ErrNotStatusReport) && !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v wraps neither ErrNotStatusReport nor ErrMalformed", err)
			}
			return
		}
		r := seg.Report
		if seg.Kind != StatusReport || r == nil {
			t.Fatalf("no error but Kind %v, Report %v", seg.Kind, r)
		}
		if r.MR < 0 || r.MR > 255 || r.Status < 0 || r.Status > 255 {
			t.Fatalf("MR %d or status %d outside an octet", r.MR, r.Status)
		}
		switch r.Outcome() {
		case ReportDelivered, ReportPending, ReportFailed:
		default:
			t.Fatalf("outcome %q", r.Outcome())
		}
		again, err := DecodeStatusReport(strings.ToUpper(line), tpduLen)
		if err != nil || again.Report.MR != r.MR || again.Report.Status != r.Status || !again.Report.Discharge.Equal(r.Discharge) || again.Recipient != seg.Recipient {
			t.Fatalf("second decode differs: %+v %v", again.Report, err)
		}
	})
}
