package token

import (
	"strings"
	"testing"
)

func TestNewTokenParsesAndMatchesOnlyItself(t *testing.T) {
	text, id, hash, err := New()
	if err != nil {
		t.Fatal(err)
	}
	got, err := Parse(text)
	if err != nil || got != id {
		t.Fatalf("Parse(%q) = %q, %v; want id %q", text, got, err, id)
	}
	if !Matches(text, hash) {
		t.Error("a token does not match its own hash")
	}
	other, _, _, _ := New()
	if Matches(other, hash) {
		t.Error("another token matches this hash")
	}
	// One changed letter of the secret still parses but must not match.
	last := byte('A')
	if text[len(text)-1] == 'A' {
		last = 'B'
	}
	flipped := text[:len(text)-1] + string(last)
	if Matches(flipped, hash) {
		t.Error("a token with one letter changed matches")
	}
}

func TestParseRefusesWhatIsNotAToken(t *testing.T) {
	for _, text := range []string{
		"", "Bearer x", "mfe_", "mfe_0123abcd", "mfe_0123abcd_", "mfe_0123abc_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"mfe_0123abcg_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "mfe_0123abcd_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA1",
		"xyz_0123abcd_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "mfe_0123abcd_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	} {
		if _, err := Parse(text); err == nil {
			t.Errorf("Parse(%q) accepted", text)
		}
	}
	if id, err := Parse("mfe_0123abcd_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"); err != nil || id != "0123abcd" {
		t.Errorf("well-formed token: %q, %v", id, err)
	}
}

func TestParseScopes(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string
		err  string
	}{
		{"send,read", "send,read", ""},
		{" SEND , gateway,send", "send,gateway", ""},
		{"send,payments,read,gateway", "send,payments,read,gateway", ""},
		{"", "", "at least one scope"},
		{",", "", "at least one scope"},
		{"admin", "", `unknown scope "admin"`},
	} {
		got, err := ParseScopes(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseScopes(%q) err = %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || strings.Join(got, ",") != tc.want {
			t.Errorf("ParseScopes(%q) = %v, %v; want %s", tc.in, got, err, tc.want)
		}
	}
}
