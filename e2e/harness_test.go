// Package e2e drives the real mifos-edge binary through the pty modem
// simulator with a real bbolt file: what a branch box does, minus the radio.
package e2e

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mifos-edge/mifos-edge/control"
	"github.com/mifos-edge/mifos-edge/daemon"
	"github.com/mifos-edge/mifos-edge/fineractsim"
	"github.com/mifos-edge/mifos-edge/modemsim"
	"github.com/mifos-edge/mifos-edge/store"
)

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "mifos-edge-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "mifos-edge")
	args := []string{"build", "-o", binary}
	if raceEnabled {
		// The daemon under test gets the race detector too.
		args = append(args, "-race")
	}
	build := exec.Command("go", append(args, "../cmd/mifos-edge")...)
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build mifos-edge:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// env is one branch box: a simulated modem, a config file, a store file
// and (while started) a daemon process.
type env struct {
	t       testing.TB
	dir     string
	cfgPath string
	socket  string
	sim     *modemsim.Sim

	proc    *exec.Cmd
	exited  chan error
	logPath string
	runs    int

	mu   sync.Mutex
	sent []modemsim.Sent
	cond *sync.Cond

	fin *fineractsim.Server // nil unless envOptions.fineract

	// httpBase is http://127.0.0.1:port of [http] listen; "" unless
	// envOptions.http.
	httpBase string
}

type envOptions struct {
	profile    string
	extraModem string // extra lines for the [modem] table
	extraSMS   string // extra lines for the [sms] table
	fineract   bool   // start a seeded Fineract stand-in and configure [mifos]
	quietFin   bool   // the stand-in keeps no request log (long benchmarks)
	http       bool   // serve the console and the API on a free local port ([http] listen)

	// sendDelay is the simulated modem's pause before each +CMGS answer (0: its default).
	sendDelay time.Duration
	// extra is appended to the configuration file (whole tables, e.g. [disbursement]).
	extra string
	// country is [sms] country (default "KE").
	country string
}

func newEnv(t testing.TB, o envOptions) *env {
	t.Helper()
	if o.profile == "" {
		o.profile = "generic"
	}
	prof, ok := modemsim.Profiles()[o.profile]
	if !ok {
		t.Fatalf("no simulator profile %q", o.profile)
	}
	// Unix socket paths are limited to 108 bytes; t.TempDir() can be long.
	dir, err := os.MkdirTemp("", "me-")
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, dir: dir, cfgPath: filepath.Join(dir, "mifos-edge.toml"), socket: filepath.Join(dir, "c.sock")}
	e.cond = sync.NewCond(&e.mu)
	e.sim, err = modemsim.Start(modemsim.Options{Profile: prof, Link: filepath.Join(dir, "modem"), SendDelay: o.sendDelay})
	if err != nil {
		t.Fatal(err)
	}
	country := o.country
	if country == "" {
		country = "KE"
	}
	mifosTable := ""
	if o.fineract {
		e.fin, err = fineractsim.Start(fineractsim.Options{NoRequestLog: o.quietFin})
		if err != nil {
			t.Fatal(err)
		}
		e.fin.Seed()
		mifosTable = fmt.Sprintf("[mifos]\nbase_url = %q\ntenant = \"default\"\nusername = \"mifos\"\npassword = \"password\"\npayment_type_id = 1\nbox_id = \"E2E\"\ntimeout = \"3s\"\n", e.fin.URL())
	}
	httpTable := ""
	if o.http {
		addr := freeAddr(t)
		e.httpBase = "http://" + addr
		httpTable = fmt.Sprintf("[http]\nlisten = %q\n", addr)
	}
	cfg := fmt.Sprintf(`[modem]
device = %q
probe_interval = "2s"
status_interval = "5s"
sweep_interval = "10s"
command_timeout = "2s"
send_timeout = "10s"
%s
[store]
path = %q

[sms]
country = %q
replies_per_hour = 1000
commands_per_hour = 1000
%s
[control]
socket = %q

%s
%s
%s`, e.sim.Path(), o.extraModem, filepath.Join(dir, "state.db"), country, o.extraSMS, e.socket, mifosTable, httpTable, o.extra)
	if err := os.WriteFile(e.cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	go e.collect()
	t.Cleanup(func() {
		e.stop()
		e.sim.Close()
		if e.fin != nil {
			e.fin.Close()
		}
		// E2E_LOGS=1 shows the daemon's log for passing tests too.
		if t.Failed() || os.Getenv("E2E_LOGS") != "" {
			e.dumpLogs()
		}
		os.RemoveAll(dir)
	})
	return e
}

