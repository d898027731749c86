package atcmd

import (
	"log/slog"
	"strings"
	"testing"
)

func FuzzLineSplitter(f *testing.F) {
	for _, s := range []string{
		"\r\nOK\r\n", "\r\n> ", "\r\n>\r\n", "\r\r\n> 0011\x1a\r\n+CMGS: 5\r\n",
		"+CMT: ,23\r\n0791AB\r\n", "a>b\r\n", "\x00\x00RDY\r",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var whole lineSplitter
		all := whole.feed(data, nil)
		// Splitting must not depend on how reads chop the stream.
		var chunked lineSplitter
		var parts []token
		for i := 0; i < len(data); i += 3 {
			end := min(i+3, len(data))
			parts = chunked.feed(data[i:end], parts)
		}
		if len(all) != len(parts) {
			t.Fatalf("whole %d tokens, chunked %d", len(all), len(parts))
		}
		for i, tok := range all {
			if tok != parts[i] {
				t.Fatalf("token %d differs: %+v vs %+v", i, tok, parts[i])
			}
			if strings.ContainsAny(tok.line, "\r\n\x00") {
				t.Fatalf("line %q keeps a terminator", tok.line)
			}
			if !tok.prompt && tok.line == "" {
				t.Fatal("empty line token")
			}
		}
	})
}

func FuzzParseFinal(f *testing.F) {
	for _, s := range []string{"OK", "ERROR", "+CMS ERROR: 304", "+CME ERROR: SIM busy", "MODEM ERROR: 2", "COMMAND NOT SUPPORT", "+CMGS: 4", "+CMS ERROR: -5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		isFinal, err := parseFinal(line)
		if !isFinal && err != nil {
			t.Fatal("error without final")
		}
		if err != nil {
			if err.Code < -1 {
				t.Fatalf("code %d below -1", err.Code)
			}
			if err.Error() == "" {
				t.Fatal("empty message")
			}
		}
		if isFinal && line != "OK" && err == nil {
			t.Fatalf("%q is final but neither OK nor an error", line)
		}
		_, _ = urcTrailing(line)
		_, _ = matchExpected(line, []string{"+CMGL:", "+CSQ"})
	})
}

// FuzzPrefixlessAnswer feeds a prefix-less command's answer line by line:
// whatever arrives, no result code other than the command's own and no final
// ends up in the answer, and no line is counted twice.
func FuzzPrefixlessAnswer(f *testing.F) {
	for _, s := range []string{
		"AT+CGMI\n^NDISSTAT: 1,,,IPV4\nhuawei\nOK",
		"AT+CIMI\n639012345678901\n+CGEV: ME PDN ACT 1\nOK",
		"AT+CGSN\n+GSN: 867530012345678\nRING\nERROR",
		"AT^SYSINFO\n^SYSINFO:2,4,5,3,1\n+CMTI: \"SM\",3\nOK",
		"ATI\nManufacturer: huawei\n+GCAP: +CGSM,+DS,+ES\nOK",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, script string) {
		lines := strings.Split(script, "\n")
		cmd := lines[0]
		p := &Port{log: slog.New(slog.DiscardHandler), urcs: make(chan URC, len(lines)+1)}
		req := newCommandRequest(cmd, nil)
		p.active = req
		fed := 0
		for _, l := range lines[1:] {
			if l == "" || strings.ContainsAny(l, "\r\x00") {
				continue
			}
			if p.active == nil {
				break
			}
			fed++
			p.handleLine(l)
			p.handOut()
		}
		for _, l := range req.lines {
			if code := codeName(l); code != "" && !sameCommand(code, req.own) {
				t.Fatalf("%q became the answer of %q", l, cmd)
			}
			if isFinal, _ := parseFinal(l); isFinal {
				t.Fatalf("final %q in the answer", l)
			}
		}
		urcs := len(p.urcs)
		finished := 0
		if p.active == nil {
			finished = 1
			select {
			case <-req.done:
			default:
				t.Fatal("the command ended without a result")
			}
		}
		// Echoes are dropped and a +CMT keeps its header until its PDU line
		// arrives, so fewer may come out than went in, never more.
		if got := len(req.lines) + urcs + finished; got > fed {
			t.Fatalf("%d lines fed, %d accounted for", fed, got)
		}
	})
}
