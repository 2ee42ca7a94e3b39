package clone

// Maps. Identity is kept through the memo (a map met twice clones to one
// map; a map holding itself holds its clone). Keys are cloned too, so
// map[*T]V keys keep their identity. NaN keys are kept: every NaN entry of
// the original has one in the clone.
//
// Common representations get typed fast paths: when the key is a string
// or an integer and the value is immutable, the map is cloned with
// maps.Clone; when the value is an interface, maps.Clone is followed by a
// pass replacing the values that need a deep copy. Everything else goes
// through reflect's map iterator with reused temporaries.

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

// Representations with fast paths. Types of one representation share
// their memory layout and, for keys, their hashing and equality, so a map
// of any of them can be handled as a map of the representative type.
type rep uint8

const (
	repNone   rep = iota
	repString     // string kinds
	rep64         // 8-byte integers (keys and values), float64 (values)
	rep32         // 4-byte integers (keys and values), float32 (values)
	rep8          // bool, 1-byte integers (values)
	repEmpty      // zero-size values
	repAny        // empty interfaces (values)
)

func keyRep(p *plan) rep {
	if !p.imm {
		return repNone
	}
	switch p.t.Kind() {
	case reflect.String:
		return repString
	case reflect.Int, reflect.Int64, reflect.Uint, reflect.Uint64, reflect.Uintptr:
		return rep64
	case reflect.Int32, reflect.Uint32:
		return rep32
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
	case reflect.Int, reflect.Int64, reflect.Uint, reflect.Uint64, reflect.Uintptr, reflect.Float64:
		return rep64
	case reflect.Int32, reflect.Uint32, reflect.Float32:
		return rep32
	case reflect.Bool, reflect.Int8, reflect.Uint8:
		return rep8
	case reflect.Struct, reflect.Array:
		if p.size == 0 {
			return repEmpty
		}
	}
	return repNone
}

func fastPathFor(p *plan) *mapFastPath {
	switch keyRep(p.key) {
	case repString:
		return fastPathK[string](valueRep(p.elem))
	case rep64:
		return fastPathK[uint64](valueRep(p.elem))
	case rep32:
		return fastPathK[uint32](valueRep(p.elem))
	}
	return nil
}

func fastPathK[K comparable](v rep) *mapFastPath {
	switch v {
	case repString:
		return &mapFastPath{clone: cloneMapAs[K, string]}
	case rep64:
		return &mapFastPath{clone: cloneMapAs[K, uint64]}
	case rep32:
		return &mapFastPath{clone: cloneMapAs[K, uint32]}
	case rep8:
		return &mapFastPath{clone: cloneMapAs[K, uint8]}
	case repEmpty:
		return &mapFastPath{clone: cloneMapAs[K, struct{}]}
	case repAny:
		return &mapFastPath{clone: cloneMapAs[K, any], fill: fillAnyValues[K]}
	}
	return nil
}

// cloneMapAs clones the map m as a map[K]V.
func cloneMapAs[K comparable, V any](m unsafe.Pointer) unsafe.Pointer {
	c := maps.Clone(*(*map[K]V)(unsafe.Pointer(&m)))
	return *(*unsafe.Pointer)(unsafe.Pointer(&c))
}

// fillAnyValues replaces, in dst (a maps.Clone of src), the values that
// need a deep copy by their clones.
func fillAnyValues[K comparable](st *state, p *plan, dst, src unsafe.Pointer, _ int) error {
	sm := *(*map[K]any)(unsafe.Pointer(&src))
	dm := *(*map[K]any)(unsafe.Pointer(&dst))
	for k, v := range sm {
		e := efaceOf(&v)
		if e.typ == nil {
			continue
		}
		vp := planOfRT(e.typ)
		if vp.pass {
			continue
		}
		if st.track {
			kk := k
			st.push(keySegAt(p.key, unsafe.Pointer(&kk)))
		}
		nd, err := st.cloneDyn(e.typ, e.data)
		st.pop()
		if err != nil {
			kk := k
			return wrap(err, keySegAt(p.key, unsafe.Pointer(&kk)))
		}
		dm[k] = makeEface(e.typ, nd)
	}
	return nil
}

// keySegAt returns the path segment of the key of p's type at k.
func keySegAt(p *plan, k unsafe.Pointer) string {
	return keySeg(reflect.NewAt(p.t, k).Elem())
}
