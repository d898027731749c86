package handler_test

import (
	"strings"
	"testing"
	"time"

	"github.com/mifos-edge/mifos-edge/fineractsim"
	"github.com/mifos-edge/mifos-edge/handler"
	"github.com/mifos-edge/mifos-edge/officer"
	"github.com/mifos-edge/mifos-edge/pdu"
	"github.com/mifos-edge/mifos-edge/store"
)

// The SMS command card, section 2, BAL: `BAL`, or `BAL <PIN>` where the
// MFI sets [sms] require_client_pin.
//
// On the seed's business date (2026-03-02) Amina has loan 981 (disbursed
// 2025-11-22; 13,975.34 outstanding, the instalment of 2026-02-20 owes
// 2,725.08 and is overdue), loan 982 (disbursed 2026-02-10; twelve of
// 1,437.50, the first due Thu 12 Mar) and savings 77 (3,150.00).

const (
	aminaBalance = "Amina Odhiambo: L1 Biashara 6M: balance KES 13,975.34, next KES 2,725.08 due Fri 20 Feb, OVERDUE KES 2,725.08; " +
		"L2 Kilimo 12M: balance KES 17,250.00, next KES 1,437.50 due Thu 12 Mar; S1 Voluntary Savings: KES 3,150.00."
	graceBalance = "Grace Wanjiru: L1 Biashara 6M: balance KES 9,374.59, next KES 1,874.91 due Sat 28 Mar; S1 Voluntary Savings: KES 1,200.50."

	notRegistered = "This phone is not registered. Please contact your branch."
	tryLater      = "We cannot reach the office system now. Please try again later."
	clientWrong   = "Wrong PIN. Send BAL followed by your PIN, for example BAL 482613."
	clientUnset   = "PIN balance enquiries are not set up. Please contact your branch."
)

// ask sends text from number (international type) and returns the one reply.
func (s *spec) ask(number, text string) string {
	s.t.Helper()
	r := s.sendFrom(number, pdu.SenderInternational, text)
	if len(r) != 1 {
		s.t.Fatalf("%q from %s: replies %q, want one", text, number, r)
	}
	return r[0]
}

func wantReply(t *testing.T, what, got, want string) {
	t.Helper()
	if got != want {
		t.Fatalf("%s:\n got %q\nwant %q", what, got, want)
	}
}

// The reply lists every active loan (L1, L2... oldest disbursement first,
// with total outstanding, the next instalment still owed and what is
// overdue) and savings account (S1...), live from Fineract.
func TestBalanceListsActiveLoansOldestFirstThenSavings(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{})
	wantReply(t, "Amina", s.ask(fineractsim.SeedAminaPhone, "BAL"), aminaBalance)
	// Grace's pending loan 984 is not listed.
	wantReply(t, "Grace", s.ask("+254722111222", "BAL"), graceBalance)
	// Figures are live: a repayment shows at once.
	s.send("PAY " + pin + " 42 L1=2725.08")
	s.post()
	s.now = s.now.Add(time.Minute)
	wantReply(t, "after a repayment", s.ask(fineractsim.SeedAminaPhone, "BAL"),
		"Amina Odhiambo: L1 Biashara 6M: balance KES 11,250.26, next KES 3,750.08 due Mon 23 Mar; "+
			"L2 Kilimo 12M: balance KES 17,250.00, next KES 1,437.50 due Thu 12 Mar; S1 Voluntary Savings: KES 3,150.00.")
}

// The sender's number matches the client's mobile number in any form it
// was typed in Mifos: +254..., 254... or 07....
func TestBalanceFindsTheNumberInAnyStoredForm(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{})
	s.addClient(fineractsim.Client{ID: 330, Firstname: "Tatu", Lastname: "Mwende", MobileNo: "254711000330"})
	s.fin.AddSavings(fineractsim.Savings{ID: 330, ClientID: 330, ProductName: "Akiba", Balance: fineractsim.MustAmount("75.5"), ActivatedOn: specDay.AddDate(0, -1, 0)})
	wantReply(t, "stored as +254...", s.ask(fineractsim.SeedAminaPhone, "BAL"), aminaBalance)
	wantReply(t, "stored as 07...", s.ask("+254722111222", "BAL"), graceBalance)
	wantReply(t, "stored as 254...", s.ask("+254711000330", "BAL"), "Tatu Mwende: S1 Akiba: KES 75.50.")
}

