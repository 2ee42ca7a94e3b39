// Package sharecheck finds mutable memory that a clone shares with its
// original. The tests of msgport and of its clone engine use it to check
// that a structured clone is a deep copy.
package sharecheck

import (
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
	"time"
)

// maxShared is how many places Shared reports at most.
const maxShared = 5

var (
	errorType = reflect.TypeFor[error]()
	// Shared by design and never walked: immutable descriptors.
	alwaysOpaque = []reflect.Type{
		reflect.TypeFor[*time.Location](),
		reflect.TypeOf(reflect.TypeFor[int]()), // *reflect.rtype
	}
)

// Shared returns the paths (at most five), as Go would reach them from the
// root of clone, where clone reaches mutable memory — a pointer target, a
// map, a slice's backing array — that overlaps memory orig reaches. Nil
// means none. Strings, error values held in interfaces (passed on as they
// are by design), *time.Location, type descriptors, zero-size targets and
// pointers of the opaque types are not counted or looked into. Values may
// be arbitrarily deep.
func Shared(orig, clone any, opaque ...reflect.Type) []string {
	skip := map[reflect.Type]bool{}
	for _, t := range append(opaque, alwaysOpaque...) {
		skip[t] = true
	}
	type span struct{ lo, hi uintptr }
	var spans []span
	walk(orig, skip, func(lo, size uintptr, _ func() string) { spans = append(spans, span{lo, lo + size}) })
	sort.Slice(spans, func(i, j int) bool { return spans[i].lo < spans[j].lo })
	maxHi := make([]uintptr, len(spans)) // the highest end among spans[:i+1]
	for i, s := range spans {
		maxHi[i] = s.hi
		if i > 0 {
			maxHi[i] = max(maxHi[i-1], s.hi)
		}
	}
	var shared []string
	walk(clone, skip, func(lo, size uintptr, path func() string) {
		// The last original span starting before this one ends; any
		// overlap shows in the highest end up to it.
		i := sort.Search(len(spans), func(i int) bool { return spans[i].lo >= lo+size }) - 1
		if i >= 0 && maxHi[i] > lo && len(shared) < maxShared {
			shared = append(shared, path())
		}
	})
	return shared
}

// walk calls fn for every distinct piece of mutable memory reachable from
// v with its address, its size and its path. It uses an explicit stack.
func walk(v any, opaque map[reflect.Type]bool, fn func(addr, size uintptr, path func() string)) {
	type item struct {
		v      reflect.Value
		parent *item
		seg    string
		key    reflect.Value // for a map entry: its key, printed only when asked
		isKey  bool
	}
	pathOf := func(it *item) func() string {
		return func() string {
			var segs []string
			for ; it != nil; it = it.parent {
				seg := it.seg
				switch k := it.key; {
				case k.Kind() == reflect.String:
					seg = fmt.Sprintf("[%q]", k)
				case k.IsValid():
					seg = fmt.Sprintf("[%v]", k)
				}
				if it.isKey {
					seg += "(key)"
				}
				segs = append(segs, seg)
			}
			slices.Reverse(segs)
			return strings.Join(segs, "")
		}
	}
	type key struct {
		p uintptr
		n int
		t reflect.Type
	}
	seen := map[key]bool{}
	first := func(k key) bool { // reports whether k is met for the first time
		if seen[k] {
			return false
		}
		seen[k] = true
		return true
	}
	stack := []*item{{v: reflect.ValueOf(&v).Elem()}} // the interface, so a root error is seen as one
	for len(stack) > 0 {
		it := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		x := it.v
		if !x.IsValid() {
			continue
		}
		push := func(c reflect.Value, seg string) { stack = append(stack, &item{v: c, parent: it, seg: seg}) }
		pushElems := func(x reflect.Value) { // of an array or slice
			if hasRefs(x.Type().Elem()) {
				for i := range x.Len() {
					push(x.Index(i), fmt.Sprintf("[%d]", i))
				}
			}
		}
		switch x.Kind() {
		case reflect.Pointer:
			if x.IsNil() || opaque[x.Type()] || !first(key{x.Pointer(), 0, x.Type()}) {
				continue
			}
			if size := x.Type().Elem().Size(); size > 0 {
				fn(x.Pointer(), size, pathOf(it))
			}
			push(x.Elem(), "")
		case reflect.UnsafePointer:
			if p := uintptr(x.UnsafePointer()); p != 0 {
				fn(p, 1, pathOf(it))
			}
		case reflect.Interface:
			if x.IsNil() || x.Elem().Type().Implements(errorType) {
				continue
			}
			push(x.Elem(), "")
		case reflect.Struct:
			if !hasRefs(x.Type()) {
				continue
			}
			for i := range x.NumField() {
				push(x.Field(i), "."+x.Type().Field(i).Name)
			}
		case reflect.Array:
			pushElems(x)
		case reflect.Slice:
			if x.IsNil() || !first(key{x.Pointer(), x.Len(), x.Type()}) {
				continue
			}
			if size := uintptr(x.Cap()) * x.Type().Elem().Size(); size > 0 {
				fn(x.Pointer(), size, pathOf(it))
			}
			pushElems(x)
		case reflect.Map:
			if x.IsNil() || !first(key{x.Pointer(), 0, x.Type()}) {
				continue
			}
			fn(x.Pointer(), 1, pathOf(it))
			for r := x.MapRange(); r.Next(); {
				stack = append(stack, &item{v: r.Key(), parent: it, key: r.Key(), isKey: true},
					&item{v: r.Value(), parent: it, key: r.Key()})
			}
		}
	}
}

// hasRefs reports whether values of type t can reach mutable memory.
func hasRefs(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Pointer, reflect.Interface, reflect.Slice, reflect.Map, reflect.UnsafePointer:
		return true
	case reflect.Array:
		return hasRefs(t.Elem())
	case reflect.Struct:
		for i := range t.NumField() {
			if hasRefs(t.Field(i).Type) {
				return true
			}
		}
	}
	return false
}
