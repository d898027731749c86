package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mifos-edge/mifos-edge/mifos"
	"github.com/mifos-edge/mifos-edge/phone"
)

// Default values, applied by SetDefaults to settings left out of the file.
const (
	DefaultBaud                  = 115200
	DefaultCommandTimeout        = 5 * time.Second
	DefaultSendTimeout           = 60 * time.Second
	DefaultProbeInterval         = 30 * time.Second
	DefaultStatusInterval        = 60 * time.Second
	DefaultSweepInterval         = 2 * time.Minute
	DefaultRetention             = 90 * 24 * time.Hour
	DefaultReassemblyTimeout     = 30 * time.Minute
	DefaultRepliesPerHour        = 10
	DefaultMaxSendAttempts       = 8
	DefaultCommandsPerHour       = 30
	DefaultLockoutAttempts       = 3
	DefaultLockoutDuration       = 15 * time.Minute
	DefaultDailyFailureBudget    = 20
	DefaultMinPINLength          = 6
	DefaultRepeatWindow          = 24 * time.Hour
	DefaultCollectWindow         = 48 * time.Hour
	DefaultPayScope              = "office"
	DefaultUnknownRepliesPerHour = 60
	DefaultMaxSentPerHour        = 300
	DefaultPhoneCacheFor         = 24 * time.Hour
	DefaultPhoneCacheOfflineMax  = 7 * 24 * time.Hour
	// DefaultKeyName is placed beside the configuration file when security.key_file is unset.
	DefaultKeyName          = "mifos-edge.key"
	DefaultSyncWorkers      = 4
	DefaultSnapshotInterval = 6 * time.Hour
	DefaultMifosTimeout     = 20 * time.Second
	// DefaultSocketName is placed beside the store file when control.socket is unset.
	DefaultSocketName = "mifos-edge.sock"
	// DefaultBackupKeep and DefaultBackupInterval: a week of nightly copies.
	DefaultGatewayProviderID = 1
	DefaultGatewayMaxBatch   = 500
	DefaultGatewayReportWait = 6 * time.Hour
	DefaultGatewayLostAfter  = time.Hour

	DefaultBackupKeep     = 7
	DefaultBackupInterval = 24 * time.Hour
	// MinBackupInterval keeps the nightly copy from wearing out the flash.
	MinBackupInterval = time.Minute
)

