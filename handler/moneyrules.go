package handler

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mifos-edge/mifos-edge/mifos"
	"github.com/mifos-edge/mifos-edge/store"
)

// This file holds the rules that bound what one officer may post by SMS,
// whoever holds the phone and the PIN: a repeat of a recent command waits
// for YES <PIN>, PAY credits only clients in the officer's scope, and
// ceilings cap one item and one officer's day.

func init() {
	registerTexts("en", map[string]string{
		"officer.repeat":     "You already sent this at {time}: {command}. Nothing was posted now. To post it again, reply YES <PIN> {id}.",
		"officer.over_item":  "{item} {amount} is above the limit of {limit} for one payment by SMS. Nothing was posted; ask your branch manager to post it in Mifos.",
		"officer.over_daily": "Nothing was posted: your SMS postings today would come to {total}, above the daily limit of {limit}. Ask your branch manager.",
		"pay.out_of_office":  "{name} ({ref}) is not a client of your office. Nothing was posted.",
		"pay.out_of_groups":  "{name} ({ref}) is not your client nor in one of your groups. Nothing was posted.",
		"pay.officer_gone":   "The officer who sent this payment is no longer enrolled on the box.",
	})
	registerTexts("sw", map[string]string{
		"officer.repeat":     "Ulishatuma hii saa {time}: {command}. Hakuna kilichoingizwa sasa. Kuingiza tena, jibu YES <PIN> {id}.",
		"officer.over_item":  "{item} {amount} ni zaidi ya kikomo cha {limit} kwa malipo moja kwa SMS. Hakuna kilichoingizwa; muombe meneja wa tawi aingize kwenye Mifos.",
		"officer.over_daily": "Hakuna kilichoingizwa: malipo yako ya SMS leo yangefikia {total}, zaidi ya kikomo cha siku cha {limit}. Muulize meneja wa tawi.",
		"pay.out_of_office":  "{name} ({ref}) si mteja wa ofisi yako. Hakuna kilichoingizwa.",
		"pay.out_of_groups":  "{name} ({ref}) si mteja wako wala hayumo kwenye vikundi vyako. Hakuna kilichoingizwa.",
		"pay.officer_gone":   "Afisa aliyetuma malipo haya hajasajiliwa tena kwenye kifaa.",
	})
}

// defaultRepeatWindow is how long a posted command counts as recent.
const defaultRepeatWindow = 24 * time.Hour

func (e *Env) repeatWindow() time.Duration {
	if e.Money.RepeatWindow > 0 {
		return e.Money.RepeatWindow
	}
	return defaultRepeatWindow
}

// normalRef is a client reference as compared: account numbers without
// leading zeros, anything else upper-cased.
func normalRef(ref string) string {
	if isDigits(ref, 1, 20) {
		if t := strings.TrimLeft(ref, "0"); t != "" {
			return t
		}
		return "0"
	}
	return strings.ToUpper(ref)
}

// Normal is the PAY command as compared with earlier ones and as held for
// confirmation: the client as compared, the items in a fixed order with
// amounts written plainly ("42 L1=500 S1=1000.5"). It parses back to the
// same payments, without the PIN.
func (c PayCommand) Normal() string {
	items := make([]string, len(c.Items))
	for i, it := range c.Items {
		key := itemLabel(it)
		if it.Kind == AccountItem {
			key = normalRef(it.AccountNo)
		}
		// String has no grouping nor trailing zeros: it parses back as is.
		items[i] = key + "=" + it.Amount.String()
	}
	slices.Sort(items)
	return normalRef(c.ClientRef) + " " + strings.Join(items, " ")
}

// Normal is the COLLECT command as compared and held ("7 ALL EXCEPT 43 44").
func (c CollectCommand) Normal() string {
	s := strconv.FormatInt(c.GroupID, 10) + " ALL"
	if len(c.Except) == 0 {
		return s
	}
	refs := make([]string, len(c.Except))
	for i, r := range c.Except {
		refs[i] = normalRef(r)
	}
	slices.Sort(refs)
	return s + " EXCEPT " + strings.Join(slices.Compact(refs), " ")
}

// holdRepeat holds a command that repeats one the same officer had posted
// within the repeat window: an SMS resent after the phone said "not sent",
// or replayed, must not pay twice. The officer confirms with YES <PIN> id.
// ok is false when the command may go on.
func (e *Env) holdRepeat(req Request, off store.Officer, keyword, args string) (Result, bool) {
	if req.Confirmed {
		return Result{}, false
	}
	var prev store.PostedCommand
	var found bool
	err := e.DB.View(func(tx *store.Tx) (err error) {
		prev, found, err = tx.PostedCommand(off.Phone, keyword+" "+args)
		return err
	})
	if err != nil {
		return Result{Retry: true, Note: "officer command log unreadable: " + err.Error()}, true
	}
	now := e.now()
	if !found || now.Sub(prev.At) >= e.repeatWindow() {
		return Result{}, false
	}
	id := strconv.FormatUint(req.MessageID, 10)
	held := store.HeldCommand{ID: req.MessageID, Officer: off.Phone, Keyword: keyword, Args: args, HeldAt: now, Repeats: prev.At}
	return Result{
		Replies: []Reply{{Text: e.texts().Get("officer.repeat", "time", e.when(prev.At), "command", keyword+" "+args, "id", id)}},
		Note:    fmt.Sprintf("%s held: repeats message %d posted at %s; waits for YES <PIN> %s", keyword, prev.MessageID, prev.At.Format(time.RFC3339), id),
		Apply:   func(tx *store.Tx) error { return tx.Hold(held) },
	}, true
}

