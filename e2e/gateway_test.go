package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mifos-edge/mifos-edge/fineractsim"
	"github.com/mifos-edge/mifos-edge/mifos"
	"github.com/mifos-edge/mifos-edge/modemsim"
)

// gatewayBox is a branch box serving [http] listen, with a gateway token
// made by the CLI as a technician makes it.
type gatewayBox struct {
	*env
	base string // http://127.0.0.1:port
	key  string
}

var tokenText = regexp.MustCompile(`mfe_[0-9a-f]{8}_[A-Z2-7]{32}`)

func newGatewayBox(t *testing.T, extra string) *gatewayBox {
	t.Helper()
	e := newEnv(t, envOptions{fineract: true})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	f, err := os.OpenFile(e.cfgPath, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(f, "\n[http]\nlisten = %q\n\n%s\n", addr, extra)
	f.Close()
	outb, err := exec.Command(binary, "token", "add", "--config", e.cfgPath, "--name", "fineract", "--scope", "gateway").CombinedOutput()
	out := string(outb)
	if err != nil {
		t.Fatalf("token add: %v\n%s", err, out)
	}
	key := tokenText.FindString(out)
	if key == "" {
		t.Fatalf("token add printed no token:\n%s", out)
	}
	g := &gatewayBox{env: e, base: "http://" + addr, key: key}
	g.start()
	return g
}

// start starts the daemon and waits until it serves HTTP too: its control
// socket answers before its HTTP listener may.
func (g *gatewayBox) start() {
	g.t.Helper()
	g.env.start()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if code, _ := g.post("GET", "/smsbridges", ""); code == http.StatusOK {
			return
		}
		if time.Now().After(deadline) {
			g.t.Fatalf("the box does not serve %s", g.base)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// post calls the box as Fineract's SmsConfigUtils does: JSON, the tenant
// and the app key headers.
func (g *gatewayBox) post(method, path, body string) (int, []byte) {
	g.t.Helper()
	req, err := http.NewRequest(method, g.base+path, strings.NewReader(body))
	if err != nil {
		g.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Fineract-Platform-TenantId", "default")
	req.Header.Set("Fineract-Tenant-App-Key", g.key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// A batch as Fineract's SendMessageToSmsGatewayTasklet writes it (Gson:
// createdOnDate and sourceAddress are null and left out).
const e2eBatch = `[{"internalId":7001,"tenantId":"default","mobileNumber":"0712345678","message":"Dear Amina, your group meets on Wednesday at 10.","providerId":1},` +
	`{"internalId":7002,"tenantId":"default","mobileNumber":"0722111222","message":"Dear Grace, thank you for your savings.","providerId":1},` +
	`{"internalId":7003,"tenantId":"default","mobileNumber":"","message":"nobody","providerId":1}]`

// Hand-built calls, for what the stand-in's SMS jobs never send (see
// gateway_fineract_test.go for Fineract's own jobs): a resend after the
// daemon restarted, a message without a number, report codes for an id
// never received, a malformed batch and an unknown app key.
func TestGatewayBatchLeavesThroughTheModemOnceEvenWhenResent(t *testing.T) {
	g := newGatewayBox(t, "")
	// A network that sends no status report: the sent messages stay
	// "waiting" (150) for Fineract. Reports are the other test's subject.
	g.sim.SetReports(modemsim.ReportsNever)
	code, body := g.post("POST", "/sms", e2eBatch)
	if code != http.StatusAccepted {
		t.Fatalf("POST /sms: %d %s", code, body)
	}
	// Fineract resends the batch (its job failed after the call), once
	// right away and once after the daemon restarted.
	if code, body := g.post("POST", "/sms", e2eBatch); code != http.StatusAccepted || !bytes.Contains(body, []byte(`"queued":0`)) {
		t.Errorf("resent batch: %d %s", code, body)
	}
	g.waitSent(30*time.Second, "the batch's two SMS", func(all []modemsim.Sent) bool {
		return len(g.sentToLocked(all, fineractsim.SeedAminaPhone)) > 0 && len(g.sentToLocked(all, "+254722111222")) > 0
	})
	// Stopped once both are recorded as submitted (a stop in the middle of
	// a submission may cost one duplicate by design, whoever queued it).
	deadline := time.Now().Add(10 * time.Second)
	for !g.drained() && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	g.stop()
	g.start()
	if code, body := g.post("POST", "/sms", e2eBatch); code != http.StatusAccepted || !bytes.Contains(body, []byte(`"duplicates":3`)) {
		t.Errorf("batch resent after a restart: %d %s", code, body)
	}
	time.Sleep(2 * time.Second) // what would go out, would go out now
	for phone, text := range map[string]string{fineractsim.SeedAminaPhone: "your group meets on Wednesday", "+254722111222": "thank you for your savings"} {
		sent := g.sentTo(phone)
		if len(sent) != 1 || !strings.Contains(sent[0].Text, text) {
			t.Errorf("SMS to %s: %+v, want one with %q", phone, sent, text)
		}
	}
	if !g.drained() {
		t.Error("the outbox is not empty")
	}
	// Fineract's report job: the two sent wait for a network report, the
	// one without a number failed, an id never sent is skipped.
	code, body = g.post("POST", "/sms/report", `[7001,7002,7003,7999]`)
	var reports []struct {
		ID             int64   `json:"id"`
		DeliveryStatus int     `json:"deliveryStatus"`
		HasError       bool    `json:"hasError"`
		ErrorMessage   *string `json:"errorMessage"`
	}
	if err := json.Unmarshal(body, &reports); code != http.StatusOK || err != nil || len(reports) != 4 {
		t.Fatalf("report: %d %v %s", code, err, body)
	}
	want := []struct {
		status   int
		hasError bool
	}{{150, false}, {150, false}, {400, false}, {100, true}}
	for i, w := range want {
		if reports[i].DeliveryStatus != w.status || reports[i].HasError != w.hasError {
			t.Errorf("report of %d: %+v, want status %d hasError %v", reports[i].ID, reports[i], w.status, w.hasError)
		}
	}
	if code, _ := g.post("POST", "/sms", `[{"internalId":1,`); code != http.StatusBadRequest {
		t.Errorf("malformed batch: %d", code)
	}
	g.key = "mfe_00000000_" + strings.Repeat("A", 32)
	if code, _ := g.post("POST", "/sms", e2eBatch); code != http.StatusUnauthorized {
		t.Errorf("unknown app key: %d", code)
	}
}

// A hand-built hook body, for what the stand-in's own hook never posts: the
// same event twice, and a body claiming another amount than Fineract's.
func TestFineractRepaymentHookBecomesOneSMSWithFineractsAmount(t *testing.T) {
	g := newGatewayBox(t, "[fineract_hooks]\nevents = [\"LOAN/REPAYMENT\"]\n")
	// A teller posts a repayment in Fineract.
	fin, err := mifos.New(mifos.Config{BaseURL: g.fin.URL(), Tenant: "default", Username: "mifos", Password: "password", Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	today := mifos.DateOf(g.fin.BusinessDate())
	res, err := fin.Repay(ctx, fineractsim.SeedLoanAmina, mifos.Repayment{Date: today, Amount: mifos.Amount(1_500_000000), PaymentTypeID: 1, ExternalID: "teller-1"}, "teller-1")
	if err != nil {
		t.Fatal(err)
	}
	// Fineract's Web hook posts the event; its request claims another
	// amount, which must not reach the client.
	hook := fmt.Sprintf(`{"entityName":"LOAN","actionName":"REPAYMENT","createdBy":1,"createdByName":"teller",`+
		`"request":{"transactionAmount":99999,"locale":"en"},"officeId":1,"clientId":42,`+
		`"response":{"commandId":%d,"resourceId":%d,"loanId":%d,"clientId":42,"changes":{"transactionAmount":99999}}}`,
		res.CommandID, res.ResourceID, fineractsim.SeedLoanAmina)
	postHook := func() int {
		req, _ := http.NewRequest("POST", g.base+"/hooks/fineract/"+g.key+"/", strings.NewReader(hook))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Fineract-Entity", "LOAN")
		req.Header.Set("X-Fineract-Action", "REPAYMENT")
		req.Header.Set("Fineract-Platform-TenantId", "default")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := postHook(); code != http.StatusOK {
		t.Fatalf("hook: %d", code)
	}
	if code := postHook(); code != http.StatusOK {
		t.Fatalf("hook again: %d", code)
	}
	got := g.waitText(fineractsim.SeedAminaPhone, "we received your repayment of KES 1,500.00", 30*time.Second)
	if strings.Contains(got.Text, "99") {
		t.Errorf("the hook's amount reached the client: %q", got.Text)
	}
	time.Sleep(2 * time.Second)
	if n := len(g.sentTo(fineractsim.SeedAminaPhone)); n != 1 {
		t.Errorf("%d SMS to the client for one repayment posted twice by the hook", n)
	}
}
