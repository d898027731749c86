// Package pdu decodes received SMS PDUs (leniently where the network is sloppy) and encodes outgoing texts into SUBMIT PDUs.
//
// Decoding tries github.com/warthog618/sms v0.3.0 first. When it rejects a
// PDU, a fallback decoder reads the real-world defects it is strict about
// (non-zero trailing fill, octets beyond the UDL, 0xFF SIM padding, invalid
// BCD time zones) and lists what it tolerated in Segment.Defects, so a
// message is parked or delivered instead of dropped. Both paths yield the same
// Segment for a well-formed PDU, so Fingerprint does not depend on the path.
//
// Encoding uses GSM 7-bit when every character is in the default alphabet or
// its extension table and UCS2 otherwise, splitting long texts on character
// boundaries with an 8-bit concatenation header.
package pdu
