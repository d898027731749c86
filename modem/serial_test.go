package modem

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/creack/pty"
)

// openPTY gives a pseudo-terminal whose slave path stands in for a modem port.
func openPTY(t *testing.T) (master *os.File, path string) {
	t.Helper()
	master, slave, err := pty.Open()
	if err != nil {
		t.Fatalf("pty: %v", err)
	}
	path = slave.Name()
	// Holding the slave keeps master reads from failing while the port under test is closed.
	t.Cleanup(func() { master.Close(); slave.Close() })
	return master, path
}

func TestSerialOpenExclusiveReadWrite(t *testing.T) {
	master, path := openPTY(t)
	conn, err := openSerial(path, 115200)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	defer conn.Close()

	if _, err := openSerial(path, 115200); err == nil {
		t.Fatal("a second open of a held port succeeded")
	} else {
		var locked *errLocked
		if !errors.As(err, &locked) {
			t.Fatalf("second open err = %v, want errLocked", err)
		}
	}

	if _, err := conn.Write([]byte("AT\r")); err != nil {
		t.Fatalf("write: %v", err)
	}
	buf := make([]byte, 16)
	n, err := master.Read(buf)
	if err != nil || string(buf[:n]) != "AT\r" {
		t.Fatalf("modem side read %q, %v", buf[:n], err)
	}

	// Idle reads must not surface tarm's read timeout as end of stream.
	got := make(chan string, 1)
	go func() {
		n, _ := conn.Read(buf)
		got <- string(buf[:n])
	}()
	time.Sleep(3 * readPoll)
	if _, err := master.Write([]byte("OK\r\n")); err != nil {
		t.Fatal(err)
	}
	select {
	case s := <-got:
		if s != "OK\r\n" {
			t.Fatalf("read %q after an idle period", s)
		}
	case <-time.After(hangGuard):
		t.Fatal("read never returned")
	}
}

func TestSerialHangupIsGone(t *testing.T) {
	master, path := openPTY(t)
	conn, err := openSerial(path, 115200)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	readErr := make(chan error, 1)
	go func() {
		_, err := conn.Read(make([]byte, 16))
		readErr <- err
	}()
	master.Close()
	select {
	case err := <-readErr:
		if !isGone(err) {
			t.Fatalf("read after hangup = %v, want a gone error", err)
		}
	case <-time.After(hangGuard):
		t.Fatal("read did not notice the hangup")
	}
	closed := make(chan struct{})
	go func() { conn.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(hangGuard):
		t.Fatal("Close blocked")
	}
}

func TestResolveDeviceFollowsSymlink(t *testing.T) {
	_, path := openPTY(t)
	link := filepath.Join(t.TempDir(), "usb-Fake_Modem-if02-port0")
	if err := os.Symlink(path, link); err != nil {
		t.Fatal(err)
	}
	got, err := resolveDevice(link)
	if err != nil || got != path {
		t.Fatalf("resolveDevice = %q, %v; want %q", got, err, path)
	}
	if _, err := resolveDevice(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Fatal("a missing device resolved")
	}
}

func TestSerialCloseUnblocksReader(t *testing.T) {
	_, path := openPTY(t)
	conn, err := openSerial(path, 115200)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	readErr := make(chan error, 1)
	go func() {
		_, err := conn.Read(make([]byte, 16))
		readErr <- err
	}()
	time.Sleep(readPoll)
	conn.Close()
	select {
	case err := <-readErr:
		if err == nil || !errors.Is(err, io.ErrClosedPipe) && !errors.Is(err, os.ErrClosed) {
			t.Fatalf("read after Close = %v", err)
		}
	case <-time.After(hangGuard):
		t.Fatal("reader still blocked after Close")
	}
}

func TestDoctorStopsAtMissingDevice(t *testing.T) {
	checks := Doctor(t.Context(), Config{Device: filepath.Join(t.TempDir(), "nothing")})
	if len(checks) < 3 || checks[0].OK || checks[0].Fix == "" {
		t.Fatalf("checks = %+v", checks)
	}
	for _, c := range checks[1:] {
		if c.OK || c.Detail != "not run: an earlier check failed" {
			t.Fatalf("later check ran: %+v", c)
		}
	}
}

func TestDoctorOnAnsweringModem(t *testing.T) {
	master, path := openPTY(t)
	fake := newFakeModem(t)
	for i := range 21 {
		fake.store("SM", i, 1, pduA)
	}
	go fake.serve(master)
	link := filepath.Join(t.TempDir(), "modem")
	if err := os.Symlink(path, link); err != nil {
		t.Fatal(err)
	}
	checks := Doctor(t.Context(), Config{Device: link, CommandTimeout: time.Second})
	byName := map[string]Check{}
	for _, c := range checks {
		byName[c.Name] = c
	}
	for _, name := range []string{"device", "permissions", "exclusive", "answers AT", "SIM", "registration", "signal", "SMS centre"} {
		if c := byName[name]; !c.OK {
			t.Errorf("check %q failed: %+v", name, c)
		}
	}
	if c := byName["storage"]; c.OK || c.Fix == "" {
		t.Errorf("storage 21/25 not flagged: %+v", c)
	}
	if c := byName["answers AT"]; c.Detail != "the modem answers AT (EC25)" {
		t.Errorf("AT detail = %q", c.Detail)
	}
}

func TestRunOverRealSerialPort(t *testing.T) {
	master, path := openPTY(t)
	fake := newFakeModem(t)
	fake.store("SM", 2, 0, pduA)
	go fake.serve(master)
	rs := &recordingSink{fake: fake}
	m := New(Config{Device: path, CommandTimeout: time.Second, ProbeInterval: time.Hour, StatusInterval: time.Hour, SweepInterval: time.Hour}, rs.sink)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	deadline := time.Now().Add(hangGuard)
	for len(rs.received()) == 0 || m.Status().State != "ready" {
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("not ready over a pty: %+v; commands %q", m.Status(), fake.commands())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if got := m.Status().ResolvedDevice; got != path {
		t.Errorf("ResolvedDevice = %q", got)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run = %v", err)
		}
	case <-time.After(hangGuard):
		t.Fatal("Run did not stop")
	}
}
