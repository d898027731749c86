package console

import (
	"fmt"
	"net/http"
	"strings"
)

// The box posts money with its own Fineract user, so Fineract cannot
// refuse a console user who lacks the right: the console checks, before
// each action that moves money, the Mifos permissions the same person
// would need to do it in Mifos. Signing in proves who they are; these
// say what they may do.

// moneyAction is one kind of money action and the Mifos permissions it
// needs (all of them; ALL_FUNCTIONS grants every one).
type moneyAction struct {
	what  string // for the refusal: "Your Mifos user may not <what>"
	perms []string
}

var (
	// postMoney: assigning a suspense payment to an account and importing
	// an M-PESA statement post repayments and savings deposits.
	postMoney = moneyAction{"record repayments and deposits", []string{"REPAYMENT_LOAN", "DEPOSIT_SAVINGSACCOUNT"}}
	// undoMoney: undoing a reversed payment undoes its Mifos transactions.
	undoMoney = moneyAction{"undo transactions", []string{"UNDOTRANSACTION_LOAN", "UNDOTRANSACTION_SAVINGSACCOUNT"}}
	// requeueMoney: a requeued posting is posted again.
	requeueMoney = moneyAction{"record repayments", []string{"REPAYMENT_LOAN"}}
)

// may reports whether s may do a now: the console is not offline and
// the session's Mifos user holds every permission a needs.
func (c *Console) may(s *session, a moneyAction) bool {
	_, problem := c.refusal(s, a)
	return problem == ""
}

// refusal is the status and plain sentence refusing a to s, or 0 and ""
// when s may do it.
func (c *Console) refusal(s *session, a moneyAction) (int, string) {
	if !c.writable(s) {
		return http.StatusForbidden, readOnly
	}
	u := s.user()
	var missing []string
	for _, p := range a.perms {
		if !u.Permitted(p) {
			missing = append(missing, p)
		}
	}
	if len(missing) == 0 {
		return 0, ""
	}
	word := "permission"
	if len(missing) > 1 {
		word = "permissions"
	}
	return http.StatusForbidden, fmt.Sprintf("Your Mifos user may not %s (%s %s); nothing was changed. Ask the person who runs Mifos.",
		a.what, word, strings.Join(missing, " and "))
}
