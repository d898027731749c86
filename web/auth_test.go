package web

import (
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/mifos-edge/mifos-edge/store"
	"github.com/mifos-edge/mifos-edge/token"
)

func TestRequireScope(t *testing.T) {
	db, err := store.Open(filepath.Join(t.TempDir(), "s.db"), store.Options{LockTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	mint := func(name string, scopes ...string) string {
		text, id, hash, err := token.New()
		if err != nil {
			t.Fatal(err)
		}
		if err := db.AddToken(store.APIToken{ID: id, Name: name, Scopes: scopes, Hash: hash}); err != nil {
			t.Fatal(err)
		}
		return text
	}
	sender := mint("sender", token.ScopeSend)
	reader := mint("reader", token.ScopeRead)
	revoked := mint("old", token.ScopeSend)
	rid, _ := token.Parse(revoked)
	if err := db.RevokeToken(rid); err != nil {
		t.Fatal(err)
	}
	forged := sender[:len(sender)-1] + "A"
	if forged == sender {
		forged = sender[:len(sender)-1] + "B"
	}
	var who string
	h := RequireScope(db, token.ScopeSend, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, _ := TokenOf(r.Context())
		who = tok.Name
	}))
	for _, tc := range []struct {
		name, auth string
		want       int
		who        string
	}{
		{"right scope", "Bearer " + sender, 200, "sender"},
		{"no header", "", 401, ""},
		{"basic auth", "Basic c2VuZGVyOng=", 401, ""},
		{"not a token", "Bearer hunter2", 401, ""},
		{"one letter changed", "Bearer " + forged, 401, ""},
		{"revoked", "Bearer " + revoked, 401, ""},
		{"other scope", "Bearer " + reader, 403, ""},
	} {
		who = ""
		r := httptest.NewRequest("POST", "/api/v1/sms", nil)
		if tc.auth != "" {
			r.Header.Set("Authorization", tc.auth)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != tc.want || who != tc.who {
			t.Errorf("%s: status %d who %q; want %d %q", tc.name, w.Code, who, tc.want, tc.who)
		}
	}
	sid, _ := token.Parse(sender)
	if tok, _ := db.Token(sid); tok.LastUsedAt.IsZero() {
		t.Error("a used token has no last-used time")
	}
}
