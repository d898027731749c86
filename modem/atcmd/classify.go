package atcmd

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Errors returned by Port methods.
var (
	ErrTimeout  = errors.New("the modem did not answer in time")
	ErrClosed   = errors.New("the modem port is closed")
	ErrNoPrompt = errors.New("the modem did not offer the SMS prompt; nothing was sent")
	// ErrGarbled: a pushed SMS cut into the answer, so its lines cannot be
	// attributed; the command had effect but its answer must be read again.
	ErrGarbled        = errors.New("a pushed SMS cut into the modem's answer; it will be read again")
	ErrUnknownOutcome = errors.New("the SMS was handed to the modem but no result came back; it may or may not have been sent")
)

// ErrorKind tells which kind of final error line the modem sent.
type ErrorKind int

const (
	// Plain is a bare ERROR line.
	Plain ErrorKind = iota
	// CME is a +CME ERROR (equipment error).
	CME
	// CMS is a +CMS ERROR (SMS service error).
	CMS
	// Vendor is a non-standard final such as COMMAND NOT SUPPORT or MODEM ERROR: n.
	Vendor
)

// Error is a final error result from the modem.
type Error struct {
	Kind ErrorKind
	Code int    // -1 when the modem gave text instead of a number
	Text string // the modem's own words after the prefix (or the whole line)
}

func (e *Error) Error() string {
	switch e.Kind {
	case CME:
		return describe("modem error", e, cmeMeaning)
	case CMS:
		if e.Code < 0 {
			return "modem SMS error: " + e.Text
		}
		return fmt.Sprintf("modem SMS error %d (%s)", e.Code, CMSWords(e.Code))
	case Vendor:
		return "the modem refused the command: " + e.Text
	default:
		return "the modem answered ERROR without a reason"
	}
}

func describe(what string, e *Error, meanings map[int]string) string {
	if e.Code < 0 {
		return fmt.Sprintf("%s: %s", what, e.Text)
	}
	if m, ok := meanings[e.Code]; ok {
		return fmt.Sprintf("%s %d (%s)", what, e.Code, m)
	}
	return fmt.Sprintf("%s %d", what, e.Code)
}

var cmeMeaning = map[int]string{
	3: "operation not allowed", 4: "operation not supported", 10: "SIM not inserted",
	11: "SIM PIN required", 12: "SIM PUK required", 13: "SIM failure", 14: "SIM busy",
	16: "incorrect password", 30: "no network service", 100: "unknown error",
	515: "modem busy, please wait",
}

// CMSCode reports the +CMS ERROR number carried by err, if any.
func CMSCode(err error) (int, bool) {
	var e *Error
	if errors.As(err, &e) && e.Kind == CMS && e.Code >= 0 {
		return e.Code, true
	}
	return 0, false
}

// CMECode reports the +CME ERROR number carried by err, if any.
func CMECode(err error) (int, bool) {
	var e *Error
	if errors.As(err, &e) && e.Kind == CME && e.Code >= 0 {
		return e.Code, true
	}
	return 0, false
}

// parseFinal recognises a final result line. ok reports a successful final;
// err is non-nil for an error final; isFinal is false for any other line.
func parseFinal(line string) (isFinal bool, err *Error) {
	switch {
	case line == "OK":
		return true, nil
	case line == "ERROR":
		return true, &Error{Kind: Plain, Code: -1, Text: "ERROR"}
	case strings.HasPrefix(line, "+CME ERROR:"):
		return true, codedError(CME, strings.TrimPrefix(line, "+CME ERROR:"))
	case strings.HasPrefix(line, "+CMS ERROR:"):
		return true, codedError(CMS, strings.TrimPrefix(line, "+CMS ERROR:"))
	case line == "COMMAND NOT SUPPORT":
		return true, &Error{Kind: Vendor, Code: -1, Text: line}
	case strings.HasPrefix(line, "MODEM ERROR:"):
		e := codedError(Vendor, strings.TrimPrefix(line, "MODEM ERROR:"))
		e.Text = line
		return true, e
	}
	return false, nil
}

func codedError(kind ErrorKind, rest string) *Error {
	rest = strings.TrimSpace(rest)
	if n, err := strconv.Atoi(rest); err == nil && n >= 0 {
		return &Error{Kind: kind, Code: n, Text: rest}
	}
	return &Error{Kind: kind, Code: -1, Text: rest}
}

