package main

import (
	"bytes"
	"context"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mifos-edge/mifos-edge/store"
	"github.com/mifos-edge/mifos-edge/token"
)

func TestTokenCommandLifecycle(t *testing.T) {
	cfg, storePath := officerEnv(t)
	run := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := (&TokenCommand{Stdout: &out}).Run(context.Background(), args)
		return out.String(), err
	}
	out, err := run("add", "--config", cfg, "--name", "gcash-bridge", "--scope", "send,read")
	if err != nil {
		t.Fatal(err)
	}
	text := regexp.MustCompile(`mfe_[0-9a-f]{8}_[A-Z2-7]{32}`).FindString(out)
	if text == "" {
		t.Fatalf("add printed no token: %q", out)
	}
	id, _ := token.Parse(text)
	for _, args := range [][]string{
		{"add", "--config", cfg, "--name", "x", "--scope", "admin"},
		{"add", "--config", cfg, "--name", "", "--scope", "send"},
		{"add", "--config", cfg, "--name", "x"},
		{"revoke", "--config", cfg},
		{"rotate", "--config", cfg},
	} {
		if _, err := run(args...); err == nil {
			t.Errorf("token %v was accepted", args)
		}
	}
	list, err := run("list", "--config", cfg)
	if err != nil || !strings.Contains(list, id) || !strings.Contains(list, "gcash-bridge") || !strings.Contains(list, "send,read") {
		t.Fatalf("list = %q, %v", list, err)
	}
	if strings.Contains(list, text) {
		t.Error("list shows the token's secret")
	}
	if _, err := run("revoke", "--config", cfg, id); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(storePath)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte(text)) || bytes.Contains(raw, []byte(text[13:])) {
		t.Error("the store file holds the token's text")
	}
	db, err := store.Open(storePath, store.Options{LockTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tok, err := db.Token(id)
	if err != nil || !token.Matches(text, tok.Hash) || !tok.Revoked() {
		t.Errorf("stored token %+v, %v: want the printed token's hash, revoked", tok, err)
	}
}
