package daraja

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/mifos-edge/mifos-edge/disburse"
)

// Callback bodies as Daraja sends them (names and numbers made up).
const (
	cbPaid = `{"Result":{"ResultType":0,"ResultCode":0,"ResultDesc":"The service request is processed successfully.",
"OriginatorConversationID":"L981-1","ConversationID":"AG_20240706_2010364430d9bbdaf872","TransactionID":"SG632NMUAB",
"ResultParameters":{"ResultParameter":[{"Key":"TransactionAmount","Value":10},{"Key":"TransactionReceipt","Value":"SG632NMUAB"},
{"Key":"ReceiverPartyPublicName","Value":"254705912645 - JANE WANJIKU DOE"},{"Key":"TransactionCompletedDateTime","Value":"06.07.2024 22:48:52"},
{"Key":"B2CUtilityAccountAvailableFunds","Value":8959269.60},{"Key":"B2CWorkingAccountAvailableFunds","Value":1199371.00},
{"Key":"B2CRecipientIsRegisteredCustomer","Value":"Y"},{"Key":"B2CChargesPaidAccountAvailableFunds","Value":-1980.00}]},
"ReferenceData":{"ReferenceItem":{"Key":"QueueTimeoutURL","Value":"https://internalsandbox.safaricom.co.ke/mpesa/b2cresults/v1/submit"}}}}`
	cb2001 = `{"Result":{"ResultType":0,"ResultCode":2001,"ResultDesc":"The initiator information is invalid.",
"OriginatorConversationID":"L981-2","ConversationID":"AG_20240707_201062f6f6f5804f7a33","TransactionID":"SG722NMVXQ",
"ResultParameters":{"ResultParameter":{"Key":"BOCompletedTime","Value":20240707093012}},
"ReferenceData":{"ReferenceItem":{"Key":"QueueTimeoutURL","Value":"https://internalsandbox.safaricom.co.ke/mpesa/b2cresults/v1/submit"}}}}`
	cbNoCustomer = `{"Result":{"ResultType":0,"ResultCode":"SFC_IC0003","ResultDesc":"The operator does not exist.",
"OriginatorConversationID":"L981-3","ConversationID":"AG_20240707_1","TransactionID":"SG70000000",
"ReferenceData":{"ReferenceItem":[{"Key":"QueueTimeoutURL","Value":"https://x"},{"Key":"Occasion"}]}}}`
	cbQueueTimeout = `{"Result":{"ResultType":1,"ResultCode":1,"ResultDesc":"The service request has timed out.",
"OriginatorConversationID":"L981-4","ConversationID":"AG_20240707_2","TransactionID":"SG70000000"}}`
	cbStatus = `{"Result":{"ConversationID":"AG_20180223_0000493344ae97d86f75","OriginatorConversationID":"3213-416199-2",
"ReferenceData":{"ReferenceItem":{"Key":"Occasion"}},"ResultCode":0,"ResultDesc":"The service request is processed successfully.",
"ResultParameters":{"ResultParameter":[{"Key":"DebitPartyName","Value":"600310 - Safaricom333"},{"Key":"CreditPartyName","Value":"254708374149 - John Doe"},
{"Key":"OriginatorConversationID","Value":"3211-416020-3"},{"Key":"InitiatedTime","Value":"20180223054112"},{"Key":"TransactionReason"},
{"Key":"TransactionStatus","Value":"Completed"},{"Key":"FinalisedTime","Value":20180223054112},{"Key":"Amount","Value":"300"},
{"Key":"ConversationID","Value":"AG_20180223_000041b09c22e613d6c9"},{"Key":"ReceiptNo","Value":"MBN31H462N"}]},"ResultType":0,"TransactionID":"MBN0000000"}}`
)

