// Package clone is the structured-clone engine behind msgport: it makes
// deep copies of Go values that share no mutable memory with the
// original, the Go counterpart of the web's structuredClone.
//
// It compiles a copy plan per reflect.Type once, caches it, and then runs
// it over raw memory, so a clone costs little more than a hand-written
// copy function.
//
// # Rules
//
//   - Booleans, numbers and strings are copied by value (strings are
//     immutable and shared).
//   - Slices, arrays, maps, structs (exported and unexported fields) and
//     pointers are copied deeply. A nil slice, map or pointer stays nil; an
//     empty non-nil one stays empty and non-nil. A cloned slice's capacity
//     equals its length.
//   - An interface keeps its dynamic type and its dynamic value is cloned.
//     When that value reaches no mutable memory (numbers, strings, structs
//     and arrays of those) the interface is copied as is, at no cost.
//   - Identity is kept: two pointers to one object, or two references to
//     one map, refer to one object or map in the clone, and cycles stay
//     cycles. Two slices sharing a backing array are copied separately,
//     except where a slice leads back to its own array without a pointer
//     or map in between (a []any holding itself), which stays a cycle. A
//     pointer to a field or element of another object in the value is
//     cloned as an object of its own.
//   - Error values are passed on as they are, not copied: wherever an
//     interface (any, error, ...) holds a value whose type implements
//     error, the clone holds that same value, so errors.Is keeps matching
//     sentinels such as io.EOF. A field of a concrete type that happens to
//     implement error is copied like any other.
//   - time.Time is copied as is (its *time.Location is shared, being
//     immutable), so the clone is == to the original.
//   - sync.Mutex, RWMutex, WaitGroup, Once and Pool become their zero value
//     (unlocked, not done, empty); a sync.Map becomes a new sync.Map
//     holding clones of the entries (read with Range); a sync.Cond cannot
//     be cloned. The sync/atomic types Bool, Int32, Int64, Uint32, Uint64,
//     Uintptr, Value and Pointer become new ones holding a clone of the
//     value loaded atomically.
//   - A non-nil func, chan or unsafe.Pointer cannot be cloned; nil ones
//     clone to nil. Neither can a reflect.Value (it may point into the
//     original).
//   - A type can clone itself (see Cloner), and a package can register a
//     Hook for a type it owns.
//   - The source is never modified. On failure the result is the zero
//     value and an *Error saying where and why.
//   - Deep values do not overflow the stack: recursion stops at a fixed
//     depth and the rest of the work goes on an explicit work stack.
//
// Map keys are cloned too (map[*T]V keys keep their identity). NaN keys
// are kept: each NaN entry of the original has one in the clone.
package clone

import (
	"reflect"
	"unsafe"
)

// Cloner is implemented by types that supply their own clone. A value of a
// type T whose method CloneMessage has a value receiver, or a non-nil
// pointer *T whose method has a pointer receiver, is cloned by calling the
// method instead of being copied; the result must have exactly the
// receiver's type (T or *T), and an error fails the clone with an *Error
// at that place. The clone is taken as it is returned: it must share no
// mutable memory with the receiver. A pointer's method is called once per
// distinct pointer (identity is kept). A method with a pointer receiver is
// not called for a T held as a value. An error value held in an interface
// is passed on as is without calling its method. A CloneMessage promoted
// from an embedded field counts as the outer type's own, so such a type
// must define its own method. When the failure of a clone sits deeper
// than the recursion limit, the value is walked a second time to name
// the path, so methods and hooks may run twice for a failed clone.
type Cloner interface {
	CloneMessage() (any, error)
}

// Seed says that, wherever the pointer From is met in the source, the clone
// holds To instead. From and To must be non-nil pointers of one type.
// Transfers use it: the data refers to the transferred object by its new
// identity.
type Seed struct{ From, To any }