// when writes a past time for an SMS: the time of day, and the date too
// when it was not today.
func (e *Env) when(t time.Time) string {
	now := e.now()
	if zone := e.PINs.Zone; zone != nil {
		t, now = t.In(zone), now.In(zone)
	} else {
		t, now = t.Local(), now.Local()
	}
	if t.Format(time.DateOnly) == now.Format(time.DateOnly) {
		return t.Format("15:04")
	}
	return e.texts().DateTime(t, mifos.DateOf(now))
}

// recordPosting is run in the transaction that journals an officer's
// command: it is the repeat check's memory and the daily ceiling's count.
func recordPosting(tx *store.Tx, off store.Officer, keyword, args string, messageID uint64, at time.Time, day string, total mifos.Amount) error {
	if err := tx.RecordCommand(off.Phone, keyword+" "+args, store.PostedCommand{At: at, MessageID: messageID}); err != nil {
		return err
	}
	return tx.AddOfficerDayTotal(off.Phone, day, int64(total))
}

// wholeUnits turns a ceiling in whole currency units into an Amount.
func wholeUnits(n int64) mifos.Amount { return mifos.Amount(n * 1_000_000) }

// checkItemCeiling refuses a PAY item above [officers] max_item_amount.
func (e *Env) checkItemCeiling(items []PayItem) (Result, bool) {
	if e.Money.MaxItem <= 0 {
		return Result{}, true
	}
	limit := wholeUnits(e.Money.MaxItem)
	for _, it := range items {
		if it.Amount > limit {
			// The account, so the currency, is not known yet: one format for all.
			amount, max := mifos.Currency{}.Format(it.Amount), mifos.Currency{}.Format(limit)
			text := e.texts().Get("officer.over_item", "item", itemLabel(it), "amount", amount, "limit", max)
			return reply(text, fmt.Sprintf("refused: %s %s is above the per-item limit %s", itemLabel(it), amount, max)), false
		}
	}
	return Result{}, true
}

// checkDailyCeiling refuses what would take the officer's SMS postings of
// day above [officers] max_daily_amount.
func (e *Env) checkDailyCeiling(off store.Officer, day string, add mifos.Amount) (Result, bool) {
	if e.Money.MaxDaily <= 0 {
		return Result{}, true
	}
	var done int64
	err := e.DB.View(func(tx *store.Tx) (err error) {
		done, err = tx.OfficerDayTotal(off.Phone, day)
		return err
	})
	if err != nil {
		return Result{Retry: true, Note: "officer day total unreadable: " + err.Error()}, false
	}
	limit := wholeUnits(e.Money.MaxDaily)
	if total := mifos.Amount(done) + add; total > limit {
		sum, max := mifos.Currency{}.Format(total), mifos.Currency{}.Format(limit)
		text := e.texts().Get("officer.over_daily", "total", sum, "limit", max)
		return reply(text, fmt.Sprintf("refused: the officer's SMS postings of %s would come to %s, above the daily limit %s", day, sum, max)), false
	}
	return Result{}, true
}

// checkScope refuses a client outside the officer's reach: by default the
// officer's office; with pay_scope = "groups" the officer's own clients and
// the members of the officer's groups.
func (e *Env) checkScope(ctx context.Context, off store.Officer, c resolvedClient, ref string) error {
	if e.Money.GroupsOnly {
		if c.StaffID == off.StaffID {
			return nil
		}
		for _, gid := range c.GroupIDs {
			g, err := e.API.Group(ctx, gid)
			if err != nil {
				return err
			}
			if g.StaffID == off.StaffID {
				return nil
			}
		}
		return refuse("pay.out_of_groups", "name", c.DisplayName, "ref", ref)
	}
	st, err := e.API.Staff(ctx, off.StaffID)
	if err != nil {
		return err
	}
	if st.OfficeID == 0 || c.OfficeID != st.OfficeID {
		return refuse("pay.out_of_office", "name", c.DisplayName, "ref", ref)
	}
	return nil
}

// officerOf is the enrolled officer who sent a journal entry.
func (e *Env) officerOf(phone string) (store.Officer, error) {
	off, err := e.DB.Officer(phone)
	if errors.Is(err, store.ErrNoOfficer) {
		return off, refuse("pay.officer_gone")
	}
	return off, err
}
