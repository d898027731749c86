package fineractsim

import (
	"encoding/json"
	"fmt"
	"time"
)

var repaymentKeys = append([]string{"transactionDate", "transactionAmount", "locale", "dateFormat",
	"externalId", "note", "loanId"}, paymentDetailKeys...)

var depositKeys = append([]string{"transactionDate", "transactionAmount", "locale", "dateFormat",
	"note", "retailEntries", "childAccountId"}, paymentDetailKeys...)

// changes echoes the sent parameters the way CommandProcessingResult.changes does.
func changes(b *body, keys ...string) anyMap {
	out := anyMap{}
	for _, k := range keys {
		if !b.has(k) {
			continue
		}
		var v any
		_ = json.Unmarshal(b.m[k], &v)
		if k == "transactionAmount" {
			v, _ = b.str(k)
		}
		out[k] = v
	}
	return out
}

// moneyFields validates the fields every money command shares: date and
// positive amount (both mandatory), payment detail lengths.
func moneyFields(b *body) (time.Time, Amount, int64) {
	date := b.mandatoryDate("transactionDate")
	var amt Amount
	if b.blank("transactionAmount") {
		b.fail("transactionAmount", "cannot.be.blank", "The parameter `transactionAmount` is mandatory.", nil)
	} else {
		amt, _ = b.positiveAmount("transactionAmount")
	}
	var pt int64
	if b.has("paymentTypeId") {
		if n, ok := b.integer("paymentTypeId"); ok {
			pt = n
			if n <= 0 {
				b.fail("paymentTypeId", "not.greater.than.zero", "The parameter `paymentTypeId` must be greater than 0.", n)
			}
		}
	}
	for _, k := range []string{"accountNumber", "checkNumber", "routingCode", "receiptNumber", "bankNumber"} {
		b.maxLen(k, 50)
	}
	b.maxLen("note", 1000)
	return date, amt, pt
}

// paymentTypeNotFound is PaymentTypeNotFoundException, which
// PaymentDetailAssembler raises for a repayment, a deposit or a sheet.
func paymentTypeNotFound(id int64) reply {
	return notFound("error.msg.payment.type.invalid", fmt.Sprintf("Payment Type with identifier %d does not exist", id), id)
}

// loanChecks are the domain checks of one repayment against a loan.
func (s *Server) loanChecks(loanID int64, date time.Time, ext string, seen map[string]bool) *reply {
	l, ok := s.loans[loanID]
	if !ok {
		r := loanNotFound(loanID)
		return &r
	}
	if l.StatusID != 300 {
		r := validation(param("error.msg.loan.repayment.or.waiver.account.is.not.active",
			"Loan Repayment (or its types) or Waiver is not allowed. Loan Account is not active.", "id", nil, loanID))
		return &r
	}
	if date.After(s.today()) {
		r := domainRule("error.msg.loan.transaction.cannot.be.a.future.date",
			"The transaction date cannot be in the future.", isoDate(date))
		return &r
	}
	if bad := s.repaymentDayChecks(l, date); bad != nil {
		return bad
	}
	if date.Before(l.DisbursedOn) {
		r := domainRule("error.msg.loan.transaction.cannot.be.before.disbursement.date",
			"The transaction date cannot be before the loan disbursement date: "+isoDate(l.DisbursedOn), isoDate(date), isoDate(l.DisbursedOn))
		return &r
	}
	if ext != "" {
		if _, dup := s.loanTxnByExt[ext]; dup || seen[ext] {
			r := s.duplicateExternalID(ext)
			return &r
		}
		seen[ext] = true
	}
	return nil
}

// duplicateExternalID is Fineract's answer to a repeated loan-transaction
// externalId: its own 400 when it recognises the database constraint's
// name in the error, else the generic data-integrity 403
// (PlatformDataIntegrityException through ErrorHandler).
func (s *Server) duplicateExternalID(ext string) reply {
	if s.opts.UnnamedExternalIDIndex {
		const code, msg = "error.msg.data.integrity.issue", "Data integrity issue with resource."
		return jsonReply(403, apiGlobalError{
			DeveloperMessage: "The request caused a data integrity issue to be fired by the database.",
			HTTPStatusCode:   "403", DefaultMessage: msg, Code: code,
			Errors: []apiError{param(code, msg, "id", nil)},
		})
	}
	return validation(param("validation.msg.loan.transaction.externalId.value.must.be.unique",
		"Loan transaction with externalId `"+ext+"` already exists", "externalId", ext))
}

