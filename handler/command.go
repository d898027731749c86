package handler

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/mifos-edge/mifos-edge/mifos"
	"github.com/mifos-edge/mifos-edge/officer"
)

// This file parses the officer commands PAY, COLLECT and REMIND. Parsing is
// pure: checking the PIN, finding clients and posting to Fineract belong to
// the handlers that use these parsers.

// MaxPayItems bounds the payments in one PAY so one SMS cannot post an
// unbounded batch (and the confirmation still fits in a few SMS).
const MaxPayItems = 10

// maxArgLen bounds the offending token quoted back in a reply.
const maxArgLen = 20

// ItemKind says what a PAY item pays into.
type ItemKind int

const (
	// LoanItem is "L<n>": the client's n-th active loan.
	LoanItem ItemKind = iota
	// SavingsItem is "S" or "S<n>": the client's n-th savings account.
	SavingsItem
	// AccountItem is "<account number>": a loan or savings account by number.
	AccountItem
)

func (k ItemKind) String() string {
	switch k {
	case LoanItem:
		return "loan"
	case SavingsItem:
		return "savings"
	case AccountItem:
		return "account"
	}
	return fmt.Sprintf("ItemKind(%d)", int(k))
}

// PayItem is one "key=amount" of a PAY command.
type PayItem struct {
	Kind      ItemKind
	Index     int    // LoanItem, SavingsItem: L1 -> 1, L2 -> 2, S or S1 -> 1
	AccountNo string // AccountItem: as typed, e.g. "000123"
	Amount    mifos.Amount
	Raw       string // the item as written, without spaces around "="
}

// PayCommand is "PAY <PIN> <client> <item>...".
type PayCommand struct {
	PIN       string
	ClientRef string
	Items     []PayItem
}

// CollectCommand is "COLLECT <PIN> <group> ALL [EXCEPT <client>...]".
type CollectCommand struct {
	PIN     string
	GroupID int64
	Except  []string // client refs as typed, without repeats
}

// RemindCommand is "REMIND <PIN> [group]".
type RemindCommand struct {
	PIN     string
	GroupID int64 // 0 = all the officer's groups
}

// ParseError says why an officer command could not be read. Key is a reply
// template (registered below in English and Swahili) and Arg the offending
// token, filled into its {arg}. Arg is never the PIN.
type ParseError struct {
	Key string
	Arg string
}

func (e *ParseError) Error() string {
	if e.Arg == "" {
		return "cannot read officer command: " + e.Key
	}
	return fmt.Sprintf("cannot read officer command: %s %q", e.Key, e.Arg)
}

// Reply renders the error as the SMS answer to the officer.
func (e *ParseError) Reply(t *Texts) string { return t.Get(e.Key, "arg", e.Arg) }

func parseErr(key, arg string) *ParseError {
	if utf8.RuneCountInString(arg) > maxArgLen {
		arg = string([]rune(arg)[:maxArgLen]) + "…"
	}
	return &ParseError{Key: key, Arg: arg}
}

// spacedEquals matches "=" with blanks around it, so "L1 = 500" reads as "L1=500".
var spacedEquals = regexp.MustCompile(`\s*=\s*`)

// ParsePay reads "PAY 1234 42 L1=500 S=1,500.50 000777=20": the PIN, the
// client (id, account or external id as typed) and 1 to MaxPayItems
// payments, each key=amount with amount > 0 and no key twice.
func ParsePay(text string) (PayCommand, error) {
	words := strings.Fields(spacedEquals.ReplaceAllString(text, "="))
	if len(words) < 2 || !isKeywordOf(words[0], Pay{}) {
		return PayCommand{}, parseErr("parse.pay.usage", "")
	}
	if !isPIN(words[1]) {
		return PayCommand{}, parseErr("parse.pin", "")
	}
	if len(words) < 4 || strings.Contains(words[2], "=") {
		return PayCommand{}, parseErr("parse.pay.usage", "")
	}
	cmd := PayCommand{PIN: words[1], ClientRef: words[2]}
	if len(words)-3 > MaxPayItems {
		return PayCommand{}, parseErr("parse.too_many_items", strconv.Itoa(MaxPayItems))
	}
	seen := map[string]bool{}
	for _, w := range words[3:] {
		it, id, err := parseItem(w)
		if err != nil {
			return PayCommand{}, err
		}
		// Each loan or account at most once: a repeat is most likely a typo
		// and would otherwise post twice.
		if seen[id] {
			return PayCommand{}, parseErr("parse.duplicate_item", w[:strings.IndexByte(w, '=')])
		}
		seen[id] = true
		cmd.Items = append(cmd.Items, it)
	}
	return cmd, nil
}

