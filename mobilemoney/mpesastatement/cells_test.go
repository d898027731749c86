package mpesastatement

import (
	"testing"
	"time"
)

func TestTimeForms(t *testing.T) {
	tests := []struct {
		in   string
		want string // Nairobi wall time, "" = refused
	}{
		// DD-MM-YYYY HH:MM:SS, the 2025 portal.
		{"13-10-2025 12:36:39", "2025-10-13 12:36:39"},
		{"05-06-2025 08:00:01", "2025-06-05 08:00:01"}, // day first: 5 June
		{"5-6-2025 8:00:01", "2025-06-05 08:00:01"},
		// YYYY-MM-DD HH:MM:SS, the 2009 spec and the HTML portal.
		{"2009-08-26 12:39:42", "2009-08-26 12:39:42"},
		{"2025-10-13T12:36:39", "2025-10-13 12:36:39"},
		// Without seconds.
		{"20-04-2017 15:50", "2017-04-20 15:50:00"},
		{"2017-04-20 15:50", "2017-04-20 15:50:00"},
		// Excel re-saved in a Kenyan locale.
		{"13/10/2025 12:36", "2025-10-13 12:36:00"},
		{"13/10/2025 12:36:39", "2025-10-13 12:36:39"},
		// Excel serials: whole days, and a fraction for the time of day.
		{"45943", "2025-10-13 00:00:00"},
		{"45943.5", "2025-10-13 12:00:00"},
		{"45943.525451388886", "2025-10-13 12:36:39"},
		// Spaces around and doubled inside.
		{"  13-10-2025   12:36:39 ", "2025-10-13 12:36:39"},
		// Refused.
		{"", ""},
		{"13-13-2025 12:36:39", ""},
		{"31-02-2025 10:00:00", ""},
		{"10/13/2025 12:36", ""}, // month first is never assumed
		{"13-10-2025", ""},       // a date alone is not a transaction time
		{"12:36:39", ""},
		{"1200", ""}, // a number too small to be a serial of this century
		{"1e5", ""},
		{"NaN", ""},
		{"Inf", ""},
		{"99999", ""},
		{"13-10-2025 25:00:00", ""},
	}
	for _, tt := range tests {
		got, err := parseTime(tt.in)
		if tt.want == "" {
			if err == nil {
				t.Errorf("%q: got %v, want refused", tt.in, got)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tt.in, err)
			continue
		}
		if w := at(tt.want); !got.Equal(w) || got.Location() != nairobi {
			t.Errorf("%q: got %v, want %v in Nairobi", tt.in, got, w)
		}
		if _, off := got.Zone(); off != 3*3600 {
			t.Errorf("%q: offset %d", tt.in, off)
		}
	}
}

func TestAmountForms(t *testing.T) {
	tests := []struct {
		in   string
		want string // "" with bad = refused
		bad  bool
	}{
		{"1050", "1050", false},
		{"1050.00", "1050", false},
		{"1,050.00", "1050", false}, // Excel's quoted form, quotes already gone
		{"10,000.00", "10000", false},
		{"1,234,567.89", "1234567.89", false},
		{"1053.5", "1053.5", false},
		{" 450.00 ", "450", false},
		{"", "0", false},
		{"0.00", "0", false},
		{"-4000.00", "-4000", false}, // Withdrawn written negative
		{"-89636.0", "-89636", false},
		{"-15,015.50", "-15015.5", false},
		{"(15.00)", "-15", false}, // accounting brackets
		{"1,0,0", "", true},
		{"10,00.00", "", true},
		{"1050.005", "", true},
		{"12O.00", "", true},
		{"KES 100", "", true},
		{".5", "", true},
		{"5.", "", true},
		{"--5", "", true},
		{"()", "", true},
		{"1e3", "", true},
	}
	for _, tt := range tests {
		got, err := parseStatementAmount(tt.in)
		if tt.bad {
			if err == nil {
				t.Errorf("%q: got %s, want refused", tt.in, got)
			}
			continue
		}
		if err != nil || got != amt(tt.want) {
			t.Errorf("%q: got %s, %v; want %s", tt.in, got, err, tt.want)
		}
	}
}

func TestSplitParty(t *testing.T) {
	tests := []struct{ in, phone, name string }{
		{"25472****108 - JANE **** WANJIKU", "25472****108", "JANE **** WANJIKU"},
		{"0722000111 - FIRSTNAME LASTNAME", "0722000111", "FIRSTNAME LASTNAME"},
		{"254722000111 - GEORGE  OCHIENG", "254722000111", "GEORGE OCHIENG"},
		{"25479****005 - MARY **** NG'ANG'A", "25479****005", "MARY **** NG'ANG'A"},
		{"254700***222-PAUL M.", "254700***222", "PAUL M."},
		{"+254722000111 - ANNE", "+254722000111", "ANNE"},
		{"25472****108 -", "25472****108", ""},
		{"25472****108", "25472****108", ""},
		{"600123 - MWANGAZA MICROFINANCE LTD", "", "600123 - MWANGAZA MICROFINANCE LTD"},
		{"KCB - Money Transfer", "", "KCB - Money Transfer"},
		{"MARY-ANNE OTIENO", "", "MARY-ANNE OTIENO"},
		{"", "", ""},
	}
	for _, tt := range tests {
		phone, name := splitParty(tt.in)
		if phone != tt.phone || name != tt.name {
			t.Errorf("%q: got %q, %q; want %q, %q", tt.in, phone, name, tt.phone, tt.name)
		}
	}
}

func TestOperatorWords(t *testing.T) {
	for in, want := range map[string]string{
		"Pay Bill from 25472****108 - JANE Acc. school fees": "pay bill",
		"Business Pay Bill Charge":                           "business pay bill charge",
		"Cancelled:Payment received from 2547… - X":          "cancelled:payment received",
		"Pay Bill Acc. reversal":                             "pay bill",
	} {
		if got := operatorWords(in); got != want {
			t.Errorf("%q: got %q, want %q", in, got, want)
		}
	}
}

// The offset in RFC 3339 is what the payment list prints.
func TestNairobiOffset(t *testing.T) {
	got, err := parseTime("2009-08-26 12:39:42")
	if err != nil || got.Format(time.RFC3339) != "2009-08-26T12:39:42+03:00" {
		t.Errorf("%v %v", got, err)
	}
}
