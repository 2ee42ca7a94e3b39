package natsbus

import (
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"time"

	"github.com/seed01aa7ee5/msgport"
)

// maxDepth bounds how deeply values nest, both ways: it keeps a cyclic
// value from recursing forever when sent and a hostile message from
// exhausting the stack when received. Encoder and decoder count levels
// alike: a slice, array, map or struct is one level and its elements or
// fields one deeper, a pointer one more, an interface none. Where the wire
// keeps no trace of a pointer (all but a *T of a registered struct, or a
// pointer in a field of a registered struct's declared type), only the
// encoder counts it, so a message that encodes is never too deep to decode.
const maxDepth = 10000

// errTooLarge is returned when an encoding passes its size limit.
var errTooLarge = errors.New("message too large")

// encoder appends one value to buf, naming registered types from reg.
type encoder struct {
	buf   []byte
	reg   *registry
	limit int // stop once buf is longer than this; 0 means no limit
	// typed is set while the receiver will read what is written into the
	// value's declared type (inside a registered struct) rather than by the
	// package documentation's table (in an interface).
	typed bool
	// original is set when the value is the sender's own, not its clone:
	// the encoding stops with errNotAsClone at a dynamic type that does
	// not encode as its clone would.
	original bool
}

func (e *encoder) errorf(format string, args ...any) error {
	return &pathError{err: fmt.Errorf(format, args...)}
}

// enter checks the bounds every value is written within.
func (e *encoder) enter(depth int) error {
	if depth > maxDepth {
		return e.errorf("nested deeper than %d levels (is it cyclic?)", maxDepth)
	}
	if e.limit > 0 && len(e.buf) > e.limit {
		return e.errorf("%w: over %d bytes", errTooLarge, e.limit)
	}
	return nil
}

func (e *encoder) encode(v reflect.Value, depth int) error {
	if err := e.enter(depth); err != nil {
		return err
	}
	var err error
	switch v.Kind() {
	case reflect.Invalid:
		e.buf = appendNil(e.buf)
	case reflect.Bool:
		e.buf = appendBool(e.buf, v.Bool())
	case reflect.Int8:
		e.buf = appendInt8(e.buf, int8(v.Int()))
	case reflect.Int16:
		e.buf = appendInt16(e.buf, int16(v.Int()))
	case reflect.Int32:
		e.buf = appendInt32(e.buf, int32(v.Int()))
	case reflect.Int, reflect.Int64:
		e.buf = appendInt(e.buf, v.Int())
	case reflect.Uint8:
		e.buf = appendUint8(e.buf, uint8(v.Uint()))
	case reflect.Uint16:
		e.buf = appendUint16(e.buf, uint16(v.Uint()))
	case reflect.Uint32:
		e.buf = appendUint32(e.buf, uint32(v.Uint()))
	case reflect.Uint, reflect.Uint64, reflect.Uintptr:
		e.buf = appendUint64(e.buf, v.Uint())
	case reflect.Float32:
		e.buf = appendFloat32(e.buf, float32(v.Float()))
	case reflect.Float64:
		e.buf = appendFloat64(e.buf, v.Float())
	case reflect.Complex64:
		c := v.Complex()
		e.buf = appendComplex64(e.buf, complex64(c))
	case reflect.Complex128:
		c := v.Complex()
		e.buf = appendComplex128(e.buf, c)
	case reflect.String:
		e.buf, err = appendString(e.buf, v.String())
	case reflect.Slice:
		if v.IsNil() {
			e.buf = appendNil(e.buf)
		} else if v.Type().Elem().Kind() == reflect.Uint8 {
			e.buf, err = appendBinHeader(e.buf, v.Len())
			e.buf = append(e.buf, v.Bytes()...)
		} else {
			err = e.encodeList(v, depth)
		}
	case reflect.Array:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			e.buf, err = appendBinHeader(e.buf, v.Len())
			for i := range v.Len() {
				e.buf = append(e.buf, byte(v.Index(i).Uint()))
			}
		} else {
			err = e.encodeList(v, depth)
		}
	case reflect.Map:
		err = e.encodeMap(v, depth)
	case reflect.Struct:
		err = e.encodeStruct(v, depth, extStruct)
	case reflect.Pointer:
		err = e.encodePointer(v, depth)
	case reflect.Interface:
		err = e.encodeInterface(v, depth)
	default: // Func, Chan, UnsafePointer
		if v.IsNil() {
			e.buf = appendNil(e.buf)
		} else {
			err = e.errorf("a %s cannot be sent", v.Type())
		}
	}
	return err
}

func (e *encoder) encodeList(v reflect.Value, depth int) error {
	n := v.Len()
	var err error
	if e.buf, err = appendArrayLen(e.buf, n); err != nil {
		return err
	}
	for i := range n {
		if err := e.encode(v.Index(i), depth+1); err != nil {
			return atPath(err, "["+strconv.Itoa(i)+"]")
		}
	}
	return nil
}