// Error reports where and why a value cannot be cloned.
type Error struct {
	// Path says where the value sits, as Go would reach it from the root:
	// ".Jobs[2].Done", `["key"]`, "[3].Next.Fn". Pointer dereferences and
	// interface unwraps add nothing; the root itself is "". A failure
	// inside a map key is marked "(key)": `[{0xc000010000}](key).C`.
	// Paths of more than 64 segments keep their first and last 32 around
	// "...(N more)...".
	Path string
	// Type is the type that cannot be cloned (or whose Hook or
	// CloneMessage method failed).
	Type reflect.Type
	// Reason says why.
	Reason string
}

// Error says which type cannot be cloned, where, and why.
func (e *Error) Error() string {
	where := e.Path
	if where == "" {
		where = "(root)"
	}
	return "clone: cannot clone " + e.Type.String() + " at " + where + ": " + e.Reason
}

// Hook clones a value of a registered type: v holds the value (for a
// pointer type, the pointer), and the result must have the same type. An
// error fails the clone with an *Error whose Reason is the error's text.
type Hook func(v any) (any, error)

// Register installs h as the way to clone values of type t, which must not
// be an interface type. For a pointer type, h is called once per distinct
// non-nil pointer that is not seeded: nil stays nil, and a pointer met
// again, or seeded, maps to its clone first. A hook takes precedence over a
// CloneMessage method.
//
// Register is meant for init functions. It is safe to call at any time:
// clones that start after it returns use the hook, clones already running
// may not. It panics if t or h is
// nil, if t is an interface type, or if t already has a hook.
func Register(t reflect.Type, h Hook) {
	if t == nil || h == nil {
		panic("clone: Register with a nil type or hook")
	}
	if t.Kind() == reflect.Interface {
		panic("clone: Register: hooks are for concrete types, not the interface type " + t.String())
	}
	compileMu.Lock()
	defer compileMu.Unlock()
	if hooks[t] != nil {
		panic("clone: Register called twice for " + t.String())
	}
	hooks[t] = h
	resetPlans()
}

// Value returns a clone of v with the same dynamic type, by the rules in
// the package documentation, with seeds applied. An error value, or one
// that reaches no mutable memory, is returned as is.
//
// Value is safe for concurrent use as long as nobody writes to v while it
// runs.
func Value(v any, seeds []Seed) (any, error) {
	e := efaceOf(&v)
	if e.typ == nil {
		return nil, nil
	}
	p := planOfRT(e.typ)
	if p.pass {
		return v, nil
	}
	var nd unsafe.Pointer
	err := run(seeds, func(st *state) error {
		var err error
		nd, err = st.cloneDyn(e.typ, e.data)
		return err
	})
	if err != nil {
		return nil, err
	}
	return makeEface(e.typ, nd), nil
}

// Typed returns a clone of v, by the rules in the package documentation.
// T may itself be an interface type. Unlike Value it does not box v, and a
// value of an immutable type is returned without any work.
//
// Typed is safe for concurrent use as long as nobody writes to v while it
// runs.
func Typed[T any](v T) (T, error) {
	p := planOf(reflect.TypeFor[T]())
	if p.imm {
		return v, nil
	}
	if p.direct {
		return typedWord(p, v)
	}
	return typedCopy(p, v)
}

// typedWord clones a value of a pointer-shaped type, passed as its word.
func typedWord[T any](p *plan, v T) (T, error) {
	var nw unsafe.Pointer
	err := run(nil, func(st *state) error {
		var err error
		nw, err = p.word(st, *(*unsafe.Pointer)(unsafe.Pointer(&v)))
		return err
	})
	if err != nil {
		var zero T
		return zero, err
	}
	return *(*T)(unsafe.Pointer(&nw)), nil
}

// typedCopy clones any other value. Plans take the addresses of v and of
// the result; noescape keeps both on the stack (see unsafe_linkname.go),
// and the assignment to escapeSink, never executed, makes what v points to
// escape as it must.
func typedCopy[T any](p *plan, v T) (T, error) {
	if escapeSink.on {
		escapeSink.v = v
	}
	var out T
	src, dst := noescape(unsafe.Pointer(&v)), noescape(unsafe.Pointer(&out))
	err := run(nil, func(st *state) error { return p.copy(st, dst, src) })
	if err != nil {
		var zero T
		return zero, err
	}
	return out, nil
}

var escapeSink struct {
	on bool
	v  any
}
