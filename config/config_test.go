package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"
)

const minimal = `
[modem]
device = "/dev/mifos-modem"

[store]
path = "/var/lib/mifos-edge/state.db"
`

func TestParseReportsKeyAndLine(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want []string // each must appear in the error, in order
	}{
		{
			name: "misspelled key suggests the right one",
			doc:  "[modem]\ndevise = \"/dev/x\"\n[store]\npath = \"/s.db\"\n",
			want: []string{`f.toml:2: unknown key "modem.devise" (did you mean "device"?)`},
		},
		{
			name: "every unknown key is reported, not just the first",
			doc: "[modem]\ndevice = \"/dev/x\"\nbuad = 9600\n[store]\npath = \"/s.db\"\n" +
				"retension = \"1h\"\n[nope]\nx = 1\n",
			want: []string{
				`f.toml:3: unknown key "modem.buad" (did you mean "baud"?)`,
				`f.toml:6: unknown key "store.retension" (did you mean "retention"?)`,
				`f.toml:7: unknown table [nope]`,
			},
		},
		{
			name: "key under the wrong table says where it belongs",
			doc:  "[modem]\ndevice = \"/dev/x\"\n[store]\npath = \"/s.db\"\nbaud = 9600\n",
			want: []string{`f.toml:5: unknown key "store.baud" (baud belongs under [modem])`},
		},
		{
			name: "wrong type names expected and actual",
			doc:  "[modem]\ndevice = \"/dev/x\"\nbaud = \"fast\"\n[store]\npath = \"/s.db\"\n",
			want: []string{`f.toml:3: modem.baud: expected an integer, got a string`},
		},
		{
			name: "string where a bool is wanted",
			doc:  minimal + "[sms]\ndelivery_reports = \"yes\"\n",
			want: []string{`f.toml:8: sms.delivery_reports: expected true or false, got a string`},
		},
		{
			name: "float where integer is wanted",
			doc:  minimal + "[sms]\nreplies_per_hour = 1.5\n",
			want: []string{`f.toml:8: sms.replies_per_hour: expected an integer, got a decimal number`},
		},
		{
			name: "unquoted string value",
			doc:  "[modem]\ndevice = 12\n[store]\npath = \"/s.db\"\n",
			want: []string{`f.toml:2: modem.device: expected a string in quotes, got an integer`},
		},
		{
			name: "bad duration text",
			doc:  minimal + "[sms]\nreassembly_timeout = \"30 minutes\"\n",
			want: []string{`f.toml:8: sms.reassembly_timeout: "30 minutes" is not a duration`},
		},
		{
			name: "duration written as a bare number",
			doc:  "[modem]\ndevice = \"/dev/x\"\ncommand_timeout = 5\n[store]\npath = \"/s.db\"\n",
			want: []string{`f.toml:3: modem.command_timeout: expected a duration in quotes such as "30s"`, `got an integer`},
		},
		{
			name: "zero duration",
			doc:  "[modem]\ndevice = \"/dev/x\"\nprobe_interval = \"0s\"\n[store]\npath = \"/s.db\"\n",
			want: []string{`f.toml:3: modem.probe_interval: must be longer than zero`},
		},
		{
			name: "explicit zero where zero is meaningless",
			doc:  minimal + "[sms]\nreplies_per_hour = 0\n",
			want: []string{`f.toml:8: sms.replies_per_hour: must be greater than zero, got 0`},
		},
		{
			name: "init_commands must be a list",
			doc:  "[modem]\ndevice = \"/dev/x\"\ninit_commands = \"^CURC=0\"\n[store]\npath = \"/s.db\"\n",
			want: []string{`f.toml:3: modem.init_commands: expected a list of strings`, `got a string`},
		},
		{
			name: "init_commands item of wrong type",
			doc:  "[modem]\ndevice = \"/dev/x\"\ninit_commands = [\"E0\", 5]\n[store]\npath = \"/s.db\"\n",
			want: []string{`f.toml:3: modem.init_commands: expected a list of strings, but one item is an integer`},
		},
		{
			name: "missing required key",
			doc:  "[modem]\nbaud = 9600\n[store]\npath = \"/s.db\"\n",
			want: []string{`f.toml: missing required key modem.device (add it under [modem])`},
		},
		{
			name: "both required keys missing",
			doc:  "",
			want: []string{`missing required key modem.device`, `missing required key store.path (add it under [store])`},
		},
		{
			name: "syntax error has line and column",
			doc:  "[modem]\ndevice = \"/dev/x\"\n[store\npath = \"/s.db\"\n",
			want: []string{`f.toml:3:7: TOML syntax error: `},
		},
		{
			name: "duplicate key",
			doc:  "[modem]\ndevice = \"/dev/x\"\ndevice = \"/dev/y\"\n[store]\npath = \"/s.db\"\n",
			want: []string{`f.toml:3:1: TOML syntax error: key device is already defined`},
		},
		{
			name: "array of tables instead of table",
			doc:  "[[modem]]\ndevice = \"/dev/x\"\n[store]\npath = \"/s.db\"\n",
			want: []string{`f.toml:1: [[modem]] declares a list of tables; write [modem] with single brackets`},
		},
		{
			name: "setting used as a table header",
			doc:  "[modem.device]\nx = 1\n[store]\npath = \"/s.db\"\n",
			want: []string{`f.toml:1: [modem.device] is not a table`},
		},
		{
			name: "dotted key at top level is checked too",
			doc:  "modem.devize = \"/dev/x\"\n[store]\npath = \"/s.db\"\n",
			want: []string{`f.toml:1: unknown key "modem.devize" (did you mean "device"?)`},
		},
		{
			name: "inline table contents are checked",
			doc:  "modem = { device = \"/dev/x\", baud = true }\n[store]\npath = \"/s.db\"\n",
			want: []string{`f.toml:1: modem.baud: expected an integer, got true/false`},
		},
		{
			name: "unrelated unknown key lists the known ones",
			doc:  minimal + "[http]\nport = 8080\n",
			want: []string{`f.toml:8: unknown key "http.port" (known keys here: listen, tls_cert_file, tls_key_file, metrics_token)`},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := Parse([]byte(tc.doc), "f.toml")
			if err == nil {
				t.Fatalf("Parse accepted a broken config: %+v", cfg)
			}
			msg := err.Error()
			rest := msg
			for _, w := range tc.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("error does not contain %q (in order)\nfull error:\n%s", w, msg)
				}
				rest = rest[i+len(w):]
			}
		})
	}
}

