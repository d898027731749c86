package handler

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mifos-edge/mifos-edge/mifos"
	"github.com/mifos-edge/mifos-edge/store"
)

func init() {
	registerTexts("en", map[string]string{
		"collect.not_your_group":   "Group {group} is not one of your groups.",
		"collect.unknown_group":    "There is no group {group}.",
		"collect.no_meeting":       "Group {group} has no meeting calendar in Mifos, so there is no collection sheet.",
		"collect.unknown_except":   "{ref} is not a member of group {group} with dues at this meeting.",
		"collect.nothing_due":      "Nothing is due from group {group} on {date}.",
		"collect.officer_confirm":  "Collection for {group} on {date} posted: {clients} client(s), total {total}.",
		"collect.officer_failed":   "Collection for {group} on {date} was NOT posted: {reason}.",
		"collect.officer_pending":  "Collection for {group} on {date} awaits approval in Mifos (total {total}).",
		"collect.client_confirm":   "Dear {name}, your payment of {amount} at the {group} meeting on {date} was recorded. Thank you.",
		"collect.too_late":         "{group} last met on {last}, more than {days} day(s) ago, so there is no meeting to record now. Its next meeting is on {next}. Nothing was posted.",
		"collect.too_late_no_next": "{group} last met on {last}, more than {days} day(s) ago, so there is no meeting to record now. Mifos shows no next meeting. Nothing was posted.",
		"collect.not_met_yet":      "{group} has not met yet: its first meeting is on {next}. Nothing was posted.",
		"collect.no_meeting_dates": "Mifos shows no meeting dates for group {group}, so there is no collection sheet. Nothing was posted.",
		"collect.left_out":         "Recorded for {group} on {date} without: {items}. Mifos drops a due under 1 unit from a collection sheet; collect it with PAY.",
		"collect.small_dues_only":  "Nothing was recorded for {group} on {date}: the only dues are under 1 unit ({items}), which Mifos drops from a collection sheet; collect them with PAY.",
	})
	registerTexts("sw", map[string]string{
		"collect.not_your_group":   "Kikundi {group} si mojawapo ya vikundi vyako.",
		"collect.unknown_group":    "Hakuna kikundi {group}.",
		"collect.no_meeting":       "Kikundi {group} hakina kalenda ya mikutano kwenye Mifos, kwa hiyo hakuna karatasi ya makusanyo.",
		"collect.unknown_except":   "{ref} si mwanachama wa kikundi {group} mwenye deni kwenye mkutano huu.",
		"collect.nothing_due":      "Hakuna kinachodaiwa kutoka kikundi {group} tarehe {date}.",
		"collect.officer_confirm":  "Makusanyo ya {group} tarehe {date} yameingizwa: wateja {clients}, jumla {total}.",
		"collect.officer_failed":   "Makusanyo ya {group} tarehe {date} HAYAJAINGIZWA: {reason}.",
		"collect.officer_pending":  "Makusanyo ya {group} tarehe {date} yanasubiri idhini kwenye Mifos (jumla {total}).",
		"collect.client_confirm":   "Mpendwa {name}, malipo yako ya {amount} kwenye mkutano wa {group} tarehe {date} yamerekodiwa. Asante.",
		"collect.too_late":         "{group} kilikutana mara ya mwisho tarehe {last}, zaidi ya siku {days} zilizopita, kwa hiyo hakuna mkutano wa kurekodi sasa. Mkutano ujao ni tarehe {next}. Hakuna kilichoingizwa.",
		"collect.too_late_no_next": "{group} kilikutana mara ya mwisho tarehe {last}, zaidi ya siku {days} zilizopita, kwa hiyo hakuna mkutano wa kurekodi sasa. Mifos haina mkutano ujao. Hakuna kilichoingizwa.",
		"collect.not_met_yet":      "{group} bado hakijakutana: mkutano wake wa kwanza ni tarehe {next}. Hakuna kilichoingizwa.",
		"collect.no_meeting_dates": "Mifos haina tarehe za mikutano za kikundi {group}, kwa hiyo hakuna karatasi ya makusanyo. Hakuna kilichoingizwa.",
		"collect.left_out":         "Imerekodiwa kwa {group} tarehe {date} bila: {items}. Mifos huondoa deni lililo chini ya kipimo 1 kwenye karatasi ya makusanyo; likusanye kwa PAY.",
		"collect.small_dues_only":  "Hakuna kilichorekodiwa kwa {group} tarehe {date}: madeni pekee ni chini ya kipimo 1 ({items}), ambayo Mifos huondoa kwenye karatasi ya makusanyo; yakusanye kwa PAY.",
	})
}

