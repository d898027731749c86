package handler_test

import (
	"testing"
	"time"

	"github.com/mifos-edge/mifos-edge/fineractsim"
	"github.com/mifos-edge/mifos-edge/handler"
	"github.com/mifos-edge/mifos-edge/officer"
	"github.com/mifos-edge/mifos-edge/pdu"
	"github.com/mifos-edge/mifos-edge/store"
)

// The SMS command card, section 3: what every officer command is checked
// for, in this order, before it is read.

const (
	notEnrolled   = "This phone is not enrolled for officer commands. Ask your branch manager."
	undeclared    = "Officer commands are only taken from numbers the network identifies. Ask your branch manager."
	twoLeft       = "Wrong PIN. 2 attempt(s) left before officer commands are locked on this phone."
	oneLeft       = "Wrong PIN. 1 attempt(s) left before officer commands are locked on this phone."
	lockedByReset = "Too many wrong PINs. Officer commands are locked on this phone until your branch manager unlocks it."
	paused        = "Too many wrong PINs on this box today. Officer commands are paused; ask your branch manager."
	mustReset     = "Your PIN must be set again before you can send officer commands. Ask your branch manager."
	fineractOff   = "Officer commands need the Mifos link, which is not set up on this box yet."
)

func lockedUntil(clock string) string {
	return "Too many wrong PINs. Officer commands are locked until " + clock + "."
}

// wrongPINs sends n PAY commands with a wrong PIN and returns the last reply.
func (s *spec) wrongPINs(n int) []string {
	s.t.Helper()
	var r []string
	for range n {
		r = s.send("PAY 111111 42 S=5")
	}
	return r
}

// Rule 3.1: without a Fineract link every officer command is told so.
func TestOfficerCommandWithoutFineractLinkIsTold(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{})
	s.env.API = nil
	s.reg = handler.Default(s.env)
	for _, text := range []string{"PAY " + pin + " 42 S=5", "LIPA " + pin + " 42 S=5", "COLLECT " + pin + " 7 ALL",
		"REMIND " + pin, "YES " + pin} {
		wantReplies(t, text, s.send(text), fineractOff)
	}
	s.wantNothingPosted("commands without a Fineract link")
}

// Rule 3.2: a number the network did not declare (type unknown) may not
// send officer commands, not even with the right PIN; its PIN is not
// checked, so nothing is counted against the officer.
func TestOfficerCommandFromUndeclaredNumberRefused(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{})
	undeclaredPeter := officerPh[1:] // the same digits, type unknown
	for _, text := range []string{"PAY " + pin + " 42 S=5", "PAY 111111 42 S=5", "REMIND " + pin} {
		wantReplies(t, text, s.sendFrom(undeclaredPeter, pdu.SenderUnknown, text), undeclared)
	}
	s.wantNothingPosted("an undeclared number")
	g, err := s.db.PINGuard(store.OfficerSubject(officerPh))
	if err != nil {
		t.Fatal(err)
	}
	if g.Failures != 0 {
		t.Fatalf("an undeclared number's PIN was counted: %+v", g)
	}
	// Neither is a name chosen by the sender that spells the number.
	wantReplies(t, "alphanumeric sender", s.sendFrom(officerPh[1:], pdu.SenderAlphanumeric, "PAY "+pin+" 42 S=5"), undeclared)
}

// Rule 3.2: [officers] accept_undeclared_numbers lets numbers of unknown
// type in, for networks that deliver every number so.
func TestOfficerUndeclaredNumberAcceptedWhenConfigured(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{})
	s.env.AcceptUndeclared = true
	wantReplies(t, "undeclared, accepted", s.sendFrom(officerPh[1:], pdu.SenderUnknown, "PAY "+pin+" 42 S=5"))
	if j := s.journal(); len(j) != 1 || j[0].Officer != officerPh {
		t.Fatalf("journal: %+v", j)
	}
	// Still only numbers: a sender name is never taken for an officer.
	wantReplies(t, "alphanumeric", s.sendFrom(officerPh[1:], pdu.SenderAlphanumeric, "PAY "+pin+" 42 S=6"), undeclared)
}

// Rule 3.3: a phone not enrolled is told so, whatever it sends.
func TestOfficerNotEnrolledIsTold(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{})
	for _, text := range []string{"PAY " + pin + " 42 L1=500", "COLLECT " + pin + " 7 ALL", "REMIND " + pin, "YES " + pin} {
		wantReplies(t, text, s.sendFrom(fineractsim.SeedAminaPhone, pdu.SenderInternational, text), notEnrolled)
	}
	s.wantNothingPosted("a phone not enrolled")
}

// Rule 3.4: a wrong PIN is told with the attempts left.
func TestOfficerWrongPINTellsAttemptsLeft(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{})
	wantReplies(t, "first wrong PIN", s.send("PAY 111111 42 S=5"), twoLeft)
	wantReplies(t, "second wrong PIN", s.send("COLLECT 111111 7 ALL"), oneLeft)
	s.wantNothingPosted("wrong PINs")
}

