package pdu

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/warthog618/sms"
	"github.com/warthog618/sms/encoding/tpdu"
)

var concatNote = regexp.MustCompile(`concat (8|16)-bit ref=(\d+) part (\d+)/(\d+)`)

// concatOverrides covers rows whose notes do not spell out the concat element.
var concatOverrides = map[string]*Concat{
	"concat16_att_2of2": {Ref: 7830, Total: 2, Seq: 2, Wide: true},
}

func expectedConcat(s sample) *Concat {
	if c, ok := concatOverrides[s.name]; ok {
		return c
	}
	m := concatNote.FindStringSubmatch(s.notes)
	if m == nil {
		return nil
	}
	ref, _ := strconv.Atoi(m[2])
	seq, _ := strconv.Atoi(m[3])
	total, _ := strconv.Atoi(m[4])
	return &Concat{Ref: ref, Total: total, Seq: seq, Wide: m[1] == "16"}
}

func TestDecodeDeliverSamples(t *testing.T) {
	n := 0
	for _, s := range loadSamples(t) {
		if !s.isDeliver() {
			continue
		}
		n++
		t.Run(s.name, func(t *testing.T) {
			seg, err := DecodeDeliver(s.hex, s.tpduLen)
			if err != nil {
				t.Fatalf("DecodeDeliver: %v", err)
			}
			if seg.Kind != Deliver {
				t.Errorf("Kind = %v, want deliver", seg.Kind)
			}
			if seg.Sender != s.sender {
				t.Errorf("Sender = %q, want %q", seg.Sender, s.sender)
			}
			if seg.Encoding != s.encoding {
				t.Errorf("Encoding = %q, want %q", seg.Encoding, s.encoding)
			}
			if s.encoding == "8bit" {
				var octets int
				if _, err := fmt.Sscanf(s.text, "binary %d octets", &octets); err != nil {
					t.Fatalf("summary %q: %v", s.text, err)
				}
				if len(seg.UD) != octets {
					t.Errorf("len(UD) = %d, want %d", len(seg.UD), octets)
				}
				if got, _ := hex.DecodeString(seg.Text); !bytes.Equal(got, seg.UD) {
					t.Errorf("Text %q is not the hex of UD", seg.Text)
				}
			} else if seg.Text != s.text {
				t.Errorf("Text = %q, want %q", seg.Text, s.text)
			}
			if want := timeField(t, s.notes, "SCTS"); !sameInstantAndZone(seg.SCTS, want) {
				t.Errorf("SCTS = %v, want %v", seg.SCTS, want)
			}
			if m := regexp.MustCompile(`SMSC=(\S+)`).FindStringSubmatch(s.notes); m != nil && seg.SMSC != m[1] {
				t.Errorf("SMSC = %q, want %q", seg.SMSC, m[1])
			}
			if want := expectedConcat(s); (want == nil) != (seg.Concat == nil) || (want != nil && *want != *seg.Concat) {
				t.Errorf("Concat = %+v, want %+v", seg.Concat, want)
			}
			wantClass := -1
			if s.name == "dcs_f3_class3" {
				wantClass = 3
			}
			if seg.Class != wantClass {
				t.Errorf("Class = %d, want %d", seg.Class, wantClass)
			}
			if seg.Lenient != s.strictFails() {
				t.Errorf("Lenient = %v, want %v (defects %q)", seg.Lenient, s.strictFails(), seg.Defects)
			}
			if seg.Raw != s.hex {
				t.Errorf("Raw not kept as given")
			}
			if want := senderTypeInNotes(t, s.name, s.notes); seg.SenderType != want {
				t.Errorf("SenderType = %q, want %q", seg.SenderType, want)
			}
		})
	}
	if n < 30 {
		t.Fatalf("only %d DELIVER samples", n)
	}
}

var reportSummary = regexp.MustCompile(`^SMS-STATUS-REPORT MR=(\d+) ST=0x([0-9a-fA-F]{2})`)

