// Package smscommand is the disbursement provider "sms-command": each line
// is paid by one SMS command that this box's own modem sends to the
// operator's number ("SEND 1000.00 09171234567 1234" to GCash's 2882), and
// the operator's reply SMS is the line's result (docs/disbursement.md,
// "Operator SMS commands").
//
// A reply names no line: it says what was sent to whom and the operator's
// reference number, never the box's own reference. The engine therefore
// keeps one command in flight at a time and gives a reply to that line,
// checking the Amount and Phone the reply states when it states them.
package smscommand

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/mifos-edge/mifos-edge/disburse"
	"github.com/mifos-edge/mifos-edge/mifos"
	"github.com/mifos-edge/mifos-edge/pdu"
	"github.com/mifos-edge/mifos-edge/phone"
)

// Secret is a value that must never be printed: the operator PIN. Printed
// with fmt, logged with slog or marshalled it shows as "***" (empty when
// unset), so a Config can be logged whole.
type Secret string

const redacted = "***"

func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return redacted
}

// GoString implements fmt.GoStringer (%#v).
func (s Secret) GoString() string { return `"` + s.String() + `"` }

// MarshalText keeps the secret out of JSON and other encodings.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Config is the provider's resolved settings: [disbursement.sms_command]
// with the PIN read from its file (Load).
type Config struct {
	// Operator is the number commands are sent to ("2882"): digits, with
	// a leading + when international.
	Operator string
	// ReplyFrom are the sender ids replies come from ("GCash"), compared
	// without regard to case but otherwise exactly.
	ReplyFrom []string
	// Command is the command's template; see Placeholders.
	Command string
	// PIN fills {pin}.
	PIN Secret
	// PhoneFormat writes {phone}: PhoneDigits (the default when empty),
	// PhoneNational or PhoneInternational.
	PhoneFormat string
	// Success and Failure are regular expressions reading a reply. Success
	// must name the group confirmation and may name amount and phone;
	// Failure may name reason.
	Success, Failure string
	// Country is the box's country (ISO region, [sms] country): it writes
	// the national form and reads the phone numbers replies print.
	Country string
}

// Phone formats of {phone}.
const (
	PhoneDigits        = "digits"        // 639171234567
	PhoneNational      = "national"      // 09171234567
	PhoneInternational = "international" // +639171234567
)

// Placeholders are what a command template may hold:
//
//	{amount}  the amount in plain digits with the currency's decimals,
//	          no thousands separators ("1000.00" PHP, "5000" UGX)
//	{phone}   the client's wallet number in the configured format
//	{pin}     the operator PIN (the command is stored hidden)
//	{ref}     the line's own reference (Order.Ref)
var Placeholders = []string{"{amount}", "{phone}", "{pin}", "{ref}"}

// maxReason is the most characters of an operator's failure reason kept:
// enough for a loan officer to read on a phone.
const maxReason = 100

// Provider writes payment commands and reads the operator's replies. It
// is safe for concurrent use (it holds no state after New).
type Provider struct {
	operator    string
	replyFrom   []string
	command     string
	pin         Secret
	phoneFormat string
	country     string
	success     *regexp.Regexp
	failure     *regexp.Regexp
}

var _ disburse.Commander = (*Provider)(nil)

// String describes the provider without its PIN (a value receiver, so a
// Provider printed by value shows this too).
func (p Provider) String() string {
	return fmt.Sprintf("sms-command to %s (replies from %s)", p.operator, strings.Join(p.replyFrom, ", "))
}

var (
	operatorNumber = regexp.MustCompile(`^\+?[0-9]{3,20}$`)
	placeholder    = regexp.MustCompile(`\{[^{}]*\}`)
)

// New checks c and builds the provider. Its errors never hold the PIN.
func New(c Config) (*Provider, error) {
	var errs []error
	fail := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if !operatorNumber.MatchString(c.Operator) {
		fail("operator: %q is not a number to send commands to (digits, + first when international)", c.Operator)
	}
	if len(c.ReplyFrom) == 0 || slices.Contains(c.ReplyFrom, "") {
		fail("reply_from: the sender ids of the operator's replies are required, none empty")
	}
	if c.PhoneFormat == "" {
		c.PhoneFormat = PhoneDigits
	}
	switch c.PhoneFormat {
	case PhoneDigits, PhoneInternational:
	case PhoneNational:
		if !phone.Supported(c.Country) {
			fail("phone_format national: the national form of numbers of country %q is not known (known: %s)", c.Country, strings.Join(phone.Countries(), ", "))
		}
	default:
		fail("phone_format: %q is not %s, %s or %s", c.PhoneFormat, PhoneDigits, PhoneNational, PhoneInternational)
	}
	errs = append(errs, checkTemplate(c.Command, c.PIN)...)
	success, err := regexp.Compile(c.Success)
	switch {
	case c.Success == "" || err != nil:
		fail("success: a regular expression reading the operator's success reply is required (%v)", err)
	case success.SubexpIndex("confirmation") < 0:
		fail("success: the expression must name a group (?P<confirmation>…) holding the operator's reference number")
	}
	failure, err := regexp.Compile(c.Failure)
	if c.Failure == "" || err != nil {
		fail("failure: a regular expression reading the operator's failure reply is required (%v)", err)
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("sms-command disbursement: %w", errors.Join(errs...))
	}
	return &Provider{
		operator: c.Operator, replyFrom: slices.Clone(c.ReplyFrom), command: c.Command, pin: c.PIN,
		phoneFormat: c.PhoneFormat, country: c.Country, success: success, failure: failure,
	}, nil
}

