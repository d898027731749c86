package pdu

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"

	"github.com/warthog618/sms/encoding/tpdu"
)

func decodeText(alpha tpdu.Alphabet, udh tpdu.UserDataHeader, ud []byte) string {
	switch alpha {
	case tpdu.AlphaUCS2:
		return decodeUTF16(ud)
	case tpdu.Alpha8Bit:
		return strings.ToUpper(hex.EncodeToString(ud))
	default:
		// Non-strict GSM7 decoding never fails; unknown septets become spaces.
		b, _ := tpdu.DecodeUserData(ud, udh, tpdu.Alpha7Bit, tpdu.WithAllCharsets)
		return string(b)
	}
}

// decodeUTF16 turns unpaired surrogates (and an odd trailing octet) into
// U+FFFD without swallowing the code unit that follows them.
func decodeUTF16(b []byte) string {
	units := make([]uint16, len(b)/2)
	for i := range units {
		units[i] = binary.BigEndian.Uint16(b[2*i:])
	}
	s := string(utf16.Decode(units))
	if len(b)%2 == 1 {
		s += "\uFFFD"
	}
	return s
}

// JoinText returns the text of a concatenated message. Parts are put in
// sequence order first when all carry a concatenation element. Runs of UCS2
// parts are decoded from their joined user data, so a surrogate pair that a
// sender split across two parts becomes one character again; other parts
// contribute their Text.
func JoinText(segs []Segment) string {
	ordered := slices.Clone(segs)
	if allConcat(ordered) {
		slices.SortStableFunc(ordered, func(a, b Segment) int { return a.Concat.Seq - b.Concat.Seq })
	}
	var out strings.Builder
	var ucs2Run []byte
	for _, s := range ordered {
		if s.Encoding == "UCS2" {
			ucs2Run = append(ucs2Run, s.UD...)
			continue
		}
		if ucs2Run != nil {
			out.WriteString(decodeUTF16(ucs2Run))
			ucs2Run = nil
		}
		out.WriteString(s.Text)
	}
	if ucs2Run != nil {
		out.WriteString(decodeUTF16(ucs2Run))
	}
	return out.String()
}

func allConcat(segs []Segment) bool {
	for _, s := range segs {
		if s.Concat == nil {
			return false
		}
	}
	return len(segs) > 0
}

// Fingerprint identifies one received part: the same SMS delivered twice (for
// example via +CMT and again from storage) gives the same value, while another
// part, sender, timestamp or text gives a different one.
//
// It is an HMAC under key (the box key's fingerprint key): fingerprints
// outlive the text of handled messages in the store, and an unkeyed hash of
// (sender, time, text) would give back a redacted PIN by trying the 10^4 to
// 10^8 candidates. A nil key is for tests only.
func Fingerprint(s Segment, key []byte) string {
	h := sha256.New()
	if key != nil {
		h = hmac.New(sha256.New, key)
	}
	// Length-prefixing keeps field boundaries unambiguous.
	field := func(b []byte) {
		var n [4]byte
		binary.BigEndian.PutUint32(n[:], uint32(len(b)))
		h.Write(n[:])
		h.Write(b)
	}
	_, offset := s.SCTS.Zone()
	field([]byte("pdu-fingerprint-v2"))
	field([]byte(s.SenderType))
	field([]byte(s.Sender))
	field([]byte(strconv.FormatInt(s.SCTS.Unix(), 10)))
	field([]byte(strconv.Itoa(offset)))
	if c := s.Concat; c != nil {
		field(fmt.Appendf(nil, "%t/%d/%d/%d", c.Wide, c.Ref, c.Total, c.Seq))
	} else {
		field([]byte("single"))
	}
	field(s.UD)
	return hex.EncodeToString(h.Sum(nil))
}

// IsShortCodeOrAlphanumeric reports whether sender is not an ordinary phone
// number: it contains anything besides digits and a leading '+' (an
// alphanumeric sender such as "MPESA"), or it has at most 6 digits (a short
// code such as "201" or "999167"). Such senders cannot usefully be replied to.
func IsShortCodeOrAlphanumeric(sender string) bool {
	s := strings.TrimSpace(sender)
	s = strings.TrimPrefix(s, "+")
	for _, r := range s {
		if r < '0' || r > '9' {
			return true
		}
	}
	return len(s) <= 6
}
