package atcmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// URCKind tells why a line reached the URC channel.
type URCKind int

const (
	// Indication is a known unsolicited result code (+CMTI, ^RSSI, RDY, ...).
	Indication URCKind = iota
	// Unknown is a line nobody asked for and that is not in the URC table; log it.
	Unknown
	// Stale is a leftover answer to an earlier, timed-out command (for example a
	// late +CMGS), seen while resynchronising or while no command runs.
	Stale
)

func (k URCKind) String() string {
	switch k {
	case Indication:
		return "indication"
	case Unknown:
		return "unknown"
	case Stale:
		return "stale"
	}
	return fmt.Sprintf("URCKind(%d)", int(k))
}

// URC is an unsolicited line, with the lines that belong to it (the PDU of a +CMT).
type URC struct {
	Kind     URCKind
	Line     string
	Trailing []string
}

const (
	esc   = "\x1b"
	ctrlZ = "\x1a"
)

// Option configures a Port.
type Option func(*Port)

// WithLogger sets where the port reports dropped URCs and, at DEBUG, where
// it writes the AT trace (trace.go).
func WithLogger(l *slog.Logger) Option { return func(p *Port) { p.log = l } }

// WithQuietGap sets how long the line must stay silent before a resync is
// considered complete (default 200 ms).
func WithQuietGap(d time.Duration) Option { return func(p *Port) { p.quietGap = d } }

// WithResyncTimeout bounds the AT exchange of a resync and the wait for quiet (default 2 s).
func WithResyncTimeout(d time.Duration) Option { return func(p *Port) { p.resyncTimeout = d } }

// Port runs AT commands one at a time over a byte stream and separates
// unsolicited lines from command replies.
type Port struct {
	rw            io.ReadWriter
	log           *slog.Logger
	traceText     bool // the trace shows SMS PDUs whole
	quietGap      time.Duration
	resyncTimeout time.Duration

	urcs      chan URC
	closed    chan struct{}
	closeOnce sync.Once
	turn      fifoLock
	lastRx    atomic.Int64 // unix nanoseconds of the last byte read

	mu       sync.Mutex
	active   *request
	err      error
	draining bool // resync waits for quiet: unclaimed replies are stale

	// Owned by the holder of turn.
	dirty     bool // a command timed out: its answer may still arrive
	escNeeded bool // an SMS prompt may still be open

	// Owned by the reader goroutine.
	trailLeft int
	trailURC  *URC
	trailReq  *request
	// What handling one line decided to hand out; handed out only once the
	// line is traced, so the trace never shows an answer after the command
	// it let through.
	queued   []URC
	finished []finish
}

// finish is a request's result waiting to be handed to its caller.
type finish struct {
	req *request
	res result
}

type request struct {
	expect   []string
	lines    []string
	resync   bool
	pdu      string        // once set, a line echoing it is swallowed
	prompt   chan struct{} // non-nil for SMS; closed when the '>' prompt arrives
	prompted bool
	// garbled: a URC that carries its own PDU line arrived where this
	// request's PDU line was due, so which line is whose is unknowable.
	garbled bool
	done    chan result // buffered; receives exactly one result
	// own is the command's name ("+CGMI") when it declares no prefixes:
	// the only result code its answer may carry.
	own string
	// setter: the command sets a value (AT+CREG=2); a line with its name
	// that the URC table knows is the indication it may just have enabled.
	setter bool
}

type result struct {
	lines []string
	err   error
}

// New starts reading from rw. If rw is also an io.Closer, Close closes it.
func New(rw io.ReadWriter, opts ...Option) *Port {
	p := &Port{
		rw:            rw,
		log:           slog.New(slog.DiscardHandler),
		quietGap:      200 * time.Millisecond,
		resyncTimeout: 2 * time.Second,
		urcs:          make(chan URC, 256),
		closed:        make(chan struct{}),
	}
	for _, o := range opts {
		o(p)
	}
	p.lastRx.Store(time.Now().UnixNano())
	go p.readLoop()
	return p
}

