//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package servicepass

import (
	"os"
	"syscall"
)

// tryLockFile takes an exclusive flock(2) on f without waiting: false when
// another holds one. The lock belongs to the open file description, so it
// excludes other processes and other descriptors in this one; it is
// released by unlockFile or when the process dies.
func tryLockFile(f *os.File) (bool, error) {
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		switch err {
		case nil:
			return true, nil
		case syscall.EWOULDBLOCK:
			return false, nil
		case syscall.EINTR:
		default:
			return false, err
		}
	}
}

func unlockFile(f *os.File) error {
	return syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
}