// SetDefaults fills every unset (zero) setting with its default. It is
// idempotent; Parse and Load already call it.
func (c *Config) SetDefaults() {
	setInt(&c.Modem.Baud, DefaultBaud)
	setDuration(&c.Modem.CommandTimeout, DefaultCommandTimeout)
	setDuration(&c.Modem.SendTimeout, DefaultSendTimeout)
	setDuration(&c.Modem.ProbeInterval, DefaultProbeInterval)
	setDuration(&c.Modem.StatusInterval, DefaultStatusInterval)
	setDuration(&c.Modem.SweepInterval, DefaultSweepInterval)
	setDuration(&c.Store.Retention, DefaultRetention)
	setInt(&c.Store.BackupKeep, DefaultBackupKeep)
	setDuration(&c.Store.BackupInterval, DefaultBackupInterval)
	setDuration(&c.SMS.ReassemblyTimeout, DefaultReassemblyTimeout)
	setInt(&c.SMS.RepliesPerHour, DefaultRepliesPerHour)
	setInt(&c.SMS.MaxSendAttempts, DefaultMaxSendAttempts)
	setInt(&c.SMS.CommandsPerHour, DefaultCommandsPerHour)
	if c.SMS.Language == "" {
		c.SMS.Language = "en"
	}
	setInt(&c.Officers.LockoutAttempts, DefaultLockoutAttempts)
	setDuration(&c.Officers.LockoutDuration, DefaultLockoutDuration)
	if c.Officers.LockoutEscalation == nil {
		c.Officers.LockoutEscalation = []Duration{{time.Hour}, {24 * time.Hour}}
	}
	setInt(&c.Officers.DailyFailureBudget, DefaultDailyFailureBudget)
	setInt(&c.Officers.MinPINLength, DefaultMinPINLength)
	setDuration(&c.Officers.RepeatWindow, DefaultRepeatWindow)
	setDuration(&c.Officers.CollectWindow, DefaultCollectWindow)
	if c.Officers.PayScope == "" {
		c.Officers.PayScope = DefaultPayScope
	}
	setInt(&c.SMS.UnknownRepliesPerHour, DefaultUnknownRepliesPerHour)
	setInt(&c.SMS.MaxSentPerHour, DefaultMaxSentPerHour)
	setDuration(&c.SMS.PhoneCacheFor, DefaultPhoneCacheFor)
	setDuration(&c.SMS.PhoneCacheOfflineMax, DefaultPhoneCacheOfflineMax)
	if c.Security.KeyFile == "" {
		switch {
		case c.file != "":
			c.Security.KeyFile = filepath.Join(filepath.Dir(c.file), DefaultKeyName)
		case c.Store.Path != "":
			// A configuration built in code (tests, the demo) has no file.
			c.Security.KeyFile = filepath.Join(filepath.Dir(c.Store.Path), DefaultKeyName)
		}
	}
	setInt(&c.Sync.Workers, DefaultSyncWorkers)
	setDuration(&c.Sync.SnapshotInterval, DefaultSnapshotInterval)
	setDuration(&c.Mifos.Timeout, DefaultMifosTimeout)
	for i := range c.Webhooks {
		c.Webhooks[i].setDefaults()
	}
	setInt(&c.Gateway.ProviderID, DefaultGatewayProviderID)
	if c.MobileMoney.Allocate == "" {
		c.MobileMoney.Allocate = AllocateOverdueFirst
	}
	c.Disbursement.setDefaults()
	setInt(&c.Gateway.MaxBatch, DefaultGatewayMaxBatch)
	setDuration(&c.Gateway.ReportWait, DefaultGatewayReportWait)
	setDuration(&c.Gateway.LostAfter, DefaultGatewayLostAfter)
	// Without a store path there is no sensible directory; Validate reports that.
	if c.Control.Socket == "" && c.Store.Path != "" {
		c.Control.Socket = filepath.Join(filepath.Dir(c.Store.Path), DefaultSocketName)
	}
}

// samePath reports whether a and b name the same path once made absolute
// and cleaned (symbolic links are not followed).
func samePath(a, b string) bool {
	absA, errA := filepath.Abs(a)
	absB, errB := filepath.Abs(b)
	return errA == nil && errB == nil && absA == absB
}

func setInt(v *int, def int) {
	if *v == 0 {
		*v = def
	}
}

func setDuration(v *Duration, def time.Duration) {
	if v.Duration == 0 {
		v.Duration = def
	}
}

// StandardBauds are the serial speeds USB modems accept for their AT port.
var StandardBauds = []int{9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600}

// unixSocketPathMax is sun_path's size on Linux minus the terminating NUL;
// a longer socket path fails at bind time with a cryptic error.
const unixSocketPathMax = 107

var countryCode = regexp.MustCompile(`^[A-Z]{2}$`)

var e164Phone = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)

