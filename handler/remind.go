package handler

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/mifos-edge/mifos-edge/mifos"
	"github.com/mifos-edge/mifos-edge/store"
)

func init() {
	registerTexts("en", map[string]string{
		"remind.client":            "Dear {name}, your loan {account} has {amount} overdue. Please pay at your next group meeting on {date}.",
		"remind.client_no_meeting": "Dear {name}, your loan {account} has {amount} overdue. Please pay as soon as you can.",
		"remind.done":              "Reminders queued for {count} client(s), {total} overdue in total.",
		"remind.done_skipped":      "Reminders queued for {count} client(s), {total} overdue in total. {skipped} client(s) were already reminded in the last 24 hours.",
		"remind.none":              "No client in {scope} has an overdue loan.",
		"remind.all_reminded":      "Every client with an overdue loan in {scope} was already reminded in the last 24 hours.",
	})
	registerTexts("sw", map[string]string{
		"remind.client":            "Mpendwa {name}, mkopo wako {account} una deni la {amount} lililopitwa na muda. Tafadhali lipa kwenye mkutano ujao wa kikundi tarehe {date}.",
		"remind.client_no_meeting": "Mpendwa {name}, mkopo wako {account} una deni la {amount} lililopitwa na muda. Tafadhali lipa mapema uwezavyo.",
		"remind.done":              "Vikumbusho vimepangwa kwa wateja {count}, jumla ya deni {total}.",
		"remind.done_skipped":      "Vikumbusho vimepangwa kwa wateja {count}, jumla ya deni {total}. Wateja {skipped} walishakumbushwa ndani ya saa 24 zilizopita.",
		"remind.none":              "Hakuna mteja katika {scope} mwenye mkopo uliopitwa na muda.",
		"remind.all_reminded":      "Kila mteja mwenye mkopo uliopitwa na muda katika {scope} alishakumbushwa ndani ya saa 24 zilizopita.",
	})
}

// Reminder is one overdue-loan SMS to a client.
type Reminder struct {
	ClientID  int64          `json:"client_id"`
	Name      string         `json:"name"`
	Phone     string         `json:"phone"`
	AccountNo string         `json:"account_no"`
	Overdue   mifos.Amount   `json:"overdue"`
	Currency  mifos.Currency `json:"currency"`
	Meeting   mifos.Date     `json:"meeting"`
	GroupID   int64          `json:"group_id"`
	Text      string         `json:"text"`
}

// Remind sends arrears reminders for an officer's groups: REMIND <PIN> [group].
type Remind struct{ Env *Env }

// Keywords implements Handler.
func (Remind) Keywords() []string { return []string{"REMIND", "KUMBUSHA"} }

// Handle implements Handler.
func (r Remind) Handle(ctx context.Context, req Request) Result {
	env := r.Env
	off, res, ok := env.officer(req)
	if !ok {
		return res
	}
	cmd, err := ParseRemind(req.Text)
	if err != nil {
		return reply(env.Render(err), "REMIND not understood: "+RedactPIN(req.Text))
	}
	var groups []mifos.Group
	cctx, cancel := context.WithTimeout(ctx, 2*callTimeout)
	defer cancel()
	if cmd.GroupID != 0 {
		g, err := env.API.Group(cctx, cmd.GroupID)
		switch {
		case err != nil && isNotFound(err):
			return reply(env.texts().Get("collect.unknown_group", "group", strconv.FormatInt(cmd.GroupID, 10)), "REMIND unknown group")
		case err != nil:
			return reply(env.Render(err), "REMIND failed: "+err.Error())
		case g.StaffID != off.StaffID:
			return reply(env.texts().Get("collect.not_your_group", "group", strconv.FormatInt(cmd.GroupID, 10)), "REMIND for another officer's group")
		}
		groups = []mifos.Group{g}
	} else {
		if groups, err = env.API.GroupsByStaff(cctx, off.StaffID); err != nil {
			return reply(env.Render(err), "REMIND failed: "+err.Error())
		}
	}
	list, err := env.Reminders(cctx, groups)
	if err != nil {
		return reply(env.Render(err), "REMIND failed: "+err.Error())
	}
	scope := "your groups"
	if cmd.GroupID != 0 {
		scope = "group " + strconv.FormatInt(cmd.GroupID, 10)
	}
	now := env.now()
	fresh, skipped, err := env.NotRemindedToday(list, now)
	if err != nil {
		return Result{Retry: true, Note: "reminder log unreadable: " + err.Error()}
	}
	res = Result{Note: fmt.Sprintf("REMIND: %d reminder(s), %d already reminded today", len(fresh), skipped),
		Replies: []Reply{{Text: env.RemindSummary(fresh, skipped, scope)}}}
	res.Apply = func(tx *store.Tx) error {
		_, err := QueueReminders(tx, fresh, fmt.Sprintf("remind:%d", req.MessageID), now)
		return err
	}
	return res
}

