package store

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"time"

	"go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

var (
	// ErrLocked means another process (or another open handle) holds the file.
	ErrLocked = errors.New("store file is locked by another process")
	// ErrNotFound means no record has the requested id.
	ErrNotFound = errors.New("record not found")
	// ErrNotPending is returned by MarkHandled when the message is not pending;
	// handlers rely on it to handle each message exactly once.
	ErrNotPending = errors.New("message is not pending")
	// ErrWrongState means an outbox transition was asked for from a state that
	// does not allow it.
	ErrWrongState = errors.New("outbound message is not in a state that allows this change")
	// ErrSchemaTooNew means the file was written by a newer mifos-edge.
	ErrSchemaTooNew = errors.New("store file was written by a newer mifos-edge")
)

// Options tune Open.
type Options struct {
	// LockTimeout is how long Open waits for the file lock; 0 means 1s.
	LockTimeout time.Duration
	// NoSync skips fsync on commit. Only for benchmarks: a power cut loses data.
	NoSync bool
	// JoinParts, if set, builds the text of a complete long SMS from its raw
	// PDUs in sequence order; ok=false falls back to joining the part texts.
	// It exists because a character can be split across parts (a UCS2
	// surrogate pair), which only a PDU decoder can join.
	JoinParts func(rawPDUs []string) (text string, ok bool)
	// RedactParked, if set, is asked about every message parked with a
	// text (a late part of a long SMS, a bad concatenation header) inside
	// the transaction that parks it; when it returns ok the message is
	// stored with the returned text and without its raw PDUs. It exists
	// because a parked message may hold an officer's PIN.
	RedactParked func(tx *Tx, sender, senderType, text string) (string, bool)
}

// DB is the daemon's state file. Its methods are safe for concurrent use.
type DB struct {
	bolt         *bbolt.DB
	path         string
	joinParts    func([]string) (string, bool)
	redactParked func(*Tx, string, string, string) (string, bool)
	modeFix      *ModeFix
}

// ModeFix is what Open did about a state file that group or others could
// read or write (one an older release or a copy left 0644).
type ModeFix struct {
	// From and To are the permission bits before and after; they are
	// equal when Err is set.
	From, To fs.FileMode
	// Err says why the mode could not be changed (the file belongs to
	// another user): the file is then still open to others.
	Err error
}

// Open opens or creates the state file at path (mode 0600; the parent
// directory must exist), creates missing buckets and checks the schema
// version. An existing file open to group or others is narrowed to its
// owner's bits; ModeFix reports it.
func Open(path string, opts Options) (*DB, error) {
	timeout := opts.LockTimeout
	if timeout <= 0 {
		timeout = time.Second
	}
	// bbolt opens the data file first and may open copies later (WriteTo);
	// only the first is the state file itself.
	var dataFile *os.File
	openFile := func(name string, flag int, perm os.FileMode) (*os.File, error) {
		f, err := os.OpenFile(name, flag, perm)
		if err == nil && dataFile == nil {
			dataFile = f
		}
		return f, err
	}
	bdb, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: timeout, OpenFile: openFile})
	if err != nil {
		if errors.Is(err, berrors.ErrTimeout) {
			return nil, fmt.Errorf("%w: could not lock %s within %s; another mifos-edge is probably running with the same state file", ErrLocked, path, timeout)
		}
		return nil, fmt.Errorf("open state file %s: %w", path, err)
	}
	bdb.NoSync = opts.NoSync
	db := &DB{bolt: bdb, path: path, joinParts: opts.JoinParts, redactParked: opts.RedactParked, modeFix: ownerOnly(dataFile)}
	if err := db.bolt.Update(func(btx *bbolt.Tx) error { return prepareSchema(btx, path) }); err != nil {
		bdb.Close()
		return nil, err
	}
	return db, nil
}

// ownerOnly takes group and others' access away from the open state file,
// which holds officers' PIN hashes and clients' data; nil when it had none.
// It works on the descriptor bbolt locked, so it changes exactly the file
// in use even if the path is replaced meanwhile.
func ownerOnly(f *os.File) *ModeFix {
	if f == nil {
		return nil
	}
	fi, err := f.Stat()
	if err != nil {
		return &ModeFix{Err: err}
	}
	perm := fi.Mode().Perm()
	if perm&0o077 == 0 {
		return nil
	}
	if err := f.Chmod(perm &^ 0o077); err != nil {
		return &ModeFix{From: perm, To: perm, Err: err}
	}
	return &ModeFix{From: perm, To: perm &^ 0o077}
}

