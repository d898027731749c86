//go:build linux

package control

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

func startServer(t *testing.T) (string, *Server, context.CancelFunc, chan error) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "c.sock")
	s := NewServer(path, nil)
	s.Handle("echo", func(_ context.Context, args json.RawMessage) (any, error) {
		var v map[string]string
		if err := json.Unmarshal(args, &v); err != nil {
			return nil, err
		}
		return v, nil
	})
	s.Handle("fail", func(context.Context, json.RawMessage) (any, error) {
		return nil, errors.New("no such outbox message")
	})
	if err := s.Listen(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx) }()
	return path, s, cancel, done
}

func TestCallRoundTrip(t *testing.T) {
	path, _, cancel, done := startServer(t)
	ctx, c2 := context.WithTimeout(context.Background(), 5*time.Second)
	defer c2()
	var out map[string]string
	if err := Call(ctx, path, "echo", map[string]string{"to": "+254712345678"}, &out); err != nil {
		t.Fatal(err)
	}
	if out["to"] != "+254712345678" {
		t.Fatalf("echo returned %v", out)
	}
	err := Call(ctx, path, "fail", nil, nil)
	var re *RemoteError
	if !errors.As(err, &re) || re.Msg != "no such outbox message" {
		t.Fatalf("fail op: %v", err)
	}
	if err := Call(ctx, path, "nope", nil, nil); err == nil {
		t.Fatal("unknown op accepted")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("socket left behind after shutdown: %v", err)
	}
	if err := Call(ctx, path, "echo", nil, nil); !errors.Is(err, ErrNoDaemon) {
		t.Fatalf("after shutdown: %v, want ErrNoDaemon", err)
	}
}

func TestStaleSocketReplacedLiveOneRefused(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "c.sock")
	// A socket file nobody listens on, as a kill -9 leaves it.
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	ln.Close()
	if err := Call(context.Background(), path, "x", nil, nil); !errors.Is(err, ErrNoDaemon) {
		t.Fatalf("stale socket: %v, want ErrNoDaemon", err)
	}
	s := NewServer(path, nil)
	if err := s.Listen(); err != nil {
		t.Fatalf("stale socket not replaced: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go s.Serve(ctx)
	if err := NewServer(path, nil).Listen(); err == nil {
		t.Fatal("second server took over a live socket")
	}
}

// An idle client that never sends a request must not hold up shutdown.
func TestIdleClientDoesNotBlockShutdown(t *testing.T) {
	path, _, cancel, done := startServer(t)
	c, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	time.Sleep(50 * time.Millisecond) // let the server take the connection
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve waited for an idle client after shutdown")
	}
}

// control.socket pointing at an existing file (the store, say) must never
// remove that file: the daemon refuses to start instead.
func TestListenRefusesAnExistingFileThatIsNotASocket(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	content := []byte("the database; it must survive a misconfigured control.socket")
	if err := os.WriteFile(path, content, 0o600); err != nil {
		t.Fatal(err)
	}
	err := NewServer(path, nil).Listen()
	if err == nil {
		t.Fatal("Listen replaced a regular file with its socket")
	}
	if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "not a socket") {
		t.Errorf("error %q does not name the path and say it is not a socket", err)
	}
	got, rerr := os.ReadFile(path)
	if rerr != nil || string(got) != string(content) {
		t.Fatalf("the file is gone or changed: %q, %v", got, rerr)
	}
}

// The socket is 0660 from the moment it exists, whatever the umask.
func TestListenCreatesSocket0660UnderUmaskZero(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.sock")
	old := syscall.Umask(0)
	err := NewServer(path, nil).Listen()
	syscall.Umask(old)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Type() != os.ModeSocket || fi.Mode().Perm() != 0o660 {
		t.Errorf("socket mode = %v, want srw-rw----", fi.Mode())
	}
}

// A missing directory for the socket is created 0750: the service's group
// may reach the socket, others may not even list it.
func TestListenCreatesParentDirectory0750(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run", "mifos-edge")
	path := filepath.Join(dir, "c.sock")
	old := syscall.Umask(0)
	err := NewServer(path, nil).Listen()
	syscall.Umask(old)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o750 {
		t.Errorf("socket directory mode = %v, want 0750", fi.Mode().Perm())
	}
}

