package modem

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/mifos-edge/mifos-edge/modem/atcmd"
)

func (e *needsHelp) Error() string { return e.msg }

// session is one open of the device.
type session struct {
	m     *Modem
	port  *atcmd.Port
	store string          // primary message store chosen at init ("" if the modem never named one)
	mem1  string          // store currently selected for reading and deleting
	extra map[string]bool // other stores a +CMTI pointed at; swept too
	cnmi  string          // the AT+CNMI arguments init set; "" if none was accepted
	// ds is the status-report mode of cnmi (0 none, 1 +CDS, 2 +CDSI);
	// cnma says each +CDS needs an AT+CNMA (SMS service 1).
	ds      int
	cnma    bool
	srStore bool // the modem can read an "SR" (status report) store
}

func (m *Modem) session(ctx context.Context, conn io.ReadWriteCloser, climb *ladder) endKind {
	port := atcmd.New(conn, atcmd.WithLogger(m.log), atcmd.WithSMSTextInTrace(m.cfg.TraceSMSText),
		atcmd.WithQuietGap(m.quietGap), atcmd.WithResyncTimeout(m.resyncWithin))
	defer port.Close()
	s := &session{m: m, port: port, extra: map[string]bool{}}
	for {
		m.setState(StateInitialising, "")
		if end, ok := s.initUntilDone(ctx); !ok {
			return s.finish(end)
		}
		climb.answered()
		m.setState(StateReady, "")
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
		s.m.setState(StateGone, reason)
	}
	return end
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

// serve runs the ready state: sweeps, URCs, status polls and probes. reinit
// is true when the modem announced a restart and must be initialised again.
func (s *session) serve(ctx context.Context) (end endKind, reinit bool) {
	m := s.m
	s.drainInitURCs(ctx)
	// A session starts after a reopen, a reset or a restart: whatever came
	// meanwhile is in storage, and a read cut short is still to be done.
	if stop, end := s.failed(ctx, s.catchUp(ctx)); stop {
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
