package handler

import (
	"context"
	"strings"
	"testing"
	"time"
)

// A number removed from a client in Mifos (a stolen phone) must not get
// that client's balances for ever just because Fineract stays unreachable:
// offline, a cached mapping is used only up to PhoneCache.OfflineMax.
func TestBalanceOfflineTrustsCachedPhoneOnlyForABoundedTime(t *testing.T) {
	for _, tc := range []struct {
		name    string
		age     time.Duration
		policy  PhoneCachePolicy
		offline string // "network" or "known"
		asOf    bool
	}{
		{"2 days, unreachable", 48 * time.Hour, PhoneCachePolicy{}, "network", true},
		{"2 days, known offline", 48 * time.Hour, PhoneCachePolicy{}, "known", true},
		{"8 days, unreachable", 8 * 24 * time.Hour, PhoneCachePolicy{}, "network", false},
		{"8 days, known offline", 8 * 24 * time.Hour, PhoneCachePolicy{}, "known", false},
		{"8 days, configured 10 days", 8 * 24 * time.Hour, PhoneCachePolicy{OfflineMax: 10 * 24 * time.Hour}, "network", true},
		{"3 hours, configured 2 hours", 3 * time.Hour, PhoneCachePolicy{For: time.Hour, OfflineMax: 2 * time.Hour}, "network", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newBalanceFixture(t, aminaAPI(), "en")
			f.env.PhoneCache = tc.policy
			if got := f.ask(t, "+254712345678", "BAL"); got != aminaEnglish {
				t.Fatalf("live reply %q", got)
			}
			at := f.now
			f.now = at.Add(tc.age)
			if tc.offline == "known" {
				f.online = false
			} else {
				f.api.setFail(errNetwork)
			}
			res := f.bal.Handle(context.Background(), Request{From: "+254712345678", Text: "BAL", ReceivedAt: f.now})
			if len(res.Replies) != 1 {
				t.Fatalf("replies: %+v", res)
			}
			got := res.Replies[0].Text
			if tc.asOf {
				if want := "As of " + at.Local().Format("Mon 2 Jan 15:04") + ". " + aminaEnglish; got != want {
					t.Errorf("\n got %q\nwant %q", got, want)
				}
				return
			}
			if got != tryLaterEnglish {
				t.Errorf("a %s old mapping was trusted offline: %q", tc.age, got)
			}
			if !strings.Contains(res.Note, "phone_cache_offline_max") {
				t.Errorf("note does not say why: %q", res.Note)
			}
		})
	}
}

// The online trust time comes from the configuration.
func TestBalancePhoneCacheForIsConfigurable(t *testing.T) {
	f := newBalanceFixture(t, aminaAPI(), "en")
	f.env.PhoneCache = PhoneCachePolicy{For: time.Hour, OfflineMax: time.Hour}
	f.ask(t, "+254712345678", "BAL")
	searches := f.api.count("ClientsByPhone")
	f.now = f.now.Add(30 * time.Minute)
	f.ask(t, "+254712345678", "BAL")
	if n := f.api.count("ClientsByPhone"); n != searches {
		t.Errorf("mapping younger than PhoneCache.For re-checked (%d searches, want %d)", n, searches)
	}
	f.now = f.now.Add(45 * time.Minute)
	f.ask(t, "+254712345678", "BAL")
	if n := f.api.count("ClientsByPhone"); n == searches {
		t.Error("mapping older than PhoneCache.For was not re-checked")
	}
}

// After a flush the phone is unknown: offline it gets no figures at all.
func TestBalanceAfterPhoneCacheFlush(t *testing.T) {
	f := newBalanceFixture(t, aminaAPI(), "en")
	f.ask(t, "+254712345678", "BAL")
	if _, err := f.db.ForgetPhoneClients("+254712345678"); err != nil {
		t.Fatal(err)
	}
	f.api.setFail(errNetwork)
	if got := f.ask(t, "+254712345678", "BAL"); got != tryLaterEnglish {
		t.Errorf("flushed phone offline: %q", got)
	}
}
