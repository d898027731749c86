package handler_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mifos-edge/mifos-edge/fineractsim"
	"github.com/mifos-edge/mifos-edge/handler"
	"github.com/mifos-edge/mifos-edge/pdu"
	"github.com/mifos-edge/mifos-edge/store"
)

// The SMS command card, section 4, PAY:
//
//	PAY <PIN> <client> <item>=<amount> [<item>=<amount> ...]

const (
	loanRepayment  = store.JournalLoanRepayment
	savingsDeposit = store.JournalSavingsDeposit
	unresolved     = store.JournalUnresolved
)

// aminaLoan and aminaSavings are journal entries of message id's item into
// Amina's first loan (981) and her savings (77), as written with ref.
func aminaLoan(id uint64, item int, amount int64, ref string) entry {
	return entry{id, loanRepayment, 981, "000000981", amount, "KES", "2026-03-02",
		fmt.Sprintf("me-SPEC-m%d-%d", id, item), fmt.Sprintf("MESPEC%dI%d", id, item), "L1", 42, ref}
}

func aminaSavings(id uint64, item int, amount int64, ref string) entry {
	return entry{id, savingsDeposit, 77, "000000077", amount, "KES", "2026-03-02",
		fmt.Sprintf("me-SPEC-m%d-%d", id, item), fmt.Sprintf("MESPEC%dI%d", id, item), "S1", 42, ref}
}

// Each item is journaled, loan items as repayments and savings items as
// deposits, on the business date, for the client and the officer.
func TestPayJournalsLoanItemsAsRepaymentsAndSavingsAsDeposits(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{})
	wantReplies(t, "PAY", s.send("PAY "+pin+" 42 L1=500 S=200"))
	s.wantJournal(
		entry{1, loanRepayment, 981, "000000981", 500_000_000, "KES", "2026-03-02", "me-SPEC-m1-1", "MESPEC1I1", "L1", 42, "42"},
		entry{1, savingsDeposit, 77, "000000077", 200_000_000, "KES", "2026-03-02", "me-SPEC-m1-2", "MESPEC1I2", "S1", 42, "42"},
	)
	for _, j := range s.journal() {
		if j.Officer != officerPh || j.ClientPhone != fineractsim.SeedAminaPhone || j.ClientName != "Amina Odhiambo" ||
			j.State != store.JournalPending || j.Decimals != 2 {
			t.Fatalf("entry %+v", j)
		}
	}
}

// <client> is the client's account number, leading zeros optional.
func TestPayAccountNumberWithoutLeadingZeros(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{})
	s.send("PAY " + pin + " 42 S=1")
	s.send("PAY " + pin + " 000042 S=2")
	s.send("PAY " + pin + " 000000042 S=3")
	s.wantJournal(aminaSavings(1, 1, units(1), "42"), aminaSavings(2, 1, units(2), "000042"), aminaSavings(3, 1, units(3), "000000042"))
}

// <client> may be the client's external id.
func TestPayClientByExternalID(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{})
	s.addClient(fineractsim.Client{ID: 300, ExternalID: "KSM-0093", Firstname: "Halima", Lastname: "Chebet"})
	s.fin.AddSavings(fineractsim.Savings{ID: 310, ClientID: 300, ProductName: "Akiba"})
	wantReplies(t, "by external id", s.send("PAY "+pin+" KSM-0093 S=50"))
	s.wantJournal(entry{1, savingsDeposit, 310, "000000310", units(50), "KES", "2026-03-02", "me-SPEC-m1-1", "MESPEC1I1", "S1", 300, "KSM-0093"})
}

// <client> is not the client id, and not a name.
func TestPayClientIDOrNameIsNotAClientReference(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{})
	s.addClient(fineractsim.Client{ID: 301, AccountNo: "000007777", Firstname: "Juma", Lastname: "Mwangi"})
	s.fin.AddSavings(fineractsim.Savings{ID: 311, ClientID: 301, ProductName: "Akiba"})
	wantReplies(t, "client id", s.send("PAY "+pin+" 301 S=5"), "No active client 301 was found. Check the client's account number.")
	wantReplies(t, "name", s.send("PAY "+pin+" Amina S=5"), "No active client Amina was found. Check the client's account number.")
	s.wantNothingPosted("a client id or a name")
	wantReplies(t, "account number", s.send("PAY "+pin+" 7777 S=5"))
	if j := s.journal(); len(j) != 1 || j[0].ClientID != 301 {
		t.Fatalf("journal %+v", j)
	}
}

// Rule 4.5: the client must exist and be active.
func TestPayUnknownOrInactiveClientRefused(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{})
	s.addClient(fineractsim.Client{ID: 302, Firstname: "Pending", Lastname: "Client", StatusID: 100})
	wantReplies(t, "unknown", s.send("PAY "+pin+" 99999 L1=5"), "No active client 99999 was found. Check the client's account number.")
	wantReplies(t, "pending", s.send("PAY "+pin+" 302 S=5"), "No active client 302 was found. Check the client's account number.")
	s.wantNothingPosted("unknown clients")
}

