package modemsim

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"
)

// Options configures a simulator.
type Options struct {
	Profile Profile
	// Link is the symlink created to point at the slave (/dev/pts/N); empty means one in a fresh temp dir.
	Link                       string
	IMEI, IMSI, SMSC, Operator string
	// PIN, when set, makes the SIM start PIN-locked (again after every reboot or replug).
	PIN string
	// Slots overrides the profile's storage size.
	Slots int
	// SendDelay is the pause before a +CMGS answer (default 50ms).
	SendDelay time.Duration
	// BootDelay is how long the modem ignores input after AT+CFUN=1,1 (default 300ms).
	BootDelay time.Duration
	// BootURCsOnStart emits the profile's boot URCs at Start; by default the
	// modem is taken to have been powered long before the host opens it.
	BootURCsOnStart bool
	// CSCS is the character set the modem is in when Start returns, as
	// another program left it ("UCS2": strings such as the service centre
	// come as UTF-16 hex); empty means "GSM". A reboot restores "GSM".
	CSCS string
	// CNMATimeout, when set, makes an unacknowledged +CMT (with AT+CSMS=1)
	// reset CNMI mt and ds to 0 and the message come back into storage.
	CNMATimeout time.Duration
	// ReportDelay is how long the network takes to report on a part sent
	// with a status report requested (default 200ms); see SetReports.
	ReportDelay time.Duration
	// Logger receives every line in and out at Debug; nil discards.
	Logger *slog.Logger
}

// Sim is a running modem simulator on a pseudo-terminal.
type Sim struct {
	opts      Options
	prof      Profile
	cnmiSets  []valueSet
	csmsSets  []valueSet
	log       *slog.Logger
	link      string
	tempDir   string
	sentC     chan Sent
	outSignal chan struct{}
	noiseKick chan struct{}
	done      chan struct{}
	wg        sync.WaitGroup

	mu     sync.Mutex
	closed bool
	master *os.File
	slave  *os.File
	pts    string
	// gen identifies the current pty; output and input of an older pty are dropped.
	gen int
	// epoch changes on every reboot or unplug so that stale timers do nothing.
	epoch     int
	unplugged bool
	outQ      []outChunk
	timers    map[*time.Timer]struct{}

	modemState
	storageState
	sendState
	reportState

	commands      []string
	moneyOps      []*MoneyOperator
	netQ          []netDelivery
	noiseInterval time.Duration
	noiseNext     int
	responses     int
}

type outChunk struct {
	gen  int
	data string
}

// modemState is what a reboot resets, plus the few settings kept on the SIM.
type modemState struct {
	echo     bool
	cmee     int
	cmgf     int
	cscs     string
	cnmi     [5]int
	csms     int
	cregN    int
	fun      int
	mems     [3]string
	curcOff  bool
	booting  bool
	pinState string // "READY", "SIM PIN", "SIM PUK"
	pinTries int
	reg      int
	smsc     string

	inbuf     []byte
	busy      bool
	inPrompt  bool
	promptLen int
	heldURCs  [][]string
	hungUntil time.Time
	// hangOn, when set, makes the next command that starts with it hang the
	// modem for hangFor instead of being answered.
	hangOn  string
	hangFor time.Duration
	// inAnswer are unsolicited lines armed to land inside the answer of
	// the next command with a given prefix, oldest first.
	inAnswer []armedURC
}

type armedURC struct{ prefix, line string }

var errClosed = errors.New("modem simulator is closed")

