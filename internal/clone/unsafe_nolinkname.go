//go:build clone_nolinkname

package clone

// Allocation and typed copies through the public reflect API; the default
// build uses the runtime's entry points instead (unsafe_linkname.go).

import (
	"reflect"
	"unsafe"
)

// newObject allocates a zeroed value of p's type.
func newObject(p *plan) unsafe.Pointer { return reflect.New(p.t).UnsafePointer() }

// newArray allocates a zeroed array of n values of elem's type.
func newArray(elem *plan, n int) unsafe.Pointer {
	return reflect.MakeSlice(reflect.SliceOf(elem.t), n, n).UnsafePointer()
}

// typedmemmove copies a value of p's type from src to dst, with write
// barriers.
func typedmemmove(p *plan, dst, src unsafe.Pointer) {
	reflect.NewAt(p.t, dst).Elem().Set(reflect.NewAt(p.t, src).Elem())
}

// typedslicecopy copies n values of elem's type from src to dst, with
// write barriers.
func typedslicecopy(elem *plan, dst, src unsafe.Pointer, n int) {
	st := reflect.SliceOf(elem.t)
	d := sliceHeader{dst, n, n}
	s := sliceHeader{src, n, n}
	reflect.Copy(reflect.NewAt(st, unsafe.Pointer(&d)).Elem(), reflect.NewAt(st, unsafe.Pointer(&s)).Elem())
}

// noescape returns p; without the runtime's entry points the compiler
// sees the flow, so Typed's argument and result live on the heap.
func noescape(p unsafe.Pointer) unsafe.Pointer { return p }
