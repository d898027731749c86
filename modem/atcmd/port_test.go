package atcmd

import (
	"context"
	"errors"
	"net"
	"reflect"
	"strings"
	"testing"
	"time"
)

// hangGuard bounds every wait in these tests so a bug shows as a failure, not a hang.
const hangGuard = 5 * time.Second

// fakeModem is the device end of a net.Pipe: it records what the host writes,
// split at CR, Ctrl-Z and ESC, and lets the test script the answers.
type fakeModem struct {
	t      *testing.T
	conn   net.Conn
	writes chan string
}

func newFake(t *testing.T, opts ...Option) (*Port, *fakeModem) {
	t.Helper()
	host, dev := net.Pipe()
	fm := &fakeModem{t: t, conn: dev, writes: make(chan string, 100)}
	go fm.readHost()
	opts = append([]Option{WithQuietGap(30 * time.Millisecond), WithResyncTimeout(time.Second)}, opts...)
	p := New(host, opts...)
	t.Cleanup(func() { p.Close(); dev.Close() })
	return p, fm
}

func (f *fakeModem) readHost() {
	buf := make([]byte, 512)
	var cur strings.Builder
	for {
		n, err := f.conn.Read(buf)
		for _, b := range buf[:n] {
			switch b {
			case '\r':
				f.writes <- cur.String()
				cur.Reset()
			case 0x1a:
				f.writes <- cur.String() + "<CTRL-Z>"
				cur.Reset()
			case 0x1b:
				f.writes <- "<ESC>"
			case '\n':
			default:
				cur.WriteByte(b)
			}
		}
		if err != nil {
			close(f.writes)
			return
		}
	}
}

// expect waits for the host to write want.
func (f *fakeModem) expect(want string) {
	f.t.Helper()
	select {
	case got, ok := <-f.writes:
		if !ok {
			f.t.Fatalf("host closed while waiting for %q", want)
		}
		if got != want {
			f.t.Fatalf("host wrote %q, want %q", got, want)
		}
	case <-time.After(hangGuard):
		f.t.Fatalf("host never wrote %q", want)
	}
}

func (f *fakeModem) send(s string) {
	f.t.Helper()
	if _, err := f.conn.Write([]byte(s)); err != nil {
		f.t.Fatalf("fake modem write: %v", err)
	}
}

type reply struct {
	lines []string
	err   error
}

func runAsync(fn func() ([]string, error)) <-chan reply {
	ch := make(chan reply, 1)
	go func() {
		l, err := fn()
		ch <- reply{l, err}
	}()
	return ch
}

func await(t *testing.T, ch <-chan reply) reply {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(hangGuard):
		t.Fatal("command never returned")
		return reply{}
	}
}

func nextURC(t *testing.T, p *Port) URC {
	t.Helper()
	select {
	case u := <-p.URCs():
		return u
	case <-time.After(hangGuard):
		t.Fatal("no URC arrived")
		return URC{}
	}
}

func TestURCInsideCMGLGoesToURCChannel(t *testing.T) {
	p, fm := newFake(t)
	ch := runAsync(func() ([]string, error) {
		return p.Command(context.Background(), "AT+CMGL=4", hangGuard, "+CMGL:")
	})
	fm.expect("AT+CMGL=4")
	fm.send("\r\n+CMGL: 0,1,,23\r\nPDUONE\r\n+CMTI: \"SM\",2\r\n^RSSI:18\r\n+CMGL: 1, 0,\"\",24\r\n^RSSI: 19\r\nPDUTWO\r\n\r\nOK\r\n")
	r := await(t, ch)
	if r.err != nil {
		t.Fatalf("CMGL failed: %v", r.err)
	}
	want := []string{"+CMGL: 0,1,,23", "PDUONE", "+CMGL: 1, 0,\"\",24", "PDUTWO"}
	if !reflect.DeepEqual(r.lines, want) {
		t.Fatalf("reply = %q, want %q", r.lines, want)
	}
	for _, wantLine := range []string{`+CMTI: "SM",2`, "^RSSI:18", "^RSSI: 19"} {
		u := nextURC(t, p)
		if u.Line != wantLine || u.Kind != Indication {
			t.Fatalf("URC = %+v, want indication %q", u, wantLine)
		}
	}
}

