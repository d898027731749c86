package modem

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/mifos-edge/mifos-edge/modem/atcmd"
)

// errMute means the modem did not answer AT within atRetryFor.
var errMute = errors.New("the modem does not answer AT commands")

// needsHelp is an init failure the modem reports clearly (no SIM, PIN needed):
// retrying at once would not help, so the driver waits and reports it.
type needsHelp struct{ msg string }

func (e *needsHelp) Error() string { return e.msg }

// session is one open of the device.
type session struct {
	m     *Modem
	port  *atcmd.Port
	store string          // primary message store chosen at init ("" if the modem never named one)
	mem1  string          // store currently selected for reading and deleting
	extra map[string]bool // other stores a +CMTI pointed at; swept too
	cnmi  string          // the AT+CNMI arguments init set; "" if none was accepted
}

func (m *Modem) session(ctx context.Context, conn io.ReadWriteCloser, stuck *int) endKind {
	port := atcmd.New(conn, atcmd.WithLogger(m.log), atcmd.WithQuietGap(m.quietGap), atcmd.WithResyncTimeout(m.resyncWithin))
	defer port.Close()
	s := &session{m: m, port: port, extra: map[string]bool{}}
	for {
		m.setState("initialising", "")
		if end, ok := s.initUntilDone(ctx); !ok {
			return s.finish(end)
		}
		*stuck = 0
		m.setState("ready", "")
		m.setReady(port)
		end, reinit := s.serve(ctx)
		m.clearReady()
		if !reinit {
			return s.finish(end)
		}
		m.log.Info("modem restarted by itself (boot messages seen); initialising again")
	}
}

func (s *session) finish(end endKind) endKind {
	if end == endGone {
		reason := "the modem device went away"
		if err := s.port.Err(); err != nil {
			reason = err.Error()
		}
		s.m.setState("gone", reason)
	}
	return end
}

// initUntilDone runs init until it succeeds, the port dies, or the modem is mute.
func (s *session) initUntilDone(ctx context.Context) (endKind, bool) {
	for {
		err := s.init(ctx)
		if err == nil {
			return 0, true
		}
		var help *needsHelp
		switch {
		case ctx.Err() != nil:
			return endCancelled, false
		case errors.Is(err, atcmd.ErrClosed):
			return endGone, false
		case errors.As(err, &help):
			s.m.setState("initialising", help.msg)
			s.m.log.Warn("modem needs attention", "problem", help.msg)
			if end, ok := s.waitForChange(ctx, s.m.retryWait); !ok {
				return end, false
			}
		default:
			s.m.update(func(st *Status) { st.LastError = err.Error() })
			s.m.log.Warn("modem did not answer during init", "error", err)
			return endUnresponsive, false
		}
	}
}

// waitForChange pauses before another init attempt; a boot URC (SIM inserted,
// modem restarted) cuts the pause short.
func (s *session) waitForChange(ctx context.Context, d time.Duration) (endKind, bool) {
	t := time.NewTimer(d)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			return 0, true
		case <-ctx.Done():
			return endCancelled, false
		case <-s.port.Closed():
			return endGone, false
		case u := <-s.port.URCs():
			if isBootURC(u.Line) {
				return 0, true
			}
		}
	}
}

// cmd runs one command and records that the modem answered.
func (s *session) cmd(ctx context.Context, cmd string, timeout time.Duration, expect ...string) ([]string, error) {
	lines, err := s.port.Command(ctx, cmd, timeout, expect...)
	var modemErr *atcmd.Error
	if err == nil || errors.As(err, &modemErr) {
		s.m.noteOK()
	}
	return lines, err
}

// answered reports whether err is nil or a final error from the modem (it is listening).
func answered(err error) bool {
	var modemErr *atcmd.Error
	// A garbled answer is still an answer: the modem is alive.
	return err == nil || errors.As(err, &modemErr) || errors.Is(err, atcmd.ErrGarbled)
}

