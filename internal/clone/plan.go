package clone

// Plans: what to do to copy a value of one type, compiled once per type
// and cached.
//
// A plan's copy function works on raw memory: it reads the value at src
// and overwrites the value at dst completely (dst may hold garbage, e.g. a
// reused temporary). Plans of pointer-shaped types ("direct": pointers,
// maps, funcs, chans, and structs or arrays wrapping exactly one of those)
// also have a word function that clones the value given as its one word,
// which lets interfaces and the fast paths avoid temporaries.
//
// Compilation walks a type once. Recursive types (a struct holding a
// pointer to itself) meet their own plan while it is still being built:
// the plan is registered before its parts are compiled, and parts call it
// through the plan pointer at run time, when it is complete. Plans reach
// readers only once a whole compilation is done.

import (
	"reflect"
	"sync"
	"sync/atomic"
	"unsafe"
)

type copyFunc func(st *state, dst, src unsafe.Pointer) error

type wordFunc func(st *state, w unsafe.Pointer) (unsafe.Pointer, error)

type planKind uint8

const (
	kindOther  planKind = iota
	kindStruct          // a plain struct, whose fields may be flattened into its parent
	kindCustom          // a Hook or a CloneMessage method
)

type plan struct {
	t    reflect.Type
	rt   unsafe.Pointer // the runtime type descriptor behind t
	size uintptr
	kind planKind
	gen  uint32 // planGen when compiled

	// ptrs: values of t contain pointers (so copies need write barriers).
	ptrs bool
	// imm: a value of t reaches no mutable memory and needs no special
	// treatment, so it may be copied bitwise, and shared when boxed in an
	// interface: pointer-free types, strings, *time.Location, error
	// interfaces, and structs and arrays of those.
	imm bool
	// isErr: t implements error, so interface values holding a t are passed
	// on as they are (errors are immutable by convention).
	isErr bool
	// pass = imm || isErr: an interface holding a t is copied as is.
	pass bool
	// direct: t is stored in an interface's data word (word is set).
	direct bool
	// atRisk (slices): the elements can lead back to the same array
	// without passing through a pointer or a map, so arrays are memoised
	// to keep such cycles finite.
	atRisk bool

	copy copyFunc
	word wordFunc

	elem, key *plan // pointer, slice, array, map element; map key
	hook      Hook  // registered hook (kindCustom, or pointer plans)
	cloner    bool  // CloneMessage is called (kindCustom, or pointer plans)
	ops       []fieldOp
	mapFast   *mapFastPath
}

var (
	// plans is the published cache, copied on write: readers load it
	// without locking. Keys are runtime type descriptors.
	plans atomic.Pointer[map[unsafe.Pointer]*plan]
	// compileMu serialises compilations and hook registrations.
	compileMu sync.Mutex
	// recent is a small direct-mapped cache in front of plans for the
	// lookups done per interface value.
	recent [256]atomic.Pointer[plan]
	// planGen counts the resets by Register: plans of an older generation
	// found in recent are stale.
	planGen atomic.Uint32
)

// planOf returns the plan for t, compiling it if needed.
func planOf(t reflect.Type) *plan { return planOfRT(rtypeOf(t)) }

// planOfRT returns the plan for the type whose descriptor is rt.
func planOfRT(rt unsafe.Pointer) *plan {
	slot := &recent[(uintptr(rt)>>4)%uintptr(len(recent))]
	gen := planGen.Load()
	if p := slot.Load(); p != nil && p.rt == rt && p.gen == gen {
		return p
	}
	var p *plan
	if m := plans.Load(); m != nil {
		p = (*m)[rt]
	}
	if p == nil || p.gen != gen {
		p = compileType(typeOfRT(rt))
	}
	slot.Store(p)
	return p
}

// compileType compiles t and every type it needs that has no plan yet,
// then publishes them all at once.
func compileType(t reflect.Type) *plan {
	compileMu.Lock()
	defer compileMu.Unlock()
	old := plans.Load()
	if old != nil {
		if p := (*old)[rtypeOf(t)]; p != nil {
			return p
		}
	}
	b := &builder{old: old, building: map[reflect.Type]*plan{}}
	p := b.plan(t)
	m := make(map[unsafe.Pointer]*plan, len(b.building)+lenOf(old))
	if old != nil {
		for k, v := range *old {
			m[k] = v
		}
	}
	for _, q := range b.building {
		m[q.rt] = q
	}
	plans.Store(&m)
	return p
}

func lenOf(m *map[unsafe.Pointer]*plan) int {
	if m == nil {
		return 0
	}
	return len(*m)
}

// resetPlans discards every compiled plan, so that each type is compiled
// again, with the new hook, when it is next met; Register calls it with
// compileMu held. A plan of the old generation that a lookup still finds
// (in recent, or in a map loaded before the reset) is recompiled too.
// Clones already running keep the plans they hold.
func resetPlans() {
	planGen.Add(1)
	plans.Store(nil)
	for i := range recent {
		recent[i].Store(nil)
	}
}

