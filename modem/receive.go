package modem

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mifos-edge/mifos-edge/modem/atcmd"
)

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
		s.m.log.Warn("unreadable message list entry left on the modem", "line", atcmd.Redact(b))
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

// maxReadTries bounds the reads of one announced message that get no
// answer; after that only the sweeps look for it.
const maxReadTries = 3

// announced names a message a +CMTI pointed at.
type announced struct {
	store string
	index int
}

// readCutShort remembers an announced message whose read got no answer, so
// that it is read again after the recovery (docs/modem.md §8).
func (m *Modem) readCutShort(a announced) {
	m.unread[a]++
	if m.unread[a] >= maxReadTries {
		delete(m.unread, a)
		m.log.Warn("an announced message could not be read; the periodic sweep looks for it", "store", a.store, "index", a.index, "tries", maxReadTries)
	}
}

// catchUp reads again each announced message whose read got no answer, then
// sweeps every store: while the modem hung, messages may have arrived whose
// +CMTI was lost, and a read may have been cut short.
func (s *session) catchUp(ctx context.Context) error {
	pending := make([]announced, 0, len(s.m.unread))
	for a := range s.m.unread {
		pending = append(pending, a)
	}
	slices.SortFunc(pending, func(a, b announced) int {
		return cmp.Or(strings.Compare(a.store, b.store), cmp.Compare(a.index, b.index))
	})
	for _, a := range pending {
		if err := s.readIndex(ctx, a.store, a.index); err != nil {
			return err
		}
	}
	return s.sweepAll(ctx)
}

// readIndex reads the message a +CMTI announced.
func (s *session) readIndex(ctx context.Context, store string, index int) error {
	if store != "" && store != s.store {
		s.extra[store] = true
	}
	a := announced{store, index}
	if err := s.selectStore(ctx, store); err != nil {
		if answered(err) {
			delete(s.m.unread, a)
			s.m.log.Warn("cannot select the store a new message was announced in", "store", store, "error", err)
			return nil
		}
		s.m.readCutShort(a)
		return err
	}
	// One message answers within the command timeout; a read cut short by a
	// hang is retried after the recovery, so waiting longer gains nothing.
	lines, err := s.cmd(ctx, "AT+CMGR="+strconv.Itoa(index), s.m.cfg.CommandTimeout, "+CMGR:")
	if answered(err) {
		delete(s.m.unread, a)
	}
	if err != nil {
		if !answered(err) {
			s.m.readCutShort(a)
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
	if err := s.m.handOver(ctx, in); err != nil {
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
	if err := s.m.handOver(ctx, in); err != nil {
		s.m.log.Error("a message pushed by the modem could not be stored and is lost", "error", err)
	}
}
