package handler_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/mifos-edge/mifos-edge/fineractsim"
	"github.com/mifos-edge/mifos-edge/handler"
	"github.com/mifos-edge/mifos-edge/mifos"
	"github.com/mifos-edge/mifos-edge/store"
)

// The SMS command card, section 4, COLLECT:
//
//	COLLECT <PIN> <group> ALL [EXCEPT <client> ...]
//
// On the seed's meeting day (2026-03-04) group 7 (Umoja Women Group) owes:
// Amina 2,725.08 on loan 981 (the instalment of 2026-02-20, 1,025.00 of
// its 3,750.08 paid), John 4,480.80 on loan 985 (two instalments of
// 2,240.40); Grace's loan 983 has nothing due until 2026-03-28.

// share is what one client pays on a sheet, as the specs check it.
type share struct {
	Client int64
	Name   string
	Amount int64
	Phone  string
}

var (
	aminaShare = share{42, "Amina Odhiambo", units(2725.08), fineractsim.SeedAminaPhone}
	johnShare  = share{44, "John Kamau", units(4480.80), fineractsim.SeedJohnPhone}
)

// onMeetingDay moves the business date to group 7's meeting.
func (s *spec) onMeetingDay() *spec {
	s.fin.SetBusinessDate(meetingDay)
	return s
}

// wantSheet fails unless the journal holds exactly one collection sheet
// of message id for group 7 on the meeting day, paying shares in full.
func (s *spec) wantSheet(id uint64, shares ...share) {
	s.t.Helper()
	var total int64
	var repayments []mifos.SheetRepayment
	for _, sh := range shares {
		total += sh.Amount
		loan := map[int64]int64{42: 981, 44: 985}[sh.Client]
		repayments = append(repayments, mifos.SheetRepayment{LoanID: loan, Amount: mifos.Amount(sh.Amount),
			ExternalID: fmt.Sprintf("me-SPEC-m%d-0-l%d", id, loan)})
	}
	s.wantJournal(entry{id, store.JournalCollectionSheet, 0, "", total, "KES", "2026-03-04", fmt.Sprintf("me-SPEC-m%d-0", id), "", "", 0, ""})
	j := s.journal()[0]
	if j.GroupID != fineractsim.SeedGroupUmoja || j.CalendarID != fineractsim.SeedCalendarUmoja || j.Officer != officerPh {
		s.t.Fatalf("sheet entry %+v", j)
	}
	var p handler.CollectPayload
	if err := json.Unmarshal(j.Payload, &p); err != nil {
		s.t.Fatal(err)
	}
	var got []share
	for _, c := range p.Clients {
		got = append(got, share{c.ClientID, c.Name, int64(c.Amount), c.Phone})
	}
	if !slices.Equal(got, shares) || !slices.Equal(p.Sheet.Repayments, repayments) || len(p.Sheet.Deposits) != 0 ||
		p.Sheet.Date != (mifos.Date{Year: 2026, Month: 3, Day: 4}) || p.Sheet.CalendarID != fineractsim.SeedCalendarUmoja || p.GroupName != "Umoja Women Group" {
		s.t.Fatalf("sheet payload:\n got %+v %+v\nwant %+v %+v", got, p.Sheet, shares, repayments)
	}
}

// Today's sheet is recorded as paid as expected: every loan's total due
// (overdue included) is taken as paid.
func TestCollectAllRecordsTodaysSheetAsPaid(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{}).onMeetingDay()
	wantReplies(t, "COLLECT", s.send("COLLECT "+pin+" 7 ALL"))
	s.wantSheet(1, aminaShare, johnShare)
}

// After posting: the totals to the officer, each client's share to them.
func TestCollectConfirmedToOfficerAndEachClient(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{}).onMeetingDay()
	s.send("COLLECT " + pin + " 7 ALL")
	wantSMS(t, s.post(),
		sms{officerPh, "Collection for Umoja Women Group on Wed 4 Mar posted: 2 client(s), total 7,205.88."},
		sms{fineractsim.SeedAminaPhone, "Dear Amina Odhiambo, your payment of 2,725.08 at the Umoja Women Group meeting on Wed 4 Mar was recorded. Thank you."},
		sms{fineractsim.SeedJohnPhone, "Dear John Kamau, your payment of 4,480.80 at the Umoja Women Group meeting on Wed 4 Mar was recorded. Thank you."})
	if got := lastRepayment(t, s.fin, 981); got.ExternalID != "me-SPEC-m1-0-l981" || got.Amount.String() != "2725.080000" {
		t.Fatalf("Amina's repayment in Fineract: %+v", got)
	}
	if got := lastRepayment(t, s.fin, 985); got.ExternalID != "me-SPEC-m1-0-l985" || got.Amount.String() != "4480.800000" {
		t.Fatalf("John's repayment in Fineract: %+v", got)
	}
}

