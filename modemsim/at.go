package modemsim

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"
)

const (
	ctrlZ = 0x1a
	esc   = 0x1b
	// maxLine bounds a command line so garbage without CR cannot grow memory.
	maxLine = 4096
)

// response collects the lines of one command line's answer.
type response struct {
	lines []respLine
	final string
	// async means a later event (the +CMGS answer) finishes the command.
	async bool
}

type respLine struct {
	text string
	// glued forbids noise between this line and the next (header + PDU).
	glued bool
}

func (r *response) add(lines ...string) {
	for _, l := range lines {
		r.lines = append(r.lines, respLine{text: l})
	}
}

func (r *response) addPair(header, pdu string) {
	r.lines = append(r.lines, respLine{text: header, glued: true}, respLine{text: pdu})
}

// feed takes bytes from the host. Caller holds mu.
func (s *Sim) feed(b []byte) {
	if s.isHung() || s.booting {
		return
	}
	s.inbuf = append(s.inbuf, b...)
	s.process()
}

// process runs every complete command in the input buffer unless a command
// is still in progress. Caller holds mu.
func (s *Sim) process() {
	for len(s.inbuf) > 0 && !s.unplugged && !s.closed {
		if s.inPrompt {
			if !s.consumePDU() {
				return
			}
			continue
		}
		if s.busy {
			return
		}
		i := bytes.IndexByte(s.inbuf, '\r')
		if i < 0 {
			if len(s.inbuf) > maxLine {
				s.inbuf = nil
			}
			return
		}
		raw := s.inbuf[:i]
		s.inbuf = s.inbuf[i+1:]
		line := cleanLine(raw)
		if line == "" {
			continue
		}
		s.handleLine(line)
	}
}

// cleanLine drops LF, ESC and other control bytes (a stray LF is whitespace).
func cleanLine(raw []byte) string {
	var b strings.Builder
	for _, c := range raw {
		if c >= 0x20 && c != 0x7f {
			b.WriteByte(c)
		}
	}
	return strings.TrimSpace(b.String())
}

// consumePDU reads hex after the prompt until Ctrl-Z or ESC; false means
// more input is needed. Caller holds mu.
func (s *Sim) consumePDU() bool {
	i := bytes.IndexAny(s.inbuf, "\x1a\x1b")
	if i < 0 {
		if len(s.inbuf) > maxLine {
			s.inbuf = nil
		}
		return false
	}
	body := string(s.inbuf[:i])
	term := s.inbuf[i]
	s.inbuf = s.inbuf[i+1:]
	s.inPrompt = false
	if term == esc {
		s.log.Debug("modem in", "pdu", "abandoned with ESC")
		s.finish(&response{final: s.prof.EscapeReply})
		return true
	}
	s.log.Debug("modem in", "pdu", body)
	if s.echo {
		s.write(body + "\x1a")
	}
	s.submit(body)
	return true
}

// handleLine runs one command line. Caller holds mu.
func (s *Sim) handleLine(line string) {
	s.commands = append(s.commands, line)
	s.log.Debug("modem in", "line", redactPIN(line))
	if s.hangOn != "" && strings.HasPrefix(upperOutsideQuotes(line), s.hangOn) {
		s.hangOn = ""
		s.hang(s.hangFor)
		return
	}
	if s.echo {
		s.write(line + "\r")
	}
	cmd := upperOutsideQuotes(line)
	if !strings.HasPrefix(cmd, "AT") {
		return
	}
	s.busy = true
	resp := &response{}
	inject := s.takeArmedURC(cmd)
	s.runChain(cmd[2:], resp)
	if inject != "" && !resp.async {
		resp.lines = append([]respLine{{text: inject}}, resp.lines...)
	}
	if !resp.async {
		s.finish(resp)
	}
}

// takeArmedURC returns (and disarms) the oldest line armed for cmd. Caller holds mu.
func (s *Sim) takeArmedURC(cmd string) string {
	for i, a := range s.inAnswer {
		if strings.HasPrefix(cmd, a.prefix) {
			s.inAnswer = append(s.inAnswer[:i], s.inAnswer[i+1:]...)
			return a.line
		}
	}
	return ""
}