// <item> L1...L99 is the client's loan by the BAL order: active loans,
// oldest disbursement first (not by id).
func TestPayLoanItemL1IsOldestDisbursedLoan(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{})
	s.addClient(fineractsim.Client{ID: 303, Firstname: "Baraka", Lastname: "Omondi"})
	s.addLoan(990, 303, 0, specDay.AddDate(0, 0, -10), specDay.AddDate(0, 1, 0), "1000")                            // newer, lower id
	s.addLoan(991, 303, 0, specDay.AddDate(-1, 0, 0), specDay.AddDate(0, 1, 0), "2000")                             // older
	s.fin.AddLoan(fineractsim.Loan{ID: 989, ClientID: 303, StatusID: 100, Principal: fineractsim.MustAmount("500"), // not active
		SubmittedOn: specDay.AddDate(-2, 0, 0), Installments: []fineractsim.Installment{{DueDate: specDay.AddDate(0, 1, 0), Principal: fineractsim.MustAmount("500")}}})
	wantReplies(t, "PAY", s.send("PAY "+pin+" 303 L2=20 L1=10"))
	s.wantJournal(
		entry{1, loanRepayment, 990, "000000990", units(20), "KES", "2026-03-02", "me-SPEC-m1-1", "MESPEC1I1", "L2", 303, "303"},
		entry{1, loanRepayment, 991, "000000991", units(10), "KES", "2026-03-02", "me-SPEC-m1-2", "MESPEC1I2", "L1", 303, "303"},
	)
	// Amina's loans: 981 disbursed before 982.
	wantReplies(t, "Amina", s.send("PAY "+pin+" 42 L2=7"))
	if j := s.journal(); j[2].AccountID != 982 {
		t.Fatalf("Amina's L2 went to %d, want 982", j[2].AccountID)
	}
}

// <item> S or S1...S99 is the client's savings account, oldest first; S
// and S1 are the same account.
func TestPaySavingsItemSIsTheFirstSavingsAccount(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{})
	s.fin.AddSavings(fineractsim.Savings{ID: 76, ClientID: 42, ProductName: "Closed", StatusID: 600})
	s.fin.AddSavings(fineractsim.Savings{ID: 79, ClientID: 42, ProductName: "Holiday"})
	s.send("PAY " + pin + " 42 S=1")
	s.send("PAY " + pin + " 42 S1=2")
	s.send("PAY " + pin + " 42 S2=3")
	s.wantJournal(aminaSavings(1, 1, units(1), "42"), aminaSavings(2, 1, units(2), "42"),
		entry{3, savingsDeposit, 79, "000000079", units(3), "KES", "2026-03-02", "me-SPEC-m3-1", "MESPEC3I1", "S2", 42, "42"})
}

// <item> may be an account number (leading zeros optional) of the
// client's loan or savings account.
func TestPayItemByAccountNumber(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{})
	wantReplies(t, "PAY", s.send("PAY "+pin+" 42 981=100 000000077=50"))
	s.wantJournal(
		entry{1, loanRepayment, 981, "000000981", units(100), "KES", "2026-03-02", "me-SPEC-m1-1", "MESPEC1I1", "981", 42, "42"},
		entry{1, savingsDeposit, 77, "000000077", units(50), "KES", "2026-03-02", "me-SPEC-m1-2", "MESPEC1I2", "000000077", 42, "42"},
	)
}

// Rule 4.6: an account number that is not the client's is refused.
func TestPayAccountOfAnotherClientRefused(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{})
	wantReplies(t, "Grace's loan", s.send("PAY "+pin+" 42 000000983=100"),
		"Account 000000983 is not an active loan or savings account of Amina Odhiambo.")
	s.wantNothingPosted("another client's account")
}

// Rule 4.6: a loan that is not active cannot take a repayment.
func TestPayLoanNotActiveRefused(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{})
	wantReplies(t, "pending loan", s.send("PAY "+pin+" 43 984=100"),
		"Loan 984 of Grace Wanjiru is not active, so it cannot take a repayment.")
	s.wantNothingPosted("a pending loan")
}

// Rule 4.6: a loan or savings item the client does not have is refused.
func TestPayNoSuchLoanOrSavingsRefused(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{})
	wantReplies(t, "L2 of John", s.send("PAY "+pin+" 44 L2=10"), "John Kamau has no active loan L2.")
	wantReplies(t, "S of John", s.send("PAY "+pin+" 44 S=10"), "John Kamau has no active savings account S1.")
	wantReplies(t, "S2 of Amina", s.send("PAY "+pin+" 42 S2=10"), "Amina Odhiambo has no active savings account S2.")
	s.wantNothingPosted("missing accounts")
}

// Rule 4.6: one refused item refuses the whole message; nothing is posted.
func TestPayOneRefusedItemRefusesWholeMessage(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{})
	wantReplies(t, "PAY", s.send("PAY "+pin+" 42 L1=500 S=200 L3=20"), "Amina Odhiambo has no active loan L3.")
	s.wantNothingPosted("a message with a refused item")
}

