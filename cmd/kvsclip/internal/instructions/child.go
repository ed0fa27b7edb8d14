package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	"github.com/kvsclip/kvsclip/cmd/kvsclip/internal/clipcmd"
)

// runCase is the measured child: it clips every recording rounds times as
// case name says.
func runCase(name, data, out string) error {
	i := slices.IndexFunc(cases, func(c measuredCase) bool { return c.name == name })
	if i < 0 || cases[i].binary {
		return fmt.Errorf("no in-process case %q", name)
	}
	c := cases[i]
	inputs := make([][]byte, len(recordings))
	for k, r := range recordings {
		var err error
		if inputs[k], err = os.ReadFile(filepath.Join(data, r)); err != nil {
			return err
		}
	}
	dst := filepath.Join(out, name+".mp4")
	var stderr bytes.Buffer
	for range rounds {
		for k, r := range recordings {
			in := filepath.Join(data, r)
			var stdin io.Reader
			if c.stdin {
				in, stdin = "-", bytes.NewReader(inputs[k])
			}
			if code := clipcmd.Run(c.args(in, dst), stdin, io.Discard, &stderr); code != 0 {
				return fmt.Errorf("%s: exit status %d: %s", r, code, stderr.String())
			}
		}
	}
	return nil
}
