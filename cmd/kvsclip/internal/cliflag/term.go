package cliflag

import "os"

// IsTerminal reports whether v — a command's stdin, stdout or stderr — is
// a terminal. Only an *os.File can be one. It is a variable so that tests,
// which have no terminal, can say which of their readers and writers is
// one.
var IsTerminal = func(v any) bool {
	f, ok := v.(*os.File)
	return ok && f != nil && isTerminal(f)
}
