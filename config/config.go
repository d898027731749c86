// Package config reads the daemon's TOML configuration strictly: unknown
// keys, wrong types and missing required keys are errors naming key and line.
package config

import (
	"net"
	"time"
	// The tenant's time zone must load on a box without a zone database
	// (a minimal image has no /usr/share/zoneinfo).
	_ "time/tzdata"
)

// Config is the whole configuration file.
type Config struct {
	Modem Modem `toml:"modem"`
	Store Store `toml:"store"`
	Mifos Mifos `toml:"mifos"`
	HTTP  HTTP  `toml:"http"`
	SMS   SMS   `toml:"sms"`
	// Control is the local socket that CLI commands use to reach a running daemon.
	Control Control `toml:"control"`
	// Officers is the officer-command security policy.
	Officers Officers `toml:"officers"`
	// Security is the box key and the checks on secret files.
	Security Security `toml:"security"`
	// Sync is the posting of journal entries to Fineract.
	Sync Sync `toml:"sync"`
	// Gateway is the box as Fineract's SMS message gateway.
	Gateway Gateway `toml:"gateway"`
	// FineractHooks turns Fineract's Web hook events into client SMS.
	FineractHooks FineractHooks `toml:"fineract_hooks"`
	// Templates overrides reply texts by key (see `mifos-edge config templates`).
	Templates map[string]string `toml:"templates"`
	// MobileMoney is the posting of mobile-money payments.
	MobileMoney MobileMoney `toml:"mobile_money"`
	// Webhooks are the [[webhook]] tables: integrators' URLs that get events.
	Webhooks []Webhook `toml:"webhook"`
	// Disbursement pays approved loans to clients' mobile wallets.
	Disbursement Disbursement `toml:"disbursement"`

	// file is the path the configuration was loaded from ("" when built in
	// code); defaults of paths that live beside it are derived from it.
	file string
}

// File is the path the configuration was loaded from, "" when built in code.
func (c *Config) File() string { return c.file }

// Officers is the [officers] table. Its PIN rules (lockout, budget, PIN
// length) apply to clients' BAL PINs too.
type Officers struct {
	// LockoutAttempts wrong PINs in a row lock an officer (default 3).
	LockoutAttempts int `toml:"lockout_attempts"`
	// LockoutDuration is how long the first lock lasts (default 15m).
	LockoutDuration Duration `toml:"lockout_duration"`
	// LockoutEscalation are the lengths of the following locks (default
	// 1h, 24h); after the last, a phone stays locked until
	// `mifos-edge officer unlock` or a PIN reset.
	LockoutEscalation []Duration `toml:"lockout_escalation"`
	// DailyFailureBudget is how many wrong PINs the whole box accepts in a
	// day, officers and clients counted apart (default 20).
	DailyFailureBudget int `toml:"daily_failure_budget"`
	// MinPINLength is the shortest new PIN, 4 to 8 (default 6).
	MinPINLength int `toml:"min_pin_length"`
	// ManagerPhone gets an SMS when a phone is locked, the daily budget is
	// spent or a number floods the box; empty: the log only.
	ManagerPhone string `toml:"manager_phone"`
	// AcceptUndeclaredNumbers takes officer commands from senders whose
	// type of number the network left "unknown" (some networks deliver
	// every number so). Off: only international and national numbers.
	AcceptUndeclaredNumbers bool `toml:"accept_undeclared_numbers"`
	// RepeatWindow: the same command from the same officer within it is
	// held until the officer confirms it with YES <PIN> (default 24h).
	RepeatWindow Duration `toml:"repeat_window"`
	// PayScope limits whose accounts PAY may credit: "office" (clients of
	// the officer's office, default) or "groups" (the officer's own
	// clients and the members of the officer's groups).
	PayScope string `toml:"pay_scope"`
	// MaxItemAmount is the largest amount one PAY item may post, in the
	// account's currency (whole units); 0 means no ceiling.
	MaxItemAmount int `toml:"max_item_amount"`
	// MaxDailyAmount is the most one officer may post by SMS in a day
	// (PAY and COLLECT together), in whole currency units; 0: no ceiling.
	MaxDailyAmount int `toml:"max_daily_amount"`
	// CollectWindow is how long after a group's meeting COLLECT still
	// records it, in whole days from the meeting's date (default 48h;
	// under 24h: the meeting day only). Fineract takes a sheet only for a
	// meeting date.
	CollectWindow Duration `toml:"collect_window"`
}

// Security is the [security] table.
type Security struct {
	// KeyFile holds the box key that keys SMS fingerprints and peppers PIN
	// hashes; default "mifos-edge.key" beside the configuration file.
	KeyFile string `toml:"key_file"`
	// StrictPermissions refuses to start when a secret (the key file, the
	// Fineract password file, a config file with an inline password) or
	// the store can be read by group or others; off: a warning. A store
	// open to others is made 0600 when it is opened, in either case.
	StrictPermissions bool `toml:"strict_permissions"`
}

