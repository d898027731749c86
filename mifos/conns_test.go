package mifos

import (
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// Reads made together (a BAL's accounts) keep their connections for the
// next ones: on a slow uplink each new connection costs TCP and TLS
// handshakes before the request is even sent.
func TestParallelReadsReuseTheirConnections(t *testing.T) {
	const together = 4
	var mu sync.Mutex
	opened, waiting := 0, 0
	all := make(chan struct{})
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Each round's requests wait for one another, so they need as
		// many connections as there are requests.
		mu.Lock()
		waiting++
		if waiting == together {
			close(all)
		}
		ch := all
		mu.Unlock()
		select {
		case <-ch:
		case <-time.After(5 * time.Second):
			t.Error("the requests of a round were not in flight together")
		}
		reply(w, 200, `{"date":[2024,9,26]}`)
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			mu.Lock()
			opened++
			mu.Unlock()
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	c, err := New(Config{BaseURL: srv.URL, Tenant: testTenant, Username: testUser, Password: testPass})
	if err != nil {
		t.Fatal(err)
	}
	for round := range 3 {
		mu.Lock()
		waiting, all = 0, make(chan struct{})
		mu.Unlock()
		var wg sync.WaitGroup
		for range together {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := c.BusinessDate(ctx); err != nil {
					t.Errorf("round %d: %v", round, err)
				}
			}()
		}
		wg.Wait()
	}
	mu.Lock()
	defer mu.Unlock()
	if opened != together {
		t.Errorf("%d connections opened for 3 rounds of %d requests together, want %d", opened, together, together)
	}
}
