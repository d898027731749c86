package store

import (
	"errors"
	"testing"
	"time"
)

func TestTokensAddListRevoke(t *testing.T) {
	db := openTemp(t)
	if _, err := db.Token("0123abcd"); !errors.Is(err, ErrNoToken) {
		t.Fatalf("token in an empty store: %v", err)
	}
	tok := APIToken{ID: "0123abcd", Name: "gcash-bridge", Scopes: []string{"send"}, Hash: []byte{1, 2, 3}}
	if err := db.AddToken(tok); err != nil {
		t.Fatal(err)
	}
	if err := db.AddToken(tok); err == nil {
		t.Error("a second token with the same id was stored")
	}
	if err := db.AddToken(APIToken{ID: "x", Name: "n", Hash: []byte{1}}); err == nil {
		t.Error("a token without a scope was stored")
	}
	got, err := db.Token("0123abcd")
	if err != nil || got.Name != "gcash-bridge" || got.Revoked() || got.CreatedAt.IsZero() {
		t.Fatalf("stored token = %+v, %v", got, err)
	}
	now := time.Now()
	if err := db.TouchToken("0123abcd", now); err != nil {
		t.Fatal(err)
	}
	if err := db.TouchToken("0123abcd", now.Add(10*time.Second)); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.Token("0123abcd"); !got.LastUsedAt.Equal(now) {
		t.Errorf("last used = %v, want the first touch %v (one write a minute)", got.LastUsedAt, now)
	}
	if err := db.RevokeToken("0123abcd"); err != nil {
		t.Fatal(err)
	}
	first, _ := db.Token("0123abcd")
	if err := db.RevokeToken("0123abcd"); err != nil {
		t.Fatal(err)
	}
	again, _ := db.Token("0123abcd")
	if !first.Revoked() || !again.RevokedAt.Equal(first.RevokedAt) {
		t.Errorf("revoked at %v then %v", first.RevokedAt, again.RevokedAt)
	}
	if err := db.RevokeToken("feedbeef"); !errors.Is(err, ErrNoToken) {
		t.Errorf("revoke unknown: %v", err)
	}
	list, err := db.Tokens()
	if err != nil || len(list) != 1 {
		t.Fatalf("Tokens = %v, %v", list, err)
	}
}
