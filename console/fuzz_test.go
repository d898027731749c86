package console

import (
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/mifos-edge/mifos-edge/mifos"
)

// The approve and reject form is read from whatever a browser (or anyone)
// posts: it must never panic, and what it accepts must be what Fineract
// can take.
func FuzzReadDecision(f *testing.F) {
	f.Add("41", "2026-12-07", "1,500,000", "ok")
	f.Add("041", "", "", "")
	f.Add("9223372036854775807", "2026-02-30", "1.5", "\x00")
	f.Add("1", "2999-01-01", "-5", strings.Repeat("é", 501))
	f.Add("1", "2026-12-07", "1,50", "line\nbreak")
	now := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	c := &Console{d: Deps{Now: func() time.Time { return now }, Location: time.UTC}}
	today := mifos.DateOf(now)
	f.Fuzz(func(t *testing.T, id, date, amount, note string) {
		form := url.Values{"date": {date}, "amount": {amount}, "note": {note}}
		r := httptest.NewRequest("POST", "/console/loans/x/approve", strings.NewReader(form.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.SetPathValue("id", id)
		d, err := c.readDecision(r, true)
		if err != nil {
			if _, ok := err.(formError); !ok {
				t.Fatalf("error %v is not a sentence for the user", err)
			}
			return
		}
		if d.loanID <= 0 || today.Before(d.on) || d.amount < 0 || utf8.RuneCountInString(d.note) > maxNote || !utf8.ValidString(d.note) {
			t.Fatalf("accepted %+v from id %q date %q amount %q", d, id, date, amount)
		}
	})
}

func FuzzParseID(f *testing.F) {
	for _, s := range []string{"1", "0", "01", "-1", "99999999999999999999", "1e3", " 1", "+1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := parseID(s)
		if n < 0 || (n > 0 && itoa(n) != s) {
			t.Fatalf("parseID(%q) = %d", s, n)
		}
	})
}
