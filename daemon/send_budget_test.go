package daemon

import (
	"context"
	"testing"
	"time"

	"github.com/mifos-edge/mifos-edge/handler"
	"github.com/mifos-edge/mifos-edge/store"
)

// sendPlanned runs nextSend at now and, if it picked a message, sends it.
func sendPlanned(t *testing.T, d *Daemon) sendPlan {
	t.Helper()
	plan, err := d.nextSend(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if plan.send {
		if err := d.sendOne(context.Background(), plan.o); err != nil {
			t.Fatal(err)
		}
	}
	return plan
}

func mustQueue(t *testing.T, d *Daemon, text string, class store.Priority) uint64 {
	t.Helper()
	id, err := d.db.Enqueue(store.Outbound{To: "+254712345678", Text: text, Priority: class})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// The last tenth of [sms] max_sent_per_hour is kept for replies: a
// campaign that reaches it waits for the next hour, a reply still goes, and
// once the budget is spent nothing goes and the manager is told.
func TestSendBudgetKeepsTheLastTenthForReplies(t *testing.T) {
	d := newSendTestDaemon(t, &scriptedSend{})
	d.cfg.SMS.MaxSentPerHour, d.cfg.Officers.ManagerPhone = 20, testManager
	texts, err := handler.NewTexts("en", nil)
	if err != nil {
		t.Fatal(err)
	}
	d.env = &handler.Env{Texts: texts}
	for range 17 {
		mustQueue(t, d, "earlier", store.PriorityNotification)
		if plan := sendPlanned(t, d); !plan.send {
			t.Fatal("under the budget nothing went")
		}
	}
	first := mustQueue(t, d, "reminder 1", store.PriorityBulk)
	second := mustQueue(t, d, "reminder 2", store.PriorityBulk)
	if plan := sendPlanned(t, d); !plan.send || plan.o.ID != first {
		t.Fatalf("the 18th send of 20 should be the first reminder: %+v", plan)
	}
	plan := sendPlanned(t, d)
	if plan.send || plan.spent || plan.wait <= 0 {
		t.Fatalf("a reminder went into the replies' reserve: %+v", plan)
	}
	reply := mustQueue(t, d, "your balance", store.PriorityInteractive)
	if plan := sendPlanned(t, d); !plan.send || plan.o.ID != reply {
		t.Fatalf("a reply within the reserve did not go: %+v", plan)
	}
	if plan := sendPlanned(t, d); plan.send {
		t.Fatalf("%d (%s) went while only replies may", plan.o.ID, plan.o.Priority)
	}
	mustQueue(t, d, "your balance again", store.PriorityInteractive)
	if plan := sendPlanned(t, d); !plan.send {
		t.Fatal("the 20th send, a reply, did not go")
	}
	mustQueue(t, d, "a third reply", store.PriorityInteractive)
	plan = sendPlanned(t, d)
	if plan.send || !plan.spent || plan.wait <= 0 || plan.wait > time.Minute {
		t.Fatalf("with the budget spent: %+v", plan)
	}
	if o, err := d.db.Outbound(second); err != nil || o.State != store.OutQueued {
		t.Errorf("the held reminder: %+v, %v", o, err)
	}
	alert, ok := queuedByText(t, d)[texts.Get("alert.send_budget", "limit", "20")]
	if !ok || alert.To != testManager || alert.Priority != store.PriorityNotification {
		t.Errorf("budget alert to the manager: %+v, queued %v", alert, ok)
	}
}
