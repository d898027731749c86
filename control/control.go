// Package control is the local protocol CLI commands use to reach a running
// daemon: bbolt admits one process, so while the daemon holds the store,
// commands such as `send` ask it over a unix socket instead.
//
// The protocol is one JSON request line and one JSON response line per
// connection; the socket is created 0660 so only root and the service's
// group can use it.
package control

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"sync"
	"syscall"
	"time"
)

// ErrNoDaemon means nothing listens on the socket: the daemon is not running.
var ErrNoDaemon = errors.New("the daemon is not running (no control socket)")

// maxRequest bounds one request line so a stray client cannot exhaust memory.
const maxRequest = 1 << 20

type request struct {
	Op   string          `json:"op"`
	Args json.RawMessage `json:"args,omitempty"`
}

type response struct {
	Result json.RawMessage `json:"result,omitempty"`
	Error  string          `json:"error,omitempty"`
}

// HandlerFunc serves one operation: args is the raw JSON argument object.
type HandlerFunc func(ctx context.Context, args json.RawMessage) (any, error)

// Server answers control requests on a unix socket.
type Server struct {
	path string
	ops  map[string]HandlerFunc
	log  *slog.Logger

	mu sync.Mutex
	ln net.Listener
	wg sync.WaitGroup
}

// NewServer returns a server for the socket at path.
func NewServer(path string, log *slog.Logger) *Server {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Server{path: path, ops: map[string]HandlerFunc{}, log: log}
}

// Handle registers an operation.
func (s *Server) Handle(op string, fn HandlerFunc) { s.ops[op] = fn }

// Listen creates the socket. A stale socket left by a killed daemon is
// removed, but a live one (another daemon answering) is an error.
func (s *Server) Listen() error {
	if c, err := net.DialTimeout("unix", s.path, time.Second); err == nil {
		c.Close()
		return fmt.Errorf("another daemon already answers on %s", s.path)
	}
	if err := os.Remove(s.path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove stale control socket: %w", err)
	}
	ln, err := net.Listen("unix", s.path)
	if err != nil {
		return fmt.Errorf("control socket %s: %w", s.path, err)
	}
	if err := os.Chmod(s.path, 0o660); err != nil {
		ln.Close()
		return fmt.Errorf("control socket permissions: %w", err)
	}
	s.mu.Lock()
	s.ln = ln
	s.mu.Unlock()
	return nil
}

// Serve accepts connections until ctx ends. Listen must have succeeded.
func (s *Server) Serve(ctx context.Context) error {
	s.mu.Lock()
	ln := s.ln
	s.mu.Unlock()
	conns := map[net.Conn]bool{}
	var connsMu sync.Mutex
	go func() {
		<-ctx.Done()
		ln.Close()
		// An idle client must not hold up the daemon's shutdown.
		connsMu.Lock()
		for c := range conns {
			c.Close()
		}
		connsMu.Unlock()
	}()
	slots := make(chan struct{}, maxConns)
	defer func() {
		s.wg.Wait()
		os.Remove(s.path)
	}()
	for {
		c, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			// Out of file descriptors and the like pass; the daemon's other
			// stages must not stop because a CLI connection could not be taken.
			s.log.Warn("control socket: accept failed; retrying", "err", err)
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(200 * time.Millisecond):
			}
			continue
		}
		select {
		case slots <- struct{}{}:
		default:
			c.Close() // too many at once: refuse rather than pile up
			continue
		}
		connsMu.Lock()
		conns[c] = true
		connsMu.Unlock()
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer func() {
				connsMu.Lock()
				delete(conns, c)
				connsMu.Unlock()
				<-slots
			}()
			s.serveConn(ctx, c)
		}()
	}
}

// maxConns bounds concurrent control connections.
const maxConns = 16

// requestWait bounds how long a client may take to send its request; the
// operation itself (a reminder run may take minutes) is not bounded here.
const requestWait = 10 * time.Second

func (s *Server) serveConn(ctx context.Context, c net.Conn) {
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(requestWait))
	var req request
	dec := json.NewDecoder(io.LimitReader(c, maxRequest))
	resp := response{}
	if err := dec.Decode(&req); err != nil {
		resp.Error = "bad request: " + err.Error()
	} else if fn, ok := s.ops[req.Op]; !ok {
		resp.Error = fmt.Sprintf("unknown operation %q", req.Op)
	} else {
		out, err := fn(ctx, req.Args)
		if err != nil {
			resp.Error = err.Error()
		} else if out != nil {
			b, err := json.Marshal(out)
			if err != nil {
				resp.Error = "encode result: " + err.Error()
			} else {
				resp.Result = b
			}
		}
	}
	if resp.Error != "" {
		s.log.Debug("control request failed", "op", req.Op, "err", resp.Error)
	}
	b, _ := json.Marshal(resp)
	c.SetWriteDeadline(time.Now().Add(requestWait))
	c.Write(append(b, '\n'))
}

// RemoteError is an error the daemon reported for a request.
type RemoteError struct{ Msg string }

func (e *RemoteError) Error() string { return e.Msg }

// Call sends one request to the daemon at socket and decodes its result
// into out (which may be nil). It returns ErrNoDaemon when nothing listens.
func Call(ctx context.Context, socket, op string, args, out any) error {
	var d net.Dialer
	c, err := d.DialContext(ctx, "unix", socket)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) || errors.Is(err, syscall.ECONNREFUSED) {
			return ErrNoDaemon
		}
		return fmt.Errorf("control socket %s: %w", socket, err)
	}
	defer c.Close()
	if dl, ok := ctx.Deadline(); ok {
		c.SetDeadline(dl)
	}
	req := request{Op: op}
	if args != nil {
		if req.Args, err = json.Marshal(args); err != nil {
			return err
		}
	}
	b, _ := json.Marshal(req)
	if _, err := c.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("control request: %w", err)
	}
	line, err := bufio.NewReader(io.LimitReader(c, 64<<20)).ReadBytes('\n')
	if err != nil {
		return fmt.Errorf("control response: %w", err)
	}
	var resp response
	if err := json.Unmarshal(line, &resp); err != nil {
		return fmt.Errorf("control response: %w", err)
	}
	if resp.Error != "" {
		return &RemoteError{Msg: resp.Error}
	}
	if out != nil && len(resp.Result) > 0 {
		return json.Unmarshal(resp.Result, out)
	}
	return nil
}
