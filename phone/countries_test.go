package phone

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/mifos-edge/mifos-edge/pdu"
)

// countryCase is one country of the table with a mobile number in every
// form it is written in: by a person, by Fineract's users, by a network
// in an SMS header and by a mobile money notice.
type countryCase struct {
	country string
	e164    string
	// forms that must read as e164 with country set
	forms []string
	// more numbers of other mobile blocks, national form -> E.164
	more map[string]string
	// a digit short, a digit too many, a block the country does not use
	bad []string
	// masked as mobile money notices print the number
	masked []string
}

var countryCases = []countryCase{
	{"KE", "+254722000012",
		[]string{"0722000012", "+254722000012", "254722000012", "00254722000012", "000254722000012",
			"0722 000 012", "0722-000-012", "+254 722 000 012", "+254 (722) 000-012", "(0722) 000012", "0722.000.012",
			"722000012", "+254 0722 000012", "2540722000012",
			"0722\u00a0000\u00a0012", "0722–000–012", "\u200e+254 722 000 012"},
		map[string]string{"0110123456": "+254110123456", "0100123456": "+254100123456", "0799123456": "+254799123456", "020 2012345": "+254202012345"},
		[]string{"072200001", "07220000123", "+25472200001", "+2547220000123", "0822000012", "2547220000123"},
		[]string{"0722***012", "2547******12", "254722***012", "+254 7** *** *12", "0722XXX012", "07xxxxxx12", "0722•••012"}},
	{"TZ", "+255754123456",
		[]string{"0754123456", "+255754123456", "255754123456", "00255754123456", "000255754123456",
			"0754 123 456", "0754-123-456", "+255 754 123 456", "754123456"},
		map[string]string{"0621234567": "+255621234567", "0715123456": "+255715123456", "0222123456": "+255222123456"},
		[]string{"075412345", "07541234567", "+25575412345", "0154123456"},
		[]string{"0754***456", "2557******56", "255754***456"}},
	{"UG", "+256772123456",
		[]string{"0772123456", "+256772123456", "256772123456", "00256772123456", "000256772123456",
			"0772 123 456", "0772-123456", "+256 772 123456", "772123456"},
		map[string]string{"0701234567": "+256701234567", "0312123456": "+256312123456"},
		[]string{"077212345", "07721234567", "+2567721234567", "0512123456"},
		[]string{"0772***456", "2567******56", "256772***456"}},
	{"RW", "+250788123456",
		[]string{"0788123456", "+250788123456", "250788123456", "00250788123456",
			"0788 123 456", "0788-123-456", "+250 788 123 456", "788123456"},
		map[string]string{"0722123456": "+250722123456", "0731234567": "+250731234567"},
		[]string{"078812345", "07881234567", "+25078812345", "0588123456"},
		[]string{"0788***456", "2507******56", "250788***456"}},
	{"GH", "+233241234567",
		[]string{"0241234567", "+233241234567", "233241234567", "00233241234567",
			"024 123 4567", "024-123-4567", "+233 24 123 4567", "241234567"},
		map[string]string{"0551234567": "+233551234567", "0201234567": "+233201234567", "0302123456": "+233302123456"},
		[]string{"024123456", "02412345678", "+23324123456", "0741234567"},
		[]string{"024***4567", "2332******67", "233241***567"}},
	{"NG", "+2348031234567",
		[]string{"08031234567", "+2348031234567", "2348031234567", "002348031234567",
			"0803 123 4567", "0803-123-4567", "+234 803 123 4567", "8031234567"},
		map[string]string{"07031234567": "+2347031234567", "09051234567": "+2349051234567", "08121234567": "+2348121234567"},
		[]string{"0803123456", "080312345678", "+234803123456", "03031234567"},
		[]string{"0803***4567", "2348******67", "234803***4567"}},
	{"ZM", "+260977123456",
		[]string{"0977123456", "+260977123456", "260977123456", "00260977123456",
			"0977 123 456", "0977-123-456", "+260 977 123456", "977123456"},
		map[string]string{"0955123456": "+260955123456", "0761234567": "+260761234567", "0211123456": "+260211123456"},
		[]string{"097712345", "09771234567", "+26097712345", "0877123456"},
		[]string{"0977***456", "2609******56", "260977***456"}},
	{"MW", "+265991234567",
		[]string{"0991234567", "+265991234567", "265991234567", "00265991234567",
			"0991 23 45 67", "0991-234-567", "+265 991 23 45 67", "991234567"},
		map[string]string{"0881234567": "+265881234567", "0111234567": "+265111234567", "01234567": "+2651234567"},
		[]string{"099123456", "09912345678", "+26599123456", "0591234567"},
		[]string{"0991***567", "2659******67", "265991***567"}},
	{"PH", "+639171234567",
		[]string{"09171234567", "+639171234567", "639171234567", "00639171234567",
			"0917 123 4567", "0917-123-4567", "+63 917 123 4567", "9171234567"},
		map[string]string{"09051234567": "+639051234567", "08171234567": "+638171234567", "028 123 4567": "+63281234567"},
		[]string{"0917123456", "091712345678", "+63917123456", "0117123456"},
		[]string{"0917***4567", "639*******67", "63917***4567"}},
	{"IN", "+919876543210",
		[]string{"09876543210", "+919876543210", "919876543210", "00919876543210",
			"098765 43210", "098765-43210", "+91 98765 43210", "9876543210"},
		map[string]string{"07012345678": "+917012345678", "06123456789": "+916123456789", "011 2345 6789": "+911123456789"},
		[]string{"0987654321", "098765432101", "+91987654321", "+9198765432101"},
		[]string{"09876***210", "9198******10", "+91 98765 ***10"}},
}

