package posting

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/mifos-edge/mifos-edge/store"
)

// BenchmarkDrain10k drains a backlog of 10,000 repayments on distinct loans
// into a fake Fineract that answers each call in 20 ms, with 4 workers and
// fsynced commits. Reports postings/s and the peak heap while draining.
// Run with: go test -run '^$' -bench Drain10k -benchtime 1x ./posting
func BenchmarkDrain10k(b *testing.B) {
	const entries = 10_000
	for range b.N {
		b.StopTimer()
		path := filepath.Join(b.TempDir(), "state.db")
		// The backlog is written without fsync to keep set-up short.
		setup, err := store.Open(path, store.Options{NoSync: true})
		if err != nil {
			b.Fatal(err)
		}
		for start := 0; start < entries; start += 1000 {
			err := setup.Update(func(tx *store.Tx) error {
				for i := start; i < start+1000; i++ {
					if _, err := tx.AppendJournal(loanEntry(uint64(i+1), int64(i+1), fmt.Sprint("bench-", i))); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
		}
		setup.Close()
		db, err := store.Open(path, store.Options{})
		if err != nil {
			b.Fatal(err)
		}
		fake := newFake()
		fake.delay = 20 * time.Millisecond
		w := New(Options{DB: db, API: fake, PaymentTypeID: 3, Workers: 4, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		ctx, cancel := context.WithCancel(context.Background())
		runtime.GC()
		b.StartTimer()
		start := time.Now()
		done := make(chan error, 1)
		go func() { done <- w.Run(ctx) }()
		var peakHeap uint64
		for {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			peakHeap = max(peakHeap, ms.HeapInuse)
			st, err := db.JournalStats()
			if err != nil {
				b.Fatal(err)
			}
			if st.Done == entries {
				break
			}
			if st.Failed > 0 {
				b.Fatalf("%d postings failed", st.Failed)
			}
			time.Sleep(100 * time.Millisecond)
		}
		elapsed := time.Since(start)
		b.StopTimer()
		cancel()
		<-done
		db.Close()
		if n := len(fake.callsOf("repay")); n != entries {
			b.Fatalf("%d repay calls for %d entries", n, entries)
		}
		b.ReportMetric(entries/elapsed.Seconds(), "postings/s")
		b.ReportMetric(float64(peakHeap)/(1<<20), "peak-heap-MiB")
	}
}
