package mifos

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	testUser   = "smsdaemon"
	testPass   = "s3cr3t-Pa55w0rd"
	testTenant = "kisumu"
	testCreds  = "c21zZGFlbW9uOnMzY3IzdC1QYTU1dzByZA==" // base64 of testUser:testPass
)

// seen is one request the fake Fineract received.
type seen struct {
	Method, Path, EscapedPath string
	Query                     url.Values
	Header                    http.Header
	Raw                       []byte
	Body                      map[string]any
}

type fake struct {
	mu   sync.Mutex
	reqs []seen
}

func (f *fake) all() []seen {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.reqs)
}

func (f *fake) last(t *testing.T) seen {
	t.Helper()
	r := f.all()
	if len(r) == 0 {
		t.Fatal("no request reached the server")
	}
	return r[len(r)-1]
}

// newFake serves handle under /fineract-provider and checks, on every
// request, Basic auth, the tenant header, Accept and the body content type.
func newFake(t *testing.T, handle func(w http.ResponseWriter, s seen)) (*HTTPClient, *fake) {
	t.Helper()
	f := &fake{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		s := seen{
			Method: r.Method, Path: strings.TrimPrefix(r.URL.Path, "/fineract-provider"),
			EscapedPath: strings.TrimPrefix(r.URL.EscapedPath(), "/fineract-provider"),
			Query:       r.URL.Query(), Header: r.Header.Clone(), Raw: raw,
		}
		if u, p, ok := r.BasicAuth(); !ok || u != testUser || p != testPass {
			t.Errorf("%s %s: Basic auth %q/%q, %v", r.Method, s.Path, u, p, ok)
		}
		if got := r.Header.Get("Fineract-Platform-TenantId"); got != testTenant {
			t.Errorf("%s %s: tenant header %q", r.Method, s.Path, got)
		}
		if got := r.Header.Get("Accept"); got != "application/json" {
			t.Errorf("%s %s: Accept %q", r.Method, s.Path, got)
		}
		if len(raw) > 0 {
			if got := r.Header.Get("Content-Type"); got != "application/json" {
				t.Errorf("%s %s: Content-Type %q", r.Method, s.Path, got)
			}
			d := json.NewDecoder(bytes.NewReader(raw))
			d.UseNumber()
			if err := d.Decode(&s.Body); err != nil {
				t.Errorf("%s %s: body is not a JSON object: %v", r.Method, s.Path, err)
			}
		}
		f.mu.Lock()
		f.reqs = append(f.reqs, s)
		f.mu.Unlock()
		handle(w, s)
	}))
	t.Cleanup(srv.Close)
	c, err := New(Config{BaseURL: srv.URL + "/fineract-provider/api/v1", Tenant: testTenant, Username: testUser, Password: testPass})
	if err != nil {
		t.Fatal(err)
	}
	return c, f
}

// reply writes a JSON body with a status.
func reply(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	io.WriteString(w, body)
}

// routes answers by "METHOD /path" and 404s anything else.
func routes(m map[string]string) func(http.ResponseWriter, seen) {
	return func(w http.ResponseWriter, s seen) {
		body, ok := m[s.Method+" "+s.Path]
		if !ok {
			reply(w, 404, `{"httpStatusCode":"404","userMessageGlobalisationCode":"error.msg.resource.not.found","defaultUserMessage":"not routed"}`)
			return
		}
		reply(w, 200, body)
	}
}

func keys(m map[string]any) []string {
	var k []string
	for key := range m {
		k = append(k, key)
	}
	slices.Sort(k)
	return k
}

func wantKeys(t *testing.T, what string, m map[string]any, want ...string) {
	t.Helper()
	slices.Sort(want)
	if got := keys(m); !slices.Equal(got, want) {
		t.Errorf("%s keys = %v, want %v", what, got, want)
	}
}

func wantQuery(t *testing.T, s seen, want url.Values) {
	t.Helper()
	if s.Query.Encode() != want.Encode() {
		t.Errorf("%s %s query = %s, want %s", s.Method, s.Path, s.Query.Encode(), want.Encode())
	}
}

var ctx = context.Background()

func TestBusinessDate(t *testing.T) {
	c, f := newFake(t, routes(map[string]string{"GET /api/v1/businessdate/BUSINESS_DATE": `{"type":"BUSINESS_DATE","date":[2024,9,26]}`}))
	d, err := c.BusinessDate(ctx)
	if err != nil || d != (Date{2024, 9, 26}) {
		t.Fatalf("BusinessDate = %v, %v", d, err)
	}
	if s := f.last(t); s.Method != "GET" || len(s.Raw) != 0 || s.Header.Get("Content-Type") != "" {
		t.Errorf("GET sent a body or content type: %+v", s)
	}
	c2, _ := newFake(t, routes(map[string]string{"GET /api/v1/businessdate/BUSINESS_DATE": `{"type":"BUSINESS_DATE"}`}))
	if _, err := c2.BusinessDate(ctx); err == nil {
		t.Error("BusinessDate without a date succeeded")
	}
}

func TestClientsByPhoneSearch(t *testing.T) {
	c, f := newFake(t, routes(map[string]string{"GET /api/v1/search": `[
		{"entityId":42,"entityAccountNo":"000000042","entityName":"Amina Odhiambo","entityType":"CLIENT",
		 "entityMobileNo":"0712345678","entityStatus":{"id":300,"code":"clientStatusType.active","value":"Active"},"parentId":3,"parentName":"Kisumu Branch"},
		{"entityId":43,"entityAccountNo":"0712345678","entityName":"Someone","entityType":"CLIENT","entityMobileNo":"0799999999"},
		{"entityId":5,"entityName":"0712345678 group","entityType":"GROUP","entityMobileNo":"0712345678"}]`}))
	hits, err := c.ClientsByPhone(ctx, " 0712-345 678%_")
	if err != nil {
		t.Fatal(err)
	}
	want := []ClientHit{{ID: 42, AccountNo: "000000042", DisplayName: "Amina Odhiambo", MobileNo: "0712345678", StatusID: 300, OfficeID: 3}}
	if !slices.Equal(hits, want) {
		t.Errorf("hits = %+v, want %+v", hits, want)
	}
	reqs := f.all()
	if len(reqs) != 1 {
		t.Fatalf("%d requests, want only the v1 search", len(reqs))
	}
	wantQuery(t, reqs[0], url.Values{"query": {"0712345678"}, "resource": {"clients"}, "exactMatch": {"true"}})
	if _, err := c.ClientsByPhone(ctx, "abc"); err == nil {
		t.Error("a phone without digits was searched")
	}
}