// Start creates the pty, the symlink and the simulator's goroutines.
func Start(opts Options) (*Sim, error) {
	if opts.Profile.Name == "" {
		opts.Profile = Profiles()["generic"]
	}
	if err := opts.Profile.validate(); err != nil {
		return nil, err
	}
	if opts.IMEI == "" {
		opts.IMEI = "867584030061234"
	}
	if opts.IMSI == "" {
		opts.IMSI = "639021234567890"
	}
	if opts.SMSC == "" {
		opts.SMSC = "+254722500000"
	}
	if opts.Operator == "" {
		opts.Operator = "Safaricom"
	}
	if opts.Slots <= 0 {
		opts.Slots = opts.Profile.Slots
	}
	if opts.Slots <= 0 {
		opts.Slots = 20
	}
	if opts.SendDelay <= 0 {
		opts.SendDelay = 50 * time.Millisecond
	}
	if opts.ReportDelay <= 0 {
		opts.ReportDelay = 200 * time.Millisecond
	}
	if opts.BootDelay <= 0 {
		opts.BootDelay = 300 * time.Millisecond
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	cnmiSets, _ := parseRanges(opts.Profile.CNMIRange)
	csmsSets, _ := parseRanges(opts.Profile.CSMSRange)
	s := &Sim{
		opts:          opts,
		prof:          opts.Profile,
		cnmiSets:      cnmiSets,
		csmsSets:      csmsSets,
		log:           logger.With("modemsim", opts.Profile.Name),
		link:          opts.Link,
		sentC:         make(chan Sent, 10000),
		outSignal:     make(chan struct{}, 1),
		noiseKick:     make(chan struct{}, 1),
		done:          make(chan struct{}),
		timers:        map[*time.Timer]struct{}{},
		noiseInterval: opts.Profile.NoiseInterval,
	}
	s.slots = make([]*storedMsg, opts.Slots)
	s.partials = map[string]*partialSent{}
	s.smsc = opts.SMSC
	s.reg = 1
	if s.link == "" {
		dir, err := os.MkdirTemp("", "modemsim-")
		if err != nil {
			return nil, fmt.Errorf("create a directory for the modem link: %w", err)
		}
		s.tempDir = dir
		s.link = filepath.Join(dir, "modem")
	}
	master, slave, err := openPty("")
	if err != nil {
		s.removeTempDir()
		return nil, err
	}
	if err := pointLink(s.link, slave.Name()); err != nil {
		_ = master.Close()
		_ = slave.Close()
		s.removeTempDir()
		return nil, err
	}

	s.mu.Lock()
	s.attach(master, slave)
	s.powerOn(opts.BootURCsOnStart)
	if opts.CSCS != "" {
		s.cscs = opts.CSCS
	}
	s.mu.Unlock()

	s.wg.Add(2)
	go s.writeLoop()
	go s.noiseLoop()
	return s, nil
}

// Path returns the stable symlink that hosts should open.
func (s *Sim) Path() string { return s.link }

// Close stops the simulator, closes the pty and removes the link. It never
// blocks on the host.
func (s *Sim) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	for t := range s.timers {
		t.Stop()
	}
	s.timers = nil
	close(s.done)
	s.detach()
	_ = os.Remove(s.link)
	s.mu.Unlock()
	s.wg.Wait()
	s.removeTempDir()
	return nil
}

func (s *Sim) removeTempDir() {
	if s.tempDir != "" {
		_ = os.RemoveAll(s.tempDir)
	}
}

// openPty opens a pty in raw mode; avoid names one that must not be reused.
func openPty(avoid string) (master, slave *os.File, err error) {
	var spares []*os.File
	defer func() {
		for _, f := range spares {
			_ = f.Close()
		}
	}()
	for attempt := 0; attempt < 8; attempt++ {
		m, sl, err := pty.Open()
		if err != nil {
			return nil, nil, fmt.Errorf("open a pseudo-terminal: %w", err)
		}
		if sl.Name() == avoid {
			// Holding this pair open makes the kernel hand out a different number next.
			spares = append(spares, m, sl)
			continue
		}
		if err := makeRaw(sl); err != nil {
			_ = m.Close()
			_ = sl.Close()
			return nil, nil, err
		}
		pollable, err := pollableCopy(m)
		_ = m.Close()
		if err != nil {
			_ = sl.Close()
			return nil, nil, err
		}
		return pollable, sl, nil
	}
	return nil, nil, fmt.Errorf("could not get a pseudo-terminal other than %s", avoid)
}

