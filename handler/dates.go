package handler

// Dates in SMS: written one way per language, as a client reads a date
// ("Wed 9 Dec"), never the ISO form the journal and Fineract keep.

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/mifos-edge/mifos-edge/mifos"
	"github.com/mifos-edge/mifos-edge/pdu"
)

// The layouts and names are templates, so an MFI may reword them like any
// reply ([templates] date.format = "{day} {month}"). Weekdays are listed
// Monday first, months January first. Swahili's short month names are the
// usual ones (CLDR's); its weekdays have no short form in common use.
func init() {
	registerTexts("en", map[string]string{
		"date.format":      "{weekday} {day} {month}",
		"date.format_year": "{weekday} {day} {month} {year}",
		"date.weekdays":    "Mon Tue Wed Thu Fri Sat Sun",
		"date.months":      "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec",
	})
	registerTexts("sw", map[string]string{
		"date.format":      "{weekday} {day} {month}",
		"date.format_year": "{weekday} {day} {month} {year}",
		"date.weekdays":    "Jumatatu Jumanne Jumatano Alhamisi Ijumaa Jumamosi Jumapili",
		"date.months":      "Jan Feb Mac Apr Mei Jun Jul Ago Sep Okt Nov Des",
	})
}

// dateNames is how many names each list of names holds.
var dateNames = map[string]int{"date.weekdays": 7, "date.months": 12}

// datePlaceholders are what a date layout may use; each layout must name
// the day and the month, and the one for another year the year too.
var datePlaceholders = map[string][]string{
	"date.format":      {"weekday", "day", "month", "year"},
	"date.format_year": {"weekday", "day", "month", "year"},
}

// checkDateTemplate checks an override of a date layout or list of names.
// They are written into BAL's two GSM-7 SMS, so a character that needs
// UCS2 (which would halve the room) is refused here rather than found
// there. ok is false for keys that are not about dates.
func checkDateTemplate(key, text string) (ok bool, err error) {
	if want, isNames := dateNames[key]; isNames {
		names := splitNames(text)
		if len(names) != want {
			first := map[string]string{"date.weekdays": "Monday", "date.months": "January"}[key]
			return true, fmt.Errorf("templates.%s: %d names, want %d (%s first), separated by spaces or commas", key, len(names), want, first)
		}
		return true, needsGSM7(key, text)
	}
	allowed, isLayout := datePlaceholders[key]
	if !isLayout {
		return false, nil
	}
	used := map[string]bool{}
	for _, m := range placeholder.FindAllStringSubmatch(text, -1) {
		if !slices.Contains(allowed, m[1]) {
			return true, fmt.Errorf("templates.%s: {%s} is not available in a date (have {%s})", key, m[1], strings.Join(allowed, "}, {"))
		}
		used[m[1]] = true
	}
	need := []string{"day", "month"}
	if key == "date.format_year" {
		need = append(need, "year")
	}
	for _, n := range need {
		if !used[n] {
			return true, fmt.Errorf("templates.%s: a date needs {%s}", key, n)
		}
	}
	return true, needsGSM7(key, text)
}

func needsGSM7(key, text string) error {
	if _, ucs2 := pdu.Split(text); ucs2 {
		return fmt.Errorf("templates.%s: %q has a character outside the GSM 7-bit alphabet; every SMS with a date would need twice the room", key, text)
	}
	return nil
}

func splitNames(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || unicode.IsSpace(r) })
}

// Date writes d for an SMS in the reply language: "Wed 9 Dec" in English,
// "Jumatano 9 Des" in Swahili, with the year ("Wed 9 Dec 2027") when d is
// not in today's year. Every date in an SMS is written by it, as every
// amount is by mifos.Currency.Format.
func (t *Texts) Date(d, today mifos.Date) string {
	if d.IsZero() {
		return ""
	}
	weekdays, months := splitNames(t.Get("date.weekdays")), splitNames(t.Get("date.months"))
	// Monday first: Go counts from Sunday.
	wd := (int(d.Time(time.UTC).Weekday()) + 6) % 7
	layout := "date.format_year"
	if d.Year == today.Year {
		layout = "date.format"
	}
	return t.Get(layout, "weekday", pick(weekdays, wd), "day", strconv.Itoa(d.Day),
		"month", pick(months, d.Month-1), "year", strconv.Itoa(d.Year))
}

// DateTime writes a moment for an SMS: its date (Date, in at's zone) and
// the time of day, "Mon 2 Mar 14:05".
func (t *Texts) DateTime(at time.Time, today mifos.Date) string {
	return t.Date(mifos.DateOf(at), today) + " " + at.Format("15:04")
}

// pick is names[i], or the number i+1 when the list is short (a list of
// names is checked when the templates are loaded; this keeps a date whole
// whatever happens).
func pick(names []string, i int) string {
	if i >= 0 && i < len(names) {
		return names[i]
	}
	return strconv.Itoa(i + 1)
}

// smsDate is d as an SMS writes it, the year shown when it is not the
// tenant's current year.
func (e *Env) smsDate(d mifos.Date) string { return e.texts().Date(d, e.TenantToday()) }

// smsDay is a date the journal keeps ("2026-03-04") as an SMS writes it;
// anything else is left as it is.
func (e *Env) smsDay(iso string) string {
	t, err := time.Parse(time.DateOnly, iso)
	if err != nil {
		return iso
	}
	return e.smsDate(mifos.DateOf(t))
}