// URCs delivers unsolicited lines. It is never closed; watch Closed instead.
func (p *Port) URCs() <-chan URC { return p.urcs }

// Closed is closed once the port stops working (read or write failure, or Close).
func (p *Port) Closed() <-chan struct{} { return p.closed }

// Err says why the port closed; nil while it works. After Close it is ErrClosed.
func (p *Port) Err() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

// Close stops the port; pending and later commands return ErrClosed.
func (p *Port) Close() {
	p.fail(ErrClosed)
	if c, ok := p.rw.(io.Closer); ok {
		_ = c.Close()
	}
}

// Command sends cmd (without "\r") and waits up to timeout for its final
// result. expect lists the info prefixes the command answers with (for
// example "+CSQ:"). With none (identity queries: AT+CGMI, AT+CIMI), a line
// counts as info unless it is a result code (+X:, ^X:...) other than the
// command's own: that is an unsolicited line, listed or not.
// On a final error the info lines are returned with an *Error; on timeout the
// lines received so far are returned with ErrTimeout.
func (p *Port) Command(ctx context.Context, cmd string, timeout time.Duration, expect ...string) ([]string, error) {
	if err := p.turn.acquire(ctx, p.closed); err != nil {
		return nil, err
	}
	defer p.turn.release()
	if err := p.ensureClean(ctx); err != nil {
		return nil, err
	}
	req := newCommandRequest(cmd, expect)
	if err := p.start(req, cmd+"\r"); err != nil {
		return nil, err
	}
	return p.wait(ctx, req, timeout)
}

// SMS sends cmd (AT+CMGS=<n>), waits for the prompt, writes pduHex and Ctrl-Z,
// and waits for the +CMGS answer. ErrNoPrompt means nothing was sent;
// ErrUnknownOutcome means the PDU was handed over but no result arrived.
func (p *Port) SMS(ctx context.Context, cmd, pduHex string, promptTimeout, resultTimeout time.Duration) ([]string, error) {
	if err := p.turn.acquire(ctx, p.closed); err != nil {
		return nil, err
	}
	defer p.turn.release()
	if err := p.ensureClean(ctx); err != nil {
		return nil, err
	}
	req := newRequest([]string{"+CMGS:"})
	req.prompt = make(chan struct{})
	if err := p.start(req, cmd+"\r"); err != nil {
		return nil, err
	}
	t := time.NewTimer(promptTimeout)
	defer t.Stop()
	var gaveUp error
	select {
	case <-req.prompt:
	case r := <-req.done:
		if r.err != nil {
			return r.lines, r.err // the modem refused the command itself (e.g. +CMS ERROR: 330)
		}
		// A plain OK cannot answer AT+CMGS before its prompt: it is a late
		// final of something earlier. Nothing was submitted; resync, and
		// ESC in case the real prompt still comes.
		p.dirty, p.escNeeded = true, true
		if err := p.write(esc); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("%w: a stale OK came instead of the prompt", ErrNoPrompt)
	case <-t.C:
		gaveUp = ErrNoPrompt
	case <-ctx.Done():
		gaveUp = fmt.Errorf("%w: %w", ErrNoPrompt, ctx.Err())
	}
	if gaveUp != nil {
		if _, mine := p.abandon(req); !mine {
			r := <-req.done
			return r.lines, r.err
		}
		p.dirty, p.escNeeded = true, true
		// ESC cancels a prompt that might still appear; nothing was submitted.
		if err := p.write(esc); err != nil {
			return nil, err
		}
		return nil, gaveUp
	}
	p.mu.Lock()
	req.pdu = pduHex
	p.mu.Unlock()
	// A failed write never delivered the trailing Ctrl-Z, so nothing was submitted.
	if err := p.write(pduHex + ctrlZ); err != nil {
		p.abandon(req)
		return nil, err
	}
	lines, err := p.wait(ctx, req, resultTimeout)
	if err != nil {
		var modemErr *Error
		if errors.As(err, &modemErr) {
			return lines, err
		}
		// Ctrl-Z may have been lost, leaving the prompt open.
		p.escNeeded = true
		return lines, fmt.Errorf("%w (%w)", ErrUnknownOutcome, err)
	}
	return lines, nil
}

