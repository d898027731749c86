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

// Any query string gives a page or a refusal, never a panic, and a page
// never holds more than it says exist.
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
			Total int               `json:"totalFilteredRecords"`
			Items []json.RawMessage `json:"pageItems"`
		}
		if err := json.Unmarshal(rep.body, &page); err != nil || len(page.Items) > page.Total || page.Total > 1 {
			t.Fatalf("%q: %s", raw, rep.body)
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
