package atcmd

import (
	"context"
	"encoding/hex"
	"fmt"
	"log/slog"
	"strings"
)

// The trace: with the logger at DEBUG, every line written to the modem and
// every line read from it is logged once, marked by one of these messages,
// before anyone acts on it (so the trace is in the order things happened).
// docs/modem.md §12 The AT trace.
const (
	traceSent     = "AT sent"     // written by the host
	traceReceived = "AT received" // an echo, an answer line or a final of the running command
	traceURC      = "AT URC"      // an unsolicited indication, or a line that belongs to one
	traceStale    = "AT stale"    // a late answer to a command that timed out
	traceUnknown  = "AT unknown"  // nobody asked for it and the URC table does not know it
)

// WithSMSTextInTrace makes the trace show SMS PDUs whole, message text
// included, officers' PINs in PAY messages too. By default only the part
// before the text shows (see Redact).
func WithSMSTextInTrace(show bool) Option { return func(p *Port) { p.traceText = show } }

func (p *Port) tracing() bool { return p.log.Enabled(context.Background(), slog.LevelDebug) }

// traceWrite logs what write is about to send.
func (p *Port) traceWrite(s string) {
	if !p.tracing() {
		return
	}
	var line string
	switch {
	case s == esc:
		line = "<ESC>"
	case strings.HasSuffix(s, ctrlZ):
		line = p.redact(strings.TrimSuffix(s, ctrlZ)) + "<Ctrl-Z>"
	default:
		line = p.redact(strings.TrimSuffix(s, "\r"))
	}
	p.log.Debug(traceSent, "line", line)
}

// traceRead logs a line just routed by handleLine, marked by what it turned
// out to be. Reader goroutine only: it looks at what handleLine queued.
func (p *Port) traceRead(line string) {
	if !p.tracing() {
		return
	}
	mark := traceReceived
	for _, u := range p.queued {
		if u.Line == line || contains(u.Trailing, line) {
			mark = markFor(u.Kind)
		}
	}
	if u := p.trailURC; u != nil && (u.Line == line || contains(u.Trailing, line)) {
		mark = traceURC // the header of a pushed SMS, its PDU line still to come
	}
	p.log.Debug(mark, "line", p.redact(line))
}

func markFor(k URCKind) string {
	switch k {
	case Stale:
		return traceStale
	case Unknown:
		return traceUnknown
	}
	return traceURC
}

func contains(lines []string, line string) bool {
	for _, l := range lines {
		if l == line {
			return true
		}
	}
	return false
}

func (p *Port) redact(line string) string {
	if p.traceText {
		return hideSecretArgs(line)
	}
	return Redact(line)
}

// Redact hides from one line of the modem dialogue what must not reach a
// log: the argument of a PIN or password command (always), and the text of
// an SMS PDU, of which only the part before the text is kept, with the
// sender or recipient and the length of the text.
func Redact(line string) string {
	line = hideSecretArgs(line)
	if looksLikePDU(line) {
		return summarisePDU(line)
	}
	return line
}

// secretCommands carry a PIN, PUK or password in their arguments.
var secretCommands = []string{"+CPIN=", "+CPIN2=", "^CPIN=", "+CPWD=", "+CLCK="}

// hideSecretArgs replaces the arguments of a PIN or password command (as
// sent, or as echoed back by the modem) with <hidden>.
func hideSecretArgs(line string) string {
	upper := strings.ToUpper(line)
	for _, c := range secretCommands {
		if i := strings.Index(upper, c); i >= 0 {
			return line[:i+len(c)] + "<hidden>"
		}
	}
	return line
}

