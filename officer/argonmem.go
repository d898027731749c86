package officer

import (
	"runtime/debug"
	"sync"
	"time"

	"golang.org/x/crypto/argon2"
)

// A branch box may have 64 MB of RAM; one argon2id hash needs 19 MiB. So
// the box computes one hash at a time, whoever asks (a PIN in an SMS, a
// console sign-in), and gives the memory back to the system shortly after
// the last one: left to the collector, the freed buffers stay resident for
// minutes, and a few sign-ins would triple the daemon's memory.
var (
	argonMu      sync.Mutex
	releaseMu    sync.Mutex
	releaseTimer *time.Timer
)

// releaseAfter is how long after the last hash the memory is returned; a
// burst of hashes is returned once.
const releaseAfter = 2 * time.Second

// idKey is argon2.IDKey, one at a time, with the memory returned after.
func idKey(password, salt []byte, passes, memory uint32, threads uint8, keyLen uint32) []byte {
	argonMu.Lock()
	key := argon2.IDKey(password, salt, passes, memory, threads, keyLen)
	argonMu.Unlock()
	releaseSoon()
	return key
}

func releaseSoon() {
	releaseMu.Lock()
	defer releaseMu.Unlock()
	if releaseTimer != nil {
		releaseTimer.Reset(releaseAfter)
		return
	}
	releaseTimer = time.AfterFunc(releaseAfter, debug.FreeOSMemory)
}
