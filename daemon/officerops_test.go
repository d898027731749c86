package daemon

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mifos-edge/mifos-edge/control"
	"github.com/mifos-edge/mifos-edge/officer"
	"github.com/mifos-edge/mifos-edge/store"
)

func TestOfficerOpsOverControlSocket(t *testing.T) {
	dir := t.TempDir()
	db, err := store.Open(filepath.Join(dir, "state.db"), store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	sock := filepath.Join(dir, "ctl.sock")
	srv := control.NewServer(sock, nil)
	RegisterOfficerOps(srv, db, officer.Policy{})
	if err := srv.Listen(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	defer func() { cancel(); <-done }()

	call := func(op string, args, out any) error {
		cctx, ccancel := context.WithTimeout(ctx, 10*time.Second)
		defer ccancel()
		return control.Call(cctx, sock, op, args, out)
	}
	pepper := officer.Pepper{ID: "0badc0de", Key: []byte("a pepper of thirty-two bytes....")}
	hash, err := officer.HashPIN("258013", pepper)
	if err != nil {
		t.Fatal(err)
	}
	var info OfficerInfo
	if err := call("officer.add", OfficerAddArgs{Phone: "+254712345678", StaffID: 7, Name: " Amina ", PINHash: hash}, &info); err != nil {
		t.Fatal(err)
	}
	if info.Phone != "+254712345678" || info.Name != "Amina" || info.StaffID != 7 {
		t.Errorf("add returned %+v", info)
	}
	err = call("officer.add", OfficerAddArgs{Phone: "+254712345678", StaffID: 7, Name: "A", PINHash: hash}, nil)
	if err == nil || !strings.Contains(err.Error(), "already enrolled") {
		t.Errorf("duplicate add: %v", err)
	}
	err = call("officer.add", OfficerAddArgs{Phone: "0712345678", StaffID: 0, Name: "", PINHash: "2580"}, nil)
	for _, want := range []string{"international form", "staff id", "needs a name", "PIN hash"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("bad add: %v, want it to mention %q", err, want)
		}
	}
	if err != nil && strings.Contains(err.Error(), "2580") {
		t.Errorf("error repeats the PIN hash field: %v", err)
	}

	var raw json.RawMessage
	if err := call("officer.list", nil, &raw); err != nil {
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
	if err := call("officer.reset_pin", OfficerResetPINArgs{Phone: "+254712345678", PINHash: newHash}, nil); err != nil {
		t.Fatal(err)
	}
	if o, _ := db.Officer("+254712345678"); !verifies(o.PINHash, "369147", pepper) {
		t.Error("reset_pin did not store the new hash")
	}
	if err := call("officer.reset_pin", OfficerResetPINArgs{Phone: "+254712345678", PINHash: "junk"}, nil); err == nil {
		t.Error("reset_pin accepted a malformed hash")
	}
	if err := call("officer.remove", OfficerPhoneArgs{Phone: "+254712345678"}, nil); err != nil {
		t.Fatal(err)
	}
	if err := call("officer.remove", OfficerPhoneArgs{Phone: "+254712345678"}, nil); err == nil || !strings.Contains(err.Error(), "no officer") {
		t.Errorf("second remove: %v", err)
	}
}

func verifies(hash, pin string, p officer.Pepper) bool {
	ok, err := officer.VerifyPIN(hash, pin, p)
	return ok && err == nil
}
