package webhook

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestSignVerify(t *testing.T) {
	secret := []byte("0123456789abcdef-secret")
	body := []byte(`{"id":"evt_1","type":"sms.received"}`)
	now := time.Unix(1_800_000_000, 0)
	h := Sign(secret, now, body)
	if !strings.HasPrefix(h, "t=1800000000,v1=") || len(h) != len("t=1800000000,v1=")+64 {
		t.Fatalf("header %q", h)
	}
	if err := Verify(secret, h, body, now.Add(time.Minute), 5*time.Minute); err != nil {
		t.Errorf("good signature: %v", err)
	}
	for name, tc := range map[string]struct {
		secret []byte
		header string
		body   []byte
		now    time.Time
		want   error
	}{
		"other secret":   {[]byte("another-secret-0123"), h, body, now, ErrBadSignature},
		"changed body":   {secret, h, []byte(`{"id":"evt_2","type":"sms.received"}`), now, ErrBadSignature},
		"old":            {secret, h, body, now.Add(10 * time.Minute), ErrStale},
		"time rewritten": {secret, strings.Replace(h, "t=1800000000", "t=1800000600", 1), body, now.Add(10 * time.Minute), ErrBadSignature},
		"no v1":          {secret, "t=1800000000", body, now, ErrBadSignature},
		"garbage":        {secret, "hello", body, now, ErrBadSignature},
	} {
		if err := Verify(tc.secret, tc.header, tc.body, tc.now, 5*time.Minute); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", name, err, tc.want)
		}
	}
}

func FuzzParseSignature(f *testing.F) {
	f.Add("t=1800000000,v1=" + strings.Repeat("ab", 32))
	f.Add("t=1,v1=00,v0=zz")
	f.Add("v1=,t=")
	f.Add(",,,")
	f.Fuzz(func(t *testing.T, h string) {
		ts, sigs, err := ParseSignature(h)
		if err == nil && (ts <= 0 || len(sigs) == 0) {
			t.Errorf("%q accepted without a time or a signature", h)
		}
		for _, s := range sigs {
			if len(s) != 32 {
				t.Errorf("%q: signature of %d bytes", h, len(s))
			}
		}
	})
}