func (e *encoder) encodeMap(v reflect.Value, depth int) error {
	if v.Type() == anyMapType && v.CanInterface() {
		return e.encodeAnyMap(v.Interface().(map[string]any), depth)
	}
	if v.IsNil() {
		e.buf = appendNil(e.buf)
		return nil
	}
	var err error
	if e.buf, err = appendMapLen(e.buf, v.Len()); err != nil {
		return err
	}
	// SetIterKey and SetIterValue into two reused values allocate nothing
	// per entry, unlike MapIter.Key and Value.
	t := v.Type()
	k, x := reflect.New(t.Key()).Elem(), reflect.New(t.Elem()).Elem()
	// A key must also arrive as a value that can be a key, and as one that
	// no other key of the map arrives as.
	checkKeys := e.keysNeedCheck(t.Key())
	var arrived keySet
	if mayCollapse(t.Key(), e.typed) {
		arrived = make(keySet, v.Len())
	}
	for it := v.MapRange(); it.Next(); {
		k.SetIterKey(it)
		x.SetIterValue(it)
		start := len(e.buf)
		err := e.encode(k, depth+1)
		if err == nil && checkKeys {
			err = e.keyProblem(k, e.typed)
		}
		if err == nil && arrived != nil {
			err = e.addKey(arrived, k, e.buf[start:])
		}
		if err != nil {
			return atPath(err, fmt.Sprintf("[%#v](key)", k))
		}
		if err := e.encode(x, depth+1); err != nil {
			return atPath(err, fmt.Sprintf("[%#v]", k))
		}
	}
	return nil
}

// encodeStruct writes a struct: time.Time as a timestamp, a registered type
// as extension ext (extStruct or extStructPtr) holding its name and fields,
// any other struct as a map of its exported fields.
func (e *encoder) encodeStruct(v reflect.Value, depth int, ext int8) error {
	t := v.Type()
	if t == timeType {
		e.buf = appendTime(e.buf, v.Interface().(time.Time))
		return nil
	}
	rt := e.reg.byType[t]
	if rt == nil {
		return e.encodeFields(v, structInfoOf(t), depth)
	}
	return e.encodeRegistered(v, rt, depth, ext)
}

// encodeRegistered writes v, of the registered type rt, as extension ext.
func (e *encoder) encodeRegistered(v reflect.Value, rt *registered, depth int, ext int8) error {
	var start int
	var err error
	e.buf, start = appendExtStart(e.buf, ext)
	if e.buf, err = appendString(e.buf, rt.name); err != nil {
		return err
	}
	typed := e.typed
	e.typed = true // the receiver reads the fields into their declared types
	err = e.encodeFields(v, rt.r.si, depth)
	e.typed = typed
	if err != nil {
		return err
	}
	e.buf, err = finishExt(e.buf, start)
	return err
}

// encodeFields writes the fields si lists of the struct v as a map.
func (e *encoder) encodeFields(v reflect.Value, si *structInfo, depth int) error {
	var err error
	if e.buf, err = appendMapLen(e.buf, len(si.fields)); err != nil {
		return err
	}
	for _, f := range si.fields {
		e.buf, _ = appendString(e.buf, f.name) // Go names are short
		if err := e.encode(v.Field(f.index), depth+1); err != nil {
			return atPath(err, "."+f.name)
		}
	}
	return nil
}

func (e *encoder) encodePointer(v reflect.Value, depth int) error {
	if v.IsNil() {
		e.buf = appendNil(e.buf)
		return nil
	}
	t := v.Type()
	if t == bufferType {
		buf := v.Interface().(*msgport.Buffer)
		if buf.Detached() {
			return e.errorf("a detached *msgport.Buffer cannot be sent")
		}
		p := buf.Bytes()
		var start int
		e.buf, start = appendExtStart(e.buf, extBuffer)
		e.buf = append(e.buf, p...)
		var err error
		e.buf, err = finishExt(e.buf, start)
		return err
	}
	if rt := e.reg.byType[t.Elem()]; rt != nil {
		return e.encodeRegistered(v.Elem(), rt, depth+1, extStructPtr)
	}
	return e.encode(v.Elem(), depth+1)
}

// pathError is an encoding or decoding error with where in the value it
// happened, written as Go would reach it from the root: ".Items[2].Name",
// `["key"]`. Paths are cut to about maxPath bytes, keeping the steps
// nearest the error, so that a deeply nested value does not cost quadratic
// time to report.
type pathError struct {
	path string
	err  error
	cut  bool // steps nearer the root were left out
}

const (
	maxPath = 256
	maxStep = 64
)

func (e *pathError) Error() string {
	if e.path == "" {
		return e.err.Error()
	}
	return "at " + e.path + ": " + e.err.Error()
}

func (e *pathError) Unwrap() error { return e.err }

// atPath puts step in front of the path of err.
func atPath(err error, step string) error {
	pe, ok := err.(*pathError)
	if !ok {
		pe = &pathError{err: err}
	}
	switch {
	case pe.cut:
	case len(pe.path)+len(step) > maxPath:
		pe.path, pe.cut = "..."+pe.path, true
	case len(step) > maxStep:
		pe.path = step[:maxStep-3] + "..." + pe.path
	default:
		pe.path = step + pe.path
	}
	return pe
}

