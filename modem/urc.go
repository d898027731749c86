package modem

import (
	"context"
	"strings"

	"github.com/mifos-edge/mifos-edge/modem/atcmd"
)

func isBootURC(line string) bool {
	for _, p := range []string{"RDY", "SMS Ready", "+QIND: SMS DONE", "+CPIN:", "+CFUN: 1", "^SYSSTART"} {
		if strings.HasPrefix(line, p) {
			return true
		}
	}
	return false
}

func (s *session) handleURC(ctx context.Context, u atcmd.URC, armBoot func()) error {
	m := s.m
	switch u.Kind {
	// A late answer may be the PDU of a read that timed out: Redact keeps
	// its text (an officer's PIN, say) out of the log.
	case atcmd.Stale:
		m.log.Warn("late answer from the modem after a timeout", "line", atcmd.Redact(u.Line))
		return nil
	case atcmd.Unknown:
		m.log.Warn("unexpected line from the modem", "line", atcmd.Redact(u.Line))
		return nil
	}
	line := u.Line
	switch {
	case strings.HasPrefix(line, "+CMTI:"), strings.HasPrefix(line, "+CDSI:"):
		store, index, ok := parseCMTI(line)
		if !ok {
			return s.sweepAll(ctx)
		}
		if err := s.readIndex(ctx, store, index); err != nil {
			return err
		}
		if strings.HasPrefix(line, "+CDSI:") && s.extra["SR"] && store != "SR" {
			// Announced in the wrong store (Quectel EC25): it is in "SR".
			if err := s.sweepStore(ctx, "SR"); err != nil {
				return err
			}
			return s.selectStore(ctx, s.store)
		}
		return nil
	case strings.HasPrefix(line, "+CDS:") && s.ds == 1:
		s.pushedReport(ctx, u)
	case strings.HasPrefix(line, "+CMT:"), strings.HasPrefix(line, "+CDS:"):
		m.log.Warn("the modem pushed a message instead of storing it; its indication settings were changed, re-initialising")
		s.deliverPushed(ctx, u)
		armBoot()
	case isBootURC(line):
		armBoot()
	case strings.HasPrefix(line, "+CREG:"):
		// The unsolicited form has no <n> ("+CREG: <stat>[,<lac>,<ci>]"),
		// except on modems that put it there anyway.
		if reg, ok := parseRegistration(afterColon(line)); ok {
			m.update(func(st *Status) { st.Registration, st.RegistrationText = reg, registrationText(reg) })
			m.log.Info("network registration changed", "registration", registrationText(reg))
		}
	case strings.HasPrefix(line, "^SMMEMFULL"), strings.HasPrefix(line, `+QIND: "smsfull"`):
		m.log.Warn("the modem says its message storage is full; sweeping", "line", line)
		return s.sweepAll(ctx)
	}
	// Other indications (signal, network mode, ...) need nothing; the AT trace shows them.
	return nil
}
