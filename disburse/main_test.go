package disburse

import (
	"fmt"
	"os"
	"testing"

	"github.com/mifos-edge/mifos-edge/internal/crashtest"
)

// TestMain lets the test binary play the box in the crash test: re-executed
// with crashChildEnv set, it runs the engine until it is killed instead of
// running tests.
func TestMain(m *testing.M) {
	if dir := os.Getenv(crashChildEnv); dir != "" {
		seed, err := crashtest.ChildSeed()
		if err == nil {
			err = runCrashChild(dir, seed)
		}
		// Only an error ends the child by itself; the parent reports it.
		fmt.Fprintln(os.Stderr, "disbursement crash child stopped by itself:", err)
		os.Exit(3)
	}
	os.Exit(m.Run())
}
