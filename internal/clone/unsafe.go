package clone

// The few unsafe helpers the engine needs, in one place.
//
// The engine copies values through raw addresses (unsafe.Pointer) because
// going through reflect.Value for every field costs several times more.
// Three rules keep that sound:
//
//   - Memory holding pointers is only ever written with typed assignments
//     (*(*unsafe.Pointer)(p) = w, *(*string)(p) = s, the header structs
//     below) or with the runtime's typedmemmove/typedslicecopy, so the
//     garbage collector's write barriers see every pointer store. Raw byte
//     copies are used only for pointer-free memory.
//   - Plans never keep the dst or src addresses they are given; what they
//     keep in the memo or on the work stack are pointer values read from
//     the source and objects they allocated.
//   - The layouts relied upon are the documented ones of the Go ABI:
//     an interface is two words (type or itab, data), a slice header is
//     (data, len, cap), a reflect.Type is an interface whose data word is
//     the runtime type descriptor (*abi.Type), and an itab holds the
//     dynamic type in its second word.

import (
	"reflect"
	"unsafe"
)

// eface is the layout of an empty interface (any).
type eface struct {
	typ  unsafe.Pointer // *abi.Type
	data unsafe.Pointer
}

// iface is the layout of an interface with methods.
type iface struct {
	tab  unsafe.Pointer // *abi.ITab
	data unsafe.Pointer
}

// sliceHeader is the layout of a slice.
type sliceHeader struct {
	data unsafe.Pointer
	len  int
	cap  int
}

// zeroBase is where empty, non-nil slices of the clone point: like the
// runtime's own zero-size allocations it is never written through.
var zeroBase [0]uint64

// rtypeOf returns the runtime type descriptor behind t.
func rtypeOf(t reflect.Type) unsafe.Pointer {
	return (*iface)(unsafe.Pointer(&t)).data
}

// typeOfRT is the inverse of rtypeOf.
func typeOfRT(rt unsafe.Pointer) reflect.Type {
	var x any
	(*eface)(unsafe.Pointer(&x)).typ = rt
	return reflect.TypeOf(x)
}

// itabType returns the dynamic type recorded in an itab. abi.ITab is
// {Inter *InterfaceType; Type *Type; Hash uint32; Fun [1]uintptr}.
func itabType(tab unsafe.Pointer) unsafe.Pointer {
	return *(*unsafe.Pointer)(unsafe.Add(tab, unsafe.Sizeof(uintptr(0))))
}

// efaceOf returns the words of an empty interface.
func efaceOf(v *any) eface { return *(*eface)(unsafe.Pointer(v)) }

// makeEface builds an empty interface from its words.
func makeEface(typ, data unsafe.Pointer) (v any) {
	*(*eface)(unsafe.Pointer(&v)) = eface{typ, data}
	return v
}

// isDirectIface reports whether values of t are stored directly in an
// interface's data word (pointer-shaped types) rather than boxed. The rule
// is the compiler's and has changed between releases, so it is observed
// rather than recomputed: the zero value of a direct type leaves the data
// word nil, while a boxed zero value points at zeroed memory.
func isDirectIface(t reflect.Type) bool {
	if t.Kind() == reflect.Interface {
		return false // boxing an interface stores its dynamic value
	}
	z := reflect.Zero(t).Interface()
	return efaceOf(&z).data == nil
}

// cloneBytes returns a fresh, pointer-free copy of the size bytes at src.
// Used only for types without pointers. make+copy in this form does not
// zero the memory first, and the allocation is aligned for any element
// type whose size is a multiple of its alignment (every Go type's is).
func cloneBytes(src unsafe.Pointer, size uintptr) unsafe.Pointer {
	if size == 0 {
		return unsafe.Pointer(&zeroBase)
	}
	s := unsafe.Slice((*byte)(src), size)
	b := make([]byte, len(s))
	copy(b, s)
	return unsafe.Pointer(unsafe.SliceData(b))
}

// memmove copies size bytes of pointer-free memory.
func memmove(dst, src unsafe.Pointer, size uintptr) {
	copy(unsafe.Slice((*byte)(dst), size), unsafe.Slice((*byte)(src), size))
}