func TestUnexpectedUnknownLineIsReportedNotReturned(t *testing.T) {
	p, fm := newFake(t)
	ch := runAsync(func() ([]string, error) {
		return p.Command(context.Background(), "AT+CSQ", hangGuard, "+CSQ:")
	})
	fm.expect("AT+CSQ")
	fm.send("\r\nGARBAGE 12\r\n+CSQ: 21,99\r\n\r\nOK\r\n")
	r := await(t, ch)
	if r.err != nil || !reflect.DeepEqual(r.lines, []string{"+CSQ: 21,99"}) {
		t.Fatalf("got %q, %v", r.lines, r.err)
	}
	if u := nextURC(t, p); u.Kind != Unknown || u.Line != "GARBAGE 12" {
		t.Fatalf("URC = %+v", u)
	}
}

func TestBareInfoCommandAcceptsLinesButNotURCs(t *testing.T) {
	p, fm := newFake(t)
	ch := runAsync(func() ([]string, error) {
		return p.Command(context.Background(), "AT+CGSN", hangGuard)
	})
	fm.expect("AT+CGSN")
	fm.send("AT+CGSN\r\r\n^BOOT:27710117,0,0,0,75\r\n867530012345678\r\n\r\nOK\r\n")
	r := await(t, ch)
	if r.err != nil || !reflect.DeepEqual(r.lines, []string{"867530012345678"}) {
		t.Fatalf("got %q, %v", r.lines, r.err)
	}
	if u := nextURC(t, p); u.Line != "^BOOT:27710117,0,0,0,75" {
		t.Fatalf("URC = %+v", u)
	}
}

func TestExpectedPrefixBeatsURCTable(t *testing.T) {
	p, fm := newFake(t)
	ch := runAsync(func() ([]string, error) {
		return p.Command(context.Background(), "AT+CREG?", hangGuard, "+CREG:")
	})
	fm.expect("AT+CREG?")
	fm.send("\r\n+CREG: 0,1\r\n\r\nOK\r\n")
	r := await(t, ch)
	if r.err != nil || !reflect.DeepEqual(r.lines, []string{"+CREG: 0,1"}) {
		t.Fatalf("got %q, %v", r.lines, r.err)
	}
}

func TestIdleCMTCarriesItsPDU(t *testing.T) {
	p, fm := newFake(t)
	fm.send("\r\n+CMT: ,23\r\n07911326040000F0040B911346610089F60000208062917314080CC8329BFD06\r\n")
	u := nextURC(t, p)
	if u.Line != "+CMT: ,23" || len(u.Trailing) != 1 || !strings.HasPrefix(u.Trailing[0], "0791") {
		t.Fatalf("URC = %+v", u)
	}
}

func TestEchoIsIgnored(t *testing.T) {
	p, fm := newFake(t)
	ch := runAsync(func() ([]string, error) {
		return p.Command(context.Background(), "ATE0", hangGuard)
	})
	fm.expect("ATE0")
	fm.send("ATE0\rATE0\r\r\nOK\r\n")
	r := await(t, ch)
	if r.err != nil || len(r.lines) != 0 {
		t.Fatalf("got %q, %v", r.lines, r.err)
	}
}

