package darajasim

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

var receiptRe = regexp.MustCompile(`^[A-Z]{2}[1-9A-V][A-Z0-9]{7}$`)

func TestB2CValidation(t *testing.T) {
	cases := []struct {
		name   string
		change func(m map[string]any)
		field  string // "" = accepted
	}{
		{"valid", func(map[string]any) {}, ""},
		{"amount as a string", func(m map[string]any) { m["Amount"] = "150" }, ""},
		{"amount with zero cents", func(m map[string]any) { m["Amount"] = "150.00" }, ""},
		{"Occasion spelled the old way", func(m map[string]any) { delete(m, "Occassion"); m["Occasion"] = "loan" }, ""},
		{"PartyA and PartyB as numbers", func(m map[string]any) { m["PartyA"] = 600997; m["PartyB"] = 254712345678 }, ""},
		{"a 011 number", func(m map[string]any) { m["PartyB"] = "254110345678" }, ""},
		{"no initiator", func(m map[string]any) { m["InitiatorName"] = "" }, "InitiatorName"},
		{"no credential", func(m map[string]any) { delete(m, "SecurityCredential") }, "SecurityCredential"},
		{"unknown command", func(m map[string]any) { m["CommandID"] = "PayLoan" }, "CommandID"},
		{"cents", func(m map[string]any) { m["Amount"] = 150.5 }, "Amount"},
		{"cents as text", func(m map[string]any) { m["Amount"] = "150.50" }, "Amount"},
		{"zero", func(m map[string]any) { m["Amount"] = 0 }, "Amount"},
		{"negative", func(m map[string]any) { m["Amount"] = -5 }, "Amount"},
		{"no amount", func(m map[string]any) { delete(m, "Amount") }, "Amount"},
		{"shortcode not digits", func(m map[string]any) { m["PartyA"] = "60A997" }, "PartyA"},
		{"phone with plus", func(m map[string]any) { m["PartyB"] = "+254712345678" }, "PartyB"},
		{"national phone", func(m map[string]any) { m["PartyB"] = "0712345678" }, "PartyB"},
		{"phone too short", func(m map[string]any) { m["PartyB"] = "25471234567" }, "PartyB"},
		{"remarks one character", func(m map[string]any) { m["Remarks"] = "L" }, "Remarks"},
		{"remarks too long", func(m map[string]any) { m["Remarks"] = strings.Repeat("x", 101) }, "Remarks"},
		{"timeout URL not a URL", func(m map[string]any) { m["QueueTimeOutURL"] = "callback" }, "QueueTimeOutURL"},
		{"result URL missing", func(m map[string]any) { delete(m, "ResultURL") }, "ResultURL"},
		{"occasion too long", func(m map[string]any) { m["Occassion"] = strings.Repeat("x", 101) }, "Occasion"},
		{"no originator id on v3", func(m map[string]any) { delete(m, "OriginatorConversationID") }, "OriginatorConversationID"},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := start(t, Options{})
			m := f.payBody(fmt.Sprintf("ref-%d", i), "254712345678", 150)
			c.change(m)
			r := f.pay(m)
			if c.field == "" {
				got := r.json(t)
				if r.status != 200 || got["ResponseCode"] != "0" || got["OriginatorConversationID"] != m["OriginatorConversationID"] ||
					!strings.HasPrefix(got["ConversationID"].(string), "AG_20240706_") ||
					got["ResponseDescription"] != "Accept the service request successfully." {
					t.Fatalf("not accepted: %d %s", r.status, r.body)
				}
				if p := f.sim.Payments(); len(p) != 1 || p[0].Amount != 150 {
					t.Fatalf("payments %+v", p)
				}
				return
			}
			got := r.json(t)
			if r.status != 400 || got["errorCode"] != "400.002.02" || got["errorMessage"] != "Bad Request - Invalid "+c.field {
				t.Fatalf("got %d %s, want 400 Invalid %s", r.status, r.body, c.field)
			}
			if len(f.sim.Payments()) != 0 || len(f.settled()) != 0 {
				t.Fatal("a refused request paid or called back")
			}
		})
	}
}

func TestB2CBadPayload(t *testing.T) {
	f := start(t, Options{})
	for _, body := range []string{"", "{", "[]", `{"Amount":`} {
		r := f.do("POST", payPath, f.token(), body)
		if r.status != 400 || r.json(t)["errorCode"] != "400.002.05" {
			t.Errorf("%q: %d %s", body, r.status, r.body)
		}
	}
}

