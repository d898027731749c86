package darajasim

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestFaultsThatDoNothing: a request stopped before Daraja acts is not
// paid, not remembered (the same id goes through later) and not called
// back.
func TestFaultsThatDoNothing(t *testing.T) {
	cases := []struct {
		name  string
		fault Fault
		check func(t *testing.T, r *http.Response, err error)
	}{
		{"unavailable", Fault{Unavailable: true}, func(t *testing.T, r *http.Response, err error) {
			if err != nil || r.StatusCode != 503 {
				t.Fatalf("%v %v, want 503", r, err)
			}
		}},
		{"connection closed", Fault{CloseConn: true}, func(t *testing.T, r *http.Response, err error) {
			if err == nil {
				t.Fatalf("answered %d, want a dropped connection", r.StatusCode)
			}
		}},
		{"garbage", Fault{Garbage: true}, func(t *testing.T, r *http.Response, err error) {
			if err != nil || r.StatusCode != 200 {
				t.Fatalf("%v %v, want 200", r, err)
			}
			var m map[string]any
			if json.NewDecoder(r.Body).Decode(&m) == nil {
				t.Fatal("the garbage answer is JSON")
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := start(t, Options{})
			tok := f.token()
			f.sim.FailNext(c.fault)
			data, _ := json.Marshal(f.payBody("ref-1", "254712345678", 100))
			req, _ := http.NewRequest("POST", f.srv.URL+payPath, bytes.NewReader(data))
			req.Header.Set("Authorization", tok)
			resp, err := f.srv.Client().Do(req)
			if resp != nil {
				defer resp.Body.Close()
			}
			c.check(t, resp, err)
			if len(f.sim.Payments()) != 0 || len(f.settled()) != 0 {
				t.Fatal("paid or called back")
			}
			if r := f.do("POST", payPath, tok, f.payBody("ref-1", "254712345678", 100)); r.status != 200 {
				t.Fatalf("the same id afterwards: %d %s", r.status, r.body)
			}
			if len(f.sim.Payments()) != 1 {
				t.Fatal("not paid afterwards")
			}
		})
	}
}

// TestHangPaysButNeverAnswers: the client times out, yet the payment is
// made and its result posted.
func TestHangPaysButNeverAnswers(t *testing.T) {
	f := start(t, Options{})
	tok := f.token()
	f.sim.FailNext(Fault{Hang: true})
	data, _ := json.Marshal(f.payBody("ref-h", "254712345678", 100))
	req, _ := http.NewRequest("POST", f.srv.URL+payPath, bytes.NewReader(data))
	req.Header.Set("Authorization", tok)
	client := &http.Client{Timeout: 300 * time.Millisecond}
	resp, err := client.Do(req)
	if err == nil {
		resp.Body.Close()
		t.Fatalf("answered %d, want a client time-out", resp.StatusCode)
	}
	posts := f.settled()
	if len(posts) != 1 || result1(t, posts[0])["ResultCode"] != json.Number("0") {
		t.Fatalf("callbacks %v", posts)
	}
	if p := f.sim.Payments(); len(p) != 1 || p[0].OriginatorConversationID != "ref-h" {
		t.Fatalf("payments %+v", p)
	}
}

func TestHangAnsweredAfterHangLimit(t *testing.T) {
	f := start(t, Options{HangLimit: time.Millisecond})
	f.sim.FailNext(Fault{Hang: true})
	if r := f.pay(f.payBody("late", "254712345678", 100)); r.status != 200 || r.json(t)["ResponseCode"] != "0" {
		t.Fatalf("%d %s", r.status, r.body)
	}
}

func TestCallbackFaults(t *testing.T) {
	cases := []struct {
		name    string
		fault   Fault
		paid    bool
		paths   []string
		timeout bool // the posts are queue time-out notices
	}{
		{"lost callback", Fault{LoseCallback: true}, true, nil, false},
		{"duplicate callback", Fault{DuplicateCallback: true}, true, []string{"/result", "/result"}, false},
		{"queue time-out, unpaid", Fault{QueueTimeout: true}, false, []string{"/timeout"}, true},
		{"queue time-out, paid", Fault{QueueTimeout: true, QueueTimeoutPaid: true}, true, []string{"/timeout"}, true},
		{"queue time-out of a failure stays unpaid", Fault{QueueTimeout: true, QueueTimeoutPaid: true, ResultCode: "1"}, false, []string{"/timeout"}, true},
		{"lost and hanging", Fault{LoseCallback: true, Hang: true}, true, nil, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := start(t, Options{HangLimit: time.Millisecond})
			f.sim.FailNext(c.fault)
			f.pay(f.payBody("ref-f", "254712345678", 100))
			posts := f.settled()
			var paths []string
			for _, p := range posts {
				paths = append(paths, p.path)
			}
			if strings.Join(paths, " ") != strings.Join(c.paths, " ") {
				t.Fatalf("posted to %v, want %v", paths, c.paths)
			}
			if len(posts) == 2 && !bytes.Equal(posts[0].body, posts[1].body) {
				t.Fatal("the duplicate differs")
			}
			if c.timeout {
				res := result1(t, posts[0])
				if res["ResultType"] != json.Number("1") || res["OriginatorConversationID"] != "ref-f" || res["ResultParameters"] != nil {
					t.Fatalf("queue time-out notice %v", res)
				}
			}
			if paid := len(f.sim.Payments()) == 1; paid != c.paid {
				t.Fatalf("paid %v, want %v", paid, c.paid)
			}
			// Whatever happened, the id is taken.
			if r := f.pay(f.payBody("ref-f", "254712345678", 100)); r.status != 500 {
				t.Fatalf("resend: %d", r.status)
			}
		})
	}
}