func TestFinalErrors(t *testing.T) {
	cases := []struct {
		line string
		want Error
	}{
		{"ERROR", Error{Kind: Plain, Code: -1, Text: "ERROR"}},
		{"+CMS ERROR: 304", Error{Kind: CMS, Code: 304, Text: "304"}},
		{"+CMS ERROR: unknown error", Error{Kind: CMS, Code: -1, Text: "unknown error"}},
		{"+CME ERROR: 11", Error{Kind: CME, Code: 11, Text: "11"}},
		{"+CME ERROR: SIM not inserted", Error{Kind: CME, Code: -1, Text: "SIM not inserted"}},
		{"COMMAND NOT SUPPORT", Error{Kind: Vendor, Code: -1, Text: "COMMAND NOT SUPPORT"}},
		{"MODEM ERROR: 3", Error{Kind: Vendor, Code: 3, Text: "MODEM ERROR: 3"}},
	}
	for _, c := range cases {
		t.Run(c.line, func(t *testing.T) {
			p, fm := newFake(t)
			ch := runAsync(func() ([]string, error) {
				return p.Command(context.Background(), "AT^CURC=0", hangGuard)
			})
			fm.expect("AT^CURC=0")
			fm.send("\r\n" + c.line + "\r\n")
			r := await(t, ch)
			var got *Error
			if !errors.As(r.err, &got) {
				t.Fatalf("err = %v, want *Error", r.err)
			}
			if *got != c.want {
				t.Fatalf("err = %+v, want %+v", *got, c.want)
			}
			if got.Error() == "" {
				t.Fatal("empty error text")
			}
		})
	}
}

func TestCMSCode(t *testing.T) {
	if n, ok := CMSCode(&Error{Kind: CMS, Code: 321}); !ok || n != 321 {
		t.Fatalf("CMSCode = %d, %v", n, ok)
	}
	if _, ok := CMSCode(&Error{Kind: CMS, Code: -1, Text: "unknown error"}); ok {
		t.Fatal("text CMS error reported a code")
	}
	if _, ok := CMSCode(&Error{Kind: CME, Code: 10}); ok {
		t.Fatal("CME error reported as CMS")
	}
	if _, ok := CMSCode(ErrTimeout); ok {
		t.Fatal("timeout reported a CMS code")
	}
}

// The late-answer hazard of docs/modem.md §6 Sending: +CMGS answers after the host gave
// up; the next command must get its own answer, never the stale one.
func TestLateSendReplyDoesNotReachNextCommand(t *testing.T) {
	p, fm := newFake(t)
	ch := runAsync(func() ([]string, error) {
		return p.SMS(context.Background(), "AT+CMGS=23", "0011PDUHEX", hangGuard, 100*time.Millisecond)
	})
	fm.expect("AT+CMGS=23")
	fm.send("\r\n> ")
	fm.expect("0011PDUHEX<CTRL-Z>")
	r := await(t, ch)
	if !errors.Is(r.err, ErrUnknownOutcome) {
		t.Fatalf("send err = %v, want ErrUnknownOutcome", r.err)
	}

	ch = runAsync(func() ([]string, error) {
		return p.Command(context.Background(), "AT+CSQ", hangGuard, "+CSQ:")
	})
	// The resync starts with ESC (a prompt may be open) and AT; the late
	// +CMGS answer lands there and must be reported as stale.
	fm.expect("<ESC>")
	fm.expect("AT")
	fm.send("\r\n+CMGS: 78\r\n\r\nOK\r\n")
	fm.send("\r\nOK\r\n")
	fm.expect("AT+CSQ")
	fm.send("\r\n+CSQ: 28,0\r\n\r\nOK\r\n")
	r = await(t, ch)
	if r.err != nil || !reflect.DeepEqual(r.lines, []string{"+CSQ: 28,0"}) {
		t.Fatalf("CSQ got %q, %v", r.lines, r.err)
	}
	if u := nextURC(t, p); u.Kind != Stale || u.Line != "+CMGS: 78" {
		t.Fatalf("URC = %+v, want stale +CMGS", u)
	}
}