// Validate checks the settings' values (call it after SetDefaults). The
// returned error lists every problem, one per line, each naming its key.
func (c *Config) Validate() error {
	var errs []error
	fail := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	if strings.TrimSpace(c.Modem.Device) == "" {
		fail("modem.device is required: the modem's serial port, e.g. /dev/mifos-modem")
	}
	if !containsInt(StandardBauds, c.Modem.Baud) {
		fail("modem.baud: %d is not a standard serial speed (use one of %s; 115200 suits almost every modem)",
			c.Modem.Baud, joinInts(StandardBauds))
	}
	if c.Modem.PIN != "" && !isDigits(c.Modem.PIN, 4, 8) {
		// The PIN itself is never echoed back.
		fail("modem.pin must be 4 to 8 digits")
	}
	for i, cmd := range c.Modem.InitCommands {
		switch {
		case strings.TrimSpace(cmd) == "":
			fail("modem.init_commands[%d] is empty", i)
		case strings.ContainsAny(cmd, "\r\n"):
			fail("modem.init_commands[%d] must be a single command without line breaks", i)
		case strings.HasPrefix(strings.ToUpper(cmd), "AT"):
			fail("modem.init_commands[%d]: write %q without the leading \"AT\" (the daemon adds it)", i, cmd)
		}
	}
	durations := []struct {
		key string
		d   Duration
	}{
		{"modem.command_timeout", c.Modem.CommandTimeout},
		{"modem.send_timeout", c.Modem.SendTimeout},
		{"modem.probe_interval", c.Modem.ProbeInterval},
		{"modem.status_interval", c.Modem.StatusInterval},
		{"modem.sweep_interval", c.Modem.SweepInterval},
		{"store.retention", c.Store.Retention},
		{"sms.reassembly_timeout", c.SMS.ReassemblyTimeout},
		{"sms.phone_cache_for", c.SMS.PhoneCacheFor},
		{"sms.phone_cache_offline_max", c.SMS.PhoneCacheOfflineMax},
	}
	for _, d := range durations {
		if d.d.Duration <= 0 {
			fail("%s must be longer than zero, got %s", d.key, d.d.Duration)
		}
	}

	if strings.TrimSpace(c.Store.Path) == "" {
		fail("store.path is required: the database file, e.g. /var/lib/mifos-edge/state.db")
	}
	if c.Store.BackupKeep < 1 {
		fail("store.backup_keep must be at least 1 (the number of nightly copies kept), got %d", c.Store.BackupKeep)
	}
	if c.Store.BackupInterval.Duration < MinBackupInterval {
		fail("store.backup_interval must be at least %s, got %s (\"24h\" makes one copy a day)", MinBackupInterval, c.Store.BackupInterval.Duration)
	}
	if c.Store.BackupDir != "" && strings.TrimSpace(c.Store.Path) != "" && samePath(c.Store.BackupDir, c.Store.Path) {
		fail("store.backup_dir must be a directory for the copies, not the store file %s itself", c.Store.Path)
	}

	if c.SMS.Country != "" && !countryCode.MatchString(c.SMS.Country) {
		fail("sms.country: %q is not a two-letter upper-case country code such as \"KE\" or \"UG\"", c.SMS.Country)
	} else if c.SMS.Country != "" && !phone.Supported(c.SMS.Country) {
		fail("sms.country: %q is not a country whose national numbers this box reads (one of %s; or leave it out to accept only numbers written with + and a country code)",
			c.SMS.Country, strings.Join(phone.Countries(), ", "))
	}
	if c.SMS.RepliesPerHour < 1 {
		fail("sms.replies_per_hour must be at least 1, got %d", c.SMS.RepliesPerHour)
	}
	if c.SMS.MaxSendAttempts < 1 {
		fail("sms.max_send_attempts must be at least 1, got %d", c.SMS.MaxSendAttempts)
	}
	if c.SMS.Language != "en" && c.SMS.Language != "sw" {
		fail("sms.language: %q is not a reply language (use \"en\" or \"sw\", and [templates] for any wording)", c.SMS.Language)
	}
	if c.SMS.CommandsPerHour < 1 {
		fail("sms.commands_per_hour must be at least 1, got %d", c.SMS.CommandsPerHour)
	}
	if c.Officers.LockoutAttempts < 1 {
		fail("officers.lockout_attempts must be at least 1, got %d", c.Officers.LockoutAttempts)
	}
	if c.Officers.DailyFailureBudget < 1 {
		fail("officers.daily_failure_budget must be at least 1, got %d", c.Officers.DailyFailureBudget)
	}
	if c.Officers.MinPINLength < 4 || c.Officers.MinPINLength > 8 {
		fail("officers.min_pin_length must be from 4 to 8, got %d (6 is recommended)", c.Officers.MinPINLength)
	}
	for i, d := range c.Officers.LockoutEscalation {
		if d.Duration <= 0 {
			fail("officers.lockout_escalation[%d] must be longer than zero, got %s", i, d.Duration)
		}
	}
	if c.Officers.RepeatWindow.Duration <= 0 || c.Officers.RepeatWindow.Duration > 7*24*time.Hour {
		fail("officers.repeat_window must be longer than zero and at most a week (168h), got %s", c.Officers.RepeatWindow.Duration)
	}
	if c.Officers.CollectWindow.Duration <= 0 || c.Officers.CollectWindow.Duration > 14*24*time.Hour {
		fail("officers.collect_window must be longer than zero and at most two weeks (336h), got %s", c.Officers.CollectWindow.Duration)
	}
	if c.Officers.PayScope != "office" && c.Officers.PayScope != "groups" {
		fail("officers.pay_scope: %q is not a scope (use \"office\" or \"groups\")", c.Officers.PayScope)
	}
	if c.Officers.MaxItemAmount < 0 || c.Officers.MaxDailyAmount < 0 {
		fail("officers.max_item_amount and officers.max_daily_amount must not be negative (0 means no ceiling)")
	}
	if c.Officers.ManagerPhone != "" && !e164Phone.MatchString(c.Officers.ManagerPhone) {
		fail("officers.manager_phone: %q must be in international form with + and country code, like \"+254722000099\"", c.Officers.ManagerPhone)
	}
	if c.SMS.MaxSentPerHour < 1 {
		fail("sms.max_sent_per_hour must be at least 1, got %d", c.SMS.MaxSentPerHour)
	}
	if c.SMS.UnknownRepliesPerHour < 1 {
		fail("sms.unknown_replies_per_hour must be at least 1, got %d", c.SMS.UnknownRepliesPerHour)
	}
	if c.SMS.PhoneCacheOfflineMax.Duration < c.SMS.PhoneCacheFor.Duration {
		fail("sms.phone_cache_offline_max (%s) must be at least sms.phone_cache_for (%s): a mapping trusted online cannot be too old offline",
			c.SMS.PhoneCacheOfflineMax.Duration, c.SMS.PhoneCacheFor.Duration)
	}
	if strings.TrimSpace(c.Security.KeyFile) == "" {
		fail("security.key_file is required: the file that keeps the box key, e.g. /etc/mifos-edge/mifos-edge.key")
	}
	if c.Sync.Workers < 1 || c.Sync.Workers > 32 {
		fail("sync.workers must be between 1 and 32, got %d", c.Sync.Workers)
	}
	if c.Mifos.PinSHA256 != "" && !regexp.MustCompile(`^[0-9a-fA-F]{64}$`).MatchString(c.Mifos.PinSHA256) {
		fail("mifos.pin_sha256 must be 64 hex digits (the SHA-256 of the server certificate)")
	}

	if c.Mifos.BaseURL != "" {
		errs = append(errs, c.Mifos.validate()...)
	}
	if c.Mifos.PaymentTypeID < 0 {
		fail("mifos.payment_type_id must not be negative, got %d", c.Mifos.PaymentTypeID)
	}
	if c.Mifos.Timezone != "" {
		if _, err := time.LoadLocation(c.Mifos.Timezone); err != nil || c.Mifos.Timezone == "Local" {
			fail("mifos.timezone: %q is not a time zone name; use the tenant's IANA name, like \"Africa/Nairobi\" or \"UTC\"", c.Mifos.Timezone)
		}
	}

	errs = append(errs, validateWebhooks(c.Webhooks)...)
	if c.HTTP.Listen != "" {
		if err := validateListen(c.HTTP.Listen); err != nil {
			fail("http.listen: %v", err)
		}
	}
	if (c.HTTP.TLSCertFile == "") != (c.HTTP.TLSKeyFile == "") {
		fail("http.tls_cert_file and http.tls_key_file go together: set both (HTTPS) or neither (plain HTTP)")
	}

	errs = append(errs, c.validateGateway()...)
	errs = append(errs, c.validateMobileMoney()...)
	errs = append(errs, c.validateDisbursement()...)

	if n := len(c.Control.Socket); n > unixSocketPathMax {
		fail("control.socket: path is %d characters long; unix sockets allow at most %d, choose a shorter path", n, unixSocketPathMax)
	}
	// The daemon would try to put its socket where the database is.
	if c.Control.Socket != "" && strings.TrimSpace(c.Store.Path) != "" && samePath(c.Control.Socket, c.Store.Path) {
		fail("control.socket must not be the same file as store.path (%s); leave control.socket unset to put the socket beside the store",
			c.Store.Path)
	}

	return errors.Join(errs...)
}

