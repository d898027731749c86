package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/mifos-edge/mifos-edge/webhook"
)

// TestWebhookSurvivesKill9: the daemon is killed (-9) while a webhook
// delivery is in flight; after the restart the same event, with the same
// id, is delivered again, and once the receiver has answered it is not
// sent any more: at least once, never lost, duplicates recognisable.
func TestWebhookSurvivesKill9(t *testing.T) {
	const secret = "e2e-webhook-secret-0123456789"
	var mu sync.Mutex
	var ids []string
	hold := make(chan struct{})
	first := make(chan struct{}, 1)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := webhook.Verify([]byte(secret), r.Header.Get(webhook.SignatureHeader), body, time.Now(), time.Minute); err != nil {
			t.Errorf("webhook signature: %v", err)
		}
		var e webhook.Envelope
		_ = json.Unmarshal(body, &e)
		mu.Lock()
		ids = append(ids, e.ID)
		n := len(ids)
		mu.Unlock()
		if n == 1 {
			first <- struct{}{}
			<-hold // the daemon dies while this delivery waits for an answer
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer receiver.Close()
	defer close(hold)

	extra := fmt.Sprintf("\n[http]\nlisten = %q\n\n[[webhook]]\nurl = %q\nevents = [\"sms.received\"]\nsecret = %q\n",
		freeAddr(t), receiver.URL, secret)
	e := newEnv(t, envOptions{extraSMS: extra})
	e.start()
	e.deliver(client, "Please call me back")
	select {
	case <-first:
	case <-time.After(30 * time.Second):
		t.Fatal("the webhook never got the event")
	}
	e.kill9()
	e.start()
	waitFor(t, 60*time.Second, "the event delivered again after the restart", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(ids) >= 2
	})
	time.Sleep(3 * time.Second) // a third copy, once answered, would show by now
	mu.Lock()
	defer mu.Unlock()
	if len(ids) != 2 || ids[0] == "" || ids[0] != ids[1] {
		t.Fatalf("deliveries %q: want the same event id twice (lost with the kill, then answered), and no more", ids)
	}
}
