package config

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/mifos-edge/mifos-edge/mifos"
	"github.com/mifos-edge/mifos-edge/webhook"
)

// Webhook is one [[webhook]] table: where to POST which events.
type Webhook struct {
	// URL receives the events; https://, or http:// to this machine
	// (loopback), or http:// elsewhere with insecure_http = true.
	URL string `toml:"url"`
	// Events to send (see webhook.Events), e.g. ["sms.received"].
	Events []string `toml:"events"`
	// Secret keys the HMAC-SHA256 signature of every request; at least 16
	// characters. Prefer SecretFile, which keeps it out of this file.
	Secret     string `toml:"secret"`
	SecretFile string `toml:"secret_file"`
	// InsecureHTTP allows http:// to another machine: event bodies (phone
	// numbers, message texts) then cross the network in clear.
	InsecureHTTP bool `toml:"insecure_http"`
	// GiveUpAfter is how long a delivery is retried before it becomes a
	// dead letter (default 24h, 1m to 720h).
	GiveUpAfter Duration `toml:"give_up_after"`
}

// Webhook limits.
const (
	DefaultWebhookGiveUp = 24 * time.Hour
	minWebhookGiveUp     = time.Minute
	maxWebhookGiveUp     = 30 * 24 * time.Hour
	minWebhookSecret     = 16
)

func (w *Webhook) setDefaults() { setDuration(&w.GiveUpAfter, DefaultWebhookGiveUp) }

func (w Webhook) validate(i int) []error {
	var errs []error
	key := fmt.Sprintf("webhook[%d]", i+1)
	fail := func(format string, args ...any) { errs = append(errs, fmt.Errorf(key+"."+format, args...)) }
	u, err := url.Parse(w.URL)
	switch {
	case w.URL == "":
		fail("url is required: where to POST the events, e.g. https://crm.example.org/mifos-edge")
	case err != nil:
		fail("url is not a valid URL")
	case u.User != nil:
		fail("url must not hold a user name or password: receivers check the signature (secret) instead")
	case u.Scheme != "http" && u.Scheme != "https":
		fail("url: %q must start with https://", redactURL(w.URL))
	case u.Host == "":
		fail("url: %q has no host name", w.URL)
	case u.Scheme == "http" && !w.InsecureHTTP && !mifos.IsLoopbackHost(u.Hostname()):
		fail("url: %q uses plain http:// to %s, another machine: phone numbers and message texts would cross the network "+
			"unencrypted; use https://, or set insecure_http = true in this [[webhook]] to accept that risk", w.URL, u.Hostname())
	}
	if len(w.Events) == 0 {
		fail("events is required: one or more of %s", strings.Join(webhook.Events, ", "))
	}
	for _, e := range w.Events {
		switch {
		case strings.HasPrefix(e, webhook.ReservedPrefix) && !slices.Contains(webhook.Events, e):
			fail("events: %q is not a payment event: mobile money payments give payment.posted and payment.suspense", e)
		case !slices.Contains(webhook.Events, e):
			fail("events: %q is not an event (known: %s)", e, strings.Join(webhook.Events, ", "))
		}
	}
	switch {
	case w.Secret == "" && w.SecretFile == "":
		fail("secret_file (or secret) is required: receivers check each request's signature with it")
	case w.Secret != "" && w.SecretFile != "":
		fail("secret: set only one of secret and secret_file, not both")
	case w.Secret != "" && len(w.Secret) < minWebhookSecret:
		fail("secret is too short: use at least %d random characters (e.g. openssl rand -hex 32)", minWebhookSecret)
	}
	if g := w.GiveUpAfter.Duration; g < minWebhookGiveUp || g > maxWebhookGiveUp {
		fail("give_up_after: %s is outside %s to %s", g, minWebhookGiveUp, maxWebhookGiveUp)
	}
	return errs
}

func validateWebhooks(hooks []Webhook) []error {
	var errs []error
	seen := map[string]int{}
	for i, w := range hooks {
		errs = append(errs, w.validate(i)...)
		if j, dup := seen[w.URL]; dup && w.URL != "" {
			errs = append(errs, fmt.Errorf("webhook[%d].url is the same as webhook[%d].url: list every event in one [[webhook]]", i+1, j+1))
		}
		seen[w.URL] = i
	}
	return errs
}

// ResolveSecret returns the signing secret, reading secret_file when that
// is how it was configured. Errors name the file but never its content.
func (w Webhook) ResolveSecret() ([]byte, error) {
	if w.Secret != "" {
		return []byte(w.Secret), nil
	}
	data, err := os.ReadFile(w.SecretFile)
	switch {
	case errors.Is(err, os.ErrPermission):
		return nil, fmt.Errorf("webhook secret_file %s cannot be read by this user (check its owner and permissions)", w.SecretFile)
	case errors.Is(err, os.ErrNotExist):
		return nil, fmt.Errorf("webhook secret_file %s does not exist", w.SecretFile)
	case err != nil:
		return nil, fmt.Errorf("webhook secret_file %s cannot be read: %w", w.SecretFile, err)
	}
	s := strings.TrimRight(string(data), "\r\n")
	if len(s) < minWebhookSecret {
		return nil, fmt.Errorf("webhook secret_file %s holds fewer than %d characters; use a long random secret (e.g. openssl rand -hex 32)", w.SecretFile, minWebhookSecret)
	}
	return []byte(s), nil
}
