package console

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/mifos-edge/mifos-edge/store"
)

func receive(t *testing.T, db *store.DB, fp, from, text string) {
	t.Helper()
	if _, err := db.AddSegment(store.Segment{Fingerprint: fp, Sender: from, SenderType: "international", Text: text, RawPDU: fp, ReceivedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
}

func TestMessagesConversationAndSend(t *testing.T) {
	r := newRig(t)
	receive(t, r.db, "fp1", "+256772000001", "PAY 482913 41 25000")
	receive(t, r.db, "fp2", "+256772000002", "BAL")
	if _, err := r.db.Enqueue(store.Outbound{To: "+256772000001", Text: "Received 25,000 UGX for loan 41"}); err != nil {
		t.Fatal(err)
	}
	b := r.browser()
	if a := b.get("/console/messages?phone=0772000001"); a.status != http.StatusSeeOther {
		t.Fatalf("messages without a session: %d", a.status)
	}
	b.mustSignIn("manager", managerPassword)
	list := b.get("/console/messages")
	// The pages write "+" as "&#43;" (as html/template did).
	if !strings.Contains(list.body, "&#43;256772000001") || !strings.Contains(list.body, "&#43;256772000002") {
		t.Errorf("latest conversations:\n%s", list.body)
	}
	// The number typed nationally finds the conversation; in a message not
	// handled yet every run of digits that may be a PIN is hidden.
	conv := b.get("/console/messages?phone=0772+000+001")
	if conv.status != 200 || !strings.Contains(conv.body, "Received 25,000 UGX for loan 41") || !strings.Contains(conv.body, "PAY **** 41 ****") {
		t.Errorf("conversation:\n%s", conv.body)
	}
	if strings.Contains(conv.body, "482913") || strings.Contains(conv.body, "BAL") {
		t.Errorf("conversation shows a PIN or another number's SMS:\n%s", conv.body)
	}
	if a := b.get("/console/messages?phone=hello"); a.status != http.StatusUnprocessableEntity || !strings.Contains(a.body, "is not a phone number") {
		t.Errorf("search for a non-number: %d", a.status)
	}
	for _, tc := range []struct {
		form url.Values
		want string
	}{
		{url.Values{"to": {"+256772000001"}, "text": {"  "}}, "Write the message first."},
		{url.Values{"to": {"+256772000001"}, "text": {strings.Repeat("a", 801)}}, "at most 800 can be sent"},
		{url.Values{"to": {"07720"}, "text": {"hi"}}, "is not a phone number"},
	} {
		a := b.post("/console/messages", tc.form)
		if a.status != http.StatusUnprocessableEntity || !strings.Contains(a.body, tc.want) {
			t.Errorf("send %v: %d, want 422 with %q\n%s", tc.form, a.status, tc.want, a.body)
		}
	}
	st, _ := r.db.Stats()
	if st.Queued != 1 {
		t.Fatalf("invalid sends queued SMS: %d queued", st.Queued)
	}
	a := b.post("/console/messages", url.Values{"to": {"+256772000001"}, "text": {"Meeting moved to Friday"}})
	if a.status != http.StatusSeeOther || a.location != "/console/messages?m=queued&phone=%2B256772000001" {
		t.Fatalf("send: %d %q\n%s", a.status, a.location, a.body)
	}
	out, _ := r.db.ListOutbound(store.OutQueued, 1)
	if len(out) != 1 || out[0].Text != "Meeting moved to Friday" || out[0].To != "+256772000001" || out[0].Origin != "console:manager" {
		t.Errorf("queued %+v", out)
	}
	if a := b.get(a.location); !strings.Contains(a.body, "The SMS is queued") || !strings.Contains(a.body, "Meeting moved to Friday") {
		t.Errorf("after sending:\n%s", a.body)
	}
}

func TestReadOnlySessionChangesNothing(t *testing.T) {
	r := newRig(t)
	b := r.browser()
	b.mustSignIn("manager", managerPassword)
	b.post("/console/signout", nil)
	r.fin.setDown(true)
	b.mustSignIn("manager", managerPassword)
	for path, form := range map[string]url.Values{
		"/console/messages":        {"to": {"+256772000001"}, "text": {"hi"}},
		"/console/reminders":       {"group": {"5"}},
		"/console/money/1/requeue": nil,
	} {
		if a := b.post(path, form); a.status != http.StatusForbidden || !strings.Contains(a.body, "read-only") {
			t.Errorf("POST %s in a read-only session: %d\n%s", path, a.status, a.body)
		}
	}
	if st, _ := r.db.Stats(); st.Queued != 0 || r.rem.queued != 0 {
		t.Error("a read-only session queued SMS")
	}
}

func TestRemindersPreviewThenSend(t *testing.T) {
	r := newRig(t)
	b := r.browser()
	b.mustSignIn("manager", managerPassword)
	form := b.get("/console/reminders")
	if !strings.Contains(form.body, `name="staff" value="3"`) {
		t.Errorf("the officer field is not filled with the user's staff number:\n%s", form.body)
	}
	prev := b.get("/console/reminders?preview=1&group=5")
	if prev.status != 200 || !strings.Contains(prev.body, "Akello Grace") || !strings.Contains(prev.body, "30,000 UGX") || !strings.Contains(prev.body, "Send the reminders (1)") {
		t.Errorf("preview:\n%s", prev.body)
	}
	if r.rem.queued != 0 {
		t.Fatal("the preview queued reminders")
	}
	for q, want := range map[string]string{
		"preview=1":           "Give a group number",
		"preview=1&group=x":   "is not a Mifos group number",
		"preview=1&staff=-3":  "is not a Mifos staff number",
		"preview=1&group=999": "Mifos has no such group or officer",
	} {
		a := b.get("/console/reminders?" + q)
		if a.status < 400 || !strings.Contains(a.body, want) {
			t.Errorf("%s: %d, want an error with %q", q, a.status, want)
		}
	}
	a := b.post("/console/reminders", url.Values{"group": {"5"}})
	if a.status != http.StatusSeeOther || a.location != "/console/reminders?m=sent&n=1" || r.rem.queued != 1 {
		t.Fatalf("send: %d %q, %d runs queued", a.status, a.location, r.rem.queued)
	}
	r.rem.down = true
	if a := b.get("/console/reminders?preview=1&staff=3"); a.status != http.StatusServiceUnavailable || !strings.Contains(a.body, "cannot be reached") {
		t.Errorf("preview with Mifos down: %d\n%s", a.status, a.body)
	}
}
