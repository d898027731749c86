package handler

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/mifos-edge/mifos-edge/mifos"
	"github.com/mifos-edge/mifos-edge/officer"
)

// BAL <account no> <PIN>: a client on a borrowed phone, or who changed SIM,
// names one of their loan or savings accounts and gives their client PIN
// (mifos-edge client-pin). The reply goes to the asking phone: it is the
// client's own request, made with their secret.
//
// Whatever the reason a request fails (no such account, a client without a
// PIN, a wrong PIN, a client whose PIN is locked) the reply is the same
// text, and the PIN check costs the same (officer.CheckAccountPIN), so
// cycling account numbers tells nothing about which exist. Wrong tries
// count against the sender's phone and every client the number names.

func init() {
	registerTexts("en", map[string]string{
		"bal.acct_refused": "No balance can be sent for this account number and PIN. Check them, or contact your branch.",
		"alert.who_sender": "phone {phone} (BAL by account number)",
	})
	registerTexts("sw", map[string]string{
		"bal.acct_refused": "Salio haliwezi kutumwa kwa nambari hii ya akaunti na PIN. Zihakiki, au wasiliana na tawi lako.",
		"alert.who_sender": "simu {phone} (BAL kwa nambari ya akaunti)",
	})
}

// accountOwners is what BAL by account number asks Fineract: the accounts
// of a number, who holds each, and the client's name and status. The
// *mifos.HTTPClient has them; a Balance.API fake without them makes the
// command answer "try later".
type accountOwners interface {
	AccountsByNo(ctx context.Context, no string) ([]mifos.AccountHit, error)
	Loan(ctx context.Context, loanID int64) (mifos.Loan, error)
	Savings(ctx context.Context, savingsID int64) (mifos.Savings, error)
	Client(ctx context.Context, id int64) (mifos.Client, error)
}

// byAccount answers BAL <account no> <PIN>.
func (b Balance) byAccount(ctx context.Context, req Request, accountNo, pin string) Result {
	env := b.Env
	t := env.texts()
	if req.From == "" {
		// A sender name or short code cannot be answered, nor locked.
		return Result{Note: "balance by account number ignored: the sender is not a phone number"}
	}
	api, ok := b.api().(accountOwners)
	if !ok || !b.live() {
		return reply(t.Get("bal.trylater"), "balance by account number: office system unreachable")
	}
	owners, err := b.owners(ctx, api, accountNo)
	switch {
	case err != nil && offline(err):
		b.log().Warn("balance by account number: lookup failed, office system unreachable", "err", err)
		return reply(t.Get("bal.trylater"), "balance by account number: office system unreachable")
	case err != nil:
		b.log().Error("balance by account number: lookup failed", "err", err)
		return reply(t.Get("bal.failed"), "balance by account number: lookup failed")
	}
	res, err := officer.CheckAccountPIN(env.DB, req.From, owners, pin, env.now(), env.PINs, env.Pepper)
	if err != nil {
		return Result{Retry: true, Note: "client PIN check failed: " + err.Error()}
	}
	refused := reply(t.Get("bal.acct_refused"), "")
	switch res.Outcome {
	case officer.OK:
		return b.answerClient(ctx, api, res.ClientID)
	case officer.Locked:
		return env.lockedReply(res.Sender, "bal.pin_locked", "bal.pin_locked_reset",
			"balance by account number refused: the sender's phone is locked")
	case officer.BudgetSpent:
		return reply(t.Get("bal.pin_paused"), "balance by account number refused: the box's daily wrong client PIN budget is spent")
	}
	// The note is for staff: which case it was stays on the box.
	refused.Note = fmt.Sprintf("balance by account number %s refused: %s", accountNo, refusalWhy(owners))
	if res.Sender.Outcome == officer.Locked {
		refused.Alerts = append(refused.Alerts, env.pinAlerts(res.Sender, t.Get("alert.who_sender", "phone", req.From), officer.KindClient)...)
	}
	for _, id := range owners {
		if r, ok := res.Locked[id]; ok {
			refused.Alerts = append(refused.Alerts, env.pinAlerts(r, t.Get("alert.who_client", "client", strconv.FormatInt(id, 10)), officer.KindClient)...)
		}
	}
	if res.BudgetAlert {
		refused.Alerts = append(refused.Alerts, env.pinAlerts(officer.Result{Alerts: []officer.Alert{officer.AlertBudgetSpent}}, "", officer.KindClient)...)
	}
	return refused
}

func refusalWhy(owners []int64) string {
	if len(owners) == 0 {
		return "no client's account has this number"
	}
	return fmt.Sprintf("PIN not accepted for client(s) %v (wrong, none set or locked)", owners)
}

// owners are the clients holding a loan or savings account numbered no,
// each confirmed by reading the account: a search hit's parent may be a
// group, and only a client has a PIN.
func (b Balance) owners(ctx context.Context, api accountOwners, no string) ([]int64, error) {
	cctx, cancel := b.callCtx(ctx)
	hits, err := api.AccountsByNo(cctx, no)
	cancel()
	if err != nil {
		return nil, fmt.Errorf("accounts numbered %s: %w", no, err)
	}
	var out []int64
	for _, h := range hits {
		if len(out) == officer.MaxAccountOwners {
			break
		}
		if h.ClientID <= 0 {
			continue
		}
		cctx, cancel := b.callCtx(ctx)
		var owner int64
		if h.Loan {
			var l mifos.Loan
			l, err = api.Loan(cctx, h.ID)
			owner = l.ClientID
		} else {
			var s mifos.Savings
			s, err = api.Savings(cctx, h.ID)
			owner = s.ClientID
		}
		cancel()
		if errors.Is(err, mifos.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("account %d: %w", h.ID, err)
		}
		if owner == h.ClientID && owner > 0 && !containsID(out, owner) {
			out = append(out, owner)
		}
	}
	return out, nil
}

func containsID(ids []int64, id int64) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// answerClient sends the figures of the client whose PIN matched, if the
// client is active, as BAL from their own phone would.
func (b Balance) answerClient(ctx context.Context, api accountOwners, clientID int64) Result {
	t := b.Env.texts()
	cctx, cancel := b.callCtx(ctx)
	c, err := api.Client(cctx, clientID)
	cancel()
	switch {
	case err != nil && offline(err):
		return reply(t.Get("bal.trylater"), fmt.Sprintf("balance by account number for client %d: office system unreachable", clientID))
	case err != nil:
		b.log().Error("balance by account number: client unreadable", "client", clientID, "err", err)
		return reply(t.Get("bal.failed"), fmt.Sprintf("balance by account number for client %d failed", clientID))
	case c.StatusID != mifos.StatusActive:
		return reply(t.Get("bal.failed"), fmt.Sprintf("balance by account number refused: client %d is not active", clientID))
	}
	res := b.answer(ctx, mifos.ClientHit{ID: c.ID, DisplayName: c.DisplayName, StatusID: c.StatusID}, nil)
	res.Note = "by account number and PIN: " + res.Note
	return res
}

// allDigits: the word can be an account number.
func allDigits(w string) bool {
	for i := 0; i < len(w); i++ {
		if w[i] < '0' || w[i] > '9' {
			return false
		}
	}
	return w != ""
}