func TestParseErrorListsEachProblemOnItsOwnLine(t *testing.T) {
	doc := "[modem]\ndevise = 1\nbaud = \"x\"\n[store]\npath = 3\n"
	_, err := Parse([]byte(doc), "f.toml")
	var pe *ParseError
	if !errors.As(err, &pe) {
		t.Fatalf("want *ParseError, got %T: %v", err, err)
	}
	var got []string
	for _, p := range pe.Problems {
		got = append(got, p.Key)
		// Only a missing key has no line to point at.
		if (p.Line == 0) != strings.HasPrefix(p.Message, "missing required key") {
			t.Errorf("problem %q has line %d", p.Message, p.Line)
		}
	}
	// store.path is present with a bad value, so it is not also "missing";
	// modem.device really is missing (misspelled).
	want := []string{"modem.devise", "modem.baud", "store.path", "modem.device"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("problem keys = %v, want %v", got, want)
	}
	if n := strings.Count(err.Error(), "\n"); n != 3 {
		t.Errorf("want 4 lines in the message, got %d:\n%s", n+1, err)
	}
}

func TestParseFullConfig(t *testing.T) {
	doc := `
[modem]
device = "/dev/serial/by-id/usb-HUAWEI_HUAWEI_Mobile-if00-port0"
baud = 9600
pin = "4321"
command_timeout = "3s"
send_timeout = "90s"
probe_interval = "45s"
status_interval = "2m"
sweep_interval = "5m"
init_commands = ["^CURC=0", "+CNMI=2,1,0,2,0"]

[store]
path = "/data/edge/state.db"
retention = "720h"

[mifos]
base_url = "https://fineract.example.org/fineract-provider"
tenant = "default"
username = "branch-sms"
password_file = "/etc/mifos-edge/pw"
payment_type_id = 3

[http]
listen = "127.0.0.1:8080"

[sms]
country = "UG"
reassembly_timeout = "10m"
replies_per_hour = 4
max_send_attempts = 3
delivery_reports = false

[control]
socket = "/run/mifos-edge/ctl.sock"
`
	cfg, err := Parse([]byte(doc), "full.toml")
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"device", cfg.Modem.Device, "/dev/serial/by-id/usb-HUAWEI_HUAWEI_Mobile-if00-port0"},
		{"baud", cfg.Modem.Baud, 9600},
		{"pin", cfg.Modem.PIN, "4321"},
		{"command_timeout", cfg.Modem.CommandTimeout.Duration, 3 * time.Second},
		{"send_timeout", cfg.Modem.SendTimeout.Duration, 90 * time.Second},
		{"probe_interval", cfg.Modem.ProbeInterval.Duration, 45 * time.Second},
		{"status_interval", cfg.Modem.StatusInterval.Duration, 2 * time.Minute},
		{"sweep_interval", cfg.Modem.SweepInterval.Duration, 5 * time.Minute},
		{"init_commands", strings.Join(cfg.Modem.InitCommands, "|"), "^CURC=0|+CNMI=2,1,0,2,0"},
		{"store.path", cfg.Store.Path, "/data/edge/state.db"},
		{"retention", cfg.Store.Retention.Duration, 720 * time.Hour},
		{"base_url", cfg.Mifos.BaseURL, "https://fineract.example.org/fineract-provider"},
		{"tenant", cfg.Mifos.Tenant, "default"},
		{"username", cfg.Mifos.Username, "branch-sms"},
		{"password_file", cfg.Mifos.PasswordFile, "/etc/mifos-edge/pw"},
		{"payment_type_id", cfg.Mifos.PaymentTypeID, 3},
		{"listen", cfg.HTTP.Listen, "127.0.0.1:8080"},
		{"country", cfg.SMS.Country, "UG"},
		{"reassembly_timeout", cfg.SMS.ReassemblyTimeout.Duration, 10 * time.Minute},
		{"replies_per_hour", cfg.SMS.RepliesPerHour, 4},
		{"max_send_attempts", cfg.SMS.MaxSendAttempts, 3},
		{"delivery_reports", cfg.SMS.DeliveryReports, false},
		{"socket", cfg.Control.Socket, "/run/mifos-edge/ctl.sock"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestDefaults(t *testing.T) {
	cfg, err := Parse([]byte(minimal), "min.toml")
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"baud", cfg.Modem.Baud, 115200},
		{"command_timeout", cfg.Modem.CommandTimeout.Duration, 5 * time.Second},
		{"send_timeout", cfg.Modem.SendTimeout.Duration, 60 * time.Second},
		{"probe_interval", cfg.Modem.ProbeInterval.Duration, 30 * time.Second},
		{"status_interval", cfg.Modem.StatusInterval.Duration, 60 * time.Second},
		{"sweep_interval", cfg.Modem.SweepInterval.Duration, 2 * time.Minute},
		{"retention", cfg.Store.Retention.Duration, 2160 * time.Hour},
		{"reassembly_timeout", cfg.SMS.ReassemblyTimeout.Duration, 30 * time.Minute},
		{"replies_per_hour", cfg.SMS.RepliesPerHour, 10},
		{"max_send_attempts", cfg.SMS.MaxSendAttempts, 8},
		{"delivery_reports", cfg.SMS.DeliveryReports, true},
		{"phone_cache_for", cfg.SMS.PhoneCacheFor.Duration, 24 * time.Hour},
		{"phone_cache_offline_max", cfg.SMS.PhoneCacheOfflineMax.Duration, 168 * time.Hour},
		{"socket", cfg.Control.Socket, "/var/lib/mifos-edge/mifos-edge.sock"},
		{"backup_dir", cfg.Store.BackupDir, ""},
		{"backup_keep", cfg.Store.BackupKeep, 7},
		{"backup_interval", cfg.Store.BackupInterval.Duration, 24 * time.Hour},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}

	// Explicit values survive SetDefaults, and applying it twice changes nothing.
	before := *cfg
	before.Modem.InitCommands = nil
	cfg.SetDefaults()
	if !reflect.DeepEqual(*cfg, before) {
		t.Errorf("SetDefaults is not idempotent:\n%+v\n%+v", before, *cfg)
	}
}

