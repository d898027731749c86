package pdu

import (
	"encoding/hex"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/warthog618/sms"
	"github.com/warthog618/sms/encoding/gsm7"
	"github.com/warthog618/sms/encoding/tpdu"
)

// decodeParts checks each Part on its own and returns the TPDUs as sms v0.3.0 reads them.
func decodeParts(t testing.TB, parts []Part) []*tpdu.TPDU {
	t.Helper()
	var out []*tpdu.TPDU
	for i, p := range parts {
		if !strings.HasPrefix(p.Hex, "00") || p.Hex != strings.ToUpper(p.Hex) {
			t.Fatalf("part %d: %q must be uppercase hex starting with the empty SMSC field", i+1, p.Hex)
		}
		b, err := hex.DecodeString(p.Hex)
		if err != nil {
			t.Fatalf("part %d: %v", i+1, err)
		}
		if p.TPDULen != len(b)-1 {
			t.Fatalf("part %d: TPDULen %d, TPDU has %d octets", i+1, p.TPDULen, len(b)-1)
		}
		pdu, err := sms.Unmarshal(b[1:], sms.AsMO)
		if err != nil {
			t.Fatalf("part %d does not decode as SMS-SUBMIT: %v", i+1, err)
		}
		if pdu.SmsType() != tpdu.SmsSubmit || pdu.MR != 0 || pdu.PID != 0 {
			t.Fatalf("part %d: type %v MR %d PID %d", i+1, pdu.SmsType(), pdu.MR, pdu.PID)
		}
		out = append(out, pdu)
	}
	return out
}

// roundTrip encodes text, checks every structural promise, and returns the reassembled text.
func roundTrip(t testing.TB, to, text string, ref int) (string, []*tpdu.TPDU) {
	t.Helper()
	parts, err := EncodeSubmit(to, text, ref)
	if err != nil {
		t.Fatalf("EncodeSubmit(%q): %v", text, err)
	}
	pdus := decodeParts(t, parts)
	chunks, wide := Split(text)
	if len(chunks) != len(pdus) {
		t.Fatalf("%d parts but Split gives %d chunks", len(pdus), len(chunks))
	}
	for i, pdu := range pdus {
		if pdu.DA.Number() != strings.TrimSpace(to) {
			t.Fatalf("part %d addressed to %q, want %q", i+1, pdu.DA.Number(), to)
		}
		wantDCS := tpdu.DCS(0x00)
		if wide {
			wantDCS = tpdu.DcsUCS2Data
		}
		if pdu.DCS != wantDCS {
			t.Fatalf("part %d DCS %v, want %v", i+1, pdu.DCS, wantDCS)
		}
		wantFO := tpdu.FirstOctet(0x11)
		if len(pdus) > 1 {
			wantFO = 0x51
		}
		if pdu.FirstOctet != wantFO {
			t.Fatalf("part %d first octet %#02x, want %#02x", i+1, byte(pdu.FirstOctet), byte(wantFO))
		}
		if pdu.VP.Format != tpdu.VpfRelative || pdu.VP.Duration != DefaultValidity {
			t.Fatalf("part %d validity %v", i+1, pdu.VP)
		}
		total, seq, concatRef, ok := pdu.ConcatInfo()
		if len(pdus) == 1 && ok {
			t.Fatalf("single part carries a concat element")
		}
		if len(pdus) > 1 && (!ok || total != len(pdus) || seq != i+1 || concatRef != ref&0xFF || len(pdu.UDH) != 1 || pdu.UDH[0].ID != 0) {
			t.Fatalf("part %d concat: ok=%v total=%d seq=%d ref=%d udh=%v", i+1, ok, total, seq, concatRef, pdu.UDH)
		}
		limit := map[bool]int{false: SingleGSM7Septets, true: 2 * SingleUCS2Units}[wide]
		if len(pdus) > 1 {
			limit = map[bool]int{false: PartGSM7Septets, true: 2 * PartUCS2Units}[wide]
		}
		if len(pdu.UD) > limit {
			t.Fatalf("part %d carries %d units, limit %d", i+1, len(pdu.UD), limit)
		}
		if !wide && endsWithDanglingEscape(pdu.UD) {
			t.Fatalf("part %d ends in half an escape pair", i+1)
		}
		if wide && len(pdu.UD) >= 2 && pdu.UD[len(pdu.UD)-2]&0xFC == 0xD8 { // high surrogate D800-DBFF
			t.Fatalf("part %d ends in half a surrogate pair", i+1)
		}
		if got, _ := sms.Decode([]*tpdu.TPDU{pdu}); string(got) != chunks[i] {
			t.Fatalf("part %d decodes alone to %q, want chunk %q", i+1, got, chunks[i])
		}
	}
	if !sms.IsCompleteMessage(pdus) {
		t.Fatalf("sms does not see the parts as one complete message")
	}
	msg, err := sms.Decode(pdus)
	if err != nil {
		t.Fatalf("sms.Decode: %v", err)
	}
	return string(msg), pdus
}