func TestClientsByPhoneV2Fallback(t *testing.T) {
	c, f := newFake(t, routes(map[string]string{
		"GET /api/v1/search": `[]`,
		"POST /api/v2/clients/search": `{"content":[
			{"id":42,"displayName":"Amina Odhiambo","externalId":{"value":"KE-42"},"accountNumber":"000000042","officeId":3,
			 "mobileNo":"+254712345678","status":{"id":300},"activationDate":"2024-05-01"},
			{"id":44,"displayName":"Other","accountNumber":"000000044","mobileNo":"+2547123456789"}],
			"totalElements":2,"number":0,"size":50}`,
	}))
	hits, err := c.ClientsByPhone(ctx, "+254712345678")
	if err != nil {
		t.Fatal(err)
	}
	want := []ClientHit{{ID: 42, AccountNo: "000000042", ExternalID: "KE-42", DisplayName: "Amina Odhiambo", MobileNo: "+254712345678", StatusID: 300, OfficeID: 3}}
	if !slices.Equal(hits, want) {
		t.Errorf("hits = %+v, want %+v", hits, want)
	}
	s := f.last(t)
	wantKeys(t, "v2 search body", s.Body, "request", "page", "size", "sorts")
	if req, _ := s.Body["request"].(map[string]any); req["text"] != "+254712345678" || len(req) != 1 {
		t.Errorf("v2 request = %v", s.Body["request"])
	}

	// An older server without v2, and a v1 search that 404s: no match, no error.
	c2, f2 := newFake(t, routes(nil))
	hits, err = c2.ClientsByPhone(ctx, "0712345678")
	if err != nil || len(hits) != 0 || len(f2.all()) != 2 {
		t.Errorf("no v2: hits %v, err %v, %d requests", hits, err, len(f2.all()))
	}

	// A failing v1 search is an error, not "no client".
	c3, _ := newFake(t, func(w http.ResponseWriter, s seen) { reply(w, 503, `{"httpStatusCode":"503"}`) })
	if _, err := c3.ClientsByPhone(ctx, "0712345678"); !IsRetryable(err) {
		t.Errorf("503 search: %v", err)
	}
}

func TestClientByRef(t *testing.T) {
	c, f := newFake(t, func(w http.ResponseWriter, s seen) {
		switch s.Query.Get("query") {
		case "000000042":
			reply(w, 200, `[{"entityId":42,"entityAccountNo":"000000042","entityType":"CLIENT","entityName":"Amina"}]`)
		case "KE-7":
			reply(w, 200, `[{"entityId":7,"entityAccountNo":"000000007","entityExternalId":"KE-7","entityType":"CLIENT","entityName":"Baraka"},
				{"entityId":9,"entityAccountNo":"KE-7","entityType":"LOAN"}]`)
		default:
			reply(w, 200, `[]`)
		}
	})
	h, err := c.ClientByRef(ctx, "42")
	if err != nil || h.ID != 42 {
		t.Fatalf("ClientByRef(42) = %+v, %v", h, err)
	}
	var asked []string
	for _, s := range f.all() {
		asked = append(asked, s.Query.Get("query"))
		if s.Query.Get("exactMatch") != "true" || s.Query.Get("resource") != "clients" {
			t.Errorf("search query %v", s.Query)
		}
	}
	if !slices.Equal(asked, []string{"42", "000000042"}) {
		t.Errorf("searched %v", asked)
	}
	if h, err := c.ClientByRef(ctx, "KE-7"); err != nil || h.ID != 7 || h.ExternalID != "KE-7" {
		t.Errorf("ClientByRef(KE-7) = %+v, %v", h, err)
	}
	_, err = c.ClientByRef(ctx, "0000099")
	var e *Error
	if !errors.Is(err, ErrNotFound) || !errors.As(err, &e) || e.Status != 404 {
		t.Errorf("missing client: %v", err)
	}
}

func TestClientAndAccounts(t *testing.T) {
	c, f := newFake(t, routes(map[string]string{
		"GET /api/v1/clients/42": `{"id":42,"accountNo":"000000042","externalId":"KE-42","status":{"id":300},"displayName":"Amina Odhiambo",
			"mobileNo":"0712345678","officeId":3,"staffId":12,"groups":[{"id":5,"name":"Umoja"},{"id":6}]}`,
		"GET /api/v1/clients/42/accounts": `{"loanAccounts":[{"id":981,"accountNo":"000000981","productName":"Biashara 6M",
			"status":{"id":300,"code":"loanStatusType.active","value":"Active","active":true},"currency":{"code":"KES","decimalPlaces":2},
			"inArrears":true,"originalLoan":20000.000000,"loanBalance":14250.500000,"amountPaid":6800.000000,
			"timeline":{"actualDisbursementDate":[2024,6,5]}},
			{"id":982,"accountNo":"000000982","status":{"id":100}}],
			"savingsAccounts":[{"id":77,"accountNo":"000000077","productName":"Voluntary Savings","status":{"id":300},
			"currency":{"code":"KES","decimalPlaces":2},"accountBalance":3150.000000},
			{"id":78,"accountNo":"000000078","status":{"id":300},"depositType":{"id":200,"code":"depositAccountType.fixedDeposit","value":"Fixed Deposit"}}]}`,
	}))
	cl, err := c.Client(ctx, 42)
	if err != nil {
		t.Fatal(err)
	}
	if cl.ID != 42 || cl.StaffID != 12 || cl.OfficeID != 3 || cl.StatusID != 300 || cl.ExternalID != "KE-42" || !slices.Equal(cl.GroupIDs, []int64{5, 6}) {
		t.Errorf("Client = %+v", cl)
	}
	a, err := c.ClientAccounts(ctx, 42)
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Loans) != 2 || len(a.Savings) != 2 || a.Savings[0].DepositType != 0 || !a.Savings[0].Plain() ||
		a.Savings[1].DepositType != 200 || a.Savings[1].Plain() {
		t.Fatalf("accounts = %+v", a)
	}
	l := a.Loans[0]
	if l.LoanBalance != 14_250_500_000 || !l.InArrears || l.ActualDisbursementDate != (Date{2024, 6, 5}) || l.Currency.Code != "KES" || l.ProductName != "Biashara 6M" {
		t.Errorf("loan = %+v", l)
	}
	if a.Loans[1].LoanBalance != 0 || !a.Loans[1].ActualDisbursementDate.IsZero() || a.Loans[1].StatusID != 100 {
		t.Errorf("undisbursed loan = %+v", a.Loans[1])
	}
	if a.Savings[0].AccountBalance != 3_150_000_000 || a.Savings[1].AccountBalance != 0 {
		t.Errorf("savings = %+v", a.Savings)
	}
	if n := len(f.all()); n != 2 {
		t.Errorf("%d requests", n)
	}
}