// Whoever may write the socket's directory may swap the socket for their
// own, so a group- or world-writable directory is refused.
func TestListenRefusesWritableDirectory(t *testing.T) {
	for _, mode := range []os.FileMode{0o770, 0o777, 0o1777} {
		dir := filepath.Join(t.TempDir(), "d")
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(dir, mode); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, "c.sock")
		err := NewServer(path, nil).Listen()
		if err == nil || !strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), "writable") {
			t.Errorf("directory %v: Listen = %v, want a refusal naming %s", mode, err, dir)
		}
		if _, serr := os.Lstat(path); !errors.Is(serr, os.ErrNotExist) {
			t.Errorf("directory %v: socket created anyway", mode)
		}
	}
}

// A world-readable directory works but is worth a warning.
func TestListenWarnsAboutWorldReadableDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "d")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	s := NewServer(filepath.Join(dir, "c.sock"), slog.New(slog.NewTextHandler(&logs, nil)))
	if err := s.Listen(); err != nil {
		t.Fatal(err)
	}
	if out := logs.String(); !strings.Contains(out, "level=WARN") || !strings.Contains(out, "0750") {
		t.Errorf("no WARN advising 0750:\n%s", out)
	}
}

// bind itself must create the socket 0660: a chmod after it leaves a window
// in which, under umask 0, any local user could connect.
func TestBindCreatesSocket0660BeforeAnyChmod(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.sock")
	old := syscall.Umask(0)
	ln, err := listenOwnerAndGroup(path)
	syscall.Umask(old)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o660 {
		t.Errorf("socket mode right after bind = %v, want 0660", fi.Mode().Perm())
	}
	if got := syscall.Umask(old); got != old {
		t.Errorf("umask left at %04o, want %04o restored", got, old)
	}
}

// serve starts s with one state-changing and one read-only operation that
// count their calls.
func serve(t *testing.T, s *Server) (calls, readCalls *atomic.Int32) {
	t.Helper()
	var n, r atomic.Int32
	s.Handle("officer.add", func(ctx context.Context, _ json.RawMessage) (any, error) {
		n.Add(1)
		Audit(ctx, "phone", "+254712345678")
		return "added", nil
	})
	s.Handle("officer.remove", func(context.Context, json.RawMessage) (any, error) {
		n.Add(1)
		return nil, errors.New("no officer with phone +254700000000")
	})
	s.HandleReadOnly("status", func(ctx context.Context, _ json.RawMessage) (any, error) {
		r.Add(1)
		Audit(ctx, "ignored", true)
		return "fine", nil
	})
	if err := s.Listen(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return &n, &r
}

func call(t *testing.T, path, op string, out any) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return Call(ctx, path, op, nil, out)
}

// The file mode is not the only gate: the kernel's word on the caller's uid
// is checked too, and a caller outside the allowed set runs nothing.
func TestPeerOutsideAllowedUIDsIsRefused(t *testing.T) {
	var logs bytes.Buffer
	path := filepath.Join(t.TempDir(), "c.sock")
	s := NewServer(path, slog.New(slog.NewTextHandler(&logs, nil)))
	me := os.Geteuid()
	s.AllowedUIDs = []int{me + 1}
	calls, readCalls := serve(t, s)

	for _, op := range []string{"officer.add", "status"} {
		err := call(t, path, op, nil)
		var re *RemoteError
		if !errors.As(err, &re) {
			t.Fatalf("%s from a refused uid: %v, want a refusal", op, err)
		}
		for _, want := range []string{"refused", fmt.Sprintf("uid %d", me+1), fmt.Sprintf("came from uid %d", me)} {
			if !strings.Contains(re.Msg, want) {
				t.Errorf("%s: refusal %q does not say %q", op, re.Msg, want)
			}
		}
	}
	if n := calls.Load() + readCalls.Load(); n != 0 {
		t.Errorf("a refused caller ran %d operations", n)
	}
	out := logs.String()
	if !strings.Contains(out, "level=WARN") || !strings.Contains(out, fmt.Sprintf("uid=%d", me)) {
		t.Errorf("refusal not logged at WARN with the uid:\n%s", out)
	}
}

