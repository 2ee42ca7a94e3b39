package natsbus

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"

	"github.com/seed01aa7ee5/msgport"
	"github.com/vmihailenco/msgpack/v5/msgpcode"
)

// decoder reads values from r, turning registered type names into types
// from reg. It never panics, and nesting is bounded by maxDepth. What it
// allocates is bounded by a multiple of the input's size, not by the size
// itself: every length is checked against the bytes left, so no container
// is made for more elements than the input has bytes, but a value takes
// more memory than its bytes on the wire. Into the table's types an empty
// array, one byte, becomes a []any of some 40 bytes in an interface, and a
// map of one entry, two or three bytes, some 350 (up to about 170 times
// the input in all); into a registered struct, each element of a slice
// field takes the size of its Go type, however few bytes it came in.
type decoder struct {
	r   reader
	reg *registry
}

func (d *decoder) errorf(format string, args ...any) error {
	return &pathError{err: d.r.errorf(format, args...)}
}

// readAny reads one value into the types of the package documentation's
// table.
func (d *decoder) readAny(depth int) (any, error) {
	if depth > maxDepth {
		return nil, d.errorf("nested deeper than %d levels", maxDepth)
	}
	c, err := d.r.peek()
	if err != nil {
		return nil, err
	}
	switch {
	case c == msgpcode.Nil:
		d.r.off++
		return nil, nil
	case c == msgpcode.False || c == msgpcode.True:
		d.r.off++
		return c == msgpcode.True, nil
	case isInt(c):
		n, err := d.r.readInt()
		return intValue(n), err
	case c == msgpcode.Float:
		d.r.off++
		u, err := d.r.uintN(4)
		return math.Float32frombits(uint32(u)), err
	case c == msgpcode.Double:
		d.r.off++
		u, err := d.r.uintN(8)
		return math.Float64frombits(u), err
	case msgpcode.IsString(c):
		return d.r.readString()
	case msgpcode.IsBin(c):
		p, _, err := d.r.readStringBytes()
		return append([]byte{}, p...), err
	case isArray(c):
		n, err := d.r.readArrayLen()
		if err != nil {
			return nil, err
		}
		out := make([]any, n)
		for i := range out {
			if out[i], err = d.readAny(depth + 1); err != nil {
				return nil, atPath(err, "["+strconv.Itoa(i)+"]")
			}
		}
		return out, nil
	case isMap(c):
		return d.readAnyMap(depth)
	case msgpcode.IsExt(c):
		return d.readExt(depth)
	}
	return nil, d.errorf("%s", codeName(c))
}

// intValue gives an integer the Go type its code stands for: the sized
// codes keep their size and signedness, the fixed ones (natsbus writes a
// small int or int64 as one) become int64.
func intValue(n number) any {
	switch n.code {
	case msgpcode.Uint8:
		return uint8(n.u)
	case msgpcode.Uint16:
		return uint16(n.u)
	case msgpcode.Uint32:
		return uint32(n.u)
	case msgpcode.Uint64:
		return n.u
	case msgpcode.Int8:
		return int8(n.i)
	case msgpcode.Int16:
		return int16(n.i)
	case msgpcode.Int32:
		return int32(n.i)
	}
	return n.i
}

// readAnyMap reads a map as map[string]any, or as map[any]any once a key
// is not a string.
func (d *decoder) readAnyMap(depth int) (any, error) {
	n, err := d.r.readMapLen()
	if err != nil {
		return nil, err
	}
	m := make(map[string]any, n)
	var other map[any]any
	for range n {
		if c, _ := d.r.peek(); other == nil && msgpcode.IsString(c) {
			// A string key, read without boxing it.
			s, err := d.r.readString()
			if err != nil {
				return nil, atPath(err, "(key)")
			}
			if m[s], err = d.readAny(depth + 1); err != nil {
				return nil, atPath(err, fmt.Sprintf("[%q]", s))
			}
			continue
		}
		k, err := d.readAny(depth + 1)
		if err != nil {
			return nil, atPath(err, "(key)")
		}
		if other == nil {
			other = make(map[any]any, n)
			for k, v := range m {
				other[k] = v
			}
		}
		if k != nil && !reflect.ValueOf(k).Comparable() {
			return nil, d.errorf("a %T cannot be a map key", k)
		}
		v, err := d.readAny(depth + 1)
		if err != nil {
			return nil, atPath(err, fmt.Sprintf("[%#v]", k))
		}
		other[k] = v
	}
	if other != nil {
		return other, nil
	}
	return m, nil
}

// readExt reads an extension as a value.
func (d *decoder) readExt(depth int) (any, error) {
	typ, n, err := d.r.readExtHeader()
	if err != nil {
		return nil, err
	}
	end := d.r.off + n
	var v any
	switch typ {
	case extStruct, extStructPtr:
		v, err = d.readRegistered(typ, depth)
	case extError:
		var text string
		if text, err = d.r.readString(); err == nil {
			v = errors.New(text)
		}
	default:
		var p []byte
		if p, err = d.r.next(n); err == nil {
			v, err = parseExtValue(typ, p)
		}
	}
	if err == nil && d.r.off != end {
		err = d.errorf("extension %d of %d bytes holds %d", typ, n, d.r.off-(end-n))
	}
	if err != nil {
		return nil, err
	}
	return v, nil
}

