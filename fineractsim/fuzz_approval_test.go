package fineractsim

import (
	"encoding/json"
	"net/url"
	"testing"
	"time"
)

// fuzzServer is a seeded server that is never started listening.
func fuzzServer() *Server {
	s := &Server{opts: Options{Tenant: "default", Username: "mifos", Password: "password", TimeZone: time.UTC,
		Clock: time.Now, BusinessDate: testBizDate}, bizDate: testBizDate, bizDateOn: true,
		offices: map[int64]string{1: "Head Office"}, staff: map[int64]*Staff{}, clients: map[int64]*Client{},
		loans: map[int64]*loanState{}, savings: map[int64]*savingsState{}, groups: map[int64]*Group{},
		payTypes: map[int64]string{}, loanTxnByExt: map[string]*LoanTxn{}, idem: map[idemKey]*idemEntry{},
		commands: map[int64]*heldCommand{}, users: map[string]*User{}, officeParent: map[int64]int64{},
		loanActs: map[int64]*loanActions{}}
	s.Seed()
	return s
}

// Any query string gives a page or a refusal, never a panic, a page never
// holds more than it says exist, and the sub-branch's manager sees only
// the sub-branch's loans.
func FuzzLoanListQuery(f *testing.F) {
	for _, q := range []string{"status=100", "status=100&offset=1&limit=1", "limit=-1", "offset=-5&limit=0",
		"status=x", "sqlSearch=l.loan_status_id%3D100", "sortOrder=DESC&limit=2", "offset=99999999999999999999"} {
		f.Add(q, false)
		f.Add(q, true)
	}
	s := fuzzServer()
	f.Fuzz(func(t *testing.T, raw string, before19 bool) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		s.opts.Before19 = before19
		s.mu.Lock()
		rep := s.loanList(s.users[SeedAheroManager], q)
		s.mu.Unlock()
		if rep.status != 200 {
			return
		}
		var page struct {
			Total int `json:"totalFilteredRecords"`
			Items []struct {
				ClientOfficeID int64 `json:"clientOfficeId"`
			} `json:"pageItems"`
		}
		if err := json.Unmarshal(rep.body, &page); err != nil || len(page.Items) > page.Total {
			t.Fatalf("%q: %s", raw, rep.body)
		}
		for _, it := range page.Items {
			if it.ClientOfficeID != SeedOfficeAhero {
				t.Fatalf("%q: a loan of office %d listed to the sub-branch: %s", raw, it.ClientOfficeID, rep.body)
			}
		}
	})
}

// Any report answer leaves every message in one of Fineract's states.
func FuzzDeliveryReports(f *testing.F) {
	f.Add(`[{"id":5001,"deliveryStatus":300,"hasError":false,"externalId":"x"}]`)
	f.Add(`[{"id":5001,"deliveryStatus":999,"hasError":false}]`)
	f.Add(`[{"id":5002,"deliveryStatus":400,"hasError":true}]`)
	f.Add(`[{"deliveryStatus":200,"hasError":false}]`)
	f.Add(`[{"id":5001}]`)
	f.Add(`{}`)
	f.Fuzz(func(t *testing.T, answer string) {
		s := fuzzServer()
		s.queueSMS("+254712345678", "a", 1, false).Status = SMSWaiting
		s.queueSMS("+254712345679", "b", 1, false).Status = SMSWaiting
		var reports []deliveryReport
		if json.Unmarshal([]byte(answer), &reports) != nil {
			return
		}
		n, _ := s.applyReports(reports)
		if n > len(reports) {
			t.Fatalf("applied %d of %d", n, len(reports))
		}
		for _, m := range s.SMSMessages() {
			switch m.Status {
			case SMSInvalid, SMSWaiting, SMSSent, SMSDelivered, SMSFailed:
			default:
				t.Fatalf("message %d in state %d after %s", m.ID, m.Status, answer)
			}
		}
	})
}

// Any disbursal body is refused with one of Fineract's statuses or
// disburses the loan exactly once; a refusal leaves it approved.
func FuzzDisburseBody(f *testing.F) {
	for _, b := range []string{
		disburseBody("2024-09-26", "20000", "md-1", mpesaReceipt),
		disburseBody("2024-09-26", "20000.005", "", `,"paymentTypeId":"3"`),
		disburseBody("2024-09-27", "", "", ""),
		disburseBody("26 September 2024", "1", "", `,"dateFormat":"dd MMMM yyyy"`),
		disburseBody("2024-09-26", "-5", "", `,"paymentTypeId":0`),
		disburseBody("2024-09-26", "\"1,000.50\"", "", ""),
		`{"actualDisbursementDate":null}`, `[]`, `{`, ``,
	} {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		s := fuzzServer()
		s.mu.Lock()
		rep := s.disburseLoan(s.users[SeedManager], SeedLoanRose, []byte(raw), true)
		s.mu.Unlock()
		n := len(s.Disbursals(SeedLoanRose))
		switch {
		case rep.status == 200 && (n != 1 || s.LoanStatus(SeedLoanRose) != 300):
			t.Fatalf("%q: 200 with %d disbursals, status %d", raw, n, s.LoanStatus(SeedLoanRose))
		case rep.status == 200:
		case rep.status != 400 && rep.status != 403 && rep.status != 404:
			t.Fatalf("%q: status %d %s", raw, rep.status, rep.body)
		case n != 0 || s.LoanStatus(SeedLoanRose) != 200:
			t.Fatalf("%q: refused (%d) but %d disbursals, status %d", raw, rep.status, n, s.LoanStatus(SeedLoanRose))
		}
	})
}
