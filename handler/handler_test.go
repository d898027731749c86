package handler

import (
	"context"
	"strings"
	"testing"
)

func TestDispatchByKeyword(t *testing.T) {
	r := Default()
	cases := []struct {
		text, want string
	}{
		{"HELP", HelpText},
		{"help", HelpText},
		{"  Help  ", HelpText},
		{"help me please", HelpText},
		{"bal", BalanceUnavailableText},
		{"Balance", BalanceUnavailableText},
		{"", UnknownText},
		{"hello", UnknownText},
		{"HELPX", UnknownText},
	}
	for _, c := range cases {
		res := r.Dispatch(context.Background(), Request{From: "+254712345678", Text: c.text})
		if len(res.Replies) != 1 || res.Replies[0].Text != c.want {
			t.Errorf("%q: got %+v, want one reply %q", c.text, res.Replies, c.want)
		}
	}
}

func TestHelpMentionsEveryCommand(t *testing.T) {
	for _, kw := range []string{"BAL", "PAY", "COLLECT", "REMIND", "HELP"} {
		if !strings.Contains(HelpText, kw) {
			t.Errorf("help text does not mention %s", kw)
		}
	}
	// Two concatenated GSM-7 parts carry 306 characters.
	if n := len([]rune(HelpText)); n > 306 {
		t.Errorf("help text is %d characters, more than two SMS", n)
	}
}

func TestRegistryKeywords(t *testing.T) {
	got := strings.Join(Default().Keywords(), ",")
	if got != "BAL,BALANCE,HELP" {
		t.Errorf("keywords = %s", got)
	}
}
