package clone

import (
	"fmt"
	"reflect"
	"sort"
	"time"

	"github.com/google/go-cmp/cmp"
)

// allFields makes cmp look at unexported fields too.
var allFields = cmp.Exporter(func(reflect.Type) bool { return true })

// span is a range of mutable memory reachable from a value.
type span struct{ lo, hi uintptr }

// sharesMutable reports the first place in b (as a path) whose mutable
// memory — a pointer target, a map, a slice's backing array — is also
// reachable from a, or "" if they share none. Error values in interfaces
// (passed on as is by design), *time.Location and reflect type
// descriptors (immutable) and zero-size targets are not counted.
func sharesMutable(a, b any) string {
	var spans []span
	collect := &spanWalker{visit: func(s span, _ string) bool { spans = append(spans, s); return false }}
	collect.walk(reflect.ValueOf(a), "")
	sort.Slice(spans, func(i, j int) bool { return spans[i].lo < spans[j].lo })
	found := ""
	check := &spanWalker{visit: func(s span, path string) bool {
		// any a-span with lo < s.hi and hi > s.lo overlaps.
		i := sort.Search(len(spans), func(i int) bool { return spans[i].lo >= s.hi })
		for j := i - 1; j >= 0; j-- {
			if spans[j].hi > s.lo {
				found = fmt.Sprintf("%q shares memory with the original", path)
				return true
			}
		}
		return false
	}}
	check.walk(reflect.ValueOf(b), "")
	return found
}

type spanWalker struct {
	visit func(s span, path string) bool // returns true to stop
	seen  map[span]bool
	stop  bool
}

var (
	locationType  = reflect.TypeFor[*time.Location]()
	rtypePtrTypeT = reflect.TypeOf(reflect.TypeFor[int]())
)

func (w *spanWalker) mark(s span, path string) bool {
	if w.seen == nil {
		w.seen = map[span]bool{}
	}
	if w.seen[s] {
		return false
	}
	w.seen[s] = true
	if w.visit(s, path) {
		w.stop = true
	}
	return !w.stop
}

func (w *spanWalker) walk(v reflect.Value, path string) {
	if w.stop || !v.IsValid() {
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() || v.Type() == locationType || v.Type() == rtypePtrTypeT || v.Type().Elem().Size() == 0 {
			return
		}
		p := v.Pointer()
		if w.mark(span{p, p + v.Type().Elem().Size()}, path) {
			w.walk(v.Elem(), path)
		}
	case reflect.UnsafePointer:
		if p := uintptr(v.UnsafePointer()); p != 0 {
			w.mark(span{p, p + 1}, path)
		}
	case reflect.Map:
		if v.IsNil() {
			return
		}
		p := v.Pointer()
		if !w.mark(span{p, p + 1}, path) {
			return
		}
		it := v.MapRange()
		for it.Next() {
			k := it.Key()
			seg := fmt.Sprintf("[%v]", k)
			w.walk(k, path+seg+"(key)")
			w.walk(it.Value(), path+seg)
		}
	case reflect.Slice:
		if v.IsNil() || v.Cap() == 0 || v.Type().Elem().Size() == 0 {
			for i := range v.Len() {
				w.walk(v.Index(i), fmt.Sprintf("%s[%d]", path, i))
			}
			return
		}
		p := v.Pointer()
		if !w.mark(span{p, p + uintptr(v.Cap())*v.Type().Elem().Size()}, path) {
			return
		}
		for i := range v.Len() {
			w.walk(v.Index(i), fmt.Sprintf("%s[%d]", path, i))
		}
	case reflect.Array:
		for i := range v.Len() {
			w.walk(v.Index(i), fmt.Sprintf("%s[%d]", path, i))
		}
	case reflect.Struct:
		for i := range v.NumField() {
			w.walk(v.Field(i), path+"."+v.Type().Field(i).Name)
		}
	case reflect.Interface:
		if v.IsNil() || v.Elem().Type().Implements(errorType) {
			return
		}
		w.walk(v.Elem(), path)
	}
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
	t reflect.Type
}

type identityWalker struct {
	ab, ba map[ident]uintptr
	found  string
}

// pair records that a's object pa corresponds to b's pb; it returns false
// if both were already paired (walk no further) and sets found on a
// mismatch.
func (w *identityWalker) pair(pa, pb uintptr, t reflect.Type, path string) bool {
	if got, ok := w.ab[ident{pa, t}]; ok {
		if got != pb {
			w.found = path + ": one object in the original, two in the clone"
		}
		return false
	}
	if got, ok := w.ba[ident{pb, t}]; ok && got != pa {
		w.found = path + ": two objects in the original, one in the clone"
		return false
	}
	w.ab[ident{pa, t}] = pb
	w.ba[ident{pb, t}] = pa
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
		if w.pair(a.Pointer(), b.Pointer(), a.Type(), path) {
			w.walk(a.Elem(), b.Elem(), path)
		}
	case reflect.Map:
		if a.IsNil() != b.IsNil() {
			w.found = path + ": nil differs"
			return
		}
		if a.IsNil() || !w.pair(a.Pointer(), b.Pointer(), a.Type(), path) {
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
			if !w.pair(a.Pointer()^uintptr(a.Len())<<48, b.Pointer()^uintptr(b.Len())<<48, a.Type(), path) {
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
