package store

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"
)

// crashChildSeedEnv carries a crash child's random seed.
const crashChildSeedEnv = "MIFOS_EDGE_CRASH_CHILD_SEED"

// crashSeedEnv replays a random crash run: set it to the seed the run
// logged. The kills still land where the scheduler puts them; the seed
// fixes every choice the test and its children make.
const crashSeedEnv = "CRASH_SEED"

// TestMain lets the test binary stand in for the daemon in the crash tests:
// re-executed with a crash child's variable set, it plays the daemon until
// it is killed instead of running tests, so the child is never counted as a
// test of its own (passing or not).
func TestMain(m *testing.M) {
	if path := os.Getenv(crashChildEnv); path != "" {
		exitChild("crash child", runCrashChild(path))
	}
	if path := os.Getenv(journalCrashChildEnv); path != "" {
		seed, err := strconv.ParseUint(os.Getenv(crashChildSeedEnv), 10, 64)
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

// crashChild is the command that runs the child named by env on the state
// file at path. "-test.run=^$" keeps a binary that failed to dispatch from
// running tests in the child's place: it would end by itself, which the
// parent reports.
func crashChild(env, path string, seed uint64) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^$", "-test.count=1")
	cmd.Env = append(os.Environ(), env+"="+path, crashChildSeedEnv+"="+strconv.FormatUint(seed, 10))
	return cmd
}

// crashSeed is the seed of one random crash run, CRASH_SEED's value when
// set; the test logs it so that a failure can be replayed.
func crashSeed(t *testing.T) uint64 {
	t.Helper()
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv(crashSeedEnv); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("%s=%q is not a seed (an unsigned decimal number): %v", crashSeedEnv, s, err)
		}
		seed = v
	}
	t.Logf("random crash run with seed %d; replay it with %s=%d go test -run '^%s$'", seed, crashSeedEnv, seed, t.Name())
	return seed
}
