package modemsim

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/warthog618/sms"
	"github.com/warthog618/sms/encoding/tpdu"

	"github.com/mifos-edge/mifos-edge/phone"
)

// A MoneyOperator stands in for a mobile-money operator's SMS interface,
// GCash style: an agent's SIM (the modem's) texts a payment command to the
// operator's number, the operator pays from the agent's wallet float and
// answers with an SMS from its alphanumeric sender id. Attach one to a Sim
// with AddMoneyOperator; it sees every SMS the host sends to its number.
//
// The command is "SEND <amount> <number> <MPIN>" (keyword in any case,
// words separated by spaces): the amount in plain digits with at most two
// decimals, the number in any form of the operator's country. Replies:
//
//	You have sent PHP 1,000.00 to 09171234567. Ref. No. 7012121108038. Your new balance is PHP 49,000.00.
//	Your transaction failed: insufficient balance.
//	Your transaction failed: invalid recipient.
//	Your transaction failed: wrong MPIN.
//	Your transaction failed: your account is locked after 3 wrong MPIN attempts. Call the hotline to unlock it.
//	Your transaction failed: invalid amount.
//	Your transaction failed: invalid format. Text SEND <amount> <mobile number> <MPIN> to 2882.
//
// Like an SMS service, it reads each part of a concatenated SMS as a
// command of its own (so a command split in two pays if its first part
// reads whole) and reads no UCS-2 text. Three wrong MPINs in a row lock
// the wallet until SetPIN. Its reply is handed to the network after
// ReplyDelay and reaches the modem like any SMS: held while the modem is
// off or its store is full, not lost to a reboot.
//
// Faults are set at run time, each for the next n commands: LoseReplies,
// DuplicateReplies, DelayReplies, GarbleReplies; and FailPhone, SetFloat
// and SetPIN until changed. All methods are safe for concurrent use.
type MoneyOperator struct {
	opts MoneyOperatorOptions

	mu         sync.Mutex
	float      int64
	pin        string
	wrongPINs  int
	locked     bool
	failPhones map[string]string
	lose       int
	// loseAfter commands pass before the lose fault applies (LoseReplyOf).
	loseAfter  int
	dup        int
	late       int
	lateBy     time.Duration
	garble     int
	garblePaid bool
	nextRef    int64
	payments   []OperatorPayment
	commands   []OperatorCommand
}

// MoneyOperatorOptions configures a MoneyOperator. Zero values take the
// GCash defaults.
type MoneyOperatorOptions struct {
	// Number is where commands go (default "2882"); a leading + is ignored
	// when comparing.
	Number string
	// Sender is the alphanumeric sender id of the replies (default "GCash").
	Sender string
	// PIN is the agent's MPIN the commands must carry; required.
	PIN string
	// Float is the agent wallet's balance in millionths of the currency.
	Float int64
	// Currency is printed before amounts (default "PHP").
	Currency string
	// Country reads the commands' numbers and writes them in replies in
	// national form (default "PH").
	Country string
	// ReplyDelay is how long the operator takes to answer (default 300ms).
	ReplyDelay time.Duration
}

// OperatorPayment is money the operator paid out of the float.
type OperatorPayment struct {
	Phone  string // E.164
	Amount int64  // millionths
	Ref    string // the operator's reference number
	At     time.Time
}

// OperatorCommand is one command the operator received (one SMS part).
type OperatorCommand struct {
	Text string
	At   time.Time
	// Paid: the command took money from the float.
	Paid bool
	// Replies are the texts handed to the network for it: none when the
	// reply was lost, two when duplicated.
	Replies []string
}

// Texts of the stand-in's replies that tests refer to.
const (
	// OperatorGarbage is the reply GarbleReplies sends: an operator text
	// that is neither a success nor a failure.
	OperatorGarbage = "We are experiencing a system delay. Please check your transaction history before trying again."
	// wrongPINsToLock wrong MPINs in a row lock the wallet.
	wrongPINsToLock = 3
	firstRef        = 7012121108038
	refStep         = 1237
)

