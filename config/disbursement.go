package config

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Disbursement is the [disbursement] table: approved loans paid out to the
// clients' mobile wallets in batches (docs/disbursement.md).
type Disbursement struct {
	// Provider is how money is sent: "daraja-b2c" or "sms-command"; empty
	// turns mobile disbursement off.
	Provider string `toml:"provider"`
	// PaymentTypeID is Fineract's payment type recorded on the
	// disbursement (e.g. "M-PESA B2C"); required when Provider is set.
	PaymentTypeID int `toml:"payment_type_id"`
	// DefaultLimit is what a loan officer may send in one batch without a
	// second person's approval, in whole currency units; 0 = every batch
	// needs approval.
	DefaultLimit int `toml:"default_limit"`
	// Limits overrides DefaultLimit per Fineract staff id ("14" = 200000).
	Limits map[string]int `toml:"limits"`
	// MaxLineAmount refuses any line above it (whole units); 0 = no ceiling.
	MaxLineAmount int `toml:"max_line_amount"`
	// Approvers may approve batches over a limit: Mifos user names with the
	// Fineract staff id each acts as (nobody approves a batch of their own).
	Approvers []Approver `toml:"approver"`
	// ResultWait is how long a sent line waits for the operator's result
	// before it counts as unknown and is asked about (default 2m).
	ResultWait Duration `toml:"result_wait"`
	// QueryEvery is the pause between status queries of an unknown line
	// (default 5m).
	QueryEvery Duration `toml:"query_every"`
	// Daraja configures provider "daraja-b2c".
	Daraja Daraja `toml:"daraja"`
	// SMSCommand configures provider "sms-command".
	SMSCommand SMSCommand `toml:"sms_command"`
}

// Approver is one [[disbursement.approver]] table.
type Approver struct {
	User    string `toml:"user"`
	StaffID int64  `toml:"staff_id"`
}

// Daraja is [disbursement.daraja]: Safaricom's B2C API. Secrets come from
// files, never from this file.
type Daraja struct {
	// BaseURL is the API's address (the production or sandbox host).
	BaseURL                string `toml:"base_url"`
	ConsumerKeyFile        string `toml:"consumer_key_file"`
	ConsumerSecretFile     string `toml:"consumer_secret_file"`
	InitiatorName          string `toml:"initiator_name"`
	SecurityCredentialFile string `toml:"security_credential_file"`
	// ShortCode is the B2C shortcode paying out (PartyA).
	ShortCode string `toml:"shortcode"`
	// CommandID is BusinessPayment (default), SalaryPayment or PromotionPayment.
	CommandID string `toml:"command_id"`
	// CallbackURL is the public address that reaches this box's
	// /hooks/daraja/ (through a relay when the box is behind NAT); the box
	// adds its secret token and the result/timeout path to it.
	CallbackURL string `toml:"callback_url"`
	// CallbackTokenFile holds the secret path segment Daraja's callbacks
	// must carry (created on first start when missing).
	CallbackTokenFile string `toml:"callback_token_file"`
	// Timeout bounds one request (default 30s).
	Timeout Duration `toml:"timeout"`
}

// SMSCommand is [disbursement.sms_command]: the operator's SMS interface.
type SMSCommand struct {
	// Operator is the number commands are sent to.
	Operator string `toml:"operator"`
	// ReplyFrom are the sender ids the operator's replies come from.
	ReplyFrom []string `toml:"reply_from"`
	// Command is the command's text with {amount} {phone} {pin} {ref}.
	Command string `toml:"command"`
	// PINFile holds the agent PIN put in {pin}.
	PINFile string `toml:"pin_file"`
	// PhoneFormat writes {phone}: "national" (0917…), "international"
	// (+63917…) or "digits" (63917…; default).
	PhoneFormat string `toml:"phone_format"`
	// Success and Failure read a reply: regular expressions; Success names
	// the group confirmation (and may name amount, phone); Failure may
	// name reason.
	Success string `toml:"success"`
	Failure string `toml:"failure"`
}

// Disbursement providers.
const (
	ProviderDaraja     = "daraja-b2c"
	ProviderSMSCommand = "sms-command"
)

