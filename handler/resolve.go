package handler

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/mifos-edge/mifos-edge/mifos"
	"github.com/mifos-edge/mifos-edge/phone"
	"github.com/mifos-edge/mifos-edge/store"
)

func init() {
	registerTexts("en", map[string]string{
		"pay.unknown_client":    "No active client {ref} was found. Check the client's account number.",
		"pay.no_loan":           "{name} has no active loan {item}.",
		"pay.no_savings":        "{name} has no active savings account {item}.",
		"pay.no_account":        "Account {item} is not an active loan or savings account of {name}.",
		"pay.loan_not_active":   "Loan {item} of {name} is not active, so it cannot take a repayment.",
		"pay.accepted_offline":  "Received: {items} for client {ref}. The Mifos link is down; it will be posted when the link is back and you will get a confirmation.",
		"pay.bad_decimals":      "{item} {amount}: this currency has {decimals} decimal places. Send the amount again without the extra digits.",
		"pay.bad_multiple":      "{item} {amount}: amounts in {currency} are posted in multiples of {multiple}. Send {lower} or {upper} instead. Nothing was posted.",
		"pay.bad_multiple_up":   "{item} {amount}: amounts in {currency} are posted in multiples of {multiple}. Send {upper} instead. Nothing was posted.",
		"pay.accepted_queued":   "Received: {items} for client {ref}. It will be posted after the payments taken while the Mifos link was down, and you will get a confirmation.",
		"pay.officer_confirm":   "Posted for {name} ({account}): {items}.",
		"pay.officer_failed":    "NOT posted for {name}: {items}.",
		"pay.officer_pending":   "Awaiting approval in Mifos for {name}: {items}.",
		"pay.client_confirm":    "Dear {name}, we received your payment: {items}. New balance: {balances}. Thank you.",
		"pay.client_confirm_nb": "Dear {name}, we received your payment: {items}. Thank you.",
	})
	registerTexts("sw", map[string]string{
		"pay.unknown_client":    "Hakuna mteja hai {ref} aliyepatikana. Hakiki nambari ya akaunti ya mteja.",
		"pay.no_loan":           "{name} hana mkopo hai {item}.",
		"pay.no_savings":        "{name} hana akaunti hai ya akiba {item}.",
		"pay.no_account":        "Akaunti {item} si mkopo wala akiba hai ya {name}.",
		"pay.loan_not_active":   "Mkopo {item} wa {name} si hai, hivyo hauwezi kupokea malipo.",
		"pay.accepted_offline":  "Imepokelewa: {items} kwa mteja {ref}. Kiungo cha Mifos hakipo; yataingizwa kiungo kikirudi na utapata uthibitisho.",
		"pay.bad_decimals":      "{item} {amount}: sarafu hii ina nafasi {decimals} za desimali. Tuma kiasi tena bila tarakimu za ziada.",
		"pay.bad_multiple":      "{item} {amount}: kiasi cha {currency} huingizwa kwa vizidisho vya {multiple}. Tuma {lower} au {upper} badala yake. Hakuna kilichoingizwa.",
		"pay.bad_multiple_up":   "{item} {amount}: kiasi cha {currency} huingizwa kwa vizidisho vya {multiple}. Tuma {upper} badala yake. Hakuna kilichoingizwa.",
		"pay.accepted_queued":   "Imepokelewa: {items} kwa mteja {ref}. Yataingizwa baada ya malipo yaliyopokelewa kiungo cha Mifos kilipokuwa hakipo, na utapata uthibitisho.",
		"pay.officer_confirm":   "Imeingizwa kwa {name} ({account}): {items}.",
		"pay.officer_failed":    "HAIJAINGIZWA kwa {name}: {items}.",
		"pay.officer_pending":   "Inasubiri idhini kwenye Mifos kwa {name}: {items}.",
		"pay.client_confirm":    "Mpendwa {name}, tumepokea malipo yako: {items}. Salio jipya: {balances}. Asante.",
		"pay.client_confirm_nb": "Mpendwa {name}, tumepokea malipo yako: {items}. Asante.",
	})
}

// userError is a refusal the officer can act on, rendered from a template.
// It is permanent: retrying the same request gives the same answer.
type userError struct {
	key  string
	args []string
}

func (e *userError) Error() string   { return e.key + " " + strings.Join(e.args, " ") }
func (e *userError) Permanent() bool { return true }

func refuse(key string, args ...string) error { return &userError{key: key, args: args} }

// render turns an error into the officer's reply.
func (e *Env) Render(err error) string {
	var ue *userError
	if errors.As(err, &ue) {
		return e.texts().Get(ue.key, smsFields(ue.args)...)
	}
	var pe *ParseError
	if errors.As(err, &pe) {
		return e.texts().Get(pe.Key, "arg", pe.Arg)
	}
	if r, ok := mifos.RefusalOf(err); ok {
		return e.refusalText(r)
	}
	return e.texts().Get("fineract.down")
}

// payTarget is a resolved PAY item: which Fineract account takes the money.
type payTarget struct {
	kind      store.JournalKind
	accountID int64
	accountNo string
	currency  mifos.Currency
}

// resolvedClient is a client with what confirmations need.
type resolvedClient struct {
	mifos.Client
	phone    string // E.164, "" when Fineract has none usable
	accounts mifos.Accounts
}

