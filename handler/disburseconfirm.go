package handler

import (
	"context"
	"fmt"

	"github.com/mifos-edge/mifos-edge/mifos"
	"github.com/mifos-edge/mifos-edge/store"
)

func init() {
	registerTexts("en", map[string]string{
		"disb.client":    "Dear {name}, your loan {account} of {amount} was sent to your mobile money, confirmation {receipt}. First instalment: {first}. Thank you.",
		"disb.client_nf": "Dear {name}, your loan {account} of {amount} was sent to your mobile money, confirmation {receipt}. Thank you.",
	})
	registerTexts("sw", map[string]string{
		"disb.client":    "Mpendwa {name}, mkopo wako {account} wa {amount} umetumwa kwa pesa yako ya simu, uthibitisho {receipt}. Rejesho la kwanza: {first}. Asante.",
		"disb.client_nf": "Mpendwa {name}, mkopo wako {account} wa {amount} umetumwa kwa pesa yako ya simu, uthibitisho {receipt}. Asante.",
	})
}

// firstInstalment reads a loan just disbursed for its first instalment, in
// words ("KES 2,150.00 on Mon 14 Dec"), for the client's SMS; "" when it
// cannot be read (the SMS then leaves it out, never guesses).
func (e *Env) firstInstalment(ctx context.Context, j store.JournalEntry) (string, bool) {
	l, err := e.API.Loan(ctx, j.AccountID)
	if err != nil {
		return "", false
	}
	p, ok := mifos.FirstInstallment(l.Periods)
	if !ok {
		return "", false
	}
	c := currencyOr(l.Currency, j)
	return fmt.Sprintf("%s %s on %s", smsField(c.Code), c.Format(p.TotalDue), e.smsDate(p.DueDate)), true
}

// disbursementConfirmations is the client's SMS once Fineract recorded a
// loan the box paid out by mobile money: the amount Fineract disbursed,
// the operator's confirmation number, and the first instalment. Sent to
// the number the line paid (the one Fineract held when it was built).
// A refusal tells nobody by SMS: the officer's batch summary says it.
func (e *Env) disbursementConfirmations(j store.JournalEntry) []store.Outbound {
	if j.State != store.JournalDone || j.ClientPhone == "" {
		return nil
	}
	// The currency goes before the amount, as in every receipt
	// (Currency.Format writes the number alone).
	amount, _ := postedMoney(j)
	amount = smsField(j.Currency) + " " + amount
	args := []string{"name", smsField(j.ClientName), "account", smsField(j.AccountNo), "amount", amount, "receipt", smsField(j.Receipt)}
	key := "disb.client_nf"
	if j.BalanceAfter != "" {
		key = "disb.client"
		args = append(args, "first", j.BalanceAfter)
	}
	return []store.Outbound{{To: j.ClientPhone, Text: e.texts().Get(key, args...), Origin: fmt.Sprintf("journal:%d", j.Batch),
		Priority: store.PriorityInteractive, DuplicateHarmless: true}}
}