func TestNormalizeEachCountry(t *testing.T) {
	for _, c := range countryCases {
		t.Run(c.country, func(t *testing.T) {
			for _, form := range c.forms {
				if got, err := Normalize(form, c.country); err != nil || got != c.e164 {
					t.Errorf("Normalize(%q, %q) = %q, %v; want %q", form, c.country, got, err, c.e164)
				}
			}
			for national, want := range c.more {
				if got, err := Normalize(national, c.country); err != nil || got != want {
					t.Errorf("Normalize(%q, %q) = %q, %v; want %q", national, c.country, got, err, want)
				}
			}
			for _, bad := range c.bad {
				if got, err := Normalize(bad, c.country); !errors.Is(err, ErrInvalid) {
					t.Errorf("Normalize(%q, %q) = %q, %v; want ErrInvalid", bad, c.country, got, err)
				}
			}
			for _, m := range c.masked {
				got, err := Normalize(m, c.country)
				if !errors.Is(err, ErrMasked) || !errors.Is(err, ErrInvalid) {
					t.Errorf("Normalize(%q, %q) = %q, %v; want ErrMasked and ErrInvalid", m, c.country, got, err)
				}
			}
			// Written with + or 00, the number reads in any box, of any
			// country or none.
			for _, home := range []string{"", "KE", "PH"} {
				for _, form := range []string{c.e164, "00" + c.e164[1:]} {
					if got, err := Normalize(form, home); err != nil || got != c.e164 {
						t.Errorf("Normalize(%q, %q) = %q, %v; want %q", form, home, got, err, c.e164)
					}
				}
			}
		})
	}
}

func TestVariantsEachCountry(t *testing.T) {
	for _, c := range countryCases {
		// The first form is the national one with its trunk 0.
		want := []string{c.e164, c.e164[1:], c.forms[0]}
		if got := Variants(c.e164); !slices.Equal(got, want) {
			t.Errorf("%s: Variants(%q) = %v, want %v", c.country, c.e164, got, want)
		}
		for _, v := range want {
			if got, err := Normalize(v, c.country); err != nil || got != c.e164 {
				t.Errorf("%s: variant %q normalises to %q, %v", c.country, v, got, err)
			}
		}
	}
}

// A form that reads as another number in the number's own country is no
// form of it.
func TestVariantsLeaveOutOtherNumbers(t *testing.T) {
	for e164, want := range map[string][]string{
		"+9110000000":  {"+9110000000", "010000000"},    // "9110000000" is a mobile
		"+25006123456": {"+25006123456", "25006123456"}, // "006123456" is +61…
	} {
		if got := Variants(e164); !slices.Equal(got, want) {
			t.Errorf("Variants(%q) = %v, want %v", e164, got, want)
		}
	}
}

func TestInCountryEachCountry(t *testing.T) {
	for _, c := range countryCases {
		for _, other := range countryCases {
			if got, want := InCountry(c.e164, other.country), c.country == other.country; got != want {
				t.Errorf("InCountry(%q, %q) = %v, want %v", c.e164, other.country, got, want)
			}
		}
	}
}