// CollectPayload is the journal payload of a collection sheet: the body to
// save, and what each client paid (for their confirmations).
type CollectPayload struct {
	Sheet     mifos.SaveSheet `json:"sheet"`
	GroupName string          `json:"group_name"`
	// Currency is the sheet's currency (the first item's); an entry stored
	// before it was kept shows two decimals.
	Currency mifos.Currency   `json:"currency"`
	Clients  []CollectedShare `json:"clients"`
}

// CollectedShare is one client's part of a collection.
type CollectedShare struct {
	ClientID int64        `json:"client_id"`
	Name     string       `json:"name"`
	Phone    string       `json:"phone,omitempty"` // E.164; "" = no confirmation SMS
	Amount   mifos.Amount `json:"amount"`
}

// Collect records a group meeting's collection sheet as paid as expected:
// COLLECT <PIN> <group> ALL [EXCEPT <client>...].
type Collect struct{ Env *Env }

// Keywords implements Handler.
func (Collect) Keywords() []string { return []string{"COLLECT", "KUSANYA"} }

// Handle implements Handler.
func (c Collect) Handle(ctx context.Context, req Request) Result {
	env := c.Env
	off, res, ok := env.officer(req)
	if !ok {
		return res
	}
	cmd, err := ParseCollect(req.Text)
	if err != nil {
		return reply(env.Render(err), "COLLECT not understood: "+RedactPIN(req.Text))
	}
	if res, held := env.holdRepeat(req, off, "COLLECT", cmd.Normal()); held {
		return res
	}
	today := env.today(ctx)
	cctx, cancel := env.call(ctx)
	defer cancel()
	payload, leftOut, err := env.buildCollection(cctx, off, cmd, today, req.MessageID)
	if err != nil {
		if offline(err) {
			return reply(env.texts().Get("fineract.down"), "COLLECT while Mifos unreachable")
		}
		return reply(env.Render(err), "COLLECT refused: "+err.Error())
	}
	body, err := json.Marshal(payload)
	if err != nil {
		return Result{Retry: true, Note: err.Error()}
	}
	var total mifos.Amount
	for _, s := range payload.Clients {
		total += s.Amount
	}
	if res, ok := env.checkDailyCeiling(off, today.String(), total); !ok {
		return res
	}
	entry := store.JournalEntry{
		Batch:      req.MessageID,
		Kind:       store.JournalCollectionSheet,
		Officer:    off.Phone,
		GroupID:    cmd.GroupID,
		CalendarID: payload.Sheet.CalendarID,
		Amount:     int64(total),
		Currency:   payload.Currency.Code,
		Decimals:   payload.Currency.DecimalPlaces,
		// The collection happened at the meeting: its date, not today's.
		Date:       payload.Sheet.Date.String(),
		ExternalID: env.externalID(req.MessageID, 0),
		Payload:    body,
		Note:       "collection sheet recorded by SMS from " + off.Name,
	}
	result := Result{
		Note:  "COLLECT journaled: " + RedactPIN(req.Text),
		Apply: env.journalOfficer([]store.JournalEntry{entry}, off, "COLLECT", cmd.Normal(), req.MessageID, today, total),
	}
	if len(leftOut) > 0 {
		result.Replies = []Reply{{Text: env.texts().Get("collect.left_out", "group", smsField(payload.GroupName),
			"date", env.smsDate(payload.Sheet.Date), "items", strings.Join(leftOut, ", "))}}
	}
	return result
}

