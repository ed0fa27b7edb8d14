package main

import (
	"fmt"
	"go/token"
	"go/types"
	"slices"
	"strings"
)

// apiLines returns the exported API of pkg, one declaration a line, sorted
// and without repeats. Every line starts with "pkg PATH, " so that a line
// read alone in a diff says where it belongs. A struct's exported fields and
// an interface's methods get a line each, so that adding one shows as an
// added line; an interface's first line names all its methods, so that
// adding one, which breaks its implementations, changes a line. Methods are
// the method sets of T and *T, promoted ones included: removing an embedded
// field removes them, and the check should see it.
func apiLines(pkg *types.Package) []string {
	w := &lineWriter{pkg: pkg}
	scope := pkg.Scope()
	for _, name := range scope.Names() {
		if token.IsExported(name) {
			w.object(scope.Lookup(name))
		}
	}
	slices.Sort(w.lines)
	return slices.Compact(w.lines)
}

// lineWriter collects the lines of one package.
type lineWriter struct {
	pkg   *types.Package
	lines []string
}

// emit adds one line, formatted as by fmt.Sprintf.
func (w *lineWriter) emit(format string, args ...any) {
	w.lines = append(w.lines, "pkg "+w.pkg.Path()+", "+fmt.Sprintf(format, args...))
}

// object emits the lines of one package-level object.
func (w *lineWriter) object(obj types.Object) {
	switch obj := obj.(type) {
	case *types.Const:
		// The value too: a changed constant changes what callers compile
		// in. ExactString, because String shortens long strings.
		w.emit("const %s %s", obj.Name(), w.typ(obj.Type()))
		w.emit("const %s = %s", obj.Name(), obj.Val().ExactString())
	case *types.Var:
		w.emit("var %s %s", obj.Name(), w.typ(obj.Type()))
	case *types.Func:
		sig := obj.Type().(*types.Signature)
		w.emit("func %s%s%s", obj.Name(), w.typeParams(sig.TypeParams()), w.signature(sig))
	case *types.TypeName:
		w.typeName(obj)
	}
}

// typeName emits a type's line, its fields or interface methods, and its
// methods.
func (w *lineWriter) typeName(obj *types.TypeName) {
	if obj.IsAlias() {
		w.emit("type %s = %s", obj.Name(), w.typ(types.Unalias(obj.Type())))
		return
	}
	named, ok := obj.Type().(*types.Named)
	if !ok {
		return
	}
	decl := "type " + obj.Name() + w.typeParams(named.TypeParams())
	switch u := named.Underlying().(type) {
	case *types.Struct:
		w.emit("%s struct", decl)
		for f := range u.Fields() {
			switch {
			case !f.Exported():
			case f.Embedded():
				w.emit("%s struct, embedded %s", decl, w.typ(f.Type()))
			default:
				w.emit("%s struct, %s %s", decl, f.Name(), w.typ(f.Type()))
			}
		}
	case *types.Interface:
		if !u.IsMethodSet() {
			// A constraint: its type set is its whole meaning.
			w.emit("%s %s", decl, w.typ(u))
			return
		}
		var names []string
		unexported := false
		for m := range u.Methods() {
			if m.Exported() {
				names = append(names, m.Name())
				w.emit("%s interface, %s%s", decl, m.Name(), w.signature(m.Type().(*types.Signature)))
			} else {
				unexported = true
			}
		}
		head := "interface { " + strings.Join(names, ", ") + " }"
		if unexported {
			head = "interface, unexported methods"
			if len(names) > 0 {
				head = "interface { " + strings.Join(names, ", ") + ", unexported methods }"
			}
		}
		w.emit("%s %s", decl, head)
		return // an interface's methods are its lines above
	default:
		w.emit("%s %s", decl, w.typ(u))
	}
	w.methods(named)
}

// methods emits the exported methods of named's method sets: those of T
// with receiver (T), those only *T has with receiver (*T).
func (w *lineWriter) methods(named *types.Named) {
	recv := named.Obj().Name()
	if tp := named.TypeParams(); tp.Len() > 0 {
		names := make([]string, tp.Len())
		for i := range names {
			names[i] = tp.At(i).Obj().Name()
		}
		recv += "[" + strings.Join(names, ", ") + "]"
	}
	value := types.NewMethodSet(named)
	for sel := range value.Methods() {
		if sel.Obj().Exported() {
			w.emit("method (%s) %s%s", recv, sel.Obj().Name(), w.signature(sel.Type().(*types.Signature)))
		}
	}
	for sel := range types.NewMethodSet(types.NewPointer(named)).Methods() {
		if sel.Obj().Exported() && value.Lookup(sel.Obj().Pkg(), sel.Obj().Name()) == nil {
			w.emit("method (*%s) %s%s", recv, sel.Obj().Name(), w.signature(sel.Type().(*types.Signature)))
		}
	}
}

// typ writes t as Go source would, with other packages' names qualified by
// their package name and this package's names bare, and functions with
// parameter types only: the names of parameters are not part of the API.
func (w *lineWriter) typ(t types.Type) string {
	var b strings.Builder
	w.writeType(&b, t)
	return b.String()
}

