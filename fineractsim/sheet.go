package fineractsim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

var generateKeys = []string{"transactionDate", "calendarId", "locale", "dateFormat"}

var saveSheetKeys = append([]string{"transactionDate", "actualDisbursementDate", "note", "locale", "dateFormat",
	"bulkRepaymentTransactions", "bulkDisbursementTransactions", "bulkSavingsDueTransactions", "calendarId",
	"clientsAttendance", "isTransactionDateOnNonMeetingDate"}, paymentDetailKeys...)

// Items may repeat locale; their amounts are otherwise read with the top-level one.
var sheetRepaymentKeys = append([]string{"loanId", "transactionAmount", "externalId", "locale"}, paymentDetailKeys...)

var sheetSavingsKeys = append([]string{"savingsId", "transactionAmount", "depositAccountType", "locale"}, paymentDetailKeys...)

// sheetHeader validates transactionDate and calendarId against the group's
// collection calendar; the date must be a meeting date unless allowed.
// what names the check in Fineract's code: "collectionsheet" when the
// sheet is generated, "meeting" when it is saved.
func (s *Server) sheetHeader(groupID int64, b *body, nonMeetingOK bool, what string) (*Group, time.Time, *reply) {
	var date time.Time
	if b.blank("transactionDate") {
		b.fail("transactionDate", "cannot.be.blank", "The parameter `transactionDate` is mandatory.", nil)
	} else {
		date, _ = b.date("transactionDate")
	}
	var calID int64
	if b.blank("calendarId") {
		b.fail("calendarId", "cannot.be.blank", "The parameter `calendarId` is mandatory.", nil)
	} else {
		calID, _ = b.integer("calendarId")
	}
	if bad := b.result(); bad != nil {
		return nil, date, bad
	}
	g, ok := s.groups[groupID]
	if !ok {
		r := groupNotFound(groupID)
		return nil, date, &r
	}
	if g.Meeting == nil || g.Meeting.ID != calID {
		r := notFound("error.msg.calendar.id.invalid", fmt.Sprintf("Calendar with identifier %d does not exist", calID), calID)
		return nil, date, &r
	}
	// Fineract refuses a sheet off the calendar's meeting dates
	// (NotValidRecurringDateException: generate in CollectionSheetRead-
	// PlatformServiceImpl, save in Meeting.createNew).
	if !nonMeetingOK && !isMeetingDate(g.Meeting, date) {
		r := domainRule("error.msg.calendar."+what+".not.valid.recurring.date",
			fmt.Sprintf("The date '%s' is not a valid meeting date.", isoDate(date)), isoDate(date))
		return nil, date, &r
	}
	return g, date, nil
}

