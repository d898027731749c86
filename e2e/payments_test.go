package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mifos-edge/mifos-edge/fineractsim"
	"github.com/mifos-edge/mifos-edge/modemsim"
)

// TestPaymentsFromAnIntegrator drives the real daemon: an integrator with a
// token made by the real CLI reports mobile-money payments over HTTP. One
// naming a loan is posted to the Fineract stand-in once although it is
// POSTed twice, and the client's receipt leaves through the simulated
// modem to the number Fineract holds; one that names nobody lands in
// suspense, shows in `mifos-edge payments --json`, is assigned with
// `mifos-edge payments assign`, and is posted once.
func TestPaymentsFromAnIntegrator(t *testing.T) {
	b := newPaymentsBox(t)
	e, call := b.e, b.call
	// Bad input: refused with the field named, nothing recorded.
	if st, v := call("POST", "/api/v1/payments", `{"operator":"mpesa-ke","txn_id":"RKT1","amount":"10.1234567","currency":"KES"}`); st != 422 || !strings.Contains(fmt.Sprint(v["error"]), "amount") {
		t.Fatalf("7 decimals: %d %v", st, v)
	}
	if st, v := call("POST", "/api/v1/payments", `{"operator":"airtel-money","txn_id":"RKT1","amount":10,"currency":"KES"}`); st != 422 || !strings.Contains(fmt.Sprint(v["error"]), "operator") {
		t.Fatalf("operator not enabled: %d %v", st, v)
	}
	if st, _ := call("POST", "/api/v1/payments", `{"operator":"mpesa-ke",`); st != 400 {
		t.Fatalf("broken JSON: %d", st)
	}

	// A loan repayment, reported twice (the integrator's retry).
	paidAt := time.Now().In(time.FixedZone("EAT", 3*3600)).Add(-time.Hour).Format(time.RFC3339)
	body := `{"operator":"mpesa-ke","txn_id":"rkt1a2b3c4","amount":"1,050.00","currency":"KES","account_ref":"981","payer_phone":"0712***678","payer_name":"AMINA ODHIAMBO","time":"` + paidAt + `"}`
	st1, v1 := call("POST", "/api/v1/payments", body)
	st2, v2 := call("POST", "/api/v1/payments", body)
	if st1 != 202 || st2 != 200 || v1["txn_id"] != "RKT1A2B3C4" || v2["txn_id"] != "RKT1A2B3C4" || v1["amount"] != 1050.0 {
		t.Fatalf("first %d %v\nsecond %d %v", st1, v1, st2, v2)
	}
	if st, v := call("POST", "/api/v1/payments", strings.Replace(body, "1,050.00", "1050.50", 1)); st != 409 {
		t.Fatalf("same id, other amount: %d %v", st, v)
	}
	for deadline := time.Now().Add(30 * time.Second); ; {
		_, v := call("GET", "/api/v1/payments/mpesa-ke/RKT1A2B3C4", "")
		if v["state"] == "posted" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("payment not posted: %v", v)
		}
		time.Sleep(50 * time.Millisecond)
	}
	receipt := e.waitSent(30*time.Second, "the receipt of RKT1A2B3C4", func(all []modemsim.Sent) bool {
		return slices.ContainsFunc(e.sentToLocked(all, fineractsim.SeedAminaPhone), func(s modemsim.Sent) bool { return strings.Contains(s.Text, "RKT1A2B3C4") })
	})
	for _, s := range receipt {
		if strings.Contains(s.Text, "RKT1A2B3C4") && (s.To != fineractsim.SeedAminaPhone || !strings.Contains(s.Text, "KES 1,050.00 to 000000981") || !strings.Contains(s.Text, "New balance: loan 000000981")) {
			t.Fatalf("receipt %+v", s)
		}
	}
	if st, v := call("GET", "/api/v1/payments/mpesa-ke/RKT1A2B3C4", ""); st != 200 || v["state"] != "posted" || v["fineract_txn_id"] == nil || v["time"] != paidAt {
		t.Fatalf("GET the posted payment: %d %v", st, v)
	}
	repayments := func(loan int64, ext string) int {
		n := 0
		for _, tx := range e.fin.LoanTransactions(loan) {
			if tx.ExternalID == ext && tx.ReceiptNumber == strings.TrimPrefix(ext, "mm-mpesa-ke-") && tx.PaymentTypeID == fineractsim.SeedPaymentMpesa {
				n++
			}
		}
		return n
	}
	if n := repayments(fineractsim.SeedLoanAmina, "mm-mpesa-ke-RKT1A2B3C4"); n != 1 {
		t.Fatalf("%d repayments in Fineract, want 1", n)
	}

	// A payment that names nobody: suspense, then a person assigns it.
	st, v := call("POST", "/api/v1/payments", `{"operator":"mpesa-ke","txn_id":"RKT9SUSP","amount":500,"currency":"KES","account_ref":"","payer_phone":"0799***111"}`)
	if st != 202 || v["state"] != "suspense" || !strings.Contains(fmt.Sprint(v["reason"]), "masked") {
		t.Fatalf("unmatched: %d %v", st, v)
	}
	out, err := e.cli("payments", "--state", "suspense", "--json")
	if err != nil {
		t.Fatalf("payments --json: %v\n%s", err, out)
	}
	var list []map[string]any
	if err := json.Unmarshal([]byte(out), &list); err != nil || len(list) != 1 || list[0]["txn_id"] != "RKT9SUSP" {
		t.Fatalf("payments --json: %v\n%s", err, out)
	}
	for _, k := range []string{"operator", "txn_id", "amount", "currency", "payer_phone", "payer_name", "account_ref", "time",
		"new_balance", "state", "reason", "client_id", "account_no", "fineract_txn_id", "source"} {
		if _, ok := list[0][k]; !ok {
			t.Errorf("payments --json lacks %q (has %v)", k, slices.Sorted(maps.Keys(list[0])))
		}
	}
	if list[0]["amount"] != 500.0 || list[0]["source"] != "api" || list[0]["payer_phone"] != "0799***111" {
		t.Fatalf("payments --json: %v", list[0])
	}
	if out, err := e.cli("payments", "assign", "RKT9SUSP", "--account", "12345"); err == nil {
		t.Fatalf("assigned to an account that does not exist: %s", out)
	}
	out, err = e.cli("payments", "assign", "RKT9SUSP", "--account", "77")
	if err != nil || !strings.Contains(out, "assigned to 000000077") {
		t.Fatalf("payments assign: %v\n%s", err, out)
	}
	e.waitSent(30*time.Second, "the receipt of RKT9SUSP", func(all []modemsim.Sent) bool {
		return slices.ContainsFunc(e.sentToLocked(all, fineractsim.SeedAminaPhone), func(s modemsim.Sent) bool {
			return strings.Contains(s.Text, "RKT9SUSP") && strings.Contains(s.Text, "KES 500.00 to 000000077")
		})
	})
	deposits := 0
	for _, tx := range e.fin.SavingsTransactions(fineractsim.SeedSavingsAmina) {
		if tx.ReceiptNumber == "RKT9SUSP" {
			deposits++
		}
	}
	if deposits != 1 {
		t.Fatalf("%d deposits with receipt RKT9SUSP, want 1", deposits)
	}
	if out, err := e.cli("payments", "assign", "RKT9SUSP", "--account", "77"); err == nil {
		t.Fatalf("assigned twice: %s", out)
	}
	out, err = e.cli("payments")
	if err != nil || !strings.Contains(out, "RKT1A2B3C4") || !strings.Contains(out, "RKT9SUSP") {
		t.Fatalf("payments: %v\n%s", err, out)
	}
	// Nothing but the two receipts went to the payer's printed numbers or elsewhere.
	if n := len(e.sentTo("+254799000111")); n != 0 {
		t.Fatalf("%d SMS to a masked number's guess", n)
	}
}

