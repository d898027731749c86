package mobilemoney

import (
	"testing"
)

// BenchmarkParse parses every sample with its own parser and reports
// notifications per second.
func BenchmarkParse(b *testing.B) {
	type job struct {
		p    Parser
		text string
	}
	var jobs []job
	for _, s := range loadSamples(b) {
		if p, ok := Lookup(s.parser); ok {
			jobs = append(jobs, job{p, s.text})
		}
	}
	n := 0
	for b.Loop() {
		for _, j := range jobs {
			j.p.Parse(j.text)
		}
		n += len(jobs)
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "notifications/s")
}

// BenchmarkParseBySender is the box's path: the sender picks the enabled
// parsers (both M-PESA markets for "MPESA") and each is tried in turn.
func BenchmarkParseBySender(b *testing.B) {
	type job struct {
		ps   []Parser
		text string
	}
	var jobs []job
	for _, s := range loadSamples(b) {
		if ps := ForSender(s.sender, Names()); len(ps) > 0 {
			jobs = append(jobs, job{ps, s.text})
		}
	}
	n := 0
	for b.Loop() {
		for _, j := range jobs {
			ParseWith(j.ps, j.text)
		}
		n += len(jobs)
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "notifications/s")
}