func TestDecodeStatusReportSamples(t *testing.T) {
	n := 0
	for _, s := range loadSamples(t) {
		if s.isDeliver() {
			continue
		}
		n++
		t.Run(s.name, func(t *testing.T) {
			m := reportSummary.FindStringSubmatch(s.text)
			if m == nil {
				t.Fatalf("summary %q is not a status report", s.text)
			}
			seg, err := DecodeDeliver(s.hex, s.tpduLen)
			if !errors.Is(err, ErrNotDeliver) {
				t.Fatalf("err = %v, want ErrNotDeliver", err)
			}
			if seg.Kind != StatusReport || seg.Report == nil {
				t.Fatalf("Kind = %v, Report = %v; want a status report", seg.Kind, seg.Report)
			}
			if seg.Recipient != s.sender {
				t.Errorf("Recipient = %q, want %q", seg.Recipient, s.sender)
			}
			mr, _ := strconv.Atoi(m[1])
			st, _ := strconv.ParseUint(m[2], 16, 8)
			if seg.Report.MR != mr || seg.Report.Status != int(st) {
				t.Errorf("MR/ST = %d/%#x, want %d/%#x", seg.Report.MR, seg.Report.Status, mr, st)
			}
			if want := timeField(t, s.text, "SCTS"); !sameInstantAndZone(seg.SCTS, want) {
				t.Errorf("SCTS = %v, want %v", seg.SCTS, want)
			}
			if want := timeField(t, s.text, "DT"); !sameInstantAndZone(seg.Report.Discharge, want) {
				t.Errorf("DT = %v, want %v", seg.Report.Discharge, want)
			}
			if seg.Lenient != s.strictFails() {
				t.Errorf("Lenient = %v, want %v", seg.Lenient, s.strictFails())
			}
			if seg.Report.Final() != (st < 0x20 || st >= 0x40) || seg.Report.Delivered() != (st < 0x20) {
				t.Errorf("Final/Delivered wrong for status %#x", st)
			}
		})
	}
	if n < 8 {
		t.Fatalf("only %d status report samples", n)
	}
}

// sameDecoding returns how two decodings of one DELIVER differ, or "".
func sameDecoding(a, b Segment) string {
	var diffs []string
	if a.Sender != b.Sender || a.SenderType != b.SenderType {
		diffs = append(diffs, fmt.Sprintf("sender %q/%v vs %q/%v", a.Sender, a.SenderType, b.Sender, b.SenderType))
	}
	if !sameInstantAndZone(a.SCTS, b.SCTS) {
		diffs = append(diffs, fmt.Sprintf("SCTS %v vs %v", a.SCTS, b.SCTS))
	}
	if a.Text != b.Text || a.Encoding != b.Encoding || !bytes.Equal(a.UD, b.UD) {
		diffs = append(diffs, fmt.Sprintf("text %q/%s/%X vs %q/%s/%X", a.Text, a.Encoding, a.UD, b.Text, b.Encoding, b.UD))
	}
	if a.Class != b.Class || a.PID != b.PID || a.DCS != b.DCS {
		diffs = append(diffs, "class/PID/DCS")
	}
	if a.LockingShift != b.LockingShift || a.SingleShift != b.SingleShift {
		diffs = append(diffs, fmt.Sprintf("language tables %d/%d vs %d/%d", a.LockingShift, a.SingleShift, b.LockingShift, b.SingleShift))
	}
	if (a.Concat == nil) != (b.Concat == nil) || (a.Concat != nil && *a.Concat != *b.Concat) {
		diffs = append(diffs, fmt.Sprintf("concat %+v vs %+v", a.Concat, b.Concat))
	}
	if Fingerprint(a, nil) != Fingerprint(b, nil) {
		diffs = append(diffs, "fingerprint")
	}
	return strings.Join(diffs, "; ")
}

// The fallback must read well-formed PDUs exactly as sms v0.3.0 does, or a
// message would change fingerprint depending on which path decoded it.
func TestLenientAgreesWithStrict(t *testing.T) {
	checked := 0
	for _, s := range loadSamples(t) {
		tp := tpduBytes(t, s.hex)
		if !s.isDeliver() {
			continue
		}
		strictT, err := sms.Unmarshal(tp)
		if err != nil {
			continue
		}
		strict, _ := fromStrictDeliver(strictT)
		lenient, err := lenientDeliver(tp)
		if err != nil {
			t.Errorf("%s: lenient decoder failed where strict succeeded: %v", s.name, err)
			continue
		}
		if d := sameDecoding(strict, lenient); d != "" {
			t.Errorf("%s: %s", s.name, d)
		}
		if len(lenient.Defects) != 0 {
			t.Errorf("%s: lenient decoder reports defects in a valid PDU: %q", s.name, lenient.Defects)
		}
		checked++
	}
	if checked < 25 {
		t.Fatalf("only %d rows compared", checked)
	}
}