func TestLoan(t *testing.T) {
	c, f := newFake(t, routes(map[string]string{"GET /api/v1/loans/981": section4Loan}))
	l, err := c.Loan(ctx, 981)
	if err != nil {
		t.Fatal(err)
	}
	wantQuery(t, f.last(t), url.Values{"associations": {"repaymentSchedule"}, "exclude": {"guarantors"}})
	if l.TotalOutstanding != 14_250_500_000 || l.ClientID != 42 || l.StatusID != 300 || l.ProductName != "Biashara 6M" || l.LoanOfficerID != 12 || l.Currency.DisplaySymbol != "KSh" ||
		l.PrincipalDisbursed != 20_000_000_000 {
		t.Errorf("loan = %+v", l)
	}
	want := []Period{
		{1, Date{2024, 7, 5}, true, 3_400_000_000, 0},
		{2, Date{2024, 8, 5}, true, 3_400_000_000, 0}, // totalOutstandingForPeriod missing = 0
		{3, Date{2024, 9, 5}, false, 3_400_000_000, 2_375_000_000},
		{4, Date{2024, 10, 5}, false, 3_400_500_000, 3_400_500_000},
	}
	if !slices.Equal(l.Periods, want) {
		t.Errorf("periods = %+v", l.Periods)
	}
	today := Date{2024, 9, 26}
	if p, ok := NextDue(l.Periods); !ok || p.Number != 3 || Overdue(l.Periods, today) != 2_375_000_000 {
		t.Errorf("NextDue = %+v, %v; Overdue = %s", p, ok, Overdue(l.Periods, today))
	}
}

func TestSavings(t *testing.T) {
	c, f := newFake(t, func(w http.ResponseWriter, s seen) {
		body := `{"id":77,"accountNo":"000000077","clientId":42,"savingsProductName":"Voluntary Savings","status":{"id":300,"value":"Active","active":true},
			"currency":{"code":"KES","decimalPlaces":2},"minRequiredBalance":500.000000,
			"summary":{"accountBalance":3150.000000,"availableBalance":2900.000000,"totalDeposits":5150.000000}`
		if s.Query.Get("associations") == "transactions" {
			body += `,"transactions":[
				{"id":60211,"transactionType":{"id":1,"value":"Deposit","deposit":true},"date":[2024,9,26],"amount":500,
				 "runningBalance":3150.000000,"reversed":false,"paymentDetailData":{"paymentType":{"id":3},"receiptNumber":"MPX8QK3ABC"}},
				{"id":60100,"transactionType":{"id":2,"value":"Withdrawal"},"date":[2024,9,1],"amount":2000.000000,"reversed":true}]`
		}
		reply(w, 200, body+"}")
	})
	sv, err := c.Savings(ctx, 77)
	if err != nil {
		t.Fatal(err)
	}
	if s := f.last(t); s.Path != "/api/v1/savingsaccounts/77" || len(s.Query) != 0 {
		t.Errorf("Savings asked %s ?%v", s.Path, s.Query)
	}
	if sv.AccountBalance != 3_150_000_000 || sv.AvailableBalance != 2_900_000_000 || sv.ClientID != 42 || sv.ProductName != "Voluntary Savings" || sv.StatusID != 300 {
		t.Errorf("savings = %+v", sv)
	}
	txns, err := c.SavingsTransactions(ctx, 77)
	if err != nil {
		t.Fatal(err)
	}
	wantQuery(t, f.last(t), url.Values{"associations": {"transactions"}})
	want := []SavingsTxn{
		{ID: 60211, Date: Date{2024, 9, 26}, Amount: 500_000_000, ReceiptNumber: "MPX8QK3ABC", TypeValue: "Deposit"},
		{ID: 60100, Date: Date{2024, 9, 1}, Amount: 2_000_000_000, Reversed: true, TypeValue: "Withdrawal"},
	}
	if !slices.Equal(txns, want) {
		t.Errorf("txns = %+v", txns)
	}
}

func TestRepay(t *testing.T) {
	cached := false
	c, f := newFake(t, func(w http.ResponseWriter, s seen) {
		if cached {
			w.Header().Set("x-served-from-cache", "true")
		}
		reply(w, 200, `{"officeId":3,"clientId":42,"loanId":981,"resourceId":15734,"commandId":null,
			"resourceExternalId":"sms-KSM01-20240926T101502-7c41e9","changes":{"transactionAmount":"1500.50"}}`)
	})
	r := Repayment{Date: Date{2024, 9, 26}, Amount: 1_500_500_000, PaymentTypeID: 3,
		ExternalID: "sms-KSM01-20240926T101502-7c41e9", ReceiptNumber: "MPX8QK2ZLT", Note: "SMS repayment from 0712345678"}
	res, err := c.Repay(ctx, 981, r, "6f1c2a7e-58d4-4c3e-9f59-0b2f3a41d9aa")
	if err != nil {
		t.Fatal(err)
	}
	if res != (Result{ResourceID: 15734, ResourceExternalID: "sms-KSM01-20240926T101502-7c41e9"}) {
		t.Errorf("result = %+v", res)
	}
	s := f.last(t)
	if s.Method != "POST" || s.Path != "/api/v1/loans/981/transactions" {
		t.Errorf("asked %s %s", s.Method, s.Path)
	}
	wantQuery(t, s, url.Values{"command": {"repayment"}})
	if got := s.Header.Get("Idempotency-Key"); got != "6f1c2a7e-58d4-4c3e-9f59-0b2f3a41d9aa" {
		t.Errorf("Idempotency-Key %q", got)
	}
	wantKeys(t, "repayment", s.Body, "transactionDate", "transactionAmount", "dateFormat", "locale", "paymentTypeId", "externalId", "receiptNumber", "note")
	if s.Body["transactionDate"] != "2024-09-26" || s.Body["dateFormat"] != "yyyy-MM-dd" || s.Body["locale"] != "en" ||
		s.Body["paymentTypeId"] != json.Number("3") || s.Body["externalId"] != r.ExternalID {
		t.Errorf("repayment body %s", s.Raw)
	}
	if !bytes.Contains(s.Raw, []byte(`"transactionAmount":1500.5,`)) && !bytes.Contains(s.Raw, []byte(`"transactionAmount":1500.5}`)) {
		t.Errorf("amount not written exactly: %s", s.Raw)
	}

	// Only the required keys when the optional fields are zero; a replay is
	// reported as served from cache.
	cached = true
	res, err = c.Repay(ctx, 981, Repayment{Date: Date{2024, 9, 26}, Amount: 100_000}, "k2")
	if err != nil || !res.ServedFromCache || res.PendingApproval {
		t.Errorf("cached replay = %+v, %v", res, err)
	}
	s = f.last(t)
	wantKeys(t, "minimal repayment", s.Body, "transactionDate", "transactionAmount", "dateFormat", "locale")
	if !bytes.Contains(s.Raw, []byte(`"transactionAmount":0.1`)) {
		t.Errorf("amount not written exactly: %s", s.Raw)
	}

	// Invalid input never reaches Fineract.
	n := len(f.all())
	bad := []struct {
		r   Repayment
		key string
	}{
		{Repayment{Date: Date{2024, 9, 26}}, "k"},
		{Repayment{Date: Date{2024, 9, 26}, Amount: -1}, "k"},
		{Repayment{Amount: 1}, "k"},
		{Repayment{Date: Date{2024, 9, 26}, Amount: 1}, ""},
		{Repayment{Date: Date{2024, 9, 26}, Amount: 1}, strings.Repeat("k", 51)},
		{Repayment{Date: Date{2024, 9, 26}, Amount: 1, ExternalID: strings.Repeat("x", 101)}, "k"},
		{Repayment{Date: Date{2024, 9, 26}, Amount: 1, ReceiptNumber: strings.Repeat("x", 51)}, "k"},
	}
	for _, b := range bad {
		if _, err := c.Repay(ctx, 981, b.r, b.key); err == nil {
			t.Errorf("Repay(%+v, %q) succeeded", b.r, b.key)
		}
	}
	if len(f.all()) != n {
		t.Error("an invalid repayment was sent")
	}
}

