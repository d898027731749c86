package console

import (
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mifos-edge/mifos-edge/handler"
	"github.com/mifos-edge/mifos-edge/phone"
	"github.com/mifos-edge/mifos-edge/store"
)

// Messenger queues an SMS typed by a person, as `mifos-edge send` does.
type Messenger interface {
	QueueSMS(to, text, origin string) (id uint64, parts int, err error)
}

// How far back the messages page looks: the latest messages of each
// queue. A conversation older than that is not shown; the page stays
// quick on a box with a year of SMS.
const (
	messagesScan  = 2000
	conversations = 30
	maxSMSText    = 800 // five or six SMS parts
)

type line struct {
	At    time.Time
	In    bool
	Text  string
	State string // outbound only
}

type conversation struct {
	Phone string
	Last  time.Time
	Count int
}

type messagesData struct {
	Phone   string // E.164 of the conversation shown; "" for the list
	Typed   string // what was typed in the search box
	Lines   []line
	Recent  []conversation
	Text    string // the SMS being written, kept after an error
	CanSend bool
}

func (c *Console) messagesPage(w http.ResponseWriter, r *http.Request, s *session) {
	p := page{Title: "Messages", Tab: "messages", User: &s.ConsoleSession}
	q := r.URL.Query()
	if q.Get("m") == "queued" {
		p.Notice = "The SMS is queued; it goes out as soon as the modem can send it."
	}
	c.showMessages(w, s, http.StatusOK, p, strings.TrimSpace(q.Get("phone")), "")
}

// showMessages renders one conversation when typed is a phone number, or
// the latest conversations.
func (c *Console) showMessages(w http.ResponseWriter, s *session, status int, p page, typed, text string) {
	data := &messagesData{Typed: typed, Text: text, CanSend: c.d.Messenger != nil && !s.Offline}
	in, err := c.d.DB.ListMessages("", messagesScan)
	var out []store.Outbound
	if err == nil {
		out, err = c.d.DB.ListOutbound("", messagesScan)
	}
	if err != nil {
		c.d.Logger.Error("console messages page failed", "err", err)
		p.Error = "The box could not read its messages; try again."
		c.render(w, http.StatusInternalServerError, p, c.messagesHTML(data))
		return
	}
	if typed != "" {
		e164, err := phone.Normalize(typed, c.d.Country)
		if err != nil {
			p.Error = fmt.Sprintf("%q is not a phone number this box can read; type it like +256712345678 or 0712345678.", typed)
			c.render(w, http.StatusUnprocessableEntity, p, c.messagesHTML(data))
			return
		}
		data.Phone = e164
		for _, m := range in {
			if c.same(m.Sender, e164) {
				data.Lines = append(data.Lines, line{At: m.ReceivedAt, In: true, Text: shownText(m)})
			}
		}
		for _, o := range out {
			if c.same(o.To, e164) {
				data.Lines = append(data.Lines, line{At: o.CreatedAt, Text: o.Shown(), State: string(o.State)})
			}
		}
		sort.SliceStable(data.Lines, func(i, j int) bool { return data.Lines[i].At.Before(data.Lines[j].At) })
		c.render(w, status, p, c.messagesHTML(data))
		return
	}
	byPhone := map[string]*conversation{}
	note := func(raw string, at time.Time) {
		key, err := phone.Normalize(raw, c.d.Country)
		if err != nil {
			key = raw // a short code or an operator's name
		}
		cv := byPhone[key]
		if cv == nil {
			cv = &conversation{Phone: key}
			byPhone[key] = cv
		}
		cv.Count++
		if at.After(cv.Last) {
			cv.Last = at
		}
	}
	for _, m := range in {
		note(m.Sender, m.ReceivedAt)
	}
	for _, o := range out {
		note(o.To, o.CreatedAt)
	}
	for _, cv := range byPhone {
		data.Recent = append(data.Recent, *cv)
	}
	sort.Slice(data.Recent, func(i, j int) bool { return data.Recent[i].Last.After(data.Recent[j].Last) })
	if len(data.Recent) > conversations {
		data.Recent = data.Recent[:conversations]
	}
	c.render(w, status, p, c.messagesHTML(data))
}

// same reports whether raw, as a message header or the outbox has it, is
// the number e164.
func (c *Console) same(raw, e164 string) bool {
	if raw == e164 {
		return true
	}
	n, err := phone.Normalize(raw, c.d.Country)
	return err == nil && n == e164
}

// shownText is what the console shows of a received SMS. Handled
// messages are stored with their PIN blanked out already; one not handled
// yet may still hold it, so every run of digits that may be a PIN is
// hidden (docs/security.md: a PIN is never shown).
func shownText(m store.Message) string {
	if m.State == store.MessageHandled {
		return m.Text
	}
	return handler.RedactDigitRuns(handler.RedactPIN(m.Text))
}

