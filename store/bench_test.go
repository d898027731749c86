package store

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"
)

func benchDB(b *testing.B, noSync bool) *DB {
	b.Helper()
	db, err := Open(filepath.Join(b.TempDir(), "bench.db"), Options{NoSync: noSync})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	return db
}

func BenchmarkAddSegment(b *testing.B) {
	for _, noSync := range []bool{false, true} {
		b.Run(fmt.Sprintf("nosync=%v", noSync), func(b *testing.B) {
			db := benchDB(b, noSync)
			now := time.Now()
			i := 0
			for b.Loop() {
				seg := Segment{Fingerprint: fmt.Sprint("fp", i), Sender: "+254700000000", Text: "BAL 1234", RawPDU: "0791", ReceivedAt: now}
				if _, err := db.AddSegment(seg); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}

func BenchmarkEnqueueNextDue(b *testing.B) {
	for _, noSync := range []bool{false, true} {
		b.Run(fmt.Sprintf("nosync=%v", noSync), func(b *testing.B) {
			db := benchDB(b, noSync)
			for b.Loop() {
				if _, err := db.Enqueue(Outbound{To: "+254700000000", Text: "Your balance is 1,000 KES"}); err != nil {
					b.Fatal(err)
				}
				o, ok, err := db.NextDue(time.Now().Add(time.Second))
				if err != nil || !ok {
					b.Fatalf("NextDue: %v, %v", ok, err)
				}
				if err := db.MarkSubmitting(o.ID, 0); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
