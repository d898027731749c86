package pdu

import (
	"bufio"
	"encoding/hex"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// sample is one row of testdata/pdu-samples.tsv (its columns: docs/modem.md §11).
type sample struct {
	name, hex, sender, text, encoding, notes string
	tpduLen                                  int // -1 when the notes give none
}

func (s sample) isDeliver() bool   { return s.encoding != "n/a" }
func (s sample) strictFails() bool { return strings.Contains(s.notes, "FAILS") }

func loadSamples(tb testing.TB) []sample {
	tb.Helper()
	f, err := os.Open("testdata/pdu-samples.tsv")
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var out []sample
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	header := true
	for sc.Scan() {
		if header {
			header = false
			continue
		}
		if sc.Text() == "" {
			continue
		}
		cols := strings.Split(sc.Text(), "\t")
		if len(cols) != 6 {
			tb.Fatalf("row %q has %d columns, want 6", sc.Text(), len(cols))
		}
		s := sample{name: cols[0], hex: cols[1], sender: cols[2], text: unescapeTSV(cols[3]), encoding: cols[4], notes: cols[5], tpduLen: -1}
		if m := regexp.MustCompile(`tpdu_len=(\d+)`).FindStringSubmatch(s.notes); m != nil {
			s.tpduLen, _ = strconv.Atoi(m[1])
		}
		out = append(out, s)
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	if len(out) < 40 {
		tb.Fatalf("only %d samples loaded", len(out))
	}
	return out
}

func unescapeTSV(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 == len(s) {
			b.WriteByte(s[i])
			continue
		}
		i++
		switch s[i] {
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

func sampleByName(tb testing.TB, name string) sample {
	tb.Helper()
	for _, s := range loadSamples(tb) {
		if s.name == name {
			return s
		}
	}
	tb.Fatalf("no sample %q", name)
	return sample{}
}

// timeField finds "<key>=<RFC 3339 time>" in free text.
func timeField(tb testing.TB, text, key string) time.Time {
	tb.Helper()
	m := regexp.MustCompile(`\b` + key + `=(\S+?)[;,)]?(\s|$)`).FindStringSubmatch(text)
	if m == nil {
		tb.Fatalf("no %s= in %q", key, text)
	}
	t, err := time.Parse(time.RFC3339, m[1])
	if err != nil {
		tb.Fatalf("%s=%q: %v", key, m[1], err)
	}
	return t
}

func sameInstantAndZone(a, b time.Time) bool {
	_, oa := a.Zone()
	_, ob := b.Zone()
	return a.Equal(b) && oa == ob
}

func tpduBytes(tb testing.TB, hexPDU string) []byte {
	tb.Helper()
	b, err := hex.DecodeString(hexPDU)
	if err != nil {
		tb.Fatal(err)
	}
	return b[1+int(b[0]):]
}
