package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// ErrNotAStore means a file is not a mifos-edge store, or is too damaged
// to be read as one.
var ErrNotAStore = errors.New("not a usable mifos-edge store")

// Summary describes one copy of the store: what a backup wrote or what a
// check found in a file. Counts and the schema version come from the same
// read transaction as the copy, so they describe exactly that copy.
type Summary struct {
	// Bytes is the size of the copy.
	Bytes int64 `json:"bytes"`
	// SchemaVersion is the layout version recorded in the copy.
	SchemaVersion uint64 `json:"schema_version"`
	Messages      int    `json:"messages"`
	Outbound      int    `json:"outbound"`
	Postings      int    `json:"postings"`
	Officers      int    `json:"officers"`
}

// SchemaVersion is the newest store layout this build understands; a file
// of a newer version is refused by Open, CheckFile and Restore.
func SchemaVersion() uint64 { return schemaVersion }

// summarize reads what a Summary tells from btx (Bytes aside). A file
// without the meta bucket or its version is not a store of ours.
func summarize(btx *bbolt.Tx) (Summary, error) {
	meta := btx.Bucket(bucketMeta)
	if meta == nil {
		return Summary{}, fmt.Errorf("%w: it has no schema version", ErrNotAStore)
	}
	raw := meta.Get(keySchemaVersion)
	if len(raw) != 8 {
		return Summary{}, fmt.Errorf("%w: it has no readable schema version", ErrNotAStore)
	}
	count := func(name []byte) int {
		if b := btx.Bucket(name); b != nil {
			return b.Stats().KeyN
		}
		return 0
	}
	return Summary{
		SchemaVersion: binary.BigEndian.Uint64(raw),
		Messages:      count(bucketMessages),
		Outbound:      count(bucketOutbox),
		Postings:      count(bucketJournal),
		Officers:      count(bucketOfficers),
	}, nil
}

// Backup writes a consistent copy of the store to w: one read transaction,
// so writers go on meanwhile and the copy is the store as of its start.
func (db *DB) Backup(w io.Writer) (Summary, error) {
	var s Summary
	err := db.bolt.View(func(btx *bbolt.Tx) error {
		var err error
		if s, err = summarize(btx); err != nil {
			return err
		}
		s.Bytes, err = btx.WriteTo(w)
		return err
	})
	if err != nil {
		return Summary{}, fmt.Errorf("back up the store: %w", err)
	}
	return s, nil
}

// BackupToFile writes a copy of the store into f, which must be an empty
// regular file open for writing (one the caller created, perhaps in
// another process that passed it over the control socket), and makes it
// durable (fsync). A file that is not empty is refused rather than
// overwritten.
func (db *DB) BackupToFile(f *os.File) (Summary, error) {
	fi, err := f.Stat()
	if err != nil {
		return Summary{}, fmt.Errorf("back up the store: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return Summary{}, fmt.Errorf("back up the store: the target is not a regular file (%s)", fi.Mode().Type())
	}
	if fi.Size() != 0 {
		return Summary{}, errors.New("back up the store: the target file is not empty; it was left untouched")
	}
	s, err := db.Backup(f)
	if err != nil {
		return Summary{}, err
	}
	if err := f.Sync(); err != nil {
		return Summary{}, fmt.Errorf("back up the store: flush the copy to disk: %w", err)
	}
	return s, nil
}

// BackupTo writes a copy of the store to path: first to a temporary file
// beside it (mode 0600: the copy holds PIN hashes and clients' data),
// flushed to disk, then renamed into place, so path is either the old file
// or the whole new copy, never a part of one.
func (db *DB) BackupTo(path string) (Summary, error) {
	return WriteFileAtomically(path, func(f *os.File) (Summary, error) { return db.BackupToFile(f) })
}

// WriteFileAtomically creates a temporary file (mode 0600) in path's
// directory, lets write fill it, flushes it and renames it to path, then
// flushes the directory; on any error the temporary file is removed and
// path is untouched.
func WriteFileAtomically(path string, write func(f *os.File) (Summary, error)) (s Summary, err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return Summary{}, err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	// CreateTemp makes 0600 already; this keeps it so whatever the umask.
	if err = f.Chmod(0o600); err != nil {
		return Summary{}, err
	}
	if s, err = write(f); err != nil {
		return Summary{}, err
	}
	if err = f.Sync(); err != nil {
		return Summary{}, err
	}
	if err = f.Close(); err != nil {
		return Summary{}, err
	}
	if err = os.Rename(tmp, path); err != nil {
		return Summary{}, err
	}
	return s, syncDir(dir)
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, fs.ErrInvalid) {
		return fmt.Errorf("flush directory %s: %w", dir, err)
	}
	return nil
}