func TestDefaultAllowsRootAndTheDaemonsUser(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.sock")
	s := NewServer(path, nil)
	if !slices.Contains(s.AllowedUIDs, 0) || !slices.Contains(s.AllowedUIDs, os.Geteuid()) || len(s.AllowedUIDs) != 2 {
		t.Errorf("default allowed uids = %v, want 0 and %d", s.AllowedUIDs, os.Geteuid())
	}
	calls, _ := serve(t, s)
	var out string
	if err := call(t, path, "officer.add", &out); err != nil || out != "added" || calls.Load() != 1 {
		t.Fatalf("the daemon's own user was refused: %v (%q, %d calls)", err, out, calls.Load())
	}
}

// Every state-changing operation leaves an INFO line naming who did it and
// how it ended; read-only ones do not.
func TestStateChangingOperationsAreAudited(t *testing.T) {
	var logs bytes.Buffer
	path := filepath.Join(t.TempDir(), "c.sock")
	s := NewServer(path, slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo})))
	serve(t, s)
	if err := call(t, path, "officer.add", nil); err != nil {
		t.Fatal(err)
	}
	if err := call(t, path, "officer.remove", nil); err == nil {
		t.Fatal("officer.remove should fail")
	}
	if err := call(t, path, "status", nil); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	find := func(op string) string {
		for _, l := range lines {
			if strings.Contains(l, "op="+op+" ") {
				return l
			}
		}
		return ""
	}
	uid, pid := fmt.Sprintf("uid=%d", os.Geteuid()), fmt.Sprintf("pid=%d", os.Getpid())
	add := find("officer.add")
	for _, want := range []string{"level=INFO", uid, pid, "phone=+254712345678", "outcome=ok"} {
		if !strings.Contains(add, want) {
			t.Errorf("officer.add audit line %q lacks %q", add, want)
		}
	}
	remove := find("officer.remove")
	for _, want := range []string{"level=INFO", uid, "outcome=failed", "no officer with phone"} {
		if !strings.Contains(remove, want) {
			t.Errorf("officer.remove audit line %q lacks %q", remove, want)
		}
	}
	if st := find("status"); st != "" || strings.Contains(logs.String(), "ignored") {
		t.Errorf("read-only status was audited: %q", st)
	}
}

// A caller passes an open file with its request: the handler writes into
// it with the caller's rights (the daemon could not open the path itself),
// and a request with no file finds none.
func TestCallWithFilePassesTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.sock")
	s := NewServer(path, nil)
	s.Handle("write", func(ctx context.Context, _ json.RawMessage) (any, error) {
		f := PassedFile(ctx)
		if f == nil {
			return "no file", nil
		}
		_, err := f.WriteString("written by the daemon")
		return "wrote", err
	})
	if err := s.Listen(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx) }()
	defer func() { cancel(); <-done }()

	target := filepath.Join(t.TempDir(), "target")
	f, err := os.OpenFile(target, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cctx, ccancel := context.WithTimeout(ctx, 10*time.Second)
	defer ccancel()
	var got string
	if err := CallWithFile(cctx, path, "write", nil, &got, f); err != nil || got != "wrote" {
		t.Fatalf("call with a file: %q, %v", got, err)
	}
	if b, err := os.ReadFile(target); err != nil || string(b) != "written by the daemon" {
		t.Fatalf("target holds %q, %v", b, err)
	}
	if err := Call(cctx, path, "write", nil, &got); err != nil || got != "no file" {
		t.Fatalf("call without a file: %q, %v", got, err)
	}

	// Two files at once are refused before the handler runs.
	conn, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	other, err := os.Open(target)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	rights := syscall.UnixRights(int(f.Fd()), int(other.Fd()))
	if _, _, err := conn.(*net.UnixConn).WriteMsgUnix([]byte(`{"op":"write"}`+"\n"), rights, nil); err != nil {
		t.Fatal(err)
	}
	reply, err := io.ReadAll(conn)
	if err != nil || !strings.Contains(string(reply), "more than one file") {
		t.Fatalf("two files: %s, %v", reply, err)
	}
	if b, _ := os.ReadFile(target); string(b) != "written by the daemon" {
		t.Fatalf("the handler ran for a request with two files: %q", b)
	}
}
