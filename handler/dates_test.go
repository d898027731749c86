package handler

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mifos-edge/mifos-edge/mifos"
	"github.com/mifos-edge/mifos-edge/pdu"
	"github.com/mifos-edge/mifos-edge/store"
)

func ymd(y, m, d int) mifos.Date { return mifos.Date{Year: y, Month: m, Day: d} }

// The expected forms are written out here, not rendered with the
// catalogue, so that a wrong name in it fails.
func TestDatesAreWrittenInTheReplyLanguage(t *testing.T) {
	today := ymd(2026, 3, 2)
	for _, tc := range []struct {
		lang      string
		overrides map[string]string
		d         mifos.Date
		want      string
	}{
		{"en", nil, ymd(2026, 12, 9), "Wed 9 Dec"},
		{"en", nil, ymd(2026, 3, 2), "Mon 2 Mar"},
		{"en", nil, ymd(2026, 3, 3), "Tue 3 Mar"},
		{"en", nil, ymd(2026, 3, 5), "Thu 5 Mar"},
		{"en", nil, ymd(2026, 3, 6), "Fri 6 Mar"},
		{"en", nil, ymd(2026, 3, 7), "Sat 7 Mar"},
		{"en", nil, ymd(2026, 3, 8), "Sun 8 Mar"},
		{"en", nil, ymd(2026, 1, 31), "Sat 31 Jan"},
		{"en", nil, ymd(2026, 2, 28), "Sat 28 Feb"},
		{"en", nil, ymd(2026, 4, 1), "Wed 1 Apr"},
		{"en", nil, ymd(2026, 5, 1), "Fri 1 May"},
		{"en", nil, ymd(2026, 6, 1), "Mon 1 Jun"},
		{"en", nil, ymd(2026, 7, 1), "Wed 1 Jul"},
		{"en", nil, ymd(2026, 8, 1), "Sat 1 Aug"},
		{"en", nil, ymd(2026, 9, 1), "Tue 1 Sep"},
		{"en", nil, ymd(2026, 10, 1), "Thu 1 Oct"},
		{"en", nil, ymd(2026, 11, 1), "Sun 1 Nov"},
		// Another year than today's: the year is written.
		{"en", nil, ymd(2027, 1, 4), "Mon 4 Jan 2027"},
		{"en", nil, ymd(2025, 12, 30), "Tue 30 Dec 2025"},
		{"sw", nil, ymd(2026, 12, 9), "Jumatano 9 Des"},
		{"sw", nil, ymd(2026, 3, 2), "Jumatatu 2 Mac"},
		{"sw", nil, ymd(2026, 3, 3), "Jumanne 3 Mac"},
		{"sw", nil, ymd(2026, 3, 5), "Alhamisi 5 Mac"},
		{"sw", nil, ymd(2026, 3, 6), "Ijumaa 6 Mac"},
		{"sw", nil, ymd(2026, 3, 7), "Jumamosi 7 Mac"},
		{"sw", nil, ymd(2026, 3, 8), "Jumapili 8 Mac"},
		{"sw", nil, ymd(2026, 1, 31), "Jumamosi 31 Jan"},
		{"sw", nil, ymd(2026, 2, 28), "Jumamosi 28 Feb"},
		{"sw", nil, ymd(2026, 4, 1), "Jumatano 1 Apr"},
		{"sw", nil, ymd(2026, 5, 1), "Ijumaa 1 Mei"},
		{"sw", nil, ymd(2026, 6, 1), "Jumatatu 1 Jun"},
		{"sw", nil, ymd(2026, 7, 1), "Jumatano 1 Jul"},
		{"sw", nil, ymd(2026, 8, 1), "Jumamosi 1 Ago"},
		{"sw", nil, ymd(2026, 9, 1), "Jumanne 1 Sep"},
		{"sw", nil, ymd(2026, 10, 1), "Alhamisi 1 Okt"},
		{"sw", nil, ymd(2026, 11, 1), "Jumapili 1 Nov"},
		{"sw", nil, ymd(2027, 1, 4), "Jumatatu 4 Jan 2027"},
		// An MFI's own layout and names.
		{"en", map[string]string{"date.format": "{day} {month}"}, ymd(2026, 12, 9), "9 Dec"},
		{"en", map[string]string{"date.format": "{weekday} {day} {month} {year}"}, ymd(2026, 12, 9), "Wed 9 Dec 2026"},
		{"en", map[string]string{"date.months": "January February March April May June July August September October November December"}, ymd(2026, 12, 9), "Wed 9 December"},
		{"sw", map[string]string{"date.months": "Januari, Februari, Machi, Aprili, Mei, Juni, Julai, Agosti, Septemba, Oktoba, Novemba, Desemba"}, ymd(2026, 12, 9), "Jumatano 9 Desemba"},
		{"en", map[string]string{"date.format_year": "{day}/{month}/{year}", "date.months": "1 2 3 4 5 6 7 8 9 10 11 12"}, ymd(2027, 1, 4), "4/1/2027"},
		{"sw", map[string]string{"date.weekdays": "Jtat Jnne Jtan Alh Ijm Jmos Jpl"}, ymd(2026, 12, 9), "Jtan 9 Des"},
	} {
		tx, err := NewTexts(tc.lang, tc.overrides)
		if err != nil {
			t.Fatalf("%s %v: %v", tc.lang, tc.overrides, err)
		}
		if got := tx.Date(tc.d, today); got != tc.want {
			t.Errorf("%s %v: Date(%s) = %q, want %q", tc.lang, tc.overrides, tc.d, got, tc.want)
		}
	}
	en, _ := NewTexts("en", nil)
	at := time.Date(2026, 3, 2, 14, 5, 0, 0, time.UTC)
	if got := en.DateTime(at, today); got != "Mon 2 Mar 14:05" {
		t.Errorf("DateTime = %q", got)
	}
	sw, _ := NewTexts("sw", nil)
	if got := sw.DateTime(at, ymd(2027, 1, 1)); got != "Jumatatu 2 Mac 2026 14:05" {
		t.Errorf("Swahili DateTime of another year = %q", got)
	}
}

