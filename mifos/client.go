package mifos

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// HTTPClient talks to one Fineract tenant over HTTPS. Its users declare
// the few calls each needs as interfaces of their own.
// (The name Client is taken by the GET /clients/{id} record.)
type HTTPClient struct {
	v1, v2 string // base URLs without a trailing slash
	host   string // for error messages
	tenant string
	auth   string // "Basic ..." header value
	// username and password are sent in a body only by Authenticate.
	username, password string
	// credentials are the forms the box's credential takes in text a
	// server may echo back, each scrubbed from error text as a whole token.
	credentials []credential
	locale      string
	hc          *http.Client
	observe     func(ctx context.Context, err error)
}

const (
	dateFormat      = "yyyy-MM-dd"
	maxBody         = 8 << 20 // a repayment schedule is tens of KB; this bounds a runaway page
	maxErrorBodyLog = 2000
)

// idleConnsPerHost is how many connections to Fineract are kept open
// between requests: at least as many as one BAL has in flight at once
// (handler's bound of four reads), with room for the posting workers.
const idleConnsPerHost = 8

// New checks cfg and builds a client. BaseURL may end in /api/v1 (as in
// Config's example) or be the context root (".../fineract-provider"); the
// v2 client search is derived from it.
func New(cfg Config) (*HTTPClient, error) {
	u, err := url.Parse(strings.TrimSpace(cfg.BaseURL))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, errors.New("the Fineract base URL must start with https:// (or http://)")
	}
	if u.Host == "" {
		return nil, errors.New("the Fineract base URL has no host name")
	}
	if u.User != nil {
		return nil, errors.New("the Fineract base URL must not contain a user name or password; set them separately")
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, errors.New("the Fineract base URL must not have a query (?) or fragment (#)")
	}
	// Plain http lets anyone on the way read the password and client data
	// and fake Fineract's answers; only this machine's own address is safe.
	if u.Scheme == "http" && !cfg.InsecureHTTP && !IsLoopbackHost(u.Hostname()) {
		return nil, fmt.Errorf("the Fineract base URL uses plain http:// to %s, which is not this machine: "+
			"the password and client data would cross the network unencrypted; use https:// (or allow plain http explicitly)", u.Hostname())
	}
	if cfg.Tenant == "" {
		return nil, errors.New("the Fineract tenant is required (usually \"default\")")
	}
	if cfg.Username == "" {
		return nil, errors.New("the Fineract user name is required")
	}
	root := strings.TrimRight(u.Scheme+"://"+u.Host+u.EscapedPath(), "/")
	root = strings.TrimSuffix(root, "/api/v1")
	root = strings.TrimSuffix(root, "/api")

	tlsConf, err := tlsConfig(cfg.CAFile, cfg.PinSHA256, u.Hostname())
	if err != nil {
		return nil, err
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = tlsConf
	// A BAL reads several accounts at once: with Go's default of two idle
	// connections per host, the others would be closed after each BAL and
	// the next one would pay TCP and TLS handshakes again, two or three
	// round trips each on a slow branch uplink.
	tr.MaxIdleConnsPerHost = idleConnsPerHost
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = 20 * time.Second
	}
	locale := cfg.Locale
	if locale == "" {
		locale = "en"
	}
	userPass := cfg.Username + ":" + cfg.Password
	token := base64.StdEncoding.EncodeToString([]byte(userPass))
	return &HTTPClient{
		v1:          root + "/api/v1",
		v2:          root + "/api/v2",
		host:        u.Host,
		tenant:      cfg.Tenant,
		auth:        "Basic " + token,
		username:    cfg.Username,
		password:    cfg.Password,
		credentials: []credential{{token, isBase64Char}, {userPass, isWordChar}},
		locale:      locale,
		observe:     cfg.Observe,
		hc: &http.Client{
			Transport: tr,
			Timeout:   timeout,
			// The Fineract API never redirects, and following one is unsafe:
			// Go keeps Authorization on a redirect to the same host name
			// whatever the scheme or port (so https→http sends the password
			// in clear), and a 307/308 re-sends a posting to whoever answers
			// and takes their answer as the result. The 3xx comes back to do.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}, nil
}

// IsLoopbackHost reports whether host (a URL's Hostname(): no port, no
// brackets) is this machine: "localhost" or an address in 127.0.0.0/8 or ::1.
func IsLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}

