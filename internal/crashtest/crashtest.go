// Package crashtest is test support for the kill -9 tests: the test binary
// re-executes itself as a child that works on a store and prints "tick"
// after each unit of work, and the parent kills it with SIGKILL at a
// random moment, then checks what the store kept.
package crashtest

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// SeedEnv replays a random crash run: set it to the seed the test logged.
const SeedEnv = "CRASH_SEED"

// ChildSeedEnv carries a child's own random seed.
const ChildSeedEnv = "MIFOS_EDGE_CRASH_CHILD_SEED"

// Seed is the seed of one random crash run (SeedEnv's value when set),
// logged so that a failure can be replayed.
func Seed(t *testing.T) uint64 {
	t.Helper()
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv(SeedEnv); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("%s=%q is not a seed (an unsigned decimal number): %v", SeedEnv, s, err)
		}
		seed = v
	}
	t.Logf("random crash run with seed %d; replay it with %s=%d go test -run '^%s$'", seed, SeedEnv, seed, t.Name())
	return seed
}

// ChildSeed is the seed a child was started with.
func ChildSeed() (uint64, error) { return strconv.ParseUint(os.Getenv(ChildSeedEnv), 10, 64) }

// Child is the test binary re-executed as a child: env=value tells its
// TestMain what to work on, seed goes in ChildSeedEnv. "-test.run=^$": a
// child that failed to dispatch runs no tests.
func Child(env, value string, seed uint64) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^$", "-test.count=1")
	cmd.Env = append(os.Environ(), env+"="+value, ChildSeedEnv+"="+strconv.FormatUint(seed, 10))
	return cmd
}

// KillAfterTicks starts cmd, waits until it printed minTicks "tick" lines,
// then SIGKILLs it after extraDelay. A child that stops by itself, or is
// too slow, fails the test with its stderr.
func KillAfterTicks(t *testing.T, cmd *exec.Cmd, minTicks int, extraDelay time.Duration) {
	t.Helper()
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ticks := make(chan struct{})
	go func() {
		defer close(ticks)
		scanner := bufio.NewScanner(stdout)
		for scanner.Scan() {
			if scanner.Text() == "tick" {
				select {
				case ticks <- struct{}{}:
				default:
				}
			}
		}
	}()
	deadline := time.After(60 * time.Second)
	for n := 0; n < minTicks; {
		select {
		case _, ok := <-ticks:
			if !ok {
				cmd.Wait()
				t.Fatalf("child stopped after %d ticks; stderr:\n%s", n, stderr.String())
			}
			n++
		case <-deadline:
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("child made %d of %d ticks in time; stderr:\n%s", n, minTicks, stderr.String())
		}
	}
	time.Sleep(extraDelay)
	cmd.Process.Kill()
	err = cmd.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		t.Fatalf("child ended without being killed: %v; stderr:\n%s", err, stderr.String())
	}
	if status, ok := exit.Sys().(syscall.WaitStatus); !ok || !status.Signaled() || status.Signal() != syscall.SIGKILL {
		t.Fatalf("child ended by itself (%v); stderr:\n%s", err, stderr.String())
	}
}