func endsWithDanglingEscape(septets []byte) bool {
	n := 0
	for i := len(septets) - 1; i >= 0 && septets[i] == 0x1b; i-- {
		n++
	}
	return n%2 == 1
}

func TestEncodeSubmitRoundTrip(t *testing.T) {
	a := strings.Repeat
	tests := []struct {
		name, text string
		parts      int
		ucs2       bool
	}{
		{"ascii", "BAL 12345", 1, false},
		{"160 chars", a("a", 160), 1, false},
		{"161 chars", a("a", 161), 2, false},
		{"153+153+1", a("b", 307), 3, false},
		{"euro at part boundary", a("a", 152) + "€" + "tail of text", 2, false},
		{"escape pair fills part exactly", a("a", 151) + "€" + "tail of text", 2, false},
		{"all extension chars", a("{}[]~\\|^€\f", 20), 3, false},
		{"159 plus extension char", a("a", 159) + "€", 2, false},
		{"158 plus extension char", a("a", 158) + "€", 1, false},
		{"gsm specials", "Tèätrc @ £. ¥ § ¿ ¡ Ø Å Æ ß É Δ Φ Γ Λ Ω Π Ψ Σ Θ Ξ\n\r", 1, false},
		{"swahili", "Habari! Salio lako la akiba ni KSh 12,500.00. Mkopo wako unaofuata unadaiwa tarehe 15/04/2024. Lipa kupitia M-PESA Paybill 123456, akaunti 0712345678. Asante kwa kuchagua huduma yetu.", 2, false},
		{"russian 70", a("Ж", 70), 1, true},
		{"russian 71", a("Ж", 71), 2, true},
		{"russian long", a("Привет! Это длинное сообщение на русском языке. ", 6), 5, true},
		{"emoji at ucs2 boundary", a("x", 66) + "😀" + a("y", 10), 2, true},
		{"emoji pairs throughout", a("😀a", 60), 3, true},
		{"cedilla lower case needs ucs2", "ç", 1, true},
		{"ESC control character is not the GSM7 escape", "a\x1bb", 1, true},
		{"swahili with emoji", "Asante sana 🙏 mteja wetu", 1, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, pdus := roundTrip(t, "+254712345678", tc.text, 42)
			if got != tc.text {
				t.Errorf("round trip = %q, want %q", got, tc.text)
			}
			if len(pdus) != tc.parts {
				t.Errorf("%d parts, want %d", len(pdus), tc.parts)
			}
			if _, wide := Split(tc.text); wide != tc.ucs2 {
				t.Errorf("ucs2 = %v, want %v", wide, tc.ucs2)
			}
		})
	}
}

func TestEncodeSubmitConcatRefIsLowByte(t *testing.T) {
	for _, ref := range []int{1, 255, 256 + 7} {
		_, pdus := roundTrip(t, "0712345678", strings.Repeat("z", 200), ref)
		if _, _, got, _ := pdus[0].ConcatInfo(); got != ref&0xFF {
			t.Errorf("ref %d encoded as %d", ref, got)
		}
	}
}