// Escape writes ESC (abandoning any open SMS prompt) and resynchronises.
func (p *Port) Escape(ctx context.Context) error {
	if err := p.turn.acquire(ctx, p.closed); err != nil {
		return err
	}
	defer p.turn.release()
	if err := p.write(esc); err != nil {
		return err
	}
	p.dirty = true
	return p.ensureClean(ctx)
}

func newRequest(expect []string) *request {
	return &request{expect: expect, done: make(chan result, 1)}
}

// newCommandRequest is the request for cmd; without prefixes to expect, its
// answer is told apart by the command's own name.
func newCommandRequest(cmd string, expect []string) *request {
	req := newRequest(expect)
	if len(expect) == 0 {
		req.own = commandName(cmd)
		req.setter = strings.Contains(cmd, "=") && !strings.HasSuffix(cmd, "=?")
	}
	return req
}

func (p *Port) start(req *request, line string) error {
	p.mu.Lock()
	if p.err != nil {
		p.mu.Unlock()
		return ErrClosed
	}
	p.active = req
	p.mu.Unlock()
	if err := p.write(line); err != nil {
		p.abandon(req)
		return err
	}
	return nil
}

func (p *Port) wait(ctx context.Context, req *request, timeout time.Duration) ([]string, error) {
	t := time.NewTimer(timeout)
	defer t.Stop()
	var gaveUp error
	select {
	case r := <-req.done:
		return r.lines, r.err
	case <-t.C:
		gaveUp = ErrTimeout
	case <-ctx.Done():
		gaveUp = ctx.Err()
	}
	lines, mine := p.abandon(req)
	if !mine {
		r := <-req.done
		return r.lines, r.err
	}
	p.dirty = true
	return lines, gaveUp
}

// abandon detaches req from the reader. mine is false when the reader already
// completed it, in which case its result is waiting in req.done.
func (p *Port) abandon(req *request) (lines []string, mine bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.active != req {
		return nil, false
	}
	p.active = nil
	return append([]string(nil), req.lines...), true
}

func (p *Port) write(s string) error {
	p.traceWrite(s)
	if _, err := io.WriteString(p.rw, s); err != nil {
		p.fail(fmt.Errorf("writing to the modem: %w", err))
		return ErrClosed
	}
	return nil
}

// ensureClean resynchronises after a timeout so a late answer cannot complete
// the next command: ESC if a prompt may be open, AT until a final arrives,
// then drain until the line has been quiet for quietGap.
func (p *Port) ensureClean(ctx context.Context) error {
	if !p.dirty {
		return nil
	}
	if p.escNeeded {
		if err := p.write(esc); err != nil {
			return err
		}
	}
	req := newRequest(nil)
	req.resync = true
	if err := p.start(req, "AT\r"); err != nil {
		return err
	}
	if _, err := p.wait(ctx, req, p.resyncTimeout); err != nil {
		var modemErr *Error
		switch {
		case errors.As(err, &modemErr):
			// Any final proves the modem is listening again.
		case errors.Is(err, ErrClosed), ctx.Err() != nil:
			return err
		default:
			return ErrTimeout
		}
	}
	p.mu.Lock()
	p.draining = true
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		p.draining = false
		p.mu.Unlock()
	}()
	giveUp := time.Now().Add(p.resyncTimeout)
	for {
		quietFor := time.Since(time.Unix(0, p.lastRx.Load()))
		if quietFor >= p.quietGap || time.Now().After(giveUp) {
			break
		}
		t := time.NewTimer(p.quietGap - quietFor)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-p.closed:
			t.Stop()
			return ErrClosed
		}
	}
	p.dirty, p.escNeeded = false, false
	return nil
}

