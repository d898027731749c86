package modemsim

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/warthog618/sms"
	"github.com/warthog618/sms/encoding/pdumode"
	"github.com/warthog618/sms/encoding/tpdu"
	"github.com/warthog618/sms/encoding/ucs2"
)

// Storage status codes as in AT+CMGL.
const (
	statUnread = 0
	statRead   = 1
	statUnsent = 2
	statSent   = 3
)

// Incoming is an SMS the network delivers to the modem.
type Incoming struct {
	From string
	Text string
	// SCTS is the service-centre timestamp; zero means now.
	SCTS time.Time
	// UCS2 forces UCS2 even when GSM7 would do.
	UCS2 bool
	// Class is the message class 1-3; -1 or 0 mean no class (use Flash for class 0).
	Class int
	// Flash marks the message class 0.
	Flash bool
	// ConcatRef is the concatenation reference for multipart messages; 0 picks the next one.
	ConcatRef int
	// Wide uses the 16-bit concatenation reference (IEI 0x08).
	Wide bool
	// Order is the delivery order of parts, 1-based; parts left out are never delivered.
	Order []int
	// AlnumLen10 writes an alphanumeric sender's length as Safaricom does (0x0A for MPESA).
	AlnumLen10 bool
	// SenderType sets the sender's type of number as a network would:
	// "international", "national", "unknown" or "alphanumeric" (any text,
	// digits too, as a bulk-SMS service lets its customers choose). Empty:
	// international for "+digits", unknown for digits, alphanumeric else.
	SenderType string
}

// Sent is one complete outgoing message the host submitted.
type Sent struct {
	To    string
	Text  string
	MR    int // MR answered for the first part
	MRs   []int
	Parts int
	Time  time.Time
	// PDUs are the hex strings written after the prompt, in part order.
	PDUs []string
}

type storedMsg struct {
	stat    int
	pdu     string // hex with SMSC field, as printed on the PDU line
	tpduLen int
}

// delivery is one PDU on its way from the network to the modem.
type delivery struct {
	pdu     string
	tpduLen int
	class   int // -1 none
}

type unackedCMT struct {
	id int
	d  delivery
}

type storageState struct {
	// unacked are +CMT messages waiting for AT+CNMA (with AT+CSMS=1), oldest first.
	unacked []unackedCMT
	cmtSeq  int
	slots   []*storedMsg
	// held are deliveries waiting for a free slot or for the radio.
	held      []delivery
	concatRef int
}

type sendState struct {
	mr       int
	failN    int
	failCode int
	delayN   int
	delayD   time.Duration
	partials map[string]*partialSent
	sent     []Sent
}

type partialSent struct {
	parts []*tpdu.TPDU
	hex   []string
	mrs   []int
}

// Deliver encodes m (multipart when long) and delivers each part per the
// current AT+CNMI setting.
func (s *Sim) Deliver(m Incoming) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errClosed
	}
	parts, err := s.encodeIncoming(m)
	if err != nil {
		return err
	}
	for _, p := range parts {
		s.route(p)
	}
	return nil
}

// DeliverPDU delivers a raw PDU (SMSC field then TPDU, hex) like Deliver.
func (s *Sim) DeliverPDU(hexWithSMSC string) error {
	d, err := parseDeliveryHex(hexWithSMSC)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errClosed
	}
	s.route(d)
	return nil
}

// Preload puts m into storage as REC UNREAD without any URC, like messages
// that arrived while no host was running.
func (s *Sim) Preload(m Incoming) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errClosed
	}
	parts, err := s.encodeIncoming(m)
	if err != nil {
		return err
	}
	for _, p := range parts {
		if _, ok := s.store(p, statUnread); !ok {
			return errors.New("modem storage is full")
		}
	}
	return nil
}

// PreloadPDU stores a raw PDU with the given status (0-3) without any URC;
// stat 2/3 entries with SUBMIT TPDUs model the host's own stored messages.
func (s *Sim) PreloadPDU(hexWithSMSC string, stat int) error {
	if stat < 0 || stat > 3 {
		return fmt.Errorf("storage status %d is not 0-3", stat)
	}
	d, err := parseDeliveryHex(hexWithSMSC)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.store(d, stat); !ok {
		return errors.New("modem storage is full")
	}
	return nil
}

// Storage reports used and total slots.
func (s *Sim) Storage() (used, total int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.storageCounts()
}

// Sent returns the complete outgoing messages so far.
func (s *Sim) Sent() []Sent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Sent(nil), s.sent...)
}

