package payments

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mifos-edge/mifos-edge/fineractsim"
	"github.com/mifos-edge/mifos-edge/mifos"
	"github.com/mifos-edge/mifos-edge/store"
)

// Extra stand-in records for matching (besides fineractsim.Seed).
const (
	clientTwin     = 60 // same phone as Grace, stored in E.164
	clientExternal = 61 // external id EXT-61, one savings account
	savingsExt     = 161
	loanClosed     = 990 // Grace's, closed (600)
	loanUGX        = 991 // John's, in UGX
)

// standIn starts a seeded stand-in with the extra records and a client for it.
func standIn(t *testing.T) (*fineractsim.Server, *mifos.HTTPClient) {
	t.Helper()
	fin, err := fineractsim.Start(fineractsim.Options{NoRequestLog: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fin.Close() })
	fin.Seed()
	b := fin.BusinessDate()
	fin.AddClient(fineractsim.Client{ID: clientTwin, Firstname: "Grace", Lastname: "Twin", MobileNo: "+254722111222"})
	fin.AddClient(fineractsim.Client{ID: clientExternal, Firstname: "Esther", Lastname: "Njeri", ExternalID: "EXT-61", MobileNo: "+254700000061"})
	fin.AddSavings(fineractsim.Savings{ID: savingsExt, ClientID: clientExternal, ProductID: 1, ProductName: "Voluntary Savings",
		ActivatedOn: b.AddDate(-1, 0, 0)})
	fin.AddLoan(fineractsim.Loan{ID: loanClosed, ClientID: fineractsim.SeedClientGrace, ProductID: 1, ProductName: "Old", StatusID: 600,
		Principal: fineractsim.MustAmount("1000"), DisbursedOn: b.AddDate(-1, 0, 0),
		Installments: []fineractsim.Installment{{DueDate: b.AddDate(0, -6, 0), Principal: fineractsim.MustAmount("1000"), Paid: fineractsim.MustAmount("1000")}}})
	fin.AddLoan(fineractsim.Loan{ID: loanUGX, ClientID: fineractsim.SeedClientJohn, ProductID: 1, ProductName: "Shilingi", Currency: fineractsim.UGX,
		Principal: fineractsim.MustAmount("100000"), DisbursedOn: b.AddDate(0, -1, 0),
		Installments: []fineractsim.Installment{{DueDate: b.AddDate(0, 1, 0), Principal: fineractsim.MustAmount("100000")}}})
	c, err := mifos.New(mifos.Config{BaseURL: fin.URL(), Tenant: "default", Username: "mifos", Password: "password"})
	if err != nil {
		t.Fatal(err)
	}
	return fin, c
}

func amt(s string) int64 {
	a, err := mifos.ParseAmount(s)
	if err != nil {
		panic(err)
	}
	return int64(a)
}

// describe writes a decision as the table compares it.
func describe(d decision) string {
	if d.suspense != "" {
		return "suspense: " + d.suspense
	}
	var parts []string
	for _, p := range d.parts {
		kind := "savings"
		if p.loan {
			kind = "loan"
		}
		parts = append(parts, fmt.Sprintf("%s %d %s", kind, p.accountID, p.amount))
	}
	return fmt.Sprintf("client %d: %s", d.client.ID, strings.Join(parts, ", "))
}

