package handler

import (
	"context"
	"strings"
	"testing"

	"github.com/mifos-edge/mifos-edge/pdu"
)

// The replies of a box without a Fineract link, as the SMS command card words them.
const (
	helpEnglish = "Mifos Edge. Clients: BAL - your loan and savings balances. " +
		"Officers: PAY <PIN> <client> L1=500 S=200 - record payments; " +
		"COLLECT <PIN> <group> ALL [EXCEPT <client>...] - group collection; " +
		"REMIND <PIN> [group] - send arrears reminders. HELP - this list."
	balanceOffEnglish  = "Balance enquiries are not available at this branch yet. Please ask your loan officer."
	unknownEnglish     = "Sorry, we did not understand your message. Send HELP for the list of commands."
	fineractOffEnglish = "Officer commands need the Mifos link, which is not set up on this box yet."
)

func TestDispatchByKeyword(t *testing.T) {
	r := Default(&Env{})
	cases := []struct {
		text, want string
	}{
		{"HELP", helpEnglish},
		{"help", helpEnglish},
		{"  Help  ", helpEnglish},
		{"help me please", helpEnglish},
		{"bal", balanceOffEnglish},
		{"Balance", balanceOffEnglish},
		{"", unknownEnglish},
		{"hello", unknownEnglish},
		{"HELPX", unknownEnglish},
		{"PAY 482613 42 L1=500", fineractOffEnglish},
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
	// Officer commands are there too: without a Fineract link they say so.
	if got != "BAL,BALANCE,COLLECT,HELP,KUMBUSHA,KUSANYA,LIPA,MSAADA,NDIYO,PAY,REMIND,SALIO,YES" {
		t.Errorf("keywords = %s", got)
	}
}
