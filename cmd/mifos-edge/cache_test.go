package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/mifos-edge/mifos-edge/store"
)

func runCache(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := (&CacheCommand{Stdout: &out, Stderr: &errOut}).Run(context.Background(), args)
	return out.String(), err
}

// With no daemon running, cache flush opens the store itself and forgets a
// stolen phone's mapping, or every mapping.
func TestCacheFlushWithoutDaemon(t *testing.T) {
	cfg, storePath := officerEnv(t)
	now := time.Now()
	withStore(t, storePath, func(db *store.DB) {
		for _, p := range []store.PhoneClient{
			{Phone: "+254712345678", ClientID: 42, Name: "Amina Odhiambo", CheckedAt: now},
			{Phone: "+254722000001", ClientID: 7, Name: "Juma", CheckedAt: now},
			{Phone: "+254700000009", NotRegistered: true, CheckedAt: now},
		} {
			if err := db.PutPhoneClient(p); err != nil {
				t.Fatal(err)
			}
		}
	})

	// The phone as an officer would type it, in the country's national form.
	out, err := runCache(t, "flush", "--config", cfg, "--phone", "0712 345 678")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "+254712345678") {
		t.Errorf("flush --phone printed %q", out)
	}
	withStore(t, storePath, func(db *store.DB) {
		if _, ok, _ := db.PhoneClient("+254712345678"); ok {
			t.Error("the flushed phone is still cached")
		}
		if _, ok, _ := db.PhoneClient("+254722000001"); !ok {
			t.Error("another phone was flushed with it")
		}
	})

	if out, err = runCache(t, "flush", "--config", cfg); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "forgot 2 cached phones") {
		t.Errorf("flush printed %q", out)
	}
	withStore(t, storePath, func(db *store.DB) {
		for _, p := range []string{"+254722000001", "+254700000009"} {
			if _, ok, _ := db.PhoneClient(p); ok {
				t.Errorf("%s still cached after flushing everything", p)
			}
		}
	})

	if _, err := runCache(t, "flush", "--config", cfg, "--phone", "not a number"); err == nil || !strings.Contains(err.Error(), "--phone") {
		t.Errorf("bad --phone: %v", err)
	}
	if _, err := runCache(t, "empty", "--config", cfg); err == nil || !strings.Contains(err.Error(), "flush") {
		t.Errorf("unknown action: %v", err)
	}
}