// SentC yields each outgoing message once all its parts have been sent. It
// is never closed.
func (s *Sim) SentC() <-chan Sent { return s.sentC }

func parseDeliveryHex(h string) (delivery, error) {
	h = strings.TrimSpace(h)
	b, err := hex.DecodeString(h)
	if err != nil {
		return delivery{}, fmt.Errorf("PDU is not hex: %w", err)
	}
	p, err := pdumode.UnmarshalBinary(b)
	if err != nil {
		return delivery{}, fmt.Errorf("PDU has a broken SMSC field: %w", err)
	}
	d := delivery{pdu: strings.ToUpper(h), tpduLen: len(p.TPDU), class: -1}
	// Undecodable PDUs are still delivered: the host must cope with them.
	if t, err := sms.Unmarshal(p.TPDU); err == nil {
		if c, err := t.DCS.Class(); err == nil && c != tpdu.MClassUnknown {
			d.class = int(c)
		}
	}
	return d, nil
}

func (s *Sim) storageCounts() (used, total int) {
	for _, m := range s.slots {
		if m != nil {
			used++
		}
	}
	return used, len(s.slots)
}

func (s *Sim) store(d delivery, stat int) (index int, ok bool) {
	for i, m := range s.slots {
		if m == nil {
			s.slots[i] = &storedMsg{stat: stat, pdu: d.pdu, tpduLen: d.tpduLen}
			return i + s.prof.FirstIndex, true
		}
	}
	return 0, false
}

func (s *Sim) storageFull() bool {
	used, total := s.storageCounts()
	return used >= total
}

// canReceive is false while there is no radio to receive on. Caller holds mu.
func (s *Sim) canReceive() bool {
	return !s.unplugged && !s.booting && s.fun == 1
}

// route delivers one part now, or holds it (keeping arrival order) until
// the radio is up and a slot is free. Caller holds mu.
func (s *Sim) route(d delivery) {
	if len(s.held) > 0 || !s.canReceive() {
		s.held = append(s.held, d)
		return
	}
	if s.needsStorage(d) && s.storageFull() {
		s.held = append(s.held, d)
		if s.prof.FullURC != "" {
			s.urc(s.prof.FullURC)
		}
		return
	}
	s.routeNow(d)
}

// needsStorage: mt=2 routes directly except class 2; mt=3 routes only class 3 directly.
func (s *Sim) needsStorage(d delivery) bool {
	switch s.cnmi[1] {
	case 2:
		return d.class == 2
	case 3:
		return d.class != 3
	}
	return true
}

func (s *Sim) routeNow(d delivery) {
	if !s.needsStorage(d) {
		s.urc(fmt.Sprintf(s.prof.CMTHeader, d.tpduLen), d.pdu)
		if s.csms == 1 {
			s.cmtSeq++
			id := s.cmtSeq
			s.unacked = append(s.unacked, unackedCMT{id: id, d: d})
			if s.opts.CNMATimeout > 0 {
				s.after(s.opts.CNMATimeout, func() { s.cnmaExpired(id) })
			}
		}
		return
	}
	idx, _ := s.store(d, statUnread)
	if s.cnmi[1] != 0 {
		s.urc(fmt.Sprintf("+CMTI: %q,%d", s.mems[2], idx))
	}
}

// cnmaExpired acts like a real modem whose +CMT went unacknowledged: the
// network gets an error and will redeliver, and the modem drops CNMI mt and
// ds to 0, so the message (and any other unacked one) ends up stored
// silently. Caller holds mu.
func (s *Sim) cnmaExpired(id int) {
	if len(s.unacked) == 0 || s.unacked[0].id > id {
		return
	}
	s.log.Debug("modem CNMA timer expired; CNMI mt and ds reset to 0")
	s.cnmi[1], s.cnmi[3] = 0, 0
	s.requeueUnacked()
	s.releaseHeld()
}

// requeueUnacked puts unacknowledged +CMT messages back in front of the held queue.
func (s *Sim) requeueUnacked() {
	var again []delivery
	for _, u := range s.unacked {
		again = append(again, u.d)
	}
	s.held = append(again, s.held...)
	s.unacked = nil
}

// releaseHeld delivers held parts in order while there is room. Caller holds mu.
func (s *Sim) releaseHeld() {
	for len(s.held) > 0 && s.canReceive() {
		d := s.held[0]
		if s.needsStorage(d) && s.storageFull() {
			return
		}
		s.held = s.held[1:]
		s.routeNow(d)
	}
}

