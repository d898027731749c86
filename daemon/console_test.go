package daemon

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mifos-edge/mifos-edge/config"
	"github.com/mifos-edge/mifos-edge/store"
	"github.com/mifos-edge/mifos-edge/web"
)

// The daemon mounts the console at / on [http] listen, and the console
// reads the daemon's own state.
func TestDaemonServesTheConsole(t *testing.T) {
	dir := t.TempDir()
	cfg := &config.Config{}
	cfg.Modem.Device = filepath.Join(dir, "no-modem")
	cfg.Store.Path = filepath.Join(dir, "state.db")
	cfg.Security.KeyFile = filepath.Join(dir, "box.key")
	cfg.SMS.Country = "KE"
	cfg.SetDefaults()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	d, err := Open(cfg, Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.db.Close() })
	srv := httptest.NewServer(web.Protect(d.httpMux()))
	t.Cleanup(srv.Close)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for path, want := range map[string]string{"/": "/console/", "/console/": "/console/signin", "/console/money": "/console/signin"} {
		resp, err := client.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != want {
			t.Errorf("GET %s: %d %q, want 303 to %s", path, resp.StatusCode, resp.Header.Get("Location"), want)
		}
	}
	resp, err := client.Get(srv.URL + "/console/signin")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `action="/console/signin"`) {
		t.Errorf("sign-in page: %d\n%s", resp.StatusCode, body)
	}

	if _, err := d.db.Enqueue(store.Outbound{To: "+254700000001", Text: "hello"}); err != nil {
		t.Fatal(err)
	}
	st, err := consoleBox{d}.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st.Store.Queued != 1 || st.Oldest.Outbox.IsZero() || st.Link.Configured || st.Modem.Device != cfg.Modem.Device {
		t.Errorf("status = %+v", st)
	}
	if p := st.Problems(st.Oldest.Outbox); len(p) == 0 || !strings.Contains(p[0].What, "modem is not working") {
		t.Errorf("a box without its modem shows problems %+v", p)
	}
}
