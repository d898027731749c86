package control

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// peerOf asks the kernel which process connected (SO_PEERCRED): the uid is
// the one the client had at connect time and cannot be forged.
func peerOf(c net.Conn) (Peer, error) {
	uc, ok := c.(*net.UnixConn)
	if !ok {
		return Peer{}, errors.New("not a unix socket connection")
	}
	raw, err := uc.SyscallConn()
	if err != nil {
		return Peer{}, err
	}
	var cred *unix.Ucred
	var credErr error
	if err := raw.Control(func(fd uintptr) {
		cred, credErr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
	}); err != nil {
		return Peer{}, err
	}
	if credErr != nil {
		return Peer{}, fmt.Errorf("peer credentials: %w", credErr)
	}
	return Peer{UID: int(cred.Uid), PID: int(cred.Pid)}, nil
}

// listenOwnerAndGroup binds a unix socket that is 0660 from the moment it
// exists: bind creates it as 0777 minus the umask, and a chmod afterwards
// would leave a window in which anyone could connect. The umask is
// process-wide, so a file another goroutine created meanwhile would get this
// mask instead of the configured one; that is acceptable because the daemon
// binds once, at start-up, before its stages run.
func listenOwnerAndGroup(path string) (net.Listener, error) {
	old := syscall.Umask(0o117)
	defer syscall.Umask(old)
	return net.Listen("unix", path)
}

// maxPassedFiles is how many descriptors one read takes in: a request
// carries at most one, and the room for more lets too many be seen and
// refused (the kernel closes what does not fit).
const maxPassedFiles = 4

// requestReader reads a request from a unix connection together with the
// descriptors the caller passed with it (SCM_RIGHTS), which a plain read
// would drop.
type requestReader struct {
	c     net.Conn
	files []*os.File
}

func newRequestReader(c net.Conn) *requestReader { return &requestReader{c: c} }

func (r *requestReader) Read(p []byte) (int, error) {
	uc, ok := r.c.(*net.UnixConn)
	if !ok {
		return r.c.Read(p)
	}
	oob := make([]byte, unix.CmsgSpace(4*maxPassedFiles))
	n, oobn, _, _, err := uc.ReadMsgUnix(p, oob)
	n = max(n, 0) // a failed recvmsg may report -1
	if oobn > 0 {
		r.takeFiles(oob[:oobn])
	}
	if n == 0 && err == nil {
		// recvmsg reads 0 bytes only at the end of the stream.
		return 0, io.EOF
	}
	return n, err
}

func (r *requestReader) takeFiles(oob []byte) {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return
	}
	for _, m := range msgs {
		fds, err := unix.ParseUnixRights(&m)
		if err != nil {
			continue
		}
		for _, fd := range fds {
			unix.CloseOnExec(fd)
			r.files = append(r.files, os.NewFile(uintptr(fd), "passed file"))
		}
	}
}

func (r *requestReader) passed() []*os.File { return r.files }

func (r *requestReader) closeFiles() {
	for _, f := range r.files {
		f.Close()
	}
}

// writeRequest sends the request line, with f's descriptor when f is set.
func writeRequest(c net.Conn, line []byte, f *os.File) error {
	if f == nil {
		_, err := c.Write(line)
		return err
	}
	uc, ok := c.(*net.UnixConn)
	if !ok {
		return errors.New("a file can only be passed over a unix socket")
	}
	raw, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var werr error
	if err := raw.Control(func(fd uintptr) {
		_, _, werr = uc.WriteMsgUnix(line, unix.UnixRights(int(fd)), nil)
	}); err != nil {
		return err
	}
	return werr
}
