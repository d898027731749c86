package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mifos-edge/mifos-edge/fineractsim"
	"github.com/mifos-edge/mifos-edge/mifos"
	"github.com/mifos-edge/mifos-edge/modemsim"
)

// The real parts end to end: the Fineract stand-in's own SMS jobs (the
// send job, a triggered message, the report poll) talk to the real daemon
// as Fineract's message-gateway client does, and the stand-in's own Web
// hooks post the events of commands made through its API.

// hostPort splits the box's http://host:port.
func (g *gatewayBox) hostPort() (string, int) {
	g.t.Helper()
	host, port, err := net.SplitHostPort(strings.TrimPrefix(g.base, "http://"))
	if err != nil {
		g.t.Fatal(err)
	}
	p, err := strconv.Atoi(port)
	if err != nil {
		g.t.Fatal(err)
	}
	return host, p
}

// lossyLink stands between Fineract and the box and passes every call on.
// While lose > 0 it loses the box's answer to a /sms call after the box
// has answered it: the connection closes with no answer, as when a link
// fails mid-call, so Fineract counts a batch the box took as not sent.
type lossyLink struct {
	box string
	mu  sync.Mutex
	// lose is how many /sms answers are still to be lost.
	lose int
	// answers are the box's (status, body) for each /sms call, lost or not.
	answers []string
}

func (l *lossyLink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	req, err := http.NewRequest(r.Method, l.box+r.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	req.Header = r.Header.Clone()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	answer, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	l.mu.Lock()
	isSend := strings.HasSuffix(r.URL.Path, "/sms")
	lost := isSend && l.lose > 0
	if lost {
		l.lose--
	}
	if isSend {
		l.answers = append(l.answers, fmt.Sprintf("%d %s", resp.StatusCode, bytes.TrimSpace(answer)))
	}
	l.mu.Unlock()
	if lost {
		conn, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			conn.Close()
		}
		return
	}
	w.Header().Set("Content-Type", resp.Header.Get("Content-Type"))
	w.WriteHeader(resp.StatusCode)
	w.Write(answer)
}

func (l *lossyLink) answer(i int) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if i >= len(l.answers) {
		return ""
	}
	return l.answers[i]
}