// urcPrefixes maps each known unsolicited line prefix to the number of lines
// that follow it and belong to it.
var urcPrefixes = []struct {
	prefix   string
	trailing int
}{
	{"+CMTI:", 0}, {"+CMT:", 1}, {"+CDSI:", 0}, {"+CDS:", 1}, {"+CREG:", 0}, {"+CEREG:", 0},
	{"+CGREG:", 0}, {"RING", 0}, {"+CLIP:", 0}, {"+CRING:", 0}, {"NO CARRIER", 0},
	{"^RSSI:", 0}, {"^MODE:", 0}, {"^BOOT:", 0}, {"^DSFLOWRPT:", 0}, {"^HCSQ:", 0},
	{"^SRVST:", 0}, {"^SIMST:", 0}, {"^STIN:", 0}, {"^CSNR:", 0}, {"^NWTIME:", 0},
	{"^SMMEMFULL", 0}, {"^ORIG:", 0}, {"^CONF:", 0}, {"^CONN:", 0}, {"^CEND:", 0},
	{"+QIND:", 0}, {"+QUSIM:", 0}, {"#STN:", 0}, {"+STIN:", 0},
	{"+ZPASR:", 0}, {"+ZDONR:", 0}, {"+ZUSIMR:", 0}, {"+ZEND", 0},
	{"RDY", 0}, {"Call Ready", 0}, {"SMS Ready", 0}, {"+CPIN:", 0}, {"+CFUN:", 0},
	{"NORMAL POWER DOWN", 0}, {"UNDER-VOLTAGE", 0}, {"OVER-VOLTAGE", 0}, {"+CUSD:", 0},
	{"^SYSSTART", 0}, {"+SPNWNAME:", 0}, {"+PSBEARER:", 0},
	// Data-session, system-mode and event reports that Huawei NDIS sticks,
	// 27.007 modems and Wavecom/Sierra modules send unasked.
	{"^NDISSTAT:", 0}, {"^NDISEND:", 0}, {"^SYSINFO:", 0}, {"^SYSINFOEX:", 0}, {"+CGEV:", 0},
	{"+WIND:", 0}, {"+CIEV:", 0}, {"+CTZV:", 0}, {"+CTZE:", 0}, {"+CTZEU:", 0},
}

// urcTrailing reports whether line is a known unsolicited code and how many
// following lines belong to it.
func urcTrailing(line string) (known bool, trailing int) {
	for _, u := range urcPrefixes {
		if strings.HasPrefix(line, u.prefix) {
			return true, u.trailing
		}
	}
	return false, 0
}

// infoTrailing is the number of lines that follow an expected info line with
// this prefix (the PDU of a listed or read message).
func infoTrailing(prefix string) int {
	switch prefix {
	case "+CMGL:", "+CMGR:":
		return 1
	}
	return 0
}

// isEcho reports whether line looks like a command echoed back by the modem.
func isEcho(line string) bool {
	return len(line) >= 2 && (line[0] == 'A' || line[0] == 'a') && (line[1] == 'T' || line[1] == 't')
}

// codeName returns the name of the result code a line starts with: "+CGEV"
// for "+CGEV: ME PDN ACT 1", "^SYSSTART" for "^SYSSTART". A code is a sigil
// (+ ^ # * $ %), a letter, then letters, digits or underscores up to a colon,
// a space or the end. Lines that are not codes (an IMSI, a manufacturer's
// name, a "+254..." number) give "".
func codeName(line string) string {
	if len(line) < 2 || !strings.ContainsRune("+^#*$%", rune(line[0])) || !isLetter(line[1]) {
		return ""
	}
	i := 2
	for i < len(line) && (isLetter(line[i]) || line[i] >= '0' && line[i] <= '9' || line[i] == '_') {
		i++
	}
	if i < len(line) && line[i] != ':' && line[i] != ' ' {
		return ""
	}
	return strings.ToUpper(line[:i])
}

func isLetter(b byte) bool { return b >= 'A' && b <= 'Z' || b >= 'a' && b <= 'z' }

// commandName returns the name of an extended command ("+CGMI" for
// "AT+CGMI", "+CREG" for "AT+CREG?"): the code its own answer may carry.
// Basic commands (ATI, ATE0, AT) give "".
func commandName(cmd string) string {
	if len(cmd) < 2 || !strings.EqualFold(cmd[:2], "AT") {
		return ""
	}
	rest := cmd[2:]
	if i := strings.IndexAny(rest, "=?;"); i >= 0 {
		rest = rest[:i]
	}
	return codeName(rest)
}

// sameCommand reports whether code names the same command as own, counting
// the V.250 synonyms of the 27.007 identity commands (+GMI for +CGMI, ...).
func sameCommand(code, own string) bool {
	if code == "" || own == "" {
		return false
	}
	synonym := func(s string) string {
		if strings.HasPrefix(s, "+CG") {
			return "+G" + s[3:]
		}
		return s
	}
	return code == own || synonym(code) == synonym(own)
}

// matchExpected returns the declared prefix that line starts with, if any.
// Prefixes are compared without their trailing colon so "+CSQ" and "+CSQ:" both work,
// and a colon-less reply like "+CPMS:(...)" still matches.
func matchExpected(line string, expect []string) (string, bool) {
	for _, p := range expect {
		bare := strings.TrimSuffix(p, ":")
		if strings.HasPrefix(line, bare) {
			rest := line[len(bare):]
			// The prefix must end at a word boundary: "+CMT" must not match "+CMTI:".
			if rest == "" || rest[0] == ':' || rest[0] == ' ' {
				return bare + ":", true
			}
		}
	}
	return "", false
}
