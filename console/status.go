package console

import (
	"fmt"
	"net/http"
	"time"

	"github.com/mifos-edge/mifos-edge/modem"
	"github.com/mifos-edge/mifos-edge/store"
)

// Status is what the status page shows; the daemon gathers it.
type Status struct {
	Started time.Time
	Modem   modem.Status
	Store   store.Stats
	Oldest  store.Oldest
	Link    Link
}

// Link is the state of the Fineract link.
type Link struct {
	Configured bool // [mifos] is set
	Online     bool // Fineract answered the latest call
	// LastSuccess is the latest time Fineract answered well (a posting
	// settled, a setup check passed); zero when not known.
	LastSuccess time.Time
	// LastError is the latest error on the link and when it happened.
	LastError   string
	LastErrorAt time.Time
	// CheckedAt is the last setup check; Checks its failed items.
	CheckedAt time.Time
	Checks    []Check
}

// Check is one failed item of the Fineract setup check.
type Check struct {
	Name, Detail, Fix string
}

// Problem is something wrong, in plain words, and what to do about it.
type Problem struct {
	What, Do string
}

// Thresholds past which waiting is a problem worth a person's attention.
const (
	modemSilentAfter  = 5 * time.Minute
	outboxLateAfter   = 15 * time.Minute
	inboxLateAfter    = 5 * time.Minute
	journalLateAfter  = 30 * time.Minute
	weakSignal        = 10 // RSSI below this is "marginal" (modem's own scale)
	storageNearlyFull = 2  // free places left on the SIM
)

// Problems lists what is wrong, most urgent first.
func (s Status) Problems(now time.Time) []Problem {
	var out []Problem
	add := func(what, do string) { out = append(out, Problem{What: what, Do: do}) }
	m := s.Modem
	switch {
	case m.State != modem.StateReady:
		state := string(m.State)
		if state == "" {
			state = "not opened yet"
		}
		what := fmt.Sprintf("The modem is not working (%s): no SMS are received or sent.", state)
		if m.LastError != "" {
			what = fmt.Sprintf("The modem is not working (%s: %s): no SMS are received or sent.", state, m.LastError)
		}
		add(what, "Check that the modem is plugged in and its light is on, and that the SIM card sits in it. If it stays so for 10 minutes, unplug the modem, wait 10 seconds and plug it in again.")
	case m.Registration != 1 && m.Registration != 5:
		add(fmt.Sprintf("The modem is not on the mobile network (%s).", m.RegistrationText),
			"Check that the SIM card is active and has credit, and move the modem or its antenna to where phones get a signal.")
	case m.SignalRSSI >= 0 && m.SignalRSSI < weakSignal:
		add(fmt.Sprintf("The mobile signal is weak (%s): SMS may be slow or lost.", m.SignalText),
			"Move the modem or its antenna near a window or higher up, using a USB extension cable.")
	}
	if m.State == modem.StateReady && !m.LastOK.IsZero() && now.Sub(m.LastOK) > modemSilentAfter {
		add(fmt.Sprintf("The modem has not answered since %s.", clock(m.LastOK, now)),
			"Wait a few minutes; the box restarts the modem by itself. If it does not come back, unplug and plug in the modem.")
	}
	if m.StorageTotal > 0 && m.StorageTotal-m.StorageUsed <= storageNearlyFull {
		add(fmt.Sprintf("The SIM's message storage is nearly full (%d of %d): new SMS may be refused by the network.", m.StorageUsed, m.StorageTotal),
			"The box empties it as it reads messages; if it stays full, restart the modem.")
	}
	l := s.Link
	if l.Configured && !l.Online {
		what := "Mifos cannot be reached: payments are kept on the box and posted when it is back; loans cannot be approved."
		if l.LastError != "" {
			what += " Last error: " + l.LastError
		}
		add(what, "Check the branch's internet connection. If other sites work, tell the person who runs Mifos.")
	}
	for _, c := range l.Checks {
		do := c.Fix
		if do == "" {
			do = "Tell the person who runs Mifos."
		}
		add(fmt.Sprintf("Mifos setup: %s: %s", c.Name, c.Detail), do)
	}
	st := s.Store
	if st.Journal.Failed > 0 {
		add(fmt.Sprintf("%d payment postings failed and need a person.", st.Journal.Failed),
			"Open Money, read why each failed, fix it in Mifos, then press Requeue.")
	}
	if !s.Oldest.Journal.IsZero() && now.Sub(s.Oldest.Journal) > journalLateAfter {
		add(fmt.Sprintf("Payments wait to be posted to Mifos since %s.", clock(s.Oldest.Journal, now)),
			"They are posted when Mifos answers again; see the Mifos link below.")
	}
	if st.Failed > 0 {
		add(fmt.Sprintf("%d SMS could not be sent.", st.Failed),
			"Usually a wrong phone number or a SIM without credit: check the SIM credit first. The box's log says why each failed.")
	}
	if st.Unknown > 0 {
		add(fmt.Sprintf("%d SMS may or may not have gone out (the modem did not confirm).", st.Unknown),
			"Ask the recipients if they got them before sending again.")
	}
	if !s.Oldest.Outbox.IsZero() && now.Sub(s.Oldest.Outbox) > outboxLateAfter {
		add(fmt.Sprintf("SMS wait to go out since %s.", clock(s.Oldest.Outbox, now)),
			"Check the modem above; SMS go out as soon as it works.")
	}
	if !s.Oldest.Inbox.IsZero() && now.Sub(s.Oldest.Inbox) > inboxLateAfter {
		add(fmt.Sprintf("Received SMS wait to be answered since %s.", clock(s.Oldest.Inbox, now)),
			"They wait for Mifos; see the Mifos link below.")
	}
	if st.Parked > 0 {
		add(fmt.Sprintf("%d received SMS are parked for a person to read.", st.Parked),
			"They were not understood as a command; the box's administrator reads them from the box's control socket (`messages` operation).")
	}
	return out
}

