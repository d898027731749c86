package handler

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/mifos-edge/mifos-edge/officer"
	"github.com/mifos-edge/mifos-edge/phone"
	"github.com/mifos-edge/mifos-edge/store"
)

func init() {
	registerTexts("en", map[string]string{
		"officer.not_enrolled": "This phone is not enrolled for officer commands. Ask your branch manager.",
		"officer.undeclared":   "Officer commands are only taken from numbers the network identifies. Ask your branch manager.",
		"officer.wrong_pin":    "Wrong PIN. {left} attempt(s) left before officer commands are locked on this phone.",
		"officer.locked":       "Too many wrong PINs. Officer commands are locked until {until}.",
		"officer.locked_reset": "Too many wrong PINs. Officer commands are locked on this phone until your branch manager unlocks it.",
		"officer.paused":       "Too many wrong PINs on this box today. Officer commands are paused; ask your branch manager.",
		"officer.must_reset":   "Your PIN must be set again before you can send officer commands. Ask your branch manager.",
		"fineract.off":         "Officer commands need the Mifos link, which is not set up on this box yet.",
		"fineract.down":        "The Mifos system cannot be reached now. Please try again later.",
		"alert.locked":         "Mifos Edge: {who} was locked until {until} after {attempts} wrong PINs (lock {locks}).",
		"alert.locked_reset":   "Mifos Edge: {who} is locked after repeated wrong PINs until you unlock it (mifos-edge officer unlock).",
		"alert.budget":         "Mifos Edge: {count} wrong {kind} PINs today. {kind} PIN checks are paused until tomorrow or until you lift it (mifos-edge officer unlock --budget).",
		"alert.who_officer":    "officer {name} ({phone})",
		"alert.who_client":     "client {client}",
		"alert.flood":          "Mifos Edge: {number} sent more than {limit} SMS within an hour. The rest wait and are handled later; if that phone is not in use, the number may be forged.",
		"alert.send_budget":    "Mifos Edge: {limit} SMS were sent within an hour, the most allowed ([sms] max_sent_per_hour). More wait in the queue; check the box for a flood.",
	})
	registerTexts("sw", map[string]string{
		"officer.not_enrolled": "Simu hii haijasajiliwa kwa amri za afisa. Muulize meneja wa tawi.",
		"officer.undeclared":   "Amri za afisa zinapokelewa tu kutoka namba zinazotambuliwa na mtandao. Muulize meneja wa tawi.",
		"officer.wrong_pin":    "PIN si sahihi. Umebaki na majaribio {left} kabla amri za afisa kufungiwa kwenye simu hii.",
		"officer.locked":       "PIN zisizo sahihi mara nyingi. Amri za afisa zimefungiwa hadi {until}.",
		"officer.locked_reset": "PIN zisizo sahihi mara nyingi. Amri za afisa zimefungiwa kwenye simu hii hadi meneja wa tawi azifungue.",
		"officer.paused":       "PIN zisizo sahihi nyingi kwenye kifaa hiki leo. Amri za afisa zimesimamishwa; muulize meneja wa tawi.",
		"officer.must_reset":   "PIN yako lazima iwekwe upya kabla ya kutuma amri za afisa. Muulize meneja wa tawi.",
		"fineract.off":         "Amri za afisa zinahitaji kiungo cha Mifos, ambacho bado hakijawekwa kwenye kifaa hiki.",
		"fineract.down":        "Mfumo wa Mifos haupatikani sasa. Tafadhali jaribu tena baadaye.",
		"alert.locked":         "Mifos Edge: {who} amefungiwa hadi {until} baada ya PIN {attempts} zisizo sahihi (mara {locks}).",
		"alert.locked_reset":   "Mifos Edge: {who} amefungiwa baada ya PIN zisizo sahihi mara nyingi hadi umfungulie (mifos-edge officer unlock).",
		"alert.budget":         "Mifos Edge: PIN {count} zisizo sahihi za {kind} leo. Ukaguzi wa PIN za {kind} umesimamishwa hadi kesho au hadi uuruhusu (mifos-edge officer unlock --budget).",
		"alert.who_officer":    "afisa {name} ({phone})",
		"alert.who_client":     "mteja {client}",
		"alert.flood":          "Mifos Edge: {number} imetuma SMS zaidi ya {limit} ndani ya saa moja. Zilizobaki zinasubiri na zitashughulikiwa baadaye; kama simu hiyo haitumiki, namba inaweza kuwa imeghushiwa.",
		"alert.send_budget":    "Mifos Edge: SMS {limit} zimetumwa ndani ya saa moja, kiwango cha juu ([sms] max_sent_per_hour). Zaidi zinasubiri kwenye foleni; kagua kifaa kama kuna mafuriko ya ujumbe.",
	})
}

