//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly || windows)

package servicepass

import (
	"errors"
	"os"
)

// errNoLock is returned where this package has no file lock: a FileStore
// there cannot exclude other processes, so it refuses to save rather than
// risk granting a code twice.
var errNoLock = errors.New("servicepass: no file lock on this platform")

func tryLockFile(*os.File) (bool, error) { return false, errNoLock }
func unlockFile(*os.File) error          { return nil }
