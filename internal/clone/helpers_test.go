package clone

import (
	"fmt"
	"reflect"

	"github.com/google/go-cmp/cmp"
	"github.com/seed01aa7ee5/msgport/internal/sharecheck"
)

// allFields makes cmp look at unexported fields too.
var allFields = cmp.Exporter(func(reflect.Type) bool { return true })

// sharesMutable reports the first place in b (as a path) whose mutable
// memory is also reachable from a, or "" if they share none (see
// sharecheck.Shared).
func sharesMutable(a, b any) string {
	if paths := sharecheck.Shared(a, b); len(paths) > 0 {
		return fmt.Sprintf("%q shares memory with the original", paths[0])
	}
	return ""
}

// identityShape reports the first place where the aliasing of pointers
// and maps in b differs from that in a: two references to one object in a
// must be two references to one object in b, and distinct objects must
// stay distinct. a and b must have the same shape (compare them with cmp
// first). Map entries are paired by key, so keys must not hold pointers.
func identityShape(a, b any) string {
	w := &identityWalker{ab: map[ident]uintptr{}, ba: map[ident]uintptr{}}
	w.walk(reflect.ValueOf(a), reflect.ValueOf(b), "")
	return w.found
}

type ident struct {
	p uintptr
	n int // a slice's length (a slice is its array's first n elements); 0 otherwise
	t reflect.Type
}

type identityWalker struct {
	ab, ba map[ident]uintptr
	found  string
}

// pair records that a's object pa corresponds to b's pb (for slices, the
// first n elements of the arrays at pa and pb); it returns false if both
// were already paired (walk no further) and sets found on a mismatch.
func (w *identityWalker) pair(pa, pb uintptr, n int, t reflect.Type, path string) bool {
	if got, ok := w.ab[ident{pa, n, t}]; ok {
		if got != pb {
			w.found = path + ": one object in the original, two in the clone"
		}
		return false
	}
	if got, ok := w.ba[ident{pb, n, t}]; ok && got != pa {
		w.found = path + ": two objects in the original, one in the clone"
		return false
	}
	w.ab[ident{pa, n, t}] = pb
	w.ba[ident{pb, n, t}] = pa
	return true
}

func (w *identityWalker) walk(a, b reflect.Value, path string) {
	if w.found != "" || !a.IsValid() || !b.IsValid() {
		return
	}
	if a.Type() != b.Type() {
		w.found = path + ": types differ"
		return
	}
	switch a.Kind() {
	case reflect.Pointer:
		if a.IsNil() != b.IsNil() {
			w.found = path + ": nil differs"
			return
		}
		if a.IsNil() || a.Type().Elem().Size() == 0 {
			return
		}
		if w.pair(a.Pointer(), b.Pointer(), 0, a.Type(), path) {
			w.walk(a.Elem(), b.Elem(), path)
		}
	case reflect.Map:
		if a.IsNil() != b.IsNil() {
			w.found = path + ": nil differs"
			return
		}
		if a.IsNil() || !w.pair(a.Pointer(), b.Pointer(), 0, a.Type(), path) {
			return
		}
		it := a.MapRange()
		for it.Next() {
			bv := b.MapIndex(it.Key())
			if !bv.IsValid() {
				w.found = fmt.Sprintf("%s[%v]: missing in the clone", path, it.Key())
				return
			}
			w.walk(it.Value(), bv, fmt.Sprintf("%s[%v]", path, it.Key()))
		}
	case reflect.Slice:
		if a.Len() != b.Len() {
			w.found = path + ": len differs"
			return
		}
		if a.Len() > 0 && a.Type().Elem().Size() > 0 {
			// An array met again with the same length is the same slice.
			if !w.pair(a.Pointer(), b.Pointer(), a.Len(), a.Type(), path) {
				return
			}
		}
		for i := range a.Len() {
			w.walk(a.Index(i), b.Index(i), fmt.Sprintf("%s[%d]", path, i))
		}
	case reflect.Array:
		for i := range a.Len() {
			w.walk(a.Index(i), b.Index(i), fmt.Sprintf("%s[%d]", path, i))
		}
	case reflect.Struct:
		for i := range a.NumField() {
			w.walk(a.Field(i), b.Field(i), path+"."+a.Type().Field(i).Name)
		}
	case reflect.Interface:
		if a.IsNil() != b.IsNil() {
			w.found = path + ": nil differs"
			return
		}
		if !a.IsNil() {
			w.walk(a.Elem(), b.Elem(), path)
		}
	}
}