// EXCEPT leaves the listed clients out.
func TestCollectAllExceptSkipsListedClients(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{}).onMeetingDay()
	wantReplies(t, "COLLECT", s.send("COLLECT "+pin+" 7 ALL EXCEPT 44"))
	s.wantSheet(1, aminaShare)
	wantSMS(t, s.post(),
		sms{officerPh, "Collection for Umoja Women Group on Wed 4 Mar posted: 1 client(s), total 2,725.08."},
		sms{fineractsim.SeedAminaPhone, "Dear Amina Odhiambo, your payment of 2,725.08 at the Umoja Women Group meeting on Wed 4 Mar was recorded. Thank you."})
	if n := len(repaymentsOf(s.fin, 985)); n != 1 {
		t.Fatalf("the excepted client's loan has %d repayments, want only the seed's one", n)
	}
}

// EXCEPT names clients by account number (leading zeros optional),
// external id or client id.
func TestCollectExceptByAccountNumberExternalIDOrClientID(t *testing.T) {
	for _, ref := range []string{"000000044", "44", "JK-44"} {
		t.Run(ref, func(t *testing.T) {
			s := newSpec(t, handler.MoneyRules{}).onMeetingDay()
			s.fin.AddClient(fineractsim.Client{ID: 44, AccountNo: "000000044", ExternalID: "JK-44", Firstname: "John", Lastname: "Kamau",
				MobileNo: fineractsim.SeedJohnPhone, StaffID: fineractsim.SeedStaffPeter, ActivationDate: specDay.AddDate(-1, 0, 0)})
			wantReplies(t, "COLLECT", s.send("COLLECT "+pin+" 7 ALL EXCEPT "+ref))
			s.wantSheet(1, aminaShare)
		})
	}
	// A client id that is not an account number.
	s := newSpec(t, handler.MoneyRules{}).onMeetingDay()
	s.fin.AddClient(fineractsim.Client{ID: 44, AccountNo: "000004400", Firstname: "John", Lastname: "Kamau",
		MobileNo: fineractsim.SeedJohnPhone, StaffID: fineractsim.SeedStaffPeter, ActivationDate: specDay.AddDate(-1, 0, 0)})
	wantReplies(t, "client id", s.send("COLLECT "+pin+" 7 ALL EXCEPT 44"))
	s.wantSheet(1, aminaShare)
}

// Commas between words are fine.
func TestCollectCommasBetweenWordsAreFine(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{}).onMeetingDay()
	wantReplies(t, "COLLECT", s.send("COLLECT "+pin+", 7, ALL, EXCEPT 44,43"))
	s.wantSheet(1, aminaShare)
}

// The group must exist.
func TestCollectUnknownGroupRefused(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{}).onMeetingDay()
	wantReplies(t, "COLLECT", s.send("COLLECT "+pin+" 99 ALL"), "There is no group 99.")
	s.wantNothingPosted("an unknown group")
}

// The group must be the officer's: its staff in Fineract is the officer's
// staff id.
func TestCollectOnlyOfficersGroup(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{}).onMeetingDay()
	s.fin.AddGroup(fineractsim.Group{ID: 8, Name: "Jirani", StaffID: otherStaff, ClientIDs: []int64{42, 44},
		Meeting: &fineractsim.Calendar{ID: 32, StartDate: specDay.AddDate(0, -6, 0), Weekday: time.Wednesday}})
	wantReplies(t, "COLLECT", s.send("COLLECT "+pin+" 8 ALL"), "Group 8 is not one of your groups.")
	s.wantNothingPosted("another officer's group")
}

