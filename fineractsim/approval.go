package fineractsim

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Loan applications: the list of loans by status (GET /loans), and the
// commands that move an application on (POST /loans/{id}?command=approve,
// reject, disburse), each performed as the user the request names, who is
// recorded in the loan's timeline (docs/fineract.md, "Console sign-in and
// approval").

// loanActions is who moved a loan on, and when.
type loanActions struct {
	approvedOn, rejectedOn time.Time
	approvedBy, rejectedBy *User
	disbursedBy            *User
}

// The key sets of the three commands (LoanApplicationTransitionValidator,
// LoanDisbursementValidator).
var (
	approveKeys = []string{"loanId", "approvedLoanAmount", "approvedOnDate", "netDisbursalAmount", "note", "locale",
		"dateFormat", "disbursementData", "expectedDisbursementDate"}
	rejectKeys   = []string{"rejectedOnDate", "note", "locale", "dateFormat"}
	disburseKeys = append([]string{"actualDisbursementDate", "transactionAmount", "netDisbursalAmount", "fixedEmiAmount",
		"externalId", "note", "locale", "dateFormat", "adjustRepaymentDate", "postDatedChecks"}, paymentDetailKeys...)
)

// stateTransition is InvalidLoanStateTransitionException: a 403 domain
// rule with the code error.msg.loan.<action>.<postfix>.
func stateTransition(action, postfix, msg string, args ...any) reply {
	return domainRule("error.msg.loan."+action+"."+postfix, msg, args...)
}

// generalError is a 400 PlatformApiDataValidationException carrying one
// ApiParameterError.generalError (parameterName "id").
func generalError(code, msg string) reply {
	return validation(param(code, msg, "id", nil))
}

// officeOf is the loan's office: its client's. Caller holds mu.
func (s *Server) officeOf(l *loanState) int64 {
	if c, ok := s.clients[l.ClientID]; ok {
		return c.OfficeID
	}
	return 1
}

// visibleLoan is the loan if the user's office hierarchy covers it. A
// loan outside it is "not found", as Fineract's read filters by the
// office hierarchy. Caller holds mu.
func (s *Server) visibleLoan(u *User, id int64) (*loanState, bool) {
	l, ok := s.loans[id]
	if !ok {
		return nil, false
	}
	if u != nil && !s.inHierarchy(u.OfficeID, s.officeOf(l)) {
		return nil, false
	}
	return l, true
}

// timeline adds who approved, rejected or disbursed the loan, as
// LoanApplicationTimelineData does. Caller holds mu.
func (s *Server) timeline(l *loanState, t anyMap) anyMap {
	t["expectedDisbursementDate"] = jdate(l.ExpectedDisbursement)
	a, ok := s.loanActs[l.ID]
	if !ok {
		return t
	}
	who := func(prefix string, u *User) {
		if u != nil {
			t[prefix+"Username"], t[prefix+"Firstname"], t[prefix+"Lastname"] = u.Username, u.Firstname, u.Lastname
		}
	}
	if !a.approvedOn.IsZero() {
		t["approvedOnDate"] = jdate(a.approvedOn)
		who("approvedBy", a.approvedBy)
	}
	if !a.rejectedOn.IsZero() {
		t["rejectedOnDate"] = jdate(a.rejectedOn)
		who("rejectedBy", a.rejectedBy)
	}
	who("disbursedBy", a.disbursedBy)
	return t
}

// approvalFields adds what a loan shows of its application: the
// principal proposed and approved. Caller holds mu.
func (s *Server) approvalFields(l *loanState, m anyMap) {
	m["proposedPrincipal"] = l.proposed()
	m["officeId"] = s.officeOf(l)
	if l.GroupID != 0 {
		if g, ok := s.groups[l.GroupID]; ok {
			m["group"] = anyMap{"id": g.ID, "name": g.Name}
		}
	}
}

// proposed is the principal the client applied for.
func (l *loanState) proposed() Amount {
	if l.proposedPrincipal != 0 {
		return l.proposedPrincipal
	}
	return l.Principal
}

