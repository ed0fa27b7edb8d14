//go:build !linux

package main

import "os"

// preallocate does nothing outside Linux.
func preallocate(*os.File, int64) {}