// The group must have a meeting calendar.
func TestCollectNeedsAMeetingCalendar(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{}).onMeetingDay()
	s.fin.AddGroup(fineractsim.Group{ID: 8, Name: "Jirani", StaffID: fineractsim.SeedStaffPeter, ClientIDs: []int64{42, 44}})
	wantReplies(t, "COLLECT", s.send("COLLECT "+pin+" 8 ALL"), "Group Jirani has no meeting calendar in Mifos, so there is no collection sheet.")
	s.wantNothingPosted("a group without meetings")
}

// The sheet is the group's most recent meeting on or before today, within
// [officers] collect_window (48h) of it: the evening of the meeting or two
// days later, the sheet is that meeting's and is dated on it.
func TestCollectAfterAMeetingRecordsThatMeeting(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{})
	s.fin.SetBusinessDate(meetingDay.AddDate(0, 0, 2))
	wantReplies(t, "two days after", s.send("COLLECT "+pin+" 7 ALL"))
	s.wantSheet(1, aminaShare, johnShare)
	wantSMS(t, s.post(),
		sms{officerPh, "Collection for Umoja Women Group on Wed 4 Mar posted: 2 client(s), total 7,205.88."},
		sms{fineractsim.SeedAminaPhone, "Dear Amina Odhiambo, your payment of 2,725.08 at the Umoja Women Group meeting on Wed 4 Mar was recorded. Thank you."},
		sms{fineractsim.SeedJohnPhone, "Dear John Kamau, your payment of 4,480.80 at the Umoja Women Group meeting on Wed 4 Mar was recorded. Thank you."})
	if got := lastRepayment(t, s.fin, 981); !got.Date.Equal(meetingDay) {
		t.Fatalf("repayment dated %s, want the meeting's %s", got.Date, meetingDay)
	}
}

// Past the window there is no meeting to record: the officer is told when
// the group last met and when it meets next, and nothing is posted (on the
// spec's Monday the group last met five days ago).
func TestCollectOutsideTheWindowNamesTheNextMeeting(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{})
	wantReplies(t, "COLLECT", s.send("COLLECT "+pin+" 7 ALL"),
		"Umoja Women Group last met on Wed 25 Feb, more than 2 day(s) ago, so there is no meeting to record now. Its next meeting is on Wed 4 Mar. Nothing was posted.")
	sw, err := handler.NewTexts("sw", nil)
	if err != nil {
		t.Fatal(err)
	}
	s.env.Texts = sw
	wantReplies(t, "KUSANYA", s.send("KUSANYA "+pin+" 7 ALL"),
		"Umoja Women Group kilikutana mara ya mwisho tarehe Jumatano 25 Feb, zaidi ya siku 2 zilizopita, kwa hiyo hakuna mkutano wa kurekodi sasa. Mkutano ujao ni tarehe Jumatano 4 Mac. Hakuna kilichoingizwa.")
	s.wantNothingPosted("a day outside the window")
}

// The window is [officers] collect_window: with a week, the Monday after
// records the Wednesday before.
func TestCollectWindowIsConfigurable(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{})
	s.env.CollectWindow = 7 * 24 * time.Hour
	wantReplies(t, "COLLECT", s.send("COLLECT "+pin+" 7 ALL"))
	j := s.journal()
	var p handler.CollectPayload
	if len(j) != 1 || j[0].Date != "2026-02-25" || json.Unmarshal(j[0].Payload, &p) != nil || p.Sheet.Date.String() != "2026-02-25" {
		t.Fatalf("journal %+v, want one sheet of the 2026-02-25 meeting", j)
	}
}

// A group that has not met yet has nothing to record: the officer is told
// its first meeting.
func TestCollectBeforeTheFirstMeetingNamesIt(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{})
	s.fin.AddGroup(fineractsim.Group{ID: 8, Name: "Jirani", StaffID: fineractsim.SeedStaffPeter, ClientIDs: []int64{42, 44},
		Meeting: &fineractsim.Calendar{ID: 32, StartDate: specDay.AddDate(0, 0, 3), Weekday: time.Friday}})
	wantReplies(t, "COLLECT", s.send("COLLECT "+pin+" 8 ALL"), "Jirani has not met yet: its first meeting is on Fri 6 Mar. Nothing was posted.")
	s.wantNothingPosted("a group that has not met")
}

