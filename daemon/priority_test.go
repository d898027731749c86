package daemon

import (
	"context"
	"testing"
	"time"

	"github.com/mifos-edge/mifos-edge/handler"
	"github.com/mifos-edge/mifos-edge/pdu"
	"github.com/mifos-edge/mifos-edge/store"
)

// answerWithAlert replies to PING and raises an alert.
type answerWithAlert struct{}

func (answerWithAlert) Keywords() []string { return []string{"PING"} }

func (answerWithAlert) Handle(context.Context, handler.Request) handler.Result {
	return handler.Result{Replies: []handler.Reply{{Text: "pong"}}, Alerts: []string{"someone pinged"}}
}

const testManager = "+254722000099"

func queuedByText(t *testing.T, d *Daemon) map[string]store.Outbound {
	t.Helper()
	all, err := d.db.ListOutbound(store.OutQueued, 0)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]store.Outbound{}
	for _, o := range all {
		out[o.Text] = o
	}
	return out
}

// A reply goes out as interactive, the alert it raised for the branch
// manager as a notification, and an operator's SMS as a notification.
func TestEnqueuersClassTheirMessages(t *testing.T) {
	d := newSendTestDaemon(t, &scriptedSend{})
	d.cfg.SMS.Country, d.cfg.Officers.ManagerPhone = "KE", testManager
	d.handlers = handler.NewRegistry(answerWithAlert{})
	if _, err := d.db.AddSegment(store.Segment{Fingerprint: "f1", Sender: "+254712345678", SenderType: string(pdu.SenderInternational), Text: "PING", ReceivedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	pending, err := d.db.PendingMessages(1)
	if err != nil || len(pending) != 1 {
		t.Fatalf("pending %v, %v", pending, err)
	}
	if err := d.handleOne(context.Background(), pending[0]); err != nil {
		t.Fatal(err)
	}
	if _, err := QueueSMS(d.db, SendArgs{To: "+254700000031", Text: "meeting on Friday"}, "cli"); err != nil {
		t.Fatal(err)
	}
	want := map[string]store.Priority{"pong": store.PriorityInteractive, "someone pinged": store.PriorityNotification,
		"meeting on Friday": store.PriorityNotification}
	queued := queuedByText(t, d)
	for text, class := range want {
		if o, ok := queued[text]; !ok || o.Priority != class {
			t.Errorf("%q queued as %q (found %v), want %q", text, o.Priority, ok, class)
		}
	}
}
