package api

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mifos-edge/mifos-edge/store"
	"github.com/mifos-edge/mifos-edge/token"
	"github.com/mifos-edge/mifos-edge/web"
)

type fixture struct {
	t      *testing.T
	db     *store.DB
	h      http.Handler
	nudges int
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "s.db"), store.Options{LockTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	f := &fixture{t: t, db: db}
	s := &Server{DB: db, Country: "KE", Nudge: func() { f.nudges++ }}
	mux := http.NewServeMux()
	mux.Handle(Prefix, s.Handler())
	f.h = web.Protect(mux)
	return f
}

func (f *fixture) token(name string, scopes ...string) string {
	f.t.Helper()
	text, id, hash, err := token.New()
	if err != nil {
		f.t.Fatal(err)
	}
	if err := f.db.AddToken(store.APIToken{ID: id, Name: name, Scopes: scopes, Hash: hash}); err != nil {
		f.t.Fatal(err)
	}
	return text
}

type answer struct {
	status int
	header http.Header
	body   []byte
}

func (a answer) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(a.body, v); err != nil {
		t.Fatalf("answer %d %s: %v", a.status, a.body, err)
	}
}

func (a answer) errorText() string {
	var e web.ErrorBody
	_ = json.Unmarshal(a.body, &e)
	return e.Error
}

func (f *fixture) do(method, path, tok, body string, hdr ...string) answer {
	f.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	r := httptest.NewRequest(method, path, rd)
	if tok != "" {
		r.Header.Set("Authorization", "Bearer "+tok)
	}
	if body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, r)
	return answer{w.Code, w.Header(), w.Body.Bytes()}
}

func TestEveryRouteNeedsItsScope(t *testing.T) {
	f := newFixture(t)
	for _, r := range Routes {
		var others []string
		for _, sc := range token.AllScopes {
			if !slices.Contains(strings.Split(r.Scope, "|"), sc) {
				others = append(others, sc)
			}
		}
		none := f.token("without "+r.Scope, others...)
		path := strings.Replace(r.Path, "{id}", "1", 1)
		body := ""
		if r.Method == "POST" {
			body = `{"to":"+254712345678","text":"hi"}`
		}
		if a := f.do(r.Method, path, "", body); r.Scope != "" && (a.status != 401 || a.header.Get("WWW-Authenticate") == "") {
			t.Errorf("%s %s without a token: %d %s", r.Method, path, a.status, a.body)
		}
		if a := f.do(r.Method, path, none, body); r.Scope != "" && a.status != 403 {
			t.Errorf("%s %s with the wrong scope: %d %s", r.Method, path, a.status, a.body)
		}
	}
	if n, _ := f.db.ListOutbound("", 0); len(n) != 0 {
		t.Errorf("refused requests queued %d SMS", len(n))
	}
}

