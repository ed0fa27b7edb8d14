package cliflag

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// Command is one kvsclip command's command line: its flags and the text of
// its --help. It gives every command the same conventions: -h/--help
// prints the full help to stdout and exits 0, a bad flag is one line and a
// pointer to the help on stderr with exit status 2, as ffmpeg and the AWS
// CLI answer.
type Command struct {
	// Name is the command's name after "kvsclip" ("clip").
	Name string
	// Synopsis is the usage line(s) without "usage: ".
	Synopsis string
	// About says in a few lines what the command does.
	About string
	// Args describes the operands (INPUT, FILE).
	Args string
	// Examples are command lines with a comment each.
	Examples string
	// Flags are the command's flags; Parse takes over its output and
	// usage function.
	Flags *flag.FlagSet
}

// Help writes the command's full help: synopsis, what it does, its
// arguments, every flag with its default, and examples.
func (c *Command) Help(w io.Writer) {
	fmt.Fprintf(w, "usage: %s\n\n%s\n", c.Synopsis, strings.TrimRight(c.About, "\n"))
	if c.Args != "" {
		fmt.Fprintf(w, "\narguments:\n%s\n", strings.TrimRight(c.Args, "\n"))
	}
	fmt.Fprintf(w, "\nflags:\n")
	c.Flags.SetOutput(w)
	c.Flags.PrintDefaults()
	c.Flags.SetOutput(io.Discard)
	fmt.Fprintf(w, "  -h, --help\n    \tprint this help\n")
	if c.Examples != "" {
		fmt.Fprintf(w, "\nexamples:\n%s\n", strings.TrimRight(c.Examples, "\n"))
	}
}

// Parse parses args (flags and operands in any order, as the package's
// Parse). When the command should end here — help was asked for, or the
// command line is wrong — done is true and code is the exit status; the
// help or the one-line complaint is already written.
func (c *Command) Parse(args []string, stdout, stderr io.Writer) (operands []string, code int, done bool) {
	// The flag package prints its complaint and the whole flag list to
	// its output: the complaint is printed here instead, in one line.
	c.Flags.SetOutput(io.Discard)
	c.Flags.Usage = func() {}
	operands, err := Parse(c.Flags, args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		c.Help(stdout)
		return nil, 0, true
	case err != nil:
		return nil, c.Usage(stderr, err.Error()), true
	}
	return operands, 0, false
}

// Usage writes a complaint about the command line and where help is, and
// returns 2, the exit status of a bad command line.
func (c *Command) Usage(stderr io.Writer, complaint string) int {
	fmt.Fprintf(stderr, "kvsclip %s: %s\nsee kvsclip %s --help\n", c.Name, complaint, c.Name)
	return 2
}