func TestPaymentResult(t *testing.T) {
	cases := []struct {
		name    string
		body    string
		timeout bool
		want    disburse.Result
		err     string
	}{
		{"paid", cbPaid, false, disburse.Result{Ref: "L981-1", ProviderRef: "AG_20240706_2010364430d9bbdaf872", Outcome: disburse.Paid,
			Confirmation: "SG632NMUAB", At: time.Date(2024, 7, 6, 22, 48, 52, 0, nairobi), Code: "0", Amount: 10_000_000,
			Phone: "+254705912645", Via: "callback"}, ""},
		{"paid, code and amount as strings, masked number", strings.NewReplacer(`"ResultCode":0`, `"ResultCode":"0"`,
			`"Value":10}`, `"Value":"10.00"}`, `254705912645 - `, `2547****2645 - `).Replace(cbPaid), false,
			disburse.Result{Ref: "L981-1", ProviderRef: "AG_20240706_2010364430d9bbdaf872", Outcome: disburse.Paid,
				Confirmation: "SG632NMUAB", At: time.Date(2024, 7, 6, 22, 48, 52, 0, nairobi), Code: "0", Amount: 10_000_000, Via: "callback"}, ""},
		{"paid, no receipt parameter", strings.Replace(cbPaid, `{"Key":"TransactionReceipt","Value":"SG632NMUAB"},`, "", 1), false,
			disburse.Result{Ref: "L981-1", ProviderRef: "AG_20240706_2010364430d9bbdaf872", Outcome: disburse.Paid,
				Confirmation: "SG632NMUAB", At: time.Date(2024, 7, 6, 22, 48, 52, 0, nairobi), Code: "0", Amount: 10_000_000,
				Phone: "+254705912645", Via: "callback"}, ""},
		{"2001, one parameter as an object", cb2001, false, disburse.Result{Ref: "L981-2", ProviderRef: "AG_20240707_201062f6f6f5804f7a33",
			Outcome: disburse.NotPaid, Reason: resultCodes["2001"].words, Code: "2001", Via: "callback"}, ""},
		{"string code, no parameters, references as an array", cbNoCustomer, false, disburse.Result{Ref: "L981-3", ProviderRef: "AG_20240707_1",
			Outcome: disburse.NotPaid, Reason: resultCodes["SFC_IC0003"].words, Code: "SFC_IC0003", Via: "callback"}, ""},
		{"queue time-out: code 1 is not the float", cbQueueTimeout, true, disburse.Result{Ref: "L981-4", ProviderRef: "AG_20240707_2",
			Outcome: disburse.TimedOut, Reason: "the request timed out in Daraja's queue: whether it was paid is not known until the box asks",
			Code: "1", Via: "callback"}, ""},
		{"ResultParameters empty string", `{"Result":{"ResultCode":1,"OriginatorConversationID":"a","ResultParameters":""}}`, false,
			disburse.Result{Ref: "a", Outcome: disburse.NotPaid, Reason: resultCodes["1"].words, Code: "1", Via: "callback"}, ""},
		{"not JSON", `<html>`, false, disburse.Result{}, "not Daraja's JSON"},
		{"no Result", `{"Body":{}}`, false, disburse.Result{}, "no Result"},
		{"no code", `{"Result":{"OriginatorConversationID":"a"}}`, false, disburse.Result{}, "no ResultCode"},
		{"names no request", `{"Result":{"ResultCode":0}}`, false, disburse.Result{}, "neither"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cb, err := parseCallback([]byte(c.body))
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("%v, want %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := paymentResult(cb, c.timeout)
			if got.At.Equal(c.want.At) {
				got.At = c.want.At
			}
			if got != c.want {
				t.Fatalf("got\n%+v\nwant\n%+v", got, c.want)
			}
		})
	}
}

func TestParseStatusCallback(t *testing.T) {
	cb, err := parseCallback([]byte(cbStatus))
	if err != nil {
		t.Fatal(err)
	}
	r, err := statusResult(cb, "3211-416020-3", "")
	if err != nil || cb.OCID != "3213-416199-2" || r.Outcome != disburse.Paid || r.Confirmation != "MBN31H462N" ||
		r.Amount != 300_000_000 || r.ProviderRef != "AG_20180223_000041b09c22e613d6c9" || r.Phone != "+254708374149" ||
		r.At.Format(time.RFC3339) != "2018-02-23T05:41:12+03:00" {
		t.Fatalf("%+v %v", r, err)
	}
}

// serve posts body to the callback handler of p at path.
func serve(p *Provider, method, path, body string) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	p.Callbacks().ServeHTTP(w, httptest.NewRequest(method, path, strings.NewReader(body)))
	return w
}

