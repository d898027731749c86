//go:build unix

package ops

import "golang.org/x/sys/unix"

// diskSpace is the free space (for an unprivileged user, as the daemon
// is) and the size of the file system holding path.
func diskSpace(path string) (free, size uint64, err error) {
	var st unix.Statfs_t
	if err := unix.Statfs(path, &st); err != nil {
		return 0, 0, err
	}
	// Field types differ between platforms (int32 on some 32-bit ones).
	bsize := uint64(st.Bsize)
	return uint64(st.Bavail) * bsize, uint64(st.Blocks) * bsize, nil
}
