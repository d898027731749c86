package modem

import (
	"context"
	"errors"
	"fmt"
	"slices"
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
			s.m.setState(StateInitialising, help.msg)
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
	// Another program may have left the modem in UCS2, where strings such as
	// the service centre come as UTF-16 hex. A refusal is not fatal:
	// parseCSCA reads such an answer anyway.
	if _, err := s.cmd(ctx, `AT+CSCS="GSM"`, t); !answered(err) {
		return err
	} else if err != nil {
		m.log.Debug("the modem refused the GSM character set", "error", err)
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
	s.srStore = false
	if err == nil && len(lines) > 0 {
		if groups := parseStoreGroups(afterColon(lines[0])); len(groups) > 0 {
			s.srStore = slices.Contains(groups[0], "SR")
		}
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
				s.cnmi = ""
				return s.noteReports(ctx)
			}
			if !indicates {
				s.m.log.Warn("the modem cannot announce stored messages (+CMTI); relying on periodic sweeps")
			}
			candidates = []string{args}
			if s.m.cfg.StatusReports {
				candidates = cnmiWithReports(groups, args, s.srStore)
			}
		} else {
			s.m.log.Warn("could not read the modem's indication ranges", "answer", lines[0], "error", perr)
		}
	}
	if candidates == nil {
		candidates = []string{"2,1,0,0,0", "1,1,0,0,0", "2,1"}
		if s.m.cfg.StatusReports {
			candidates = append([]string{"2,1,0,1,0"}, candidates...)
		}
	}
	for _, c := range candidates {
		_, err := s.cmd(ctx, "AT+CNMI="+c, t)
		if err == nil {
			s.m.log.Info("new-message indications set", "cnmi", c)
			s.cnmi = c
			return s.noteReports(ctx)
		}
		if !answered(err) {
			return err
		}
	}
	s.m.log.Warn("the modem refused every new-message indication setting; relying on periodic sweeps")
	s.cnmi = ""
	return s.noteReports(ctx)
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