func TestEncodeSubmitDestination(t *testing.T) {
	good := map[string]byte{"+254712345678": 0x91, "0712345678": 0x81, " +27820001111 ": 0x91, "201": 0x81, strings.Repeat("9", 20): 0x81}
	for to, toa := range good {
		parts, err := EncodeSubmit(to, "hi", 1)
		if err != nil {
			t.Errorf("EncodeSubmit(%q): %v", to, err)
			continue
		}
		pdu := decodeParts(t, parts)[0]
		if pdu.DA.TOA != toa || pdu.DA.Number() != strings.TrimSpace(to) {
			t.Errorf("%q encoded as TOA %#02x number %q", to, pdu.DA.TOA, pdu.DA.Number())
		}
	}
	for _, to := range []string{"", " ", "+", "++254712345678", "MPESA", "+254 712 345 678", "0712-345678", "07123456#", strings.Repeat("9", 21)} {
		if _, err := EncodeSubmit(to, "hi", 1); !errors.Is(err, ErrBadNumber) {
			t.Errorf("EncodeSubmit(%q) error %v, want ErrBadNumber", to, err)
		}
	}
}

func TestEncodeSubmitRejects(t *testing.T) {
	if _, err := EncodeSubmit("+254712345678", "", 1); !errors.Is(err, ErrEmptyText) {
		t.Errorf("empty text: %v", err)
	}
	if parts, err := EncodeSubmit("+254712345678", strings.Repeat("a", MaxParts*PartGSM7Septets), 1); err != nil || len(parts) != MaxParts {
		t.Errorf("%d-part message: %d parts, %v", MaxParts, len(parts), err)
	}
	if _, err := EncodeSubmit("+254712345678", strings.Repeat("a", MaxParts*PartGSM7Septets+1), 1); !errors.Is(err, ErrTooLong) {
		t.Errorf("%d-part message: %v, want ErrTooLong", MaxParts+1, err)
	}
	if _, err := EncodeSubmitWith("+254712345678", "hi", 1, SubmitOptions{Validity: -1}); err == nil {
		t.Errorf("negative validity accepted")
	}
}

// Known-good SUBMITs from docs/modem.md §11 (no validity period field).
func TestEncodeSubmitKnownVectors(t *testing.T) {
	tests := []struct {
		to, text string
		opts     SubmitOptions
		want     string
		wantLen  int
		mr       byte // the vector's MR; ours is always 0
	}{
		{"+27820001111", "Hello World!", SubmitOptions{}, "0001000B917228001011F100000CC8329BFD065DDF72363904", 24, 0},
		{"+123456789", "test message", SubmitOptions{}, "000101099121436587f900000cf4f29c0e6a97e7f3f0b90c", 23, 1},
		{"+62895357614989", "Transaksi sukses", SubmitOptions{StatusReport: true}, "0021000E91269835751694980000105479D83D0FAFE769D0BCBE9E97E7", 28, 0},
	}
	for _, tc := range tests {
		parts, err := EncodeSubmitWith(tc.to, tc.text, 1, tc.opts)
		if err != nil || len(parts) != 1 {
			t.Fatalf("%q: %v, %d parts", tc.text, err, len(parts))
		}
		got, _ := hex.DecodeString(parts[0].Hex)
		want, _ := hex.DecodeString(tc.want)
		want[2] = 0 // MR sits after the SMSC octet and the first octet
		if string(got) != string(want) || parts[0].TPDULen != tc.wantLen {
			t.Errorf("%q: got %s len %d, want %X len %d", tc.text, parts[0].Hex, parts[0].TPDULen, want, tc.wantLen)
		}
	}
	// Default options: first octet 0x11 and VP 0xA7 (24 hours) between DCS and UDL.
	parts, err := EncodeSubmit("+27820001111", "Hello World!", 1)
	if err != nil {
		t.Fatal(err)
	}
	if want := "0011000B917228001011F10000A70CC8329BFD065DDF72363904"; parts[0].Hex != want || parts[0].TPDULen != 25 {
		t.Errorf("default options: %s len %d, want %s len 25", parts[0].Hex, parts[0].TPDULen, want)
	}
}

