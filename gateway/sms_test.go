package gateway

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mifos-edge/mifos-edge/store"
	"github.com/mifos-edge/mifos-edge/token"
	"github.com/mifos-edge/mifos-edge/web"
)

// box is a gateway on a real store, served through the box's shared
// HTTP protections.
type box struct {
	t      *testing.T
	db     *store.DB
	srv    *Server
	h      http.Handler
	key    string // a token of scope gateway
	now    time.Time
	queued int
}

func newBox(t *testing.T) *box {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "state.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	b := &box{t: t, db: db, now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	b.key = b.addToken(token.ScopeGateway)
	b.srv = New(db, Config{
		Tenant: "default", Country: "KE", ProviderID: 1, BoxID: "T1", MaxBatch: 50,
		ReportWait: 6 * time.Hour, LostAfter: time.Hour,
		HookEvents: []string{"LOAN/REPAYMENT", "LOAN/APPROVE"},
		Queued:     func() { b.queued++ },
		Now:        func() time.Time { return b.now },
	})
	mux := http.NewServeMux()
	b.srv.Mount(mux)
	b.h = web.Protect(mux)
	return b
}

func (b *box) addToken(scopes ...string) string {
	b.t.Helper()
	text, id, hash, err := token.New()
	if err != nil {
		b.t.Fatal(err)
	}
	if err := b.db.AddToken(store.APIToken{ID: id, Name: "fineract", Scopes: scopes, Hash: hash}); err != nil {
		b.t.Fatal(err)
	}
	return text
}

// call makes a request as Fineract makes it: its two headers, JSON.
func (b *box) call(method, path, key, tenant, body string) *httptest.ResponseRecorder {
	b.t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set(appKeyHeader, key)
	}
	if tenant != "" {
		req.Header.Set(tenantHeader, tenant)
	}
	rec := httptest.NewRecorder()
	b.h.ServeHTTP(rec, req)
	return rec
}

func decode[T any](t *testing.T, rec *httptest.ResponseRecorder) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
		t.Fatalf("answer %d is not JSON: %v\n%s", rec.Code, err, rec.Body)
	}
	return v
}

// fineractBatch is a batch shaped as Fineract's Gson writes it: no
// createdOnDate or sourceAddress (null, left out), tenantId set.
const fineractBatch = `[
 {"internalId":101,"tenantId":"default","mobileNumber":"0712345678","message":"Dear Amina, your loan is due on Friday.","providerId":1},
 {"internalId":102,"tenantId":"default","message":"no number here","providerId":1},
 {"internalId":103,"tenantId":"default","mobileNumber":"+254712000111","message":"   ","providerId":1},
 {"internalId":104,"tenantId":"default","mobileNumber":"+254 712 000 222","message":"Habari Juma, mkopo wako umeidhinishwa ✓","providerId":1},
 {"internalId":105,"tenantId":"default","mobileNumber":"07-NOT-A-NUMBER","message":"x","providerId":1},
 {"internalId":106,"tenantId":"default","mobileNumber":"0712345679","message":"hello","providerId":7}
]`

