package pdu

import (
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

// Some modems store PDUs without the SMSC field. Every sample, with its
// SMSC field taken off, must read as what it is (a DELIVER stays a DELIVER
// with its text, a status report stays a status report, not a stored
// SUBMIT), whether the header length is known or not.
func TestPDUsWithoutSMSCField(t *testing.T) {
	checked := 0
	for _, s := range loadSamples(t) {
		b, err := hex.DecodeString(s.hex)
		if err != nil {
			t.Fatal(err)
		}
		if b[0] == 0 && !s.isDeliver() {
			continue // already has no service centre: "00" is part of the reading
		}
		if strings.Contains(s.notes, "no SMSC field") {
			continue
		}
		want, wantErr := DecodeDeliver(s.hex, s.tpduLen)
		bare := strings.ToUpper(hex.EncodeToString(b[1+int(b[0]):]))
		for _, n := range []int{-1, len(bare) / 2} {
			got, err := DecodeDeliver(bare, n)
			if (err == nil) != (wantErr == nil) || got.Kind != want.Kind {
				t.Errorf("%s without SMSC field, length %d: %v, %v; want %v, %v", s.name, n, got.Kind, err, want.Kind, wantErr)
				continue
			}
			if got.Sender != want.Sender || got.Recipient != want.Recipient || got.Text != want.Text {
				t.Errorf("%s without SMSC field, length %d: %q/%q %q; want %q/%q %q", s.name, n, got.Sender, got.Recipient, got.Text, want.Sender, want.Recipient, want.Text)
			}
			if want.Report != nil && (got.Report == nil || got.Report.MR != want.Report.MR ||
				got.Report.Status != want.Report.Status || !sameInstantAndZone(got.Report.Discharge, want.Report.Discharge)) {
				t.Errorf("%s without SMSC field, length %d: report %+v, want %+v", s.name, n, got.Report, want.Report)
			}
			if !got.hasDefect(noSMSCDefect) {
				t.Errorf("%s without SMSC field, length %d: defects %q do not say so", s.name, n, got.Defects)
			}
			if got.Kind == Deliver && Fingerprint(got, nil) != Fingerprint(want, nil) {
				t.Errorf("%s without SMSC field: another fingerprint", s.name)
			}
			checked++
		}
	}
	if checked < 80 {
		t.Fatalf("only %d readings checked", checked)
	}
}

// The case: the Indian status report as such a modem lists it, read
// as a stored SUBMIT until now.
func TestStatusReportWithoutSMSCIsNotASubmit(t *testing.T) {
	s := sampleByName(t, "sr_cds_india_no_smsc_field")
	for _, n := range []int{-1, 25} {
		seg, err := DecodeDeliver(s.hex, n)
		if !errors.Is(err, ErrNotDeliver) || seg.Kind != StatusReport || seg.Report == nil || seg.Report.MR != 64 {
			t.Fatalf("length %d: %v %+v, %v; want the status report for MR 64", n, seg.Kind, seg.Report, err)
		}
	}
}

// Well-formed PDUs with an SMSC field keep their meaning: a stored SUBMIT
// listed as received is still a SUBMIT.
func TestStoredSubmitKeepsItsReading(t *testing.T) {
	for _, n := range []int{-1, 29} {
		seg, err := DecodeDeliver("0791361907001003B17A0C913619397750320000AD11CD701E340FB3C3F23CC81D0689C3BF", n)
		if !errors.Is(err, ErrNotDeliver) || seg.Kind != Submit || seg.hasDefect(noSMSCDefect) {
			t.Fatalf("length %d: %v, %v, defects %q", n, seg.Kind, err, seg.Defects)
		}
	}
}

// National language tables: the element ids are 0x24 (single shift) and
// 0x25 (locking shift). Element 0x18 is a WVG object, not a language table,
// although sms v0.3.0 takes it for one.
func TestLanguageTablesComeFromTheRightElements(t *testing.T) {
	single := sampleByName(t, "nl_tr_single_cinterion")
	seg, err := DecodeDeliver(single.hex, single.tpduLen)
	if err != nil || seg.SingleShift != 1 || seg.LockingShift != 0 {
		t.Fatalf("tables %d/%d, %v; want single shift Turkish", seg.LockingShift, seg.SingleShift, err)
	}
	// The same message with the element id as sms v0.3.0 writes it (24 decimal).
	wvg := strings.Replace(single.hex, "1503240101", "1503180101", 1)
	seg, err = DecodeDeliver(wvg, single.tpduLen)
	if err != nil || seg.Text != "ScsGgIi€" || seg.SingleShift != 0 {
		t.Fatalf("WVG element read as a language table: %q (%d/%d), %v", seg.Text, seg.LockingShift, seg.SingleShift, err)
	}
	// Spanish has no locking table (23.038): the default alphabet stands in.
	es := strings.Replace(sampleByName(t, "nl_pt_locking_cinterion").hex, "0603250103", "0603250102", 1)
	if seg, err = DecodeDeliver(es, -1); err != nil || seg.Text != "Ø" {
		t.Fatalf("Spanish locking shift: %q, %v; want the default alphabet's Ø", seg.Text, err)
	}
	// An identifier no table has yet reads as the default alphabet.
	unknown := strings.Replace(sampleByName(t, "nl_pt_locking_cinterion").hex, "0603250103", "060325011F", 1)
	if seg, err = DecodeDeliver(unknown, -1); err != nil || seg.Text != "Ø" || seg.LockingShift != 0 {
		t.Fatalf("unknown language: %q (%d), %v", seg.Text, seg.LockingShift, err)
	}
}
