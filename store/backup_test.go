package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.etcd.io/bbolt"
)

// A backup taken while writers commit is one consistent state: bbolt's
// check passes, and the file holds exactly the records the backup counted
// (counts and copy come from one transaction, not from two moments).
func TestBackupUnderWriteLoadIsConsistent(t *testing.T) {
	dir := t.TempDir()
	db, err := Open(filepath.Join(dir, "state.db"), Options{})
	check(t, err)
	defer db.Close()

	var stop atomic.Bool
	var wg sync.WaitGroup
	var writes atomic.Int64
	for w := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; !stop.Load(); i++ {
				var err error
				if w == 0 {
					_, err = db.AppendJournal(JournalEntry{Batch: uint64(i + 1), Kind: JournalLoanRepayment, AccountID: int64(i%7 + 1),
						Amount: 1_000_000, Date: "2026-01-05", ExternalID: fmt.Sprintf("me-box-m%d-1", i)})
				} else {
					_, err = db.Enqueue(Outbound{To: "+254700000001", Text: strings.Repeat("x", 100+i%50), Origin: "test"})
				}
				if err != nil {
					t.Error(err)
					return
				}
				writes.Add(1)
			}
		}()
	}
	defer func() { stop.Store(true); wg.Wait() }()

	var last Summary
	for i := range 5 {
		// Let the writers commit between backups.
		for n := writes.Load(); writes.Load() < n+20; {
			time.Sleep(time.Millisecond)
		}
		path := filepath.Join(dir, fmt.Sprintf("backup-%d.db", i))
		s, err := db.BackupTo(path)
		check(t, err)
		got, err := CheckFile(path)
		if err != nil {
			t.Fatalf("backup %d does not pass the check: %v", i, err)
		}
		if got != s {
			t.Fatalf("backup %d: Backup counted %+v but the file holds %+v", i, s, got)
		}
		if s.Outbound == 0 || s.Postings == 0 || s.SchemaVersion != SchemaVersion() {
			t.Fatalf("backup %d holds %+v: the writers' records are missing", i, s)
		}
		if s.Outbound+s.Postings <= last.Outbound+last.Postings {
			t.Fatalf("backup %d (%+v) holds no more than backup %d (%+v) although writers went on", i, s, i-1, last)
		}
		last = s
		fi, err := os.Stat(path)
		check(t, err)
		if fi.Mode().Perm() != 0o600 || fi.Size() != s.Bytes {
			t.Fatalf("backup file mode %04o size %d, want 0600 and %d bytes", fi.Mode().Perm(), fi.Size(), s.Bytes)
		}
		// The copy opens as a store and its records are whole.
		copyDB, err := Open(path, Options{})
		check(t, err)
		entries := must(copyDB.ListJournal("", 0))(t)
		stats := must(copyDB.Stats())(t)
		check(t, copyDB.Close())
		if len(entries) != s.Postings || stats.Queued != s.Outbound {
			t.Fatalf("backup %d opened as a store: %d postings, %d queued; its summary says %+v", i, len(entries), stats.Queued, s)
		}
	}
	leftovers, err := filepath.Glob(filepath.Join(dir, ".*tmp-*"))
	check(t, err)
	if len(leftovers) > 0 {
		t.Fatalf("temporary files left behind: %v", leftovers)
	}
}

// BackupToFile writes only into an empty regular file: a file descriptor
// passed by mistake for an existing file is never overwritten.
func TestBackupToFileRefusesAFileWithContent(t *testing.T) {
	dir := t.TempDir()
	db, err := Open(filepath.Join(dir, "state.db"), Options{})
	check(t, err)
	defer db.Close()
	path := filepath.Join(dir, "precious.txt")
	check(t, os.WriteFile(path, []byte("keep me"), 0o600))
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	check(t, err)
	defer f.Close()
	if _, err := db.BackupToFile(f); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Fatalf("backup into a file with content: %v", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "keep me" {
		t.Fatalf("the file was changed: %q", b)
	}
}

// storeFiles snapshots every file in dir (name -> content).
func storeFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	check(t, err)
	out := map[string]string{}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		check(t, err)
		out[e.Name()] = string(b)
	}
	return out
}

func sameFiles(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// liveStore is a store directory with one queued SMS, closed, and a backup
// of it holding a second one.
func liveStore(t *testing.T) (storeDir, storePath, backup string) {
	t.Helper()
	storeDir, other := t.TempDir(), t.TempDir()
	storePath = filepath.Join(storeDir, "state.db")
	db, err := Open(storePath, Options{})
	check(t, err)
	must(db.Enqueue(Outbound{To: "+254700000001", Text: "first", Origin: "test"}))(t)
	must(db.Enqueue(Outbound{To: "+254700000002", Text: "second", Origin: "test"}))(t)
	backup = filepath.Join(other, "backup.db")
	must(db.BackupTo(backup))(t)
	must(db.Enqueue(Outbound{To: "+254700000003", Text: "after the backup", Origin: "test"}))(t)
	check(t, db.Close())
	return storeDir, storePath, backup
}

func TestRestoreReplacesTheStoreAndKeepsTheOldOne(t *testing.T) {
	storeDir, storePath, backup := liveStore(t)
	res, err := Restore(backup, storePath)
	check(t, err)
	if res.Outbound != 2 || res.KeptAs != storePath+BeforeRestoreSuffix {
		t.Fatalf("restore: %+v", res)
	}
	fi, err := os.Stat(storePath)
	check(t, err)
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("restored store has mode %04o", fi.Mode().Perm())
	}
	db, err := Open(storePath, Options{})
	check(t, err)
	if st := must(db.Stats())(t); st.Queued != 2 {
		t.Fatalf("restored store holds %d queued SMS, want the backup's 2", st.Queued)
	}
	check(t, db.Close())
	kept, err := Open(res.KeptAs, Options{})
	check(t, err)
	if st := must(kept.Stats())(t); st.Queued != 3 {
		t.Fatalf("kept store holds %d queued SMS, want the old store's 3", st.Queued)
	}
	check(t, kept.Close())
	if names := storeFiles(t, storeDir); len(names) != 2 {
		t.Fatalf("files beside the store after restore: %v", names)
	}
}