func TestB2CV1WithoutOriginatorID(t *testing.T) {
	f := start(t, Options{})
	m := f.payBody("", "254712345678", 100)
	delete(m, "OriginatorConversationID")
	r := f.do("POST", "/mpesa/b2c/v1/paymentrequest", f.token(), m)
	got := r.json(t)
	if r.status != 200 || got["OriginatorConversationID"] == "" {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if p := f.sim.Payments(); len(p) != 1 || p[0].OriginatorConversationID != got["OriginatorConversationID"] {
		t.Fatalf("payments %+v", p)
	}
}

func TestB2CSuccessResult(t *testing.T) {
	f := start(t, Options{Float: 60_000, Fee: 15, Customers: map[string]Customer{"254705912645": {Name: "NICHOLAS JOHN SONGOK"}}})
	r := f.pay(f.payBody("ln-981-1", "254705912645", 10_000))
	conv := r.json(t)["ConversationID"]
	posts := f.settled()
	if len(posts) != 1 || posts[0].path != "/result" {
		t.Fatalf("callbacks %v", posts)
	}
	res := result1(t, posts[0])
	if res["ResultCode"] != json.Number("0") || res["ResultType"] != json.Number("0") ||
		res["OriginatorConversationID"] != "ln-981-1" || res["ConversationID"] != conv ||
		res["ResultDesc"] != "The service request is processed successfully." {
		t.Fatalf("result %v", res)
	}
	p := params(t, res)
	receipt, _ := p["TransactionReceipt"].(string)
	if !receiptRe.MatchString(receipt) || !strings.HasPrefix(receipt, "SG6") || res["TransactionID"] != receipt {
		t.Fatalf("receipt %q, TransactionID %v", receipt, res["TransactionID"])
	}
	want := map[string]any{
		"TransactionAmount":                   json.Number("10000"),
		"ReceiverPartyPublicName":             "254705912645 - NICHOLAS JOHN SONGOK",
		"TransactionCompletedDateTime":        "06.07.2024 22:48:52",
		"B2CUtilityAccountAvailableFunds":     json.Number("50000.00"),
		"B2CWorkingAccountAvailableFunds":     json.Number("0.00"),
		"B2CChargesPaidAccountAvailableFunds": json.Number("-15.00"),
		"B2CRecipientIsRegisteredCustomer":    "Y",
	}
	for k, v := range want {
		if p[k] != v {
			t.Errorf("%s = %#v, want %#v", k, p[k], v)
		}
	}
	ref, _ := res["ReferenceData"].(map[string]any)
	if item, ok := ref["ReferenceItem"].(map[string]any); !ok || item["Key"] != "QueueTimeoutURL" {
		t.Errorf("ReferenceItem is not an object: %v", res["ReferenceData"])
	}
	pays := f.sim.Payments()
	if len(pays) != 1 || pays[0] != (Payment{OriginatorConversationID: "ln-981-1", ConversationID: conv.(string), Receipt: receipt,
		Phone: "254705912645", Amount: 10_000, At: testNow}) {
		t.Fatalf("payments %+v", pays)
	}
	if f.sim.Float() != 50_000 {
		t.Fatalf("float %d", f.sim.Float())
	}
}

func TestB2CFailureResults(t *testing.T) {
	customers := map[string]Customer{
		"254711000001": {Name: "JANE DOE"},
		"254711000002": {Name: "UNREG", Unregistered: true},
	}
	cases := []struct {
		name   string
		float  int64
		change func(f *fixture, m map[string]any)
		code   any    // as it appears in JSON
		single string // the single-object ResultParameter's key, if any
	}{
		{"wrong credential", 0, func(_ *fixture, m map[string]any) { m["SecurityCredential"] = "other" }, json.Number("2001"), "BOCompletedTime"},
		{"wrong initiator", 0, func(_ *fixture, m map[string]any) { m["InitiatorName"] = "bob" }, json.Number("2001"), "BOCompletedTime"},
		{"another shortcode", 0, func(_ *fixture, m map[string]any) { m["PartyA"] = "600000" }, json.Number("2028"), ""},
		{"no such customer", 0, func(_ *fixture, m map[string]any) { m["PartyB"] = "254799999999" }, "SFC_IC0003", ""},
		{"unregistered", 0, func(_ *fixture, m map[string]any) { m["PartyB"] = "254711000002" }, json.Number("2040"), ""},
		{"below minimum", 0, func(_ *fixture, m map[string]any) { m["Amount"] = 9 }, json.Number("2"), ""},
		{"above maximum", 0, func(_ *fixture, m map[string]any) { m["Amount"] = 250_001 }, json.Number("3"), ""},
		{"float too low", 999, func(_ *fixture, m map[string]any) { m["Amount"] = 1000 }, json.Number("1"), ""},
		{"forced 17", 0, func(f *fixture, _ map[string]any) { f.sim.FailNext(Fault{ResultCode: "17"}) }, json.Number("17"), ""},
		{"forced 8006", 0, func(f *fixture, _ map[string]any) { f.sim.FailNext(Fault{ResultCode: "8006"}) }, json.Number("8006"), "BOCompletedTime"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := start(t, Options{Float: c.float, Customers: customers})
			m := f.payBody("ref-x", "254711000001", 1000)
			c.change(f, m)
			before := f.sim.Float()
			if r := f.pay(m); r.status != 200 {
				t.Fatalf("not accepted: %d %s", r.status, r.body)
			}
			posts := f.settled()
			if len(posts) != 1 {
				t.Fatalf("callbacks %v", posts)
			}
			res := result1(t, posts[0])
			if res["ResultCode"] != c.code || res["ResultDesc"] == "" || res["OriginatorConversationID"] != "ref-x" {
				t.Fatalf("result %v, want code %v", res, c.code)
			}
			if tx, _ := res["TransactionID"].(string); !strings.HasSuffix(tx, "0000000") {
				t.Errorf("TransactionID %q of a failure looks like a receipt", tx)
			}
			switch rp := res["ResultParameters"].(type) {
			case nil:
				if c.single != "" {
					t.Errorf("no ResultParameters, want the single %s", c.single)
				}
			case map[string]any:
				one, ok := rp["ResultParameter"].(map[string]any)
				if c.single == "" || !ok || one["Key"] != c.single {
					t.Errorf("ResultParameters %v", rp)
				}
			}
			if len(f.sim.Payments()) != 0 || f.sim.Float() != before {
				t.Fatalf("a failure paid: %+v, float %d → %d", f.sim.Payments(), before, f.sim.Float())
			}
		})
	}
}