// NewMoneyOperator checks opts and builds the operator.
func NewMoneyOperator(opts MoneyOperatorOptions) (*MoneyOperator, error) {
	if opts.Number == "" {
		opts.Number = "2882"
	}
	if opts.Sender == "" {
		opts.Sender = "GCash"
	}
	if opts.Currency == "" {
		opts.Currency = "PHP"
	}
	if opts.Country == "" {
		opts.Country = "PH"
	}
	if opts.ReplyDelay <= 0 {
		opts.ReplyDelay = 300 * time.Millisecond
	}
	switch {
	case strings.Trim(strings.TrimPrefix(opts.Number, "+"), "0123456789") != "":
		return nil, fmt.Errorf("money operator number %q is not digits", opts.Number)
	case opts.PIN == "":
		return nil, errors.New("money operator needs the agent's PIN")
	case !phone.Supported(opts.Country):
		return nil, fmt.Errorf("money operator country %q: its numbers are not known", opts.Country)
	case opts.Float < 0:
		return nil, errors.New("money operator float is negative")
	}
	return &MoneyOperator{opts: opts, float: opts.Float, pin: opts.PIN, failPhones: map[string]string{}, nextRef: firstRef}, nil
}

// AddMoneyOperator makes op answer the SMS the host sends to op's number
// from now on.
func (s *Sim) AddMoneyOperator(op *MoneyOperator) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.moneyOps = append(s.moneyOps, op)
}

// Number is where op takes commands.
func (op *MoneyOperator) Number() string { return op.opts.Number }

// Sender is op's alphanumeric sender id.
func (op *MoneyOperator) Sender() string { return op.opts.Sender }

// LoseReplies makes the next n commands be carried out with their replies
// lost: paid (or refused) with no word to the agent.
func (op *MoneyOperator) LoseReplies(n int) {
	op.mu.Lock()
	defer op.mu.Unlock()
	op.lose, op.loseAfter = n, 0
}

// LoseReplyOf loses the reply to the k-th command from now (k >= 1) only:
// the ones before it are answered as usual. It replaces LoseReplies.
func (op *MoneyOperator) LoseReplyOf(k int) {
	op.mu.Lock()
	defer op.mu.Unlock()
	op.lose, op.loseAfter = 1, max(k-1, 0)
}

// DuplicateReplies makes the next n commands be answered twice, as after
// a lost acknowledgement between the operator and the SMS centre; each is
// carried out once.
func (op *MoneyOperator) DuplicateReplies(n int) {
	op.mu.Lock()
	defer op.mu.Unlock()
	op.dup = n
}

// DelayReplies makes the replies to the next n commands leave after d
// instead of ReplyDelay; the commands are carried out at once.
func (op *MoneyOperator) DelayReplies(n int, d time.Duration) {
	op.mu.Lock()
	defer op.mu.Unlock()
	op.late, op.lateBy = n, d
}

// GarbleReplies makes the next n commands be answered with
// OperatorGarbage. With paid they are carried out first (paid when they
// would be); without, the operator drops them: nothing is paid.
func (op *MoneyOperator) GarbleReplies(n int, paid bool) {
	op.mu.Lock()
	defer op.mu.Unlock()
	op.garble, op.garblePaid = n, paid
}

// FailPhone makes every payment to number fail with reason (for example
// "invalid recipient" or "recipient wallet limit reached"); an empty
// reason clears it. number is read in the operator's country.
func (op *MoneyOperator) FailPhone(number, reason string) error {
	e164, err := phone.Normalize(number, op.opts.Country)
	if err != nil {
		return err
	}
	op.mu.Lock()
	defer op.mu.Unlock()
	if reason == "" {
		delete(op.failPhones, e164)
	} else {
		op.failPhones[e164] = reason
	}
	return nil
}

// SetFloat sets the agent wallet's balance (millionths); a payment above
// it fails with "insufficient balance".
func (op *MoneyOperator) SetFloat(millionths int64) {
	op.mu.Lock()
	defer op.mu.Unlock()
	op.float = millionths
}