func TestLateReplyAfterPlainTimeout(t *testing.T) {
	p, fm := newFake(t)
	ch := runAsync(func() ([]string, error) {
		return p.Command(context.Background(), "AT+CPMS?", 50*time.Millisecond, "+CPMS:")
	})
	fm.expect("AT+CPMS?")
	if r := await(t, ch); !errors.Is(r.err, ErrTimeout) {
		t.Fatalf("err = %v, want ErrTimeout", r.err)
	}
	fm.send("\r\n+CPMS: \"SM\",1,20,\"SM\",1,20,\"SM\",1,20\r\n\r\nOK\r\n")
	ch = runAsync(func() ([]string, error) {
		return p.Command(context.Background(), "AT+CPMS?", hangGuard, "+CPMS:")
	})
	fm.expect("AT")
	fm.send("\r\nOK\r\n")
	fm.expect("AT+CPMS?")
	fm.send("\r\n+CPMS: \"SM\",2,20,\"SM\",2,20,\"SM\",2,20\r\n\r\nOK\r\n")
	r := await(t, ch)
	if r.err != nil || !reflect.DeepEqual(r.lines, []string{`+CPMS: "SM",2,20,"SM",2,20,"SM",2,20`}) {
		t.Fatalf("got %q, %v", r.lines, r.err)
	}
}

func TestResyncFailureReturnsTimeout(t *testing.T) {
	p, fm := newFake(t, WithResyncTimeout(50*time.Millisecond))
	ch := runAsync(func() ([]string, error) {
		return p.Command(context.Background(), "AT", 30*time.Millisecond)
	})
	fm.expect("AT")
	if r := await(t, ch); !errors.Is(r.err, ErrTimeout) {
		t.Fatalf("err = %v", r.err)
	}
	ch = runAsync(func() ([]string, error) {
		return p.Command(context.Background(), "AT+CSQ", hangGuard, "+CSQ:")
	})
	fm.expect("AT") // the resync probe, left unanswered
	r := await(t, ch)
	if !errors.Is(r.err, ErrTimeout) {
		t.Fatalf("err = %v, want ErrTimeout", r.err)
	}
	select {
	case w := <-fm.writes:
		t.Fatalf("command %q was sent although the resync failed", w)
	default:
	}
}

func TestSMSPromptVariantsAndEcho(t *testing.T) {
	for name, prompt := range map[string]string{
		"space":     "\r\n> ",
		"crlf":      "\r\n>\r\n",
		"doubleCR":  "\r\r\n> ",
		"echoAfter": "AT+CMGS=23\r\r\n> ",
	} {
		t.Run(name, func(t *testing.T) {
			p, fm := newFake(t)
			pdu := "0001000B917228001011F100000CC8329BFD065DDF72363904"
			ch := runAsync(func() ([]string, error) {
				return p.SMS(context.Background(), "AT+CMGS=23", pdu, hangGuard, hangGuard)
			})
			fm.expect("AT+CMGS=23")
			fm.send(prompt)
			fm.expect(pdu + "<CTRL-Z>")
			fm.send(pdu + "\x1a\r\n+CMGS: 5\r\n\r\nOK\r\n")
			r := await(t, ch)
			if r.err != nil || !reflect.DeepEqual(r.lines, []string{"+CMGS: 5"}) {
				t.Fatalf("got %q, %v", r.lines, r.err)
			}
		})
	}
}

func TestSMSNoPrompt(t *testing.T) {
	p, fm := newFake(t)
	ch := runAsync(func() ([]string, error) {
		return p.SMS(context.Background(), "AT+CMGS=23", "00AABB", 50*time.Millisecond, hangGuard)
	})
	fm.expect("AT+CMGS=23")
	fm.expect("<ESC>")
	if r := await(t, ch); !errors.Is(r.err, ErrNoPrompt) {
		t.Fatalf("err = %v, want ErrNoPrompt", r.err)
	}
}

func TestSMSErrorBeforePrompt(t *testing.T) {
	p, fm := newFake(t)
	ch := runAsync(func() ([]string, error) {
		return p.SMS(context.Background(), "AT+CMGS=23", "00AABB", hangGuard, hangGuard)
	})
	fm.expect("AT+CMGS=23")
	fm.send("\r\n+CMS ERROR: 331\r\n")
	r := await(t, ch)
	if n, ok := CMSCode(r.err); !ok || n != 331 {
		t.Fatalf("err = %v, want CMS 331", r.err)
	}
}

