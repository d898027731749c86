package daraja

import (
	"fmt"
	"strings"

	"github.com/mifos-edge/mifos-edge/disburse"
)

// meaning is what a B2C result code says of a line.
type meaning struct {
	outcome disburse.Outcome
	words   string // for a loan officer; empty for success
}

// resultCodes is the one table of B2C result codes (the ResultCode of the
// result posted to ResultURL). Every failure here is a decline: M-PESA did
// not move the money. Two codes are not: 15 says M-PESA saw the request
// before and 17 is either an internal failure or the "same amount to the
// same client within two minutes" rule, so neither proves nothing was
// paid; they, like any code not listed, count as TimedOut: the box asks
// (a status query) before the line is settled either way.
var resultCodes = map[string]meaning{
	"0":  {disburse.Paid, ""},
	"1":  {disburse.NotPaid, "the B2C float (utility account) holds less than this amount: top it up"},
	"2":  {disburse.NotPaid, "the amount is below M-PESA's minimum for one B2C payment"},
	"3":  {disburse.NotPaid, "the amount is above M-PESA's maximum for one B2C payment"},
	"4":  {disburse.NotPaid, "the client would go over M-PESA's daily limit of money received"},
	"5":  {disburse.NotPaid, "the payment would take the B2C account below its minimum balance"},
	"6":  {disburse.NotPaid, "M-PESA could not identify the paying account"},
	"7":  {disburse.NotPaid, "M-PESA could not identify the client's wallet"},
	"8":  {disburse.NotPaid, "the client's wallet would go over M-PESA's maximum balance"},
	"11": {disburse.NotPaid, "the B2C account is not active"},
	"12": {disburse.NotPaid, "the B2C account cannot be paid from (invalid debit account)"},
	"13": {disburse.NotPaid, "the client's wallet cannot receive (invalid credit account)"},
	"14": {disburse.NotPaid, "M-PESA could not identify the paying account"},
	"15": {disburse.TimedOut, "M-PESA saw this request before (duplicate detected): whether it was paid is not known until the box asks"},
	"17": {disburse.TimedOut, "M-PESA reported an internal failure (or the same amount to the same client within 2 minutes): whether it was paid is not known until the box asks"},
	"20": {disburse.NotPaid, "M-PESA does not know the API operator (initiator_name)"},
	"21": {disburse.NotPaid, "the API operator lacks the \"ORG B2C API Initiator\" role on the M-PESA organisation portal"},
	"26": {disburse.NotPaid, "M-PESA was too busy and turned the request away"},
	"2001": {disburse.NotPaid, "M-PESA refused the API operator's name or security credential " +
		"(wrong user, wrong password, or encrypted with the wrong certificate)"},
	"2006":       {disburse.NotPaid, "the B2C account's status does not allow this payment"},
	"2028":       {disburse.NotPaid, "the shortcode is not allowed to make B2C payments"},
	"2040":       {disburse.NotPaid, "the client's number is not a registered M-PESA customer"},
	"8006":       {disburse.NotPaid, "the API operator's password is locked: the business administrator must unlock it on the M-PESA portal"},
	"SFC_IC0003": {disburse.NotPaid, "the client's number does not exist on M-PESA"},
}

// meaningOf is code's meaning; desc, M-PESA's own ResultDesc, words a code
// the table does not know.
func meaningOf(code, desc string) meaning {
	if m, ok := resultCodes[code]; ok {
		return m
	}
	d := ""
	if desc != "" {
		d = fmt.Sprintf(" (%q)", desc)
	}
	return meaning{disburse.TimedOut, fmt.Sprintf("M-PESA answered result code %s%s, which this box does not know: "+
		"whether it was paid is not known until the box asks", code, d)}
}

// transactionStatuses reads a status result's TransactionStatus.
var transactionStatuses = map[string]disburse.Outcome{
	"completed":  disburse.Paid,
	"failed":     disburse.NotPaid,
	"declined":   disburse.NotPaid,
	"cancelled":  disburse.NotPaid,
	"expired":    disburse.NotPaid,
	"pending":    disburse.InProgress,
	"authorized": disburse.InProgress,
}

// noRecordCodes are status-result codes that mean M-PESA has no such
// payment. Safaricom documents none; R000001 is what the project's
// stand-in answers (darajasim.NoSuchTransaction). Any other non-zero code
// is the query failing, which says nothing about the payment.
var noRecordCodes = map[string]bool{"R000001": true}

// statusFailures word the codes a status query itself fails with.
var statusFailures = map[string]string{
	"2001":       "M-PESA refused the API operator's name or security credential",
	"21":         "the API operator lacks the \"Transaction Status query ORG API\" role",
	"SFC_IC0003": "M-PESA does not accept the shortcode as the party asking",
}

// fieldWords are the plain words for a gateway "Bad Request - Invalid X".
var fieldWords = map[string]string{
	"initiatorname":            "Daraja does not accept the API operator's name (initiator_name)",
	"initiator":                "Daraja does not accept the API operator's name (initiator_name)",
	"securitycredential":       "Daraja does not accept the security credential (security_credential_file)",
	"commandid":                "Daraja does not accept the command (command_id)",
	"amount":                   "Daraja does not accept the amount (whole shillings above zero)",
	"partya":                   "Daraja does not accept the shortcode (shortcode)",
	"partyb":                   "the client's phone number is not one M-PESA can pay",
	"remarks":                  "Daraja does not accept the remarks (2 to 100 characters)",
	"occasion":                 "Daraja does not accept the occasion text",
	"resulturl":                "Daraja does not accept the callback address (callback_url)",
	"queuetimeouturl":          "Daraja does not accept the callback address (callback_url)",
	"originatorconversationid": "Daraja does not accept the line's reference",
}

// gatewayWords are plain words for an error of Daraja's API gateway.
func gatewayWords(code, msg string) string {
	if f, ok := strings.CutPrefix(msg, "Bad Request - Invalid "); ok {
		if w, ok := fieldWords[strings.ToLower(strings.TrimSpace(f))]; ok {
			return w
		}
	}
	switch code {
	case "400.002.05":
		return "Daraja could not read the request (a fault in this box's software)"
	case "404.001.04":
		return "Daraja refused how the box signed in (a fault in this box's software)"
	case "404.003.01":
		return "Daraja has no such address: check base_url"
	}
	if msg == "" {
		return "Daraja refused the request"
	}
	return "Daraja refused the request: " + msg
}
