package e2e

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mifos-edge/mifos-edge/daemon"
	"github.com/mifos-edge/mifos-edge/darajasim"
	"github.com/mifos-edge/mifos-edge/disburse"
	"github.com/mifos-edge/mifos-edge/fineractsim"
	"github.com/mifos-edge/mifos-edge/internal/phonebrowser"
	"github.com/mifos-edge/mifos-edge/modemsim"
)

// darajaBox is a branch box paying out through the Daraja stand-in, which
// posts its results to the daemon's real HTTP server.
type darajaBox struct {
	e   *env
	d   *darajasim.Server
	url string
}

// newDarajaBox configures [disbursement] with provider daraja-b2c as the
// README shows it: secrets in files, the callback address the daemon's own.
// Peter (staff 12) may send KES 50,000 without approval; jakinyi (staff 14)
// approves; "peter" is also an approver, to prove nobody approves their own.
func newDarajaBox(t testing.TB, opts darajasim.Options, wait, timeout string) *darajaBox {
	t.Helper()
	d := darajasim.New(opts)
	hs := httptest.NewServer(d)
	secrets, err := os.MkdirTemp("", "me-daraja-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { hs.Close(); d.Close(); os.RemoveAll(secrets) })
	file := func(name, content string) string {
		p := filepath.Join(secrets, name)
		if err := os.WriteFile(p, []byte(content+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	extra := fmt.Sprintf(`[disbursement]
provider = "daraja-b2c"
payment_type_id = %d
default_limit = 50000
result_wait = %q
query_every = "10s"

[[disbursement.approver]]
user = "jakinyi"
staff_id = %d

[[disbursement.approver]]
user = "peter"
staff_id = %d

[disbursement.daraja]
base_url = %q
consumer_key_file = %q
consumer_secret_file = %q
initiator_name = "apiop"
security_credential_file = %q
shortcode = "600997"
callback_url = "CALLBACK_BASE"
callback_token_file = %q
timeout = %q
`, fineractsim.SeedPaymentMpesa, wait, fineractsim.SeedStaffJane, fineractsim.SeedStaffPeter, hs.URL,
		file("key", "key"), file("secret", "secret"), file("credential", "credential"), filepath.Join(secrets, "callback-token"), timeout)
	e := newEnv(t, envOptions{fineract: true, http: true, extra: extra})
	raw, err := os.ReadFile(e.cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(e.cfgPath, []byte(strings.Replace(string(raw), "CALLBACK_BASE", e.httpBase, 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	return &darajaBox{e: e, d: d, url: hs.URL}
}

// batches is `disburse list --json`.
func (b *darajaBox) batches() []disburse.BatchView {
	b.e.t.Helper()
	out, err := b.e.cli("disburse", "list", "--json")
	if err != nil {
		b.e.t.Fatalf("disburse list: %v\n%s", err, out)
	}
	var list []disburse.BatchView
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		b.e.t.Fatalf("disburse list --json: %v\n%s", err, out)
	}
	return list
}

func (b *darajaBox) batch(id uint64) disburse.BatchView {
	b.e.t.Helper()
	for _, v := range b.batches() {
		if v.ID == id {
			return v
		}
	}
	b.e.t.Fatalf("no batch %d", id)
	return disburse.BatchView{}
}

// create builds a batch with the CLI and returns it.
func (b *darajaBox) create(staff int64, loans ...string) daemon.DisburseCreateResult {
	b.e.t.Helper()
	out, err := b.e.cli(append([]string{"disburse", "create", "--json", "--staff-id", fmt.Sprint(staff)}, loans...)...)
	if err != nil {
		b.e.t.Fatalf("disburse create: %v\n%s", err, out)
	}
	var res daemon.DisburseCreateResult
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		b.e.t.Fatalf("disburse create --json: %v\n%s", err, out)
	}
	return res
}

// waitBatch waits until batch id is in state want.
func (b *darajaBox) waitBatch(id uint64, want string, timeout time.Duration) disburse.BatchView {
	b.e.t.Helper()
	deadline := time.Now().Add(timeout)
	began, seen := time.Now(), ""
	for {
		v := b.batch(id)
		now := string(v.State)
		for _, l := range v.Lines {
			now += fmt.Sprintf(" %d:%s/%s", l.ID, l.State, l.Posted)
		}
		if now != seen {
			b.e.t.Logf("%6.1fs batch %s", time.Since(began).Seconds(), now)
			seen = now
		}
		if string(v.State) == want {
			return v
		}
		if time.Now().After(deadline) {
			b.e.t.Fatalf("batch %d is %s, want %s: %+v", id, v.State, want, v.Lines)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func lineOf(v disburse.BatchView, loan int64) disburse.LineView {
	for _, l := range v.Lines {
		if l.LoanID == loan {
			return l
		}
	}
	return disburse.LineView{}
}

// paymentsTo counts the stand-in's payments per line ref.
func paymentsByRef(d *darajasim.Server) map[string][]darajasim.Payment {
	out := map[string][]darajasim.Payment{}
	for _, p := range d.Payments() {
		out[p.OriginatorConversationID] = append(out[p.OriginatorConversationID], p)
	}
	return out
}

// TestDisburseThroughDarajaB2C drives the real daemon, the Daraja stand-in
// over HTTP (its results posted back to the daemon's own HTTP server) and
// the Fineract stand-in: a batch over the officer's limit waits for a
// second person, nobody approves their own, an approved batch cannot be
// changed; then each fault of B2C ends as it should — a duplicate result
// changes nothing, a failure code pays nothing, a request whose answer
// never came and a payment whose result was lost are both found by the
// status query — every line is paid at most once, each paid loan is
// disbursed once in Fineract with the M-PESA receipt, the clients and the
// officer are told.
func TestDisburseThroughDarajaB2C(t *testing.T) {
	b := newDarajaBox(t, darajasim.Options{}, "10s", "3s")
	e := b.e
	e.enrollOfficer("482915")
	e.start()

	// Rose's result comes twice; Lucy is not a full M-PESA customer;
	// Joyce's request hangs past the box's timeout and its result is lost
	// (paid all the same);
	// Mercy is paid but her result is lost.
	b.d.FailPhone(fineractsim.SeedRosePhone, darajasim.Fault{DuplicateCallback: true})
	b.d.FailPhone("+254711000049", darajasim.Fault{ResultCode: "2040"})
	b.d.FailPhone(fineractsim.SeedJoycePhone, darajasim.Fault{Hang: true, LoseCallback: true})
	b.d.FailPhone(fineractsim.SeedMercyPhone, darajasim.Fault{LoseCallback: true})

	res := b.create(fineractsim.SeedStaffPeter, fmt.Sprint(fineractsim.SeedLoanRose), fmt.Sprintf("%d=10000", fineractsim.SeedLoanLucy),
		fmt.Sprint(fineractsim.SeedLoanJoyce), fmt.Sprint(fineractsim.SeedLoanMercy))
	id := res.Batch.ID
	if res.Batch.State != "awaiting_approval" || !res.Batch.NeedsApproval || res.Batch.Total != "KES 65,000.00" || len(res.Batch.Lines) != 4 {
		t.Fatalf("built %+v", res.Batch)
	}
	if l := lineOf(res.Batch, fineractsim.SeedLoanLucy); l.Amount != "KES 10,000.00" || l.Phone != "+254711000049" || l.State != "pending" {
		t.Fatalf("Lucy's line %+v (her number is stored in national form)", l)
	}
	if out, err := e.cli("disburse", "send", fmt.Sprint(id)); err == nil || !strings.Contains(out, "waits for approval") {
		t.Fatalf("send before approval: %v\n%s", err, out)
	}
	if out, err := e.cli("disburse", "approve", "--user", "peter", fmt.Sprint(id)); err == nil || !strings.Contains(out, "nobody approves a batch of their own") {
		t.Fatalf("the officer approving his own batch: %v\n%s", err, out)
	}
	if out, err := e.cli("disburse", "approve", "--user", fineractsim.SeedTeller, fmt.Sprint(id)); err == nil || !strings.Contains(out, "not a disbursement approver") {
		t.Fatalf("a teller approving: %v\n%s", err, out)
	}
	if out, err := e.cli("disburse", "approve", "--user", fineractsim.SeedManager, fmt.Sprint(id)); err != nil || !strings.Contains(out, "approved by jakinyi") {
		t.Fatalf("approve: %v\n%s", err, out)
	}
	if out, err := e.cli("disburse", "edit", fmt.Sprint(id), fmt.Sprint(fineractsim.SeedLoanRose)); err == nil || !strings.Contains(out, "approval covers exactly what was approved") {
		t.Fatalf("edit after approval: %v\n%s", err, out)
	}
	if n := len(b.d.Payments()); n != 0 {
		t.Fatalf("%d payments before sending", n)
	}
	if out, err := e.cli("disburse", "send", fmt.Sprint(id)); err != nil {
		t.Fatalf("send: %v\n%s", err, out)
	}

	// Joyce's and Mercy's lines go unknown and are settled by the status
	// query (result_wait 10s, then asked).
	v := b.waitBatch(id, "done", 90*time.Second)
	paid := paymentsByRef(b.d)
	for _, loan := range []int64{fineractsim.SeedLoanRose, fineractsim.SeedLoanJoyce, fineractsim.SeedLoanMercy} {
		l := lineOf(v, loan)
		ps := paid[l.Ref]
		if len(ps) != 1 {
			t.Fatalf("loan %d: %d payments for ref %s", loan, len(ps), l.Ref)
		}
		if l.State != "successful" || l.Confirmation != ps[0].Receipt || l.FineractTxnID == 0 || l.Time == nil || l.Posted != "done" {
			t.Errorf("loan %d line %+v, payment %+v", loan, l, ps[0])
		}
		d := e.fin.Disbursals(loan)
		if len(d) != 1 || d[0].ReceiptNumber != ps[0].Receipt || d[0].PaymentTypeID != fineractsim.SeedPaymentMpesa || d[0].ID != l.FineractTxnID {
			t.Errorf("loan %d disbursed in Fineract %+v, want once with receipt %s", loan, d, ps[0].Receipt)
		}
	}
	if l := lineOf(v, fineractsim.SeedLoanJoyce); l.SettledBy != "status query" {
		t.Errorf("Joyce's line (answer lost to a time-out) settled by %q, want the status query", l.SettledBy)
	}
	if l := lineOf(v, fineractsim.SeedLoanMercy); l.SettledBy != "status query" {
		t.Errorf("Mercy's line (result lost) settled by %q, want the status query", l.SettledBy)
	}
	lucy := lineOf(v, fineractsim.SeedLoanLucy)
	if lucy.State != "failed" || !strings.Contains(lucy.Reason, "M-PESA") || len(paid[lucy.Ref]) != 0 || len(e.fin.Disbursals(fineractsim.SeedLoanLucy)) != 0 {
		t.Errorf("Lucy's line %+v; payments %v", lucy, paid[lucy.Ref])
	}
	results := 0
	for _, dl := range b.d.Deliveries() {
		if dl.Kind == "result" && strings.Contains(string(dl.Body), lineOf(v, fineractsim.SeedLoanRose).Ref) {
			results++
		}
	}
	if results != 2 {
		t.Errorf("Rose's result was posted %d times, want 2 (the duplicate fault)", results)
	}

	// The clients hear from the box once Fineract recorded it; the officer gets the summary.
	rose := lineOf(v, fineractsim.SeedLoanRose)
	sms := e.waitText(fineractsim.SeedRosePhone, rose.Confirmation, 30*time.Second)
	if !strings.Contains(sms.Text, "KES 20,000.00") || !strings.Contains(sms.Text, "First instalment") {
		t.Errorf("Rose's SMS %q", sms.Text)
	}
	summary := e.waitText(fineractsim.SeedPeterPhone, fmt.Sprintf("batch %d done", id), 30*time.Second)
	if !strings.Contains(summary.Text, "3 of 4 paid") || !strings.Contains(summary.Text, "KES 55,000.00") || !strings.Contains(summary.Text, "000001002") {
		t.Errorf("summary %q", summary.Text)
	}
	e.waitSent(5*time.Second, "no second SMS for Rose", func([]modemsim.Sent) bool { return true })
	n := 0
	for _, s := range e.sentTo(fineractsim.SeedRosePhone) {
		if strings.Contains(s.Text, rose.Confirmation) {
			n++
		}
	}
	if n != 1 {
		t.Errorf("Rose got %d SMS with her confirmation, want 1", n)
	}

	// The audit trail names who did what.
	out, err := e.cli("disburse", "list", "--audit", "--batch", fmt.Sprint(id))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"built with 4 lines", "approved 4 lines", "jakinyi", "sending asked for", "paid, confirmation", "disbursed in Mifos"} {
		if !strings.Contains(out, want) {
			t.Errorf("audit lacks %q:\n%s", want, out)
		}
	}
	// The same loans cannot be paid again in a new batch.
	if out, err := e.cli("disburse", "create", "--staff-id", fmt.Sprint(fineractsim.SeedStaffPeter), fmt.Sprint(fineractsim.SeedLoanRose)); err == nil || !strings.Contains(out, "already disbursed") {
		t.Fatalf("rebuilding a paid loan: %v\n%s", err, out)
	}
}

// TestDisburseDarajaDownAndFloat: with Daraja unreachable the lines stay
// pending and the officer is told once; when it is back they are paid; a
// payment above what is left in the float fails with nothing paid.
func TestDisburseDarajaDownAndFloat(t *testing.T) {
	b := newDarajaBox(t, darajasim.Options{}, "10s", "3s")
	e := b.e
	e.enrollOfficer("482915")
	b.d.SetDown(darajasim.Closed)
	e.start()
	res := b.create(fineractsim.SeedStaffPeter, fmt.Sprint(fineractsim.SeedLoanRose), fmt.Sprint(fineractsim.SeedLoanMercy))
	if res.Batch.State != "ready" {
		t.Fatalf("KES 30,000 is within Peter's limit: %+v", res.Batch)
	}
	if out, err := e.cli("disburse", "send", fmt.Sprint(res.Batch.ID)); err != nil {
		t.Fatalf("send: %v\n%s", err, out)
	}
	notice := e.waitText(fineractsim.SeedPeterPhone, "cannot be reached", 30*time.Second)
	if !strings.Contains(notice.Text, fmt.Sprintf("batch %d", res.Batch.ID)) {
		t.Fatalf("notice %q", notice.Text)
	}
	v := b.batch(res.Batch.ID)
	for i, l := range v.Lines {
		// The first line was tried; the rest wait behind it.
		if l.State != "pending" || (i == 0 && !strings.Contains(l.Reason, "not sent")) {
			t.Fatalf("line while Daraja is down: %+v", l)
		}
	}
	if n := b.d.Requests().B2C; n != 0 {
		t.Fatalf("%d payment requests reached Daraja while it was down", n)
	}
	b.d.SetFloat(15000) // enough for Mercy's 10,000, not for Rose's 20,000
	b.d.SetDown(darajasim.Up)
	v = b.waitBatch(res.Batch.ID, "done", 60*time.Second)
	rose, mercy := lineOf(v, fineractsim.SeedLoanRose), lineOf(v, fineractsim.SeedLoanMercy)
	if rose.State != "failed" || !strings.Contains(strings.ToLower(rose.Reason), "float") || len(e.fin.Disbursals(fineractsim.SeedLoanRose)) != 0 {
		t.Errorf("Rose (above the float): %+v", rose)
	}
	if mercy.State != "successful" || len(e.fin.Disbursals(fineractsim.SeedLoanMercy)) != 1 {
		t.Errorf("Mercy: %+v", mercy)
	}
	notices := 0
	for _, s := range e.sentTo(fineractsim.SeedPeterPhone) {
		if strings.Contains(s.Text, "cannot be reached") {
			notices++
		}
	}
	if notices != 1 {
		t.Errorf("the officer was told %d times that Daraja is down, want once", notices)
	}
}

// TestDisburseDarajaGarbage: a proxy answers a payment request with a web
// page instead of Daraja's JSON. Nobody knows whether it was paid, so the
// line is unknown, never sent again; the status query finds no record, the
// line says so and waits for a person, who settles it; nothing was paid.
func TestDisburseDarajaGarbage(t *testing.T) {
	b := newDarajaBox(t, darajasim.Options{}, "10s", "3s")
	e := b.e
	e.enrollOfficer("482915")
	e.start()
	b.d.FailNext(darajasim.Fault{Garbage: true})
	res := b.create(fineractsim.SeedStaffPeter, fmt.Sprint(fineractsim.SeedLoanMercy))
	if out, err := e.cli("disburse", "send", fmt.Sprint(res.Batch.ID)); err != nil {
		t.Fatalf("send: %v\n%s", err, out)
	}
	var l disburse.LineView
	for deadline := time.Now().Add(60 * time.Second); ; {
		l = b.batch(res.Batch.ID).Lines[0]
		if l.State == "unknown" && strings.Contains(l.Reason, "no record") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("line after a garbage answer: %+v", l)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if p := len(b.d.Payments()); p != 0 || b.d.Requests().B2C != 1 || b.d.Requests().Status == 0 {
		t.Fatalf("payments %d, requests %+v: want none paid, one request, a status query", p, b.d.Requests())
	}
	e.waitText(fineractsim.SeedPeterPhone, "no answer from the operator", 30*time.Second)
	if out, err := e.cli("disburse", "resolve", fmt.Sprint(l.ID), "--failed", "M-PESA portal shows no such payment"); err != nil || !strings.Contains(out, "failed") {
		t.Fatalf("resolve: %v\n%s", err, out)
	}
	v := b.waitBatch(res.Batch.ID, "done", 30*time.Second)
	if got := v.Lines[0]; got.State != "failed" || got.SettledBy == "" || len(e.fin.Disbursals(fineractsim.SeedLoanMercy)) != 0 {
		t.Fatalf("after resolve: %+v", got)
	}
	if b.d.Requests().B2C != 1 {
		t.Fatalf("%d payment requests: the line was sent again", b.d.Requests().B2C)
	}
}

// TestDisburseDarajaKilledMidSend kills the daemon with SIGKILL at random
// moments while a batch is being paid, each request's answer slowed so
// kills land between "sent" and "accepted", and restarts it: no line is
// ever paid twice, a line whose request may have left is asked about
// (status query) rather than sent again, and every paid loan is disbursed
// once in Fineract.
func TestDisburseDarajaKilledMidSend(t *testing.T) {
	b := newDarajaBox(t, darajasim.Options{}, "10s", "1s")
	e := b.e
	const lines = 16
	loans := addApprovedLoans(t, e.fin, lines, 1000)
	// Every request is processed (paid) but its answer held past the box's
	// 1 s time-out, so the send takes about 16 s and each kill lands
	// between "sent" and the operator's answer; every third result is lost
	// as well, so only a status query can tell.
	for i := 0; i < lines; i++ {
		b.d.FailNext(darajasim.Fault{Hang: true, LoseCallback: i%3 == 0})
	}
	e.start()
	args := make([]string, len(loans))
	for i, l := range loans {
		args[i] = fmt.Sprint(l)
	}
	res := b.create(fineractsim.SeedStaffPeter, args...)
	if out, err := e.cli("disburse", "send", fmt.Sprint(res.Batch.ID)); err != nil {
		t.Fatalf("send: %v\n%s", err, out)
	}
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	kills := 0
	for round := 0; round < 6; round++ {
		time.Sleep(time.Duration(300+rng.IntN(2200)) * time.Millisecond)
		e.kill9()
		kills++
		e.start()
	}
	v := b.waitBatch(res.Batch.ID, "done", 120*time.Second)
	paid := paymentsByRef(b.d)
	unknownAfterKill := 0
	if n := b.d.Requests().B2C; n != lines {
		t.Errorf("%d payment requests for %d lines: a line was sent again", n, lines)
	}
	for _, l := range v.Lines {
		if len(paid[l.Ref]) > 1 {
			t.Errorf("line %d (loan %d) paid %d times", l.ID, l.LoanID, len(paid[l.Ref]))
		}
		if l.State != "successful" || len(paid[l.Ref]) != 1 || l.Confirmation != paid[l.Ref][0].Receipt {
			t.Errorf("line %+v; payments %v", l, paid[l.Ref])
		}
		if d := e.fin.Disbursals(l.LoanID); len(d) != 1 {
			t.Errorf("loan %d disbursed %d times in Fineract", l.LoanID, len(d))
		}
		if l.SettledBy == "status query" {
			unknownAfterKill++
		}
	}
	if len(b.d.Payments()) != lines {
		t.Errorf("%d payments for %d lines", len(b.d.Payments()), lines)
	}
	t.Logf("%d kills; %d lines settled by a status query after their answer was lost; payments %d, every line once", kills, unknownAfterKill, len(b.d.Payments()))
}

// addApprovedLoans adds n approved loans of Peter's, each to its own new
// client with a Kenyan mobile number, of amount whole shillings.
func addApprovedLoans(t testing.TB, fin *fineractsim.Server, n int, amount int) []int64 {
	t.Helper()
	bd := fin.BusinessDate()
	var out []int64
	for i := 0; i < n; i++ {
		c := fin.AddClient(fineractsim.Client{Firstname: "Client", Lastname: fmt.Sprintf("B%03d", i), MobileNo: fmt.Sprintf("+25472%07d", 1000000+i),
			StatusID: 300, OfficeID: fineractsim.SeedOffice, StaffID: fineractsim.SeedStaffPeter, ActivationDate: bd.AddDate(0, -2, 0)})
		out = append(out, fin.AddLoan(fineractsim.Loan{ClientID: c, LoanOfficerID: fineractsim.SeedStaffPeter, ProductID: 1, ProductName: "Biashara 6M",
			StatusID: 200, Principal: fineractsim.MustAmount(fmt.Sprint(amount)), NumberOfRepayments: 6, AnnualInterestRate: fineractsim.MustAmount("25"),
			SubmittedOn: bd.AddDate(0, 0, -7), ApprovedOn: bd.AddDate(0, 0, -2), ExpectedDisbursement: bd}))
	}
	return out
}

// BenchmarkDisburse200Lines pays a 200-line batch end to end through the
// real daemon, the Daraja stand-in and the Fineract stand-in: from `send`
// until every loan is disbursed in Fineract and the batch is done, and
// until every client's SMS left the simulated modem; with the daemon's
// peak memory. LINES overrides the 200.
func BenchmarkDisburse200Lines(b *testing.B) {
	n := 200
	if v := os.Getenv("LINES"); v != "" {
		fmt.Sscan(v, &n)
	}
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		box := newDarajaBox(b, darajasim.Options{}, "10s", "3s")
		e := box.e
		loans := addApprovedLoans(b, e.fin, n, 1000)
		e.start()
		args := make([]string, len(loans))
		for j, l := range loans {
			args[j] = fmt.Sprint(l)
		}
		res := box.create(fineractsim.SeedStaffPeter, args...)
		if out, err := e.cli("disburse", "approve", "--user", fineractsim.SeedManager, fmt.Sprint(res.Batch.ID)); err != nil {
			b.Fatalf("approve: %v\n%s", err, out)
		}
		pid := e.proc.Process.Pid
		b.StartTimer()
		began := time.Now()
		if out, err := e.cli("disburse", "send", fmt.Sprint(res.Batch.ID)); err != nil {
			b.Fatalf("send: %v\n%s", err, out)
		}
		var peak int
		var done time.Duration
		for {
			peak = max(peak, procStatusKB(pid, "RssAnon:"))
			if done == 0 {
				v := box.batch(res.Batch.ID)
				if v.State == "done" {
					done = time.Since(began)
				}
			}
			if done != 0 && sentContaining(e, "was sent to your mobile money") >= n {
				break
			}
			if time.Since(began) > 10*time.Minute {
				b.Fatalf("not done after 10 min")
			}
			time.Sleep(250 * time.Millisecond)
		}
		all := time.Since(began)
		b.StopTimer()
		if p := len(box.d.Payments()); p != n {
			b.Fatalf("%d payments for %d lines", p, n)
		}
		b.ReportMetric(done.Seconds(), "s-to-done")
		b.ReportMetric(all.Seconds(), "s-to-last-client-SMS")
		b.ReportMetric(float64(n)/done.Seconds(), "lines/s")
		b.ReportMetric(float64(peak)/1024, "anon-peak-MB")
		e.stop()
	}
}

// sentContaining counts the SMS the modem sent whose text contains want.
func sentContaining(e *env, want string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := 0
	for _, s := range e.sent {
		if strings.Contains(s.Text, want) {
			n++
		}
	}
	return n
}

// TestDisburseInTheConsole drives the console's Disburse pages of the real
// daemon in Debian's chromium (360 px, no JavaScript): Peter signs in with
// his own Mifos user and sees his approved loans as the Fineract stand-in
// lists them, with the phones Mifos holds; he builds a batch above his
// limit; the branch manager approves it and sends it; the Daraja stand-in
// pays, the loans are disbursed once in Fineract and the page shows the
// confirmation numbers.
func TestDisburseInTheConsole(t *testing.T) {
	phonebrowser.Find(t)
	b := newDarajaBox(t, darajasim.Options{}, "10s", "3s")
	e := b.e
	e.fin.AddUser(fineractsim.User{Username: "potieno", Password: "Peter-2024!", Firstname: "Peter", Lastname: "Otieno",
		OfficeID: fineractsim.SeedOffice, StaffID: fineractsim.SeedStaffPeter, Permissions: []string{"READ_LOAN", "READ_CLIENT", "DISBURSE_LOAN"}})
	e.start()
	e.waitHTTP()
	br := newBrowser(t, e.httpBase)

	if st := br.signIn("potieno", "Peter-2024!"); st != http.StatusOK {
		t.Fatalf("Peter's sign-in: %d %s", st, br.text("main"))
	}
	if st := br.open("/console/disburse"); st != http.StatusOK {
		t.Fatalf("Disburse: %d", st)
	}
	page := br.text("main")
	for _, want := range []string{"Your limit: KES 50,000.00", "Rose Nyambura", "Mercy Njoki", "Beatrice Auma", "no phone", "0711000049"} {
		if !strings.Contains(page, want) {
			t.Errorf("Peter's New batch lacks %q:\n%s", want, page)
		}
	}
	if strings.Contains(page, "Daniel") {
		t.Errorf("another officer's loan is offered to Peter:\n%s", page)
	}
	br.click(fmt.Sprintf(`input[name=loan][value="%d"]`, fineractsim.SeedLoanRose))
	br.click(fmt.Sprintf(`input[name=loan][value="%d"]`, fineractsim.SeedLoanJoyce))
	br.click(fmt.Sprintf(`input[name=loan][value="%d"]`, fineractsim.SeedLoanMercy))
	if st := br.submit(`form[action="/console/disburse"] button[type=submit]`); st != http.StatusOK {
		t.Fatalf("build: %d %s", st, br.text("main"))
	}
	if s := br.text("main"); !strings.Contains(s, "waiting for approval") || !strings.Contains(s, "KES 55,000.00 · 3 lines") {
		t.Fatalf("the built batch: %s", s)
	}
	list := b.batches()
	if len(list) != 1 || list[0].StaffID != fineractsim.SeedStaffPeter || list[0].State != "awaiting_approval" {
		t.Fatalf("stored batches %+v", list)
	}
	id := list[0].ID
	br.signOut()

	if st := br.signIn(fineractsim.SeedManager, fineractsim.SeedManagerPassword); st != http.StatusOK {
		t.Fatalf("manager's sign-in: %d", st)
	}
	br.open(fmt.Sprintf("/console/disburse/%d", id))
	if st := br.submit(`form[action$="/approve"] button`); st != http.StatusOK || !strings.Contains(br.text(".notice"), "approved") {
		t.Fatalf("approve: %d %q", st, br.text(".notice"))
	}
	if st := br.submit(`form[action$="/send"] button`); st != http.StatusOK || !strings.Contains(br.text(".notice"), "is being paid") {
		t.Fatalf("send: %d %q", st, br.text(".notice"))
	}
	v := b.waitBatch(id, "done", 60*time.Second)
	if v.ApprovedBy != fineractsim.SeedManager {
		t.Errorf("approved by %q", v.ApprovedBy)
	}
	paid := paymentsByRef(b.d)
	for _, l := range v.Lines {
		if l.State != "successful" || len(paid[l.Ref]) != 1 || len(e.fin.Disbursals(l.LoanID)) != 1 {
			t.Errorf("line %+v; payments %v", l, paid[l.Ref])
		}
	}
	br.reloadUntil(fmt.Sprintf("/console/disburse/%d", id), "every confirmation", func() bool {
		s := br.text("main")
		for _, l := range v.Lines {
			if !strings.Contains(s, l.Confirmation) {
				return false
			}
		}
		return strings.Contains(s, "3 successful")
	})
}
