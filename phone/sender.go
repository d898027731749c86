package phone

import (
	"strings"

	"github.com/mifos-edge/mifos-edge/pdu"
)

// Sender is who an SMS came from, as far as the network says: the address
// as received, its type of number, and its E.164 form when it is a phone
// number a person could own. Identity rests on the type and the number
// together, never on the string alone: an alphanumeric sender id may spell
// an officer's national number.
type Sender struct {
	Raw  string
	Type pdu.SenderType
	// E164 is empty when the sender is not a person's phone number: a
	// name, a short or service number, or digits that are not a number.
	E164 string
}

// shortCodeDigits is the longest number treated as a short code: short
// codes cannot be answered usefully and never belong to a client.
const shortCodeDigits = 6

// Identify classifies an SMS sender. country reads national numbers, as in
// Normalize.
func Identify(raw string, typ pdu.SenderType, country string) Sender {
	s := Sender{Raw: raw, Type: typ}
	if !typ.Numbered() {
		return s
	}
	d := strings.TrimPrefix(strings.TrimSpace(raw), "+")
	if len(d) <= shortCodeDigits || digits(d) != d {
		return s
	}
	// A "+" only comes with the international type; digits of another
	// type that begin with one were not written by a network.
	if strings.HasPrefix(raw, "+") != (typ == pdu.SenderInternational) {
		return s
	}
	if e164, err := Normalize(raw, country); err == nil {
		s.E164 = e164
	}
	return s
}

// Person reports whether the sender is a phone number: it may be answered
// and matched to a client.
func (s Sender) Person() bool { return s.E164 != "" }

// MayCommand reports whether officer commands may come from this sender:
// a phone number the network declared as international or national, or of
// undeclared type where the MFI accepts that (some networks deliver every
// number so).
func (s Sender) MayCommand(acceptUndeclared bool) bool {
	if !s.Person() {
		return false
	}
	return s.Type.Declared() || (acceptUndeclared && s.Type == pdu.SenderUnknown)
}

// Key is what per-sender limits count under: the E.164 form for a phone
// number, so "+2547…", "2547…" and "07…" share one allowance, else the
// type and the address as received.
func (s Sender) Key() string {
	if s.E164 != "" {
		return s.E164
	}
	return string(s.Type) + ":" + s.Raw
}

// InCountry reports whether e164 is a number of country (ISO region, one
// of Countries). An empty country cannot say, so every number counts as in
// it; a country outside the table has none.
func InCountry(e164, country string) bool {
	if country == "" {
		return true
	}
	p := planOf(country)
	// Calling codes are prefix-free, so the prefix is the whole code.
	return p != nil && strings.HasPrefix(e164, "+"+p.code)
}