// authOfficer checks that the sender may send officer commands (a number
// the network declared, enrolled) and that pin is right. On refusal it
// returns the result to give and ok=false.
func (e *Env) authOfficer(sender phone.Sender, pin string) (store.Officer, Result, bool) {
	t := e.texts()
	if !sender.MayCommand(e.AcceptUndeclared) {
		note := fmt.Sprintf("officer command refused: sender type %q is not a declared phone number", sender.Type)
		return store.Officer{}, reply(t.Get("officer.undeclared"), note), false
	}
	p := sender.E164
	res, err := officer.Authenticate(e.DB, p, pin, e.now(), e.PINs, e.Pepper)
	if err != nil {
		return store.Officer{}, Result{Note: "officer check failed: " + err.Error(), Retry: true}, false
	}
	who := t.Get("alert.who_officer", "name", res.Officer.Name, "phone", p)
	var out Result
	switch res.Outcome {
	case officer.OK:
		return res.Officer, Result{}, true
	case officer.NotOfficer:
		return store.Officer{}, reply(t.Get("officer.not_enrolled"), "officer command from a phone that is not enrolled"), false
	case officer.Locked:
		out = e.lockedReply(res, "officer.locked", "officer.locked_reset", "officer locked out")
	case officer.BudgetSpent:
		out = reply(t.Get("officer.paused"), "officer command refused: the box's daily wrong-PIN budget is spent")
	case officer.MustReset:
		out = reply(t.Get("officer.must_reset"), "officer PIN was set with another box key; it must be set again")
	default:
		out = reply(t.Get("officer.wrong_pin", "left", strconv.Itoa(res.AttemptsLeft)), "wrong officer PIN")
	}
	out.Alerts = e.pinAlerts(res, who, officer.KindOfficer)
	return store.Officer{}, out, false
}

// lockedReply tells a locked sender until when, or that a person must act.
func (e *Env) lockedReply(res officer.Result, untilKey, resetKey, note string) Result {
	t := e.texts()
	if res.UntilReset {
		return reply(t.Get(resetKey), note+" until an administrator unlocks")
	}
	return reply(t.Get(untilKey, "until", e.clock(res.LockedUntil)), note)
}

// clock writes a time of day for an SMS, in the branch's zone.
func (e *Env) clock(t time.Time) string {
	zone := e.PINs.Zone
	if zone == nil {
		zone = time.Local
	}
	return t.In(zone).Format("15:04")
}

// pinAlerts words what a PIN check did that the branch manager must hear.
func (e *Env) pinAlerts(res officer.Result, who, kind string) []string {
	t := e.texts()
	var out []string
	for _, a := range res.Alerts {
		switch {
		case a == officer.AlertLocked && res.UntilReset:
			out = append(out, t.Get("alert.locked_reset", "who", who))
		case a == officer.AlertLocked:
			attempts := e.PINs.Attempts
			if attempts <= 0 {
				attempts = 3
			}
			out = append(out, t.Get("alert.locked", "who", who, "until", e.clock(res.LockedUntil),
				"attempts", strconv.Itoa(attempts), "locks", strconv.Itoa(res.Locks)))
		case a == officer.AlertBudgetSpent:
			budget := e.PINs.DailyBudget
			if budget <= 0 {
				budget = officer.DefaultDailyBudget
			}
			out = append(out, t.Get("alert.budget", "count", strconv.Itoa(budget), "kind", kind))
		}
	}
	return out
}

// officer is what every officer command starts with: the Fineract link
// must be set up, the sender enrolled, and the PIN (the second word) right.
func (e *Env) officer(req Request) (store.Officer, Result, bool) {
	if res, ok := e.needAPI(); !ok {
		return store.Officer{}, res, false
	}
	return e.authOfficer(req.Sender, pinWord(req.Text))
}

// pinWord is the second word of an officer command, the PIN. Commas
// separate words too ("COLLECT 482613, 7, ALL" is allowed), so a comma
// after the PIN is not taken for part of it, and never counts as a wrong PIN.
func pinWord(text string) string {
	words := strings.FieldsFunc(text, func(r rune) bool { return unicode.IsSpace(r) || r == ',' })
	if len(words) < 2 {
		return ""
	}
	return words[1]
}

// needAPI refuses officer commands on a box without the Fineract link.
func (e *Env) needAPI() (Result, bool) {
	if e.API == nil {
		return reply(e.texts().Get("fineract.off"), "Fineract not configured"), false
	}
	return Result{}, true
}

func reply(text, note string) Result {
	return Result{Replies: []Reply{{Text: text}}, Note: note}
}

// callTimeout bounds one live Fineract call made while an SMS waits for its answer.
const callTimeout = 15 * time.Second

func (e *Env) call(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, callTimeout)
}
