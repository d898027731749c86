package posting

import (
	"context"
	"strings"
	"testing"

	"github.com/mifos-edge/mifos-edge/mifos"
	"github.com/mifos-edge/mifos-edge/store"
)

const sqlLeak = "org.hibernate.exception.ConstraintViolationException: could not execute statement; SQL [n/a]"

// A refused posting keeps Fineract's full text for people (log, journal)
// and stores for the officer only the status and code.
func TestRefusalStoredForTheOfficerWithoutFineractText(t *testing.T) {
	const code = "error.msg.loan.transaction.cannot.be.before.disbursement.date"
	for _, tc := range []struct {
		name string
		err  *mifos.Error
		want string
	}{
		{"domain rule", &mifos.Error{Status: 403, Code: "validation.msg.domain.rule.violation", Message: sqlLeak,
			Errors: []mifos.FieldError{{Code: code, Message: sqlLeak}}}, "fineract 403 " + code},
		{"camel-case code", &mifos.Error{Status: 400, Code: "validation.msg.validation.errors.exist",
			Errors: []mifos.FieldError{{Code: "validation.msg.loan.transaction.transactionAmount.not.greater.than.zero", Message: sqlLeak}}},
			"fineract 400 validation.msg.loan.transaction.transactionamount.not.greater.than.zero"},
		{"code that is free text", &mifos.Error{Status: 400, Code: "SQL [n/a]; " + sqlLeak, Message: sqlLeak}, "fineract 400"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := newFake()
			fake.fault = func(fakeCall) (afterFault, error) { return rolledBack, tc.err }
			h := newHarness(t, fake, nil)
			id := h.append(loanEntry(1, 5, "refused-1"))
			h.start()
			e := h.waitSettled(id)[0]
			if e.State != store.JournalFailed {
				t.Fatalf("state %s: %+v", e.State, e)
			}
			if e.Refusal != tc.want {
				t.Errorf("refusal for the officer = %q, want %q", e.Refusal, tc.want)
			}
			if !strings.Contains(e.Outcome, "ConstraintViolationException") || e.LastError != e.Outcome {
				t.Errorf("the journal lost Fineract's full text: outcome %q, last error %q", e.Outcome, e.LastError)
			}
		})
	}
}

// permanentErr is how the daemon hands over a refusal found while resolving
// an offline payment: the officer's words, and maybe Fineract's answer below.
type permanentErr struct {
	msg   string
	cause error
}

func (p *permanentErr) Error() string   { return p.msg + " (" + p.cause.Error() + ")" }
func (p *permanentErr) Unwrap() error   { return p.cause }
func (p *permanentErr) Permanent() bool { return true }

// An offline payment that cannot be resolved fails the same way: Fineract's
// status and code for the officer, its words for people.
func TestUnresolvableRefusalStoredWithoutFineractText(t *testing.T) {
	fake := newFake()
	h := newHarness(t, fake, func(o *Options) {
		o.Resolve = func(context.Context, store.JournalEntry) (store.JournalEntry, error) {
			return store.JournalEntry{}, &permanentErr{msg: "Mifos refused it (error 403).",
				cause: &mifos.Error{Status: 403, Code: "error.msg.client.not.active", Message: sqlLeak}}
		}
	})
	id := h.append(store.JournalEntry{Batch: 2, Kind: store.JournalUnresolved, Officer: "+254700000001", ClientRef: "42",
		ItemRef: "L1", Amount: 5_000_000, Date: "2024-09-26", ExternalID: "ext-2", Receipt: "R-2"})
	h.start()
	e := h.waitSettled(id)[0]
	if e.State != store.JournalFailed || e.Refusal != "fineract 403 error.msg.client.not.active" {
		t.Fatalf("entry: %+v", e)
	}
	if !strings.Contains(e.Outcome, "ConstraintViolationException") {
		t.Errorf("the journal lost Fineract's full text: %q", e.Outcome)
	}
}
