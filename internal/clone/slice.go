package clone

// Slices and arrays.
//
// A slice clone gets a new backing array holding copies of the len
// elements; its capacity equals its length. A nil slice stays nil and an
// empty non-nil one stays non-nil. Two slices sharing a backing array are
// copied separately, except where a slice leads back to its own array
// without passing through a pointer or map (a []any holding itself, a
// recursive slice type): such arrays are memoised so the cycle is kept and
// the clone terminates.

import (
	"reflect"
	"unsafe"
)

func compileSlice(b *builder, p *plan) {
	p.elem = b.plan(p.t.Elem())
	p.atRisk = reachesInline(p.t.Elem(), p.t, map[reflect.Type]bool{})
	e := p.elem
	switch {
	case e.imm && e.t.Kind() == reflect.String:
		p.copy = stringsCopy
	case e.imm && !e.ptrs:
		p.copy = func(_ *state, dst, src unsafe.Pointer) error {
			h := *(*sliceHeader)(src)
			if h.data != nil {
				h.data = cloneBytes(h.data, uintptr(h.len)*e.size)
				h.cap = h.len
			}
			*(*sliceHeader)(dst) = h
			return nil
		}
	case e.imm:
		p.copy = func(_ *state, dst, src unsafe.Pointer) error {
			h := *(*sliceHeader)(src)
			if h.data != nil {
				nd := newArray(e, h.len)
				typedslicecopy(e, nd, h.data, h.len)
				h.data, h.cap = nd, h.len
			}
			*(*sliceHeader)(dst) = h
			return nil
		}
	default:
		p.copy = p.sliceCopy
	}
}

func stringsCopy(_ *state, dst, src unsafe.Pointer) error {
	s := *(*[]string)(src)
	if s != nil {
		c := make([]string, len(s))
		copy(c, s)
		s = c
	}
	*(*[]string)(dst) = s
	return nil
}

// sliceCopy copies a slice of mutable elements.
func (p *plan) sliceCopy(st *state, dst, src unsafe.Pointer) error {
	h := *(*sliceHeader)(src)
	if h.data == nil || h.len == 0 {
		if h.data != nil {
			h.data = unsafe.Pointer(&zeroBase)
		}
		*(*sliceHeader)(dst) = sliceHeader{data: h.data}
		return nil
	}
	if p.atRisk {
		if nd, ok := st.seen(h.data, p.rt, h.len); ok {
			*(*sliceHeader)(dst) = sliceHeader{nd, h.len, h.len}
			return nil
		}
	}
	nd := newArray(p.elem, h.len)
	if p.atRisk {
		st.remember(h.data, p.rt, h.len, nd)
	}
	*(*sliceHeader)(dst) = sliceHeader{nd, h.len, h.len}
	return st.descend(fillElems, p, nd, h.data, h.len)
}

// fillElems copies n elements of p.elem from src to dst (a slice's array
// or an array).
func fillElems(st *state, p *plan, dst, src unsafe.Pointer, n int) error {
	e := p.elem
	if e.word != nil && e.size == unsafe.Sizeof(uintptr(0)) && !st.track {
		d := unsafe.Slice((*unsafe.Pointer)(dst), n)
		for i, w := range unsafe.Slice((*unsafe.Pointer)(src), n) {
			nw, err := e.word(st, w)
			d[i] = nw
			if err != nil {
				return wrap(err, indexSeg(i))
			}
		}
		return nil
	}
	for i := range n {
		off := uintptr(i) * e.size
		if st.track {
			st.push(indexSeg(i))
		}
		err := e.copy(st, unsafe.Add(dst, off), unsafe.Add(src, off))
		st.pop()
		if err != nil {
			return wrap(err, indexSeg(i))
		}
	}
	return nil
}

func compileArray(b *builder, p *plan) {
	t := p.t
	p.elem = b.plan(t.Elem())
	if p.elem.imm || t.Len() == 0 {
		p.imm = true
		p.copy = blockCopy(p)
		return
	}
	n := t.Len()
	p.copy = func(st *state, dst, src unsafe.Pointer) error {
		return fillElems(st, p, dst, src, n)
	}
	if p.direct && p.elem.word != nil {
		p.word = func(st *state, w unsafe.Pointer) (unsafe.Pointer, error) { return p.elem.word(st, w) }
	}
}

// reachesInline reports whether a value of type t can lead to a slice of
// type target, or to any value through an interface, without passing
// through a pointer or a map (which the memo tracks anyway).
func reachesInline(t, target reflect.Type, seen map[reflect.Type]bool) bool {
	if seen[t] {
		return false
	}
	seen[t] = true
	switch t.Kind() {
	case reflect.Interface:
		return !t.Implements(errorType)
	case reflect.Slice:
		return t == target || reachesInline(t.Elem(), target, seen)
	case reflect.Array:
		return t.Len() > 0 && reachesInline(t.Elem(), target, seen)
	case reflect.Struct:
		if (t.PkgPath() == "sync" && t.Name() == "Map") || (t.PkgPath() == "sync/atomic" && t.Name() == "Value") {
			return true
		}
		for i := range t.NumField() {
			if reachesInline(t.Field(i).Type, target, seen) {
				return true
			}
		}
	}
	return false
}