// meetingToCollect is the meeting a COLLECT sent today records: the
// group's most recent meeting on or before today, if it was at most
// CollectWindow ago. Fineract makes and saves a sheet only for a meeting
// date (otherwise 403 error.msg.calendar.collectionsheet.not.valid.recurring.date),
// so on any other day the officer is told when the group meets next.
func (e *Env) meetingToCollect(g mifos.Group, today mifos.Date) (mifos.Date, error) {
	var last, next mifos.Date
	for _, d := range append(slices.Clone(g.Meeting.RecurringDates), g.Meeting.NextRecurringDates...) {
		switch {
		case !today.Before(d):
			if last.IsZero() || last.Before(d) {
				last = d
			}
		case next.IsZero() || d.Before(next):
			next = d
		}
	}
	window := e.CollectWindow
	if window <= 0 {
		window = 48 * time.Hour
	}
	days := int(window / (24 * time.Hour))
	group := smsField(g.Name)
	switch {
	case last.IsZero() && next.IsZero():
		return mifos.Date{}, refuse("collect.no_meeting_dates", "group", group)
	case last.IsZero():
		return mifos.Date{}, refuse("collect.not_met_yet", "group", group, "next", e.smsDate(next))
	case today.Time(time.UTC).Sub(last.Time(time.UTC)) > time.Duration(days)*24*time.Hour:
		if next.IsZero() {
			return mifos.Date{}, refuse("collect.too_late_no_next", "group", group, "last", e.smsDate(last), "days", strconv.Itoa(days))
		}
		return mifos.Date{}, refuse("collect.too_late", "group", group, "last", e.smsDate(last), "days", strconv.Itoa(days), "next", e.smsDate(next))
	}
	return last, nil
}

// buildCollection generates the collection sheet of the group's meeting
// (meetingToCollect) and marks everything due as paid, except the listed
// clients. leftOut names the dues it left out because Fineract would drop
// them from the saved sheet.
func (e *Env) buildCollection(ctx context.Context, off store.Officer, cmd CollectCommand, today mifos.Date, batch uint64) (p CollectPayload, leftOut []string, err error) {
	gname := strconv.FormatInt(cmd.GroupID, 10)
	g, err := e.API.Group(ctx, cmd.GroupID)
	if err != nil {
		if isNotFound(err) {
			return CollectPayload{}, nil, refuse("collect.unknown_group", "group", gname)
		}
		return CollectPayload{}, nil, err
	}
	if g.StaffID != off.StaffID {
		return CollectPayload{}, nil, refuse("collect.not_your_group", "group", gname)
	}
	if g.Meeting == nil || g.Meeting.ID == 0 {
		return CollectPayload{}, nil, refuse("collect.no_meeting", "group", g.Name)
	}
	meeting, err := e.meetingToCollect(g, today)
	if err != nil {
		return CollectPayload{}, nil, err
	}
	sheet, err := e.API.GenerateCollectionSheet(ctx, g.ID, g.Meeting.ID, meeting)
	if err != nil {
		return CollectPayload{}, nil, err
	}
	excluded := map[int64]bool{}
	for _, ref := range cmd.Except {
		id, ok := matchSheetClient(ctx, e, sheet, ref)
		if !ok {
			return CollectPayload{}, nil, refuse("collect.unknown_except", "ref", ref, "group", g.Name)
		}
		excluded[id] = true
	}
	p = CollectPayload{GroupName: g.Name, Sheet: mifos.SaveSheet{
		Date: meeting, CalendarID: g.Meeting.ID, PaymentTypeID: e.PaymentTypeID,
		Note: "Collection recorded by SMS (" + off.Name + ")",
	}}
	for _, c := range sheet.Clients {
		if excluded[c.ClientID] {
			continue
		}
		share := CollectedShare{ClientID: c.ClientID, Name: c.ClientName}
		for _, l := range c.Loans {
			if l.TotalDue <= 0 {
				continue
			}
			// Fineract keeps a sheet repayment only if the amount's whole
			// part is above 0 (intValue() > 0) and silently drops the rest.
			if l.TotalDue < wholeUnits(1) {
				leftOut = append(leftOut, fmt.Sprintf("%s loan %s %s", smsField(c.ClientName), l.AccountNo, l.Currency.Format(l.TotalDue)))
				continue
			}
			if p.Currency.Code == "" {
				p.Currency = l.Currency
			}
			p.Sheet.Repayments = append(p.Sheet.Repayments, mifos.SheetRepayment{
				LoanID: l.LoanID, Amount: l.TotalDue,
				ExternalID: fmt.Sprintf("%s-l%d", e.externalID(batch, 0), l.LoanID),
			})
			share.Amount += l.TotalDue
		}
		for _, s := range c.Savings {
			if s.DueAmount <= 0 {
				continue
			}
			if p.Currency.Code == "" {
				p.Currency = s.Currency
			}
			p.Sheet.Deposits = append(p.Sheet.Deposits, mifos.SheetDeposit{SavingsID: s.SavingsID, Amount: s.DueAmount, DepositAccountType: s.DepositAccountType})
			share.Amount += s.DueAmount
		}
		if share.Amount > 0 {
			// The phone is read now: confirmations are built inside a store
			// transaction, where no Fineract call may run.
			if c, err := e.API.Client(ctx, c.ClientID); err == nil && c.MobileNo != "" {
				share.Phone, _ = e.normalisedPhone(c.MobileNo)
			}
			p.Clients = append(p.Clients, share)
		}
	}
	if len(p.Clients) == 0 && len(leftOut) > 0 {
		return CollectPayload{}, nil, refuse("collect.small_dues_only", "group", g.Name, "date", e.smsDate(meeting), "items", strings.Join(leftOut, ", "))
	}
	if len(p.Clients) == 0 {
		return CollectPayload{}, nil, refuse("collect.nothing_due", "group", g.Name, "date", e.smsDate(meeting))
	}
	return p, leftOut, nil
}

