package main

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// depSource is a second package the snippets may import, so that
// qualified names are covered without the standard library's export data.
const depSource = `package q
type T struct{}
type G[E any] struct{}
`

// check type-checks src as the package example.com/p, which may import
// example.com/q (depSource).
func check(t *testing.T, src string) *types.Package {
	t.Helper()
	fset := token.NewFileSet()
	typeCheck := func(path, src string, imp types.Importer) *types.Package {
		f, err := parser.ParseFile(fset, path+".go", src, 0)
		require.NoError(t, err)
		conf := types.Config{Importer: imp}
		pkg, err := conf.Check(path, fset, []*ast.File{f}, nil)
		require.NoError(t, err)
		return pkg
	}
	q := typeCheck("example.com/q", depSource, nil)
	return typeCheck("example.com/p", src, importerFunc(func(path string) (*types.Package, error) {
		if path == q.Path() {
			return q, nil
		}
		return nil, fmt.Errorf("no package %s in this test", path)
	}))
}

// importerFunc makes a function a types.Importer.
type importerFunc func(path string) (*types.Package, error)

func (f importerFunc) Import(path string) (*types.Package, error) { return f(path) }

func TestAPILines(t *testing.T) {
	const p = "pkg example.com/p, "
	for _, tc := range []struct {
		name string
		src  string
		want []string
	}{{
		name: "funcs drop parameter names and keep variadics",
		src: `package p
func Parse(s string) (n int64, err error) { return }
func Join(sep string, parts ...[]byte) []byte { return nil }
func Nothing() {}
func hidden() {}`,
		want: []string{
			p + "func Join(string, ...[]byte) []byte",
			p + "func Nothing()",
			p + "func Parse(string) (int64, error)",
		},
	}, {
		name: "consts give type and exact value",
		src: `package p
type Kind int
const (
	Unknown Kind = iota
	Invalid
)
const Message = "a message longer than seventy-two characters, which constant.Value.String would shorten"
const limit = 3`,
		want: []string{
			p + `const Invalid = 1`,
			p + `const Invalid Kind`,
			p + `const Message = "a message longer than seventy-two characters, which constant.Value.String would shorten"`,
			p + `const Message untyped string`,
			p + `const Unknown = 0`,
			p + `const Unknown Kind`,
			p + `type Kind int`,
		},
	}, {
		name: "struct fields a line each, methods of T and of *T",
		src: `package p
import "example.com/q"
type Error struct {
	Msg    string
	q.T
	Hook   func(code int) error
	hidden int
}
func (e *Error) Error() string { return e.Msg }
func (e Error) Kind() int { return 0 }
func (e *Error) unexported() {}`,
		want: []string{
			p + "method (*Error) Error() string",
			p + "method (Error) Kind() int",
			p + "type Error struct",
			p + "type Error struct, Hook func(int) error",
			p + "type Error struct, Msg string",
			p + "type Error struct, embedded q.T",
		},
	}, {
		name: "promoted methods belong to the embedding type",
		src: `package p
type Base struct{}
func (Base) Name() string { return "" }
type Outer struct{ Base }`,
		want: []string{
			p + "method (Base) Name() string",
			p + "method (Outer) Name() string",
			p + "type Base struct",
			p + "type Outer struct",
			p + "type Outer struct, embedded Base",
		},
	}, {
		name: "an interface names its methods on its first line",
		src: `package p
type Reader interface{ Read(p []byte) (int, error) }
type ReadCloser interface {
	Reader
	Close() error
}
type Sealed interface{ seal() }`,
		want: []string{
			p + "type ReadCloser interface { Close, Read }",
			p + "type ReadCloser interface, Close() error",
			p + "type ReadCloser interface, Read([]byte) (int, error)",
			p + "type Reader interface { Read }",
			p + "type Reader interface, Read([]byte) (int, error)",
			p + "type Sealed interface, unexported methods",
		},
	}, {
		name: "generics, aliases, vars and composite types",
		src: `package p
import "example.com/q"
type Number interface{ ~int | ~float64 }
type List[E any] struct{ Items []E }
func (l *List[E]) Push(e E) {}
func Sum[N Number](ns ...N) N { var n N; return n }
func Keys[K comparable, V ~string](m map[K]V) []K { return nil }
type Alias = q.G[int]
var Feed <-chan struct{ At int64; q.T }
var Nested chan (<-chan int)
var Table [4]map[string]*q.T`,
		want: []string{
			p + "func Keys[K comparable, V ~string](map[K]V) []K",
			p + "func Sum[N Number](...N) N",
			p + "method (*List[E]) Push(E)",
			p + "type Alias = q.G[int]",
			p + "type List[E any] struct",
			p + "type List[E any] struct, Items []E",
			p + "type Number interface{~int | ~float64}",
			p + "var Feed <-chan struct{At int64; q.T}",
			p + "var Nested chan (<-chan int)",
			p + "var Table [4]map[string]*q.T",
		},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, apiLines(check(t, tc.src)))
		})
	}
}