func TestFailPhone(t *testing.T) {
	f := start(t, Options{})
	f.sim.FailPhone("+254700000001", Fault{ResultCode: "SFC_IC0003"})
	f.sim.FailPhone("254700000002", Fault{Unavailable: true})
	for i, phone := range []string{"254700000001", "254700000001", "254700000002", "254712345678"} {
		f.pay(f.payBody(string(rune('a'+i)), phone, 100))
	}
	if p := f.sim.Payments(); len(p) != 1 || p[0].Phone != "254712345678" {
		t.Fatalf("payments %+v", p)
	}
	if n := len(f.settled()); n != 3 {
		t.Fatalf("%d callbacks, want 3 (2 failures, 1 success)", n)
	}
	f.sim.ClearFaults()
	f.pay(f.payBody("e", "254700000001", 100))
	f.pay(f.payBody("c", "254700000002", 100)) // its first try did nothing
	if n := len(f.sim.Payments()); n != 3 {
		t.Fatalf("%d payments after ClearFaults, want 3", n)
	}
}

func TestFailNextIsOneShotAndInOrder(t *testing.T) {
	f := start(t, Options{})
	f.sim.FailNext(Fault{ResultCode: "2001"})
	f.sim.FailNext(Fault{ResultCode: "1"})
	for _, ref := range []string{"a", "b", "c"} {
		f.pay(f.payBody(ref, "254712345678", 100))
	}
	codes := map[any]any{}
	for _, p := range f.settled() {
		r := result1(t, p)
		codes[r["OriginatorConversationID"]] = r["ResultCode"]
	}
	if codes["a"] != json.Number("2001") || codes["b"] != json.Number("1") || codes["c"] != json.Number("0") {
		t.Fatalf("codes %v", codes)
	}
}

func TestSetDown(t *testing.T) {
	f := start(t, Options{})
	f.sim.SetDown(Unavailable)
	req, _ := http.NewRequest("GET", f.srv.URL+"/oauth/v1/generate?grant_type=client_credentials", nil)
	req.SetBasicAuth("key", "secret")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 503 {
		t.Fatalf("token while down: %v %v", resp, err)
	}
	resp.Body.Close()
	f.sim.SetDown(Closed)
	req, _ = http.NewRequest("GET", f.srv.URL+"/oauth/v1/generate?grant_type=client_credentials", nil)
	req.SetBasicAuth("key", "secret")
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Fatal("answered while closed")
	}
	f.sim.SetDown(Up)
	if len(f.sim.Tokens()) != 0 {
		t.Fatal("a token was issued while down")
	}
	f.token()
}

func TestCallbackRetries(t *testing.T) {
	f := start(t, Options{CallbackRetries: 2})
	f.rc.answer.Store(500)
	f.pay(f.payBody("r", "254712345678", 100))
	if n := len(f.settled()); n != 3 {
		t.Fatalf("%d posts to a failing receiver, want 1 + 2 retries", n)
	}
	d := f.sim.Deliveries()
	if len(d) != 3 || d[0].Status != 500 || d[0].Kind != "result" || !strings.HasSuffix(d[0].URL, "/result") {
		t.Fatalf("deliveries %+v", d)
	}

	g := start(t, Options{CallbackRetries: -1})
	g.rc.answer.Store(500)
	g.pay(g.payBody("r", "254712345678", 100))
	if n := len(g.settled()); n != 1 {
		t.Fatalf("%d posts with retries off, want 1", n)
	}
}
