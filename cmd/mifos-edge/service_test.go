package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/kardianos/service"

	"github.com/mifos-edge/mifos-edge/boxkey"
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
	cmd       *serviceCommand
	fake      *fakeService
	out       *bytes.Buffer
	dir       string
	loads     int   // calls of loadModules
	loadError error // what loadModules returns
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
		hiddenDirs:  []string{"/home", "/root"},
		modulesLoad: filepath.Join(dir, "modules-load.conf"),
		loadModules: func() error { h.loads++; return h.loadError },
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
	// The unit runs nothing as root, so install has the drivers loaded at boot and now.
	if got, err := os.ReadFile(h.cmd.modulesLoad); err != nil || string(got) != "usbserial\noption\ncdc_acm\n" {
		t.Errorf("modules-load.d file = %q, %v", got, err)
	}
	if h.loads != 1 {
		t.Errorf("serial drivers loaded %d times at install, want 1", h.loads)
	}
	// The service cannot write its configuration directory: install makes the box key.
	if _, err := boxkey.Load(filepath.Join(filepath.Dir(h.configPath()), "mifos-edge.key")); err != nil {
		t.Errorf("no box key after install: %v", err)
	}
}

func TestServiceInstallDriversNotLoadable(t *testing.T) {
	h := newServiceHarness(t, goodServiceConfig)
	h.loadError = errors.New("exit status 1: modprobe: FATAL: Module option not found")
	if err := h.run("install", "--config", h.configPath()); err != nil {
		t.Fatalf("a driver that cannot load now must not fail the install: %v", err)
	}
	if !strings.Contains(h.out.String(), "they load at the next boot, or run: sudo modprobe -a usbserial option cdc_acm") {
		t.Errorf("install does not explain the driver problem: %q", h.out.String())
	}

	h = newServiceHarness(t, goodServiceConfig)
	h.cmd.modulesLoad = filepath.Join(h.dir, "no-such-dir", "mifos-edge.conf")
	err := h.run("install", "--config", h.configPath())
	if err == nil || !strings.Contains(err.Error(), "the service is installed, but the serial drivers will not load at boot") ||
		!strings.Contains(err.Error(), `printf 'usbserial\noption\ncdc_acm\n' | sudo tee`) {
		t.Errorf("error = %v", err)
	}
}

