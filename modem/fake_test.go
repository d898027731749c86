package modem

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// hangGuard bounds every wait so a bug fails the test instead of hanging it.
const hangGuard = 10 * time.Second

type storedMsg struct {
	stat int
	pdu  string
}

// fakeModem is a scripted modem behind net.Pipe. Each open creates a new pipe;
// the modem's state (stored messages, settings) survives reopens like a real one.
type fakeModem struct {
	t *testing.T

	mu         sync.Mutex
	present    bool // the device path exists and opens
	mute       bool // answers nothing
	conn       net.Conn
	writeMu    sync.Mutex
	cmds       []string // every command line received, in order
	events     []string // ordered log shared with the sink
	stores     map[string]map[int]storedMsg
	mem1       string
	cnmiRange  string
	cnmi       string // current setting, as AT+CNMI? reports it
	cpin       string // answer word for AT+CPIN?
	pinOK      string // the PIN that unlocks; "" accepts none
	cmgdErr    map[int]string
	sendReply  func(pdu string) string // answer after the PDU; "" means never answer
	lastPDU    string
	opens      int
	overrides  map[string]string
	cmgsLenArg string
	pinURC     bool            // announce the unlock unsolicited, as Quectel and SIMCom do
	silentOnce map[string]bool // commands that get no answer the next time they come
	muteOn     string          // a command that makes the modem go mute (a hang) instead of answering, once
}

func newFakeModem(t *testing.T) *fakeModem {
	return &fakeModem{
		t:          t,
		present:    true,
		stores:     map[string]map[int]storedMsg{"SM": {}, "ME": {}},
		mem1:       "SM",
		cnmiRange:  "(0-3),(0-3),(0,2),(0,1),(0,1)",
		cpin:       "READY",
		cmgdErr:    map[int]string{},
		overrides:  map[string]string{},
		silentOnce: map[string]bool{},
		sendReply:  func(string) string { return "\r\n+CMGS: 42\r\n\r\nOK\r\n" },
	}
}

func (f *fakeModem) open(path string) (io.ReadWriteCloser, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.present {
		return nil, fmt.Errorf("open %s: %w", path, errGone)
	}
	host, dev := net.Pipe()
	f.conn = dev
	f.opens++
	go f.serve(dev)
	return host, nil
}

func (f *fakeModem) resolve(path string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.present {
		return "", errors.New("no such device")
	}
	return path, nil
}

// unplug makes the device vanish: the open pipe breaks and the path is gone.
func (f *fakeModem) unplug() {
	f.mu.Lock()
	f.present = false
	c := f.conn
	f.mu.Unlock()
	if c != nil {
		c.Close()
	}
}

func (f *fakeModem) plug() {
	f.mu.Lock()
	f.present = true
	f.mu.Unlock()
}

func (f *fakeModem) send(conn io.Writer, s string) {
	f.writeMu.Lock()
	defer f.writeMu.Unlock()
	_, _ = conn.Write([]byte(s))
}

// urc writes an unsolicited frame on the current connection.
func (f *fakeModem) urc(line string) {
	f.mu.Lock()
	c := f.conn
	f.mu.Unlock()
	f.send(c, "\r\n"+line+"\r\n")
}

func (f *fakeModem) note(event string) {
	f.mu.Lock()
	f.events = append(f.events, event)
	f.mu.Unlock()
}

func (f *fakeModem) serve(conn io.ReadWriter) {
	buf := make([]byte, 512)
	var cur strings.Builder
	inPDU := false
	for {
		n, err := conn.Read(buf)
		for _, b := range buf[:n] {
			switch {
			case b == 0x1b:
				inPDU = false
				cur.Reset()
			case inPDU && b == 0x1a:
				inPDU = false
				pdu := cur.String()
				cur.Reset()
				f.mu.Lock()
				f.lastPDU = pdu
				reply := f.sendReply
				f.mu.Unlock()
				if r := reply(pdu); r != "" {
					f.send(conn, r)
				}
			case !inPDU && b == '\r':
				line := strings.TrimSpace(cur.String())
				cur.Reset()
				if line == "" {
					continue
				}
				resp, prompt := f.answer(line)
				if prompt {
					inPDU = true
					f.send(conn, "\r\n> ")
				} else if resp != "" {
					f.send(conn, resp)
				}
			case b == '\n':
			default:
				cur.WriteByte(b)
			}
		}
		if err != nil {
			return
		}
	}
}

func ok(lines ...string) string {
	var b strings.Builder
	for _, l := range lines {
		b.WriteString("\r\n" + l + "\r\n")
	}
	b.WriteString("\r\nOK\r\n")
	return b.String()
}

