package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/kardianos/service"
)

func TestParseServiceArgs(t *testing.T) {
	cwd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args       []string
		wantAction string
		wantConfig string
		wantErr    string
	}{
		{args: []string{"install", "--config", "/etc/x.toml"}, wantAction: "install", wantConfig: "/etc/x.toml"},
		{args: []string{"--config", "/etc/x.toml", "install"}, wantAction: "install", wantConfig: "/etc/x.toml"},
		{args: []string{"status"}, wantAction: "status", wantConfig: defaultConfigPath},
		{args: []string{"install", "-config=edge.toml"}, wantAction: "install", wantConfig: filepath.Join(cwd, "edge.toml")},
		{args: nil, wantErr: "no action given"},
		{args: []string{"instal"}, wantErr: `unknown action "instal"`},
		{args: []string{"start", "now"}, wantErr: `service start: unexpected argument "now"`},
		{args: []string{"install", "--config"}, wantErr: "flag needs an argument"},
		{args: []string{"install", "--confg", "x"}, wantErr: "flag provided but not defined: -confg"},
		{args: []string{"install", "--config", ""}, wantErr: "--config must name the configuration file"},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			var usage bytes.Buffer
			got, err := parseServiceArgs(tc.args, &usage)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error = %v, want it to contain %q", err, tc.wantErr)
				}
				if !strings.Contains(usage.String(), "usage: mifos-edge service <action>") {
					t.Errorf("usage text not shown on a usage error; got %q", usage.String())
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.action != tc.wantAction || got.configPath != tc.wantConfig {
				t.Errorf("got %+v, want action %q config %q", got, tc.wantAction, tc.wantConfig)
			}
		})
	}

	var usage bytes.Buffer
	if _, err := parseServiceArgs([]string{"-h"}, &usage); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("-h: error = %v, want flag.ErrHelp so main exits quietly", err)
	}
	for _, a := range serviceActions {
		if !strings.Contains(usage.String(), "  "+a+" ") {
			t.Errorf("usage does not describe %q:\n%s", a, usage.String())
		}
	}
}

// fakeService records the control calls the command makes.
type fakeService struct {
	status     service.Status
	statusErr  error
	installErr error
	calls      []string
	config     *service.Config
}

func (f *fakeService) Install() error   { f.calls = append(f.calls, "install"); return f.installErr }
func (f *fakeService) Uninstall() error { f.calls = append(f.calls, "uninstall"); return nil }
func (f *fakeService) Start() error     { f.calls = append(f.calls, "start"); return nil }
func (f *fakeService) Stop() error      { f.calls = append(f.calls, "stop"); return nil }
func (f *fakeService) Status() (service.Status, error) {
	return f.status, f.statusErr
}

const goodServiceConfig = `
[modem]
device = "/dev/mifos-modem"
[store]
path = "/var/lib/mifos-edge/state.db"
`

type serviceHarness struct {
	cmd  *serviceCommand
	fake *fakeService
	out  *bytes.Buffer
	dir  string
}

func newServiceHarness(t *testing.T, configText string) *serviceHarness {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "mifos-edge.toml"), []byte(configText), 0o644); err != nil {
		t.Fatal(err)
	}
	h := &serviceHarness{fake: &fakeService{statusErr: service.ErrNotInstalled}, out: &bytes.Buffer{}, dir: dir}
	h.cmd = &serviceCommand{
		out:        h.out,
		euid:       func() int { return 0 },
		executable: func() (string, error) { return "/usr/local/bin/mifos-edge", nil },
		lookupUser: func(string) error { return nil },
		newService: func(c *service.Config) (serviceControl, error) { h.fake.config = c; return h.fake, nil },
		// t.TempDir lives under /tmp, which the real list rejects.
		hiddenDirs: []string{"/home", "/root"},
	}
	return h
}

func (h *serviceHarness) run(args ...string) error {
	return h.cmd.Run(context.Background(), args)
}

func (h *serviceHarness) configPath() string { return filepath.Join(h.dir, "mifos-edge.toml") }