// A phone no active client has is not registered.
func TestBalanceForUnregisteredPhone(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{})
	wantReply(t, "stranger", s.ask("+254700000002", "BAL"), notRegistered)
	// The officer's phone is no client's either.
	wantReply(t, "officer", s.ask(officerPh, "BAL"), notRegistered)
}

// Only an active client counts.
func TestBalanceInactiveClientIsNotRegistered(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{})
	s.addClient(fineractsim.Client{ID: 331, Firstname: "Pending", Lastname: "Client", MobileNo: "+254711000331", StatusID: 100})
	s.fin.AddSavings(fineractsim.Savings{ID: 331, ClientID: 331, ProductName: "Akiba"})
	wantReply(t, "pending client", s.ask("+254711000331", "BAL"), notRegistered)
}

// A phone of several active clients gets no figures.
func TestBalancePhoneOfSeveralClientsIsAmbiguous(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{})
	s.addClient(fineractsim.Client{ID: 332, Firstname: "Amina", Lastname: "Namesake", MobileNo: "0712345678"})
	wantReply(t, "two clients", s.ask(fineractsim.SeedAminaPhone, "BAL"),
		"This phone is registered to more than one client. Please contact your branch.")
}

// A client without an active account is told so.
func TestBalanceWithoutActiveAccounts(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{})
	s.addClient(fineractsim.Client{ID: 333, Firstname: "Neema", Lastname: "Kioko", MobileNo: "+254711000333"})
	s.fin.AddSavings(fineractsim.Savings{ID: 333, ClientID: 333, ProductName: "Closed", StatusID: 600})
	wantReply(t, "no accounts", s.ask("+254711000333", "BAL"), "You have no active loans or savings.")
}

// A "not registered" answer is remembered for 10 minutes: a client
// registered at the branch can use BAL within minutes.
func TestBalanceRemembersNotRegisteredForTenMinutes(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{})
	const number = "+254711000334"
	wantReply(t, "before registration", s.ask(number, "BAL"), notRegistered)
	s.addClient(fineractsim.Client{ID: 334, Firstname: "Amani", Lastname: "Kiprop", MobileNo: number})
	s.fin.AddSavings(fineractsim.Savings{ID: 334, ClientID: 334, ProductName: "Akiba", Balance: fineractsim.MustAmount("10"), ActivatedOn: specDay})
	s.now = s.now.Add(9 * time.Minute)
	wantReply(t, "9 minutes later", s.ask(number, "BAL"), notRegistered)
	s.now = s.now.Add(time.Minute)
	wantReply(t, "10 minutes later", s.ask(number, "BAL"), "Amani Kiprop: S1 Akiba: KES 10.00.")
}

// A phone's client is remembered for 24 hours.
func TestBalanceRemembersThePhonesClientFor24Hours(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{})
	wantReply(t, "first BAL", s.ask(fineractsim.SeedAminaPhone, "BAL"), aminaBalance)
	// Amina's number is taken off her in Mifos.
	s.fin.AddClient(fineractsim.Client{ID: 42, Firstname: "Amina", Lastname: "Odhiambo", MobileNo: "+254711000042",
		StaffID: fineractsim.SeedStaffPeter, ActivationDate: specDay.AddDate(-1, 0, 0)})
	s.now = s.now.Add(23 * time.Hour)
	wantReply(t, "within a day", s.ask(fineractsim.SeedAminaPhone, "BAL"), aminaBalance)
	s.now = s.now.Add(time.Hour)
	wantReply(t, "after a day", s.ask(fineractsim.SeedAminaPhone, "BAL"), notRegistered)
}

