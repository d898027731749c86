package fineractsim

import "time"

// Ids and phone numbers of the Seed data set (a Kenyan branch).
const (
	SeedOffice       = 1
	SeedStaffPeter   = 12
	SeedPeterPhone   = "+254722000012"
	SeedPaymentCash  = 1
	SeedPaymentMpesa = 3

	SeedClientAmina = 42
	SeedAminaPhone  = "+254712345678" // stored in E.164
	SeedClientGrace = 43
	SeedGracePhone  = "0722111222" // stored in national format
	SeedClientJohn  = 44
	SeedJohnPhone   = "+254733444555"
	SeedClientMary  = 45 // no phone, no accounts

	// SeedLoanAmina is active, JLG in group 7: six monthly installments of
	// 3750.08 (the last 3750.10); two paid, the third overdue with 1025.00 paid.
	SeedLoanAmina = 981
	// SeedLoanAmina2 is active, individual, disbursed 20 days before the
	// business date: twelve installments of 1437.50, the first due in 10 days.
	SeedLoanAmina2 = 982
	// SeedLoanGrace is active, JLG, not in arrears: 1874.91 a month, the
	// first (due 5 days ago) paid.
	SeedLoanGrace = 983
	// SeedLoanGracePending is submitted and pending approval (status 100).
	SeedLoanGracePending = 984
	// SeedLoanJohn is active, JLG, in arrears: 2240.40 a month, the first
	// paid, the next two overdue.
	SeedLoanJohn = 985

	SeedSavingsAmina = 77 // balance 3150.00
	SeedSavingsGrace = 78 // balance 1200.50

	SeedGroupUmoja    = 7
	SeedCalendarUmoja = 31

	// SeedOfficeAhero is a sub-branch below SeedOffice: a user of
	// SeedOffice sees its loans, a user of SeedOfficeAhero only its own.
	SeedOfficeAhero  = 2
	SeedStaffJane    = 14 // branch manager, not a loan officer
	SeedStaffOmondi  = 15 // loan officer at Ahero
	SeedClientFaith  = 46 // Ahero
	SeedFaithPhone   = "+254711000046"
	SeedClientBrian  = 47 // Kisumu
	SeedBrianPhone   = "+254711000047"
	SeedLoanFaith    = 986 // pending approval (100), Ahero, 12000.00 applied
	SeedLoanBrian    = 987 // pending approval (100), Kisumu, 30000.00 applied
	SeedLoanBrianOld = 988 // approved (200), awaiting disbursal, 8000.00

	// Mobile disbursement: loans approved and waiting for disbursal (200),
	// each with its schedule generated from the expected disbursement
	// date. Four are in Peter's second group, Tujenge, whose members all
	// have a mobile number; one's client has none; one is at Ahero.
	SeedGroupTujenge    = 10
	SeedCalendarTujenge = 32
	SeedClientRose      = 48 // Tujenge
	SeedRosePhone       = "+254711000048"
	SeedClientLucy      = 49           // Tujenge
	SeedLucyPhone       = "0711000049" // stored in national format
	SeedClientJoyce     = 50           // Tujenge
	SeedJoycePhone      = "+254711000050"
	SeedClientMercy     = 51 // Tujenge
	SeedMercyPhone      = "+254711000051"
	SeedClientBeatrice  = 52 // no mobile number, Kisumu, Peter's
	SeedClientDaniel    = 53 // Ahero, Omondi's
	SeedDanielPhone     = "+254711000053"
	// SeedLoanRose: 20,000.00, Biashara 6M, expected today: six monthly
	// installments of 3,750.00 (3,333.33 principal + 416.67 interest; the
	// last principal 3,333.35), the first a month after disbursement.
	SeedLoanRose = 1001
	// SeedLoanLucy: 15,000.00, Biashara 6M, expected 3 days ago: a
	// disbursal today dates the schedule again from today.
	SeedLoanLucy = 1002
	// SeedLoanJoyce: 25,000.00, Biashara 6M, expected in 2 days.
	SeedLoanJoyce = 1003
	// SeedLoanMercy: 10,000.00, Haraka 16W: sixteen weekly installments
	// of 625.00 + 48.08 interest, expected today.
	SeedLoanMercy = 1004
	// SeedLoanBeatrice: 12,000.00, Biashara 6M, individual; the client has
	// no mobile number.
	SeedLoanBeatrice = 1005
	// SeedLoanDaniel: 18,000.00, Kilimo 12M, Ahero (another office).
	SeedLoanDaniel = 1006

	// App users (passwords below are test data, not secrets). The box's
	// own user stays Options.Username with ALL_FUNCTIONS.
	SeedManager         = "jakinyi" // branch manager, Kisumu: approves and rejects; records and undoes repayments and deposits
	SeedManagerPassword = "Kisumu-2024!"
	SeedAheroManager    = "aochieng" // branch manager, Ahero only
	SeedAheroPassword   = "Ahero-2024!"
	SeedTeller          = "teller1" // teller, Kisumu: reads, repayments, no approval
	SeedTellerPassword  = "Teller-2024!"
	SeedAdmin           = "admin" // ALL_FUNCTIONS
	SeedAdminPassword   = "Admin-2024!"
)