// writeType is typ writing to b, for nested types.
func (w *lineWriter) writeType(b *strings.Builder, t types.Type) {
	switch t := t.(type) {
	case *types.Basic:
		b.WriteString(t.Name())
	case *types.Pointer:
		b.WriteByte('*')
		w.writeType(b, t.Elem())
	case *types.Slice:
		b.WriteString("[]")
		w.writeType(b, t.Elem())
	case *types.Array:
		fmt.Fprintf(b, "[%d]", t.Len())
		w.writeType(b, t.Elem())
	case *types.Map:
		b.WriteString("map[")
		w.writeType(b, t.Key())
		b.WriteByte(']')
		w.writeType(b, t.Elem())
	case *types.Chan:
		w.writeChan(b, t)
	case *types.Signature:
		b.WriteString("func")
		b.WriteString(w.signature(t))
	case *types.Named:
		w.writeName(b, t.Obj(), t.TypeArgs())
	case *types.Alias:
		w.writeName(b, t.Obj(), t.TypeArgs())
	case *types.TypeParam:
		b.WriteString(t.Obj().Name())
	case *types.Struct:
		b.WriteString("struct{")
		for i := range t.NumFields() {
			if i > 0 {
				b.WriteString("; ")
			}
			f := t.Field(i)
			if !f.Embedded() {
				b.WriteString(f.Name())
				b.WriteByte(' ')
			}
			w.writeType(b, f.Type())
		}
		b.WriteByte('}')
	case *types.Interface:
		w.writeInterface(b, t)
	case *types.Union:
		for i := range t.Len() {
			if i > 0 {
				b.WriteString(" | ")
			}
			if t.Term(i).Tilde() {
				b.WriteByte('~')
			}
			w.writeType(b, t.Term(i).Type())
		}
	default:
		// No other kind of type can be spelled in a declaration; say so
		// rather than write something that looks right.
		fmt.Fprintf(b, "<%T>", t)
	}
}

// writeChan writes a channel type, with the parentheses that keep
// chan (<-chan T) from reading as chan<- chan T.
func (w *lineWriter) writeChan(b *strings.Builder, t *types.Chan) {
	switch t.Dir() {
	case types.SendOnly:
		b.WriteString("chan<- ")
	case types.RecvOnly:
		b.WriteString("<-chan ")
	default:
		b.WriteString("chan ")
	}
	if e, ok := t.Elem().(*types.Chan); ok && t.Dir() == types.SendRecv && e.Dir() == types.RecvOnly {
		b.WriteByte('(')
		w.writeType(b, e)
		b.WriteByte(')')
		return
	}
	w.writeType(b, t.Elem())
}

// writeInterface writes an interface literal: "any" for the empty one, the
// bare union of an implicit constraint ([T ~int | ~string]), else its
// embedded types and explicit methods.
func (w *lineWriter) writeInterface(b *strings.Builder, t *types.Interface) {
	if t.Empty() {
		b.WriteString("any")
		return
	}
	if t.IsImplicit() && t.NumEmbeddeds() == 1 {
		w.writeType(b, t.EmbeddedType(0))
		return
	}
	b.WriteString("interface{")
	n := 0
	for e := range t.EmbeddedTypes() {
		if n > 0 {
			b.WriteString("; ")
		}
		w.writeType(b, e)
		n++
	}
	for m := range t.ExplicitMethods() {
		if n > 0 {
			b.WriteString("; ")
		}
		b.WriteString(m.Name())
		b.WriteString(w.signature(m.Type().(*types.Signature)))
		n++
	}
	b.WriteByte('}')
}

// writeName writes a named type or alias, qualified unless it is this
// package's, with its type arguments.
func (w *lineWriter) writeName(b *strings.Builder, obj *types.TypeName, args *types.TypeList) {
	if p := obj.Pkg(); p != nil && p != w.pkg {
		b.WriteString(p.Name())
		b.WriteByte('.')
	}
	b.WriteString(obj.Name())
	if args.Len() > 0 {
		b.WriteByte('[')
		for i := range args.Len() {
			if i > 0 {
				b.WriteString(", ")
			}
			w.writeType(b, args.At(i))
		}
		b.WriteByte(']')
	}
}

// signature writes a function's parameters and results, without the
// receiver: "(string, ...int) (T, error)".
func (w *lineWriter) signature(sig *types.Signature) string {
	var b strings.Builder
	b.WriteByte('(')
	params := sig.Params()
	for i := range params.Len() {
		if i > 0 {
			b.WriteString(", ")
		}
		t := params.At(i).Type()
		if sig.Variadic() && i == params.Len()-1 {
			b.WriteString("...")
			t = t.(*types.Slice).Elem()
		}
		w.writeType(&b, t)
	}
	b.WriteByte(')')
	switch res := sig.Results(); res.Len() {
	case 0:
	case 1:
		b.WriteByte(' ')
		w.writeType(&b, res.At(0).Type())
	default:
		b.WriteString(" (")
		for i := range res.Len() {
			if i > 0 {
				b.WriteString(", ")
			}
			w.writeType(&b, res.At(i).Type())
		}
		b.WriteByte(')')
	}
	return b.String()
}

// typeParams writes a type parameter list, "[K comparable, V any]", or
// nothing for a list that is empty.
func (w *lineWriter) typeParams(tp *types.TypeParamList) string {
	if tp.Len() == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteByte('[')
	for i := range tp.Len() {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(tp.At(i).Obj().Name())
		b.WriteByte(' ')
		w.writeType(&b, tp.At(i).Constraint())
	}
	b.WriteByte(']')
	return b.String()
}
