package handler

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/mifos-edge/mifos-edge/mifos"
	"github.com/mifos-edge/mifos-edge/store"
)

func TestSMSField(t *testing.T) {
	long := strings.Repeat("Wanjiku ", 20)
	for _, tc := range []struct{ name, in, want string }{
		{"plain", "Amina Odhiambo", "Amina Odhiambo"},
		{"runs of spaces", "  Amina \t  Odhiambo  ", "Amina Odhiambo"},
		{"CR LF and Ctrl-Z", "{amount}{items} Evil\r\nAT+CMGD=1,4\x1a", "{amount}{items} Evil AT+CMGD=1,4"},
		{"ESC and DEL", "Ami\x1bna\x7f Od", "Ami na Od"},
		{"NUL and C1", "A\x00B\u0085C\u009bD", "A B C D"},
		{"bidi override", "Juma \u202e005\u202c KES", "Juma 005 KES"},
		{"bidi isolates and marks", "\u2066Juma\u2069\u200e\u200f\u061c", "Juma"},
		{"embeddings", "\u202aA\u202bB\u202dC", "ABC"},
		{"zero width", "Am\u200bi\u200cn\u200da\u2060\ufeff", "Amina"},
		{"soft hyphen", "Odhi\u00adambo", "Odhiambo"},
		{"line and paragraph separators", "A\u2028B\u2029C", "A B C"},
		{"no-break and ideographic spaces", "A\u00a0\u00a0B\u3000C", "A B C"},
		{"private use and noncharacters", "A\ue000B\uffffC\ufdd0", "ABC"},
		{"invalid UTF-8", "A\xffB\xc3", "AB"},
		{"real replacement character kept", "A\ufffdB", "A\ufffdB"},
		{"letters of other scripts kept", "Zoë Nyambura 李", "Zoë Nyambura 李"},
		{"only controls", "\r\n\x1a\u202e", ""},
		{"long name capped", long, strings.TrimSpace(long[:maxFieldRunes])},
		{"cap counts characters, not bytes", strings.Repeat("é", 50), strings.Repeat("é", maxFieldRunes)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := smsField(tc.in)
			if got != tc.want {
				t.Errorf("smsField(%q) = %q, want %q", tc.in, got, tc.want)
			}
			if n := utf8.RuneCountInString(got); n > maxFieldRunes {
				t.Errorf("smsField(%q) has %d characters", tc.in, n)
			}
		})
	}
}

// evilName is a client record as a hostile or broken Fineract could hold
// it: template placeholders, a line break and an AT command, and Ctrl-Z,
// which ends a text-mode AT+CMGS.
const evilName = "{amount}{items} Evil\r\nAT+CMGD=1,4\x1a"

const evilShown = "{amount}{items} Evil AT+CMGD=1,4"

func checkClean(t *testing.T, what, text string) {
	t.Helper()
	if strings.ContainsAny(text, "\r\n\x1a\x1b") {
		t.Errorf("%s carries control characters: %q", what, text)
	}
	if !strings.Contains(text, evilShown) {
		t.Errorf("%s lacks the name as plain text %q (placeholders literal): %q", what, evilShown, text)
	}
}

func TestHostileNameInBalance(t *testing.T) {
	api := aminaAPI()
	api.phones["0712345678"][0].DisplayName = evilName
	f := newBalanceFixture(t, api, "en")
	live := f.ask(t, "+254712345678", "BAL")
	checkClean(t, "live balance", live)
	checkTwoSMS(t, live)
	// The snapshot keeps the name as Fineract gave it; its reply is clean too.
	f.online = false
	asOf := f.ask(t, "+254712345678", "BAL")
	if !strings.HasPrefix(asOf, "As of ") {
		t.Fatalf("offline reply %q", asOf)
	}
	checkClean(t, "snapshot balance", asOf)
}

func TestHostileNameInPayConfirmations(t *testing.T) {
	env := &Env{}
	a := entry(1, store.JournalDone, "L1", 500_000_000)
	a.ClientName, a.AccountNo, a.Currency = evilName, "0981\r\nAT", "KES\x1a"
	a.FineractTxnIDs = []int64{15734}
	b := entry(2, store.JournalFailed, "", 200_000_000)
	b.ClientName, b.AccountNo = evilName, "000000077\x1b"
	b.Refusal = "Account \u202e77\u202c is closed\r\n"
	out := env.Confirmations(b, []store.JournalEntry{a, b})
	if len(out) != 2 {
		t.Fatalf("want officer and client SMS: %+v", out)
	}
	for _, o := range out {
		checkClean(t, "confirmation to "+o.To, o.Text)
		if strings.ContainsRune(o.Text, '\u202e') {
			t.Errorf("bidi override in %q", o.Text)
		}
	}
	if !strings.Contains(out[1].Text, "KES 500.00 to 0981 AT") {
		t.Errorf("client SMS: %q", out[1].Text)
	}
}

func TestHostileNamesInCollectConfirmations(t *testing.T) {
	env := &Env{}
	payload, err := json.Marshal(CollectPayload{GroupName: evilName, Currency: mifos.Currency{Code: "KES", DecimalPlaces: 2},
		Clients: []CollectedShare{{ClientID: 42, Name: evilName, Phone: "+254712345678", Amount: 500_000_000}}})
	if err != nil {
		t.Fatal(err)
	}
	j := store.JournalEntry{ID: 1, Batch: 9, Kind: store.JournalCollectionSheet, State: store.JournalDone, Officer: "+254722000012",
		GroupID: 7, Amount: 500_000_000, Date: "2024-09-26", Payload: payload}
	out := env.Confirmations(j, []store.JournalEntry{j})
	if len(out) != 2 {
		t.Fatalf("want officer and client SMS: %+v", out)
	}
	for _, o := range out {
		checkClean(t, "collection confirmation to "+o.To, o.Text)
	}
}

// reminderAPI adds the client read REMIND makes to the balance fake.
type reminderFake struct {
	*fakeAPI
	client mifos.Client
}

func (r *reminderFake) Client(context.Context, int64) (mifos.Client, error) { return r.client, nil }

func TestHostileNameInReminders(t *testing.T) {
	api := aminaAPI()
	env := &Env{Country: "KE"}
	fake := &reminderFake{fakeAPI: api, client: mifos.Client{ID: 42, DisplayName: evilName, MobileNo: "0712345678"}}
	rs, err := env.clientReminders(context.Background(), fake, 42, 0, mifos.Date{}, api.today)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) == 0 {
		t.Fatal("no reminder for the overdue loan")
	}
	for _, r := range rs {
		checkClean(t, "reminder", r.Text)
		if r.Name != evilShown {
			t.Errorf("reminder names %q", r.Name)
		}
	}
}

func TestHostileNameInRefusal(t *testing.T) {
	env := &Env{}
	got := env.Render(refuse("pay.no_loan", "name", evilName+strings.Repeat(" padding", 40), "item", "L3"))
	checkClean(t, "PAY refusal", got)
	if len(got) > 120 {
		t.Errorf("a long name made a %d-character refusal: %q", len(got), got)
	}
}
