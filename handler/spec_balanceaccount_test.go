package handler_test

import (
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/mifos-edge/mifos-edge/fineractsim"
	"github.com/mifos-edge/mifos-edge/handler"
	"github.com/mifos-edge/mifos-edge/officer"
	"github.com/mifos-edge/mifos-edge/pdu"
	"github.com/mifos-edge/mifos-edge/store"
)

// The SMS command card, section 2, BAL by account number: `BAL <account
// no> <PIN>` from any phone answers the client holding that loan or savings
// account once their client PIN matches; every refusal reads the same.

const (
	acctRefused   = "No balance can be sent for this account number and PIN. Check them, or contact your branch."
	borrowedPhone = "+254733000111" // no client's phone
	aminaPIN      = "735194"
)

// withAccountPIN sets Amina's client PIN; require_client_pin stays off:
// BAL by account number always needs the PIN.
func (s *spec) withAccountPIN() {
	s.t.Helper()
	hash, err := officer.HashPIN(aminaPIN, pepper)
	if err != nil {
		s.t.Fatal(err)
	}
	if err := s.db.PutClientPIN(fineractsim.SeedClientAmina, hash); err != nil {
		s.t.Fatal(err)
	}
}

func (s *spec) guard(subject string) store.PINGuard {
	s.t.Helper()
	g, err := s.db.PINGuard(subject)
	if err != nil {
		s.t.Fatal(err)
	}
	return g
}

// The right PIN with a loan or savings account number, padded or not,
// answers with the client's usual BAL reply, to the asking phone.
func TestBalanceByAccountRightPIN(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{})
	s.withAccountPIN()
	for _, text := range []string{
		"BAL 981 " + aminaPIN,       // loan, bare
		"BAL 000000982 " + aminaPIN, // loan, as Fineract writes it
		"bal 0077 " + aminaPIN,      // savings, some zeros
		"SALIO 77 " + aminaPIN,
	} {
		wantReply(t, text, s.ask(borrowedPhone, text), aminaBalance)
	}
	// The client's own phone may use it too.
	wantReply(t, "own phone", s.ask(fineractsim.SeedAminaPhone, "BAL 981 "+aminaPIN), aminaBalance)
	// A right PIN clears the client's wrong tries.
	s.ask(borrowedPhone, "BAL 981 111111")
	s.ask(borrowedPhone, "BAL 981 "+aminaPIN)
	if g := s.guard(store.ClientSubject(fineractsim.SeedClientAmina)); g.Failures != 0 {
		t.Fatalf("client guard after a right PIN: %+v", g)
	}
}

// A wrong PIN, an account no client holds, a client without a PIN, a
// client whose PIN was set with another box key: one and the same reply.
func TestBalanceByAccountRefusalsReadAlike(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{})
	s.withAccountPIN()
	cases := []struct{ from, text string }{
		{borrowedPhone, "BAL 981 111111"},              // wrong PIN
		{"+254733000112", "BAL 555555 " + aminaPIN},    // no such account
		{"+254733000113", "BAL 983 " + aminaPIN},       // Grace's loan: Grace has no PIN
		{"+254733000114", "BAL 0 " + aminaPIN},         // all zeros names nothing
		{"+254733000115", "BAL 981 " + aminaPIN + "x"}, // not a PIN at all
	}
	for _, c := range cases {
		wantReply(t, c.text, s.ask(c.from, c.text), acctRefused)
	}
	if s.last.Alerts != nil {
		t.Fatalf("alerts without a lock: %q", s.last.Alerts)
	}
	hash, err := officer.HashPIN(aminaPIN, officer.Pepper{ID: "feedf00d", Key: []byte("another pepper of 32 bytes......")})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.db.PutClientPIN(fineractsim.SeedClientAmina, hash); err != nil {
		t.Fatal(err)
	}
	wantReply(t, "PIN of another box key", s.ask("+254733000116", "BAL 981 "+aminaPIN), acctRefused)
}