func (s *session) init(ctx context.Context) error {
	m := s.m
	t := m.cfg.CommandTimeout
	if err := s.wake(ctx); err != nil {
		return err
	}
	for _, c := range []string{"ATE0", "AT+CMEE=1"} {
		if _, err := s.cmd(ctx, c, t); !answered(err) {
			return err
		}
	}
	if err := s.unlockSIM(ctx); err != nil {
		return err
	}
	if err := s.retryUntilAccepted(ctx, "AT+CMGF=0"); err != nil {
		return err
	}
	if lines, err := s.cmd(ctx, "AT+CSCA?", t, "+CSCA:"); !answered(err) {
		return err
	} else if smsc, ok := parseCSCA(lines); ok {
		m.update(func(st *Status) { st.SMSC = smsc })
		if smsc == "" {
			m.log.Warn("the modem has no SMS service centre number set; sending will fail until one is set (for example init_commands = ['+CSCA=\"+<number>\",145'])")
		}
	}
	if err := s.chooseStorage(ctx); err != nil {
		return err
	}
	if err := s.chooseIndications(ctx); err != nil {
		return err
	}
	if err := s.identify(ctx); err != nil {
		return err
	}
	for _, c := range m.cfg.InitCommands {
		if _, err := s.cmd(ctx, "AT"+c, t); !answered(err) {
			return err
		} else if err != nil {
			m.log.Warn("extra init command refused", "command", "AT"+c, "error", err)
		}
	}
	return s.pollStatus(ctx)
}

// wake clears a half-entered SMS (ESC) and knocks with AT while the modem boots.
func (s *session) wake(ctx context.Context) error {
	deadline := time.Now().Add(s.m.atRetryFor)
	err := s.port.Escape(ctx)
	for {
		switch {
		case err == nil:
			return nil
		case errors.Is(err, atcmd.ErrClosed), ctx.Err() != nil:
			return err
		case !time.Now().Before(deadline):
			return errMute
		}
		_, err = s.cmd(ctx, "AT", 500*time.Millisecond)
		if answered(err) {
			return nil
		}
	}
}

// retryUntilAccepted repeats cmd while the modem refuses it, for up to
// atRetryFor: SMS commands fail until the SMS subsystem has started.
func (s *session) retryUntilAccepted(ctx context.Context, cmd string) error {
	deadline := time.Now().Add(s.m.atRetryFor)
	for {
		_, err := s.cmd(ctx, cmd, s.m.cfg.CommandTimeout)
		if err == nil || !answered(err) {
			return err
		}
		if !time.Now().Before(deadline) {
			return &needsHelp{fmt.Sprintf("the modem keeps refusing %s (%v)", cmd, err)}
		}
		if !s.pause(ctx, time.Second) {
			return ctx.Err()
		}
	}
}