// When Fineract cannot be reached, the reply is the client's last stored
// snapshot, marked with its time.
func TestBalanceFromSnapshotWhenFineractIsUnreachable(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{})
	wantReply(t, "live", s.ask(fineractsim.SeedAminaPhone, "BAL"), aminaBalance)
	s.now = s.now.Add(2 * time.Hour)
	s.offline = true
	wantReply(t, "known offline", s.ask(fineractsim.SeedAminaPhone, "bal"), "As of Mon 2 Mar 09:00. "+aminaBalance)
	s.offline = false
	if err := s.fin.SetDown(true); err != nil {
		t.Fatal(err)
	}
	s.now = s.now.Add(23 * time.Hour) // the phone's mapping is old but usable offline
	wantReply(t, "Fineract stops answering", s.ask(fineractsim.SeedAminaPhone, "BAL"), "As of Mon 2 Mar 09:00. "+aminaBalance)
}

// A client never seen before gets "try again later" while Fineract cannot
// be reached.
func TestBalanceTryLaterWhenUnreachableWithoutSnapshot(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{})
	s.offline = true
	wantReply(t, "known offline", s.ask(fineractsim.SeedAminaPhone, "BAL"), tryLater)
	s.offline = false
	if err := s.fin.SetDown(true); err != nil {
		t.Fatal(err)
	}
	wantReply(t, "Fineract stops answering", s.ask(fineractsim.SeedAminaPhone, "BAL"), tryLater)
}

// Without a Fineract link BAL says the service is not there yet.
func TestBalanceUnavailableWithoutFineractLink(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{})
	s.env.API = nil
	s.reg = handler.Default(s.env)
	wantReply(t, "no link", s.ask(fineractsim.SeedAminaPhone, "BAL"),
		"Balance enquiries are not available at this branch yet. Please ask your loan officer.")
}

// BALANCE and SALIO answer the same, in any case and with spaces around.
func TestBalanceKeywordsBALANCEAndSALIO(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{})
	for _, text := range []string{"Balance", "  salio ", "bAl"} {
		wantReply(t, text, s.ask(fineractsim.SeedAminaPhone, text), aminaBalance)
	}
}

// The reply is at most two SMS: product names go first, then the name and
// repeated currency codes, then whole accounts with "N more accounts".
func TestBalanceReplyFitsTwoSMS(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{})
	s.addClient(fineractsim.Client{ID: 335, Firstname: "Many", Lastname: "Loans", MobileNo: "+254711000335"})
	for i := range 12 {
		s.addLoan(int64(1000+i), 335, 0, specDay.AddDate(0, 0, -30+i), specDay.AddDate(0, 1, 0), "12345.67")
	}
	got := s.ask("+254711000335", "BAL")
	want := "L1: balance 12,345.67, next 12,345.67 due Thu 2 Apr; L2: balance 12,345.67, next 12,345.67 due Thu 2 Apr; " +
		"L3: balance 12,345.67, next 12,345.67 due Thu 2 Apr; L4: balance 12,345.67, next 12,345.67 due Thu 2 Apr. " +
		"Amounts in KES. 8 more accounts: ask your branch."
	wantReply(t, "twelve loans", got, want)
	if chunks, ucs2 := pdu.Split(got); len(chunks) > 2 || ucs2 {
		t.Fatalf("%d parts (ucs2 %v)", len(chunks), ucs2)
	}
	if !strings.HasPrefix(s.ask("+254712345678", "BAL"), "Amina Odhiambo: L1 Biashara 6M:") {
		t.Fatal("a short reply lost its names")
	}
}

// withClientPIN sets require_client_pin and Amina's PIN.
func (s *spec) withClientPIN(clientPIN string) {
	s.t.Helper()
	s.env.RequireClientPIN = true
	hash, err := officer.HashPIN(clientPIN, pepper)
	if err != nil {
		s.t.Fatal(err)
	}
	if err := s.db.PutClientPIN(fineractsim.SeedClientAmina, hash); err != nil {
		s.t.Fatal(err)
	}
}

