package store

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"go.etcd.io/bbolt"
)

// RestoreResult says what Restore did.
type RestoreResult struct {
	// Summary describes the restored copy, now the store.
	Summary
	// KeptAs is where the store that was replaced is kept ("" when there
	// was none).
	KeptAs string
}

// BeforeRestoreSuffix is added to the store's path to keep the store a
// restore replaced.
const BeforeRestoreSuffix = ".before-restore"

// Restore replaces the store file at storePath with the backup at src. It
// refuses while another process (the daemon) holds the store, and holds the
// store itself until it is done, so a daemon starting meanwhile waits
// instead of using the old file. The backup is checked as CheckFile does
// and copied from the very transaction that was checked, beside the store
// (mode 0600, owned like the store when run as root); the old store is
// kept as storePath+BeforeRestoreSuffix (replacing an older one); then the
// copy is renamed over the store. Until that rename the store is untouched.
func Restore(src, storePath string) (RestoreResult, error) {
	if sameFile(src, storePath) {
		return RestoreResult{}, fmt.Errorf("%s is the store itself; give the path of a backup", src)
	}
	release, existed, err := lockStore(storePath)
	if err != nil {
		return RestoreResult{}, err
	}
	defer release()

	bdb, err := openReadOnly(src)
	if err != nil {
		return RestoreResult{}, err
	}
	var s Summary
	var tmp string
	err = bdb.View(func(btx *bbolt.Tx) error {
		var err error
		if s, err = inspect(btx, src); err != nil {
			return err
		}
		tmp, err = copyBeside(btx, storePath, existed)
		return err
	})
	bdb.Close()
	if err != nil {
		return RestoreResult{}, err
	}
	res := RestoreResult{Summary: s}
	if existed {
		res.KeptAs = storePath + BeforeRestoreSuffix
		if err := keepOld(storePath, res.KeptAs); err != nil {
			os.Remove(tmp)
			return RestoreResult{}, fmt.Errorf("keep the current store as %s: %w; nothing was restored", res.KeptAs, err)
		}
	}
	if err := os.Rename(tmp, storePath); err != nil {
		os.Remove(tmp)
		return RestoreResult{}, fmt.Errorf("put the backup in place of %s: %w; nothing was restored", storePath, err)
	}
	return res, syncDir(filepath.Dir(storePath))
}

// sameFile reports whether a and b are one file (or one path).
func sameFile(a, b string) bool {
	fa, errA := os.Stat(a)
	fb, errB := os.Stat(b)
	if errA == nil && errB == nil {
		return os.SameFile(fa, fb)
	}
	absA, errA := filepath.Abs(a)
	absB, errB := filepath.Abs(b)
	return errA == nil && errB == nil && absA == absB
}

// lockStore takes the lock bbolt takes on the store file (flock, exclusive),
// without opening it as a database: a damaged store, the usual reason for a
// restore, must not stop it. existed is false when there is no store yet.
func lockStore(path string) (release func(), existed bool, err error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return func() {}, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("open the store %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, false, fmt.Errorf("%w: the daemon is running and holds the store %s; stop it first (sudo systemctl stop mifos-edge), then restore; nothing was changed",
				ErrLocked, path)
		}
		return nil, false, fmt.Errorf("lock the store %s: %w", path, err)
	}
	// Closing the file releases the lock.
	return func() { f.Close() }, true, nil
}

// copyBeside writes the copy of btx to a new file (mode 0600) in the
// store's directory, flushed to disk, and returns its path. Run as root,
// it gives the file the owner of the old store (or of the directory), or
// the daemon could not open what root restored.
func copyBeside(btx *bbolt.Tx, storePath string, existed bool) (path string, err error) {
	dir := filepath.Dir(storePath)
	f, err := os.CreateTemp(dir, "."+filepath.Base(storePath)+".restore-*")
	if err != nil {
		return "", fmt.Errorf("write the restored store beside %s: %w", storePath, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err = f.Chmod(0o600); err != nil {
		return "", err
	}
	owner := dir
	if existed {
		owner = storePath
	}
	if err = chownLike(f, owner); err != nil {
		return "", fmt.Errorf("give the restored store the owner of %s: %w", owner, err)
	}
	if _, err = btx.WriteTo(f); err != nil {
		return "", fmt.Errorf("copy the backup: %w", err)
	}
	if err = f.Sync(); err != nil {
		return "", fmt.Errorf("flush the restored store to disk: %w", err)
	}
	return f.Name(), f.Close()
}

// chownLike gives f the owner and group of ref when this process may (root).
func chownLike(f *os.File, ref string) error {
	if os.Geteuid() != 0 {
		return nil
	}
	fi, err := os.Stat(ref)
	if err != nil {
		return err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	return f.Chown(int(st.Uid), int(st.Gid))
}

// keepOld makes kept another name of the store file (a hard link; a copy
// where the file system has none), replacing an older kept file.
func keepOld(storePath, kept string) error {
	if err := os.Remove(kept); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err := os.Link(storePath, kept); err == nil {
		return nil
	}
	in, err := os.Open(storePath)
	if err != nil {
		return err
	}
	defer in.Close()
	_, err = WriteFileAtomically(kept, func(out *os.File) (Summary, error) {
		if err := chownLike(out, storePath); err != nil {
			return Summary{}, err
		}
		_, err := io.Copy(out, in)
		return Summary{}, err
	})
	return err
}