// checkTemplate checks the command template and the PIN it will carry.
// The PIN is never quoted: only said to be wrong.
func checkTemplate(command string, pin Secret) []error {
	var errs []error
	fail := func(format string, args ...any) { errs = append(errs, fmt.Errorf("command: "+format, args...)) }
	if command == "" {
		fail("the command's template is required, e.g. %q", GCashExample().Command)
		return errs
	}
	for _, ph := range placeholder.FindAllString(command, -1) {
		if !slices.Contains(Placeholders, ph) {
			fail("%s is not a placeholder (known: %s)", ph, strings.Join(Placeholders, " "))
		}
	}
	for _, must := range []string{"{amount}", "{phone}"} {
		if !strings.Contains(command, must) {
			fail("%q must contain %s", command, must)
		}
	}
	if r, ok := notGSM7(command); ok {
		fail("%q has %q, which is not in the GSM 7-bit alphabet: the command would go as UCS-2, which operators' SMS interfaces do not read", command, r)
	}
	if strings.Contains(command, "{pin}") {
		switch {
		case pin == "":
			fail("it holds {pin} but no PIN was read (pin_file)")
		case strings.ContainsFunc(string(pin), unicode.IsSpace):
			errs = append(errs, errors.New("pin: the PIN holds a space or a line break, so it would not be one word of the command"))
		default:
			if _, ok := notGSM7(string(pin)); ok {
				errs = append(errs, errors.New("pin: the PIN has characters outside the GSM 7-bit alphabet"))
			}
		}
	}
	if len(errs) == 0 {
		// The fixed text and the PIN alone must leave room for the values.
		if chunks, _ := pdu.Split(render(command, "", "", string(pin), "")); len(chunks) > 1 {
			fail("its words and the PIN alone are longer than one SMS (%d GSM 7-bit characters)", pdu.SingleGSM7Septets)
		}
	}
	return errs
}

// notGSM7 returns the first character of s that the GSM 7-bit alphabet
// (default table and extension) lacks.
func notGSM7(s string) (rune, bool) {
	if _, wide := pdu.Split(s); !wide {
		return 0, false
	}
	for _, r := range s {
		if _, wide := pdu.Split(string(r)); wide {
			return r, true
		}
	}
	return utf8.RuneError, true
}

func render(command, amount, phoneNumber, pin, ref string) string {
	// One pass: a value is never read again as a placeholder.
	return strings.NewReplacer("{amount}", amount, "{phone}", phoneNumber, "{pin}", pin, "{ref}", ref).Replace(command)
}

// Command writes the SMS that pays o. It refuses, rather than send
// something other than o, an amount finer than the currency's decimals, a
// number that cannot be written in the configured form, and a command
// that would not fit one GSM 7-bit SMS: a command split in parts could
// reach the operator as two commands, or half of one.
func (p *Provider) Command(o disburse.Order) (to, text string, err error) {
	fail := func(format string, args ...any) (string, string, error) {
		return "", "", fmt.Errorf("line %d (%s): "+format, append([]any{o.LineID, o.Ref}, args...)...)
	}
	amount, err := plainAmount(o.Amount, o.Currency)
	if err != nil {
		return fail("%v", err)
	}
	number, err := p.writePhone(o.Phone)
	if err != nil {
		return fail("wallet number: %v", err)
	}
	if strings.Contains(p.command, "{ref}") {
		switch {
		case o.Ref == "":
			return fail("the command holds {ref} but the line has no reference")
		case strings.ContainsFunc(o.Ref, unicode.IsSpace):
			return fail("the reference %q holds a space, so it would not be one word of the command", o.Ref)
		}
		if r, bad := notGSM7(o.Ref); bad {
			return fail("the reference %q has %q, which is not in the GSM 7-bit alphabet", o.Ref, r)
		}
	}
	text = render(p.command, amount, number, string(p.pin), o.Ref)
	// The text holds the PIN: errors from here on never quote it.
	chunks, wide := pdu.Split(text)
	switch {
	case wide:
		return fail("the command has characters outside the GSM 7-bit alphabet")
	case len(chunks) > 1:
		return fail("the command is longer than one SMS (%d GSM 7-bit characters); it would reach the operator in parts", pdu.SingleGSM7Septets)
	}
	return p.operator, text, nil
}

