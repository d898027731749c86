package daemon

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mifos-edge/mifos-edge/control"
	"github.com/mifos-edge/mifos-edge/store"
)

// While the daemon holds the store, cache.flush over the control socket
// forgets the mapping, and the audit line says who did it and for which phone.
func TestCacheFlushOverControlSocket(t *testing.T) {
	dir := t.TempDir()
	db, err := store.Open(filepath.Join(dir, "state.db"), store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	for _, p := range []store.PhoneClient{
		{Phone: "+254712345678", ClientID: 42, Name: "Amina", CheckedAt: time.Now()},
		{Phone: "+254722000001", ClientID: 7, Name: "Juma", CheckedAt: time.Now()},
	} {
		if err := db.PutPhoneClient(p); err != nil {
			t.Fatal(err)
		}
	}
	var logs bytes.Buffer
	sock := filepath.Join(dir, "ctl.sock")
	srv := control.NewServer(sock, slog.New(slog.NewTextHandler(&logs, nil)))
	RegisterCacheOps(srv, db)
	if err := srv.Listen(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	call := func(args CacheFlushArgs) (CacheFlushResult, error) {
		cctx, ccancel := context.WithTimeout(ctx, 10*time.Second)
		defer ccancel()
		var res CacheFlushResult
		err := control.Call(cctx, sock, OpCacheFlush, args, &res)
		return res, err
	}

	if res, err := call(CacheFlushArgs{Phone: "+254712345678"}); err != nil || res.Removed != 1 {
		t.Fatalf("flush one phone: %+v, %v", res, err)
	}
	if _, ok, _ := db.PhoneClient("+254712345678"); ok {
		t.Error("the phone is still cached")
	}
	if _, err := call(CacheFlushArgs{Phone: "0712345678"}); err == nil {
		t.Error("a phone not in international form was accepted")
	}
	if res, err := call(CacheFlushArgs{}); err != nil || res.Removed != 1 {
		t.Fatalf("flush all: %+v, %v", res, err)
	}
	var line string
	for _, l := range strings.Split(logs.String(), "\n") {
		if strings.Contains(l, "op=cache.flush") && strings.Contains(l, "phone=+254712345678") {
			line = l
		}
	}
	for _, want := range []string{"level=INFO", fmt.Sprintf("uid=%d", os.Geteuid()), "removed=1", "outcome=ok"} {
		if !strings.Contains(line, want) {
			t.Errorf("audit line %q lacks %q\n%s", line, want, logs.String())
		}
	}
}