// parseItem reads one "key=amount"; id identifies the target for the
// repeat check (S and S1 are the same, 000123 and 123 too).
func parseItem(w string) (PayItem, string, error) {
	key, val, ok := strings.Cut(w, "=")
	// Keys are ASCII; this also keeps Unicode case folding (ſ -> S) out.
	if !ok || key == "" || !isASCII(key) {
		return PayItem{}, "", parseErr("parse.item", w)
	}
	it := PayItem{Raw: w}
	var id string
	upper := strings.ToUpper(key)
	switch {
	case isDigits(key, 1, 20):
		it.Kind, it.AccountNo = AccountItem, key
		id = "A" + strings.TrimLeft(key, "0")
	case upper[0] == 'L' || upper[0] == 'S':
		n := 1
		if len(upper) > 1 {
			if !isDigits(upper[1:], 1, 2) {
				return PayItem{}, "", parseErr("parse.item", w)
			}
			n, _ = strconv.Atoi(upper[1:])
		} else if upper[0] == 'L' {
			// "L" alone is ambiguous once a client has two loans.
			return PayItem{}, "", parseErr("parse.item", w)
		}
		if n < 1 {
			return PayItem{}, "", parseErr("parse.item", w)
		}
		it.Kind, it.Index = LoanItem, n
		if upper[0] == 'S' {
			it.Kind = SavingsItem
		}
		id = fmt.Sprintf("%c%d", upper[0], n)
	default:
		return PayItem{}, "", parseErr("parse.item", w)
	}
	amt, err := mifos.ParseAmount(val)
	if err != nil || amt <= 0 {
		return PayItem{}, "", parseErr("parse.amount", val)
	}
	it.Amount = amt
	return it, id, nil
}

// ParseCollect reads "COLLECT 1234 7 ALL" or "COLLECT 1234 7 ALL EXCEPT 43
// 000044"; commas between words are tolerated.
func ParseCollect(text string) (CollectCommand, error) {
	words := strings.Fields(strings.ReplaceAll(text, ",", " "))
	if len(words) < 2 || !isKeywordOf(words[0], Collect{}) {
		return CollectCommand{}, parseErr("parse.collect.usage", "")
	}
	if !isPIN(words[1]) {
		return CollectCommand{}, parseErr("parse.pin", "")
	}
	if len(words) < 4 {
		return CollectCommand{}, parseErr("parse.collect.usage", "")
	}
	group, err := parseGroup(words[2])
	if err != nil {
		return CollectCommand{}, err
	}
	if !strings.EqualFold(words[3], "ALL") {
		return CollectCommand{}, parseErr("parse.collect.usage", "")
	}
	cmd := CollectCommand{PIN: words[1], GroupID: group}
	if len(words) == 4 {
		return cmd, nil
	}
	if !strings.EqualFold(words[4], "EXCEPT") || len(words) == 5 {
		return CollectCommand{}, parseErr("parse.collect.usage", "")
	}
	seen := map[string]bool{}
	for _, ref := range words[5:] {
		if !seen[ref] {
			seen[ref] = true
			cmd.Except = append(cmd.Except, ref)
		}
	}
	return cmd, nil
}

// ParseRemind reads "REMIND 1234" (all the officer's groups) or "REMIND 1234 7".
func ParseRemind(text string) (RemindCommand, error) {
	words := strings.Fields(text)
	if len(words) < 2 || len(words) > 3 || !isKeywordOf(words[0], Remind{}) {
		return RemindCommand{}, parseErr("parse.remind.usage", "")
	}
	if !isPIN(words[1]) {
		return RemindCommand{}, parseErr("parse.pin", "")
	}
	cmd := RemindCommand{PIN: words[1]}
	if len(words) == 3 {
		g, err := parseGroup(words[2])
		if err != nil {
			return RemindCommand{}, err
		}
		cmd.GroupID = g
	}
	return cmd, nil
}

// isKeywordOf reports whether w is one of h's keywords in any language
// (PAY or LIPA), in any case, as the registry matched it.
func isKeywordOf(w string, h Handler) bool {
	for _, k := range h.Keywords() {
		if strings.EqualFold(w, k) {
			return true
		}
	}
	return false
}

func parseGroup(w string) (int64, error) {
	if !isDigits(w, 1, 18) {
		return 0, parseErr("parse.group", w)
	}
	g, err := strconv.ParseInt(w, 10, 64)
	if err != nil || g <= 0 {
		return 0, parseErr("parse.group", w)
	}
	return g, nil
}

// pinKeywords are the commands whose second word is a PIN. BAL is included
// because with require_client_pin its second word is the client's PIN, YES
// because it confirms a held officer command.
var pinKeywords = map[string]bool{}

// balKeywords are BAL's keywords, whose third word, when there is one, is a
// PIN too (BAL <account no> <PIN>).
var balKeywords = map[string]bool{}

func init() {
	// Every keyword of these handlers, in every language they answer to.
	for _, h := range []Handler{Pay{}, Collect{}, Remind{}, Balance{}, Yes{}} {
		for _, k := range h.Keywords() {
			pinKeywords[k] = true
		}
	}
	for _, k := range (Balance{}).Keywords() {
		balKeywords[k] = true
	}
}

