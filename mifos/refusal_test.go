package mifos

import (
	"errors"
	"fmt"
	"testing"
)

func TestRefusalOf(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want Refusal
		ok   bool
	}{
		{&Error{Status: 403, Code: "validation.msg.domain.rule.violation", Errors: []FieldError{{Code: "error.msg.loan.transaction.cannot.be.a.future.date"}}},
			Refusal{403, "error.msg.loan.transaction.cannot.be.a.future.date"}, true},
		{&Error{Status: 403, Code: "error.msg.not.authorized"}, Refusal{403, "error.msg.not.authorized"}, true},
		{&Error{Status: 400, Errors: []FieldError{{Code: "validation.msg.loan.transactionAmount.not.greater.than.zero"}}},
			Refusal{400, "validation.msg.loan.transactionamount.not.greater.than.zero"}, true},
		// Free text where a code should be is dropped, falling back to the top-level code.
		{&Error{Status: 400, Code: "validation.msg.validation.errors.exist", Errors: []FieldError{{Code: "could not execute statement; SQL [n/a]"}}},
			Refusal{400, "validation.msg.validation.errors.exist"}, true},
		{&Error{Status: 500, Message: "org.hibernate.exception.ConstraintViolationException"}, Refusal{500, ""}, true},
		{fmt.Errorf("post: %w", &Error{Status: 404, Code: "error.msg.loan.id.invalid"}), Refusal{404, "error.msg.loan.id.invalid"}, true},
		{errors.New("dial tcp: timeout"), Refusal{}, false},
	} {
		got, ok := RefusalOf(tc.err)
		if got != tc.want || ok != tc.ok {
			t.Errorf("RefusalOf(%v) = %+v, %v; want %+v, %v", tc.err, got, ok, tc.want, tc.ok)
		}
	}
}

func TestRefusalRoundTrip(t *testing.T) {
	for _, r := range []Refusal{{403, "error.msg.not.authorized"}, {500, ""}, {302, ""}} {
		back, ok := ParseRefusal(r.String())
		if !ok || back != r {
			t.Errorf("%+v -> %q -> %+v, %v", r, r.String(), back, ok)
		}
	}
	// The start of Error's own text reads the same way; its message is ignored.
	e := &Error{Status: 403, Code: "error.msg.x", Message: "SQL [n/a]"}
	if r, ok := ParseRefusal(e.Error()); !ok || r != (Refusal{403, "error.msg.x"}) {
		t.Errorf("ParseRefusal(%q) = %+v, %v", e.Error(), r, ok)
	}
	for _, s := range []string{"", "No active client 9 was found.", "fineract", "fineract 40 x", "fineract abc x", "fineract 400 a b c: m",
		"Fineract reports external id x as already used"} {
		if r, ok := ParseRefusal(s); ok {
			t.Errorf("ParseRefusal(%q) = %+v, want no refusal", s, r)
		}
	}
	if r, ok := ParseRefusal("fineract 400 Bad;Code: x"); !ok || r.Code != "" {
		t.Errorf("a code that is not an identifier: %+v, %v", r, ok)
	}
}
