package pdu

import "github.com/warthog618/sms/encoding/tpdu"

// SenderType is the type of number (TON) of an SMS's originating address:
// what the network says the sender is, as opposed to what the address
// string looks like. An alphanumeric sender id may spell digits
// ("0722000012"), so identity never rests on the string alone.
type SenderType string

// The types of number of 3GPP TS 23.040 9.1.2.5, named for people.
const (
	SenderUnknown       SenderType = "unknown"       // 000: the network did not say; digits
	SenderInternational SenderType = "international" // 001: digits with country code
	SenderNational      SenderType = "national"      // 010: digits without country code
	SenderNetwork       SenderType = "network"       // 011: network-specific (service numbers)
	SenderSubscriber    SenderType = "subscriber"    // 100: local subscriber number
	SenderAlphanumeric  SenderType = "alphanumeric"  // 101: a name chosen by the sender (MPESA, a bank)
	SenderAbbreviated   SenderType = "abbreviated"   // 110: short number
	SenderReserved      SenderType = "reserved"      // 111
)

// senderTypeOf maps the TON bits of a type-of-address octet.
func senderTypeOf(ton tpdu.TypeOfNumber) SenderType {
	switch ton {
	case tpdu.TonUnknown:
		return SenderUnknown
	case tpdu.TonInternational:
		return SenderInternational
	case tpdu.TonNational:
		return SenderNational
	case tpdu.TonNetworkSpecific:
		return SenderNetwork
	case tpdu.TonSubscriberNumber:
		return SenderSubscriber
	case tpdu.TonAlphanumeric:
		return SenderAlphanumeric
	case tpdu.TonAbbreviated:
		return SenderAbbreviated
	}
	return SenderReserved
}

// Numbered reports whether the type is one a person's phone number comes
// with: international, national, or undeclared digits. Everything else is a
// name, a short or service number, and cannot be a client or an officer.
func (t SenderType) Numbered() bool {
	return t == SenderInternational || t == SenderNational || t == SenderUnknown
}

// Declared reports whether the network declared the number as a full phone
// number (international or national). Officer commands need this; an
// undeclared type is accepted only where the operator is known to use it.
func (t SenderType) Declared() bool {
	return t == SenderInternational || t == SenderNational
}