// loanList is GET /loans. From 1.9: status (the numeric loan_status_id),
// externalId, accountNo, offset, limit (default 200, 0 or less: all),
// orderBy/sortOrder; any other parameter, sqlSearch included, is ignored.
// Before 1.9: sqlSearch (this stand-in understands only
// "l.loan_status_id=N"), and status is ignored. Only loans of the user's
// office and the offices below it. Caller holds mu.
func (s *Server) loanList(u *User, q url.Values) reply {
	status := 0
	if s.opts.Before19 {
		if sql := strings.TrimSpace(q.Get("sqlSearch")); sql != "" {
			m := sqlStatus.FindStringSubmatch(sql)
			if m == nil {
				// Fineract 1.8 runs any (validated) SQL; the stand-in knows one form.
				msg := "fineractsim understands only sqlSearch=l.loan_status_id=N"
				return validation(param("validation.msg.fineractsim.sqlsearch.unsupported", msg, "sqlSearch", sql))
			}
			status, _ = strconv.Atoi(m[1])
		}
	} else if v := q.Get("status"); v != "" {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			// Jersey cannot convert the query parameter: a plain 404.
			return reply{status: 404, body: []byte("Not Found")}
		}
		status = n
	}
	offset, limit := 0, 200
	if v := q.Get("offset"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return reply{status: 404, body: []byte("Not Found")}
		}
		offset = max(n, 0)
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return reply{status: 404, body: []byte("Not Found")}
		}
		limit = n // 0 or less: no limit (PaginationParameters.getCheckedLimit)
	}
	var match []*loanState
	for _, id := range sortedKeys(s.loans) {
		l := s.loans[id]
		if status != 0 && l.StatusID != status {
			continue
		}
		if v := q.Get("externalId"); v != "" && l.ExternalID != v {
			continue
		}
		if v := q.Get("accountNo"); v != "" && l.AccountNo != v {
			continue
		}
		if u != nil && !s.inHierarchy(u.OfficeID, s.officeOf(l)) {
			continue
		}
		match = append(match, l)
	}
	if strings.EqualFold(q.Get("sortOrder"), "desc") {
		for i, j := 0, len(match)-1; i < j; i, j = i+1, j-1 {
			match[i], match[j] = match[j], match[i]
		}
	}
	page := []anyMap{}
	for i := offset; i < len(match) && (limit <= 0 || len(page) < limit); i++ {
		page = append(page, s.loanJSON(match[i], ""))
	}
	return jsonReply(200, anyMap{"totalFilteredRecords": len(match), "pageItems": page})
}

// sqlStatus is the one sqlSearch form the stand-in runs.
var sqlStatus = regexp.MustCompile(`^(?:l\.)?loan_status_id\s*=\s*(\d+)$`)

// loanCommand runs POST /loans/{id}?command=approve|reject|disburse as
// user u. Caller holds mu.
func (s *Server) loanCommand(u *User, id int64, cmd string, raw []byte, commit bool) reply {
	switch cmd {
	case "approve":
		return s.approveLoan(u, id, raw, commit)
	case "reject":
		return s.rejectLoan(u, id, raw, commit)
	}
	return s.disburseLoan(u, id, raw, commit)
}

// loanResult is the CommandProcessingResult of a loan command.
func (s *Server) loanResult(l *loanState, changes anyMap) reply {
	return jsonReply(200, anyMap{"officeId": s.officeOf(l), "clientId": l.ClientID, "loanId": l.ID,
		"resourceId": l.ID, "changes": changes})
}

