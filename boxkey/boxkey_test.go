package boxkey

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCreateLoadRoundTripAndNeverOverwrite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "box.key")
	k1, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm()&0o027 != 0 {
		t.Fatalf("key file mode %v (%v): group may not write, others nothing", fi.Mode(), err)
	}
	k2, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if k1.ID() != k2.ID() || !bytes.Equal(k1.Pepper(), k2.Pepper()) || !bytes.Equal(k1.FingerprintKey(), k2.FingerprintKey()) {
		t.Fatal("a loaded key differs from the created one")
	}
	if bytes.Equal(k1.Pepper(), k1.FingerprintKey()) {
		t.Fatal("the pepper and the fingerprint key are the same bytes")
	}
	before, _ := os.ReadFile(path)
	if _, err := Create(path); err == nil {
		t.Fatal("Create replaced an existing key")
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
		t.Fatal("the key file changed")
	}
	k3, created, err := LoadOrCreate(path)
	if err != nil || created || k3.ID() != k1.ID() {
		t.Fatalf("LoadOrCreate of an existing key: created=%v id %s, %v", created, k3.ID(), err)
	}
}

func TestTwoKeysDiffer(t *testing.T) {
	dir := t.TempDir()
	a, _, err := LoadOrCreate(filepath.Join(dir, "a"))
	if err != nil {
		t.Fatal(err)
	}
	b, created, err := LoadOrCreate(filepath.Join(dir, "b"))
	if err != nil || !created {
		t.Fatalf("LoadOrCreate of a new path: created=%v, %v", created, err)
	}
	if a.ID() == b.ID() || bytes.Equal(a.Pepper(), b.Pepper()) {
		t.Fatal("two random keys are the same")
	}
}

func TestBadKeyFiles(t *testing.T) {
	dir := t.TempDir()
	if _, err := Load(filepath.Join(dir, "missing")); !errors.Is(err, ErrNoKey) {
		t.Fatalf("missing file: %v", err)
	}
	for name, content := range map[string]string{"short": "abcd\n", "not hex": strings.Repeat("zz", 32) + "\n", "empty": ""} {
		p := filepath.Join(dir, strings.ReplaceAll(name, " ", "_"))
		os.WriteFile(p, []byte(content), 0o600)
		if _, err := Load(p); err == nil || !strings.Contains(err.Error(), "damaged") {
			t.Errorf("%s key file: %v", name, err)
		}
	}
	if _, _, err := LoadOrCreate(filepath.Join(dir, "no-such-dir", "key")); err == nil || !strings.Contains(err.Error(), "mifos-edge keygen") {
		t.Fatalf("an uncreatable key should say how to create it: %v", err)
	}
}