// tlsConfig decides which server certificate the client trusts.
//
//   - no pin: the system roots plus caFile, with the usual chain, host name
//     and validity checks;
//   - caFile and pin: the same, and the leaf certificate's SHA-256 must also
//     equal the pin;
//   - pin alone: exactly the certificate whose SHA-256 is the pin, if it is
//     valid for host and in force today (pinnedOnly), so a self-signed
//     server can be trusted without a CA file.
func tlsConfig(caFile, pin, host string) (*tls.Config, error) {
	conf := &tls.Config{MinVersion: tls.VersionTLS12}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("cannot read the Fineract CA file %s: %w", caFile, err)
		}
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("the Fineract CA file %s holds no PEM certificate", caFile)
		}
		conf.RootCAs = pool
	}
	if pin == "" {
		return conf, nil
	}
	want, err := parsePin(pin)
	if err != nil {
		return nil, err
	}
	if caFile != "" {
		conf.VerifyConnection = func(cs tls.ConnectionState) error {
			_, err := pinnedLeaf(cs, want)
			return err
		}
		return conf, nil
	}
	// Go's own verification must be switched off here only because it
	// would demand a CA for a self-signed certificate; pinnedOnly then does
	// a full verification in its place, and it runs on every connection
	// (VerifyConnection also runs for resumed sessions). Either way the
	// handshake proves the server holds the certificate's private key.
	conf.InsecureSkipVerify = true
	conf.VerifyConnection = func(cs tls.ConnectionState) error { return pinnedOnly(cs, want, host, time.Now()) }
	return conf, nil
}

// pinnedLeaf returns the server's certificate if its SHA-256 equals want.
func pinnedLeaf(cs tls.ConnectionState, want []byte) (*x509.Certificate, error) {
	if len(cs.PeerCertificates) == 0 {
		return nil, errors.New("the Fineract server sent no certificate")
	}
	leaf := cs.PeerCertificates[0]
	got := sha256.Sum256(leaf.Raw)
	if !bytes.Equal(got[:], want) {
		return nil, fmt.Errorf("the Fineract server certificate (SHA-256 %x) is not the pinned one", got)
	}
	return leaf, nil
}

// pinnedOnly is the whole verification of a server trusted by its pin
// alone. The pin is the operator vouching for this exact certificate, which
// is what a CA's signature would otherwise say; the host name and validity
// period are checked as chain verification would check them, so a pinned
// certificate cannot be replayed for another host or outlive its dates.
func pinnedOnly(cs tls.ConnectionState, want []byte, host string, now time.Time) error {
	leaf, err := pinnedLeaf(cs, want)
	if err != nil {
		return err
	}
	if now.Before(leaf.NotBefore) {
		return fmt.Errorf("the pinned Fineract server certificate is not valid before %s", leaf.NotBefore.UTC().Format(time.RFC3339))
	}
	if now.After(leaf.NotAfter) {
		return fmt.Errorf("the pinned Fineract server certificate expired on %s", leaf.NotAfter.UTC().Format(time.RFC3339))
	}
	if err := leaf.VerifyHostname(host); err != nil {
		return fmt.Errorf("the pinned Fineract server certificate is not valid for %s, the host in the base URL: %w", host, err)
	}
	return nil
}

// parsePin accepts 64 hex digits, upper or lower case, with optional ":".
func parsePin(pin string) ([]byte, error) {
	b, err := hex.DecodeString(strings.ReplaceAll(strings.TrimSpace(pin), ":", ""))
	if err != nil || len(b) != sha256.Size {
		return nil, errors.New("the certificate pin must be the 64 hex digits of the certificate's SHA-256")
	}
	return b, nil
}

// request is one call: method, path under /api/v1 (or v2), query, body.
type request struct {
	method  string
	path    string
	query   url.Values
	body    any
	idemKey string
	v2      bool
}

