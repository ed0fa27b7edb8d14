package main

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// unusedIn type-checks engine as the engine package example.com/e and each
// of users (by import path, importing example.com/e as e) as code outside
// it, except the path example.com/e_test, which stands for e's own tests,
// and returns the names of e that the check asks to unexport or list.
func unusedIn(t *testing.T, engine string, users map[string]string) []string {
	t.Helper()
	fset := token.NewFileSet()
	typeCheck := func(path, src string, imp types.Importer, info *types.Info) (*types.Package, []*ast.File) {
		f, err := parser.ParseFile(fset, path+".go", src, 0)
		require.NoError(t, err)
		pkg, err := (&types.Config{Importer: imp}).Check(path, fset, []*ast.File{f}, info)
		require.NoError(t, err, path)
		return pkg, []*ast.File{f}
	}
	e, _ := typeCheck("example.com/e", engine, nil, nil)
	u := newUses(map[string]string{e.Path(): "e"})
	imp := importerFunc(func(path string) (*types.Package, error) {
		if path == e.Path() {
			return e, nil
		}
		return nil, fmt.Errorf("no package %s in this test", path)
	})
	for path, src := range users {
		info := &types.Info{Uses: map[*ast.Ident]types.Object{}, Types: map[ast.Expr]types.TypeAndValue{}}
		_, files := typeCheck(path, src, imp, info)
		u.record(strings.TrimSuffix(path, "_test"), files, info)
	}
	return u.unused("e", e, exportedInterfaces([]*types.Package{e}))
}

// TestUnused: which exported names count as used outside their package.
func TestUnused(t *testing.T) {
	const user = "example.com/u"
	for _, tc := range []struct {
		name   string
		engine string
		users  map[string]string
		want   []string
	}{{
		name:   "package-level names",
		engine: "package e\nfunc F() {}\nconst C = 1\nvar V int\ntype T int\n",
		users:  map[string]string{user: "package u\nimport \"example.com/e\"\nvar _ e.T = e.C\nfunc g() { e.F() }\n"},
		want:   []string{"e.V"},
	}, {
		name:   "the package's own tests do not count",
		engine: "package e\nfunc F() {}\nfunc G() {}\n",
		users: map[string]string{
			"example.com/e_test": "package e_test\nimport \"example.com/e\"\nfunc g() { e.F(); e.G() }\n",
			user:                 "package u\nimport \"example.com/e\"\nfunc g() { e.G() }\n",
		},
		want: []string{"e.F"},
	}, {
		name:   "fields by selector, keyed and unkeyed literal",
		engine: "package e\ntype S struct{ A, B, C int }\ntype K struct{ X, Y int }\ntype P struct{ M, N int }\n",
		users: map[string]string{user: "package u\nimport \"example.com/e\"\n" +
			"func f(s e.S) int { return s.A }\nvar k = e.K{X: 1}\nvar p = &e.P{1, 2}\n"},
		want: []string{"e.K.Y", "e.S.B", "e.S.C"},
	}, {
		name:   "a promoted field is its own type's",
		engine: "package e\ntype Base struct{ ID int }\ntype T struct{ Base }\n",
		users:  map[string]string{user: "package u\nimport \"example.com/e\"\nfunc f(t e.T) int { return t.ID }\n"},
		want:   []string{"e.Base", "e.T.Base"},
	}, {
		name: "methods: called, meeting error, called through an interface outside",
		engine: "package e\ntype T struct{}\nfunc (T) Used() {}\nfunc (T) Unused() {}\n" +
			"func (*T) Error() string { return \"\" }\nfunc (T) Next() int { return 0 }\nfunc (T) Other() int { return 0 }\n",
		users: map[string]string{user: "package u\nimport \"example.com/e\"\n" +
			"type nexter interface{ Next() int }\nfunc f(t e.T) { t.Used(); var n nexter = t; n.Next() }\n"},
		want: []string{"e.T.Other", "e.T.Unused"},
	}, {
		name: "a method that meets an exported interface of the engine, whose own methods are not asked",
		engine: "package e\ntype Source interface{ Read(int) []byte }\ntype Mem struct{}\n" +
			"func (Mem) Read(int) []byte { return nil }\nfunc (Mem) Size() int { return 0 }\n",
		users: map[string]string{user: "package u\nimport \"example.com/e\"\nvar s e.Source = e.Mem{}\n"},
		want:  []string{"e.Mem.Size"},
	}, {
		name:   "a json field is encoding/json's to read",
		engine: "package e\ntype M struct {\n\tA int `json:\"a\"`\n\tB int `json:\"-\"`\n\tC int\n}\n",
		users:  map[string]string{user: "package u\nimport \"example.com/e\"\nvar m e.M\n"},
		want:   []string{"e.M.B", "e.M.C"},
	}, {
		name:   "a generic type's field and method through an instance",
		engine: "package e\ntype L[E any] struct{ N int }\nfunc (l *L[E]) Push(E) {}\nfunc (l *L[E]) Pop() {}\n",
		users:  map[string]string{user: "package u\nimport \"example.com/e\"\nfunc f(l *e.L[int]) int { l.Push(1); return l.N }\n"},
		want:   []string{"e.L.Pop"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, unusedIn(t, tc.engine, tc.users))
		})
	}
}

