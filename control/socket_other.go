//go:build !linux

package control

import (
	"errors"
	"net"
)

// peerOf cannot ask the kernel who connected on this system, so every
// caller is refused: the daemon runs on Linux.
func peerOf(net.Conn) (Peer, error) {
	return Peer{}, errors.New("peer credentials are only read on Linux")
}

// listenOwnerAndGroup binds the socket; Listen then sets its mode. Callers
// are refused here anyway (see peerOf).
func listenOwnerAndGroup(path string) (net.Listener, error) {
	return net.Listen("unix", path)
}