func TestServiceUninstallRemovesModulesLoad(t *testing.T) {
	h := newServiceHarness(t, goodServiceConfig)
	if err := os.WriteFile(h.cmd.modulesLoad, []byte("usbserial\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	h.fake.status, h.fake.statusErr = service.StatusStopped, nil
	if err := h.run("uninstall"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(h.cmd.modulesLoad); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("uninstall left %s behind: %v", h.cmd.modulesLoad, err)
	}
}

func TestServiceInstallAllowIP(t *testing.T) {
	const config = goodServiceConfig + "[mifos]\nbase_url = \"https://192.0.2.10:8443/fineract-provider\"\ntenant = \"default\"\nusername = \"sms\"\npassword = \"x\"\n"
	h := newServiceHarness(t, config)
	if err := h.run("install", "--config", h.configPath(), "--allow-ip", "192.0.2.10", "--allow-ip", "10.1.7.9/16"); err != nil {
		t.Fatal(err)
	}
	script := h.fake.config.Option["SystemdScript"].(string)
	if !strings.Contains(script, "\nIPAddressDeny=any\nIPAddressAllow=localhost 192.0.2.10 10.1.0.0/16\n") {
		t.Errorf("unit template lacks the allow-list:\n%s", script)
	}

	h = newServiceHarness(t, config)
	err := h.run("install", "--config", h.configPath(), "--allow-ip", "192.0.2.11")
	if err == nil || !strings.Contains(err.Error(), "--allow-ip does not include 192.0.2.10, the Fineract server in mifos.base_url") {
		t.Errorf("an allow-list shutting out the Fineract server: error = %v", err)
	}
	if len(h.fake.calls) > 0 {
		t.Errorf("refused install still called %v", h.fake.calls)
	}

	h = newServiceHarness(t, strings.Replace(config, "192.0.2.10:8443", "fineract.example.org", 1))
	if err := h.run("install", "--config", h.configPath(), "--allow-ip", "198.51.100.4"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(h.out.String(), "mifos.base_url names the host fineract.example.org: --allow-ip must cover every address") {
		t.Errorf("install with a host name in base_url does not warn: %q", h.out.String())
	}
}

func TestParseAllowIP(t *testing.T) {
	for in, want := range map[string]string{
		"192.0.2.10":    "192.0.2.10",
		" 10.1.2.3/16 ": "10.1.0.0/16",
		"2001:db8::1":   "2001:db8::1",
		"2001:db8::/32": "2001:db8::/32",
		"192.0.2.10/32": "192.0.2.10",
	} {
		p, err := parseAllowIP(in)
		if err != nil || prefixText(p) != want {
			t.Errorf("parseAllowIP(%q) = %v, %v; want %s", in, prefixText(p), err, want)
		}
	}
	for in, want := range map[string]string{
		"fineract.example.org": "not an IP address or network",
		"any":                  "not an IP address or network",
		"":                     "not an IP address or network",
		"192.0.2.300":          "not an IP address or network",
		"localhost 1.2.3.4":    "not an IP address or network",
		"fe80::1%eth0":         "systemd cannot filter an address with a zone",
	} {
		var usage bytes.Buffer
		_, err := parseServiceArgs([]string{"install", "--allow-ip", in}, &usage)
		if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("invalid value %q for flag -allow-ip: %s", in, want)) {
			t.Errorf("--allow-ip %q: error = %v, want %q", in, err, want)
		}
	}
	var usage bytes.Buffer
	if _, err := parseServiceArgs([]string{"start", "--allow-ip", "192.0.2.10"}, &usage); err == nil ||
		!strings.Contains(err.Error(), "--allow-ip only applies to install") {
		t.Errorf("--allow-ip on start: error = %v", err)
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
			// The sandbox would make every nightly copy fail.
			name:    "backups outside the state directory",
			config:  strings.Replace(goodServiceConfig, "[store]\n", "[store]\nbackup_dir = \"/srv/backups\"\n", 1),
			wantErr: []string{"store.backup_dir /srv/backups is outside /var/lib/mifos-edge", "/var/lib/mifos-edge/backups"},
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
			// No advice to join dialout: the udev rule gives the ports to this user.
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

// renderUnit writes the unit through kardianos/service's own systemd
// installer, so the template engine, its cmd/cmdEscape functions and the
// data map are the library's, not a copy. Two things differ from a real
// install, neither touching the text: the service is installed as a user
// service, which kardianos writes under $HOME/.config/systemd/user (HOME is a
// temporary directory) instead of /etc/systemd/system, and a stand-in
// systemctl first on PATH answers its enable and daemon-reload calls.
func renderUnit(t *testing.T, configPath string, allowIPs ...netip.Prefix) string {
	t.Helper()
	c := serviceConfig(configPath, "/usr/local/bin/mifos-edge", allowIPs)
	options := service.KeyValue{}
	for k, v := range c.Option {
		options[k] = v
	}
	options["UserService"] = true
	c.Option = options

	home, bin := t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(bin, "systemctl"), []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("HOME", home)
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))

	var systemd service.System
	for _, s := range service.AvailableSystems() {
		if s.String() == "linux-systemd" {
			systemd = s
		}
	}
	if systemd == nil {
		t.Fatal("kardianos/service offers no linux-systemd backend")
	}
	svc, err := systemd.New(noopProgram{}, c)
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Install(); err != nil {
		t.Fatalf("kardianos Install: %v", err)
	}
	unit, err := os.ReadFile(filepath.Join(home, ".config", "systemd", "user", "mifos-edge.service"))
	if err != nil {
		t.Fatal(err)
	}
	return string(unit)
}

func TestSystemdUnitTemplate(t *testing.T) {
	unit := renderUnit(t, "/etc/mifos-edge/mifos-edge.toml")
	for _, want := range []string{
		"\nExecStart=/usr/local/bin/mifos-edge \"run\" \"--config\" \"/etc/mifos-edge/mifos-edge.toml\"\n",
		"\nRestart=always\n",
		"\nUser=mifos-edge\n",
		"\nStateDirectory=mifos-edge\n",
		"\nRuntimeDirectory=mifos-edge\n",
		"\nProtectSystem=strict\n",
		"\nDevicePolicy=closed\n",
		"\nDeviceAllow=char-ttyUSB rw\n",
		"\nSystemCallFilter=~@privileged @resources\n",
		"\nUMask=0077\n",
		"\n#IPAddressDeny=any\n",
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
}

// TestSystemdUnitRunsNothingAsRoot: the device belongs to the service user,
// so no supplementary group is needed, and the drivers are loaded at boot, so
// no Exec line may carry the "+" or "!" prefix that runs it privileged.
func TestSystemdUnitRunsNothingAsRoot(t *testing.T) {
	units := map[string]string{"rendered": renderUnit(t, "/etc/mifos-edge/mifos-edge.toml")}
	shipped, err := os.ReadFile("../../systemd/mifos-edge.service")
	if err != nil {
		t.Fatal(err)
	}
	units["systemd/mifos-edge.service"] = string(shipped)
	for name, unit := range units {
		for _, line := range strings.Split(unit, "\n") {
			key, value, ok := strings.Cut(strings.TrimSpace(line), "=")
			if !ok || strings.HasPrefix(key, "#") {
				continue
			}
			switch {
			case key == "SupplementaryGroups" || key == "User" && value != serviceUser:
				t.Errorf("%s: %q: the service must run as %s alone", name, line, serviceUser)
			case strings.HasPrefix(key, "Exec") && strings.ContainsAny(execPrefix(value), "+!"):
				t.Errorf("%s: %q runs with full privileges", name, line)
			}
		}
	}
}

// execPrefix is the run of special characters before an Exec command.
func execPrefix(value string) string {
	return value[:len(value)-len(strings.TrimLeft(value, "-@:+!|"))]
}

// maxExposure is the highest 'systemd-analyze security' exposure the unit may
// have; the unit before the hardening scored 2.1.
const maxExposure = 1.5

var exposureLine = regexp.MustCompile(`Overall exposure level for [^:]+: ([0-9]+(?:\.[0-9]+)?)`)

// systemdAnalyze runs systemd-analyze, which these tests need: the unit's
// sandbox is only as good as systemd's own reading of it.
func systemdAnalyze(t *testing.T, args ...string) (string, error) {
	t.Helper()
	tool, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Fatal("systemd-analyze is not installed, so the service unit cannot be checked; " +
			"install it with: sudo apt-get install -y --no-install-recommends systemd")
	}
	out, err := exec.Command(tool, args...).CombinedOutput()
	return string(out), err
}

// unitFile writes a rendered unit under the name systemd expects.
func unitFile(t *testing.T, unit string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "mifos-edge.service")
	if err := os.WriteFile(path, []byte(unit), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// exposure is systemd's overall exposure score of the unit file, with the
// full report. --offline reads only the file: the user mifos-edge need not
// exist on this machine.
func exposure(t *testing.T, path string) (float64, string) {
	t.Helper()
	out, err := systemdAnalyze(t, "security", "--offline=yes", path)
	if err != nil {
		t.Fatalf("systemd-analyze security --offline=yes %s: %v\n%s", path, err, out)
	}
	m := exposureLine.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no overall exposure level in the output of systemd-analyze security:\n%s", out)
	}
	level, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		t.Fatal(err)
	}
	return level, out
}

func TestSystemdUnitExposure(t *testing.T) {
	allow := []netip.Prefix{netip.MustParsePrefix("192.0.2.10/32")}
	units := map[string]string{
		"systemd/mifos-edge.service":        "../../systemd/mifos-edge.service",
		"rendered unit":                     unitFile(t, renderUnit(t, "/etc/mifos-edge/mifos-edge.toml")),
		"rendered unit with --allow-ip":     unitFile(t, renderUnit(t, "/etc/mifos-edge/mifos-edge.toml", allow...)),
		"rendered unit, path with a space ": unitFile(t, renderUnit(t, "/etc/mifos edge/edge.toml")),
	}
	// The allow-list's 0.1 vanishes in the rounded total, so its own line is read.
	const noAllowList = "does not define an IP address allow list"
	for name, path := range units {
		level, report := exposure(t, path)
		if level > maxExposure {
			t.Errorf("%s: systemd-analyze security exposure %.1f, want at most %.1f:\n%s", name, level, maxExposure, report)
		}
		if withAllowList := strings.Contains(name, "--allow-ip"); withAllowList == strings.Contains(report, noAllowList) {
			t.Errorf("%s: systemd-analyze security does not see the allow-list as expected (written: %v):\n%s", name, withAllowList, report)
		}
	}
}

// diagnosticLine is how systemd reports a unit line it cannot use
// ("FILE:46: Unknown key 'PrivateMountz' in section [Service], ignoring.").
var diagnosticLine = regexp.MustCompile(`\.service:[0-9]+: .*`)

// TestSystemdUnitVerify has systemd parse every directive. verify also
// complains that /usr/local/bin/mifos-edge is missing on a build machine,
// so only complaints about the unit's own lines fail the test.
func TestSystemdUnitVerify(t *testing.T) {
	units := map[string]string{
		"systemd/mifos-edge.service":    "../../systemd/mifos-edge.service",
		"rendered unit":                 unitFile(t, renderUnit(t, "/etc/mifos-edge/mifos-edge.toml")),
		"rendered unit with --allow-ip": unitFile(t, renderUnit(t, "/etc/mifos-edge/mifos-edge.toml", netip.MustParsePrefix("10.1.0.0/16"))),
	}
	for name, path := range units {
		out, _ := systemdAnalyze(t, "verify", path)
		for _, bad := range diagnosticLine.FindAllString(out, -1) {
			t.Errorf("%s: systemd-analyze verify: %s", name, bad)
		}
	}
}

func TestSystemdUnitAllowList(t *testing.T) {
	unit := renderUnit(t, "/etc/mifos-edge/mifos-edge.toml",
		netip.MustParsePrefix("192.0.2.10/32"), netip.MustParsePrefix("2001:db8::/32"))
	for _, want := range []string{
		"\nIPAddressDeny=any\n",
		"\nIPAddressAllow=localhost 192.0.2.10 2001:db8::/32\n",
	} {
		if !strings.Contains(unit, want) {
			t.Errorf("unit with --allow-ip lacks %q:\n%s", want, unit)
		}
	}
	if strings.Contains(unit, "#IPAddress") {
		t.Errorf("unit with --allow-ip still carries the commented-out allow-list:\n%s", unit)
	}
	if strings.Count(systemdUnitTemplate, egressAllowListOff) != 1 {
		t.Error("the template must carry the switched-off allow-list exactly once, or --allow-ip writes nothing")
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

// udevAssignment is one KEY{attr}OP"value" of a udev rule.
var udevAssignment = regexp.MustCompile(`([A-Z_]+(?:\{[^}]*\})?)\s*(==|!=|\+=|-=|:=|=)\s*"([^"]*)"`)

// TestUdevRuleOwnsEveryModemPort: any local user who can open one of the
// modem's ports reads officers' PINs and sends from the branch SIM, so every
// rule in the file, switched on or not, gives the ports to the service user
// alone, and each modem has a rule covering all of its ports.
func TestUdevRuleOwnsEveryModemPort(t *testing.T) {
	text, err := os.ReadFile("../../systemd/99-mifos-modem.rules")
	if err != nil {
		t.Fatal(err)
	}
	type modem struct{ allPorts, atPort bool }
	modems := map[string]*modem{}
	rules := 0
	for n, line := range strings.Split(string(text), "\n") {
		rule := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), "#"))
		if !strings.HasPrefix(rule, "SUBSYSTEM") && !strings.HasPrefix(rule, "KERNEL") && !strings.HasPrefix(rule, "ATTRS") {
			continue // prose
		}
		rules++
		where := fmt.Sprintf("99-mifos-modem.rules:%d", n+1)
		got := map[string]string{}
		for _, m := range udevAssignment.FindAllStringSubmatch(rule, -1) {
			got[m[1]+m[2]] = m[3]
		}
		for key, want := range map[string]string{
			`SUBSYSTEM==`:               "tty",
			`OWNER=`:                    "mifos-edge",
			`GROUP=`:                    "mifos-edge",
			`MODE=`:                     "0600",
			`ENV{ID_MM_DEVICE_IGNORE}=`: "1",
			`ATTRS{idVendor}==`:         "",
			`ATTRS{idProduct}==`:        "",
		} {
			v, ok := got[key]
			if !ok || want != "" && v != want {
				t.Errorf("%s: %s%q missing (got %q): %s", where, key, want, v, rule)
			}
		}
		if strings.Contains(strings.ToLower(rule), "dialout") {
			t.Errorf("%s: a rule must not hand the modem to group dialout: %s", where, rule)
		}
		id := got[`ATTRS{idVendor}==`] + ":" + got[`ATTRS{idProduct}==`]
		if modems[id] == nil {
			modems[id] = &modem{}
		}
		_, oneInterface := got[`ENV{ID_USB_INTERFACE_NUM}==`]
		_, named := got[`SYMLINK+=`]
		switch {
		case oneInterface && got[`SYMLINK+=`] == "mifos-modem":
			modems[id].atPort = true
		case !oneInterface && !named:
			modems[id].allPorts = true
		default:
			t.Errorf("%s: the name mifos-modem belongs on the AT interface only: %s", where, rule)
		}
	}
	if rules == 0 {
		t.Fatal("no udev rules found in 99-mifos-modem.rules")
	}
	for id, m := range modems {
		if !m.allPorts || !m.atPort {
			t.Errorf("modem %s needs one rule for all its ports and one naming its AT port: all ports %v, AT port %v", id, m.allPorts, m.atPort)
		}
	}
}

// TestInstallScriptLoadsTheSameDrivers: install.sh and 'service install'
// write the same modules-load.d file, and neither puts the service user in
// dialout.
func TestInstallScriptLoadsTheSameDrivers(t *testing.T) {
	script, err := os.ReadFile("../../systemd/install.sh")
	if err != nil {
		t.Fatal(err)
	}
	want := `printf '` + strings.Join(serialModules, `\n`) + `\n' >` + modulesLoadFile
	if !strings.Contains(string(script), want) {
		t.Errorf("systemd/install.sh does not write %s as 'service install' does: want %q", modulesLoadFile, want)
	}
	if regexp.MustCompile(`(usermod|gpasswd|adduser)[^\n]*(-a|-G|--append)[^\n]*dialout`).Match(script) {
		t.Error("systemd/install.sh still adds a user to group dialout")
	}
}