func TestGatewayRefusesWithoutTheRightTokenOrTenant(t *testing.T) {
	b := newBox(t)
	sendOnly := b.addToken(token.ScopeSend)
	revoked := b.addToken(token.ScopeGateway)
	id, _ := token.Parse(revoked)
	if err := b.db.RevokeToken(id); err != nil {
		t.Fatal(err)
	}
	forged := "mfe_" + id + "_" + strings.Repeat("A", 32)
	cases := []struct {
		name, key, tenant, body string
		want                    int
	}{
		{"no app key", "", "default", fineractBatch, http.StatusUnauthorized},
		{"not a token", "secret", "default", fineractBatch, http.StatusUnauthorized},
		{"forged secret", forged, "default", fineractBatch, http.StatusUnauthorized},
		{"revoked", revoked, "default", fineractBatch, http.StatusUnauthorized},
		{"scope send", sendOnly, "default", fineractBatch, http.StatusForbidden},
		{"other tenant", b.key, "other", fineractBatch, http.StatusForbidden},
		{"no tenant", b.key, "", fineractBatch, http.StatusBadRequest},
		{"malformed JSON", b.key, "default", `[{"internalId":1,`, http.StatusBadRequest},
		{"an object, not an array", b.key, "default", `{"internalId":1}`, http.StatusBadRequest},
		{"empty body", b.key, "default", ``, http.StatusBadRequest},
		{"two documents", b.key, "default", `[] []`, http.StatusBadRequest},
		{"no element has an id", b.key, "default", `[1,2,3]`, http.StatusBadRequest},
		{"over max_batch", b.key, "default", "[" + strings.Repeat(`{"internalId":1},`, 50) + `{"internalId":2}]`, http.StatusRequestEntityTooLarge},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec := b.call("POST", "/sms", c.key, c.tenant, c.body)
			if rec.Code != c.want {
				t.Errorf("status %d, want %d: %s", rec.Code, c.want, rec.Body)
			}
			if e := decode[web.ErrorBody](t, rec); e.Error == "" {
				t.Errorf("no error message: %s", rec.Body)
			}
			for _, path := range []string{"/sms/report", "/smsbridges"} {
				method := "POST"
				if path == "/smsbridges" {
					method = "GET"
				}
				if c.want != http.StatusBadRequest && c.want != http.StatusRequestEntityTooLarge {
					if rec := b.call(method, path, c.key, c.tenant, "[101]"); rec.Code != c.want {
						t.Errorf("%s %s: status %d, want %d", method, path, rec.Code, c.want)
					}
				}
			}
		})
	}
	if n := outbox(t, b.db); len(n) != 0 {
		t.Errorf("refused calls queued %d SMS", len(n))
	}
	if rec := b.call("POST", "/sms", b.key, "default", strings.Repeat(" ", web.MaxBody+1)); rec.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("body over 1 MiB: status %d", rec.Code)
	}
	req := httptest.NewRequest("POST", "/sms", strings.NewReader(fineractBatch))
	req.Header.Set("Content-Type", "text/plain")
	req.Header.Set(appKeyHeader, b.key)
	req.Header.Set(tenantHeader, "default")
	rec := httptest.NewRecorder()
	b.h.ServeHTTP(rec, req)
	if rec.Code != http.StatusUnsupportedMediaType {
		t.Errorf("text/plain: status %d", rec.Code)
	}
}

func outbox(t *testing.T, db *store.DB) []store.Outbound {
	t.Helper()
	all, err := db.ListOutbound("", 0)
	if err != nil {
		t.Fatal(err)
	}
	return all
}

