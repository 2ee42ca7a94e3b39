package natsbus

// Reading into Go types: the fields of a registered struct and everything
// they hold. Each type gets a typeReader, compiled once, that writes a
// value straight into a variable of the type through its address, as the
// core's cloner does, rather than through a reflect.Value for every field
// and element. reflect is left for what needs it (making maps and most
// slices, checking that a dynamic type implements an interface).
//
// Memory holding pointers is only written with typed assignments
// (*(*string)(p) = s, *(*unsafe.Pointer)(p) = q, or reflect's Set), so the
// garbage collector sees every pointer stored.

import (
	"fmt"
	"math"
	"reflect"
	"strconv"
	"sync"
	"time"
	"unsafe"

	"github.com/seed01aa7ee5/msgport"
	"github.com/vmihailenco/msgpack/v5/msgpcode"
)

// typeReader reads one value into a variable of type t, converting as the
// package documentation says (an integer within the range of an integer
// type, any number rounded into a float) and failing otherwise.
type typeReader struct {
	t    reflect.Type
	op   readOp      // how to read a value that is not nil
	elem *typeReader // of an array's, slice's or map's elements, or what a pointer points to
	key  *typeReader // of a map's keys
	// Of a struct: the exported fields, as structInfo lists them.
	si     *structInfo
	fields []fieldReader
	// boxType is the type word of an interface holding a t, if it holds
	// it through a pointer to a copy (see box); nil if the pointer is the
	// value.
	boxType unsafe.Pointer
}

// eface is the layout of an empty interface.
type eface struct {
	typ, data unsafe.Pointer
}

// box returns the value of the variable at p in an interface. p must be
// the address of a variable of its own that nothing else refers to: the
// interface is made to hold it, instead of a copy, where Go's interfaces
// hold a pointer to a copy.
func (r *typeReader) box(p unsafe.Pointer) any {
	if r.boxType == nil {
		return r.value(p).Interface()
	}
	var x any
	*(*eface)(unsafe.Pointer(&x)) = eface{r.boxType, p}
	return x
}

// readOp is how a typeReader reads. readAt dispatches on it with a switch
// rather than calling a function value, through which the decoder would
// escape to the heap.
type readOp uint8

const (
	opNone readOp = iota // Func, Chan, UnsafePointer: only nil travels
	opBool
	opSigned
	opUnsigned
	opFloat
	opComplex
	opString
	opInterface
	opAnySlice
	opSlice
	opStrings // a slice of strings
	opArray
	opAnyMap
	opMap
	opTime
	opStruct
	opBuffer
	opPointer
)

type fieldReader struct {
	offset uintptr
	r      *typeReader
}

var (
	readers   sync.Map   // reflect.Type -> *typeReader, complete
	compileMu sync.Mutex // held while compiling
)

// readerOf returns the reader of t.
func readerOf(t reflect.Type) *typeReader {
	if r, ok := readers.Load(t); ok {
		return r.(*typeReader)
	}
	compileMu.Lock()
	defer compileMu.Unlock()
	pending := make(map[reflect.Type]*typeReader)
	r := compileReader(t, pending)
	// Published only once complete: a recursive type's readers point at
	// each other.
	for t, r := range pending {
		readers.Store(t, r)
	}
	return r
}

func compileReader(t reflect.Type, pending map[reflect.Type]*typeReader) *typeReader {
	if r, ok := readers.Load(t); ok {
		return r.(*typeReader)
	}
	if r, ok := pending[t]; ok {
		return r // a recursive type: being compiled further up
	}
	r := &typeReader{t: t}
	pending[t] = r
	switch t.Kind() {
	case reflect.Bool:
		r.op = opBool
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		r.op = opSigned
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		r.op = opUnsigned
	case reflect.Float32, reflect.Float64:
		r.op = opFloat
	case reflect.Complex64, reflect.Complex128:
		r.op = opComplex
	case reflect.String:
		r.op = opString
	case reflect.Interface:
		r.op = opInterface
	case reflect.Slice:
		r.elem = compileReader(t.Elem(), pending)
		switch {
		case t == anySliceType:
			r.op = opAnySlice
		case t.Elem().Kind() == reflect.String:
			r.op = opStrings
		default:
			r.op = opSlice
		}
	case reflect.Array:
		r.elem = compileReader(t.Elem(), pending)
		r.op = opArray
	case reflect.Map:
		r.op = opAnyMap
		if t != anyMapType {
			r.key, r.elem = compileReader(t.Key(), pending), compileReader(t.Elem(), pending)
			r.op = opMap
		}
	case reflect.Struct:
		r.op = opTime
		if t != timeType {
			r.si = structInfoOf(t)
			r.fields = make([]fieldReader, len(r.si.fields))
			for i, f := range r.si.fields {
				sf := t.Field(f.index)
				r.fields[i] = fieldReader{sf.Offset, compileReader(sf.Type, pending)}
			}
			r.op = opStruct
			// How Go boxes a t is observed, as the rule has changed between
			// releases: a zero value boxed through a pointer has a data
			// word; one whose pointer is the value has none.
			z := reflect.Zero(t).Interface()
			if e := *(*eface)(unsafe.Pointer(&z)); e.data != nil {
				r.boxType = e.typ
			}
		}
	case reflect.Pointer:
		r.op = opBuffer
		if t != bufferType {
			r.elem = compileReader(t.Elem(), pending)
			r.op = opPointer
		}
	}
	return r
}