// Balance is the agent wallet's balance in millionths.
func (op *MoneyOperator) Balance() int64 {
	op.mu.Lock()
	defer op.mu.Unlock()
	return op.float
}

// SetPIN changes the MPIN the operator expects, so that commands with the
// old one fail ("wrong MPIN"), and unlocks a locked wallet.
func (op *MoneyOperator) SetPIN(pin string) {
	op.mu.Lock()
	defer op.mu.Unlock()
	op.pin, op.wrongPINs, op.locked = pin, 0, false
}

// Payments are the payments made so far, oldest first.
func (op *MoneyOperator) Payments() []OperatorPayment {
	op.mu.Lock()
	defer op.mu.Unlock()
	return append([]OperatorPayment(nil), op.payments...)
}

// Commands are the commands received so far, oldest first.
func (op *MoneyOperator) Commands() []OperatorCommand {
	op.mu.Lock()
	defer op.mu.Unlock()
	out := make([]OperatorCommand, len(op.commands))
	for i, c := range op.commands {
		c.Replies = append([]string(nil), c.Replies...)
		out[i] = c
	}
	return out
}

// operatorReply is a reply to hand to the network after a delay.
type operatorReply struct {
	after time.Duration
	text  string
}

// takes reports whether an SMS to address is for op.
func (op *MoneyOperator) takes(address string) bool {
	return strings.TrimPrefix(address, "+") == strings.TrimPrefix(op.opts.Number, "+")
}

// receive carries out the command in one SMS part and returns the replies
// to send. It takes op.mu only (callers may hold the Sim's mu).
func (op *MoneyOperator) receive(text string, ucs2 bool) []operatorReply {
	op.mu.Lock()
	defer op.mu.Unlock()
	now := time.Now()
	cmd := OperatorCommand{Text: text, At: now}
	garbled := take(&op.garble)
	var reply string
	if !garbled || op.garblePaid {
		reply, cmd.Paid = op.carryOut(text, ucs2, now)
	}
	if garbled {
		reply = OperatorGarbage
	}
	after, copies := op.opts.ReplyDelay, 1
	if take(&op.late) {
		after = op.lateBy
	}
	if take(&op.dup) {
		copies = 2
	}
	switch {
	case op.lose > 0 && op.loseAfter > 0:
		op.loseAfter--
	case take(&op.lose):
		copies = 0
	}
	var out []operatorReply
	for range copies {
		out = append(out, operatorReply{after: after, text: reply})
		cmd.Replies = append(cmd.Replies, reply)
	}
	op.commands = append(op.commands, cmd)
	return out
}

// take uses one of an armed fault's commands.
func take(n *int) bool {
	if *n <= 0 {
		return false
	}
	*n--
	return true
}

var commandAmount = regexp.MustCompile(`^[0-9]{1,12}(?:\.[0-9]{1,2})?$`)

// carryOut checks and pays one command. Caller holds op.mu.
func (op *MoneyOperator) carryOut(text string, ucs2 bool, now time.Time) (reply string, paid bool) {
	failed := func(reason string) (string, bool) { return "Your transaction failed: " + reason + ".", false }
	words := strings.Fields(text)
	if ucs2 || len(words) != 4 || !strings.EqualFold(words[0], "SEND") {
		return failed("invalid format. Text SEND <amount> <mobile number> <MPIN> to " + op.opts.Number)
	}
	if op.locked {
		return failed(fmt.Sprintf("your account is locked after %d wrong MPIN attempts. Call the hotline to unlock it", wrongPINsToLock))
	}
	if words[3] != op.pin {
		op.wrongPINs++
		if op.wrongPINs >= wrongPINsToLock {
			op.locked = true
		}
		return failed("wrong MPIN")
	}
	op.wrongPINs = 0
	amount, ok := readAmount(words[1])
	if !ok {
		return failed("invalid amount")
	}
	e164, err := phone.Normalize(words[2], op.opts.Country)
	if err != nil || !phone.InCountry(e164, op.opts.Country) {
		return failed("invalid recipient")
	}
	if reason, ok := op.failPhones[e164]; ok {
		return failed(reason)
	}
	if amount > op.float {
		return failed("insufficient balance")
	}
	op.float -= amount
	ref := strconv.FormatInt(op.nextRef, 10)
	op.nextRef += refStep
	op.payments = append(op.payments, OperatorPayment{Phone: e164, Amount: amount, Ref: ref, At: now})
	national, _ := phone.National(e164, op.opts.Country)
	return fmt.Sprintf("You have sent %s %s to %s. Ref. No. %s. Your new balance is %s %s.",
		op.opts.Currency, money(amount), national, ref, op.opts.Currency, money(op.float)), true
}