// "L" alone is refused: ambiguous once a client has two loans.
func TestPayLAloneIsRefused(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{})
	wantReplies(t, "L=500", s.send("PAY "+pin+" 42 L=500"),
		`Could not read "L=500". Write each payment as L1=500 (loan 1), S=200 (savings) or 000123=500 (account number).`)
	s.wantNothingPosted("L alone")
}

// Each loan or account at most once per message, however it is written.
func TestPayEachLoanOrAccountOncePerMessage(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{})
	wantReplies(t, "S and S1", s.send("PAY "+pin+" 42 S=5 S1=6"), `"S1" is written twice. Write each loan or account once per message.`)
	wantReplies(t, "981 twice", s.send("PAY "+pin+" 42 981=5 000000981=6"), `"000000981" is written twice. Write each loan or account once per message.`)
	s.wantNothingPosted("an item written twice")
}

// At most 10 items in one PAY.
func TestPayAtMostTenItems(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{})
	items := make([]string, 11)
	for i := range items {
		items[i] = fmt.Sprintf("L%d=1", i+1)
	}
	wantReplies(t, "11 items", s.send("PAY "+pin+" 42 "+strings.Join(items, " ")),
		"At most 10 payments fit in one message. Send the rest in another PAY message.")
	s.wantNothingPosted("11 items")
}

// Spaces around "=" are fine.
func TestPaySpacesAroundEqualsAreFine(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{})
	wantReplies(t, "PAY", s.send("PAY "+pin+" 42 L1 = 500 S =200"))
	s.wantJournal(aminaLoan(1, 1, units(500), "42"), aminaSavings(1, 2, units(200), "42"))
}

// <amount>: digits with an optional "." and decimals, thousands grouped
// with "," if at all.
func TestPayAmountWrittenPlainOrGrouped(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{})
	for _, a := range []string{"1500", "2,500", "3500.50", "1,234,567.8"} {
		wantReplies(t, a, s.send("PAY "+pin+" 42 S="+a))
	}
	s.wantJournal(aminaSavings(1, 1, units(1500), "42"), aminaSavings(2, 1, units(2500), "42"),
		aminaSavings(3, 1, units(3500.50), "42"), aminaSavings(4, 1, units(1234567.80), "42"))
}

// <amount> must be more than 0 and well written: not "1,50", ".5" or "5.",
// not more than 6 decimals.
func TestPayAmountNotWellWrittenRefused(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{})
	for _, a := range []string{"1,50", ".5", "5.", "0", "0.00", "-5", "5x", "1,5000", "1.0000001", "12,34.5"} {
		wantReplies(t, a, s.send("PAY "+pin+" 42 S="+a),
			fmt.Sprintf(`Could not read the amount "%s". Write amounts above 0 like 500 or 1,500.50.`, a))
	}
	s.wantNothingPosted("badly written amounts")
}

// <amount> may not have more decimals than the account's currency (KES: 2);
// trailing zeros are no extra decimals.
func TestPayRefusesAmountFinerThanCurrency(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{})
	wantReplies(t, "500.005", s.send("PAY "+pin+" 42 L1=500.005"),
		"L1 500.005: this currency has 2 decimal places. Send the amount again without the extra digits.")
	wantReplies(t, "6 decimals", s.send("PAY "+pin+" 42 S=0.000001"),
		"S1 0.000001: this currency has 2 decimal places. Send the amount again without the extra digits.")
	s.wantNothingPosted("amounts finer than the currency")
	wantReplies(t, "500.100000", s.send("PAY "+pin+" 42 L1=500.100000"))
	s.wantJournal(aminaLoan(3, 1, units(500.10), "42"))
}

// addUGXClient adds an active client of the seed's officer with one loan
// and one savings account in UGX, a currency without decimals that Fineract
// posts in multiples of 100. It returns the client's account number.
func (s *spec) addUGXClient() string {
	s.t.Helper()
	ugx := fineractsim.UGX
	ugx.InMultiplesOf = 100
	client := s.addClient(fineractsim.Client{ID: 320, Firstname: "Okello", Lastname: "Ayo"})
	s.fin.AddLoan(fineractsim.Loan{ID: 321, ClientID: client, ProductName: "Biashara UGX", Currency: ugx,
		Principal: fineractsim.MustAmount("500000"), DisbursedOn: specDay.AddDate(0, -1, 0),
		Installments: []fineractsim.Installment{{DueDate: specDay.AddDate(0, 1, 0), Principal: fineractsim.MustAmount("500000")}}})
	s.fin.AddSavings(fineractsim.Savings{ID: 322, ClientID: client, ProductName: "Akiba UGX", Currency: ugx, ActivatedOn: specDay.AddDate(0, -1, 0)})
	return "320"
}

