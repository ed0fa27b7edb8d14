package main

import (
	"go/ast"
	"go/token"
	"go/types"
	"reflect"
	"regexp"
	"slices"
	"strings"
)

// The second question the guard asks: is each exported name of the engine
// needed outside its package? A name is named as the check names it,
// "mkv.ErrBadTag" for a package-level one, "mp4.Writer.InitSize" for a
// field or method of an exported type. It is used when code outside its
// package refers to it: another package of the module, the tests of
// another package, cmd/, server/, bench/, testdata/gen. The package's own
// tests, in-package or _test, do not count: a name only they use is one no
// caller needs. A name nothing outside uses must be unexported or listed in
// the allowlist (api/public-on-purpose.txt) with the reason it is public,
// so that the question is asked again whenever a new name appears.

// exportedNames returns the names the usage check asks about in pkg, which
// it calls name (the package's name, e.g. "mkv"): its exported
// package-level names, and the exported fields and declared methods of its
// exported named types. An interface's methods are not asked about one by
// one: they are a contract that implementations outside the package meet,
// and the interface's own name stands for them.
func exportedNames(name string, pkg *types.Package) []string {
	var names []string
	scope := pkg.Scope()
	for _, n := range scope.Names() {
		if !token.IsExported(n) {
			continue
		}
		names = append(names, name+"."+n)
		tn, ok := scope.Lookup(n).(*types.TypeName)
		if !ok || tn.IsAlias() {
			continue
		}
		named, ok := tn.Type().(*types.Named)
		if !ok {
			continue
		}
		if st, ok := named.Underlying().(*types.Struct); ok {
			for f := range st.Fields() {
				if f.Exported() {
					names = append(names, name+"."+n+"."+f.Name())
				}
			}
		}
		if _, ok := named.Underlying().(*types.Interface); ok {
			continue
		}
		for m := range named.Methods() {
			if m.Exported() {
				names = append(names, name+"."+n+"."+m.Name())
			}
		}
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// uses collects which engine names code outside their packages refers to.
type uses struct {
	engine map[string]string // import path of an engine package → its name
	used   map[string]bool   // the names used outside their package
	// ifaceCalls holds the methods called through an interface, as
	// methodKey writes them, with the packages that call them: a method of
	// an engine type with that name and signature may be what is called.
	ifaceCalls map[string]map[string]bool
	// owners maps the fields of the engine's exported types, per package
	// as a type-checker or importer made it, to their names.
	owners map[*types.Package]map[*types.Var]string
}

func newUses(engine map[string]string) *uses {
	return &uses{
		engine:     engine,
		used:       map[string]bool{},
		ifaceCalls: map[string]map[string]bool{},
		owners:     map[*types.Package]map[*types.Var]string{},
	}
}

// record notes the uses of engine names in the type-checked files of the
// package at import path user (for a package's tests, the path of the
// package they test: its own names are then not counted as used).
func (u *uses) record(user string, files []*ast.File, info *types.Info) {
	for _, obj := range info.Uses {
		if name := u.nameOf(obj); name != "" && !u.own(user, obj) {
			u.used[name] = true
		}
		if fn, ok := obj.(*types.Func); ok && isInterfaceMethod(fn) {
			key := methodKey(fn.Name(), fn.Type().(*types.Signature))
			if u.ifaceCalls[key] == nil {
				u.ifaceCalls[key] = map[string]bool{}
			}
			u.ifaceCalls[key][user] = true
		}
	}
	// A struct literal without keys sets every field of its type.
	for _, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.CompositeLit)
			if !ok || len(lit.Elts) == 0 {
				return true
			}
			if _, keyed := lit.Elts[0].(*ast.KeyValueExpr); keyed {
				return true
			}
			t := info.TypeOf(lit)
			if p, ok := t.(*types.Pointer); ok {
				t = p.Elem()
			}
			named, ok := types.Unalias(t).(*types.Named)
			if !ok {
				return true
			}
			st, ok := named.Underlying().(*types.Struct)
			if !ok {
				return true
			}
			for fld := range st.Fields() {
				if name := u.nameOf(fld); name != "" && !u.own(user, fld) {
					u.used[name] = true
				}
			}
			return true
		})
	}
}

