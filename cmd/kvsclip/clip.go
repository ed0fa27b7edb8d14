package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/kvsclip/kvsclip/kvserr"
	"github.com/kvsclip/kvsclip/mkv"
	"github.com/kvsclip/kvsclip/remux"
)

func clipCmd(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("clip", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("o", "-", "output MP4 `file` (\"-\" for stdout)")
	manifestPath := fs.String("manifest", "", "write the clip's manifest as JSON to `file`")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	inputs := fs.Args()
	if len(inputs) == 0 {
		inputs = []string{"-"}
	}

	dst, commit, abort, err := openOutput(*out, stdout)
	if err != nil {
		fmt.Fprintf(stderr, "kvsclip: %v\n", err)
		return 1
	}
	c := remux.NewClipper(dst, nil)
	var man *remux.Manifest
	err = addInputs(c, inputs, stdin)
	if err == nil {
		man, err = c.Close()
	} else {
		man = c.Manifest()
	}
	if err == nil {
		err = commit()
	}
	if err != nil {
		abort()
		fmt.Fprintln(stderr, describe(err))
		writeManifest(*manifestPath, man, stderr)
		return 1
	}
	if !writeManifest(*manifestPath, man, stderr) {
		return 1
	}
	return 0
}

// addInputs feeds every fragment of every input to c.
func addInputs(c *remux.Clipper, inputs []string, stdin io.Reader) error {
	for _, name := range inputs {
		var src io.Reader = stdin
		if name != "-" {
			f, err := os.Open(name)
			if err != nil {
				return kvserr.Errorf(kvserr.InvalidArgument, "%w", err)
			}
			defer f.Close()
			src = f
		}
		if err := c.AddAll(mkv.NewReader(src)); err != nil {
			var ke *kvserr.Error
			if errors.As(err, &ke) && len(inputs) > 1 {
				ke.Msg = name + ": " + ke.Msg
			}
			return err
		}
	}
	return nil
}

// describe renders an error as one line that starts with its kind.
func describe(err error) string {
	var ke *kvserr.Error
	if errors.As(err, &ke) {
		return "kvsclip: " + ke.Error()
	}
	return "kvsclip: " + kvserr.Unknown.String() + ": " + err.Error()
}

// openOutput opens the clip's destination. A file is written under a
// temporary name in the same directory and renamed into place by commit, so a
// failed clip leaves no file behind.
func openOutput(path string, stdout io.Writer) (w io.Writer, commit func() error, abort func(), err error) {
	if path == "-" {
		return stdout, func() error { return nil }, func() {}, nil
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.part")
	if err != nil {
		return nil, nil, nil, err
	}
	commit = func() error {
		if err := tmp.Close(); err != nil {
			return err
		}
		return os.Rename(tmp.Name(), path)
	}
	abort = func() {
		tmp.Close()
		os.Remove(tmp.Name())
	}
	return tmp, commit, abort, nil
}

func writeManifest(path string, m *remux.Manifest, stderr io.Writer) bool {
	if path == "" || m == nil {
		return true
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err == nil {
		err = os.WriteFile(path, append(b, '\n'), 0o644)
	}
	if err != nil {
		fmt.Fprintf(stderr, "kvsclip: manifest: %v\n", err)
		return false
	}
	return true
}
