package store

import (
	"path/filepath"
	"testing"
)

// A store opened without options flushes every commit to the disk; only a
// benchmark asks for NoSync.
func TestOpenSyncsUnlessToldNotTo(t *testing.T) {
	for _, tc := range []struct {
		opts Options
		want bool
	}{{Options{}, true}, {Options{NoSync: true}, false}} {
		db, err := Open(filepath.Join(t.TempDir(), "state.db"), tc.opts)
		if err != nil {
			t.Fatal(err)
		}
		if got := db.Syncs(); got != tc.want {
			t.Errorf("opened with %+v: Syncs() = %v, want %v", tc.opts, got, tc.want)
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
	}
}
