package modem

import (
	"context"
	"strings"
)

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
		operator := ""
		if reg == 1 || reg == 5 {
			// A modem that will not name its network (some answer +CME
			// ERROR before the SIM is ready) just shows none.
			lines, err = s.cmd(ctx, "AT+COPS?", t, "+COPS:")
			if !answered(err) {
				return err
			}
			operator, _ = parseCOPS(lines)
		}
		m.update(func(st *Status) { st.Operator = operator })
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
