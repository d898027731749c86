package handler_test

import (
	"testing"
	"time"

	"github.com/mifos-edge/mifos-edge/fineractsim"
	"github.com/mifos-edge/mifos-edge/handler"
	"github.com/mifos-edge/mifos-edge/pdu"
)

// The SMS command card, section 4, REMIND:
//
//	REMIND <PIN>            every group of the officer
//	REMIND <PIN> <group>    one group (it must be the officer's)
//
// On the seed's business date (2026-03-02) Amina owes 2,725.08 overdue on
// loan 981 and John 4,480.80 on loan 985; Grace is not in arrears. Group 7
// meets next on 2026-03-04.

var (
	aminaReminder = sms{fineractsim.SeedAminaPhone, "Dear Amina Odhiambo, your loan 000000981 has KES 2,725.08 overdue. Please pay at your next group meeting on Wed 4 Mar."}
	johnReminder  = sms{fineractsim.SeedJohnPhone, "Dear John Kamau, your loan 000000985 has KES 4,480.80 overdue. Please pay at your next group meeting on Wed 4 Mar."}
)

// weekly is a Wednesday meeting calendar.
func weekly(id int64) *fineractsim.Calendar {
	return &fineractsim.Calendar{ID: id, StartDate: specDay.AddDate(0, -6, 0), Weekday: time.Wednesday}
}

// Every member with an overdue amount on an active loan and a usable phone
// is reminded; members without one (or not in arrears) are not.
func TestRemindOnlyOverdueClientsWithPhones(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{})
	// Two more members in arrears: one without a phone, one with a number
	// that is no phone.
	s.addClient(fineractsim.Client{ID: 320, Firstname: "Baraka", Lastname: "Omondi"})
	s.addLoan(992, 320, 7, specDay.AddDate(0, -2, 0), specDay.AddDate(0, 0, -7), "800")
	s.addClient(fineractsim.Client{ID: 321, Firstname: "Zuri", Lastname: "Achieng", MobileNo: "12"})
	s.addLoan(993, 321, 7, specDay.AddDate(0, -2, 0), specDay.AddDate(0, 0, -7), "900")
	s.fin.AddGroup(fineractsim.Group{ID: 7, Name: "Umoja Women Group", StaffID: fineractsim.SeedStaffPeter,
		ClientIDs: []int64{42, 43, 44, 45, 320, 321}, Meeting: weekly(fineractsim.SeedCalendarUmoja)})
	wantReplies(t, "REMIND", s.send("REMIND "+pin+" 7"), "Reminders queued for 2 client(s), 7,205.88 overdue in total.")
	wantSMS(t, s.queued(), aminaReminder, johnReminder)
}

// REMIND <PIN> alone covers every group of the officer, and no one else's.
func TestRemindAllTheOfficersGroups(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{})
	s.addClient(fineractsim.Client{ID: 322, Firstname: "Imani", Lastname: "Wekesa", MobileNo: "+254711000322"})
	s.addLoan(994, 322, 8, specDay.AddDate(0, -2, 0), specDay.AddDate(0, 0, -7), "750")
	s.fin.AddGroup(fineractsim.Group{ID: 8, Name: "Tumaini", StaffID: fineractsim.SeedStaffPeter, ClientIDs: []int64{322}, Meeting: weekly(32)})
	s.addClient(fineractsim.Client{ID: 323, Firstname: "Other", Lastname: "Member", MobileNo: "+254711000323", StaffID: otherStaff})
	s.addLoan(995, 323, 9, specDay.AddDate(0, -2, 0), specDay.AddDate(0, 0, -7), "600")
	s.fin.AddGroup(fineractsim.Group{ID: 9, Name: "Jirani", StaffID: otherStaff, ClientIDs: []int64{323}, Meeting: weekly(33)})
	wantReplies(t, "REMIND", s.send("REMIND "+pin), "Reminders queued for 3 client(s), 7,955.88 overdue in total.")
	wantSMS(t, s.queued(), aminaReminder, johnReminder,
		sms{"+254711000322", "Dear Imani Wekesa, your loan 000000994 has KES 750.00 overdue. Please pay at your next group meeting on Wed 4 Mar."})
}

// REMIND <PIN> <group>: the group must exist and be the officer's.
func TestRemindOneGroupMustBeTheOfficers(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{})
	s.fin.AddGroup(fineractsim.Group{ID: 9, Name: "Jirani", StaffID: otherStaff, ClientIDs: []int64{42, 44}, Meeting: weekly(33)})
	wantReplies(t, "another officer's group", s.send("REMIND "+pin+" 9"), "Group 9 is not one of your groups.")
	wantReplies(t, "unknown group", s.send("REMIND "+pin+" 99"), "There is no group 99.")
	if q := s.queued(); len(q) != 0 {
		t.Fatalf("reminders queued: %+v", q)
	}
}

