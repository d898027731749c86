package mpesastatement

import (
	"regexp"
	"strings"
	"time"
)

// Span is a closed time interval.
type Span struct{ From, To time.Time }

// IsZero reports an unknown span.
func (s Span) IsZero() bool { return s.From.IsZero() && s.To.IsZero() }

// Contains reports whether t falls inside the span, ends included.
func (s Span) Contains(t time.Time) bool {
	return !s.IsZero() && !t.Before(s.From) && !t.After(s.To)
}

// Period is the span a statement covers. The reconciliation asks which SMS
// receipts fall inside it but are missing from the statement.
type Period struct {
	// Declared is the preamble's "Time Period: From … To …" when the
	// export has a readable one: it covers quiet hours at both ends that
	// no row shows.
	Declared Span
	// Seen runs from the earliest to the latest Completion Time among the
	// rows read (skipped rows included: they are on the statement too).
	Seen Span
}

// Span is the declared period when there is one, else the one the rows
// show; zero for a statement without either.
func (p Period) Span() Span {
	if !p.Declared.IsZero() {
		return p.Declared
	}
	return p.Seen
}

func (p *Period) seen(t time.Time) {
	if p.Seen.From.IsZero() || t.Before(p.Seen.From) {
		p.Seen.From = t
	}
	if p.Seen.To.IsZero() || t.After(p.Seen.To) {
		p.Seen.To = t
	}
}

// periodDate finds dates, with or without a time, in a preamble row:
// "From 10-10-2025 00:00:00", "To 13-10-2025 23:59:59", "01/10/2025".
var periodDate = regexp.MustCompile(`\d{1,4}[-/]\d{1,2}[-/]\d{1,4}(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?`)

var dateLayouts = []string{"2-1-2006", "2006-1-2", "2/1/2006"}

// preamblePeriod reads a "Time Period:" or "Statement Period" preamble row:
// the first date in it starts the period, the second ends it; a date
// without a time ends at the last second of that day.
func preamblePeriod(rec []string) (Span, bool) {
	line := strings.Join(rec, " ")
	if !hasWord(line, "period") {
		return Span{}, false
	}
	found := periodDate.FindAllString(line, 3)
	if len(found) < 2 {
		return Span{}, false
	}
	from, okFrom := periodTime(found[0], false)
	to, okTo := periodTime(found[1], true)
	if !okFrom || !okTo || to.Before(from) {
		return Span{}, false
	}
	return Span{From: from, To: to}, true
}

func periodTime(s string, end bool) (time.Time, bool) {
	if t, err := parseTime(s); err == nil {
		return t, true
	}
	for _, layout := range dateLayouts {
		if t, err := time.ParseInLocation(layout, s, nairobi); err == nil {
			if end {
				t = time.Date(t.Year(), t.Month(), t.Day(), 23, 59, 59, 0, nairobi)
			}
			return t, true
		}
	}
	return time.Time{}, false
}
