package modem

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// afterColon returns the text after the first colon, trimmed.
func afterColon(line string) string {
	if i := strings.IndexByte(line, ':'); i >= 0 {
		return strings.TrimSpace(line[i+1:])
	}
	return strings.TrimSpace(line)
}

// splitFields splits a comma list, trimming spaces and quotes from each field.
func splitFields(s string) []string {
	parts := strings.Split(s, ",")
	for i, p := range parts {
		parts[i] = strings.Trim(strings.TrimSpace(p), `"`)
	}
	return parts
}

// parseRangeGroups parses a capability answer such as
// "(0-3),(0-3),(0,2),(0,1),(0,1)" or "(2),(0-1,3),(0,2),(0-1),(0)" into one
// sorted value set per parameter. An answer without parentheses ("0,1,2")
// gives one single-value set per field.
func parseRangeGroups(s string) ([][]int, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, fmt.Errorf("empty capability list")
	}
	var groups []string
	if strings.Contains(s, "(") {
		depth, start := 0, -1
		for i, c := range s {
			switch c {
			case '(':
				if depth == 0 {
					start = i + 1
				}
				depth++
			case ')':
				depth--
				if depth < 0 {
					return nil, fmt.Errorf("unbalanced parentheses in %q", s)
				}
				if depth == 0 {
					groups = append(groups, s[start:i])
				}
			}
		}
		if depth != 0 {
			return nil, fmt.Errorf("unbalanced parentheses in %q", s)
		}
	} else {
		groups = strings.Split(s, ",")
	}
	out := make([][]int, 0, len(groups))
	for _, g := range groups {
		set, err := parseValueSet(g)
		if err != nil {
			return nil, err
		}
		out = append(out, set)
	}
	return out, nil
}

// parseValueSet parses "0-3", "0,1,2", "2" or "0-1,4-7".
func parseValueSet(g string) ([]int, error) {
	var set []int
	for _, item := range strings.Split(g, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		lo, hi, isRange := strings.Cut(item, "-")
		a, err := strconv.Atoi(strings.TrimSpace(lo))
		if err != nil {
			return nil, fmt.Errorf("bad value %q in capability list", item)
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(strings.TrimSpace(hi)); err != nil || b < a || b-a > 1000 {
				return nil, fmt.Errorf("bad range %q in capability list", item)
			}
		}
		for v := a; v <= b; v++ {
			if !slices.Contains(set, v) {
				set = append(set, v)
			}
		}
	}
	slices.Sort(set)
	return set, nil
}

// chooseCNMI picks store-and-indicate settings strictly from the ranges the
// modem advertised: mode 2 (else 1, 3, 0), mt 1 (else 0: sweeps only),
// bm 0, ds 0, bfr 0, each falling back to the lowest allowed value.
// It returns the argument string for AT+CNMI= and whether +CMTI will be sent.
func chooseCNMI(groups [][]int) (args string, indicates bool, err error) {
	if len(groups) < 2 {
		return "", false, fmt.Errorf("the modem listed %d CNMI parameters, need at least 2", len(groups))
	}
	prefs := [][]int{{2, 1, 3, 0}, {1, 0}, {0}, {0}, {0}}
	var vals []string
	for i, allowed := range groups {
		if i >= len(prefs) {
			break
		}
		if len(allowed) == 0 {
			return "", false, fmt.Errorf("the modem allows no value for CNMI parameter %d", i+1)
		}
		v := allowed[0]
		for _, p := range prefs[i] {
			if slices.Contains(allowed, p) {
				v = p
				break
			}
		}
		if i == 1 {
			indicates = v == 1
			// mt 2/3 routes messages past storage and needs +CNMA acks we do not send.
			if v != 1 && v != 0 {
				return "", false, fmt.Errorf("the modem only offers direct routing (mt %v), which this daemon does not use", allowed)
			}
		}
		vals = append(vals, strconv.Itoa(v))
	}
	return strings.Join(vals, ","), indicates, nil
}

// parseStoreGroups extracts the storage names per parameter from an
// AT+CPMS=? answer, one list per parameter in order. A parameter is a
// parenthesised list or a bare store between them (`("ME","MT"),"ME",("SM")`);
// it copes with one more pair around everything (Wavecom), spaces, the
// parenthesis-less form "SM","SM","SM", and empty lists (nil).
func parseStoreGroups(s string) [][]string {
	s = strings.TrimSpace(s)
	if inner, ok := unwrapParens(s); ok && strings.Contains(inner, "(") {
		s = inner // (("SM","BM","SR"),("SM"))
	}
	var out [][]string
	for _, item := range splitOutsideParens(s) {
		item = strings.TrimSpace(item)
		if inner, ok := unwrapParens(item); ok {
			item = inner
		}
		var names []string
		for _, f := range splitFields(strings.NewReplacer("(", "", ")", "").Replace(item)) {
			if f != "" {
				names = append(names, f)
			}
		}
		out = append(out, names)
	}
	if len(out) == 1 && out[0] == nil {
		return nil // an empty answer
	}
	return out
}