// RedactPIN returns text with the PIN (the second word of PAY, COLLECT,
// REMIND and BAL) replaced by "****", keeping everything else as written:
// stored notes and logs must never hold a PIN. Commas and "=" count as word
// separators here, so a mistyped "PAY = 1234" or "COLLECT,1234" is redacted too.
func RedactPIN(text string) string {
	sep := func(r rune) bool { return unicode.IsSpace(r) || r == ',' || r == '=' }
	start, end := wordAt(text, 0, sep)
	if start == end || !pinKeywords[strings.ToUpper(text[start:end])] {
		return text
	}
	s2, e2 := wordAt(text, end, sep)
	if s2 == e2 {
		return text
	}
	out := text[:s2] + "****"
	// BAL <account no> <PIN>: the third word is the PIN. The second is
	// blanked as well, in case the two were typed the other way round.
	if balKeywords[strings.ToUpper(text[start:end])] {
		if s3, e3 := wordAt(text, e2, sep); s3 != e3 {
			return out + text[e2:s3] + "****" + text[e3:]
		}
	}
	return out + text[e2:]
}

// RedactDigitRuns replaces every run of 4 to 8 ASCII digits in text by
// "****", wherever it stands ("Pay1111" too): in a message no handler
// understood, any such run may be a PIN. Longer runs (phone and account
// numbers) and shorter ones stay.
func RedactDigitRuns(text string) string {
	var b strings.Builder
	for i := 0; i < len(text); {
		j := i
		for j < len(text) && text[j] >= '0' && text[j] <= '9' {
			j++
		}
		switch {
		case j == i:
			b.WriteByte(text[i])
			i++
			continue
		case j-i >= 4 && j-i <= 8:
			b.WriteString("****")
		default:
			b.WriteString(text[i:j])
		}
		i = j
	}
	return b.String()
}

// wordAt returns the bounds of the first word of text at or after from.
func wordAt(text string, from int, sep func(rune) bool) (int, int) {
	i := from
	for i < len(text) {
		r, n := utf8.DecodeRuneInString(text[i:])
		if !sep(r) {
			break
		}
		i += n
	}
	j := i
	for j < len(text) {
		r, n := utf8.DecodeRuneInString(text[j:])
		if sep(r) {
			break
		}
		j += n
	}
	return i, j
}

// isPIN: a PIN as typed (officer.LooksLikePIN).
func isPIN(w string) bool { return officer.LooksLikePIN(w) }

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func isDigits(w string, minLen, maxLen int) bool {
	if len(w) < minLen || len(w) > maxLen {
		return false
	}
	for i := 0; i < len(w); i++ {
		if w[i] < '0' || w[i] > '9' {
			return false
		}
	}
	return true
}

func init() {
	registerTexts("en", map[string]string{
		"parse.pay.usage": "Write: PAY <PIN> <client> L1=500 S=200. L1 is the client's loan 1, S the savings, " +
			"or use an account number: 000123=500.",
		"parse.collect.usage": "Write: COLLECT <PIN> <group> ALL, or COLLECT <PIN> <group> ALL EXCEPT <client> <client>.",
		"parse.remind.usage":  "Write: REMIND <PIN> for all your groups, or REMIND <PIN> <group> for one group.",
		"parse.pin":           "The word after the command must be your PIN (4 to 8 digits), e.g. PAY <PIN> <client> L1=500.",
		"parse.amount":        "Could not read the amount \"{arg}\". Write amounts above 0 like 500 or 1,500.50.",
		"parse.item": "Could not read \"{arg}\". Write each payment as L1=500 (loan 1), S=200 (savings) " +
			"or 000123=500 (account number).",
		"parse.duplicate_item": "\"{arg}\" is written twice. Write each loan or account once per message.",
		"parse.too_many_items": "At most {arg} payments fit in one message. Send the rest in another PAY message.",
		"parse.group":          "Could not read the group \"{arg}\". Write the group number, e.g. 7.",
	})
	registerTexts("sw", map[string]string{
		"parse.pay.usage": "Andika: PAY <PIN> <mteja> L1=500 S=200. L1 ni mkopo 1 wa mteja, S ni akiba, " +
			"au tumia namba ya akaunti: 000123=500.",
		"parse.collect.usage": "Andika: COLLECT <PIN> <kikundi> ALL, au COLLECT <PIN> <kikundi> ALL EXCEPT <mteja> <mteja>.",
		"parse.remind.usage":  "Andika: REMIND <PIN> kwa vikundi vyako vyote, au REMIND <PIN> <kikundi> kwa kikundi kimoja.",
		"parse.pin":           "Neno baada ya amri lazima liwe PIN yako (tarakimu 4 hadi 8), mfano PAY <PIN> <mteja> L1=500.",
		"parse.amount":        "Kiasi \"{arg}\" hakisomeki. Andika kiasi zaidi ya 0 kama 500 au 1,500.50.",
		"parse.item": "\"{arg}\" haisomeki. Andika kila malipo kama L1=500 (mkopo 1), S=200 (akiba) " +
			"au 000123=500 (namba ya akaunti).",
		"parse.duplicate_item": "\"{arg}\" imeandikwa mara mbili. Andika kila mkopo au akaunti mara moja tu kwa ujumbe.",
		"parse.too_many_items": "Malipo {arg} tu yanatosha kwa ujumbe mmoja. Tuma mengine kwa ujumbe mwingine wa PAY.",
		"parse.group":          "Kikundi \"{arg}\" hakisomeki. Andika namba ya kikundi, mfano 7.",
	})
}