// Wrong PINs count against the client and the sender: three lock both,
// with the usual escalation, and a locked client's right PIN is refused
// like any other.
func TestBalanceByAccountLockoutEscalates(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{})
	s.withAccountPIN()
	amina := store.ClientSubject(fineractsim.SeedClientAmina)
	wantReply(t, "wrong 1", s.ask(borrowedPhone, "BAL 981 111111"), acctRefused)
	wantReply(t, "wrong 2", s.ask(borrowedPhone, "BAL 981 111112"), acctRefused)
	wantReply(t, "wrong 3", s.ask(borrowedPhone, "BAL 981 111113"), acctRefused)
	wantReplies(t, "alerts", s.last.Alerts,
		"Mifos Edge: phone +254733000111 (BAL by account number) was locked until 09:15 after 3 wrong PINs (lock 1).",
		"Mifos Edge: client 42 was locked until 09:15 after 3 wrong PINs (lock 1).")
	// The sender is told it is locked; another phone learns nothing.
	wantReply(t, "sender locked", s.ask(borrowedPhone, "BAL 981 "+aminaPIN),
		"Too many wrong PINs. Balance by PIN is locked until 09:15.")
	wantReply(t, "client locked, other phone", s.ask("+254733000120", "BAL 981 "+aminaPIN), acctRefused)
	if g := s.guard(amina); g.Failures != 0 || g.Locks != 1 {
		t.Fatalf("a locked client's PIN was checked again: %+v", g)
	}

	// Each lock lasts longer: 15 min, 1 h, 24 h, then until unlocked.
	want := []time.Duration{15 * time.Minute, time.Hour, 24 * time.Hour}
	for lock := 1; lock <= 3; lock++ {
		g := s.guard(amina)
		if got := g.LockedUntil.Sub(s.now); g.Locks != lock || got != want[lock-1] {
			t.Fatalf("lock %d: %+v, lasts %s", lock, g, got)
		}
		s.now = g.LockedUntil.Add(time.Second)
		for i := range 3 {
			from := "+25473300013" + string(rune('0'+lock)) // a fresh phone each round
			wantReply(t, "after the lock", s.ask(from, "BAL 981 11111"+string(rune('0'+i))), acctRefused)
		}
	}
	if g := s.guard(amina); !g.UntilReset || g.Locks != 4 {
		t.Fatalf("fourth lock: %+v", g)
	}
	s.now = s.now.Add(72 * time.Hour)
	wantReply(t, "until unlocked", s.ask("+254733000140", "BAL 981 "+aminaPIN), acctRefused)
	if err := officer.Unlock(s.db, amina); err != nil {
		t.Fatal(err)
	}
	wantReply(t, "unlocked", s.ask("+254733000141", "BAL 981 "+aminaPIN), aminaBalance)
}

// An attacker cycling account numbers from one phone locks that phone:
// its own failures count whatever account each names, known or not, and
// its own right PIN in between does not wipe them.
func TestBalanceByAccountCyclingLocksTheSender(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{})
	s.withAccountPIN()
	wantReply(t, "unknown 1", s.ask(borrowedPhone, "BAL 700001 123456"), acctRefused)
	wantReply(t, "unknown 2", s.ask(borrowedPhone, "BAL 700002 123456"), acctRefused)
	wantReply(t, "own right PIN", s.ask(borrowedPhone, "BAL 981 "+aminaPIN), aminaBalance)
	wantReply(t, "Grace's loan", s.ask(borrowedPhone, "BAL 983 123456"), acctRefused)
	wantReplies(t, "alert", s.last.Alerts,
		"Mifos Edge: phone +254733000111 (BAL by account number) was locked until 09:15 after 3 wrong PINs (lock 1).")
	wantReply(t, "locked", s.ask(borrowedPhone, "BAL 981 "+aminaPIN), "Too many wrong PINs. Balance by PIN is locked until 09:15.")
	if g := s.guard(store.SenderSubject(borrowedPhone)); g.Locks != 1 {
		t.Fatalf("sender guard: %+v", g)
	}
	// The box's daily budget of wrong client PINs covers these tries too.
	s.env.PINs.DailyBudget = 4
	wantReply(t, "fourth wrong try", s.ask("+254733000150", "BAL 700003 123456"), acctRefused)
	wantReplies(t, "budget alert", s.last.Alerts,
		"Mifos Edge: 4 wrong client PINs today. client PIN checks are paused until tomorrow or until you lift it (mifos-edge officer unlock --budget).")
	wantReply(t, "budget spent", s.ask("+254733000151", "BAL 981 "+aminaPIN), "Balance by PIN is paused now. Please contact your branch.")
}