// generateSheet is POST /groups/{id}?command=generateCollectionSheet (JLGCollectionSheetData).
func (s *Server) generateSheet(groupID int64, raw []byte) reply {
	b, bad := parseBody(raw, "collectionsheet")
	if bad != nil {
		return *bad
	}
	if bad := checkKeys(b.m, generateKeys); bad != nil {
		return *bad
	}
	g, date, bad := s.sheetHeader(groupID, b, false, "collectionsheet")
	if bad != nil {
		return *bad
	}
	var loanProducts, savingsProducts []anyMap
	clients := []anyMap{}
	for _, cid := range g.ClientIDs {
		c, ok := s.clients[cid]
		if !ok {
			continue
		}
		loans := []anyMap{}
		for _, lid := range sortedKeys(s.loans) {
			l := s.loans[lid]
			if l.ClientID != cid || l.GroupID != g.ID || l.StatusID != 300 {
				continue
			}
			var pDue, pPaid, iDue, iPaid, fDue, fPaid, penDue, penPaid Amount
			for i := range l.inst {
				in := &l.inst[i]
				if in.DueDate.After(date) {
					continue
				}
				pDue, pPaid, iDue, iPaid = pDue+in.Principal, pPaid+in.principalPaid, iDue+in.Interest, iPaid+in.interestPaid
				fDue, fPaid, penDue, penPaid = fDue+in.Fees, fPaid+in.feesPaid, penDue+in.Penalties, penPaid+in.penaltiesPaid
			}
			// The sheet SQL sums what is still owed on installments due by
			// the date; LoanDueData's totalDue is principal + interest + fees
			// of that: penalties are only in chargesDue (with the fees).
			principal, interest, fees := pDue-pPaid, iDue-iPaid, fDue-fPaid
			loans = append(loans, anyMap{"loanId": l.ID, "accountId": l.AccountNo, "accountStatusId": l.StatusID,
				"productShortName": l.ShortProductName, "productId": l.ProductID, "currency": l.currency(),
				"disbursementAmount": Amount(0), "principalDue": principal, "principalPaid": pPaid,
				"interestDue": interest, "interestPaid": iPaid, "chargesDue": fees + penDue - penPaid,
				"feeDue": fees, "feePaid": fPaid,
				"totalDue": principal + interest + fees})
			if !slices.ContainsFunc(loanProducts, func(m anyMap) bool { return m["id"] == l.ProductID }) {
				loanProducts = append(loanProducts, anyMap{"id": l.ProductID, "name": l.ProductName, "shortName": l.ShortProductName})
			}
		}
		savings := []anyMap{}
		for _, sid := range sortedKeys(s.savings) {
			sv := s.savings[sid]
			// Mandatory savings: plain savings and recurring deposits, not
			// fixed deposits.
			if sv.ClientID != cid || sv.StatusID != 300 || sv.DepositType == 200 {
				continue
			}
			// Fineract's read SQL turns deposit_type_enum into this text; the
			// save expects the integer back.
			kind := "Saving Deposit"
			if sv.DepositType == 300 {
				kind = "Recurring Deposit"
			}
			savings = append(savings, anyMap{"savingsId": sv.ID, "accountId": sv.AccountNo, "accountStatusId": sv.StatusID,
				"productName": sv.ProductName, "productId": sv.ProductID, "currency": sv.currency(), "dueAmount": Amount(0),
				"depositAccountType": kind})
			if !slices.ContainsFunc(savingsProducts, func(m anyMap) bool { return m["id"] == sv.ProductID }) {
				savingsProducts = append(savingsProducts, anyMap{"id": sv.ProductID, "name": sv.ProductName})
			}
		}
		clients = append(clients, anyMap{"clientId": c.ID, "clientName": c.DisplayName,
			"attendanceType": enum{1, "attendanceType.present", "Present"}, "loans": loans, "savings": savings})
	}
	grp := compact(anyMap{"groupId": g.ID, "groupName": g.Name, "staffId": g.StaffID, "levelId": 2, "levelName": "Group",
		"clients": clients})
	if st, ok := s.staff[g.StaffID]; ok {
		grp["staffName"] = st.DisplayName
	}
	var payOpts []anyMap
	for _, id := range sortedKeys(s.payTypes) {
		payOpts = append(payOpts, anyMap{"id": id, "name": s.payTypes[id]})
	}
	return jsonReply(200, compact(anyMap{"dueDate": jdate(date), "loanProducts": orEmpty(loanProducts),
		"savingsProducts": orEmpty(savingsProducts), "groups": []anyMap{grp},
		"attendanceTypeOptions": []enum{{1, "attendanceType.present", "Present"}, {2, "attendanceType.absent", "Absent"},
			{3, "attendanceType.approved", "Approved"}, {4, "attendanceType.leave", "Leave"}, {5, "attendanceType.late", "Late"}},
		"paymentTypeOptions": orEmpty(payOpts)}))
}

func orEmpty(m []anyMap) []anyMap {
	if m == nil {
		return []anyMap{}
	}
	return m
}

// items decodes a JSON array of objects in the body (absent = none).
func (b *body) items(k string) ([]*body, *reply) {
	raw, ok := b.m[k]
	if !ok || string(raw) == "null" {
		return nil, nil
	}
	var arr []json.RawMessage
	if json.Unmarshal(raw, &arr) != nil {
		r := invalidJSON()
		return nil, &r
	}
	var out []*body
	for _, el := range arr {
		var m map[string]json.RawMessage
		dec := json.NewDecoder(bytes.NewReader(el))
		dec.UseNumber()
		if dec.Decode(&m) != nil || m == nil {
			r := invalidJSON()
			return nil, &r
		}
		// Items are read with the top-level locale.
		out = append(out, &body{m: m, res: b.res, parentLocale: b.locale()})
	}
	return out, nil
}

type sheetRepay struct {
	loanID  int64
	amt     Amount
	ext     string
	pt      int64
	receipt string
}

type sheetDeposit struct {
	savingsID int64
	amt       Amount
	pt        int64
	receipt   string
}