// Seed loads the default data set, dated relative to the business date. The
// Umoja group meets weekly two weekdays after the business date's weekday, so
// the business date itself is never a meeting date.
func (s *Server) Seed() {
	b := s.BusinessDate()
	at := func(months, days int) time.Time { return b.AddDate(0, months, days) }
	s.AddOffice(SeedOffice, "Kisumu Branch")
	s.AddPaymentType(SeedPaymentCash, "Cash")
	s.AddPaymentType(SeedPaymentMpesa, "M-PESA")
	s.AddStaff(Staff{ID: SeedStaffPeter, Firstname: "Peter", Lastname: "Otieno", MobileNo: SeedPeterPhone,
		OfficeID: SeedOffice, IsLoanOfficer: true})
	since := at(-12, 0)
	s.AddClient(Client{ID: SeedClientAmina, Firstname: "Amina", Lastname: "Odhiambo", MobileNo: SeedAminaPhone,
		StaffID: SeedStaffPeter, ActivationDate: since})
	s.AddClient(Client{ID: SeedClientGrace, Firstname: "Grace", Lastname: "Wanjiru", MobileNo: SeedGracePhone,
		StaffID: SeedStaffPeter, ActivationDate: since})
	s.AddClient(Client{ID: SeedClientJohn, Firstname: "John", Lastname: "Kamau", MobileNo: SeedJohnPhone,
		StaffID: SeedStaffPeter, ActivationDate: since})
	s.AddClient(Client{ID: SeedClientMary, Firstname: "Mary", Lastname: "Achieng", StaffID: SeedStaffPeter,
		ActivationDate: since})

	var amina []Installment
	for k := range 6 {
		in := Installment{DueDate: at(k-2, -10), Principal: MustAmount("3333.33"), Interest: MustAmount("416.75")}
		if k == 5 {
			in.Principal = MustAmount("3333.35")
		}
		switch k {
		case 0, 1:
			in.Paid = in.Principal + in.Interest
		case 2:
			in.Paid = MustAmount("1025.00")
		}
		amina = append(amina, in)
	}
	s.AddLoan(Loan{ID: SeedLoanAmina, ClientID: SeedClientAmina, GroupID: SeedGroupUmoja, ProductID: 1,
		ProductName: "Biashara 6M", ShortProductName: "BI6", LoanOfficerID: SeedStaffPeter,
		Principal: MustAmount("20000"), DisbursedOn: at(-3, -10), Installments: amina})

	var amina2 []Installment
	for k := range 12 {
		amina2 = append(amina2, Installment{DueDate: at(k, 10), Principal: MustAmount("1250"), Interest: MustAmount("187.50")})
	}
	s.AddLoan(Loan{ID: SeedLoanAmina2, ClientID: SeedClientAmina, ProductID: 2, ProductName: "Kilimo 12M",
		ShortProductName: "KI12", LoanOfficerID: SeedStaffPeter, Principal: MustAmount("15000"),
		DisbursedOn: at(0, -20), Installments: amina2})

	var grace []Installment
	for k := range 6 {
		in := Installment{DueDate: at(k, -5), Principal: MustAmount("1666.66"), Interest: MustAmount("208.25")}
		if k == 5 {
			in.Principal = MustAmount("1666.70")
		}
		if k == 0 {
			in.Paid = in.Principal + in.Interest
		}
		grace = append(grace, in)
	}
	s.AddLoan(Loan{ID: SeedLoanGrace, ClientID: SeedClientGrace, GroupID: SeedGroupUmoja, ProductID: 1,
		ProductName: "Biashara 6M", ShortProductName: "BI6", LoanOfficerID: SeedStaffPeter,
		Principal: MustAmount("10000"), DisbursedOn: at(-1, -5), Installments: grace})

	var pending []Installment
	for k := range 4 {
		pending = append(pending, Installment{DueDate: at(k+1, 0), Principal: MustAmount("1250"), Interest: MustAmount("100")})
	}
	s.AddLoan(Loan{ID: SeedLoanGracePending, ClientID: SeedClientGrace, ProductID: 3, ProductName: "Dharura 4M",
		ShortProductName: "DH4", StatusID: 100, LoanOfficerID: SeedStaffPeter, Principal: MustAmount("5000"),
		SubmittedOn: at(0, -2), Installments: pending})

	var john []Installment
	for k := range 4 {
		in := Installment{DueDate: at(k-2, -15), Principal: MustAmount("2000"), Interest: MustAmount("240.40")}
		if k == 0 {
			in.Paid = in.Principal + in.Interest
		}
		john = append(john, in)
	}
	// Dues: 2m15d ago (paid), 1m15d and 15d ago (overdue), in 1m-15d.
	s.AddLoan(Loan{ID: SeedLoanJohn, ClientID: SeedClientJohn, GroupID: SeedGroupUmoja, ProductID: 1,
		ProductName: "Biashara 6M", ShortProductName: "BI6", LoanOfficerID: SeedStaffPeter,
		Principal: MustAmount("8000"), DisbursedOn: at(-3, -15), Installments: john})

	s.AddSavings(Savings{ID: SeedSavingsAmina, ClientID: SeedClientAmina, ProductID: 1, ProductName: "Voluntary Savings",
		ShortProductName: "VS", Balance: MustAmount("3150.00"), ActivatedOn: since})
	s.AddSavings(Savings{ID: SeedSavingsGrace, ClientID: SeedClientGrace, ProductID: 1, ProductName: "Voluntary Savings",
		ShortProductName: "VS", Balance: MustAmount("1200.50"), ActivatedOn: since})

	s.seedApprovals(b)
	s.seedDisbursements(b)

	s.AddGroup(Group{ID: SeedGroupUmoja, Name: "Umoja Women Group", OfficeID: SeedOffice, StaffID: SeedStaffPeter,
		ClientIDs: []int64{SeedClientAmina, SeedClientGrace, SeedClientJohn},
		Meeting: &Calendar{ID: SeedCalendarUmoja, Title: "Umoja weekly meeting", StartDate: at(-6, 0),
			Weekday: (b.Weekday() + 2) % 7, Interval: 1}})
}

