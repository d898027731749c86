package main

import (
	"os"
	"runtime/debug"
)

// smallBoxGCPercent: the heap may grow by half its live size between
// collections instead of doubling it. A burst of 300 SMS then peaks about
// 2 MiB lower (BURST=300 scripts/idle-usage.sh); the heap is small, so
// collecting more often costs little.
const smallBoxGCPercent = 50

// smallBoxMemory sets the garbage collector for a box with little memory
// and hands start-up garbage back to the system. GOGC in the environment
// still wins over the default.
func smallBoxMemory() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(smallBoxGCPercent)
	}
	// The runtime forces a collection every two minutes only once one has
	// run; without this first one an idle daemon's heap creeps up to 4 MB
	// over hours before anything is collected.
	debug.FreeOSMemory()
}