func (m Mifos) validate() []error {
	var errs []error
	fail := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	u, err := url.Parse(m.BaseURL)
	switch {
	case err != nil:
		// The raw text may hold credentials, so it is not echoed.
		fail("mifos.base_url is not a valid URL (expected something like https://fineract.example.org/fineract-provider)")
	case u.Scheme != "http" && u.Scheme != "https":
		fail("mifos.base_url: %q must start with https:// (or http://)", redactURL(m.BaseURL))
	case u.Host == "":
		fail("mifos.base_url: %q has no host name", redactURL(m.BaseURL))
	case u.Scheme == "http" && !m.InsecureHTTP && !mifos.IsLoopbackHost(u.Hostname()):
		fail("mifos.base_url: %q uses plain http:// to %s, another machine: the Fineract password and client data "+
			"would cross the network unencrypted and anyone on the way could fake Fineract's answers; use https:// "+
			"(a self-signed server can be trusted with mifos.ca_file or mifos.pin_sha256), or set mifos.insecure_http = true to accept that risk",
			redactURL(m.BaseURL), u.Hostname())
	}
	if strings.TrimSpace(m.Tenant) == "" {
		fail("mifos.tenant is required when mifos.base_url is set (usually \"default\")")
	}
	if strings.TrimSpace(m.Username) == "" {
		fail("mifos.username is required when mifos.base_url is set")
	}
	switch {
	case m.Password == "" && m.PasswordFile == "":
		fail("mifos: set either mifos.password_file (recommended) or mifos.password")
	case m.Password != "" && m.PasswordFile != "":
		fail("mifos: set only one of mifos.password and mifos.password_file, not both")
	}
	return errs
}

