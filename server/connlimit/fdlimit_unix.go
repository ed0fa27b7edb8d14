//go:build unix

package connlimit

import "syscall"

// descriptorLimit is the process's limit on open descriptors (Go raises
// the soft limit to the hard one at start), 0 if unknown.
func descriptorLimit() int {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil || rl.Cur > 1<<30 {
		return 0
	}
	return int(rl.Cur)
}