// fixedCounter hands out a caller-chosen concatenation reference.
type fixedCounter int

func (c fixedCounter) Count() int { return int(c) }

type refCounter struct{ s *Sim }

func (c refCounter) Count() int {
	c.s.concatRef = c.s.concatRef%255 + 1
	return c.s.concatRef
}

// encodeIncoming builds DELIVER PDUs (with SMSC field) for m. Caller holds mu.
func (s *Sim) encodeIncoming(m Incoming) ([]delivery, error) {
	if m.From == "" {
		return nil, errors.New("incoming message has no sender")
	}
	oa, alnum, err := senderAddress(m.From, m.SenderType)
	if err != nil {
		return nil, err
	}
	t, err := tpdu.NewDeliver(tpdu.WithOA(oa))
	if err != nil {
		return nil, err
	}
	// TP-MMS set: no more messages waiting, as real SMSCs send.
	t.FirstOctet |= 0x04
	scts := m.SCTS
	if scts.IsZero() {
		scts = time.Now()
	}
	t.SCTS = tpdu.Timestamp{Time: scts.Truncate(time.Second)}

	var ud []byte
	var dcs tpdu.DCS
	if m.UCS2 {
		ud = ucs2.Encode([]rune(m.Text))
		dcs, _ = dcs.WithAlphabet(tpdu.AlphaUCS2)
	} else {
		var udh tpdu.UserDataHeader
		var alpha tpdu.Alphabet
		ud, udh, alpha = tpdu.EncodeUserData([]byte(m.Text))
		if dcs, err = dcs.WithAlphabet(alpha); err != nil {
			return nil, err
		}
		if udh != nil {
			t.SetUDH(udh)
		}
	}
	switch {
	case m.Flash:
		dcs, err = dcs.WithClass(tpdu.MClass0)
	case m.Class >= 1 && m.Class <= 3:
		dcs, err = dcs.WithClass(tpdu.MessageClass(m.Class))
	}
	if err != nil {
		return nil, err
	}
	t.SetDCS(byte(dcs))
	class := -1
	if c, err := dcs.Class(); err == nil && c != tpdu.MClassUnknown {
		class = int(c)
	}

	var cr tpdu.Counter = refCounter{s}
	if m.ConcatRef != 0 {
		cr = fixedCounter(m.ConcatRef)
	}
	opts := []tpdu.SegmentationOption{tpdu.WithConcatRef(cr)}
	if m.Wide {
		opts = append(opts, tpdu.With16BitConcatRef)
	}
	pdus := t.Segment(ud, opts...)
	if len(pdus) == 0 {
		pdus = []tpdu.TPDU{*t}
	}

	smsc := pdumode.SMSCAddress{Address: tpdu.NewAddress(tpdu.FromNumber(s.smsc))}
	if s.smsc == "" {
		smsc = pdumode.SMSCAddress{}
	}
	sb, err := smsc.MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("encode SMSC %q: %w", s.smsc, err)
	}
	order := m.Order
	if len(order) == 0 {
		for i := range pdus {
			order = append(order, i+1)
		}
	}
	var out []delivery
	for _, n := range order {
		if n < 1 || n > len(pdus) {
			return nil, fmt.Errorf("part %d does not exist; the message has %d parts", n, len(pdus))
		}
		b, err := pdus[n-1].MarshalBinary()
		if err != nil {
			return nil, fmt.Errorf("encode part %d: %w", n, err)
		}
		if alnum && m.AlnumLen10 {
			// b[1] is the OA length; Safaricom counts whole octets of packed septets as semi-octets.
			b[1] = byte(2 * ((len(oa.Addr)*7 + 7) / 8))
		}
		full := append(append([]byte(nil), sb...), b...)
		out = append(out, delivery{pdu: strings.ToUpper(hex.EncodeToString(full)), tpduLen: len(b), class: class})
	}
	return out, nil
}

// senderAddress makes the sender's address of the given type of number, or
// of the type its text suggests when typ is empty.
func senderAddress(from, typ string) (tpdu.Address, bool, error) {
	digits := strings.TrimPrefix(from, "+")
	numeric := digits != ""
	for _, c := range digits {
		if c < '0' || c > '9' {
			numeric = false
		}
	}
	if typ == "" {
		switch {
		case numeric && strings.HasPrefix(from, "+"):
			typ = "international"
		case numeric:
			typ = "unknown"
		default:
			typ = "alphanumeric"
		}
	}
	// TOA octets: extension bit, type of number, numbering plan (ISDN).
	toa := map[string]byte{"unknown": 0x81, "international": 0x91, "national": 0xA1}
	switch {
	case typ == "alphanumeric":
		return tpdu.Address{TOA: 0xD0, Addr: from}, true, nil
	case toa[typ] == 0:
		return tpdu.Address{}, false, fmt.Errorf("sender type %q is not international, national, unknown or alphanumeric", typ)
	case !numeric:
		return tpdu.Address{}, false, fmt.Errorf("a %s sender must be digits, got %q", typ, from)
	}
	return tpdu.Address{TOA: toa[typ], Addr: digits}, false, nil
}