func TestDecodeDefects(t *testing.T) {
	hello := sampleByName(t, "pgm_hello_cmgl")
	clean, err := DecodeDeliver(hello.hex, hello.tpduLen)
	if err != nil {
		t.Fatal(err)
	}
	// pgm_hello_cmgl: the TPDU starts at hex offset 16; its SCTS zone octet is at 50.
	tests := []struct {
		name, hex       string
		tpduLen         int
		wantDefect      string
		lenient         bool
		sameFingerprint bool
	}{
		{"SIM 0xFF padding", hello.hex + strings.Repeat("FF", 20), 35, "0xFF padding", true, true},
		{"extra octets", hello.hex + "0102", 35, "beyond the declared", true, true},
		{"wrong header length", hello.hex, 99, "header gives TPDU length 99", false, true},
		{"lowercase with quotes and CRLF", `"` + strings.ToLower(hello.hex) + "\"\r\n", 35, "", false, true},
		{"no SMSC field", hello.hex[16:], 35, "no SMSC field", false, true},
		{"reserved MTI", hello.hex[:16] + "27" + hello.hex[18:], 35, "reserved message type", true, true},
		{"invalid zone octet", hello.hex[:50] + "C2" + hello.hex[52:], 35, "time zone octet C2", true, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			seg, err := DecodeDeliver(tc.hex, tc.tpduLen)
			if err != nil {
				t.Fatalf("DecodeDeliver: %v", err)
			}
			if seg.Text != clean.Text || seg.Sender != clean.Sender {
				t.Errorf("got %q from %q, want %q from %q", seg.Text, seg.Sender, clean.Text, clean.Sender)
			}
			if seg.Lenient != tc.lenient {
				t.Errorf("Lenient = %v, want %v", seg.Lenient, tc.lenient)
			}
			joined := strings.Join(seg.Defects, " | ")
			if tc.wantDefect == "" && len(seg.Defects) != 0 || !strings.Contains(joined, tc.wantDefect) {
				t.Errorf("Defects = %q, want one containing %q", seg.Defects, tc.wantDefect)
			}
			if (Fingerprint(seg, nil) == Fingerprint(clean, nil)) != tc.sameFingerprint {
				t.Errorf("fingerprint equal to the clean decoding: %v, want %v", !tc.sameFingerprint, tc.sameFingerprint)
			}
		})
	}
}

func TestDecodeRejectsGarbage(t *testing.T) {
	for _, in := range []string{"", "   ", "0", "ZZ", "00", "07", "0791", "0791527422050000", "000400", "00040B91", "0004039121F30000", "0004039121F300001121102142752180", "00440391" + "21F30000112110214275218005050003010201"} {
		seg, err := DecodeDeliver(in, -1)
		if err == nil {
			t.Errorf("DecodeDeliver(%q) = %+v, want an error", in, seg)
			continue
		}
		if !errors.Is(err, ErrMalformed) {
			t.Errorf("DecodeDeliver(%q) error %v does not wrap ErrMalformed", in, err)
		}
	}
}

func TestDecodeStoredSubmit(t *testing.T) {
	// docs/modem.md §11: a stored SUBMIT from gammu's test dump at-sms/02 ('+CMGR: 3,,29').
	seg, err := DecodeDeliver("0791361907001003B17A0C913619397750320000AD11CD701E340FB3C3F23CC81D0689C3BF", 29)
	if !errors.Is(err, ErrNotDeliver) {
		t.Fatalf("err = %v, want ErrNotDeliver", err)
	}
	if seg.Kind != Submit || seg.Text != "May salary na ba?" || seg.Recipient != "+639193770523" || seg.SMSC != "+639170000130" {
		t.Errorf("got %+v", seg)
	}
	// A SUBMIT that sms cannot decode is still classified, not reported as garbage.
	seg, err = DecodeDeliver("0011000B91", -1)
	if !errors.Is(err, ErrNotDeliver) || seg.Kind != Submit {
		t.Errorf("truncated SUBMIT: kind %v, err %v", seg.Kind, err)
	}
}

func decodeSet(t *testing.T, names ...string) []Segment {
	t.Helper()
	var segs []Segment
	for _, n := range names {
		s := sampleByName(t, n)
		seg, err := DecodeDeliver(s.hex, s.tpduLen)
		if err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		segs = append(segs, seg)
	}
	return segs
}