// redactPIN keeps PINs out of logs.
func redactPIN(line string) string {
	u := strings.ToUpper(line)
	if i := strings.Index(u, "+CPIN="); i >= 0 {
		return line[:i+6] + "<redacted>"
	}
	return line
}

func upperOutsideQuotes(s string) string {
	b := []byte(s)
	quoted := false
	for i, c := range b {
		if c == '"' {
			quoted = !quoted
		} else if !quoted && c >= 'a' && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}

// runChain executes "E0V1+CMGF=0;+CNMI=..." style chains, stopping at the first error.
func (s *Sim) runChain(rest string, resp *response) {
	for {
		rest = strings.TrimLeft(rest, " ;")
		if rest == "" {
			resp.final = "OK"
			return
		}
		var c string
		switch rest[0] {
		case '+', '^', '*', '#', '$', '%':
			end := indexOutsideQuotes(rest, ';')
			c, rest = rest[:end], rest[end:]
		case '&':
			n := 2 + countDigits(rest[min(2, len(rest)):])
			n = min(n, len(rest))
			c, rest = rest[:n], rest[n:]
		case 'S':
			// S-registers: "S0=0" or "S7?".
			n := 1 + countDigits(rest[1:])
			if n < len(rest) && (rest[n] == '=' || rest[n] == '?') {
				n++
				n += countDigits(rest[n:])
			}
			c, rest = rest[:n], rest[n:]
		default:
			n := 1 + countDigits(rest[1:])
			c, rest = rest[:n], rest[n:]
		}
		if !s.exec(strings.TrimSpace(c), resp) || resp.async {
			return
		}
	}
}

func indexOutsideQuotes(s string, sep byte) int {
	quoted := false
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '"':
			quoted = !quoted
		case s[i] == sep && !quoted:
			return i
		}
	}
	return len(s)
}

func countDigits(s string) int {
	n := 0
	for n < len(s) && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	return n
}

// finish writes a command's answer and lets held URCs and queued input
// through. Caller holds mu.
func (s *Sim) finish(resp *response) {
	var b strings.Builder
	noise := s.noiseActive()
	s.responses++
	// Noise goes at one point where a URC could really land, never between a header and its PDU.
	var safe []int
	for i := 0; i <= len(resp.lines); i++ {
		if i == 0 || !resp.lines[i-1].glued {
			safe = append(safe, i)
		}
	}
	noiseAt := -1
	if noise {
		noiseAt = safe[s.responses%len(safe)]
	}
	// Info lines follow each other directly; only the final code is set off by a blank line.
	if len(resp.lines) > 0 || noiseAt >= 0 {
		b.WriteString("\r\n")
	}
	for i, l := range resp.lines {
		if i == noiseAt {
			b.WriteString(s.nextNoise() + "\r\n")
		}
		b.WriteString(l.text + "\r\n")
	}
	if noiseAt == len(resp.lines) {
		b.WriteString(s.nextNoise() + "\r\n")
	}
	if resp.final != "" {
		b.WriteString(frame(resp.final))
	}
	s.write(b.String())
	s.busy = false
	s.flushURCs()
}

// urc sends one unsolicited frame group now, or holds it while a command
// is in progress so it never lands inside a response. Caller holds mu.
func (s *Sim) urc(lines ...string) {
	if s.unplugged || s.closed {
		return
	}
	if s.busy || s.isHung() || s.booting {
		s.heldURCs = append(s.heldURCs, lines)
		return
	}
	s.write("\r\n" + strings.Join(lines, "\r\n") + "\r\n")
}

func (s *Sim) flushURCs() {
	if s.busy || s.isHung() || s.booting {
		return
	}
	held := s.heldURCs
	s.heldURCs = nil
	for _, group := range held {
		s.urc(group...)
	}
}

// Error rendering per AT+CMEE.
func (s *Sim) cmsErr(code int) string {
	switch s.cmee {
	case 1:
		return fmt.Sprintf("+CMS ERROR: %d", code)
	case 2:
		return "+CMS ERROR: " + cmsText(code)
	}
	return "ERROR"
}

