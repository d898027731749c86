package atcmd

import (
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