// readAt reads one value into the variable at p, of r's type; a nil sets
// it to its zero value.
func (d *decoder) readAt(r *typeReader, p unsafe.Pointer, depth int) error {
	if depth > maxDepth {
		return d.errorf("nested deeper than %d levels", maxDepth)
	}
	c, err := d.r.peek()
	if err != nil {
		return err
	}
	if c == msgpcode.Nil {
		d.r.off++
		r.value(p).SetZero()
		return nil
	}
	switch r.op {
	case opBool:
		return readBool(d, r, p, c)
	case opSigned, opUnsigned:
		return readInteger(d, r, p, c)
	case opFloat:
		return readFloat(d, r, p, c)
	case opComplex:
		return readComplex(d, r, p, depth)
	case opString:
		return readStringInto(d, r, p, c)
	case opInterface:
		return readInterface(d, r, p, depth)
	case opAnySlice:
		if isArray(c) {
			x, err := d.readAny(depth)
			if err == nil {
				*(*[]any)(p) = x.([]any)
			}
			return err
		}
		return readSlice(d, r, p, c, depth)
	case opSlice:
		return readSlice(d, r, p, c, depth)
	case opStrings:
		return readStrings(d, r, p, depth)
	case opArray:
		return readArray(d, r, p, c, depth)
	case opAnyMap:
		return readAnyMapInto(d, r, p, depth)
	case opMap:
		return readMap(d, r, p, depth)
	case opTime:
		return readTime(d, r, p, c, depth)
	case opStruct:
		return readStruct(d, r, p, c, depth)
	case opBuffer:
		return readBuffer(d, r, p, depth)
	case opPointer:
		return readPointer(d, r, p, depth)
	}
	return d.mismatch(c, r.t)
}

// value is the variable at p as a settable reflect.Value.
func (r *typeReader) value(p unsafe.Pointer) reflect.Value {
	return reflect.NewAt(r.t, p).Elem()
}

func readBool(d *decoder, r *typeReader, p unsafe.Pointer, c byte) error {
	if c != msgpcode.False && c != msgpcode.True {
		return d.mismatch(c, r.t)
	}
	d.r.off++
	*(*bool)(p) = c == msgpcode.True
	return nil
}

// readInteger reads an integer into a signed (opSigned) or unsigned
// integer of any size.
func readInteger(d *decoder, r *typeReader, p unsafe.Pointer, c byte) error {
	if !isInt(c) {
		return d.mismatch(c, r.t)
	}
	n, err := d.r.readInt()
	if err != nil {
		return err
	}
	bits := 8 * r.t.Size()
	overflows := n.neg || n.u<<(64-bits)>>(64-bits) != n.u
	if r.op == opSigned {
		overflows = (!n.neg && n.u > math.MaxInt64) || n.i<<(64-bits)>>(64-bits) != n.i
	}
	if overflows {
		return d.errorf("integer overflows %s", r.t)
	}
	// n.i holds the value's two's complement bits, whatever its sign.
	switch bits {
	case 8:
		*(*uint8)(p) = uint8(n.i)
	case 16:
		*(*uint16)(p) = uint16(n.i)
	case 32:
		*(*uint32)(p) = uint32(n.i)
	default:
		*(*uint64)(p) = uint64(n.i)
	}
	return nil
}

func readFloat(d *decoder, r *typeReader, p unsafe.Pointer, c byte) error {
	x, err := d.readNumber(c, r.t)
	if err != nil {
		return err
	}
	if r.t.Kind() == reflect.Float64 {
		*(*float64)(p) = x
		return nil
	}
	if !math.IsInf(x, 0) && math.Abs(x) > math.MaxFloat32 {
		return d.errorf("float overflows %s", r.t)
	}
	*(*float32)(p) = float32(x)
	return nil
}