func (s *Sim) cmeErr(code int) string {
	switch s.cmee {
	case 1:
		return fmt.Sprintf("+CME ERROR: %d", code)
	case 2:
		return "+CME ERROR: " + cmeText(code)
	}
	return "ERROR"
}

func (s *Sim) unknownReply() string {
	switch s.prof.UnknownCommand {
	case UnknownError, "":
		return "ERROR"
	case UnknownCME100:
		return s.cmeErr(100)
	}
	return s.prof.UnknownCommand
}

func cmsText(code int) string {
	texts := map[int]string{
		300: "ME failure", 301: "SMS service of ME reserved", 302: "operation not allowed",
		303: "operation not supported", 304: "invalid PDU mode parameter", 305: "invalid text mode parameter",
		310: "SIM not inserted", 311: "SIM PIN required", 312: "PH-SIM PIN required", 313: "SIM failure",
		314: "SIM busy", 315: "SIM wrong", 316: "SIM PUK required", 320: "memory failure",
		321: "invalid memory index", 322: "memory full", 330: "SMSC address unknown",
		331: "no network service", 332: "network timeout", 340: "no +CNMA acknowledgement expected",
		500: "unknown error",
	}
	if t, ok := texts[code]; ok {
		return t
	}
	return strconv.Itoa(code)
}

func cmeText(code int) string {
	texts := map[int]string{
		3: "operation not allowed", 4: "operation not supported", 10: "SIM not inserted",
		11: "SIM PIN required", 12: "SIM PUK required", 13: "SIM failure", 14: "SIM busy",
		16: "incorrect password", 30: "no network service", 100: "unknown",
	}
	if t, ok := texts[code]; ok {
		return t
	}
	return strconv.Itoa(code)
}

// Commands that need an unlocked SIM; SMS ones fail with CMS 311, the rest with CME 11.
var (
	smsCommands = map[string]bool{"+CSCA": true, "+CPMS": true, "+CSMS": true, "+CNMI": true, "+CMGL": true,
		"+CMGR": true, "+CMGD": true, "+CMGS": true, "+CNMA": true, "+CMGW": true, "+CSMP": true}
	simCommands = map[string]bool{"+CIMI": true, "+COPS": true, "+CNUM": true}
)