// Rule 3.4: a word that is no PIN at all in its place is a wrong PIN too
// (the PIN is checked before the command is read).
func TestOfficerWordInPlaceOfPINCountsAsWrongPIN(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{})
	wantReplies(t, "PIN left out", s.send("PAY 42 L1=500"), twoLeft)
	wantReplies(t, "too short", s.send("PAY 12 42 L1=500"), oneLeft)
	s.wantNothingPosted("no PIN")
}

// Rule 3.5: a comma after the right PIN does not make it a wrong PIN
// (COLLECT takes commas between words); PAY, which takes none, says where
// the PIN goes.
func TestOfficerCommaAfterPINIsNoWrongPIN(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{})
	wantReplies(t, "PAY", s.send("PAY "+pin+", 42 S=5"),
		"The word after the command must be your PIN (4 to 8 digits), e.g. PAY <PIN> <client> L1=500.")
	wantReplies(t, "COLLECT", s.send("COLLECT "+pin+", 99, ALL"), "There is no group 99.")
	s.wantNothingPosted("PAY with a comma after the PIN")
	g, err := s.db.PINGuard(store.OfficerSubject(officerPh))
	if err != nil {
		t.Fatal(err)
	}
	if g.Failures != 0 {
		t.Fatalf("a comma after the PIN was counted as a wrong PIN: %+v", g)
	}
}

// Rule 3.4: three wrong PINs in a row lock the phone for 15 minutes; while
// locked even the right PIN is refused; after it the right PIN works.
func TestOfficerThreeWrongPINsLockFifteenMinutes(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{})
	wantReplies(t, "third wrong PIN", s.wrongPINs(3), lockedUntil("09:15"))
	s.now = s.now.Add(14 * time.Minute)
	wantReplies(t, "right PIN while locked", s.send("PAY "+pin+" 42 S=5"), lockedUntil("09:15"))
	s.wantNothingPosted("a locked phone")
	s.now = s.now.Add(time.Minute)
	wantReplies(t, "right PIN after the lock", s.send("PAY "+pin+" 42 S=5"))
	if n := len(s.journal()); n != 1 {
		t.Fatalf("%d journal entries after the lock ended, want 1", n)
	}
}

// Rule 3.4: the branch manager hears of every lock.
func TestOfficerLockIsToldToBranchManager(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{})
	s.wrongPINs(2)
	if len(s.last.Alerts) != 0 {
		t.Fatalf("alerts before the lock: %q", s.last.Alerts)
	}
	s.wrongPINs(1)
	wantReplies(t, "alerts", s.last.Alerts,
		"Mifos Edge: officer Peter Otieno (+254722000012) was locked until 09:15 after 3 wrong PINs (lock 1).")
}

// Rule 3.4: the next lock lasts 1 hour, the next 24 hours, and after that
// the phone stays locked until it is unlocked or the PIN reset.
func TestOfficerLocksEscalateHourThenDayThenUntilUnlocked(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{})
	wantReplies(t, "first lock", s.wrongPINs(3), lockedUntil("09:15"))
	s.now = s.now.Add(15 * time.Minute) // 09:15
	wantReplies(t, "second lock", s.wrongPINs(3), lockedUntil("10:15"))
	s.now = s.now.Add(time.Hour) // 10:15
	wantReplies(t, "third lock", s.wrongPINs(3), lockedUntil("10:15"))
	s.now = s.now.Add(24 * time.Hour) // 10:15 the next day
	wantReplies(t, "fourth lock", s.wrongPINs(3), lockedByReset)
	wantReplies(t, "alerts", s.last.Alerts,
		"Mifos Edge: officer Peter Otieno (+254722000012) is locked after repeated wrong PINs until you unlock it (mifos-edge officer unlock).")
	s.now = s.now.Add(30 * 24 * time.Hour)
	wantReplies(t, "a month later", s.send("PAY "+pin+" 42 S=5"), lockedByReset)
	if err := officer.Unlock(s.db, store.OfficerSubject(officerPh)); err != nil {
		t.Fatal(err)
	}
	wantReplies(t, "unlocked", s.send("PAY "+pin+" 42 S=5"))
	if n := len(s.journal()); n != 1 {
		t.Fatalf("%d journal entries, want 1 after the unlock", n)
	}
}

// Rule 3.4: a right PIN starts the count over (attempts and lock lengths).
func TestOfficerRightPINStartsCountOver(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{})
	s.wrongPINs(2)
	wantReplies(t, "right PIN", s.send("PAY "+pin+" 42 S=5"))
	wantReplies(t, "wrong PIN after a right one", s.wrongPINs(1), twoLeft)
	// A lock after a right PIN is a first lock again: 15 minutes.
	s.wrongPINs(2)
	s.now = s.now.Add(15 * time.Minute)
	wantReplies(t, "right PIN after the lock", s.send("PAY "+pin+" 42 S=6"))
	wantReplies(t, "lock after a right PIN", s.wrongPINs(3), lockedUntil("09:30"))
}