func TestConcatSetsFromSamples(t *testing.T) {
	sets := map[string][]string{
		"gammu ucs2": {"concat8_gammu_ucs2_1of2", "concat8_gammu_ucs2_2of2"},
		"mpesa":      {"syn_mpesa_concat8_1of2", "syn_mpesa_concat8_2of2"},
		"ru 16-bit":  {"syn_ru_concat16_1of2", "syn_ru_concat16_2of2"},
		"at&t":       {"concat16_att_1of2", "concat16_att_2of2"},
	}
	for name, parts := range sets {
		t.Run(name, func(t *testing.T) {
			segs := decodeSet(t, parts...)
			var want string
			for _, p := range parts {
				want += sampleByName(t, p).text
			}
			first := segs[0].Concat
			for i, s := range segs {
				c := s.Concat
				if c == nil || c.Ref != first.Ref || c.Total != len(parts) || c.Seq != i+1 || c.Wide != first.Wide || s.Sender != segs[0].Sender {
					t.Fatalf("part %d: concat %+v sender %q", i+1, c, s.Sender)
				}
			}
			slices.Reverse(segs)
			if got := JoinText(segs); got != want {
				t.Errorf("JoinText = %q, want %q", got, want)
			}
		})
	}
	if got := JoinText(decodeSet(t, "concat8_gammu_ucs2_2of2", "concat8_gammu_ucs2_1of2")); got != "AB" {
		t.Errorf("gammu set joined to %q, want AB", got)
	}
}

// deliverPart builds a DELIVER part with UCS2 user data, for cases no capture covers.
func deliverPart(t *testing.T, ud []byte, ref, total, seq int) string {
	t.Helper()
	pdu, err := tpdu.NewDeliver()
	if err != nil {
		t.Fatal(err)
	}
	pdu.OA = tpdu.Address{TOA: 0x91, Addr: "254712345678"}
	pdu.DCS = tpdu.DcsUCS2Data
	pdu.SCTS = tpdu.Timestamp{Time: time.Date(2024, 3, 15, 9, 30, 5, 0, time.FixedZone("SCTS", 3*3600))}
	pdu.SetUDH(tpdu.UserDataHeader{{ID: 0, Data: []byte{byte(ref), byte(total), byte(seq)}}})
	pdu.UD = ud
	b, err := pdu.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return "00" + strings.ToUpper(hex.EncodeToString(b))
}

func TestJoinTextRejoinsSplitSurrogatePair(t *testing.T) {
	// 😀 is D83D DE00: a sloppy sender puts D83D at the end of part 1.
	part1 := []byte{0x00, 'H', 0x00, 'i', 0xD8, 0x3D}
	part2 := []byte{0xDE, 0x00, 0x00, '!'}
	var segs []Segment
	for i, ud := range [][]byte{part1, part2} {
		seg, err := DecodeDeliver(deliverPart(t, ud, 7, 2, i+1), -1)
		if err != nil {
			t.Fatalf("part %d: %v", i+1, err)
		}
		if !bytes.Equal(seg.UD, ud) {
			t.Errorf("part %d UD = %X, want %X", i+1, seg.UD, ud)
		}
		segs = append(segs, seg)
	}
	if segs[0].Text != "Hi\uFFFD" || segs[1].Text != "\uFFFD!" {
		t.Errorf("part texts %q %q: lone halves must become U+FFFD without eating neighbours", segs[0].Text, segs[1].Text)
	}
	if got := JoinText([]Segment{segs[1], segs[0]}); got != "Hi😀!" {
		t.Errorf("JoinText = %q, want %q", got, "Hi😀!")
	}
	// A well-formed pair inside one part decodes in that part's Text.
	seg, err := DecodeDeliver(deliverPart(t, []byte{0xD8, 0x3D, 0xDE, 0x00}, 8, 1, 1), -1)
	if err != nil || seg.Text != "😀" {
		t.Errorf("single-part emoji: %q, %v", seg.Text, err)
	}
}

