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