type statusData struct {
	Status
	Problems []Problem
	Now      time.Time
}

func (c *Console) statusPage(w http.ResponseWriter, r *http.Request, s *session) {
	st, err := c.d.Box.Status(r.Context())
	p := page{Title: "Status", Tab: "status", User: &s.ConsoleSession}
	if err != nil {
		c.d.Logger.Error("console status failed", "err", err)
		p.Error = "The box could not read its own state; try again."
		c.render(w, http.StatusInternalServerError, p, nil)
		return
	}
	now := c.d.Now()
	c.render(w, http.StatusOK, p, c.statusHTML(statusData{Status: st, Problems: st.Problems(now), Now: now}))
}

// statusHTML is the status page: problems first, then the modem, the
// queues and the Fineract link.
func (c *Console) statusHTML(d statusData) func(h *htmlWriter) {
	return func(h *htmlWriter) {
		h.raw("\n")
		if len(d.Problems) > 0 {
			h.raw(`
<section class="card problems">
<h2>Problems</h2>
<ol>
`)
			for _, p := range d.Problems {
				h.raw(`<li><p class="what">`)
				h.text(p.What)
				h.raw(`</p><p class="do">What to do: `)
				h.text(p.Do)
				h.raw("</p></li>\n")
			}
			h.raw("\n</ol>\n</section>\n")
		} else {
			h.raw("\n<p class=\"ok\">All is well: the modem works, and nothing waits too long.</p>\n")
		}
		m := d.Modem
		h.raw(`
<section class="card">
<h2>Modem</h2>
<dl>
<dt>State</dt><dd>`)
		h.text(string(m.State))
		h.suffix(" — ", m.LastError)
		h.raw("</dd>\n<dt>Signal</dt><dd>")
		h.textOr(m.SignalText, "not known yet")
		h.raw("</dd>\n<dt>Network</dt><dd>")
		h.textOr(m.RegistrationText, "not known yet")
		h.suffix(" — ", m.Operator)
		h.raw("</dd>\n<dt>SIM storage</dt><dd>")
		if m.StorageTotal != 0 {
			h.int(int64(m.StorageUsed))
			h.raw(" of ")
			h.int(int64(m.StorageTotal))
			h.raw(" used")
		} else {
			h.raw("not known yet")
		}
		h.raw("</dd>\n<dt>Last answer</dt><dd>")
		h.text(c.when(m.LastOK))
		h.raw("</dd>\n<dt>Reconnects</dt><dd>")
		h.int(int64(m.Reconnects))
		h.raw("</dd>\n</dl>\n</section>\n")

		// count writes a number and what it counts.
		count := func(n int, label markup) {
			h.int(int64(n))
			h.raw(" " + label)
		}
		oldest := func(t time.Time) {
			if !t.IsZero() {
				h.raw(" (oldest ")
				h.text(c.when(t))
				h.raw(")")
			}
		}
		st, j := d.Store, d.Store.Journal
		h.raw(`<section class="card">
<h2>Queues</h2>
<dl>
<dt>Received</dt><dd>`)
		count(st.Pending, "waiting")
		oldest(d.Oldest.Inbox)
		h.raw(", ")
		count(st.Handled, "answered, ")
		count(st.Parked, "parked")
		h.raw("</dd>\n<dt>To send</dt><dd>")
		count(st.Queued, "queued")
		oldest(d.Oldest.Outbox)
		h.raw(", ")
		count(st.Submitting, "sending, ")
		count(st.Submitted, "sent, ")
		count(st.Unknown, "unconfirmed, ")
		count(st.Failed, "failed")
		h.raw("</dd>\n<dt>Postings</dt><dd>")
		count(j.Pending, "waiting")
		oldest(d.Oldest.Journal)
		h.raw(", ")
		count(j.Posting, "posting, ")
		count(j.Done, "posted, ")
		count(j.AwaitingApproval, "awaiting a checker, ")
		count(j.Failed, "failed")
		h.raw("</dd>\n</dl>\n</section>\n")

		l := d.Link
		h.raw("<section class=\"card\">\n<h2>Mifos link</h2>\n")
		if l.Configured {
			h.raw("\n<dl>\n<dt>Now</dt><dd>")
			if l.Online {
				h.raw("answering")
			} else {
				h.raw("not answering")
			}
			h.raw("</dd>\n<dt>Last success</dt><dd>")
			h.text(c.when(l.LastSuccess))
			h.raw("</dd>\n<dt>Last error</dt><dd>")
			if l.LastError != "" {
				h.text(l.LastError)
				h.raw(" (")
				h.text(c.when(l.LastErrorAt))
				h.raw(")")
			} else {
				h.raw("none")
			}
			h.raw("</dd>\n<dt>Setup check</dt><dd>")
			h.text(c.when(l.CheckedAt))
			switch {
			case len(l.Checks) > 0:
				h.raw(", ")
				h.int(int64(len(l.Checks)))
				h.raw(" problem(s)")
			case !l.CheckedAt.IsZero():
				h.raw(", all right")
			}
			h.raw("</dd>\n</dl>\n")
		} else {
			h.raw("\n<p>This box has no Mifos link: it only answers SMS it can answer alone.</p>\n")
		}
		h.raw("\n</section>\n<p class=\"small\">Box running since ")
		h.text(c.when(d.Started))
		h.raw(".</p>\n")
	}
}
