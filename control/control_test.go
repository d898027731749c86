package control

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"os"
	"path/filepath"
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