// DisbursementProviders are the values [disbursement] provider accepts.
var DisbursementProviders = []string{ProviderDaraja, ProviderSMSCommand}

// Phone formats of [disbursement.sms_command] phone_format.
var SMSCommandPhoneFormats = []string{"digits", "national", "international"}

// Disbursement defaults.
const (
	DefaultDisburseResultWait = 2 * time.Minute
	DefaultDisburseQueryEvery = 5 * time.Minute
	DefaultDarajaTimeout      = 30 * time.Second
	DefaultDarajaCommandID    = "BusinessPayment"
)

// Enabled reports whether mobile disbursement is on.
func (d Disbursement) Enabled() bool { return d.Provider != "" }

// LimitOf is staff's limit in whole currency units.
func (d Disbursement) LimitOf(staffID int64) int {
	if v, ok := d.Limits[strconv.FormatInt(staffID, 10)]; ok {
		return v
	}
	return d.DefaultLimit
}

// ApproverNamed is the approver with user name user (case-insensitive).
func (d Disbursement) ApproverNamed(user string) (Approver, bool) {
	for _, a := range d.Approvers {
		if strings.EqualFold(a.User, user) {
			return a, true
		}
	}
	return Approver{}, false
}

func (d *Disbursement) setDefaults() {
	setDuration(&d.ResultWait, DefaultDisburseResultWait)
	setDuration(&d.QueryEvery, DefaultDisburseQueryEvery)
	setDuration(&d.Daraja.Timeout, DefaultDarajaTimeout)
	if d.Daraja.CommandID == "" {
		d.Daraja.CommandID = DefaultDarajaCommandID
	}
	if d.SMSCommand.PhoneFormat == "" {
		d.SMSCommand.PhoneFormat = "digits"
	}
}

var darajaCommands = []string{"BusinessPayment", "SalaryPayment", "PromotionPayment"}

// validateDisbursement checks [disbursement].
func (c *Config) validateDisbursement() []error {
	var errs []error
	fail := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	d := c.Disbursement
	if !d.Enabled() {
		return nil
	}
	if !slices.Contains(DisbursementProviders, d.Provider) {
		fail("disbursement.provider: %q is not a provider this box knows (known: %s)", d.Provider, strings.Join(DisbursementProviders, ", "))
	}
	if d.PaymentTypeID <= 0 {
		fail("disbursement.payment_type_id is required: the id of Fineract's payment type recorded on mobile disbursements (Admin > Organization > Payment Types)")
	}
	if d.DefaultLimit < 0 {
		fail("disbursement.default_limit must not be negative, got %d", d.DefaultLimit)
	}
	if d.MaxLineAmount < 0 {
		fail("disbursement.max_line_amount must not be negative, got %d", d.MaxLineAmount)
	}
	for k, v := range d.Limits {
		if n, err := strconv.ParseInt(k, 10, 64); err != nil || n <= 0 {
			fail("disbursement.limits: key %q is not a Fineract staff id (a positive number)", k)
		}
		if v < 0 {
			fail("disbursement.limits.%s must not be negative, got %d", k, v)
		}
	}
	users := map[string]bool{}
	for i, a := range d.Approvers {
		switch {
		case strings.TrimSpace(a.User) == "":
			fail("disbursement.approver[%d].user is required: the approver's Mifos user name", i+1)
		case users[strings.ToLower(a.User)]:
			fail("disbursement.approver[%d].user: %q is listed twice", i+1, a.User)
		}
		if a.StaffID <= 0 {
			fail("disbursement.approver[%d].staff_id is required: the Fineract staff id %q acts as (a batch of that staff cannot be approved by them)", i+1, a.User)
		}
		users[strings.ToLower(a.User)] = true
	}
	if d.ResultWait.Duration < 10*time.Second || d.ResultWait.Duration > 24*time.Hour {
		fail("disbursement.result_wait: %s is outside 10s to 24h", d.ResultWait.Duration)
	}
	if d.QueryEvery.Duration < 10*time.Second || d.QueryEvery.Duration > 24*time.Hour {
		fail("disbursement.query_every: %s is outside 10s to 24h", d.QueryEvery.Duration)
	}
	switch d.Provider {
	case ProviderDaraja:
		errs = append(errs, d.Daraja.validate()...)
		if c.HTTP.Listen == "" {
			fail("disbursement.provider daraja-b2c: Daraja posts every result to this box's HTTP server, and [http] listen is not set; set it (and a relay from disbursement.daraja.callback_url to it)")
		}
	case ProviderSMSCommand:
		errs = append(errs, d.SMSCommand.validate()...)
	}
	return errs
}

