package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/mifos-edge/mifos-edge/fineractsim"
	"github.com/mifos-edge/mifos-edge/modemsim"
)

// withHTTP gives the box [http] listen on a free loopback port and returns
// the base URL.
func withHTTP(t *testing.T, e *env) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	f, err := os.OpenFile(e.cfgPath, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := fmt.Fprintf(f, "\n[http]\nlisten = %q\n", addr); err != nil {
		t.Fatal(err)
	}
	return "http://" + addr
}

func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		return 0, err.Error()
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// scrapeUntil scrapes /metrics until ok accepts what it parsed.
func scrapeUntil(t *testing.T, base, what string, ok func(map[string]*dto.MetricFamily) bool) (map[string]*dto.MetricFamily, string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		code, body := httpGet(t, base+"/metrics")
		if code == 200 {
			p := expfmt.NewTextParser(model.LegacyValidation)
			fams, err := p.TextToMetricFamilies(strings.NewReader(body))
			if err != nil {
				t.Fatalf("/metrics does not parse: %v\n%s", err, body)
			}
			if ok(fams) {
				return fams, body
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("/metrics never showed %s; last answer %d:\n%s", what, code, body)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// sample is the value of name's sample whose labels include kv (NaN-free:
// -1 when absent).
func sample(fams map[string]*dto.MetricFamily, name string, kv ...string) float64 {
	f := fams[name]
	if f == nil {
		return -1
	}
next:
	for _, m := range f.Metric {
		have := map[string]string{}
		for _, l := range m.Label {
			have[l.GetName()] = l.GetValue()
		}
		for i := 0; i+1 < len(kv); i += 2 {
			if have[kv[i]] != kv[i+1] {
				continue next
			}
		}
		switch f.GetType() {
		case dto.MetricType_COUNTER:
			return m.GetCounter().GetValue()
		case dto.MetricType_HISTOGRAM:
			return float64(m.GetHistogram().GetSampleCount())
		}
		return m.GetGauge().GetValue()
	}
	return -1
}

// TestOpsEndpoints runs the real daemon with [http] listen and watches it as
// Prometheus and a health check would: a reply sent, Fineract going away.
func TestOpsEndpoints(t *testing.T) {
	e := newEnv(t, envOptions{fineract: true})
	base := withHTTP(t, e)
	e.start()

	var health struct {
		Status string `json:"status"`
		Store  struct {
			Writable bool `json:"writable"`
		} `json:"store"`
		Modem struct {
			State        string `json:"state"`
			Registration string `json:"registration"`
			Operator     string `json:"operator"`
		} `json:"modem"`
		Fineract struct {
			Configured bool   `json:"configured"`
			Link       string `json:"link"`
		} `json:"fineract"`
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		code, body := httpGet(t, base+"/healthz")
		if code == 200 {
			if err := json.Unmarshal([]byte(body), &health); err != nil {
				t.Fatalf("healthz: %v: %s", err, body)
			}
			if health.Modem.State == "ready" && health.Modem.Operator == "Safaricom" && health.Fineract.Link == "up" {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("healthz never showed a ready modem on its network and a live link: %d %s", code, body)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if health.Status != "ok" || !health.Store.Writable || !health.Fineract.Configured {
		t.Errorf("healthz: %+v", health)
	}

	e.deliver(amina, "BAL")
	reply := e.waitReply(amina, 30*time.Second)
	fams, body := scrapeUntil(t, base, "the reply counted", func(f map[string]*dto.MetricFamily) bool {
		return sample(f, "mifos_edge_send_latency_seconds", "priority", "interactive") >= 1 &&
			sample(f, "mifos_edge_messages_out", "state", "submitted") >= 1
	})
	balance := money(t, e.fin.SavingsBalance(fineractsim.SeedSavingsAmina))
	for _, secret := range []string{amina, strings.TrimPrefix(amina, "+"), balance, reply.Text} {
		if strings.Contains(body, secret) {
			t.Errorf("/metrics shows %q", secret)
		}
	}
	for _, c := range []struct {
		name string
		kv   []string
		want float64
	}{
		{"mifos_edge_messages_in", []string{"state", "handled"}, 1},
		{"mifos_edge_messages_in", []string{"state", "pending"}, 0},
		{"mifos_edge_modem_up", nil, 1},
		{"mifos_edge_modem_registration", []string{"status", "home"}, 1},
		{"mifos_edge_fineract_up", nil, 1},
		{"mifos_edge_fineract_errors_total", []string{"class", "unreachable"}, 0},
		{"mifos_edge_store_writable", nil, 1},
		{"mifos_edge_oldest_waiting_seconds", []string{"queue", "inbox"}, 0},
		{"mifos_edge_build_info", nil, 1},
	} {
		if got := sample(fams, c.name, c.kv...); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.kv, got, c.want)
		}
	}
	if n := sample(fams, "mifos_edge_fineract_requests_total"); n < 2 {
		t.Errorf("fineract requests = %v after a setup check and a balance", n)
	}
	if age := sample(fams, "mifos_edge_modem_last_answer_age_seconds"); age < 0 || age > 10 {
		t.Errorf("modem last answer %v s ago (probe interval 2 s)", age)
	}
	if sample(fams, "mifos_edge_store_filesystem_free_bytes") <= 0 || sample(fams, "mifos_edge_store_size_bytes") <= 0 {
		t.Error("no store size or free space")
	}

	// Fineract goes away: a balance asked now finds no answer, and the
	// link shows down with the error counted by class.
	if err := e.fin.SetDown(true); err != nil {
		t.Fatal(err)
	}
	e.deliver(amina, "balance") // another text: the same one would be a duplicate
	e.waitSent(30*time.Second, "the offline answer", func(s []modemsim.Sent) bool { return len(e.sentToLocked(s, amina)) >= 2 })
	scrapeUntil(t, base, "the link down", func(f map[string]*dto.MetricFamily) bool {
		return sample(f, "mifos_edge_fineract_up") == 0 && sample(f, "mifos_edge_fineract_errors_total", "class", "unreachable") >= 1
	})
	code, hb := httpGet(t, base+"/healthz")
	if code != 200 || !strings.Contains(hb, `"link":"down"`) || !strings.Contains(hb, `"last_error_class":"unreachable"`) {
		t.Errorf("healthz with Fineract down: %d %s", code, hb)
	}
	if strings.Contains(hb, amina) {
		t.Error("healthz shows a phone number")
	}
}