// encodeInterface writes the dynamic value of v (see encodeAny). Where the
// receiver reads v into its declared type, a non-empty interface, the
// value must arrive as a type that implements it (see implementsProblem).
func (e *encoder) encodeInterface(v reflect.Value, depth int) error {
	var err error
	switch {
	case v.IsNil():
		e.buf = appendNil(e.buf)
		return nil
	case v.CanInterface():
		err = e.encodeAny(v.Interface(), depth)
	default:
		err = e.encodeDynamic(v.Elem(), depth) // read through an unexported field
	}
	// An error always arrives as one: as its text or its registered type.
	if t := v.Type(); err == nil && e.typed && t.NumMethod() > 0 && t != errorType {
		err = e.implementsProblem(v)
	}
	return err
}

// encodeAny writes x, the dynamic value of an interface, at the depth of
// the interface: on the wire an interface adds no level, and a cycle
// through one passes a pointer, map or slice too. The dynamic types of
// the package documentation's table are written without reflection.
func (e *encoder) encodeAny(x any, depth int) error {
	if err := e.enter(depth); err != nil {
		return err
	}
	var err error
	switch x := x.(type) {
	case nil:
		e.buf = appendNil(e.buf)
	case string:
		e.buf, err = appendString(e.buf, x)
	case int:
		e.buf = appendInt(e.buf, int64(x))
	case int64:
		e.buf = appendInt(e.buf, x)
	case float64:
		e.buf = appendFloat64(e.buf, x)
	case bool:
		e.buf = appendBool(e.buf, x)
	case map[string]any:
		err = e.encodeAnyMap(x, depth)
	case []any:
		err = e.encodeAnySlice(x, depth)
	default:
		err = e.encodeDynamic(reflect.ValueOf(x), depth)
	}
	return err
}

// encodeDynamic writes d, the dynamic value of an interface, which the
// receiver reads by the table; an error that is not of a registered type
// travels as its text.
func (e *encoder) encodeDynamic(d reflect.Value, depth int) error {
	typed := e.typed
	e.typed = false
	var err error
	t := d.Type()
	switch rt := e.reg.byType[t]; {
	case rt != nil: // a registered struct: one lookup, where the rest take three
		if e.original && !rt.asClone {
			err = errNotAsClone
		} else if err = e.enter(depth); err == nil {
			err = e.encodeRegistered(d, rt, depth, extStruct)
		}
	case t.Implements(errorType):
		if e.registered(t) {
			err = e.encode(d, depth)
		} else {
			err = e.encodeError(d)
		}
	case e.original && !encodesAsClone(t):
		err = errNotAsClone
	default:
		err = e.encode(d, depth)
	}
	e.typed = typed
	return err
}

// encodeAnyMap writes a map[string]any, the map at depth.
func (e *encoder) encodeAnyMap(m map[string]any, depth int) error {
	if m == nil {
		e.buf = appendNil(e.buf)
		return nil
	}
	var err error
	if e.buf, err = appendMapLen(e.buf, len(m)); err != nil {
		return err
	}
	for k, x := range m {
		if e.buf, err = appendString(e.buf, k); err != nil {
			return atPath(err, fmt.Sprintf("[%q](key)", k))
		}
		if err := e.encodeAny(x, depth+1); err != nil {
			return atPath(err, fmt.Sprintf("[%q]", k))
		}
	}
	return nil
}

// encodeAnySlice writes a []any, the slice at depth.
func (e *encoder) encodeAnySlice(s []any, depth int) error {
	if s == nil {
		e.buf = appendNil(e.buf)
		return nil
	}
	var err error
	if e.buf, err = appendArrayLen(e.buf, len(s)); err != nil {
		return err
	}
	for i, x := range s {
		if err := e.encodeAny(x, depth+1); err != nil {
			return atPath(err, "["+strconv.Itoa(i)+"]")
		}
	}
	return nil
}

// registered reports whether t is a registered struct or a pointer to one.
func (e *encoder) registered(t reflect.Type) bool {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	_, ok := e.reg.byType[t]
	return ok
}

func (e *encoder) encodeError(v reflect.Value) (err error) {
	if (v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface) && v.IsNil() {
		e.buf = appendNil(e.buf)
		return nil
	}
	text, err := errorText(v.Interface().(error))
	if err != nil {
		return e.errorf("%v", err)
	}
	var start int
	e.buf, start = appendExtStart(e.buf, extError)
	if e.buf, err = appendString(e.buf, text); err != nil {
		return err
	}
	e.buf, err = finishExt(e.buf, start)
	return err
}

// errorText returns err.Error(), turning a panic into an error.
func errorText(err error) (text string, failed error) {
	defer func() {
		if p := recover(); p != nil {
			failed = fmt.Errorf("its Error method panicked: %v", p)
		}
	}()
	return err.Error(), nil
}