// seedApprovals adds the sub-branch, the app users, and the loan
// applications of the console's approval page.
func (s *Server) seedApprovals(b time.Time) {
	at := func(months, days int) time.Time { return b.AddDate(0, months, days) }
	s.AddOfficeUnder(SeedOfficeAhero, SeedOffice, "Ahero Sub-branch")
	s.AddStaff(Staff{ID: SeedStaffJane, Firstname: "Jane", Lastname: "Akinyi", MobileNo: "+254722000014", OfficeID: SeedOffice})
	s.AddStaff(Staff{ID: SeedStaffOmondi, Firstname: "Paul", Lastname: "Omondi", MobileNo: "+254722000015",
		OfficeID: SeedOfficeAhero, IsLoanOfficer: true})
	s.AddUser(User{ID: 5, Username: SeedManager, Password: SeedManagerPassword, Firstname: "Jane", Lastname: "Akinyi",
		OfficeID: SeedOffice, StaffID: SeedStaffJane, Roles: []string{"Branch Manager"},
		Permissions: []string{"READ_LOAN", "READ_CLIENT", "READ_GROUP", "READ_STAFF", "APPROVE_LOAN", "REJECT_LOAN", "DISBURSE_LOAN",
			"REPAYMENT_LOAN", "DEPOSIT_SAVINGSACCOUNT", "UNDOTRANSACTION_LOAN", "UNDOTRANSACTION_SAVINGSACCOUNT"}})
	s.AddUser(User{ID: 6, Username: SeedAheroManager, Password: SeedAheroPassword, Firstname: "Alice", Lastname: "Ochieng",
		OfficeID: SeedOfficeAhero, Roles: []string{"Branch Manager"},
		Permissions: []string{"READ_LOAN", "READ_CLIENT", "APPROVE_LOAN", "REJECT_LOAN"}})
	s.AddUser(User{ID: 7, Username: SeedTeller, Password: SeedTellerPassword, Firstname: "Tom", Lastname: "Were",
		OfficeID: SeedOffice, Roles: []string{"Teller"},
		Permissions: []string{"READ_LOAN", "READ_CLIENT", "REPAYMENT_LOAN", "DEPOSIT_SAVINGSACCOUNT"}})
	s.AddUser(User{ID: 8, Username: SeedAdmin, Password: SeedAdminPassword, Firstname: "Mifos", Lastname: "Admin",
		OfficeID: SeedOffice, Roles: []string{"Super user"}, Permissions: []string{"ALL_FUNCTIONS"}})

	s.AddClient(Client{ID: SeedClientFaith, Firstname: "Faith", Lastname: "Atieno", MobileNo: SeedFaithPhone,
		OfficeID: SeedOfficeAhero, StaffID: SeedStaffOmondi, ActivationDate: at(-6, 0)})
	s.AddClient(Client{ID: SeedClientBrian, Firstname: "Brian", Lastname: "Otieno", MobileNo: SeedBrianPhone,
		StaffID: SeedStaffPeter, ActivationDate: at(-8, 0)})
	monthly := func(n int, principal, interest string) []Installment {
		var out []Installment
		for k := range n {
			out = append(out, Installment{DueDate: at(k+1, 7), Principal: MustAmount(principal), Interest: MustAmount(interest)})
		}
		return out
	}
	s.AddLoan(Loan{ID: SeedLoanFaith, ClientID: SeedClientFaith, ProductID: 2, ProductName: "Kilimo 12M",
		ShortProductName: "KI12", StatusID: 100, LoanOfficerID: SeedStaffOmondi, Principal: MustAmount("12000"),
		SubmittedOn: at(0, -3), ExpectedDisbursement: at(0, 7), Installments: monthly(12, "1000", "150")})
	s.AddLoan(Loan{ID: SeedLoanBrian, ClientID: SeedClientBrian, ProductID: 1, ProductName: "Biashara 6M",
		ShortProductName: "BI6", StatusID: 100, LoanOfficerID: SeedStaffPeter, Principal: MustAmount("30000"),
		SubmittedOn: at(0, -1), ExpectedDisbursement: at(0, 5), Installments: monthly(6, "5000", "625")})
	s.AddLoan(Loan{ID: SeedLoanBrianOld, ClientID: SeedClientBrian, ProductID: 3, ProductName: "Dharura 4M",
		ShortProductName: "DH4", StatusID: 200, LoanOfficerID: SeedStaffPeter, Principal: MustAmount("8000"),
		SubmittedOn: at(0, -10), ExpectedDisbursement: at(0, 0), Installments: monthly(4, "2000", "160")})
	s.mu.Lock()
	s.loanActs[SeedLoanBrianOld] = &loanActions{approvedOn: at(0, -8), approvedBy: s.users[SeedManager]}
	s.mu.Unlock()
}

