package modemsim

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/warthog618/sms"
	"github.com/warthog618/sms/encoding/pdumode"
	"github.com/warthog618/sms/encoding/tpdu"
)

// wait bounds every read so a broken simulator fails instead of hanging.
const wait = 3 * time.Second

// lineClient is a minimal host: it splits the modem's output into lines and
// the "> " prompt, as warthog's at layer does.
type lineClient struct {
	t       *testing.T
	f       *os.File
	mu      sync.Mutex
	buf     []byte
	err     error
	changed chan struct{}
}

func dial(t *testing.T, path string) *lineClient {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	c := &lineClient{t: t, f: f, changed: make(chan struct{}, 1)}
	go func() {
		b := make([]byte, 1024)
		for {
			n, err := f.Read(b)
			c.mu.Lock()
			c.buf = append(c.buf, b[:n]...)
			if err != nil {
				c.err = err
			}
			c.mu.Unlock()
			select {
			case c.changed <- struct{}{}:
			default:
			}
			if err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() { _ = f.Close() })
	return c
}

func (c *lineClient) send(s string) {
	c.t.Helper()
	if _, err := c.f.WriteString(s); err != nil {
		c.t.Fatalf("write %q: %v", s, err)
	}
}

// next returns the next non-empty line (or ">" for a prompt) within d.
func (c *lineClient) next(d time.Duration) (string, error) {
	deadline := time.After(d)
	for {
		c.mu.Lock()
		tok, ok := c.token()
		err := c.err
		c.mu.Unlock()
		if ok {
			return tok, nil
		}
		if err != nil {
			return "", err
		}
		select {
		case <-c.changed:
		case <-deadline:
			return "", errTimeout
		}
	}
}

var errTimeout = errors.New("timed out waiting for the modem")

func (c *lineClient) token() (string, bool) {
	for {
		c.buf = bytes.TrimLeft(c.buf, "\r\n")
		if len(c.buf) == 0 {
			return "", false
		}
		if c.buf[0] == '>' {
			c.buf = bytes.TrimLeft(c.buf[1:], " ")
			return ">", true
		}
		i := bytes.IndexByte(c.buf, '\n')
		if i < 0 {
			return "", false
		}
		line := strings.TrimRight(string(c.buf[:i]), "\r")
		c.buf = c.buf[i+1:]
		if line != "" {
			return line, true
		}
	}
}

func (c *lineClient) line() string {
	c.t.Helper()
	l, err := c.next(wait)
	if err != nil {
		c.t.Fatalf("reading from modem: %v", err)
	}
	return l
}

func isFinal(l string) bool {
	return l == "OK" || l == "ERROR" || l == "COMMAND NOT SUPPORT" ||
		strings.HasPrefix(l, "+CMS ERROR:") || strings.HasPrefix(l, "+CME ERROR:")
}

// cmd sends one command and returns its info lines (echo and noise
// excluded) and its final result.
func (c *lineClient) cmd(command string) (info []string, final string) {
	c.t.Helper()
	c.send(command + "\r")
	for {
		l := c.line()
		switch {
		case isFinal(l):
			return info, l
		case strings.HasPrefix(l, "AT"), strings.HasPrefix(l, "^"):
		default:
			info = append(info, l)
		}
	}
}

func (c *lineClient) ok(command string) []string {
	c.t.Helper()
	info, final := c.cmd(command)
	if final != "OK" {
		c.t.Fatalf("%s: got %q, want OK", command, final)
	}
	return info
}

func (c *lineClient) expectFinal(command, want string) {
	c.t.Helper()
	if _, final := c.cmd(command); final != want {
		c.t.Fatalf("%s: got %q, want %q", command, final, want)
	}
}

func start(t *testing.T, profile string, mod func(*Options)) *Sim {
	t.Helper()
	p, ok := Profiles()[profile]
	if !ok {
		t.Fatalf("no profile %q", profile)
	}
	opts := Options{Profile: p, Link: filepath.Join(t.TempDir(), "ttyGSM")}
	if mod != nil {
		mod(&opts)
	}
	s, err := Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// quiet opens the modem with echo off and numeric errors.
func quiet(t *testing.T, s *Sim) *lineClient {
	c := dial(t, s.Path())
	c.ok("ATE0")
	c.ok("AT+CMEE=1")
	return c
}

func decodePDULine(t *testing.T, line string, wantLen int) (*tpdu.TPDU, string) {
	t.Helper()
	p, err := pdumode.UnmarshalHexString(line)
	if err != nil {
		t.Fatalf("PDU line %q: %v", line, err)
	}
	if len(p.TPDU) != wantLen {
		t.Fatalf("header says %d TPDU octets, PDU has %d", wantLen, len(p.TPDU))
	}
	d, err := sms.Unmarshal(p.TPDU)
	if err != nil {
		t.Fatalf("unmarshal %q: %v", line, err)
	}
	text, err := sms.Decode([]*tpdu.TPDU{d})
	if err != nil {
		t.Fatalf("decode %q: %v", line, err)
	}
	return d, string(text)
}

func lastInt(t *testing.T, header string) int {
	t.Helper()
	var n int
	fields := strings.Split(header, ",")
	if _, err := fmt.Sscanf(strings.TrimSpace(fields[len(fields)-1]), "%d", &n); err != nil {
		t.Fatalf("header %q: %v", header, err)
	}
	return n
}

func TestEchoUntilATE0(t *testing.T) {
	s := start(t, "generic", nil)
	c := dial(t, s.Path())
	c.send("AT\r\n")
	if l := c.line(); l != "AT" {
		t.Fatalf("first line %q, want the echo AT", l)
	}
	if l := c.line(); l != "OK" {
		t.Fatalf("got %q, want OK", l)
	}
	c.send("ATE0\r")
	if l := c.line(); l != "ATE0" {
		t.Fatalf("ATE0 itself should be echoed, got %q", l)
	}
	if l := c.line(); l != "OK" {
		t.Fatalf("got %q, want OK", l)
	}
	c.send("AT\r")
	if l := c.line(); l != "OK" {
		t.Fatalf("echo still on after ATE0: got %q", l)
	}
	c.ok("ATZ")
	c.send("AT\r")
	if l := c.line(); l != "AT" {
		t.Fatalf("generic profile restores echo after ATZ, got %q", l)
	}
}

func TestErrorRendering(t *testing.T) {
	s := start(t, "generic", nil)
	c := dial(t, s.Path())
	c.ok("ATE0")
	c.expectFinal("AT+CMGR=99", "ERROR")
	c.expectFinal("AT+NOSUCH", "ERROR")
	c.ok("AT+CMEE=1")
	c.expectFinal("AT+CMGR=99", "+CMS ERROR: 321")
	c.expectFinal("AT+CFUN=7", "+CME ERROR: 4")
	c.ok("AT+CMEE=2")
	c.expectFinal("AT+CMGR=99", "+CMS ERROR: invalid memory index")
	c.expectFinal("AT+CFUN=7", "+CME ERROR: operation not supported")
}

func TestUnknownCommandPerProfile(t *testing.T) {
	cases := map[string]string{
		"generic":     "ERROR",
		"sim800":      "+CME ERROR: 100",
		"huawei-e173": "COMMAND NOT SUPPORT",
	}
	for profile, want := range cases {
		t.Run(profile, func(t *testing.T) {
			s := start(t, profile, nil)
			c := quiet(t, s)
			c.expectFinal("AT+QWERTY", want)
		})
	}
}

func TestPINLock(t *testing.T) {
	s := start(t, "generic", func(o *Options) { o.PIN = "1234" })
	c := quiet(t, s)
	if info := c.ok("AT+CPIN?"); len(info) != 1 || info[0] != "+CPIN: SIM PIN" {
		t.Fatalf("CPIN? = %q", info)
	}
	c.expectFinal("AT+CMGL=4", "+CMS ERROR: 311")
	c.expectFinal("AT+CIMI", "+CME ERROR: 11")
	c.expectFinal(`AT+CPIN="0000"`, "+CME ERROR: 16")
	c.ok(`AT+CPIN="1234"`)
	if info := c.ok("AT+CPIN?"); len(info) != 1 || info[0] != "+CPIN: READY" {
		t.Fatalf("CPIN? after unlock = %q", info)
	}
	c.ok("AT+CMGL=4")
}

func TestCMTIThenCMGRDecodes(t *testing.T) {
	s := start(t, "generic", nil)
	c := quiet(t, s)
	c.ok("AT+CNMI=2,1,0,0,0")
	if err := s.Deliver(Incoming{From: "+254711000111", Text: "Balance please"}); err != nil {
		t.Fatal(err)
	}
	if l := c.line(); l != `+CMTI: "SM",1` {
		t.Fatalf("got %q, want +CMTI for index 1", l)
	}
	info := c.ok("AT+CMGR=1")
	if len(info) != 2 || !strings.HasPrefix(info[0], "+CMGR: 0,,") {
		t.Fatalf("CMGR answer %q", info)
	}
	d, text := decodePDULine(t, info[1], lastInt(t, info[0]))
	if d.OA.Number() != "+254711000111" || text != "Balance please" {
		t.Fatalf("decoded %q from %q", text, d.OA.Number())
	}
	if info := c.ok("AT+CMGR=1"); !strings.HasPrefix(info[0], "+CMGR: 1,,") {
		t.Fatalf("second read should show REC READ, got %q", info[0])
	}
	// Empty slot on the generic profile is an error, not a bare OK.
	c.expectFinal("AT+CMGR=2", "+CMS ERROR: 321")
}

func TestCMTRoutesDirectlyButClass2IsStored(t *testing.T) {
	s := start(t, "sim800", nil)
	c := quiet(t, s)
	c.ok("AT+CNMI=2,2,0,0,0")
	if err := s.Deliver(Incoming{From: "MPESA", Text: "Confirmed.", AlnumLen10: true}); err != nil {
		t.Fatal(err)
	}
	header := c.line()
	if !strings.HasPrefix(header, `+CMT: "",`) {
		t.Fatalf("got %q, want the SIM800 +CMT header", header)
	}
	pduLine := c.line()
	d, text := decodePDULine(t, pduLine, lastInt(t, header))
	if d.OA.Number() != "MPESA" || text != "Confirmed." {
		t.Fatalf("decoded %q from %q", text, d.OA.Number())
	}
	// OA length byte follows the SMSC field; Safaricom writes 0x0A for MPESA.
	b, _ := hex.DecodeString(pduLine)
	if got := b[int(b[0])+2]; got != 0x0A {
		t.Fatalf("alphanumeric OA length %#x, want 0x0A", got)
	}
	if used, _ := s.Storage(); used != 0 {
		t.Fatalf("+CMT message was stored (%d used)", used)
	}
	if err := s.Deliver(Incoming{From: "+254700000002", Text: "class two", Class: 2}); err != nil {
		t.Fatal(err)
	}
	if l := c.line(); l != `+CMTI: "SM",1` {
		t.Fatalf("class 2 with mt=2 gave %q, want +CMTI", l)
	}
}

// A network tells the type of number apart from the digits: a bulk-SMS
// sender id may spell an officer's national number, and the PDU's TOA is
// what shows it.
func TestSenderTypeSetsTheTypeOfAddress(t *testing.T) {
	s := start(t, "sim800", nil)
	c := quiet(t, s)
	c.ok("AT+CNMI=2,2,0,0,0")
	cases := []struct {
		from, typ string
		toa       byte
		number    string
	}{
		{"0722000012", "alphanumeric", 0xD0, "0722000012"},
		{"0722000012", "national", 0xA1, "0722000012"},
		{"254722000012", "unknown", 0x81, "254722000012"},
		{"+254722000012", "", 0x91, "+254722000012"},
		{"MPESA", "", 0xD0, "MPESA"},
	}
	for _, tc := range cases {
		if err := s.Deliver(Incoming{From: tc.from, SenderType: tc.typ, Text: "hi"}); err != nil {
			t.Fatal(err)
		}
		header := c.line()
		pduLine := c.line()
		d, _ := decodePDULine(t, pduLine, lastInt(t, header))
		if d.OA.TOA != tc.toa || d.OA.Number() != tc.number {
			t.Errorf("%s/%q: OA %q TOA %#x, want %q %#x", tc.from, tc.typ, d.OA.Number(), d.OA.TOA, tc.number, tc.toa)
		}
	}
	for _, bad := range []Incoming{{From: "MPESA", SenderType: "national", Text: "x"}, {From: "0722", SenderType: "satellite", Text: "x"}} {
		if err := s.Deliver(bad); err == nil {
			t.Errorf("%+v was delivered", bad)
		}
	}
}

func TestPreloadThenCMGLListsAll(t *testing.T) {
	s := start(t, "huawei-e173", nil)
	texts := []string{"one", "two", "three"}
	for _, tx := range texts {
		if err := s.Preload(Incoming{From: "+254700000003", Text: tx}); err != nil {
			t.Fatal(err)
		}
	}
	c := quiet(t, s)
	c.ok("AT^CURC=0")
	info := c.ok("AT+CMGL=4")
	if len(info) != 2*len(texts) {
		t.Fatalf("CMGL gave %d lines, want %d: %q", len(info), 2*len(texts), info)
	}
	for i, tx := range texts {
		want := fmt.Sprintf("+CMGL: %d,0,,", i) // Huawei numbers from 0
		if !strings.HasPrefix(info[2*i], want) {
			t.Fatalf("entry %d header %q, want prefix %q", i, info[2*i], want)
		}
		if _, got := decodePDULine(t, info[2*i+1], lastInt(t, info[2*i])); got != tx {
			t.Fatalf("entry %d text %q, want %q", i, got, tx)
		}
	}
	if info := c.ok("AT+CMGL=0"); len(info) != 0 {
		t.Fatalf("listing should mark messages read; unread list is %q", info)
	}
}

func TestHeldMessageArrivesAfterCMGD(t *testing.T) {
	s := start(t, "generic", func(o *Options) { o.Slots = 2 })
	c := quiet(t, s)
	c.ok("AT+CNMI=2,1,0,0,0")
	for i := 1; i <= 3; i++ {
		if err := s.Deliver(Incoming{From: "+254700000004", Text: fmt.Sprintf("msg %d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	for i := 1; i <= 2; i++ {
		if l := c.line(); l != fmt.Sprintf(`+CMTI: "SM",%d`, i) {
			t.Fatalf("got %q", l)
		}
	}
	if l, err := c.next(200 * time.Millisecond); err == nil {
		t.Fatalf("full store still indicated %q", l)
	}
	if info := c.ok("AT+CPMS?"); info[0] != `+CPMS: "SM",2,2,"SM",2,2,"SM",2,2` {
		t.Fatalf("CPMS? = %q", info[0])
	}
	// The held message's +CMTI must come after the CMGD answer, not inside it.
	c.send("AT+CMGD=1\r")
	if l := c.line(); l != "OK" {
		t.Fatalf("CMGD answered %q", l)
	}
	if l := c.line(); l != `+CMTI: "SM",1` {
		t.Fatalf("held message gave %q", l)
	}
	info := c.ok("AT+CMGR=1")
	if _, text := decodePDULine(t, info[1], lastInt(t, info[0])); text != "msg 3" {
		t.Fatalf("slot 1 now holds %q", text)
	}
}

func submitPDU(t *testing.T, text, to string) []string {
	t.Helper()
	pdus, err := sms.Encode([]byte(text), sms.To(to))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, p := range pdus {
		b, err := p.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		h, err := (&pdumode.PDU{TPDU: b}).MarshalHexString()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, h)
	}
	return out
}

// sendPDU runs AT+CMGS for one PDU and returns the final line and any info.
func sendPDU(t *testing.T, c *lineClient, pduHex string, length int) ([]string, string) {
	t.Helper()
	c.send(fmt.Sprintf("AT+CMGS=%d\r", length))
	if l := c.line(); l != ">" {
		t.Fatalf("got %q, want the prompt", l)
	}
	c.send(pduHex + "\x1a")
	var info []string
	for {
		l := c.line()
		if isFinal(l) {
			return info, l
		}
		info = append(info, l)
	}
}

func tpduLen(h string) int { return len(h)/2 - 1 }

func TestCMGSPublishesSentMessages(t *testing.T) {
	s := start(t, "generic", nil)
	c := quiet(t, s)
	pdus := submitPDU(t, "Your loan is approved", "+254700000005")
	info, final := sendPDU(t, c, pdus[0], tpduLen(pdus[0]))
	if final != "OK" || len(info) != 1 || info[0] != "+CMGS: 1" {
		t.Fatalf("send answered %q %q", info, final)
	}
	select {
	case m := <-s.SentC():
		if m.To != "+254700000005" || m.Text != "Your loan is approved" || m.Parts != 1 || m.MR != 1 {
			t.Fatalf("sent %+v", m)
		}
	case <-time.After(wait):
		t.Fatal("nothing on SentC")
	}

	long := strings.Repeat("Repayment schedule. ", 12)
	parts := submitPDU(t, long, "+254700000006")
	if len(parts) != 2 {
		t.Fatalf("test message should need 2 parts, got %d", len(parts))
	}
	for _, p := range parts {
		if _, final := sendPDU(t, c, p, tpduLen(p)); final != "OK" {
			t.Fatalf("part answered %q", final)
		}
	}
	select {
	case m := <-s.SentC():
		if m.Text != long || m.Parts != 2 || len(m.PDUs) != 2 {
			t.Fatalf("long message arrived as %+v", m)
		}
	case <-time.After(wait):
		t.Fatal("long message not on SentC")
	}
}

func TestCMGSRejectsWrongLength(t *testing.T) {
	s := start(t, "generic", nil)
	c := quiet(t, s)
	p := submitPDU(t, "hi", "+254700000007")[0]
	if _, final := sendPDU(t, c, p, tpduLen(p)+1); final != "+CMS ERROR: 304" {
		t.Fatalf("wrong length answered %q", final)
	}
	if _, final := sendPDU(t, c, "00ZZ", 1); final != "+CMS ERROR: 304" {
		t.Fatalf("bad hex answered %q", final)
	}
	if len(s.Sent()) != 0 {
		t.Fatalf("rejected PDUs were recorded as sent: %+v", s.Sent())
	}
}

func TestFailSendsAndRegistration(t *testing.T) {
	s := start(t, "generic", nil)
	c := quiet(t, s)
	p := submitPDU(t, "hi", "+254700000008")[0]
	s.FailSends(1, 38)
	if _, final := sendPDU(t, c, p, tpduLen(p)); final != "+CMS ERROR: 38" {
		t.Fatalf("injected failure answered %q", final)
	}
	if _, final := sendPDU(t, c, p, tpduLen(p)); final != "OK" {
		t.Fatalf("send after the injected failure answered %q", final)
	}
	s.SetRegistration(2)
	if info := c.ok("AT+CREG?"); info[0] != "+CREG: 0,2" {
		t.Fatalf("CREG? = %q", info)
	}
	if _, final := sendPDU(t, c, p, tpduLen(p)); final != "+CMS ERROR: 331" {
		t.Fatalf("unregistered send answered %q", final)
	}
}

func TestLateSendAnswerDrifts(t *testing.T) {
	s := start(t, "generic", nil)
	c := quiet(t, s)
	p := submitPDU(t, "hi", "+254700000009")[0]
	s.DelaySends(1, 300*time.Millisecond)
	c.send(fmt.Sprintf("AT+CMGS=%d\r", tpduLen(p)))
	if l := c.line(); l != ">" {
		t.Fatalf("got %q, want the prompt", l)
	}
	c.send(p + "\x1a")
	// A host that gave up sends its next command before the late answer.
	c.send("AT+CSQ\r")
	want := []string{"+CMGS: 1", "OK", "+CSQ: 21,0", "OK"}
	for _, w := range want {
		if l := c.line(); l != w {
			t.Fatalf("got %q, want %q", l, w)
		}
	}
}

func TestHangThenRecovers(t *testing.T) {
	s := start(t, "generic", nil)
	c := quiet(t, s)
	s.Hang(time.Second)
	c.send("AT\r")
	if l, err := c.next(600 * time.Millisecond); err == nil {
		t.Fatalf("hung modem answered %q", l)
	}
	deadline := time.Now().Add(wait)
	for {
		c.send("AT\r")
		l, err := c.next(300 * time.Millisecond)
		if err == nil {
			if l != "OK" {
				t.Fatalf("after the hang got %q", l)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("modem never recovered from the hang")
		}
	}
}

// HangOn leaves every other command alone and hangs on the one it names.
func TestHangOnCommand(t *testing.T) {
	s := start(t, "generic", nil)
	c := quiet(t, s)
	s.HangOn("AT+CMGR", time.Second)
	c.send("AT+CSQ\r")
	if l := c.line(); !strings.HasPrefix(l, "+CSQ:") {
		t.Fatalf("before the armed command got %q", l)
	}
	if l := c.line(); l != "OK" {
		t.Fatalf("before the armed command got %q", l)
	}
	c.send("at+cmgr=1\r")
	if l, err := c.next(600 * time.Millisecond); err == nil {
		t.Fatalf("the armed command was answered: %q", l)
	}
	c.send("AT\r")
	if l, err := c.next(200 * time.Millisecond); err == nil {
		t.Fatalf("hung modem answered %q", l)
	}
	deadline := time.Now().Add(wait)
	for {
		c.send("AT\r")
		if l, err := c.next(300 * time.Millisecond); err == nil {
			if l != "OK" {
				t.Fatalf("after the hang got %q", l)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("modem never recovered from the hang")
		}
	}
	// It fired once: the same command is answered now.
	c.send("AT+CMGR=1\r")
	if l := c.line(); l != "+CMS ERROR: 321" && l != "OK" {
		t.Fatalf("the second AT+CMGR got %q", l)
	}
}

func TestUnplugReplugsOnNewPTS(t *testing.T) {
	s := start(t, "sim800", nil)
	c := quiet(t, s)
	before, err := os.Readlink(s.Path())
	if err != nil {
		t.Fatal(err)
	}
	s.Unplug(300 * time.Millisecond)
	if _, err := os.Lstat(s.Path()); !os.IsNotExist(err) {
		t.Fatalf("link still present after unplug: %v", err)
	}
	for {
		_, err := c.next(wait)
		if err == errTimeout {
			t.Fatal("host read did not fail after unplug")
		}
		if err != nil {
			break
		}
	}
	var after string
	deadline := time.Now().Add(wait)
	for after == "" {
		if time.Now().After(deadline) {
			t.Fatal("modem did not come back")
		}
		time.Sleep(20 * time.Millisecond)
		after, _ = os.Readlink(s.Path())
	}
	if after == before {
		t.Fatalf("replugged on the same node %s", after)
	}
	c2 := dial(t, s.Path())
	for _, boot := range Profiles()["sim800"].BootURCs {
		if l := c2.line(); l != boot {
			t.Fatalf("boot URC %q, want %q", l, boot)
		}
	}
	c2.send("AT\r")
	if l := c2.line(); l != "AT" {
		t.Fatalf("echo should be back on after replug, got %q", l)
	}
	if l := c2.line(); l != "OK" {
		t.Fatalf("got %q", l)
	}
	if info := c2.ok("AT+CNMI?"); info[0] != "+CNMI: 2,1,0,0,0" {
		t.Fatalf("CNMI after replug %q", info)
	}
}

func TestHuaweiNoiseStopsAfterCURC(t *testing.T) {
	s := start(t, "huawei-e173", nil)
	s.SetNoise(30 * time.Millisecond)
	c := dial(t, s.Path())
	c.send("ATE0\r")
	for l := c.line(); l != "OK"; l = c.line() {
	}
	sawNoise := false
	for !sawNoise {
		l := c.line()
		sawNoise = strings.HasPrefix(l, "^")
	}
	c.send("AT^CURC=0\r")
	for l := c.line(); l != "OK"; l = c.line() {
	}
	if l, err := c.next(300 * time.Millisecond); err == nil {
		t.Fatalf("noise after AT^CURC=0: %q", l)
	}
}

func TestNoiseNeverSplitsHeaderAndPDU(t *testing.T) {
	s := start(t, "huawei-e173", nil)
	for i := 0; i < 3; i++ {
		if err := s.Preload(Incoming{From: "+254700000010", Text: "x"}); err != nil {
			t.Fatal(err)
		}
	}
	s.SetNoise(5 * time.Millisecond)
	c := dial(t, s.Path())
	for i := 0; i < 10; i++ {
		c.send("AT+CMGL=4\r")
		for {
			l := c.line()
			if strings.HasPrefix(l, "+CMGL:") {
				if next := c.line(); strings.HasPrefix(next, "^") || strings.HasPrefix(next, "+") {
					t.Fatalf("line after %q is %q, want the PDU", l, next)
				}
			}
			if l == "OK" {
				break
			}
		}
	}
}

func TestLongUCS2ArrivesAsThreeParts(t *testing.T) {
	s := start(t, "quectel-ec25", nil)
	c := quiet(t, s)
	c.ok("AT+CNMI=2,1,0,0,0")
	text := strings.Repeat("Привет мир ", 15) // 165 characters: 3 UCS2 parts of 67
	if err := s.Deliver(Incoming{From: "+79161234567", Text: text, UCS2: true, Wide: true, Order: []int{3, 1, 2}}); err != nil {
		t.Fatal(err)
	}
	var idx []int
	for i := 0; i < 3; i++ {
		l := c.line()
		var n int
		if _, err := fmt.Sscanf(l, `+CMTI: "SM",%d`, &n); err != nil {
			t.Fatalf("got %q, want +CMTI", l)
		}
		idx = append(idx, n)
	}
	if idx[0] != 0 {
		t.Fatalf("Quectel storage starts at 0, first +CMTI index %d", idx[0])
	}
	segs := make([]*tpdu.TPDU, 3)
	for _, i := range idx {
		info := c.ok(fmt.Sprintf("AT+CMGR=%d", i))
		p, err := pdumode.UnmarshalHexString(info[1])
		if err != nil {
			t.Fatal(err)
		}
		d, err := sms.Unmarshal(p.TPDU)
		if err != nil {
			t.Fatal(err)
		}
		total, seq, _, ok := d.ConcatInfo()
		if !ok || total != 3 {
			t.Fatalf("part is not 1 of 3: ok=%v total=%d", ok, total)
		}
		if _, ok := d.UDH.IE(8); !ok {
			t.Fatal("Wide asked for a 16-bit reference")
		}
		segs[seq-1] = d
	}
	got, err := sms.Decode(segs)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != text {
		t.Fatalf("reassembled %q", got)
	}
}

func TestCNMIOutsideProfileRanges(t *testing.T) {
	s := start(t, "cinterion-mc75i", nil)
	c := quiet(t, s)
	c.expectFinal("AT+CNMI=2,2,0,0,0", "+CMS ERROR: 303")
	c.expectFinal("AT+CNMI=2,1,0,0,0", "+CMS ERROR: 303") // bfr must be 1
	c.ok("AT+CNMI=2,1,0,0,1")
	if info := c.ok("AT+CNMI=?"); info[0] != Profiles()["cinterion-mc75i"].CNMIRange {
		t.Fatalf("CNMI=? %q", info)
	}
}

func TestCloseDoesNotLeakOrHang(t *testing.T) {
	baseline := runtime.NumGoroutine()
	s := start(t, "huawei-e173", nil)
	c := dial(t, s.Path())
	c.send("AT\r")
	s.Unplug(time.Hour)
	done := make(chan struct{})
	go func() { _ = s.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(wait):
		t.Fatal("Close hung")
	}
	_ = c.f.Close()
	deadline := time.Now().Add(wait)
	for runtime.NumGoroutine() > baseline {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines after Close, %d before Start", runtime.NumGoroutine(), baseline)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := os.Lstat(s.Path()); !os.IsNotExist(err) {
		t.Fatalf("link left behind: %v", err)
	}
}

func TestParseRanges(t *testing.T) {
	sets, err := parseRanges("+CNMI: (0-3),(0,1),(0,2,3),(0,2),(1)")
	if err != nil {
		t.Fatal(err)
	}
	if len(sets) != 5 || !sets[0][3] || sets[1][2] || !sets[2][3] || sets[2][1] || !sets[4][1] || sets[4][0] {
		t.Fatalf("parsed %v", sets)
	}
}

// waitRaw returns the raw output once it contains want.
func (c *lineClient) waitRaw(want string) string {
	c.t.Helper()
	deadline := time.After(wait)
	for {
		c.mu.Lock()
		got := string(c.buf)
		if i := strings.Index(got, want); i >= 0 {
			c.buf = c.buf[i+len(want):]
			c.mu.Unlock()
			return got[:i+len(want)]
		}
		c.mu.Unlock()
		select {
		case <-c.changed:
		case <-deadline:
			c.t.Fatalf("output %q never contained %q", got, want)
		}
	}
}

// A real PDU from pdu/testdata/pdu-samples.tsv (pgm_hello_cmgl): tpdu_len 35.
const helloPDU = "07917248014000F3240B917247587706F400003110824115248012C8329BFD06C9C373B8B82C97E741F034"

func TestExactFraming(t *testing.T) {
	s := start(t, "generic", nil)
	c := dial(t, s.Path())
	c.send("ATE0\r")
	if got := c.waitRaw("OK\r\n"); got != "ATE0\r\r\nOK\r\n" {
		t.Fatalf("ATE0 framed as %q", got)
	}
	if err := s.PreloadPDU(helloPDU, statUnread); err != nil {
		t.Fatal(err)
	}
	c.send("AT+CMGR=1\r\n")
	if got, want := c.waitRaw("OK\r\n"), "\r\n+CMGR: 0,,35\r\n"+helloPDU+"\r\n\r\nOK\r\n"; got != want {
		t.Fatalf("CMGR framed as %q, want %q", got, want)
	}
	c.send("AT+CNMI=2,2,0,0,0\r")
	c.waitRaw("OK\r\n")
	if err := s.DeliverPDU(helloPDU); err != nil {
		t.Fatal(err)
	}
	if got, want := c.waitRaw(helloPDU+"\r\n"), "\r\n+CMT: ,35\r\n"+helloPDU+"\r\n"; got != want {
		t.Fatalf("+CMT framed as %q, want %q", got, want)
	}
	c.send("AT+CMGS=10\r")
	if got := c.waitRaw("> "); got != "\r\n> " {
		t.Fatalf("prompt framed as %q", got)
	}
	c.send("\x1b")
	c.send("AT\r")
	if got := c.waitRaw("OK\r\n"); got != "\r\nOK\r\n" {
		t.Fatalf("after ESC got %q", got)
	}
}

func TestDeliverPDUFromSamples(t *testing.T) {
	s := start(t, "generic", nil)
	c := quiet(t, s)
	c.ok("AT+CNMI=2,1,0,0,0")
	if err := s.DeliverPDU(helloPDU); err != nil {
		t.Fatal(err)
	}
	if l := c.line(); l != `+CMTI: "SM",1` {
		t.Fatalf("got %q", l)
	}
	info := c.ok("AT+CMGR=1")
	d, text := decodePDULine(t, info[1], lastInt(t, info[0]))
	if d.OA.Number() != "+27748577604" || text != "Hello raspberry pi" {
		t.Fatalf("decoded %q from %q", text, d.OA.Number())
	}
	if err := s.DeliverPDU("07XYZ"); err == nil {
		t.Fatal("non-hex PDU accepted")
	}
}

func TestUnackedCMTFallsBackToStorage(t *testing.T) {
	s := start(t, "generic", func(o *Options) { o.CNMATimeout = 200 * time.Millisecond })
	c := quiet(t, s)
	if info := c.ok("AT+CSMS=1"); info[0] != "+CSMS: 1,1,1" {
		t.Fatalf("CSMS=1 answered %q", info)
	}
	c.ok("AT+CNMI=2,2,0,0,0")
	if err := s.Deliver(Incoming{From: "+254700000011", Text: "first"}); err != nil {
		t.Fatal(err)
	}
	c.line()
	c.line()
	c.ok("AT+CNMA")
	c.expectFinal("AT+CNMA", "+CMS ERROR: 340")
	if err := s.Deliver(Incoming{From: "+254700000011", Text: "second"}); err != nil {
		t.Fatal(err)
	}
	c.line()
	c.line()
	deadline := time.Now().Add(wait)
	for {
		if used, _ := s.Storage(); used == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("unacked message never reached storage")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if info := c.ok("AT+CNMI?"); info[0] != "+CNMI: 2,0,0,0,0" {
		t.Fatalf("CNMI after the ack timeout %q", info)
	}
	info := c.ok("AT+CMGL=4")
	if _, text := decodePDULine(t, info[1], lastInt(t, info[0])); text != "second" {
		t.Fatalf("stored %q", text)
	}
}

func TestRebootResetsVolatileState(t *testing.T) {
	s := start(t, "quectel-ec25", nil)
	c := quiet(t, s)
	c.ok("AT+CNMI=1,2,0,0,0")
	c.send("AT+CFUN=1,1\r")
	if l := c.line(); l != "OK" {
		t.Fatalf("CFUN=1,1 answered %q", l)
	}
	for _, boot := range Profiles()["quectel-ec25"].BootURCs {
		if l := c.line(); l != boot {
			t.Fatalf("boot URC %q, want %q", l, boot)
		}
	}
	c.send("AT+CNMI?\r")
	want := []string{"AT+CNMI?", "+CNMI: 2,1,0,0,0", "OK"}
	for _, w := range want {
		if l := c.line(); l != w {
			t.Fatalf("after reboot got %q, want %q", l, w)
		}
	}
	s.Reboot()
	if l := c.line(); l != "RDY" {
		t.Fatalf("Reboot emitted %q first", l)
	}
}
