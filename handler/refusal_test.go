package handler

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/mifos-edge/mifos-edge/mifos"
	"github.com/mifos-edge/mifos-edge/store"
)

const sqlLeak = "org.hibernate.exception.ConstraintViolationException: could not execute statement; SQL [n/a]"

func envIn(t *testing.T, lang string) *Env {
	t.Helper()
	texts, err := NewTexts(lang, nil)
	if err != nil {
		t.Fatal(err)
	}
	return &Env{Texts: texts}
}

// Fineract's internal text never reaches the officer's phone, whatever
// field it hides in.
func TestRenderNeverQuotesFineract(t *testing.T) {
	for _, fe := range []*mifos.Error{
		{Status: 500, Message: sqlLeak},
		{Status: 403, Code: "validation.msg.domain.rule.violation", Message: sqlLeak,
			Errors: []mifos.FieldError{{Code: "error.msg.client.duplicate.mobileNo", Message: sqlLeak}}},
		{Status: 400, Code: sqlLeak, Message: sqlLeak, Errors: []mifos.FieldError{{Code: sqlLeak, Message: sqlLeak}}},
		{Status: 404, Message: "java.lang.NullPointerException at org.apache.fineract.Foo.bar(Foo.java:42)"},
	} {
		for _, lang := range []string{"en", "sw"} {
			env := envIn(t, lang)
			for _, err := range []error{fe, fmt.Errorf("resolve client 42: %w", fe)} {
				got := env.Render(err)
				for _, leak := range []string{"hibernate", "SQL", "Exception", "java", "statement", "Foo"} {
					if strings.Contains(got, leak) {
						t.Errorf("%s: Render(%v) = %q quotes Fineract (%q)", lang, err, got, leak)
					}
				}
				if !strings.Contains(got, "Mifos") {
					t.Errorf("%s: Render(%v) = %q", lang, err, got)
				}
			}
		}
	}
}

