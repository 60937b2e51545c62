//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package servicepass

import (
	"os"
	"syscall"
)

// lockFile takes an exclusive flock(2) on f, waiting for it. The lock
// belongs to the open file description, so it excludes other processes and
// other descriptors in this one; it is released by unlockFile or when the
// process dies.
func lockFile(f *os.File) error {
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		if err != syscall.EINTR {
			return err
		}
	}
}

func unlockFile(f *os.File) error {
	return syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
}