func TestSendSMS(t *testing.T) {
	f := newFixture(t)
	tok := f.token("crm", token.ScopeSend)
	a := f.do("POST", "/api/v1/sms", tok, `{"to":"0712 345 678","text":"Your loan is approved","priority":"bulk"}`)
	if a.status != http.StatusAccepted {
		t.Fatalf("send: %d %s", a.status, a.body)
	}
	var v SMS
	a.decode(t, &v)
	if v.ID == 0 || v.To != "+254712345678" || v.State != "queued" || v.Priority != "bulk" || v.Parts != 1 {
		t.Errorf("answer %+v", v)
	}
	if a.header.Get("Location") != fmt.Sprintf("/api/v1/sms/%d", v.ID) {
		t.Errorf("Location %q", a.header.Get("Location"))
	}
	o, err := f.db.Outbound(v.ID)
	if err != nil || o.To != "+254712345678" || o.Text != "Your loan is approved" || o.Priority != store.PriorityBulk || !strings.HasPrefix(o.Origin, "api:") {
		t.Errorf("stored %+v, %v", o, err)
	}
	if f.nudges != 1 {
		t.Errorf("sender nudged %d times, want 1", f.nudges)
	}
	long := strings.Repeat("a", MaxParts*153+1)
	for _, tc := range []struct {
		body, ct string
		status   int
		want     string
	}{
		{`{"text":"hi"}`, "", 400, `"to" is required`},
		{`{"to":"hello","text":"hi"}`, "", 400, `"to": not a valid phone number`},
		{`{"to":"0722***012","text":"hi"}`, "", 400, "hidden"},
		{`{"to":"+254712345678"}`, "", 400, `"text" is required`},
		{`{"to":"+254712345678","text":""}`, "", 400, `"text" is required`},
		{`{"to":"+254712345678","text":"` + long + `"}`, "", 400, "needs 11 SMS parts"},
		{`{"to":"+254712345678","text":"hi","priority":"interactive"}`, "", 400, "kept for the box's own replies"},
		{`{"to":"+254712345678","text":"hi","priority":"urgent"}`, "", 400, `"urgent" is not a priority`},
		{`{"to":"+254712345678","text":"hi","from":"BANK"}`, "", 400, `unknown field "from"`},
		{`{"to":"+254712345678","text":`, "", 400, "malformed JSON"},
		{`{"to":"+254712345678","text":"hi"}`, "text/plain", 415, "application/json"},
		{`{"to":"+254712345678","text":"` + strings.Repeat("x", web.MaxBody) + `"}`, "", 413, "over"},
	} {
		r := httptest.NewRequest("POST", "/api/v1/sms", strings.NewReader(tc.body))
		r.Header.Set("Authorization", "Bearer "+tok)
		if tc.ct != "" {
			r.Header.Set("Content-Type", tc.ct)
		}
		w := httptest.NewRecorder()
		f.h.ServeHTTP(w, r)
		a := answer{w.Code, w.Header(), w.Body.Bytes()}
		if a.status != tc.status || !strings.Contains(a.errorText(), tc.want) {
			t.Errorf("%.60s: %d %q; want %d %q", tc.body, a.status, a.errorText(), tc.status, tc.want)
		}
	}
	if all, _ := f.db.ListOutbound("", 0); len(all) != 1 {
		t.Errorf("%d SMS queued, want only the first", len(all))
	}
}

func TestSendSMSIdempotencyKey(t *testing.T) {
	f := newFixture(t)
	crm := f.token("crm", token.ScopeSend)
	other := f.token("other", token.ScopeSend)
	body := `{"to":"+254712345678","text":"Meeting moved to Friday"}`
	first := f.do("POST", "/api/v1/sms", crm, body, "Idempotency-Key", "meeting-42")
	again := f.do("POST", "/api/v1/sms", crm, body, "Idempotency-Key", "meeting-42")
	var v1, v2 SMS
	first.decode(t, &v1)
	again.decode(t, &v2)
	if first.status != 202 || again.status != 202 || v1.ID != v2.ID {
		t.Fatalf("retry with the same key: %d id %d, then %d id %d", first.status, v1.ID, again.status, v2.ID)
	}
	if first.header.Get("Idempotent-Replayed") != "" || again.header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("Idempotent-Replayed: %q then %q", first.header.Get("Idempotent-Replayed"), again.header.Get("Idempotent-Replayed"))
	}
	if f.nudges != 1 {
		t.Errorf("a replay nudged the sender (%d nudges)", f.nudges)
	}
	// The same key with another text is a client bug, not a retry.
	if a := f.do("POST", "/api/v1/sms", crm, `{"to":"+254712345678","text":"Meeting moved to Monday"}`, "Idempotency-Key", "meeting-42"); a.status != 422 {
		t.Errorf("same key, other text: %d %s", a.status, a.body)
	}
	// Keys belong to their token.
	var v3 SMS
	a := f.do("POST", "/api/v1/sms", other, body, "Idempotency-Key", "meeting-42")
	a.decode(t, &v3)
	if a.status != 202 || v3.ID == v1.ID {
		t.Errorf("another token's key: %d id %d (first id %d)", a.status, v3.ID, v1.ID)
	}
	// No key: every request is a new SMS.
	f.do("POST", "/api/v1/sms", crm, body)
	if all, _ := f.db.ListOutbound("", 0); len(all) != 3 {
		t.Errorf("%d SMS queued, want 3", len(all))
	}
	for _, bad := range []string{"has space", strings.Repeat("k", 201), "naïve"} {
		if a := f.do("POST", "/api/v1/sms", crm, body, "Idempotency-Key", bad); a.status != 400 || !strings.Contains(a.errorText(), "Idempotency-Key") {
			t.Errorf("key %.20q: %d %s", bad, a.status, a.body)
		}
	}
}

