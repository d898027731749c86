// Package control is the local protocol CLI commands use to reach a running
// daemon: bbolt admits one process, so while the daemon holds the store,
// commands such as `send` ask it over a unix socket instead.
//
// The protocol is one JSON request line and one JSON response line per
// connection. The socket is created 0660 inside a directory no one else may
// write, and every connection's peer uid is checked as well: only root and
// the daemon's own user are served. State-changing operations are logged
// with the caller's uid.
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
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// ErrNoDaemon means nothing listens on the socket: the daemon is not running.
var ErrNoDaemon = errors.New("the daemon is not running (no control socket)")

// errTooManyFiles: a request may carry one open file, no more.
var errTooManyFiles = errors.New("bad request: more than one file was passed with it")

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

type operation struct {
	fn HandlerFunc
	// readOnly operations change nothing, so they are not audited at INFO.
	readOnly bool
}

// Peer is the process at the other end of a control connection, as the
// kernel reports it (not as the client claims).
type Peer struct {
	UID int
	PID int
}

// Server answers control requests on a unix socket.
type Server struct {
	// AllowedUIDs are the users whose requests are served; NewServer sets
	// root and the daemon's effective uid (the service user). Set it before
	// Serve.
	AllowedUIDs []int

	path string
	ops  map[string]operation
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
	return &Server{
		AllowedUIDs: []int{0, os.Geteuid()},
		path:        path,
		ops:         map[string]operation{},
		log:         log,
	}
}

// Handle registers an operation that may change state. Each call is logged
// at INFO with the caller's uid and pid and the outcome, never with its
// arguments; the handler adds what is safe to show with Audit.
func (s *Server) Handle(op string, fn HandlerFunc) { s.ops[op] = operation{fn: fn} }

// HandleReadOnly registers an operation that only reads, so it is not
// logged at INFO.
func (s *Server) HandleReadOnly(op string, fn HandlerFunc) {
	s.ops[op] = operation{fn: fn, readOnly: true}
}

type auditKey struct{}

type fileKey struct{}

// PassedFile is the open file the caller passed with its request (see
// CallWithFile), nil when it passed none. The handler may read or write it
// until it returns; the server closes it then.
func PassedFile(ctx context.Context) *os.File {
	f, _ := ctx.Value(fileKey{}).(*os.File)
	return f
}

type auditNote struct {
	mu    sync.Mutex
	attrs []any
}

// Audit adds key-value pairs to the audit line of the state-changing
// operation ctx belongs to (a phone number, an id). Never pass a secret: no
// PIN hash, no SMS text. Outside an audited operation it does nothing.
func Audit(ctx context.Context, keyvals ...any) {
	if n, ok := ctx.Value(auditKey{}).(*auditNote); ok {
		n.mu.Lock()
		n.attrs = append(n.attrs, keyvals...)
		n.mu.Unlock()
	}
}

// Listen creates the socket. A stale socket left by a killed daemon is
// removed, but a live one (another daemon answering) is an error, and so
// is any other kind of file at the path: it is never removed.
func (s *Server) Listen() error {
	if err := s.prepareDir(filepath.Dir(s.path)); err != nil {
		return err
	}
	if err := removeStaleSocket(s.path); err != nil {
		return err
	}
	ln, err := listenOwnerAndGroup(s.path)
	if err != nil {
		return fmt.Errorf("control socket %s: %w", s.path, err)
	}
	// Already 0660 where listenOwnerAndGroup can ensure it; this makes the
	// mode exact everywhere else.
	if err := os.Chmod(s.path, 0o660); err != nil {
		ln.Close()
		return fmt.Errorf("control socket permissions: %w", err)
	}
	s.mu.Lock()
	s.ln = ln
	s.mu.Unlock()
	return nil
}