// Sync is the [sync] table.
type Sync struct {
	// Workers is how many postings go to Fineract at once (default 4).
	Workers int `toml:"workers"`
	// SnapshotInterval refreshes the offline balance snapshots (default 6h).
	SnapshotInterval Duration `toml:"snapshot_interval"`
}

// Modem is the [modem] table.
type Modem struct {
	Device string `toml:"device"` // required; symlinks and /dev/serial/by-id paths work
	Baud   int    `toml:"baud"`   // default 115200
	PIN    string `toml:"pin"`    // SIM PIN, optional; never logged
	// CommandTimeout bounds ordinary AT commands (default 5s).
	CommandTimeout Duration `toml:"command_timeout"`
	// SendTimeout bounds the wait for +CMGS after the PDU is written (default 60s).
	SendTimeout Duration `toml:"send_timeout"`
	// ProbeInterval is the idle liveness probe period (default 30s).
	ProbeInterval Duration `toml:"probe_interval"`
	// StatusInterval is the +CSQ/+CREG poll period (default 60s).
	StatusInterval Duration `toml:"status_interval"`
	// SweepInterval is the storage sweep period even without +CMTI (default 2m).
	SweepInterval Duration `toml:"sweep_interval"`
	// InitCommands are extra AT commands sent after the standard init, without "AT" (e.g. "^CURC=0").
	InitCommands []string `toml:"init_commands"`
}

// Store is the [store] table.
type Store struct {
	Path      string   `toml:"path"`      // required: bbolt file
	Retention Duration `toml:"retention"` // default 90 days ("2160h")
	// BackupDir, when set, gets a dated copy of the store every
	// BackupInterval, of which the newest BackupKeep are kept.
	BackupDir      string   `toml:"backup_dir"`
	BackupKeep     int      `toml:"backup_keep"`     // default 7
	BackupInterval Duration `toml:"backup_interval"` // default 24h
}

// Mifos is the [mifos] table (used by the Fineract integration).
type Mifos struct {
	BaseURL       string `toml:"base_url"`
	Tenant        string `toml:"tenant"`
	Username      string `toml:"username"`
	Password      string `toml:"password"`
	PasswordFile  string `toml:"password_file"`
	PaymentTypeID int    `toml:"payment_type_id"`
	// CAFile trusts a private CA or self-signed certificate (PEM).
	CAFile string `toml:"ca_file"`
	// PinSHA256 pins the server certificate: hex SHA-256 of its DER. Alone
	// it trusts exactly that certificate; with CAFile it is an extra check.
	PinSHA256 string `toml:"pin_sha256"`
	// InsecureHTTP allows an http:// base_url to another machine (the
	// password then crosses the network in clear); loopback needs no flag.
	InsecureHTTP bool `toml:"insecure_http"`
	// Timeout bounds one request (default 20s).
	Timeout Duration `toml:"timeout"`
	// BoxID names this branch box in Fineract external ids (default: host name).
	BoxID string `toml:"box_id"`
	// Timezone is the tenant's time zone in Fineract (an IANA name such as
	// "Africa/Nairobi"): Fineract's "today" when its business-date feature
	// is off. Default "": the box's own zone, warned about at start.
	Timezone string `toml:"timezone"`
}

// Location is the tenant's time zone, [mifos] timezone, and whether it is
// set; unset it is the box's own zone (time.Local). Validate has checked
// the name, so an error here cannot happen after a successful load.
func (m Mifos) Location() (*time.Location, bool) {
	if m.Timezone == "" {
		return time.Local, false
	}
	loc, err := time.LoadLocation(m.Timezone)
	if err != nil {
		return time.Local, false
	}
	return loc, true
}

// HTTP is the [http] table.
type HTTP struct {
	Listen string `toml:"listen"` // e.g. "127.0.0.1:8080"; empty disables
	// TLSCertFile and TLSKeyFile (PEM) make the box serve HTTPS on
	// Listen, so managers' Mifos passwords and session cookies do not
	// cross the branch network in clear. Both or neither.
	TLSCertFile string `toml:"tls_cert_file"`
	TLSKeyFile  string `toml:"tls_key_file"`
	// MetricsToken makes /metrics need a bearer token with scope "read";
	// by default it is open on the listen address (counts only).
	MetricsToken bool `toml:"metrics_token"`
}

// TLS reports whether [http] serves HTTPS.
func (h HTTP) TLS() bool { return h.TLSCertFile != "" }