func TestGetSMSOnlyOwnMessages(t *testing.T) {
	f := newFixture(t)
	crm := f.token("crm", token.ScopeSend)
	nosy := f.token("nosy", token.ScopeSend, token.ScopeRead)
	var v SMS
	f.do("POST", "/api/v1/sms", crm, `{"to":"+254712345678","text":"hi"}`).decode(t, &v)
	reply, err := f.db.Enqueue(store.Outbound{To: "+254700000001", Text: "Balance 1,000", Origin: "reply:1"})
	if err != nil {
		t.Fatal(err)
	}
	path := fmt.Sprintf("/api/v1/sms/%d", v.ID)
	if a := f.do("GET", path, nosy, ""); a.status != 404 {
		t.Errorf("another token read the SMS: %d %s", a.status, a.body)
	}
	if a := f.do("GET", fmt.Sprintf("/api/v1/sms/%d", reply), crm, ""); a.status != 404 || strings.Contains(string(a.body), "Balance") {
		t.Errorf("a token read the box's own reply: %d %s", a.status, a.body)
	}
	for _, bad := range []string{"0", "-1", "abc", "99999999999999999999"} {
		if a := f.do("GET", "/api/v1/sms/"+bad, crm, ""); a.status != 400 {
			t.Errorf("id %s: %d", bad, a.status)
		}
	}
	if a := f.do("GET", "/api/v1/sms/424242", crm, ""); a.status != 404 {
		t.Errorf("unknown id: %d", a.status)
	}
	// The state follows the store.
	if err := f.db.MarkSubmitting(v.ID, 0); err != nil {
		t.Fatal(err)
	}
	if err := f.db.MarkFailed(v.ID, "modem refused: +CMS ERROR: 500"); err != nil {
		t.Fatal(err)
	}
	var got SMS
	a := f.do("GET", path, crm, "")
	a.decode(t, &got)
	if a.status != 200 || got.State != "failed" || got.Attempts != 1 || !strings.Contains(got.Error, "CMS ERROR") {
		t.Errorf("after failure: %d %+v", a.status, got)
	}
}

// handle stores a single-part message from sender and, unless pending,
// marks it handled with text as the stored (possibly redacted) text.
func handle(t *testing.T, db *store.DB, n int, sender, text string, pending bool) uint64 {
	t.Helper()
	res, err := db.AddSegment(store.Segment{Fingerprint: fmt.Sprint("fp", n), Sender: sender, SenderType: "international", Text: text, ReceivedAt: time.Now()})
	if err != nil || res.MessageID == 0 {
		t.Fatal(res, err)
	}
	if !pending {
		markHandled(t, db, res.MessageID, text)
	}
	return res.MessageID
}

func markHandled(t *testing.T, db *store.DB, id uint64, text string) {
	t.Helper()
	if err := db.Update(func(tx *store.Tx) error { return tx.MarkHandledRedacted(id, "", text) }); err != nil {
		t.Fatal(err)
	}
}

