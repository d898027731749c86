package handler

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxFieldRunes caps one Fineract value in an SMS (a client, group or
// product name, an account number, a currency code). Real names fit; a
// broken or hostile record cannot fill the SMS (or several) by itself.
const maxFieldRunes = 40

// smsField is a value read from Fineract, made fit for an SMS: cleanText
// and at most maxFieldRunes characters. Every Fineract string put into a
// reply or confirmation goes through it.
func smsField(s string) string {
	s = cleanText(s)
	if utf8.RuneCountInString(s) <= maxFieldRunes {
		return s
	}
	r := []rune(s)[:maxFieldRunes]
	return strings.TrimSpace(string(r))
}

// cleanText makes s one line of visible text: control characters (C0 such
// as CR, LF, ESC and Ctrl-Z, DEL, C1) and line or paragraph separators
// become spaces; format characters (bidi overrides and isolates, the
// left-to-right and right-to-left marks, the Arabic letter mark, zero-width
// spaces and joiners, the byte order mark, soft hyphens), private-use
// characters and invalid UTF-8 are removed; runs of spaces become one.
// Such characters in a name can break a phone's display, reorder what the
// officer reads (a bidi override turns "500" into "005") or, on modems fed
// text rather than PDUs, end the command (Ctrl-Z, ESC).
func cleanText(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false // a space is pending: written only before the next visible character
	for i, r := range s {
		switch {
		case r == utf8.RuneError && isInvalidAt(s, i):
			continue
		case unicode.IsControl(r), unicode.IsSpace(r), unicode.In(r, unicode.Zl, unicode.Zp):
			space = true
			continue
		case unicode.In(r, unicode.Cf, unicode.Co), isNoncharacter(r):
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	return b.String()
}

// isInvalidAt reports whether the U+FFFD decoded at s[i] stands for an
// invalid byte rather than a real replacement character.
func isInvalidAt(s string, i int) bool {
	_, size := utf8.DecodeRuneInString(s[i:])
	return size == 1
}

// isNoncharacter reports Unicode noncharacters (U+FDD0..U+FDEF and the last
// two code points of every plane), which no text should contain.
func isNoncharacter(r rune) bool {
	return (r >= 0xFDD0 && r <= 0xFDEF) || r&0xFFFE == 0xFFFE
}

// smsFields applies smsField to the values of name/value pairs, such as a
// refusal's template arguments (client and group names among them).
func smsFields(pairs []string) []string {
	out := append([]string(nil), pairs...)
	for i := 1; i < len(out); i += 2 {
		out[i] = smsField(out[i])
	}
	return out
}
