package store

import (
	"fmt"
	"os"
	"testing"

	"github.com/mifos-edge/mifos-edge/internal/crashtest"
)

// TestMain lets the test binary stand in for the daemon in the crash tests:
// re-executed with a crash child's variable set, it plays the daemon until
// it is killed instead of running tests, so the child is never counted as a
// test of its own (passing or not).
func TestMain(m *testing.M) {
	if path := os.Getenv(crashChildEnv); path != "" {
		exitChild("crash child", runCrashChild(path))
	}
	if path := os.Getenv(journalCrashChildEnv); path != "" {
		seed, err := crashtest.ChildSeed()
		if err == nil {
			err = runJournalCrashChild(path, seed)
		}
		exitChild("journal crash child", err)
	}
	os.Exit(m.Run())
}

// exitChild ends a crash child that stopped on its own, which only an error
// does: the parent then reports the child's stderr.
func exitChild(name string, err error) {
	fmt.Fprintln(os.Stderr, name+" stopped by itself:", err)
	os.Exit(3)
}
