// Package clipcmd is the `kvsclip clip` command: Matroska files or standard
// input in, an MP4 file or standard output out (package main has its usage).
//
// It is its own package, apart from the binary's other commands, for the
// head start (headstart.go): it imports nothing of the server or the AWS
// SDK, so its init comes before net/http's, the AWS SDK services' and the
// server's (some SDK packages that sort before it still go first), runs
// the clip and ends the process, and those never initialize.
package clipcmd