func TestServiceInstall(t *testing.T) {
	h := newServiceHarness(t, goodServiceConfig)
	if err := h.run("install", "--config", h.configPath()); err != nil {
		t.Fatal(err)
	}
	if strings.Join(h.fake.calls, ",") != "install" {
		t.Errorf("calls = %v, want [install]", h.fake.calls)
	}
	c := h.fake.config
	wantArgs := []string{"run", "--config", h.configPath()}
	if strings.Join(c.Arguments, " ") != strings.Join(wantArgs, " ") {
		t.Errorf("Arguments = %q, want %q", c.Arguments, wantArgs)
	}
	if c.Name != "mifos-edge" || c.UserName != "mifos-edge" || c.Executable != "/usr/local/bin/mifos-edge" || c.DisplayName == "" || c.Description == "" {
		t.Errorf("service config = %+v", c)
	}
	if c.Option["UserService"] != false || c.Option["Restart"] != "always" || c.Option["SystemdScript"] != systemdUnitTemplate {
		t.Errorf("options = %v", c.Option)
	}
	if !strings.Contains(h.out.String(), "sudo mifos-edge service start") {
		t.Errorf("install does not say how to start: %q", h.out.String())
	}
}

func TestServiceInstallRefusals(t *testing.T) {
	tests := []struct {
		name    string
		config  string
		setup   func(*serviceHarness)
		wantErr []string
	}{
		{
			name:    "broken config names key and line",
			config:  goodServiceConfig + "[sms]\nreplies_per_hour = \"ten\"\n",
			wantErr: []string{"not installing: the configuration has problems", "mifos-edge.toml:7: sms.replies_per_hour: expected an integer, got a string"},
		},
		{
			name:    "invalid values",
			config:  goodServiceConfig + "[sms]\ncountry = \"kenya\"\n",
			wantErr: []string{"not installing", `sms.country: "kenya"`},
		},
		{
			name:    "not root",
			config:  goodServiceConfig,
			setup:   func(h *serviceHarness) { h.cmd.euid = func() int { return 1000 } },
			wantErr: []string{"must be run as root: sudo /usr/local/bin/mifos-edge service install --config /"},
		},
		{
			name:   "program in a home directory",
			config: goodServiceConfig,
			setup: func(h *serviceHarness) {
				h.cmd.executable = func() (string, error) { return "/home/tech/mifos-edge", nil }
			},
			wantErr: []string{"cannot run a program from /home", "sudo install -m 0755 /home/tech/mifos-edge /usr/local/bin/mifos-edge"},
		},
		{
			name:    "store outside the state directory",
			config:  "[modem]\ndevice = \"/dev/mifos-modem\"\n[store]\npath = \"/srv/edge.db\"\n",
			wantErr: []string{"store.path /srv/edge.db is outside /var/lib/mifos-edge"},
		},
		{
			name:    "socket outside writable directories",
			config:  goodServiceConfig + "[control]\nsocket = \"/srv/edge.sock\"\n",
			wantErr: []string{"control.socket /srv/edge.sock must be inside /var/lib/mifos-edge or /run/mifos-edge"},
		},
		{
			name:    "service user missing",
			config:  goodServiceConfig,
			setup:   func(h *serviceHarness) { h.cmd.lookupUser = func(string) error { return errors.New("unknown user") } },
			wantErr: []string{"the user mifos-edge does not exist", "useradd --system"},
		},
		{
			name:    "already installed",
			config:  goodServiceConfig,
			setup:   func(h *serviceHarness) { h.fake.statusErr, h.fake.status = nil, service.StatusStopped },
			wantErr: []string{"already installed", "sudo mifos-edge service uninstall"},
		},
		{
			name:   "unit file left over",
			config: goodServiceConfig,
			setup: func(h *serviceHarness) {
				h.fake.installErr = errors.New("Init already exists: /etc/systemd/system/mifos-edge.service")
			},
			wantErr: []string{"already installed"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newServiceHarness(t, tc.config)
			if tc.setup != nil {
				tc.setup(h)
			}
			err := h.run("install", "--config", h.configPath())
			if err == nil {
				t.Fatal("install succeeded")
			}
			for _, w := range tc.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not contain %q:\n%v", w, err)
				}
			}
			if tc.name != "unit file left over" && len(h.fake.calls) > 0 {
				t.Errorf("refused install still called %v", h.fake.calls)
			}
		})
	}

	t.Run("config in the real temp dir is hidden by PrivateTmp", func(t *testing.T) {
		h := newServiceHarness(t, goodServiceConfig)
		h.cmd.hiddenDirs = hiddenFromService
		err := h.run("install", "--config", h.configPath())
		if err == nil || !strings.Contains(err.Error(), "its sandbox hides /tmp") {
			t.Errorf("error = %v", err)
		}
	})
}

