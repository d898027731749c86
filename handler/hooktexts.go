package handler

// SMS to clients for Fineract events (package gateway's hook worker writes
// them; docs/gateway.md). Every value comes from Fineract, read back by
// the box: the loan, its client and the transaction.
func init() {
	registerTexts("en", map[string]string{
		"hook.loan_approved":        "Dear {name}, your loan {account} ({product}) has been approved for {amount}.",
		"hook.loan_disbursed":       "Dear {name}, your loan {account} of {amount} has been disbursed. Total to repay: {outstanding}. Next instalment {installment} due {date}.",
		"hook.loan_disbursed_plain": "Dear {name}, your loan {account} of {amount} has been disbursed. Total to repay: {outstanding}.",
		"hook.loan_repayment":       "Dear {name}, we received your repayment of {amount} on loan {account} on {date}. Loan balance: {balance}.",
	})
	registerTexts("sw", map[string]string{
		"hook.loan_approved":        "Mpendwa {name}, mkopo wako {account} ({product}) wa {amount} umeidhinishwa.",
		"hook.loan_disbursed":       "Mpendwa {name}, mkopo wako {account} wa {amount} umetolewa. Jumla ya kulipa: {outstanding}. Awamu ijayo {installment} tarehe {date}.",
		"hook.loan_disbursed_plain": "Mpendwa {name}, mkopo wako {account} wa {amount} umetolewa. Jumla ya kulipa: {outstanding}.",
		"hook.loan_repayment":       "Mpendwa {name}, tumepokea malipo yako ya {amount} kwa mkopo {account} tarehe {date}. Salio la mkopo: {balance}.",
	})
}