// pollableCopy returns a non-blocking duplicate of the master. creack/pty
// leaves the master in blocking mode, where Close cannot interrupt a
// pending Read, so the fd would never really close and the host would
// never see the hangup.
func pollableCopy(master *os.File) (*os.File, error) {
	rc, err := master.SyscallConn()
	if err != nil {
		return nil, err
	}
	dup := -1
	var opErr error
	err = rc.Control(func(fd uintptr) {
		dup, opErr = unix.FcntlInt(fd, unix.F_DUPFD_CLOEXEC, 0)
	})
	if err == nil {
		err = opErr
	}
	if err != nil {
		return nil, fmt.Errorf("duplicate the pty master: %w", err)
	}
	if err := unix.SetNonblock(dup, true); err != nil {
		_ = unix.Close(dup)
		return nil, fmt.Errorf("make the pty master non-blocking: %w", err)
	}
	return os.NewFile(uintptr(dup), master.Name()), nil
}

// makeRaw stops the slave's line discipline from echoing or translating
// bytes, so the host sees exactly what the modem writes.
func makeRaw(f *os.File) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var opErr error
	err = rc.Control(func(fd uintptr) {
		t, err := unix.IoctlGetTermios(int(fd), unix.TCGETS)
		if err != nil {
			opErr = err
			return
		}
		t.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON
		t.Oflag &^= unix.OPOST
		t.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
		t.Cflag &^= unix.CSIZE | unix.PARENB
		t.Cflag |= unix.CS8
		t.Cc[unix.VMIN] = 1
		t.Cc[unix.VTIME] = 0
		opErr = unix.IoctlSetTermios(int(fd), unix.TCSETS, t)
	})
	if err != nil {
		return fmt.Errorf("set the pseudo-terminal to raw mode: %w", err)
	}
	if opErr != nil {
		return fmt.Errorf("set the pseudo-terminal to raw mode: %w", opErr)
	}
	return nil
}

// pointLink makes link point at target, replacing any old link atomically.
func pointLink(link, target string) error {
	tmp := link + ".tmp"
	_ = os.Remove(tmp)
	if err := os.Symlink(target, tmp); err != nil {
		return fmt.Errorf("create the modem link: %w", err)
	}
	if err := os.Rename(tmp, link); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("create the modem link: %w", err)
	}
	return nil
}

// attach makes a fresh pty current and starts reading it. Caller holds mu.
func (s *Sim) attach(master, slave *os.File) {
	s.gen++
	s.master, s.slave, s.pts = master, slave, slave.Name()
	s.unplugged = false
	s.wg.Add(1)
	go s.readLoop(master, s.gen)
}

// detach closes the current pty; the host sees EIO. Caller holds mu.
func (s *Sim) detach() {
	if s.master != nil {
		_ = s.master.Close()
		_ = s.slave.Close()
	}
	s.master, s.slave = nil, nil
	s.gen++
	s.outQ = nil
}

func (s *Sim) readLoop(master *os.File, gen int) {
	defer s.wg.Done()
	buf := make([]byte, 4096)
	for {
		n, err := master.Read(buf)
		if n > 0 {
			s.mu.Lock()
			if !s.closed && gen == s.gen {
				s.feed(buf[:n])
			}
			s.mu.Unlock()
		}
		if err != nil {
			return
		}
	}
}

func (s *Sim) writeLoop() {
	defer s.wg.Done()
	for {
		select {
		case <-s.done:
			return
		case <-s.outSignal:
		}
		s.mu.Lock()
		queue := s.outQ
		s.outQ = nil
		master, gen := s.master, s.gen
		s.mu.Unlock()
		for _, c := range queue {
			if c.gen != gen || master == nil {
				continue
			}
			// A host that never reads must not wedge the simulator forever.
			_ = master.SetWriteDeadline(time.Now().Add(2 * time.Second))
			if _, err := io.WriteString(master, c.data); err != nil {
				s.log.Debug("modem write failed", "err", err)
				break
			}
		}
	}
}

// write queues raw bytes for the host. Caller holds mu.
func (s *Sim) write(data string) {
	if s.closed || s.unplugged || data == "" {
		return
	}
	s.log.Debug("modem out", "data", data)
	s.outQ = append(s.outQ, outChunk{gen: s.gen, data: data})
	select {
	case s.outSignal <- struct{}{}:
	default:
	}
}

