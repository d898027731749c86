package fineractsim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"time"
)

// body is a parsed JSON object of a command, with Fineract's extraction rules.
type body struct {
	m    map[string]json.RawMessage
	errs []apiError
	res  string // validation resource, e.g. "loan.transaction"
	// parentLocale is the enclosing object's locale (collection sheet items).
	parentLocale string
}

// parseBody decodes a JSON object; nil + reply when the JSON is unusable.
func parseBody(raw []byte, res string) (*body, *reply) {
	var m map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if len(bytes.TrimSpace(raw)) == 0 || dec.Decode(&m) != nil || m == nil {
		r := invalidJSON()
		return nil, &r
	}
	return &body{m: m, res: res}, nil
}

// checkKeys is Fineract's checkForUnsupportedParameters over a key set.
func checkKeys(m map[string]json.RawMessage, allowed []string) *reply {
	var bad []string
	for k := range m {
		if !slices.Contains(allowed, k) {
			bad = append(bad, k)
		}
	}
	if len(bad) == 0 {
		return nil
	}
	slices.Sort(bad)
	r := unsupported(bad)
	return &r
}

func (b *body) has(k string) bool {
	v, ok := b.m[k]
	return ok && string(v) != "null"
}

// blank is true for an absent, null or whitespace-only parameter.
func (b *body) blank(k string) bool {
	v, ok := b.m[k]
	if !ok || string(v) == "null" {
		return true
	}
	var str string
	return json.Unmarshal(v, &str) == nil && strings.TrimSpace(str) == ""
}

func (b *body) fail(name, rule, msg string, value any) {
	code := fmt.Sprintf("validation.msg.%s.%s.%s", b.res, name, rule)
	b.errs = append(b.errs, param(code, msg, name, value))
}

// mandatoryDate reads a date Fineract requires, failing as it does when
// the parameter is blank.
func (b *body) mandatoryDate(k string) time.Time {
	if b.blank(k) {
		b.fail(k, "cannot.be.blank", "The parameter `"+k+"` is mandatory.", nil)
		return time.Time{}
	}
	t, _ := b.date(k)
	return t
}

// positiveAmount reads an amount that, when given, must be more than zero.
func (b *body) positiveAmount(k string) (Amount, bool) {
	a, ok := b.amount(k)
	if ok && a <= 0 {
		b.fail(k, "not.greater.than.zero", "The parameter `"+k+"` must be greater than 0.", a)
	}
	return a, ok
}

// str extracts a string (numbers are accepted as their text, like Gson).
func (b *body) str(k string) (string, bool) {
	v, ok := b.m[k]
	if !ok || string(v) == "null" {
		return "", false
	}
	var s string
	if json.Unmarshal(v, &s) == nil {
		return s, true
	}
	var n json.Number
	if json.Unmarshal(v, &n) == nil {
		return n.String(), true
	}
	b.fail(k, "invalid", fmt.Sprintf("The parameter `%s` is invalid.", k), string(v))
	return "", false
}

func (b *body) locale() string {
	if s, _ := b.str("locale"); s != "" {
		return s
	}
	return b.parentLocale
}

// date extracts a dated parameter: it needs dateFormat and locale alongside.
func (b *body) date(k string) (time.Time, bool) {
	v, ok := b.str(k)
	if !ok || strings.TrimSpace(v) == "" {
		return time.Time{}, false
	}
	format, _ := b.str("dateFormat")
	loc := b.locale()
	missing := false
	if strings.TrimSpace(format) == "" {
		msg := fmt.Sprintf("The parameter `%s` requires a `dateFormat` parameter to be passed with it.", k)
		b.errs = append(b.errs, param("validation.msg.missing.dateFormat.parameter", msg, k, nil))
		missing = true
	}
	if strings.TrimSpace(loc) == "" {
		msg := fmt.Sprintf("The parameter `%s` requires a `locale` parameter to be passed with it.", k)
		b.errs = append(b.errs, param("validation.msg.missing.locale.parameter", msg, k, nil))
		missing = true
	}
	if missing {
		return time.Time{}, false
	}
	t, err := parseJavaDate(v, format, loc)
	if err != nil {
		msg := fmt.Sprintf("The parameter `%s` is invalid based on the dateFormat: `%s` and locale: `%s` provided:", k, format, loc)
		b.errs = append(b.errs, param("validation.msg.invalid.dateFormat.format", msg, k, v, v, format))
		return time.Time{}, false
	}
	return t, true
}

// amount extracts a decimal: a JSON number, or a string read with the
// locale's grouping (a string amount needs locale). It is kept to the
// millionth; the account's currency rounds it when it is posted (money).
func (b *body) amount(k string) (Amount, bool) {
	v, ok := b.m[k]
	if !ok || string(v) == "null" {
		return 0, false
	}
	var text string
	var n json.Number
	if json.Unmarshal(v, &n) == nil {
		text = n.String()
	} else if json.Unmarshal(v, &text) == nil {
		if strings.TrimSpace(text) == "" {
			return 0, false
		}
		loc := strings.ToLower(b.locale())
		if loc == "" {
			msg := fmt.Sprintf("The parameter `%s` requires a `locale` parameter to be passed with it.", k)
			b.errs = append(b.errs, param("validation.msg.missing.locale.parameter", msg, k, nil))
			return 0, false
		}
		text = strings.TrimSpace(text)
		if strings.HasPrefix(loc, "en") {
			text = strings.ReplaceAll(text, ",", "")
		}
	}
	r, ok := new(big.Rat).SetString(text)
	if text == "" || !ok {
		msg := fmt.Sprintf("The parameter `%s` has value: %s which is invalid decimal value for provided locale of [%s].", k, string(v), b.locale())
		b.errs = append(b.errs, param("validation.msg.invalid.decimal.format", msg, k, string(v)))
		return 0, false
	}
	a, err := ratToAmount(r, 1)
	if err != nil {
		b.fail(k, "invalid", err.Error(), string(v))
		return 0, false
	}
	return a, true
}

// integer extracts a whole number (JSON number or numeric string).
func (b *body) integer(k string) (int64, bool) {
	s, ok := b.str(k)
	if !ok || strings.TrimSpace(s) == "" {
		return 0, false
	}
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil {
		msg := fmt.Sprintf("The parameter `%s` has value: %s which is invalid integer value for provided locale of [%s].", k, s, b.locale())
		b.errs = append(b.errs, param("validation.msg.invalid.integer.format", msg, k, s))
		return 0, false
	}
	return n, true
}

func (b *body) maxLen(k string, n int) string {
	s, _ := b.str(k)
	if len([]rune(s)) > n {
		b.fail(k, "exceeds.max.length", fmt.Sprintf("The parameter `%s` exceeds max length of %d.", k, n), s)
	}
	return s
}

func (b *body) result() *reply {
	if len(b.errs) == 0 {
		return nil
	}
	r := validation(b.errs...)
	return &r
}

// paymentDetailKeys are the payment detail parameters every money command takes.
var paymentDetailKeys = []string{"paymentTypeId", "accountNumber", "checkNumber", "routingCode", "receiptNumber", "bankNumber"}