func (e *Env) resolveClient(ctx context.Context, ref string) (resolvedClient, error) {
	hit, err := e.API.ClientByRef(ctx, ref)
	if errors.Is(err, mifos.ErrNotFound) {
		return resolvedClient{}, refuse("pay.unknown_client", "ref", ref)
	}
	if err != nil {
		return resolvedClient{}, err
	}
	if !mifos.Active(hit.StatusID) {
		return resolvedClient{}, refuse("pay.unknown_client", "ref", ref)
	}
	c, err := e.API.Client(ctx, hit.ID)
	if err != nil {
		return resolvedClient{}, err
	}
	accts, err := e.API.ClientAccounts(ctx, hit.ID)
	if err != nil {
		return resolvedClient{}, err
	}
	rc := resolvedClient{Client: c, accounts: accts}
	if c.MobileNo != "" {
		rc.phone, _ = phone.Normalize(c.MobileNo, e.Country)
	}
	return rc, nil
}

func (e *Env) resolveItem(c resolvedClient, it PayItem) (payTarget, error) {
	t, err := e.resolveAccount(c, it)
	if err != nil {
		return t, err
	}
	// Fineract would round an amount finer than the currency allows; the
	// officer and client would then be told a figure that was not posted.
	if unit := minorUnit(t.currency.DecimalPlaces); int64(it.Amount)%unit != 0 {
		return payTarget{}, refuse("pay.bad_decimals", "item", itemLabel(it), "amount", it.Amount.String(), "decimals", strconv.Itoa(t.currency.DecimalPlaces))
	}
	// A currency without decimals is posted rounded to its inMultiplesOf
	// (docs/fineract.md §1.5): refused here, before anything is journaled,
	// so nobody is told an amount Fineract did not post.
	if step := postingStep(t.currency); step > 1 && int64(it.Amount)%int64(wholeUnits(step)) != 0 {
		c := t.currency
		lower := it.Amount - it.Amount%wholeUnits(step)
		upper := lower + wholeUnits(step)
		args := []string{"item", itemLabel(it), "amount", c.Format(it.Amount), "currency", c.Code,
			"multiple", c.Format(wholeUnits(step)), "upper", c.Format(upper)}
		if lower == 0 {
			return payTarget{}, refuse("pay.bad_multiple_up", args...)
		}
		return payTarget{}, refuse("pay.bad_multiple", append(args, "lower", c.Format(lower))...)
	}
	return t, nil
}

func postingStep(c mifos.Currency) int64 { return c.PostingStep() }

func minorUnit(decimals int) int64 { return mifos.MinorUnit(decimals) }

func (e *Env) resolveAccount(c resolvedClient, it PayItem) (payTarget, error) {
	label := itemLabel(it)
	switch it.Kind {
	case LoanItem:
		loans := c.accounts.ActiveLoans()
		if it.Index < 1 || it.Index > len(loans) {
			return payTarget{}, refuse("pay.no_loan", "name", c.DisplayName, "item", label)
		}
		l := loans[it.Index-1]
		return payTarget{kind: store.JournalLoanRepayment, accountID: l.ID, accountNo: l.AccountNo, currency: l.Currency}, nil
	case SavingsItem:
		sv := c.accounts.ActiveSavings()
		if it.Index < 1 || it.Index > len(sv) {
			return payTarget{}, refuse("pay.no_savings", "name", c.DisplayName, "item", label)
		}
		s := sv[it.Index-1]
		return payTarget{kind: store.JournalSavingsDeposit, accountID: s.ID, accountNo: s.AccountNo, currency: s.Currency}, nil
	default:
		for _, l := range c.accounts.Loans {
			if mifos.SameAccountNo(l.AccountNo, it.AccountNo) {
				if !mifos.Active(l.StatusID) {
					return payTarget{}, refuse("pay.loan_not_active", "name", c.DisplayName, "item", label)
				}
				return payTarget{kind: store.JournalLoanRepayment, accountID: l.ID, accountNo: l.AccountNo, currency: l.Currency}, nil
			}
		}
		for _, s := range c.accounts.Savings {
			if mifos.SameAccountNo(s.AccountNo, it.AccountNo) && mifos.Active(s.StatusID) && s.Plain() {
				return payTarget{kind: store.JournalSavingsDeposit, accountID: s.ID, accountNo: s.AccountNo, currency: s.Currency}, nil
			}
		}
		return payTarget{}, refuse("pay.no_account", "name", c.DisplayName, "item", label)
	}
}

// itemLabel is how an item is written back to the officer: L1, S1 or the account number.
func itemLabel(it PayItem) string {
	switch it.Kind {
	case LoanItem:
		return "L" + strconv.Itoa(it.Index)
	case SavingsItem:
		return "S" + strconv.Itoa(it.Index)
	}
	return it.AccountNo
}

// externalID is the deterministic Fineract externalId of one item of one
// SMS: the same SMS always maps to the same ids, so a repost is refused as a
// duplicate instead of paying twice.
func (e *Env) externalID(batch uint64, item int) string {
	return fmt.Sprintf("%s%s-m%d-%d", mifos.ExternalIDSMS, e.boxID(), batch, item)
}

// receipt is the savings-deposit token (<= 50 chars) used to find a deposit again.
func (e *Env) receipt(batch uint64, item int) string {
	r := fmt.Sprintf("ME%s%dI%d", strings.ReplaceAll(e.boxID(), "-", ""), batch, item)
	if len(r) > 50 {
		r = r[len(r)-50:]
	}
	return r
}

func (e *Env) boxID() string {
	if e.Box == "" {
		return "box"
	}
	return e.Box
}