func TestPendingApproval(t *testing.T) {
	c, _ := newFake(t, func(w http.ResponseWriter, s seen) {
		reply(w, 200, `{"commandId":88,"resourceId":981,"rollbackTransaction":true}`)
	})
	res, err := c.Repay(ctx, 981, Repayment{Date: Date{2024, 9, 26}, Amount: 1_000_000}, "k")
	if err != nil || !res.PendingApproval || res.CommandID != 88 {
		t.Errorf("maker-checker repayment = %+v, %v", res, err)
	}
	res, err = c.Deposit(ctx, 77, Deposit{Date: Date{2024, 9, 26}, Amount: 1_000_000, PaymentTypeID: 3}, "k")
	if err != nil || !res.PendingApproval {
		t.Errorf("maker-checker deposit = %+v, %v", res, err)
	}
	sr, err := c.SaveCollectionSheet(ctx, 5, SaveSheet{Date: Date{2024, 9, 26}, CalendarID: 9}, "k")
	if err != nil || !sr.PendingApproval || sr.CommandID != 88 {
		t.Errorf("maker-checker sheet = %+v, %v", sr, err)
	}
}

func TestDeposit(t *testing.T) {
	c, f := newFake(t, func(w http.ResponseWriter, s seen) {
		reply(w, 200, `{"officeId":3,"clientId":42,"savingsId":77,"resourceId":60211,"changes":{"paymentTypeId":3}}`)
	})
	d := Deposit{Date: Date{2024, 9, 26}, Amount: 500_000_000, PaymentTypeID: 3, ReceiptNumber: "MPX8QK3ABC", Note: "SMS deposit"}
	res, err := c.Deposit(ctx, 77, d, "key-1")
	if err != nil || res.ResourceID != 60211 || res.ServedFromCache {
		t.Fatalf("Deposit = %+v, %v", res, err)
	}
	s := f.last(t)
	if s.Path != "/api/v1/savingsaccounts/77/transactions" || s.Header.Get("Idempotency-Key") != "key-1" {
		t.Errorf("asked %s with key %q", s.Path, s.Header.Get("Idempotency-Key"))
	}
	wantQuery(t, s, url.Values{"command": {"deposit"}})
	wantKeys(t, "deposit", s.Body, "transactionDate", "transactionAmount", "dateFormat", "locale", "paymentTypeId", "receiptNumber", "note")
	if !bytes.Contains(s.Raw, []byte(`"transactionAmount":500,`)) && !bytes.Contains(s.Raw, []byte(`"transactionAmount":500}`)) {
		t.Errorf("amount not written exactly: %s", s.Raw)
	}
	_, err = c.Deposit(ctx, 77, Deposit{Date: Date{2024, 9, 26}, Amount: 1}, "k")
	if err == nil || len(f.all()) != 1 {
		t.Errorf("deposit without payment type: %v, %d requests", err, len(f.all()))
	}
	if _, err := c.Deposit(ctx, 77, Deposit{Date: Date{2024, 9, 26}, Amount: 1_000_000, PaymentTypeID: 3}, "k"); err != nil {
		t.Fatal(err)
	}
	wantKeys(t, "minimal deposit", f.last(t).Body, "transactionDate", "transactionAmount", "dateFormat", "locale", "paymentTypeId")
}

func TestLoanTxnByExternalID(t *testing.T) {
	c, f := newFake(t, func(w http.ResponseWriter, s seen) {
		if strings.HasSuffix(s.Path, "/external-id/sms-1/a b") {
			reply(w, 200, `{"id":15734,"externalId":"sms-1/a b","date":[2024,9,26],"amount":2375.000000,"manuallyReversed":false,
				"outstandingLoanBalance":11875.500000,"type":{"id":2,"repayment":true}}`)
			return
		}
		reply(w, 404, `{"developerMessage":"Loan transaction with external id missing does not exist","httpStatusCode":"404",
			"defaultUserMessage":"Loan transaction with external id missing does not exist","userMessageGlobalisationCode":"error.msg.resource.not.found",
			"errors":[{"userMessageGlobalisationCode":"error.msg.loan.transaction.external.id.invalid","parameterName":"id","value":null,"args":[{"value":"missing"}]}]}`)
	})
	tx, err := c.LoanTxnByExternalID(ctx, 981, "sms-1/a b")
	if err != nil {
		t.Fatal(err)
	}
	if s := f.last(t); s.EscapedPath != "/api/v1/loans/981/transactions/external-id/sms-1%2Fa%20b" {
		t.Errorf("escaped path %s", s.EscapedPath)
	}
	want := LoanTxn{ID: 15734, ExternalID: "sms-1/a b", Date: Date{2024, 9, 26}, Amount: 2_375_000_000, OutstandingBalance: 11_875_500_000}
	if tx != want {
		t.Errorf("txn = %+v", tx)
	}
	_, err = c.LoanTxnByExternalID(ctx, 981, "missing")
	var e *Error
	if !errors.Is(err, ErrNotFound) || !errors.As(err, &e) || !e.HasCode("error.msg.loan.transaction.external.id.invalid") {
		t.Errorf("missing txn: %v", err)
	}
}

