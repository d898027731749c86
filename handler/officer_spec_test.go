package handler_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mifos-edge/mifos-edge/fineractsim"
	"github.com/mifos-edge/mifos-edge/handler"
	"github.com/mifos-edge/mifos-edge/mifos"
	"github.com/mifos-edge/mifos-edge/officer"
	"github.com/mifos-edge/mifos-edge/pdu"
	"github.com/mifos-edge/mifos-edge/phone"
	"github.com/mifos-edge/mifos-edge/store"
)

// In-process specs of the officer's money rules against the Fineract
// stand-in over real HTTP and a real store: no modem, no binary. Each
// handled message is applied as the daemon applies it (one transaction).

const (
	pin       = "482613"
	officerPh = fineractsim.SeedPeterPhone
	// A second office with its own officer and client.
	otherOffice  = 2
	otherStaff   = 99
	otherClient  = 100
	otherSavings = 500
)

var pepper = officer.Pepper{ID: "0badc0de", Key: []byte("a pepper of thirty-two bytes....")}

type spec struct {
	t    *testing.T
	fin  *fineractsim.Server
	db   *store.DB
	env  *handler.Env
	reg  *handler.Registry
	now  time.Time
	next uint64
}

func newSpec(t *testing.T, money handler.MoneyRules) *spec {
	t.Helper()
	fin, err := fineractsim.Start(fineractsim.Options{NoRequestLog: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fin.Close() })
	fin.Seed()
	fin.AddOffice(otherOffice, "Kakamega Branch")
	fin.AddStaff(fineractsim.Staff{ID: otherStaff, Firstname: "Other", Lastname: "Officer", OfficeID: otherOffice, IsLoanOfficer: true})
	fin.AddClient(fineractsim.Client{ID: otherClient, Firstname: "Zawadi", Lastname: "Njeri", MobileNo: "+254799000100",
		StaffID: otherStaff, OfficeID: otherOffice, ActivationDate: fin.BusinessDate().AddDate(-1, 0, 0)})
	fin.AddSavings(fineractsim.Savings{ID: otherSavings, ClientID: otherClient, ProductName: "Akiba"})
	api, err := mifos.New(mifos.Config{BaseURL: fin.URL(), Tenant: "default", Username: "mifos", Password: "password"})
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(filepath.Join(t.TempDir(), "state.db"), store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	hash, err := officer.HashPIN(pin, pepper)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.AddOfficer(store.Officer{Phone: officerPh, StaffID: fineractsim.SeedStaffPeter, Name: "Peter Otieno", PINHash: hash}); err != nil {
		t.Fatal(err)
	}
	texts, err := handler.NewTexts("en", nil)
	if err != nil {
		t.Fatal(err)
	}
	s := &spec{t: t, fin: fin, db: db, now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	s.env = &handler.Env{DB: db, API: api, Texts: texts, Country: "KE", PaymentTypeID: 1, Box: "SPEC",
		PINs: officer.Policy{Zone: time.UTC}, Pepper: pepper, Money: money, Now: func() time.Time { return s.now }}
	s.reg = handler.Default(s.env)
	return s
}

// send handles text from the officer's phone and applies the result; it
// returns the reply texts.
func (s *spec) send(text string) []string {
	s.t.Helper()
	s.next++
	sender := phone.Identify(officerPh, pdu.SenderInternational, "KE")
	res := s.reg.Dispatch(context.Background(), handler.Request{MessageID: s.next, From: sender.E164, Sender: sender, Text: text, ReceivedAt: s.now})
	if res.Retry {
		s.t.Fatalf("%q asked to be retried: %s", text, res.Note)
	}
	if res.Apply != nil {
		if err := s.db.Update(res.Apply); err != nil {
			s.t.Fatalf("%q: apply: %v", text, err)
		}
	}
	var out []string
	for _, r := range res.Replies {
		out = append(out, r.Text)
	}
	return out
}

func (s *spec) journal() []store.JournalEntry {
	s.t.Helper()
	all, err := s.db.ListJournal("", 0)
	if err != nil {
		s.t.Fatal(err)
	}
	return all
}

func (s *spec) english(key string, pairs ...string) string {
	return s.env.Texts.Get(key, pairs...)
}

// The same PAY again (an SMS the phone resent, or a replay) is held, not
// journaled; YES <PIN> posts it; a second YES finds nothing.
func TestRepeatedPayIsHeldUntilConfirmed(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{})
	if r := s.send("PAY " + pin + " 42 S=11"); len(r) != 0 || len(s.journal()) != 1 {
		t.Fatalf("first PAY: replies %q, journal %d", r, len(s.journal()))
	}
	s.now = s.now.Add(time.Minute)
	// The same payments written another way are the same command.
	r := s.send("pay " + pin + " 000042 s1=11.00")
	if len(r) != 1 || !strings.Contains(r[0], "You already sent this at 09:00") || !strings.Contains(r[0], "YES <PIN> 2") {
		t.Fatalf("repeat: %q", r)
	}
	if n := len(s.journal()); n != 1 {
		t.Fatalf("%d journal entries after a repeat, want 1", n)
	}
	// A different amount is a different command.
	if r := s.send("PAY " + pin + " 42 S=12"); len(r) != 0 || len(s.journal()) != 2 {
		t.Fatalf("another amount: %q, journal %d", r, len(s.journal()))
	}
	if r := s.send("YES 999999 2"); !strings.Contains(strings.Join(r, " "), "Wrong PIN") {
		t.Fatalf("YES with a wrong PIN: %q", r)
	}
	if r := s.send("YES " + pin + " 2"); len(r) != 0 {
		t.Fatalf("YES: %q", r)
	}
	j := s.journal()
	if len(j) != 3 || j[0].Amount != 11_000_000 || j[0].Batch != 5 {
		t.Fatalf("journal after YES: %+v", j)
	}
	if r := s.send("YES " + pin); len(r) != 1 || r[0] != s.english("yes.nothing") {
		t.Fatalf("second YES: %q", r)
	}
	if n := len(s.journal()); n != 3 {
		t.Fatalf("%d journal entries after a second YES, want 3", n)
	}
	// After the window the same command is posted again without asking.
	s.now = s.now.Add(24 * time.Hour)
	if r := s.send("PAY " + pin + " 42 S=11"); len(r) != 0 || len(s.journal()) != 4 {
		t.Fatalf("after a day: %q, journal %d", r, len(s.journal()))
	}
}

// The security review's experiment: staff 12 posted into a client of staff
// 99 in another office. PAY is limited to the officer's office, or with
// pay_scope = "groups" to the officer's own clients and group members.
func TestPayOnlyIntoTheOfficersScope(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{})
	r := s.send(fmt.Sprintf("PAY %s %d S=13", pin, otherClient))
	want := s.english("pay.out_of_office", "name", "Zawadi Njeri", "ref", fmt.Sprint(otherClient))
	if len(r) != 1 || r[0] != want {
		t.Fatalf("client of another office: %q, want %q", r, want)
	}
	if n := len(s.journal()); n != 0 {
		t.Fatalf("%d journal entries for a client out of scope", n)
	}
	if r := s.send("PAY " + pin + " 42 S=13"); len(r) != 0 || len(s.journal()) != 1 {
		t.Fatalf("own office: %q", r)
	}

	g := newSpec(t, handler.MoneyRules{GroupsOnly: true})
	// Same office, but neither the officer's client nor in the officer's group.
	g.fin.AddClient(fineractsim.Client{ID: 101, Firstname: "Neema", Lastname: "Atieno", StaffID: otherStaff, OfficeID: 1,
		ActivationDate: g.fin.BusinessDate().AddDate(-1, 0, 0)})
	g.fin.AddSavings(fineractsim.Savings{ID: 501, ClientID: 101, ProductName: "Akiba"})
	if r := g.send("PAY " + pin + " 101 S=14"); len(r) != 1 || !strings.Contains(r[0], "not your client nor in one of your groups") {
		t.Fatalf("groups scope, stranger: %q", r)
	}
	if r := g.send("PAY " + pin + " 42 S=14"); len(r) != 0 || len(g.journal()) != 1 {
		t.Fatalf("groups scope, own client: %q", r)
	}
}