func TestB2CDailyLimit(t *testing.T) {
	f := start(t, Options{MaxAmount: 300_000})
	for i, amt := range []int{300_000, 200_000, 10} {
		f.pay(f.payBody(fmt.Sprint("d", i), "254712345678", amt))
	}
	posts := f.settled()
	codes := map[string]any{}
	for _, p := range posts {
		r := result1(t, p)
		codes[r["OriginatorConversationID"].(string)] = r["ResultCode"]
	}
	want := map[string]any{"d0": json.Number("0"), "d1": json.Number("0"), "d2": json.Number("4")}
	if fmt.Sprint(codes) != fmt.Sprint(want) {
		t.Fatalf("codes %v, want %v", codes, want)
	}
	f.clk.advance(24 * time.Hour)
	f.pay(f.payBody("d3", "254712345678", 10))
	if p := f.sim.Payments(); len(p) != 3 || p[2].OriginatorConversationID != "d3" {
		t.Fatalf("the next day's payment: %+v", p)
	}
}

func TestB2CDuplicateNeverPaysTwice(t *testing.T) {
	f := start(t, Options{})
	if r := f.pay(f.payBody("same", "254712345678", 500)); r.status != 200 {
		t.Fatal(r.status)
	}
	r := f.pay(f.payBody("same", "254712345678", 500))
	got := r.json(t)
	if r.status != 500 || got["errorCode"] != "500.002.1001" || got["errorMessage"] != "Duplicate OriginatorConversationID." {
		t.Fatalf("second: %d %s", r.status, r.body)
	}
	// A failed request's id is taken too.
	f.sim.FailNext(Fault{ResultCode: "1"})
	f.pay(f.payBody("failed-once", "254712345678", 500))
	if r := f.pay(f.payBody("failed-once", "254712345678", 500)); r.status != 500 {
		t.Fatalf("resend of a failed id: %d %s", r.status, r.body)
	}
	if p := f.sim.Payments(); len(p) != 1 || f.sim.Float() != 1_000_000-500 {
		t.Fatalf("payments %+v, float %d", p, f.sim.Float())
	}
	if n := len(f.settled()); n != 2 {
		t.Fatalf("%d callbacks, want 2 (none for the duplicates)", n)
	}
}

func TestB2CConcurrentDuplicatesPayOnce(t *testing.T) {
	f := start(t, Options{})
	tok := f.token()
	var wg sync.WaitGroup
	statuses := make(chan int, 40)
	for i := range 40 {
		wg.Go(func() {
			r := f.do("POST", payPath, tok, f.payBody(fmt.Sprint("c", i%4), "254712345678", 100))
			statuses <- r.status
		})
	}
	wg.Wait()
	close(statuses)
	ok := 0
	for s := range statuses {
		if s == 200 {
			ok++
		}
	}
	if ok != 4 || len(f.sim.Payments()) != 4 {
		t.Fatalf("%d accepted, %d paid; want 4 and 4", ok, len(f.sim.Payments()))
	}
}

func TestReceiptPrefix(t *testing.T) {
	cases := []struct {
		at   time.Time
		want string
	}{
		{time.Date(2024, 7, 6, 12, 0, 0, 0, eat), "SG6"},
		{time.Date(2025, 10, 5, 12, 0, 0, 0, eat), "TJ5"},
		{time.Date(2026, 1, 10, 12, 0, 0, 0, eat), "UAA"},
		{time.Date(2026, 12, 31, 12, 0, 0, 0, eat), "ULV"},
		// 22:00 UTC on 31 Dec is already 1 Jan in Nairobi.
		{time.Date(2025, 12, 31, 22, 0, 0, 0, time.UTC), "UA1"},
	}
	for _, c := range cases {
		if got := receiptPrefix(c.at); got != c.want {
			t.Errorf("%s: %s, want %s", c.at, got, c.want)
		}
	}
}
