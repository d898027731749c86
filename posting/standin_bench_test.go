package posting

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/mifos-edge/mifos-edge/fineractsim"
	"github.com/mifos-edge/mifos-edge/mifos"
	"github.com/mifos-edge/mifos-edge/store"
)

// BenchmarkDrainBacklogStandin drains a backlog of journal entries (savings
// deposits over 8 accounts) into the Fineract stand-in over real HTTP, each
// request answered after 20 ms, with a real fsynced bbolt file. It reports
// postings/s and the process heap before and at its peak (the stand-in runs
// in this process too and keeps every posting it took); run it with
// -benchtime 1x.
func BenchmarkDrainBacklogStandin(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				drainStandin(b, n)
			}
		})
	}
}

func drainStandin(b *testing.B, n int) {
	b.StopTimer()
	fin, err := fineractsim.Start(fineractsim.Options{NoRequestLog: true})
	if err != nil {
		b.Fatal(err)
	}
	defer fin.Close()
	fin.Seed()
	var accounts []int64
	for i := 0; i < 8; i++ {
		accounts = append(accounts, fin.AddSavings(fineractsim.Savings{ClientID: fineractsim.SeedClientAmina, ProductName: "Bench Savings",
			AccountNo: fmt.Sprintf("0000090%02d", i), ActivatedOn: fin.BusinessDate().AddDate(0, -1, 0)}))
	}
	fin.SetLatency(20 * time.Millisecond)
	api, err := mifos.New(mifos.Config{BaseURL: fin.URL(), Tenant: "default", Username: "mifos", Password: "password"})
	if err != nil {
		b.Fatal(err)
	}
	db, err := store.Open(filepath.Join(b.TempDir(), "s.db"), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	date := mifos.DateOf(fin.BusinessDate()).String()
	const chunk = 500
	for i := 0; i < n; i += chunk {
		err := db.Update(func(tx *store.Tx) error {
			for j := i; j < min(i+chunk, n); j++ {
				if _, err := tx.AppendJournal(store.JournalEntry{Batch: uint64(j + 1), Kind: store.JournalSavingsDeposit,
					AccountID: accounts[j%len(accounts)], Amount: 1_000_000, Currency: "KES", Decimals: 2, Date: date, Receipt: fmt.Sprintf("BENCH%d", j)}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	heapBefore := heapInUse()
	w := New(Options{DB: db, API: api, PaymentTypeID: 1, Workers: 4, Logger: slog.New(slog.DiscardHandler)})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	b.StartTimer()
	start := time.Now()
	go func() { done <- w.Run(ctx) }()
	var peak uint64
	for {
		st, err := db.JournalStats()
		if err != nil {
			b.Fatal(err)
		}
		peak = max(peak, heapInUse())
		if st.Done == n {
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
	b.ReportMetric(float64(n)/elapsed.Seconds(), "postings/s")
	b.ReportMetric(float64(heapBefore)/(1<<20), "heap-before-MiB")
	b.ReportMetric(float64(peak)/(1<<20), "heap-peak-MiB")
}

func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}
