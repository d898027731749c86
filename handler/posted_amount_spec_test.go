package handler_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/mifos-edge/mifos-edge/fineractsim"
	"github.com/mifos-edge/mifos-edge/handler"
	"github.com/mifos-edge/mifos-edge/mifos"
	"github.com/mifos-edge/mifos-edge/posting"
	"github.com/mifos-edge/mifos-edge/store"
)

// postAll runs the posting stage, wired to the confirmations as the daemon
// wires it, until every entry of the journal has settled.
func (s *spec) postAll() []store.JournalEntry {
	s.t.Helper()
	api, err := mifos.New(mifos.Config{BaseURL: s.fin.URL(), Tenant: "default", Username: "mifos", Password: "password"})
	if err != nil {
		s.t.Fatal(err)
	}
	w := posting.New(posting.Options{DB: s.db, API: api, PaymentTypeID: 1, Logger: slog.New(slog.DiscardHandler),
		MinBackoff: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond,
		BalanceAfter: s.env.BalanceAfter,
		Settled: func(_ context.Context, e store.JournalEntry, batch []store.JournalEntry) []store.Outbound {
			return s.env.Confirmations(e, batch)
		}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	defer func() { cancel(); <-done }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		st, err := s.db.JournalStats()
		if err != nil {
			s.t.Fatal(err)
		}
		if st.Pending+st.Posting == 0 {
			return s.journal()
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("postings still open: %+v", s.journal())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// outbound is every queued SMS to a number.
func (s *spec) outbound(to string) []string {
	s.t.Helper()
	all, err := s.db.ListOutbound("", 0)
	if err != nil {
		s.t.Fatal(err)
	}
	var out []string
	for _, o := range all {
		if o.To == to {
			out = append(out, o.Text)
		}
	}
	return out
}

// A currency without decimals in multiples of 100: Fineract posts 1,050 as
// 1,100, so the officer and the client are told 1,100, the amount Fineract
// holds, never the 1,050 that was sent.
func TestConfirmationsTellTheAmountFineractPosted(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{})
	ugx := fineractsim.UGX
	ugx.InMultiplesOf = 100
	b := s.fin.BusinessDate()
	const clientPhone = "+256772000111"
	client := s.fin.AddClient(fineractsim.Client{Firstname: "Okello", Lastname: "Ayo", MobileNo: clientPhone,
		StaffID: fineractsim.SeedStaffPeter, ActivationDate: b.AddDate(-1, 0, 0)})
	loan := s.fin.AddLoan(fineractsim.Loan{ClientID: client, ProductName: "Biashara UGX", Currency: ugx,
		Principal: fineractsim.MustAmount("500000"), DisbursedOn: b.AddDate(0, -1, 0),
		Installments: []fineractsim.Installment{{DueDate: b.AddDate(0, 1, 0), Principal: fineractsim.MustAmount("500000")}}})
	savings := s.fin.AddSavings(fineractsim.Savings{ClientID: client, ProductName: "Akiba UGX", Currency: ugx, ActivatedOn: b.AddDate(0, -1, 0)})
	day := mifos.DateOf(b).String()
	entry := func(kind store.JournalKind, account int64, item string, amount int64) store.JournalEntry {
		return store.JournalEntry{Batch: 77, Kind: kind, Officer: officerPh, ClientPhone: clientPhone, ClientID: client,
			ClientName: "Okello Ayo", AccountID: account, AccountNo: "00000" + item, Amount: amount, Currency: "UGX",
			Date: day, ExternalID: "me-SPEC-m77-" + item, Receipt: "MESPEC77I" + item, ItemRef: item}
	}
	for _, e := range []store.JournalEntry{
		entry(store.JournalLoanRepayment, loan, "L1", 1_050_000_000),
		entry(store.JournalSavingsDeposit, savings, "S1", 2_000_000_000),
	} {
		if _, err := s.db.AppendJournal(e); err != nil {
			t.Fatal(err)
		}
	}
	for _, e := range s.postAll() {
		if e.State != store.JournalDone {
			t.Fatalf("entry %+v", e)
		}
	}
	txns := s.fin.LoanTransactions(loan)
	if got := txns[len(txns)-1].Amount.String(); got != "1100.000000" {
		t.Fatalf("the stand-in posted %s, want the rounded 1100", got)
	}
	officer, clientSMS := strings.Join(s.outbound(officerPh), "\n"), strings.Join(s.outbound(clientPhone), "\n")
	if !strings.Contains(officer, "L1 1,100 (txn ") || !strings.Contains(officer, "S1 2,000 (txn ") {
		t.Errorf("officer told %q, want L1 1,100 and S1 2,000", officer)
	}
	if !strings.Contains(clientSMS, "UGX 1,100 to 00000L1") || strings.Contains(clientSMS, "1,050") {
		t.Errorf("client told %q, want UGX 1,100 and never 1,050", clientSMS)
	}
}