func TestGroups(t *testing.T) {
	c, f := newFake(t, routes(map[string]string{
		"GET /api/v1/groups/5": `{"id":5,"name":"Umoja","officeId":3,"staffId":12,"clientMembers":[{"id":42},{"id":43}],
			"collectionMeetingCalendar":{"id":9,"title":"groups_5_CollectionMeeting","humanReadable":"Weekly on Thursday",
			"nextTenRecurringDates":[[2024,9,26],[2024,10,3]],"recurringDates":[[2024,9,12],[2024,9,19],[2024,9,26]]}}`,
		"GET /api/v1/groups/6": `{"id":6,"name":"Tumaini","staffId":12}`,
	}))
	g, err := c.Group(ctx, 5)
	if err != nil {
		t.Fatal(err)
	}
	wantQuery(t, f.last(t), url.Values{"associations": {"clientMembers,collectionMeetingCalendar"}})
	if g.ID != 5 || g.Name != "Umoja" || g.StaffID != 12 || g.OfficeID != 3 || !slices.Equal(g.ClientIDs, []int64{42, 43}) || g.Meeting == nil {
		t.Fatalf("group = %+v", g)
	}
	if m := g.Meeting; m.ID != 9 || m.HumanReadable != "Weekly on Thursday" || !slices.Equal(m.NextRecurringDates, []Date{{2024, 9, 26}, {2024, 10, 3}}) || m.Title == "" ||
		!slices.Equal(m.RecurringDates, []Date{{2024, 9, 12}, {2024, 9, 19}, {2024, 9, 26}}) {
		t.Errorf("meeting = %+v", m)
	}
	if g, err := c.Group(ctx, 6); err != nil || g.Meeting != nil {
		t.Errorf("group without meeting = %+v, %v", g, err)
	}

	for _, body := range []string{
		`[{"id":5,"name":"Umoja","staffId":12},{"id":8,"name":"Other","staffId":13},{"id":6,"name":"Tumaini","staffId":12}]`,
		`{"totalFilteredRecords":3,"pageItems":[{"id":5,"name":"Umoja","staffId":12},{"id":8,"staffId":13},{"id":6,"name":"Tumaini","staffId":12}]}`,
	} {
		c, f := newFake(t, routes(map[string]string{"GET /api/v1/groups": body}))
		gs, err := c.GroupsByStaff(ctx, 12)
		if err != nil {
			t.Fatal(err)
		}
		wantQuery(t, f.last(t), url.Values{"staffId": {"12"}})
		if len(gs) != 2 || gs[0].ID != 5 || gs[1].ID != 6 || gs[1].Name != "Tumaini" {
			t.Errorf("GroupsByStaff from %.20s = %+v", body, gs)
		}
	}
}

func TestGenerateCollectionSheet(t *testing.T) {
	c, f := newFake(t, routes(map[string]string{"POST /api/v1/groups/5": `{"dueDate":[2024,9,26],"loanProducts":[],"groups":[
		{"groupId":5,"groupName":"Umoja","staffId":12,"clients":[
		  {"clientId":42,"clientName":"Amina Odhiambo","attendanceType":{"id":1},
		   "loans":[{"loanId":981,"accountId":"000000981","accountStatusId":300,"productShortName":"BZ6","productId":1,"totalDue":2375.000000,"principalDue":2000}],
		   "savings":[{"savingsId":77,"accountId":"000000077","dueAmount":200.500000,"depositAccountType":"Saving Deposit"}]},
		  {"clientId":43,"clientName":"Baraka","loans":[{"loanId":990,"accountId":"000000990","productShortName":"BZ6"}]}]}]}`}))
	sheet, err := c.GenerateCollectionSheet(ctx, 5, 9, Date{2024, 9, 26})
	if err != nil {
		t.Fatal(err)
	}
	s := f.last(t)
	wantQuery(t, s, url.Values{"command": {"generateCollectionSheet"}})
	wantKeys(t, "generateCollectionSheet", s.Body, "transactionDate", "calendarId", "locale", "dateFormat")
	if s.Body["calendarId"] != json.Number("9") || s.Body["transactionDate"] != "2024-09-26" {
		t.Errorf("body %s", s.Raw)
	}
	if s.Header.Get("Idempotency-Key") != "" {
		t.Error("a read-only sheet carried an Idempotency-Key")
	}
	want := CollectionSheet{DueDate: Date{2024, 9, 26}, CalendarID: 9, GroupID: 5, Clients: []SheetClient{
		{ClientID: 42, ClientName: "Amina Odhiambo",
			Loans:   []SheetLoan{{LoanID: 981, AccountNo: "000000981", Product: "BZ6", TotalDue: 2_375_000_000}},
			Savings: []SheetSavings{{SavingsID: 77, AccountNo: "000000077", DueAmount: 200_500_000, DepositAccountType: "Saving Deposit"}}},
		{ClientID: 43, ClientName: "Baraka", Loans: []SheetLoan{{LoanID: 990, AccountNo: "000000990", Product: "BZ6"}}},
	}}
	gotJSON, _ := json.Marshal(sheet)
	wantJSON, _ := json.Marshal(want)
	if !bytes.Equal(gotJSON, wantJSON) {
		t.Errorf("sheet =\n%s\nwant\n%s", gotJSON, wantJSON)
	}
}

