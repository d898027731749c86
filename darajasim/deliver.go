package darajasim

import (
	"bytes"
	"io"
	"net/http"
	"time"
)

// send posts body to url after ResultDelay, twice when twice, in the
// background. A POST that fails or is not answered 2xx is made again, up
// to CallbackRetries more times.
func (s *Server) send(kind, url string, body []byte, twice bool) {
	copies := 1
	if twice {
		copies = 2
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for range copies {
			for attempt := 0; ; attempt++ {
				if !s.sleep(s.opts.ResultDelay) {
					return
				}
				if s.post1(kind, url, body) || attempt >= s.opts.CallbackRetries {
					break
				}
			}
		}
	}()
}

// sleep waits d; false when the stand-in closed meanwhile.
func (s *Server) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-s.closed:
		return false
	}
}

// post1 makes one POST and records it; true when answered 2xx.
func (s *Server) post1(kind, url string, body []byte) bool {
	d := Delivery{Kind: kind, URL: url, Body: body}
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err == nil {
		req.Header.Set("Content-Type", "application/json")
		var resp *http.Response
		resp, err = s.opts.HTTPClient.Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
			_ = resp.Body.Close()
			d.Status = resp.StatusCode
		}
	}
	if err != nil {
		d.Err = err.Error()
	}
	s.mu.Lock()
	s.deliveries = append(s.deliveries, d)
	s.mu.Unlock()
	return d.Status >= 200 && d.Status < 300
}

// Settle waits until every callback scheduled so far has been posted,
// retries included. Call it while no request is in flight.
func (s *Server) Settle() { s.wg.Wait() }