// Loopback reports whether Listen is reachable from this machine only.
func (h HTTP) Loopback() bool {
	host, _, err := net.SplitHostPort(h.Listen)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// SMS is the [sms] table.
type SMS struct {
	Country string `toml:"country"` // ISO region for numbers written without +, e.g. "KE"
	// ReassemblyTimeout is how long to wait for missing long-SMS parts (default 30m).
	ReassemblyTimeout Duration `toml:"reassembly_timeout"`
	// RepliesPerHour caps automatic replies to one number per hour (default 10).
	RepliesPerHour int `toml:"replies_per_hour"`
	// MaxSendAttempts before an outbound SMS becomes a dead letter (default 8).
	MaxSendAttempts int `toml:"max_send_attempts"`
	// Language of replies: "en" (default) or "sw".
	Language string `toml:"language"`
	// RequireClientPIN makes BAL need "BAL <PIN>".
	RequireClientPIN bool `toml:"require_client_pin"`
	// CommandsPerHour caps the messages one number may have handled per
	// hour (default 30); more are deferred, not dropped.
	CommandsPerHour int `toml:"commands_per_hour"`
	// UnknownRepliesPerHour caps automatic replies, box-wide, to numbers
	// the box does not know (not an officer, not a registered client);
	// default 60. Stops forged senders from billing the SIM.
	UnknownRepliesPerHour int `toml:"unknown_replies_per_hour"`
	// ReplyAbroad lets automatic replies go to unknown numbers of other
	// countries than sms.country (off by default).
	ReplyAbroad bool `toml:"reply_abroad"`
	// MaxSentPerHour is the most SMS the box sends in any hour (default
	// 300); more wait in the outbox for the next hour. It bounds what a
	// flood or a fault can cost the SIM. Its last tenth is kept for
	// replies: reminders and notifications stop at nine tenths.
	MaxSentPerHour int `toml:"max_sent_per_hour"`
	// PhoneCacheFor is how long BAL trusts a cached phone -> client mapping
	// without asking Fineract again (default 24h).
	PhoneCacheFor Duration `toml:"phone_cache_for"`
	// PhoneCacheOfflineMax is the oldest mapping BAL still uses while
	// Fineract cannot be reached (default 168h, 7 days; at least
	// phone_cache_for), so a number removed from a client in Mifos stops
	// getting that client's balances even during a long outage.
	PhoneCacheOfflineMax Duration `toml:"phone_cache_offline_max"`
	// DeliveryReports asks the network for a status report on every SMS
	// part sent (TP-SRR), so an outbound message shows "delivered" only
	// once the phone got it (default true; a file that leaves it out gets
	// true, see Parse).
	DeliveryReports bool `toml:"delivery_reports"`
}

// Gateway is the [gateway] table: the box serves Fineract's "message
// gateway" calls (/sms, /sms/report, /smsbridges) on [http] listen, so
// Fineract's SMS campaigns leave through the modem (docs/gateway.md).
type Gateway struct {
	// Prefix is the path the gateway calls are served under: "" (the
	// root: /sms) or e.g. "/gateway" (/gateway/sms). It is what Fineract's
	// external service setting end_point says.
	Prefix string `toml:"prefix"`
	// ProviderID is the SMS bridge id /smsbridges gives this modem and
	// campaigns must name (default 1).
	ProviderID int `toml:"provider_id"`
	// PhoneNo is the SIM's own number, shown in Fineract's provider list.
	PhoneNo string `toml:"phone_no"`
	// MaxBatch is the most messages one POST /sms may carry (default 500;
	// Fineract sends at most 200).
	MaxBatch int `toml:"max_batch"`
	// ReportWait is how long a sent SMS is reported "waiting for a
	// delivery report" before the box gives up on one and reports it
	// "sent" (default 6h).
	ReportWait Duration `toml:"report_wait"`
	// LostAfter: an id Fineract asks a report for that the box never
	// received is reported failed once Fineract has asked for this long
	// (default 1h); it is then never sent, even if it arrives later.
	LostAfter Duration `toml:"lost_after"`
}

// FineractHooks is the [fineract_hooks] table.
type FineractHooks struct {
	// Events are the Fineract events that become an SMS to the client,
	// "ENTITY/ACTION" as Fineract names them (see HookEvents); empty: none.
	Events []string `toml:"events"`
}

// HookEvents are the events [fineract_hooks] events may list.
var HookEvents = []string{"LOAN/APPROVE", "LOAN/DISBURSE", "LOAN/REPAYMENT"}

// Control is the [control] table.
type Control struct {
	// Socket is the unix socket path; default: "mifos-edge.sock" beside the store file.
	Socket string `toml:"socket"`
}

// Duration is a time.Duration written in TOML as a string such as "30s" or "2h".
type Duration struct{ time.Duration }

// UnmarshalText parses Go duration syntax.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return err
	}
	d.Duration = v
	return nil
}

// MarshalText writes Go duration syntax.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.Duration.String()), nil }