type builder struct {
	old      *map[unsafe.Pointer]*plan
	building map[reflect.Type]*plan
}

// plan returns the plan for t: published, being built, or new.
func (b *builder) plan(t reflect.Type) *plan {
	rt := rtypeOf(t)
	if b.old != nil {
		if p := (*b.old)[rt]; p != nil {
			return p
		}
	}
	if p := b.building[t]; p != nil {
		return p
	}
	p := &plan{t: t, rt: rt, size: t.Size(), gen: planGen.Load()}
	b.building[t] = p
	p.ptrs = hasPointers(t)
	p.isErr = t.Implements(errorType)
	p.direct = isDirectIface(t)
	b.compile(p)
	p.pass = p.imm || p.isErr
	if p.copy == nil {
		p.copy = copyOfWord(p.word)
	}
	if p.direct && p.word == nil {
		if p.imm {
			p.word = func(_ *state, w unsafe.Pointer) (unsafe.Pointer, error) { return w, nil }
		} else {
			p.word = wordOfCopy(p)
		}
	}
	return p
}

// compile fills in p: hooks and CloneMessage first, then the types with
// special rules, then by kind.
func (b *builder) compile(p *plan) {
	t := p.t
	if t.Kind() != reflect.Pointer && t.Kind() != reflect.Interface {
		if h := hookFor(t); h != nil {
			compileCustom(p, h, false)
			return
		}
		if t.Implements(clonerType) {
			compileCustom(p, nil, true)
			return
		}
	}
	if compileSpecial(b, p) {
		return
	}
	switch t.Kind() {
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Complex64, reflect.Complex128, reflect.String:
		p.imm = true
		p.copy = blockCopy(p)
	case reflect.Func:
		compileRefusal(p, "func values cannot be cloned")
	case reflect.Chan:
		compileRefusal(p, "channels cannot be cloned")
	case reflect.UnsafePointer:
		compileRefusal(p, "unsafe.Pointer values cannot be cloned")
	case reflect.Pointer:
		compilePointer(b, p)
	case reflect.Interface:
		compileInterface(p)
	case reflect.Array:
		compileArray(b, p)
	case reflect.Slice:
		compileSlice(b, p)
	case reflect.Map:
		compileMap(b, p)
	case reflect.Struct:
		compileStruct(b, p)
	default:
		compileRefusal(p, "values of kind "+t.Kind().String()+" cannot be cloned")
	}
}

// compileRefusal makes p fail on any non-nil value (funcs, chans,
// unsafe.Pointer: all pointer-shaped, so the zero value is nil).
func compileRefusal(p *plan, reason string) {
	p.word = func(_ *state, w unsafe.Pointer) (unsafe.Pointer, error) {
		if w == nil {
			return nil, nil
		}
		return nil, fail(p.t, reason)
	}
}

// wordOfCopy derives the word function of a direct type from its copy
// function (a fallback: the plans of pointer-shaped types define both), and
// copyOfWord the other way round.
func wordOfCopy(p *plan) wordFunc {
	cp := p.copy
	return func(st *state, w unsafe.Pointer) (unsafe.Pointer, error) {
		var out unsafe.Pointer
		err := cp(st, unsafe.Pointer(&out), unsafe.Pointer(&w))
		return out, err
	}
}

func copyOfWord(word wordFunc) copyFunc {
	return func(st *state, dst, src unsafe.Pointer) error {
		w, err := word(st, *(*unsafe.Pointer)(src))
		*(*unsafe.Pointer)(dst) = w
		return err
	}
}

// blockCopy returns the copy function of an immutable type: one bitwise
// copy, with write barriers when the type holds pointers.
func blockCopy(p *plan) copyFunc {
	size := p.size
	switch {
	case size == 0:
		return func(*state, unsafe.Pointer, unsafe.Pointer) error { return nil }
	case !p.ptrs && size == 8:
		return func(_ *state, dst, src unsafe.Pointer) error {
			*(*uint64)(dst) = *(*uint64)(src)
			return nil
		}
	case !p.ptrs:
		return func(_ *state, dst, src unsafe.Pointer) error {
			memmove(dst, src, size)
			return nil
		}
	case p.t.Kind() == reflect.String:
		return func(_ *state, dst, src unsafe.Pointer) error {
			*(*string)(dst) = *(*string)(src)
			return nil
		}
	default:
		return func(_ *state, dst, src unsafe.Pointer) error {
			typedmemmove(p, dst, src)
			return nil
		}
	}
}

// hasPointers reports whether values of t hold pointers.
func hasPointers(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Chan, reflect.Func, reflect.UnsafePointer,
		reflect.Interface, reflect.Slice, reflect.String:
		return true
	case reflect.Array:
		return t.Len() > 0 && hasPointers(t.Elem())
	case reflect.Struct:
		for i := range t.NumField() {
			if hasPointers(t.Field(i).Type) {
				return true
			}
		}
	}
	return false
}

var (
	errorType  = reflect.TypeFor[error]()
	clonerType = reflect.TypeFor[Cloner]()
)