func TestBatchSentTwiceIsQueuedOnceAndBadMessagesAreRefusedAlone(t *testing.T) {
	b := newBox(t)
	rec := b.call("POST", "/sms", b.key, "default", fineractBatch)
	if rec.Code != http.StatusAccepted {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	got := decode[Accepted](t, rec)
	if got.Queued != 2 || got.Duplicates != 0 || len(got.Refused) != 4 {
		t.Errorf("first batch: %+v", got)
	}
	reasons := map[int64]string{}
	for _, r := range got.Refused {
		reasons[r.InternalID] = r.Reason
	}
	for id, want := range map[int64]string{102: "no mobile number", 103: "empty message", 105: "cannot send to this mobile number", 106: "provider 7 is not this box"} {
		if !strings.Contains(reasons[id], want) {
			t.Errorf("message %d refused for %q, want %q", id, reasons[id], want)
		}
	}
	// Fineract's job resends on errors: the same batch, twice more.
	for range 2 {
		rec = b.call("POST", "/sms", b.key, "default", fineractBatch)
		if again := decode[Accepted](t, rec); rec.Code != http.StatusAccepted || again.Queued != 0 || again.Duplicates != 6 {
			t.Errorf("resent batch: %d %+v", rec.Code, again)
		}
	}
	out := outbox(t, b.db)
	if len(out) != 2 {
		t.Fatalf("%d SMS queued, want 2: %+v", len(out), out)
	}
	want := map[string]string{"+254712345678": "Dear Amina, your loan is due on Friday.", "+254712000222": "Habari Juma, mkopo wako umeidhinishwa ✓"}
	for _, o := range out {
		if want[o.To] != o.Text || o.Priority != store.PriorityBulk || o.DuplicateHarmless {
			t.Errorf("queued %+v", o)
		}
	}
	if b.queued != 1 {
		t.Errorf("sender woken %d times, want once (only the batch that queued)", b.queued)
	}
	// Another tenant's ids are its own (a box without [mifos] tenant).
	b.srv.cfg.Tenant = ""
	rec = b.call("POST", "/sms", b.key, "branch2", strings.ReplaceAll(fineractBatch, `"tenantId":"default",`, ""))
	if got := decode[Accepted](t, rec); got.Queued != 2 {
		t.Errorf("other tenant, same ids: %+v", got)
	}
}

func TestReportMapsEveryStateToFineractsCodes(t *testing.T) {
	now := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	added := now.Add(-time.Hour)
	rec := func(outbox uint64) store.GatewayRecord { return store.GatewayRecord{OutboxID: outbox, At: added} }
	sub := func(d store.Delivery, ago time.Duration) store.Outbound {
		return store.Outbound{ID: 9, State: store.OutSubmitted, Delivery: d, SubmittedAt: now.Add(-ago), DeliveredAt: now.Add(-time.Minute)}
	}
	cases := []struct {
		name      string
		l         store.GatewayLookup
		status    int
		hasError  bool
		delivered bool
		errorHas  string
	}{
		{"never received", store.GatewayLookup{}, StatusPending, true, false, "not received"},
		{"asked, not yet lost", store.GatewayLookup{Known: true, Record: store.GatewayRecord{AskedAt: added}}, StatusPending, true, false, "not received"},
		{"refused", store.GatewayLookup{Known: true, Record: store.GatewayRecord{Refused: "no mobile number", At: added}}, StatusFailed, false, false, "no mobile number"},
		{"queued", store.GatewayLookup{Known: true, Record: rec(9), Out: store.Outbound{State: store.OutQueued}}, StatusPending, false, false, ""},
		{"submitting", store.GatewayLookup{Known: true, Record: rec(9), Out: store.Outbound{State: store.OutSubmitting}}, StatusPending, false, false, ""},
		{"unknown outcome", store.GatewayLookup{Known: true, Record: rec(9), Out: store.Outbound{State: store.OutUnknown, LastError: "no +CMGS"}}, StatusPending, false, false, "no +CMGS"},
		{"failed", store.GatewayLookup{Known: true, Record: rec(9), Out: store.Outbound{State: store.OutFailed, LastError: "+CMS ERROR: 500"}}, StatusFailed, false, false, "+CMS ERROR: 500"},
		{"submitted, no report asked", store.GatewayLookup{Known: true, Record: rec(9), Out: sub("", time.Minute)}, StatusWaiting, false, false, ""},
		{"submitted, report pending", store.GatewayLookup{Known: true, Record: rec(9), Out: sub(store.DeliveryPending, time.Minute)}, StatusWaiting, false, false, ""},
		{"submitted, no report in time", store.GatewayLookup{Known: true, Record: rec(9), Out: sub("", 7*time.Hour)}, StatusSent, false, false, ""},
		{"submitted, pending too long", store.GatewayLookup{Known: true, Record: rec(9), Out: sub(store.DeliveryPending, 7*time.Hour)}, StatusSent, false, false, ""},
		{"delivered", store.GatewayLookup{Known: true, Record: rec(9), Out: sub(store.DeliveryDelivered, time.Minute)}, StatusDelivered, false, true, ""},
		{"delivered late", store.GatewayLookup{Known: true, Record: rec(9), Out: sub(store.DeliveryDelivered, 30*time.Hour)}, StatusDelivered, false, true, ""},
		{"network failed it", store.GatewayLookup{Known: true, Record: rec(9), Out: sub(store.DeliveryFailed, time.Minute)}, StatusFailed, false, false, "network"},
		{"pruned after sending", store.GatewayLookup{Known: true, Record: rec(9), OutGone: true}, StatusSent, false, false, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.l.InternalID = 55
			r := reportOf(c.l, now, 6*time.Hour)
			if r.ID != 55 || r.DeliveryStatus != c.status || r.HasError != c.hasError {
				t.Errorf("report %+v, want status %d hasError %v", r, c.status, c.hasError)
			}
			if (r.DeliveredOnDate != nil) != c.delivered {
				t.Errorf("deliveredOnDate %v, want set=%v", r.DeliveredOnDate, c.delivered)
			}
			msg := ""
			if r.ErrorMessage != nil {
				msg = *r.ErrorMessage
			}
			if !strings.Contains(msg, c.errorHas) || (c.errorHas == "" && msg != "") {
				t.Errorf("errorMessage %q, want %q", msg, c.errorHas)
			}
			if c.l.Record.OutboxID != 0 && (r.ExternalID == nil || *r.ExternalID != "9") {
				t.Errorf("externalId %v, want the outbox id", r.ExternalID)
			}
			// Fineract unboxes these two: they must be in the JSON.
			raw, _ := json.Marshal(r)
			if !bytes.Contains(raw, []byte(`"hasError":`)) || !bytes.Contains(raw, []byte(`"deliveryStatus":`)) {
				t.Errorf("JSON lacks hasError or deliveryStatus: %s", raw)
			}
		})
	}
}

