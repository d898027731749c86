package modemsim

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mifos-edge/mifos-edge/disburse"
	"github.com/mifos-edge/mifos-edge/disburse/smscommand"
	"github.com/mifos-edge/mifos-edge/pdu"
)

const (
	agentPIN = "4821"
	peso     = 1_000_000 // millionths
)

// gcashBox is a modem with the GCash stand-in attached and a host that
// gets incoming SMS pushed (+CMT).
func gcashBox(t *testing.T, float int64) (*Sim, *MoneyOperator, *host) {
	t.Helper()
	s := start(t, "generic", nil)
	op, err := NewMoneyOperator(MoneyOperatorOptions{PIN: agentPIN, Float: float, ReplyDelay: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	s.AddMoneyOperator(op)
	c := quiet(t, s)
	c.ok("AT+CNMI=2,2,0,0,0")
	return s, op, &host{t: t, c: c}
}

// host sends commands as the daemon does and keeps the SMS pushed to it
// meanwhile (a +CMT may come at any time between commands).
type host struct {
	t       *testing.T
	c       *lineClient
	pending []pushed
}

type pushed struct {
	from string
	toa  byte
	text string
}

// line reads the next line that is not an incoming SMS; an SMS pushed
// meanwhile is kept for reply.
func (h *host) line() string {
	h.t.Helper()
	for {
		if l, sms := h.read(); !sms {
			return l
		}
	}
}

// read reads one line, or one incoming SMS (kept for reply).
func (h *host) read() (line string, sms bool) {
	h.t.Helper()
	l := h.c.line()
	if !strings.HasPrefix(l, "+CMT:") {
		return l, false
	}
	d, text := decodePDULine(h.t, h.c.line(), lastInt(h.t, l))
	h.pending = append(h.pending, pushed{from: d.OA.Number(), toa: d.OA.TOA, text: text})
	return "", true
}

// command sends text to to, every part accepted.
func (h *host) command(to, text string) {
	h.t.Helper()
	parts, err := pdu.EncodeSubmit(to, text, 9)
	if err != nil {
		h.t.Fatal(err)
	}
	for _, p := range parts {
		h.c.send(fmt.Sprintf("AT+CMGS=%d\r", p.TPDULen))
		if l := h.line(); l != ">" {
			h.t.Fatalf("got %q, want the prompt", l)
		}
		h.c.send(p.Hex + "\x1a")
		for {
			l := h.line()
			if l == "OK" {
				break
			}
			if isFinal(l) {
				h.t.Fatalf("sending %q: %s", text, l)
			}
		}
	}
}

// reply is the next SMS pushed to the host.
func (h *host) reply() pushed {
	h.t.Helper()
	for len(h.pending) == 0 {
		if l, sms := h.read(); !sms {
			h.t.Fatalf("unexpected line %q", l)
		}
	}
	p := h.pending[0]
	h.pending = h.pending[1:]
	return p
}

// gcashReader reads replies as a box set up with the GCash example does.
func gcashReader(t *testing.T) *smscommand.Provider {
	t.Helper()
	cfg := smscommand.GCashExample()
	cfg.PIN = agentPIN
	p, err := smscommand.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestMoneyOperatorPaysAndReplies(t *testing.T) {
	_, op, h := gcashBox(t, 50_000*peso)
	read := gcashReader(t)
	// The command as the provider writes it for a line.
	to, text, err := read.Command(disburse.Order{LineID: 1, Ref: "L1", Phone: "+639171234567", Amount: 1000 * peso, Currency: "PHP"})
	if err != nil {
		t.Fatal(err)
	}
	h.command(to, text)
	got := h.reply()
	want := "You have sent PHP 1,000.00 to 09171234567. Ref. No. 7012121108038. Your new balance is PHP 49,000.00."
	if got.from != "GCash" || got.toa != 0xD0 || got.text != want {
		t.Fatalf("reply from %q (TOA %#x): %q\nwant from GCash (TOA 0xd0): %q", got.from, got.toa, got.text, want)
	}
	r, ok := read.Reply(got.from, got.text, time.Time{})
	if !ok || r.Outcome != disburse.Paid || r.Confirmation != "7012121108038" || r.Amount != 1000*peso || r.Phone != "+639171234567" {
		t.Fatalf("the GCash example reads the reply as %+v, %v", r, ok)
	}
	if pays := op.Payments(); len(pays) != 1 || pays[0].Phone != "+639171234567" || pays[0].Amount != 1000*peso || pays[0].Ref != "7012121108038" {
		t.Fatalf("payments %+v", pays)
	}
	if op.Balance() != 49_000*peso {
		t.Fatalf("balance %d", op.Balance())
	}

	// Numbers in every form of the country; the next reference differs.
	h.command("2882", "send 250.5 +639181112222 "+agentPIN)
	if got := h.reply(); got.text != "You have sent PHP 250.50 to 09181112222. Ref. No. 7012121109275. Your new balance is PHP 48,749.50." {
		t.Fatalf("second reply %q", got.text)
	}
	if cmds := op.Commands(); len(cmds) != 2 || !cmds[0].Paid || cmds[0].Text != text || len(cmds[1].Replies) != 1 {
		t.Fatalf("commands %+v", cmds)
	}
}

func TestMoneyOperatorRefuses(t *testing.T) {
	cases := []struct {
		name   string
		setup  func(*MoneyOperator)
		text   string
		reason string
	}{
		{"wrong MPIN", nil, "SEND 100 09171234567 0000", "wrong MPIN"},
		{"float too small", func(op *MoneyOperator) { op.SetFloat(99 * peso) }, "SEND 100.00 09171234567 " + agentPIN, "insufficient balance"},
		{"a failing number", func(op *MoneyOperator) {
			if err := op.FailPhone("+639181112222", "invalid recipient"); err != nil {
				t.Fatal(err)
			}
		}, "SEND 100 09181112222 " + agentPIN, "invalid recipient"},
		{"another reason for a number", func(op *MoneyOperator) { _ = op.FailPhone("09181112222", "recipient wallet limit reached") },
			"SEND 100 639181112222 " + agentPIN, "recipient wallet limit reached"},
		{"a foreign number", nil, "SEND 100 +254722000012 " + agentPIN, "invalid recipient"},
		{"not a number", nil, "SEND 100 0917 " + agentPIN, "invalid recipient"},
		{"thousands separators", nil, "SEND 1,000.00 09171234567 " + agentPIN, "invalid amount"},
		{"a fraction of a centavo", nil, "SEND 10.005 09171234567 " + agentPIN, "invalid amount"},
		{"nothing to send", nil, "SEND 0.00 09171234567 " + agentPIN, "invalid amount"},
		{"a word missing", nil, "SEND 100 09171234567", "invalid format. Text SEND <amount> <mobile number> <MPIN> to 2882"},
		{"another keyword", nil, "PAY 100 09171234567 " + agentPIN, "invalid format. Text SEND <amount> <mobile number> <MPIN> to 2882"},
	}
	read := gcashReader(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, op, h := gcashBox(t, 50_000*peso)
			if tc.setup != nil {
				tc.setup(op)
			}
			before := op.Balance()
			h.command("2882", tc.text)
			got := h.reply()
			if want := "Your transaction failed: " + tc.reason + "."; got.from != "GCash" || got.text != want {
				t.Fatalf("reply from %q: %q, want %q", got.from, got.text, want)
			}
			if r, ok := read.Reply(got.from, got.text, time.Time{}); !ok || r.Outcome != disburse.NotPaid || r.Reason != tc.reason {
				t.Fatalf("the GCash example reads %+v, %v", r, ok)
			}
			if len(op.Payments()) != 0 || op.Balance() != before {
				t.Fatalf("paid %+v, balance %d from %d", op.Payments(), op.Balance(), before)
			}
		})
	}
}

// Three wrong MPINs lock the wallet; the right one is then refused too,
// until the MPIN is set again.
func TestMoneyOperatorLocksAfterWrongPINs(t *testing.T) {
	_, op, h := gcashBox(t, 50_000*peso)
	for range 3 {
		h.command("2882", "SEND 100 09171234567 1111")
		if got := h.reply(); got.text != "Your transaction failed: wrong MPIN." {
			t.Fatalf("wrong MPIN answered %q", got.text)
		}
	}
	h.command("2882", "SEND 100 09171234567 "+agentPIN)
	if got := h.reply(); !strings.HasPrefix(got.text, "Your transaction failed: your account is locked") {
		t.Fatalf("locked wallet answered %q", got.text)
	}
	op.SetPIN(agentPIN)
	h.command("2882", "SEND 100 09171234567 "+agentPIN)
	if got := h.reply(); !strings.HasPrefix(got.text, "You have sent PHP 100.00") {
		t.Fatalf("unlocked wallet answered %q", got.text)
	}
	if len(op.Payments()) != 1 {
		t.Fatalf("payments %+v", op.Payments())
	}
}

// An SMS service reads each part of a long SMS alone: a command whose
// first part reads whole is paid, and the rest is a second, bad command.
// This is why the provider never lets a command split.
func TestMoneyOperatorReadsEachPartAlone(t *testing.T) {
	_, op, h := gcashBox(t, 50_000*peso)
	first := "SEND 100.00 09171234567 " + agentPIN
	first += strings.Repeat(" ", pdu.PartGSM7Septets-len(first))
	h.command("2882", first+"and the rest of a long command")
	texts := []string{h.reply().text, h.reply().text}
	if !strings.HasPrefix(texts[0], "You have sent PHP 100.00") || !strings.HasPrefix(texts[1], "Your transaction failed: invalid format") {
		t.Fatalf("replies %q", texts)
	}
	if len(op.Payments()) != 1 || len(op.Commands()) != 2 {
		t.Fatalf("payments %+v, commands %+v", op.Payments(), op.Commands())
	}
}

func TestMoneyOperatorIgnoresOtherNumbers(t *testing.T) {
	s, op, h := gcashBox(t, 50_000*peso)
	h.command("+639171234567", "SEND 100 09171234567 "+agentPIN)
	h.command("+2882", "SEND 200 09171234567 "+agentPIN)
	if got := h.reply(); !strings.HasPrefix(got.text, "You have sent PHP 200.00") {
		t.Fatalf("first reply %q: the SMS to a client's number was read as a command", got.text)
	}
	if len(op.Commands()) != 1 || len(s.Sent()) != 2 {
		t.Fatalf("commands %+v, sent %d", op.Commands(), len(s.Sent()))
	}
}

// Faults change the replies, never how often a command pays: each case
// sends one command under the fault, then a plain one, whose reply marks
// the end of what the first produced.
func TestMoneyOperatorFaults(t *testing.T) {
	const plain = "You have sent PHP 1.00 to 09181112222."
	read := gcashReader(t)
	cases := []struct {
		name     string
		fault    func(*MoneyOperator)
		replies  []string // prefixes, in arrival order, up to the plain reply
		paid     bool
		readable bool // the GCash example reads the faulty reply
	}{
		{"lost reply", func(op *MoneyOperator) { op.LoseReplies(1) }, []string{plain}, true, false},
		{"lost failure", func(op *MoneyOperator) { op.LoseReplies(1); op.SetPIN("0000") }, nil, false, false},
		{"duplicate reply", func(op *MoneyOperator) { op.DuplicateReplies(1) }, []string{"You have sent PHP 500.00", "You have sent PHP 500.00", plain}, true, true},
		{"late reply", func(op *MoneyOperator) { op.DelayReplies(1, time.Second) }, []string{plain, "You have sent PHP 500.00"}, true, true},
		{"garbage, paid", func(op *MoneyOperator) { op.GarbleReplies(1, true) }, []string{OperatorGarbage, plain}, true, false},
		{"garbage, not paid", func(op *MoneyOperator) { op.GarbleReplies(1, false) }, []string{OperatorGarbage, plain}, false, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, op, h := gcashBox(t, 50_000*peso)
			tc.fault(op)
			h.command("2882", "SEND 500 09171234567 "+agentPIN)
			if tc.name == "lost failure" {
				// The next command carries the PIN the operator expects now.
				h.command("2882", "SEND 1 09181112222 0000")
				tc.replies = []string{plain}
			} else {
				h.command("2882", "SEND 1 09181112222 "+agentPIN)
			}
			for i, want := range tc.replies {
				got := h.reply()
				if !strings.HasPrefix(got.text, want) || got.from != "GCash" {
					t.Fatalf("reply %d from %s: %q, want %q…", i+1, got.from, got.text, want)
				}
				if want == plain {
					continue
				}
				if _, ok := read.Reply(got.from, got.text, time.Time{}); ok != tc.readable {
					t.Fatalf("the GCash example reads %q: %v, want %v", got.text, ok, tc.readable)
				}
			}
			pays := op.Payments()
			paid500 := 0
			for _, p := range pays {
				if p.Amount == 500*peso {
					paid500++
				}
			}
			if want := map[bool]int{true: 1, false: 0}[tc.paid]; paid500 != want {
				t.Fatalf("the command under the fault paid %d times, want %d: %+v", paid500, want, pays)
			}
			var spent int64
			for _, p := range pays {
				spent += p.Amount
			}
			if op.Balance()+spent != 50_000*peso {
				t.Fatalf("balance %d after paying %d from 50000", op.Balance(), spent)
			}
		})
	}
}

