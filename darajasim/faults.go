package darajasim

import (
	"net/http"
	"strings"
)

// Fault is what goes wrong with one request. Flags combine (Hang with
// LoseCallback is the worst case: paid, no answer, no result).
type Fault struct {
	// Unavailable answers 503 before the request is read: nothing done.
	Unavailable bool
	// CloseConn closes the connection without an answer before the
	// request is read: nothing done.
	CloseConn bool
	// Garbage answers 200 with an HTML page instead of Daraja's JSON, as a
	// proxy in the way does: nothing done.
	Garbage bool
	// Hang processes the request (paying it if it would be paid, posting
	// its result) but holds the answer until the client gives up.
	Hang bool
	// LoseCallback processes the request but never posts its result.
	LoseCallback bool
	// DuplicateCallback posts the same result twice.
	DuplicateCallback bool
	// ResultCode fails the payment with this result code ("1", "2001",
	// "SFC_IC0003", …): nothing paid.
	ResultCode string
	// QueueTimeout posts a queue time-out notice to QueueTimeOutURL instead
	// of a result. QueueTimeoutPaid says whether the payment was made
	// anyway (then a status query finds it Completed); otherwise it
	// expired unpaid and a status query finds nothing.
	QueueTimeout     bool
	QueueTimeoutPaid bool
}

// Outage is how the whole API is down (SetDown).
type Outage int

const (
	// Up: serving.
	Up Outage = iota
	// Unavailable: every call answers 503 without reading the request.
	Unavailable
	// Closed: every connection is closed without an answer.
	Closed
)

// FailNext queues f for the next B2C payment request (one request per
// call, in order).
func (s *Server) FailNext(f Fault) {
	s.mu.Lock()
	s.next = append(s.next, f)
	s.mu.Unlock()
}

// FailNextQuery queues f for the next status query. ResultCode and
// QueueTimeoutPaid mean nothing there.
func (s *Server) FailNextQuery(f Fault) {
	s.mu.Lock()
	s.nextQuery = append(s.nextQuery, f)
	s.mu.Unlock()
}

// FailPhone applies f to every B2C request paying phone (2547… or
// +2547…) until ClearFaults. Unavailable and CloseConn then act after the
// body is read (it names the phone), still before anything is done.
func (s *Server) FailPhone(phone string, f Fault) {
	s.mu.Lock()
	s.byPhone[strings.TrimPrefix(phone, "+")] = f
	s.mu.Unlock()
}

// ClearFaults forgets queued and per-phone faults.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	s.next, s.nextQuery = nil, nil
	clear(s.byPhone)
	s.mu.Unlock()
}

// SetDown takes every call down (or back Up).
func (s *Server) SetDown(o Outage) {
	s.mu.Lock()
	s.down = o
	s.mu.Unlock()
}

// outage answers for a down API; true when it did.
func (s *Server) outage(w http.ResponseWriter) bool {
	s.mu.Lock()
	o := s.down
	s.mu.Unlock()
	switch o {
	case Unavailable:
		unavailable(w)
		return true
	case Closed:
		closeConn(w)
		return true
	}
	return false
}

// takeFault pops the next queued fault of q; s.mu held.
func takeFault(q *[]Fault) Fault {
	if len(*q) == 0 {
		return Fault{}
	}
	f := (*q)[0]
	*q = (*q)[1:]
	return f
}

func unavailable(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/html")
	w.WriteHeader(http.StatusServiceUnavailable)
	_, _ = w.Write([]byte("<html><body><h1>503 Service Unavailable</h1>No server is available to handle this request.</body></html>\n"))
}

func garbage(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/html")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte("<!DOCTYPE html><html><head><title>Maintenance</title></head><body>We'll be back shortly.</body></html>\n"))
}

// closeConn drops the connection without a word.
func closeConn(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		// HTTP/2 cannot hijack; aborting the handler resets the stream.
		panic(http.ErrAbortHandler)
	}
	c, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	_ = c.Close()
}
