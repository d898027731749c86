package fineractsim

import (
	"cmp"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// enum is Fineract's {id, code, value} object.
type enum struct {
	ID    int    `json:"id"`
	Code  string `json:"code"`
	Value string `json:"value"`
}

func (s *Server) businessDate() reply {
	// findByType reads the table whatever the feature's setting.
	if s.bizDate.IsZero() {
		return notFound("error.msg.businessdate.not.found", "Business date with type `BUSINESS_DATE` is not found.", "BUSINESS_DATE")
	}
	return jsonReply(200, map[string]any{"description": "Business Date", "type": "BUSINESS_DATE", "date": jdate(s.bizDate)})
}

func (s *Server) paymentTypes() reply {
	type pt struct {
		ID              int64  `json:"id"`
		Name            string `json:"name"`
		Description     string `json:"description"`
		IsCashPayment   bool   `json:"isCashPayment"`
		Position        int    `json:"position"`
		IsSystemDefined bool   `json:"isSystemDefined"`
	}
	out := []pt{}
	for i, id := range sortedKeys(s.payTypes) {
		n := s.payTypes[id]
		out = append(out, pt{ID: id, Name: n, Description: n, IsCashPayment: strings.EqualFold(n, "cash"), Position: i + 1})
	}
	return jsonReply(200, out)
}

func clientStatus(id int) enum {
	switch id {
	case 100:
		return enum{100, "clientStatusType.pending", "Pending"}
	case 600:
		return enum{600, "clientStatusType.closed", "Closed"}
	case 700:
		return enum{700, "clientStatusType.rejected", "Rejected"}
	case 800:
		return enum{800, "clientStatusType.withdrawn", "Withdrawn"}
	}
	return enum{300, "clientStatusType.active", "Active"}
}

// search is GET /search: clients whose account_no, display_name, external_id
// or mobile_no equals the query (exactMatch=true) or contains it.
func (s *Server) search(q url.Values) reply {
	query := q.Get("query")
	if query == "" {
		return validation(param("validation.msg.search.query.cannot.be.blank", "The parameter `query` is mandatory.", "query", nil))
	}
	exact := q.Get("exactMatch") == "true"
	type hit struct {
		EntityID         int64  `json:"entityId"`
		EntityAccountNo  string `json:"entityAccountNo"`
		EntityExternalID string `json:"entityExternalId,omitempty"`
		EntityName       string `json:"entityName"`
		EntityType       string `json:"entityType"`
		EntityMobileNo   string `json:"entityMobileNo,omitempty"`
		EntityStatus     enum   `json:"entityStatus"`
		ParentID         int64  `json:"parentId"`
		ParentName       string `json:"parentName"`
		ParentType       string `json:"parentType"`
	}
	out := []hit{}
	resources := q.Get("resource")
	wants := func(r string) bool { return resources == "" || slices.Contains(strings.Split(resources, ","), r) }
	match := func(v string) bool {
		if v == "" {
			return false
		}
		if exact {
			return v == query
		}
		return strings.Contains(strings.ToLower(v), strings.ToLower(query))
	}
	// Loans and savings match on account_no or external_id; their parent
	// is the client (Fineract: IFNULL(c.id, g.id)).
	if wants("loans") {
		for _, id := range sortedKeys(s.loans) {
			l := s.loans[id]
			if !(match(l.AccountNo) || match(l.ExternalID)) || len(out) == 50 {
				continue
			}
			out = append(out, hit{l.ID, l.AccountNo, l.ExternalID, l.ProductName, "LOAN", "",
				enum{l.StatusID, "loanStatusType", ""}, l.ClientID, s.clients[l.ClientID].DisplayName, "client"})
		}
	}
	if wants("savings") {
		for _, id := range sortedKeys(s.savings) {
			sv := s.savings[id]
			if !(match(sv.AccountNo) || match(sv.ExternalID)) || len(out) == 50 {
				continue
			}
			out = append(out, hit{sv.ID, sv.AccountNo, sv.ExternalID, sv.ProductName, "SAVING", "",
				enum{sv.StatusID, "savingsAccountStatusType", ""}, sv.ClientID, s.clients[sv.ClientID].DisplayName, "client"})
		}
	}
	if !wants("clients") {
		return jsonReply(200, out)
	}
	for _, id := range sortedKeys(s.clients) {
		c := s.clients[id]
		if !(match(c.AccountNo) || match(c.DisplayName) || match(c.ExternalID) || match(c.MobileNo)) {
			continue
		}
		out = append(out, hit{c.ID, c.AccountNo, c.ExternalID, c.DisplayName, "CLIENT", c.MobileNo,
			clientStatus(c.StatusID), c.OfficeID, s.offices[c.OfficeID], "office"})
		if len(out) == 50 {
			break
		}
	}
	return jsonReply(200, out)
}

// clientSearchV2 is POST /v2/clients/search: LIKE %text% over account number,
// display name, external id and mobile number; a Spring Page via Jackson.
func (s *Server) clientSearchV2(raw []byte) reply {
	var req struct {
		Request struct {
			Text string `json:"text"`
		} `json:"request"`
		Page *int `json:"page"`
		Size *int `json:"size"`
	}
	if json.Unmarshal(raw, &req) != nil {
		return invalidJSON()
	}
	page, size := 0, 50
	if req.Page != nil {
		page = *req.Page
	}
	if req.Size != nil {
		size = *req.Size
	}
	if page < 0 || size < 1 {
		return validation(param("validation.msg.search.page.invalid", "page must be >= 0 and size >= 1", "page", nil))
	}
	type item struct {
		ID             int64  `json:"id"`
		DisplayName    string `json:"displayName"`
		ExternalID     string `json:"externalId,omitempty"`
		AccountNumber  string `json:"accountNumber"`
		OfficeID       int64  `json:"officeId"`
		OfficeName     string `json:"officeName"`
		MobileNo       string `json:"mobileNo,omitempty"`
		Status         enum   `json:"status"`
		ActivationDate string `json:"activationDate,omitempty"`
	}
	text := strings.ToLower(req.Request.Text)
	var all []item
	for _, id := range sortedKeys(s.clients) {
		c := s.clients[id]
		hit := false
		for _, v := range []string{c.AccountNo, c.DisplayName, c.ExternalID, c.MobileNo} {
			if v != "" && strings.Contains(strings.ToLower(v), text) {
				hit = true
			}
		}
		if !hit {
			continue
		}
		it := item{ID: c.ID, DisplayName: c.DisplayName, ExternalID: c.ExternalID, AccountNumber: c.AccountNo,
			OfficeID: c.OfficeID, OfficeName: s.offices[c.OfficeID], MobileNo: c.MobileNo, Status: clientStatus(c.StatusID)}
		if !c.ActivationDate.IsZero() {
			it.ActivationDate = isoDate(c.ActivationDate)
		}
		all = append(all, it)
	}
	content := []item{}
	if from := page * size; from < len(all) {
		content = all[from:min(from+size, len(all))]
	}
	total := len(all)
	pages := (total + size - 1) / size
	return jsonReply(200, map[string]any{
		"content": content, "totalElements": total, "totalPages": pages, "number": page, "size": size,
		"numberOfElements": len(content), "first": page == 0, "last": page >= pages-1, "empty": len(content) == 0,
	})
}

type clientJSON struct {
	ID             int64    `json:"id"`
	AccountNo      string   `json:"accountNo"`
	ExternalID     string   `json:"externalId,omitempty"`
	Status         enum     `json:"status"`
	Active         bool     `json:"active"`
	ActivationDate jdate    `json:"activationDate,omitzero"`
	Firstname      string   `json:"firstname,omitempty"`
	Lastname       string   `json:"lastname,omitempty"`
	DisplayName    string   `json:"displayName"`
	MobileNo       string   `json:"mobileNo,omitempty"`
	OfficeID       int64    `json:"officeId"`
	OfficeName     string   `json:"officeName"`
	StaffID        int64    `json:"staffId,omitempty"`
	StaffName      string   `json:"staffName,omitempty"`
	Groups         []anyMap `json:"groups,omitempty"`
	Timeline       anyMap   `json:"timeline,omitempty"`
}

type anyMap = map[string]any

func (s *Server) clientJSON(c *Client, withGroups bool) clientJSON {
	out := clientJSON{ID: c.ID, AccountNo: c.AccountNo, ExternalID: c.ExternalID, Status: clientStatus(c.StatusID),
		Active: c.StatusID == 300, ActivationDate: jdate(c.ActivationDate), Firstname: c.Firstname, Lastname: c.Lastname,
		DisplayName: c.DisplayName, MobileNo: c.MobileNo, OfficeID: c.OfficeID, OfficeName: s.offices[c.OfficeID], StaffID: c.StaffID}
	if st, ok := s.staff[c.StaffID]; ok {
		out.StaffName = st.DisplayName
	}
	if !c.ActivationDate.IsZero() {
		out.Timeline = anyMap{"activatedOnDate": jdate(c.ActivationDate), "submittedOnDate": jdate(c.ActivationDate)}
	}
	if withGroups {
		out.Groups = []anyMap{}
		for _, gid := range sortedKeys(s.groups) {
			g := s.groups[gid]
			if slices.Contains(g.ClientIDs, c.ID) {
				out.Groups = append(out.Groups, anyMap{"id": g.ID, "accountNo": g.AccountNo, "name": g.Name,
					"officeId": g.OfficeID, "officeName": s.offices[g.OfficeID]})
			}
		}
	}
	return out
}

func (s *Server) client(id int64) reply {
	c, ok := s.clients[id]
	if !ok {
		return clientNotFound(id)
	}
	return jsonReply(200, s.clientJSON(c, true))
}

func clientNotFound(id int64) reply {
	return notFound("error.msg.client.id.invalid", fmt.Sprintf("Client with identifier %d does not exist", id), id)
}

// loanStatus is LoanStatusEnumData with its flags.
func loanStatus(id int) anyMap {
	names := map[int][2]string{
		100: {"loanStatusType.submitted.and.pending.approval", "Submitted and pending approval"},
		200: {"loanStatusType.approved", "Approved"},
		300: {"loanStatusType.active", "Active"},
		400: {"loanStatusType.withdrawn.by.client", "Withdrawn by applicant"},
		500: {"loanStatusType.rejected", "Rejected"},
		600: {"loanStatusType.closed.obligations.met", "Closed (obligations met)"},
		601: {"loanStatusType.closed.written.off", "Closed (written off)"},
		602: {"loanStatusType.closed.reschedule.outstanding.amount", "Closed (rescheduled)"},
		700: {"loanStatusType.overpaid", "Overpaid"},
	}
	n := names[id]
	return anyMap{"id": id, "code": n[0], "value": n[1],
		"pendingApproval": id == 100, "waitingForDisbursal": id == 200, "active": id == 300,
		"closedObligationsMet": id == 600, "closedWrittenOff": id == 601, "closedRescheduled": id == 602,
		"closed": id >= 600 && id < 700, "overpaid": id == 700}
}

func savingsStatus(id int) anyMap {
	names := map[int][2]string{
		100: {"savingsAccountStatusType.submitted.and.pending.approval", "Submitted and pending approval"},
		200: {"savingsAccountStatusType.approved", "Approved"},
		300: {"savingsAccountStatusType.active", "Active"},
		600: {"savingsAccountStatusType.closed", "Closed"},
	}
	n := names[id]
	return anyMap{"id": id, "code": n[0], "value": n[1],
		"submittedAndPendingApproval": id == 100, "approved": id == 200, "rejected": id == 500,
		"withdrawnByApplicant": id == 400, "active": id == 300, "closed": id == 600, "prematureClosed": id == 700,
		"transferInProgress": id == 303, "transferOnHold": id == 304, "matured": id == 800}
}

// loanFigures are the derived totals of a loan at the business date.
type loanFigures struct {
	principalPaid, interestCharged, interestPaid, feesCharged, feesPaid, penaltiesCharged, penaltiesPaid Amount
	expected, repaid, outstanding, overdue                                                               Amount
	overdueSince, nextDue                                                                                time.Time
}

func (s *Server) figures(l *loanState) loanFigures {
	var f loanFigures
	for i := range l.inst {
		in := &l.inst[i]
		f.principalPaid += in.principalPaid
		f.interestCharged += in.Interest
		f.interestPaid += in.interestPaid
		f.feesCharged += in.Fees
		f.feesPaid += in.feesPaid
		f.penaltiesCharged += in.Penalties
		f.penaltiesPaid += in.penaltiesPaid
		f.expected += in.due()
		f.repaid += in.paid()
		f.outstanding += in.outstanding()
		if in.outstanding() > 0 {
			if f.nextDue.IsZero() {
				f.nextDue = in.DueDate
			}
			if in.DueDate.Before(s.today()) {
				f.overdue += in.outstanding()
				if f.overdueSince.IsZero() {
					f.overdueSince = in.DueDate
				}
			}
		}
	}
	f.repaid += l.overpaid
	return f
}

// nz omits a zero amount (Fineract's "default to null if zero" summaries).
func nz(a Amount) any {
	if a == 0 {
		return nil
	}
	return a
}

// compact drops nil values, as Gson does.
func compact(m anyMap) anyMap {
	for k, v := range m {
		if v == nil {
			delete(m, k)
		}
		if d, ok := v.(jdate); ok && d.IsZero() {
			delete(m, k)
		}
		if s, ok := v.(string); ok && s == "" {
			delete(m, k)
		}
	}
	return m
}

func (s *Server) clientAccounts(id int64) reply {
	if _, ok := s.clients[id]; !ok {
		return clientNotFound(id)
	}
	loans := []anyMap{}
	for _, lid := range sortedKeys(s.loans) {
		l := s.loans[lid]
		if l.ClientID != id {
			continue
		}
		f := s.figures(l)
		m := compact(anyMap{"id": l.ID, "accountNo": l.AccountNo, "externalId": l.ExternalID,
			"productId": l.ProductID, "productName": l.ProductName, "shortProductName": l.ShortProductName,
			"status": loanStatus(l.StatusID), "currency": l.currency(),
			"loanType": enum{1, "accountType.individual", "Individual"}, "loanCycle": 1,
			"timeline":  compact(anyMap{"submittedOnDate": jdate(l.SubmittedOn), "actualDisbursementDate": jdate(l.DisbursedOn)}),
			"inArrears": l.StatusID == 300 && f.overdue > 0})
		if l.disbursed() {
			m["originalLoan"] = nz(l.Principal)
			m["loanBalance"] = nz(f.outstanding)
			m["amountPaid"] = nz(f.repaid)
			compact(m)
		}
		if l.GroupID != 0 {
			m["loanType"] = enum{3, "accountType.jlg", "JLG"}
		}
		loans = append(loans, m)
	}
	savings := []anyMap{}
	for _, sid := range sortedKeys(s.savings) {
		sv := s.savings[sid]
		if sv.ClientID != id {
			continue
		}
		savings = append(savings, compact(anyMap{"id": sv.ID, "accountNo": sv.AccountNo, "externalId": sv.ExternalID,
			"productId": sv.ProductID, "productName": sv.ProductName, "shortProductName": sv.ShortProductName,
			"status": savingsStatus(sv.StatusID), "currency": sv.currency(), "accountBalance": nz(sv.balance),
			"accountType": enum{1, "accountType.individual", "Individual"},
			"depositType": sv.depositType(),
			"timeline":    compact(anyMap{"activatedOnDate": jdate(sv.ActivatedOn)})}))
	}
	return jsonReply(200, anyMap{"loanAccounts": loans, "savingsAccounts": savings})
}

func loanNotFound(id int64) reply {
	return notFound("error.msg.loan.id.invalid", fmt.Sprintf("Loan with identifier %d does not exist", id), id)
}

func (s *Server) loan(id int64, associations string) reply {
	l, ok := s.loans[id]
	if !ok {
		return loanNotFound(id)
	}
	return jsonReply(200, s.loanJSON(l, associations))
}

// loanJSON is LoanAccountData, with the associations asked for. Caller holds mu.
func (s *Server) loanJSON(l *loanState, associations string) anyMap {
	assoc := strings.Split(associations, ",")
	want := func(a string) bool { return slices.Contains(assoc, a) || slices.Contains(assoc, "all") }
	f := s.figures(l)
	c := s.clients[l.ClientID]
	m := compact(anyMap{"id": l.ID, "accountNo": l.AccountNo, "externalId": l.ExternalID,
		"status": loanStatus(l.StatusID), "clientId": l.ClientID, "clientAccountNo": c.AccountNo,
		"clientName": c.DisplayName, "clientOfficeId": c.OfficeID, "loanProductId": l.ProductID,
		"loanProductName": l.ProductName, "loanOfficerId": l.LoanOfficerID, "currency": l.currency(),
		"principal": l.Principal, "approvedPrincipal": l.approved(), "numberOfRepayments": len(l.inst),
		"repaymentEvery": l.every(), "repaymentFrequencyType": l.RepaymentFrequency.enum(),
		"expectedFirstRepaymentOnDate": jdate(l.FirstRepaymentOn),
		"inArrears":                    l.StatusID == 300 && f.overdue > 0, "isNPA": false, "chargedOff": false,
		"totalOverpaid": nz(l.overpaid),
		"timeline": s.timeline(l, compact(anyMap{"submittedOnDate": jdate(l.SubmittedOn), "actualDisbursementDate": jdate(l.DisbursedOn),
			"expectedMaturityDate": jdate(l.inst[len(l.inst)-1].DueDate), "closedOnDate": jdate(l.closedOn)})),
	})
	s.approvalFields(l, m)
	if st, ok := s.staff[l.LoanOfficerID]; ok {
		m["loanOfficerName"] = st.DisplayName
	}
	if l.GroupID != 0 {
		m["group"] = anyMap{"id": l.GroupID, "name": s.groups[l.GroupID].Name}
		m["loanType"] = enum{3, "accountType.jlg", "JLG"}
	} else {
		m["loanType"] = enum{1, "accountType.individual", "Individual"}
	}
	disbursed := l.disbursed()
	if disbursed {
		m["summary"] = compact(anyMap{"currency": l.currency(),
			"principalDisbursed": l.Principal, "principalPaid": f.principalPaid, "principalWrittenOff": Amount(0),
			"principalOutstanding": l.principalOutstanding(), "principalOverdue": s.overdueOf(l, func(i *instState) Amount { return i.Principal - i.principalPaid }),
			"interestCharged": f.interestCharged, "interestPaid": f.interestPaid, "interestWaived": Amount(0),
			"interestOutstanding": f.interestCharged - f.interestPaid, "interestOverdue": s.overdueOf(l, func(i *instState) Amount { return i.Interest - i.interestPaid }),
			"feeChargesCharged": f.feesCharged, "feeChargesPaid": f.feesPaid, "feeChargesOutstanding": f.feesCharged - f.feesPaid,
			"feeChargesOverdue":     s.overdueOf(l, func(i *instState) Amount { return i.Fees - i.feesPaid }),
			"penaltyChargesCharged": f.penaltiesCharged, "penaltyChargesPaid": f.penaltiesPaid,
			"penaltyChargesOutstanding": f.penaltiesCharged - f.penaltiesPaid,
			"penaltyChargesOverdue":     s.overdueOf(l, func(i *instState) Amount { return i.Penalties - i.penaltiesPaid }),
			"totalExpectedRepayment":    f.expected, "totalRepayment": f.repaid, "totalWaived": Amount(0), "totalWrittenOff": Amount(0),
			"totalOutstanding": f.outstanding, "totalOverdue": f.overdue, "overdueSinceDate": jdate(f.overdueSince),
		})
		del := compact(anyMap{"nextPaymentDueDate": jdate(f.nextDue), "delinquentAmount": f.overdue})
		if !f.overdueSince.IsZero() {
			days := int(s.today().Sub(f.overdueSince).Hours() / 24)
			del["pastDueDays"], del["delinquentDays"], del["delinquentDate"] = days, days, jdate(f.overdueSince)
		}
		if last := s.lastRepayment(l.ID); last != nil {
			del["lastPaymentDate"], del["lastPaymentAmount"] = jdate(last.Date), last.Amount
			del["lastRepaymentDate"], del["lastRepaymentAmount"] = jdate(last.Date), last.Amount
		}
		m["delinquent"] = del
	}
	if want("repaymentSchedule") {
		m["repaymentSchedule"] = s.schedule(l, f)
	}
	if want("transactions") && disbursed {
		txns := []anyMap{}
		// LoanReadPlatformServiceImpl: tr.is_reversed=false or
		// tr.manually_adjusted_or_reversed = true.
		for _, t := range s.loanTxns {
			if t.LoanID == l.ID && (!t.Reversed || t.ManuallyReversed) {
				txns = append(txns, s.loanTxnJSON(t))
			}
		}
		m["transactions"] = txns
	}
	return m
}

func (s *Server) overdueOf(l *loanState, part func(*instState) Amount) Amount {
	var t Amount
	for i := range l.inst {
		if l.inst[i].DueDate.Before(s.today()) {
			t += part(&l.inst[i])
		}
	}
	return t
}

func (s *Server) lastRepayment(loanID int64) *LoanTxn {
	var last *LoanTxn
	for _, t := range s.loanTxns {
		if t.LoanID == loanID && t.Type == "Repayment" && !t.Reversed {
			last = t
		}
	}
	return last
}

func (s *Server) schedule(l *loanState, f loanFigures) anyMap {
	periods := []anyMap{{"dueDate": jdate(l.DisbursedOn), "principalDisbursed": l.Principal,
		"principalLoanBalanceOutstanding": l.Principal, "totalOriginalDueForPeriod": Amount(0), "totalDueForPeriod": Amount(0),
		"totalOutstandingForPeriod": Amount(0), "totalOverdue": Amount(0), "totalActualCostOfLoanForPeriod": Amount(0)}}
	if l.DisbursedOn.IsZero() {
		periods[0]["dueDate"] = jdate(l.SubmittedOn)
	}
	balance := l.Principal
	from := l.DisbursedOn
	if from.IsZero() {
		from = l.SubmittedOn
	}
	var paidAdvance, paidLate Amount
	for i := range l.inst {
		in := &l.inst[i]
		balance -= in.Principal
		out := in.outstanding()
		p := compact(anyMap{"period": i + 1, "fromDate": jdate(from), "dueDate": jdate(in.DueDate),
			"obligationsMetOnDate": jdate(in.metOn), "complete": out == 0,
			"daysInPeriod":         int(in.DueDate.Sub(from).Hours() / 24),
			"principalOriginalDue": in.Principal, "principalDue": in.Principal, "principalPaid": in.principalPaid,
			"principalWrittenOff": Amount(0), "principalOutstanding": in.Principal - in.principalPaid,
			"principalLoanBalanceOutstanding": balance,
			"interestOriginalDue":             in.Interest, "interestDue": in.Interest, "interestPaid": in.interestPaid,
			"interestWaived": Amount(0), "interestWrittenOff": Amount(0), "interestOutstanding": in.Interest - in.interestPaid,
			"feeChargesDue": in.Fees, "feeChargesPaid": in.feesPaid, "feeChargesWaived": Amount(0), "feeChargesWrittenOff": Amount(0),
			"feeChargesOutstanding": in.Fees - in.feesPaid,
			"penaltyChargesDue":     in.Penalties, "penaltyChargesPaid": in.penaltiesPaid, "penaltyChargesWaived": Amount(0),
			"penaltyChargesWrittenOff": Amount(0), "penaltyChargesOutstanding": in.Penalties - in.penaltiesPaid,
			"totalOriginalDueForPeriod": in.due(), "totalDueForPeriod": in.due(), "totalPaidForPeriod": in.paid(),
			"totalPaidInAdvanceForPeriod": in.paidInAdvance, "totalPaidLateForPeriod": in.paidLate,
			"totalWaivedForPeriod": Amount(0), "totalWrittenOffForPeriod": Amount(0),
			"totalOutstandingForPeriod": out, "totalActualCostOfLoanForPeriod": in.Interest + in.Fees + in.Penalties,
			"totalInstallmentAmountForPeriod": in.Principal + in.Interest, "downPaymentPeriod": false,
		})
		if out > 0 && in.DueDate.Before(s.today()) {
			p["totalOverdue"] = out
		}
		paidAdvance += in.paidInAdvance
		paidLate += in.paidLate
		periods = append(periods, p)
		from = in.DueDate
	}
	last := l.inst[len(l.inst)-1].DueDate
	start := l.DisbursedOn
	if start.IsZero() {
		start = l.SubmittedOn
	}
	return anyMap{"currency": l.currency(), "loanTermInDays": int(last.Sub(start).Hours() / 24),
		"totalPrincipalDisbursed": l.Principal, "totalPrincipalExpected": l.Principal, "totalPrincipalPaid": f.principalPaid,
		"totalInterestCharged": f.interestCharged, "totalFeeChargesCharged": f.feesCharged,
		"totalPenaltyChargesCharged": f.penaltiesCharged, "totalRepaymentExpected": f.expected,
		"totalRepayment": f.repaid, "totalPaidInAdvance": paidAdvance, "totalPaidLate": paidLate,
		"totalOutstanding": f.outstanding, "periods": periods}
}

func loanTxnType(t string) anyMap {
	if t == "Disbursement" {
		return anyMap{"id": 1, "code": "loanTransactionType.disbursement", "value": "Disbursement", "disbursement": true, "repayment": false}
	}
	return anyMap{"id": 2, "code": "loanTransactionType.repayment", "value": "Repayment", "disbursement": false, "repayment": true}
}

func (s *Server) paymentDetail(id int64, receipt string) any {
	if id == 0 && receipt == "" {
		return nil
	}
	pd := anyMap{"id": id, "receiptNumber": receipt}
	if id != 0 {
		pd["paymentType"] = anyMap{"id": id, "name": s.payTypes[id]}
	}
	return compact(pd)
}

func (s *Server) loanTxnJSON(t *LoanTxn) anyMap {
	return compact(anyMap{"id": t.ID, "loanId": t.LoanID, "officeId": int64(1), "officeName": s.offices[1],
		"type": loanTxnType(t.Type), "date": jdate(t.Date), "currency": s.loans[t.LoanID].currency(),
		"paymentDetailData": s.paymentDetail(t.PaymentTypeID, t.ReceiptNumber), "amount": t.Amount,
		"netDisbursalAmount": nil, "principalPortion": t.Principal, "interestPortion": t.Interest,
		"feeChargesPortion": t.Fees, "penaltyChargesPortion": t.Penalties, "overpaymentPortion": t.Overpayment,
		"outstandingLoanBalance": t.Outstanding, "submittedOnDate": jdate(t.SubmittedOn),
		"manuallyReversed": t.ManuallyReversed, "externalId": t.ExternalID})
}

func (s *Server) loanTxnByExternalID(loanID int64, ext string) reply {
	t, ok := s.loanTxnByExt[ext]
	if !ok {
		return notFound("error.msg.loan.transaction.external.id.invalid",
			fmt.Sprintf("Loan transaction with external identifier %s does not exist", ext), ext)
	}
	if _, ok := s.loans[loanID]; !ok {
		return loanNotFound(loanID)
	}
	if t.LoanID != loanID {
		return notFound("error.msg.loan.transaction.id.invalid",
			fmt.Sprintf("Transaction with identifier %d does not exist for loan with identifier %d.", t.ID, loanID), t.ID)
	}
	return jsonReply(200, s.loanTxnJSON(t))
}

// loanTxn is GET /loans/{loanId}/transactions/{transactionId}.
func (s *Server) loanTxn(loanID, txnID int64) reply {
	if _, ok := s.loans[loanID]; !ok {
		return loanNotFound(loanID)
	}
	for _, t := range s.loanTxns {
		if t.ID == txnID && t.LoanID == loanID {
			return jsonReply(200, s.loanTxnJSON(t))
		}
	}
	return notFound("error.msg.loan.transaction.id.invalid",
		fmt.Sprintf("Transaction with identifier %d does not exist for loan with identifier %d.", txnID, loanID), txnID)
}

func savingsNotFound(id int64) reply {
	return notFound("error.msg.saving.account.id.invalid", fmt.Sprintf("Savings account with identifier %d does not exist", id), id)
}

func (s *Server) savingsAccount(id int64, associations string) reply {
	sv, ok := s.savings[id]
	if !ok {
		return savingsNotFound(id)
	}
	c := s.clients[sv.ClientID]
	m := compact(anyMap{"id": sv.ID, "accountNo": sv.AccountNo, "externalId": sv.ExternalID,
		"clientId": sv.ClientID, "clientName": c.DisplayName, "savingsProductId": sv.ProductID,
		"savingsProductName": sv.ProductName, "fieldOfficerId": c.StaffID, "status": savingsStatus(sv.StatusID),
		"timeline":                  compact(anyMap{"submittedOnDate": jdate(sv.ActivatedOn), "activatedOnDate": jdate(sv.ActivatedOn)}),
		"currency":                  sv.currency(),
		"depositType":               sv.depositType(),
		"minRequiredBalance":        sv.MinRequiredBalance,
		"enforceMinRequiredBalance": sv.MinRequiredBalance > 0, "allowOverdraft": false,
		"onHoldFunds": nz(sv.OnHold),
		"summary": anyMap{"currency": sv.currency(), "totalDeposits": sv.deposits, "accountBalance": sv.balance,
			"availableBalance": sv.balance - sv.OnHold},
	})
	if slices.Contains(strings.Split(associations, ","), "transactions") || slices.Contains(strings.Split(associations, ","), "all") {
		txns := []anyMap{}
		// retrieveAllTransactions(accountId, DepositAccountType.SAVINGS_DEPOSIT)
		// adds "and sa.deposit_type_enum = 100": a deposit account lists none.
		for _, t := range newestFirst(sv.txns) {
			if sv.depositType().ID == 100 {
				txns = append(txns, s.savingsTxnJSON(sv, t))
			}
		}
		m["transactions"] = txns
	}
	return jsonReply(200, m)
}

// savingsTxnJSON is SavingsAccountTransactionData.
func (s *Server) savingsTxnJSON(sv *savingsState, t *SavingsTxn) anyMap {
	return compact(anyMap{"id": t.ID, "accountId": sv.ID, "accountNo": sv.AccountNo,
		"transactionType": anyMap{"id": 1, "code": "savingsAccountTransactionType.deposit", "value": "Deposit",
			"deposit": true, "withdrawal": false, "interestPosting": false, "feeDeduction": false},
		"date": jdate(t.Date), "currency": sv.currency(), "paymentDetailData": s.paymentDetail(t.PaymentTypeID, t.ReceiptNumber),
		"amount": t.Amount, "runningBalance": t.RunningBalance, "reversed": t.Reversed, "isReversal": t.IsReversal,
		"submittedOnDate": jdate(t.SubmittedOn), "interestedPostedAsOn": false, "note": t.Note})
}

// newestFirst orders savings transactions as retrieveAllTransactions does:
// transaction date, then id, both descending, so a reversal copy (same
// date, newer id) comes before the deposit it reverses.
func newestFirst(txns []*SavingsTxn) []*SavingsTxn {
	out := slices.Clone(txns)
	slices.SortStableFunc(out, func(a, b *SavingsTxn) int {
		if c := b.Date.Compare(a.Date); c != 0 {
			return c
		}
		return cmp.Compare(b.ID, a.ID)
	})
	return out
}

// savingsSearch is GET /savingsaccounts/{id}/transactions/search (1.9+,
// SavingsAccountTransactionsSearchServiceImpl): transactions of the account
// that are not reversal copies, filtered by date (fromDate..toDate, read
// with dateFormat and locale) and type ids, newest first, offset/limit
// paged; a Spring Page serialised by Gson: content, pageable, total.
func (s *Server) savingsSearch(id int64, q url.Values) reply {
	sv, ok := s.savings[id]
	if !ok {
		return savingsNotFound(id)
	}
	format, loc := q.Get("dateFormat"), q.Get("locale")
	if format == "" {
		format = "yyyy-MM-dd"
	}
	bound := func(k string) (time.Time, *reply) {
		v := q.Get(k)
		if v == "" {
			return time.Time{}, nil
		}
		t, err := parseJavaDate(v, format, loc)
		if err != nil {
			r := validation(param("validation.msg.invalid.dateFormat.format", "The parameter `"+k+"` is invalid based on the dateFormat", k, v))
			return time.Time{}, &r
		}
		return t, nil
	}
	from, bad := bound("fromDate")
	if bad != nil {
		return *bad
	}
	to, bad := bound("toDate")
	if bad != nil {
		return *bad
	}
	types := q.Get("types")
	offset, _ := strconv.Atoi(q.Get("offset"))
	limit, _ := strconv.Atoi(q.Get("limit"))
	var match []*SavingsTxn
	for _, t := range newestFirst(sv.txns) {
		switch {
		case t.IsReversal,
			!from.IsZero() && t.Date.Before(from),
			!to.IsZero() && t.Date.After(to),
			types != "" && !slices.Contains(strings.Split(types, ","), "1"): // every stored transaction is a deposit
			continue
		}
		match = append(match, t)
	}
	content := []anyMap{}
	for i := max(offset, 0); i < len(match) && (limit <= 0 || i < offset+limit); i++ {
		content = append(content, s.savingsTxnJSON(sv, match[i]))
	}
	return jsonReply(200, anyMap{"content": content, "total": len(match),
		"pageable": anyMap{"offset": offset, "pageSize": limit, "paged": limit > 0, "unpaged": limit <= 0}})
}

// savingsTxn is GET /savingsaccounts/{id}/transactions/{transactionId}.
func (s *Server) savingsTxn(id, txnID int64) reply {
	sv, ok := s.savings[id]
	if !ok {
		return savingsNotFound(id)
	}
	for _, t := range sv.txns {
		if t.ID == txnID {
			return jsonReply(200, s.savingsTxnJSON(sv, t))
		}
	}
	return notFound("error.msg.saving.account.transaction.id.invalid",
		fmt.Sprintf("Savings account transaction with identifier %d does not exist", txnID), txnID)
}

func groupNotFound(id int64) reply {
	return notFound("error.msg.group.id.invalid", fmt.Sprintf("Group with identifier %d does not exist", id), id)
}

// meetingDates lists the calendar's meeting dates from..to inclusive.
func meetingDates(c *Calendar, from, to time.Time) []time.Time {
	step := max(c.Interval, 1) * 7
	d := day(c.StartDate)
	for d.Weekday() != c.Weekday {
		d = d.AddDate(0, 0, 1)
	}
	var out []time.Time
	for ; !d.After(to); d = d.AddDate(0, 0, step) {
		if !d.Before(from) {
			out = append(out, d)
		}
	}
	return out
}

func isMeetingDate(c *Calendar, d time.Time) bool {
	return len(meetingDates(c, d, d)) == 1
}

func (s *Server) calendarJSON(g *Group) anyMap {
	c := g.Meeting
	wd := strings.ToUpper(c.Weekday.String()[:2])
	var next []jdate
	for _, d := range meetingDates(c, s.today(), s.today().AddDate(1, 0, 0)) {
		if len(next) == 10 {
			break
		}
		next = append(next, jdate(d))
	}
	var recent jdate
	if past := meetingDates(c, c.StartDate, s.today()); len(past) > 0 {
		recent = jdate(past[len(past)-1])
	}
	// recurringDates: every meeting from the calendar's start (at most a
	// year back) to a year ahead (CalendarReadPlatformServiceImpl.
	// generateRecurringDates with history, no till date).
	var all []jdate
	from := s.today().AddDate(-1, 0, 0)
	if start := day(c.StartDate); start.After(from) {
		from = start
	}
	for _, d := range meetingDates(c, from, s.today().AddDate(1, 0, 0)) {
		all = append(all, jdate(d))
	}
	interval := max(c.Interval, 1)
	human := "Weekly on " + c.Weekday.String()
	if interval > 1 {
		human = fmt.Sprintf("Every %d weeks on %s", interval, c.Weekday.String())
	}
	wdID := int(c.Weekday)
	if wdID == 0 {
		wdID = 7
	}
	return compact(anyMap{"id": c.ID, "calendarInstanceId": c.ID, "entityId": g.ID,
		"entityType": enum{4, "calendarEntityType.groups", "groups"}, "title": c.Title,
		"startDate": jdate(c.StartDate), "recurrence": fmt.Sprintf("FREQ=WEEKLY;INTERVAL=%d;BYDAY=%s", interval, wd),
		"frequency": enum{2, "calendarFrequencyType.weekly", "Weekly"}, "interval": interval,
		"repeatsOnDay":  enum{wdID, "calendarWeekDaysType." + strings.ToLower(wd), wd},
		"humanReadable": human, "type": enum{1, "calendarType.collection", "Collection"},
		"repeating": true, "recurringDates": all, "nextTenRecurringDates": next, "recentEligibleMeetingDate": recent})
}

func (s *Server) groupJSON(g *Group, associations string) anyMap {
	assoc := strings.Split(associations, ",")
	m := compact(anyMap{"id": g.ID, "accountNo": g.AccountNo, "name": g.Name, "externalId": g.ExternalID,
		"status": enum{300, "groupingStatusType.active", "Active"}, "active": true,
		"officeId": g.OfficeID, "officeName": s.offices[g.OfficeID], "staffId": g.StaffID,
		"hierarchy": "." + strconv.FormatInt(g.ID, 10) + ".", "groupLevel": "2"})
	if st, ok := s.staff[g.StaffID]; ok {
		m["staffName"] = st.DisplayName
	}
	if slices.Contains(assoc, "clientMembers") || slices.Contains(assoc, "all") {
		members := []clientJSON{}
		for _, cid := range g.ClientIDs {
			if c, ok := s.clients[cid]; ok {
				members = append(members, s.clientJSON(c, false))
			}
		}
		m["clientMembers"] = members
	}
	if (slices.Contains(assoc, "collectionMeetingCalendar") || slices.Contains(assoc, "all")) && g.Meeting != nil {
		m["collectionMeetingCalendar"] = s.calendarJSON(g)
	}
	return m
}

func (s *Server) group(id int64, associations string) reply {
	g, ok := s.groups[id]
	if !ok {
		return groupNotFound(id)
	}
	return jsonReply(200, s.groupJSON(g, associations))
}

// groupList is GET /groups without paged=true: a plain array.
func (s *Server) groupList(q url.Values) reply {
	out := []anyMap{}
	staffID, _ := strconv.ParseInt(q.Get("staffId"), 10, 64)
	officeID, _ := strconv.ParseInt(q.Get("officeId"), 10, 64)
	for _, id := range sortedKeys(s.groups) {
		g := s.groups[id]
		if (staffID != 0 && g.StaffID != staffID) || (officeID != 0 && g.OfficeID != officeID) {
			continue
		}
		out = append(out, s.groupJSON(g, ""))
	}
	return jsonReply(200, out)
}

func (s *Server) staffMember(id int64) reply {
	st, ok := s.staff[id]
	if !ok {
		return notFound("error.msg.staff.id.invalid", fmt.Sprintf("Staff with identifier %d does not exist", id), id)
	}
	return jsonReply(200, compact(anyMap{"id": st.ID, "firstname": st.Firstname, "lastname": st.Lastname,
		"displayName": st.DisplayName, "mobileNo": st.MobileNo, "officeId": st.OfficeID,
		"officeName": s.offices[st.OfficeID], "isLoanOfficer": st.IsLoanOfficer, "isActive": !st.Inactive}))
}

// depositType is the account's DepositAccountType enum.
func (sv *savingsState) depositType() enum {
	switch sv.DepositType {
	case 200:
		return enum{200, "depositAccountType.fixedDeposit", "Fixed Deposit"}
	case 300:
		return enum{300, "depositAccountType.recurringDeposit", "Recurring Deposit"}
	}
	return enum{100, "depositAccountType.savingsDeposit", "Savings"}
}
