package modem

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/tarm/serial"
	"golang.org/x/sys/unix"
)

// readPoll is tarm's read timeout: short, so Close never waits long on an outstanding read.
const readPoll = 150 * time.Millisecond

// errGone means the device node vanished or hung up (USB unplug, re-enumeration).
var errGone = errors.New("the modem device disappeared")

// errLocked means another process holds the device.
type errLocked struct{ holders string }

func (e *errLocked) Error() string {
	if e.holders == "" {
		return "another program is using the modem port"
	}
	return "another program is using the modem port: " + e.holders
}

// resolveDevice follows symlinks such as /dev/serial/by-id/... to the tty node.
func resolveDevice(path string) (string, error) {
	resolved, err := filepath.EvalSymlinks(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return "", fmt.Errorf("the modem device %s does not exist (unplugged, or a different name)", path)
		}
		return "", fmt.Errorf("cannot resolve the modem device %s: %w", path, err)
	}
	return resolved, nil
}

// serialConn is an opened, exclusively held serial port. Read hides tarm's
// idle timeouts and turns a hung-up or vanished device into errGone.
type serialConn struct {
	path   string
	port   *serial.Port
	lock   *os.File // second descriptor carrying flock and TIOCEXCL
	rdev   uint64   // st_rdev, uint32 on some 32-bit platforms (mipsle)
	closed atomic.Bool
}

func openSerial(path string, baud int) (io.ReadWriteCloser, error) {
	lock, err := os.OpenFile(path, os.O_RDWR|unix.O_NOCTTY|unix.O_NONBLOCK, 0)
	if err != nil {
		if errors.Is(err, unix.EBUSY) {
			return nil, &errLocked{holders: describeHolders(path)}
		}
		return nil, openError(path, err)
	}
	if err := unix.Flock(int(lock.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		lock.Close()
		return nil, &errLocked{holders: describeHolders(path)}
	}
	var st unix.Stat_t
	if err := unix.Fstat(int(lock.Fd()), &st); err != nil {
		lock.Close()
		return nil, openError(path, err)
	}
	port, err := serial.OpenPort(&serial.Config{Name: path, Baud: baud, ReadTimeout: readPoll})
	if err != nil {
		lock.Close()
		return nil, openError(path, err)
	}
	// TIOCEXCL makes later opens by other programs fail with EBUSY (root excepted).
	_ = unix.IoctlSetInt(int(lock.Fd()), unix.TIOCEXCL, 0)
	// Rdev is 32 bits wide on mips and mipsle, 64 elsewhere.
	return &serialConn{path: path, port: port, lock: lock, rdev: uint64(st.Rdev)}, nil
}

func openError(path string, err error) error {
	switch {
	case errors.Is(err, os.ErrPermission):
		return fmt.Errorf("no permission to open %s: the udev rule (systemd/99-mifos-modem.rules) must give the modem's ports to the service user", path)
	case errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("the modem device %s does not exist", path)
	}
	return fmt.Errorf("cannot open the modem device %s: %w", path, err)
}

func (c *serialConn) Read(b []byte) (int, error) {
	quickEmpty := 0
	lastCheck := time.Now()
	for {
		if c.closed.Load() {
			return 0, io.ErrClosedPipe
		}
		start := time.Now()
		n, err := c.port.Read(b)
		if n > 0 {
			return n, nil
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return 0, err
		}
		// A hung-up tty answers reads at once with nothing; an idle one waits readPoll.
		if time.Since(start) < readPoll/10 {
			quickEmpty++
			if quickEmpty >= 20 {
				return 0, errGone
			}
		} else {
			quickEmpty = 0
		}
		if time.Since(lastCheck) >= time.Second {
			lastCheck = time.Now()
			if !c.stillThere() {
				return 0, errGone
			}
		}
	}
}

// stillThere reports whether the configured path still names the device we opened.
func (c *serialConn) stillThere() bool {
	var st unix.Stat_t
	if err := unix.Stat(c.path, &st); err != nil {
		return false
	}
	return uint64(st.Rdev) == c.rdev
}

func (c *serialConn) Write(b []byte) (int, error) {
	if c.closed.Load() {
		return 0, io.ErrClosedPipe
	}
	return c.port.Write(b)
}

func (c *serialConn) Close() error {
	if c.closed.Swap(true) {
		return nil
	}
	_ = unix.IoctlSetInt(int(c.lock.Fd()), unix.TIOCNXCL, 0)
	err := c.port.Close()
	c.lock.Close()
	return err
}

// isGone reports whether err means the device itself went away.
func isGone(err error) bool {
	return errors.Is(err, errGone) || errors.Is(err, unix.EIO) || errors.Is(err, unix.ENODEV) ||
		errors.Is(err, unix.ENXIO) || errors.Is(err, os.ErrNotExist)
}

type holder struct {
	pid  int
	name string
}

// findHolders lists the processes (other than us) with an open descriptor on the device.
func findHolders(device string) []holder {
	procs, _ := os.ReadDir("/proc")
	self := os.Getpid()
	var out []holder
	for _, p := range procs {
		pid, err := strconv.Atoi(p.Name())
		if err != nil || pid == self {
			continue
		}
		fdDir := filepath.Join("/proc", p.Name(), "fd")
		fds, err := os.ReadDir(fdDir)
		if err != nil {
			continue
		}
		holds, ownsPtyPair := false, false
		for _, fd := range fds {
			target, err := os.Readlink(filepath.Join(fdDir, fd.Name()))
			if err != nil {
				continue
			}
			holds = holds || target == device
			ownsPtyPair = ownsPtyPair || target == "/dev/ptmx" || target == "/dev/pts/ptmx"
		}
		// The process that created a pseudo-terminal (the modem simulator)
		// is the modem's side of the line, not a competing client.
		if holds && !(ownsPtyPair && strings.HasPrefix(device, "/dev/pts/")) {
			out = append(out, holder{pid: pid, name: processName(pid)})
		}
	}
	return out
}

func processName(pid int) string {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "comm"))
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(b))
}

func describeHolders(device string) string {
	hs := findHolders(device)
	var parts []string
	for _, h := range hs {
		parts = append(parts, fmt.Sprintf("%s (pid %d)", h.name, h.pid))
	}
	return strings.Join(parts, ", ")
}

// modemManagerRunning reports whether a ModemManager process exists.
func modemManagerRunning() (int, bool) {
	procs, _ := os.ReadDir("/proc")
	for _, p := range procs {
		pid, err := strconv.Atoi(p.Name())
		if err != nil {
			continue
		}
		if processName(pid) == "ModemManager" {
			return pid, true
		}
	}
	return 0, false
}
