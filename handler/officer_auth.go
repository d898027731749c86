package handler

import (
	"context"
	"strconv"
	"time"

	"github.com/mifos-edge/mifos-edge/officer"
	"github.com/mifos-edge/mifos-edge/phone"
	"github.com/mifos-edge/mifos-edge/store"
)

func init() {
	registerTexts("en", map[string]string{
		"officer.not_enrolled": "This phone is not enrolled for officer commands. Ask your branch manager.",
		"officer.wrong_pin":    "Wrong PIN. {left} attempt(s) left before officer commands are locked on this phone.",
		"officer.locked":       "Too many wrong PINs. Officer commands are locked until {until}.",
		"fineract.off":         "Officer commands need the Mifos link, which is not set up on this box yet.",
		"fineract.down":        "The Mifos system cannot be reached now. Please try again later.",
	})
	registerTexts("sw", map[string]string{
		"officer.not_enrolled": "Simu hii haijasajiliwa kwa amri za afisa. Muulize meneja wa tawi.",
		"officer.wrong_pin":    "PIN si sahihi. Umebaki na majaribio {left} kabla amri za afisa kufungiwa kwenye simu hii.",
		"officer.locked":       "PIN zisizo sahihi mara nyingi. Amri za afisa zimefungiwa hadi {until}.",
		"fineract.off":         "Amri za afisa zinahitaji kiungo cha Mifos, ambacho bado hakijawekwa kwenye kifaa hiki.",
		"fineract.down":        "Mfumo wa Mifos haupatikani sasa. Tafadhali jaribu tena baadaye.",
	})
}

// authOfficer checks that the sender is an enrolled officer and that pin is
// right. On refusal it returns the reply to send and ok=false.
func (e *Env) authOfficer(sender, pin string) (store.Officer, Result, bool) {
	t := e.texts()
	p, err := phone.Normalize(sender, e.Country)
	if err != nil {
		return store.Officer{}, reply(t.Get("officer.not_enrolled"), "officer command from an unusable number"), false
	}
	policy := officer.Policy{Attempts: e.Lockout.Attempts, LockFor: e.Lockout.Duration}
	res, err := officer.Authenticate(e.DB, p, pin, e.now(), policy)
	if err != nil {
		return store.Officer{}, Result{Note: "officer check failed: " + err.Error(), Retry: true}, false
	}
	switch res.Outcome {
	case officer.OK:
		return res.Officer, Result{}, true
	case officer.NotOfficer:
		return store.Officer{}, reply(t.Get("officer.not_enrolled"), "officer command from a phone that is not enrolled"), false
	case officer.Locked:
		return store.Officer{}, reply(t.Get("officer.locked", "until", res.LockedUntil.Local().Format("15:04")), "officer locked out"), false
	default:
		return store.Officer{}, reply(t.Get("officer.wrong_pin", "left", strconv.Itoa(res.AttemptsLeft)), "wrong officer PIN"), false
	}
}

// officer is what every officer command starts with: the Fineract link
// must be set up, the sender enrolled, and the PIN (the second word) right.
func (e *Env) officer(req Request) (store.Officer, Result, bool) {
	if res, ok := e.needAPI(); !ok {
		return store.Officer{}, res, false
	}
	pin := ""
	if words := req.Words(); len(words) > 1 {
		pin = words[1]
	}
	return e.authOfficer(req.From, pin)
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