// TestReportUnused: an unused name fails unless the allowlist has it; an
// allowlist entry that names no exported name fails too.
func TestReportUnused(t *testing.T) {
	exported := []string{"e.A", "e.B", "e.T", "e.T.F"}
	for _, tc := range []struct {
		name    string
		unused  []string
		allow   map[string]string
		wantOK  bool
		wantOut string
	}{{
		name:   "all used",
		wantOK: true,
	}, {
		name:   "unused and listed",
		unused: []string{"e.A", "e.T.F"},
		allow:  map[string]string{"e.A": "errors.Is target", "e.T.F": "a fact callers read"},
		wantOK: true,
	}, {
		name:   "listed, and used after all",
		allow:  map[string]string{"e.B": "errors.Is target"},
		wantOK: true,
	}, {
		name:   "unused, not listed",
		unused: []string{"e.A", "e.B"},
		allow:  map[string]string{"e.A": "errors.Is target"},
		wantOut: "api: exported, but nothing outside its package uses it: unexport it, " +
			"or list it in api/public-on-purpose.txt with the reason it is public:\n  e.B\n",
	}, {
		name:  "listed, no longer exported",
		allow: map[string]string{"e.Gone": "was public", "other.X": "a package not checked"},
		wantOut: "api: api/public-on-purpose.txt lists names the engine does not export (remove them):\n" +
			"  e.Gone\n",
	}} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			ok := reportUnused(&out, "api/public-on-purpose.txt", []string{"e"}, exported, tc.unused, tc.allow)
			assert.Equal(t, tc.wantOK, ok)
			assert.Equal(t, tc.wantOut, out.String())
		})
	}
}

func TestReadAllowlist(t *testing.T) {
	for _, tc := range []struct {
		name    string
		in      string
		want    map[string]string
		wantErr string
	}{
		{name: "comments and blanks", in: "# head\n\ne.A   errors.Is  target\n\te.B\ta reason\n",
			want: map[string]string{"e.A": "errors.Is target", "e.B": "a reason"}},
		{name: "no reason", in: "e.A errors.Is target\ne.B\n", wantErr: "line 2: e.B has no reason"},
		{name: "twice", in: "e.A one\ne.A two\n", wantErr: "line 2: e.A is listed twice"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := readAllowlist(strings.NewReader(tc.in))
			if tc.wantErr != "" {
				assert.EqualError(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

// TestCommittedAllowlist: api/public-on-purpose.txt reads, every entry
// with a reason.
func TestCommittedAllowlist(t *testing.T) {
	allow, err := readAllowFile("../../../api")
	require.NoError(t, err)
	assert.NotEmpty(t, allow)
}

// TestCheckedPackages: from go list -deps -test, each package of the main
// module once, with its in-package tests where it has them, and its _test
// package; not the test mains, other modules or test copies of others.
func TestCheckedPackages(t *testing.T) {
	main := &struct{ Main bool }{Main: true}
	dep := &struct{ Main bool }{}
	var all []listed
	for _, p := range []struct{ path, forTest string }{
		{"m/a", ""},
		{"m/a [m/a.test]", "m/a"},
		{"m/a_test [m/a.test]", "m/a"},
		{"m/a.test", ""},
		{"m/b", ""},
		{"m/b [m/a.test]", "m/a"},
		{"m/c", ""},
		{"m/c_test [m/c.test]", "m/c"},
	} {
		all = append(all, listed{ImportPath: p.path, ForTest: p.forTest, Module: main})
	}
	all = append(all, listed{ImportPath: "other/x", Module: dep}, listed{ImportPath: "fmt"})
	var got []string
	for _, p := range checkedPackages(all) {
		got = append(got, p.ImportPath)
	}
	assert.Equal(t, []string{"m/a [m/a.test]", "m/a_test [m/a.test]", "m/b", "m/c", "m/c_test [m/c.test]"}, got)
}
