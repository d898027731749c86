package phone

import (
	"testing"

	"github.com/mifos-edge/mifos-edge/pdu"
)

func TestIdentify(t *testing.T) {
	cases := []struct {
		name       string
		raw        string
		typ        pdu.SenderType
		e164       string
		command    bool // officer commands, undeclared type not accepted
		commandAny bool // officer commands, undeclared type accepted
	}{
		{"international", "+254722000012", pdu.SenderInternational, "+254722000012", true, true},
		{"national", "0722000012", pdu.SenderNational, "+254722000012", true, true},
		{"undeclared with country code", "254722000012", pdu.SenderUnknown, "+254722000012", false, true},
		{"undeclared national", "0722000012", pdu.SenderUnknown, "+254722000012", false, true},
		// The forgery of the security review: a sender id spelling digits.
		{"alphanumeric spelling a national number", "0722000012", pdu.SenderAlphanumeric, "", false, false},
		{"alphanumeric without trunk zero", "722000012", pdu.SenderAlphanumeric, "", false, false},
		{"alphanumeric international look-alike", "85512345678", pdu.SenderAlphanumeric, "", false, false},
		{"alphanumeric name", "MPESA", pdu.SenderAlphanumeric, "", false, false},
		{"short code", "22555", pdu.SenderUnknown, "", false, false},
		{"six-digit short code", "999167", pdu.SenderUnknown, "", false, false},
		{"abbreviated", "0722000012", pdu.SenderAbbreviated, "", false, false},
		{"network specific", "0722000012", pdu.SenderNetwork, "", false, false},
		{"subscriber", "27838890001", pdu.SenderSubscriber, "", false, false},
		{"plus without international type", "+254722000012", pdu.SenderNational, "", false, false},
		{"digits with letters", "07220000I2", pdu.SenderNational, "", false, false},
	}
	for _, c := range cases {
		s := Identify(c.raw, c.typ, "KE")
		if s.E164 != c.e164 || s.Person() != (c.e164 != "") {
			t.Errorf("%s: Identify(%q, %s) = %+v, want E164 %q", c.name, c.raw, c.typ, s, c.e164)
		}
		if s.MayCommand(false) != c.command || s.MayCommand(true) != c.commandAny {
			t.Errorf("%s: MayCommand = %v/%v, want %v/%v", c.name, s.MayCommand(false), s.MayCommand(true), c.command, c.commandAny)
		}
	}
}

func TestSenderKeyJoinsSpellingsOfOneNumber(t *testing.T) {
	a := Identify("+254722000012", pdu.SenderInternational, "KE").Key()
	b := Identify("0722000012", pdu.SenderNational, "KE").Key()
	c := Identify("254722000012", pdu.SenderUnknown, "KE").Key()
	if a != b || b != c {
		t.Fatalf("keys differ: %q %q %q", a, b, c)
	}
	if alnum := Identify("0722000012", pdu.SenderAlphanumeric, "KE").Key(); alnum == a {
		t.Fatalf("an alphanumeric sender shares the phone's key %q", alnum)
	}
}

func TestInCountry(t *testing.T) {
	cases := []struct {
		e164, country string
		want          bool
	}{
		{"+254722000012", "KE", true},
		{"+256772000012", "KE", false},
		{"+882345678901", "KE", false},
		{"+256772000012", "", true},
		{"+256772000012", "ug", true},
	}
	for _, c := range cases {
		if got := InCountry(c.e164, c.country); got != c.want {
			t.Errorf("InCountry(%q, %q) = %v, want %v", c.e164, c.country, got, c.want)
		}
	}
}