// A sender that is not a phone number is never answered nor counted.
func TestBalanceByAccountAlphanumericSenderIgnored(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{})
	s.withAccountPIN()
	wantReplies(t, "alphanumeric", s.sendFrom("BANKNEWS", pdu.SenderAlphanumeric, "BAL 981 "+aminaPIN))
	if g := s.guard(store.ClientSubject(fineractsim.SeedClientAmina)); g.Failures != 0 {
		t.Fatalf("counted: %+v", g)
	}
}

// Fineract out of reach: the account cannot be resolved, nothing is counted.
func TestBalanceByAccountOfflineTriesLater(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{})
	s.withAccountPIN()
	if err := s.fin.SetDown(true); err != nil {
		t.Fatal(err)
	}
	wantReply(t, "down", s.ask(borrowedPhone, "BAL 981 111111"), tryLater)
	if g := s.guard(store.SenderSubject(borrowedPhone)); g.Failures != 0 {
		t.Fatalf("counted while offline: %+v", g)
	}
}

// The stored text keeps neither the PIN nor, in case they were swapped,
// the word before it.
func TestBalanceByAccountPINIsRedacted(t *testing.T) {
	for text, want := range map[string]string{
		"BAL 981 735194":    "BAL **** ****",
		"salio  77  735194": "salio  ****  ****",
		"BAL 735194":        "BAL ****",
		"PAY 1234 42 L1=5":  "PAY **** 42 L1=5",
	} {
		if got := handler.RedactPIN(text); got != want {
			t.Errorf("RedactPIN(%q) = %q, want %q", text, got, want)
		}
	}
}

// Fineract numbers loans and savings apart: one number may be a loan of
// one client and a savings account of another. Either's PIN answers with
// that client's own figures; a wrong PIN counts against both.
func TestBalanceByAccountNumberOfTwoClients(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{})
	s.withAccountPIN()
	s.addClient(fineractsim.Client{ID: 340, Firstname: "Zawadi", Lastname: "Achieng", MobileNo: "+254711000340"})
	s.fin.AddSavings(fineractsim.Savings{ID: 340, ClientID: 340, AccountNo: "000000981", ProductName: "Akiba",
		Balance: fineractsim.MustAmount("12.5"), ActivatedOn: specDay.AddDate(0, -1, 0)})
	hash, err := officer.HashPIN("246813", pepper)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.db.PutClientPIN(340, hash); err != nil {
		t.Fatal(err)
	}
	wantReply(t, "Amina's PIN", s.ask(borrowedPhone, "BAL 981 "+aminaPIN), aminaBalance)
	wantReply(t, "Zawadi's PIN", s.ask(borrowedPhone, "BAL 981 246813"), "Zawadi Achieng: S1 Akiba: KES 12.50.")
	wantReply(t, "wrong PIN", s.ask("+254733000160", "BAL 981 111111"), acctRefused)
	for _, subject := range []string{store.ClientSubject(fineractsim.SeedClientAmina), store.ClientSubject(340)} {
		if g := s.guard(subject); g.Failures != 1 {
			t.Fatalf("%s: %+v, want one failure", subject, g)
		}
	}
}

func FuzzRedactPIN(f *testing.F) {
	for _, seed := range []string{"BAL 981 735194", "bal,981=735194", "PAY 1234 42 L1=5", "SALIO  77\t735194 x", "BAL", "BAL 1", "héllo BAL 1 2"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, text string) {
		got := handler.RedactPIN(text)
		words := strings.FieldsFunc(text, func(r rune) bool { return unicode.IsSpace(r) || r == ',' || r == '=' })
		if len(words) < 2 || !slices.Contains([]string{"BAL", "BALANCE", "SALIO"}, strings.ToUpper(words[0])) {
			return
		}
		out := strings.FieldsFunc(got, func(r rune) bool { return unicode.IsSpace(r) || r == ',' || r == '=' })
		for i := 1; i < len(words) && i < 3; i++ {
			if out[i] != "****" {
				t.Fatalf("RedactPIN(%q) = %q: word %d kept", text, got, i+1)
			}
		}
	})
}
