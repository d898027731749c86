package store

import (
	"testing"
	"time"
)

func TestConsoleUsersAndSessions(t *testing.T) {
	db := openTemp(t)
	if _, found, err := db.ConsoleUser("manager"); err != nil || found {
		t.Fatalf("user in an empty store: %v %v", found, err)
	}
	if err := db.PutConsoleUser(ConsoleUser{Username: "manager"}); err == nil {
		t.Error("a user without a hash was stored")
	}
	u := ConsoleUser{Username: "manager", Hash: "$argon2id$x", OfficeID: 2, Permissions: []string{"APPROVE_LOAN"}, VerifiedAt: time.Now()}
	if err := db.PutConsoleUser(u); err != nil {
		t.Fatal(err)
	}
	if got, found, err := db.ConsoleUser("manager"); err != nil || !found || got.Hash != u.Hash || got.OfficeID != 2 || len(got.Permissions) != 1 {
		t.Fatalf("stored user = %+v %v %v", got, found, err)
	}
	now := time.Now()
	old, fresh := []byte("key-old"), []byte("key-fresh")
	if err := db.PutConsoleSession(old, ConsoleSession{Username: "manager", CreatedAt: now.Add(-time.Hour), SeenAt: now.Add(-time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if err := db.PutConsoleSession(fresh, ConsoleSession{Username: "manager", CreatedAt: now, SeenAt: now}); err != nil {
		t.Fatal(err)
	}
	n, err := db.PruneConsoleSessions(func(s ConsoleSession) bool { return now.Sub(s.SeenAt) > 30*time.Minute })
	if err != nil || n != 1 {
		t.Fatalf("pruned %d, %v; want 1", n, err)
	}
	if _, found, _ := db.ConsoleSession(old); found {
		t.Error("the old session survived pruning")
	}
	if _, found, _ := db.ConsoleSession(fresh); !found {
		t.Error("the fresh session was pruned")
	}
	if err := db.DeleteConsoleSession(fresh); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteConsoleSession(fresh); err != nil {
		t.Errorf("deleting twice: %v", err)
	}
}

func TestOldestWaiting(t *testing.T) {
	db := openTemp(t)
	if o, err := db.OldestWaiting(); err != nil || !o.Inbox.IsZero() || !o.Outbox.IsZero() || !o.Journal.IsZero() {
		t.Fatalf("empty store: %+v %v", o, err)
	}
	first, err := db.Enqueue(Outbound{To: "+256700000001", Text: "one"})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Millisecond)
	if _, err := db.Enqueue(Outbound{To: "+256700000002", Text: "two"}); err != nil {
		t.Fatal(err)
	}
	want, _ := db.Outbound(first)
	jid, err := db.AppendJournal(JournalEntry{Batch: 1, Kind: JournalLoanRepayment, AccountID: 4, Amount: 1, Date: "2026-12-07", ExternalID: "e1"})
	if err != nil {
		t.Fatal(err)
	}
	je, _ := db.JournalEntry(jid)
	o, err := db.OldestWaiting()
	if err != nil {
		t.Fatal(err)
	}
	if !o.Outbox.Equal(want.CreatedAt) || !o.Journal.Equal(je.CreatedAt) || !o.Inbox.IsZero() {
		t.Errorf("oldest = %+v, want outbox %v, journal %v", o, want.CreatedAt, je.CreatedAt)
	}
}
