package clone

// Interfaces: the dynamic type is kept and the dynamic value cloned, unless
// it reaches no mutable memory or is an error, in which case the interface
// is copied as is (a boxed value cannot be changed through the interface).

import "unsafe"

func compileInterface(p *plan) {
	switch {
	case p.t.NumMethod() == 0:
		p.copy = efaceCopy
	case p.isErr:
		// Every value of an interface type with an Error method is an
		// error: passed on as is.
		p.imm = true
		p.copy = func(_ *state, dst, src unsafe.Pointer) error {
			*(*iface)(dst) = *(*iface)(src)
			return nil
		}
	default:
		p.copy = ifaceCopy
	}
}

// cloneDyn clones the dynamic value data of type rt held in an interface
// and returns the new data word.
func (st *state) cloneDyn(rt, data unsafe.Pointer) (unsafe.Pointer, error) {
	p := planOfRT(rt)
	if p.pass {
		return data, nil
	}
	if p.direct {
		return p.word(st, data)
	}
	box := newObject(p)
	return box, st.descend(copyTask, p, box, data, 0)
}

// cloneAny clones an interface value held in a variable.
func (st *state) cloneAny(x any) (any, error) {
	e := efaceOf(&x)
	if e.typ == nil {
		return nil, nil
	}
	nd, err := st.cloneDyn(e.typ, e.data)
	if err != nil {
		return nil, err
	}
	return makeEface(e.typ, nd), nil
}

func efaceCopy(st *state, dst, src unsafe.Pointer) error {
	e := *(*eface)(src)
	if e.typ != nil {
		nd, err := st.cloneDyn(e.typ, e.data)
		if err != nil {
			return err
		}
		e.data = nd
	}
	*(*eface)(dst) = e
	return nil
}

func ifaceCopy(st *state, dst, src unsafe.Pointer) error {
	i := *(*iface)(src)
	if i.tab != nil {
		nd, err := st.cloneDyn(itabType(i.tab), i.data)
		if err != nil {
			return err
		}
		i.data = nd
	}
	*(*iface)(dst) = i
	return nil
}