func readComplex(d *decoder, r *typeReader, p unsafe.Pointer, depth int) error {
	x, err := d.readAny(depth)
	if err != nil {
		return err
	}
	var z complex128
	switch x := x.(type) {
	case complex64:
		z = complex128(x)
	case complex128:
		z = x
	default:
		return d.errorf("want %s, got a %T", r.t, x)
	}
	if r.t.Kind() == reflect.Complex64 {
		*(*complex64)(p) = complex64(z)
	} else {
		*(*complex128)(p) = z
	}
	return nil
}

func readStringInto(d *decoder, r *typeReader, p unsafe.Pointer, c byte) error {
	if !msgpcode.IsString(c) && !msgpcode.IsBin(c) {
		return d.mismatch(c, r.t)
	}
	b, _, err := d.r.readStringBytes()
	if err != nil {
		return err
	}
	*(*string)(p) = string(b)
	return nil
}

// readInterface reads a value by the package documentation's table; into a
// non-empty interface, only one whose type implements it.
func readInterface(d *decoder, r *typeReader, p unsafe.Pointer, depth int) error {
	x, err := d.readAny(depth)
	if err != nil {
		return err
	}
	if r.t.NumMethod() == 0 {
		*(*any)(p) = x
		return nil
	}
	if x == nil {
		r.value(p).SetZero()
		return nil
	}
	xv := reflect.ValueOf(x)
	if !xv.Type().AssignableTo(r.t) {
		return d.errorf("want %s, got a %s", r.t, xv.Type())
	}
	r.value(p).Set(xv)
	return nil
}

// readAnyMapInto reads a map[string]any with readAny, which builds it
// without reflection (as it does a []any, see readAt).
func readAnyMapInto(d *decoder, r *typeReader, p unsafe.Pointer, depth int) error {
	x, err := d.readAny(depth)
	if err != nil {
		return err
	}
	m, ok := x.(map[string]any)
	if !ok {
		return d.errorf("want %s, got a %T", r.t, x)
	}
	*(*map[string]any)(p) = m
	return nil
}

func readSlice(d *decoder, r *typeReader, p unsafe.Pointer, c byte, depth int) error {
	v := r.value(p)
	if r.t.Elem().Kind() == reflect.Uint8 && (msgpcode.IsBin(c) || msgpcode.IsString(c)) {
		b, _, err := d.r.readStringBytes()
		if err != nil {
			return err
		}
		s := reflect.MakeSlice(r.t, len(b), len(b))
		copy(s.Bytes(), b)
		v.Set(s)
		return nil
	}
	n, err := d.r.readArrayLen()
	if err != nil {
		return err
	}
	if n == 0 {
		v.Set(reflect.MakeSlice(r.t, 0, 0)) // empty, not nil
		return nil
	}
	// Grown in place: MakeSlice and Set would allocate a slice header too.
	v.SetZero()
	v.Grow(n)
	v.SetLen(n)
	return d.readElems(r.elem, v.UnsafePointer(), n, depth)
}

// readStrings reads a slice of strings, made with make: reflect's Grow,
// which readSlice needs for other element types, costs more.
func readStrings(d *decoder, r *typeReader, p unsafe.Pointer, depth int) error {
	n, err := d.r.readArrayLen()
	if err != nil {
		return err
	}
	s := make([]string, n) // empty, not nil, for n == 0
	*(*[]string)(p) = s    // []T of any string type T: the same layout
	return d.readElems(r.elem, unsafe.Pointer(unsafe.SliceData(s)), n, depth)
}

// readElems reads n elements into the array at p.
func (d *decoder) readElems(r *typeReader, p unsafe.Pointer, n, depth int) error {
	size := r.t.Size()
	for i := range n {
		if err := d.readAt(r, unsafe.Add(p, uintptr(i)*size), depth+1); err != nil {
			return atPath(err, "["+strconv.Itoa(i)+"]")
		}
	}
	return nil
}

func readArray(d *decoder, r *typeReader, p unsafe.Pointer, c byte, depth int) error {
	if r.t.Elem().Kind() == reflect.Uint8 && msgpcode.IsBin(c) {
		b, _, err := d.r.readStringBytes()
		if err != nil {
			return err
		}
		if len(b) != r.t.Len() {
			return d.errorf("want %s, got %d bytes", r.t, len(b))
		}
		copy(unsafe.Slice((*byte)(p), len(b)), b) // pointer-free
		return nil
	}
	n, err := d.r.readArrayLen()
	if err != nil {
		return err
	}
	if n != r.t.Len() {
		return d.errorf("want %s, got an array of %d", r.t, n)
	}
	return d.readElems(r.elem, p, n, depth)
}