// The daemon holds the store: restore says so and changes nothing.
func TestRestoreRefusesWhileTheStoreIsHeld(t *testing.T) {
	storeDir, storePath, backup := liveStore(t)
	held, err := Open(storePath, Options{})
	check(t, err)
	defer held.Close()
	before := storeFiles(t, storeDir)
	_, err = Restore(backup, storePath)
	if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), "the daemon is running") || !strings.Contains(err.Error(), "stop it first") {
		t.Fatalf("restore while the store is held: %v", err)
	}
	if after := storeFiles(t, storeDir); !sameFiles(before, after) {
		t.Fatal("restore changed the store directory although it refused")
	}
}

// A file that is not a good backup of this build is refused before the
// store is touched: garbage, a damaged copy, another program's bbolt file,
// a store of a newer schema, an empty file, the store itself.
func TestRestoreRefusesBadBackups(t *testing.T) {
	storeDir, storePath, backup := liveStore(t)
	good, err := os.ReadFile(backup)
	check(t, err)
	bad := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(bad, name)
		check(t, os.WriteFile(p, b, 0o600))
		return p
	}

	// Damaged copies: the body of the page that lists the buckets (the
	// root), or of the free list, scrambled; the file's header still
	// checks out.
	root, freelist, pageSize := livePages(good)
	scramble := func(page uint64) []byte {
		d := bytes.Clone(good)
		for i := int(page)*pageSize + 16; i < int(page+1)*pageSize; i++ {
			d[i] ^= 0x5a
		}
		return d
	}

	foreign := filepath.Join(bad, "foreign.db")
	fdb, err := bbolt.Open(foreign, 0o600, nil)
	check(t, err)
	check(t, fdb.Update(func(btx *bbolt.Tx) error {
		b, err := btx.CreateBucket([]byte("settings"))
		if err != nil {
			return err
		}
		return b.Put([]byte("theme"), []byte("dark"))
	}))
	check(t, fdb.Close())

	newer := filepath.Join(bad, "newer.db")
	check(t, os.WriteFile(newer, good, 0o600))
	ndb, err := bbolt.Open(newer, 0o600, nil)
	check(t, err)
	check(t, ndb.Update(func(btx *bbolt.Tx) error {
		return btx.Bucket(bucketMeta).Put(keySchemaVersion, idKey(schemaVersion+1))
	}))
	check(t, ndb.Close())

	cases := []struct {
		name, path string
		want       error
		words      string
	}{
		{"garbage", write("garbage.db", bytes.Repeat([]byte("not a database "), 2000)), ErrNotAStore, "not a bbolt database"},
		{"damaged root", write("damaged-root.db", scramble(root)), ErrNotAStore, "is damaged"},
		{"damaged free list", write("damaged-freelist.db", scramble(freelist)), ErrNotAStore, "damaged"},
		{"foreign", foreign, ErrNotAStore, "no schema version"},
		{"newer schema", newer, ErrSchemaTooNew, "newer mifos-edge"},
		{"empty", write("empty.db", nil), ErrNotAStore, "is empty"},
		{"missing", filepath.Join(bad, "nothing-here.db"), os.ErrNotExist, "no such file"},
		{"the store itself", storePath, nil, "is the store itself"},
	}
	before := storeFiles(t, storeDir)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := CheckFile(tc.path)
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("CheckFile: %v, want %v", err, tc.want)
			}
			_, err = Restore(tc.path, storePath)
			if err == nil || (tc.want != nil && !errors.Is(err, tc.want)) || !strings.Contains(err.Error(), tc.words) {
				t.Errorf("Restore: %v, want %v saying %q", err, tc.want, tc.words)
			}
			if after := storeFiles(t, storeDir); !sameFiles(before, after) {
				t.Error("the store directory changed although the backup was refused")
			}
		})
	}
}

// livePages reads from a bbolt file's newer meta page the root and free
// list page ids and the page size (bbolt's on-disk layout: a 16-byte page
// header, then magic, version, page size, flags, root bucket {page,
// sequence}, free list page, high water mark, txid, checksum).
func livePages(file []byte) (root, freelist uint64, pageSize int) {
	pageSize = int(binary.LittleEndian.Uint32(file[16+8:]))
	meta := func(page int) (txid, root, freelist uint64) {
		m := file[page*pageSize+16:]
		return binary.LittleEndian.Uint64(m[48:]), binary.LittleEndian.Uint64(m[16:]), binary.LittleEndian.Uint64(m[32:])
	}
	tx0, root0, free0 := meta(0)
	tx1, root1, free1 := meta(1)
	if tx1 > tx0 {
		return root1, free1, pageSize
	}
	return root0, free0, pageSize
}
