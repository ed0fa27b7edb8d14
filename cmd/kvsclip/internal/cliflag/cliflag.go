// Package cliflag parses the command lines of kvsclip's commands and holds
// the conventions they share: --help, usage errors, --version, and whether
// a standard stream is a terminal.
package cliflag

import "flag"

// Parse parses args with fs, flags and operands in any order —
// `kvsclip clip in.mkv -o out.mp4` as well as `kvsclip clip -o out.mp4
// in.mkv` — where the flag package alone stops at the first operand. A
// "-" operand (standard input) is an operand; "--" ends the flags, and what
// follows it is operands only. It returns the operands in order.
func Parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var operands []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		// flag.Parse consumed a "--" if it stopped there: everything
		// after it is operands.
		if len(rest) < len(args) && len(args)-len(rest) >= 1 && args[len(args)-len(rest)-1] == "--" {
			return append(operands, rest...), nil
		}
		if len(rest) == 0 {
			return operands, nil
		}
		operands = append(operands, rest[0])
		args = rest[1:]
	}
}