// approveLoan is command=approve (Loan.loanApplicationApproval).
func (s *Server) approveLoan(u *User, id int64, raw []byte, commit bool) reply {
	b, bad := parseBody(raw, "loanapplication")
	if bad != nil {
		return *bad
	}
	if bad := checkKeys(b.m, approveKeys); bad != nil {
		return *bad
	}
	on := b.mandatoryDate("approvedOnDate")
	amt, hasAmt := b.positiveAmount("approvedLoanAmount")
	b.positiveAmount("netDisbursalAmount")
	expected, hasExpected := b.date("expectedDisbursementDate")
	b.maxLen("note", 1000)
	if bad := b.result(); bad != nil {
		return *bad
	}
	l, bad := s.loanToActOn(u, id)
	if bad != nil {
		return *bad
	}
	if l.StatusID != 100 {
		return generalError("error.msg.loan.approve.account.is.not.submitted.and.pending.state",
			"Loan Account Approval is not allowed. Loan Account is not in submitted and pending approval state.")
	}
	if hasAmt && amt > l.proposed() {
		return stateTransition("approval", "amount.can't.be.greater.than.loan.amount.demanded",
			"Loan approved amount can't be greater than loan amount demanded.", l.proposed(), amt)
	}
	if on.Before(l.SubmittedOn) {
		return stateTransition("approval", "cannot.be.before.submittal.date",
			"The date on which a loan is approved cannot be before its submittal date: "+isoDate(l.SubmittedOn),
			isoDate(on), isoDate(l.SubmittedOn))
	}
	if hasExpected && expected.Before(on) {
		return stateTransition("expecteddisbursal", "should.be.on.or.after.approval.date",
			"The expected disbursement date should be either on or after the approval date: "+isoDate(on),
			isoDate(on), isoDate(expected))
	}
	if on.After(s.today()) {
		return stateTransition("approval", "cannot.be.a.future.date",
			"The date on which a loan is approved cannot be in the future.", isoDate(on))
	}
	if !commit {
		return reply{status: 200}
	}
	changes := changes(b, "approvedOnDate", "locale", "dateFormat", "expectedDisbursementDate", "note")
	if hasAmt && amt != l.Principal {
		l.rescale(l.currency().money(amt))
		changes["approvedLoanAmount"] = amt
	}
	if hasExpected {
		l.ExpectedDisbursement = expected
	}
	l.StatusID = 200
	l.approvedPrincipal = l.Principal
	s.loanActs[l.ID] = &loanActions{approvedOn: on, approvedBy: u}
	changes["status"] = loanStatus(200)
	return s.loanResult(l, changes)
}

// approved is the principal the approval set (Fineract's
// approvedPrincipal; before any approval, the principal).
func (l *loanState) approved() Amount {
	if l.approvedPrincipal != 0 {
		return l.approvedPrincipal
	}
	return l.Principal
}

// rescale makes the approved amount the loan's principal (Fineract
// regenerates the schedule from it): each installment's principal and
// interest shrink in proportion, the last one taking what rounding left.
func (l *loanState) rescale(approved Amount) {
	if l.proposedPrincipal == 0 {
		l.proposedPrincipal = l.Principal
	}
	old := l.Principal
	var left = approved
	for i := range l.inst {
		in := &l.inst[i]
		if i == len(l.inst)-1 {
			in.Principal = left
		} else {
			in.Principal = Amount(int64(in.Principal) * int64(approved) / int64(old))
			left -= in.Principal
		}
		in.Interest = Amount(int64(in.Interest) * int64(approved) / int64(old))
	}
	l.Principal = approved
}

// rejectLoan is command=reject (LoanApplicationTransitionValidator.validateRejection).
func (s *Server) rejectLoan(u *User, id int64, raw []byte, commit bool) reply {
	b, bad := parseBody(raw, "loanapplication")
	if bad != nil {
		return *bad
	}
	if bad := checkKeys(b.m, rejectKeys); bad != nil {
		return *bad
	}
	on := b.mandatoryDate("rejectedOnDate")
	b.maxLen("note", 1000)
	if bad := b.result(); bad != nil {
		return *bad
	}
	l, bad := s.loanToActOn(u, id)
	if bad != nil {
		return *bad
	}
	if l.StatusID != 100 {
		return generalError("error.msg.loan.reject.account.is.not.submitted.pending.approval.state",
			"Loan application cannot be rejected. Loan Account is not in Submitted and Pending approval state.")
	}
	if on.Before(l.SubmittedOn) {
		return stateTransition("reject", "cannot.be.before.submittal.date",
			"The date on which a loan is rejected cannot be before its submittal date: "+isoDate(l.SubmittedOn),
			isoDate(on), isoDate(l.SubmittedOn))
	}
	if on.After(s.today()) {
		return stateTransition("reject", "cannot.be.a.future.date",
			"The date on which a loan is rejected cannot be in the future.", isoDate(on))
	}
	if !commit {
		return reply{status: 200}
	}
	l.StatusID = 500
	l.closedOn = on
	s.loanActs[l.ID] = &loanActions{rejectedOn: on, rejectedBy: u}
	changes := changes(b, "rejectedOnDate", "locale", "dateFormat", "note")
	changes["status"] = loanStatus(500)
	changes["closedOnDate"] = isoDate(on)
	return s.loanResult(l, changes)
}