// writePhone writes an international number in the configured form.
func (p *Provider) writePhone(number string) (string, error) {
	e164, err := phone.Normalize(number, p.country)
	if err != nil {
		return "", err
	}
	switch p.phoneFormat {
	case PhoneNational:
		return phone.National(e164, p.country)
	case PhoneInternational:
		return e164, nil
	}
	return strings.TrimPrefix(e164, "+"), nil
}

// Reply reads an SMS as the operator's reply to a payment command. from
// must be one of ReplyFrom (case aside, exactly). Trust in from is the
// caller's to establish: only an SMS the network delivered from an
// alphanumeric sender (or, for a numeric ReplyFrom, from that short
// number) may be passed here, never one from a person's phone number.
//
// Line breaks and other spacing read as single spaces, one for one. A
// text the success expression reads is Paid: Confirmation from the group
// confirmation, Amount from amount (thousands separators and decimals
// allowed) and Phone from phone (international form) when the expression
// names them and they are not empty. A text the failure expression reads
// is NotPaid, with the group reason (or the text) as Reason.
//
// ok is false, and the text is not a reply to act on, when: the sender is
// not the operator's; neither expression reads it (an advert, a balance
// notice); both read it (the operator's words do not settle it); or a
// success has no reference number, or an amount or number that cannot be
// read whole (a masked number counts as not stated). Such a text leaves
// the line in flight, to become unknown and be checked by a person.
//
// A reply names no line: Result.Ref is empty. The engine gives it to the
// one line in flight and checks Amount and Phone, when stated, against it.
func (p *Provider) Reply(from, text string, received time.Time) (r disburse.Result, ok bool) {
	if !slices.ContainsFunc(p.replyFrom, func(id string) bool { return strings.EqualFold(id, from) }) {
		return disburse.Result{}, false
	}
	t := flatten(text)
	sm := p.success.FindStringSubmatch(t)
	fm := p.failure.FindStringSubmatch(t)
	switch {
	case sm != nil && fm != nil, sm == nil && fm == nil:
		return disburse.Result{}, false
	case fm != nil:
		reason := ""
		if i := p.failure.SubexpIndex("reason"); i >= 0 {
			reason = fm[i]
		}
		if reason = tidyReason(reason); reason == "" {
			reason = tidyReason(t)
		}
		return disburse.Result{Outcome: disburse.NotPaid, Reason: reason, At: received, Via: "reply SMS"}, true
	}
	r = disburse.Result{Outcome: disburse.Paid, At: received, Via: "reply SMS"}
	r.Confirmation = strings.TrimSpace(sm[p.success.SubexpIndex("confirmation")])
	if r.Confirmation == "" {
		return disburse.Result{}, false
	}
	if i := p.success.SubexpIndex("amount"); i >= 0 && strings.TrimSpace(sm[i]) != "" {
		a, err := mifos.ParseAmount(strings.TrimRight(strings.TrimSpace(sm[i]), "."))
		if err != nil || a <= 0 {
			return disburse.Result{}, false
		}
		r.Amount = int64(a)
	}
	if i := p.success.SubexpIndex("phone"); i >= 0 && strings.TrimSpace(sm[i]) != "" {
		e164, err := phone.Normalize(sm[i], p.country)
		switch {
		case errors.Is(err, phone.ErrMasked):
		case err != nil:
			return disburse.Result{}, false
		default:
			r.Phone = e164
		}
	}
	return r, true
}

// flatten turns every spacing character into one space.
func flatten(text string) string {
	text = strings.ReplaceAll(text, "\r\n", " ")
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return ' '
		}
		return r
	}, text)
}

// tidyReason makes an operator's failure reason fit for a loan officer's
// screen: printable, trimmed, without the sentence's full stop, short.
func tidyReason(s string) string {
	s = strings.Map(func(r rune) rune {
		if !unicode.IsPrint(r) {
			return -1
		}
		return r
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	s = strings.TrimSpace(strings.TrimRight(s, "."))
	if utf8.RuneCountInString(s) > maxReason {
		s = string([]rune(s)[:maxReason-3]) + "..."
	}
	return s
}
