// Package clipcmd is the `kvsclip clip` command: Matroska files or standard
// input in, an MP4 file or standard output out (package main has its usage).
//
// It is the largest of the binary's commands — input mapping or streaming,
// the one-pass write, output replacement, progress — and has its own tests,
// so it lives apart from package main's smaller ones.
package clipcmd
