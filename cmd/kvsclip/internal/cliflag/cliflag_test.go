package cliflag

import (
	"flag"
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseInterspersed(t *testing.T) {
	for _, tc := range []struct {
		args     []string
		out      string
		verbose  bool
		operands []string
	}{
		{args: []string{"in.mkv", "-o", "out.mp4"}, out: "out.mp4", operands: []string{"in.mkv"}},
		{args: []string{"-o", "out.mp4", "in.mkv"}, out: "out.mp4", operands: []string{"in.mkv"}},
		{args: []string{"a.mkv", "-v", "b.mkv", "--o=x.mp4", "c.mkv"}, out: "x.mp4", verbose: true, operands: []string{"a.mkv", "b.mkv", "c.mkv"}},
		{args: []string{"-", "-o", "out.mp4"}, out: "out.mp4", operands: []string{"-"}},
		{args: []string{"-o", "out.mp4", "--", "-v", "-o"}, out: "out.mp4", operands: []string{"-v", "-o"}},
		{args: []string{"a.mkv", "--", "-o"}, out: "-", operands: []string{"a.mkv", "-o"}},
		{args: nil, out: "-"},
	} {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		out := fs.String("o", "-", "")
		verbose := fs.Bool("v", false, "")
		operands, err := Parse(fs, tc.args)
		require.NoError(t, err, "%q", tc.args)
		assert.Equal(t, tc.operands, operands, "%q", tc.args)
		assert.Equal(t, tc.out, *out, "%q", tc.args)
		assert.Equal(t, tc.verbose, *verbose, "%q", tc.args)
	}
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	_, err := Parse(fs, []string{"in.mkv", "-nope"})
	assert.Error(t, err)
}