// do sends req and decodes a 2xx JSON body into out (nil = ignore). It
// returns the response header so callers can read x-served-from-cache.
func (c *HTTPClient) do(ctx context.Context, req request, out any) (http.Header, error) {
	h, err := c.send(ctx, req, out)
	if c.observe != nil {
		c.observe(ctx, err)
	}
	return h, err
}

func (c *HTTPClient) send(ctx context.Context, req request, out any) (http.Header, error) {
	base := c.v1
	if req.v2 {
		base = c.v2
	}
	target := base + req.path
	if len(req.query) > 0 {
		target += "?" + req.query.Encode()
	}
	var body io.Reader
	if req.body != nil {
		b, err := json.Marshal(req.body)
		if err != nil {
			return nil, fmt.Errorf("cannot build the request for %s %s: %w", req.method, req.path, err)
		}
		body = bytes.NewReader(b)
	}
	hr, err := http.NewRequestWithContext(ctx, req.method, target, body)
	if err != nil {
		return nil, fmt.Errorf("cannot build the request for %s %s: %w", req.method, req.path, err)
	}
	hr.Header.Set("Authorization", c.auth)
	hr.Header.Set("Fineract-Platform-TenantId", c.tenant)
	hr.Header.Set("Accept", "application/json")
	if req.body != nil {
		hr.Header.Set("Content-Type", "application/json")
	}
	if req.idemKey != "" {
		hr.Header.Set("Idempotency-Key", req.idemKey)
	}
	resp, err := c.hc.Do(hr)
	if err != nil {
		return nil, c.netError(req, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return resp.Header, c.netError(req, err)
	}
	tooLarge := len(raw) > maxBody
	raw = raw[:min(len(raw), maxBody)]
	if resp.StatusCode >= 300 && resp.StatusCode <= 399 {
		return resp.Header, c.redirectError(resp)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.Header, c.apiError(resp, raw)
	}
	if out != nil {
		if tooLarge {
			// Cut short, it cannot be decoded; the same question gets the
			// same answer, so this is not a passing failure.
			return resp.Header, fmt.Errorf("%w: the Fineract server at %s answered %s %s with more than %d MiB",
				ErrTooLarge, c.host, req.method, req.path, maxBody>>20)
		}
		if err := json.Unmarshal(raw, out); err != nil {
			return resp.Header, fmt.Errorf("the Fineract server at %s answered %s %s with data we cannot read: %s",
				c.host, req.method, req.path, c.scrub(err.Error()))
		}
	}
	return resp.Header, nil
}

// netErr keeps the cause (context, TLS, timeout) for errors.Is/As while its
// text is scrubbed of the password.
type netErr struct {
	msg string
	err error
}

func (e *netErr) Error() string { return e.msg }
func (e *netErr) Unwrap() error { return e.err }

func (c *HTTPClient) netError(req request, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		// url.Error's text repeats the whole URL, query included; the
		// method and path say enough.
		err = ue.Err
	}
	return &netErr{
		msg: c.scrub(fmt.Sprintf("cannot reach Fineract at %s (%s %s): %v", c.host, req.method, req.path, err)),
		err: err,
	}
}

// credential is one written form of the box's credential, and the
// characters that may continue it (a match inside a longer run of them is
// some other text, not the credential).
type credential struct {
	text      string
	continues func(byte) bool
}

// scrub removes the box's credential from text that may end up in logs (a
// proxy might echo a request back): the Basic token and "user:password",
// each only where it stands as a whole token. The password is never looked
// for on its own: the box sends it only inside the Basic header, and
// replacing a short or common password wherever it occurs ("p" in
// "pinned", "password" in "Invalid password") would tell a log reader
// what it is.
func (c *HTTPClient) scrub(s string) string {
	for _, cr := range c.credentials {
		s = redactWhole(s, cr)
	}
	return s
}

