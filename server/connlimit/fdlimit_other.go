//go:build !unix

package connlimit

func descriptorLimit() int { return 0 }