// A masked number never names a sender: no reply, no client, no officer.
func TestIdentifyMasked(t *testing.T) {
	for _, c := range []struct {
		raw string
		typ pdu.SenderType
	}{
		{"0722***012", pdu.SenderNational},
		{"+254722***012", pdu.SenderInternational},
		{"2547******12", pdu.SenderUnknown},
		{"0722XXX012", pdu.SenderNational},
	} {
		if s := Identify(c.raw, c.typ, "KE"); s.Person() || s.MayCommand(true) || s.Key() == "+254722000012" {
			t.Errorf("Identify(%q, %s) = %+v: a masked number was taken for a phone", c.raw, c.typ, s)
		}
	}
}

func TestNormalizeOtherCountries(t *testing.T) {
	for _, home := range []string{"", "KE"} {
		for raw, want := range map[string]string{
			"+447700900123":     "+447700900123",
			"+44 7700 900123":   "+447700900123",
			"0044 7700 900123":  "+447700900123",
			"+1 (202) 555-0123": "+12025550123",
			"+882345678901":     "+882345678901",
			"+6834002":          "+6834002", // Niue: four digits after the code
			"+27 83 889 0001":   "+27838890001",
			"+263 77 212 3456":  "+263772123456",
			"00263 77 212 3456": "+263772123456",
			"+86 138 0013 8000": "+8613800138000",
			"+39 06 1234 5678":  "+390612345678", // Italy keeps its 0
			"+49 1512 3456789":  "+4915123456789",
			"+1 242 359 1234":   "+12423591234",
			"+880 1712 345678":  "+8801712345678",
			"+7 912 345 67 89":  "+79123456789",
			"+998 90 123 45 67": "+998901234567",
			"+358 40 1234567":   "+358401234567",
			"+672 3 12345":      "+672312345",
		} {
			if got, err := Normalize(raw, home); err != nil || got != want {
				t.Errorf("Normalize(%q, %q) = %q, %v; want %q", raw, home, got, err, want)
			}
		}
		for _, bad := range []string{
			"+44770",            // three digits after the code
			"+4477009001234567", // 16 digits: longer than E.164 allows
			"+999123456789",     // no country has code 999
			"+0722000012",       // no code begins with 0
			"+44 7700 900123 ext 5",
			"tel:+447700900123",
			"+44+7700900123",
			"+44 7700 9001**",
		} {
			if got, err := Normalize(bad, home); !errors.Is(err, ErrInvalid) {
				t.Errorf("Normalize(%q, %q) = %q, %v; want ErrInvalid", bad, home, got, err)
			}
		}
	}
	// National numbers of a country outside the table cannot be read; the
	// error names the countries that can.
	_, err := Normalize("0772123456", "ZW")
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "KE") {
		t.Errorf("Normalize national in ZW: %v, want ErrInvalid naming the supported countries", err)
	}
	if InCountry("+263772123456", "ZW") {
		t.Error("InCountry for a country outside the table said yes")
	}
}

func TestCountriesSupported(t *testing.T) {
	want := []string{"GH", "IN", "KE", "MW", "NG", "PH", "RW", "TZ", "UG", "ZM"}
	if got := Countries(); !slices.Equal(got, want) {
		t.Fatalf("Countries() = %v, want %v", got, want)
	}
	for _, c := range want {
		if !Supported(c) || !Supported(strings.ToLower(c)) {
			t.Errorf("Supported(%q) = false", c)
		}
	}
	for _, c := range []string{"", "ZW", "XX", "KEN"} {
		if Supported(c) {
			t.Errorf("Supported(%q) = true", c)
		}
	}
}

// The table keeps its invariants: codes assigned, plans sorted, every
// range reachable and within E.164, a mobile block in every country.
func TestPlansConsistent(t *testing.T) {
	for i, p := range plans {
		if i > 0 && plans[i-1].region >= p.region {
			t.Errorf("plans not sorted at %s", p.region)
		}
		if callingCode(p.code+"0000000") != p.code {
			t.Errorf("%s: +%s is not an assigned calling code", p.region, p.code)
		}
		if p.mobileDigits() == 0 {
			t.Errorf("%s: no mobile block", p.region)
		}
		for _, r := range p.ranges {
			if r.min < 4 || r.min > r.max || len(p.code)+r.max > e164Digits || len(r.prefix) > r.min {
				t.Errorf("%s: range %+v impossible", p.region, r)
			}
		}
	}
}
