package mpesastatement

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"testing"
)

// generated is an io.Reader that writes a statement of n rows as it is
// read, so a test can feed the reader far more rows than it keeps in
// memory itself. Every tenth row is a charge, every 25th a failed payment.
type generated struct {
	n, i int
	buf  bytes.Buffer
}

func newGenerated(n int) *generated {
	g := &generated{n: n}
	g.buf.WriteString("\xef\xbb\xbfAccount Holder:,TEST MFI,,,,,,,,,,,\r\n")
	g.buf.WriteString("Time Period:,From 01-01-2025 00:00:00,To 31-12-2025 23:59:59,,,,,,,,,,\r\n")
	g.buf.WriteString(strings.Join(header, ",") + "\r\n")
	return g
}

func (g *generated) Read(p []byte) (int, error) {
	for g.buf.Len() < len(p) && g.i < g.n {
		g.row(g.i)
		g.i++
	}
	if g.buf.Len() == 0 {
		return 0, io.EOF
	}
	return g.buf.Read(p)
}

func (g *generated) row(i int) {
	day, sec := 1+i%28, i%86400
	when := fmt.Sprintf("%02d-%02d-2025 %02d:%02d:%02d", day, 1+i/28%12, sec/3600, sec/60%60, sec%60)
	receipt := fmt.Sprintf("TA%08d", i)
	switch {
	case i%10 == 9:
		fmt.Fprintf(&g.buf, "%s,%s,%s,Business Pay Bill Charge,Completed,,10.50,\"1,000.00\",true,Business Pay Bill Charge,,TA%08d,\r\n",
			receipt, when, when, i-1)
	case i%25 == 0:
		fmt.Fprintf(&g.buf, "%s,%s,%s,Pay Bill from 25472****%03d - JANE **** DOE Acc. %06d,Failed,\"1,050.00\",,\"1,000.00\",true,Pay Utility,25472****%03d - JANE **** DOE,,%06d\r\n",
			receipt, when, when, i%1000, i, i%1000, i)
	default:
		fmt.Fprintf(&g.buf, "%s,%s,%s,Pay Bill from 25472****%03d - JANE **** DOE Acc. %06d,Completed,\"1,%03d.00\",,\"12,345.00\",true,Pay Utility,25472****%03d - JANE **** DOE,,%06d\r\n",
			receipt, when, when, i%1000, i, i%1000, i%1000, i)
	}
}

func TestGeneratedStatement(t *testing.T) {
	rd, err := NewReader(newGenerated(1000))
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	for {
		r, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		counts[string(r.Outcome)+" "+string(r.Skip)]++
	}
	// 1000 rows: 100 charges (i%10 == 9), 40 failed (i%25 == 0), the rest imported.
	want := map[string]int{"import ": 860, "skip charge": 100, "skip not-completed": 40}
	if fmt.Sprint(counts) != fmt.Sprint(want) {
		t.Errorf("counts %v, want %v", counts, want)
	}
}

// TestConstantMemory reads 200,000 rows and checks the live heap does not
// grow with them: a reader that kept rows, receipts or records would.
func TestConstantMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 200,000 rows")
	}
	rd, err := NewReader(newGenerated(200_000))
	if err != nil {
		t.Fatal(err)
	}
	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	var after20k, peak uint64
	for i := 0; ; i++ {
		_, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if i == 20_000 {
			after20k = heap()
		}
		if i > 20_000 && i%20_000 == 0 {
			peak = max(peak, heap())
		}
	}
	t.Logf("live heap after 20,000 rows: %d bytes; highest after up to 200,000: %d bytes", after20k, peak)
	// 180,000 more rows kept as receipts alone would add megabytes.
	if peak > after20k+512<<10 {
		t.Errorf("live heap grew from %d to %d bytes over 180,000 rows", after20k, peak)
	}
}

// BenchmarkStatement10k reads a 10,000-row statement (≈1.6 MB) from memory.
func BenchmarkStatement10k(b *testing.B) {
	data, err := io.ReadAll(newGenerated(10_000))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		rd, err := NewReader(bytes.NewReader(data))
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for {
			r, err := rd.Next()
			if err == io.EOF {
				break
			}
			if err != nil || r.Outcome == Broken {
				b.Fatal(err, r.Err)
			}
			n++
		}
		if n != 10_000 {
			b.Fatalf("%d rows", n)
		}
	}
}

// FuzzStatement: whatever the bytes, the reader neither panics nor loops,
// every row it returns is consistent with its outcome, and an imported
// payment is a positive shilling amount with a receipt and a Nairobi time.
func FuzzStatement(f *testing.F) {
	for _, name := range []string{"testdata/statement-2025.csv", "testdata/statement-2017.csv"} {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(strings.Join(header, ",") + "\nTJA1B2C3D4,45943.5,,x,Completed,\"1,050.00\",,,,,0712***678 - A,,1\n"))
	f.Add([]byte(strings.Join(header, ",") + "\n\"unterminated,\n"))
	f.Add([]byte("\xef\xbb\xbf" + strings.Join(header, ";")))
	f.Add([]byte("PK\x03\x04"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rd, err := NewReader(bytes.NewReader(data))
		if err != nil {
			if !errors.Is(err, ErrNotStatement) {
				t.Fatalf("an error that is not ErrNotStatement: %v", err)
			}
			return
		}
		lastLine := 0
		for n := 0; ; n++ {
			if n > len(data)+1 {
				t.Fatal("more rows than bytes")
			}
			r, err := rd.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("Next: %v", err)
			}
			if r.Line <= lastLine {
				t.Fatalf("row %d after row %d", r.Line, lastLine)
			}
			lastLine = r.Line
			switch r.Outcome {
			case Import:
				p := r.Payment
				if p.Amount <= 0 || !validReceipt(p.TxnID) || p.Time.Location() != nairobi || p.Currency != "KES" || r.Err != nil {
					t.Fatalf("bad import: %+v", r)
				}
			case Skip:
				if r.Skip == "" || r.Reason == "" || r.Err != nil {
					t.Fatalf("bad skip: %+v", r)
				}
			case Broken:
				if r.Err == nil || r.Err.Line != r.Line || r.Payment.Amount < 0 {
					t.Fatalf("bad broken row: %+v", r)
				}
			default:
				t.Fatalf("outcome %q", r.Outcome)
			}
		}
		if s := rd.Period().Span(); !s.IsZero() && s.To.Before(s.From) {
			t.Fatalf("period backwards: %+v", s)
		}
	})
}
