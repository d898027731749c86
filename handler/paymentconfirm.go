package handler

import (
	"context"
	"fmt"
	"strings"

	"github.com/mifos-edge/mifos-edge/mifos"
	"github.com/mifos-edge/mifos-edge/store"
)

func init() {
	registerTexts("en", map[string]string{
		"mm.client_confirm":    "Dear {name}, we received your {operator} payment {receipt}: {items}. New balance: {balances}. Thank you.",
		"mm.client_confirm_nb": "Dear {name}, we received your {operator} payment {receipt}: {items}. Thank you.",
	})
	registerTexts("sw", map[string]string{
		"mm.client_confirm":    "Mpendwa {name}, tumepokea malipo yako ya {operator} {receipt}: {items}. Salio jipya: {balances}. Asante.",
		"mm.client_confirm_nb": "Mpendwa {name}, tumepokea malipo yako ya {operator} {receipt}: {items}. Asante.",
	})
}

// operatorNames are the names clients know their operators by.
var operatorNames = map[string]string{
	"mpesa-ke": "M-PESA", "mpesa-tz": "M-Pesa", "airtel-money": "Airtel Money",
	"mtn-momo": "MoMo", "mixx-tz": "Mixx by Yas", "gcash": "GCash",
}

// paymentConfirmations is the client's receipt for a mobile-money payment
// once every posting of it settled: sent to the number Fineract holds for
// the client (ClientPhone), never to the number the operator printed, and
// only for what posted. A failure tells nobody by SMS: a person sees it in
// the payment list with Fineract's reason.
func (e *Env) paymentConfirmations(batch []store.JournalEntry) []store.Outbound {
	first := batch[0]
	var items, balances []string
	for _, b := range batch {
		if b.State != store.JournalDone {
			continue
		}
		posted, _ := postedMoney(b)
		items = append(items, fmt.Sprintf("%s %s to %s", smsField(b.Currency), posted, smsField(b.AccountNo)))
		if b.BalanceAfter != "" {
			balances = append(balances, b.BalanceAfter)
		}
	}
	if first.ClientPhone == "" || len(items) == 0 {
		return nil
	}
	op, txn, _ := strings.Cut(first.Payment, "/")
	name := operatorNames[op]
	if name == "" {
		name = op
	}
	args := []string{"name", smsField(first.ClientName), "operator", name, "receipt", smsField(txn), "items", strings.Join(items, ", ")}
	key := "mm.client_confirm_nb"
	if len(balances) > 0 {
		key = "mm.client_confirm"
		args = append(args, "balances", strings.Join(balances, ", "))
	}
	return []store.Outbound{{To: first.ClientPhone, Text: e.texts().Get(key, args...), Origin: fmt.Sprintf("journal:%d", first.Batch),
		Priority: store.PriorityInteractive, DuplicateHarmless: true}}
}

// Today is the date postings are made on: Fineract's business date, or
// the tenant's date when it has none.
func (e *Env) Today(ctx context.Context) mifos.Date { return e.today(ctx) }