// seedDisbursements adds the approved loans waiting for disbursal that the
// mobile disbursement pages list, with Peter's second group.
func (s *Server) seedDisbursements(b time.Time) {
	at := func(days int) time.Time { return b.AddDate(0, 0, days) }
	type client struct {
		id                 int64
		first, last, phone string
		office, staff      int64
	}
	for _, c := range []client{
		{SeedClientRose, "Rose", "Nyambura", SeedRosePhone, SeedOffice, SeedStaffPeter},
		{SeedClientLucy, "Lucy", "Wairimu", SeedLucyPhone, SeedOffice, SeedStaffPeter},
		{SeedClientJoyce, "Joyce", "Adhiambo", SeedJoycePhone, SeedOffice, SeedStaffPeter},
		{SeedClientMercy, "Mercy", "Njoki", SeedMercyPhone, SeedOffice, SeedStaffPeter},
		{SeedClientBeatrice, "Beatrice", "Auma", "", SeedOffice, SeedStaffPeter},
		{SeedClientDaniel, "Daniel", "Kiprop", SeedDanielPhone, SeedOfficeAhero, SeedStaffOmondi},
	} {
		s.AddClient(Client{ID: c.id, Firstname: c.first, Lastname: c.last, MobileNo: c.phone, OfficeID: c.office,
			StaffID: c.staff, ActivationDate: b.AddDate(0, -4, 0)})
	}
	s.AddGroup(Group{ID: SeedGroupTujenge, Name: "Tujenge Women Group", OfficeID: SeedOffice, StaffID: SeedStaffPeter,
		ClientIDs: []int64{SeedClientRose, SeedClientLucy, SeedClientJoyce, SeedClientMercy},
		Meeting: &Calendar{ID: SeedCalendarTujenge, Title: "Tujenge weekly meeting", StartDate: b.AddDate(0, -4, 0),
			Weekday: (b.Weekday() + 3) % 7, Interval: 1}})
	type loan struct {
		id, client, group, officer int64
		principal                  string
		product                    int64
		expected, approved         int // days from the business date
	}
	products := map[int64]Loan{
		1: {ProductName: "Biashara 6M", ShortProductName: "BI6", NumberOfRepayments: 6, AnnualInterestRate: MustAmount("25")},
		2: {ProductName: "Kilimo 12M", ShortProductName: "KI12", NumberOfRepayments: 12, AnnualInterestRate: MustAmount("18")},
		4: {ProductName: "Haraka 16W", ShortProductName: "HA16", NumberOfRepayments: 16, AnnualInterestRate: MustAmount("25"),
			RepaymentFrequency: Weekly},
	}
	for _, l := range []loan{
		{SeedLoanRose, SeedClientRose, SeedGroupTujenge, SeedStaffPeter, "20000", 1, 0, -2},
		{SeedLoanLucy, SeedClientLucy, SeedGroupTujenge, SeedStaffPeter, "15000", 1, -3, -5},
		{SeedLoanJoyce, SeedClientJoyce, SeedGroupTujenge, SeedStaffPeter, "25000", 1, 2, -1},
		{SeedLoanMercy, SeedClientMercy, SeedGroupTujenge, SeedStaffPeter, "10000", 4, 0, -2},
		{SeedLoanBeatrice, SeedClientBeatrice, 0, SeedStaffPeter, "12000", 1, 0, -3},
		{SeedLoanDaniel, SeedClientDaniel, 0, SeedStaffOmondi, "18000", 2, 0, -4},
	} {
		p := products[l.product]
		p.ID, p.ClientID, p.GroupID, p.LoanOfficerID, p.ProductID = l.id, l.client, l.group, l.officer, l.product
		p.StatusID, p.Principal = 200, MustAmount(l.principal)
		p.SubmittedOn, p.ApprovedOn, p.ExpectedDisbursement = at(l.approved-7), at(l.approved), at(l.expected)
		s.AddLoan(p)
		s.mu.Lock()
		approver := s.users[SeedManager]
		if l.officer == SeedStaffOmondi {
			approver = s.users[SeedAheroManager]
		}
		s.loanActs[l.id].approvedBy = approver
		s.mu.Unlock()
	}
}