func TestReportOverHTTPAndALostMessageIsNeverSentLate(t *testing.T) {
	b := newBox(t)
	if rec := b.call("POST", "/sms", b.key, "default", fineractBatch); rec.Code != http.StatusAccepted {
		t.Fatal(rec.Code, rec.Body)
	}
	report := func() map[int64]Report {
		t.Helper()
		rec := b.call("POST", "/sms/report", b.key, "default", `[101, 102, 999]`)
		if rec.Code != http.StatusOK {
			t.Fatalf("report: %d %s", rec.Code, rec.Body)
		}
		list := decode[[]Report](t, rec)
		if len(list) != 3 || list[0].ID != 101 || list[1].ID != 102 || list[2].ID != 999 {
			t.Fatalf("report order: %+v", list)
		}
		out := map[int64]Report{}
		for _, r := range list {
			out[r.ID] = r
		}
		return out
	}
	r := report()
	if r[101].DeliveryStatus != StatusPending || r[101].HasError {
		t.Errorf("queued message: %+v", r[101])
	}
	if r[102].DeliveryStatus != StatusFailed || r[102].HasError || r[102].ErrorMessage == nil {
		t.Errorf("refused message: %+v", r[102])
	}
	if !r[999].HasError {
		t.Errorf("an id never received must be skipped by Fineract (hasError): %+v", r[999])
	}
	// The modem sends 101; the network's report says delivered.
	o := outbox(t, b.db)
	var id uint64
	for _, m := range o {
		if m.To == "+254712345678" {
			id = m.ID
		}
	}
	if err := b.db.MarkSubmitting(id, 0); err != nil {
		t.Fatal(err)
	}
	if err := b.db.MarkPartSubmitted(id, 0, 7, 1); err != nil {
		t.Fatal(err)
	}
	if r := report(); r[101].DeliveryStatus != StatusWaiting || *r[101].ExternalID != fmt.Sprint(id) {
		t.Errorf("submitted message: %+v", r[101])
	}
	// An hour after Fineract first asked, 999 is lost: failed, and a late
	// copy of it is not sent.
	b.now = b.now.Add(time.Hour)
	if r := report(); r[999].HasError || r[999].DeliveryStatus != StatusFailed {
		t.Errorf("lost message: %+v", r[999])
	}
	rec := b.call("POST", "/sms", b.key, "default", `[{"internalId":999,"mobileNumber":"0712345678","message":"late"}]`)
	if got := decode[Accepted](t, rec); got.Queued != 0 || got.Duplicates != 1 {
		t.Errorf("late copy of a lost message: %+v", got)
	}
	// One Fineract asked about but that arrives within the hour is sent.
	b.call("POST", "/sms/report", b.key, "default", `[1000]`)
	rec = b.call("POST", "/sms", b.key, "default", `[{"internalId":1000,"mobileNumber":"0712345678","message":"in time"}]`)
	if got := decode[Accepted](t, rec); got.Queued != 1 {
		t.Errorf("message arriving after a report request: %+v", got)
	}
	for _, bad := range []string{`{"ids":[1]}`, `[0]`, `["a"]`, `[1,`} {
		if rec := b.call("POST", "/sms/report", b.key, "default", bad); rec.Code != http.StatusBadRequest {
			t.Errorf("report of %s: status %d", bad, rec.Code)
		}
	}
}

func TestBridgesListThisModem(t *testing.T) {
	b := newBox(t)
	rec := b.call("GET", "/smsbridges", b.key, "default", "")
	list := decode[[]Bridge](t, rec)
	if rec.Code != http.StatusOK || len(list) != 1 || list[0].ID != 1 || list[0].ProviderName == "" || list[0].TenantID != "default" {
		t.Errorf("bridges: %d %+v", rec.Code, list)
	}
	if strings.Contains(rec.Body.String(), b.key) || strings.Contains(rec.Body.String(), "AppKey") {
		t.Errorf("the provider list shows a key: %s", rec.Body)
	}
	if rec := b.call("GET", "/smsbridges/1", b.key, "default", ""); rec.Code != http.StatusOK {
		t.Errorf("bridge 1: %d", rec.Code)
	}
	if rec := b.call("GET", "/smsbridges/2", b.key, "default", ""); rec.Code != http.StatusNotFound {
		t.Errorf("bridge 2: %d", rec.Code)
	}
	if rec := b.call("POST", "/smsbridges", b.key, "default", "{}"); rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST /smsbridges (read-only): %d", rec.Code)
	}
}

func TestPrefixServesUnderThePath(t *testing.T) {
	b := newBox(t)
	b.srv.cfg.Prefix = "/gateway"
	mux := http.NewServeMux()
	b.srv.Mount(mux)
	b.h = web.Protect(mux)
	if rec := b.call("POST", "/gateway/sms", b.key, "default", fineractBatch); rec.Code != http.StatusAccepted {
		t.Errorf("/gateway/sms: %d %s", rec.Code, rec.Body)
	}
	if rec := b.call("POST", "/sms", b.key, "default", fineractBatch); rec.Code != http.StatusNotFound {
		t.Errorf("/sms with a prefix: %d", rec.Code)
	}
}