func readMap(d *decoder, r *typeReader, p unsafe.Pointer, depth int) error {
	n, err := d.r.readMapLen()
	if err != nil {
		return err
	}
	m := reflect.MakeMapWithSize(r.t, n)
	// One key and one element, reset for each entry: SetMapIndex copies
	// them.
	kp, ep := reflect.New(r.key.t), reflect.New(r.elem.t)
	k, e := kp.Elem(), ep.Elem()
	check := mayHoldIncomparable(r.key.t)
	for range n {
		k.SetZero()
		e.SetZero()
		if err := d.readAt(r.key, kp.UnsafePointer(), depth+1); err != nil {
			return atPath(err, "(key)")
		}
		if check && !k.Comparable() {
			return d.errorf("map key of type %s holds a value that is not comparable", r.key.t)
		}
		if err := d.readAt(r.elem, ep.UnsafePointer(), depth+1); err != nil {
			return atPath(err, fmt.Sprintf("[%#v]", k))
		}
		m.SetMapIndex(k, e)
	}
	r.value(p).Set(m)
	return nil
}

func readTime(d *decoder, r *typeReader, p unsafe.Pointer, c byte, depth int) error {
	if !msgpcode.IsExt(c) {
		return d.mismatch(c, r.t)
	}
	x, err := d.readAny(depth)
	if err != nil {
		return err
	}
	tm, ok := x.(time.Time)
	if !ok {
		return d.errorf("want %s, got a %T", r.t, x)
	}
	*(*time.Time)(p) = tm
	return nil
}

// readStruct reads a struct from its registered-struct extension (which
// must name its type) or from a map of field names.
func readStruct(d *decoder, r *typeReader, p unsafe.Pointer, c byte, depth int) error {
	if !msgpcode.IsExt(c) {
		if !isMap(c) {
			return d.mismatch(c, r.t)
		}
		return d.readFields(r, p, depth)
	}
	typ, n, err := d.r.readExtHeader()
	if err != nil {
		return err
	}
	if typ != extStruct && typ != extStructPtr {
		return d.errorf("want %s, got extension %d", r.t, typ)
	}
	end := d.r.off + n
	name, err := d.r.readString()
	if err != nil {
		return err
	}
	if want := r.t.PkgPath() + "." + r.t.Name(); name != want {
		return d.errorf("want %s, got a %s", r.t, name)
	}
	// The extension adds no level (see readRegistered); a pointer to the
	// struct was counted by readPointer.
	if err := d.readFields(r, p, depth); err != nil {
		return err
	}
	if d.r.off != end {
		return d.errorf("extension %d of %d bytes holds %d", typ, n, d.r.off-(end-n))
	}
	return nil
}

// readFields reads a map of field names into the struct at p, of r's
// type. Names it does not have are skipped; fields the map does not name
// keep their value.
func (d *decoder) readFields(r *typeReader, p unsafe.Pointer, depth int) error {
	n, err := d.r.readMapLen()
	if err != nil || n < 0 {
		return err
	}
	for next := range n {
		key, ok, err := d.r.readStringBytes()
		if err != nil {
			return err
		}
		if !ok {
			return d.errorf("want a field name, got nil")
		}
		// Fields arrive in the order the encoder writes them, that of the
		// struct, unless the sender's type differs: the map is for those.
		i, found := next, next < len(r.fields) && r.si.fields[next].name == string(key)
		if !found {
			i, found = r.si.byName[string(key)]
		}
		if !found {
			if err := d.skip(depth + 1); err != nil {
				return err
			}
			continue
		}
		f := r.fields[i]
		if err := d.readAt(f.r, unsafe.Add(p, f.offset), depth+1); err != nil {
			return atPath(err, "."+r.si.fields[i].name)
		}
	}
	return nil
}

func readBuffer(d *decoder, r *typeReader, p unsafe.Pointer, depth int) error {
	x, err := d.readAny(depth)
	if err != nil {
		return err
	}
	b, ok := x.(*msgport.Buffer)
	if !ok {
		return d.errorf("want %s, got a %T", r.t, x)
	}
	*(**msgport.Buffer)(p) = b
	return nil
}

func readPointer(d *decoder, r *typeReader, p unsafe.Pointer, depth int) error {
	q := reflect.New(r.elem.t).UnsafePointer()
	if err := d.readAt(r.elem, q, depth+1); err != nil {
		return err
	}
	*(*unsafe.Pointer)(p) = q
	return nil
}
