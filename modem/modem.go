package modem

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/mifos-edge/mifos-edge/modem/atcmd"
)

// Config tells the driver which device to use and how patient to be.
type Config struct {
	Device string // path; symlinks such as /dev/serial/by-id/... are followed on every open
	Baud   int    // default 115200
	PIN    string // SIM PIN, sent at most once per device session; never logged

	CommandTimeout time.Duration // ordinary commands, default 5s
	PromptTimeout  time.Duration // wait for the SMS '>' prompt, default 5s
	SendTimeout    time.Duration // wait for +CMGS after the PDU, default 60s

	ProbeInterval  time.Duration // AT liveness probe when idle, default 30s
	StatusInterval time.Duration // +CSQ/+CREG/+CPMS poll, default 60s
	SweepInterval  time.Duration // storage sweep even without +CMTI, default 2m
	ReopenInterval time.Duration // device-path poll while it is gone, default 1s

	InitCommands []string // extra commands after init, without "AT"

	// StatusReports asks the modem to pass on the network's status
	// reports (+CNMI ds) for the SMS sent with TP-SRR set.
	StatusReports bool
	// Reports, when set, gets every status report found in storage or
	// pushed, decoded; without it they go to the message sink as they are.
	Reports ReportSink
	// Logger gets the driver's log; at DEBUG also the AT trace, every line
	// to and from the modem (docs/modem.md §12), the SIM PIN never.
	Logger *slog.Logger
	// TraceSMSText shows SMS PDUs whole in the AT trace, message text (and
	// officers' PINs) included; by default only their headers show.
	TraceSMSText bool
}

func (c Config) withDefaults() Config {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	if c.Baud == 0 {
		c.Baud = 115200
	}
	def(&c.CommandTimeout, 5*time.Second)
	def(&c.PromptTimeout, 5*time.Second)
	def(&c.SendTimeout, 60*time.Second)
	def(&c.ProbeInterval, 30*time.Second)
	def(&c.StatusInterval, 60*time.Second)
	def(&c.SweepInterval, 2*time.Minute)
	def(&c.ReopenInterval, time.Second)
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// Inbound is one received PDU as the modem printed it.
type Inbound struct {
	Storage string // store it was read from ("SM", "ME", ...); empty when pushed directly (+CMT/+CDS)
	Index   int    // storage index; -1 when pushed directly
	Stat    int    // 0 unread, 1 read (stored); -1 when pushed directly
	PDU     string // hex: SMSC field then TPDU
	TPDULen int    // the modem's TPDU length field
}

// Sink must make the message durable (fsync) before returning nil; only then
// does the modem delete it from storage. An error leaves it for the next sweep.
type Sink func(ctx context.Context, in Inbound) error

// Status is a snapshot for the status page and logs.
type Status struct {
	State            State
	Device           string
	ResolvedDevice   string
	IMEI, IMSI       string
	Manufacturer     string
	Model            string
	SignalRSSI       int
	SignalText       string
	Registration     int
	RegistrationText string
	// Operator is the network the modem is registered on, as +COPS names
	// it (long name, or "MCC MNC" when the modem gives only digits).
	Operator      string
	SMSC          string
	StorageUsed   int
	StorageTotal  int
	Since, LastOK time.Time
	Reconnects    int
	LastError     string
	// Reports is how the modem passes on status reports: "off", "pushed
	// (+CDS)" or "stored (+CDSI)"; empty before init.
	Reports string
}

// Modem owns one GSM modem: it opens, initialises, receives from storage,
// sends, watches health and reconnects.
type Modem struct {
	cfg  Config
	sink Sink
	log  *slog.Logger

	open    func(path string) (io.ReadWriteCloser, error)
	resolve func(path string) (string, error)

	atRetryFor   time.Duration // how long init keeps knocking with AT
	bootSettle   time.Duration // boot URCs come in bursts; re-init once they stop
	retryWait    time.Duration // pause before retrying an init that needs outside help
	stuckRetry   time.Duration // pause between attempts while unresponsive
	resetWait    time.Duration // time for a modem to re-enumerate after AT+CFUN=1,1
	quietGap     time.Duration
	resyncWithin time.Duration

	sweepReq chan struct{}

	// unread counts the unanswered reads of each announced message still to
	// be read again. It outlives a session: after a reopen the new session
	// knows only the main store. Owned by the Run goroutine.
	unread map[announced]int

	mu          sync.Mutex
	status      Status
	ready       *atcmd.Port
	readyWait   chan struct{}
	pinRejected bool // the SIM refused the configured PIN: never send it again
	pinPending  bool // the PIN was sent and the SIM has not shown READY since: do not send it again
}

// New prepares a driver; Run starts it.
func New(cfg Config, sink Sink) *Modem {
	cfg = cfg.withDefaults()
	m := &Modem{
		cfg:          cfg,
		sink:         sink,
		log:          cfg.Logger.With("component", "modem"),
		resolve:      resolveDevice,
		atRetryFor:   10 * time.Second,
		bootSettle:   2 * time.Second,
		retryWait:    30 * time.Second,
		stuckRetry:   30 * time.Second,
		resetWait:    20 * time.Second,
		quietGap:     200 * time.Millisecond,
		resyncWithin: 2 * time.Second,
		sweepReq:     make(chan struct{}, 1),
		unread:       map[announced]int{},
		readyWait:    make(chan struct{}),
	}
	m.open = func(path string) (io.ReadWriteCloser, error) { return openSerial(path, m.cfg.Baud) }
	m.status = Status{State: StateOpening, Device: cfg.Device, Since: time.Now(), SignalRSSI: 99, Registration: -1}
	return m
}

// Status returns a snapshot.
func (m *Modem) Status() Status {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.status
}

// Sweep asks for a storage sweep soon; it never blocks.
func (m *Modem) Sweep() {
	select {
	case m.sweepReq <- struct{}{}:
	default:
	}
}

// Send submits one PDU (SMSC field then TPDU, hex) with AT+CMGS=<tpduLen>.
// It waits until the modem is ready or ctx ends (ErrNotReady). Use Classify on errors.
func (m *Modem) Send(ctx context.Context, pduHex string, tpduLen int) (mr int, err error) {
	port, err := m.waitReady(ctx)
	if err != nil {
		return -1, err
	}
	// Once the command is written the exchange runs to its end (bounded by
	// the prompt and send timeouts) even if the caller stops waiting: cut
	// short, the network may have the SMS while the caller cannot know it,
	// and a clean stop would then send it twice.
	lines, err := port.SMS(context.WithoutCancel(ctx), "AT+CMGS="+strconv.Itoa(tpduLen), pduHex, m.cfg.PromptTimeout, m.cfg.SendTimeout)
	if err != nil {
		m.log.Warn("SMS send failed", "error", err)
		var modemErr *atcmd.Error
		if !errors.As(err, &modemErr) {
			// No answer: the modem may have hung, and messages that came
			// meanwhile may have lost their +CMTI. The sweep runs once the
			// port has resynchronised (or after the recovery if it cannot).
			m.Sweep()
		}
		return -1, err
	}
	m.noteOK()
	if mr, ok := parseCMGS(lines); ok {
		return mr, nil
	}
	// OK without a reference: sent, but a delivery report cannot be matched.
	return -1, nil
}

func (m *Modem) waitReady(ctx context.Context) (*atcmd.Port, error) {
	for {
		m.mu.Lock()
		port, wait := m.ready, m.readyWait
		m.mu.Unlock()
		if port != nil {
			return port, nil
		}
		select {
		case <-wait:
		case <-ctx.Done():
			return nil, ErrNotReady
		}
	}
}

func (m *Modem) setReady(port *atcmd.Port) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.ready = port
	close(m.readyWait)
}