func TestDateTemplatesAreChecked(t *testing.T) {
	for _, tc := range []struct {
		key, text, want string
	}{
		{"date.months", "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov", "templates.date.months: 11 names, want 12 (January first)"},
		{"date.weekdays", "Sun Mon Tue Wed Thu Fri Sat Sun", "templates.date.weekdays: 8 names, want 7 (Monday first)"},
		{"date.format", "{weekday} {month}", "templates.date.format: a date needs {day}"},
		{"date.format", "{day}", "templates.date.format: a date needs {month}"},
		{"date.format_year", "{day} {month}", "templates.date.format_year: a date needs {year}"},
		{"date.format", "{day} {month} {hour}", "templates.date.format: {hour} is not available in a date"},
		{"date.months", "Янв Фев Мар Апр Май Июн Июл Авг Сен Окт Ноя Дек", "templates.date.months: \"Янв"},
		{"date.format", "{day} {month} 🗓", "outside the GSM 7-bit alphabet"},
	} {
		_, err := NewTexts("en", map[string]string{tc.key: tc.text})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s = %q: error %v, want one containing %q", tc.key, tc.text, err, tc.want)
		}
	}
}

// Swahili's names are plain ASCII, so a date never turns an SMS into UCS2
// (which would halve BAL's room).
func TestBuiltInDateNamesAreGSM7(t *testing.T) {
	for _, lang := range Languages() {
		for _, k := range []string{"date.format", "date.format_year", "date.weekdays", "date.months"} {
			text := catalogs[lang][k]
			if _, ucs2 := pdu.Split(text); ucs2 || text == "" {
				t.Errorf("%s %s = %q", lang, k, text)
			}
			if err := func() error { _, err := checkDateTemplate(k, text); return err }(); err != nil {
				t.Errorf("%s %s: the built-in text fails its own check: %v", lang, k, err)
			}
		}
	}
}