// <amount> in a currency without decimals that Fineract posts in multiples
// (UGX in multiples of 100) must be such a multiple: Fineract would post
// 1,050 as 1,100. The officer is told the two nearest amounts it takes, and
// nothing is journaled.
func TestPayRefusesAmountNotAMultipleOfTheCurrency(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{})
	ref := s.addUGXClient()
	wantReplies(t, "1,050", s.send("PAY "+pin+" "+ref+" L1=1,050"),
		"L1 1,050: amounts in UGX are posted in multiples of 100. Send 1,000 or 1,100 instead. Nothing was posted.")
	wantReplies(t, "20,020", s.send("PAY "+pin+" "+ref+" S=20020"),
		"S1 20,020: amounts in UGX are posted in multiples of 100. Send 20,000 or 20,100 instead. Nothing was posted.")
	wantReplies(t, "below one multiple", s.send("PAY "+pin+" "+ref+" S=50"),
		"S1 50: amounts in UGX are posted in multiples of 100. Send 100 instead. Nothing was posted.")
	s.wantNothingPosted("amounts that are not multiples")
	wantReplies(t, "a multiple", s.send("PAY "+pin+" "+ref+" L1=1,100 S=20,000"))
	s.wantJournal(
		entry{4, loanRepayment, 321, "000000321", units(1100), "UGX", "2026-03-02", "me-SPEC-m4-1", "MESPEC4I1", "L1", 320, ref},
		entry{4, savingsDeposit, 322, "000000322", units(20000), "UGX", "2026-03-02", "me-SPEC-m4-2", "MESPEC4I2", "S1", 320, ref},
	)
}

// The same in Swahili.
func TestPayRefusesAmountNotAMultipleInSwahili(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{})
	sw, err := handler.NewTexts("sw", nil)
	if err != nil {
		t.Fatal(err)
	}
	s.env.Texts = sw
	ref := s.addUGXClient()
	wantReplies(t, "1,050", s.send("LIPA "+pin+" "+ref+" L1=1,050"),
		"L1 1,050: kiasi cha UGX huingizwa kwa vizidisho vya 100. Tuma 1,000 au 1,100 badala yake. Hakuna kilichoingizwa.")
	wantReplies(t, "50", s.send("LIPA "+pin+" "+ref+" S=50"),
		"S1 50: kiasi cha UGX huingizwa kwa vizidisho vya 100. Tuma 100 badala yake. Hakuna kilichoingizwa.")
	s.wantNothingPosted("amounts that are not multiples")
}

// A payment taken while Fineract was unreachable is checked when the link
// is back: an amount that is not a multiple is refused then, before it is
// posted, and the officer is told the amounts Fineract takes.
func TestPayTakenOfflineNotAMultipleIsRefusedWhenLinkIsBack(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{})
	ref := s.addUGXClient()
	s.offline = true
	s.send("PAY " + pin + " " + ref + " L1=1,050")
	s.offline = false
	wantSMS(t, s.post(), sms{officerPh,
		"NOT posted for " + ref + ": L1 1,050.00 - L1 1,050: amounts in UGX are posted in multiples of 100. Send 1,000 or 1,100 instead. Nothing was posted."})
	if n := len(s.fin.LoanTransactions(321)); n != 1 { // the disbursement only
		t.Fatalf("loan 321 has %d transactions, want only its disbursement", n)
	}
}

// Rule 4.1: an item above [officers] max_item_amount is refused; an item
// at the ceiling is not above it.
func TestPayItemAboveMaxItemAmountRefused(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{MaxItem: 50_000})
	wantReplies(t, "huge item", s.send("PAY "+pin+" 42 L1=100 S=9,000,000,000"),
		"S1 9,000,000,000.00 is above the limit of 50,000.00 for one payment by SMS. Nothing was posted; ask your branch manager to post it in Mifos.")
	wantReplies(t, "just above", s.send("PAY "+pin+" 42 S=50,000.01"),
		"S1 50,000.01 is above the limit of 50,000.00 for one payment by SMS. Nothing was posted; ask your branch manager to post it in Mifos.")
	s.wantNothingPosted("items above the ceiling")
	wantReplies(t, "at the ceiling", s.send("PAY "+pin+" 42 S=50,000"))
	s.wantJournal(aminaSavings(3, 1, units(50_000), "42"))
}

// Rule 4.2: the same PAY (same client, same items and amounts) posted by
// this officer within the repeat window is held, not posted; YES posts it.
func TestPayRepeatWithinWindowIsHeld(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{})
	wantReplies(t, "first PAY", s.send("PAY "+pin+" 42 S=11"))
	s.now = s.now.Add(time.Minute)
	// The same payments written another way are the same command.
	wantReplies(t, "repeat", s.send("pay "+pin+" 000042 s1=11.00"),
		"You already sent this at 09:00: PAY 42 S1=11. Nothing was posted now. To post it again, reply YES <PIN> 2.")
	s.wantJournal(aminaSavings(1, 1, units(11), "42"))
	// A different amount is a different command.
	wantReplies(t, "another amount", s.send("PAY "+pin+" 42 S=12"))
	wantReplies(t, "YES", s.send("YES "+pin+" 2"))
	s.wantJournal(aminaSavings(1, 1, units(11), "42"), aminaSavings(3, 1, units(12), "42"), aminaSavings(4, 1, units(11), "42"))
}

