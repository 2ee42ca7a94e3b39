package clone

// Types with their own rules: hooks, CloneMessage methods, time, sync,
// sync/atomic and reflect.

import (
	"fmt"
	"reflect"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"
)

// hooks holds the registered hooks; guarded by compileMu.
var hooks = map[reflect.Type]Hook{}

func hookFor(t reflect.Type) Hook { return hooks[t] }

// compileCustom makes p call a hook (h != nil) or the CloneMessage method
// of a non-pointer type.
func compileCustom(p *plan, h Hook, cloner bool) {
	p.kind = kindCustom
	p.hook = h
	p.cloner = cloner
	p.copy = func(st *state, dst, src unsafe.Pointer) error {
		// The hook gets its own copy of the value: it may keep it.
		v := reflect.NewAt(p.t, src).Elem().Interface()
		r, err := callCustom(p, v)
		if err != nil {
			return err
		}
		e := efaceOf(&r)
		if p.direct {
			*(*unsafe.Pointer)(dst) = e.data
		} else {
			typedmemmove(p, dst, e.data)
		}
		return nil
	}
	if p.direct {
		p.word = func(st *state, w unsafe.Pointer) (unsafe.Pointer, error) {
			r, err := callCustom(p, makeEface(p.rt, w))
			return efaceOf(&r).data, err
		}
	}
}

// callCustom runs p's hook or CloneMessage method on v and checks that the
// result has p's type.
func callCustom(p *plan, v any) (any, error) {
	var (
		r    any
		err  error
		what string
	)
	if p.hook != nil {
		what = "clone hook"
		r, err = p.hook(v)
	} else {
		what = "CloneMessage"
		r, err = v.(Cloner).CloneMessage()
	}
	if err != nil {
		return nil, fail(p.t, err.Error())
	}
	if got := reflect.TypeOf(r); got != p.t {
		return nil, fail(p.t, fmt.Sprintf("%s returned a %v, want a %v", what, typeName(got), p.t))
	}
	return r, nil
}

func typeName(t reflect.Type) string {
	if t == nil {
		return "nil interface"
	}
	return t.String()
}

var (
	locationPtrType  = reflect.TypeFor[*time.Location]()
	rtypePtrType     = reflect.TypeOf(reflect.TypeFor[int]())
	reflectValueType = reflect.TypeFor[reflect.Value]()
)

// compileSpecial compiles the types with rules of their own and reports
// whether t was one of them:
//
//   - *time.Location and reflect.Type's descriptors are immutable and
//     shared (so time.Time is immutable and copied bitwise);
//   - reflect.Value is refused: it may point into the original;
//   - sync.Mutex, RWMutex, WaitGroup, Once and Pool clone to their zero
//     value, never a held lock; sync.Map entry by entry; sync.Cond is
//     refused (it is bound to its Locker and its waiters);
//   - sync/atomic values are loaded atomically and the clone holds a clone
//     of what was loaded.
func compileSpecial(b *builder, p *plan) bool {
	t := p.t
	switch t {
	case locationPtrType, rtypePtrType:
		p.imm = true
		p.word = func(_ *state, w unsafe.Pointer) (unsafe.Pointer, error) { return w, nil }
		p.copy = func(_ *state, dst, src unsafe.Pointer) error {
			*(*unsafe.Pointer)(dst) = *(*unsafe.Pointer)(src)
			return nil
		}
		return true
	case reflectValueType:
		p.copy = func(*state, unsafe.Pointer, unsafe.Pointer) error {
			return fail(t, "a reflect.Value cannot be cloned (it may refer to memory of the original); clone the value it holds instead")
		}
		return true
	}
	switch t.PkgPath() {
	case "sync":
		switch t.Name() {
		case "Mutex", "RWMutex", "WaitGroup", "Once", "Pool":
			p.copy = zeroCopy(p)
		case "Map":
			p.copy = syncMapCopy
		case "Cond":
			p.copy = func(*state, unsafe.Pointer, unsafe.Pointer) error {
				return fail(t, "a sync.Cond cannot be cloned: it is bound to its Locker and waiting goroutines")
			}
		default:
			return false
		}
		return true
	case "sync/atomic":
		return compileAtomic(b, p)
	}
	return false
}