func TestFingerprint(t *testing.T) {
	seen := map[string]string{}
	for _, s := range loadSamples(t) {
		if !s.isDeliver() {
			continue
		}
		a, err := DecodeDeliver(s.hex, s.tpduLen)
		if err != nil {
			t.Fatal(err)
		}
		b, err := DecodeDeliver(strings.ToLower(s.hex), -1)
		if err != nil {
			t.Fatal(err)
		}
		fp := Fingerprint(a, nil)
		if fp != Fingerprint(b, nil) {
			t.Errorf("%s: fingerprint differs between two deliveries", s.name)
		}
		if len(fp) != 64 {
			t.Errorf("%s: fingerprint %q is not hex sha256", s.name, fp)
		}
		if other, dup := seen[fp]; dup {
			t.Errorf("%s and %s share a fingerprint", s.name, other)
		}
		seen[fp] = s.name

		changed := a
		changed.UD = append(slices.Clone(a.UD), 'x')
		if Fingerprint(changed, nil) == fp {
			t.Errorf("%s: fingerprint ignores the text", s.name)
		}
		changed = a
		changed.SCTS = a.SCTS.Add(time.Second)
		if Fingerprint(changed, nil) == fp {
			t.Errorf("%s: fingerprint ignores the timestamp", s.name)
		}
		changed = a
		_, offset := a.SCTS.Zone()
		changed.SCTS = a.SCTS.In(time.FixedZone("other", offset+15*60))
		if Fingerprint(changed, nil) == fp {
			t.Errorf("%s: fingerprint ignores the zone offset", s.name)
		}
		changed = a
		changed.Sender += "1"
		if Fingerprint(changed, nil) == fp {
			t.Errorf("%s: fingerprint ignores the sender", s.name)
		}
		if a.Concat != nil {
			c := *a.Concat
			c.Seq = c.Seq%c.Total + 1
			c.Total++
			changed = a
			changed.Concat = &c
			if Fingerprint(changed, nil) == fp {
				t.Errorf("%s: fingerprint ignores the concat element", s.name)
			}
			w := *a.Concat
			w.Wide = !w.Wide
			changed.Concat = &w
			if Fingerprint(changed, nil) == fp {
				t.Errorf("%s: fingerprint ignores the concat reference width", s.name)
			}
		}
	}
}

func TestIsShortCodeOrAlphanumeric(t *testing.T) {
	tests := map[string]bool{
		"MPESA":             true,
		"Zolotoy585":        true,
		"O2_":               true,
		"201":               true,
		"999167":            true,
		"5433":              true,
		"+12345":            true,
		"":                  true,
		"+254712345678":     false,
		"0712345678":        false,
		"1234567":           false,
		"+2784000153099999": false,
		" 0712345678 ":      false,
	}
	for sender, want := range tests {
		if got := IsShortCodeOrAlphanumeric(sender); got != want {
			t.Errorf("IsShortCodeOrAlphanumeric(%q) = %v, want %v", sender, got, want)
		}
	}
}

func TestKindString(t *testing.T) {
	for k, want := range map[Kind]string{Deliver: "deliver", Submit: "submit", StatusReport: "status-report", Unknown: "unknown", Kind(42): "unknown"} {
		if k.String() != want {
			t.Errorf("%d.String() = %q, want %q", int(k), k.String(), want)
		}
	}
}

func BenchmarkDecodeDeliver(b *testing.B) {
	rows := []sample{sampleByName(b, "mpesa_ke_confirmed"), sampleByName(b, "syn_ru_concat16_1of2"), sampleByName(b, "concat16_att_2of2")}
	for _, s := range rows {
		b.Run(s.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := DecodeDeliver(s.hex, s.tpduLen); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// senderTypeInNotes reads the sample's "OA_TOA=0x.." note: the type of
// number the capture's own header shows, independent of the decoder. The two
// samples whose notes lack it were read off their hex by hand.
func senderTypeInNotes(t *testing.T, name, notes string) SenderType {
	t.Helper()
	byTOA := map[string]SenderType{
		"0x91": SenderInternational, "0x81": SenderUnknown, "0xa1": SenderNational,
		"0xc8": SenderSubscriber, "0xd0": SenderAlphanumeric,
	}
	noted := map[string]SenderType{
		"concat16_att_2of2":       SenderUnknown,  // OA 03 81 "201"
		"overlength_extra_octets": SenderNational, // OA 04 A1 "9494"
	}
	if want, ok := noted[name]; ok {
		return want
	}
	i := strings.Index(notes, "OA_TOA=")
	if i < 0 {
		t.Fatalf("sample %s has no OA_TOA note; add its type of number to this test", name)
	}
	toa := notes[i+len("OA_TOA=") : i+len("OA_TOA=0x00")]
	want, ok := byTOA[toa]
	if !ok {
		t.Fatalf("sample note has a type of address %s this test does not know", toa)
	}
	return want
}
