package control

import (
	"errors"
	"fmt"
	"net"
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
