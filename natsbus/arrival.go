package natsbus

import (
	"errors"
	"fmt"
	"reflect"
	"strconv"
)

// Some values encode well but would arrive as something the receiver
// cannot store: a map key that arrives as a []byte, which Go cannot hash,
// or a value in a fmt.Stringer field of a registered struct that arrives
// as an int64. Every receiver would fail with a messageerror while
// PostMessage returned nil, so the encoder works out what such values
// arrive as, by the package documentation's table, and refuses them. So
// too for two keys of one map that arrive as one key (int(1) and
// int64(1)): the receiver would silently keep one entry of the two.

var (
	stringType    = reflect.TypeFor[string]()
	bytesType     = reflect.TypeFor[[]byte]()
	anyKeyMapType = reflect.TypeFor[map[any]any]()
	// errorTextType is what an error of an unregistered type arrives as.
	errorTextType = reflect.TypeOf(errors.New(""))
)

// tableTypes holds, by kind, what a bool, number or string arrives as.
var tableTypes = [...]reflect.Type{
	reflect.Bool:       reflect.TypeFor[bool](),
	reflect.Int:        reflect.TypeFor[int64](),
	reflect.Int8:       reflect.TypeFor[int8](),
	reflect.Int16:      reflect.TypeFor[int16](),
	reflect.Int32:      reflect.TypeFor[int32](),
	reflect.Int64:      reflect.TypeFor[int64](),
	reflect.Uint:       reflect.TypeFor[uint64](),
	reflect.Uint8:      reflect.TypeFor[uint8](),
	reflect.Uint16:     reflect.TypeFor[uint16](),
	reflect.Uint32:     reflect.TypeFor[uint32](),
	reflect.Uint64:     reflect.TypeFor[uint64](),
	reflect.Uintptr:    reflect.TypeFor[uint64](),
	reflect.Float32:    reflect.TypeFor[float32](),
	reflect.Float64:    reflect.TypeFor[float64](),
	reflect.Complex64:  reflect.TypeFor[complex64](),
	reflect.Complex128: reflect.TypeFor[complex128](),
	reflect.String:     stringType,
}

// arrival follows v, a value the receiver reads by the table (not into a
// declared type), through pointers and interfaces as encode does, and
// returns the value it reaches and the type the receiver makes of it: nil
// for nil. v must have encoded without error.
func (e *encoder) arrival(v reflect.Value) (reflect.Value, reflect.Type) {
	for {
		switch v.Kind() {
		case reflect.Invalid:
			return v, nil
		case reflect.Interface:
			if v.IsNil() {
				return v, nil
			}
			d := v.Elem()
			if d.Type().Implements(errorType) && !e.registered(d.Type()) {
				if d.Kind() == reflect.Pointer && d.IsNil() {
					return d, nil
				}
				return d, errorTextType
			}
			v = d
		case reflect.Pointer:
			if v.IsNil() {
				return v, nil
			}
			if v.Type() == bufferType || e.registered(v.Type()) {
				return v, v.Type()
			}
			v = v.Elem()
		case reflect.Slice, reflect.Array:
			switch {
			case v.Kind() == reflect.Slice && v.IsNil():
				return v, nil
			case v.Type().Elem().Kind() == reflect.Uint8:
				return v, bytesType
			}
			return v, anySliceType
		case reflect.Map:
			if v.IsNil() {
				return v, nil
			}
			return v, e.mapArrival(v)
		case reflect.Struct:
			if v.Type() == timeType || e.registered(v.Type()) {
				return v, v.Type()
			}
			return v, anyMapType
		case reflect.Func, reflect.Chan, reflect.UnsafePointer:
			return v, nil // only nil encodes
		default:
			return v, tableTypes[v.Kind()]
		}
	}
}

// mapArrival returns what the non-nil map v arrives as by the table:
// map[string]any if every key arrives as a string (an empty map too),
// else map[any]any.
func (e *encoder) mapArrival(v reflect.Value) reflect.Type {
	if v.Type().Key().Kind() == reflect.String {
		return anyMapType
	}
	for it := v.MapRange(); it.Next(); {
		if _, t := e.arrival(it.Key()); t != stringType {
			return anyKeyMapType
		}
	}
	return anyMapType
}

// implementsProblem returns an error if v, a value in an interface that
// the receiver reads into v's declared type (a non-empty interface), would
// arrive by the table as a type that does not implement it. Of the table's
// types only time.Time, *msgport.Buffer, registered structs and pointers
// to them, and the error made from an error's text have methods; nil
// always arrives. v must have encoded without error.
func (e *encoder) implementsProblem(v reflect.Value) error {
	x, t := e.arrival(v)
	if t == nil || t.Implements(v.Type()) {
		return nil
	}
	return e.errorf("a %s arrives as %s, which does not implement %s", x.Type(), t, v.Type())
}