// cost measures a chunk independently of Split: septets via the sms encoder, or UTF-16 units.
func cost(s string, wide bool) int {
	if wide {
		return len(utf16.Encode([]rune(s)))
	}
	septets, err := gsm7.Encode([]byte(s))
	if err != nil {
		return 1 << 30
	}
	return len(septets)
}

func TestSplitProperties(t *testing.T) {
	pools := [][]rune{
		[]rune("abcXYZ 0189.,!?@£$_\n"),
		[]rune("abc{}[]~\\|^€"),
		[]rune("abcЖжЯя"),
		[]rune("ab😀🙏👍🏽"),
		[]rune("€😀aЖ{"),
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 3000; i++ {
		pool := pools[i%len(pools)]
		runes := make([]rune, rng.IntN(400))
		for j := range runes {
			runes[j] = pool[rng.IntN(len(pool))]
		}
		text := string(runes)
		chunks, wide := Split(text)
		if strings.Join(chunks, "") != text {
			t.Fatalf("chunks of %q do not join back", text)
		}
		if text == "" {
			if chunks != nil {
				t.Fatalf("empty text gave chunks %q", chunks)
			}
			continue
		}
		if _, err := gsm7.Encode([]byte(text)); wide != (err != nil) {
			t.Fatalf("%q: ucs2=%v but GSM7 encoding error is %v", text, wide, err)
		}
		single, part := SingleGSM7Septets, PartGSM7Septets
		if wide {
			single, part = SingleUCS2Units, PartUCS2Units
		}
		if cost(text, wide) <= single {
			if len(chunks) != 1 {
				t.Fatalf("%q fits one SMS but was split in %d", text, len(chunks))
			}
			continue
		}
		for k, c := range chunks {
			if c == "" || !utf8.ValidString(c) || cost(c, wide) > part {
				t.Fatalf("chunk %d of %q: %q costs %d, limit %d", k, text, c, cost(c, wide), part)
			}
			// Greedy: a chunk ends only when its successor's first character would not fit.
			if k+1 < len(chunks) {
				next, _ := utf8.DecodeRuneInString(chunks[k+1])
				if cost(c+string(next), wide) <= part {
					t.Fatalf("chunk %d of %q ends early", k, text)
				}
			}
		}
	}
}

func BenchmarkEncodeSubmit(b *testing.B) {
	texts := map[string]string{
		"gsm7-1part": "Your loan balance is KSh 12,500.00. Next instalment KSh 2,500.00 due 15/04/2024.",
		"gsm7-3part": strings.Repeat("Habari mteja, salio lako ni KSh 12,500. ", 10),
		"ucs2-2part": strings.Repeat("Привет! Ваш баланс 100 руб. ", 4),
	}
	for name, text := range texts {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if _, err := EncodeSubmit("+254712345678", text, 9); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func TestSplitBoundaries(t *testing.T) {
	a := strings.Repeat
	tests := []struct {
		name, text string
		first      string
	}{
		{"escape pair moves to next part", a("a", 152) + "€" + a("t", 10), a("a", 152)},
		{"escape pair ends a full part", a("a", 151) + "€" + a("t", 10), a("a", 151) + "€"},
		{"surrogate pair moves to next part", a("x", 66) + "😀" + a("y", 10), a("x", 66)},
		{"surrogate pair ends a full part", a("x", 65) + "😀" + a("y", 10), a("x", 65) + "😀"},
	}
	for _, tc := range tests {
		chunks, _ := Split(tc.text)
		if len(chunks) != 2 || chunks[0] != tc.first {
			t.Errorf("%s: first chunk %q of %d, want %q", tc.name, chunks[0], len(chunks), tc.first)
		}
	}
}
