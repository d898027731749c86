package console

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/mifos-edge/mifos-edge/mifos"
)

// Reminders is the daemon's reminder run (the remind command): the
// overdue clients of one group or one officer's groups, queued unless
// dryRun.
type Reminders interface {
	Remind(ctx context.Context, groupID, staffID int64, dryRun bool) (ReminderRun, error)
}

// ReminderRun is what a reminder run found (and queued, unless a dry run).
type ReminderRun struct {
	Summary string
	List    []Reminder
	Queued  bool
}

// Reminder is one client to remind.
type Reminder struct {
	Name, Phone, AccountNo string
	Overdue                string // amount as people read it
	Meeting                string
	Text                   string
}

// remindTimeout bounds a reminder run (it reads every group's loans),
// inside the HTTP server's one-minute write timeout.
const remindTimeout = 50 * time.Second

type remindersData struct {
	Group, Staff string // as typed
	Run          *ReminderRun
	CanSend      bool
}

// remindersPage shows the form and, when a group or officer is given, the
// preview: who would get which SMS. Nothing is sent from here.
func (c *Console) remindersPage(w http.ResponseWriter, r *http.Request, s *session) {
	q := r.URL.Query()
	p := page{Title: "Reminders", Tab: "reminders", User: &s.ConsoleSession}
	if q.Get("m") == "sent" {
		p.Notice = fmt.Sprintf("%s reminders queued; they go out as soon as the modem can send them.", strconv.FormatInt(parseID(q.Get("n")), 10))
	}
	data := &remindersData{Group: strings.TrimSpace(q.Get("group")), Staff: strings.TrimSpace(q.Get("staff"))}
	if data.Group == "" && data.Staff == "" && q.Get("preview") == "" && s.StaffID != 0 {
		data.Staff = strconv.FormatInt(s.StaffID, 10)
	}
	if q.Get("preview") == "" {
		c.render(w, http.StatusOK, p, remindersHTML(data))
		return
	}
	status, run, msg := c.remind(r.Context(), data, true)
	p.Error = msg
	data.Run = run
	data.CanSend = run != nil && len(run.List) > 0 && c.writable(s)
	c.render(w, status, p, remindersHTML(data))
}

// sendReminders queues the reminders for the group or officer previewed.
// The list is made again: clients reminded since the preview are left
// out, as the reminder run leaves out anyone reminded today.
func (c *Console) sendReminders(w http.ResponseWriter, r *http.Request, s *session) {
	p := page{Title: "Reminders", Tab: "reminders", User: &s.ConsoleSession}
	data := &remindersData{Group: strings.TrimSpace(r.PostFormValue("group")), Staff: strings.TrimSpace(r.PostFormValue("staff"))}
	if !c.writable(s) {
		p.Error = readOnly
		c.render(w, http.StatusForbidden, p, remindersHTML(data))
		return
	}
	status, run, msg := c.remind(r.Context(), data, false)
	if msg != "" {
		p.Error = msg
		data.Run = run
		c.render(w, status, p, remindersHTML(data))
		return
	}
	c.d.Logger.Info("console queued reminders", "user", s.Username, "group_id", data.Group, "staff_id", data.Staff, "count", len(run.List))
	seeOther(w, r, "/console/reminders?m=sent&n="+strconv.Itoa(len(run.List)))
}

// remind validates the form and runs the reminders; msg is the error for
// the person, with its status.
func (c *Console) remind(ctx context.Context, d *remindersData, dryRun bool) (int, *ReminderRun, string) {
	if c.d.Reminders == nil {
		return http.StatusServiceUnavailable, nil, "Reminders need the Mifos link, and this box has none ([mifos] in its configuration)."
	}
	group, staff := int64(0), int64(0)
	if d.Group != "" {
		if group = parseID(d.Group); group <= 0 {
			return http.StatusUnprocessableEntity, nil, fmt.Sprintf("The group %q is not a Mifos group number.", d.Group)
		}
	}
	if d.Staff != "" {
		if staff = parseID(d.Staff); staff <= 0 {
			return http.StatusUnprocessableEntity, nil, fmt.Sprintf("The officer %q is not a Mifos staff number.", d.Staff)
		}
	}
	switch {
	case group == 0 && staff == 0:
		return http.StatusUnprocessableEntity, nil, "Give a group number or an officer's staff number."
	case group != 0:
		staff, d.Staff = 0, "" // a group is the narrower choice
	}
	ctx, cancel := context.WithTimeout(ctx, remindTimeout)
	defer cancel()
	run, err := c.d.Reminders.Remind(ctx, group, staff, dryRun)
	if err != nil {
		switch a := mifos.Classify(err); {
		case errors.Is(err, mifos.ErrNotFound):
			return http.StatusNotFound, nil, "Mifos has no such group or officer."
		case a.Offline():
			return http.StatusServiceUnavailable, nil, "Mifos cannot be reached, so the overdue list cannot be made now. Try again when the link is back (see Status)."
		}
		c.d.Logger.Error("console reminder run failed", "err", err)
		return http.StatusBadGateway, nil, "The overdue list could not be made: " + err.Error()
	}
	return http.StatusOK, &run, ""
}

// remindersHTML is the form, the preview or outcome of a run, and the
// button that sends what the preview showed.
func remindersHTML(d *remindersData) func(h *htmlWriter) {
	return func(h *htmlWriter) {
		h.raw(`
<form method="get" action="/console/reminders" class="card">
<input type="hidden" name="preview" value="1">
<p>Who is overdue in one group, or in all groups of one loan officer. You see the list first; nothing is sent until you press Send.</p>
<label for="group">Group number</label>
<input id="group" name="group"`)
		h.attr("value", d.Group)
		h.raw(` inputmode="numeric">
<label for="staff">or officer's staff number</label>
<input id="staff" name="staff"`)
		h.attr("value", d.Staff)
		h.raw(` inputmode="numeric">
<button type="submit">Preview</button>
</form>
`)
		if run := d.Run; run != nil {
			h.raw("\n<section class=\"card\">\n\n<h2>")
			// The summary is the one REMIND answers by SMS after queueing:
			// on a preview it would say "queued".
			if run.Queued || len(run.List) == 0 {
				h.text(run.Summary)
			} else {
				h.raw("Preview: ")
				h.int(int64(len(run.List)))
				h.raw(" client(s) overdue. Nothing is sent yet.")
			}
			h.raw("</h2>\n")
			for _, r := range run.List {
				h.raw("\n<div class=\"item\">\n<p><strong>")
				h.text(r.Name)
				h.raw("</strong> · ")
				h.text(r.AccountNo)
				h.raw(" · overdue ")
				h.text(r.Overdue)
				h.suffix(" · meeting ", r.Meeting)
				h.raw("</p>\n<p class=\"small\">")
				h.text(r.Phone)
				h.raw(": ")
				h.text(r.Text)
				h.raw("</p>\n</div>\n")
			}
			h.raw("\n</section>\n")
		}
		h.raw("\n")
		if d.CanSend && d.Run != nil {
			h.raw(`
<form method="post" action="/console/reminders" class="card">
<input type="hidden" name="group"`)
			h.attr("value", d.Group)
			h.raw(">\n<input type=\"hidden\" name=\"staff\"")
			h.attr("value", d.Staff)
			h.raw(">\n<button type=\"submit\">Send the reminders (")
			h.int(int64(len(d.Run.List)))
			h.raw(")</button>\n</form>\n")
		}
		h.raw("\n")
	}
}