// redactWhole replaces every occurrence of cr.text that no cr.continues
// character touches on either side.
func redactWhole(s string, cr credential) string {
	if cr.text == "" {
		return s
	}
	var b strings.Builder
	rest := s
	for {
		i := strings.Index(rest, cr.text)
		if i < 0 {
			break
		}
		end := i + len(cr.text)
		before := i > 0 && cr.continues(rest[i-1])
		after := end < len(rest) && cr.continues(rest[end])
		if before || after {
			b.WriteString(rest[:i+1])
			rest = rest[i+1:]
			continue
		}
		b.WriteString(rest[:i])
		b.WriteString("[redacted]")
		rest = rest[end:]
	}
	b.WriteString(rest)
	return b.String()
}

// isBase64Char: standard base64 and its padding.
func isBase64Char(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/' || c == '='
}

// isWordChar: letters, digits, '_', and every byte of a non-ASCII
// character (counted as a letter).
func isWordChar(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c >= 0x80
}

// redirectError reports a 3xx answer. The client never follows it (see
// New), so the request went no further than the server that redirected.
func (c *HTTPClient) redirectError(resp *http.Response) *Error {
	var where string
	if loc, err := resp.Location(); err == nil {
		// The Location may carry credentials or a tenant in its query;
		// scheme, host and path are what base_url needs.
		loc.User, loc.RawQuery, loc.ForceQuery, loc.Fragment, loc.RawFragment = nil, "", false, "", ""
		where = c.scrub(loc.String())
	}
	return &Error{
		Status:   resp.StatusCode,
		Location: where,
		Message:  "Fineract answered with a redirect, which this box does not follow: fix [mifos] base_url",
	}
}

// wireError is ApiGlobalErrorResponse, plus the {"Exception": ...} body of
// unmapped 500s.
type wireError struct {
	DeveloperMessage string     `json:"developerMessage"`
	HTTPStatusCode   flexString `json:"httpStatusCode"` // a string in Fineract; a number is tolerated
	DefaultMessage   string     `json:"defaultUserMessage"`
	Code             string     `json:"userMessageGlobalisationCode"`
	Errors           []struct {
		Code           string `json:"userMessageGlobalisationCode"`
		Parameter      string `json:"parameterName"`
		DefaultMessage string `json:"defaultUserMessage"`
		DevMessage     string `json:"developerMessage"`
		Value          any    `json:"value"`
	} `json:"errors"`
	Exception string `json:"Exception"`
}

func (c *HTTPClient) apiError(resp *http.Response, raw []byte) *Error {
	e := &Error{
		Status:          resp.StatusCode,
		ServedFromCache: servedFromCache(resp.Header),
		Body:            c.scrub(truncate(string(raw), maxErrorBodyLog)),
	}
	var w wireError
	if json.Unmarshal(raw, &w) == nil {
		e.Code = w.Code
		e.Message = c.scrub(firstNonEmpty(w.DefaultMessage, w.DeveloperMessage, w.Exception))
		for _, fe := range w.Errors {
			e.Errors = append(e.Errors, FieldError{
				Code:      fe.Code,
				Parameter: fe.Parameter,
				Message:   c.scrub(firstNonEmpty(fe.DefaultMessage, fe.DevMessage)),
				Value:     fe.Value,
			})
		}
		// Our status is the HTTP one; httpStatusCode (a string) only fills
		// in if a proxy rewrote the status to something meaningless.
		if s, err := strconv.Atoi(string(w.HTTPStatusCode)); err == nil && e.Status == 0 {
			e.Status = s
		}
	} else {
		e.Message = c.scrub(plainText(raw))
	}
	if e.Message == "" {
		e.Message = http.StatusText(resp.StatusCode)
	}
	return e
}

func servedFromCache(h http.Header) bool {
	return strings.EqualFold(strings.TrimSpace(h.Get("x-served-from-cache")), "true")
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// plainText shortens a non-JSON error page (an HTML proxy page, a servlet
// error) to its first 200 characters of visible text.
func plainText(raw []byte) string {
	var b strings.Builder
	inTag := false
	for _, r := range string(raw) {
		switch {
		case r == '<':
			inTag = true
		case r == '>':
			inTag = false
			b.WriteByte(' ')
		case !inTag:
			b.WriteRune(r)
		}
	}
	s := strings.Join(strings.Fields(b.String()), " ")
	if len(s) > 200 {
		s = strings.ToValidUTF8(s[:200], "") + "..."
	}
	return s
}