// zeroCopy writes the zero value of p's type.
func zeroCopy(p *plan) copyFunc {
	if !p.ptrs {
		size := p.size
		return func(_ *state, dst, _ unsafe.Pointer) error {
			clear(unsafe.Slice((*byte)(dst), size))
			return nil
		}
	}
	zero := reflect.New(p.t).UnsafePointer()
	return func(_ *state, dst, _ unsafe.Pointer) error {
		typedmemmove(p, dst, zero)
		return nil
	}
}

// syncMapCopy fills a fresh sync.Map with clones of the entries of the
// source, read with Range.
func syncMapCopy(st *state, dst, src unsafe.Pointer) error {
	sm, dm := (*sync.Map)(src), (*sync.Map)(dst)
	*dm = sync.Map{}
	var err error
	sm.Range(func(k, v any) bool {
		nk, e := st.cloneAny(k)
		if e != nil {
			err = wrap(e, mapKeySeg(reflect.ValueOf(k)))
			return false
		}
		if st.track {
			st.push(keySeg(reflect.ValueOf(k)))
		}
		nv, e := st.cloneAny(v)
		st.pop()
		if e != nil {
			err = wrap(e, keySeg(reflect.ValueOf(k)))
			return false
		}
		dm.Store(nk, nv)
		return true
	})
	return err
}

// compileAtomic compiles the types of sync/atomic.
func compileAtomic(b *builder, p *plan) bool {
	t := p.t
	name := t.Name()
	if len(name) > len("Pointer[") && name[:len("Pointer[")] == "Pointer[" {
		// Pointer[T] is struct{ _ [0]*T; _ noCopy; v unsafe.Pointer }.
		f, ok := t.FieldByName("v")
		if !ok || t.Field(0).Type.Kind() != reflect.Array {
			return false
		}
		pp := b.plan(t.Field(0).Type.Elem())
		off := f.Offset
		p.copy = func(st *state, dst, src unsafe.Pointer) error {
			w := atomic.LoadPointer((*unsafe.Pointer)(unsafe.Add(src, off)))
			nw, err := pp.word(st, w)
			atomic.StorePointer((*unsafe.Pointer)(unsafe.Add(dst, off)), nw)
			return err
		}
		if p.direct && off == 0 {
			p.word = func(st *state, w unsafe.Pointer) (unsafe.Pointer, error) { return pp.word(st, w) }
		}
		return true
	}
	switch name {
	case "Value":
		p.copy = func(st *state, dst, src unsafe.Pointer) error {
			d := (*atomic.Value)(dst)
			*d = atomic.Value{}
			v := (*atomic.Value)(src).Load()
			if v == nil {
				return nil
			}
			nv, err := st.cloneAny(v)
			if err != nil {
				return err
			}
			d.Store(nv)
			return nil
		}
		return true
	case "Bool", "Int32", "Uint32", "Int64", "Uint64", "Uintptr":
	default:
		return false
	}
	f, ok := t.FieldByName("v")
	if !ok {
		return false
	}
	off := f.Offset
	switch f.Type.Size() {
	case 4:
		p.copy = func(_ *state, dst, src unsafe.Pointer) error {
			v := atomic.LoadUint32((*uint32)(unsafe.Add(src, off)))
			atomic.StoreUint32((*uint32)(unsafe.Add(dst, off)), v)
			return nil
		}
	case 8:
		p.copy = func(_ *state, dst, src unsafe.Pointer) error {
			v := atomic.LoadUint64((*uint64)(unsafe.Add(src, off)))
			atomic.StoreUint64((*uint64)(unsafe.Add(dst, off)), v)
			return nil
		}
	default:
		return false
	}
	return true
}
