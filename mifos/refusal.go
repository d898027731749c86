package mifos

import (
	"errors"
	"regexp"
	"strconv"
	"strings"
)

// Refusal is a Fineract error reduced to what may be shown to an officer:
// the HTTP status and Fineract's error code. Fineract's own messages are
// left out on purpose: they carry Java exception names, SQL and stack
// fragments, in English only, and are kept for logs and the journal.
type Refusal struct {
	Status int
	// Code is Fineract's userMessageGlobalisationCode in lower case, or ""
	// when Fineract gave none that looks like an identifier.
	Code string
}

// maxCodeLen bounds a code; real ones are under 80 characters.
const maxCodeLen = 100

// codeShape is an identifier: lower-case letters, digits, dots, dashes and
// underscores. Anything else in a code is free text and is dropped.
var codeShape = regexp.MustCompile(`^[a-z0-9._-]+$`)

// refusalCode is code lower-cased when it is an identifier, else "".
func refusalCode(code string) string {
	code = strings.ToLower(code)
	if len(code) > maxCodeLen || !codeShape.MatchString(code) {
		return ""
	}
	return code
}

// RefusalOf finds the *Error in err and reduces it: its status, and the
// most specific code (the first errors[] code, where Fineract puts the real
// reason of a domain-rule violation, else the top-level code).
func RefusalOf(err error) (Refusal, bool) {
	var e *Error
	if !errors.As(err, &e) {
		return Refusal{}, false
	}
	r := Refusal{Status: e.Status}
	if len(e.Errors) > 0 {
		r.Code = refusalCode(e.Errors[0].Code)
	}
	if r.Code == "" {
		r.Code = refusalCode(e.Code)
	}
	return r, true
}

const refusalPrefix = "fineract "

// String is the refusal as stored for the officer: "fineract 403 error.msg.x"
// (or "fineract 500" without a code). ParseRefusal reads it back.
func (r Refusal) String() string {
	s := refusalPrefix + strconv.Itoa(r.Status)
	if code := refusalCode(r.Code); code != "" {
		s += " " + code
	}
	return s
}

// ParseRefusal reads what String wrote. It also accepts the start of
// Error's text ("fineract 403 error.msg.x: message"), whose message it
// ignores, so entries recorded before refusals were stored separately
// still tell the officer only the status and code.
func ParseRefusal(s string) (Refusal, bool) {
	rest, ok := strings.CutPrefix(s, refusalPrefix)
	if !ok {
		return Refusal{}, false
	}
	head, _, _ := strings.Cut(rest, ":")
	fields := strings.Fields(head)
	if len(fields) == 0 || len(fields) > 2 || len(fields[0]) != 3 {
		return Refusal{}, false
	}
	status, err := strconv.Atoi(fields[0])
	if err != nil || status < 100 {
		return Refusal{}, false
	}
	r := Refusal{Status: status}
	if len(fields) == 2 {
		r.Code = refusalCode(fields[1])
	}
	return r, true
}