// ModeFix reports what Open did about a file that group or others could
// read or write; ok is false when the file was private already.
func (db *DB) ModeFix() (fix ModeFix, ok bool) {
	if db.modeFix == nil {
		return ModeFix{}, false
	}
	return *db.modeFix, true
}

// Syncs reports whether every commit reaches the disk (fsync) before it
// returns: false only when opened with NoSync. What the daemon tells the
// modem and Fineract rests on commits that survive a power cut.
func (db *DB) Syncs() bool { return !db.bolt.NoSync }

// Close releases the file and its lock.
func (db *DB) Close() error { return db.bolt.Close() }

// Path is the file the DB was opened from.
func (db *DB) Path() string { return db.path }

// Tx is one read-write (or, from View, read-only) transaction. Everything done
// through one Tx commits together or not at all.
type Tx struct {
	btx *bbolt.Tx
}

// Update runs fn in one read-write transaction; fn returning an error rolls
// everything back.
func (db *DB) Update(fn func(tx *Tx) error) error {
	return db.bolt.Update(func(btx *bbolt.Tx) error { return fn(&Tx{btx: btx}) })
}

// View runs fn in a read-only transaction; write methods of Tx fail inside it.
func (db *DB) View(fn func(tx *Tx) error) error {
	return db.bolt.View(func(btx *bbolt.Tx) error { return fn(&Tx{btx: btx}) })
}

// Bucket returns the nested bucket name under the top-level "ext" bucket,
// creating it in a writable transaction. In a read-only transaction a missing
// bucket is ErrNotFound.
func (tx *Tx) Bucket(name string) (*bbolt.Bucket, error) {
	if name == "" {
		return nil, errors.New("extension bucket name must not be empty")
	}
	ext := tx.btx.Bucket(bucketExt)
	if !tx.btx.Writable() {
		b := ext.Bucket([]byte(name))
		if b == nil {
			return nil, fmt.Errorf("extension bucket %q: %w", name, ErrNotFound)
		}
		return b, nil
	}
	return ext.CreateBucketIfNotExists([]byte(name))
}

// ---- key and record encoding shared by all files

func idKey(id uint64) []byte {
	k := make([]byte, 8)
	binary.BigEndian.PutUint64(k, id)
	return k
}

func keyID(k []byte) uint64 { return binary.BigEndian.Uint64(k) }

var (
	minKeyTime = time.Unix(0, math.MinInt64)
	maxKeyTime = time.Unix(0, math.MaxInt64)
)

// timeKey encodes t so that byte order equals time order; times outside the
// int64-nanosecond range (including the zero time) clamp to its ends.
func timeKey(t time.Time) []byte {
	var ns int64
	switch {
	case t.Before(minKeyTime):
		ns = math.MinInt64
	case t.After(maxKeyTime):
		ns = math.MaxInt64
	default:
		ns = t.UnixNano()
	}
	k := make([]byte, 8)
	binary.BigEndian.PutUint64(k, uint64(ns)^(1<<63))
	return k
}

func keyTime(k []byte) time.Time {
	return time.Unix(0, int64(binary.BigEndian.Uint64(k)^(1<<63)))
}

// timeIDKey orders index entries by time, then id.
func timeIDKey(t time.Time, id uint64) []byte {
	return append(timeKey(t), idKey(id)...)
}

func getJSON(b *bbolt.Bucket, key []byte, v any) (bool, error) {
	raw := b.Get(key)
	if raw == nil {
		return false, nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return true, fmt.Errorf("corrupt record in bucket: %w", err)
	}
	return true, nil
}

func putJSON(b *bbolt.Bucket, key []byte, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(key, raw)
}

// keysBefore returns up to limit keys of b whose leading time is before t.
// Keys are collected first because deleting under a live cursor skips keys.
func keysBefore(b *bbolt.Bucket, t time.Time, limit int) [][]byte {
	cutoff := timeKey(t)
	var keys [][]byte
	c := b.Cursor()
	for k, _ := c.First(); k != nil && len(keys) < limit; k, _ = c.Next() {
		if string(k[:8]) >= string(cutoff) {
			break
		}
		keys = append(keys, append([]byte(nil), k...))
	}
	return keys
}
