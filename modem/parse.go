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
// AT+CPMS=? answer. It copes with nested parentheses (Wavecom), spaces,
// and the parenthesis-less form "SM","SM","SM".
func parseStoreGroups(s string) [][]string {
	s = strings.TrimSpace(s)
	if !strings.Contains(s, "(") {
		var out [][]string
		for _, f := range splitFields(s) {
			if f != "" {
				out = append(out, []string{f})
			}
		}
		return out
	}
	var out [][]string
	depth, start := 0, -1
	for i, c := range s {
		switch c {
		case '(':
			depth++
			start = i + 1
		case ')':
			if start >= 0 {
				var names []string
				for _, f := range splitFields(s[start:i]) {
					if f != "" {
						names = append(names, f)
					}
				}
				if len(names) > 0 {
					out = append(out, names)
				}
			}
			start = -1
			depth--
		}
	}
	return out
}

// chooseStores returns the AT+CPMS= argument list: "SM" for every parameter
// the modem offers it in, else the first store of the first list that every
// list offers, else each list's first store.
func chooseStores(groups [][]string) []string {
	if len(groups) > 3 {
		groups = groups[:3]
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
			f := splitFields(afterColon(l))
			pos := 1
			if len(f) == 1 {
				pos = 0
			}
			if n, err := strconv.Atoi(f[pos]); err == nil {
				return n, true
			}
		}
	}
	return 0, false
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

// parseCSCA returns the SMSC number; empty means none is set.
func parseCSCA(lines []string) (string, bool) {
	for _, l := range lines {
		if strings.HasPrefix(l, "+CSCA") {
			return splitFields(afterColon(l))[0], true
		}
	}
	return "", false
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