// send queues an SMS to the conversation's number.
func (c *Console) send(w http.ResponseWriter, r *http.Request, s *session) {
	p := page{Title: "Messages", Tab: "messages", User: &s.ConsoleSession}
	typed := strings.TrimSpace(r.PostFormValue("to"))
	text := strings.TrimSpace(r.PostFormValue("text"))
	fail := func(status int, msg string) {
		p.Error = msg
		c.showMessages(w, s, status, p, typed, text)
	}
	if c.d.Messenger == nil {
		fail(http.StatusServiceUnavailable, "This box cannot send SMS from the console.")
		return
	}
	if !c.writable(s) {
		fail(http.StatusForbidden, readOnly)
		return
	}
	e164, err := phone.Normalize(typed, c.d.Country)
	if err != nil {
		fail(http.StatusUnprocessableEntity, fmt.Sprintf("%q is not a phone number this box can read; type it like +256712345678 or 0712345678.", typed))
		return
	}
	switch n := utf8.RuneCountInString(text); {
	case n == 0:
		fail(http.StatusUnprocessableEntity, "Write the message first.")
		return
	case n > maxSMSText:
		fail(http.StatusUnprocessableEntity, fmt.Sprintf("The message is %d characters long; at most %d can be sent.", n, maxSMSText))
		return
	case !utf8.ValidString(text):
		fail(http.StatusUnprocessableEntity, "The message contains characters that cannot be sent.")
		return
	}
	id, parts, err := c.d.Messenger.QueueSMS(e164, text, "console:"+s.Username)
	if err != nil {
		fail(http.StatusUnprocessableEntity, "The SMS could not be queued: "+err.Error())
		return
	}
	c.d.Logger.Info("console queued an SMS", "user", s.Username, "outbox_id", id, "parts", parts)
	seeOther(w, r, "/console/messages?m=queued&phone="+url.QueryEscape(e164))
}

// readOnly is what a session signed in without Mifos is told when it
// tries to change something.
const readOnly = "You signed in while Mifos could not be reached, so this session is read-only. Enter your password on Loans once Mifos answers, or sign in again."

// writable reports whether the session may change things: not when it
// was signed in against the stored hash only.
func (c *Console) writable(s *session) bool { return !s.Offline }

// messagesHTML is the search form and one conversation (with the form to
// answer) or the latest conversations.
func (c *Console) messagesHTML(d *messagesData) func(h *htmlWriter) {
	return func(h *htmlWriter) {
		h.raw(`
<form method="get" action="/console/messages" class="card search">
<label for="phone">Phone number</label>
<input id="phone" name="phone" type="tel"`)
		h.attr("value", d.Typed)
		h.raw(` inputmode="tel" autocomplete="off">
<button type="submit">Show conversation</button>
</form>
`)
		if d.Phone != "" {
			h.raw("\n<section class=\"card\">\n<h2>")
			h.text(d.Phone)
			h.raw("</h2>\n")
			if len(d.Lines) == 0 {
				h.raw("<p>No messages with this number (among the latest 2000 each way).</p>")
			}
			h.raw("\n")
			for _, l := range d.Lines {
				if l.In {
					h.raw("\n<div class=\"sms in\">\n<p class=\"small\">received")
				} else {
					h.raw("\n<div class=\"sms out\">\n<p class=\"small\">sent · ")
					h.text(l.State)
				}
				h.raw(" · ")
				h.text(c.when(l.At))
				h.raw("</p>\n<p>")
				h.text(l.Text)
				h.raw("</p>\n</div>\n")
			}
			h.raw("\n</section>\n")
			if d.CanSend {
				h.raw(`
<form method="post" action="/console/messages" class="card">
<input type="hidden" name="to"`)
				h.attr("value", d.Phone)
				h.raw(">\n<label for=\"text\">New SMS to ")
				h.text(d.Phone)
				h.raw(`</label>
<textarea id="text" name="text" rows="4" maxlength="800" required>`)
				h.text(d.Text)
				h.raw(`</textarea>
<button type="submit">Send</button>
</form>
`)
			}
			h.raw("\n\n")
			return
		}
		h.raw("\n<section class=\"card\">\n<h2>Latest conversations</h2>\n")
		if len(d.Recent) == 0 {
			h.raw("<p>No SMS yet.</p>")
		}
		h.raw("\n")
		for _, cv := range d.Recent {
			h.raw("\n<div class=\"item\"><a")
			h.link("href", queryTo("/console/messages", url.Values{"phone": {cv.Phone}}))
			h.raw(">")
			h.text(cv.Phone)
			h.raw("</a> <span class=\"small\">· ")
			h.int(int64(cv.Count))
			h.raw(" SMS · ")
			h.text(c.when(cv.Last))
			h.raw("</span></div>\n")
		}
		h.raw("\n</section>\n\n")
	}
}
