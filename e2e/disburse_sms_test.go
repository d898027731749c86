package e2e

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mifos-edge/mifos-edge/daemon"
	"github.com/mifos-edge/mifos-edge/disburse"
	"github.com/mifos-edge/mifos-edge/fineractsim"
	"github.com/mifos-edge/mifos-edge/modemsim"
	"github.com/mifos-edge/mifos-edge/store"
)

// Mobile disbursement through provider sms-command, end to end: the real
// daemon, the pty modem with the money operator stand-in attached, the
// Fineract stand-in over HTTP and a real bbolt file.

const (
	// scPIN is the agent PIN in pin_file: it must never show in a listing
	// or a log.
	scPIN      = "918273"
	scOperator = "2882"
	scSender   = "AgentPay"
	// scUnit is one shilling in millionths.
	scUnit = 1_000_000
	// scLimit is Peter's limit per batch ([disbursement.limits]).
	scLimit = 50_000
	// scApprover may approve Peter's batches; scPeterUser is Peter as an
	// approver (of other officers' batches), who must not approve his own.
	scApprover  = fineractsim.SeedManager
	scPeterUser = "potieno"
)

// scBox is a branch box paying loans by operator SMS commands.
type scBox struct {
	e  *env
	op *modemsim.MoneyOperator
}

// scConfig is the [disbursement] tables of an sms-command box whose PIN
// is in pinFile. The success expression is GCashExample's in shillings.
func scConfig(pinFile string) string {
	return fmt.Sprintf(`
[disbursement]
provider = "sms-command"
payment_type_id = %d
default_limit = 5000
result_wait = "10s"
query_every = "10s"

[disbursement.limits]
"%d" = %d

[[disbursement.approver]]
user = %q
staff_id = %d

[[disbursement.approver]]
user = %q
staff_id = %d

[disbursement.sms_command]
operator = %q
reply_from = [%q]
command = "SEND {amount} {phone} {pin}"
pin_file = %q
phone_format = "national"
success = 'You have sent KES (?P<amount>[0-9,.]+) to (?P<phone>[0-9+]+)\. Ref\. No\. (?P<confirmation>[0-9]+)'
failure = '(?:failed|not successful)[.:]? *(?P<reason>.*)'
`, fineractsim.SeedPaymentMpesa, fineractsim.SeedStaffPeter, scLimit,
		scApprover, fineractsim.SeedStaffJane, scPeterUser, fineractsim.SeedStaffPeter,
		scOperator, scSender, pinFile)
}