// Rule 4.2: items in another order are the same PAY.
func TestPayRepeatIsTheSameItemsInAnyOrder(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{})
	s.send("PAY " + pin + " 42 L1=500 S=200")
	wantReplies(t, "reordered", s.send("PAY "+pin+" 42 s1=200 l1=500.00"),
		"You already sent this at 09:00: PAY 42 L1=500 S1=200. Nothing was posted now. To post it again, reply YES <PIN> 2.")
	s.wantJournal(aminaLoan(1, 1, units(500), "42"), aminaSavings(1, 2, units(200), "42"))
}

// Rule 4.2: only this officer's own commands count; after the window the
// same PAY is posted without asking.
func TestPayRepeatOnlyOfTheSameOfficerWithinTheWindow(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{})
	const colleague = "+254722000013"
	s.enrol(colleague, fineractsim.SeedStaffPeter, "Faith Akinyi", "624815")
	s.send("PAY " + pin + " 42 S=11")
	wantReplies(t, "colleague", s.sendFrom(colleague, pdu.SenderInternational, "PAY 624815 42 S=11"))
	s.now = s.now.Add(24 * time.Hour)
	wantReplies(t, "after a day", s.send("PAY "+pin+" 42 S=11"))
	if n := len(s.journal()); n != 3 {
		t.Fatalf("%d journal entries, want 3", n)
	}
}

// Rule 4.3: the officer's SMS postings of the day, this one included,
// above [officers] max_daily_amount are refused; the next day starts afresh.
func TestPayDayAboveMaxDailyAmountRefused(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{MaxDaily: 60_000})
	wantReplies(t, "within the ceiling", s.send("PAY "+pin+" 42 S=40,000"))
	wantReplies(t, "over the day", s.send("PAY "+pin+" 42 L1=15000 S=6000"),
		"Nothing was posted: your SMS postings today would come to 61,000.00, above the daily limit of 60,000.00. Ask your branch manager.")
	s.wantJournal(aminaSavings(1, 1, units(40_000), "42"))
	wantReplies(t, "up to the ceiling", s.send("PAY "+pin+" 42 L1=15000 S=5000"))
	s.fin.SetBusinessDate(specDay.AddDate(0, 0, 1))
	wantReplies(t, "next day", s.send("PAY "+pin+" 42 L1=15000 S=6000"))
	if n := len(s.journal()); n != 5 {
		t.Fatalf("%d journal entries, want 5", n)
	}
}

// Rule 4.4: while Fineract is known to be unreachable the payment is
// journaled as typed and acknowledged; it is resolved and posted when the
// link is back, and the officer and client are told then.
func TestPayWhileFineractUnreachableIsAcknowledgedThenPosted(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{})
	s.offline = true
	wantReplies(t, "offline PAY", s.send("PAY "+pin+" 42 L1=500 S=200"),
		"Received: L1 500.00, S1 200.00 for client 42. The Mifos link is down; it will be posted when the link is back and you will get a confirmation.")
	s.wantJournal(
		entry{1, unresolved, 0, "", units(500), "", "2026-03-02", "me-SPEC-m1-1", "MESPEC1I1", "L1", 0, "42"},
		entry{1, unresolved, 0, "", units(200), "", "2026-03-02", "me-SPEC-m1-2", "MESPEC1I2", "S1", 0, "42"},
	)
	s.offline = false
	out := s.post()
	loanTxn, savingsTxn := lastRepayment(t, s.fin, 981), lastDeposit(t, s.fin, 77)
	if loanTxn.ExternalID != "me-SPEC-m1-1" || loanTxn.Amount.String() != "500.000000" || savingsTxn.ReceiptNumber != "MESPEC1I2" {
		t.Fatalf("in Fineract: %+v, %+v", loanTxn, savingsTxn)
	}
	wantSMS(t, out,
		sms{officerPh, fmt.Sprintf("Posted for Amina Odhiambo (client 42): L1 500.00 (txn %d), S1 200.00 (txn %d).", loanTxn.ID, savingsTxn.ID)},
		sms{fineractsim.SeedAminaPhone, "Dear Amina Odhiambo, we received your payment: KES 500.00 to 000000981, KES 200.00 to 000000077. New balance: loan 000000981 13,475.34, savings 000000077 3,350.00. Thank you."})
}

// Rule 4.4: a Fineract that stops answering while PAY asks it is taken as
// unreachable: the payment is acknowledged the same way.
func TestPayWhenFineractStopsAnsweringIsAcknowledged(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{})
	if err := s.fin.SetDown(true); err != nil {
		t.Fatal(err)
	}
	wantReplies(t, "PAY", s.send("PAY "+pin+" 42 S=200"),
		"Received: S1 200.00 for client 42. The Mifos link is down; it will be posted when the link is back and you will get a confirmation.")
	if j := s.journal(); len(j) != 1 || j[0].Kind != unresolved {
		t.Fatalf("journal %+v", j)
	}
}