// A loan whose due is under one currency unit (0.40) would be dropped by
// Fineract from the saved sheet: it is left out before anything is
// journaled, and the officer is told which, to collect it with PAY.
func TestCollectLeavesOutDuesUnderOneUnit(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{}).onMeetingDay()
	s.addLoan(986, fineractsim.SeedClientGrace, fineractsim.SeedGroupUmoja, specDay.AddDate(0, -2, 0), specDay.AddDate(0, 0, -1), "0.40")
	wantReplies(t, "COLLECT", s.send("COLLECT "+pin+" 7 ALL"),
		"Recorded for Umoja Women Group on Wed 4 Mar without: Grace Wanjiru loan 000000986 0.40. Mifos drops a due under 1 unit from a collection sheet; collect it with PAY.")
	s.wantSheet(1, aminaShare, johnShare)
	if out := s.post(); len(out) != 3 || out[0].Text == "" {
		t.Fatalf("confirmations %+v", out)
	}
	if n := len(repaymentsOf(s.fin, 986)); n != 0 {
		t.Fatalf("the small due was posted %d times", n)
	}
	// Only such dues: nothing to record, and the officer is told why.
	s2 := newSpec(t, handler.MoneyRules{}).onMeetingDay()
	s2.addLoan(986, fineractsim.SeedClientGrace, fineractsim.SeedGroupUmoja, specDay.AddDate(0, -2, 0), specDay.AddDate(0, 0, -1), "0.40")
	wantReplies(t, "only a small due", s2.send("COLLECT "+pin+" 7 ALL EXCEPT 42 44"),
		"Nothing was recorded for Umoja Women Group on Wed 4 Mar: the only dues are under 1 unit (Grace Wanjiru loan 000000986 0.40), which Mifos drops from a collection sheet; collect them with PAY.")
	s2.wantNothingPosted("a sheet of small dues only")
}

// Each EXCEPT client must be on the sheet.
func TestCollectExceptClientMustBeOnTheSheet(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{}).onMeetingDay()
	wantReplies(t, "Mary", s.send("COLLECT "+pin+" 7 ALL EXCEPT 44 45"),
		"45 is not a member of group Umoja Women Group with dues at this meeting.")
	wantReplies(t, "nobody", s.send("COLLECT "+pin+" 7 ALL EXCEPT 999"),
		"999 is not a member of group Umoja Women Group with dues at this meeting.")
	s.wantNothingPosted("an EXCEPT client off the sheet")
}

// Nothing left due is told, not posted.
func TestCollectNothingDueIsTold(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{}).onMeetingDay()
	wantReplies(t, "COLLECT", s.send("COLLECT "+pin+" 7 ALL EXCEPT 42 44"), "Nothing is due from group Umoja Women Group on Wed 4 Mar.")
	s.wantNothingPosted("a sheet with nothing due")
}

// The repeat hold applies to COLLECT.
func TestCollectRepeatIsHeld(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{}).onMeetingDay()
	s.send("COLLECT " + pin + " 7 ALL EXCEPT 44")
	s.now = s.now.Add(time.Minute)
	wantReplies(t, "repeat", s.send("COLLECT "+pin+" 7 ALL EXCEPT 000000044"),
		"You already sent this at 09:00: COLLECT 7 ALL EXCEPT 44. Nothing was posted now. To post it again, reply YES <PIN> 2.")
	s.wantSheet(1, aminaShare)
}

// The daily ceiling applies to COLLECT: the sheet's total counts, and PAY
// and COLLECT share the officer's day.
func TestCollectCountsTowardsTheDailyCeiling(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{MaxDaily: 7_000}).onMeetingDay()
	wantReplies(t, "sheet over the day", s.send("COLLECT "+pin+" 7 ALL"),
		"Nothing was posted: your SMS postings today would come to 7,205.88, above the daily limit of 7,000.00. Ask your branch manager.")
	s.wantNothingPosted("a sheet over the daily ceiling")

	s = newSpec(t, handler.MoneyRules{MaxDaily: 10_000}).onMeetingDay()
	wantReplies(t, "sheet", s.send("COLLECT "+pin+" 7 ALL"))
	wantReplies(t, "PAY after the sheet", s.send("PAY "+pin+" 43 S=3000"),
		"Nothing was posted: your SMS postings today would come to 10,205.88, above the daily limit of 10,000.00. Ask your branch manager.")
	if n := len(s.journal()); n != 1 {
		t.Fatalf("%d journal entries, want the sheet only", n)
	}
}

