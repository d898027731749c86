package daemon

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mifos-edge/mifos-edge/control"
	"github.com/mifos-edge/mifos-edge/officer"
	"github.com/mifos-edge/mifos-edge/store"
	"golang.org/x/crypto/argon2"
)

// serveOfficerOps serves the officer operations on a fresh store; call
// sends one request over the socket.
func serveOfficerOps(t *testing.T, log *slog.Logger) (db *store.DB, call func(op string, args, out any) error) {
	t.Helper()
	dir := t.TempDir()
	db, err := store.Open(filepath.Join(dir, "state.db"), store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	sock := filepath.Join(dir, "ctl.sock")
	srv := control.NewServer(sock, log)
	RegisterOfficerOps(srv, db, PINRules{Pepper: testPepper})
	if err := srv.Listen(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	t.Cleanup(func() { cancel(); <-done })

	return db, func(op string, args, out any) error {
		cctx, ccancel := context.WithTimeout(ctx, 10*time.Second)
		defer ccancel()
		return control.Call(cctx, sock, op, args, out)
	}
}

var testPepper = officer.Pepper{ID: "0badc0de", Key: []byte("a pepper of thirty-two bytes....")}

func TestOfficerOpsOverControlSocket(t *testing.T) {
	db, call := serveOfficerOps(t, nil)
	pepper := testPepper
	hash, err := officer.HashPIN("258013", pepper)
	if err != nil {
		t.Fatal(err)
	}
	var info OfficerInfo
	if err := call(OpOfficerAdd, OfficerAddArgs{Phone: "+254712345678", StaffID: 7, Name: " Amina ", PINHash: hash}, &info); err != nil {
		t.Fatal(err)
	}
	if info.Phone != "+254712345678" || info.Name != "Amina" || info.StaffID != 7 {
		t.Errorf("add returned %+v", info)
	}
	err = call(OpOfficerAdd, OfficerAddArgs{Phone: "+254712345678", StaffID: 7, Name: "A", PINHash: hash}, nil)
	if err == nil || !strings.Contains(err.Error(), "already enrolled") {
		t.Errorf("duplicate add: %v", err)
	}
	err = call(OpOfficerAdd, OfficerAddArgs{Phone: "0712345678", StaffID: 0, Name: "", PINHash: "2580"}, nil)
	for _, want := range []string{"international form", "staff id", "needs a name", "PIN hash"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("bad add: %v, want it to mention %q", err, want)
		}
	}
	if err != nil && strings.Contains(err.Error(), "2580") {
		t.Errorf("error repeats the PIN hash field: %v", err)
	}

	var raw json.RawMessage
	if err := call(OpOfficerList, nil, &raw); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), "argon2") || strings.Contains(string(raw), "pin") {
		t.Errorf("list exposes the PIN hash: %s", raw)
	}
	var list []OfficerInfo
	if err := json.Unmarshal(raw, &list); err != nil || len(list) != 1 || list[0].Phone != "+254712345678" {
		t.Errorf("list = %s, %v", raw, err)
	}

	newHash, _ := officer.HashPIN("369147", pepper)
	if err := call(OpOfficerResetPIN, OfficerResetPINArgs{Phone: "+254712345678", PINHash: newHash}, nil); err != nil {
		t.Fatal(err)
	}
	if o, _ := db.Officer("+254712345678"); !verifies(o.PINHash, "369147", pepper) {
		t.Error("reset_pin did not store the new hash")
	}
	if err := call(OpOfficerResetPIN, OfficerResetPINArgs{Phone: "+254712345678", PINHash: "junk"}, nil); err == nil {
		t.Error("reset_pin accepted a malformed hash")
	}
	if err := call(OpOfficerRemove, OfficerPhoneArgs{Phone: "+254712345678"}, nil); err != nil {
		t.Fatal(err)
	}
	if err := call(OpOfficerRemove, OfficerPhoneArgs{Phone: "+254712345678"}, nil); err == nil || !strings.Contains(err.Error(), "no officer") {
		t.Errorf("second remove: %v", err)
	}
}

func verifies(hash, pin string, p officer.Pepper) bool {
	ok, err := officer.VerifyPIN(hash, pin, p)
	return ok && err == nil
}

// Enrolling an officer leaves a trace: who (uid, pid) enrolled which phone,
// and never the PIN hash.
func TestOfficerAddIsAudited(t *testing.T) {
	var logs bytes.Buffer
	_, call := serveOfficerOps(t, slog.New(slog.NewTextHandler(&logs, nil)))
	hash, err := officer.HashPIN("258013", testPepper)
	if err != nil {
		t.Fatal(err)
	}
	if err := call(OpOfficerAdd, OfficerAddArgs{Phone: "+254712345678", StaffID: 7, Name: "Amina", PINHash: hash}, nil); err != nil {
		t.Fatal(err)
	}
	var line string
	for _, l := range strings.Split(logs.String(), "\n") {
		if strings.Contains(l, "op=officer.add") {
			line = l
		}
	}
	for _, want := range []string{"level=INFO", fmt.Sprintf("uid=%d", os.Geteuid()), fmt.Sprintf("pid=%d", os.Getpid()),
		"phone=+254712345678", "staff_id=7", "outcome=ok"} {
		if !strings.Contains(line, want) {
			t.Errorf("audit line %q lacks %q\n%s", line, want, logs.String())
		}
	}
	parts := strings.Split(hash, "$")
	if strings.Contains(logs.String(), parts[5]) || strings.Contains(logs.String(), parts[4]) {
		t.Errorf("the log holds the PIN hash:\n%s", logs.String())
	}
}

// A cheap hash, made by hand rather than by the CLI, is refused when it
// arrives over the socket: m=8 MiB and one pass make a 4-digit PIN fall in
// well under a second from a copy of the store.
func TestOfficerOpsRefuseWeakHashes(t *testing.T) {
	db, call := serveOfficerOps(t, nil)
	salt := []byte("0123456789abcdef")
	key := argon2.IDKey([]byte("1111"), salt, 1, 8192, 1, 32)
	weak := fmt.Sprintf("$argon2id$v=19$m=8192,t=1,p=1$%s$%s",
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key))
	if !verifies(weak, "1111", officer.Pepper{}) {
		t.Fatal("the weak hash is not a valid hash of 1111")
	}
	err := call(OpOfficerAdd, OfficerAddArgs{Phone: "+254712345678", StaffID: 7, Name: "Amina", PINHash: weak}, nil)
	if err == nil || !strings.Contains(err.Error(), "too weak") {
		t.Fatalf("officer.add with m=8192,t=1: %v, want it refused as too weak", err)
	}
	if _, err := db.Officer("+254712345678"); err == nil {
		t.Error("the officer was enrolled with the weak hash")
	}

	strong, err := officer.HashPIN("258013", testPepper)
	if err != nil {
		t.Fatal(err)
	}
	if err := call(OpOfficerAdd, OfficerAddArgs{Phone: "+254712345678", StaffID: 7, Name: "Amina", PINHash: strong}, nil); err != nil {
		t.Fatal(err)
	}
	err = call(OpOfficerResetPIN, OfficerResetPINArgs{Phone: "+254712345678", PINHash: weak}, nil)
	if err == nil || !strings.Contains(err.Error(), "too weak") {
		t.Errorf("officer.reset_pin with m=8192,t=1: %v, want it refused as too weak", err)
	}
	if o, _ := db.Officer("+254712345678"); !verifies(o.PINHash, "258013", testPepper) {
		t.Error("reset_pin replaced the PIN with the weak hash")
	}
}