// freeAddr is a local TCP address free right now (the daemon binds it
// a moment later).
func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// waitHTTP waits until the daemon serves [http] listen (it starts
// listening after its control socket answers).
func (e *env) waitHTTP() {
	e.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(e.httpBase + "/console/signin")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("the daemon does not serve %s: %v", e.httpBase, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (e *env) collect() {
	for s := range e.sim.SentC() {
		e.mu.Lock()
		e.sent = append(e.sent, s)
		e.cond.Broadcast()
		e.mu.Unlock()
	}
}

// start launches the daemon and waits until its control socket answers.
func (e *env) start() {
	e.t.Helper()
	e.runs++
	e.logPath = filepath.Join(e.dir, fmt.Sprintf("daemon-%d.log", e.runs))
	logf, err := os.Create(e.logPath)
	if err != nil {
		e.t.Fatal(err)
	}
	cmd := exec.Command(binary, "run", "--config", e.cfgPath, "--debug")
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	logf.Close()
	e.proc = cmd
	e.exited = make(chan error, 1)
	go func() { e.exited <- cmd.Wait() }()
	deadline := time.Now().Add(20 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := control.Call(ctx, e.socket, daemon.OpStatus, nil, nil)
		cancel()
		if err == nil {
			return
		}
		select {
		case err := <-e.exited:
			e.proc = nil
			e.t.Fatalf("daemon exited at start: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("daemon did not answer on %s: %v", e.socket, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stop sends SIGTERM and waits for a clean exit.
func (e *env) stop() {
	if e.proc == nil {
		return
	}
	e.proc.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-e.exited:
		if err != nil {
			e.t.Errorf("daemon did not stop cleanly on SIGTERM: %v", err)
		}
	case <-time.After(15 * time.Second):
		e.proc.Process.Kill()
		<-e.exited
		e.t.Errorf("daemon ignored SIGTERM for 15 s")
	}
	e.proc = nil
}

// kill9 kills the daemon process without any chance to clean up.
func (e *env) kill9() {
	if e.proc == nil {
		return
	}
	e.proc.Process.Signal(syscall.SIGKILL)
	<-e.exited
	e.proc = nil
}

func (e *env) dumpLogs() {
	for i := 1; i <= e.runs; i++ {
		b, _ := os.ReadFile(filepath.Join(e.dir, fmt.Sprintf("daemon-%d.log", i)))
		lines := strings.Split(string(b), "\n")
		if len(lines) > 150 {
			lines = lines[len(lines)-150:]
		}
		e.t.Logf("daemon run %d log (tail):\n%s", i, strings.Join(lines, "\n"))
	}
}

// deliver injects an SMS from a client.
func (e *env) deliver(from, text string) {
	e.t.Helper()
	if err := e.sim.Deliver(modemsim.Incoming{From: from, Text: text, Class: -1}); err != nil {
		e.t.Fatalf("deliver: %v", err)
	}
}

// sentTo returns the SMS the modem has sent to number so far.
func (e *env) sentTo(number string) []modemsim.Sent {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []modemsim.Sent
	for _, s := range e.sent {
		if s.To == number {
			out = append(out, s)
		}
	}
	return out
}

// waitSent waits until cond holds for everything sent so far.
func (e *env) waitSent(timeout time.Duration, what string, cond func([]modemsim.Sent) bool) []modemsim.Sent {
	e.t.Helper()
	deadline := time.Now().Add(timeout)
	timer := time.AfterFunc(timeout, func() {
		e.mu.Lock()
		e.cond.Broadcast()
		e.mu.Unlock()
	})
	defer timer.Stop()
	e.mu.Lock()
	defer e.mu.Unlock()
	for !cond(e.sent) {
		if time.Now().After(deadline) {
			e.t.Fatalf("timed out after %s waiting for %s; sent so far: %d messages", timeout, what, len(e.sent))
		}
		e.cond.Wait()
	}
	return append([]modemsim.Sent(nil), e.sent...)
}

// waitReply waits for the n-th SMS to number.
func (e *env) waitReply(number string, timeout time.Duration) modemsim.Sent {
	e.t.Helper()
	var got modemsim.Sent
	e.waitSent(timeout, "a reply to "+number, func(all []modemsim.Sent) bool {
		for _, s := range all {
			if s.To == number {
				got = s
				return true
			}
		}
		return false
	})
	return got
}

func (e *env) status() daemon.StatusResult {
	e.t.Helper()
	var st daemon.StatusResult
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := control.Call(ctx, e.socket, daemon.OpStatus, nil, &st); err != nil {
		e.t.Fatalf("status: %v", err)
	}
	return st
}

func (e *env) messages(state store.MessageState) []store.Message {
	e.t.Helper()
	var out []store.Message
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := control.Call(ctx, e.socket, daemon.OpMessages, daemon.ListArgs{State: string(state), Limit: 10000}, &out); err != nil {
		e.t.Fatalf("messages: %v", err)
	}
	return out
}

// cli runs a mifos-edge subcommand against this box's config.
func (e *env) cli(args ...string) (string, error) {
	out, err := exec.Command(binary, e.withConfig(args)...).CombinedOutput()
	return string(out), err
}

// withConfig puts --config after the subcommand (and its action, for
// commands such as "officer add").
func (e *env) withConfig(args []string) []string {
	n := 1
	if args[0] == "officer" {
		n = 2
	}
	return append(append(append([]string(nil), args[:n]...), "--config", e.cfgPath), args[n:]...)
}

// drained reports whether the daemon has nothing left to handle or send.
func (e *env) drained() bool {
	st := e.status().Store
	return st.Pending == 0 && st.Queued == 0 && st.Submitting == 0
}

func callJSON(e *env, op string, args, out any) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return control.Call(ctx, e.socket, op, args, out)
}

// cliStdin runs a mifos-edge subcommand with text on its standard input
// (how a PIN reaches `officer add`).
func (e *env) cliStdin(stdin string, args ...string) (string, error) {
	cmd := exec.Command(binary, e.withConfig(args)...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// enrollOfficer enrols the seed data's loan officer with pin.
func (e *env) enrollOfficer(pin string) {
	e.t.Helper()
	out, err := e.cliStdin(pin+"\n", "officer", "add", "--phone", fineractsim.SeedPeterPhone,
		"--staff-id", fmt.Sprint(fineractsim.SeedStaffPeter), "--name", "Peter Otieno")
	if err != nil {
		e.t.Fatalf("officer add: %v\n%s", err, out)
	}
	if strings.Contains(out, pin) {
		e.t.Fatalf("officer add printed the PIN: %s", out)
	}
}

// waitText waits for an SMS to number whose text contains want, and returns it.
func (e *env) waitText(number, want string, timeout time.Duration) modemsim.Sent {
	e.t.Helper()
	var got modemsim.Sent
	e.waitSent(timeout, fmt.Sprintf("an SMS to %s containing %q", number, want), func(all []modemsim.Sent) bool {
		for _, s := range all {
			if s.To == number && strings.Contains(s.Text, want) {
				got = s
				return true
			}
		}
		return false
	})
	return got
}

// deliverAt injects an SMS with a given service-centre time, so the same
// text twice is two messages, not one seen twice.
func (e *env) deliverAt(from, text string, scts time.Time) {
	e.t.Helper()
	if err := e.sim.Deliver(modemsim.Incoming{From: from, Text: text, SCTS: scts}); err != nil {
		e.t.Fatalf("deliver: %v", err)
	}
}

// sentToLocked filters all (as passed to a waitSent condition) by recipient.
func (e *env) sentToLocked(all []modemsim.Sent, number string) []modemsim.Sent {
	var out []modemsim.Sent
	for _, s := range all {
		if s.To == number {
			out = append(out, s)
		}
	}
	return out
}

// nextReply runs deliver and returns the first SMS to number sent after it.
func (e *env) nextReply(number string, deliver func()) modemsim.Sent {
	e.t.Helper()
	e.mu.Lock()
	before := len(e.sentToLocked(e.sent, number))
	e.mu.Unlock()
	deliver()
	all := e.waitSent(30*time.Second, "a new SMS to "+number, func(s []modemsim.Sent) bool { return len(e.sentToLocked(s, number)) > before })
	return e.sentToLocked(all, number)[before]
}