func TestSMSCMSErrorAfterPDU(t *testing.T) {
	p, fm := newFake(t)
	ch := runAsync(func() ([]string, error) {
		return p.SMS(context.Background(), "AT+CMGS=23", "00AABBCCDD", hangGuard, hangGuard)
	})
	fm.expect("AT+CMGS=23")
	fm.send("\r\n> ")
	fm.expect("00AABBCCDD<CTRL-Z>")
	fm.send("\r\n+CMS ERROR: 304\r\n")
	r := await(t, ch)
	if n, ok := CMSCode(r.err); !ok || n != 304 {
		t.Fatalf("err = %v, want CMS 304", r.err)
	}
	if errors.Is(r.err, ErrUnknownOutcome) {
		t.Fatal("a definite modem error was reported as unknown outcome")
	}
}

func TestClosedPortFailsPendingAndLaterCommands(t *testing.T) {
	p, fm := newFake(t)
	first := runAsync(func() ([]string, error) {
		return p.Command(context.Background(), "AT+CMGL=4", hangGuard, "+CMGL:")
	})
	fm.expect("AT+CMGL=4")
	queued := runAsync(func() ([]string, error) {
		return p.Command(context.Background(), "AT+CSQ", hangGuard, "+CSQ:")
	})
	fm.conn.Close()
	if r := await(t, first); !errors.Is(r.err, ErrClosed) {
		t.Fatalf("running command err = %v, want ErrClosed", r.err)
	}
	if r := await(t, queued); !errors.Is(r.err, ErrClosed) {
		t.Fatalf("queued command err = %v, want ErrClosed", r.err)
	}
	if _, err := p.Command(context.Background(), "AT", hangGuard); !errors.Is(err, ErrClosed) {
		t.Fatalf("later command err = %v, want ErrClosed", err)
	}
	select {
	case <-p.Closed():
	case <-time.After(hangGuard):
		t.Fatal("Closed not signalled")
	}
	if p.Err() == nil {
		t.Fatal("Err() is nil after the device went away")
	}
}

func TestCommandsRunInArrivalOrder(t *testing.T) {
	p, fm := newFake(t)
	first := runAsync(func() ([]string, error) {
		return p.Command(context.Background(), "AT+FIRST", hangGuard)
	})
	fm.expect("AT+FIRST")
	var later []<-chan reply
	for _, c := range []string{"AT+A", "AT+B", "AT+C"} {
		later = append(later, runAsync(func() ([]string, error) {
			return p.Command(context.Background(), c, hangGuard)
		}))
		// Let each caller queue before the next arrives.
		waitQueued(t, p, len(later))
	}
	fm.send("\r\nOK\r\n")
	await(t, first)
	for i, c := range []string{"AT+A", "AT+B", "AT+C"} {
		fm.expect(c)
		fm.send("\r\nOK\r\n")
		if r := await(t, later[i]); r.err != nil {
			t.Fatalf("%s: %v", c, r.err)
		}
	}
}

