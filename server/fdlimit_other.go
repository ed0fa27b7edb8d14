//go:build !unix

package server

func descriptorLimit() int { return 0 }