// postRepayment commits a validated repayment and returns the transaction.
// The amount posted is what the loan's currency makes of amt (Money.of in
// LoanAccountDomainServiceJpa), which the result's changes do not show.
func (s *Server) postRepayment(loanID int64, date time.Time, amt Amount, ext string, pt int64, receipt, note string) *LoanTxn {
	l := s.loans[loanID]
	amt = l.currency().money(amt)
	a := l.applyRepayment(amt, date)
	s.nextLoanTxn++
	t := &LoanTxn{ID: s.nextLoanTxn, LoanID: loanID, Type: "Repayment", Date: date, Amount: amt,
		Principal: a.principal, Interest: a.interest, Fees: a.fees, Penalties: a.penalties, Overpayment: a.overpayment,
		Outstanding: l.principalOutstanding(), ExternalID: ext, PaymentTypeID: pt, ReceiptNumber: receipt, Note: note,
		SubmittedOn: s.today()}
	s.loanTxns = append(s.loanTxns, t)
	if ext != "" {
		s.loanTxnByExt[ext] = t
	}
	return t
}

// repay is POST /loans/{id}/transactions?command=repayment. Caller holds mu.
func (s *Server) repay(loanID int64, raw []byte, commit bool) reply {
	b, bad := parseBody(raw, "loan.transaction")
	if bad != nil {
		return *bad
	}
	if bad := checkKeys(b.m, repaymentKeys); bad != nil {
		return *bad
	}
	date, amt, pt := moneyFields(b)
	ext := b.maxLen("externalId", 100)
	if bad := b.result(); bad != nil {
		return *bad
	}
	if _, ok := s.loans[loanID]; ok && pt != 0 {
		if _, ok := s.payTypes[pt]; !ok {
			return paymentTypeNotFound(pt)
		}
	}
	if bad := s.loanChecks(loanID, date, ext, map[string]bool{}); bad != nil {
		return *bad
	}
	l := s.loans[loanID]
	if !commit {
		return reply{status: 200}
	}
	receipt, _ := b.str("receiptNumber")
	note, _ := b.str("note")
	t := s.postRepayment(loanID, date, amt, ext, pt, receipt, note)
	if s.opts.Before19 {
		ext = "" // resourceExternalId came with 1.9
	}
	return jsonReply(200, compact(anyMap{"officeId": s.clients[l.ClientID].OfficeID, "clientId": l.ClientID,
		"loanId": loanID, "resourceId": t.ID, "resourceExternalId": ext,
		"changes": changes(b, "transactionDate", "transactionAmount", "locale", "dateFormat", "paymentTypeId",
			"receiptNumber", "accountNumber", "checkNumber", "routingCode", "bankNumber", "note", "externalId")}))
}

// savingsChecks are the domain checks of one deposit.
func (s *Server) savingsChecks(id int64, date time.Time) *reply {
	sv, ok := s.savings[id]
	if !ok {
		r := savingsNotFound(id)
		return &r
	}
	if sv.StatusID != 300 {
		// SavingsAccount.deposit: a PlatformApiDataValidationException (400).
		r := validation(param("error.msg.savingsaccount.transaction.account.is.not.active",
			"Transaction is not allowed. Account is not active.", "transactionDate", isoDate(date)))
		return &r
	}
	if date.After(s.today()) {
		r := validation(param("error.msg.savingsaccount.transaction.in.the.future",
			"Transaction date cannot be in the future.", "transactionDate", isoDate(date)))
		return &r
	}
	if date.Before(sv.ActivatedOn) {
		r := validation(param("error.msg.savingsaccount.transaction.before.activation.date",
			"Transaction date cannot be before accounts activation date.", "transactionDate", isoDate(date)))
		return &r
	}
	return nil
}