// Rule 4.4: the checks run when the link is back, and a refusal then is
// sent to the officer.
func TestPayTakenOfflineRefusedWhenLinkIsBackIsToldToOfficer(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{})
	s.offline = true
	s.send("PAY " + pin + " 99999 L1=500")
	s.send("PAY " + pin + " 100 S=20")
	s.offline = false
	wantSMS(t, s.post(),
		sms{officerPh, "NOT posted for 99999: L1 500.00 - No active client 99999 was found. Check the client's account number."},
		sms{officerPh, "NOT posted for 100: S1 20.00 - Zawadi Njeri (100) is not a client of your office. Nothing was posted."})
	if n := len(s.fin.SavingsTransactions(otherSavings)); n != 0 {
		t.Fatalf("%d deposits into a client out of scope", n)
	}
}

// Rule 4.4: while payments taken offline wait, a new PAY joins their queue.
func TestPayJoinsQueueOfPaymentsTakenOffline(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{})
	s.offline = true
	s.send("PAY " + pin + " 42 L1=500")
	s.offline = false
	wantReplies(t, "PAY behind the queue", s.send("PAY "+pin+" 43 S=50"),
		"Received: S1 50.00 for client 43. It will be posted after the payments taken while the Mifos link was down, and you will get a confirmation.")
	s.wantJournal(
		entry{1, unresolved, 0, "", units(500), "", "2026-03-02", "me-SPEC-m1-1", "MESPEC1I1", "L1", 0, "42"},
		entry{2, unresolved, 0, "", units(50), "", "2026-03-02", "me-SPEC-m2-1", "MESPEC2I1", "S1", 0, "43"},
	)
}

// Rule 4.5: by default PAY credits only clients of the officer's office
// (the security review's experiment: staff 12 paid into a client of staff
// 99 in another office).
func TestPayOnlyIntoClientsOfTheOfficersOffice(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{})
	wantReplies(t, "client of another office", s.send(fmt.Sprintf("PAY %s %d S=13", pin, otherClient)),
		"Zawadi Njeri (100) is not a client of your office. Nothing was posted.")
	s.wantNothingPosted("a client of another office")
	// A client of another officer in the same office is in scope.
	s.addClient(fineractsim.Client{ID: 304, Firstname: "Neema", Lastname: "Atieno", StaffID: otherStaff})
	s.fin.AddSavings(fineractsim.Savings{ID: 314, ClientID: 304, ProductName: "Akiba"})
	wantReplies(t, "same office", s.send("PAY "+pin+" 304 S=13"))
	if n := len(s.journal()); n != 1 {
		t.Fatalf("%d journal entries, want 1", n)
	}
}

// Rule 4.5: with pay_scope = "groups", the officer's own clients and the
// members of the officer's groups only.
func TestPayGroupsScopeOwnClientsAndGroupMembersOnly(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{GroupsOnly: true})
	// Same office, another officer's client, in no group of this officer.
	s.addClient(fineractsim.Client{ID: 305, Firstname: "Neema", Lastname: "Atieno", StaffID: otherStaff})
	s.fin.AddSavings(fineractsim.Savings{ID: 315, ClientID: 305, ProductName: "Akiba"})
	// Another officer's client in a group of this officer.
	s.addClient(fineractsim.Client{ID: 306, Firstname: "Rehema", Lastname: "Wafula", StaffID: otherStaff})
	s.fin.AddSavings(fineractsim.Savings{ID: 316, ClientID: 306, ProductName: "Akiba"})
	s.fin.AddGroup(fineractsim.Group{ID: 8, Name: "Tumaini", StaffID: fineractsim.SeedStaffPeter, ClientIDs: []int64{306}})
	wantReplies(t, "stranger", s.send("PAY "+pin+" 305 S=14"),
		"Neema Atieno (305) is not your client nor in one of your groups. Nothing was posted.")
	s.wantNothingPosted("a client out of the officer's groups")
	wantReplies(t, "own client", s.send("PAY "+pin+" 42 S=14"))
	wantReplies(t, "group member", s.send("PAY "+pin+" 306 S=14"))
	if n := len(s.journal()); n != 2 {
		t.Fatalf("%d journal entries, want 2", n)
	}
}

// After posting: one SMS to the officer with Fineract's transaction ids,
// one to the client with the new balances.
func TestPayConfirmedToOfficerAndClientAfterPosting(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{})
	s.send("PAY " + pin + " 000042 L1=500 S=1,000.50")
	out := s.post()
	loanTxn, savingsTxn := lastRepayment(t, s.fin, 981), lastDeposit(t, s.fin, 77)
	wantSMS(t, out,
		sms{officerPh, fmt.Sprintf("Posted for Amina Odhiambo (client 42): L1 500.00 (txn %d), S1 1,000.50 (txn %d).", loanTxn.ID, savingsTxn.ID)},
		sms{fineractsim.SeedAminaPhone, "Dear Amina Odhiambo, we received your payment: KES 500.00 to 000000981, KES 1,000.50 to 000000077. New balance: loan 000000981 13,475.34, savings 000000077 4,150.50. Thank you."})
	if s.fin.LoanOutstanding(981) != "13475.340000" || s.fin.SavingsBalance(77) != "4150.500000" {
		t.Fatalf("Fineract after posting: loan %s, savings %s", s.fin.LoanOutstanding(981), s.fin.SavingsBalance(77))
	}
}

