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
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// HTTPClient talks to one Fineract tenant over HTTPS and implements API.
// (The name Client is taken by the GET /clients/{id} record.)
type HTTPClient struct {
	v1, v2   string // base URLs without a trailing slash
	host     string // for error messages
	tenant   string
	auth     string // "Basic ..." header value
	password string // only to scrub it from error text
	locale   string
	hc       *http.Client
}

var _ API = (*HTTPClient)(nil)

const (
	dateFormat      = "yyyy-MM-dd"
	maxBody         = 8 << 20 // a repayment schedule is tens of KB; this bounds a runaway page
	maxErrorBodyLog = 2000
)

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
	if cfg.Tenant == "" {
		return nil, errors.New("the Fineract tenant is required (usually \"default\")")
	}
	if cfg.Username == "" {
		return nil, errors.New("the Fineract user name is required")
	}
	root := strings.TrimRight(u.Scheme+"://"+u.Host+u.EscapedPath(), "/")
	root = strings.TrimSuffix(root, "/api/v1")
	root = strings.TrimSuffix(root, "/api")

	tlsConf, err := tlsConfig(cfg.CAFile, cfg.PinSHA256)
	if err != nil {
		return nil, err
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = tlsConf
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = 20 * time.Second
	}
	locale := cfg.Locale
	if locale == "" {
		locale = "en"
	}
	return &HTTPClient{
		v1:       root + "/api/v1",
		v2:       root + "/api/v2",
		host:     u.Host,
		tenant:   cfg.Tenant,
		auth:     "Basic " + base64.StdEncoding.EncodeToString([]byte(cfg.Username+":"+cfg.Password)),
		password: cfg.Password,
		locale:   locale,
		hc:       &http.Client{Transport: tr, Timeout: timeout},
	}, nil
}

// tlsConfig trusts the system roots plus caFile, and when pin is set also
// requires the leaf certificate's SHA-256 to equal it. Chain and host name
// checks always run: InsecureSkipVerify is never set.
func tlsConfig(caFile, pin string) (*tls.Config, error) {
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
	if pin != "" {
		want, err := parsePin(pin)
		if err != nil {
			return nil, err
		}
		conf.VerifyConnection = func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return errors.New("the Fineract server sent no certificate")
			}
			got := sha256.Sum256(cs.PeerCertificates[0].Raw)
			if !bytes.Equal(got[:], want) {
				return fmt.Errorf("the Fineract server certificate (SHA-256 %x) is not the pinned one", got)
			}
			return nil
		}
	}
	return conf, nil
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
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return resp.Header, c.netError(req, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.Header, c.apiError(resp, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			return resp.Header, fmt.Errorf("Fineract at %s answered %s %s with data we cannot read: %s",
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

// scrub removes the password and the Basic credential from text that may
// end up in logs (a proxy might echo a request back).
func (c *HTTPClient) scrub(s string) string {
	if c.password != "" {
		s = strings.ReplaceAll(s, c.password, "[redacted]")
	}
	return strings.ReplaceAll(s, strings.TrimPrefix(c.auth, "Basic "), "[redacted]")
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
