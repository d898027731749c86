package mifos_test

import (
	"context"
	"testing"
	"time"

	"github.com/mifos-edge/mifos-edge/fineractsim"
	"github.com/mifos-edge/mifos-edge/mifos"
)

// A held repayment's audit, read by the commandId its write answered with,
// says what the checker decided.
func TestCommandAuditFromStandIn(t *testing.T) {
	fin, c := standIn(t)
	fin.SetMakerChecker(true)
	ctx := context.Background()
	today := mifos.DateOf(fin.BusinessDate())
	repay := func(ext string) mifos.Result {
		t.Helper()
		res, err := c.Repay(ctx, fineractsim.SeedLoanAmina, mifos.Repayment{Date: today, Amount: mifos.Amount(100_000_000),
			PaymentTypeID: fineractsim.SeedPaymentMpesa, ExternalID: ext}, "key-"+ext+time.Now().Format("150405.000000"))
		if err != nil || !res.PendingApproval || res.CommandID == 0 {
			t.Fatalf("held repayment: %+v, %v", res, err)
		}
		return res
	}
	held, rejected := repay("mc-1"), repay("mc-2")
	a, err := c.CommandAudit(ctx, held.CommandID)
	if err != nil || !a.Awaiting() || a.Rejected() || a.Processed() || a.Action != "REPAYMENT" || a.Entity != "LOAN" {
		t.Fatalf("audit of a held command: %+v, %v", a, err)
	}
	if err := fin.Reject(rejected.CommandID); err != nil {
		t.Fatal(err)
	}
	if err := fin.Approve(held.CommandID); err != nil {
		t.Fatal(err)
	}
	if a, err := c.CommandAudit(ctx, rejected.CommandID); err != nil || !a.Rejected() || a.Checker == "" {
		t.Fatalf("audit of a rejected command: %+v, %v", a, err)
	}
	if a, err := c.CommandAudit(ctx, held.CommandID); err != nil || !a.Processed() {
		t.Fatalf("audit of an approved command: %+v, %v", a, err)
	}
}

// processingResult is read as the enum's word or its full code.
func TestCommandAuditResultWords(t *testing.T) {
	for _, tc := range []struct {
		result                        string
		rejected, processed, awaiting bool
	}{
		{"rejected", true, false, false},
		{"commandProcessingResultType.rejected", true, false, false},
		{" Processed", false, true, false},
		{"awaiting.approval", false, false, true},
		{"commandProcessingResultType.awaiting.approval", false, false, true},
		{"error", false, false, false},
		{"", false, false, false},
	} {
		a := mifos.CommandAudit{Result: tc.result}
		if a.Rejected() != tc.rejected || a.Processed() != tc.processed || a.Awaiting() != tc.awaiting {
			t.Errorf("%q: rejected %v processed %v awaiting %v", tc.result, a.Rejected(), a.Processed(), a.Awaiting())
		}
	}
}