func waitQueued(t *testing.T, p *Port, n int) {
	t.Helper()
	deadline := time.Now().Add(hangGuard)
	for time.Now().Before(deadline) {
		p.turn.mu.Lock()
		got := len(p.turn.waiters)
		p.turn.mu.Unlock()
		if got >= n {
			return
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatalf("only %d callers queued", n)
}

func TestCancelledWaiterLeavesQueue(t *testing.T) {
	p, fm := newFake(t)
	first := runAsync(func() ([]string, error) {
		return p.Command(context.Background(), "AT+FIRST", hangGuard)
	})
	fm.expect("AT+FIRST")
	ctx, cancel := context.WithCancel(context.Background())
	gone := runAsync(func() ([]string, error) { return p.Command(ctx, "AT+NEVER", hangGuard) })
	waitQueued(t, p, 1)
	cancel()
	if r := await(t, gone); !errors.Is(r.err, context.Canceled) {
		t.Fatalf("err = %v", r.err)
	}
	fm.send("\r\nOK\r\n")
	await(t, first)
	next := runAsync(func() ([]string, error) { return p.Command(context.Background(), "AT+NEXT", hangGuard) })
	fm.expect("AT+NEXT")
	fm.send("\r\nOK\r\n")
	if r := await(t, next); r.err != nil {
		t.Fatal(r.err)
	}
}

func TestMissingPDULineDoesNotSwallowOK(t *testing.T) {
	p, fm := newFake(t)
	ch := runAsync(func() ([]string, error) {
		return p.Command(context.Background(), "AT+CMGR=3", hangGuard, "+CMGR:")
	})
	fm.expect("AT+CMGR=3")
	fm.send("\r\n+CMGR: 0,,23\r\nOK\r\n")
	r := await(t, ch)
	if r.err != nil || !reflect.DeepEqual(r.lines, []string{"+CMGR: 0,,23"}) {
		t.Fatalf("got %q, %v", r.lines, r.err)
	}
}

func TestCROnlyLines(t *testing.T) {
	p, fm := newFake(t)
	ch := runAsync(func() ([]string, error) {
		return p.Command(context.Background(), "AT+CSQ", hangGuard, "+CSQ:")
	})
	fm.expect("AT+CSQ")
	fm.send("\r+CSQ: 10,99\rOK\r")
	r := await(t, ch)
	if r.err != nil || !reflect.DeepEqual(r.lines, []string{"+CSQ: 10,99"}) {
		t.Fatalf("got %q, %v", r.lines, r.err)
	}
}

func TestTimeoutReturnsPartialLines(t *testing.T) {
	p, fm := newFake(t)
	ch := runAsync(func() ([]string, error) {
		return p.Command(context.Background(), "AT+CPIN?", 100*time.Millisecond, "+CPIN:")
	})
	fm.expect("AT+CPIN?")
	fm.send("\r\n+CPIN: READY\r\n") // old Wavecom: no OK follows
	r := await(t, ch)
	if !errors.Is(r.err, ErrTimeout) || !reflect.DeepEqual(r.lines, []string{"+CPIN: READY"}) {
		t.Fatalf("got %q, %v", r.lines, r.err)
	}
}

// A stray OK between AT+CMGS and its prompt must not count as a send.
func TestOKBeforePromptIsNotASend(t *testing.T) {
	p, fm := newFake(t)
	ch := runAsync(func() ([]string, error) {
		return p.SMS(context.Background(), "AT+CMGS=23", "0011000B917228001011F100000CC8329BFD065DDF72363904", time.Second, time.Second)
	})
	fm.expect("AT+CMGS=23")
	fm.send("\r\nOK\r\n")
	r := await(t, ch)
	if !errors.Is(r.err, ErrNoPrompt) {
		t.Fatalf("err = %v, want ErrNoPrompt (nothing was submitted)", r.err)
	}
	fm.expect("<ESC>")
}

// A +CMT (with its own PDU line) landing between a +CMGR header and its PDU:
// which PDU is whose cannot be known, so the read fails and nothing is
// attributed (the caller must not delete the stored message).
func TestPushedSMSInsideAReadFailsTheRead(t *testing.T) {
	p, fm := newFake(t)
	ch := runAsync(func() ([]string, error) {
		return p.Command(context.Background(), "AT+CMGR=3", time.Second, "+CMGR:")
	})
	fm.expect("AT+CMGR=3")
	fm.send("\r\n+CMGR: 0,,23\r\n+CMT: ,24\r\n07911326040000F0040B911346610089F60000208062917314080CC8F71D14969741F977FD07\r\n0011000B917228001011F100000CC8329BFD065DDF72363904\r\n\r\nOK\r\n")
	r := await(t, ch)
	if !errors.Is(r.err, ErrGarbled) {
		t.Fatalf("read returned %q, %v; want ErrGarbled", r.lines, r.err)
	}
}
