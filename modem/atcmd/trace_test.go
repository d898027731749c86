package atcmd

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mifos-edge/mifos-edge/pdu"
)

// traceLog collects the log of a port from the reader and the callers.
type traceLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *traceLog) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(b)
}

func (l *traceLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func (l *traceLog) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// inOrder fails unless each of want appears in the log, one after the other.
func (l *traceLog) inOrder(t *testing.T, want ...string) {
	t.Helper()
	log := l.String()
	at := 0
	for _, w := range want {
		i := strings.Index(log[at:], w)
		if i < 0 {
			t.Fatalf("the trace lacks %q after offset %d:\n%s", w, at, log)
		}
		at += i + len(w)
	}
}

func TestTraceShowsEveryLineWithItsDirection(t *testing.T) {
	var log traceLog
	p, fm := newFake(t, WithLogger(log.logger()))
	ch := runAsync(func() ([]string, error) {
		return p.Command(context.Background(), "AT+CSQ", hangGuard, "+CSQ:")
	})
	fm.expect("AT+CSQ")
	fm.send("\r\n^RSSI:18\r\nGARBAGE 12\r\n+CSQ: 21,99\r\n\r\nOK\r\n")
	if r := await(t, ch); r.err != nil {
		t.Fatal(r.err)
	}
	nextURC(t, p)
	nextURC(t, p)
	fm.send("\r\n+CMTI: \"SM\",3\r\n")
	nextURC(t, p)
	// Nothing waits for the log: each line is traced before it is handed out.
	log.inOrder(t,
		`level=DEBUG msg="AT sent" line=AT+CSQ`,
		`msg="AT URC" line=^RSSI:18`,
		`msg="AT unknown" line="GARBAGE 12"`,
		`msg="AT received" line="+CSQ: 21,99"`,
		`msg="AT received" line=OK`,
		`msg="AT URC" line="+CMTI: \"SM\",3"`,
	)
	// Each entry carries its time.
	for _, l := range strings.Split(strings.TrimSpace(log.String()), "\n") {
		if !strings.HasPrefix(l, "time=") {
			t.Fatalf("trace line without a time: %q", l)
		}
	}
}

func TestTraceMarksALateAnswerStale(t *testing.T) {
	var log traceLog
	p, fm := newFake(t, WithLogger(log.logger()))
	ch := runAsync(func() ([]string, error) {
		return p.Command(context.Background(), "AT+CPMS?", 50*time.Millisecond, "+CPMS:")
	})
	fm.expect("AT+CPMS?")
	await(t, ch)
	ch = runAsync(func() ([]string, error) {
		return p.Command(context.Background(), "AT+CSQ", hangGuard, "+CSQ:")
	})
	fm.expect("AT") // the resync
	fm.send("\r\nOK\r\n\r\nOK\r\n")
	fm.expect("AT+CSQ")
	fm.send("\r\n+CSQ: 20,99\r\n\r\nOK\r\n")
	if r := await(t, ch); r.err != nil {
		t.Fatal(r.err)
	}
	log.inOrder(t,
		`msg="AT sent" line=AT+CPMS?`,
		`msg="AT sent" line=AT`,
		`msg="AT received" line=OK`,
		`msg="AT stale" line=OK`,
		`msg="AT sent" line=AT+CSQ`,
		`msg="AT received" line="+CSQ: 20,99"`,
	)
}

func TestTraceNeverShowsTheSIMPIN(t *testing.T) {
	var log traceLog
	p, fm := newFake(t, WithLogger(log.logger()), WithSMSTextInTrace(true))
	ch := runAsync(func() ([]string, error) {
		return p.Command(context.Background(), `AT+CPIN="4711"`, hangGuard)
	})
	fm.expect(`AT+CPIN="4711"`)
	fm.send("AT+CPIN=\"4711\"\r\r\nOK\r\n") // echo on: the modem repeats the command
	if r := await(t, ch); r.err != nil {
		t.Fatal(r.err)
	}
	if strings.Contains(log.String(), "4711") {
		t.Fatalf("the PIN is in the trace:\n%s", log.String())
	}
	log.inOrder(t, `msg="AT sent" line="AT+CPIN=<hidden>"`, `msg="AT received" line="AT+CPIN=<hidden>"`, `msg="AT received" line=OK`)
}

const officerText = "PAY 482613 500 LOAN 12"

// gsm7Pack packs text of the characters GSM 7-bit shares with ASCII
// (capitals, digits, space) into septets.
func gsm7Pack(text string) []byte {
	var out []byte
	var acc, bits uint
	for _, c := range []byte(text) {
		acc |= uint(c) << bits
		bits += 7
		for bits >= 8 {
			out = append(out, byte(acc))
			acc >>= 8
			bits -= 8
		}
	}
	if bits > 0 {
		out = append(out, byte(acc))
	}
	return out
}

// deliverPDU builds an SMS-DELIVER from the officer +254722000012 through
// the service centre +254722500000, with text in 7-bit (dcs 0) or 8-bit
// (dcs 4) coding.
func deliverPDU(t *testing.T, text string, dcs byte) (hexPDU, userData string) {
	t.Helper()
	ud, udl := []byte(text), len(text)
	if dcs == 0 {
		ud = gsm7Pack(text)
	}
	header := fmt.Sprintf("0791527422050000"+"04"+"0C91527422000021"+"00"+"%02X"+"62216021000000"+"%02X", dcs, udl)
	userData = strings.ToUpper(hex.EncodeToString(ud))
	hexPDU = header + userData
	seg, err := pdu.DecodeDeliver(hexPDU, len(hexPDU)/2-8)
	want := text
	if dcs == 4 {
		want = strings.ToUpper(hex.EncodeToString([]byte(text))) // how the decoder shows 8-bit data
	}
	if err != nil || seg.Text != want || seg.Sender != "+254722000012" {
		t.Fatalf("test PDU decodes to %+v, %v", seg, err)
	}
	return hexPDU, userData
}

// pinIn8Bit is the PIN as the hex of 8-bit user data.
var pinIn8Bit = strings.ToUpper(hex.EncodeToString([]byte("482613")))

var hexRun = regexp.MustCompile(`[0-9A-Fa-f]{16,}`)

// leaksText reports whether the log shows text: the user data itself, or
// any hex run that decodes as a PDU carrying the PIN.
func leaksText(log, userData string) bool {
	if strings.Contains(log, userData) || strings.Contains(log, "482613") || strings.Contains(log, pinIn8Bit) {
		return true
	}
	for _, run := range hexRun.FindAllString(log, -1) {
		if seg, err := pdu.DecodeDeliver(run, -1); err == nil && (strings.Contains(seg.Text, "482613") || strings.Contains(seg.Text, pinIn8Bit)) {
			return true
		}
	}
	return false
}

// An officer's PAY carries a PIN: the trace shows the PDU up to its text
// unless the technician asked for the text.
func TestTraceHidesTheTextOfSMS(t *testing.T) {
	for _, dcs := range []byte{0, 4} {
		pduHex, userData := deliverPDU(t, officerText, dcs)
		header := strings.TrimSuffix(pduHex, userData)
		for _, showText := range []bool{false, true} {
			t.Run(fmt.Sprintf("dcs=%d,text=%v", dcs, showText), func(t *testing.T) {
				var log traceLog
				p, fm := newFake(t, WithLogger(log.logger()), WithSMSTextInTrace(showText))
				// Read from storage...
				ch := runAsync(func() ([]string, error) {
					return p.Command(context.Background(), "AT+CMGR=3", hangGuard, "+CMGR:")
				})
				fm.expect("AT+CMGR=3")
				fm.send(fmt.Sprintf("\r\n+CMGR: 0,,%d\r\n%s\r\n\r\nOK\r\n", len(pduHex)/2-8, pduHex))
				if r := await(t, ch); r.err != nil || len(r.lines) != 2 || r.lines[1] != pduHex {
					t.Fatalf("read got %q, %v", r.lines, r.err)
				}
				// ...and pushed by the modem.
				fm.send(fmt.Sprintf("\r\n+CMT: ,%d\r\n%s\r\n", len(pduHex)/2-8, pduHex))
				if u := nextURC(t, p); len(u.Trailing) != 1 || u.Trailing[0] != pduHex {
					t.Fatalf("pushed SMS = %+v", u)
				}
				got := log.String()
				if showText {
					if strings.Count(got, pduHex) != 2 {
						t.Fatalf("--trace-sms-text does not show both PDUs whole:\n%s", got)
					}
					return
				}
				if leaksText(got, userData) {
					t.Fatalf("the trace shows the text of the SMS:\n%s", got)
				}
				want := header + " [SMS-DELIVER, from +254722000012; "
				if strings.Count(got, want) != 2 {
					t.Fatalf("the trace does not show both PDUs' headers (%q):\n%s", want, got)
				}
				log.inOrder(t, `msg="AT received" line="+CMGR: 0,,`, `msg="AT received" line="`+header, `msg="AT received" line=OK`,
					`msg="AT URC" line="+CMT: ,`, `msg="AT URC" line="`+header)
			})
		}
	}
}

// What the daemon sends goes through the trace the same way.
func TestTraceHidesTheTextOfASentSMS(t *testing.T) {
	const submit = "0011000C915274220000210000A716" // SUBMIT to +254722000012, 7-bit, VP relative, 22 septets
	ud := strings.ToUpper(hex.EncodeToString(gsm7Pack("YOUR PIN IS 482613 NOW")))
	var log traceLog
	p, fm := newFake(t, WithLogger(log.logger()))
	ch := runAsync(func() ([]string, error) {
		return p.SMS(context.Background(), "AT+CMGS=34", submit+ud, hangGuard, hangGuard)
	})
	fm.expect("AT+CMGS=34")
	fm.send("\r\n> ")
	fm.expect(submit + ud + "<CTRL-Z>")
	fm.send("\r\n+CMGS: 7\r\n\r\nOK\r\n")
	if r := await(t, ch); r.err != nil {
		t.Fatal(r.err)
	}
	if leaksText(log.String(), ud) {
		t.Fatalf("the trace shows the text of the SMS sent:\n%s", log.String())
	}
	log.inOrder(t, `msg="AT sent" line="AT+CMGS=34"`, `msg="AT received" line=>`,
		`msg="AT sent" line="`+submit+` [SMS-SUBMIT, to +254722000012; 20 octets of text not shown]<Ctrl-Z>"`,
		`msg="AT received" line="+CMGS: 7"`)
}

func TestRedact(t *testing.T) {
	cases := []struct{ in, want string }{
		{`AT+CPIN="1234"`, "AT+CPIN=<hidden>"},
		{`at+cpin=1234,5678`, "at+cpin=<hidden>"},
		{`AT+CLCK="SC",0,"1234"`, "AT+CLCK=<hidden>"},
		{`AT+CPWD="SC","1234","5678"`, "AT+CPWD=<hidden>"},
		{"+CPIN: READY", "+CPIN: READY"},
		{"867530012345678", "867530012345678"},           // IMEI
		{"89254021234567890123", "89254021234567890123"}, // ICCID
		{"+CMGR: 0,,24", "+CMGR: 0,,24"},                 // a header, no text
		{"0791527422050000440C91527422000021000062216021000000" + "0C0500030A0201" + "A0F3B89C0E", // UDH: part 1 of 2
			"0791527422050000440C91527422000021000062216021000000" + "0C0500030A0201 [SMS-DELIVER, from +254722000012; 5 octets of text not shown]"},
		{"00040ED0C8329BFD0E0101000062216021000000" + "05" + "C8329BFD06", // alphanumeric sender
			"00040ED0C8329BFD0E0101000062216021000000" + "05 [SMS-DELIVER, 5 octets of text not shown]"},
		{"0791527422050000040C9152742200002100086221602100000004" + "00410042", // UCS-2
			"0791527422050000040C9152742200002100086221602100000004 [SMS-DELIVER, from +254722000012; 4 octets of text not shown]"},
		{"0006D60C91527422000021622160210000006221602100000000", // status report: nothing to hide
			"0006D60C91527422000021622160210000006221602100000000 [SMS-STATUS-REPORT, for +254722000012; no text]"},
		{"0791527422050000040C91527422000021000062216021000000" + "0C" + "C8329BFD06", // lengths do not add up
			"[hex line of 32 octets not shown: it may be an SMS PDU, --trace-sms-text shows it]"},
	}
	for _, c := range cases {
		if got := Redact(c.in); got != c.want {
			t.Errorf("Redact(%q)\n got %q\nwant %q", c.in, got, c.want)
		}
	}
}