// The network keeps a reply while the modem reboots and delivers it
// after: it is stored (CNMI is back to its default), not lost.
func TestMoneyOperatorReplyOutlivesReboot(t *testing.T) {
	s, op, h := gcashBox(t, 50_000*peso)
	op.DelayReplies(1, 300*time.Millisecond)
	h.command("2882", "SEND 500 09171234567 "+agentPIN)
	s.Reboot()
	deadline := time.Now().Add(wait)
	for {
		h.c.ok("ATE0")
		h.c.ok("AT+CMEE=1")
		info := h.c.ok("AT+CMGL=4")
		if len(info) == 2 {
			if _, text := decodePDULine(t, info[1], lastInt(t, info[0])); !strings.HasPrefix(text, "You have sent PHP 500.00") {
				t.Fatalf("stored %q", text)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no reply stored after the reboot: %q", info)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Faults and inspection from other goroutines while commands flow: the
// float and the payments always add up (run with -race).
func TestMoneyOperatorConcurrentFaults(t *testing.T) {
	s, op, h := gcashBox(t, 1_000*peso)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-done:
				return
			default:
			}
			switch i % 5 {
			case 0:
				op.LoseReplies(1)
			case 1:
				op.DuplicateReplies(1)
			case 2:
				op.DelayReplies(1, time.Millisecond)
			case 3:
				_ = op.FailPhone("09181112222", "invalid recipient")
			case 4:
				_ = op.FailPhone("09181112222", "")
			}
			_, _ = op.Payments(), op.Commands()
			_ = op.Balance()
			_ = s.Describe()
			time.Sleep(time.Millisecond)
		}
	}()
	for range 10 {
		h.command("2882", "SEND 10 09181112222 "+agentPIN)
	}
	close(done)
	wg.Wait()
	var spent int64
	for _, p := range op.Payments() {
		spent += p.Amount
	}
	if len(op.Commands()) != 10 || op.Balance()+spent != 1_000*peso {
		t.Fatalf("%d commands; balance %d after paying %d from 1000", len(op.Commands()), op.Balance(), spent)
	}
}

func TestNewMoneyOperatorRefuses(t *testing.T) {
	for _, o := range []MoneyOperatorOptions{
		{},
		{PIN: agentPIN, Number: "GCash"},
		{PIN: agentPIN, Country: "GB"},
		{PIN: agentPIN, Float: -1},
	} {
		if _, err := NewMoneyOperator(o); err == nil {
			t.Errorf("NewMoneyOperator(%+v) accepted", o)
		}
	}
}

// The stand-in serves any country whose numbers the box knows: here a
// Kenyan agent line paying KES, read by the GCash example with its
// currency and country changed.
func TestMoneyOperatorInAnotherCountry(t *testing.T) {
	s := start(t, "generic", nil)
	op, err := NewMoneyOperator(MoneyOperatorOptions{Number: "+254700123123", Sender: "AgentPay", PIN: agentPIN,
		Float: 20_000 * peso, Currency: "KES", Country: "KE", ReplyDelay: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	s.AddMoneyOperator(op)
	c := quiet(t, s)
	c.ok("AT+CNMI=2,2,0,0,0")
	h := &host{t: t, c: c}
	cfg := smscommand.GCashExample()
	cfg.Operator, cfg.ReplyFrom, cfg.Country, cfg.PIN = "+254700123123", []string{"AgentPay"}, "KE", agentPIN
	cfg.Success = strings.Replace(cfg.Success, "PHP", "KES", 1)
	read, err := smscommand.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	to, text, err := read.Command(disburse.Order{LineID: 1, Ref: "L1", Phone: "+254722000012", Amount: 15_000 * peso, Currency: "KES"})
	if err != nil || text != "SEND 15000.00 0722000012 "+agentPIN {
		t.Fatalf("command %q, %v", text, err)
	}
	h.command(to, text)
	got := h.reply()
	if got.from != "AgentPay" || got.text != "You have sent KES 15,000.00 to 0722000012. Ref. No. 7012121108038. Your new balance is KES 5,000.00." {
		t.Fatalf("reply from %s: %q", got.from, got.text)
	}
	if r, ok := read.Reply(got.from, got.text, time.Time{}); !ok || r.Outcome != disburse.Paid || r.Phone != "+254722000012" || r.Amount != 15_000*peso {
		t.Fatalf("read %+v, %v", r, ok)
	}
}

// LoseReplyOf loses only the k-th command's reply.
func TestLoseReplyOfTheThirdCommandOnly(t *testing.T) {
	op, err := NewMoneyOperator(MoneyOperatorOptions{PIN: "4821", Float: 100_000 * 1_000_000})
	if err != nil {
		t.Fatal(err)
	}
	op.LoseReplyOf(3)
	var got []int
	for i := 0; i < 4; i++ {
		got = append(got, len(op.receive("SEND 100 09171234567 4821", false)))
	}
	if want := []int{1, 1, 0, 1}; !slices.Equal(got, want) {
		t.Fatalf("replies per command %v, want %v", got, want)
	}
	if n := len(op.Payments()); n != 4 {
		t.Fatalf("%d payments, want 4 (a lost reply is still paid)", n)
	}
}