// unwrapParens returns what is inside s when one pair of parentheses encloses all of it.
func unwrapParens(s string) (string, bool) {
	if len(s) < 2 || s[0] != '(' || s[len(s)-1] != ')' {
		return "", false
	}
	depth := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 && i != len(s)-1 {
				return "", false // "(a),(b)": the first pair closes early
			}
		}
	}
	return s[1 : len(s)-1], depth == 0
}

// splitOutsideParens splits s at the commas outside parentheses and quotes.
func splitOutsideParens(s string) []string {
	var out []string
	depth, quoted, start := 0, false, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"':
			quoted = !quoted
		case quoted:
		case c == '(':
			depth++
		case c == ')' && depth > 0:
			depth--
		case c == ',' && depth == 0:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

// chooseStores returns the AT+CPMS= argument list: "SM" for every parameter
// if every list offers it, else the first store of the first list that every
// list offers, else each list's first store. Each store is one its parameter
// offers; parameters from the first empty list on are left out (the modem
// keeps its setting for them).
func chooseStores(groups [][]string) []string {
	if len(groups) > 3 {
		groups = groups[:3]
	}
	for i, g := range groups {
		if len(g) == 0 {
			groups = groups[:i]
			break
		}
	}
	if len(groups) == 0 {
		return nil
	}
	candidates := append([]string{"SM"}, groups[0]...)
	for _, c := range candidates {
		inAll := true
		for _, g := range groups {
			if !slices.Contains(g, c) {
				inAll = false
				break
			}
		}
		if inAll {
			out := make([]string, len(groups))
			for i := range out {
				out[i] = c
			}
			return out
		}
	}
	out := make([]string, len(groups))
	for i, g := range groups {
		out[i] = g[0]
	}
	return out
}

// listEntry is one message from AT+CMGL or AT+CMGR.
type listEntry struct {
	index, stat, length int
	pdu                 string
}

// parseCMGL pairs each "+CMGL: <i>,<stat>,[<alpha>],<len>" header with the
// PDU line after it. Malformed headers are skipped and reported.
func parseCMGL(lines []string) (entries []listEntry, bad []string) {
	for i := 0; i < len(lines); i++ {
		if !strings.HasPrefix(lines[i], "+CMGL") {
			continue
		}
		f := splitFields(afterColon(lines[i]))
		if len(f) < 3 || i+1 >= len(lines) || strings.HasPrefix(lines[i+1], "+CMGL") {
			bad = append(bad, lines[i])
			continue
		}
		idx, err1 := strconv.Atoi(f[0])
		stat, err2 := strconv.Atoi(f[1])
		length, err3 := strconv.Atoi(f[len(f)-1])
		if err1 != nil || err2 != nil || err3 != nil {
			bad = append(bad, lines[i])
			i++
			continue
		}
		entries = append(entries, listEntry{index: idx, stat: stat, length: length, pdu: lines[i+1]})
		i++
	}
	return entries, bad
}

// parseCMGR reads "+CMGR: <stat>,[<alpha>],<len>" and its PDU line,
// tolerating the variants of docs/modem.md §5 Storage (missing stat, missing alpha,
// length only, index echoed first). A missing stat counts as unread.
func parseCMGR(lines []string) (stat, length int, pdu string, ok bool) {
	for i, l := range lines {
		if !strings.HasPrefix(l, "+CMGR") || i+1 >= len(lines) {
			continue
		}
		f := splitFields(afterColon(l))
		n, err := strconv.Atoi(f[len(f)-1])
		if err != nil {
			return 0, 0, "", false
		}
		statField := ""
		switch len(f) {
		case 2, 3:
			statField = f[0]
		case 4:
			statField = f[1]
		}
		stat = 0
		if statField != "" {
			if stat, err = strconv.Atoi(statField); err != nil {
				return 0, 0, "", false
			}
		}
		return stat, n, lines[i+1], true
	}
	return 0, 0, "", false
}

// parseCMTI reads `+CMTI: "SM",3` (extra trailing fields allowed).
func parseCMTI(line string) (store string, index int, ok bool) {
	f := splitFields(afterColon(line))
	if len(f) < 2 {
		return "", 0, false
	}
	n, err := strconv.Atoi(f[1])
	if err != nil || n < 0 {
		return "", 0, false
	}
	return f[0], n, true
}

// parseCSQ returns rssi (0-31, 99 unknown).
func parseCSQ(lines []string) (int, bool) {
	for _, l := range lines {
		if strings.HasPrefix(l, "+CSQ") {
			f := splitFields(afterColon(l))
			if n, err := strconv.Atoi(f[0]); err == nil {
				return n, true
			}
		}
	}
	return 0, false
}

func signalText(rssi int) string {
	if rssi < 0 || rssi > 31 {
		return "no signal or unknown"
	}
	dbm := -113 + 2*rssi
	var q string
	switch {
	case rssi < 10:
		q = "marginal"
	case rssi < 15:
		q = "fair"
	case rssi < 20:
		q = "good"
	default:
		q = "excellent"
	}
	return fmt.Sprintf("%s (%d dBm)", q, dbm)
}

// parseCREG reads the <stat> of a query answer "+CREG: <n>,<stat>[,...]".
func parseCREG(lines []string) (int, bool) {
	for _, l := range lines {
		if strings.HasPrefix(l, "+CREG") {
			return parseRegistration(afterColon(l))
		}
	}
	return 0, false
}

// parseRegistration reads <stat> from what follows "+CREG:", in every form
// seen: the query answer "<n>,<stat>[,<lac>,<ci>[,<AcT>]]", the unsolicited
// "<stat>[,<lac>,<ci>[,<AcT>]]", and the unsolicited form with <n> first
// anyway (Sony-Ericsson MD400: +CREG: 2,5,"0502","0404736D"). <n> comes
// first when there are exactly two fields, or when the second field is a
// bare small number: a location area code is quoted, or hex of 3-4 digits.
func parseRegistration(payload string) (int, bool) {
	var raw []string
	for _, f := range strings.Split(payload, ",") {
		raw = append(raw, strings.TrimSpace(f))
	}
	small := func(f string, max int) bool {
		n, err := strconv.Atoi(f)
		return err == nil && n >= 0 && n <= max && len(f) <= 2
	}
	pos := 0
	if len(raw) == 2 || len(raw) >= 3 && small(raw[0], 5) && small(raw[1], 11) {
		pos = 1
	}
	stat, err := strconv.Atoi(raw[pos])
	if err != nil || stat < 0 {
		return 0, false
	}
	return stat, true
}

func registrationText(stat int) string {
	switch stat {
	case 0:
		return "not registered, not searching"
	case 1:
		return "registered (home network)"
	case 2:
		return "searching for a network"
	case 3:
		return "registration denied"
	case 5:
		return "registered (roaming)"
	}
	return "registration unknown"
}

// parseCSCA returns the SMSC number; empty means none is set. A modem left
// in UCS2 by another program (AT+CSCS="UCS2") gives the number as UTF-16
// hex ("002B0032...", quoted or not); it is decoded when it reads as a number.
func parseCSCA(lines []string) (string, bool) {
	for _, l := range lines {
		if strings.HasPrefix(l, "+CSCA") {
			number := splitFields(afterColon(l))[0]
			if decoded, ok := decodeUCS2Number(number); ok {
				return decoded, true
			}
			return number, true
		}
	}
	return "", false
}

// decodeUCS2Number decodes UTF-16 hex that spells a phone number: an
// optional '+', then digits. A number in the GSM alphabet never reads so:
// "62811000" would be two CJK characters.
func decodeUCS2Number(s string) (string, bool) {
	if len(s) < 8 || len(s)%4 != 0 {
		return "", false
	}
	var b strings.Builder
	for i := 0; i < len(s); i += 4 {
		u, err := strconv.ParseUint(s[i:i+4], 16, 16)
		if err != nil {
			return "", false
		}
		switch {
		case u >= '0' && u <= '9', u == '+' && i == 0:
			b.WriteByte(byte(u))
		default:
			return "", false
		}
	}
	return b.String(), true
}

// parseCPMSQuery reads `+CPMS: "SM",3,25,...` and returns the first store's use.
func parseCPMSQuery(lines []string) (store string, used, total int, ok bool) {
	for _, l := range lines {
		if !strings.HasPrefix(l, "+CPMS") {
			continue
		}
		f := splitFields(afterColon(l))
		if len(f) < 3 {
			return "", 0, 0, false
		}
		u, err1 := strconv.Atoi(f[1])
		t, err2 := strconv.Atoi(f[2])
		if err1 != nil || err2 != nil {
			return "", 0, 0, false
		}
		return f[0], u, t, true
	}
	return "", 0, 0, false
}

// parseCMGS returns the message reference of "+CMGS: <mr>[,...]".
func parseCMGS(lines []string) (int, bool) {
	for _, l := range lines {
		if strings.HasPrefix(l, "+CMGS") {
			f := splitFields(afterColon(l))
			if n, err := strconv.Atoi(f[0]); err == nil {
				return n, true
			}
		}
	}
	return 0, false
}

// parseCPIN returns the SIM state word of "+CPIN: READY" etc.
func parseCPIN(lines []string) (string, bool) {
	for _, l := range lines {
		if strings.HasPrefix(l, "+CPIN") {
			return strings.Trim(afterColon(l), `"`), true
		}
	}
	return "", false
}

// parseCOPS reads the operator of "+COPS: <mode>,<format>,"<oper>"[,<AcT>]":
// the name as given for the long and short formats, "MCC MNC" for the
// numeric one (format 2, "63902" → "639 02"). "+COPS: 0" alone (no
// network) is no operator.
func parseCOPS(lines []string) (string, bool) {
	for _, l := range lines {
		if !strings.HasPrefix(l, "+COPS:") {
			continue
		}
		f := strings.SplitN(afterColon(l), ",", 4)
		if len(f) < 3 {
			return "", false
		}
		name := strings.Trim(strings.TrimSpace(f[2]), `"`)
		if name == "" {
			return "", false
		}
		if strings.TrimSpace(f[1]) == "2" && len(name) >= 5 && strings.Trim(name, "0123456789") == "" {
			return name[:3] + " " + name[3:], true
		}
		return name, true
	}
	return "", false
}
