package store

import (
	"os"
	"path/filepath"
	"testing"
)

// An existing state file left 0644 (by an older release, a copy or a
// restore) is narrowed to 0600 by whoever opens it: the daemon, or a CLI
// command such as `send` that opens the store while the daemon is stopped.
func TestOpenNarrowsAnOpenExistingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := db.ModeFix(); ok {
		t.Errorf("a newly created file reports a mode fix")
	}
	check(t, db.Close())
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}

	db, err = Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("after Open the file has mode %04o, want 0600", perm)
	}
	fix, ok := db.ModeFix()
	if !ok || fix.Err != nil || fix.From != 0o644 || fix.To != 0o600 {
		t.Errorf("ModeFix() = %+v, %v; want 0644 -> 0600 without error", fix, ok)
	}
	// The store still works on the narrowed file.
	if err := db.Update(func(tx *Tx) error { _, err := tx.Bucket("probe"); return err }); err != nil {
		t.Errorf("write after the mode fix: %v", err)
	}
}

// Only group and others lose access: an owner-only mode is left alone.
func TestOpenKeepsAPrivateMode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	check(t, db.Close())
	if err := os.Chmod(path, 0o700); err != nil {
		t.Fatal(err)
	}
	db, err = Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if fix, ok := db.ModeFix(); ok {
		t.Errorf("ModeFix() = %+v for a 0700 file", fix)
	}
	if info, err := os.Stat(path); err != nil || info.Mode().Perm() != 0o700 {
		t.Errorf("a 0700 file was changed: %v %v", info.Mode(), err)
	}
}