// The security review's experiment: S=9,000,000,000 was posted. Ceilings
// refuse one item above max_item_amount and a day above max_daily_amount.
func TestCeilingsRefuseLargeAmounts(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{MaxItem: 50_000, MaxDaily: 60_000})
	r := s.send("PAY " + pin + " 42 S=9,000,000,000")
	if len(r) != 1 || !strings.Contains(r[0], "above the limit of 50,000") || !strings.Contains(r[0], "Nothing was posted") {
		t.Fatalf("huge item: %q", r)
	}
	if r := s.send("PAY " + pin + " 42 S=40,000"); len(r) != 0 {
		t.Fatalf("within the ceilings: %q", r)
	}
	r = s.send("PAY " + pin + " 42 L1=15000 S=6000")
	if len(r) != 1 || !strings.Contains(r[0], "would come to 61,000.00, above the daily limit of 60,000") {
		t.Fatalf("over the day: %q", r)
	}
	if n := len(s.journal()); n != 1 {
		t.Fatalf("%d journal entries, want only the one within the ceilings", n)
	}
	// The next day starts afresh.
	s.fin.SetBusinessDate(s.fin.BusinessDate().AddDate(0, 0, 1))
	if r := s.send("PAY " + pin + " 42 L1=15000 S=6000"); len(r) != 0 {
		t.Fatalf("next day: %q", r)
	}
}

// REMIND twice (or a flood of REMINDs) reminds each client once a day.
func TestReminderAtMostOncePerClientPerDay(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{})
	first := s.send("REMIND " + pin + " 7")
	if len(first) != 1 || !strings.Contains(first[0], "Reminders queued for 2 client(s)") {
		t.Fatalf("first REMIND: %q", first)
	}
	queued := func() int {
		out, err := s.db.ListOutbound(store.OutQueued, 0)
		if err != nil {
			t.Fatal(err)
		}
		return len(out)
	}
	if n := queued(); n != 2 {
		t.Fatalf("%d reminders queued, want 2", n)
	}
	s.now = s.now.Add(time.Hour)
	again := s.send("REMIND " + pin + " 7")
	if len(again) != 1 || again[0] != s.english("remind.all_reminded", "scope", "group 7") {
		t.Fatalf("second REMIND: %q", again)
	}
	if n := queued(); n != 2 {
		t.Fatalf("%d reminders queued after a second REMIND, want still 2", n)
	}
	s.now = s.now.Add(24 * time.Hour)
	if r := s.send("REMIND " + pin + " 7"); !strings.Contains(r[0], "Reminders queued for 2") {
		t.Fatalf("next day: %q", r)
	}
}