func (p *Port) fail(err error) {
	p.mu.Lock()
	if p.err == nil {
		p.err = err
	}
	req := p.active
	p.active = nil
	p.mu.Unlock()
	p.closeOnce.Do(func() { close(p.closed) })
	if req != nil {
		req.done <- result{lines: req.lines, err: ErrClosed}
	}
}

func (p *Port) readLoop() {
	buf := make([]byte, 1024)
	var split lineSplitter
	var toks []token
	for {
		n, err := p.rw.Read(buf)
		if n > 0 {
			p.lastRx.Store(time.Now().UnixNano())
			toks = split.feed(buf[:n], toks[:0])
			for _, t := range toks {
				if t.prompt {
					if p.tracing() {
						p.log.Debug(traceReceived, "line", ">")
					}
					p.handlePrompt()
					continue
				}
				p.handleLine(t.line)
				p.traceRead(t.line)
				p.handOut()
			}
			// The quiet gap counts from when the lines were routed, not read,
			// so a resync cannot finish while a stale line is still in flight.
			p.lastRx.Store(time.Now().UnixNano())
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			p.fail(fmt.Errorf("reading from the modem: %w", err))
			return
		}
	}
}

func (p *Port) handlePrompt() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if r := p.active; r != nil && r.prompt != nil && !r.prompted {
		r.prompted = true
		close(r.prompt)
	}
}

// emit queues u for the URC channel; handOut delivers it.
func (p *Port) emit(u URC) { p.queued = append(p.queued, u) }

// handOut delivers what handling the last line decided: URCs first, then a
// finished request (a +CMT header queued before the final that cut it short
// came first on the line).
func (p *Port) handOut() {
	for _, u := range p.queued {
		select {
		case p.urcs <- u:
		default:
			p.log.Warn("modem URC dropped because nobody is reading them", "line", Redact(u.Line))
		}
	}
	p.queued = p.queued[:0]
	for _, f := range p.finished {
		f.req.done <- f.res
	}
	p.finished = p.finished[:0]
}

func (p *Port) handleLine(line string) {
	if p.trailLeft > 0 {
		// A PDU line is never a result code; a code here slipped in between
		// header and body, whether the URC table knows it or not (a final
		// such as +CMS ERROR is handled below).
		isFinal, _ := parseFinal(line)
		if known, n := urcTrailing(line); known || codeName(line) != "" && !isFinal {
			kind := Indication
			if !known {
				kind = Unknown
			}
			if n > 0 && p.trailURC == nil {
				// A pushed SMS (+CMT) with its own PDU line: the next line may
				// be its PDU or ours. Fail the request rather than guess.
				p.mu.Lock()
				if p.trailReq != nil {
					p.trailReq.garbled = true
				}
				p.mu.Unlock()
			}
			p.emit(URC{Kind: kind, Line: line})
			return
		}
		if !isFinal {
			p.trailLeft--
			if p.trailURC != nil {
				p.trailURC.Trailing = append(p.trailURC.Trailing, line)
				if p.trailLeft == 0 {
					p.emit(*p.trailURC)
					p.trailURC = nil
				}
				return
			}
			p.mu.Lock()
			stillActive := p.active == p.trailReq
			if stillActive {
				p.trailReq.lines = append(p.trailReq.lines, line)
			}
			p.mu.Unlock()
			if !stillActive {
				p.emit(URC{Kind: Stale, Line: line})
			}
			return
		}
		// A final where the trailing line should be: the modem sent no PDU line.
		p.trailLeft = 0
		if p.trailURC != nil {
			p.emit(*p.trailURC)
			p.trailURC = nil
		}
	}
	p.trailReq = nil

	p.mu.Lock()
	req := p.active
	if req == nil {
		draining := p.draining
		p.mu.Unlock()
		p.handleUnclaimed(line, draining)
		return
	}
	if isEcho(line) || isPDUEcho(line, req.pdu) {
		p.mu.Unlock()
		return
	}
	if isFinal, ferr := parseFinal(line); isFinal {
		p.active = nil
		p.mu.Unlock()
		var err error
		if ferr != nil {
			err = ferr
		}
		if req.garbled && err == nil {
			err = ErrGarbled
		}
		p.finished = append(p.finished, finish{req, result{lines: req.lines, err: err}})
		return
	}
	if req.resync {
		p.mu.Unlock()
		p.handleUnclaimed(line, true)
		return
	}
	if prefix, ok := matchExpected(line, req.expect); ok {
		req.lines = append(req.lines, line)
		p.mu.Unlock()
		if n := infoTrailing(prefix); n > 0 {
			p.trailLeft, p.trailReq = n, req
		}
		return
	}
	if len(req.expect) == 0 && isOwnAnswer(line, req.own, req.setter) {
		req.lines = append(req.lines, line)
		p.mu.Unlock()
		return
	}
	p.mu.Unlock()
	p.handleUnclaimed(line, false)
}

