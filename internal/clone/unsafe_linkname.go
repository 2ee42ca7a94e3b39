//go:build !clone_nolinkname

package clone

// Allocation and typed copies through the runtime's reflect entry points.
//
// reflect.unsafe_New, reflect.unsafe_NewArray, reflect.typedmemmove and
// reflect.typedslicecopy are implemented in the runtime, which keeps them
// linkable for widely used packages ("Do not remove or change the type
// signature", go.dev/issue/67401). Against the public reflect API they
// save, per call: the pointer-type lookup of reflect.New, the second
// allocation of reflect.MakeSlice (its slice header), and building two
// reflect.Values for a typed copy. Build with -tags clone_nolinkname to use
// the public API instead (see unsafe_nolinkname.go); the benchmarks in
// clone_bench_test.go compare the two.

import (
	"reflect"
	"unsafe"
)

//go:linkname reflect_unsafe_New reflect.unsafe_New
//go:noescape
func reflect_unsafe_New(typ unsafe.Pointer) unsafe.Pointer

//go:linkname reflect_unsafe_NewArray reflect.unsafe_NewArray
//go:noescape
func reflect_unsafe_NewArray(typ unsafe.Pointer, n int) unsafe.Pointer

//go:linkname reflect_typedmemmove reflect.typedmemmove
//go:noescape
func reflect_typedmemmove(typ, dst, src unsafe.Pointer)

//go:linkname reflect_typedslicecopy reflect.typedslicecopy
//go:noescape
func reflect_typedslicecopy(elemType unsafe.Pointer, dst, src sliceHeader) int

// newObject allocates a zeroed value of p's type.
func newObject(p *plan) unsafe.Pointer { return reflect_unsafe_New(p.rt) }

// newArray allocates a zeroed array of n values of elem's type.
func newArray(elem *plan, n int) unsafe.Pointer { return reflect_unsafe_NewArray(elem.rt, n) }

// typedmemmove copies a value of p's type from src to dst, with write
// barriers.
func typedmemmove(p *plan, dst, src unsafe.Pointer) { reflect_typedmemmove(p.rt, dst, src) }

// typedslicecopy copies n values of elem's type from src to dst, with
// write barriers.
func typedslicecopy(elem *plan, dst, src unsafe.Pointer, n int) {
	reflect_typedslicecopy(elem.rt, sliceHeader{dst, n, n}, sliceHeader{src, n, n})
}

// noescape returns p, hiding it from escape analysis: the copy goes
// through reflect.typedmemmove, which is declared //go:noescape, so the
// compiler sees no flow from p to the result. Typed uses it to hand the
// addresses of its argument and result to plans, which are called
// indirectly and would otherwise move both to the heap (one allocation per
// call). It is sound because plans never retain the dst and src addresses
// they are given (see unsafe.go), and Typed makes the pointers held in its
// argument escape explicitly.
func noescape(p unsafe.Pointer) (q unsafe.Pointer) {
	reflect_typedmemmove(unsafePointerRT, unsafe.Pointer(&q), unsafe.Pointer(&p))
	return q
}

var unsafePointerRT = rtypeOf(reflect.TypeFor[unsafe.Pointer]())