// prepareDir makes sure the socket's directory exists and that only its
// owner may write it: whoever may write there could replace the socket
// with one of their own and collect what CLI commands send.
func (s *Server) prepareDir(dir string) error {
	fi, err := os.Stat(dir)
	if errors.Is(err, os.ErrNotExist) {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return fmt.Errorf("control socket directory: %w", err)
		}
		// MkdirAll is subject to the umask; 0750 lets the service's group
		// reach the socket and keeps everyone else out.
		if err := os.Chmod(dir, 0o750); err != nil {
			return fmt.Errorf("control socket directory: %w", err)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("control socket directory: %w", err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("control socket directory %s is not a directory", dir)
	}
	perm := fi.Mode().Perm()
	if perm&0o022 != 0 {
		return fmt.Errorf("control socket directory %s is writable by group or others (mode %04o), so anyone could replace the socket; "+
			"run chmod 0750 %s or set control.socket to a path in a private directory", dir, perm, dir)
	}
	if perm&0o007 != 0 {
		s.log.Warn("control socket directory is open to every local user; 0750 is advised (chmod 0750 it)",
			"dir", dir, "mode", fmt.Sprintf("%04o", perm))
	}
	return nil
}

// removeStaleSocket clears the way for a new socket at path: nothing there,
// or a socket nobody answers on (a killed daemon's). Anything else at the
// path is refused, never removed: with control.socket pointing at the store,
// removing it would delete the database.
func removeStaleSocket(path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("control socket %s: %w", path, err)
	}
	if fi.Mode().Type() != os.ModeSocket {
		return fmt.Errorf("control socket %s: the path exists and is not a socket; it was left untouched "+
			"(set control.socket to a path of its own)", path)
	}
	if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
		c.Close()
		return fmt.Errorf("another daemon already answers on %s", path)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove stale control socket: %w", err)
	}
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
	// The request is read even from a peer about to be refused, so that it
	// gets the refusal rather than a broken pipe.
	var req request
	rd := newRequestReader(c)
	// Files the caller passed are closed whatever becomes of the request.
	defer rd.closeFiles()
	dec := json.NewDecoder(io.LimitReader(rd, maxRequest))
	decodeErr := dec.Decode(&req)
	resp := response{}
	peer, peerErr := peerOf(c)
	files := rd.passed()
	switch op, known := s.ops[req.Op]; {
	case peerErr != nil:
		s.log.Warn("control socket: refused a caller whose user cannot be told", "op", req.Op, "err", peerErr)
		resp.Error = "refused: the daemon cannot tell which user is calling (" + peerErr.Error() + ")"
	case !slices.Contains(s.AllowedUIDs, peer.UID):
		s.log.Warn("control socket: refused a caller who is not allowed", "op", req.Op, "uid", peer.UID, "pid", peer.PID)
		resp.Error = fmt.Sprintf("refused: only %s may use the control socket; this request came from uid %d (run the command as one of those users)",
			describeUIDs(s.AllowedUIDs), peer.UID)
	case decodeErr != nil:
		resp.Error = "bad request: " + decodeErr.Error()
	case !known:
		resp.Error = fmt.Sprintf("unknown operation %q", req.Op)
	case len(files) > 1:
		resp.Error = errTooManyFiles.Error()
	default:
		if len(files) == 1 {
			ctx = context.WithValue(ctx, fileKey{}, files[0])
		}
		resp = s.run(ctx, req.Op, op, req.Args, peer)
	}
	if resp.Error != "" {
		s.log.Debug("control request failed", "op", req.Op, "err", resp.Error)
	}
	b, _ := json.Marshal(resp)
	c.SetWriteDeadline(time.Now().Add(requestWait))
	c.Write(append(b, '\n'))
}

// run calls op's handler; a state-changing operation leaves an audit line
// naming the caller whatever its outcome.
func (s *Server) run(ctx context.Context, name string, op operation, args json.RawMessage, peer Peer) response {
	note := &auditNote{}
	if !op.readOnly {
		ctx = context.WithValue(ctx, auditKey{}, note)
	}
	var resp response
	out, err := op.fn(ctx, args)
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
	if !op.readOnly {
		note.mu.Lock()
		attrs := append([]any{"op", name, "uid", peer.UID, "pid", peer.PID}, note.attrs...)
		note.mu.Unlock()
		if resp.Error == "" {
			attrs = append(attrs, "outcome", "ok")
		} else {
			attrs = append(attrs, "outcome", "failed", "err", resp.Error)
		}
		s.log.Info("control operation", attrs...)
	}
	return resp
}

// describeUIDs names the allowed users for a refusal, e.g. "root (uid 0)
// or mifos-edge (uid 998)".
func describeUIDs(uids []int) string {
	var names []string
	seen := map[int]bool{}
	for _, uid := range uids {
		if seen[uid] {
			continue
		}
		seen[uid] = true
		id := strconv.Itoa(uid)
		if u, err := user.LookupId(id); err == nil && u.Username != "" {
			names = append(names, fmt.Sprintf("%s (uid %d)", u.Username, uid))
		} else {
			names = append(names, "uid "+id)
		}
	}
	if len(names) == 0 {
		return "no user"
	}
	return strings.Join(names, " or ")
}

// RemoteError is an error the daemon reported for a request.
type RemoteError struct{ Msg string }

func (e *RemoteError) Error() string { return e.Msg }

// Call sends one request to the daemon at socket and decodes its result
// into out (which may be nil). It returns ErrNoDaemon when nothing listens.
func Call(ctx context.Context, socket, op string, args, out any) error {
	return CallWithFile(ctx, socket, op, args, out, nil)
}

// CallWithFile is Call that also passes the open file f (nil: none) to the
// daemon with the request (SCM_RIGHTS); the handler finds it with
// PassedFile. The daemon then reads or writes a file the caller opened
// with the caller's own rights, wherever it lies, without its content
// crossing the socket.
func CallWithFile(ctx context.Context, socket, op string, args, out any, f *os.File) error {
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
	if err := writeRequest(c, append(b, '\n'), f); err != nil {
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
