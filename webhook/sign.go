// Package webhook sends the box's events to integrators' URLs: a pump
// turns the store's feed into deliveries in the store (one transaction, a
// durable cursor), and a deliverer POSTs them with retries, exponential
// backoff and jitter, an HMAC signature, no redirects, bounded time and
// concurrency. Deliveries are at least once; receivers drop duplicates by
// the event id.
package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// SignatureHeader carries "t=<unix seconds>,v1=<hex HMAC-SHA256>".
const SignatureHeader = "X-Mifos-Edge-Signature"

// Sign is the signature header value of body sent at t: HMAC-SHA256, keyed
// by the webhook's secret, of the decimal unix time, a dot and the body.
// The time is signed so a captured request cannot be replayed for ever.
func Sign(secret []byte, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac(secret, ts, body))
}

func mac(secret []byte, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(ts))
	m.Write([]byte("."))
	m.Write(body)
	return m.Sum(nil)
}

// Signature errors.
var (
	ErrBadSignature = errors.New("webhook signature does not match")
	ErrStale        = errors.New("webhook signature is too old or from the future")
)

// Verify checks a signature header as a receiver should: a v1 value that
// matches body (compared in constant time) and a time within tolerance of
// now. Go receivers may call it; docs/api.md shows the same in a few lines
// of other languages.
func Verify(secret []byte, header string, body []byte, now time.Time, tolerance time.Duration) error {
	ts, sigs, err := ParseSignature(header)
	if err != nil {
		return err
	}
	want := mac(secret, strconv.FormatInt(ts, 10), body)
	ok := false
	for _, s := range sigs {
		ok = hmac.Equal(s, want) || ok
	}
	if !ok {
		return ErrBadSignature
	}
	if d := now.Sub(time.Unix(ts, 0)); d > tolerance || d < -tolerance {
		return ErrStale
	}
	return nil
}

// ParseSignature reads "t=<unix>,v1=<hex>[,v1=<hex>...]"; unknown keys are
// skipped so a later scheme can be added beside v1.
func ParseSignature(header string) (ts int64, v1 [][]byte, err error) {
	if len(header) > 1024 {
		return 0, nil, fmt.Errorf("%w: header too long", ErrBadSignature)
	}
	seenT := false
	for part := range strings.SplitSeq(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return 0, nil, fmt.Errorf("%w: %q is not key=value", ErrBadSignature, part)
		}
		switch k {
		case "t":
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n <= 0 || seenT {
				return 0, nil, fmt.Errorf("%w: bad or repeated timestamp", ErrBadSignature)
			}
			ts, seenT = n, true
		case "v1":
			b, err := hex.DecodeString(v)
			if err != nil || len(b) != sha256.Size {
				return 0, nil, fmt.Errorf("%w: v1 is not a hex SHA-256", ErrBadSignature)
			}
			v1 = append(v1, b)
		}
	}
	if !seenT || len(v1) == 0 {
		return 0, nil, fmt.Errorf("%w: needs t= and v1=", ErrBadSignature)
	}
	return ts, v1, nil
}