func TestServiceControlActions(t *testing.T) {
	tests := []struct {
		args      []string
		status    service.Status
		statusErr error
		wantOut   string
		wantCalls string
		wantErr   string
	}{
		{args: []string{"status"}, status: service.StatusRunning, wantOut: "mifos-edge service: running\n"},
		{args: []string{"status"}, status: service.StatusStopped, wantOut: "mifos-edge service: stopped\n"},
		{args: []string{"status"}, statusErr: service.ErrNotInstalled, wantOut: "mifos-edge service: not installed\n"},
		{args: []string{"status"}, statusErr: errors.New("service in failed state"), wantOut: "mifos-edge service: unknown (service in failed state)\n"},
		{args: []string{"start"}, status: service.StatusStopped, wantOut: "mifos-edge service started\n", wantCalls: "start"},
		{args: []string{"stop"}, status: service.StatusRunning, wantOut: "mifos-edge service stopped\n", wantCalls: "stop"},
		{args: []string{"uninstall"}, status: service.StatusRunning, wantCalls: "stop,uninstall", wantOut: "mifos-edge service removed"},
		{args: []string{"start"}, statusErr: service.ErrNotInstalled, wantErr: "not installed: sudo mifos-edge service install"},
		{args: []string{"uninstall"}, statusErr: service.ErrNotInstalled, wantErr: "not installed"},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprint(tc.args, tc.status, tc.statusErr), func(t *testing.T) {
			h := newServiceHarness(t, goodServiceConfig)
			h.fake.status, h.fake.statusErr = tc.status, tc.statusErr
			err := h.run(tc.args...)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error = %v, want %q", err, tc.wantErr)
				}
				if len(h.fake.calls) > 0 {
					t.Errorf("calls = %v after a refusal", h.fake.calls)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(h.out.String(), tc.wantOut) {
				t.Errorf("output = %q, want %q", h.out.String(), tc.wantOut)
			}
			if got := strings.Join(h.fake.calls, ","); got != tc.wantCalls {
				t.Errorf("calls = %q, want %q", got, tc.wantCalls)
			}
		})
	}

	t.Run("non-root control", func(t *testing.T) {
		h := newServiceHarness(t, goodServiceConfig)
		h.cmd.euid = func() int { return 1000 }
		if err := h.run("stop"); err == nil || err.Error() != "must be run as root: sudo mifos-edge service stop" {
			t.Errorf("error = %v", err)
		}
		h.fake.status, h.fake.statusErr = service.StatusRunning, nil
		if err := h.run("status"); err != nil {
			t.Errorf("status must work without root: %v", err)
		}
	})
}

// renderKardianos expands the subset of kardianos/service v1.3's template
// language the unit uses ({{Key}}, {{Key | fn}}, {{range Key}}{{. | fn}}{{end}}),
// failing on anything else, such as text/template's dotted {{.Path}}, which
// kardianos would reject at install time with "unknown template key".
func renderKardianos(tmpl string, data map[string]any) (string, error) {
	funcs := map[string]func(string) string{
		"cmd":       func(s string) string { return `"` + strings.ReplaceAll(s, `"`, `\"`) + `"` },
		"cmdEscape": func(s string) string { return strings.ReplaceAll(s, " ", `\x20`) },
	}
	action := regexp.MustCompile(`\{\{\s*([^}]*?)\s*\}\}`)
	value := func(expr string, dot string) (string, error) {
		parts := strings.Split(expr, "|")
		key := strings.TrimSpace(parts[0])
		var s string
		if key == "." {
			s = dot
		} else {
			v, ok := data[key].(string)
			if !ok {
				return "", fmt.Errorf("unknown template key %q", key)
			}
			s = v
		}
		for _, f := range parts[1:] {
			fn, ok := funcs[strings.TrimSpace(f)]
			if !ok {
				return "", fmt.Errorf("unknown template function %q", f)
			}
			s = fn(s)
		}
		return s, nil
	}
	var out strings.Builder
	rest := tmpl
	for {
		loc := action.FindStringSubmatchIndex(rest)
		if loc == nil {
			out.WriteString(rest)
			return out.String(), nil
		}
		out.WriteString(rest[:loc[0]])
		expr := rest[loc[2]:loc[3]]
		rest = rest[loc[1]:]
		if key, ok := strings.CutPrefix(expr, "range "); ok {
			end := strings.Index(rest, "{{end}}")
			if end < 0 {
				return "", errors.New("range without end")
			}
			body := rest[:end]
			rest = rest[end+len("{{end}}"):]
			items, ok := data[strings.TrimSpace(key)].([]string)
			if !ok {
				return "", fmt.Errorf("range over non-list %q", key)
			}
			for _, item := range items {
				expanded := body
				for _, m := range action.FindAllStringSubmatch(body, -1) {
					v, err := value(m[1], item)
					if err != nil {
						return "", err
					}
					expanded = strings.Replace(expanded, m[0], v, 1)
				}
				out.WriteString(expanded)
			}
			continue
		}
		v, err := value(expr, "")
		if err != nil {
			return "", err
		}
		out.WriteString(v)
	}
}

