//go:build !linux

package control

import (
	"errors"
	"net"
	"os"
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

// requestReader reads the request; passed files are not taken in here
// (callers are refused anyway).
type requestReader struct{ net.Conn }

func newRequestReader(c net.Conn) *requestReader { return &requestReader{c} }

func (*requestReader) passed() []*os.File { return nil }

func (*requestReader) closeFiles() {}

// writeRequest sends the request line; passing a file needs Linux.
func writeRequest(c net.Conn, line []byte, f *os.File) error {
	if f != nil {
		return errors.New("passing a file to the daemon needs Linux")
	}
	_, err := c.Write(line)
	return err
}