// The matching rules in their order, each with the case that must not
// decide on its own.
func TestMatchTable(t *testing.T) {
	fin, api := standIn(t)
	b := fin.BusinessDate()
	today := mifos.Date{Year: b.Year(), Month: int(b.Month()), Day: b.Day()}
	m := matcher{api: api, country: "KE", today: today, max: mifos.Amount(amt("50000"))}
	kes := func(amount, ref, phone string) store.Payment {
		return store.Payment{Operator: "mpesa-ke", TxnID: "T1", Amount: amt(amount), Currency: "KES", AccountRef: ref, PayerPhone: phone}
	}
	ugx := kes("1000", "981", "")
	ugx.Currency = "UGX"
	cases := []struct {
		name string
		p    store.Payment
		want string // a prefix of describe(decision)
	}{
		{"loan number", kes("1050", "981", ""), "client 42: loan 981 1050"},
		{"loan number zero padded", kes("1050", "000000981", "0799***999"), "client 42: loan 981 1050"},
		{"loan number with spaces", kes("1050", " 98 1", ""), "client 42: loan 981 1050"},
		{"savings number", kes("200.50", "77", ""), "client 42: savings 77 200.5"},
		{"loan number beats a payer phone", kes("10", "983", fineractsim.SeedAminaPhone), "client 43: loan 983 10"},
		{"closed loan", kes("100", "990", ""), "suspense: loan 000000990 is not active"},
		{"loan pending approval", kes("100", "984", ""), "suspense: loan 000000984 is not active"},
		{"currency differs", ugx, "suspense: account 000000981 is in KES, the payment in UGX"},
		{"UGX loan paid in UGX", store.Payment{Operator: "mtn-momo", TxnID: "U1", Amount: amt("27200"), Currency: "UGX", AccountRef: "991"}, "client 44: loan 991 27200"},
		{"above the ceiling", kes("50000.01", "981", ""), "suspense: KES 50,000.01 is above [mobile_money] max_amount (50,000)"},
		// Amina: 2,725.08 overdue on 981, then 981's next instalment
		// (3,750.08), then 982's first (1,437.50), the rest to savings 77.
		{"client number, overdue first", kes("2000", "42", ""), "client 42: loan 981 2000"},
		{"client number, overdue then next due", kes("5000", "000000042", ""), "client 42: loan 981 5000"},
		{"client number, rest to savings", kes("10000", "42", ""), "client 42: loan 981 6475.16, loan 982 1437.5, savings 77 2087.34"},
		{"client external id", kes("300", "EXT-61", ""), "client 61: savings 161 300"},
		{"unmasked phone, E.164 stored", kes("1000", "", "0733444555"), "client 44: loan 985 1000"},
		{"unmasked phone after an unknown reference", kes("1000", "XYZ", "254733444555"), "client 44: loan 985 1000"},
		{"phone pays more than is due, no savings", kes("20000", "", "+254733444555"), "suspense: the payer's number +254733444555 names client 000000044 (John Kamau): KES 20,000.00 is more than is due now"},
		{"masked phone", kes("1000", "", "0733***555"), "suspense: no account reference, and the payer's number 0733***555 is masked"},
		{"masked phone, unknown reference", kes("1000", "555", "0733***555"), `suspense: account reference "555" matches no loan, savings account or client, and the payer's number 0733***555 is masked`},
		{"two clients with the number", kes("1000", "", "0722111222"), "suspense: no account reference, and 2 clients have the payer's number +254722111222"},
		{"unknown phone", kes("1000", "", "0799000000"), "suspense: no account reference, and no active client has the payer's number +254799000000"},
		{"no phone, no reference", kes("1000", "", ""), "suspense: no account reference, and no payer number"},
		{"client without accounts", kes("1000", "45", ""), "suspense: account reference \"45\" names client 000000045 (Mary Achieng), who has no active loan or savings account in KES"},
		{"name only", store.Payment{Operator: "mpesa-ke", TxnID: "T9", Amount: amt("10"), Currency: "KES", PayerName: "AMINA ODHIAMBO"}, "suspense: no account reference, and no payer number"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d, err := m.match(context.Background(), tc.p)
			if err != nil {
				t.Fatal(err)
			}
			if got := describe(d); !strings.HasPrefix(got, tc.want) {
				t.Fatalf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

// Fineract not answering is no decision: the payment waits.
func TestMatchWaitsWhenFineractIsDown(t *testing.T) {
	fin, api := standIn(t)
	m := matcher{api: api, country: "KE"}
	if err := fin.SetDown(true); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	d, err := m.match(ctx, store.Payment{Amount: amt("10"), Currency: "KES", AccountRef: "981"})
	if err == nil {
		t.Fatalf("decided while Fineract is down: %s", describe(d))
	}
}