// With the longest names (Swahili weekdays) and dates of another year the
// BAL reply still fits two GSM-7 SMS, dropping what Render drops first.
func TestBalanceWithLongDatesFitsTwoSMS(t *testing.T) {
	for _, lang := range []string{"en", "sw"} {
		for _, n := range []int{2, 4, 8} {
			api := aminaAPI()
			a := api.accounts[42]
			for i := range n {
				id := int64(2000 + i)
				a.Loans = append(a.Loans, mifos.LoanSummary{ID: id, AccountNo: fmt.Sprint(id), ProductName: "Group Loan Premium Product", StatusID: 300, Currency: kes,
					ActualDisbursementDate: mifos.Date{Year: 2024, Month: 9, Day: 1 + i}})
				api.loans[id] = mifos.Loan{ID: id, StatusID: 300, Currency: kes, TotalOutstanding: amt(fmt.Sprintf("%d1234.56", i+1)),
					// Alhamisi, 2025: the longest weekday and a year.
					Periods: []mifos.Period{{Number: 1, DueDate: ymd(2025, 1, 2), TotalOutstanding: amt("1000.25")}}}
			}
			api.accounts[42] = a
			f := newBalanceFixture(t, api, lang)
			got := f.ask(t, "+254712345678", "BAL")
			checkTwoSMS(t, got)
			if want := map[string]string{"en": "Thu 2 Jan 2025", "sw": "Alhamisi 2 Jan 2025"}[lang]; !strings.Contains(got, want) {
				t.Errorf("%s, %d extra loans: no %q in %q", lang, n, want, got)
			}
		}
	}
}

// Two date templates cannot be reached through the Fineract stand-in (a
// calendar without next meetings; a sheet Fineract rounded): their dates
// are checked here, the rest in spec_dates_test.go.
func TestCollectTooLateWithoutNextMeetingWritesTheDate(t *testing.T) {
	e := &Env{Now: func() time.Time { return time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC) }, Zone: time.UTC}
	g := mifos.Group{Name: "Umoja", Meeting: &mifos.Calendar{RecurringDates: []mifos.Date{ymd(2026, 2, 18), ymd(2026, 2, 25)}}}
	_, err := e.meetingToCollect(g, ymd(2026, 3, 2))
	want := "Umoja last met on Wed 25 Feb, more than 2 day(s) ago, so there is no meeting to record now. Mifos shows no next meeting. Nothing was posted."
	if got := e.Render(err); got != want {
		t.Errorf("\n got %q\nwant %q", got, want)
	}
}

func TestCollectionRoundedByFineractWritesTheDate(t *testing.T) {
	e := &Env{Now: func() time.Time { return time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC) }, Zone: time.UTC}
	ugx := mifos.Currency{Code: "UGX", DecimalPlaces: 0, InMultiplesOf: 100}
	payload, err := json.Marshal(CollectPayload{GroupName: "Umoja", Currency: ugx,
		Clients: []CollectedShare{{ClientID: 42, Name: "Aisha", Phone: "+256712345678", Amount: 1_050_000_000}}})
	if err != nil {
		t.Fatal(err)
	}
	sheet := store.JournalEntry{ID: 2, Batch: 8, Kind: store.JournalCollectionSheet, State: store.JournalDone, Officer: "+256772000012",
		Amount: 1_050_000_000, PostedAmount: 1_100_000_000, Currency: "UGX", Date: "2026-12-01", Payload: payload}
	out := e.Confirmations(sheet, []store.JournalEntry{sheet})
	want := "Collection for Umoja on Tue 1 Dec posted: 1 client(s), total 1,100 (Mifos rounded the 1,050 sent; clients were not told amounts, check them in Mifos)."
	if len(out) != 1 || out[0].Text != want {
		t.Fatalf("confirmations: %+v\nwant %q", out, want)
	}
}
