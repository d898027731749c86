package fineractsim

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

func nextID[V any](m map[int64]V, id int64, floor int64) int64 {
	if id != 0 {
		return id
	}
	n := floor
	for k := range m {
		n = max(n, k+1)
	}
	return n
}

// AddOffice adds or renames an office (office 1 exists from the start).
func (s *Server) AddOffice(id int64, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.offices[id] = name
}

// AddPaymentType adds a payment type (GET /paymenttypes).
func (s *Server) AddPaymentType(id int64, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.payTypes[id] = name
}

// AddStaff adds a staff member and returns its id.
func (s *Server) AddStaff(st Staff) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	st.ID = nextID(s.staff, st.ID, 1)
	if st.OfficeID == 0 {
		st.OfficeID = 1
	}
	if st.DisplayName == "" {
		st.DisplayName = strings.TrimSpace(st.Firstname + " " + st.Lastname)
	}
	s.staff[st.ID] = &st
	return st.ID
}

// AddClient adds a client and returns its id.
func (s *Server) AddClient(c Client) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	c.ID = nextID(s.clients, c.ID, 1)
	if c.AccountNo == "" {
		c.AccountNo = accountNo(c.ID)
	}
	if c.StatusID == 0 {
		c.StatusID = 300
	}
	if c.OfficeID == 0 {
		c.OfficeID = 1
	}
	if c.DisplayName == "" {
		c.DisplayName = strings.TrimSpace(c.Firstname + " " + c.Lastname)
	}
	c.ActivationDate = day(c.ActivationDate)
	s.clients[c.ID] = &c
	return c.ID
}

// AddLoan adds a loan and returns its id. It panics on a loan that cannot be
// served (unknown client, no installments, active but not disbursed): seeds
// are test code, and a broken one should stop the test at once. An
// application (status 100 or 200) may give its terms instead of its
// installments (Loan.NumberOfRepayments); one added as approved (200)
// is recorded as approved on ApprovedOn by nobody in particular.
func (s *Server) AddLoan(l Loan) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.clients[l.ClientID]; !ok {
		panic(fmt.Sprintf("fineractsim: AddLoan: client %d does not exist", l.ClientID))
	}
	application := l.StatusID == 100 || l.StatusID == 200
	if len(l.Installments) == 0 && !(application && l.NumberOfRepayments > 0) {
		panic("fineractsim: AddLoan: a loan needs installments (an application: installments or NumberOfRepayments)")
	}
	l.ID = nextID(s.loans, l.ID, 1)
	if l.AccountNo == "" {
		l.AccountNo = accountNo(l.ID)
	}
	if l.StatusID == 0 {
		l.StatusID = 300
	}
	if l.StatusID >= 300 && l.StatusID != 400 && l.StatusID != 500 && l.DisbursedOn.IsZero() {
		panic("fineractsim: AddLoan: a disbursed loan needs DisbursedOn")
	}
	l.SubmittedOn, l.DisbursedOn = day(l.SubmittedOn), day(l.DisbursedOn)
	if l.SubmittedOn.IsZero() {
		l.SubmittedOn = l.DisbursedOn
	}
	l.ExpectedDisbursement = day(l.ExpectedDisbursement)
	if l.ExpectedDisbursement.IsZero() {
		l.ExpectedDisbursement = l.SubmittedOn
		if !l.DisbursedOn.IsZero() {
			l.ExpectedDisbursement = l.DisbursedOn
		}
	}
	l.FirstRepaymentOn = day(l.FirstRepaymentOn)
	if len(l.Installments) == 0 {
		l.Installments = l.generated()
	}
	if l.StatusID == 200 {
		on := day(l.ApprovedOn)
		if on.IsZero() {
			on = l.SubmittedOn
		}
		s.loanActs[l.ID] = &loanActions{approvedOn: on}
	}
	ls := &loanState{Loan: l}
	if l.StatusID == 200 {
		ls.approvedPrincipal = l.Principal
	}
	for _, in := range l.Installments {
		in.DueDate = day(in.DueDate)
		ls.inst = append(ls.inst, instState{Installment: in})
	}
	slices.SortStableFunc(ls.inst, func(a, b instState) int { return a.DueDate.Compare(b.DueDate) })
	ls.Installments = nil
	s.loans[l.ID] = ls
	if !ls.disbursed() {
		return l.ID
	}
	s.nextLoanTxn++
	s.loanTxns = append(s.loanTxns, &LoanTxn{ID: s.nextLoanTxn, LoanID: l.ID, Type: "Disbursement",
		Date: l.DisbursedOn, Amount: l.Principal, Principal: l.Principal, Outstanding: l.Principal, SubmittedOn: l.DisbursedOn})
	// Paid amounts become repayments on their due date, or today if that is earlier.
	for i := range ls.inst {
		paid := ls.inst[i].Paid
		if paid == 0 {
			continue
		}
		on := ls.inst[i].DueDate
		if on.After(s.today()) {
			on = s.today()
		}
		s.postRepayment(l.ID, on, paid, "", 0, "", "")
	}
	return l.ID
}