// The per-item ceiling does not apply to COLLECT.
func TestCollectNotBoundByTheItemCeiling(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{MaxItem: 1_000}).onMeetingDay()
	wantReplies(t, "COLLECT", s.send("COLLECT "+pin+" 7 ALL"))
	s.wantSheet(1, aminaShare, johnShare)
}

// COLLECT needs Fineract live.
func TestCollectNeedsFineractLive(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{}).onMeetingDay()
	if err := s.fin.SetDown(true); err != nil {
		t.Fatal(err)
	}
	wantReplies(t, "COLLECT", s.send("COLLECT "+pin+" 7 ALL"), "The Mifos system cannot be reached now. Please try again later.")
	s.wantNothingPosted("COLLECT while Fineract is down")
}

// A sheet Fineract refuses is told to the officer; clients hear nothing.
func TestCollectRefusedByFineractIsToldToOfficer(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{}).onMeetingDay()
	s.send("COLLECT " + pin + " 7 ALL")
	s.fin.FailNext(1, 403)
	wantSMS(t, s.post(), sms{officerPh, "Collection for Umoja Women Group on Wed 4 Mar was NOT posted: Mifos refused it (error 403, error.msg.simulated.failure)."})
}

// A sheet awaiting a checker's approval in Mifos is told to the officer as
// such; clients hear nothing yet.
func TestCollectAwaitingApprovalIsToldToOfficer(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{}).onMeetingDay()
	s.fin.SetMakerChecker(true)
	s.send("COLLECT " + pin + " 7 ALL")
	wantSMS(t, s.post(), sms{officerPh, "Collection for Umoja Women Group on Wed 4 Mar awaits approval in Mifos (total 7,205.88)."})
}

// The keyword in any case, or in Swahili (KUSANYA).
func TestCollectKeywordInAnyCaseOrKUSANYA(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{}).onMeetingDay()
	wantReplies(t, "kusanya", s.send("kusanya "+pin+" 7 all except 44"))
	s.wantSheet(1, aminaShare)
}

func repaymentsOf(fin *fineractsim.Server, loan int64) []fineractsim.LoanTxn {
	var out []fineractsim.LoanTxn
	for _, tx := range fin.LoanTransactions(loan) {
		if tx.Type == "Repayment" {
			out = append(out, tx)
		}
	}
	return out
}

// "ALL" is Fineract's sheet: the group's own (JLG) loans, and of each the
// principal, interest and fees due; penalties are not in a sheet's due,
// and a member's individual loans are not on the sheet.
func TestCollectAllCoversGroupLoansWithoutPenalties(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{}).onMeetingDay()
	s.fin.AddLoan(fineractsim.Loan{ID: 987, ClientID: fineractsim.SeedClientGrace, GroupID: fineractsim.SeedGroupUmoja, ProductName: "Dharura",
		LoanOfficerID: fineractsim.SeedStaffPeter, Principal: fineractsim.MustAmount("100"), DisbursedOn: specDay.AddDate(0, -2, 0),
		Installments: []fineractsim.Installment{{DueDate: specDay.AddDate(0, 0, -1), Principal: fineractsim.MustAmount("100"),
			Fees: fineractsim.MustAmount("5"), Penalties: fineractsim.MustAmount("20")}}})
	s.addLoan(988, fineractsim.SeedClientGrace, 0, specDay.AddDate(0, -2, 0), specDay.AddDate(0, 0, -1), "300") // individual
	wantReplies(t, "COLLECT", s.send("COLLECT "+pin+" 7 ALL EXCEPT 42 44"))
	j := s.journal()
	var p handler.CollectPayload
	if len(j) != 1 || json.Unmarshal(j[0].Payload, &p) != nil {
		t.Fatalf("journal %+v", j)
	}
	want := []mifos.SheetRepayment{{LoanID: 987, Amount: mifos.Amount(units(105)), ExternalID: "me-SPEC-m1-0-l987"}}
	if !slices.Equal(p.Sheet.Repayments, want) || j[0].Amount != units(105) {
		t.Fatalf("sheet %+v, want only loan 987's 105.00 (its 20.00 penalty and loan 988 left)", p.Sheet.Repayments)
	}
	s.post()
	if got := s.fin.LoanOutstanding(987); got != "20.000000" {
		t.Fatalf("loan 987 after the sheet: %s outstanding, want the 20.00 penalty", got)
	}
}