// The client is told only with a usable phone in Fineract that is not the
// officer's own.
func TestPayClientToldOnlyOnTheirOwnPhone(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{})
	s.addClient(fineractsim.Client{ID: 307, Firstname: "Peter", Lastname: "Relative", MobileNo: officerPh})
	s.fin.AddSavings(fineractsim.Savings{ID: 317, ClientID: 307, ProductName: "Akiba"})
	s.fin.AddSavings(fineractsim.Savings{ID: 318, ClientID: fineractsim.SeedClientMary, ProductName: "Akiba"})
	s.send("PAY " + pin + " 307 S=10")
	s.send("PAY " + pin + " 45 S=20")
	out := s.post()
	wantSMS(t, out,
		sms{officerPh, fmt.Sprintf("Posted for Peter Relative (client 307): S1 10.00 (txn %d).", lastDeposit(t, s.fin, 317).ID)},
		sms{officerPh, fmt.Sprintf("Posted for Mary Achieng (client 45): S1 20.00 (txn %d).", lastDeposit(t, s.fin, 318).ID)})
}

// A posting Fineract refuses is told to the officer in fixed words
// (Fineract's status and code, never its own message); the client hears
// nothing.
func TestPayRefusedByFineractIsToldToOfficer(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{})
	s.fin.FailNext(1, 403)
	s.send("PAY " + pin + " 42 L1=500")
	wantSMS(t, s.post(), sms{officerPh, "NOT posted for Amina Odhiambo: L1 500.00 - Mifos refused it (error 403, error.msg.simulated.failure)."})
}

// A posting awaiting a checker's approval in Mifos is told to the officer
// as such; the client hears once it is approved, not now.
func TestPayAwaitingApprovalIsToldToOfficer(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{})
	s.fin.SetMakerChecker(true)
	s.send("PAY " + pin + " 42 L1=500 S=200")
	wantSMS(t, s.post(), sms{officerPh, "Awaiting approval in Mifos for Amina Odhiambo: L1 500.00, S1 200.00."})
}

// A posting a checker rejects in Mifos is told to the officer as NOT
// posted, with the reason; the client hears nothing, and the item still
// awaiting approval is not told again.
func TestPayRejectedByACheckerIsToldToOfficer(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{})
	s.fin.SetMakerChecker(true)
	s.send("PAY " + pin + " 42 L1=500 S=200")
	pending := sms{officerPh, "Awaiting approval in Mifos for Amina Odhiambo: L1 500.00, S1 200.00."}
	wantSMS(t, s.post(), pending)
	loan := s.journal()[0]
	if loan.Kind != store.JournalLoanRepayment || loan.CommandID == 0 {
		t.Fatalf("held repayment: %+v", loan)
	}
	if err := s.fin.Reject(loan.CommandID); err != nil {
		t.Fatal(err)
	}
	deadline := time.NewTimer(30 * time.Second)
	defer deadline.Stop()
	for s.journal()[0].State != store.JournalFailed {
		select {
		case <-s.settled:
		case <-deadline.C:
			t.Fatalf("the rejected posting did not fail: %+v", s.journal())
		}
	}
	wantSMS(t, s.queued(), pending, sms{officerPh, "NOT posted for Amina Odhiambo: L1 500.00 - a checker in Mifos rejected it."})
}

// The externalId of every item is exactly me-<box>-m<message id>-<item>,
// and Fineract gets it: a repost of the same item is refused as a duplicate.
func TestPayExternalIDIsBoxMessageAndItem(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{})
	s.send("PAY " + pin + " 42 S=1")
	s.send("PAY " + pin + " 42 L2=7 L1=5 S=2")
	for i, want := range []string{"me-SPEC-m1-1", "me-SPEC-m2-1", "me-SPEC-m2-2", "me-SPEC-m2-3"} {
		if got := s.journal()[i].ExternalID; got != want {
			t.Fatalf("entry %d: externalId %q, want %q", i, got, want)
		}
	}
	s.post()
	if got := lastRepayment(t, s.fin, 981).ExternalID; got != "me-SPEC-m2-2" {
		t.Fatalf("Fineract has externalId %q, want me-SPEC-m2-2", got)
	}
}

// The same message handled twice (a crash before its handling was
// committed, so the daemon handles it again later) maps to the same
// externalIds and receipts: Fineract then refuses the second posting.
func TestPayExternalIDsAreTheSameWhenAMessageIsHandledAgain(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{})
	req := s.request(7, officerPh, pdu.SenderInternational, "PAY "+pin+" 42 L1=500 S=200")
	first := s.dispatch(req)
	s.now = s.now.Add(time.Hour) // handled again later
	second := s.dispatch(req)
	s.apply(first)
	got1 := s.journal()
	again := newSpec(t, handler.MoneyRules{})
	again.apply(second)
	got2 := again.journal()
	if len(got1) != 2 || len(got2) != 2 {
		t.Fatalf("journals: %+v / %+v", got1, got2)
	}
	for i := range got1 {
		if got1[i].ExternalID != got2[i].ExternalID || got1[i].Receipt != got2[i].Receipt {
			t.Fatalf("item %d: first handling %q/%q, second %q/%q", i+1, got1[i].ExternalID, got1[i].Receipt, got2[i].ExternalID, got2[i].Receipt)
		}
	}
	s.wantJournal(aminaLoan(7, 1, units(500), "42"), aminaSavings(7, 2, units(200), "42"))
}

