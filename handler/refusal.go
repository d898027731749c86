package handler

import (
	"strconv"
	"strings"

	"github.com/mifos-edge/mifos-edge/mifos"
	"github.com/mifos-edge/mifos-edge/store"
)

// An officer is told why Fineract refused something in fixed words from
// this catalogue, chosen by the HTTP status and Fineract's error code;
// Fineract's own message (exception names, SQL, English only) stays in the
// log and the journal, for people at a screen.
func init() {
	registerTexts("en", map[string]string{
		"fineract.refused":            "Mifos refused it (error {status}).",
		"fineract.refused_code":       "Mifos refused it (error {status}, {code}).",
		"fineract.refused_date":       "Mifos refused the posting: the date is not allowed.",
		"fineract.refused_holiday":    "Mifos takes no loan repayments on a holiday. Send it again on the next working day, or ask your branch manager to allow transactions on holidays in Mifos.",
		"fineract.refused_nonworking": "Mifos takes no loan repayments on a non-working day. Send it again on a working day, or ask your branch manager to allow transactions on non-working days in Mifos.",
		"fineract.refused_amount":     "Mifos refused the amount.",
		"fineract.refused_permission": "Mifos refused: this user may not do that; ask your branch manager.",
		"fineract.refused_inactive":   "Mifos refused: the account is not active.",
		"fineract.refused_notfound":   "Mifos refused: the client or account was not found.",
		"fineract.refused_duplicate":  "Mifos refused: this was already recorded.",
		"fineract.refused_busy":       "Mifos could not do it now (error {status}). Try again later.",
		"fineract.refused_unknown":    "refused by Mifos",
	})
	registerTexts("sw", map[string]string{
		"fineract.refused":            "Mifos imekataa (hitilafu {status}).",
		"fineract.refused_code":       "Mifos imekataa (hitilafu {status}, {code}).",
		"fineract.refused_date":       "Mifos imekataa muamala: tarehe hairuhusiwi.",
		"fineract.refused_holiday":    "Mifos haipokei malipo ya mkopo siku ya sikukuu. Yatume tena siku ya kazi inayofuata, au muombe meneja wa tawi aruhusu miamala siku za sikukuu kwenye Mifos.",
		"fineract.refused_nonworking": "Mifos haipokei malipo ya mkopo siku isiyo ya kazi. Yatume tena siku ya kazi, au muombe meneja wa tawi aruhusu miamala siku zisizo za kazi kwenye Mifos.",
		"fineract.refused_amount":     "Mifos imekataa kiasi.",
		"fineract.refused_permission": "Mifos imekataa: mtumiaji huyu haruhusiwi kufanya hivyo; muulize meneja wa tawi lako.",
		"fineract.refused_inactive":   "Mifos imekataa: akaunti si hai.",
		"fineract.refused_notfound":   "Mifos imekataa: mteja au akaunti haikupatikana.",
		"fineract.refused_duplicate":  "Mifos imekataa: hili limeshaingizwa.",
		"fineract.refused_busy":       "Mifos haiwezi kufanya hivyo sasa (hitilafu {status}). Jaribu tena baadaye.",
		"fineract.refused_unknown":    "imekataliwa na Mifos",
	})
}

// refusalKey picks the template for a Fineract refusal. The order matters:
// a permission problem is named as such whatever the code, and a specific
// code says more than the status.
func refusalKey(r mifos.Refusal) string {
	code := r.Code
	words := strings.Split(code, ".")
	has := func(match func(w string) bool) bool {
		for _, w := range words {
			if match(w) {
				return true
			}
		}
		return false
	}
	switch {
	case r.Status == 401, code == "error.msg.not.authorized", code == "error.msg.not.authenticated":
		return "fineract.refused_permission"
	case strings.Contains(code, "duplicate"), strings.Contains(code, "must.be.unique"), strings.Contains(code, "already.exists"):
		return "fineract.refused_duplicate"
	// Fineract's codes for a repayment on a holiday or a non-working day
	// (Loan.validateRepaymentDateIsOnHoliday / ...OnNonWorkingDay): the
	// MFI's calendar, which the officer can act on.
	case code == "error.msg.loan.application.repayment.date.on.holiday":
		return "fineract.refused_holiday"
	case code == "error.msg.loan.application.repayment.date.on.non.working.day":
		return "fineract.refused_nonworking"
	case has(isDateWord):
		return "fineract.refused_date"
	case has(func(w string) bool { return strings.Contains(w, "amount") || w == "insufficient" || w == "overpaid" }):
		return "fineract.refused_amount"
	case strings.Contains(code, "not.active"), has(func(w string) bool { return w == "inactive" || w == "closed" }):
		return "fineract.refused_inactive"
	case r.Status == 404, strings.HasSuffix(code, ".not.found"), strings.HasSuffix(code, ".id.invalid"):
		return "fineract.refused_notfound"
	case r.Status == 409, r.Status == 423, r.Status == 425, r.Status == 429, r.Status >= 500:
		return "fineract.refused_busy"
	case code != "":
		return "fineract.refused_code"
	}
	return "fineract.refused"
}

// isDateWord: a code word about a date ("transactiondate", "date"), a
// holiday or a working day; "update" and "validate" are not dates.
func isDateWord(w string) bool {
	switch w {
	case "update", "validate":
		return false
	case "holiday", "holidays", "working":
		return true
	}
	return strings.HasSuffix(w, "date")
}

// refusalText is the officer's words for a Fineract refusal.
func (e *Env) refusalText(r mifos.Refusal) string {
	return e.texts().Get(refusalKey(r), "status", strconv.Itoa(r.Status), "code", r.Code)
}

// failureReason is what the officer is told about a failed journal entry:
// its stored refusal (Fineract's status and code, mapped to fixed words,
// or this box's own words). Entries recorded before refusals were stored
// apart have only the full text; Fineract's message in it is never passed on.
func (e *Env) failureReason(j store.JournalEntry) string {
	told := j.Refusal
	if told == "" {
		told = j.LastError
	}
	if told == "" {
		return e.texts().Get("fineract.refused_unknown")
	}
	if r, ok := mifos.ParseRefusal(told); ok {
		told = e.refusalText(r)
	} else if j.Refusal == "" && strings.Contains(told, "fineract ") {
		// An old full text that quotes a Fineract answer after words of ours.
		return e.texts().Get("fineract.refused_unknown")
	}
	// The reason goes inside a sentence of the confirmation, which ends it.
	return strings.TrimSuffix(told, ".")
}