// renderUnit renders the template from the data kardianos builds in
// (*systemd).Install for this service's configuration.
func renderUnit(t *testing.T, configPath string) string {
	t.Helper()
	c := serviceConfig(configPath, "/usr/local/bin/mifos-edge")
	data := map[string]any{
		"Description": c.Description,
		"Path":        c.Executable,
		"Name":        c.Name,
		"Arguments":   c.Arguments,
		"UserName":    c.UserName,
		"Restart":     c.Option["Restart"].(string),
	}
	unit, err := renderKardianos(c.Option["SystemdScript"].(string), data)
	if err != nil {
		t.Fatal(err)
	}
	return unit
}

func TestSystemdUnitTemplate(t *testing.T) {
	unit := renderUnit(t, "/etc/mifos-edge/mifos-edge.toml")
	for _, want := range []string{
		"\nExecStart=/usr/local/bin/mifos-edge \"run\" \"--config\" \"/etc/mifos-edge/mifos-edge.toml\"\n",
		"\nRestart=always\n",
		"\nUser=mifos-edge\n",
		"\nSupplementaryGroups=dialout\n",
		"\nStateDirectory=mifos-edge\n",
		"\nRuntimeDirectory=mifos-edge\n",
		"\nProtectSystem=strict\n",
		"\nDevicePolicy=closed\n",
		"\nDeviceAllow=char-ttyUSB rw\n",
		"\nDescription=" + serviceDescription + "\n",
		"\nWantedBy=multi-user.target\n",
	} {
		if !strings.Contains(unit, want) {
			t.Errorf("rendered unit lacks %q:\n%s", want, unit)
		}
	}

	spaced := renderUnit(t, "/etc/mifos edge/edge.toml")
	if !strings.Contains(spaced, `"--config" "/etc/mifos edge/edge.toml"`) {
		t.Errorf("a config path with a space must stay one argument:\n%s", spaced)
	}

	if _, err := renderKardianos("ExecStart={{.Path}}", map[string]any{"Path": "x"}); err == nil {
		t.Error("test renderer accepted text/template syntax that kardianos rejects")
	}
}

// TestSystemdUnitMatchesShippedFile keeps systemd/mifos-edge.service (for
// manual installs) and the unit written by 'service install' identical
// apart from comments and argument quoting.
func TestSystemdUnitMatchesShippedFile(t *testing.T) {
	shipped, err := os.ReadFile("../../systemd/mifos-edge.service")
	if err != nil {
		t.Fatal(err)
	}
	rendered := renderUnit(t, "/etc/mifos-edge/mifos-edge.toml")
	norm := func(text string) []string {
		var lines []string
		for _, l := range strings.Split(text, "\n") {
			l = strings.TrimSpace(l)
			if l == "" || strings.HasPrefix(l, "#") || strings.HasPrefix(l, "Description=") {
				continue
			}
			if strings.HasPrefix(l, "ExecStart=") {
				l = strings.ReplaceAll(l, `"`, "")
			}
			lines = append(lines, l)
		}
		return lines
	}
	a, b := norm(string(shipped)), norm(rendered)
	if strings.Join(a, "\n") != strings.Join(b, "\n") {
		t.Errorf("systemd/mifos-edge.service and systemdUnitTemplate differ:\nshipped:\n%s\n\nrendered:\n%s",
			strings.Join(a, "\n"), strings.Join(b, "\n"))
	}
}