// RemindSummary is the officer's (or CLI's) one-line result: skipped
// clients were already reminded within a day.
func (e *Env) RemindSummary(list []Reminder, skipped int, scope string) string {
	if len(list) == 0 && skipped > 0 {
		return e.texts().Get("remind.all_reminded", "scope", scope)
	}
	if len(list) == 0 {
		return e.texts().Get("remind.none", "scope", scope)
	}
	var total mifos.Amount
	cur := list[0].Currency
	for _, r := range list {
		total += r.Overdue
		if r.Currency != cur {
			cur = mifos.Currency{} // mixed currencies: a plain sum
		}
	}
	if skipped > 0 {
		return e.texts().Get("remind.done_skipped", "count", strconv.Itoa(len(list)), "total", cur.Format(total), "skipped", strconv.Itoa(skipped))
	}
	return e.texts().Get("remind.done", "count", strconv.Itoa(len(list)), "total", cur.Format(total))
}

// remindWindow: a client gets at most one reminder within it, however
// often officers (or a forged sender) send REMIND.
const remindWindow = 24 * time.Hour

func remindKey(clientID int64) string { return "remind:client:" + strconv.FormatInt(clientID, 10) }

// NotRemindedToday drops from list the clients already reminded within a
// day and says how many it dropped.
func (e *Env) NotRemindedToday(list []Reminder, now time.Time) ([]Reminder, int, error) {
	var fresh []Reminder
	err := e.DB.View(func(tx *store.Tx) error {
		fresh = nil
		for _, r := range list {
			n, err := tx.Recent(remindKey(r.ClientID), now, remindWindow)
			if err != nil {
				return err
			}
			if n == 0 {
				fresh = append(fresh, r)
			}
		}
		return nil
	})
	return fresh, len(list) - len(fresh), err
}

// QueueReminders puts the reminders in the outbox inside tx, at most one
// per client within a day, as bulk: replies overtake them. It returns how
// many it queued.
func QueueReminders(tx *store.Tx, list []Reminder, origin string, now time.Time) (int, error) {
	queued := 0
	for _, r := range list {
		ok, err := tx.Allow(remindKey(r.ClientID), now, remindWindow, 1)
		if err != nil {
			return queued, err
		}
		if !ok {
			continue
		}
		if _, err := tx.Enqueue(store.Outbound{To: r.Phone, Text: r.Text, Origin: origin, Priority: store.PriorityBulk, DuplicateHarmless: true}); err != nil {
			return queued, err
		}
		queued++
	}
	return queued, nil
}

// Reminders lists every client of groups with an overdue amount on an
// active loan, figured from the repayment schedule as of the business date,
// with the date of the group's next meeting. Clients without a usable phone
// are skipped; a client in two groups, or with two overdue loans, is
// reminded once.
func (e *Env) Reminders(ctx context.Context, groups []mifos.Group) ([]Reminder, error) {
	today := e.today(ctx)
	seen := map[int64]bool{}
	var out []Reminder
	for _, g := range groups {
		full := g
		if len(g.ClientIDs) == 0 || g.Meeting == nil {
			var err error
			if full, err = e.API.Group(ctx, g.ID); err != nil {
				return nil, err
			}
		}
		meeting := nextMeeting(full.Meeting, today)
		for _, cid := range full.ClientIDs {
			if seen[cid] {
				continue
			}
			seen[cid] = true
			rs, err := e.clientReminders(ctx, e.API, cid, full.ID, meeting, today)
			if err != nil {
				return nil, err
			}
			out = append(out, rs...)
		}
	}
	return out, nil
}

func (e *Env) clientReminders(ctx context.Context, api reminderAPI, clientID, groupID int64, meeting, today mifos.Date) ([]Reminder, error) {
	c, err := api.Client(ctx, clientID)
	if err != nil {
		return nil, err
	}
	if c.MobileNo == "" {
		return nil, nil
	}
	to, err := e.normalisedPhone(c.MobileNo)
	if err != nil {
		return nil, nil
	}
	accts, err := api.ClientAccounts(ctx, clientID)
	if err != nil {
		return nil, err
	}
	// One reminder per client: the first overdue loan's in the BAL order.
	for _, ls := range accts.ActiveLoans() {
		l, err := api.Loan(ctx, ls.ID)
		if err != nil {
			return nil, err
		}
		overdue := mifos.Overdue(l.Periods, today)
		if overdue <= 0 {
			continue
		}
		name, account := smsField(c.DisplayName), smsField(l.AccountNo)
		r := Reminder{ClientID: clientID, Name: name, Phone: to, AccountNo: account, Overdue: overdue, Currency: l.Currency, Meeting: meeting, GroupID: groupID}
		amount := smsField(l.Currency.Code) + " " + l.Currency.Format(overdue)
		if meeting.IsZero() {
			r.Text = e.texts().Get("remind.client_no_meeting", "name", name, "account", account, "amount", amount)
		} else {
			r.Text = e.texts().Get("remind.client", "name", name, "account", account, "amount", amount, "date", e.smsDate(meeting))
		}
		return []Reminder{r}, nil
	}
	return nil, nil
}

// nextMeeting is the first meeting on or after today.
func nextMeeting(cal *mifos.Calendar, today mifos.Date) mifos.Date {
	if cal == nil {
		return mifos.Date{}
	}
	for _, d := range cal.NextRecurringDates {
		if !d.Before(today) {
			return d
		}
	}
	return mifos.Date{}
}
