package fineractsim

import "testing"

// ugxAccounts adds a client with a UGX loan and a UGX savings account whose
// currency rounds to multiples of 100, both in a group of their own that
// meets on the business date.
func ugxAccounts(t *testing.T, s *Server) (loan, savings, group int64) {
	t.Helper()
	ugx := UGX
	ugx.InMultiplesOf = 100
	b := s.BusinessDate()
	c := s.AddClient(Client{Firstname: "Okello", Lastname: "Ayo", ActivationDate: b.AddDate(-1, 0, 0)})
	group = s.AddGroup(Group{Name: "Kampala Women", ClientIDs: []int64{c},
		Meeting: &Calendar{ID: 77, StartDate: b.AddDate(0, -2, 0), Weekday: b.Weekday()}})
	loan = s.AddLoan(Loan{ClientID: c, GroupID: group, ProductName: "Biashara UGX", Currency: ugx,
		Principal: MustAmount("500000"), DisbursedOn: b.AddDate(0, -1, 0),
		Installments: []Installment{{DueDate: b.AddDate(0, 1, 0), Principal: MustAmount("500000")}}})
	savings = s.AddSavings(Savings{ClientID: c, ProductName: "Akiba UGX", Currency: ugx, ActivatedOn: b.AddDate(0, -1, 0)})
	return loan, savings, group
}

// Fineract rounds what it posts in a currency without decimals to the
// currency's inMultiplesOf (Money.roundToMultiplesOf: a tie goes up); the
// command's changes still echo the amount as sent.
func TestInMultiplesOfRoundsWhatIsPosted(t *testing.T) {
	s := startSeeded(t)
	loan, savings, group := ugxAccounts(t, s)
	if c := path(obj(t, call(t, s, "GET", "/loans/"+itoa(int(loan)), "").body), "currency"); str(path(c, "inMultiplesOf")) != "100" ||
		str(path(c, "decimalPlaces")) != "0" || path(c, "code") != "UGX" {
		t.Fatalf("loan currency %v", c)
	}
	r := call(t, s, "POST", repayPath(loan), repayBody("2024-09-26", "1050", "ugx-1"))
	if r.status != 200 || str(path(obj(t, r.body), "changes", "transactionAmount")) != "1050" {
		t.Fatalf("repayment: %d %s", r.status, r.body)
	}
	txn := obj(t, call(t, s, "GET", "/loans/"+itoa(int(loan))+"/transactions/"+str(obj(t, r.body)["resourceId"]), "").body)
	if str(txn["amount"]) != "1100.000000" || txn["externalId"] != "ugx-1" {
		t.Fatalf("posted repayment %v", txn)
	}
	dep := `{"transactionDate":"2024-09-26","dateFormat":"yyyy-MM-dd","locale":"en","transactionAmount":1020,"paymentTypeId":1,"receiptNumber":"R-UGX"}`
	r = call(t, s, "POST", depositPath(savings), dep)
	if r.status != 200 {
		t.Fatalf("deposit: %d %s", r.status, r.body)
	}
	got := obj(t, call(t, s, "GET", "/savingsaccounts/"+itoa(int(savings))+"/transactions/"+str(obj(t, r.body)["resourceId"]), "").body)
	if str(got["amount"]) != "1000.000000" || str(path(got, "paymentDetailData", "receiptNumber")) != "R-UGX" {
		t.Fatalf("posted deposit %v", got)
	}
	// A collection sheet's items are rounded one by one.
	save := `{"transactionDate":"2024-09-26","calendarId":77,"dateFormat":"yyyy-MM-dd","locale":"en","paymentTypeId":1,
	  "bulkRepaymentTransactions":[{"loanId":` + itoa(int(loan)) + `,"transactionAmount":2049,"externalId":"ugx-s1"}],
	  "bulkSavingsDueTransactions":[{"savingsId":` + itoa(int(savings)) + `,"transactionAmount":150,"depositAccountType":100}]}`
	r = call(t, s, "POST", "/groups/"+itoa(int(group))+"?command=saveCollectionSheet", save)
	if r.status != 200 {
		t.Fatalf("sheet: %d %s", r.status, r.body)
	}
	txns := s.LoanTransactions(loan)
	if got := txns[len(txns)-1].Amount.String(); got != "2000.000000" {
		t.Fatalf("sheet repayment posted %s", got)
	}
	if got := s.SavingsBalance(savings); got != "1200.000000" {
		t.Fatalf("savings balance %s, want 1000 + 200", got)
	}
}

func TestMoneyRounding(t *testing.T) {
	hundreds := Currency{Code: "UGX", InMultiplesOf: 100}
	for _, c := range []struct {
		cur      Currency
		in, want string
	}{
		{hundreds, "1050", "1100"}, {hundreds, "1020", "1000"}, {hundreds, "1049.99", "1000"}, {hundreds, "1100", "1100"},
		{hundreds, "40", "0"}, {Currency{Code: "UGX", InMultiplesOf: 1}, "1050.5", "1051"},
		{Currency{Code: "UGX"}, "1050.5", "1050"}, {KES, "10.005", "10.00"}, {KES, "10.015", "10.02"},
	} {
		if got := c.cur.money(MustAmount(c.in)); got != MustAmount(c.want) {
			t.Errorf("%+v: %s -> %s, want %s", c.cur, c.in, got, c.want)
		}
	}
}