func TestSaveCollectionSheet(t *testing.T) {
	for _, changes := range []string{
		`{"loanTransactions":[15801,15802],"SavingsTransactions":[60300]}`,
		`{"loanTransactions":[{"id":15801},{"id":15802}],"SavingsTransactions":[{"id":60300}]}`,
	} {
		c, f := newFake(t, func(w http.ResponseWriter, s seen) {
			w.Header().Set("X-Served-From-Cache", "true")
			reply(w, 200, `{"groupId":5,"resourceId":5,"changes":`+changes+`}`)
		})
		sheet := SaveSheet{Date: Date{2024, 9, 26}, CalendarID: 9, PaymentTypeID: 3, Note: "COLLECT by officer 12", ReceiptNumber: "me-box-m9-0",
			Repayments: []SheetRepayment{{LoanID: 981, Amount: 2_375_500_000, ExternalID: "sms-coll-1"}, {LoanID: 990, Amount: 1_000_000}},
			Deposits:   []SheetDeposit{{SavingsID: 77, Amount: 200_500_000, DepositAccountType: "Saving Deposit"}}}
		res, err := c.SaveCollectionSheet(ctx, 5, sheet, "idem-sheet-1")
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(res.LoanTransactionIDs, []int64{15801, 15802}) || !slices.Equal(res.SavingsTransactionIDs, []int64{60300}) || !res.ServedFromCache || res.PendingApproval {
			t.Errorf("result = %+v", res)
		}
		s := f.last(t)
		wantQuery(t, s, url.Values{"command": {"saveCollectionSheet"}})
		if s.Path != "/api/v1/groups/5" || s.Header.Get("Idempotency-Key") != "idem-sheet-1" {
			t.Errorf("asked %s key %q", s.Path, s.Header.Get("Idempotency-Key"))
		}
		wantKeys(t, "saveCollectionSheet", s.Body, "transactionDate", "calendarId", "locale", "dateFormat", "paymentTypeId", "note",
			"receiptNumber", "bulkRepaymentTransactions", "bulkSavingsDueTransactions")
		reps, _ := s.Body["bulkRepaymentTransactions"].([]any)
		deps, _ := s.Body["bulkSavingsDueTransactions"].([]any)
		if len(reps) != 2 || len(deps) != 1 {
			t.Fatalf("items: %s", s.Raw)
		}
		wantKeys(t, "repayment item", reps[0].(map[string]any), "loanId", "transactionAmount", "externalId")
		wantKeys(t, "repayment item without external id", reps[1].(map[string]any), "loanId", "transactionAmount")
		wantKeys(t, "savings item", deps[0].(map[string]any), "savingsId", "transactionAmount", "depositAccountType")
		for _, frag := range []string{`"transactionAmount":2375.5`, `"transactionAmount":1}`, `"transactionAmount":200.5`, `"depositAccountType":100`} {
			if !bytes.Contains(s.Raw, []byte(frag)) {
				t.Errorf("body lacks %s: %s", frag, s.Raw)
			}
		}
	}

	c, f := newFake(t, func(w http.ResponseWriter, s seen) { reply(w, 200, `{"changes":{}}`) })
	res, err := c.SaveCollectionSheet(ctx, 5, SaveSheet{Date: Date{2024, 9, 26}, CalendarID: 9}, "k")
	if err != nil || len(res.LoanTransactionIDs) != 0 {
		t.Errorf("empty sheet = %+v, %v", res, err)
	}
	wantKeys(t, "minimal sheet", f.last(t).Body, "transactionDate", "calendarId", "locale", "dateFormat", "bulkRepaymentTransactions", "bulkSavingsDueTransactions")
	// Fineract skips sheet repayments under 1 without a word: refused here.
	if _, err := c.SaveCollectionSheet(ctx, 5, SaveSheet{Date: Date{2024, 9, 26}, CalendarID: 9,
		Repayments: []SheetRepayment{{LoanID: 1, Amount: 500_000}}}, "k"); err == nil {
		t.Error("a 0.50 sheet repayment was accepted")
	}
	if _, err := c.SaveCollectionSheet(ctx, 5, SaveSheet{Date: Date{2024, 9, 26}}, "k"); err == nil {
		t.Error("a sheet without calendar id was accepted")
	}
	if _, err := c.SaveCollectionSheet(ctx, 5, SaveSheet{Date: Date{2024, 9, 26}, CalendarID: 9, ReceiptNumber: strings.Repeat("r", 51)}, "k"); err == nil {
		t.Error("a sheet with a 51-character receipt number was accepted")
	}
	if _, err := c.SaveCollectionSheet(ctx, 5, SaveSheet{Date: Date{2024, 9, 26}, CalendarID: 9}, ""); err == nil {
		t.Error("a sheet without Idempotency-Key was accepted")
	}
	if len(f.all()) != 1 {
		t.Errorf("%d requests, invalid sheets were sent", len(f.all()))
	}
}

