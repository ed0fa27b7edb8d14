package server

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestIsLoopback: the address test behind serving only this machine when
// the server has no credentials (the SDK's side of it is in auth_test.go,
// which cannot connect from another address).
func TestIsLoopback(t *testing.T) {
	for addr, want := range map[string]bool{"127.0.0.1:5000": true, "[::1]:80": true, "10.0.0.2:5000": false, "bogus": false} {
		assert.Equal(t, want, isLoopback(addr), addr)
	}
}