// keysNeedCheck reports whether a key of a map with key type k, written
// now, may arrive as a value that cannot be a map key: by the table, an
// array, struct, pointer or interface may; read into k, only what sits in
// an interface inside it.
func (e *encoder) keysNeedCheck(k reflect.Type) bool {
	if e.typed {
		return mayHoldIncomparable(k)
	}
	switch k.Kind() {
	case reflect.Array, reflect.Struct, reflect.Pointer, reflect.Interface:
		return true
	}
	return false
}

// keyProblem returns an error, with the path inside k, if the map key k
// would arrive as a value that cannot be a map key: a []byte or []any
// (from any array), a map (from a struct that is not registered, or a
// pointer to one), or a registered struct holding one of these in an
// interface field. typed says whether the receiver reads k into its
// declared type (a key of a map in a registered struct) or by the table.
// k must have encoded without error.
func (e *encoder) keyProblem(k reflect.Value, typed bool) error {
	if !typed || k.Kind() == reflect.Interface {
		x, t := e.arrival(k)
		switch {
		case t == nil || t.Kind() == reflect.Pointer:
			return nil
		case t.Kind() == reflect.Struct && t != timeType:
			k = x // a registered struct: its fields are read into their types
		case !t.Comparable():
			return e.errorf("a %s arrives as %s, which cannot be a map key", x.Type(), t)
		default:
			return nil
		}
	} else if !mayHoldIncomparable(k.Type()) {
		return nil
	}
	switch k.Kind() {
	case reflect.Array:
		for i := range k.Len() {
			if err := e.keyProblem(k.Index(i), true); err != nil {
				return atPath(err, "["+strconv.Itoa(i)+"]")
			}
		}
	case reflect.Struct:
		for _, f := range structInfoOf(k.Type()).fields {
			if err := e.keyProblem(k.Field(f.index), true); err != nil {
				return atPath(err, "."+f.name)
			}
		}
	}
	return nil
}

// mayCollapse reports whether two keys of a map with key type t may
// arrive as one key though they are two here: keys of different types in
// an interface (int and int64 both arrive as int64), pointers read by the
// table (they arrive as what they point to), times (they arrive in UTC, so
// two locations of one instant meet), or a key that holds one of these in
// a field or element read into its type. typed says whether the receiver
// reads the keys into t or by the table.
func mayCollapse(t reflect.Type, typed bool) bool {
	switch t.Kind() {
	case reflect.Interface:
		return true
	case reflect.Pointer:
		return !typed // read into *T, every key is a pointer of its own
	case reflect.Array:
		return typed && mayCollapse(t.Elem(), true) // by the table: not a key at all
	case reflect.Struct:
		if t == timeType {
			return true
		}
		// A struct key that travels (registered, or read into its type)
		// has its fields read into their types.
		for _, f := range structInfoOf(t).fields {
			if mayCollapse(t.Field(f.index).Type, true) {
				return true
			}
		}
	}
	return false
}

// keySet holds the keys of one map as its receivers will make them.
type keySet map[any]struct{}

// rawKey stands in a keySet for a key whose decoded form Go cannot compare
// as a whole (an array read into its type decodes by the table as an
// []any): its encoding, which receivers read alike.
type rawKey string

// addKey reads back the key k, encoded as b, as a receiver reads it, and
// adds it to arrived; it returns an error if an earlier key of the map
// arrives as the same key. Go's map rules decide, as they will for the
// receiver: keys holding a NaN never meet, nor do pointers decoded apart.
func (e *encoder) addKey(arrived keySet, k reflect.Value, b []byte) error {
	d := decoder{r: reader{b: b}, reg: e.reg}
	x, err := d.readAny(0)
	if err != nil {
		return e.errorf("cannot read its own encoding back: %w", err)
	}
	key := x
	if !reflect.ValueOf(x).Comparable() {
		key = rawKey(b)
	}
	if _, dup := arrived[key]; dup {
		what := "nil"
		if x != nil {
			what = fmt.Sprintf("%T %v", x, x)
		}
		if k.Kind() == reflect.Interface && !k.IsNil() {
			k = k.Elem()
		}
		return e.errorf("a key of type %s arrives as %s, as another key of the map does: one of the two entries would be lost", k.Type(), what)
	}
	arrived[key] = struct{}{}
	return nil
}
