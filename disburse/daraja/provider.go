// Package daraja is provider "daraja-b2c": it pays lines through
// Safaricom's Daraja B2C API (docs/disbursement.md, "Daraja B2C").
//
// A payment request only says Daraja accepted it; the outcome comes later
// as a POST to this box's callback address (Callbacks), or is asked for
// with a transaction status query (Query), whose answer comes back the
// same way. Submit sends each request once: the only resend is after the
// gateway refused the access token (401), which it does before looking at
// the request.
package daraja

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/mifos-edge/mifos-edge/disburse"
)

// Config holds resolved settings: secrets read, callback addresses built
// (Load does both from [disbursement.daraja]).
type Config struct {
	// BaseURL is the API's address, without a trailing path.
	BaseURL        string
	ConsumerKey    string
	ConsumerSecret string
	// InitiatorName is the API operator; SecurityCredential its password
	// encrypted with M-PESA's certificate, in base64.
	InitiatorName      string
	SecurityCredential string
	ShortCode          string
	CommandID          string // default BusinessPayment
	// The addresses Daraja posts to: payment results and queue time-outs,
	// status results and status queue time-outs.
	ResultURL, QueueTimeOutURL, StatusResultURL, StatusTimeOutURL string
	// CallbackToken is the secret path segment of those addresses, which
	// Callbacks checks.
	CallbackToken string
	// Timeout bounds one request, and the wait for a status result
	// (default 30s).
	Timeout time.Duration
	HTTP    *http.Client // default: a plain client (Timeout bounds each call)
	Now     func() time.Time
}

// String keeps the secrets out of anything that prints a Config.
func (c Config) String() string {
	return fmt.Sprintf("daraja.Config{BaseURL:%s ShortCode:%s InitiatorName:%s CommandID:%s Timeout:%s secrets:redacted}",
		c.BaseURL, c.ShortCode, c.InitiatorName, c.CommandID, c.Timeout)
}

// GoString is String, for %#v.
func (c Config) GoString() string { return c.String() }

// LogValue is what slog records of a Config: no secrets.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(slog.String("base_url", c.BaseURL), slog.String("shortcode", c.ShortCode),
		slog.String("initiator", c.InitiatorName), slog.String("command", c.CommandID))
}

// Provider is the daraja-b2c provider; safe for concurrent use.
type Provider struct {
	cfg Config
	rep disburse.Reporter
	log *slog.Logger
	tok tokenCache

	// mu guards the status queries waiting for their result and the
	// results that came before their query was ready for them.
	mu      sync.Mutex
	waiters map[string]chan statusNote
	early   map[string]earlyNote
}

var _ disburse.Provider = (*Provider)(nil)

// New checks c and makes the provider; results that arrive on their own go
// to rep.
func New(c Config, rep disburse.Reporter, log *slog.Logger) (*Provider, error) {
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	if c.CommandID == "" {
		c.CommandID = "BusinessPayment"
	}
	if c.Timeout <= 0 {
		c.Timeout = 30 * time.Second
	}
	if c.HTTP == nil {
		c.HTTP = &http.Client{}
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var errs []error
	for _, f := range []struct{ name, v string }{
		{"consumer key", c.ConsumerKey}, {"consumer secret", c.ConsumerSecret}, {"initiator name", c.InitiatorName},
		{"security credential", c.SecurityCredential}, {"shortcode", c.ShortCode}, {"callback token", c.CallbackToken},
	} {
		if f.v == "" {
			errs = append(errs, fmt.Errorf("daraja: the %s is empty", f.name))
		}
	}
	for _, u := range []struct{ name, v string }{
		{"base URL", c.BaseURL}, {"result URL", c.ResultURL}, {"queue time-out URL", c.QueueTimeOutURL},
		{"status result URL", c.StatusResultURL}, {"status time-out URL", c.StatusTimeOutURL},
	} {
		if p, err := url.Parse(u.v); err != nil || p.Host == "" || (p.Scheme != "https" && p.Scheme != "http") {
			// The callback addresses hold the token: never print them.
			errs = append(errs, fmt.Errorf("daraja: the %s is not an http(s) address", u.name))
		}
	}
	if rep == nil {
		errs = append(errs, errors.New("daraja: no reporter for the results"))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return &Provider{cfg: c, rep: rep, log: log, waiters: map[string]chan statusNote{}, early: map[string]earlyNote{}}, nil
}