func validateListen(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%q must be host:port such as \"127.0.0.1:8080\"", addr)
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("%q: port must be a number from 1 to 65535", addr)
	}
	if host != "" && net.ParseIP(host) == nil && strings.ContainsAny(host, " /") {
		return fmt.Errorf("%q: %q is not a host name or IP address", addr, host)
	}
	return nil
}

func containsInt(list []int, v int) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func joinInts(list []int) string {
	s := make([]string, len(list))
	for i, v := range list {
		s[i] = strconv.Itoa(v)
	}
	return strings.Join(s, ", ")
}

func isDigits(s string, minLen, maxLen int) bool {
	if len(s) < minLen || len(s) > maxLen {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// ResolvePassword returns the Fineract password, reading password_file when
// that is how it was configured. Errors name the file but never its content.
func (m Mifos) ResolvePassword() (string, error) {
	if m.Password != "" {
		return m.Password, nil
	}
	if m.PasswordFile == "" {
		return "", errors.New("no Fineract password configured: set mifos.password_file")
	}
	data, err := os.ReadFile(m.PasswordFile)
	if err != nil {
		if errors.Is(err, os.ErrPermission) {
			return "", fmt.Errorf("mifos.password_file %s cannot be read by this user (check its owner and permissions)", m.PasswordFile)
		}
		if errors.Is(err, os.ErrNotExist) {
			return "", fmt.Errorf("mifos.password_file %s does not exist", m.PasswordFile)
		}
		return "", fmt.Errorf("mifos.password_file %s cannot be read: %w", m.PasswordFile, err)
	}
	pw := strings.TrimRight(string(data), "\r\n")
	if pw == "" {
		return "", fmt.Errorf("mifos.password_file %s is empty", m.PasswordFile)
	}
	return pw, nil
}

// redactedMark replaces secrets in Redacted copies.
const redactedMark = "***"

// Redacted returns a copy safe to log: the SIM PIN, the Fineract password,
// credentials inside base_url and any init command that sets a PIN are
// replaced by "***".
func (c Config) Redacted() Config {
	if c.Modem.PIN != "" {
		c.Modem.PIN = redactedMark
	}
	if c.Mifos.Password != "" {
		c.Mifos.Password = redactedMark
	}
	if c.Webhooks != nil {
		hooks := slices.Clone(c.Webhooks)
		for i := range hooks {
			if hooks[i].Secret != "" {
				hooks[i].Secret = redactedMark
			}
		}
		c.Webhooks = hooks
	}
	c.Mifos.BaseURL = redactURL(c.Mifos.BaseURL)
	if c.Modem.InitCommands != nil {
		cmds := make([]string, len(c.Modem.InitCommands))
		for i, cmd := range c.Modem.InitCommands {
			// +CPIN and +CPWD carry PINs/PUKs in their arguments.
			up := strings.ToUpper(cmd)
			if strings.Contains(up, "CPIN") || strings.Contains(up, "CPWD") || strings.Contains(up, "CLCK") {
				cmd = redactedMark
			}
			cmds[i] = cmd
		}
		c.Modem.InitCommands = cmds
	}
	return c
}

// redactURL hides a password embedded in a URL's user info.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		if strings.Contains(raw, "@") {
			return redactedMark
		}
		return raw
	}
	if u.User == nil {
		return raw
	}
	return u.Redacted()
}

