package e2e

import (
	"fmt"
	"github.com/mifos-edge/mifos-edge/modemsim"
	"slices"
	"testing"
	"time"
)

// BenchmarkReplyLatency measures SMS landed on the modem -> reply submitted
// (the simulator answers each +CMGS after 50 ms, like a fast real modem).
// It reports p50 and max; it asserts nothing about time.
func BenchmarkReplyLatency(b *testing.B) {
	e := newEnv(b, envOptions{})
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
