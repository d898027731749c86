package darajasim

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// statusOf runs one status query and returns its sync answer and result.
func (f *fixture) statusOf(body map[string]any) (map[string]any, map[string]any) {
	f.t.Helper()
	before := len(f.settled())
	r := f.do("POST", statusPath, f.token(), body)
	if r.status != 200 {
		f.t.Fatalf("status query: %d %s", r.status, r.body)
	}
	posts := f.settled()
	if len(posts) != before+1 || posts[before].path != "/status-result" {
		f.t.Fatalf("status callbacks %v", posts[before:])
	}
	return r.json(f.t), result1(f.t, posts[before])
}

func TestStatusOfAPayment(t *testing.T) {
	f := start(t, Options{Customers: map[string]Customer{"254708374149": {Name: "JOHN DOE"}}})
	conv := f.pay(f.payBody("ln-1", "254708374149", 300)).json(t)["ConversationID"]
	receipt := f.sim.Payments()[0].Receipt

	for _, by := range []string{"OriginalConversationID", "TransactionID"} {
		t.Run(by, func(t *testing.T) {
			q := f.statusBody("ln-1")
			if by == "TransactionID" {
				delete(q, "OriginalConversationID")
				q["TransactionID"] = receipt
			}
			ack, res := f.statusOf(q)
			if ack["ResponseCode"] != "0" || ack["OriginatorConversationID"] == "" || ack["OriginatorConversationID"] == "ln-1" {
				t.Fatalf("ack %v", ack)
			}
			// The outer ids are the query's own; the payment's are parameters.
			if res["OriginatorConversationID"] != ack["OriginatorConversationID"] || res["ConversationID"] != ack["ConversationID"] ||
				res["ResultCode"] != json.Number("0") {
				t.Fatalf("result %v, ack %v", res, ack)
			}
			p := params(t, res)
			want := map[string]any{
				"TransactionStatus":        "Completed",
				"ReceiptNo":                receipt,
				"Amount":                   "300",
				"OriginatorConversationID": "ln-1",
				"ConversationID":           conv,
				"FinalisedTime":            "20240706224852",
				"InitiatedTime":            "20240706224852",
				"CreditPartyName":          "254708374149 - JOHN DOE",
				"DebitPartyName":           "600997 - MIFOS EDGE MFI",
				"ReasonType":               "Business Payment to Customer via API",
				"TransactionReason":        nil,
			}
			for k, v := range want {
				if p[k] != v {
					t.Errorf("%s = %#v, want %#v", k, p[k], v)
				}
			}
			item := res["ReferenceData"].(map[string]any)["ReferenceItem"].(map[string]any)
			if _, has := item["Value"]; has || item["Key"] != "Occasion" {
				t.Errorf("ReferenceItem %v", item)
			}
		})
	}
	if len(f.sim.Payments()) != 1 {
		t.Fatal("a status query paid")
	}
}

func TestStatusOfOthers(t *testing.T) {
	cases := []struct {
		name    string
		prepare func(f *fixture)
		ask     string
		change  func(m map[string]any)
		code    any
		status  string // TransactionStatus when code is 0
	}{
		{"never received", func(*fixture) {}, "nobody", nil, NoSuchTransaction, ""},
		{"failed", func(f *fixture) { f.sim.FailNext(Fault{ResultCode: "1"}); f.pay(f.payBody("x", "254712345678", 100)) }, "x", nil,
			json.Number("0"), "Failed"},
		{"expired in the queue", func(f *fixture) {
			f.sim.FailNext(Fault{QueueTimeout: true})
			f.pay(f.payBody("x", "254712345678", 100))
		},
			"x", nil, NoSuchTransaction, ""},
		{"paid despite the queue time-out", func(f *fixture) {
			f.sim.FailNext(Fault{QueueTimeout: true, QueueTimeoutPaid: true})
			f.pay(f.payBody("x", "254712345678", 100))
		}, "x", nil, json.Number("0"), "Completed"},
		{"paid though its callback was lost", func(f *fixture) {
			f.sim.FailNext(Fault{LoseCallback: true})
			f.pay(f.payBody("x", "254712345678", 100))
		}, "x", nil, json.Number("0"), "Completed"},
		{"wrong credential", func(*fixture) {}, "x", func(m map[string]any) { m["SecurityCredential"] = "no" }, json.Number("2001"), ""},
		{"wrong shortcode", func(*fixture) {}, "x", func(m map[string]any) { m["PartyA"] = "600000" }, "SFC_IC0003", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := start(t, Options{})
			c.prepare(f)
			q := f.statusBody(c.ask)
			if c.change != nil {
				c.change(q)
			}
			_, res := f.statusOf(q)
			if res["ResultCode"] != c.code {
				t.Fatalf("code %#v, want %#v (%v)", res["ResultCode"], c.code, res)
			}
			if c.status != "" {
				if p := params(t, res); p["TransactionStatus"] != c.status || p["OriginatorConversationID"] != c.ask {
					t.Fatalf("params %v", p)
				}
			} else if res["ResultParameters"] != nil {
				t.Fatalf("a failure with parameters: %v", res)
			}
		})
	}
}