// saveSheet is POST /groups/{id}?command=saveCollectionSheet: all items are
// checked first, then all are posted (one transaction in Fineract).
func (s *Server) saveSheet(groupID int64, raw []byte, commit bool) reply {
	b, bad := parseBody(raw, "collectionsheet")
	if bad != nil {
		return *bad
	}
	if bad := checkKeys(b.m, saveSheetKeys); bad != nil {
		return *bad
	}
	nonMeeting := string(b.m["isTransactionDateOnNonMeetingDate"]) == "true"
	g, date, bad := s.sheetHeader(groupID, b, nonMeeting, "meeting")
	if bad != nil {
		return *bad
	}
	var topPT int64
	if b.has("paymentTypeId") {
		topPT, _ = b.integer("paymentTypeId")
		if _, ok := s.payTypes[topPT]; !ok && b.result() == nil {
			return paymentTypeNotFound(topPT)
		}
	}
	topReceipt, _ := b.str("receiptNumber")
	reps, bad := b.items("bulkRepaymentTransactions")
	if bad != nil {
		return *bad
	}
	deps, bad := b.items("bulkSavingsDueTransactions")
	if bad != nil {
		return *bad
	}
	disb, bad := b.items("bulkDisbursementTransactions")
	if bad != nil {
		return *bad
	}
	if len(disb) > 0 {
		return validation(param("validation.msg.collectionsheet.bulkDisbursementTransactions.not.supported",
			"fineractsim does not simulate disbursements", "bulkDisbursementTransactions", nil))
	}
	var repays []sheetRepay
	seen := map[string]bool{}
	for _, it := range reps {
		if bad := checkKeys(it.m, sheetRepaymentKeys); bad != nil {
			return *bad
		}
		if it.blank("loanId") {
			it.fail("loanId", "cannot.be.blank", "The parameter `loanId` is mandatory.", nil)
		}
		loanID, _ := it.integer("loanId")
		amt, _ := it.amount("transactionAmount")
		ext := it.maxLen("externalId", 100)
		pt := topPT
		if it.has("paymentTypeId") {
			pt, _ = it.integer("paymentTypeId")
		}
		receipt, _ := it.str("receiptNumber")
		if receipt == "" {
			receipt = topReceipt
		}
		if bad := it.result(); bad != nil {
			return *bad
		}
		if _, ok := s.payTypes[pt]; pt != 0 && !ok {
			return paymentTypeNotFound(pt)
		}
		// Fineract tests transactionAmount.intValue() > 0: 0.50 is skipped too.
		if amt.intPart() <= 0 {
			continue
		}
		if bad := s.loanChecks(loanID, date, ext, seen); bad != nil {
			return *bad
		}
		repays = append(repays, sheetRepay{loanID, amt, ext, pt, receipt})
	}
	var deposits []sheetDeposit
	for _, it := range deps {
		if bad := checkKeys(it.m, sheetSavingsKeys); bad != nil {
			return *bad
		}
		if it.blank("savingsId") {
			it.fail("savingsId", "cannot.be.blank", "The parameter `savingsId` is mandatory.", nil)
		}
		sid, _ := it.integer("savingsId")
		amt, _ := it.amount("transactionAmount")
		if it.has("depositAccountType") {
			it.integer("depositAccountType")
		}
		pt := topPT
		if it.has("paymentTypeId") {
			pt, _ = it.integer("paymentTypeId")
		}
		receipt, _ := it.str("receiptNumber")
		if receipt == "" {
			receipt = topReceipt
		}
		if bad := it.result(); bad != nil {
			return *bad
		}
		if _, ok := s.payTypes[pt]; pt != 0 && !ok {
			return paymentTypeNotFound(pt)
		}
		if amt <= 0 {
			continue
		}
		// The deposits run one by one in a try whose catch is empty
		// (updateBulkMandatorySavingsDuePayments): one that fails is left
		// out of the sheet and of changes.SavingsTransactions, the rest
		// stand. Whether Fineract instead rolls the whole sheet back is not
		// settled by its source; this models the deposit dropped.
		if bad := s.savingsChecks(sid, date); bad != nil {
			continue
		}
		deposits = append(deposits, sheetDeposit{sid, amt, pt, receipt})
	}
	if !commit {
		return reply{status: 200}
	}
	note, _ := b.str("note")
	loanTxns, savTxns := []int64{}, []int64{}
	for _, r := range repays {
		loanTxns = append(loanTxns, s.postRepayment(r.loanID, date, r.amt, r.ext, r.pt, r.receipt, note).ID)
	}
	for _, d := range deposits {
		savTxns = append(savTxns, s.postDeposit(d.savingsID, date, d.amt, d.pt, d.receipt, note).ID)
	}
	return jsonReply(200, anyMap{"groupId": g.ID, "resourceId": g.ID,
		"changes": anyMap{"loanTransactions": loanTxns, "SavingsTransactions": savTxns}})
}