// Every item of one SMS has its own externalId and receipt: one shared id
// would make Fineract refuse every item after the first as a duplicate.
func TestPayEveryItemHasItsOwnExternalIDAndReceipt(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{})
	s.send("PAY " + pin + " 42 L1=5 L2=6 S=7")
	s.send("PAY " + pin + " 43 L1=8 S=9")
	ids, receipts := map[string]bool{}, map[string]bool{}
	var all []string
	for _, j := range s.journal() {
		all = append(all, j.ExternalID+" "+j.Receipt)
	}
	for _, j := range s.journal() {
		if ids[j.ExternalID] || receipts[j.Receipt] {
			t.Fatalf("externalId %q or receipt %q shared among the items (externalId receipt): %q", j.ExternalID, j.Receipt, all)
		}
		ids[j.ExternalID], receipts[j.Receipt] = true, true
	}
	out := s.post()
	if len(out) != 4 {
		t.Fatalf("confirmations: %+v", out)
	}
	for _, o := range out {
		if strings.Contains(o.Text, "NOT posted") {
			t.Fatalf("an item was refused: %+v", out)
		}
	}
	for _, want := range []struct {
		loan int64
		ext  string
	}{{981, "me-SPEC-m1-1"}, {982, "me-SPEC-m1-2"}, {983, "me-SPEC-m2-1"}} {
		if got := lastRepayment(t, s.fin, want.loan).ExternalID; got != want.ext {
			t.Fatalf("loan %d: externalId %q, want %q", want.loan, got, want.ext)
		}
	}
	if a, g := lastDeposit(t, s.fin, 77).ReceiptNumber, lastDeposit(t, s.fin, 78).ReceiptNumber; a != "MESPEC1I3" || g != "MESPEC2I2" {
		t.Fatalf("receipts in Fineract: %q, %q", a, g)
	}
}

// The keyword in any case, or in Swahili (LIPA).
func TestPayKeywordInAnyCaseOrLIPA(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{})
	wantReplies(t, "Pay", s.send("Pay "+pin+" 42 S=1"))
	wantReplies(t, "lipa", s.send("lipa "+pin+" 42 S=2"))
	s.wantJournal(aminaSavings(1, 1, units(1), "42"), aminaSavings(2, 1, units(2), "42"))
}

func lastRepayment(t *testing.T, fin *fineractsim.Server, loan int64) fineractsim.LoanTxn {
	t.Helper()
	txns := fin.LoanTransactions(loan)
	for i := len(txns) - 1; i >= 0; i-- {
		if txns[i].Type == "Repayment" {
			return txns[i]
		}
	}
	t.Fatalf("loan %d has no repayment", loan)
	return fineractsim.LoanTxn{}
}

func lastDeposit(t *testing.T, fin *fineractsim.Server, savings int64) fineractsim.SavingsTxn {
	t.Helper()
	txns := fin.SavingsTransactions(savings)
	if len(txns) == 0 {
		t.Fatalf("savings %d has no transaction", savings)
	}
	return txns[len(txns)-1]
}

// wantSMS fails unless the outbox holds exactly want, in any order.
func wantSMS(t *testing.T, got []sms, want ...sms) {
	t.Helper()
	left := append([]sms(nil), got...)
	for _, w := range want {
		found := false
		for i, g := range left {
			if g == w {
				left = append(left[:i], left[i+1:]...)
				found = true
				break
			}
		}
		if !found {
			t.Fatalf("no SMS %+v\namong %+v", w, got)
		}
	}
	if len(left) != 0 {
		t.Fatalf("unexpected SMS %+v", left)
	}
}

// A client's savings accounts in Fineract include fixed and recurring
// deposit accounts; S1, S2... and account-number items are plain savings
// only (a deposit could never be found again in the others).
func TestPaySavingsItemsAreOnlyPlainSavings(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{})
	s.fin.AddSavings(fineractsim.Savings{ID: 70, ClientID: 42, ProductName: "Fixed 12M", DepositType: 200})
	s.fin.AddSavings(fineractsim.Savings{ID: 79, ClientID: 42, ProductName: "Recurring", DepositType: 300})
	wantReplies(t, "S", s.send("PAY "+pin+" 42 S=5"))
	wantReplies(t, "S2", s.send("PAY "+pin+" 42 S2=6"), "Amina Odhiambo has no active savings account S2.")
	wantReplies(t, "the fixed deposit by number", s.send("PAY "+pin+" 42 000000070=7"),
		"Account 000000070 is not an active loan or savings account of Amina Odhiambo.")
	s.wantJournal(aminaSavings(1, 1, units(5), "42"))
}