// after runs fn under mu once d has passed, unless the simulator closed or
// the modem rebooted in between.
func (s *Sim) after(d time.Duration, fn func()) {
	if s.closed {
		return
	}
	epoch := s.epoch
	var t *time.Timer
	t = time.AfterFunc(d, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.closed {
			return
		}
		delete(s.timers, t)
		if s.epoch != epoch {
			return
		}
		fn()
	})
	s.timers[t] = struct{}{}
}

func (s *Sim) noiseLoop() {
	defer s.wg.Done()
	for {
		s.mu.Lock()
		interval := s.noiseInterval
		s.mu.Unlock()
		var tick <-chan time.Time
		var timer *time.Timer
		if interval > 0 {
			timer = time.NewTimer(interval)
			tick = timer.C
		}
		select {
		case <-s.done:
			if timer != nil {
				timer.Stop()
			}
			return
		case <-s.noiseKick:
			if timer != nil {
				timer.Stop()
			}
		case <-tick:
			s.mu.Lock()
			if s.noiseActive() {
				s.write(frame(s.nextNoise()))
			}
			s.mu.Unlock()
		}
	}
}

// noiseActive reports whether noise URCs should be emitted now. Caller holds mu.
func (s *Sim) noiseActive() bool {
	return s.noiseInterval > 0 && !s.curcOff && !s.unplugged && !s.isHung() && !s.booting
}

var fallbackNoise = []string{"+STIN: 99", "^RSSI:18", "^MODE:5,4"}

func (s *Sim) nextNoise() string {
	lines := s.prof.NoiseURCs
	if len(lines) == 0 {
		lines = fallbackNoise
	}
	line := lines[s.noiseNext%len(lines)]
	s.noiseNext++
	return line
}

func frame(line string) string { return "\r\n" + line + "\r\n" }

func (s *Sim) isHung() bool { return time.Now().Before(s.hungUntil) }

// powerOn puts the modem in its boot state and, if announce, emits the
// boot URCs. Caller holds mu.
func (s *Sim) powerOn(announce bool) {
	s.epoch++
	s.echo = s.prof.EchoAtStart
	s.cmee = 0
	s.cmgf = 0
	s.cscs = "GSM"
	s.cnmi = s.prof.CNMIDefault
	s.csms = 0
	s.cregN = 0
	s.fun = 1
	s.mems = s.prof.DefaultMemories
	s.curcOff = false
	s.booting = false
	s.pinState = "READY"
	if s.opts.PIN != "" {
		s.pinState = "SIM PIN"
	}
	s.pinTries = 0
	s.inbuf = nil
	s.busy = false
	s.inPrompt = false
	s.heldURCs = nil
	s.requeueUnacked()
	if announce {
		for _, line := range s.prof.BootURCs {
			s.write(frame(line))
		}
	}
	s.releaseHeld()
}

// Hang makes the modem read and discard everything for d while the device stays.
func (s *Sim) Hang(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	s.hang(d)
}

// HangOn arms a hang: the next command line that starts with prefix (say
// "AT+CMGR") is swallowed unanswered and the modem hangs for d, as one that
// chokes on reading a message does. It fires once.
func (s *Sim) HangOn(prefix string, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hangOn, s.hangFor = strings.ToUpper(prefix), d
}

// hang starts a hang of d. Caller holds mu.
func (s *Sim) hang(d time.Duration) {
	s.hungUntil = time.Now().Add(d)
	s.inbuf = nil
	if s.inPrompt {
		s.inPrompt = false
		s.busy = false
	}
	s.after(d, func() {
		if !s.isHung() {
			s.flushURCs()
		}
	})
}

// Unplug closes the pty and removes the link; after d a new pty under a
// different /dev/pts number appears behind the same link, freshly booted.
func (s *Sim) Unplug(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || s.unplugged {
		return
	}
	old := s.pts
	s.detach()
	s.unplugged = true
	s.epoch++
	s.busy, s.inPrompt, s.inbuf, s.heldURCs = false, false, nil, nil
	_ = os.Remove(s.link)
	s.log.Debug("modem unplugged", "pts", old)
	s.after(d, func() { s.replug(old) })
}