func (s *session) pause(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// unlockSIM waits for the SIM to be ready, sending the configured PIN at most
// once, and never again once the SIM has rejected it.
func (s *session) unlockSIM(ctx context.Context) error {
	m := s.m
	deadline := time.Now().Add(m.atRetryFor)
	for {
		lines, err := s.port.Command(ctx, "AT+CPIN?", m.cfg.CommandTimeout, "+CPIN:")
		state, ok := parseCPIN(lines)
		// Old Wavecom firmware answers +CPIN: READY without a final OK.
		if !ok && !answered(err) {
			return err
		}
		s.m.noteOK()
		if code, isCME := atcmd.CMECode(err); isCME {
			switch code {
			case 10:
				return &needsHelp{"no SIM card is inserted in the modem"}
			case 11:
				state, ok = "SIM PIN", true
			case 12:
				state, ok = "SIM PUK", true
			case 13:
				return &needsHelp{"the SIM card has failed; take it out and reseat it"}
			}
		}
		if ok {
			switch state {
			case "READY":
				m.mu.Lock()
				m.pinPending = false // accepted: after a modem reboot it may be sent once more
				m.mu.Unlock()
				return nil
			case "SIM PIN":
				if err := s.sendPIN(ctx); err != nil {
					return err
				}
			case "SIM PUK":
				return &needsHelp{"the SIM card is blocked (PUK needed) after wrong PINs; unlock it in a phone with the PUK from the operator"}
			case "NOT INSERTED":
				return &needsHelp{"no SIM card is inserted in the modem"}
			case "NOT READY":
			default:
				return &needsHelp{fmt.Sprintf("the SIM card asks for %q, which this daemon cannot give", state)}
			}
		}
		if !time.Now().Before(deadline) {
			m.mu.Lock()
			pending := m.pinPending
			m.mu.Unlock()
			if pending {
				return &needsHelp{"the SIM card has not confirmed the PIN; if this lasts, check modem.pin and restart the service (the PIN is never sent twice without the SIM accepting it, so it cannot get blocked)"}
			}
			return &needsHelp{"the SIM card is not ready yet (still busy or starting)"}
		}
		if !s.pause(ctx, time.Second) {
			return ctx.Err()
		}
	}
}

func (s *session) sendPIN(ctx context.Context) error {
	m := s.m
	m.mu.Lock()
	rejected, pending := m.pinRejected, m.pinPending
	m.mu.Unlock()
	switch {
	case m.cfg.PIN == "":
		return &needsHelp{"the SIM card asks for its PIN; set modem.pin in the configuration"}
	case rejected:
		return &needsHelp{"the SIM card refused the configured PIN; fix modem.pin and restart (the PIN is not retried, so the SIM does not get blocked)"}
	case pending:
		// Sent, and the SIM has not said READY since: it may still be
		// checking it, or its answer was lost. Sending again could burn
		// one of the SIM's three tries, across reopens too.
		return nil
	}
	m.mu.Lock()
	m.pinPending = true
	m.mu.Unlock()
	m.log.Info("sending the configured SIM PIN")
	_, err := s.port.Command(ctx, `AT+CPIN="`+m.cfg.PIN+`"`, m.cfg.CommandTimeout)
	if err == nil {
		return nil
	}
	if !answered(err) {
		return err
	}
	m.mu.Lock()
	m.pinRejected = true
	m.mu.Unlock()
	return &needsHelp{"the SIM card refused the configured PIN; fix modem.pin and restart (the PIN is not retried, so the SIM does not get blocked)"}
}

func (s *session) chooseStorage(ctx context.Context) error {
	t := s.m.cfg.CommandTimeout
	lines, err := s.cmd(ctx, "AT+CPMS=?", t, "+CPMS:")
	if !answered(err) {
		return err
	}
	var stores []string
	if err == nil && len(lines) > 0 {
		stores = chooseStores(parseStoreGroups(afterColon(lines[0])))
	}
	if len(stores) == 0 {
		stores = []string{"SM", "SM", "SM"}
	}
	quoted := make([]string, len(stores))
	for i, st := range stores {
		quoted[i] = strconv.Quote(st)
	}
	_, err = s.cmd(ctx, "AT+CPMS="+strings.Join(quoted, ","), t, "+CPMS:")
	if !answered(err) {
		return err
	}
	if err == nil {
		s.store, s.mem1 = stores[0], stores[0]
		return nil
	}
	s.m.log.Warn("the modem refused the message store selection; using its current store", "stores", stores, "error", err)
	lines, err = s.cmd(ctx, "AT+CPMS?", t, "+CPMS:")
	if !answered(err) {
		return err
	}
	if name, _, _, ok := parseCPMSQuery(lines); ok {
		s.store, s.mem1 = name, name
	}
	return nil
}

// chooseIndications sets +CNMI from the ranges the modem advertises; only if
// it advertises none do common defaults get tried.
func (s *session) chooseIndications(ctx context.Context) error {
	t := s.m.cfg.CommandTimeout
	lines, err := s.cmd(ctx, "AT+CNMI=?", t, "+CNMI:")
	if !answered(err) {
		return err
	}
	var candidates []string
	if err == nil && len(lines) > 0 {
		groups, perr := parseRangeGroups(afterColon(lines[0]))
		if perr == nil {
			args, indicates, cerr := chooseCNMI(groups)
			if cerr != nil {
				s.m.log.Warn("no usable new-message indication setting; relying on periodic sweeps", "reason", cerr)
				return nil
			}
			if !indicates {
				s.m.log.Warn("the modem cannot announce stored messages (+CMTI); relying on periodic sweeps")
			}
			candidates = []string{args}
		} else {
			s.m.log.Warn("could not read the modem's indication ranges", "answer", lines[0], "error", perr)
		}
	}
	if candidates == nil {
		candidates = []string{"2,1,0,0,0", "1,1,0,0,0", "2,1"}
	}
	for _, c := range candidates {
		_, err := s.cmd(ctx, "AT+CNMI="+c, t)
		if err == nil {
			s.m.log.Info("new-message indications set", "cnmi", c)
			s.cnmi = c
			return nil
		}
		if !answered(err) {
			return err
		}
	}
	s.m.log.Warn("the modem refused every new-message indication setting; relying on periodic sweeps")
	return nil
}

func (s *session) identify(ctx context.Context) error {
	m := s.m
	values := map[string]string{}
	for _, c := range []string{"AT+CGSN", "AT+CIMI", "AT+CGMI", "AT+CGMM"} {
		lines, err := s.cmd(ctx, c, m.cfg.CommandTimeout)
		if !answered(err) {
			return err
		}
		if err == nil && len(lines) > 0 {
			v := lines[0]
			if strings.HasPrefix(v, "+") {
				v = afterColon(v)
			}
			values[c] = strings.Trim(v, `" `)
		}
	}
	var prevIMSI string
	m.update(func(st *Status) {
		prevIMSI = st.IMSI
		st.IMEI, st.IMSI = values["AT+CGSN"], values["AT+CIMI"]
		st.Manufacturer, st.Model = values["AT+CGMI"], values["AT+CGMM"]
	})
	m.log.Info("modem identity", "imei", values["AT+CGSN"], "imsi", values["AT+CIMI"],
		"manufacturer", values["AT+CGMI"], "model", values["AT+CGMM"])
	if prevIMSI != "" && values["AT+CIMI"] != "" && prevIMSI != values["AT+CIMI"] {
		m.log.Warn("the SIM card changed", "previous_imsi", prevIMSI, "imsi", values["AT+CIMI"])
	}
	return nil
}

func (s *session) pollStatus(ctx context.Context) error {
	m := s.m
	t := m.cfg.CommandTimeout
	lines, err := s.cmd(ctx, "AT+CSQ", t, "+CSQ:")
	if !answered(err) {
		return err
	}
	if rssi, ok := parseCSQ(lines); ok {
		m.update(func(st *Status) { st.SignalRSSI, st.SignalText = rssi, signalText(rssi) })
	}
	lines, err = s.cmd(ctx, "AT+CREG?", t, "+CREG:")
	if !answered(err) {
		return err
	}
	if reg, ok := parseCREG(lines); ok {
		m.update(func(st *Status) { st.Registration, st.RegistrationText = reg, registrationText(reg) })
	}
	if err := s.checkIndications(ctx); err != nil {
		return err
	}
	lines, err = s.cmd(ctx, "AT+CPMS?", t, "+CPMS:")
	if !answered(err) {
		return err
	}
	if _, used, total, ok := parseCPMSQuery(lines); ok {
		m.update(func(st *Status) { st.StorageUsed, st.StorageTotal = used, total })
		if total > 0 && used*100 >= total*80 {
			m.log.Warn("the modem's message storage is nearly full; new SMS stop arriving when it is full", "used", used, "total", total)
		}
	}
	return nil
}

// checkIndications re-asserts the CNMI setting when the modem has dropped
// it: an unacknowledged +CMT, ATZ or another program (ModemManager) resets
// mt to 0, after which no +CMTI arrives and replies wait for the next sweep.
func (s *session) checkIndications(ctx context.Context) error {
	if s.cnmi == "" {
		return nil
	}
	t := s.m.cfg.CommandTimeout
	lines, err := s.cmd(ctx, "AT+CNMI?", t, "+CNMI:")
	if !answered(err) {
		return err
	}
	if err != nil || len(lines) == 0 {
		return nil // a modem without the query form; sweeps still run
	}
	if sameIndications(afterColon(lines[0]), s.cnmi) {
		return nil
	}
	s.m.log.Warn("the modem's new-message indication setting changed; setting it again", "now", afterColon(lines[0]), "want", s.cnmi)
	if _, err := s.cmd(ctx, "AT+CNMI="+s.cnmi, t); !answered(err) {
		return err
	}
	s.m.Sweep()
	return nil
}

// sameIndications compares the mode and mt fields, the ones that decide
// whether +CMTI arrives.
func sameIndications(got, want string) bool {
	g, w := splitFields(got), splitFields(want)
	for i := 0; i < 2; i++ {
		if i >= len(g) || i >= len(w) || strings.TrimSpace(g[i]) != strings.TrimSpace(w[i]) {
			return false
		}
	}
	return true
}

func (s *session) sweepTimeout() time.Duration { return max(4*s.m.cfg.CommandTimeout, 20*time.Second) }

func (s *session) selectStore(ctx context.Context, store string) error {
	if store == "" || store == s.mem1 {
		return nil
	}
	_, err := s.cmd(ctx, "AT+CPMS="+strconv.Quote(store), s.m.cfg.CommandTimeout, "+CPMS:")
	if err == nil {
		s.mem1 = store
	}
	return err
}

// sweepAll lists every known store and hands each received message to the sink.
func (s *session) sweepAll(ctx context.Context) error {
	stores := []string{s.store}
	for st := range s.extra {
		if st != s.store {
			stores = append(stores, st)
		}
	}
	for _, st := range stores {
		if err := s.sweepStore(ctx, st); err != nil {
			return err
		}
	}
	return s.selectStore(ctx, s.store)
}

func (s *session) sweepStore(ctx context.Context, store string) error {
	if err := s.selectStore(ctx, store); err != nil {
		if answered(err) {
			s.m.log.Warn("cannot select message store", "store", store, "error", err)
			return nil
		}
		return err
	}
	lines, err := s.cmd(ctx, "AT+CMGL=4", s.sweepTimeout(), "+CMGL:")
	if err != nil {
		if answered(err) {
			s.m.log.Warn("listing stored messages failed", "store", store, "error", err)
			if errors.Is(err, atcmd.ErrGarbled) {
				s.m.Sweep() // nothing was deleted; list again soon
			}
			return nil
		}
		return err
	}
	entries, bad := parseCMGL(lines)
	for _, b := range bad {
		s.m.log.Warn("unreadable message list entry left on the modem", "line", b)
	}
	for _, e := range entries {
		if e.stat > 1 {
			continue // stored outgoing messages are not ours
		}
		if err := s.deliver(ctx, store, e); err != nil {
			return err
		}
	}
	return nil
}

// readIndex reads the message a +CMTI announced.
func (s *session) readIndex(ctx context.Context, store string, index int) error {
	if store != "" && store != s.store {
		s.extra[store] = true
	}
	if err := s.selectStore(ctx, store); err != nil {
		if answered(err) {
			s.m.log.Warn("cannot select the store a new message was announced in", "store", store, "error", err)
			return nil
		}
		return err
	}
	lines, err := s.cmd(ctx, "AT+CMGR="+strconv.Itoa(index), s.sweepTimeout(), "+CMGR:")
	if err != nil {
		if !answered(err) {
			return err
		}
		if code, ok := atcmd.CMSCode(err); !ok || code != 321 {
			s.m.log.Warn("reading an announced message failed; the next sweep retries", "store", store, "index", index, "error", err)
		}
		if errors.Is(err, atcmd.ErrGarbled) {
			s.m.Sweep()
		}
		return s.selectStore(ctx, s.store)
	}
	if stat, n, pdu, ok := parseCMGR(lines); ok {
		if stat <= 1 {
			if err := s.deliver(ctx, store, listEntry{index: index, stat: stat, length: n, pdu: pdu}); err != nil {
				return err
			}
		}
	} else if len(lines) > 0 {
		s.m.log.Warn("could not understand an announced message; sweeping its store", "answer", lines[0])
		if err := s.sweepStore(ctx, store); err != nil {
			return err
		}
	}
	return s.selectStore(ctx, s.store)
}

// deliver hands a stored message to the sink and deletes it only once the sink has it durably.
func (s *session) deliver(ctx context.Context, store string, e listEntry) error {
	in := Inbound{Storage: store, Index: e.index, Stat: e.stat, PDU: e.pdu, TPDULen: e.length}
	if err := s.m.sink(ctx, in); err != nil {
		s.m.log.Warn("could not store a received message; it stays on the modem for the next sweep", "store", store, "index", e.index, "error", err)
		return nil
	}
	_, err := s.cmd(ctx, "AT+CMGD="+strconv.Itoa(e.index), s.m.cfg.CommandTimeout)
	if err == nil {
		return nil
	}
	if code, ok := atcmd.CMSCode(err); ok && code == 321 {
		return nil // already gone
	}
	if answered(err) {
		s.m.log.Warn("could not delete a stored message after saving it; it may be received twice", "store", store, "index", e.index, "error", err)
		return nil
	}
	return err
}

// deliverPushed hands a +CMT/+CDS pushed message to the sink; there is nothing to delete.
func (s *session) deliverPushed(ctx context.Context, u atcmd.URC) {
	if len(u.Trailing) == 0 {
		s.m.log.Warn("a pushed message arrived without its PDU", "line", u.Line)
		return
	}
	f := splitFields(afterColon(u.Line))
	n, _ := strconv.Atoi(f[len(f)-1])
	in := Inbound{Index: -1, Stat: -1, PDU: u.Trailing[0], TPDULen: n}
	if err := s.m.sink(ctx, in); err != nil {
		s.m.log.Error("a message pushed by the modem could not be stored and is lost", "error", err)
	}
}

func isBootURC(line string) bool {
	for _, p := range []string{"RDY", "SMS Ready", "+QIND: SMS DONE", "+CPIN:", "+CFUN: 1", "^SYSSTART"} {
		if strings.HasPrefix(line, p) {
			return true
		}
	}
	return false
}

// serve runs the ready state: sweeps, URCs, status polls and probes. reinit
// is true when the modem announced a restart and must be initialised again.
func (s *session) serve(ctx context.Context) (end endKind, reinit bool) {
	m := s.m
	s.drainInitURCs(ctx)
	if stop, end := s.failed(ctx, s.sweepAll(ctx)); stop {
		return end, false
	}
	probe := time.NewTicker(m.cfg.ProbeInterval)
	defer probe.Stop()
	status := time.NewTicker(m.cfg.StatusInterval)
	defer status.Stop()
	sweep := time.NewTicker(m.cfg.SweepInterval)
	defer sweep.Stop()
	var bootTimer *time.Timer
	var bootC <-chan time.Time
	defer func() {
		if bootTimer != nil {
			bootTimer.Stop()
		}
	}()
	armBoot := func() {
		if bootTimer == nil {
			bootTimer = time.NewTimer(m.bootSettle)
			bootC = bootTimer.C
			return
		}
		bootTimer.Reset(m.bootSettle)
	}
	for {
		var err error
		select {
		case <-ctx.Done():
			return endCancelled, false
		case <-s.port.Closed():
			return endGone, false
		case <-bootC:
			return 0, true
		case u := <-s.port.URCs():
			err = s.handleURC(ctx, u, armBoot)
		case <-sweep.C:
			err = s.sweepAll(ctx)
		case <-m.sweepReq:
			err = s.sweepAll(ctx)
		case <-status.C:
			err = s.pollStatus(ctx)
		case <-probe.C:
			if time.Since(m.Status().LastOK) >= m.cfg.ProbeInterval {
				_, err = s.cmd(ctx, "AT", m.cfg.CommandTimeout)
			}
		}
		if stop, end := s.failed(ctx, err); stop {
			return end, false
		}
	}
}

// failed decides whether err ends the ready state. A timeout gets one
// ESC+AT recovery attempt before the modem counts as unresponsive.
func (s *session) failed(ctx context.Context, err error) (bool, endKind) {
	switch {
	case answered(err):
		return false, 0
	case ctx.Err() != nil:
		return true, endCancelled
	case errors.Is(err, atcmd.ErrClosed):
		return true, endGone
	}
	s.m.log.Warn("the modem stopped answering; trying ESC and AT", "error", err)
	if rerr := s.port.Escape(ctx); rerr == nil {
		s.m.noteOK()
		return false, 0
	} else if errors.Is(rerr, atcmd.ErrClosed) {
		return true, endGone
	}
	s.m.update(func(st *Status) { st.LastError = "the modem stopped answering: " + err.Error() })
	return true, endUnresponsive
}

// drainInitURCs handles what queued up during init. Boot and SIM lines there
// describe the start-up init just handled, and +CMTI messages are picked up by
// the sweep that follows, so neither triggers anything.
func (s *session) drainInitURCs(ctx context.Context) {
	for {
		select {
		case u := <-s.port.URCs():
			if u.Kind == atcmd.Indication && (isBootURC(u.Line) || strings.HasPrefix(u.Line, "+CMTI:") || strings.HasPrefix(u.Line, "+CDSI:")) {
				if store, _, ok := parseCMTI(u.Line); ok && store != s.store {
					s.extra[store] = true
				}
				continue
			}
			_ = s.handleURC(ctx, u, func() {})
		default:
			return
		}
	}
}

func (s *session) handleURC(ctx context.Context, u atcmd.URC, armBoot func()) error {
	m := s.m
	switch u.Kind {
	case atcmd.Stale:
		m.log.Warn("late answer from the modem after a timeout", "line", u.Line)
		return nil
	case atcmd.Unknown:
		m.log.Warn("unexpected line from the modem", "line", u.Line)
		return nil
	}
	line := u.Line
	switch {
	case strings.HasPrefix(line, "+CMTI:"), strings.HasPrefix(line, "+CDSI:"):
		store, index, ok := parseCMTI(line)
		if !ok {
			return s.sweepAll(ctx)
		}
		return s.readIndex(ctx, store, index)
	case strings.HasPrefix(line, "+CMT:"), strings.HasPrefix(line, "+CDS:"):
		m.log.Warn("the modem pushed a message instead of storing it; its indication settings were changed, re-initialising")
		s.deliverPushed(ctx, u)
		armBoot()
	case isBootURC(line):
		armBoot()
	case strings.HasPrefix(line, "+CREG:"):
		// The unsolicited form has no <n>: "+CREG: <stat>[,<lac>,<ci>]".
		if reg, err := strconv.Atoi(splitFields(afterColon(line))[0]); err == nil {
			m.update(func(st *Status) { st.Registration, st.RegistrationText = reg, registrationText(reg) })
			m.log.Info("network registration changed", "registration", registrationText(reg))
		}
	case strings.HasPrefix(line, "^SMMEMFULL"), strings.HasPrefix(line, `+QIND: "smsfull"`):
		m.log.Warn("the modem says its message storage is full; sweeping", "line", line)
		return s.sweepAll(ctx)
	default:
		m.log.Debug("modem notice", "line", line)
	}
	return nil
}
