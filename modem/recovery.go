package modem

import (
	"context"
	"errors"
	"io"

	"github.com/mifos-edge/mifos-edge/modem/atcmd"
)

// State is the modem's condition as Status shows it.
type State string

const (
	// StateOpening: the device is open, nothing sent yet.
	StateOpening State = "opening"
	// StateInitialising: the start-up commands are running (or waiting for
	// a SIM or a PIN).
	StateInitialising State = "initialising"
	// StateReady: SMS go in and out.
	StateReady State = "ready"
	// StateGone: the device path does not exist or cannot be opened.
	StateGone State = "gone"
	// StateUnresponsive: the device is there, but every rung of the
	// recovery ladder failed; it is retried now and then.
	StateUnresponsive State = "unresponsive"
)

// The recovery ladder: when the modem stops answering, each rung is tried
// in turn, and the next only when the one before did not bring it back
// (docs/modem.md §8). A modem that answers again starts at the bottom.
// The bottom rung, ESC then AT (a stuck prompt or a half-written PDU), is
// tried inside the session on every failed command (session.failed);
// these are the rungs above it, taken when a session ends mute.
type rung int

const (
	// rungReopen: close the device and open it again.
	rungReopen rung = iota + 1
	// rungReset: AT+CFUN=1,1, the modem restarts and re-enumerates.
	rungReset
	// rungReport: say the modem is unresponsive and retry now and then.
	rungReport
)

// ladder counts the sessions in a row that ended with the modem mute.
// Invariant: mute is 0 whenever the modem last answered an init.
type ladder struct{ mute int }

// answered puts the ladder back to the bottom.
func (l *ladder) answered() { l.mute = 0 }

// climb records a session that ended mute and says what to try next.
func (l *ladder) climb() rung {
	l.mute++
	switch {
	case l.mute == 1:
		return rungReopen
	case l.mute == 2:
		return rungReset
	}
	return rungReport
}

// maxCatchUps bounds the catch-ups after recoveries in a row, so a modem
// that answers AT but times out on every read cannot keep the driver in a
// loop of timeouts; the periodic sweep tries again later.
const maxCatchUps = 2

// failed decides whether err ends the ready state. A timeout gets an ESC+AT
// recovery attempt before the modem counts as unresponsive; once the modem
// answers again, what may have arrived meanwhile is read at once (catchUp).
func (s *session) failed(ctx context.Context, err error) (bool, endKind) {
	for catchUps := 0; ; catchUps++ {
		switch {
		case answered(err):
			return false, 0
		case ctx.Err() != nil:
			return true, endCancelled
		case errors.Is(err, atcmd.ErrClosed):
			return true, endGone
		}
		s.m.log.Warn("the modem stopped answering; trying ESC and AT", "error", err)
		if rerr := s.port.Escape(ctx); errors.Is(rerr, atcmd.ErrClosed) {
			return true, endGone
		} else if rerr != nil {
			s.m.update(func(st *Status) { st.LastError = "the modem stopped answering: " + err.Error() })
			return true, endUnresponsive
		}
		s.m.noteOK()
		if catchUps == maxCatchUps {
			s.m.log.Warn("the modem answers again but timed out on reading its messages after each recovery; the periodic sweep tries again")
			return false, 0
		}
		s.m.log.Info("the modem answers again; reading what arrived while it hung")
		err = s.catchUp(ctx)
	}
}

// resetModem asks a mute modem to restart (AT+CFUN=1,1) and waits for it to re-enumerate.
func (m *Modem) resetModem(ctx context.Context, conn io.ReadWriteCloser) {
	m.log.Warn("modem still not answering after a reopen; asking it to restart (AT+CFUN=1,1)")
	// Written past the AT layer (nothing is read any more), so traced here.
	m.log.Debug("AT sent", "line", "<ESC>AT+CFUN=1,1")
	_, _ = io.WriteString(conn, "\x1bAT+CFUN=1,1\r")
	conn.Close()
	m.setState(StateGone, "restarting the modem after it stopped answering")
	m.sleep(ctx, m.resetWait)
}