func (s *Sim) replug(old string) {
	master, slave, err := openPty(old)
	if err == nil {
		err = pointLink(s.link, slave.Name())
		if err != nil {
			_ = master.Close()
			_ = slave.Close()
		}
	}
	if err != nil {
		s.log.Error("modem replug failed; retrying", "err", err)
		s.after(100*time.Millisecond, func() { s.replug(old) })
		return
	}
	s.attach(master, slave)
	s.log.Debug("modem replugged", "pts", s.pts)
	s.powerOn(true)
}

// Reboot emits the boot URCs and resets volatile state, like a brown-out.
func (s *Sim) Reboot() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || s.unplugged {
		return
	}
	s.powerOn(true)
}

// URCInAnswer arms an unsolicited line to land inside the answer of the
// next command line that starts with prefix (say "AT+CIMI"), before its
// first information line, as modems put reports such as ^NDISSTAT or +CGEV
// wherever they happen to be. Each call arms one answer.
func (s *Sim) URCInAnswer(prefix, line string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inAnswer = append(s.inAnswer, armedURC{strings.ToUpper(prefix), line})
}

// FailSends makes the next n AT+CMGS answer "+CMS ERROR: <cmsCode>".
func (s *Sim) FailSends(n int, cmsCode int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failN, s.failCode = n, cmsCode
}

// DelaySends makes the next n AT+CMGS answer only after d; the late answer still arrives.
func (s *Sim) DelaySends(n int, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.delayN, s.delayD = n, d
}

// SetRegistration sets the +CREG stat; sends fail with CMS 331 unless it is 1 or 5.
func (s *Sim) SetRegistration(stat int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.reg == stat {
		return
	}
	s.reg = stat
	if s.cregN > 0 && !s.closed {
		s.urc(s.cregURC())
	}
}

// SetNoise emits the profile's noise URCs every interval, also between the
// lines of responses; 0 turns noise off.
func (s *Sim) SetNoise(interval time.Duration) {
	s.mu.Lock()
	s.noiseInterval = interval
	s.mu.Unlock()
	select {
	case s.noiseKick <- struct{}{}:
	default:
	}
}

// Commands returns the AT command lines received so far.
func (s *Sim) Commands() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.commands...)
}

// Describe summarises the simulator state for humans.
func (s *Sim) Describe() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var b strings.Builder
	fmt.Fprintf(&b, "profile %s at %s -> %s", s.prof.Name, s.link, s.pts)
	switch {
	case s.closed:
		b.WriteString(" (closed)")
	case s.unplugged:
		b.WriteString(" (unplugged)")
	case s.isHung():
		b.WriteString(" (hung)")
	}
	b.WriteString("\n")
	fmt.Fprintf(&b, "echo %v, CMEE %d, CMGF %d, CNMI %d,%d,%d,%d,%d, CSMS %d, CFUN %d, SIM %s, CREG stat %d\n",
		s.echo, s.cmee, s.cmgf, s.cnmi[0], s.cnmi[1], s.cnmi[2], s.cnmi[3], s.cnmi[4], s.csms, s.fun, s.pinState, s.regStat())
	used, total := s.storageCounts()
	fmt.Fprintf(&b, "storage %s %d/%d (first index %d), %d held for lack of space or radio\n",
		s.mems[2], used, total, s.prof.FirstIndex, len(s.held))
	fmt.Fprintf(&b, "sent %d messages, last MR %d, %d partial outgoing sets, %d commands received\n",
		len(s.sent), s.mr, len(s.partials), len(s.commands))
	if s.noiseInterval > 0 && !s.curcOff {
		fmt.Fprintf(&b, "noise every %s\n", s.noiseInterval)
	}
	if s.failN > 0 {
		fmt.Fprintf(&b, "next %d sends fail with CMS %d\n", s.failN, s.failCode)
	}
	if s.delayN > 0 {
		fmt.Fprintf(&b, "next %d sends answer after %s\n", s.delayN, s.delayD)
	}
	for _, op := range s.moneyOps {
		b.WriteString(op.describe() + "\n")
	}
	return b.String()
}