// readAmount reads a command's amount into millionths; zero is no amount.
func readAmount(s string) (int64, bool) {
	if !commandAmount.MatchString(s) {
		return 0, false
	}
	units, frac, _ := strings.Cut(s, ".")
	u, _ := strconv.ParseInt(units, 10, 64)
	f, _ := strconv.ParseInt((frac + "00")[:2], 10, 64)
	v := u*1_000_000 + f*10_000
	return v, v > 0
}

// money writes millionths as the operator prints them: "48,000.00".
func money(millionths int64) string {
	cents := millionths / 10_000
	units := strconv.FormatInt(cents/100, 10)
	var b strings.Builder
	for i, r := range units {
		if i > 0 && (len(units)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return fmt.Sprintf("%s.%02d", b.String(), cents%100)
}

// toMoneyOperators gives a sent message's parts to the operator whose
// number it went to and schedules the replies. Caller holds mu.
func (s *Sim) toMoneyOperators(m Sent, parts []*tpdu.TPDU) {
	for _, op := range s.moneyOps {
		if !op.takes(m.To) {
			continue
		}
		for _, p := range parts {
			text, err := sms.Decode([]*tpdu.TPDU{p})
			alpha, _ := p.Alphabet()
			if err != nil {
				text = nil
			}
			for _, r := range op.receive(string(text), alpha == tpdu.AlphaUCS2) {
				s.deliverLater(r.after, Incoming{From: op.opts.Sender, SenderType: "alphanumeric", Text: r.text, Class: -1})
			}
		}
	}
}

// netDelivery is an SMS the network will deliver to the modem when due.
type netDelivery struct {
	due time.Time
	m   Incoming
}

// deliverLater delivers m after d, as the network does with an SMS in its
// service centre: in the order they fall due (in the order given when
// due together), and, unlike after, not lost to a reboot or an unplugged
// modem (route holds it until the radio is back). Caller holds mu.
func (s *Sim) deliverLater(d time.Duration, m Incoming) {
	if s.closed {
		return
	}
	due := time.Now().Add(d)
	i := sort.Search(len(s.netQ), func(i int) bool { return s.netQ[i].due.After(due) })
	s.netQ = slices.Insert(s.netQ, i, netDelivery{due: due, m: m})
	var t *time.Timer
	t = time.AfterFunc(d, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.closed {
			return
		}
		delete(s.timers, t)
		s.deliverDue()
	})
	s.timers[t] = struct{}{}
}

// deliverDue hands the network's due messages to the modem, oldest first.
// Caller holds mu.
func (s *Sim) deliverDue() {
	now := time.Now()
	for len(s.netQ) > 0 && !s.netQ[0].due.After(now) {
		m := s.netQ[0].m
		s.netQ = s.netQ[1:]
		parts, err := s.encodeIncoming(m)
		if err != nil {
			s.log.Warn("network message does not encode", "from", m.From, "err", err)
			continue
		}
		for _, p := range parts {
			s.route(p)
		}
	}
}

// describe summarises op for Sim.Describe.
func (op *MoneyOperator) describe() string {
	op.mu.Lock()
	defer op.mu.Unlock()
	s := fmt.Sprintf("money operator %s at %s: float %s %s, %d commands, %d payments",
		op.opts.Sender, op.opts.Number, op.opts.Currency, money(op.float), len(op.commands), len(op.payments))
	if op.locked {
		s += ", wallet locked (wrong MPIN)"
	}
	return s
}