// exec runs one command of a chain; false means resp.final holds an error.
func (s *Sim) exec(c string, resp *response) bool {
	fail := func(final string) bool {
		resp.final = final
		return false
	}
	name, suffix := splitCommand(c)
	locked := s.pinState != "READY"
	if locked && smsCommands[name] {
		return fail(s.cmsErr(311))
	}
	if locked && simCommands[name] {
		return fail(s.cmeErr(pinCME(s.pinState)))
	}
	switch name {
	case "E":
		s.echo = suffix != "0"
	case "Z", "&F":
		s.echo = s.prof.EchoAfterATZ
		s.cmee, s.cmgf, s.cnmi = 0, 0, s.prof.CNMIDefault
	case "V", "Q", "&W", "&C", "&D", "X", "S":
	case "I":
		resp.add(s.prof.Manufacturer, s.prof.Model, "Revision: "+s.prof.Revision)
	case "+CGMI", "+GMI":
		resp.add(s.prof.Manufacturer)
	case "+CGMM", "+GMM":
		resp.add(s.prof.Model)
	case "+CGMR", "+GMR":
		resp.add(s.prof.Revision)
	case "+CGSN", "+GSN":
		resp.add(s.opts.IMEI)
	case "+CIMI":
		resp.add(s.opts.IMSI)
	case "+GCAP":
		resp.add(s.prof.GCAP)
	case "+CMEE":
		return s.setInt(suffix, &s.cmee, "+CMEE", 0, 2, resp)
	case "+CMGF":
		return s.setInt(suffix, &s.cmgf, "+CMGF", 0, 1, resp)
	case "+CPIN":
		return s.cpin(suffix, resp)
	case "+CFUN":
		return s.cfun(suffix, resp)
	case "+CSCS":
		return s.cscsCmd(suffix, resp)
	case "+CREG":
		switch suffix {
		case "?":
			resp.add(s.cregLine())
		case "=?":
			resp.add("+CREG: (0-2)")
		default:
			return s.setInt(suffix, &s.cregN, "+CREG", 0, 2, resp)
		}
	case "+CSQ":
		if suffix == "=?" {
			resp.add("+CSQ: (0-31,99),(0-7,99)")
		} else if st := s.regStat(); st == 1 || st == 5 {
			resp.add("+CSQ: 21,0")
		} else {
			resp.add("+CSQ: 99,99")
		}
	case "+COPS":
		return s.cops(suffix, resp)
	case "+CSCA":
		return s.csca(suffix, resp)
	case "+CPMS":
		return s.cpms(suffix, resp)
	case "+CSMS":
		return s.csmsCmd(suffix, resp)
	case "+CNMI":
		return s.cnmiCmd(suffix, resp)
	case "+CNMA":
		if s.csms == 1 {
			if len(s.unacked) == 0 {
				return fail(s.cmsErr(340))
			}
			s.unacked = s.unacked[1:]
		}
	case "+CSMP":
	case "+CMGL":
		return s.cmgl(suffix, resp)
	case "+CMGR":
		return s.cmgr(suffix, resp)
	case "+CMGD":
		return s.cmgd(suffix, resp)
	case "+CMGS":
		return s.cmgs(suffix, resp)
	case "^CURC":
		if !s.prof.CURC {
			return fail(s.unknownReply())
		}
		switch suffix {
		case "=0":
			s.curcOff = true
		case "=1":
			s.curcOff = false
		case "?":
			resp.add(fmt.Sprintf("^CURC: %d", boolInt(!s.curcOff)))
		default:
			return fail(s.cmeErr(4))
		}
	default:
		return fail(s.unknownReply())
	}
	return true
}