// A client gets at most one reminder in 24 hours, however often REMIND is
// sent and from whom.
func TestRemindAtMostOncePerClientIn24Hours(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{})
	const colleague = "+254722000013"
	s.enrol(colleague, fineractsim.SeedStaffPeter, "Faith Akinyi", "624815")
	wantReplies(t, "first REMIND", s.send("REMIND "+pin+" 7"), "Reminders queued for 2 client(s), 7,205.88 overdue in total.")
	s.now = s.now.Add(time.Hour)
	allReminded := "Every client with an overdue loan in group 7 was already reminded in the last 24 hours."
	wantReplies(t, "second REMIND", s.send("REMIND "+pin+" 7"), allReminded)
	wantReplies(t, "another officer's REMIND", s.sendFrom(colleague, pdu.SenderInternational, "REMIND 624815 7"), allReminded)
	wantReplies(t, "all groups", s.send("REMIND "+pin),
		"Every client with an overdue loan in your groups was already reminded in the last 24 hours.")
	wantSMS(t, s.queued(), aminaReminder, johnReminder)
	s.now = s.now.Add(23*time.Hour + time.Minute)
	wantReplies(t, "next day", s.send("REMIND "+pin+" 7"), "Reminders queued for 2 client(s), 7,205.88 overdue in total.")
	if n := len(s.queued()); n != 4 {
		t.Fatalf("%d reminders queued after a day, want 4", n)
	}
}

// The summary tells how many were reminded already.
func TestRemindSummaryCountsClientsRemindedAlready(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{})
	s.fin.AddGroup(fineractsim.Group{ID: 8, Name: "Tumaini", StaffID: fineractsim.SeedStaffPeter, ClientIDs: []int64{42}, Meeting: weekly(32)})
	wantReplies(t, "group 8", s.send("REMIND "+pin+" 8"), "Reminders queued for 1 client(s), 2,725.08 overdue in total.")
	wantReplies(t, "group 7", s.send("REMIND "+pin+" 7"),
		"Reminders queued for 1 client(s), 4,480.80 overdue in total. 1 client(s) were already reminded in the last 24 hours.")
	wantSMS(t, s.queued(), aminaReminder, johnReminder)
}

// A group where no one is in arrears is told so.
func TestRemindNoneWhenNobodyIsOverdue(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{})
	s.fin.AddGroup(fineractsim.Group{ID: 8, Name: "Tumaini", StaffID: fineractsim.SeedStaffPeter, ClientIDs: []int64{43, 45}, Meeting: weekly(32)})
	wantReplies(t, "REMIND", s.send("REMIND "+pin+" 8"), "No client in group 8 has an overdue loan.")
	if q := s.queued(); len(q) != 0 {
		t.Fatalf("reminders queued: %+v", q)
	}
}

// A group without a next meeting asks the client to pay soon instead.
func TestRemindWithoutNextMeetingAsksToPaySoon(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{})
	s.fin.AddGroup(fineractsim.Group{ID: 8, Name: "Tumaini", StaffID: fineractsim.SeedStaffPeter, ClientIDs: []int64{44}})
	wantReplies(t, "REMIND", s.send("REMIND "+pin+" 8"), "Reminders queued for 1 client(s), 4,480.80 overdue in total.")
	wantSMS(t, s.queued(), sms{fineractsim.SeedJohnPhone, "Dear John Kamau, your loan 000000985 has KES 4,480.80 overdue. Please pay as soon as you can."})
}

// A client with two overdue loans gets one reminder: the first loan's (by
// the BAL order); the summary counts the client once.
func TestRemindTwoOverdueLoansOnlyTheFirst(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{})
	s.addClient(fineractsim.Client{ID: 324, Firstname: "Wanjiku", Lastname: "Njoroge", MobileNo: "+254711000324"})
	s.addLoan(996, 324, 8, specDay.AddDate(0, -1, 0), specDay.AddDate(0, 0, -7), "500")  // disbursed later
	s.addLoan(997, 324, 8, specDay.AddDate(0, -3, 0), specDay.AddDate(0, 0, -20), "300") // L1
	s.fin.AddGroup(fineractsim.Group{ID: 8, Name: "Tumaini", StaffID: fineractsim.SeedStaffPeter, ClientIDs: []int64{324}, Meeting: weekly(32)})
	wantReplies(t, "REMIND", s.send("REMIND "+pin+" 8"), "Reminders queued for 1 client(s), 300.00 overdue in total.")
	wantSMS(t, s.queued(), sms{"+254711000324", "Dear Wanjiku Njoroge, your loan 000000997 has KES 300.00 overdue. Please pay at your next group meeting on Wed 4 Mar."})
}

// REMIND posts nothing: it is neither held as a repeat nor counted against
// a ceiling.
func TestRemindPostsNothingAndIsNeitherHeldNorCeiled(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{MaxDaily: 1, MaxItem: 1})
	wantReplies(t, "REMIND", s.send("REMIND "+pin+" 7"), "Reminders queued for 2 client(s), 7,205.88 overdue in total.")
	s.wantNothingPosted("REMIND")
	wantReplies(t, "REMIND again", s.send("REMIND "+pin+" 7"),
		"Every client with an overdue loan in group 7 was already reminded in the last 24 hours.")
	wantReplies(t, "PAY within the ceiling", s.send("PAY "+pin+" 42 S=1"))
}

// The keyword in any case, or in Swahili (KUMBUSHA).
func TestRemindKeywordInAnyCaseOrKUMBUSHA(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{})
	wantReplies(t, "kumbusha", s.send("kumbusha "+pin+" 7"), "Reminders queued for 2 client(s), 7,205.88 overdue in total.")
	wantSMS(t, s.queued(), aminaReminder, johnReminder)
}