// disburseLoan is command=disburse: an approved loan is paid out and
// becomes active (300). The checks come in Fineract's order
// (LoanTransactionValidator.validateDisbursement, then
// LoanWritePlatformServiceJpaRepositoryImpl.disburseLoan and
// Loan.handleDisbursementTransaction); the duplicate externalId is the
// database's, found when the transaction is saved.
func (s *Server) disburseLoan(u *User, id int64, raw []byte, commit bool) reply {
	b, bad := parseBody(raw, "loan.disbursement")
	if bad != nil {
		return *bad
	}
	if bad := checkKeys(b.m, disburseKeys); bad != nil {
		return *bad
	}
	on := b.mandatoryDate("actualDisbursementDate")
	amt, hasAmt := b.positiveAmount("transactionAmount")
	b.positiveAmount("netDisbursalAmount")
	var pt int64
	if b.has("paymentTypeId") {
		if n, ok := b.integer("paymentTypeId"); ok {
			pt = n
			if n <= 0 {
				b.fail("paymentTypeId", "not.greater.than.zero", "The parameter `paymentTypeId` must be greater than 0.", n)
			}
		}
	}
	ext := b.maxLen("externalId", 100)
	for _, k := range []string{"accountNumber", "checkNumber", "routingCode", "receiptNumber", "bankNumber"} {
		b.maxLen(k, 50)
	}
	b.maxLen("note", 1000)
	if bad := b.result(); bad != nil {
		return *bad
	}
	l, bad := s.loanToActOn(u, id)
	if bad != nil {
		return *bad
	}
	if c := s.clients[l.ClientID]; c.StatusID != 300 {
		return domainRule("error.msg.client.not.active.exception", fmt.Sprintf("The Client with id `%d` is not active", c.ID), c.ID)
	}
	if bad := s.disbursementDayChecks(l); bad != nil {
		return *bad
	}
	var approvedOn time.Time
	if a, ok := s.loanActs[l.ID]; ok {
		approvedOn = a.approvedOn
	}
	if !approvedOn.IsZero() && on.Before(approvedOn) {
		return stateTransition("disbursal", "cannot.be.before.approval.date",
			"The date on which a loan is disbursed cannot be before its approval date: "+isoDate(approvedOn),
			isoDate(on), isoDate(approvedOn))
	}
	// Collected among the validation errors, thrown after the checks above.
	if l.StatusID != 200 {
		return generalError("error.msg.loan.disbursal.account.is.not.approve.not.disbursed.state",
			"Loan Disbursal is not allowed. Loan Account is not in approved and not disbursed state.")
	}
	if pt != 0 {
		if _, ok := s.payTypes[pt]; !ok {
			return paymentTypeNotFound(pt)
		}
	}
	// Loan.adjustDisburseAmount compares the amount sent, before any
	// rounding, with the approved principal.
	if hasAmt && amt > l.Principal {
		return domainRule("error.msg.loan.disburse.amount.must.be.less.than.approved.amount",
			"Loan can't be disbursed,disburse amount is exceeding approved amount ", amt, l.Principal)
	}
	paid := l.Principal
	if hasAmt {
		paid = l.currency().money(amt)
	}
	// Another date than expected, or another amount, makes Fineract
	// generate the schedule again from the actual date.
	dues := make([]time.Time, len(l.inst))
	for i := range l.inst {
		dues[i] = l.inst[i].DueDate
	}
	if !on.Equal(l.ExpectedDisbursement) || paid != l.Principal {
		dues = l.dueDates(on, len(l.inst))
	}
	if first := l.FirstRepaymentOn; !first.IsZero() && (on.After(dues[0]) || on.After(first)) {
		return stateTransition("disbursal", "cannot.be.after.expected.first.repayment.date",
			"submittedOnDate cannot be after the loans  expectedFirstRepaymentOnDate: "+isoDate(first), isoDate(on), isoDate(first))
	}
	if on.After(s.today()) {
		return stateTransition("disbursal", "cannot.be.a.future.date",
			"The date on which a loan with identifier : "+l.AccountNo+" is disbursed cannot be in the future.", isoDate(on))
	}
	if ext != "" {
		if _, dup := s.loanTxnByExt[ext]; dup {
			return s.duplicateExternalID(ext)
		}
	}
	if !commit {
		return reply{status: 200}
	}
	if paid != l.Principal {
		l.rescale(paid)
	}
	for i := range l.inst {
		l.inst[i].DueDate = dues[i]
	}
	l.StatusID, l.DisbursedOn = 300, on
	acts, ok := s.loanActs[l.ID]
	if !ok {
		acts = &loanActions{}
		s.loanActs[l.ID] = acts
	}
	acts.disbursedBy = u
	receipt, _ := b.str("receiptNumber")
	if pt == 0 {
		// PaymentDetailWritePlatformService: no payment type, no payment
		// details; the receipt number is dropped without a word.
		receipt = ""
	}
	note, _ := b.str("note")
	s.nextLoanTxn++
	t := &LoanTxn{ID: s.nextLoanTxn, LoanID: l.ID, Type: "Disbursement", Date: on, Amount: paid, Principal: paid,
		Outstanding: paid, ExternalID: ext, PaymentTypeID: pt, ReceiptNumber: receipt, Note: note, SubmittedOn: s.today()}
	s.loanTxns = append(s.loanTxns, t)
	if ext != "" {
		s.loanTxnByExt[ext] = t
	}
	ch := changes(b, "actualDisbursementDate", "locale", "dateFormat", "note")
	if pt != 0 {
		for k, v := range changes(b, "paymentTypeId", "accountNumber", "checkNumber", "routingCode", "receiptNumber", "bankNumber") {
			ch[k] = v
		}
	}
	ch["status"] = loanStatus(300)
	res := anyMap{"officeId": s.officeOf(l), "clientId": l.ClientID, "loanId": l.ID, "resourceId": l.ID, "changes": ch}
	if l.GroupID != 0 {
		res["groupId"] = l.GroupID
	}
	// The disbursement transaction as the sub-resource came with 1.9.
	if !s.opts.Before19 {
		res["subResourceId"] = t.ID
		if ext != "" {
			res["subResourceExternalId"] = ext
		}
		if l.ExternalID != "" {
			res["resourceExternalId"] = l.ExternalID
		}
	}
	return jsonReply(200, res)
}

