package e2e

import (
	"fmt"
	"github.com/mifos-edge/mifos-edge/fineractsim"
	"github.com/mifos-edge/mifos-edge/modemsim"
	"github.com/mifos-edge/mifos-edge/store"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// BenchmarkReplyLatency measures SMS landed on the modem -> reply submitted
// (the simulator answers each +CMGS after 50 ms, like a fast real modem).
// It reports p50 and max; it asserts nothing about time.
func BenchmarkReplyLatency(b *testing.B) {
	// Every iteration is a new number the box does not know: lift the cap
	// on replies to unknown numbers that a real branch keeps.
	e := newEnv(b, envOptions{extraSMS: "unknown_replies_per_hour = 100000\nmax_sent_per_hour = 100000"})
	e.start()
	// Warm up: the first exchange includes modem init.
	e.deliver("+254799999999", "HELP")
	e.waitReply("+254799999999", 30*time.Second)
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		n := fmt.Sprintf("+2547200%05d", i)
		start := time.Now()
		e.deliver(n, "HELP")
		r := e.waitReply(n, 30*time.Second)
		lat = append(lat, r.Time.Sub(start))
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Milliseconds()), "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Milliseconds()), "p99-ms")
	b.ReportMetric(float64(lat[len(lat)-1].Milliseconds()), "max-ms")
}

// BenchmarkBalanceRoundTrip measures BAL landed on the modem -> balance
// reply submitted, through the pty simulator and the Fineract stand-in
// over real HTTP (live figures, not the snapshot). No assertion on time.
func BenchmarkBalanceRoundTrip(b *testing.B) {
	e := newEnv(b, envOptions{fineract: true})
	e.start()
	base := time.Now().Add(-time.Hour)
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		before := len(e.sentTo(amina))
		start := time.Now()
		e.deliverAt(amina, "BAL", base.Add(time.Duration(i)*time.Second))
		all := e.waitSent(30*time.Second, "a balance reply", func(s []modemsim.Sent) bool { return len(e.sentToLocked(s, amina)) > before })
		lat = append(lat, e.sentToLocked(all, amina)[before].Time.Sub(start))
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Milliseconds()), "p50-ms")
	b.ReportMetric(float64(lat[len(lat)-1].Milliseconds()), "max-ms")
}

// BenchmarkDaemonDrainsJournalBacklog starts the daemon on a store holding
// a backlog of savings deposits (8 accounts) and measures how fast it posts
// them to the Fineract stand-in (20 ms per request, over HTTP), and the
// daemon process's resident memory while it drains. Run with -benchtime 1x.
func BenchmarkDaemonDrainsJournalBacklog(b *testing.B) {
	n := 10000
	if v := os.Getenv("BACKLOG"); v != "" {
		fmt.Sscan(v, &n)
	}
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		e := newEnv(b, envOptions{fineract: true, quietFin: true})
		var accounts []int64
		for a := 0; a < 8; a++ {
			accounts = append(accounts, e.fin.AddSavings(fineractsim.Savings{ClientID: fineractsim.SeedClientAmina,
				ProductName: "Bench", AccountNo: fmt.Sprintf("00009%04d", a), ActivatedOn: e.fin.BusinessDate().AddDate(0, -1, 0)}))
		}
		e.fin.SetLatency(20 * time.Millisecond)
		db, err := store.Open(filepath.Join(e.dir, "state.db"), store.Options{})
		if err != nil {
			b.Fatal(err)
		}
		date := e.fin.BusinessDate().Format(time.DateOnly)
		for start := 0; start < n; start += 500 {
			err := db.Update(func(tx *store.Tx) error {
				for j := start; j < min(start+500, n); j++ {
					if _, err := tx.AppendJournal(store.JournalEntry{Batch: uint64(j + 1), Kind: store.JournalSavingsDeposit,
						AccountID: accounts[j%len(accounts)], Amount: 1_000_000, Currency: "KES", Decimals: 2, Date: date,
						Receipt: fmt.Sprintf("BENCH%d", j)}); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
		}
		db.Close()
		b.StartTimer()
		began := time.Now()
		e.start()
		pid := e.proc.Process.Pid
		var first, peak, last, filePeak int
		for {
			// Anonymous memory is the process's own (Go heap, stacks); the
			// file-backed part is bbolt's mmap of a store that grows with the
			// journal, which the kernel can drop at will.
			rss := procStatusKB(pid, "RssAnon:")
			if first == 0 {
				first = rss
			}
			peak, last = max(peak, rss), rss
			filePeak = max(filePeak, procStatusKB(pid, "RssFile:"))
			j := e.status().Store.Journal
			if j.Done == n {
				break
			}
			if j.Failed > 0 {
				b.Fatalf("%d postings failed", j.Failed)
			}
			time.Sleep(250 * time.Millisecond)
		}
		elapsed := time.Since(began)
		b.StopTimer()
		b.ReportMetric(float64(n)/elapsed.Seconds(), "postings/s")
		b.ReportMetric(float64(first)/1024, "anon-start-MB")
		b.ReportMetric(float64(peak)/1024, "anon-peak-MB")
		b.ReportMetric(float64(last)/1024, "anon-end-MB")
		b.ReportMetric(float64(filePeak)/1024, "file-mapped-peak-MB")
		e.stop()
	}
}

// procStatusKB reads one kB field (VmRSS:, RssAnon:, RssFile:) of /proc/PID/status.
func procStatusKB(pid int, field string) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, field) {
			var kb int
			fmt.Sscan(strings.TrimSpace(strings.TrimPrefix(line, field)), &kb)
			return kb
		}
	}
	return 0
}