// own says whether obj belongs to the package at path user.
func (u *uses) own(user string, obj types.Object) bool {
	return obj.Pkg().Path() == user
}

// nameOf returns the check's name of obj when it is an exported name of an
// engine package, and "" otherwise.
func (u *uses) nameOf(obj types.Object) string {
	if obj == nil || obj.Pkg() == nil || !obj.Exported() {
		return ""
	}
	pkgName, ok := u.engine[obj.Pkg().Path()]
	if !ok {
		return ""
	}
	switch obj := obj.(type) {
	case *types.Func:
		obj = obj.Origin()
		sig := obj.Type().(*types.Signature)
		if sig.Recv() == nil {
			break
		}
		recv := sig.Recv().Type()
		if p, ok := recv.(*types.Pointer); ok {
			recv = p.Elem()
		}
		named, ok := types.Unalias(recv).(*types.Named)
		if !ok || !named.Obj().Exported() {
			return ""
		}
		return pkgName + "." + named.Obj().Name() + "." + obj.Name()
	case *types.Var:
		if obj.IsField() {
			return u.fieldOwners(obj.Pkg())[obj.Origin()]
		}
	}
	if obj.Pkg().Scope().Lookup(obj.Name()) != obj {
		return ""
	}
	return pkgName + "." + obj.Name()
}

// fieldOwners returns the names of the exported fields of pkg's exported
// struct types, by field.
func (u *uses) fieldOwners(pkg *types.Package) map[*types.Var]string {
	if m, ok := u.owners[pkg]; ok {
		return m
	}
	m := map[*types.Var]string{}
	pkgName := u.engine[pkg.Path()]
	scope := pkg.Scope()
	for _, n := range scope.Names() {
		tn, ok := scope.Lookup(n).(*types.TypeName)
		if !ok || !tn.Exported() || tn.IsAlias() {
			continue
		}
		if st, ok := tn.Type().Underlying().(*types.Struct); ok {
			for f := range st.Fields() {
				if f.Exported() {
					m[f] = pkgName + "." + n + "." + f.Name()
				}
			}
		}
	}
	u.owners[pkg] = m
	return m
}

// isInterfaceMethod says whether fn is a method of an interface.
func isInterfaceMethod(fn *types.Func) bool {
	recv := fn.Type().(*types.Signature).Recv()
	return recv != nil && types.IsInterface(recv.Type())
}

// methodKey writes a method's name and signature without parameter names,
// so that a concrete method can be matched with an interface's:
// "Read([]uint8) (int, error)".
func methodKey(name string, sig *types.Signature) string {
	qual := func(p *types.Package) string { return p.Path() }
	tuple := func(t *types.Tuple, variadic bool) string {
		parts := make([]string, t.Len())
		for i := range parts {
			typ := t.At(i).Type()
			if variadic && i == len(parts)-1 {
				parts[i] = "..." + types.TypeString(typ.(*types.Slice).Elem(), qual)
			} else {
				parts[i] = types.TypeString(typ, qual)
			}
		}
		return strings.Join(parts, ", ")
	}
	s := name + "(" + tuple(sig.Params(), sig.Variadic()) + ")"
	switch res := sig.Results(); res.Len() {
	case 0:
	case 1:
		s += " " + tuple(res, false)
	default:
		s += " (" + tuple(res, false) + ")"
	}
	return normalizeKey(s)
}

// Spellings of one type that methodKey writes the same: byte and uint8,
// rune and int32, interface{} and any.
var (
	byteWord = regexp.MustCompile(`\bbyte\b`)
	runeWord = regexp.MustCompile(`\brune\b`)
)

func normalizeKey(s string) string {
	s = byteWord.ReplaceAllString(s, "uint8")
	s = runeWord.ReplaceAllString(s, "int32")
	return strings.ReplaceAll(s, "interface{}", "any")
}