// matchSheetClient finds an EXCEPT reference (account number, external id
// or client id) among the sheet's clients.
func matchSheetClient(ctx context.Context, e *Env, sheet mifos.CollectionSheet, ref string) (int64, bool) {
	id := int64(-1)
	if hit, err := e.API.ClientByRef(ctx, ref); err == nil {
		id = hit.ID
	} else if n, err := strconv.ParseInt(ref, 10, 64); err == nil {
		id = n
	}
	for _, c := range sheet.Clients {
		if c.ClientID == id {
			return id, true
		}
	}
	return 0, false
}

func isNotFound(err error) bool {
	fe, ok := err.(*mifos.Error)
	return ok && fe.Status == 404
}

// collectConfirmations: totals to the officer, each client's share to them.
func (e *Env) collectConfirmations(j store.JournalEntry) []store.Outbound {
	t := e.texts()
	var p CollectPayload
	if err := json.Unmarshal(j.Payload, &p); err != nil {
		return nil
	}
	p.GroupName = smsField(p.GroupName)
	origin := fmt.Sprintf("journal:%d", j.Batch)
	total := p.Currency.Format(mifos.Amount(j.Amount))
	day := e.smsDay(j.Date)
	var out []store.Outbound
	officerText := ""
	// What Fineract posted differs from the sheet: its total is known,
	// each client's share is not, so clients are told nothing.
	rounded := j.State == store.JournalDone && j.PostedAmount != 0 && j.PostedAmount != j.Amount
	switch {
	case rounded:
		officerText = t.Get("collect.officer_rounded", "group", p.GroupName, "date", day, "clients", strconv.Itoa(len(p.Clients)),
			"total", p.Currency.Format(mifos.Amount(j.PostedAmount)), "sent", total)
	case j.State == store.JournalDone:
		officerText = t.Get("collect.officer_confirm", "group", p.GroupName, "date", day, "clients", strconv.Itoa(len(p.Clients)), "total", total)
	case j.State == store.JournalAwaitingApproval:
		officerText = t.Get("collect.officer_pending", "group", p.GroupName, "date", day, "total", total)
	default:
		officerText = t.Get("collect.officer_failed", "group", p.GroupName, "date", day, "reason", e.failureReason(j))
	}
	if j.Officer != "" {
		out = append(out, store.Outbound{To: j.Officer, Text: officerText, Origin: origin, Priority: store.PriorityInteractive, DuplicateHarmless: true})
	}
	if j.State != store.JournalDone || rounded {
		return out
	}
	for _, s := range p.Clients {
		if s.Phone == "" {
			continue
		}
		// A sheet's receipts are many and nobody stands waiting for them:
		// they must not hold up other officers' and clients' replies.
		out = append(out, store.Outbound{To: s.Phone, Origin: origin, Priority: store.PriorityNotification, DuplicateHarmless: true,
			Text: t.Get("collect.client_confirm", "name", smsField(s.Name), "amount", p.Currency.Format(s.Amount), "group", p.GroupName, "date", day)})
	}
	return out
}