// Fineract's SMS jobs through the real box to the simulated modem and
// back: a campaign batch, a triggered message, the same batch queued
// twice, a batch whose answer was lost and that Fineract resends. Each SMS
// reaches the modem once; the network's status reports make the report
// poll move Fineract's messages to 300 delivered and, for the number the
// network fails, 400 failed.
func TestFineractSMSJobsThroughTheBoxToTheModemAndBack(t *testing.T) {
	g := newGatewayBox(t, "")
	fin := g.fin
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	host, port := g.hostPort()
	// The SMS external service as an administrator enters it in Fineract.
	direct := fineractsim.GatewayConfig{HostName: host, PortNumber: port, EndPoint: "/", TenantAppKey: g.key,
		ResendFailed: true, Timeout: 10 * time.Second}
	fin.SetSMSGateway(direct)
	g.sim.SetReports(modemsim.ReportsDeliver)

	// A campaign: two clients, one number stored in national format.
	texts := map[string]string{
		fineractsim.SeedAminaPhone: "Habari Amina, kikundi cha Umoja kinakutana Jumatano saa nne.",
		"+254722111222":            "Dear Grace, thank you for your savings this month.",
		fineractsim.SeedJohnPhone:  "Dear John, your loan application has been received.",
		"+254700000099":            "Dear Otieno, your group meets on Friday.",
	}
	amina := fin.QueueSMS(fineractsim.SeedAminaPhone, texts[fineractsim.SeedAminaPhone], 1)
	grace := fin.QueueSMS(fineractsim.SeedGracePhone, texts["+254722111222"], 1)
	start := time.Now()
	res, err := fin.SendSMSNow(ctx)
	if err != nil || res.Batches != 1 || len(res.Sent) != 2 || res.Statuses[0] != http.StatusAccepted {
		t.Fatalf("send job: %+v %v", res, err)
	}
	sent := g.waitSent(30*time.Second, "the campaign's two SMS", func(all []modemsim.Sent) bool {
		return len(g.sentToLocked(all, fineractsim.SeedAminaPhone)) > 0 && len(g.sentToLocked(all, "+254722111222")) > 0
	})
	var lat []time.Duration
	for _, s := range sent {
		lat = append(lat, s.Time.Sub(start))
	}
	t.Logf("Fineract send job -> modem submit, batch of 2: %v", lat)

	// A triggered message goes alone, without a tenantId in the body.
	john, err := fin.SendTriggeredSMS(ctx, fineractsim.SeedJohnPhone, texts[fineractsim.SeedJohnPhone], 1)
	if err != nil {
		t.Fatalf("triggered SMS: %v", err)
	}
	g.waitText(fineractsim.SeedJohnPhone, "application has been received", 30*time.Second)

	// The same batch comes again (a restored database): accepted, not
	// sent again.
	if n := fin.RequeueSMS(amina, grace); n != 2 {
		t.Fatalf("requeued %d", n)
	}
	if res, err := fin.SendSMSNow(ctx); err != nil || len(res.Sent) != 2 || res.Statuses[0] != http.StatusAccepted {
		t.Fatalf("the same batch again: %+v %v", res, err)
	}

	// The network fails what is sent from now on. A batch whose answer is
	// lost on the way back: Fineract (ResendFailed) sends it again.
	for _, phone := range []string{fineractsim.SeedAminaPhone, "+254722111222", fineractsim.SeedJohnPhone} {
		if n := len(g.sentTo(phone)); n != 1 {
			t.Fatalf("%d SMS to %s before the failing batch", n, phone)
		}
	}
	g.sim.SetReports(modemsim.ReportsFail)
	link := &lossyLink{box: g.base, lose: 1}
	relay := httptest.NewServer(link)
	defer relay.Close()
	rhost, rport, _ := net.SplitHostPort(relay.Listener.Addr().String())
	viaLink := direct
	viaLink.HostName = rhost
	viaLink.PortNumber, _ = strconv.Atoi(rport)
	fin.SetSMSGateway(viaLink)
	otieno := fin.QueueSMS("0700000099", texts["+254700000099"], 1)
	res, err = fin.SendSMSNow(ctx)
	if err != nil || res.LastErr == nil || len(res.Failed) != 1 || res.Statuses[0] != 0 {
		t.Fatalf("batch with its answer lost: %+v %v", res, err)
	}
	if a := link.answer(0); !strings.HasPrefix(a, "202 ") || !strings.Contains(a, `"queued":1`) {
		t.Fatalf("the box's lost answer: %q", a)
	}
	g.waitText("+254700000099", "meets on Friday", 30*time.Second)
	res, err = fin.SendSMSNow(ctx)
	if err != nil || len(res.Sent) != 1 || res.Sent[0] != otieno {
		t.Fatalf("Fineract's resend: %+v %v", res, err)
	}
	if a := link.answer(1); !strings.HasPrefix(a, "202 ") || !strings.Contains(a, `"duplicates":1`) {
		t.Fatalf("the box's answer to the resend: %q", a)
	}
	fin.SetSMSGateway(direct)

	// Fineract's report job, run until every message has its final state.
	want := map[int64]int{amina: fineractsim.SMSDelivered, grace: fineractsim.SMSDelivered,
		john: fineractsim.SMSDelivered, otieno: fineractsim.SMSFailed}
	var msgs []fineractsim.SMSMessage
	deadline := time.Now().Add(30 * time.Second)
	for {
		rep, err := fin.PollSMSReportsNow(ctx)
		if err != nil {
			t.Fatalf("report job: %+v %v", rep, err)
		}
		msgs = fin.SMSMessages()
		done := 0
		for _, m := range msgs {
			if m.Status == want[m.ID] {
				done++
			}
		}
		if done == len(want) && len(msgs) == len(want) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Fineract's messages after 30 s of report polls: %+v, want states %v", msgs, want)
		}
		time.Sleep(200 * time.Millisecond)
	}
	ext := map[string]bool{}
	for _, m := range msgs {
		if m.ExternalID == "" || ext[m.ExternalID] {
			t.Errorf("message %d: external id %q (not the box's own, or shared)", m.ID, m.ExternalID)
		}
		ext[m.ExternalID] = true
	}
	// A delivered message is final: the next poll asks about nothing.
	if rep, err := fin.PollSMSReportsNow(ctx); err != nil || len(rep.Asked) != 0 {
		t.Errorf("poll after the final states: %+v %v", rep, err)
	}

	// The modem sent each exactly once, whatever came twice.
	deadline = time.Now().Add(10 * time.Second)
	for !g.drained() && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if !g.drained() {
		t.Error("the outbox is not empty")
	}
	for phone, text := range texts {
		if s := g.sentTo(phone); len(s) != 1 || s[0].Text != text {
			t.Errorf("SMS to %s: %+v, want exactly one %q", phone, s, text)
		}
	}
}