// parseExtValue decodes the extensions whose body is raw bytes.
func parseExtValue(typ int8, p []byte) (any, error) {
	switch typ {
	case extTime:
		return parseTime(p)
	case extBuffer:
		return msgport.NewBuffer(append([]byte{}, p...)), nil
	case extComplex64:
		if len(p) == 8 {
			r := reader{b: p}
			re, _ := r.uintN(4)
			im, _ := r.uintN(4)
			return complex(math.Float32frombits(uint32(re)), math.Float32frombits(uint32(im))), nil
		}
	case extComplex128:
		if len(p) == 16 {
			r := reader{b: p}
			re, _ := r.uintN(8)
			im, _ := r.uintN(8)
			return complex(math.Float64frombits(re), math.Float64frombits(im)), nil
		}
	default:
		return nil, fmt.Errorf("unknown extension type %d", typ)
	}
	return nil, fmt.Errorf("extension %d of %d bytes", typ, len(p))
}

// readRegistered reads the body of a registered-struct extension at depth:
// the type name, then the fields. A type this side has not registered
// arrives as map[string]any.
//
// Depth is counted as the encoder counts it: the struct is one level, its
// fields one deeper, the extension around them adds none; a pointer (the
// extension of a *T) is one level more.
func (d *decoder) readRegistered(typ int8, depth int) (any, error) {
	raw, ok, err := d.r.readStringBytes()
	if err != nil || !ok {
		return nil, stringError(d, err)
	}
	if typ == extStructPtr {
		depth++
	}
	rt, ok := d.reg.byName[string(raw)]
	if !ok {
		name := string(raw)
		c, err := d.r.peek()
		if err != nil {
			return nil, err
		}
		if !isMap(c) {
			return nil, d.errorf("fields of %s: want a map of field names, got %s", name, codeName(c))
		}
		m, err := d.readAnyMap(depth)
		if err != nil {
			return nil, err
		}
		if _, ok := m.(map[string]any); !ok {
			return nil, d.errorf("fields of %s: want a map of field names, got %T", name, m)
		}
		return m, nil
	}
	r := rt.r
	p := reflect.New(r.t)
	if err := d.readFields(r, p.UnsafePointer(), depth); err != nil {
		return nil, atPath(err, "("+string(raw)+")")
	}
	if typ == extStructPtr {
		return p.Interface(), nil
	}
	return r.box(p.UnsafePointer()), nil
}

func isArray(c byte) bool {
	return msgpcode.IsFixedArray(c) || c == msgpcode.Array16 || c == msgpcode.Array32
}

func isMap(c byte) bool {
	return msgpcode.IsFixedMap(c) || c == msgpcode.Map16 || c == msgpcode.Map32
}

func (d *decoder) mismatch(c byte, t reflect.Type) error {
	return d.errorf("want %s, got %s", t, codeName(c))
}

// readNumber reads an integer or a float as a float64.
func (d *decoder) readNumber(c byte, t reflect.Type) (float64, error) {
	switch {
	case c == msgpcode.Float:
		d.r.off++
		u, err := d.r.uintN(4)
		return float64(math.Float32frombits(uint32(u))), err
	case c == msgpcode.Double:
		d.r.off++
		u, err := d.r.uintN(8)
		return math.Float64frombits(u), err
	case isInt(c):
		n, err := d.r.readInt()
		if n.neg {
			return float64(n.i), err
		}
		return float64(n.u), err
	}
	return 0, d.mismatch(c, t)
}

// mayHoldIncomparable reports whether a value of the comparable type t can
// hold one that is not (in an interface), which would panic as a map key.
func mayHoldIncomparable(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Interface:
		return true
	case reflect.Array:
		return mayHoldIncomparable(t.Elem())
	case reflect.Struct:
		for i := range t.NumField() {
			if mayHoldIncomparable(t.Field(i).Type) {
				return true
			}
		}
	}
	return false
}

// skip reads over one value.
func (d *decoder) skip(depth int) error {
	if depth > maxDepth {
		return d.errorf("nested deeper than %d levels", maxDepth)
	}
	c, err := d.r.peek()
	if err != nil {
		return err
	}
	switch {
	case c == msgpcode.Nil || c == msgpcode.False || c == msgpcode.True:
		d.r.off++
	case isInt(c):
		_, err = d.r.readInt()
	case c == msgpcode.Float || c == msgpcode.Double:
		d.r.off++
		_, err = d.r.next(4 << (c - msgpcode.Float))
	case msgpcode.IsString(c) || msgpcode.IsBin(c):
		_, _, err = d.r.readStringBytes()
	case isArray(c):
		var n int
		if n, err = d.r.readArrayLen(); err != nil {
			return err
		}
		for range n {
			if err := d.skip(depth + 1); err != nil {
				return err
			}
		}
	case isMap(c):
		var n int
		if n, err = d.r.readMapLen(); err != nil {
			return err
		}
		for range 2 * n {
			if err := d.skip(depth + 1); err != nil {
				return err
			}
		}
	case msgpcode.IsExt(c):
		var n int
		if _, n, err = d.r.readExtHeader(); err == nil {
			_, err = d.r.next(n)
		}
	default:
		err = d.errorf("%s", codeName(c))
	}
	return err
}
