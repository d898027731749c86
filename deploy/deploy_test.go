// Package deploy holds what a head office runs to watch a fleet of boxes:
// a Prometheus scrape config, alert rules and their unit tests, and a
// Grafana dashboard. This test checks them with promtool and checks that
// every metric they name is one the box exports.
package deploy

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mifos-edge/mifos-edge/modem"
	"github.com/mifos-edge/mifos-edge/ops"
	"github.com/mifos-edge/mifos-edge/store"
)

// promtool finds promtool; without it the test fails in CI (which installs
// it) and is skipped elsewhere, saying how to get it.
func promtool(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("promtool")
	if err == nil {
		return path
	}
	if os.Getenv("CI") != "" {
		t.Fatal("promtool is not installed, and CI must check deploy/prometheus: .ci/run installs the Debian package prometheus")
	}
	t.Skip("promtool is not installed, so deploy/prometheus is not checked here: apt-get install prometheus (CI installs it and runs this check)")
	return ""
}

func TestPromtool(t *testing.T) {
	bin := promtool(t)
	for _, args := range [][]string{
		{"check", "config", "prometheus.yml"},
		{"check", "rules", "mifos-edge-rules.yml"},
		{"test", "rules", "mifos-edge-rules_test.yml"},
	} {
		cmd := exec.Command(bin, args...)
		cmd.Dir = "prometheus"
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

// TestFileSDTargets: boxes.json is valid file_sd: targets and labels.
func TestFileSDTargets(t *testing.T) {
	var groups []struct {
		Targets []string          `json:"targets"`
		Labels  map[string]string `json:"labels"`
	}
	b, err := os.ReadFile("prometheus/boxes.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &groups); err != nil {
		t.Fatal(err)
	}
	branches := map[string]bool{}
	for _, g := range groups {
		if len(g.Targets) != 1 || g.Labels["branch"] == "" || branches[g.Labels["branch"]] {
			t.Errorf("target group %+v: want one target and a unique branch label", g)
		}
		branches[g.Labels["branch"]] = true
	}
	if len(groups) != 50 {
		t.Errorf("%d boxes in the example, want 50", len(groups))
	}
}

type dashboard struct {
	Title      string `json:"title"`
	Templating struct {
		List []struct {
			Name  string `json:"name"`
			Type  string `json:"type"`
			Query any    `json:"query"`
			Multi bool   `json:"multi"`
		} `json:"list"`
	} `json:"templating"`
	Panels []struct {
		Type       string `json:"type"`
		Title      string `json:"title"`
		Datasource struct {
			UID string `json:"uid"`
		} `json:"datasource"`
		Targets []struct {
			Expr string `json:"expr"`
		} `json:"targets"`
	} `json:"panels"`
}

func TestDashboard(t *testing.T) {
	d := readDashboard(t)
	vars := map[string]string{}
	for _, v := range d.Templating.List {
		vars[v.Name] = v.Type
	}
	if vars["datasource"] != "datasource" || vars["branch"] != "query" {
		t.Errorf("want a datasource variable and a branch selector, have %v", vars)
	}
	rows := 0
	for _, p := range d.Panels {
		if p.Type == "row" {
			rows++
			continue
		}
		if p.Datasource.UID != "${datasource}" {
			t.Errorf("panel %q does not use the datasource variable", p.Title)
		}
		for _, q := range p.Targets {
			if !strings.Contains(q.Expr, `branch=~"$branch"`) {
				t.Errorf("panel %q ignores the box selector: %s", p.Title, q.Expr)
			}
		}
	}
	if rows < 5 {
		t.Errorf("%d rows, want one per concern (fleet, modem, messages, postings, store, process)", rows)
	}
}

func readDashboard(t *testing.T) dashboard {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("grafana", "mifos-edge-fleet.json"))
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	return d
}

// arriving are metrics the rules name before a box exports them.
var arriving = map[string]string{}

// TestNamesExist: every mifos_edge_ metric the rules and the dashboard name
// is one a box exports, so a renamed metric cannot leave an alert silent.
func TestNamesExist(t *testing.T) {
	exported := scrapeNames(t)
	rules, err := os.ReadFile("prometheus/mifos-edge-rules.yml")
	if err != nil {
		t.Fatal(err)
	}
	dash, err := os.ReadFile("grafana/mifos-edge-fleet.json")
	if err != nil {
		t.Fatal(err)
	}
	name := regexp.MustCompile(`mifos_edge_[a-z_]+`)
	for file, text := range map[string][]byte{"rules": rules, "dashboard": dash} {
		for _, n := range name.FindAllString(string(text), -1) {
			family := n
			for _, suffix := range []string{"_bucket", "_count", "_sum"} {
				if base, ok := strings.CutSuffix(n, suffix); ok && exported[base] {
					family = base
				}
			}
			if _, later := arriving[family]; later {
				if exported[family] {
					t.Errorf("%s is exported now: take it out of the arriving list", family)
				}
				continue
			}
			if !exported[family] {
				t.Errorf("%s names %s, which the box does not export", file, n)
			}
		}
	}
}

// scrapeNames serves /metrics from a real store with a ready modem and a
// Fineract link that answered, and returns the family names.
func scrapeNames(t *testing.T) map[string]bool {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "state.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	m := ops.NewMetrics(true)
	m.FineractAnswer(context.Background(), nil)
	mux := http.NewServeMux()
	ops.Mount(mux, ops.Options{Queues: db, Store: db, Metrics: m,
		Modem: func() modem.Status {
			return modem.Status{State: modem.StateReady, SignalRSSI: 15, Registration: 1, LastOK: time.Now(), StorageTotal: 20}
		},
		Setup:    func() (bool, []string) { return true, nil },
		Payments: db.PaymentCounts, DisburseLines: db.DisburseLineCounts})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	res, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	names := map[string]bool{}
	for _, line := range strings.Split(string(body), "\n") {
		if rest, ok := strings.CutPrefix(line, "# TYPE "); ok {
			names[strings.Fields(rest)[0]] = true
		}
	}
	if len(names) < 20 {
		t.Fatalf("only %d families scraped:\n%s", len(names), body)
	}
	return names
}