// openReadOnly opens a file that may not be a store at all (a backup to
// check), without creating or changing anything in it.
func openReadOnly(path string) (*bbolt.DB, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%w: %s is not a regular file", ErrNotAStore, path)
	}
	if fi.Size() == 0 {
		// bbolt would try to write a fresh store into it.
		return nil, fmt.Errorf("%w: %s is empty", ErrNotAStore, path)
	}
	bdb, err := openBoltReadOnly(path)
	switch {
	case err == nil:
		return bdb, nil
	case errors.Is(err, berrors.ErrTimeout):
		return nil, fmt.Errorf("%w: %s is open for writing by another process", ErrLocked, path)
	case errors.Is(err, berrors.ErrInvalid), errors.Is(err, berrors.ErrVersionMismatch), errors.Is(err, berrors.ErrChecksum):
		return nil, fmt.Errorf("%w: %s is not a bbolt database or its header is damaged (%v)", ErrNotAStore, path, err)
	}
	return nil, fmt.Errorf("%w: %s cannot be opened: %v", ErrNotAStore, path, err)
}

// openBoltReadOnly opens path with bbolt read-only. The free list is read
// here rather than inside the consistency check's own goroutine, where a
// damaged one would crash the program instead of failing the check.
func openBoltReadOnly(path string) (bdb *bbolt.DB, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: %s is damaged (%v)", ErrNotAStore, path, r)
		}
	}()
	return bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true, Timeout: time.Second, PreLoadFreelist: true})
}

// inspect checks a store opened read-only: a schema this build understands,
// every record readable, and bbolt's consistency check (every page
// reachable once, none both used and free); then it counts the records.
// bbolt panics on some damaged pages: every page is read here first, where
// a panic can be caught and told as damage, before the check runs in a
// goroutine of its own.
func inspect(btx *bbolt.Tx, path string) (s Summary, err error) {
	defer func() {
		if r := recover(); r != nil {
			s, err = Summary{}, fmt.Errorf("%w: %s is damaged (%v)", ErrNotAStore, path, r)
		}
	}()
	if s, err = summarize(btx); err != nil {
		return Summary{}, fmt.Errorf("%s: %w", path, err)
	}
	if err := btx.ForEach(func(_ []byte, b *bbolt.Bucket) error { return readAll(b) }); err != nil {
		return Summary{}, fmt.Errorf("%w: %s is damaged: %w", ErrNotAStore, path, err)
	}
	if s.SchemaVersion > schemaVersion {
		return Summary{}, fmt.Errorf("%w: %s has schema version %d but this build understands up to %d; restore it with the newer mifos-edge that wrote it",
			ErrSchemaTooNew, path, s.SchemaVersion, schemaVersion)
	}
	var problems []error
	for err := range btx.Check() {
		if len(problems) < 5 {
			problems = append(problems, err)
		}
	}
	if len(problems) > 0 {
		return Summary{}, fmt.Errorf("%w: %s fails the consistency check: %w", ErrNotAStore, path, errors.Join(problems...))
	}
	s.Bytes = btx.Size()
	return s, nil
}

// CheckFile opens the store file at path read-only and checks it as
// Restore would: a bbolt file with a mifos-edge schema no newer than this
// build's, passing bbolt's consistency check. It changes nothing.
func CheckFile(path string) (Summary, error) {
	bdb, err := openReadOnly(path)
	if err != nil {
		return Summary{}, err
	}
	defer bdb.Close()
	var s Summary
	err = bdb.View(func(btx *bbolt.Tx) error {
		s, err = inspect(btx, path)
		return err
	})
	return s, err
}

// readAll reads every key and value of b and of the buckets inside it.
func readAll(b *bbolt.Bucket) error {
	return b.ForEach(func(k, v []byte) error {
		if v != nil {
			return nil
		}
		child := b.Bucket(k)
		if child == nil {
			return fmt.Errorf("bucket %q cannot be read", k)
		}
		return readAll(child)
	})
}