// disbursementDayChecks are the validator's checks of the loan's
// disbursement date against the working days, then the holidays. Before
// the loan is disbursed that date is the expected one (Loan.
// getDisbursementDate), not the date sent: Fineract refuses a disbursal
// today because of the date the application expected. Caller holds mu.
func (s *Server) disbursementDayChecks(l *loanState) *reply {
	date := l.ExpectedDisbursement
	if !l.DisbursedOn.IsZero() {
		date = l.DisbursedOn
	}
	if !s.allowOnNonWorkingDay && len(s.workingDays) > 0 && !slices.Contains(s.workingDays, date.Weekday()) {
		r := domainRule("error.msg.loan.application.disbursement.date.on.non.working.day",
			"Expected disbursement date cannot be on a non working day", isoDate(l.ExpectedDisbursement))
		return &r
	}
	if !s.allowOnHoliday {
		office := s.officeOf(l)
		for _, h := range s.holidays {
			if (len(h.OfficeIDs) == 0 || slices.Contains(h.OfficeIDs, office)) && !date.Before(h.From) && !date.After(h.To) {
				r := domainRule("error.msg.loan.application.disbursement.date.on.holiday",
					"Expected disbursement date cannot be on a holiday", isoDate(l.ExpectedDisbursement))
				return &r
			}
		}
	}
	return nil
}

// Disbursals are every disbursement transaction ever made on the loan,
// undone ones included, oldest first: what proves a loan was paid out in
// Fineract once.
func (s *Server) Disbursals(loanID int64) []LoanTxn {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []LoanTxn
	for _, t := range s.loanTxns {
		if t.LoanID == loanID && t.Type == "Disbursement" {
			out = append(out, *t)
		}
	}
	return out
}

// LoanApprovedBy is the username that approved the loan ("" if none).
func (s *Server) LoanApprovedBy(loanID int64) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a, ok := s.loanActs[loanID]; ok && a.approvedBy != nil {
		return a.approvedBy.Username
	}
	return ""
}

// loanToActOn is the loan u may act on: 404 when there is none, 403 when
// it is in an office outside u's.
func (s *Server) loanToActOn(u *User, id int64) (*loanState, *reply) {
	if l, ok := s.visibleLoan(u, id); ok {
		return l, nil
	}
	if _, exists := s.loans[id]; exists {
		r := notAuthorized("User does not have sufficient priviledges to act on the provided office.")
		return nil, &r
	}
	r := loanNotFound(id)
	return nil, &r
}
