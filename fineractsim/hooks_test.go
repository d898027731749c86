package fineractsim

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// receiver records what a hook's payload URL is sent.
type receiver struct {
	mu     sync.Mutex
	got    []HookDelivery
	status int
	delay  time.Duration
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	rc.got = append(rc.got, HookDelivery{Header: r.Header.Clone(), Body: b})
	status, delay := rc.status, rc.delay
	rc.mu.Unlock()
	time.Sleep(delay)
	w.WriteHeader(status)
}

func (rc *receiver) deliveries() []HookDelivery {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]HookDelivery(nil), rc.got...)
}

// A committed command is POSTed to every hook subscribed to its entity
// and action, with Fineract's headers and body, after the answer and
// without holding it up; other events and refused commands send nothing.
func TestHooksSentAfterCommit(t *testing.T) {
	s := startSeeded(t)
	rc := &receiver{status: 200, delay: 300 * time.Millisecond}
	hs := httptest.NewServer(rc)
	defer hs.Close()
	s.AddHook(Hook{Name: "box", PayloadURL: hs.URL + "/hooks/fineract",
		Events: []HookEvent{{"LOAN", "APPROVE"}, {"LOAN", "DISBURSE"}, {"LOAN", "REPAYMENT"}}})
	s.AddHook(Hook{Name: "off", PayloadURL: hs.URL + "/off", Events: []HookEvent{{"LOAN", "APPROVE"}}, Inactive: true})

	// Refused: no hook.
	wantError(t, call(t, s, "POST", "/loans/987?command=approve", approveBody("2024-09-27", ""), manager...), 403,
		"error.msg.loan.approval.cannot.be.a.future.date")
	start := time.Now()
	body := approveBody("2024-09-26", `,"note":"ok"`)
	if r := call(t, s, "POST", "/loans/987?command=approve", body, manager...); r.status != 200 {
		t.Fatalf("approve: %d %s", r.status, r.body)
	}
	if time.Since(start) > 250*time.Millisecond {
		t.Fatalf("the command waited for its hook")
	}
	// A deposit: not subscribed.
	if r := call(t, s, "POST", depositPath(SeedSavingsAmina), depositBody("2024-09-26", "100", "R-H")); r.status != 200 {
		t.Fatalf("deposit: %d %s", r.status, r.body)
	}
	if r := call(t, s, "POST", repayPath(SeedLoanAmina), repayBody("2024-09-26", "250.5", "hook-1"), as(SeedTeller, SeedTellerPassword)...); r.status != 200 {
		t.Fatalf("repay: %d %s", r.status, r.body)
	}
	s.WaitHooks()
	got := rc.deliveries()
	if len(got) != 2 {
		t.Fatalf("%d deliveries, want 2 (approve, repayment)", len(got))
	}
	byAction := map[string]HookDelivery{}
	for _, d := range got {
		byAction[d.Header.Get("X-Fineract-Action")] = d
	}
	ap, ok := byAction["APPROVE"]
	if !ok {
		t.Fatalf("no APPROVE delivery: %+v", got)
	}
	h := ap.Header
	if h.Get("X-Fineract-Entity") != "LOAN" || h.Get("Fineract-Platform-TenantId") != "default" ||
		h.Get("X-Fineract-Endpoint") != s.URL()+"/" || h.Get("Content-Type") != "application/json; charset=UTF-8" ||
		h.Get("Authorization") != "" {
		t.Fatalf("headers %v", h)
	}
	var p map[string]any
	if err := json.Unmarshal(ap.Body, &p); err != nil {
		t.Fatal(err)
	}
	if p["entityName"] != "LOAN" || p["actionName"] != "APPROVE" || p["createdByName"] != SeedManager ||
		p["createdByFullName"] != "Jane Akinyi" || str(p["createdBy"]) != "5" || str(p["clientId"]) != "47" ||
		str(p["officeId"]) != "1" || path(p, "request", "note") != "ok" || str(path(p, "response", "loanId")) != "987" ||
		path(p, "response", "officeId") != nil || p["timestamp"] == nil {
		t.Fatalf("payload %s", ap.Body)
	}
	rp := byAction["REPAYMENT"]
	if err := json.Unmarshal(rp.Body, &p); err != nil {
		t.Fatal(err)
	}
	if p["createdByName"] != SeedTeller || str(path(p, "request", "transactionAmount")) != "250.5" || str(path(p, "response", "loanId")) != "981" {
		t.Fatalf("repayment payload %s", rp.Body)
	}
	if d := s.HookDeliveries(); len(d) != 2 || d[0].Status != 200 {
		t.Fatalf("delivery log %+v", d)
	}
}

// A hook whose receiver is down or refuses is not sent again, and the
// command stands; without the baseUrl property the endpoint header is
// left out.
func TestHookFailureDoesNotUndo(t *testing.T) {
	s, err := Start(Options{BusinessDate: testBizDate, NoHookEndpoint: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	s.Seed()
	rc := &receiver{status: 500}
	hs := httptest.NewServer(rc)
	defer hs.Close()
	dead := httptest.NewServer(http.NotFoundHandler())
	deadURL := dead.URL
	dead.Close()
	s.AddHook(Hook{Name: "refuses", PayloadURL: hs.URL, Events: []HookEvent{{"LOAN", "DISBURSE"}}})
	s.AddHook(Hook{Name: "down", PayloadURL: deadURL, Events: []HookEvent{{"LOAN", "DISBURSE"}}})
	disb := `{"actualDisbursementDate":"2024-09-26","dateFormat":"yyyy-MM-dd","locale":"en"}`
	if r := call(t, s, "POST", "/loans/988?command=disburse", disb, manager...); r.status != 200 {
		t.Fatalf("disburse: %d %s", r.status, r.body)
	}
	s.WaitHooks()
	if s.LoanStatus(988) != 300 {
		t.Fatalf("status %d after failed hooks", s.LoanStatus(988))
	}
	log := s.HookDeliveries()
	if len(log) != 2 {
		t.Fatalf("deliveries %+v", log)
	}
	for _, d := range log {
		if d.Hook == "refuses" && d.Status != 500 || d.Hook == "down" && (d.Status != 0 || d.Err == "") {
			t.Fatalf("delivery %+v", d)
		}
	}
	got := rc.deliveries()
	if len(got) != 1 || got[0].Header.Get("X-Fineract-Endpoint") != "" || got[0].Header.Get("X-Fineract-Action") != "DISBURSE" {
		t.Fatalf("received %+v", got)
	}
}