func TestMessagesCursorPaging(t *testing.T) {
	f := newFixture(t)
	reader := f.token("reader", token.ScopeRead)
	if err := f.db.AddOfficer(store.Officer{Phone: "+254722000009", Name: "Officer", PINHash: "x"}); err != nil {
		t.Fatal(err)
	}
	handle(t, f.db, 1, "+254711000001", "YES please", false)
	slow := handle(t, f.db, 2, "+254711000002", "STOP", true) // still pending
	handle(t, f.db, 3, "+254722000009", "PAY **** 4410 500", false)
	handle(t, f.db, 4, "+254711000003", "How much do I owe?", false)
	// An outbound verdict in the feed between messages must not disturb paging.
	o, _ := f.db.Enqueue(store.Outbound{To: "+254711000001", Text: "x"})
	_ = f.db.MarkFailed(o, "test")

	var texts []string
	var withheld int
	cursor := ""
	read := func(limit int) MessagePage {
		t.Helper()
		var p MessagePage
		a := f.do("GET", "/api/v1/messages?limit="+fmt.Sprint(limit)+"&since="+cursor, reader, "")
		if a.status != 200 {
			t.Fatalf("page: %d %s", a.status, a.body)
		}
		a.decode(t, &p)
		for _, m := range p.Messages {
			if m.Text == nil {
				withheld++
				if m.TextWithheld == "" || m.From != "+254722000009" {
					t.Errorf("withheld without a reason: %+v", m)
				}
				continue
			}
			texts = append(texts, *m.Text)
		}
		if p.NextCursor < cursor && len(p.NextCursor) <= len(cursor) {
			t.Errorf("cursor went back from %s to %s", cursor, p.NextCursor)
		}
		cursor = p.NextCursor
		return p
	}
	p := read(2)
	if len(p.Messages) != 2 || !p.HasMore {
		t.Errorf("first page: %+v", p)
	}
	for p.HasMore {
		p = read(2)
	}
	if !slices.Equal(texts, []string{"YES please", "How much do I owe?"}) || withheld != 1 {
		t.Errorf("texts %q, %d withheld", texts, withheld)
	}
	// The pending message shows up once handled, after the cursor.
	markHandled(t, f.db, slow, "STOP")
	texts = nil
	if p := read(10); len(p.Messages) != 1 || p.HasMore || !slices.Equal(texts, []string{"STOP"}) {
		t.Errorf("after handling: %+v %q", p, texts)
	}
	// An empty page keeps the cursor.
	before := cursor
	if p := read(10); len(p.Messages) != 0 || p.NextCursor != before {
		t.Errorf("empty page moved the cursor: %+v", p)
	}
	for _, bad := range []string{"since=abc", "limit=0", "limit=501", "limit=x", "since=-1"} {
		if a := f.do("GET", "/api/v1/messages?"+bad, reader, ""); a.status != 400 {
			t.Errorf("%s: %d", bad, a.status)
		}
	}
	if strings.Contains(string(f.do("GET", "/api/v1/messages", reader, "").body), "pin_hash") {
		t.Error("an answer mentions PIN hashes")
	}
}

func TestUnknownRoutesAndMethods(t *testing.T) {
	f := newFixture(t)
	tok := f.token("crm", token.ScopeSend)
	if a := f.do("GET", "/api/v1/nothing", tok, ""); a.status != 404 || a.errorText() == "" {
		t.Errorf("unknown route: %d %s", a.status, a.body)
	}
	if a := f.do("DELETE", "/api/v1/sms", tok, ""); a.status != 405 || a.errorText() == "" {
		t.Errorf("wrong method: %d %s", a.status, a.body)
	}
}

// TestConcurrentRetriesQueueOnce: retries racing each other (a client that
// timed out and tried again while the first request was still running)
// queue one SMS.
func TestConcurrentRetriesQueueOnce(t *testing.T) {
	f := newFixture(t)
	tok := f.token("crm", token.ScopeSend)
	body := `{"to":"+254712345678","text":"once"}`
	ids := make(chan uint64, 8)
	for range 8 {
		go func() {
			r := httptest.NewRequest("POST", "/api/v1/sms", strings.NewReader(body))
			r.Header.Set("Authorization", "Bearer "+tok)
			r.Header.Set("Idempotency-Key", "race-1")
			w := httptest.NewRecorder()
			f.h.ServeHTTP(w, r)
			var v SMS
			_ = json.Unmarshal(w.Body.Bytes(), &v)
			ids <- v.ID
		}()
	}
	first := <-ids
	for range 7 {
		if id := <-ids; id != first || id == 0 {
			t.Errorf("ids %d and %d", first, id)
		}
	}
	if all, _ := f.db.ListOutbound("", 0); len(all) != 1 {
		t.Errorf("%d SMS queued, want 1", len(all))
	}
}
