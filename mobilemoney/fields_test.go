package mobilemoney

import (
	"errors"
	"testing"
	"time"
)

func TestReadAmount(t *testing.T) {
	for in, want := range map[string]string{
		"1,050.00": "1050", "950": "950", "30300.00": "30300", "4,000.36": "4000.36", "0.20": "0.2",
	} {
		a, err := readAmount(in)
		if err != nil || a.String() != want {
			t.Errorf("readAmount(%q) = %s, %v; want %s", in, a, err, want)
		}
	}
	for _, in := range []string{"XXXX", "**", "XX.XX", "•••"} {
		if _, err := readAmount(in); !errors.Is(err, ErrAmountHidden) {
			t.Errorf("readAmount(%q): %v, want amount not shown", in, err)
		}
	}
	for _, in := range []string{"1,05.00", "1,0000", "99999999999999999999"} {
		if _, err := readAmount(in); err == nil || errors.Is(err, ErrAmountHidden) {
			t.Errorf("readAmount(%q) accepted or called hidden: %v", in, err)
		}
	}
}

func TestLocalTime(t *testing.T) {
	ok := []struct {
		y, mo, d, h, mi, s, ampm string
		want                     string
	}{
		{"11", "10", "15", "11", "52", "", "AM", "2011-10-15T11:52:00+03:00"},
		{"14", "2", "4", "1", "40", "", "PM", "2014-02-04T13:40:00+03:00"},
		{"26", "6", "19", "10", "38", "", "pm", "2026-06-19T22:38:00+03:00"},
		{"2026", "09", "01", "03", "31", "", "PM", "2026-09-01T15:31:00+03:00"},
		{"22", "1", "1", "12", "05", "", "AM", "2022-01-01T00:05:00+03:00"},
		{"22", "1", "1", "12", "05", "", "PM", "2022-01-01T12:05:00+03:00"},
		{"2011", "04", "05", "14", "45", "34", "", "2011-04-05T14:45:34+03:00"},
		{"24", "2", "29", "0", "00", "", "", "2024-02-29T00:00:00+03:00"},
	}
	for _, tc := range ok {
		got, err := localTime(nairobi, tc.y, tc.mo, tc.d, tc.h, tc.mi, tc.s, tc.ampm)
		if err != nil || got.Format(time.RFC3339) != tc.want {
			t.Errorf("%+v: %s, %v", tc, got.Format(time.RFC3339), err)
		}
	}
	bad := [][7]string{
		{"11", "13", "29", "3", "22", "", "PM"}, // FrontlineSMS:Credit's forged date
		{"23", "2", "29", "1", "00", "", "PM"},
		{"24", "4", "31", "1", "00", "", "PM"},
		{"24", "4", "0", "1", "00", "", "PM"},
		{"24", "4", "1", "13", "00", "", "PM"},
		{"24", "4", "1", "0", "00", "", "AM"},
		{"24", "4", "1", "24", "00", "", ""},
		{"24", "4", "1", "1", "60", "", ""},
		{"24", "4", "1", "1", "00", "61", ""},
		{"1999", "4", "1", "1", "00", "", ""},
	}
	for _, b := range bad {
		if got, err := localTime(nairobi, b[0], b[1], b[2], b[3], b[4], b[5], b[6]); err == nil {
			t.Errorf("%v accepted as %s", b, got)
		}
	}
	// Zones: the same wall clock is a different instant in Kigali and Manila.
	k, _ := localTime(kigali, "2024", "05", "10", "16", "30", "51", "")
	m, _ := localTime(manila, "2024", "05", "10", "16", "30", "51", "")
	if k.Format(time.RFC3339) != "2024-05-10T16:30:51+02:00" || m.Format(time.RFC3339) != "2024-05-10T16:30:51+08:00" {
		t.Errorf("zones: %s %s", k, m)
	}
}

func TestSplitPayer(t *testing.T) {
	tests := []struct{ in, name, phone string }{
		{"JOHN KAMAU 254700000101", "JOHN KAMAU", "254700000101"},
		{"254700000108 Mark OTIENO", "Mark OTIENO", "254700000108"},
		{"DAVID OTIENO 0712***345", "DAVID OTIENO", "0712***345"},
		{"SAMUEL KATO, 256770000102", "SAMUEL KATO", "256770000102"},
		{"Jane Smith (*********013)", "Jane Smith", "*********013"},
		{"772123456, SARAH NAKATO", "SARAH NAKATO", "772123456"},
		{"MI*A P. 0915••••847", "MI*A P.", "0915••••847"},
		{"GEORGE  OCHIENG", "GEORGE  OCHIENG", ""},
		{"922756 - TIPS-SELCOM MF", "922756 - TIPS-SELCOM MF", ""},
		{"LOOP B2C.", "LOOP B2C", ""},
		{"PAUL M.", "PAUL M.", ""},
		{"0712345678", "", "0712345678"},
		{"SELCOM MF, Akaunti ****1234 - PERSON ONE", "SELCOM MF, Akaunti ****1234 - PERSON ONE", ""},
	}
	for _, tc := range tests {
		if n, p := splitPayer(tc.in); n != tc.name || p != tc.phone {
			t.Errorf("splitPayer(%q) = %q, %q; want %q, %q", tc.in, n, p, tc.name, tc.phone)
		}
	}
}
