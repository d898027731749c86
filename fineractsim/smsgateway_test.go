package fineractsim

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
)

// gatewayStub is a message gateway: it records each POST and answers
// /sms with sendStatus and /sms/report with report(ids).
type gatewayStub struct {
	mu         sync.Mutex
	posts      []*http.Request
	bodies     [][]byte
	sendStatus int
	report     func(ids []int64) string
}

func (g *gatewayStub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	g.mu.Lock()
	g.posts = append(g.posts, r)
	g.bodies = append(g.bodies, b)
	status, report := g.sendStatus, g.report
	g.mu.Unlock()
	switch r.URL.Path {
	case "/gw/sms":
		w.WriteHeader(status)
	case "/gw/sms/report":
		var ids []int64
		_ = json.Unmarshal(b, &ids)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, report(ids))
	default:
		http.NotFound(w, r)
	}
}

func startGateway(t *testing.T, s *Server, g *gatewayStub, resend bool) {
	t.Helper()
	hs := httptest.NewServer(g)
	t.Cleanup(hs.Close)
	host, port, _ := net.SplitHostPort(hs.Listener.Addr().String())
	p, _ := strconv.Atoi(port)
	s.SetSMSGateway(GatewayConfig{HostName: host, PortNumber: p, EndPoint: "/gw", TenantAppKey: "app-key-1", ResendFailed: resend})
}

func statuses(s *Server) map[int64]int {
	out := map[int64]int{}
	for _, m := range s.SMSMessages() {
		out[m.ID] = m.Status
	}
	return out
}

// The send job POSTs the pending messages as one array with the tenant
// and app key, marks them waiting, and counts only 202 as accepted.
func TestSMSGatewaySend(t *testing.T) {
	s := startSeeded(t)
	g := &gatewayStub{sendStatus: 202}
	startGateway(t, s, g, false)
	a := s.QueueSMS("+254712345678", "Habari Amina, your loan is approved.", 1)
	b := s.QueueSMS("0722111222", "Grace: meeting on Thursday", 1)
	res, err := s.SendSMSNow(context.Background())
	if err != nil || res.Batches != 1 || len(res.Sent) != 2 || res.LastErr != nil {
		t.Fatalf("send: %+v %v", res, err)
	}
	r := g.posts[0]
	if r.Method != "POST" || r.URL.Path != "/gw/sms" || r.Header.Get("Fineract-Platform-TenantId") != "default" ||
		r.Header.Get("Fineract-Tenant-App-Key") != "app-key-1" || r.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("request %s %s %v", r.Method, r.URL, r.Header)
	}
	var body []map[string]any
	if err := json.Unmarshal(g.bodies[0], &body); err != nil || len(body) != 2 {
		t.Fatalf("body %s: %v", g.bodies[0], err)
	}
	first := body[0]
	if str(first["internalId"]) != strconv.FormatInt(a, 10) || first["tenantId"] != "default" || first["mobileNumber"] != "+254712345678" ||
		first["message"] != "Habari Amina, your loan is approved." || str(first["providerId"]) != "1" {
		t.Fatalf("item %v", first)
	}
	// Gson leaves out the two fields the job always sets to null.
	if _, ok := first["createdOnDate"]; ok {
		t.Fatalf("createdOnDate present: %s", g.bodies[0])
	}
	if _, ok := first["sourceAddress"]; ok {
		t.Fatalf("sourceAddress present: %s", g.bodies[0])
	}
	if st := statuses(s); st[a] != SMSWaiting || st[b] != SMSWaiting {
		t.Fatalf("statuses %v", st)
	}
	// Nothing pending: no POST.
	if res, _ := s.SendSMSNow(context.Background()); res.Batches != 0 || len(g.posts) != 1 {
		t.Fatalf("second run posted: %+v", res)
	}
	// A triggered message goes alone, without tenantId.
	id, err := s.SendTriggeredSMS(context.Background(), "+254733444555", "John: repayment received", 1)
	if err != nil {
		t.Fatal(err)
	}
	var trig []map[string]any
	_ = json.Unmarshal(g.bodies[1], &trig)
	if len(trig) != 1 || str(trig[0]["internalId"]) != strconv.FormatInt(id, 10) || trig[0]["tenantId"] != nil {
		t.Fatalf("triggered body %s", g.bodies[1])
	}
}

// A batch the gateway does not accept (not 202, an error status, no
// answer) stays waiting, as in Fineract, or with ResendFailed is sent
// again by the next run with the same internalIds.
func TestSMSGatewayFailedBatch(t *testing.T) {
	for _, c := range []struct {
		name   string
		status int
		resend bool
	}{
		{"200 is not 202", 200, false},
		{"500", 500, false},
		{"500, resent", 500, true},
		{"200, resent", 200, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := startSeeded(t)
			g := &gatewayStub{sendStatus: c.status}
			startGateway(t, s, g, c.resend)
			a := s.QueueSMS("+254712345678", "one", 1)
			res, _ := s.SendSMSNow(context.Background())
			if len(res.Failed) != 1 || res.LastErr == nil || res.Statuses[0] != c.status {
				t.Fatalf("result %+v", res)
			}
			want := SMSWaiting
			if c.resend {
				want = SMSPending
			}
			if st := statuses(s)[a]; st != want {
				t.Fatalf("status %d, want %d", st, want)
			}
			g.mu.Lock()
			g.sendStatus = 202
			g.mu.Unlock()
			res, _ = s.SendSMSNow(context.Background())
			if !c.resend {
				if res.Batches != 0 {
					t.Fatalf("resent without ResendFailed: %+v", res)
				}
				return
			}
			if len(res.Sent) != 1 || res.Sent[0] != a || len(g.bodies) != 2 || string(g.bodies[0]) != string(g.bodies[1]) {
				t.Fatalf("resend %+v: %s / %s", res, g.bodies[0], g.bodies[len(g.bodies)-1])
			}
		})
	}
	// No gateway answering at all.
	s := startSeeded(t)
	s.SetSMSGateway(GatewayConfig{HostName: "127.0.0.1", PortNumber: 1, TenantAppKey: "k", ResendFailed: true})
	a := s.QueueSMS("+254712345678", "x", 1)
	if res, _ := s.SendSMSNow(context.Background()); res.Statuses[0] != 0 || statuses(s)[a] != SMSPending {
		t.Fatalf("down: %+v", res)
	}
}

