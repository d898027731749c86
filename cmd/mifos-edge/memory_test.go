package main

import (
	"runtime/debug"
	"testing"
)

// gcPercentAfterSmallBoxMemory runs smallBoxMemory with GOGC as given and returns the
// GC percent it left, restoring the test binary's own afterwards.
func gcPercentAfterSmallBoxMemory(t *testing.T, gogc string) int {
	t.Setenv("GOGC", gogc)
	before := debug.SetGCPercent(100)
	defer debug.SetGCPercent(before)
	smallBoxMemory()
	return debug.SetGCPercent(100)
}

func TestSmallBoxMemorySetsGCPercent(t *testing.T) {
	if got := gcPercentAfterSmallBoxMemory(t, ""); got != smallBoxGCPercent {
		t.Errorf("GC percent without GOGC = %d, want %d", got, smallBoxGCPercent)
	}
	// The operator's GOGC wins: the runtime read it at start, and the
	// daemon leaves it alone.
	if got := gcPercentAfterSmallBoxMemory(t, "80"); got != 100 {
		t.Errorf("GC percent with GOGC set = %d, want it untouched (100)", got)
	}
}