// handleUnclaimed routes a line that belongs to no command.
func (p *Port) handleUnclaimed(line string, stale bool) {
	if isEcho(line) {
		return
	}
	if known, n := urcTrailing(line); known {
		u := URC{Kind: Indication, Line: line}
		if n > 0 {
			p.trailLeft, p.trailURC = n, &u
			return
		}
		p.emit(u)
		return
	}
	isFinal, _ := parseFinal(line)
	if stale || isFinal || strings.HasPrefix(line, "+CMGS:") {
		p.emit(URC{Kind: Stale, Line: line})
		return
	}
	p.emit(URC{Kind: Unknown, Line: line})
}

// isOwnAnswer decides for a command that declared no prefixes: a line
// carrying the command's own name is its answer (for a setter, unless the
// URC table knows it); any other result code (+CGEV:, ^NDISSTAT:, in the
// URC table or not) is not, or an IMSI would become "^NDISSTAT: 1,,,IPV4";
// a line without a code (the IMSI) is, unless the table knows it (RING).
func isOwnAnswer(line, own string, setter bool) bool {
	code := codeName(line)
	known, _ := urcTrailing(line)
	if sameCommand(code, own) && !(setter && known) {
		return true
	}
	return code == "" && !known
}

func isPDUEcho(line, pdu string) bool {
	if pdu == "" {
		return false
	}
	trimmed := strings.TrimSpace(strings.ReplaceAll(line, ctrlZ, ""))
	return trimmed == pdu || (len(pdu) >= 8 && strings.Contains(trimmed, pdu))
}

// fifoLock hands the port to callers strictly in arrival order.
type fifoLock struct {
	mu      sync.Mutex
	held    bool
	waiters []chan struct{}
}

func (l *fifoLock) acquire(ctx context.Context, closed <-chan struct{}) error {
	select {
	case <-closed:
		return ErrClosed
	default:
	}
	l.mu.Lock()
	if !l.held {
		l.held = true
		l.mu.Unlock()
		return nil
	}
	ch := make(chan struct{})
	l.waiters = append(l.waiters, ch)
	l.mu.Unlock()
	var err error
	select {
	case <-ch:
		select {
		case <-closed:
			l.release()
			return ErrClosed
		default:
			return nil
		}
	case <-ctx.Done():
		err = ctx.Err()
	case <-closed:
		err = ErrClosed
	}
	l.mu.Lock()
	for i, w := range l.waiters {
		if w == ch {
			l.waiters = append(l.waiters[:i], l.waiters[i+1:]...)
			l.mu.Unlock()
			return err
		}
	}
	l.mu.Unlock()
	// The lock was handed over while we gave up: pass it on.
	l.release()
	return err
}

func (l *fifoLock) release() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.waiters) > 0 {
		next := l.waiters[0]
		l.waiters = l.waiters[1:]
		close(next)
		return
	}
	l.held = false
}