func (m *Modem) clearReady() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.ready != nil {
		m.ready = nil
		m.readyWait = make(chan struct{})
	}
}

// setState records a state change; lastErr "" keeps the previous error text
// unless the new state is ready.
func (m *Modem) setState(state State, lastErr string) {
	m.mu.Lock()
	prev := m.status.State
	if state != prev {
		m.status.State = state
		m.status.Since = time.Now()
	}
	if lastErr != "" {
		m.status.LastError = lastErr
	}
	m.mu.Unlock()
	if state == prev {
		return
	}
	switch state {
	case StateReady:
		m.log.Info("modem ready", "device", m.cfg.Device)
	case StateGone, StateUnresponsive:
		m.log.Warn("modem "+string(state), "device", m.cfg.Device, "reason", lastErr)
	default:
		m.log.Info("modem "+string(state), "device", m.cfg.Device)
	}
}

func (m *Modem) noteOK() {
	m.mu.Lock()
	m.status.LastOK = time.Now()
	m.mu.Unlock()
}

func (m *Modem) update(fn func(s *Status)) {
	m.mu.Lock()
	fn(&m.status)
	m.mu.Unlock()
}

type endKind int

const (
	endCancelled    endKind = iota // ctx ended
	endGone                        // the device went away
	endUnresponsive                // the device is there but does not answer
)

// Run owns the device until ctx is cancelled. It returns nil then; it never
// returns because the modem went away.
func (m *Modem) Run(ctx context.Context) error {
	if m.cfg.Device == "" {
		return errors.New("no modem device configured (modem.device)")
	}
	var climb ladder
	resetNext := false
	sessions := 0
	for ctx.Err() == nil {
		resolved, err := m.resolve(m.cfg.Device)
		if err != nil {
			m.setState(StateGone, err.Error())
			m.sleep(ctx, m.cfg.ReopenInterval)
			continue
		}
		conn, err := m.open(resolved)
		if err != nil {
			m.setState(StateGone, err.Error())
			wait := m.cfg.ReopenInterval
			var locked *errLocked
			if errors.As(err, &locked) {
				wait = max(wait, 5*time.Second)
			}
			m.sleep(ctx, wait)
			continue
		}
		// "opening" is set only once the device opened, so a missing device
		// stays "gone" instead of flapping (and logging) every poll.
		m.setState(StateOpening, "")
		m.update(func(s *Status) {
			s.ResolvedDevice = resolved
			if sessions > 0 {
				s.Reconnects++
			}
		})
		sessions++
		if resetNext {
			resetNext = false
			m.resetModem(ctx, conn)
			continue
		}
		end := m.session(ctx, conn, &climb)
		switch end {
		case endCancelled:
			return nil
		case endGone:
			m.sleep(ctx, m.cfg.ReopenInterval)
		case endUnresponsive:
			switch climb.climb() {
			case rungReopen:
				// The loop opens the device again at once.
			case rungReset:
				resetNext = true
			default:
				m.setState(StateUnresponsive, "the modem does not answer AT commands, even after a reopen and a reset; check its power and USB cable")
				m.sleep(ctx, m.stuckRetry)
			}
		}
	}
	return nil
}

func (m *Modem) sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}