func TestValidateNamesTheField(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Config)
		want   string
	}{
		{"device required", func(c *Config) { c.Modem.Device = "" }, "modem.device is required"},
		{"store path required", func(c *Config) { c.Store.Path = " " }, "store.path is required"},
		{"odd baud", func(c *Config) { c.Modem.Baud = 12345 }, "modem.baud: 12345 is not a standard serial speed"},
		{"negative duration", func(c *Config) { c.Modem.SendTimeout.Duration = -time.Second }, "modem.send_timeout must be longer than zero"},
		{"zero retention", func(c *Config) { c.Store.Retention.Duration = 0 }, "store.retention must be longer than zero"},
		{"backup keep", func(c *Config) { c.Store.BackupKeep = -1 }, "store.backup_keep must be at least 1"},
		{"backup interval", func(c *Config) { c.Store.BackupInterval.Duration = time.Second }, "store.backup_interval must be at least 1m0s"},
		{"backup dir is the store", func(c *Config) { c.Store.BackupDir = c.Store.Path }, "store.backup_dir must be a directory for the copies, not the store file"},
		{"lower-case country", func(c *Config) { c.SMS.Country = "ke" }, `sms.country: "ke" is not a two-letter`},
		{"three-letter country", func(c *Config) { c.SMS.Country = "KEN" }, `sms.country: "KEN"`},
		{"country the box cannot read", func(c *Config) { c.SMS.Country = "ZW" },
			`sms.country: "ZW" is not a country whose national numbers this box reads (one of GH, IN, KE, MW, NG, PH, RW, TZ, UG, ZM;`},
		{"replies per hour", func(c *Config) { c.SMS.RepliesPerHour = 0 }, "sms.replies_per_hour must be at least 1"},
		{"send attempts", func(c *Config) { c.SMS.MaxSendAttempts = -1 }, "sms.max_send_attempts must be at least 1"},
		{"phone cache offline shorter than online", func(c *Config) { c.SMS.PhoneCacheOfflineMax.Duration = time.Hour },
			"sms.phone_cache_offline_max (1h0m0s) must be at least sms.phone_cache_for (24h0m0s)"},
		{"phone cache negative", func(c *Config) { c.SMS.PhoneCacheFor.Duration = -time.Hour }, "sms.phone_cache_for must be longer than zero"},
		{"pin not digits", func(c *Config) { c.Modem.PIN = "12a4" }, "modem.pin must be 4 to 8 digits"},
		{"init command with AT", func(c *Config) { c.Modem.InitCommands = []string{"AT^CURC=0"} }, `modem.init_commands[0]: write "AT^CURC=0" without the leading "AT"`},
		{"init command empty", func(c *Config) { c.Modem.InitCommands = []string{"E0", ""} }, "modem.init_commands[1] is empty"},
		{"mifos url scheme", func(c *Config) { withMifos(c); c.Mifos.BaseURL = "ftp://x.org" }, "mifos.base_url: \"ftp://x.org\" must start with https://"},
		{"mifos url host", func(c *Config) { withMifos(c); c.Mifos.BaseURL = "https://" }, "mifos.base_url: \"https://\" has no host name"},
		{"mifos tenant", func(c *Config) { withMifos(c); c.Mifos.Tenant = "" }, "mifos.tenant is required"},
		{"mifos username", func(c *Config) { withMifos(c); c.Mifos.Username = "" }, "mifos.username is required"},
		{"mifos no password", func(c *Config) { withMifos(c); c.Mifos.PasswordFile = "" }, "set either mifos.password_file"},
		{"mifos both passwords", func(c *Config) { withMifos(c); c.Mifos.Password = "x" }, "set only one of mifos.password and mifos.password_file"},
		{"payment type", func(c *Config) { c.Mifos.PaymentTypeID = -2 }, "mifos.payment_type_id must not be negative"},
		{"collect window too long", func(c *Config) { c.Officers.CollectWindow.Duration = 15 * 24 * time.Hour }, "officers.collect_window must be longer than zero and at most two weeks"},
		{"collect window negative", func(c *Config) { c.Officers.CollectWindow.Duration = -time.Hour }, "officers.collect_window must be longer than zero"},
		{"timezone not a zone", func(c *Config) { c.Mifos.Timezone = "EAT" }, `mifos.timezone: "EAT" is not a time zone name`},
		{"timezone Local", func(c *Config) { c.Mifos.Timezone = "Local" }, `mifos.timezone: "Local" is not a time zone name`},
		{"mifos plain http to the network", func(c *Config) { withMifos(c); c.Mifos.BaseURL = "http://10.9.9.9:8080/fineract-provider/api/v1" }, "mifos.base_url: \"http://10.9.9.9:8080/fineract-provider/api/v1\" uses plain http:// to 10.9.9.9"},
		{"mifos plain http names the opt-in", func(c *Config) { withMifos(c); c.Mifos.BaseURL = "http://fineract.lan/fineract-provider" }, "mifos.insecure_http = true"},
		{"mifos plain http to a loopback look-alike", func(c *Config) { withMifos(c); c.Mifos.BaseURL = "http://localhost.example.org/x" }, "uses plain http://"},
		{"listen without port", func(c *Config) { c.HTTP.Listen = "127.0.0.1" }, `http.listen: "127.0.0.1" must be host:port`},
		{"listen bad port", func(c *Config) { c.HTTP.Listen = ":http" }, "http.listen: \":http\": port must be a number"},
		{"socket too long", func(c *Config) { c.Control.Socket = "/" + strings.Repeat("s", 120) }, "control.socket: path is 121 characters long"},
		// The daemon would replace the database file with its socket.
		{"socket is the store", func(c *Config) {
			c.Store.Path = "/var/lib/mifos-edge/state.db"
			c.Control.Socket = "/var/lib/mifos-edge/./state.db"
		},
			"control.socket must not be the same file as store.path"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := validConfig(t)
			tc.mutate(cfg)
			err := cfg.Validate()
			if err == nil {
				t.Fatalf("Validate accepted %+v", cfg)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not contain %q", err, tc.want)
			}
		})
	}

	t.Run("all problems at once", func(t *testing.T) {
		var cfg Config
		err := cfg.Validate()
		if err == nil {
			t.Fatal("empty config accepted")
		}
		for _, key := range []string{"modem.device", "store.path", "modem.baud", "modem.command_timeout", "sms.replies_per_hour"} {
			if !strings.Contains(err.Error(), key) {
				t.Errorf("error does not mention %s:\n%s", key, err)
			}
		}
	})
	t.Run("valid mifos section", func(t *testing.T) {
		cfg := validConfig(t)
		withMifos(cfg)
		if err := cfg.Validate(); err != nil {
			t.Fatal(err)
		}
	})
}

