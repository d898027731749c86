package mifos

import "strings"

// The externalIds the box gives the loan transactions it posts, so that a
// repost is refused as a duplicate, and so that the box knows its own
// postings again (docs/fineract.md, "Exactly once").
const (
	ExternalIDSMS         = "me-" // an officer's PAY or COLLECT item: me-<box>-m<message>-<item>
	ExternalIDMobileMoney = "mm-" // a mobile-money payment: mm-<operator>-<transaction id>[~<part>]
	ExternalIDDisbursal   = "md-" // a loan paid out by mobile money: md-<line ref>
)

// PostedByBox reports whether a loan transaction's externalId is one the
// box makes: the client had the box's own receipt for it, so a Fineract
// event about it must not become a second SMS.
func PostedByBox(externalID string) bool {
	return strings.HasPrefix(externalID, ExternalIDSMS) || strings.HasPrefix(externalID, ExternalIDMobileMoney) ||
		strings.HasPrefix(externalID, ExternalIDDisbursal)
}
