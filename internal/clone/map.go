package clone

// Maps. Identity is kept through the memo (a map met twice clones to one
// map; a map holding itself holds its clone). Keys are cloned too, so
// map[*T]V keys keep their identity. NaN keys are kept: every NaN entry of
// the original has one in the clone.
//
// Common representations get typed fast paths. When the key is a string
// or a 32- or 64-bit integer (int, uint and uintptr count by their size)
// and the value is a string, a bool, a 1-, 4- or 8-byte integer, a float,
// or an immutable struct or array of size zero, the map is cloned with
// maps.Clone; when the value is an empty interface, maps.Clone is
// followed by a pass replacing the values that need a deep copy. A map
// whose slots are laid out differently from its representation's (see
// sameSlots) takes the general path, like every other map: reflect's map
// iterator with reused temporaries.

import (
	"maps"
	"reflect"
	"unsafe"
)

// mapFastPath clones a map of one representation: clone copies it whole,
// fill (if not nil) then fixes the values that need a deep copy.
type mapFastPath struct {
	clone func(m unsafe.Pointer) unsafe.Pointer
	fill  taskFunc
}

func compileMap(b *builder, p *plan) {
	t := p.t
	p.key = b.plan(t.Key())
	p.elem = b.plan(t.Elem())
	p.mapFast = fastPathFor(p)
	p.word = p.mapWord
}

func (p *plan) mapWord(st *state, m unsafe.Pointer) (unsafe.Pointer, error) {
	if m == nil {
		return nil, nil
	}
	if nm, ok := st.seen(m, p.rt, 0); ok {
		return nm, nil
	}
	if f := p.mapFast; f != nil {
		nm := f.clone(m)
		st.remember(m, p.rt, 0, nm)
		if f.fill == nil {
			return nm, nil
		}
		return nm, st.descend(f.fill, p, nm, m, 0)
	}
	n := reflect.ValueOf(makeEface(p.rt, m)).Len()
	nm := reflect.MakeMapWithSize(p.t, n).UnsafePointer()
	st.remember(m, p.rt, 0, nm)
	return nm, st.descend(fillMap, p, nm, m, 0)
}

// fillMap fills the empty map dst with clones of the entries of src.
func fillMap(st *state, p *plan, dst, src unsafe.Pointer, _ int) error {
	sv := reflect.ValueOf(makeEface(p.rt, src))
	dv := reflect.ValueOf(makeEface(p.rt, dst))
	kp, vp := p.key, p.elem
	kIn, kInPtr := newTemp(kp)
	vIn, vInPtr := newTemp(vp)
	kOut, kOutPtr := kIn, kInPtr
	vOut, vOutPtr := vIn, vInPtr
	if !kp.imm {
		kOut, kOutPtr = newTemp(kp)
	}
	if !vp.imm {
		vOut, vOutPtr = newTemp(vp)
	}
	it := sv.MapRange()
	for it.Next() {
		kIn.SetIterKey(it)
		vIn.SetIterValue(it)
		if !kp.imm {
			if st.track {
				st.push(mapKeySeg(kIn))
			}
			err := kp.copy(st, kOutPtr, kInPtr)
			st.pop()
			if err != nil {
				return wrap(err, mapKeySeg(kIn))
			}
		}
		if !vp.imm {
			if st.track {
				st.push(keySeg(kIn))
			}
			err := vp.copy(st, vOutPtr, vInPtr)
			st.pop()
			if err != nil {
				return wrap(err, keySeg(kIn))
			}
		}
		dv.SetMapIndex(kOut, vOut)
	}
	return nil
}

// newTemp allocates a settable temporary of p's type.
func newTemp(p *plan) (reflect.Value, unsafe.Pointer) {
	v := reflect.New(p.t)
	return v.Elem(), v.UnsafePointer()
}

// Representations with fast paths. A map of any type of one
// representation is handled as a map of the representative type (the
// type parameters of cloneMapAs and fillAnyValues): the runtime reads it
// through the representative's map type, so the two must agree on the
// layout of a group (see sameSlots) and, for keys, on hashing and
// equality: every string type hashes and compares like string, every
// integer type like the unsigned integer of its size.
type rep uint8

const (
	repNone   rep = iota
	repString     // string kinds
	rep64         // 8-byte integers (keys and values), float64 (values)
	rep32         // 4-byte integers (keys and values), float32 (values)
	rep8          // bool, 1-byte integers (values)
	repEmpty      // zero-size immutable structs and arrays (values)
	repAny        // empty interfaces (values)
)

func keyRep(p *plan) rep {
	if !p.imm {
		return repNone
	}
	switch p.t.Kind() {
	case reflect.String:
		return repString
	case reflect.Int, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return sizeRep(p.size)
	}
	return repNone
}

func valueRep(p *plan) rep {
	if p.t.Kind() == reflect.Interface && p.t.NumMethod() == 0 {
		return repAny
	}
	if !p.imm {
		return repNone
	}
	switch p.t.Kind() {
	case reflect.String:
		return repString
	case reflect.Int, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Bool, reflect.Int8, reflect.Uint8:
		return sizeRep(p.size)
	case reflect.Struct, reflect.Array:
		if p.size == 0 {
			return repEmpty
		}
	}
	return repNone
}