// Plain http is for this machine only, unless insecure_http says otherwise.
func TestPlainHTTPBaseURL(t *testing.T) {
	for _, base := range []string{"http://127.0.0.1:8080/fineract-provider", "http://127.9.9.9/x", "http://[::1]:8443/x", "http://localhost/x", "https://10.9.9.9/x"} {
		cfg := validConfig(t)
		withMifos(cfg)
		cfg.Mifos.BaseURL = base
		if err := cfg.Validate(); err != nil {
			t.Errorf("%s: %v", base, err)
		}
	}
	cfg, err := Parse([]byte(minimal+"[mifos]\nbase_url = \"http://10.9.9.9:8080/fineract-provider/api/v1\"\ntenant = \"default\"\n"+
		"username = \"sms\"\npassword_file = \"/etc/mifos-edge/pw\"\ninsecure_http = true\n"), "insecure.toml")
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.Mifos.InsecureHTTP {
		t.Error("insecure_http = true was not read")
	}
	if err := cfg.Validate(); err != nil {
		t.Errorf("plain http with insecure_http = true: %v", err)
	}
}

func validConfig(t *testing.T) *Config {
	t.Helper()
	cfg, err := Parse([]byte(minimal), "min.toml")
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func withMifos(c *Config) {
	c.Mifos = Mifos{BaseURL: "https://fineract.example.org/fineract-provider", Tenant: "default",
		Username: "sms", PasswordFile: "/etc/mifos-edge/pw"}
}

func TestResolvePassword(t *testing.T) {
	dir := t.TempDir()
	const secret = "s3cret-Passw0rd"
	file := filepath.Join(dir, "pw")
	if err := os.WriteFile(file, []byte(secret+"\r\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := Mifos{PasswordFile: file}.ResolvePassword()
	if err != nil || got != secret {
		t.Fatalf("ResolvePassword = %q, %v; want %q", got, err, secret)
	}
	if got, err := (Mifos{Password: "inline"}).ResolvePassword(); err != nil || got != "inline" {
		t.Fatalf("inline password = %q, %v", got, err)
	}

	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing")
	for _, tc := range []struct {
		m    Mifos
		want string
	}{
		{Mifos{PasswordFile: empty}, empty + " is empty"},
		{Mifos{PasswordFile: missing}, missing + " does not exist"},
		{Mifos{}, "no Fineract password configured"},
	} {
		_, err := tc.m.ResolvePassword()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ResolvePassword(%+v) error = %v, want it to contain %q", tc.m, err, tc.want)
		}
	}
}

func TestRedacted(t *testing.T) {
	cfg := validConfig(t)
	cfg.Modem.PIN = "9876"
	cfg.Modem.InitCommands = []string{"+CPIN=9876", "^CURC=0"}
	cfg.Mifos = Mifos{BaseURL: "https://admin:hunter22@fineract.example.org/x", Tenant: "default",
		Username: "sms", Password: "hunter2"}
	r := cfg.Redacted()
	dump := strings.Join([]string{r.Modem.PIN, r.Mifos.Password, r.Mifos.BaseURL, strings.Join(r.Modem.InitCommands, ",")}, " ")
	for _, secret := range []string{"9876", "hunter2"} {
		if strings.Contains(dump, secret) {
			t.Errorf("redacted copy still contains %q: %s", secret, dump)
		}
	}
	if r.Modem.PIN != "***" || r.Mifos.Password != "***" {
		t.Errorf("PIN/password not replaced by ***: %q %q", r.Modem.PIN, r.Mifos.Password)
	}
	if r.Modem.InitCommands[1] != "^CURC=0" || r.Mifos.Username != "sms" || r.Modem.Device != cfg.Modem.Device {
		t.Errorf("non-secret fields changed: %+v", r)
	}
	// The original must be untouched: Redacted is for logging only.
	if cfg.Modem.PIN != "9876" || cfg.Mifos.Password != "hunter2" || cfg.Modem.InitCommands[0] != "+CPIN=9876" {
		t.Errorf("Redacted modified the original: %+v", cfg)
	}
	if empty := (Config{}).Redacted(); empty.Modem.PIN != "" || empty.Mifos.Password != "" {
		t.Errorf("unset secrets must stay empty so logs show they are unset: %+v", empty)
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "mifos-edge.toml")
	if err := os.WriteFile(path, []byte("[modem]\ndevice = \"/dev/x\"\n[store]\npath = \"/s.db\"\n[sms]\ncountry = 3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load(path)
	if err == nil || !strings.HasPrefix(err.Error(), path+":6: sms.country:") {
		t.Errorf("Load error = %v, want it to start with %s:6: sms.country:", err, path)
	}
	_, err = Load(filepath.Join(dir, "absent.toml"))
	if err == nil || !strings.Contains(err.Error(), "absent.toml does not exist") {
		t.Errorf("Load of a missing file: %v", err)
	}
}

// commentedSetting matches the example's switched-off settings, "# key = value".
var commentedSetting = regexp.MustCompile(`(?m)^# ([a-z_]+ = )`)

func TestShippedExample(t *testing.T) {
	cfg, err := Parse(Example(), "example.toml")
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if cfg.Modem.Device != "/dev/mifos-modem" || cfg.Store.Path != "/var/lib/mifos-edge/state.db" {
		t.Errorf("example device/store = %q, %q", cfg.Modem.Device, cfg.Store.Path)
	}
	if cfg.Mifos.BaseURL != "" {
		t.Error("the example must not connect to a Fineract server until the technician switches it on")
	}

	// Switching on every documented setting must still give a valid file, and
	// the values shown for defaults must be the real defaults.
	all := commentedSetting.ReplaceAll(Example(), []byte("$1"))
	full, err := Parse(all, "example-all.toml")
	if err != nil {
		t.Fatalf("example with every setting switched on:\n%v", err)
	}
	if err := full.Validate(); err != nil {
		t.Fatalf("example with every setting switched on: %v", err)
	}
	defaults := *cfg
	defaults.Modem.InitCommands = nil
	defaults.Templates = nil
	shown := *full
	shown.Modem.InitCommands, shown.Modem.PIN = nil, ""
	shown.Mifos, shown.HTTP, shown.SMS.Country, shown.Templates = Mifos{Timeout: shown.Mifos.Timeout}, HTTP{}, "", nil
	// Examples of values without a default, and the file name itself.
	shown.Officers.ManagerPhone, shown.Store.BackupDir, shown.file = "", "", defaults.file
	if shown.Security.KeyFile != "/etc/mifos-edge/mifos-edge.key" || defaults.Security.KeyFile != "mifos-edge.key" {
		t.Errorf("key file: example shows %q, default beside example.toml is %q", shown.Security.KeyFile, defaults.Security.KeyFile)
	}
	shown.Security.KeyFile = defaults.Security.KeyFile
	if !reflect.DeepEqual(shown, defaults) {
		t.Errorf("defaults shown in the example differ from SetDefaults:\nshown    %+v\ndefaults %+v", shown, defaults)
	}

	// Every key of Config is documented in the example.
	for _, key := range allKeys() {
		table, name, _ := strings.Cut(key, ".")
		section := exampleSection(string(Example()), table)
		if nested[key] {
			// A table of its own: documented by an example of it.
			if !strings.Contains(section, "["+key+"]") {
				t.Errorf("example.toml does not document [%s]", key)
			}
			continue
		}
		if !regexp.MustCompile(`\b` + name + ` = `).MatchString(section) {
			t.Errorf("example.toml does not document %s", key)
		}
	}
}

// nested are the keys of allKeys that are tables of their own.
var nested = map[string]bool{}

// allKeys lists every dotted key of Config, from its toml tags.
func allKeys() []string {
	var keys []string
	root := reflect.TypeOf(Config{})
	for i := 0; i < root.NumField(); i++ {
		table := root.Field(i)
		if table.Type.Kind() != reflect.Struct {
			continue // [templates] is a free map, documented by example
		}
		for j := 0; j < table.Type.NumField(); j++ {
			f := table.Type.Field(j)
			key := tomlName(table) + "." + tomlName(f)
			switch k := f.Type.Kind(); {
			case k == reflect.Struct && f.Type.Name() != "Duration", k == reflect.Map,
				k == reflect.Slice && f.Type.Elem().Kind() == reflect.Struct && f.Type.Elem().Name() != "Duration":
				nested[key] = true
			}
			keys = append(keys, key)
		}
	}
	return keys
}

func exampleSection(doc, table string) string {
	start := strings.Index(doc, "\n["+table+"]\n")
	if start < 0 {
		return ""
	}
	rest := doc[start+1:]
	if end := strings.Index(rest[1:], "\n["); end >= 0 {
		return rest[:end+1]
	}
	return rest
}

func TestTemplatesTableAndBools(t *testing.T) {
	_, err := Parse([]byte("[modem]\ndevice = \"/dev/x\"\n[store]\npath = \"/s.db\"\n[sms]\nrequire_client_pin = \"yes\"\n[templates]\nunknown = 5\nhelp = \"Tuma BAL\"\n"), "t.toml")
	if err == nil {
		t.Fatal("bad bool and bad template value accepted")
	}
	for _, want := range []string{"t.toml:6: sms.require_client_pin: expected true or false", "t.toml:8: templates.unknown: expected a string"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	cfg, err := Parse([]byte("[modem]\ndevice = \"/dev/x\"\n[store]\npath = \"/s.db\"\n[sms]\nrequire_client_pin = true\nlanguage = \"sw\"\n[templates]\nhelp = \"Tuma BAL\"\n"), "t.toml")
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.SMS.RequireClientPIN || cfg.Templates["help"] != "Tuma BAL" || cfg.SMS.Language != "sw" {
		t.Fatalf("parsed %+v", cfg)
	}
}

// A relative store path and an absolute socket path naming the same file
// are the same file.
func TestValidateSocketIsStoreRelative(t *testing.T) {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	cfg := validConfig(t)
	cfg.Store.Path = "state.db"
	cfg.Control.Socket = filepath.Join(wd, "state.db")
	err = cfg.Validate()
	if err == nil {
		t.Fatal("control.socket equal to store.path accepted")
	}
	for _, key := range []string{"control.socket", "store.path"} {
		if !strings.Contains(err.Error(), key) {
			t.Errorf("error %q does not name %s", err, key)
		}
	}
	cfg.Control.Socket = filepath.Join(wd, "mifos-edge.sock")
	if err := cfg.Validate(); err != nil {
		t.Errorf("a socket beside the store refused: %v", err)
	}
}

// [mifos] timezone is the tenant's zone by its IANA name; unset it is the
// box's own zone, and Location says it is not set.
func TestMifosTimezone(t *testing.T) {
	cfg := validConfig(t)
	if loc, set := cfg.Mifos.Location(); set || loc != time.Local {
		t.Fatalf("unset: %v, %v; want the box's zone, not set", loc, set)
	}
	cfg.Mifos.Timezone = "Africa/Nairobi"
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	loc, set := cfg.Mifos.Location()
	if !set || loc.String() != "Africa/Nairobi" {
		t.Fatalf("Africa/Nairobi: %v, %v", loc, set)
	}
}