// postDeposit commits a validated deposit, rounded by the account's
// currency (Money.of in SavingsAccount.deposit).
func (s *Server) postDeposit(id int64, date time.Time, amt Amount, pt int64, receipt, note string) *SavingsTxn {
	sv := s.savings[id]
	amt = sv.currency().money(amt)
	sv.balance += amt
	sv.deposits += amt
	s.nextSavTxn++
	t := &SavingsTxn{ID: s.nextSavTxn, SavingsID: id, Type: "Deposit", Date: date, Amount: amt,
		RunningBalance: sv.balance, PaymentTypeID: pt, ReceiptNumber: receipt, Note: note, SubmittedOn: s.today()}
	sv.txns = append(sv.txns, t)
	return t
}

// deposit is POST /savingsaccounts/{id}/transactions?command=deposit. Caller holds mu.
func (s *Server) deposit(id int64, raw []byte, commit bool) reply {
	b, bad := parseBody(raw, "savingsaccount.transaction")
	if bad != nil {
		return *bad
	}
	// externalId is not a savings transaction parameter in Fineract 1.9/1.10.
	if bad := checkKeys(b.m, depositKeys); bad != nil {
		return *bad
	}
	date, amt, pt := moneyFields(b)
	if b.blank("paymentTypeId") {
		b.fail("paymentTypeId", "cannot.be.blank", "The parameter `paymentTypeId` is mandatory.", nil)
	}
	if bad := b.result(); bad != nil {
		return *bad
	}
	if bad := s.savingsChecks(id, date); bad != nil {
		return *bad
	}
	if _, ok := s.payTypes[pt]; !ok {
		return paymentTypeNotFound(pt)
	}
	if !commit {
		return reply{status: 200}
	}
	receipt, _ := b.str("receiptNumber")
	note, _ := b.str("note")
	t := s.postDeposit(id, date, amt, pt, receipt, note)
	sv := s.savings[id]
	return jsonReply(200, anyMap{"officeId": s.clients[sv.ClientID].OfficeID, "clientId": sv.ClientID,
		"savingsId": id, "resourceId": t.ID,
		"changes": changes(b, "paymentTypeId", "receiptNumber", "accountNumber", "checkNumber", "routingCode", "bankNumber")})
}

// adjustSavingsTxn is POST /savingsaccounts/{id}/transactions/{txnId} with
// command=undo (the deposit is marked reversed) or command=reverse (it is
// marked reversed and a copy flagged isReversal is added, with the same
// type, date and payment details, receipt included). Caller holds mu.
func (s *Server) adjustSavingsTxn(id, txnID int64, cmd string, commit bool) reply {
	sv, ok := s.savings[id]
	if !ok {
		return savingsNotFound(id)
	}
	var t *SavingsTxn
	for _, c := range sv.txns {
		if c.ID == txnID {
			t = c
		}
	}
	if t == nil || t.IsReversal {
		return notFound("error.msg.saving.account.transaction.id.invalid",
			fmt.Sprintf("Savings account transaction with identifier %d does not exist", txnID), txnID)
	}
	if t.Reversed {
		return domainRule("error.msg.saving.account.transaction.already.reversed",
			"The transaction is already reversed.", txnID)
	}
	if !commit {
		return reply{status: 200}
	}
	t.Reversed = true
	sv.balance -= t.Amount
	sv.deposits -= t.Amount
	resource := t.ID
	if cmd == "reverse" {
		s.nextSavTxn++
		c := *t
		c.ID, c.Reversed, c.IsReversal, c.RunningBalance, c.SubmittedOn = s.nextSavTxn, false, true, sv.balance, s.today()
		sv.txns = append(sv.txns, &c)
		resource = c.ID
	}
	return jsonReply(200, anyMap{"officeId": s.clients[sv.ClientID].OfficeID, "clientId": sv.ClientID,
		"savingsId": id, "resourceId": resource, "changes": anyMap{}})
}