// splitCommand splits "+CNMI=2,1" into "+CNMI" and "=2,1"; "E0" into "E" and "0".
func splitCommand(c string) (name, suffix string) {
	if c == "" {
		return "", ""
	}
	if c[0] == '+' || c[0] == '^' || c[0] == '*' || c[0] == '#' || c[0] == '$' || c[0] == '%' {
		i := strings.IndexAny(c, "=?")
		if i < 0 {
			return c, ""
		}
		return c[:i], c[i:]
	}
	if c[0] == '&' && len(c) >= 2 {
		return c[:2], c[2:]
	}
	return c[:1], c[1:]
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func pinCME(state string) int {
	if state == "SIM PUK" {
		return 12
	}
	return 11
}

// setInt handles ?, =? and =n for a plain integer setting.
func (s *Sim) setInt(suffix string, target *int, name string, lo, hi int, resp *response) bool {
	switch suffix {
	case "?":
		resp.add(fmt.Sprintf("%s: %d", name, *target))
		return true
	case "=?":
		resp.add(fmt.Sprintf("%s: (%d-%d)", name, lo, hi))
		return true
	}
	v, err := strconv.Atoi(strings.TrimPrefix(suffix, "="))
	if !strings.HasPrefix(suffix, "=") || err != nil || v < lo || v > hi {
		resp.final = s.cmeErr(4)
		return false
	}
	*target = v
	return true
}

// args splits "=a,"b",c" into unquoted fields.
func args(suffix string) []string {
	suffix = strings.TrimPrefix(suffix, "=")
	if suffix == "" {
		return nil
	}
	var out []string
	for {
		end := indexOutsideQuotes(suffix, ',')
		out = append(out, strings.Trim(strings.TrimSpace(suffix[:end]), `"`))
		if end == len(suffix) {
			return out
		}
		suffix = suffix[end+1:]
	}
}

func intArgs(suffix string) ([]int, bool) {
	var out []int
	for _, a := range args(suffix) {
		if a == "" {
			out = append(out, 0)
			continue
		}
		v, err := strconv.Atoi(a)
		if err != nil {
			return nil, false
		}
		out = append(out, v)
	}
	return out, true
}

func (s *Sim) cpin(suffix string, resp *response) bool {
	switch {
	case suffix == "?":
		resp.add("+CPIN: " + s.pinState)
		return true
	case strings.HasPrefix(suffix, "=") && suffix != "=?":
		a := args(suffix)
		if s.pinState == "READY" {
			resp.final = s.cmeErr(3)
			return false
		}
		if s.pinState == "SIM PIN" && len(a) >= 1 && a[0] == s.opts.PIN {
			s.pinState = "READY"
			s.pinTries = 0
			return true
		}
		s.pinTries++
		if s.pinTries >= 3 {
			s.pinState = "SIM PUK"
		}
		resp.final = s.cmeErr(16)
		return false
	}
	return true
}

func (s *Sim) cfun(suffix string, resp *response) bool {
	switch suffix {
	case "?":
		resp.add(fmt.Sprintf("+CFUN: %d", s.fun))
		return true
	case "=?":
		resp.add("+CFUN: (0,1,4),(0-1)")
		return true
	}
	a, ok := intArgs(suffix)
	if !ok || len(a) == 0 || (a[0] != 0 && a[0] != 1 && a[0] != 4) {
		resp.final = s.cmeErr(4)
		return false
	}
	s.fun = a[0]
	if len(a) > 1 && a[1] == 1 {
		// The OK goes out first, then the modem is deaf until its boot URCs.
		s.booting = true
		s.after(s.opts.BootDelay, func() { s.powerOn(true) })
		return true
	}
	if s.fun == 1 {
		s.releaseHeld()
	}
	return true
}

func (s *Sim) cscsCmd(suffix string, resp *response) bool {
	switch suffix {
	case "?":
		resp.add(fmt.Sprintf("+CSCS: %q", s.cscs))
		return true
	case "=?":
		resp.add(`+CSCS: ("GSM","IRA","UCS2")`)
		return true
	}
	a := args(suffix)
	if len(a) != 1 || (a[0] != "GSM" && a[0] != "IRA" && a[0] != "UCS2") {
		resp.final = s.cmeErr(4)
		return false
	}
	s.cscs = a[0]
	return true
}

// regStat is the +CREG stat the host sees; no radio or no SIM means not registered.
func (s *Sim) regStat() int {
	if s.fun != 1 || s.pinState != "READY" {
		return 0
	}
	return s.reg
}

func (s *Sim) cregLine() string {
	if s.cregN == 2 {
		return fmt.Sprintf(`+CREG: 2,%d,"5E25","605F"`, s.regStat())
	}
	return fmt.Sprintf("+CREG: %d,%d", s.cregN, s.regStat())
}

// cregURC is the unsolicited +CREG: without <n> as 27.007 has it, unless
// the profile puts <n> first anyway.
func (s *Sim) cregURC() string {
	if s.prof.CREGURCWithMode {
		return s.cregLine()
	}
	if s.cregN == 2 {
		return fmt.Sprintf(`+CREG: %d,"5E25","605F"`, s.regStat())
	}
	return fmt.Sprintf("+CREG: %d", s.regStat())
}

// inCharset renders a string parameter in the current AT+CSCS character
// set: UCS2 gives UTF-16 hex, four digits a character.
func (s *Sim) inCharset(v string) string {
	if s.cscs != "UCS2" {
		return v
	}
	var b strings.Builder
	for _, u := range utf16.Encode([]rune(v)) {
		fmt.Fprintf(&b, "%04X", u)
	}
	return b.String()
}

// fromCharset reads a string parameter written in the current character set.
func (s *Sim) fromCharset(v string) (string, bool) {
	if s.cscs != "UCS2" {
		return v, true
	}
	raw, err := hex.DecodeString(v)
	if err != nil || len(raw)%2 != 0 {
		return "", false
	}
	units := make([]uint16, len(raw)/2)
	for i := range units {
		units[i] = uint16(raw[2*i])<<8 | uint16(raw[2*i+1])
	}
	return string(utf16.Decode(units)), true
}

func (s *Sim) cops(suffix string, resp *response) bool {
	switch suffix {
	case "?":
		if st := s.regStat(); st == 1 || st == 5 {
			resp.add(fmt.Sprintf(`+COPS: 0,0,%q,2`, s.inCharset(s.opts.Operator)))
		} else {
			resp.add("+COPS: 0")
		}
	case "=?":
		resp.add(fmt.Sprintf(`+COPS: (2,%q,%q,"63902",2),,(0-4),(0-2)`, s.opts.Operator, s.opts.Operator))
	}
	return true
}

func (s *Sim) csca(suffix string, resp *response) bool {
	switch suffix {
	case "?":
		toa := 129
		if strings.HasPrefix(s.smsc, "+") {
			toa = 145
		}
		resp.add(fmt.Sprintf("+CSCA: %q,%d", s.inCharset(s.smsc), toa))
		return true
	case "=?":
		return true
	}
	a := args(suffix)
	if len(a) == 0 {
		resp.final = s.cmsErr(304)
		return false
	}
	smsc, ok := s.fromCharset(a[0])
	if !ok {
		resp.final = s.cmsErr(304)
		return false
	}
	s.smsc = smsc
	return true
}

func (s *Sim) cpms(suffix string, resp *response) bool {
	used, total := s.storageCounts()
	switch suffix {
	case "?":
		resp.add(fmt.Sprintf(`+CPMS: %q,%d,%d,%q,%d,%d,%q,%d,%d`,
			s.mems[0], used, total, s.mems[1], used, total, s.mems[2], used, total))
		return true
	case "=?":
		resp.add(s.prof.cpmsRangeLine())
		return true
	}
	a := args(suffix)
	if len(a) == 0 || len(a) > 3 {
		resp.final = s.cmsErr(302)
		return false
	}
	for i, m := range a {
		if !contains(s.prof.Memories[i], m) {
			resp.final = s.cmsErr(302)
			return false
		}
	}
	copy(s.mems[:], a)
	resp.add(fmt.Sprintf("+CPMS: %d,%d,%d,%d,%d,%d", used, total, used, total, used, total))
	return true
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func (s *Sim) csmsCmd(suffix string, resp *response) bool {
	switch suffix {
	case "?":
		resp.add(fmt.Sprintf("+CSMS: %d,1,1,1", s.csms))
		return true
	case "=?":
		resp.add(s.prof.CSMSRange)
		return true
	}
	a, ok := intArgs(suffix)
	if !ok || len(a) != 1 || len(s.csmsSets) == 0 || !s.csmsSets[0][a[0]] {
		resp.final = s.cmsErr(303)
		return false
	}
	s.csms = a[0]
	resp.add("+CSMS: 1,1,1")
	return true
}

func (s *Sim) cnmiCmd(suffix string, resp *response) bool {
	switch suffix {
	case "?":
		c := s.cnmi
		resp.add(fmt.Sprintf("+CNMI: %d,%d,%d,%d,%d", c[0], c[1], c[2], c[3], c[4]))
		return true
	case "=?":
		resp.add(s.prof.CNMIRange)
		return true
	}
	a, ok := intArgs(suffix)
	if !ok || len(a) == 0 || len(a) > 5 {
		resp.final = s.cmsErr(303)
		return false
	}
	var next [5]int
	for i, v := range a {
		if i >= len(s.cnmiSets) || !s.cnmiSets[i][v] {
			resp.final = s.cmsErr(303)
			return false
		}
		next[i] = v
	}
	s.cnmi = next
	return true
}

func (s *Sim) parseIndex(a string) (slot int, ok bool) {
	i, err := strconv.Atoi(a)
	if err != nil {
		return 0, false
	}
	slot = i - s.prof.FirstIndex
	return slot, slot >= 0 && slot < len(s.slots)
}

func (s *Sim) cmgl(suffix string, resp *response) bool {
	if suffix == "=?" {
		resp.add("+CMGL: (0-4)")
		return true
	}
	if s.cmgf != 0 {
		resp.final = s.cmsErr(302)
		return false
	}
	stat := 0
	if suffix != "" {
		v, err := strconv.Atoi(strings.TrimPrefix(suffix, "="))
		if err != nil || v < 0 || v > 4 {
			resp.final = s.cmsErr(302)
			return false
		}
		stat = v
	}
	for i, m := range s.slots {
		if m == nil || (stat != 4 && m.stat != stat) {
			continue
		}
		resp.addPair(fmt.Sprintf("+CMGL: %d,%d,,%d", i+s.prof.FirstIndex, m.stat, m.tpduLen), s.storedPDU(m))
		if m.stat == statUnread {
			m.stat = statRead
		}
	}
	return true
}

func (s *Sim) cmgr(suffix string, resp *response) bool {
	if suffix == "=?" {
		return true
	}
	if s.cmgf != 0 {
		resp.final = s.cmsErr(302)
		return false
	}
	a := args(suffix)
	if len(a) == 0 {
		resp.final = s.cmsErr(321)
		return false
	}
	slot, ok := s.parseIndex(a[0])
	if !ok {
		resp.final = s.cmsErr(321)
		return false
	}
	m := s.slots[slot]
	if m == nil {
		if s.prof.CMGREmptyOK {
			return true
		}
		resp.final = s.cmsErr(321)
		return false
	}
	resp.addPair(fmt.Sprintf(s.prof.CMGRHeader, m.stat, m.tpduLen), s.storedPDU(m))
	if m.stat == statUnread {
		m.stat = statRead
	}
	return true
}

// storedPDU is a stored message's PDU line as the profile prints it.
func (s *Sim) storedPDU(m *storedMsg) string {
	if !s.prof.PDUWithoutSMSC {
		return m.pdu
	}
	if smscLen := len(m.pdu) - 2*m.tpduLen; smscLen >= 0 {
		return m.pdu[smscLen:]
	}
	return m.pdu
}

func (s *Sim) cmgd(suffix string, resp *response) bool {
	if suffix == "=?" {
		var used []string
		for i, m := range s.slots {
			if m != nil {
				used = append(used, strconv.Itoa(i+s.prof.FirstIndex))
			}
		}
		resp.add(fmt.Sprintf("+CMGD: (%s),(0-4)", strings.Join(used, ",")))
		return true
	}
	a := args(suffix)
	flag := 0
	if len(a) >= 2 && a[1] != "" {
		v, err := strconv.Atoi(a[1])
		if err != nil || v < 0 || v > 4 {
			resp.final = s.cmsErr(302)
			return false
		}
		flag = v
	}
	if len(a) == 0 {
		resp.final = s.cmsErr(321)
		return false
	}
	if flag == 0 {
		slot, ok := s.parseIndex(a[0])
		if !ok {
			resp.final = s.cmsErr(321)
			return false
		}
		if s.slots[slot] == nil && !s.prof.CMGDEmptyOK {
			resp.final = s.cmsErr(321)
			return false
		}
		s.slots[slot] = nil
	} else {
		// flag 1 deletes read; 2 adds sent; 3 adds unsent; 4 deletes everything.
		for i, m := range s.slots {
			if m == nil {
				continue
			}
			if m.stat == statRead || flag == 4 || (flag >= 2 && m.stat == statSent) || (flag >= 3 && m.stat == statUnsent) {
				s.slots[i] = nil
			}
		}
	}
	s.releaseHeld()
	return true
}

func (s *Sim) cmgs(suffix string, resp *response) bool {
	if suffix == "=?" {
		return true
	}
	if s.cmgf != 0 {
		resp.final = s.cmsErr(302)
		return false
	}
	n, err := strconv.Atoi(strings.TrimPrefix(suffix, "="))
	if !strings.HasPrefix(suffix, "=") || err != nil || n < 1 || n > 255 {
		resp.final = s.cmsErr(304)
		return false
	}
	// Lines from earlier commands in the chain go out before the prompt.
	var b strings.Builder
	for _, l := range resp.lines {
		b.WriteString(frame(l.text))
	}
	resp.lines = nil
	b.WriteString(s.prof.Prompt)
	s.write(b.String())
	s.inPrompt = true
	s.promptLen = n
	resp.async = true
	return true
}