func TestFineractRefusalsMapToFixedTexts(t *testing.T) {
	for _, tc := range []struct {
		err *mifos.Error
		key string
		en  string
		sw  string
	}{
		{&mifos.Error{Status: 403, Code: "validation.msg.domain.rule.violation", Errors: []mifos.FieldError{{Code: "error.msg.loan.transaction.cannot.be.before.disbursement.date"}}},
			"fineract.refused_date", "Mifos refused the posting: the date is not allowed.", "Mifos imekataa muamala: tarehe hairuhusiwi."},
		{&mifos.Error{Status: 403, Code: "validation.msg.domain.rule.violation", Errors: []mifos.FieldError{{Code: "error.msg.loan.transaction.cannot.be.a.future.date"}}},
			"fineract.refused_date", "Mifos refused the posting: the date is not allowed.", "Mifos imekataa muamala: tarehe hairuhusiwi."},
		{&mifos.Error{Status: 400, Code: "validation.msg.validation.errors.exist", Errors: []mifos.FieldError{{Code: "validation.msg.loan.transaction.transactionDate.cannot.be.blank"}}},
			"fineract.refused_date", "Mifos refused the posting: the date is not allowed.", "Mifos imekataa muamala: tarehe hairuhusiwi."},
		{&mifos.Error{Status: 400, Code: "validation.msg.validation.errors.exist", Errors: []mifos.FieldError{{Code: "validation.msg.loan.transaction.transactionAmount.not.greater.than.zero"}}},
			"fineract.refused_amount", "Mifos refused the amount.", "Mifos imekataa kiasi."},
		{&mifos.Error{Status: 403, Errors: []mifos.FieldError{{Code: "error.msg.savingsaccount.transaction.insufficient.account.balance"}}},
			"fineract.refused_amount", "Mifos refused the amount.", "Mifos imekataa kiasi."},
		{&mifos.Error{Status: 403, Code: "error.msg.not.authorized"},
			"fineract.refused_permission", "Mifos refused: this user may not do that; ask your branch manager.", "Mifos imekataa: mtumiaji huyu haruhusiwi kufanya hivyo; muulize meneja wa tawi lako."},
		{&mifos.Error{Status: 401, Code: "error.msg.not.authenticated"},
			"fineract.refused_permission", "Mifos refused: this user may not do that; ask your branch manager.", "Mifos imekataa: mtumiaji huyu haruhusiwi kufanya hivyo; muulize meneja wa tawi lako."},
		{&mifos.Error{Status: 400, Errors: []mifos.FieldError{{Code: "error.msg.loan.repayment.or.waiver.account.is.not.active"}}},
			"fineract.refused_inactive", "Mifos refused: the account is not active.", "Mifos imekataa: akaunti si hai."},
		{&mifos.Error{Status: 404, Code: "error.msg.resource.not.found", Errors: []mifos.FieldError{{Code: "error.msg.loan.id.invalid"}}},
			"fineract.refused_notfound", "Mifos refused: the client or account was not found.", "Mifos imekataa: mteja au akaunti haikupatikana."},
		{&mifos.Error{Status: 400, Errors: []mifos.FieldError{{Code: mifos.CodeDuplicateExternalID}}},
			"fineract.refused_duplicate", "Mifos refused: this was already recorded.", "Mifos imekataa: hili limeshaingizwa."},
		{&mifos.Error{Status: 409, Code: "error.msg.loan.locked"},
			"fineract.refused_busy", "Mifos could not do it now (error 409). Try again later.", "Mifos haiwezi kufanya hivyo sasa (hitilafu 409). Jaribu tena baadaye."},
		{&mifos.Error{Status: 503, Code: "error.msg.platform.service.unavailable"},
			"fineract.refused_busy", "Mifos could not do it now (error 503). Try again later.", "Mifos haiwezi kufanya hivyo sasa (hitilafu 503). Jaribu tena baadaye."},
		{&mifos.Error{Status: 400, Code: "validation.msg.validation.errors.exist", Errors: []mifos.FieldError{{Code: "validation.msg.missing.locale.parameter"}}},
			"fineract.refused_code", "Mifos refused it (error 400, validation.msg.missing.locale.parameter).", "Mifos imekataa (hitilafu 400, validation.msg.missing.locale.parameter)."},
		// A code that is not an identifier is dropped: only the status is left.
		{&mifos.Error{Status: 400, Code: "error.msg.x; DROP TABLE m_client"},
			"fineract.refused", "Mifos refused it (error 400).", "Mifos imekataa (hitilafu 400)."},
	} {
		r, _ := mifos.RefusalOf(tc.err)
		if got := refusalKey(r); got != tc.key {
			t.Errorf("%v: key %s, want %s", tc.err, got, tc.key)
			continue
		}
		if got := envIn(t, "en").Render(tc.err); got != tc.en {
			t.Errorf("%v: English %q, want %q", tc.err, got, tc.en)
		}
		if got := envIn(t, "sw").Render(tc.err); got != tc.sw {
			t.Errorf("%v: Swahili %q, want %q", tc.err, got, tc.sw)
		}
	}
}

// A refusal, whether stored apart or only in an old full text, tells the
// officer the fixed words; the box's own words pass as they are.
func TestFailureReason(t *testing.T) {
	env := envIn(t, "en")
	for _, tc := range []struct {
		name string
		j    store.JournalEntry
		want string
	}{
		{"stored refusal", store.JournalEntry{Refusal: "fineract 403 error.msg.loan.transaction.cannot.be.a.future.date",
			LastError: "fineract 403 error.msg.loan.transaction.cannot.be.a.future.date: " + sqlLeak},
			"Mifos refused the posting: the date is not allowed"},
		{"our own words", store.JournalEntry{Refusal: "No active client 99999 was found.", LastError: "No active client 99999 was found."},
			"No active client 99999 was found"},
		{"old entry, Fineract text only", store.JournalEntry{LastError: "fineract 400 validation.msg.x: " + sqlLeak},
			"Mifos refused it (error 400, validation.msg.x)"},
		{"old entry quoting Fineract after our words", store.JournalEntry{
			LastError: "could not check whether an earlier attempt went through; check in Fineract: fineract 400 x: " + sqlLeak},
			"refused by Mifos"},
		{"nothing stored", store.JournalEntry{}, "refused by Mifos"},
	} {
		if got := env.failureReason(tc.j); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
	sw := envIn(t, "sw").failureReason(store.JournalEntry{Refusal: "fineract 400 validation.msg.loan.transaction.transactionamount.not.greater.than.zero"})
	if sw != "Mifos imekataa kiasi" {
		t.Errorf("Swahili: %q", sw)
	}
}

func TestRenderOtherErrors(t *testing.T) {
	env := envIn(t, "en")
	if got := env.Render(errors.New("dial tcp: no route to host")); got != "The Mifos system cannot be reached now. Please try again later." {
		t.Errorf("network error: %q", got)
	}
}
