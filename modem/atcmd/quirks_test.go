package atcmd

import (
	"context"
	"reflect"
	"testing"
)

// Unsolicited lines the URC table does not list, arriving inside the answer
// to a command whose answer has no prefix (identity queries), as real modems
// send them: Huawei ^NDISSTAT and ^SYSINFO, 27.007 +CGEV, Wavecom/Sierra
// +WIND. None of them may become the answer (docs/modem.md §2).
func TestCodeLinesInsidePrefixlessAnswerAreNotTheAnswer(t *testing.T) {
	cases := []struct {
		cmd, noise, answer string
	}{
		{"AT+CGMI", "^NDISSTAT: 1,,,IPV4", "huawei"},
		{"AT+CIMI", "^SYSINFO:2,4,5,3,1", "639012345678901"},
		{"AT+CGSN", "+CGEV: ME PDN ACT 1", "867530012345678"},
		{"AT+CGMM", "+WIND: 4", "Q2686"},
		{"AT+CIMI", "^FOOSTAT: 7", "639012345678901"}, // a code nobody has listed yet
		{"AT+CGMR", "+QIND: \"csq\",21,99", "EC25EFAR06A06M4G"},
	}
	for _, c := range cases {
		t.Run(c.cmd+" "+c.noise, func(t *testing.T) {
			p, fm := newFake(t)
			ch := runAsync(func() ([]string, error) {
				return p.Command(context.Background(), c.cmd, hangGuard)
			})
			fm.expect(c.cmd)
			// Before the answer: the line the daemon would take as the answer.
			fm.send("\r\n" + c.noise + "\r\n" + c.answer + "\r\n\r\nOK\r\n")
			r := await(t, ch)
			if r.err != nil || !reflect.DeepEqual(r.lines, []string{c.answer}) {
				t.Fatalf("answer = %q, %v; want only %q", r.lines, r.err, c.answer)
			}
			if u := nextURC(t, p); u.Line != c.noise {
				t.Fatalf("URC = %+v, want %q", u, c.noise)
			}
		})
	}
}

// A prefix-less command whose answer does carry its own name (some modems
// answer AT+CGMI with "+CGMI: ..."), or the V.250 synonym of it, keeps it.
func TestOwnPrefixStaysTheAnswerOfAPrefixlessCommand(t *testing.T) {
	cases := []struct{ cmd, answer string }{
		{"AT+CGMI", "+CGMI: SIMCOM_Ltd"},
		{"AT+CGSN", "+GSN: 867530012345678"},
		{"AT+GMM", "+CGMM: EC25"},
		{"AT^SYSINFO", "^SYSINFO:2,4,5,3,1"},
		{"AT+CREG?", "+CREG: 0,1"}, // its own name beats the URC table
	}
	for _, c := range cases {
		t.Run(c.cmd, func(t *testing.T) {
			p, fm := newFake(t)
			ch := runAsync(func() ([]string, error) {
				return p.Command(context.Background(), c.cmd, hangGuard)
			})
			fm.expect(c.cmd)
			fm.send("\r\n" + c.answer + "\r\n\r\nOK\r\n")
			r := await(t, ch)
			if r.err != nil || !reflect.DeepEqual(r.lines, []string{c.answer}) {
				t.Fatalf("answer = %q, %v; want %q", r.lines, r.err, c.answer)
			}
		})
	}
}

// A code line where a +CMGR header's PDU line is due is not that PDU.
func TestCodeLineBetweenHeaderAndPDUIsNotThePDU(t *testing.T) {
	p, fm := newFake(t)
	ch := runAsync(func() ([]string, error) {
		return p.Command(context.Background(), "AT+CMGR=2", hangGuard, "+CMGR:")
	})
	fm.expect("AT+CMGR=2")
	fm.send("\r\n+CMGR: 0,,23\r\n^NDISSTAT: 0,,,IPV4\r\n0011000B917228001011F100000CC8329BFD065DDF72363904\r\n\r\nOK\r\n")
	r := await(t, ch)
	want := []string{"+CMGR: 0,,23", "0011000B917228001011F100000CC8329BFD065DDF72363904"}
	if r.err != nil || !reflect.DeepEqual(r.lines, want) {
		t.Fatalf("answer = %q, %v; want %q", r.lines, r.err, want)
	}
	if u := nextURC(t, p); u.Line != "^NDISSTAT: 0,,,IPV4" || u.Kind != Indication {
		t.Fatalf("URC = %+v", u)
	}
}

func TestCodeName(t *testing.T) {
	for line, want := range map[string]string{
		"^NDISSTAT: 1,,,IPV4": "^NDISSTAT",
		"+CGEV: ME PDN ACT 1": "+CGEV",
		"^SYSSTART":           "^SYSSTART",
		"+ZEND":               "+ZEND",
		"#STN: 150,1,\"\"":    "#STN",
		"^RSSI:18":            "^RSSI",
		"+254712345678":       "", // a number, not a code
		"639012345678901":     "",
		"huawei":              "",
		"+":                   "",
		"+C-GMI":              "",
		"SIMCOM_Ltd":          "",
	} {
		if got := codeName(line); got != want {
			t.Errorf("codeName(%q) = %q, want %q", line, got, want)
		}
	}
	for cmd, want := range map[string]string{
		"AT+CGMI": "+CGMI", "AT^SYSINFO": "^SYSINFO", "AT+CREG?": "+CREG", "AT+CPMS=\"SM\"": "+CPMS",
		"ATI": "", "ATE0": "", "AT": "", "at+cimi": "+CIMI",
	} {
		if got := commandName(cmd); got != want {
			t.Errorf("commandName(%q) = %q, want %q", cmd, got, want)
		}
	}
}

// An error final where the PDU line is due still ends the command.
func TestErrorFinalWherePDUIsDueEndsTheCommand(t *testing.T) {
	p, fm := newFake(t)
	ch := runAsync(func() ([]string, error) {
		return p.Command(context.Background(), "AT+CMGR=2", hangGuard, "+CMGR:")
	})
	fm.expect("AT+CMGR=2")
	fm.send("\r\n+CMGR: 0,,23\r\n+CMS ERROR: 321\r\n")
	r := await(t, ch)
	if code, ok := CMSCode(r.err); !ok || code != 321 {
		t.Fatalf("got %q, %v; want +CMS ERROR 321", r.lines, r.err)
	}
}

// A setter's own name on an indication the table knows is that indication
// (AT+CREG=2 may be followed at once by +CREG: 1 on Wavecom), not an answer.
func TestIndicationAfterASetterStaysAnIndication(t *testing.T) {
	p, fm := newFake(t)
	ch := runAsync(func() ([]string, error) {
		return p.Command(context.Background(), "AT+CREG=2", hangGuard)
	})
	fm.expect("AT+CREG=2")
	fm.send("\r\n+CREG: 1,\"25FF\",\"825E\"\r\n\r\nOK\r\n")
	r := await(t, ch)
	if r.err != nil || len(r.lines) != 0 {
		t.Fatalf("answer = %q, %v; want none", r.lines, r.err)
	}
	if u := nextURC(t, p); u.Line != `+CREG: 1,"25FF","825E"` || u.Kind != Indication {
		t.Fatalf("URC = %+v", u)
	}
}
