package clone

// Pointers: identity is kept through the memo, so shared targets stay
// shared and cycles stay cycles.

import "unsafe"

func compilePointer(b *builder, p *plan) {
	t := p.t
	p.hook = hookFor(t)
	// A CloneMessage method with a pointer receiver; one with a value
	// receiver is T's and is called by T's plan.
	p.cloner = p.hook == nil && t.Implements(clonerType) && !t.Elem().Implements(clonerType)
	if p.hook != nil || p.cloner {
		p.kind = kindCustom
	}
	p.elem = b.plan(t.Elem())
	p.word = p.pointerWord
}

// pointerWord clones the pointer w: nil stays nil; a target met before (or
// seeded) maps to its clone; a hook or CloneMessage method supplies the
// clone; otherwise the target is copied into a new object.
func (p *plan) pointerWord(st *state, w unsafe.Pointer) (unsafe.Pointer, error) {
	if w == nil {
		return nil, nil
	}
	if nw, ok := st.seen(w, p.rt, 0); ok {
		return nw, nil
	}
	if p.kind == kindCustom {
		r, err := callCustom(p, makeEface(p.rt, w))
		if err != nil {
			return nil, err
		}
		nw := efaceOf(&r).data
		st.remember(w, p.rt, 0, nw)
		return nw, nil
	}
	e := p.elem
	nw := newObject(e)
	st.remember(w, p.rt, 0, nw)
	if e.imm {
		return nw, e.copy(st, nw, w)
	}
	return nw, st.descend(copyTask, e, nw, w, 0)
}
