//go:build windows

package servicepass

import (
	"os"
	"syscall"
	"unsafe"
)

// LockFileEx and UnlockFileEx are in kernel32 but not in package syscall.
var (
	kernel32         = syscall.NewLazyDLL("kernel32.dll")
	procLockFileEx   = kernel32.NewProc("LockFileEx")
	procUnlockFileEx = kernel32.NewProc("UnlockFileEx")
)

const (
	lockfileFailImmediately = 0x1  // LOCKFILE_FAIL_IMMEDIATELY
	lockfileExclusiveLock   = 0x2  // LOCKFILE_EXCLUSIVE_LOCK
	errorLockViolation      = 0x21 // ERROR_LOCK_VIOLATION
)

// tryLockFile takes an exclusive LockFileEx lock on the first byte of f
// without waiting (false when another holds it); it is released by
// unlockFile or when the process dies.
func tryLockFile(f *os.File) (bool, error) {
	var ol syscall.Overlapped
	r, _, err := procLockFileEx.Call(f.Fd(), lockfileExclusiveLock|lockfileFailImmediately, 0, 1, 0, uintptr(unsafe.Pointer(&ol)))
	if r == 0 {
		if err == syscall.Errno(errorLockViolation) {
			return false, nil
		}
		return false, err
	}
	return true, nil
}

func unlockFile(f *os.File) error {
	var ol syscall.Overlapped
	r, _, err := procUnlockFileEx.Call(f.Fd(), 0, 1, 0, uintptr(unsafe.Pointer(&ol)))
	if r == 0 {
		return err
	}
	return nil
}