// implicitMethods are the methods the standard library calls through its
// interfaces (error, fmt.Stringer, io.Reader, errors.Is, encoding/json,
// ...): a method that meets one is used wherever its value reaches the
// library, which no reference in the source shows.
var implicitMethods = func() map[string]bool {
	m := map[string]bool{}
	for _, k := range []string{
		"Error() string",
		"String() string",
		"GoString() string",
		"Format(fmt.State, int32)",
		"Unwrap() error",
		"Unwrap() []error",
		"Is(error) bool",
		"As(any) bool",
		"Read([]uint8) (int, error)",
		"Write([]uint8) (int, error)",
		"Close() error",
		"Seek(int64, int) (int64, error)",
		"ReadAt([]uint8, int64) (int, error)",
		"WriteAt([]uint8, int64) (int, error)",
		"WriteTo(io.Writer) (int64, error)",
		"ReadFrom(io.Reader) (int64, error)",
		"MarshalText() ([]uint8, error)",
		"UnmarshalText([]uint8) error",
		"AppendText([]uint8) ([]uint8, error)",
		"MarshalJSON() ([]uint8, error)",
		"UnmarshalJSON([]uint8) error",
		"MarshalBinary() ([]uint8, error)",
		"UnmarshalBinary([]uint8) error",
		"LogValue() log/slog.Value",
		"ServeHTTP(net/http.ResponseWriter, *net/http.Request)",
	} {
		m[k] = true
	}
	return m
}()

// usedImplicitly says whether the method m of an engine package at path
// pkgPath meets an interface through which it is called: one of the
// standard library's, or one that code outside pkgPath calls.
func (u *uses) usedImplicitly(pkgPath string, m *types.Func) bool {
	key := methodKey(m.Name(), m.Type().(*types.Signature))
	if implicitMethods[key] {
		return true
	}
	for user := range u.ifaceCalls[key] {
		if user != pkgPath {
			return true
		}
	}
	return false
}

// unused returns the names of pkg (an engine package named name) that
// nothing outside it uses, directly or through an interface. ifaces are
// the exported interfaces of the engine packages: a method that meets one
// is part of a contract, which the interface's name stands for. A field
// with a json tag is read by encoding/json wherever its struct is
// marshaled, which no reference in the source shows either.
func (u *uses) unused(name string, pkg *types.Package, ifaces []*types.Named) []string {
	implicit := map[string]bool{}
	scope := pkg.Scope()
	for _, n := range scope.Names() {
		tn, ok := scope.Lookup(n).(*types.TypeName)
		if !ok || !tn.Exported() || tn.IsAlias() {
			continue
		}
		named, ok := tn.Type().(*types.Named)
		if !ok || types.IsInterface(named) {
			continue
		}
		if st, ok := named.Underlying().(*types.Struct); ok {
			for i := range st.NumFields() {
				if tag, ok := reflect.StructTag(st.Tag(i)).Lookup("json"); ok && tag != "-" {
					implicit[name+"."+n+"."+st.Field(i).Name()] = true
				}
			}
		}
		for m := range named.Methods() {
			if m.Exported() && (u.usedImplicitly(pkg.Path(), m) || meetsInterface(named, m, ifaces)) {
				implicit[name+"."+n+"."+m.Name()] = true
			}
		}
	}
	var out []string
	for _, n := range exportedNames(name, pkg) {
		if !u.used[n] && !implicit[n] {
			out = append(out, n)
		}
	}
	return out
}

// meetsInterface says whether m, a method of named, is one that named (or
// a pointer to it) has in order to implement one of ifaces.
func meetsInterface(named *types.Named, m *types.Func, ifaces []*types.Named) bool {
	for _, in := range ifaces {
		it := in.Underlying().(*types.Interface)
		if !types.Implements(named, it) && !types.Implements(types.NewPointer(named), it) {
			continue
		}
		for im := range it.Methods() {
			if im.Name() == m.Name() {
				return true
			}
		}
	}
	return false
}

// exportedInterfaces returns the exported interface types (method sets,
// not constraints) of pkgs.
func exportedInterfaces(pkgs []*types.Package) []*types.Named {
	var out []*types.Named
	for _, p := range pkgs {
		for _, n := range p.Scope().Names() {
			tn, ok := p.Scope().Lookup(n).(*types.TypeName)
			if !ok || !tn.Exported() || tn.IsAlias() {
				continue
			}
			if named, ok := tn.Type().(*types.Named); ok {
				if it, ok := named.Underlying().(*types.Interface); ok && it.IsMethodSet() && it.NumMethods() > 0 {
					out = append(out, named)
				}
			}
		}
	}
	return out
}