// submit validates the PDU typed after the prompt and schedules the
// +CMGS answer. Caller holds mu.
func (s *Sim) submit(body string) {
	h := strings.ToUpper(strings.Map(func(r rune) rune {
		if r <= ' ' {
			return -1
		}
		return r
	}, body))
	fail := func(code int) {
		s.answerSend(s.opts.SendDelay, &response{final: s.cmsErr(code)}, nil)
	}
	b, err := hex.DecodeString(h)
	if err != nil {
		fail(304)
		return
	}
	p, err := pdumode.UnmarshalBinary(b)
	if err != nil || len(p.TPDU) != s.promptLen {
		fail(304)
		return
	}
	t, err := sms.Unmarshal(p.TPDU, sms.AsMO)
	if err != nil || t.SmsType() != tpdu.SmsSubmit {
		fail(304)
		return
	}
	if p.SMSC.Addr == "" && s.smsc == "" {
		fail(330)
		return
	}
	if st := s.regStat(); st != 1 && st != 5 {
		fail(331)
		return
	}
	if s.failN > 0 {
		s.failN--
		fail(s.failCode)
		return
	}
	delay := s.opts.SendDelay
	if s.delayN > 0 {
		s.delayN--
		delay = s.delayD
	}
	s.mr++
	if s.mr > 255 {
		s.mr = 0
	}
	mr := s.mr
	resp := &response{final: "OK"}
	resp.add(fmt.Sprintf("+CMGS: %d", mr))
	s.answerSend(delay, resp, func() {
		s.recordSent(t, h, mr)
		s.scheduleReport(t, mr, time.Now())
	})
}

// answerSend finishes the pending +CMGS after d, waiting out a hang.
func (s *Sim) answerSend(d time.Duration, resp *response, onAnswer func()) {
	s.after(d, func() {
		if left := time.Until(s.hungUntil); left > 0 {
			s.answerSend(left, resp, onAnswer)
			return
		}
		s.finish(resp)
		if onAnswer != nil {
			onAnswer()
		}
		s.process()
	})
}

// recordSent reassembles concatenated submits and publishes complete messages. Caller holds mu.
func (s *Sim) recordSent(t *tpdu.TPDU, pduHex string, mr int) {
	segs, seq, ref, ok := t.ConcatInfo()
	if !ok || segs <= 1 {
		s.publish([]*tpdu.TPDU{t}, []string{pduHex}, []int{mr})
		return
	}
	if seq < 1 || seq > segs {
		s.log.Warn("outgoing part has an impossible sequence number", "seq", seq, "of", segs)
		return
	}
	key := fmt.Sprintf("%s/%d/%d", t.DA.Number(), ref, segs)
	ps := s.partials[key]
	if ps == nil {
		ps = &partialSent{parts: make([]*tpdu.TPDU, segs), hex: make([]string, segs), mrs: make([]int, segs)}
		s.partials[key] = ps
	}
	ps.parts[seq-1], ps.hex[seq-1], ps.mrs[seq-1] = t, pduHex, mr
	for _, p := range ps.parts {
		if p == nil {
			return
		}
	}
	delete(s.partials, key)
	s.publish(ps.parts, ps.hex, ps.mrs)
}

func (s *Sim) publish(parts []*tpdu.TPDU, hexes []string, mrs []int) {
	text, err := sms.Decode(parts)
	if err != nil {
		s.log.Warn("outgoing message text does not decode", "err", err)
	}
	m := Sent{
		To:    parts[0].DA.Number(),
		Text:  string(text),
		MR:    mrs[0],
		MRs:   mrs,
		Parts: len(parts),
		Time:  time.Now(),
		PDUs:  hexes,
	}
	s.sent = append(s.sent, m)
	select {
	case s.sentC <- m:
	default:
		s.log.Warn("SentC is full; message only in Sent()", "to", m.To)
	}
	s.toMoneyOperators(m, parts)
}