// With require_client_pin: BAL <PIN> answers; BAL without one is told to
// add it (not counted as a wrong PIN); a wrong PIN is told.
func TestBalanceWithClientPINNeedsTheRightPIN(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{})
	s.withClientPIN("735194")
	for range 4 {
		wantReply(t, "BAL without PIN", s.ask(fineractsim.SeedAminaPhone, "BAL"), clientWrong)
	}
	g, err := s.db.PINGuard(store.ClientSubject(fineractsim.SeedClientAmina))
	if err != nil {
		t.Fatal(err)
	}
	if g.Failures != 0 || g.Locks != 0 {
		t.Fatalf("BAL without a PIN was counted: %+v", g)
	}
	wantReply(t, "wrong PIN", s.ask(fineractsim.SeedAminaPhone, "BAL 111111"), clientWrong)
	wantReply(t, "right PIN", s.ask(fineractsim.SeedAminaPhone, "BAL 735194"), aminaBalance)
}

// With require_client_pin: a client without a PIN (or with one set under
// another box key) is told the service is not set up.
func TestBalanceWithClientPINUnsetIsTold(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{})
	s.withClientPIN("735194")
	wantReply(t, "Grace, no PIN", s.ask("+254722111222", "BAL 735194"), clientUnset)
	wantReply(t, "Grace, BAL alone", s.ask("+254722111222", "BAL"), clientUnset)
	hash, err := officer.HashPIN("735194", officer.Pepper{ID: "feedf00d", Key: []byte("another pepper of 32 bytes......")})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.db.PutClientPIN(fineractsim.SeedClientAmina, hash); err != nil {
		t.Fatal(err)
	}
	wantReply(t, "PIN of another box key", s.ask(fineractsim.SeedAminaPhone, "BAL 735194"), clientUnset)
}

// With require_client_pin: wrong PINs lock BAL like officers' PINs.
func TestBalanceWithClientPINLocksAfterWrongPINs(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{})
	s.withClientPIN("735194")
	s.ask(fineractsim.SeedAminaPhone, "BAL 111111")
	s.ask(fineractsim.SeedAminaPhone, "BAL 111112")
	locked := "Too many wrong PINs. Balance by PIN is locked until 09:15."
	wantReply(t, "third wrong PIN", s.ask(fineractsim.SeedAminaPhone, "BAL 111113"), locked)
	wantReplies(t, "alerts", s.last.Alerts, "Mifos Edge: client 42 was locked until 09:15 after 3 wrong PINs (lock 1).")
	wantReply(t, "right PIN while locked", s.ask(fineractsim.SeedAminaPhone, "BAL 735194"), locked)
	s.now = s.now.Add(15 * time.Minute)
	wantReply(t, "after the lock", s.ask(fineractsim.SeedAminaPhone, "BAL 735194"), aminaBalance)
}

// With require_client_pin: the box's daily budget of wrong client PINs is
// its own; spent, BAL by PIN pauses while officers go on.
func TestBalanceWithClientPINBudgetSpentPauses(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{})
	s.withClientPIN("735194")
	s.env.PINs.DailyBudget = 2
	s.ask(fineractsim.SeedAminaPhone, "BAL 111111")
	s.ask(fineractsim.SeedAminaPhone, "BAL 111112")
	wantReplies(t, "alerts", s.last.Alerts,
		"Mifos Edge: 2 wrong client PINs today. client PIN checks are paused until tomorrow or until you lift it (mifos-edge officer unlock --budget).")
	wantReply(t, "right PIN, budget spent", s.ask(fineractsim.SeedAminaPhone, "BAL 735194"),
		"Balance by PIN is paused now. Please contact your branch.")
	wantReplies(t, "officer", s.send("PAY "+pin+" 42 S=5"))
	s.now = s.now.Add(24 * time.Hour)
	wantReply(t, "next day", s.ask(fineractsim.SeedAminaPhone, "BAL 735194"), aminaBalance)
}

// BAL shows plain savings only, not fixed or recurring deposit accounts.
func TestBalanceShowsOnlyPlainSavings(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{})
	s.fin.AddSavings(fineractsim.Savings{ID: 70, ClientID: 42, ProductName: "Fixed 12M", DepositType: 200, Balance: fineractsim.MustAmount("50000")})
	s.fin.AddSavings(fineractsim.Savings{ID: 79, ClientID: 42, ProductName: "Recurring", DepositType: 300, Balance: fineractsim.MustAmount("800")})
	wantReply(t, "Amina", s.ask(fineractsim.SeedAminaPhone, "BAL"), aminaBalance)
}
