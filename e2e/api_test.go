package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mifos-edge/mifos-edge/api"
	"github.com/mifos-edge/mifos-edge/modemsim"
	"github.com/mifos-edge/mifos-edge/webhook"
)

// TestAPISendReachesModem drives the real daemon over real HTTP: a token
// made by the real CLI queues SMS with POST /api/v1/sms, the simulated
// modem receives each of them, a retried request with the same
// Idempotency-Key is sent once, GET /api/v1/sms/{id} follows the state,
// and a received SMS shows up in GET /api/v1/messages and at a signed
// webhook. It logs the API send -> modem submit latency.
func TestAPISendReachesModem(t *testing.T) {
	var mu sync.Mutex
	var hooks []webhook.Envelope
	secret := "e2e-webhook-secret-0123456789"
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := webhook.Verify([]byte(secret), r.Header.Get(webhook.SignatureHeader), body, time.Now(), time.Minute); err != nil {
			t.Errorf("webhook signature: %v", err)
			w.WriteHeader(401)
			return
		}
		var e webhook.Envelope
		_ = json.Unmarshal(body, &e)
		mu.Lock()
		hooks = append(hooks, e)
		mu.Unlock()
		w.WriteHeader(204)
	}))
	defer receiver.Close()

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	extra := fmt.Sprintf("\n[http]\nlisten = %q\n\n[[webhook]]\nurl = %q\nevents = [\"sms.received\"]\nsecret = %q\n", addr, receiver.URL, secret)
	e := newEnv(t, envOptions{extraSMS: extra})
	e.start()
	// The real CLI, as a technician runs it (with the daemon up, through its socket).
	outb, err := exec.Command(binary, "token", "add", "--config", e.cfgPath, "--name", "crm", "--scope", "send,read").CombinedOutput()
	out := string(outb)
	if err != nil {
		t.Fatalf("token add: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	tok := lines[len(lines)-1]
	base := "http://" + addr
	call := func(method, path, body string, hdr ...string) (int, http.Header, []byte) {
		t.Helper()
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tok)
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header, b
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(base + "/api/v1/openapi.json")
		if err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the API does not answer on %s: %v", addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if st, _, _ := call("GET", "/api/v1/messages", ""); st != 200 {
		t.Fatalf("GET messages with a send,read token: %d", st)
	}

	// 50 sends, one at a time: API accepted -> modem got the PDU.
	const n = 50
	var lat []time.Duration
	for i := range n {
		text := fmt.Sprintf("API latency probe %d", i)
		t0 := time.Now()
		st, _, body := call("POST", "/api/v1/sms", fmt.Sprintf(`{"to":"0711 %06d","text":%q}`, i, text))
		if st != 202 {
			t.Fatalf("send %d: %d %s", i, st, body)
		}
		to := fmt.Sprintf("+254711%06d", i)
		got := e.waitSent(15*time.Second, "API SMS "+to, func(all []modemsim.Sent) bool {
			return slices.ContainsFunc(e.sentToLocked(all, to), func(s modemsim.Sent) bool { return s.Text == text })
		})
		for _, s := range got {
			if s.To == to && s.Text == text {
				lat = append(lat, s.Time.Sub(t0))
			}
		}
	}
	slices.Sort(lat)
	t.Logf("API send -> modem submit over %d sends: p50 %v, p90 %v, max %v", len(lat), lat[len(lat)/2], lat[len(lat)*9/10], lat[len(lat)-1])

	// A retried POST with the same key: one SMS, one id.
	body := `{"to":"+254711777777","text":"Retried once"}`
	st1, _, b1 := call("POST", "/api/v1/sms", body, "Idempotency-Key", "e2e-retry-1")
	st2, h2, b2 := call("POST", "/api/v1/sms", body, "Idempotency-Key", "e2e-retry-1")
	var v1, v2 api.SMS
	_ = json.Unmarshal(b1, &v1)
	_ = json.Unmarshal(b2, &v2)
	if st1 != 202 || st2 != 202 || v1.ID == 0 || v1.ID != v2.ID || h2.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("retry: %d %s / %d %s", st1, b1, st2, b2)
	}
	e.waitSent(15*time.Second, "the retried SMS", func(all []modemsim.Sent) bool { return len(e.sentToLocked(all, "+254711777777")) > 0 })
	var state api.SMS
	for deadline := time.Now().Add(10 * time.Second); state.State != "submitted"; {
		if time.Now().After(deadline) {
			t.Fatalf("SMS %d never shows submitted: %+v", v1.ID, state)
		}
		_, _, b := call("GET", fmt.Sprintf("/api/v1/sms/%d", v1.ID), "")
		_ = json.Unmarshal(b, &state)
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond)
	if got := e.sentTo("+254711777777"); len(got) != 1 {
		t.Errorf("the retried SMS reached the modem %d times", len(got))
	}

	// A received SMS: in the message list, and at the webhook.
	e.deliver("+254711888888", "Please call me back")
	var page api.MessagePage
	for deadline := time.Now().Add(15 * time.Second); len(page.Messages) == 0; {
		if time.Now().After(deadline) {
			t.Fatal("the received SMS never shows in GET /api/v1/messages")
		}
		_, _, b := call("GET", "/api/v1/messages?since="+page.NextCursor, "")
		_ = json.Unmarshal(b, &page)
		time.Sleep(50 * time.Millisecond)
	}
	if m := page.Messages[0]; m.From != "+254711888888" || m.Text == nil || *m.Text != "Please call me back" {
		t.Errorf("message %+v", m)
	}
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		mu.Lock()
		got := slices.Clone(hooks)
		mu.Unlock()
		if len(got) > 0 {
			if got[0].Type != webhook.SMSReceived || !bytes.Contains(got[0].Data, []byte("Please call me back")) {
				t.Errorf("webhook %+v", got[0])
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the webhook never got sms.received")
		}
	}
}