const cmsErr = "\r\n+CMS ERROR: %d\r\n"

func (f *fakeModem) answer(cmd string) (resp string, prompt bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cmds = append(f.cmds, cmd)
	if f.mute {
		return "", false
	}
	if f.silentOnce[cmd] {
		delete(f.silentOnce, cmd)
		return "", false
	}
	if f.muteOn != "" && cmd == f.muteOn {
		f.muteOn, f.mute = "", true
		return "", false
	}
	if r, found := f.overrides[cmd]; found {
		return r, false
	}
	store := f.stores[f.mem1]
	switch {
	case cmd == "AT", cmd == "ATE0", cmd == "AT+CMEE=1", cmd == "AT+CMGF=0", cmd == "AT^CURC=0":
		return ok(), false
	case cmd == "AT+CPIN?":
		return ok("+CPIN: " + f.cpin), false
	case strings.HasPrefix(cmd, "AT+CPIN="):
		if f.pinOK != "" && cmd == `AT+CPIN="`+f.pinOK+`"` {
			f.cpin = "READY"
			if f.pinURC {
				return ok() + "\r\n+CPIN: READY\r\n\r\nSMS Ready\r\n", false
			}
			return ok(), false
		}
		return "\r\n+CME ERROR: 16\r\n", false
	case cmd == "AT+CSCA?":
		return ok(`+CSCA: "+254722500000",145`), false
	case cmd == "AT+CPMS=?":
		return ok(`+CPMS: ("ME","MT","SM","SR"),("ME","MT","SM","SR"),("ME","MT","SM","SR")`), false
	case cmd == "AT+CPMS?":
		return ok(fmt.Sprintf(`+CPMS: "%s",%d,25,"SM",0,25,"SM",0,25`, f.mem1, len(store))), false
	case strings.HasPrefix(cmd, "AT+CPMS="):
		name := strings.Trim(strings.Split(strings.TrimPrefix(cmd, "AT+CPMS="), ",")[0], `"`)
		if _, known := f.stores[name]; !known {
			return fmt.Sprintf(cmsErr, 302), false
		}
		f.mem1 = name
		return ok(fmt.Sprintf("+CPMS: %d,25,0,25,0,25", len(f.stores[name]))), false
	case cmd == "AT+CNMI=?":
		return ok("+CNMI: " + f.cnmiRange), false
	case cmd == "AT+CNMI?":
		return ok("+CNMI: " + f.cnmi), false
	case strings.HasPrefix(cmd, "AT+CNMI="):
		f.cnmi = strings.TrimPrefix(cmd, "AT+CNMI=")
		return ok(), false
	case cmd == "AT+CGSN":
		return ok("867530012345678"), false
	case cmd == "AT+CIMI":
		return ok("639012345678901"), false
	case cmd == "AT+CGMI":
		return ok("Quectel"), false
	case cmd == "AT+CGMM":
		return ok("EC25"), false
	case cmd == "AT+CSQ":
		return ok("+CSQ: 21,99"), false
	case cmd == "AT+CREG?":
		return ok("+CREG: 0,1"), false
	case cmd == "AT+CMGL=4":
		var idx []int
		for i := range store {
			idx = append(idx, i)
		}
		sort.Ints(idx)
		var lines []string
		for _, i := range idx {
			m := store[i]
			lines = append(lines, fmt.Sprintf("+CMGL: %d,%d,,%d", i, m.stat, len(m.pdu)/2-1), m.pdu)
		}
		return ok(lines...), false
	case strings.HasPrefix(cmd, "AT+CMGR="):
		i, _ := strconv.Atoi(strings.TrimPrefix(cmd, "AT+CMGR="))
		m, found := store[i]
		if !found {
			return ok(), false
		}
		return ok(fmt.Sprintf("+CMGR: %d,,%d", m.stat, len(m.pdu)/2-1), m.pdu), false
	case strings.HasPrefix(cmd, "AT+CMGD="):
		i, _ := strconv.Atoi(strings.TrimPrefix(cmd, "AT+CMGD="))
		f.events = append(f.events, fmt.Sprintf("delete %s %d", f.mem1, i))
		if e, found := f.cmgdErr[i]; found {
			delete(store, i)
			return e, false
		}
		if _, found := store[i]; !found {
			return fmt.Sprintf(cmsErr, 321), false
		}
		delete(store, i)
		return ok(), false
	case strings.HasPrefix(cmd, "AT+CMGS="):
		f.cmgsLenArg = strings.TrimPrefix(cmd, "AT+CMGS=")
		return "", true
	case cmd == "AT+CFUN=1,1":
		return ok(), false
	}
	return "\r\nERROR\r\n", false
}

