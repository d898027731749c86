//go:build !unix

package ops

import "errors"

func diskSpace(string) (free, size uint64, err error) {
	return 0, 0, errors.New("free disk space is measured on unix systems only")
}