func TestStatusNamedByTheCaller(t *testing.T) {
	f := start(t, Options{})
	q := f.statusBody("nobody")
	q["OriginatorConversationID"] = "q-1"
	ack, res := f.statusOf(q)
	if ack["OriginatorConversationID"] != "q-1" || res["OriginatorConversationID"] != "q-1" {
		t.Fatalf("ack %v result %v", ack, res)
	}
}

func TestStatusValidation(t *testing.T) {
	cases := []struct {
		change func(m map[string]any)
		field  string
	}{
		{func(m map[string]any) { m["Initiator"] = "" }, "Initiator"},
		{func(m map[string]any) { delete(m, "SecurityCredential") }, "SecurityCredential"},
		{func(m map[string]any) { delete(m, "CommandID"); m["Command ID"] = "TransactionStatusQuery" }, "CommandID"},
		{func(m map[string]any) { delete(m, "OriginalConversationID") }, "TransactionID"},
		{func(m map[string]any) { m["PartyA"] = "" }, "PartyA"},
		{func(m map[string]any) { m["IdentifierType"] = "3" }, "IdentifierType"},
		{func(m map[string]any) { m["ResultURL"] = "nowhere" }, "ResultURL"},
		{func(m map[string]any) { m["QueueTimeOutURL"] = "" }, "QueueTimeOutURL"},
		{func(m map[string]any) { m["Remarks"] = strings.Repeat("r", 101) }, "Remarks"},
	}
	f := start(t, Options{})
	for _, c := range cases {
		q := f.statusBody("x")
		c.change(q)
		r := f.do("POST", statusPath, f.token(), q)
		if r.status != 400 || r.json(t)["errorMessage"] != "Bad Request - Invalid "+c.field {
			t.Errorf("%s: %d %s", c.field, r.status, r.body)
		}
	}
	q := f.statusBody("x")
	q["IdentifierType"] = 4
	if r := f.do("POST", statusPath, f.token(), q); r.status != 200 {
		t.Errorf("IdentifierType as a number: %d %s", r.status, r.body)
	}
	if n := len(f.settled()); n != 1 {
		t.Errorf("%d callbacks, want 1", n)
	}
}

func TestStatusFaults(t *testing.T) {
	f := start(t, Options{})
	f.sim.FailNextQuery(Fault{LoseCallback: true})
	f.sim.FailNextQuery(Fault{QueueTimeout: true})
	f.sim.FailNextQuery(Fault{DuplicateCallback: true})
	f.sim.FailNextQuery(Fault{Unavailable: true})
	for range 4 {
		f.do("POST", statusPath, f.token(), f.statusBody("x"))
	}
	var paths []string
	for _, p := range f.settled() {
		paths = append(paths, p.path)
	}
	slices.Sort(paths)
	if got := strings.Join(paths, " "); got != "/status-result /status-result /status-timeout" {
		t.Fatalf("posts %q", got)
	}
}
