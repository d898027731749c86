package handler

import (
	"context"
	"strings"
	"testing"

	"github.com/mifos-edge/mifos-edge/pdu"
)

func TestDispatchByKeyword(t *testing.T) {
	r := Default(&Env{})
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
	if chunks, ucs2 := pdu.Split(HelpText); len(chunks) > 2 || ucs2 {
		t.Errorf("help text needs %d SMS (ucs2=%v), want at most two GSM-7 parts", len(chunks), ucs2)
	}
}

func TestRegistryKeywords(t *testing.T) {
	got := strings.Join(Default(&Env{}).Keywords(), ",")
	if got != "BAL,BALANCE,HELP,MSAADA,SALIO" {
		t.Errorf("keywords = %s", got)
	}
}
