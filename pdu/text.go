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

	"github.com/warthog618/sms/encoding/gsm7"
	"github.com/warthog618/sms/encoding/gsm7/charset"
	"github.com/warthog618/sms/encoding/tpdu"
)

func decodeText(alpha tpdu.Alphabet, ud []byte, locking, single int) string {
	switch alpha {
	case tpdu.AlphaUCS2:
		return decodeUTF16(ud)
	case tpdu.Alpha8Bit:
		return strings.ToUpper(hex.EncodeToString(ud))
	default:
		var opts []gsm7.DecoderOption
		if locking != 0 {
			opts = append(opts, gsm7.WithCharset(locking))
		}
		if single != 0 {
			opts = append(opts, gsm7.WithExtCharset(single))
		}
		// Non-strict GSM7 decoding never fails; unknown septets become
		// spaces, and an escaped septet the single shift table lacks reads
		// from the locking table, as 23.038 §6.2.1.2.4 wants.
		b, _ := gsm7.Decode(ud, opts...)
		return string(b)
	}
}

// The national language information elements of 3GPP TS 23.040
// §9.2.3.24.15-16: 0x24 names the single shift table, 0x25 the locking
// shift table. sms v0.3.0 looks for 24 and 25 decimal (0x18 and 0x19, the
// WVG object elements), so it never applies the tables; these are read here.
const (
	ieiSingleShift  = 0x24
	ieiLockingShift = 0x25
)

// languageTables returns the national language identifiers (3GPP TS 23.038
// §6.2.1.2.4) of the locking and single shift tables the header names; 0
// is the default alphabet and extension table, and so is any identifier
// without a table (Spanish has no locking table). The last element of a
// kind counts.
func languageTables(udh tpdu.UserDataHeader) (locking, single int) {
	pick := func(id byte) int {
		ie, ok := udh.IE(id)
		if !ok || len(ie.Data) != 1 {
			return 0
		}
		nli := int(ie.Data[0])
		if nli < charset.Start || nli >= charset.End {
			return 0
		}
		return nli
	}
	return pick(ieiLockingShift), pick(ieiSingleShift)
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
	// The same septets read through other language tables are another
	// text; without tables the fingerprint stays what it always was.
	if s.LockingShift != 0 || s.SingleShift != 0 {
		field(fmt.Appendf(nil, "language %d/%d", s.LockingShift, s.SingleShift))
	}
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