// BenchmarkBalanceSlowLink models a branch on a slow uplink (3G, VSAT):
// every Fineract request takes 500 ms (SLOW_LINK_MS to change it). Each
// iteration is a client the box has never seen, with two active loans and
// a savings account: its first BAL (phone lookup, accounts, loans) and
// then a repeat BAL (the phone's mapping cached). It reports p50 and max
// of each, SMS landed -> reply submitted; it asserts nothing about time.
func BenchmarkBalanceSlowLink(b *testing.B) {
	latency := 500 * time.Millisecond
	if v := os.Getenv("SLOW_LINK_MS"); v != "" {
		var ms int
		if _, err := fmt.Sscan(v, &ms); err != nil || ms < 0 {
			b.Fatalf("SLOW_LINK_MS=%q is not a number of milliseconds", v)
		}
		latency = time.Duration(ms) * time.Millisecond
	}
	e := newEnv(b, envOptions{fineract: true, quietFin: true})
	today := e.fin.BusinessDate()
	phones := make([]string, b.N)
	for i := range phones {
		phones[i] = fmt.Sprintf("+2547301%05d", i)
		id := e.fin.AddClient(fineractsim.Client{Firstname: "Bench", Lastname: fmt.Sprintf("Client%d", i), MobileNo: phones[i],
			StaffID: fineractsim.SeedStaffPeter, ActivationDate: today.AddDate(-1, 0, 0)})
		for k := range 2 {
			var plan []fineractsim.Installment
			for m := range 6 {
				plan = append(plan, fineractsim.Installment{DueDate: today.AddDate(0, m-k-1, 5), Principal: fineractsim.MustAmount("1000")})
			}
			e.fin.AddLoan(fineractsim.Loan{ClientID: id, ProductID: 1, ProductName: "Biashara 6M", LoanOfficerID: fineractsim.SeedStaffPeter,
				Principal: fineractsim.MustAmount("6000"), DisbursedOn: today.AddDate(0, -k-1, 0), Installments: plan})
		}
		e.fin.AddSavings(fineractsim.Savings{ClientID: id, ProductID: 1, ProductName: "Voluntary Savings",
			Balance: fineractsim.MustAmount("150"), ActivatedOn: today.AddDate(-1, 0, 0)})
	}
	e.start()
	// Warm up without delay: modem init and the daemon's first calls to
	// Fineract are not what is measured.
	e.deliver("+254799999999", "HELP")
	e.waitReply("+254799999999", 30*time.Second)
	e.fin.SetLatency(latency)
	base := time.Now().Add(-time.Hour)
	balance := func(n string, at time.Time) time.Duration {
		start := time.Now()
		r := e.nextReply(n, func() { e.deliverAt(n, "BAL", at) })
		if !strings.Contains(r.Text, "L2") {
			b.Fatalf("BAL from %s: %q", n, r.Text)
		}
		return r.Time.Sub(start)
	}
	first := make([]time.Duration, 0, b.N)
	repeat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i, n := range phones {
		first = append(first, balance(n, base.Add(time.Duration(2*i)*time.Second)))
		repeat = append(repeat, balance(n, base.Add(time.Duration(2*i+1)*time.Second)))
	}
	b.StopTimer()
	for _, l := range [][]time.Duration{first, repeat} {
		slices.Sort(l)
	}
	b.ReportMetric(float64(first[len(first)/2].Milliseconds()), "first-p50-ms")
	b.ReportMetric(float64(first[len(first)-1].Milliseconds()), "first-max-ms")
	b.ReportMetric(float64(repeat[len(repeat)/2].Milliseconds()), "repeat-p50-ms")
	b.ReportMetric(float64(repeat[len(repeat)-1].Milliseconds()), "repeat-max-ms")
}

// BenchmarkNotificationToPosted measures an M-PESA paybill notification
// landed on the modem -> the repayment in Fineract (the stand-in over real
// HTTP), one at a time: read, trusted, matched by account number,
// journaled and posted. No assertion on time.
func BenchmarkNotificationToPosted(b *testing.B) {
	box := newPaymentsBox(b)
	e := box.e
	when := time.Now().In(time.FixedZone("EAT", 3*3600)).Add(-time.Hour)
	posted := func(receipt string) bool {
		for _, tx := range e.fin.LoanTransactions(fineractsim.SeedLoanAmina) {
			if tx.ReceiptNumber == receipt {
				return true
			}
		}
		return false
	}
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		txn := fmt.Sprintf("SKB%07d", i)
		text := fmt.Sprintf("%s Confirmed. on %d/%d/%02d at 9:05 AM Ksh10.00 received from MARY WANJIKU 0712***678. "+
			"Account Number 981 New Utility balance is Ksh%d.00", txn, when.Day(), int(when.Month()), when.Year()%100, 50_000+10*(i+1))
		start := time.Now()
		if err := e.sim.Deliver(modemsim.Incoming{From: "MPESA", SenderType: "alphanumeric", Text: text, Class: -1}); err != nil {
			b.Fatal(err)
		}
		for !posted(txn) {
			if time.Since(start) > 30*time.Second {
				b.Fatalf("%s not posted in 30 s", txn)
			}
			time.Sleep(5 * time.Millisecond)
		}
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Milliseconds()), "p50-ms")
	b.ReportMetric(float64(lat[len(lat)-1].Milliseconds()), "max-ms")
}