func (f *fakeModem) commands() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.cmds...)
}

func (f *fakeModem) countCmd(cmd string) int {
	n := 0
	for _, c := range f.commands() {
		if c == cmd {
			n++
		}
	}
	return n
}

func (f *fakeModem) eventLog() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.events...)
}

func (f *fakeModem) store(name string, index, stat int, pdu string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.stores[name][index] = storedMsg{stat: stat, pdu: pdu}
}

func (f *fakeModem) stored(name string) []int {
	f.mu.Lock()
	defer f.mu.Unlock()
	var idx []int
	for i := range f.stores[name] {
		idx = append(idx, i)
	}
	sort.Ints(idx)
	return idx
}

// syncBuffer collects log output from several goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// recordingSink remembers what it got and can be told to fail.
type recordingSink struct {
	fake *fakeModem
	mu   sync.Mutex
	got  []Inbound
	fail error
}

func (s *recordingSink) sink(_ context.Context, in Inbound) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fake.note(fmt.Sprintf("sink %s %d", in.Storage, in.Index))
	if s.fail != nil {
		return s.fail
	}
	s.got = append(s.got, in)
	return nil
}

func (s *recordingSink) setFail(err error) {
	s.mu.Lock()
	s.fail = err
	s.mu.Unlock()
}

func (s *recordingSink) received() []Inbound {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Inbound(nil), s.got...)
}

type harness struct {
	t    *testing.T
	fake *fakeModem
	sink *recordingSink
	m    *Modem
	logs *syncBuffer
	done chan error
	stop context.CancelFunc
}

// startModem runs a Modem against the fake with test-sized timings; tune may
// adjust the config and driver before Run starts.
func startModem(t *testing.T, fake *fakeModem, tune func(cfg *Config, m *Modem)) *harness {
	t.Helper()
	return startWithSink(t, fake, &recordingSink{fake: fake}, tune)
}

func startWithSink(t *testing.T, fake *fakeModem, rs *recordingSink, tune func(cfg *Config, m *Modem)) *harness {
	t.Helper()
	logs := &syncBuffer{}
	cfg := Config{
		Device:         "/dev/fake-modem",
		CommandTimeout: time.Second,
		PromptTimeout:  time.Second,
		SendTimeout:    2 * time.Second,
		ProbeInterval:  time.Hour,
		StatusInterval: time.Hour,
		SweepInterval:  time.Hour,
		ReopenInterval: 20 * time.Millisecond,
		Logger:         slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	m := New(cfg, rs.sink)
	m.open, m.resolve = fake.open, fake.resolve
	m.atRetryFor = 500 * time.Millisecond
	m.bootSettle = 50 * time.Millisecond
	m.retryWait = 100 * time.Millisecond
	m.stuckRetry = 100 * time.Millisecond
	m.resetWait = 50 * time.Millisecond
	m.quietGap = 20 * time.Millisecond
	m.resyncWithin = 300 * time.Millisecond
	if tune != nil {
		tune(&m.cfg, m)
	}
	ctx, cancel := context.WithCancel(context.Background())
	h := &harness{t: t, fake: fake, sink: rs, m: m, logs: logs, done: make(chan error, 1), stop: cancel}
	go func() { h.done <- m.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-h.done:
			if err != nil {
				t.Errorf("Run returned %v", err)
			}
		case <-time.After(hangGuard):
			t.Error("Run did not return after cancel")
		}
		fake.unplug()
	})
	return h
}

// eventually polls cond until it holds or the guard expires.
func (h *harness) eventually(what string, cond func() bool) {
	h.t.Helper()
	deadline := time.Now().Add(hangGuard)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	h.t.Fatalf("timed out waiting for %s; state %+v\ncommands: %q\nlogs:\n%s", what, h.m.Status(), h.fake.commands(), h.logs.String())
}

func (h *harness) waitState(state State) {
	h.t.Helper()
	h.eventually("state "+string(state), func() bool { return h.m.Status().State == state })
}

// silence makes the modem leave cmd unanswered the next time it comes.
func (f *fakeModem) silence(cmd string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.silentOnce[cmd] = true
}

func (f *fakeModem) setMute(mute bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.mute = mute
}

func (f *fakeModem) openCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.opens
}

// resetIndications is what an unacknowledged +CMT or another program does.
func (f *fakeModem) resetIndications() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cnmi = "0,0,0,0,0"
}