// AddSavings adds a savings account and returns its id.
func (s *Server) AddSavings(sv Savings) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.clients[sv.ClientID]; !ok {
		panic(fmt.Sprintf("fineractsim: AddSavings: client %d does not exist", sv.ClientID))
	}
	sv.ID = nextID(s.savings, sv.ID, 1)
	if sv.AccountNo == "" {
		sv.AccountNo = accountNo(sv.ID)
	}
	if sv.StatusID == 0 {
		sv.StatusID = 300
	}
	sv.ActivatedOn = day(sv.ActivatedOn)
	st := &savingsState{Savings: sv}
	s.savings[sv.ID] = st
	if sv.Balance > 0 {
		s.postDeposit(sv.ID, sv.ActivatedOn, sv.Balance, 0, "", "Opening balance")
	}
	return sv.ID
}

// AddGroup adds a group and returns its id.
func (s *Server) AddGroup(g Group) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	g.ID = nextID(s.groups, g.ID, 1)
	if g.AccountNo == "" {
		g.AccountNo = accountNo(g.ID)
	}
	if g.OfficeID == 0 {
		g.OfficeID = 1
	}
	g.ClientIDs = slices.Clone(g.ClientIDs)
	if g.Meeting != nil {
		m := *g.Meeting
		m.StartDate = day(m.StartDate)
		g.Meeting = &m
	}
	s.groups[g.ID] = &g
	return g.ID
}

// ReverseLoanTransaction reverses a loan transaction the way Fineract
// itself does (undoing a disbursal, reprocessing a back-dated payment):
// manually false keeps manuallyReversed false and the externalId, so the
// external-id lookup still finds it and says nothing of the reversal, while
// the loan's transactions no longer list it. manually true is a person's
// adjustment to 0: listed, with manuallyReversed. The loan is reprocessed.
func (s *Server) ReverseLoanTransaction(txnID int64, manually bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range s.loanTxns {
		if t.ID != txnID {
			continue
		}
		if t.Reversed || t.Type != "Repayment" {
			return fmt.Errorf("fineractsim: transaction %d is reversed already or not a repayment", txnID)
		}
		t.Reversed, t.ManuallyReversed = true, manually
		s.reallocate(s.loans[t.LoanID])
		return nil
	}
	return fmt.Errorf("fineractsim: no loan transaction %d", txnID)
}

// ReverseSavingsTransaction is command=reverse on a savings transaction
// (see adjustSavingsTxn): reversed, plus a copy flagged isReversal.
func (s *Server) ReverseSavingsTransaction(savingsID, txnID int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if rep := s.adjustSavingsTxn(savingsID, txnID, "reverse", true); rep.status != 200 {
		return fmt.Errorf("fineractsim: reverse savings transaction %d: %s", txnID, rep.body)
	}
	return nil
}

// AddDeposits posts n deposits of amount on a savings account, dated on,
// with receipts prefix1, prefix2...: a long account history in one call.
func (s *Server) AddDeposits(savingsID int64, n int, amount Amount, on time.Time, prefix string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.savings[savingsID]; !ok {
		panic(fmt.Sprintf("fineractsim: AddDeposits: savings %d does not exist", savingsID))
	}
	for i := 1; i <= n; i++ {
		s.postDeposit(savingsID, day(on), amount, 1, fmt.Sprint(prefix, i), "")
	}
}

// LoanTransactions returns copies of a loan's transactions, oldest first.
func (s *Server) LoanTransactions(loanID int64) []LoanTxn {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []LoanTxn
	for _, t := range s.loanTxns {
		if t.LoanID == loanID {
			out = append(out, *t)
		}
	}
	return out
}

// SavingsTransactions returns copies of an account's transactions, oldest first.
func (s *Server) SavingsTransactions(id int64) []SavingsTxn {
	s.mu.Lock()
	defer s.mu.Unlock()
	sv, ok := s.savings[id]
	if !ok {
		return nil
	}
	out := make([]SavingsTxn, len(sv.txns))
	for i, t := range sv.txns {
		out[i] = *t
	}
	return out
}

// LoanOutstanding is summary.totalOutstanding as decimal text ("" if unknown).
func (s *Server) LoanOutstanding(loanID int64) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	l, ok := s.loans[loanID]
	if !ok {
		return ""
	}
	return l.totalOutstanding().String()
}

// LoanStatus is the loan's status id (300 active, 600 closed, 700 overpaid); 0 if unknown.
func (s *Server) LoanStatus(loanID int64) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if l, ok := s.loans[loanID]; ok {
		return l.StatusID
	}
	return 0
}

// SavingsBalance is summary.accountBalance as decimal text ("" if unknown).
func (s *Server) SavingsBalance(id int64) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	sv, ok := s.savings[id]
	if !ok {
		return ""
	}
	return sv.balance.String()
}
