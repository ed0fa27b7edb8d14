// Package clipcmd is the `kvsclip clip` command: Matroska files or standard
// input in, an MP4 file or standard output out (package main has its usage).
//
// It is its own package, apart from the binary's other commands, for the
// head start (headstart.go): it imports nothing of the server or the AWS
// SDK, so its init runs before theirs and can start the clip while they
// initialize.
package clipcmd