// scNewBox starts a box (o: the modem's options) with the operator
// stand-in (Kenyan shillings, a float of one million) and Peter enrolled
// as an officer.
func scNewBox(t *testing.T, o envOptions) *scBox {
	t.Helper()
	pinFile := filepath.Join(t.TempDir(), "operator-pin")
	if err := os.WriteFile(pinFile, []byte(scPIN+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	o.fineract, o.extra = true, scConfig(pinFile)
	e := newEnv(t, o)
	op, err := modemsim.NewMoneyOperator(modemsim.MoneyOperatorOptions{Number: scOperator, Sender: scSender, PIN: scPIN,
		Float: 1_000_000 * scUnit, Currency: "KES", Country: "KE", ReplyDelay: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	e.sim.AddMoneyOperator(op)
	e.start()
	e.enrollOfficer(officerPIN)
	return &scBox{e: e, op: op}
}

var scBuiltRE = regexp.MustCompile(`batch (\d+) built`)

// scCreate builds a batch of Peter's loans with the CLI and returns its
// id and the CLI's words.
func (b *scBox) scCreate(items ...string) (uint64, string) {
	b.e.t.Helper()
	out, err := b.e.cli(append([]string{"disburse", "create", "--staff-id", strconv.Itoa(fineractsim.SeedStaffPeter)}, items...)...)
	if err != nil {
		b.e.t.Fatalf("disburse create %v: %v\n%s", items, err, out)
	}
	m := scBuiltRE.FindStringSubmatch(out)
	if m == nil {
		b.e.t.Fatalf("disburse create %v names no batch:\n%s", items, out)
	}
	id, _ := strconv.ParseUint(m[1], 10, 64)
	return id, out
}

// scBatch reads one batch through the control socket (fast enough to poll).
func (b *scBox) scBatch(id uint64) disburse.BatchView {
	b.e.t.Helper()
	var list []disburse.BatchView
	if err := callJSON(b.e, daemon.OpDisburseList, daemon.DisburseListArgs{Batch: id}, &list); err != nil || len(list) != 1 {
		b.e.t.Fatalf("disburse.list batch %d: %v (%d batches)", id, err, len(list))
	}
	return list[0]
}

// scWaitBatch polls batch id until cond holds.
func (b *scBox) scWaitBatch(id uint64, timeout time.Duration, what string, cond func(disburse.BatchView) bool) disburse.BatchView {
	b.e.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		v := b.scBatch(id)
		if cond(v) {
			return v
		}
		if time.Now().After(deadline) {
			b.e.t.Fatalf("timed out after %s waiting for batch %d: %s; it is %s:\n%s", timeout, id, what, v.State, scLines(v))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// scLines describes a batch's lines for a failure message.
func scLines(v disburse.BatchView) string {
	var s strings.Builder
	for _, l := range v.Lines {
		fmt.Fprintf(&s, "  line %d loan %d %s %s %s conf=%q reason=%q posted=%q txn=%d\n", l.ID, l.LoanID, l.Phone, l.Amount, l.State, l.Confirmation, l.Reason, l.Posted, l.FineractTxnID)
	}
	return s.String()
}

// scLineOf is the line of loan in v.
func scLineOf(t testing.TB, v disburse.BatchView, loan int64) disburse.LineView {
	t.Helper()
	for _, l := range v.Lines {
		if l.LoanID == loan {
			return l
		}
	}
	t.Fatalf("batch %d has no line of loan %d:\n%s", v.ID, loan, scLines(v))
	return disburse.LineView{}
}

// scListJSON runs `disburse list --json` and returns it typed and raw.
func (b *scBox) scListJSON() ([]disburse.BatchView, []map[string]any) {
	b.e.t.Helper()
	out, err := b.e.cli("disburse", "list", "--json")
	if err != nil {
		b.e.t.Fatalf("disburse list --json: %v\n%s", err, out)
	}
	var typed []disburse.BatchView
	var raw []map[string]any
	if err := json.Unmarshal([]byte(out), &typed); err != nil {
		b.e.t.Fatalf("disburse list --json does not read: %v\n%s", err, out)
	}
	if err := json.Unmarshal([]byte(out), &raw); err != nil {
		b.e.t.Fatal(err)
	}
	return typed, raw
}

// scWaitCommandSubmitting waits until the modem is taking the payment
// command of line.
func (b *scBox) scWaitCommandSubmitting(line uint64) {
	b.e.t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(2 * time.Millisecond) {
		var list []store.Outbound
		if err := callJSON(b.e, daemon.OpOutbox, daemon.ListArgs{Limit: 20}, &list); err != nil {
			b.e.t.Fatal(err)
		}
		for _, o := range list {
			if o.Origin != fmt.Sprintf("disburse:%d", line) {
				continue
			}
			if o.State == store.OutSubmitting {
				return
			}
			if o.State != store.OutQueued {
				b.e.t.Fatalf("line %d's command went %s before the modem was seen taking it", line, o.State)
			}
		}
		if time.Now().After(deadline) {
			b.e.t.Fatalf("the modem did not take line %d's command within 10s", line)
		}
	}
}

// scCheckUnknownCommand checks that line l's command SMS, cut by a crash
// while the modem took it, became unknown and was not sent again, and
// that the line went unknown (settled since only by the operator's late
// reply or a person).
func (b *scBox) scCheckUnknownCommand(l disburse.LineView) {
	e := b.e
	e.t.Helper()
	var list []store.Outbound
	if err := callJSON(e, daemon.OpOutbox, daemon.ListArgs{Limit: 1000}, &list); err != nil {
		e.t.Fatal(err)
	}
	n := 0
	for _, o := range list {
		if o.Origin == fmt.Sprintf("disburse:%d", l.ID) {
			n++
			if o.State != store.OutUnknown || o.Attempts != 1 {
				e.t.Fatalf("line %d's command SMS, cut by the crash, is %s after %d attempts", l.ID, o.State, o.Attempts)
			}
		}
	}
	if n != 1 {
		e.t.Fatalf("line %d has %d command SMS, want 1", l.ID, n)
	}
	var views []disburse.BatchView
	if err := callJSON(e, daemon.OpDisburseList, daemon.DisburseListArgs{Audit: true}, &views); err != nil {
		e.t.Fatal(err)
	}
	for _, v := range views {
		for _, a := range v.Audit {
			if a.Line == l.ID && strings.HasPrefix(a.What, "outcome unknown") {
				return
			}
		}
	}
	e.t.Fatalf("line %d (%s) never went unknown after the crash", l.ID, l.State)
}

// scPaidTo is what the operator paid to phone (E.164).
func (b *scBox) scPaidTo(phone string) []modemsim.OperatorPayment {
	var out []modemsim.OperatorPayment
	for _, p := range b.op.Payments() {
		if p.Phone == phone {
			out = append(out, p)
		}
	}
	return out
}

// scCommandsTo are the commands the operator received naming phone (E.164).
func (b *scBox) scCommandsTo(phone string) []modemsim.OperatorCommand {
	national := "0" + strings.TrimPrefix(phone, "+254")
	var out []modemsim.OperatorCommand
	for _, c := range b.op.Commands() {
		if f := strings.Fields(c.Text); len(f) == 4 && f[2] == national {
			out = append(out, c)
		}
	}
	return out
}

// scPINRE finds the PIN standing alone (not inside a longer number or a
// time's fraction of a second).
var scPINRE = regexp.MustCompile(`(^|[^0-9.])` + scPIN + `($|[^0-9])`)

// scNoSecret fails when a command the operator received, or the PIN,
// shows in text.
func (b *scBox) scNoSecret(where, text string) {
	b.e.t.Helper()
	for _, c := range b.op.Commands() {
		if strings.Contains(text, c.Text) {
			b.e.t.Fatalf("%s shows the payment command %q", where, c.Text)
		}
	}
	if m := scPINRE.FindStringIndex(text); m != nil {
		b.e.t.Fatalf("%s shows the PIN: …%s…", where, text[max(0, m[0]-80):min(len(text), m[1]+80)])
	}
}

// scCheckSecrets proves the command SMS (it holds the PIN) shows in no
// listing and no log: the outbox command, the outbox over the control
// socket, the daemon's logs.
func (b *scBox) scCheckSecrets() {
	e := b.e
	e.t.Helper()
	out, err := e.cli("outbox", "--limit", "500")
	if err != nil {
		e.t.Fatalf("outbox: %v\n%s", err, out)
	}
	if !strings.Contains(out, scOperator) {
		e.t.Fatalf("the outbox lists no command SMS to %s:\n%s", scOperator, out)
	}
	b.scNoSecret("mifos-edge outbox", out)
	var list []store.Outbound
	if err := callJSON(e, daemon.OpOutbox, daemon.ListArgs{Limit: 500}, &list); err != nil {
		e.t.Fatalf("outbox over the control socket: %v", err)
	}
	raw, _ := json.Marshal(list)
	b.scNoSecret("the outbox over the control socket", string(raw))
	for i := 1; i <= e.runs; i++ {
		log, err := os.ReadFile(filepath.Join(e.dir, fmt.Sprintf("daemon-%d.log", i)))
		if err != nil {
			e.t.Fatal(err)
		}
		b.scNoSecret(fmt.Sprintf("daemon log %d", i), string(log))
	}
}

// scDisbursedOnce checks Fineract recorded the successful line l once,
// with the operator's reference and [disbursement] payment_type_id.
func (b *scBox) scDisbursedOnce(l disburse.LineView, ref string) {
	t := b.e.t
	t.Helper()
	d := b.e.fin.Disbursals(l.LoanID)
	if len(d) != 1 {
		t.Fatalf("loan %d has %d disbursals in Fineract, want 1: %+v", l.LoanID, len(d), d)
	}
	if d[0].ReceiptNumber != ref || d[0].PaymentTypeID != fineractsim.SeedPaymentMpesa || d[0].ID != l.FineractTxnID ||
		"KES "+scMoney(int64(d[0].Amount)) != l.Amount {
		t.Fatalf("loan %d disbursed as %+v; the line is %+v, the operator's reference %s", l.LoanID, d[0], l, ref)
	}
}

// scMoney writes millionths as the box writes shillings ("12,000.00",
// the currency apart).
func scMoney(m int64) string {
	units := strconv.FormatInt(m/scUnit, 10)
	var s strings.Builder
	for i, r := range units {
		if i > 0 && (len(units)-i)%3 == 0 {
			s.WriteByte(',')
		}
		s.WriteRune(r)
	}
	return fmt.Sprintf("%s.%02d", s.String(), m%scUnit/10_000)
}

// TestDisburseBySMSCommand drives a batch of Peter's Tujenge loans from
// the command line to the operator and into Fineract: above Peter's limit
// it needs a second person; nobody sends it before, Peter cannot approve
// it, a non-approver cannot, and once approved it cannot be changed. The
// operator then pays one line normally (its reply comes twice), refuses
// one, and pays one without a word back (unknown, settled by a person
// with the reference the operator shows). Every loan is paid at most
// once, every command sent once, every paid loan disbursed once in
// Fineract with the operator's reference; the clients and Peter hear it
// by SMS, and the command SMS, holding the PIN, shows nowhere.
func TestDisburseBySMSCommand(t *testing.T) {
	b := scNewBox(t, envOptions{})
	e, op := b.e, b.op
	rose, lucy, joyce, mercy := fineractsim.SeedRosePhone, "+254711000049", fineractsim.SeedJoycePhone, fineractsim.SeedMercyPhone

	// Built above Peter's limit: KES 57,000.00 > 50,000.
	id, out := b.scCreate(fmt.Sprint(fineractsim.SeedLoanRose), fmt.Sprint(fineractsim.SeedLoanLucy),
		fmt.Sprintf("%d=12,000", fineractsim.SeedLoanJoyce), fmt.Sprint(fineractsim.SeedLoanMercy))
	if !strings.Contains(out, "needs approval") || !strings.Contains(out, "total KES 57,000.00") || !strings.Contains(out, "limit of KES 50,000.00") {
		t.Fatalf("disburse create:\n%s", out)
	}
	if v := b.scBatch(id); v.State != store.BatchAwaitingApproval || len(v.Lines) != 4 || scLineOf(t, v, fineractsim.SeedLoanJoyce).Amount != "KES 12,000.00" {
		t.Fatalf("batch %d is %s:\n%s", id, v.State, scLines(v))
	}
	refused := func(want string, args ...string) {
		t.Helper()
		out, err := e.cli(args...)
		if err == nil || !strings.Contains(out, want) {
			t.Fatalf("%v: %v, want a refusal saying %q:\n%s", args, err, want, out)
		}
	}
	sid := fmt.Sprint(id)
	refused("waits for approval", "disburse", "send", sid)
	refused("nobody approves a batch of their own", "disburse", "approve", "--user", scPeterUser, sid)
	refused("not a disbursement approver", "disburse", "approve", "--user", fineractsim.SeedTeller, sid)
	if v := b.scBatch(id); v.State != store.BatchAwaitingApproval || v.ApprovedBy != "" {
		t.Fatalf("after the refusals batch %d is %s, approved by %q", id, v.State, v.ApprovedBy)
	}
	if out, err := e.cli("disburse", "approve", "--user", scApprover, sid); err != nil || !strings.Contains(out, "approved by "+scApprover) {
		t.Fatalf("disburse approve: %v\n%s", err, out)
	}
	refused("cannot be changed", "disburse", "edit", sid, fmt.Sprint(fineractsim.SeedLoanRose), fmt.Sprint(fineractsim.SeedLoanLucy))
	if len(op.Commands()) != 0 {
		t.Fatalf("commands reached the operator before the batch was sent: %+v", op.Commands())
	}

	// The operator's faults, in the order the lines go (one in flight at
	// a time): Rose's reply comes twice, Lucy's number is refused,
	// Joyce's reply (the third command's) is lost, Mercy's is plain.
	op.DuplicateReplies(1)
	if err := op.FailPhone(lucy, "invalid recipient"); err != nil {
		t.Fatal(err)
	}
	op.LoseReplyOf(3)
	if out, err := e.cli("disburse", "send", sid); err != nil || !strings.Contains(out, "is being paid") {
		t.Fatalf("disburse send: %v\n%s", err, out)
	}

	// Joyce's line waits result_wait for a reply, then is unknown; Mercy's
	// goes on meanwhile.
	v := b.scWaitBatch(id, 45*time.Second, "Joyce's line unknown and the others settled", func(v disburse.BatchView) bool {
		for _, l := range v.Lines {
			want := store.LineSuccessful
			switch l.LoanID {
			case fineractsim.SeedLoanLucy:
				want = store.LineFailed
			case fineractsim.SeedLoanJoyce:
				want = store.LineUnknown
			}
			if l.State != want {
				return false
			}
		}
		return true
	})
	jl := scLineOf(t, v, fineractsim.SeedLoanJoyce)
	if jl.Confirmation != "" || jl.Reason == "" {
		t.Fatalf("the unknown line says %+v", jl)
	}
	joycePaid := b.scPaidTo(joyce)
	if len(joycePaid) != 1 || joycePaid[0].Amount != 12_000*scUnit {
		t.Fatalf("the operator paid Joyce %+v, want once KES 12,000.00", joycePaid)
	}
	// Peter hears that the operator did not answer for Joyce.
	e.waitText(fineractsim.SeedPeterPhone, "no answer from the operator for Joyce Adhiambo", 20*time.Second)
	// A person takes a moment to check with the operator; meanwhile the
	// engine has nothing to do.
	time.Sleep(2 * time.Second)
	// Only an unknown line is settled by hand, and only with a reference.
	rl := scLineOf(t, v, fineractsim.SeedLoanRose)
	refused("only a line whose outcome is unknown", "disburse", "resolve", fmt.Sprint(rl.ID), "--failed", "not paid after all")
	refused("not an operator confirmation number", "disburse", "resolve", fmt.Sprint(jl.ID), "--successful", "see the SMS")
	out, err := e.cli("disburse", "resolve", fmt.Sprint(jl.ID), "--successful", joycePaid[0].Ref)
	if err != nil || !strings.Contains(out, "successful") || !strings.Contains(out, joycePaid[0].Ref) {
		t.Fatalf("disburse resolve: %v\n%s", err, out)
	}

	// The batch is done once every paid loan is recorded in Fineract: at
	// once, not at the engine's next idle look a minute later.
	b.scWaitBatch(id, 20*time.Second, "done", func(v disburse.BatchView) bool { return v.State == store.BatchDone })
	summary := e.waitText(fineractsim.SeedPeterPhone, fmt.Sprintf("Disbursement batch %d done", id), 30*time.Second)
	if !strings.Contains(summary.Text, "3 of 4 paid, KES 42,000.00") || !strings.Contains(summary.Text, "invalid recipient") ||
		!strings.Contains(summary.Text, "000001002") {
		t.Fatalf("Peter's summary: %q", summary.Text)
	}

	// The operator: each client paid at most once, each command sent once.
	for _, p := range []string{rose, joyce, mercy} {
		if n := len(b.scPaidTo(p)); n != 1 {
			t.Fatalf("the operator paid %s %d times, want 1: %+v", p, n, op.Payments())
		}
	}
	if n := len(b.scPaidTo(lucy)); n != 0 {
		t.Fatalf("the operator paid Lucy, whose number it refuses: %+v", op.Payments())
	}
	if n := len(op.Payments()); n != 3 {
		t.Fatalf("%d payments, want 3: %+v", n, op.Payments())
	}
	cmds := op.Commands()
	if len(cmds) != 4 {
		t.Fatalf("%d commands reached the operator, want 4: %+v", len(cmds), cmds)
	}
	for i, p := range []string{rose, lucy, joyce, mercy} {
		c := b.scCommandsTo(p)
		if len(c) != 1 || !strings.HasSuffix(c[0].Text, " "+scPIN) || cmds[i].Text != c[0].Text {
			t.Fatalf("commands naming %s: %+v (all: %+v)", p, c, cmds)
		}
	}
	if len(cmds[0].Replies) != 2 || len(cmds[2].Replies) != 0 || cmds[2].Text != "SEND 12000.00 0711000050 "+scPIN {
		t.Fatalf("the faults did not hit the lines meant: %+v", cmds)
	}
	if n := len(e.sentTo(scOperator)); n != 4 {
		t.Fatalf("the modem sent %d SMS to the operator, want 4", n)
	}

	// `disburse list --json`: every line's state, confirmation, time,
	// reason and Mifos transaction.
	typed, raw := b.scListJSON()
	if len(typed) != 1 || typed[0].ID != id || typed[0].State != store.BatchDone || typed[0].ApprovedBy != scApprover {
		t.Fatalf("disburse list --json: %+v", typed)
	}
	rawLines, _ := raw[0]["lines"].([]any)
	for i, rl := range rawLines {
		m, _ := rl.(map[string]any)
		for _, k := range []string{"id", "loan_id", "account_no", "client_id", "client", "phone", "amount", "state", "confirmation",
			"time", "reason", "fineract_txn_id", "ref"} {
			if _, ok := m[k]; !ok {
				t.Fatalf("line %d of disburse list --json lacks %q: %v", i, k, m)
			}
		}
	}
	refOf := map[string]string{}
	for _, p := range op.Payments() {
		refOf[p.Phone] = p.Ref
	}
	for _, l := range typed[0].Lines {
		if l.Time == nil || l.Time.IsZero() {
			t.Fatalf("line %d has no time: %+v", l.ID, l)
		}
		if l.LoanID == fineractsim.SeedLoanLucy {
			if l.State != store.LineFailed || !strings.Contains(l.Reason, "invalid recipient") || l.Confirmation != "" || l.FineractTxnID != 0 {
				t.Fatalf("Lucy's line: %+v", l)
			}
			if d := e.fin.Disbursals(l.LoanID); len(d) != 0 || e.fin.LoanStatus(l.LoanID) != 200 {
				t.Fatalf("Lucy's loan, not paid, was disbursed: %+v", d)
			}
			continue
		}
		ref := refOf[l.Phone]
		if l.State != store.LineSuccessful || l.Confirmation != ref || ref == "" || l.FineractTxnID == 0 || l.Posted != store.JournalDone || l.Reason != "" || l.Conflict != "" {
			t.Fatalf("line %d: %+v (operator's reference %q)", l.ID, l, ref)
		}
		b.scDisbursedOnce(l, ref)
		// The client hears the amount, the reference and the first instalment.
		sms := e.waitText(l.Phone, ref, 30*time.Second)
		if !strings.Contains(sms.Text, "of "+l.Amount) || !strings.Contains(sms.Text, "First instalment: KES ") || !strings.Contains(sms.Text, l.AccountNo) {
			t.Fatalf("the SMS to %s: %q (line %+v)", l.Phone, sms.Text, l)
		}
	}
	if got := e.sentTo(lucy); len(got) != 0 {
		t.Fatalf("Lucy, not paid, got SMS: %+v", got)
	}
	// The duplicate reply changed nothing: still one disbursal, one SMS.
	time.Sleep(500 * time.Millisecond)
	for _, p := range []string{rose, joyce, mercy} {
		if n := len(e.sentTo(p)); n != 1 {
			t.Fatalf("%s got %d SMS, want 1: %+v", p, n, e.sentTo(p))
		}
	}
	told := 0
	for _, s := range e.sentTo(fineractsim.SeedPeterPhone) {
		if strings.Contains(s.Text, "no answer from the operator") {
			told++
		}
	}
	if told != 1 {
		t.Fatalf("Peter was told %d times of the unanswered line, want once", told)
	}
	b.scCheckSecrets()
}

// TestDisburseRefusesBadBatches: with the daemon running, a batch holding
// a loan that cannot be paid out is refused whole, naming each bad loan
// and why; nothing is stored and nothing reaches the operator.
func TestDisburseRefusesBadBatches(t *testing.T) {
	b := scNewBox(t, envOptions{})
	e := b.e
	bad := []struct {
		item string
		loan int64
		why  string
	}{
		{fmt.Sprint(fineractsim.SeedLoanGracePending), fineractsim.SeedLoanGracePending, "not approved yet"},
		{fmt.Sprint(fineractsim.SeedLoanAmina), fineractsim.SeedLoanAmina, "already disbursed"},
		{fmt.Sprint(fineractsim.SeedLoanBeatrice), fineractsim.SeedLoanBeatrice, "has no mobile number"},
		{fmt.Sprintf("%d=20000.01", fineractsim.SeedLoanRose), fineractsim.SeedLoanRose, "more than the approved KES 20,000.00"},
		{fmt.Sprint(fineractsim.SeedLoanDaniel), fineractsim.SeedLoanDaniel, fmt.Sprintf("staff %d", fineractsim.SeedStaffOmondi)},
	}
	create := func(items ...string) string {
		t.Helper()
		out, err := e.cli(append([]string{"disburse", "create", "--staff-id", strconv.Itoa(fineractsim.SeedStaffPeter)}, items...)...)
		if err == nil || !strings.Contains(out, "nothing will be paid") {
			t.Fatalf("disburse create %v was not refused: %v\n%s", items, err, out)
		}
		return out
	}
	// All at once, with a good loan among them: every bad one named.
	items := []string{fmt.Sprint(fineractsim.SeedLoanLucy)}
	for _, c := range bad {
		items = append(items, c.item)
	}
	out := create(items...)
	for _, c := range bad {
		if !regexp.MustCompile(fmt.Sprintf(`loan %d: [^\n]*%s`, c.loan, regexp.QuoteMeta(c.why))).MatchString(out) {
			t.Fatalf("the refusal does not say loan %d: %q:\n%s", c.loan, c.why, out)
		}
	}
	if strings.Contains(out, fmt.Sprintf("loan %d:", fineractsim.SeedLoanLucy)) {
		t.Fatalf("the good loan is named as refused:\n%s", out)
	}
	// Each alone.
	for _, c := range bad {
		out := create(c.item)
		if !strings.Contains(out, fmt.Sprintf("loan %d: ", c.loan)) || !strings.Contains(out, c.why) {
			t.Fatalf("loan %d alone: the refusal does not say %q:\n%s", c.loan, c.why, out)
		}
	}
	if list, _ := b.scListJSON(); len(list) != 0 {
		t.Fatalf("refused batches were stored: %+v", list)
	}
	time.Sleep(300 * time.Millisecond)
	if n := len(b.op.Commands()); n != 0 || len(e.sentTo(scOperator)) != 0 {
		t.Fatalf("%d commands reached the operator", n)
	}
	for _, c := range bad {
		if d := e.fin.Disbursals(c.loan); c.loan != fineractsim.SeedLoanAmina && len(d) != 0 {
			t.Fatalf("loan %d disbursed: %+v", c.loan, d)
		}
	}
}

// scAddLoans adds n approved Biashara loans of Peter's, each of a new
// client with a mobile number of its own, and returns their ids.
func scAddLoans(fin *fineractsim.Server, n int, seq *int) (loans []int64) {
	today := fin.BusinessDate()
	for range n {
		*seq++
		ph := fmt.Sprintf("+2547120%05d", *seq)
		c := fin.AddClient(fineractsim.Client{Firstname: "Client", Lastname: fmt.Sprintf("N%d", *seq), MobileNo: ph,
			OfficeID: fineractsim.SeedOffice, StaffID: fineractsim.SeedStaffPeter, ActivationDate: today.AddDate(0, -4, 0)})
		id := fin.AddLoan(fineractsim.Loan{ClientID: c, LoanOfficerID: fineractsim.SeedStaffPeter, ProductID: 1,
			ProductName: "Biashara 6M", ShortProductName: "BI6", NumberOfRepayments: 6, AnnualInterestRate: fineractsim.MustAmount("25"),
			StatusID: 200, Principal: fineractsim.MustAmount(strconv.Itoa(1000 + *seq*10)),
			SubmittedOn: today.AddDate(0, 0, -7), ApprovedOn: today.AddDate(0, 0, -1), ExpectedDisbursement: today})
		loans = append(loans, id)
	}
	return loans
}

// TestDisburseCommandKilledMidSend kills the daemon (-9) right after
// `disburse send`, on a fresh batch each round: twice while the modem
// holds the first command (the second time its reply is lost), then at
// random moments. After each restart it proves what the design promises:
// a command cut by the crash is never sent again, no client is paid
// twice, every line ends successful or unknown, and an unknown line is
// settled by a person with the operator's reference.
func TestDisburseCommandKilledMidSend(t *testing.T) {
	// The modem takes 200ms per SMS part, so a kill often lands while
	// it holds a command.
	b := scNewBox(t, envOptions{sendDelay: 200 * time.Millisecond})
	e, op := b.e, b.op
	seed := rand.Uint64()
	t.Logf("random seed %d", seed)
	rnd := rand.New(rand.NewPCG(seed, seed))
	seq := 0
	var batches []uint64
	for i := range 4 {
		loans := scAddLoans(e.fin, 3, &seq)
		items := make([]string, len(loans))
		for j, l := range loans {
			items[j] = fmt.Sprint(l)
		}
		id, out := b.scCreate(items...)
		if !strings.Contains(out, "no approval needed") {
			t.Fatalf("round %d: %s", i, out)
		}
		first := b.scBatch(id).Lines[0].ID
		if i < 2 {
			// The modem takes 3s to answer for the first command (nothing
			// else waits in the outbox), long enough to kill the box
			// while it holds it, even on a busy machine.
			for deadline := time.Now().Add(30 * time.Second); !e.drained(); time.Sleep(20 * time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatalf("round %d: the outbox does not drain", i)
				}
			}
			e.sim.DelaySends(1, 3*time.Second)
		}
		if i == 1 {
			// The operator carries out the command, its reply is lost.
			op.LoseReplies(1)
		}
		if out, err := e.cli("disburse", "send", fmt.Sprint(id)); err != nil {
			t.Fatalf("round %d: disburse send: %v\n%s", i, err, out)
		}
		var when string
		switch i {
		case 0:
			// The box dies as the modem starts taking the first command:
			// it may have the command or not. If it does, it answers
			// after the restart and the operator's reply, late, settles
			// the line gone unknown.
			b.scWaitCommandSubmitting(first)
			when = "as the modem took the first command"
		case 1:
			// The box dies once the modem has the command, before it
			// answers: the operator pays, nobody tells the box.
			b.scWaitCommandSubmitting(first)
			time.Sleep(300 * time.Millisecond)
			when = "while the modem held the first command"
		default:
			// Anywhere in the first two lines' round trips (command,
			// reply, the client's SMS, the next command).
			delay := time.Duration(rnd.IntN(2000)) * time.Millisecond
			time.Sleep(delay)
			when = fmt.Sprintf("%s after send", delay)
		}
		e.kill9()
		t.Logf("round %d: batch %d killed %s; the operator has %d commands", i, id, when, len(op.Commands()))
		e.start()
		batches = append(batches, id)
		// Every line settles or stays unknown (result_wait 10s at most).
		v := b.scWaitBatch(id, 60*time.Second, "every line successful, failed or unknown", func(v disburse.BatchView) bool {
			for _, l := range v.Lines {
				if l.State == store.LinePending || l.State == store.LineSent {
					return false
				}
			}
			return true
		})
		if i < 2 {
			b.scCheckUnknownCommand(v.Lines[0])
		}
		for _, l := range v.Lines {
			if l.State == store.LineFailed {
				t.Fatalf("round %d: line %d failed: %+v", i, l.ID, l)
			}
			paid, cmds := b.scPaidTo(l.Phone), b.scCommandsTo(l.Phone)
			if len(paid) > 1 || len(cmds) > 1 {
				t.Fatalf("round %d: %s paid %d times by %d commands", i, l.Phone, len(paid), len(cmds))
			}
			if l.State != store.LineUnknown {
				if len(paid) != 1 || l.Confirmation != paid[0].Ref {
					t.Fatalf("round %d: line %+v, the operator paid %+v", i, l, paid)
				}
				continue
			}
			// A person checks with the operator and settles the line.
			args := []string{"disburse", "resolve", fmt.Sprint(l.ID), "--failed", "the operator has no such payment"}
			if len(paid) == 1 {
				args = []string{"disburse", "resolve", fmt.Sprint(l.ID), "--successful", paid[0].Ref}
			}
			if out, err := e.cli(args...); err != nil {
				t.Fatalf("round %d: %v: %v\n%s", i, args, err, out)
			}
			t.Logf("round %d: line %d was unknown (%s); %d commands, %d payments; resolved", i, l.ID, l.Reason, len(cmds), len(paid))
		}
	}
	for i, id := range batches {
		v := b.scWaitBatch(id, 30*time.Second, "done", func(v disburse.BatchView) bool { return v.State == store.BatchDone })
		for _, l := range v.Lines {
			paid := b.scPaidTo(l.Phone)
			switch l.State {
			case store.LineSuccessful:
				if len(paid) != 1 {
					t.Fatalf("round %d: line %d successful, the operator paid %+v", i, l.ID, paid)
				}
				b.scDisbursedOnce(l, paid[0].Ref)
			case store.LineFailed:
				if len(paid) != 0 || len(e.fin.Disbursals(l.LoanID)) != 0 {
					t.Fatalf("round %d: line %d failed, but paid %+v", i, l.ID, paid)
				}
			default:
				t.Fatalf("round %d: line %d is %s", i, l.ID, l.State)
			}
		}
	}
	// Nothing goes out again later either.
	cmds := len(op.Commands())
	time.Sleep(time.Second)
	if n := len(op.Commands()); n != cmds {
		t.Fatalf("%d more commands after every batch was done", n-cmds)
	}
	for _, p := range op.Payments() {
		if n := len(b.scPaidTo(p.Phone)); n != 1 {
			t.Fatalf("%s paid %d times", p.Phone, n)
		}
	}
	seen := map[string]bool{}
	for _, c := range op.Commands() {
		if seen[c.Text] {
			t.Fatalf("command sent twice: %q", c.Text)
		}
		seen[c.Text] = true
	}
	b.scCheckSecrets()
}