// The error bodies of docs/fineract.md §1.6 (and the unmapped 500 and proxy pages).
func TestErrorBodies(t *testing.T) {
	cases := []struct {
		name      string
		status    int
		body      string
		code      string // top level
		firstCode string
		param     string
		msg       string // Error() contains
		retry     bool
	}{
		{"400 missing locale", 400, `{
  "developerMessage": "The request was invalid. This typically will happen due to validation errors which are provided.",
  "httpStatusCode": "400",
  "defaultUserMessage": "Validation errors exist.",
  "userMessageGlobalisationCode": "validation.msg.validation.errors.exist",
  "errors": [{
    "developerMessage": "The parameter ` + "`transactionDate`" + ` requires a ` + "`locale`" + ` parameter to be passed with it.",
    "defaultUserMessage": "The parameter ` + "`transactionDate`" + ` requires a ` + "`locale`" + ` parameter to be passed with it.",
    "userMessageGlobalisationCode": "validation.msg.missing.locale.parameter",
    "parameterName": "transactionDate", "value": null, "args": []
  }]
}`, "validation.msg.validation.errors.exist", "validation.msg.missing.locale.parameter", "transactionDate", "requires a `locale`", false},
		{"403 future date", 403, `{
  "developerMessage": "Request was understood but caused a domain rule violation.",
  "httpStatusCode": "403",
  "defaultUserMessage": "Errors contain reason for domain rule violation.",
  "userMessageGlobalisationCode": "validation.msg.domain.rule.violation",
  "errors": [{ "userMessageGlobalisationCode": "error.msg.loan.transaction.cannot.be.a.future.date",
               "parameterName": "id", "defaultUserMessage": "The transaction date cannot be in the future.", "developerMessage": "...",
               "args": [{"value": "2025-03-02"}] }]
}`, "validation.msg.domain.rule.violation", "error.msg.loan.transaction.cannot.be.a.future.date", "id", "cannot be in the future", true},
		{"404 loan", 404, `{"developerMessage":"Loan with identifier 9999 does not exist","httpStatusCode":"404",
  "defaultUserMessage":"Loan with identifier 9999 does not exist","userMessageGlobalisationCode":"error.msg.resource.not.found",
  "errors":[{"developerMessage":"Loan with identifier 9999 does not exist","defaultUserMessage":"Loan with identifier 9999 does not exist",
  "userMessageGlobalisationCode":"error.msg.loan.id.invalid","parameterName":"id","value":null,"args":[{"value":9999}]}]}`,
			"error.msg.resource.not.found", "error.msg.loan.id.invalid", "id", "9999 does not exist", false},
		{"409 locked", 409, `{"developerMessage":"Loan is locked by the COB job. Loan ID: 981","httpStatusCode":"409",
  "defaultUserMessage":"Loan is locked by the COB job. Loan ID: 981","userMessageGlobalisationCode":"error.msg.loan.locked","errors":[]}`,
			"error.msg.loan.locked", "", "", "locked by the COB job", true},
		{"500 unmapped", 500, `{"Exception":"java.lang.NullPointerException: Cannot invoke getId()"}`, "", "", "", "NullPointerException", true},
		{"502 proxy page", 502, "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>",
			"", "", "", "502 Bad Gateway", true},
		{"401 plain", 401, `{"developerMessage":"Invalid authentication details were passed in api request.","httpStatusCode":"401",
  "defaultUserMessage":"Unauthenticated. Please login.","userMessageGlobalisationCode":"error.msg.not.authenticated","errors":[]}`,
			"error.msg.not.authenticated", "", "", "Unauthenticated", false},
		{"400 empty", 400, ``, "", "", "", "Bad Request", false},
		{"numeric httpStatusCode", 400, `{"httpStatusCode":400,"userMessageGlobalisationCode":"error.msg.parameter.unsupported",
  "defaultUserMessage":"The parameter externalId is not supported."}`, "error.msg.parameter.unsupported", "", "", "externalId is not supported", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := newFake(t, func(w http.ResponseWriter, s seen) { reply(w, tc.status, tc.body) })
			_, err := c.Loan(ctx, 9999)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %T %v, want *Error", err, err)
			}
			if e.Status != tc.status || e.Code != tc.code || e.ServedFromCache {
				t.Errorf("Error = %+v", e)
			}
			if tc.firstCode != "" && (len(e.Errors) != 1 || e.Errors[0].Code != tc.firstCode || e.Errors[0].Parameter != tc.param || e.Errors[0].Message == "") {
				t.Errorf("errors[] = %+v", e.Errors)
			}
			if tc.firstCode == "" && len(e.Errors) != 0 {
				t.Errorf("errors[] = %+v", e.Errors)
			}
			if !strings.Contains(e.Error(), tc.msg) {
				t.Errorf("Error() = %q, want it to contain %q", e.Error(), tc.msg)
			}
			if len(e.Message) > 210 || strings.Contains(e.Message, "<") {
				t.Errorf("Message is not short plain text: %q", e.Message)
			}
			if IsRetryable(err) != tc.retry || errors.Is(err, ErrNotFound) != (tc.status == 404) {
				t.Errorf("retryable %v, not found %v", IsRetryable(err), errors.Is(err, ErrNotFound))
			}
		})
	}
}

func TestDuplicateExternalIDAndCachedError(t *testing.T) {
	c, _ := newFake(t, func(w http.ResponseWriter, s seen) {
		w.Header().Set("x-served-from-cache", "true")
		reply(w, 400, `{"httpStatusCode":"400","userMessageGlobalisationCode":"validation.msg.validation.errors.exist",
			"defaultUserMessage":"Validation errors exist.","errors":[{"userMessageGlobalisationCode":"validation.msg.loan.transaction.externalId.value.must.be.unique",
			"parameterName":"externalId","defaultUserMessage":"Value must be unique","value":"sms-1"}]}`)
	})
	_, err := c.Repay(ctx, 981, Repayment{Date: Date{2024, 9, 26}, Amount: 1_000_000, ExternalID: "sms-1"}, "k")
	var e *Error
	if !IsDuplicateExternalID(err) || !errors.As(err, &e) || !e.ServedFromCache || e.Errors[0].Value != "sms-1" || IsRetryable(err) {
		t.Errorf("duplicate: %+v", err)
	}
}

func TestAmountsInResponses(t *testing.T) {
	body := `{"id":77,"summary":{"accountBalance":%s,"availableBalance":%s}}`
	cases := []struct {
		bal, avail       string
		wantBal, wantAvl Amount
		fail             bool
	}{
		{"14250.500000", "0.1", 14_250_500_000, 100_000, false},
		{"null", "0.300000", 0, 300_000, false},
		{"9223372036854.775807", "-0.000001", 9_223_372_036_854_775_807, -1, false},
		{"9223372036855", "0", 0, 0, true}, // too large: an error, never a wrapped value
	}
	for _, tc := range cases {
		c, _ := newFake(t, func(w http.ResponseWriter, s seen) {
			reply(w, 200, strings.Replace(strings.Replace(body, "%s", tc.bal, 1), "%s", tc.avail, 1))
		})
		sv, err := c.Savings(ctx, 77)
		if tc.fail {
			if err == nil || strings.Contains(err.Error(), testPass) {
				t.Errorf("balance %s: %+v, %v", tc.bal, sv, err)
			}
			continue
		}
		if err != nil || sv.AccountBalance != tc.wantBal || sv.AvailableBalance != tc.wantAvl {
			t.Errorf("balance %s/%s = %+v, %v", tc.bal, tc.avail, sv, err)
		}
	}
	c, _ := newFake(t, func(w http.ResponseWriter, s seen) { reply(w, 200, `{"id":77}`) })
	if sv, err := c.Savings(ctx, 77); err != nil || sv.AccountBalance != 0 || sv.AvailableBalance != 0 {
		t.Errorf("no summary = %+v, %v", sv, err)
	}
}