func (d Daraja) validate() []error {
	var errs []error
	fail := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("disbursement.daraja."+format, args...))
	}
	for _, u := range []struct{ key, v, example string }{
		{"base_url", d.BaseURL, "https://api.safaricom.co.ke"},
		{"callback_url", d.CallbackURL, "https://relay.example.org/mifos-edge"},
	} {
		p, err := url.Parse(u.v)
		switch {
		case u.v == "":
			fail("%s is required, e.g. %s", u.key, u.example)
		case err != nil || p.Host == "" || (p.Scheme != "https" && p.Scheme != "http"):
			fail("%s: %q is not an http(s) address", u.key, u.v)
		case p.User != nil:
			fail("%s must not hold a user name or password", u.key)
		}
	}
	for _, f := range []struct{ key, v string }{
		{"consumer_key_file", d.ConsumerKeyFile}, {"consumer_secret_file", d.ConsumerSecretFile},
		{"security_credential_file", d.SecurityCredentialFile}, {"callback_token_file", d.CallbackTokenFile},
	} {
		if f.v == "" {
			fail("%s is required: a file readable only by the service (secrets never go in this file)", f.key)
		}
	}
	if d.InitiatorName == "" {
		fail("initiator_name is required: the API operator created on the M-PESA organisation portal")
	}
	if !regexp.MustCompile(`^[0-9]{5,7}$`).MatchString(d.ShortCode) {
		fail("shortcode: %q is not a B2C shortcode (5 to 7 digits)", d.ShortCode)
	}
	if !slices.Contains(darajaCommands, d.CommandID) {
		fail("command_id: %q is not one of %s", d.CommandID, strings.Join(darajaCommands, ", "))
	}
	if d.Timeout.Duration < time.Second || d.Timeout.Duration > 5*time.Minute {
		fail("timeout: %s is outside 1s to 5m", d.Timeout.Duration)
	}
	return errs
}

func (s SMSCommand) validate() []error {
	var errs []error
	fail := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("disbursement.sms_command."+format, args...))
	}
	if s.Operator == "" {
		fail("operator is required: the number payment commands are sent to")
	}
	if len(s.ReplyFrom) == 0 {
		fail("reply_from is required: the sender ids the operator's replies come from, e.g. [\"GCash\"]")
	}
	switch {
	case s.Command == "":
		fail("command is required, e.g. \"SEND {amount} {phone} {pin}\"")
	case !strings.Contains(s.Command, "{amount}") || !strings.Contains(s.Command, "{phone}"):
		fail("command: %q must contain {amount} and {phone}", s.Command)
	}
	if strings.Contains(s.Command, "{pin}") && s.PINFile == "" {
		fail("pin_file is required when command contains {pin}")
	}
	if !slices.Contains(SMSCommandPhoneFormats, s.PhoneFormat) {
		fail("phone_format: %q is not one of %s", s.PhoneFormat, strings.Join(SMSCommandPhoneFormats, ", "))
	}
	if re, err := regexp.Compile(s.Success); s.Success == "" || err != nil {
		fail("success: a regular expression reading the operator's success reply is required (%v)", err)
	} else if !slices.Contains(re.SubexpNames(), "confirmation") {
		fail("success: the expression must name a group (?P<confirmation>…) holding the operator's reference number")
	}
	if _, err := regexp.Compile(s.Failure); s.Failure == "" || err != nil {
		fail("failure: a regular expression reading the operator's failure reply is required (%v)", err)
	}
	return errs
}