var gatewayPrefix = regexp.MustCompile(`^(/[A-Za-z0-9._~-]+)+$`)

// validateGateway checks [gateway] and [fineract_hooks].
func (c *Config) validateGateway() []error {
	var errs []error
	fail := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	g := c.Gateway
	if g.Prefix != "" && !gatewayPrefix.MatchString(g.Prefix) {
		fail("gateway.prefix: %q must be empty (serve /sms at the root) or a path such as \"/gateway\" (a leading /, no trailing /, letters, digits, . _ ~ -)", g.Prefix)
	}
	if g.Prefix == "/hooks" || strings.HasPrefix(g.Prefix, "/hooks/") || g.Prefix == "/api" || strings.HasPrefix(g.Prefix, "/api/") {
		fail("gateway.prefix: %q is taken by other routes of the box; choose another, such as \"/gateway\"", g.Prefix)
	}
	if g.ProviderID < 1 {
		fail("gateway.provider_id must be at least 1, got %d", g.ProviderID)
	}
	if g.PhoneNo != "" && !e164Phone.MatchString(g.PhoneNo) {
		fail("gateway.phone_no: %q must be in international form with + and country code, like \"+254722000099\"", g.PhoneNo)
	}
	if g.MaxBatch < 1 || g.MaxBatch > 5000 {
		fail("gateway.max_batch must be from 1 to 5000, got %d (Fineract sends at most 200 at once)", g.MaxBatch)
	}
	if g.ReportWait.Duration <= 0 {
		fail("gateway.report_wait must be longer than zero, got %s", g.ReportWait.Duration)
	}
	if g.LostAfter.Duration < time.Minute {
		fail("gateway.lost_after must be at least 1m, got %s (Fineract may ask for a report before its batch arrives)", g.LostAfter.Duration)
	}
	seen := map[string]bool{}
	for i, ev := range c.FineractHooks.Events {
		switch {
		case !slices.Contains(HookEvents, ev):
			fail("fineract_hooks.events[%d]: %q is not an event the box turns into an SMS (use %s)", i, ev, strings.Join(HookEvents, ", "))
		case seen[ev]:
			fail("fineract_hooks.events[%d]: %q is listed twice", i, ev)
		}
		seen[ev] = true
	}
	return errs
}