// The stand-in's own Web hook, configured with the box's hook URL, posts
// the events of an approval, a disbursement and a repayment made through
// its API by users who hold the permission; each becomes exactly one SMS
// to the client with the amount Fineract holds. A command Fineract
// refuses raises no hook and no SMS.
func TestFineractHooksFromTheStandInBecomeOneSMSEach(t *testing.T) {
	g := newGatewayBox(t, "[fineract_hooks]\nevents = [\"LOAN/REPAYMENT\", \"LOAN/APPROVE\", \"LOAN/DISBURSE\"]\n")
	fin := g.fin
	fin.AddHook(fineractsim.Hook{Name: "mifos-edge", PayloadURL: g.base + "/hooks/fineract/" + g.key,
		Events: []fineractsim.HookEvent{{Entity: "LOAN", Action: "REPAYMENT"}, {Entity: "LOAN", Action: "APPROVE"}, {Entity: "LOAN", Action: "DISBURSE"}}})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	api, err := mifos.New(mifos.Config{BaseURL: fin.URL(), Tenant: "default", Username: "mifos", Password: "password", Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	today := mifos.DateOf(fin.BusinessDate())
	manager := api.AsUser(fineractsim.SeedManager, fineractsim.SeedManagerPassword)
	teller := api.AsUser(fineractsim.SeedTeller, fineractsim.SeedTellerPassword)

	// The teller may not approve: refused, no hook, no SMS.
	if _, err := teller.ApproveLoan(ctx, fineractsim.SeedLoanBrian, mifos.Approval{On: today}); !mifos.IsNotPermitted(err) {
		t.Fatalf("teller's approval: %v", err)
	}
	// The branch manager approves 25,000.00 of the 30,000.00 applied for.
	if _, err := manager.ApproveLoan(ctx, fineractsim.SeedLoanBrian, mifos.Approval{On: today, Amount: mifos.Amount(25_000_000000)}); err != nil {
		t.Fatalf("approval: %v", err)
	}
	app, err := api.LoanApplication(ctx, fineractsim.SeedLoanBrian)
	if err != nil {
		t.Fatal(err)
	}
	approved := g.waitText(fineractsim.SeedBrianPhone, "has been approved", 30*time.Second)
	if want := fmt.Sprintf("your loan %s (Biashara 6M) has been approved for KES 25,000.00.", app.AccountNo); !strings.Contains(approved.Text, want) {
		t.Errorf("approval SMS %q, want %q", approved.Text, want)
	}

	// The manager disburses 20,000.00 of it (Fineract's API; the box has
	// no disbursement call of its own).
	body := fmt.Sprintf(`{"actualDisbursementDate":%q,"transactionAmount":20000,"paymentTypeId":1,"dateFormat":"yyyy-MM-dd","locale":"en"}`,
		today.String())
	req, _ := http.NewRequestWithContext(ctx, "POST", fin.URL()+"/loans/"+strconv.Itoa(fineractsim.SeedLoanBrian)+"?command=disburse", strings.NewReader(body))
	req.SetBasicAuth(fineractsim.SeedManager, fineractsim.SeedManagerPassword)
	req.Header.Set("Fineract-Platform-TenantId", "default")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	answer, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("disbursement: %d %s", resp.StatusCode, answer)
	}
	loan, err := api.Loan(ctx, fineractsim.SeedLoanBrian)
	if err != nil {
		t.Fatal(err)
	}
	disbursed := g.waitText(fineractsim.SeedBrianPhone, "has been disbursed", 30*time.Second)
	if want := fmt.Sprintf("your loan %s of KES 20,000.00 has been disbursed. Total to repay: KES %s.",
		app.AccountNo, loan.Currency.Format(loan.TotalOutstanding)); !strings.Contains(disbursed.Text, want) {
		t.Errorf("disbursement SMS %q, want %q", disbursed.Text, want)
	}

	// The teller takes a repayment at the counter.
	if _, err := teller.Repay(ctx, fineractsim.SeedLoanAmina, mifos.Repayment{Date: today, Amount: mifos.Amount(1_500_000000),
		PaymentTypeID: fineractsim.SeedPaymentCash, ExternalID: "counter-1"}, "counter-1"); err != nil {
		t.Fatalf("repayment: %v", err)
	}
	g.waitText(fineractsim.SeedAminaPhone, "we received your repayment of KES 1,500.00", 30*time.Second)

	// Fineract posted three hooks, each answered 200; each gave one SMS.
	fin.WaitHooks()
	var events []string
	for _, d := range fin.HookDeliveries() {
		events = append(events, fmt.Sprintf("%s/%s %d", d.Entity, d.Action, d.Status))
	}
	if strings.Join(events, ",") != "LOAN/APPROVE 200,LOAN/DISBURSE 200,LOAN/REPAYMENT 200" {
		t.Errorf("hook deliveries: %q", events)
	}
	time.Sleep(2 * time.Second) // what would go out twice, would go out now
	if s := g.sentTo(fineractsim.SeedBrianPhone); len(s) != 2 {
		t.Errorf("%d SMS to Brian for an approval and a disbursement: %+v", len(s), s)
	}
	if s := g.sentTo(fineractsim.SeedAminaPhone); len(s) != 1 {
		t.Errorf("%d SMS to Amina for one repayment: %+v", len(s), s)
	}
}
