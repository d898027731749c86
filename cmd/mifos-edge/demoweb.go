//go:build !nodemo

package main

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/mifos-edge/mifos-edge/daemon"
	"github.com/mifos-edge/mifos-edge/fineractsim"
	"github.com/mifos-edge/mifos-edge/mifos"
	"github.com/mifos-edge/mifos-edge/store"
	"github.com/mifos-edge/mifos-edge/token"
)

// The demo's web side: the branch console, the integrator API, and the
// Fineract stand-in using the box as its SMS gateway and sending it Web
// hooks, as a real Fineract would once configured (docs/gateway.md).

// demoWeb is what the demo set up on [http] listen.
type demoWeb struct {
	addr  string // host:port the daemon serves
	token string // all scopes; the stand-in uses it as app key and hook secret
	fin   *fineractsim.Server
	// socket is the daemon's control socket (!disburse builds through it).
	socket string
}

// setUpDemoWeb mints the demo's token in the daemon's store and points the
// stand-in's SMS jobs and Web hook at the box.
func setUpDemoWeb(db *store.DB, fin *fineractsim.Server, addr string) (*demoWeb, error) {
	text, id, hash, err := token.New()
	if err != nil {
		return nil, err
	}
	if _, err := daemon.AddToken(db, daemon.TokenAddArgs{ID: id, Name: "demo", Scopes: token.AllScopes, Hash: hash}); err != nil {
		return nil, err
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	p, err := strconv.Atoi(port)
	if err != nil {
		return nil, err
	}
	fin.SetSMSGateway(fineractsim.GatewayConfig{HostName: host, PortNumber: p, EndPoint: "/", TenantAppKey: text})
	fin.AddHook(fineractsim.Hook{Name: "mifos-edge", PayloadURL: "http://" + addr + "/hooks/fineract/" + text,
		Events: []fineractsim.HookEvent{{Entity: "LOAN", Action: "APPROVE"}, {Entity: "LOAN", Action: "DISBURSE"}, {Entity: "LOAN", Action: "REPAYMENT"}}})
	return &demoWeb{addr: addr, token: text, fin: fin}, nil
}

func (w *demoWeb) banner() string {
	return fmt.Sprintf(`
Branch console (open on a phone or a narrow browser window): http://%s/
  sign in as %s / %s (branch manager: approves loans) or %s / %s (teller)
API token (every scope; printed once):  %s
  curl -s -H "Authorization: Bearer %s" -H 'Content-Type: application/json' \
       -d '{"to":"+254712345678","text":"Hello from the API"}' http://%s/api/v1/sms
Operations: http://%s/healthz  http://%s/metrics
Fineract using the box (type these lines):
  !campaign                                    Fineract's SMS job sends a campaign through the modem
  !reports                                     Fineract asks the box how its SMS fared
  !repay                                       a teller takes 1,500 from Amina at the counter: Fineract's
                                               hook makes the box text her what Fineract posted
Mobile disbursement (Daraja B2C stand-in):
  !disburse                                    Peter builds a batch of the Tujenge group's four approved
                                               loans (KES 70,000, over his KES 50,000 limit); %s approves
                                               and sends it in the console's Disburse tab; M-PESA pays,
                                               Mifos records each disbursement, the clients get an SMS.
                                               Peter may also build batches himself: %s / %s
`, w.addr, fineractsim.SeedManager, fineractsim.SeedManagerPassword, fineractsim.SeedTeller, fineractsim.SeedTellerPassword,
		w.token, w.token, w.addr, w.addr, w.addr, fineractsim.SeedManager, demoPeterUser, demoPeterPassword)
}

// command runs a "!" line; it reports whether the line was one.
func (w *demoWeb) command(ctx context.Context, line string) bool {
	switch strings.TrimSpace(line) {
	case "!campaign":
		for _, to := range []string{demoClient, "+254733444555"} {
			w.fin.QueueSMS(to, "Umoja group: the meeting moves to Thursday 10:00 at the chief's camp.", 1)
		}
		res, err := w.fin.SendSMSNow(ctx)
		fmt.Printf("Fineract's SMS job: %d batch(es), sent %v, refused %v, err %v\n", res.Batches, res.Sent, res.Failed, err)
	case "!reports":
		if _, err := w.fin.PollSMSReportsNow(ctx); err != nil {
			fmt.Println("Fineract's report job:", err)
		}
		for _, m := range w.fin.SMSMessages() {
			fmt.Printf("Fineract SMS %d to %s: %s\n", m.ID, m.Mobile, smsStatusName(m.Status))
		}
	case "!disburse":
		buildDemoBatch(ctx, w.socket)
	case "!repay":
		c, err := mifos.New(mifos.Config{BaseURL: w.fin.URL(), Tenant: "default", Username: fineractsim.SeedTeller,
			Password: fineractsim.SeedTellerPassword, Timeout: 10 * time.Second})
		if err != nil {
			fmt.Println("teller:", err)
			return true
		}
		ext := fmt.Sprintf("counter-%d", time.Now().UnixNano())
		res, err := c.Repay(ctx, fineractsim.SeedLoanAmina, mifos.Repayment{Date: mifos.DateOf(w.fin.BusinessDate()),
			Amount: mifos.Amount(1_500_000000), PaymentTypeID: 1, ExternalID: ext}, ext)
		if err != nil {
			fmt.Println("counter repayment refused:", err)
			return true
		}
		fmt.Printf("Fineract posted the counter repayment (transaction %d); its hook goes to the box\n", res.ResourceID)
	default:
		return false
	}
	return true
}

func smsStatusName(s int) string {
	switch s {
	case fineractsim.SMSPending:
		return "pending"
	case fineractsim.SMSWaiting:
		return "waiting for a delivery report"
	case fineractsim.SMSSent:
		return "sent"
	case fineractsim.SMSDelivered:
		return "delivered"
	case fineractsim.SMSFailed:
		return "failed"
	}
	return strconv.Itoa(s)
}
