// Package citest is the one rule for a test that needs something a
// machine may lack (a program, a browser, the shared recordings): in CI the
// absence is a failure, so that a CI run missing it cannot pass by
// skipping; elsewhere, such as a fresh clone, the test skips with a line
// saying what is missing and where it comes from.
package citest

import (
	"fmt"
	"os"
	"testing"
)

// Env is the environment variable that marks a CI run. CI services set it
// to "true"; any other non-empty value counts too, except "false" and "0",
// which say plainly that this is not CI.
const Env = "CI"

// SkipMark is in every skip reason Require gives, so that the tests
// skipped for something missing can be found in a run's output with grep.
const SkipMark = "(required in CI)"

// InCI reports whether this run is CI's, by Env.
func InCI() bool {
	v := os.Getenv(Env)
	return v != "" && v != "false" && v != "0"
}

// Require ends tb because what is missing: in CI it fails, elsewhere it
// skips. why says how to get what (such as "make deps installs it") and
// may carry the error that showed it missing.
func Require(tb testing.TB, what, why string) {
	tb.Helper()
	skip, err := Missing(what, why)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Skip(skip)
}

// Missing is Require for a program rather than a test: in CI it returns
// the failure; elsewhere it returns the line to print before going on
// without what.
func Missing(what, why string) (skip string, err error) {
	if InCI() {
		return "", fmt.Errorf("missing %s, and CI (%s=%q) must have it: %s", what, Env, os.Getenv(Env), why)
	}
	return fmt.Sprintf("missing %s %s: %s", what, SkipMark, why), nil
}