func TestNewConfig(t *testing.T) {
	good := Config{BaseURL: "https://fineract.example.org/fineract-provider/api/v1", Tenant: "default", Username: "u"}
	c, err := New(good)
	if err != nil {
		t.Fatal(err)
	}
	if c.hc.Timeout != 20*time.Second || c.locale != "en" || c.v2 != "https://fineract.example.org/fineract-provider/api/v2" {
		t.Errorf("defaults: timeout %v locale %q v2 %q", c.hc.Timeout, c.locale, c.v2)
	}
	if tc := c.hc.Transport.(*http.Transport).TLSClientConfig; tc == nil || tc.InsecureSkipVerify || tc.MinVersion != tls.VersionTLS12 {
		t.Error("TLS verification is off or allows TLS below 1.2")
	}
	// Go's chain check is off only for a pin alone, and then the pin check
	// (with host name and validity) runs on every connection instead.
	pin := strings.Repeat("ab", 32)
	for _, cfg := range []Config{{PinSHA256: pin}, {PinSHA256: pin, InsecureHTTP: true}} {
		cfg.BaseURL, cfg.Tenant, cfg.Username = good.BaseURL, "t", "u"
		c, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if tc := c.hc.Transport.(*http.Transport).TLSClientConfig; !tc.InsecureSkipVerify || tc.VerifyConnection == nil || tc.MinVersion != tls.VersionTLS12 {
			t.Errorf("pin alone: skip %v, VerifyConnection set %v", tc.InsecureSkipVerify, tc.VerifyConnection != nil)
		}
	}
	for _, base := range []string{"https://h/fineract-provider", "https://h/fineract-provider/", "https://h/fineract-provider/api/v1/"} {
		c, err := New(Config{BaseURL: base, Tenant: "t", Username: "u", Timeout: time.Second, Locale: "fr"})
		if err != nil || c.v1 != "https://h/fineract-provider/api/v1" || c.hc.Timeout != time.Second || c.locale != "fr" {
			t.Errorf("New(%q): v1 %q, %v", base, c.v1, err)
		}
	}
	// Plain http only to this machine, unless explicitly allowed.
	for _, base := range []string{"http://127.0.0.1:8080/x", "http://127.8.9.10/x", "http://[::1]:8080/x", "http://localhost:8080/x", "http://LOCALHOST/x"} {
		if _, err := New(Config{BaseURL: base, Tenant: "t", Username: "u"}); err != nil {
			t.Errorf("New(%q): %v", base, err)
		}
	}
	if _, err := New(Config{BaseURL: "http://10.9.9.9:8080/x", Tenant: "t", Username: "u", InsecureHTTP: true}); err != nil {
		t.Errorf("plain http with InsecureHTTP: %v", err)
	}
	_, err = New(Config{BaseURL: "http://10.9.9.9:8080/fineract-provider/api/v1", Tenant: "t", Username: "u"})
	if err == nil || !strings.Contains(err.Error(), "plain http:// to 10.9.9.9, which is not this machine") {
		t.Errorf("plain http to 10.9.9.9: %v", err)
	}

	bad := []Config{
		{BaseURL: "http://10.9.9.9:8080/x", Tenant: "t", Username: "u"},
		{BaseURL: "http://fineract.lan/x", Tenant: "t", Username: "u"},
		{BaseURL: "http://localhost.example.org/x", Tenant: "t", Username: "u"},
		{BaseURL: "http://127.0.0.1.example.org/x", Tenant: "t", Username: "u"},
		{BaseURL: "http://0.0.0.0/x", Tenant: "t", Username: "u"},
		{BaseURL: "ftp://x.org", Tenant: "t", Username: "u"},
		{BaseURL: "https://", Tenant: "t", Username: "u"},
		{BaseURL: "x.org/api", Tenant: "t", Username: "u"},
		{BaseURL: "https://u:" + testPass + "@x.org", Tenant: "t", Username: "u"},
		{BaseURL: "https://x.org?tenantIdentifier=t", Tenant: "t", Username: "u"},
		{BaseURL: "https://x.org", Username: "u"},
		{BaseURL: "https://x.org", Tenant: "t"},
		{BaseURL: "https://x.org", Tenant: "t", Username: "u", PinSHA256: "abcd"},
		{BaseURL: "https://x.org", Tenant: "t", Username: "u", CAFile: "/nonexistent/ca.pem"},
	}
	for _, cfg := range bad {
		if _, err := New(cfg); err == nil {
			t.Errorf("New(%+v) succeeded", cfg)
		} else if strings.Contains(err.Error(), testPass) {
			t.Errorf("New error shows the password: %v", err)
		}
	}
}

// An answer longer than the client reads is not decoded from its cut-off
// start (a decode error would pass for a network failure, retried for
// ever): it is ErrTooLarge, which asking again cannot help.
func TestAnswerTooLarge(t *testing.T) {
	huge := `{"id":77,"transactions":[` + strings.Repeat(`{"id":1,"amount":1.000000},`, maxBody/25) + `{"id":2}]}`
	c, _ := newFake(t, func(w http.ResponseWriter, s seen) { reply(w, 200, huge) })
	_, err := c.SavingsTransactions(ctx, 77)
	if !errors.Is(err, ErrTooLarge) || Classify(err) != TooLarge || IsRetryable(err) {
		t.Fatalf("err %v (%s)", err, Classify(err))
	}
	// An error page that long is only cut for the log.
	c, _ = newFake(t, func(w http.ResponseWriter, s seen) { reply(w, 500, strings.Repeat("x", maxBody+10)) })
	if _, err := c.SavingsTransactions(ctx, 77); errors.Is(err, ErrTooLarge) || Classify(err) != ServerError {
		t.Fatalf("a long error page: %v", err)
	}
}

// An application read after approval and a smaller disbursement: the
// approved amount is approvedPrincipal, not the principal that followed
// the disbursement; a server without the field gives the principal.
func TestLoanApplicationApprovedPrincipal(t *testing.T) {
	const loan = `{"id":987,"accountNo":"000000987","status":{"id":300},"clientId":47,"currency":{"code":"KES","decimalPlaces":2},
 "principal":20000.000000,%s"proposedPrincipal":30000.000000,
 "timeline":{"approvedOnDate":[2024,9,26],"approvedByUsername":"jakinyi","actualDisbursementDate":[2024,9,27]}}`
	c, _ := newFake(t, routes(map[string]string{
		"GET /api/v1/loans/987": fmt.Sprintf(loan, `"approvedPrincipal":25000.000000,`),
		"GET /api/v1/loans/988": fmt.Sprintf(loan, ""),
	}))
	app, err := c.LoanApplication(ctx, 987)
	if err != nil || app.ApprovedPrincipal != 25_000_000_000 || app.Principal != 20_000_000_000 ||
		app.ProposedPrincipal != 30_000_000_000 || app.ApprovedOn != (Date{2024, 9, 26}) || app.DisbursedOn != (Date{2024, 9, 27}) {
		t.Fatalf("application %+v %v", app, err)
	}
	if app, err := c.LoanApplication(ctx, 988); err != nil || app.ApprovedPrincipal != 20_000_000_000 {
		t.Fatalf("without approvedPrincipal: %+v %v", app, err)
	}
}
