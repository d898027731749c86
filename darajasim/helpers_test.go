package darajasim

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// testNow is 22:48:52 EAT on 6 July 2024, the moment of Daraja's sample.
var testNow = time.Date(2024, 7, 6, 19, 48, 52, 0, time.UTC)

// clock is a settable test clock.
type clock struct{ t atomic.Pointer[time.Time] }

func newClock(t time.Time) *clock {
	c := &clock{}
	c.t.Store(&t)
	return c
}
func (c *clock) now() time.Time          { return *c.t.Load() }
func (c *clock) advance(d time.Duration) { t := c.now().Add(d); c.t.Store(&t) }

// receiver records the callbacks posted to it, answering status (200 by
// default; set answer to change it).
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	got    []posted
	answer atomic.Int32
}

type posted struct {
	path string
	body []byte
}

func newReceiver(t *testing.T) *receiver {
	rc := &receiver{}
	rc.answer.Store(http.StatusOK)
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		rc.got = append(rc.got, posted{r.URL.Path, b})
		rc.mu.Unlock()
		w.WriteHeader(int(rc.answer.Load()))
		_, _ = w.Write([]byte(`{"ResultCode":0,"ResultDesc":"Accepted"}`))
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) posts() []posted {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]posted(nil), rc.got...)
}

type fixture struct {
	t   *testing.T
	sim *Server
	srv *httptest.Server
	rc  *receiver
	clk *clock
}

func start(t *testing.T, opts Options) *fixture {
	t.Helper()
	f := &fixture{t: t, rc: newReceiver(t), clk: newClock(testNow)}
	if opts.Clock == nil {
		opts.Clock = f.clk.now
	}
	if opts.ResultDelay == 0 {
		opts.ResultDelay = time.Millisecond
	}
	opts.Seed = 42
	f.sim = New(opts)
	f.srv = httptest.NewServer(f.sim)
	t.Cleanup(func() { f.sim.Close(); f.srv.Close() }) // the stand-in first: it releases hanging requests
	return f
}

type reply struct {
	status int
	body   []byte
}

func (r reply) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("answer %d is not JSON: %q", r.status, r.body)
	}
	return m
}

func (f *fixture) do(method, path, auth string, body any) reply {
	f.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			f.t.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, f.srv.URL+path, rd)
	if err != nil {
		f.t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := f.srv.Client().Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return reply{resp.StatusCode, b}
}

// token gets an access token with the default credentials.
func (f *fixture) token() string {
	f.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, f.srv.URL+"/oauth/v1/generate?grant_type=client_credentials", nil)
	req.SetBasicAuth(f.sim.opts.ConsumerKey, f.sim.opts.ConsumerSecret)
	resp, err := f.srv.Client().Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	var m struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil || m.AccessToken == "" {
		f.t.Fatalf("no token: %v %d", err, resp.StatusCode)
	}
	return "Bearer " + m.AccessToken
}

// payBody is a valid B2C request paying phone amount (whole shillings).
func (f *fixture) payBody(ocid, phone string, amount any) map[string]any {
	return map[string]any{
		"OriginatorConversationID": ocid,
		"InitiatorName":            "apiop",
		"SecurityCredential":       "credential",
		"CommandID":                "BusinessPayment",
		"Amount":                   amount,
		"PartyA":                   "600997",
		"PartyB":                   phone,
		"Remarks":                  "Loan 000000981",
		"QueueTimeOutURL":          f.rc.URL + "/timeout",
		"ResultURL":                f.rc.URL + "/result",
		"Occassion":                "",
	}
}

func (f *fixture) statusBody(original string) map[string]any {
	return map[string]any{
		"Initiator":              "apiop",
		"SecurityCredential":     "credential",
		"CommandID":              "TransactionStatusQuery",
		"OriginalConversationID": original,
		"PartyA":                 "600997",
		"IdentifierType":         "4",
		"ResultURL":              f.rc.URL + "/status-result",
		"QueueTimeOutURL":        f.rc.URL + "/status-timeout",
		"Remarks":                "status",
	}
}

const payPath = "/mpesa/b2c/v3/paymentrequest"
const statusPath = "/mpesa/transactionstatus/v1/query"

// pay sends a B2C request with a fresh token.
func (f *fixture) pay(body map[string]any) reply {
	f.t.Helper()
	return f.do(http.MethodPost, payPath, f.token(), body)
}

// settled waits for the callbacks and returns what reached the receiver.
func (f *fixture) settled() []posted {
	f.sim.Settle()
	return f.rc.posts()
}

// result decodes a posted callback.
func result1(t *testing.T, p posted) map[string]any {
	t.Helper()
	var m struct {
		Result map[string]any
	}
	d := json.NewDecoder(bytes.NewReader(p.body))
	d.UseNumber()
	if err := d.Decode(&m); err != nil || m.Result == nil {
		t.Fatalf("callback %s is not a Result: %q", p.path, p.body)
	}
	return m.Result
}

// params reads ResultParameters.ResultParameter when it is an array.
func params(t *testing.T, res map[string]any) map[string]any {
	t.Helper()
	rp, _ := res["ResultParameters"].(map[string]any)
	list, ok := rp["ResultParameter"].([]any)
	if !ok {
		t.Fatalf("ResultParameter is not an array: %v", res["ResultParameters"])
	}
	out := map[string]any{}
	for _, p := range list {
		m := p.(map[string]any)
		out[m["Key"].(string)] = m["Value"]
	}
	return out
}