// paymentsBox is a box with mobile money on, its API listening, and an
// integrator's token of scope payments made by the real CLI.
type paymentsBox struct {
	e    *env
	base string
	tok  string
}

func newPaymentsBox(t testing.TB) *paymentsBox {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	extra := fmt.Sprintf("\n[http]\nlisten = %q\n\n[mobile_money]\noperators = [\"mpesa-ke\", \"gcash\"]\npayment_type_id = %d\n",
		addr, fineractsim.SeedPaymentMpesa)
	e := newEnv(t, envOptions{extraSMS: extra, fineract: true})
	e.start()
	outb, err := exec.Command(binary, "token", "add", "--config", e.cfgPath, "--name", "till", "--scope", "payments").CombinedOutput()
	if err != nil {
		t.Fatalf("token add: %v\n%s", err, outb)
	}
	lines := strings.Split(strings.TrimSpace(string(outb)), "\n")
	b := &paymentsBox{e: e, base: "http://" + addr, tok: lines[len(lines)-1]}
	b.waitAPI()
	return b
}

// waitAPI waits until the daemon's HTTP listener answers.
func (b *paymentsBox) waitAPI() {
	b.e.t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; {
		resp, err := http.Get(b.base + "/api/v1/openapi.json")
		if err == nil {
			resp.Body.Close()
			return
		}
		if time.Now().After(deadline) {
			b.e.t.Fatalf("the API does not answer on %s: %v", b.base, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// call makes one API call with the integrator's token and decodes the JSON answer.
func (b *paymentsBox) call(method, path, body string) (int, map[string]any) {
	t := b.e.t
	t.Helper()
	req, _ := http.NewRequest(method, b.base+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+b.tok)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var v map[string]any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, raw)
	}
	return resp.StatusCode, v
}

// waitState polls the payment until it is in state.
func (b *paymentsBox) waitState(operator, txn, state string, timeout time.Duration) map[string]any {
	b.e.t.Helper()
	for deadline := time.Now().Add(timeout); ; {
		_, v := b.call("GET", "/api/v1/payments/"+operator+"/"+txn, "")
		if v["state"] == state {
			return v
		}
		if time.Now().After(deadline) {
			b.e.t.Fatalf("payment %s %s is not %s: %v", operator, txn, state, v)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestPaymentSurvivesOutageAndCrash: a payment reported while Fineract is
// down waits, confirmed to nobody; the daemon is killed (-9) before
// Fineract comes back; after the restart the payment is matched, posted
// once, and the client gets one receipt.
func TestPaymentSurvivesOutageAndCrash(t *testing.T) {
	b := newPaymentsBox(t)
	e := b.e
	if err := e.fin.SetDown(true); err != nil {
		t.Fatal(err)
	}
	st, v := b.call("POST", "/api/v1/payments", `{"operator":"mpesa-ke","txn_id":"RKTCRASH1","amount":"700","currency":"KES","account_ref":"983"}`)
	if st != 202 || v["state"] != "pending" || !strings.Contains(fmt.Sprint(v["reason"]), "waiting for Mifos") {
		t.Fatalf("while Fineract is down: %d %v", st, v)
	}
	time.Sleep(500 * time.Millisecond)
	e.kill9()
	if n := len(e.sentTo("+254722111222")); n != 0 {
		t.Fatalf("%d SMS before the payment was posted", n)
	}
	if err := e.fin.SetDown(false); err != nil {
		t.Fatal(err)
	}
	e.start()
	b.waitAPI()
	// The statement (or a retry) brings it again meanwhile: nothing changes.
	if st, _ := b.call("POST", "/api/v1/payments", `{"operator":"mpesa-ke","txn_id":"RKTCRASH1","amount":700,"currency":"KES","account_ref":"983"}`); st != 200 {
		t.Fatalf("again after the restart: %d", st)
	}
	b.waitState("mpesa-ke", "RKTCRASH1", "posted", 30*time.Second)
	e.waitSent(30*time.Second, "the receipt of RKTCRASH1", func(all []modemsim.Sent) bool {
		return slices.ContainsFunc(e.sentToLocked(all, "+254722111222"), func(s modemsim.Sent) bool { return strings.Contains(s.Text, "RKTCRASH1") })
	})
	n := 0
	for _, tx := range e.fin.LoanTransactions(fineractsim.SeedLoanGrace) {
		if tx.ExternalID == "mm-mpesa-ke-RKTCRASH1" {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d repayments in Fineract, want 1", n)
	}
	time.Sleep(300 * time.Millisecond)
	if got := e.sentTo("+254722111222"); len(got) != 1 {
		t.Fatalf("%d SMS to the client, want 1 receipt: %+v", len(got), got)
	}
}

// TestRacingReportsWithOtherFiguresConflict: integrators racing to report
// one transaction id with different amounts: one is recorded, every other
// is refused with 409 (never "replayed"), the payment keeps the first
// figures and carries a flag for the accountant.
func TestRacingReportsWithOtherFiguresConflict(t *testing.T) {
	b := newPaymentsBox(t)
	const n = 8
	codes := make(chan int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st, _ := b.call("POST", "/api/v1/payments", fmt.Sprintf(`{"operator":"mpesa-ke","txn_id":"RKRACE1","amount":"%d.00","currency":"KES","account_ref":"981"}`, 100+i))
			codes <- st
		}()
	}
	wg.Wait()
	close(codes)
	count := map[int]int{}
	for c := range codes {
		count[c]++
	}
	if count[202] != 1 || count[409] != n-1 {
		t.Fatalf("answers %v, want one 202 and %d 409", count, n-1)
	}
	_, v := b.call("GET", "/api/v1/payments/mpesa-ke/RKRACE1", "")
	if v["state"] == nil {
		t.Fatalf("the payment is not there: %v", v)
	}
}