// The report job asks about the waiting messages only and applies the
// states the gateway gives, skipping 100 and hasError; a report it cannot
// take ends the batch.
func TestSMSGatewayReports(t *testing.T) {
	s := startSeeded(t)
	g := &gatewayStub{sendStatus: 202}
	startGateway(t, s, g, false)
	ids := make([]int64, 6)
	for i := range ids {
		ids[i] = s.QueueSMS("+25471234567"+strconv.Itoa(i), "m", 1)
	}
	if _, err := s.SendSMSNow(context.Background()); err != nil {
		t.Fatal(err)
	}
	id := func(i int) string { return strconv.FormatInt(ids[i], 10) }
	g.report = func(asked []int64) string {
		return `[{"id":` + id(0) + `,"externalId":"m-0","deliveryStatus":300,"hasError":false,"deliveredOnDate":"2024-09-26 10:00:00"},` +
			`{"id":` + id(1) + `,"externalId":"m-1","deliveryStatus":200,"hasError":false},` +
			`{"id":` + id(2) + `,"deliveryStatus":400,"hasError":false,"errorMessage":"no network"},` +
			`{"id":` + id(3) + `,"deliveryStatus":100,"hasError":false},` +
			`{"id":` + id(4) + `,"deliveryStatus":300,"hasError":true,"errorMessage":"?"},` +
			`{"id":` + id(5) + `,"deliveryStatus":150,"hasError":false,"externalId":"m-5"}]`
	}
	res, err := s.PollSMSReportsNow(context.Background())
	if err != nil || len(res.Asked) != 6 || res.Applied != 4 {
		t.Fatalf("poll: %+v %v", res, err)
	}
	var asked []int64
	_ = json.Unmarshal(g.bodies[len(g.bodies)-1], &asked)
	if len(asked) != 6 || g.posts[len(g.posts)-1].URL.Path != "/gw/sms/report" || g.posts[len(g.posts)-1].Header.Get("Fineract-Tenant-App-Key") != "app-key-1" {
		t.Fatalf("report request: %s", g.bodies[len(g.bodies)-1])
	}
	st := statuses(s)
	want := []int{SMSDelivered, SMSSent, SMSFailed, SMSWaiting, SMSWaiting, SMSWaiting}
	for i, w := range want {
		if st[ids[i]] != w {
			t.Fatalf("message %d: status %d, want %d", i, st[ids[i]], w)
		}
	}
	// Next time only the three still waiting are asked about; a report
	// for an unknown id stops the batch after the reports before it.
	g.report = func([]int64) string {
		return `[{"id":` + id(3) + `,"deliveryStatus":300,"hasError":false},{"id":999999,"deliveryStatus":300,"hasError":false},` +
			`{"id":` + id(5) + `,"deliveryStatus":300,"hasError":false}]`
	}
	res, err = s.PollSMSReportsNow(context.Background())
	if err == nil || len(res.Asked) != 3 || res.Applied != 1 {
		t.Fatalf("second poll: %+v %v", res, err)
	}
	if st := statuses(s); st[ids[3]] != SMSDelivered || st[ids[5]] != SMSWaiting || st[ids[1]] != SMSSent {
		t.Fatalf("after second poll %v", st)
	}
	// A null hasError also stops the batch.
	g.report = func([]int64) string { return `[{"id":` + id(5) + `,"deliveryStatus":300}]` }
	if _, err := s.PollSMSReportsNow(context.Background()); err == nil || statuses(s)[ids[5]] != SMSWaiting {
		t.Fatalf("null hasError applied")
	}
}

// A requeued batch goes out again as it went the first time: same ids,
// same body; a message no longer waiting, or one never sent, stays.
func TestSMSGatewayRequeue(t *testing.T) {
	s := startSeeded(t)
	g := &gatewayStub{sendStatus: 202}
	startGateway(t, s, g, false)
	a := s.QueueSMS("+254712345678", "one", 1)
	b := s.QueueSMS("0722111222", "two", 1)
	if res, err := s.SendSMSNow(context.Background()); err != nil || len(res.Sent) != 2 {
		t.Fatalf("send: %+v %v", res, err)
	}
	c := s.QueueSMS("+254733444555", "three", 1) // pending, not yet sent
	if n := s.RequeueSMS(a, b, c, 999); n != 2 {
		t.Fatalf("requeued %d, want 2", n)
	}
	if st := statuses(s); st[a] != SMSPending || st[b] != SMSPending || st[c] != SMSPending {
		t.Fatalf("statuses %v", st)
	}
	if res, err := s.SendSMSNow(context.Background()); err != nil || res.Batches != 1 || len(res.Sent) != 3 {
		t.Fatalf("second run: %+v %v", res, err)
	}
	var first, second []map[string]any
	_ = json.Unmarshal(g.bodies[0], &first)
	_ = json.Unmarshal(g.bodies[1], &second)
	if len(second) != 3 || str(second[0]["internalId"]) != str(first[0]["internalId"]) || str(second[1]["internalId"]) != str(first[1]["internalId"]) {
		t.Fatalf("first %s, second %s", g.bodies[0], g.bodies[1])
	}
}