func TestCallbackHandler(t *testing.T) {
	rep := newReporter()
	p, err := New(Config{BaseURL: "https://api.example", ConsumerKey: "k", ConsumerSecret: "s", InitiatorName: "i",
		SecurityCredential: "c", ShortCode: "600997", ResultURL: "https://x/r", QueueTimeOutURL: "https://x/t",
		StatusResultURL: "https://x/sr", StatusTimeOutURL: "https://x/st", CallbackToken: testCBToken}, rep, nil)
	if err != nil {
		t.Fatal(err)
	}
	base := CallbackPrefix + testCBToken
	cases := []struct {
		name, method, path, body string
		status                   int
		reported                 disburse.Outcome // "" = nothing
	}{
		{"result", "POST", base + "/result", cbPaid, 200, disburse.Paid},
		{"failure", "POST", base + "/result", cb2001, 200, disburse.NotPaid},
		{"queue time-out", "POST", base + "/timeout", cbQueueTimeout, 200, disburse.TimedOut},
		{"wrong token", "POST", CallbackPrefix + "cbtok-7Hn2Kd0sWr/result", cbPaid, 404, ""},
		{"token's prefix", "POST", CallbackPrefix + "cbtok/result", cbPaid, 404, ""},
		{"no token", "POST", CallbackPrefix + "result", cbPaid, 404, ""},
		{"unknown kind", "POST", base + "/balance", cbPaid, 404, ""},
		{"elsewhere", "POST", "/hooks/other/" + testCBToken + "/result", cbPaid, 404, ""},
		{"GET", "GET", base + "/result", "", 405, ""},
		{"not JSON", "POST", base + "/result", "<html>", 400, ""},
		{"too large", "POST", base + "/result", `{"Result":{"ResultDesc":"` + strings.Repeat("x", 70<<10) + `"}}`, 413, ""},
		{"status result nobody waits for, about nobody", "POST", base + "/status-result", `{"Result":{"ResultCode":"R000001","OriginatorConversationID":"q"}}`, 200, ""},
		{"status time-out nobody waits for", "POST", base + "/status-timeout", cbQueueTimeout, 200, ""},
		{"late status result", "POST", base + "/status-result", cbStatus, 200, disburse.Paid},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := len(rep.all())
			w := serve(p, c.method, c.path, c.body)
			if w.Code != c.status {
				t.Fatalf("status %d, want %d: %s", w.Code, c.status, w.Body)
			}
			if c.status == 200 && w.Body.String() != `{"ResultCode":0,"ResultDesc":"Accepted"}` {
				t.Fatalf("answer %s", w.Body)
			}
			got := rep.all()[before:]
			switch {
			case c.reported == "" && len(got) != 0:
				t.Fatalf("reported %+v", got)
			case c.reported != "" && (len(got) != 1 || got[0].Outcome != c.reported):
				t.Fatalf("reported %+v, want one %s", got, c.reported)
			}
		})
	}
	rep.fail.Store(true)
	if w := serve(p, "POST", base+"/result", cbPaid); w.Code != 500 || !strings.Contains(w.Body.String(), `"ResultCode":1`) {
		t.Fatalf("a result the reporter refused: %d %s", w.Code, w.Body)
	}
}

// TestEarlyStatusResult: a status result that comes before its query has
// read its own ids is handed to it.
func TestEarlyStatusResult(t *testing.T) {
	p, err := New(Config{BaseURL: "https://api.example", ConsumerKey: "k", ConsumerSecret: "s", InitiatorName: "i",
		SecurityCredential: "c", ShortCode: "600997", ResultURL: "https://x/r", QueueTimeOutURL: "https://x/t",
		StatusResultURL: "https://x/sr", StatusTimeOutURL: "https://x/st", CallbackToken: testCBToken}, newReporter(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if w := serve(p, "POST", CallbackPrefix+testCBToken+"/status-result", cbStatus); w.Code != 200 {
		t.Fatal(w.Code)
	}
	ch := p.await([]string{"3213-416199-2", "AG_20180223_0000493344ae97d86f75"})
	defer p.unwait([]string{"3213-416199-2", "AG_20180223_0000493344ae97d86f75"})
	select {
	case n := <-ch:
		if n.cb.OCID != "3213-416199-2" || n.timedOut {
			t.Fatalf("%+v", n)
		}
	default:
		t.Fatal("the early result was not kept")
	}
	if len(p.early) != 0 {
		t.Fatalf("kept after use: %v", p.early)
	}
}

func FuzzCallback(f *testing.F) {
	for _, s := range []string{cbPaid, cb2001, cbNoCustomer, cbQueueTimeout, cbStatus,
		`{"Result":{"ResultCode":"0","OriginatorConversationID":"a","ResultParameters":{"ResultParameter":{"Key":"TransactionAmount"}}}}`,
		`{"Result":{"ResultCode":null,"ConversationID":7}}`, `{"Result":[]}`, `null`, ``} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		cb, err := parseCallback([]byte(body))
		if err != nil {
			return
		}
		if cb.Code == "" || (cb.OCID == "" && cb.ConvID == "") {
			t.Fatalf("accepted without a code or an id: %+v", cb)
		}
		for _, timeout := range []bool{false, true} {
			r := paymentResult(cb, timeout)
			switch {
			case r.Ref != cb.OCID || r.ProviderRef != cb.ConvID || r.Via != "callback" || r.Code != cb.Code:
				t.Fatalf("%+v from %+v", r, cb)
			case r.Outcome == disburse.Paid && (timeout || cb.Code != "0"):
				t.Fatalf("paid from code %q (queue time-out %v)", cb.Code, timeout)
			case r.Outcome != disburse.Paid && (r.Reason == "" || r.Confirmation != "" || r.Amount != 0):
				t.Fatalf("%+v", r)
			case r.Amount < 0 || (r.Phone != "" && len(r.Phone) != 13):
				t.Fatalf("%+v", r)
			}
		}
		r, err := statusResult(cb, "ref", "")
		if err == nil && (r.Ref != "ref" || (r.Outcome == disburse.Paid && cb.Code != "0")) {
			t.Fatalf("%+v from %+v", r, cb)
		}
	})
}