// looksLikePDU reports whether line is a bare hex string that may be an SMS
// PDU (the shortest, an empty DELIVER, has 14 octets; 12 leaves a margin).
// Such lines are the PDUs of AT+CMGL, AT+CMGR, +CMT and AT+CMGS; an identity
// answer (IMEI, IMSI, ICCID) is shorter.
func looksLikePDU(line string) bool {
	if len(line) < 24 || len(line)%2 != 0 {
		return false
	}
	for i := 0; i < len(line); i++ {
		c := line[i]
		if !('0' <= c && c <= '9' || 'A' <= c && c <= 'F' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// summarisePDU shows an SMS PDU up to its text: the SMSC field and TPDU
// header as the modem printed them (and a user-data header, which holds the
// parts of a long message), then, in brackets, the sender or recipient and
// how long the text is. A PDU whose lengths do not add up is not shown at
// all, so a misread can never show text as header.
func summarisePDU(line string) string {
	b, err := hex.DecodeString(line)
	if err != nil {
		return fmt.Sprintf("[hex line of %d characters not shown]", len(line))
	}
	l, ok := smsLayout(b)
	if !ok {
		return fmt.Sprintf("[hex line of %d octets not shown: it may be an SMS PDU, --trace-sms-text shows it]", len(b))
	}
	var who string
	switch {
	case l.party == "":
	case l.kind == "SMS-DELIVER":
		who = "from " + l.party + "; "
	case l.kind == "SMS-SUBMIT":
		who = "to " + l.party + "; "
	default:
		who = "for " + l.party + "; "
	}
	if l.textAt == len(b) {
		return fmt.Sprintf("%s [%s, %sno text]", line, l.kind, who)
	}
	return fmt.Sprintf("%s [%s, %s%d octets of text not shown]", line[:2*l.textAt], l.kind, who, len(b)-l.textAt)
}

type pduLayout struct {
	kind   string // SMS-DELIVER, SMS-SUBMIT or SMS-STATUS-REPORT
	party  string // the sender (DELIVER), the recipient (SUBMIT, STATUS-REPORT); "" if alphanumeric
	textAt int    // offset of the first octet of message text; len(b) when there is none
}

// octets reads a PDU front to back; a read past the end sets short.
type octets struct {
	b     []byte
	pos   int
	short bool
}

func (o *octets) next() int {
	if o.pos >= len(o.b) {
		o.short = true
		return 0
	}
	o.pos++
	return int(o.b[o.pos-1])
}

func (o *octets) skip(n int) {
	o.pos += n
	if o.pos > len(o.b) {
		o.short = true
	}
}

// address reads an address field (3GPP TS 23.040 §9.1.2.5): digit count,
// type, then semi-octets. An alphanumeric address reads as "".
func (o *octets) address() string {
	digits, toa := o.next(), o.next()
	start := o.pos
	o.skip((digits + 1) / 2)
	if o.short || toa&0x70 == 0x50 {
		return ""
	}
	var s strings.Builder
	if toa&0x70 == 0x10 {
		s.WriteByte('+')
	}
	const semiOctets = "0123456789*#abc"
	for i := 0; i < digits; i++ {
		v := o.b[start+i/2] >> (4 * (i % 2)) & 0x0F
		if int(v) >= len(semiOctets) {
			break
		}
		s.WriteByte(semiOctets[v])
	}
	return s.String()
}

// smsLayout walks the SMSC field and the TPDU header (3GPP TS 23.040 §9.2.2)
// to where the text starts, and checks that the user-data length accounts
// for exactly the octets left.
func smsLayout(b []byte) (pduLayout, bool) {
	o := &octets{b: b}
	o.skip(o.next()) // SMSC field
	fo := o.next()
	var l pduLayout
	var dcs int
	switch fo & 0x03 {
	case 0:
		l.kind = "SMS-DELIVER"
		l.party = o.address()
		o.skip(1) // protocol identifier
		dcs = o.next()
		o.skip(7) // service-centre time stamp
	case 1:
		l.kind = "SMS-SUBMIT"
		o.skip(1) // message reference
		l.party = o.address()
		o.skip(1)
		dcs = o.next()
		switch fo >> 3 & 0x03 {
		case 2:
			o.skip(1) // relative validity period
		case 1, 3:
			o.skip(7) // enhanced or absolute validity period
		}
	case 2:
		l.kind = "SMS-STATUS-REPORT"
		o.skip(1) // message reference
		l.party = o.address()
		o.skip(7 + 7 + 1) // time stamp, discharge time, status
		// Optional fields (and with them text) follow only rarely; such a
		// report is not shown rather than walked.
		l.textAt = o.pos
		return l, !o.short && o.pos == len(b)
	default:
		return l, false
	}
	udl := o.next()
	if o.short {
		return l, false
	}
	udOctets := udl
	if septets(dcs) {
		udOctets = (udl*7 + 7) / 8
	}
	if o.pos+udOctets != len(b) {
		return l, false
	}
	l.textAt = o.pos
	if fo&0x40 != 0 && udOctets > 0 {
		// The user-data header (concatenation, language tables) is not text.
		udh := 1 + int(b[o.pos])
		if udh > udOctets {
			return l, false
		}
		l.textAt += udh
	}
	return l, true
}

// septets reports whether a data coding scheme packs the text in 7-bit
// septets (3GPP TS 23.038 §4); reserved codings count as GSM 7-bit, as the
// standard says to treat them.
func septets(dcs int) bool {
	switch dcs >> 4 {
	case 0x0, 0x1, 0x2, 0x3, 0x4, 0x5, 0x6, 0x7:
		return dcs&0x20 == 0 && dcs&0x0C != 0x04 && dcs&0x0C != 0x08
	case 0xE:
		return false
	case 0xF:
		return dcs&0x04 == 0
	}
	return true
}