// sizeRep returns the representation of the numbers and bools of the
// given size (int, uint and uintptr are 4 bytes on 32-bit platforms).
func sizeRep(size uintptr) rep {
	switch size {
	case 8:
		return rep64
	case 4:
		return rep32
	case 1:
		return rep8
	}
	return repNone
}

func fastPathFor(p *plan) *mapFastPath {
	switch keyRep(p.key) {
	case repString:
		return fastPathK[string](p)
	case rep64:
		return fastPathK[uint64](p)
	case rep32:
		return fastPathK[uint32](p)
	}
	return nil
}

func fastPathK[K comparable](p *plan) *mapFastPath {
	switch valueRep(p.elem) {
	case repString:
		return fastPathKV[K, string](p, nil)
	case rep64:
		return fastPathKV[K, uint64](p, nil)
	case rep32:
		return fastPathKV[K, uint32](p, nil)
	case rep8:
		return fastPathKV[K, uint8](p, nil)
	case repEmpty:
		return fastPathKV[K, struct{}](p, nil)
	case repAny:
		return fastPathKV[K, any](p, fillAnyValues[K])
	}
	return nil
}

// fastPathKV returns the fast path handling maps of p's type as map[K]V,
// or nil if their slots are laid out differently.
func fastPathKV[K comparable, V any](p *plan, fill taskFunc) *mapFastPath {
	if !sameSlots(p.key.t, p.elem.t, reflect.TypeFor[K](), reflect.TypeFor[V]()) {
		return nil
	}
	return &mapFastPath{clone: cloneMapAs[K, V], fill: fill}
}

// sameSlots reports whether a map[k]v lays out its groups like a
// map[rk]rv. A group is a control word followed by eight slots, each a
// struct{ key k; elem v }, so the groups agree when the slots have the
// same size, alignment and offsets. That holds when k and rk have the same
// size and alignment, and v and rv the same size and either the same
// alignment (the two structs are then laid out by the same computation)
// or both an alignment at most k's. In that second case the value sits
// right after the key in both (the key's size is a multiple of its
// alignment, hence of the value's), and both slots are aligned as the
// key and end at the value's end, after one byte of padding when the
// value has size zero, rounded up to the key's alignment. A zero-size
// value of alignment 8 after a 4-byte key fails the rule, and its slot
// does differ: {uint32; [0]int64} takes 16 bytes, {uint32; struct{}} 8.
func sameSlots(k, v, rk, rv reflect.Type) bool {
	return k.Size() == rk.Size() && k.Align() == rk.Align() &&
		v.Size() == rv.Size() && (v.Align() == rv.Align() || v.Align() <= k.Align() && rv.Align() <= k.Align())
}

// cloneMapAs clones the map m as a map[K]V.
func cloneMapAs[K comparable, V any](m unsafe.Pointer) unsafe.Pointer {
	c := maps.Clone(*(*map[K]V)(unsafe.Pointer(&m)))
	return *(*unsafe.Pointer)(unsafe.Pointer(&c))
}

// fillAnyValues replaces, in dst (a maps.Clone of src), the values that
// need a deep copy by their clones. A small map is read through its group
// (see mapgroup.go), any other with a range loop.
func fillAnyValues[K comparable](st *state, p *plan, dst, src unsafe.Pointer, _ int) error {
	dm := *(*map[K]any)(unsafe.Pointer(&dst))
	if g, full, ok := smallGroup(src); ok {
		for i := range 8 {
			if full&(1<<i) == 0 {
				continue
			}
			s := groupSlot[K, any](g, i)
			if err := fillAnyValue(st, p, dm, s.key, s.elem); err != nil {
				return err
			}
		}
		return nil
	}
	for k, v := range *(*map[K]any)(unsafe.Pointer(&src)) {
		if err := fillAnyValue(st, p, dm, k, v); err != nil {
			return err
		}
	}
	return nil
}

// fillAnyValue sets dm[k] to a clone of v if v needs a deep copy (dm[k]
// holds v itself until then).
func fillAnyValue[K comparable](st *state, p *plan, dm map[K]any, k K, v any) error {
	e := efaceOf(&v)
	if e.typ == nil || planOfRT(e.typ).pass {
		return nil
	}
	if st.track {
		kk := k // a copy, so that k stays off the heap
		st.push(keySegAt(p.key, unsafe.Pointer(&kk)))
	}
	nd, err := st.cloneDyn(e.typ, e.data)
	st.pop()
	if err != nil {
		kk := k
		return wrap(err, keySegAt(p.key, unsafe.Pointer(&kk)))
	}
	dm[k] = makeEface(e.typ, nd)
	return nil
}

// keySegAt returns the path segment of the key of p's type at k.
func keySegAt(p *plan, k unsafe.Pointer) string {
	return keySeg(reflect.NewAt(p.t, k).Elem())
}
