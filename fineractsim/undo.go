package fineractsim

import "fmt"

// adjustKeys are the keys POST /loans/{id}/transactions/{txnId} takes
// (LoanTransactionValidator.validateTransaction).
var adjustKeys = append(append([]string{}, repaymentKeys...), "reversalExternalId")

// adjustLoanTxn is POST /loans/{loanId}/transactions/{txnId} without a
// command (LoanWritePlatformServiceJpaRepositoryImpl.adjustLoanTransaction)
// with transactionAmount 0: a person's undo of a repayment. The
// transaction is marked reversed and manuallyReversed, so it stays listed
// in the loan's transactions, and the loan is reprocessed without it.
// Adjusting to a new positive amount (reverse and repost) is not modelled:
// the stand-in answers it with a 400 naming itself, never a false success.
// Caller holds mu (through command).
func (s *Server) adjustLoanTxn(loanID, txnID int64, raw []byte, commit bool) reply {
	b, bad := parseBody(raw, "loan.transaction")
	if bad != nil {
		return *bad
	}
	if bad := checkKeys(b.m, adjustKeys); bad != nil {
		return *bad
	}
	b.mandatoryDate("transactionDate") // required; the undo takes effect on the transaction's own date
	amt, ok := b.amount("transactionAmount")
	switch {
	case b.blank("transactionAmount"):
		b.fail("transactionAmount", "cannot.be.blank", "The parameter `transactionAmount` is mandatory.", nil)
	case ok && amt < 0:
		b.fail("transactionAmount", "not.zero.or.greater", "The parameter `transactionAmount` must be zero or greater.", amt)
	}
	if bad := b.result(); bad != nil {
		return *bad
	}
	l, ok := s.loans[loanID]
	if !ok {
		return loanNotFound(loanID)
	}
	var t *LoanTxn
	for _, c := range s.loanTxns {
		if c.ID == txnID && c.LoanID == loanID {
			t = c
		}
	}
	if t == nil {
		return notFound("error.msg.loan.transaction.id.invalid",
			fmt.Sprintf("Transaction with identifier %d does not exist for loan with identifier %d.", txnID, loanID), txnID)
	}
	if t.Type != "Repayment" {
		return domainRule("error.msg.transaction.adjustment.is.only.allowed.to.repayment.or.waiver.transactions",
			"Only (non-reversed) transactions of type repayment, waiver, accrual or credit balance refund can be adjusted.", txnID)
	}
	if t.Reversed {
		// What Fineract answers for a second undo is not verified; a
		// refusal is the safe model: a client must look before it undoes.
		return domainRule("error.msg.loan.transaction.update.not.allowed",
			fmt.Sprintf("Loan transaction:%d update not allowed as it has been reversed", txnID), txnID)
	}
	if amt > 0 {
		return jsonReply(400, apiGlobalError{HTTPStatusCode: "400", Code: "fineractsim.adjust.to.amount.not.modelled",
			DefaultMessage: "the stand-in models only the undo (transactionAmount 0) of a loan transaction"})
	}
	if !commit {
		return reply{status: 200}
	}
	t.Reversed, t.ManuallyReversed = true, true
	s.reallocate(l)
	return jsonReply(200, anyMap{"officeId": s.clients[l.ClientID].OfficeID, "clientId": l.ClientID,
		"loanId": loanID, "resourceId": t.ID,
		"changes": changes(b, "transactionDate", "transactionAmount", "locale", "dateFormat")})
}