// Rule 3.4: once the box's daily budget of wrong officer PINs is spent, no
// officer PIN is checked until the next day; the manager hears of it.
func TestOfficerDailyBudgetSpentPausesPINChecks(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{})
	s.env.PINs.DailyBudget = 2
	wantReplies(t, "first wrong PIN", s.wrongPINs(1), twoLeft)
	if len(s.last.Alerts) != 0 {
		t.Fatalf("alerts before the budget is spent: %q", s.last.Alerts)
	}
	wantReplies(t, "wrong PIN that spends the budget", s.wrongPINs(1), oneLeft)
	wantReplies(t, "alerts", s.last.Alerts,
		"Mifos Edge: 2 wrong officer PINs today. officer PIN checks are paused until tomorrow or until you lift it (mifos-edge officer unlock --budget).")
	wantReplies(t, "right PIN, budget spent", s.send("PAY "+pin+" 42 S=5"), paused)
	s.wantNothingPosted("a spent budget")
	s.now = s.now.Add(24 * time.Hour)
	wantReplies(t, "next day", s.send("PAY "+pin+" 42 S=5"))
	if n := len(s.journal()); n != 1 {
		t.Fatalf("%d journal entries the next day, want 1", n)
	}
}

// Rule 3.4: a PIN stored under another box key cannot be checked; the
// officer is told it must be set again, and nothing is counted.
func TestOfficerPINSetUnderAnotherBoxKeyMustBeReset(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{})
	other := officer.Pepper{ID: "feedf00d", Key: []byte("another pepper of 32 bytes......")}
	hash, err := officer.HashPIN(pin, other)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.db.SetOfficerPIN(officerPh, hash); err != nil {
		t.Fatal(err)
	}
	for range 4 {
		wantReplies(t, "PIN of another box key", s.send("PAY "+pin+" 42 S=5"), mustReset)
	}
	s.wantNothingPosted("a PIN that cannot be checked")
}

// Section 3 order: the first refusal is the answer. An undeclared number
// is refused before enrolment is looked at, enrolment before the PIN, the
// PIN before the command is read.
func TestOfficerChecksRunInOrder(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{})
	wantReplies(t, "undeclared and not enrolled", s.sendFrom("254711000999", pdu.SenderUnknown, "PAY 111111 nonsense"), undeclared)
	wantReplies(t, "not enrolled, wrong PIN", s.sendFrom("+254711000999", pdu.SenderInternational, "PAY 111111 nonsense"), notEnrolled)
	wantReplies(t, "wrong PIN, unreadable", s.send("PAY 111111 nonsense"), twoLeft)
	s.wrongPINs(2)
	wantReplies(t, "locked, unreadable", s.send("PAY "+pin+" nonsense"), lockedUntil("09:15"))
}

// Rule 3.5: a command that cannot be read gets its usage text; nothing is
// posted.
func TestOfficerUnreadableCommandGetsItsUsage(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{})
	for _, c := range []struct{ text, want string }{
		{"PAY " + pin, "Write: PAY <PIN> <client> L1=500 S=200. L1 is the client's loan 1, S the savings, or use an account number: 000123=500."},
		{"PAY " + pin + " 42", "Write: PAY <PIN> <client> L1=500 S=200. L1 is the client's loan 1, S the savings, or use an account number: 000123=500."},
		{"PAY " + pin + " L1=500 S=5", "Write: PAY <PIN> <client> L1=500 S=200. L1 is the client's loan 1, S the savings, or use an account number: 000123=500."},
		{"COLLECT " + pin + " 7", "Write: COLLECT <PIN> <group> ALL, or COLLECT <PIN> <group> ALL EXCEPT <client> <client>."},
		{"COLLECT " + pin + " 7 SOME", "Write: COLLECT <PIN> <group> ALL, or COLLECT <PIN> <group> ALL EXCEPT <client> <client>."},
		{"COLLECT " + pin + " 7 ALL EXCEPT", "Write: COLLECT <PIN> <group> ALL, or COLLECT <PIN> <group> ALL EXCEPT <client> <client>."},
		{"REMIND " + pin + " 7 8", "Write: REMIND <PIN> for all your groups, or REMIND <PIN> <group> for one group."},
		{"COLLECT " + pin + " seven ALL", `Could not read the group "seven". Write the group number, e.g. 7.`},
		{"REMIND " + pin + " 0", `Could not read the group "0". Write the group number, e.g. 7.`},
	} {
		wantReplies(t, c.text, s.send(c.text), c.want)
	}
	s.wantNothingPosted("unreadable commands")
	if q := s.queued(); len(q) != 0 {
		t.Fatalf("unreadable commands queued %+v", q)
	}
}
