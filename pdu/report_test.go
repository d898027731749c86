package pdu

import (
	"errors"
	"testing"
)

func TestStatusOutcome(t *testing.T) {
	tests := []struct {
		st   int
		want ReportOutcome
	}{
		{0x00, ReportDelivered}, // received by the SME
		{0x01, ReportDelivered}, // forwarded, unconfirmed
		{0x02, ReportDelivered}, // replaced
		{0x03, ReportDelivered}, // reserved, still "completed"
		{0x10, ReportDelivered}, // SC specific, completed
		{0x1F, ReportDelivered},
		{0x20, ReportPending}, // congestion, still trying
		{0x21, ReportPending},
		{0x25, ReportPending},
		{0x30, ReportPending}, // SC specific temporary
		{0x3F, ReportPending},
		{0x40, ReportFailed}, // remote procedure error
		{0x46, ReportFailed}, // validity period expired
		{0x49, ReportFailed},
		{0x5F, ReportFailed},
		{0x60, ReportFailed}, // temporary, SC gave up
		{0x65, ReportFailed},
		{0x7F, ReportFailed},
		{0x80, ReportFailed}, // reserved bit 7
		{0xFF, ReportFailed},
		{-1, ReportFailed},
	}
	for _, tc := range tests {
		if got := StatusOutcome(tc.st); got != tc.want {
			t.Errorf("StatusOutcome(%#02x) = %s, want %s", tc.st, got, tc.want)
		}
		r := DeliveryReport{Status: tc.st}
		if r.Outcome() != tc.want {
			t.Errorf("DeliveryReport{%#02x}.Outcome() = %s, want %s", tc.st, r.Outcome(), tc.want)
		}
		// Final and Delivered predate the outcome; they must agree with it.
		if tc.st >= 0 && r.Delivered() != (tc.want == ReportDelivered) {
			t.Errorf("Delivered(%#02x) = %v disagrees with %s", tc.st, r.Delivered(), tc.want)
		}
		if tc.st >= 0 && r.Final() != (tc.want != ReportPending) {
			t.Errorf("Final(%#02x) = %v disagrees with %s", tc.st, r.Final(), tc.want)
		}
		if StatusText(tc.st) == "" {
			t.Errorf("StatusText(%#02x) is empty", tc.st)
		}
	}
	if StatusText(0x46) != "validity period expired before delivery" {
		t.Errorf("StatusText(0x46) = %q", StatusText(0x46))
	}
}

func TestDecodeStatusReport(t *testing.T) {
	n := 0
	for _, s := range loadSamples(t) {
		seg, err := DecodeStatusReport(s.hex, s.tpduLen)
		if s.isDeliver() {
			// A DELIVER is not a report; a broken one is malformed, never a report.
			if err == nil {
				t.Errorf("%s: a DELIVER sample decoded as a status report", s.name)
			} else if !errors.Is(err, ErrNotStatusReport) && !errors.Is(err, ErrMalformed) {
				t.Errorf("%s: err = %v", s.name, err)
			}
			continue
		}
		n++
		if err != nil {
			t.Errorf("%s: %v", s.name, err)
			continue
		}
		if seg.Kind != StatusReport || seg.Report == nil || seg.Recipient != s.sender {
			t.Errorf("%s: %+v", s.name, seg)
		}
	}
	if n < 8 {
		t.Fatalf("only %d status report samples", n)
	}
	if _, err := DecodeStatusReport("zz", -1); !errors.Is(err, ErrMalformed) {
		t.Errorf("non-hex: %v", err)
	}
	// The expired sample reads as failed with its reason.
	seg, err := DecodeStatusReport(sampleByName(t, "syn_sr_expired").hex, -1)
	if err != nil || seg.Report.MR != 42 || seg.Report.Outcome() != ReportFailed || seg.Recipient != "+254712345678" {
		t.Fatalf("syn_sr_expired: %+v %v", seg.Report, err)
	}
}
