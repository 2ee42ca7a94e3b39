package msgport_test

// Hostile input for the cloner (issue "Reliability", bad input): values
// that cannot be cloned at every depth, cycles, giant values, sync
// primitives, reflect, ports and buffers in odd places, errors, and float
// and nil/empty corner cases. Every case runs through StructuredClone and
// through a real MessagePort (PostMessage on one end, Receive on the
// other) and must come out the same way on both.

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"unsafe"

	"github.com/google/go-cmp/cmp"
	"github.com/seed01aa7ee5/msgport"
	"github.com/seed01aa7ee5/msgport/internal/sharecheck"
)

// hvEnv is what a case builds its value from: a fresh channel whose Port1
// (self) the message is posted on and whose Port2 (peer) receives it, and
// an unrelated channel for transfers. StructuredClone gets the same kind of
// fixture, though it has no sending port.
type hvEnv struct {
	t          *testing.T
	self, peer *msgport.MessagePort
	other      *msgport.MessageChannel
}

// hvWant is the expected outcome of one route.
type hvWant struct {
	err    bool         // a *DataCloneError
	path   string       // its exact Path
	typ    reflect.Type // its exact Type (nil for transfer-list errors)
	reason string       // a substring of its Reason
}

// hvResult is what a successful route produced.
type hvResult struct {
	orig, got any
	transfer  []msgport.Transferable
	ports     []*msgport.MessagePort // MessageEvent.Ports (nil for StructuredClone)
	viaPost   bool
}

type hvCase struct {
	name string
	make func(e hvEnv) (v any, transfer []msgport.Transferable)
	want hvWant  // for both routes
	post *hvWant // for PostMessage, where it differs from StructuredClone
	// noDiff skips the generic checks of a successful clone (same dynamic
	// type, cmp.Diff, no shared mutable memory) for values they cannot
	// judge (giant, sync, NaN, ports); check then does the work.
	noDiff bool
	check  func(t *testing.T, r hvResult)
}

// hvFail is the expectation of a DataCloneError.
func hvFail(path string, typ reflect.Type, reason string) hvWant {
	return hvWant{err: true, path: path, typ: typ, reason: reason}
}

// hvVal is a case value that needs no fixture and no transfer list.
func hvVal(v any) func(hvEnv) (any, []msgport.Transferable) {
	return func(hvEnv) (any, []msgport.Transferable) { return v, nil }
}

// hvNew builds the value anew for every route.
func hvNew(f func() any) func(hvEnv) (any, []msgport.Transferable) {
	return func(hvEnv) (any, []msgport.Transferable) { return f(), nil }
}

var hvCmp = cmp.Options{
	cmp.Exporter(func(reflect.Type) bool { return true }),
	// Type descriptors are compared by identity, not by their internals.
	cmp.Comparer(func(a, b reflect.Type) bool { return a == b }),
}

type (
	hvJob struct {
		Name string
		Done func()
	}
	hvJobs struct {
		Owner string
		Jobs  []hvJob
	}
	hvNode struct {
		V    int
		Next *hvNode
		Fn   func()
	}
	hvKey struct {
		N int
		C chan int
	}
	// hvFuncStringer is a func type with a method, to sit in a non-empty
	// interface.
	hvFuncStringer func() string
	// hvFuncError is a func type that is an error: the error rule passes it
	// on as is.
	hvFuncError func() string
	hvA         struct {
		Name string
		B    *hvB
	}
	hvB struct {
		Name string
		a    *hvA
	}
	hvMapKeyed struct {
		Name string
		M    map[*hvMapKeyed]int
	}
	hvIfaceNode struct {
		V    int
		Next any
	}
	hvSyncs struct {
		Mu    sync.Mutex
		RW    sync.RWMutex
		WG    sync.WaitGroup
		Once  sync.Once
		N     atomic.Int64
		B     atomic.Bool
		U32   atomic.Uint32
		P     atomic.Pointer[[]int]
		V     atomic.Value
		M     sync.Map
		Count int
	}
	hvAtomicNode struct {
		Name string
		P    atomic.Pointer[hvAtomicNode]
	}
	hvCondHolder struct {
		Name string
		C    sync.Cond
	}
	hvErrDetail struct{ Msg string }
	hvPtrErr    struct {
		Code   int
		Detail *hvErrDetail
	}
	hvValErr struct{ Detail *hvErrDetail }
)

func (f hvFuncStringer) String() string { return f() }
func (f hvFuncError) Error() string     { return f() }
func (e *hvPtrErr) Error() string       { return fmt.Sprintf("code %d: %s", e.Code, e.Detail.Msg) }
func (e hvValErr) Error() string        { return e.Detail.Msg }

var (
	hvFuncType   = reflect.TypeFor[func()]()
	hvChanType   = reflect.TypeFor[chan int]()
	hvUnsafeType = reflect.TypeFor[unsafe.Pointer]()
	hvPortType   = reflect.TypeFor[*msgport.MessagePort]()
	hvBufType    = reflect.TypeFor[*msgport.Buffer]()
)

// hvList returns a list of n nodes; the last one's Fn is fn.
func hvList(n int, fn func()) *hvNode {
	last := &hvNode{V: n - 1, Fn: fn}
	head := last
	for i := n - 2; i >= 0; i-- {
		head = &hvNode{V: i, Next: head}
	}
	return head
}

// hvDeepPath is the Path of the func at the end of an n-node list: n
// segments, of which the engine keeps the first and last 32.
func hvDeepPath(n int) string {
	return strings.Repeat(".Next", 32) + fmt.Sprintf("...(%d more)...", n-64) + strings.Repeat(".Next", 31) + ".Fn"
}

func hvSame(a, b any) bool {
	return reflect.ValueOf(a).UnsafePointer() == reflect.ValueOf(b).UnsafePointer()
}

// hvDetached reports whether a transferable was moved away.
func hvDetached(x msgport.Transferable) bool {
	switch o := x.(type) {
	case *msgport.Buffer:
		return o.Detached()
	case *msgport.MessagePort:
		select {
		case <-o.Done():
			return true
		default:
			return false
		}
	}
	return false
}

// hvMovedPort checks that a port transferred by a successful route was
// detached and replaced by a new one (the one in ev.Ports, for a post),
// and closes the new one at the end of the test.
func hvMovedPort(t *testing.T, r hvResult, old, np *msgport.MessagePort) {
	t.Helper()
	if np == nil || np == old {
		t.Fatalf("the data holds %p, want a new port instead of %p", np, old)
	}
	t.Cleanup(func() { np.Close() })
	if r.viaPost && (len(r.ports) != 1 || r.ports[0] != np) {
		t.Errorf("MessageEvent.Ports = %v, want [%p], the port in the data", r.ports, np)
	}
	if err := old.PostMessage(1); !errors.Is(err, msgport.ErrClosed) {
		t.Errorf("the transferred port is not detached: PostMessage = %v", err)
	}
}

func TestHostileValues(t *testing.T) {
	fn := func() {}
	ch := make(chan int)
	x := 0
	up := unsafe.Pointer(&x)
	pfn := &fn
	pch := &ch
	var nilFn func()

	// The giant values are built once and shared by both routes: a
	// successful clone never writes to its source. Full size they take
	// about 4 s; under the race detector the two million-node lists alone
	// took 17 s on two cores (six walks of a million nodes: the failing
	// list is walked twice, to name the path), so -race shrinks them to
	// 250,000 nodes, as the soak test does, keeping the whole test near
	// 10 s in CI.
	// TestCloneDeepList still clones a million nodes under -race. -short
	// shrinks everything tenfold. Even 100,000 nodes are 390 times the
	// engine's recursion limit deep.
	deep, mapSize, byteSize := 1_000_000, 1_000_000, 10_000_000
	if raceEnabled {
		deep = 250_000
	}
	if testing.Short() {
		deep, mapSize, byteSize = 100_000, mapSize/10, byteSize/10
	}
	list := sync.OnceValue(func() *hvNode { return hvList(deep, nil) })
	badList := sync.OnceValue(func() *hvNode { return hvList(deep, fn) })
	bigMap := sync.OnceValue(func() map[int]int {
		m := make(map[int]int, mapSize)
		for i := range mapSize {
			m[i] = -i
		}
		return m
	})
	bigBytes := sync.OnceValue(func() []byte {
		b := make([]byte, byteSize)
		for i := range 251 {
			b[i] = byte(i * 7)
		}
		for n := 251; n < len(b); n *= 2 {
			copy(b[n:], b[:n])
		}
		return b
	})
	huge := strings.Repeat("hostile ", 4<<20) // 32 MiB
	negZero := math.Copysign(0, -1)
	nan := math.NaN()
	// signedZeros holds negative zero in every float-carrying shape.
	type signedZeros struct {
		F   float64
		F32 float32
		C   complex128
		A   any
		L   []float64
		M   map[float64]string
	}

	cases := []hvCase{
		// ---- funcs, chans and unsafe.Pointers at every depth ----
		{name: "func at the root", make: hvVal(fn), want: hvFail("", hvFuncType, "func")},
		{name: "chan at the root", make: hvVal(ch), want: hvFail("", hvChanType, "chan")},
		{name: "unsafe.Pointer at the root", make: hvVal(up), want: hvFail("", hvUnsafeType, "unsafe.Pointer")},
		{name: "func in an exported field", make: hvVal(struct {
			Name string
			Done func()
		}{"a", fn}), want: hvFail(".Done", hvFuncType, "func")},
		{name: "chan in an unexported field", make: hvVal(struct {
			Name string
			done chan int
		}{"a", ch}), want: hvFail(".done", hvChanType, "chan")},
		{name: "unsafe.Pointer in nested structs", make: hvVal(struct {
			In struct{ deeper struct{ P unsafe.Pointer } }
		}{In: struct{ deeper struct{ P unsafe.Pointer } }{deeper: struct{ P unsafe.Pointer }{up}}}),
			want: hvFail(".In.deeper.P", hvUnsafeType, "unsafe.Pointer")},
		{name: "job in a slice", make: hvVal(hvJobs{Jobs: []hvJob{{Name: "a"}, {Name: "b"}, {Name: "c", Done: fn}}}),
			want: hvFail(".Jobs[2].Done", hvFuncType, "func")},
		{name: "chan as a map value", make: hvVal(map[string]any{"ok": 1, "key": ch}),
			want: hvFail(`["key"]`, hvChanType, "chan")},
		{name: "func as an int-keyed map value", make: hvVal(map[int]func(){7: fn}),
			want: hvFail("[7]", hvFuncType, "func")},
		{name: "chan as a map key", make: hvVal(map[chan int]string{ch: "v"}),
			want: hvFail(fmt.Sprintf("[%v](key)", ch), hvChanType, "chan")},
		{name: "unsafe.Pointer as a map key", make: hvVal(map[unsafe.Pointer]int{up: 1}),
			want: hvFail(fmt.Sprintf("[%v](key)", up), hvUnsafeType, "unsafe.Pointer")},
		{name: "chan in a struct map key", make: hvVal(map[hvKey]int{{N: 1, C: ch}: 1}),
			want: hvFail(fmt.Sprintf("[%v](key).C", hvKey{N: 1, C: ch}), hvChanType, "chan")},
		{name: "chan in an array map key", make: hvVal(map[[2]chan int]int{{nil, ch}: 1}),
			want: hvFail(fmt.Sprintf("[%v](key)[1]", [2]chan int{nil, ch}), hvChanType, "chan")},
		{name: "chan in an interface map key", make: hvVal(map[any]int{ch: 1}),
			want: hvFail(fmt.Sprintf("[%v](key)", ch), hvChanType, "chan")},
		{name: "func as a slice element", make: hvVal([]any{1, "two", fn}),
			want: hvFail("[2]", hvFuncType, "func")},
		{name: "chan as an array element", make: hvVal([3]chan int{nil, nil, ch}),
			want: hvFail("[2]", hvChanType, "chan")},
		{name: "func in an array of structs in a map", make: hvVal(map[string][2]hvJob{"x": {{}, {Done: fn}}}),
			want: hvFail(`["x"][1].Done`, hvFuncType, "func")},
		{name: "func in an embedded struct", make: hvVal(struct {
			hvJob
			N int
		}{hvJob: hvJob{Done: fn}}), want: hvFail(".hvJob.Done", hvFuncType, "func")},
		{name: "func in an embedded pointer", make: hvVal(struct{ *hvJob }{&hvJob{Done: fn}}),
			want: hvFail(".hvJob.Done", hvFuncType, "func")},
		{name: "func in an empty interface field", make: hvVal(struct{ V any }{fn}),
			want: hvFail(".V", hvFuncType, "func")},
		{name: "func type in a non-empty interface", make: hvVal(struct{ S fmt.Stringer }{hvFuncStringer(func() string { return "s" })}),
			want: hvFail(".S", reflect.TypeFor[hvFuncStringer](), "func")},
		{name: "func in interfaces in interfaces", make: hvVal([]any{[]any{map[string]any{"f": fn}}}),
			want: hvFail(`[0][0]["f"]`, hvFuncType, "func")},
		{name: "pointer to a func in an interface", make: hvVal(any(pfn)),
			want: hvFail("", hvFuncType, "func")},
		{name: "pointer to pointer to func in a field", make: hvVal(&struct{ PP **func() }{&pfn}),
			want: hvFail(".PP", hvFuncType, "func")},
		{name: "pointer to pointer to pointer to chan", make: hvVal(func() ***chan int { pp := &pch; return &pp }()),
			want: hvFail("", hvChanType, "chan")},
		{name: "chan in a map in a slice in a struct", make: hvVal(struct {
			Name string
			L    []map[string]any
		}{L: []map[string]any{{}, {"k": []any{nil, ch}}}}),
			want: hvFail(`.L[1]["k"][1]`, hvChanType, "chan")},
		{name: "func in a map in a slice in an unexported field", make: hvVal(&struct{ m map[string][]any }{
			m: map[string][]any{"k": {0, fn}}}),
			want: hvFail(`.m["k"][1]`, hvFuncType, "func")},
		{name: "func in a sync.Map", make: hvNew(func() any {
			s := &struct{ M sync.Map }{}
			s.M.Store("k", fn)
			return s
		}), want: hvFail(`.M["k"]`, hvFuncType, "func")},
		{name: "chan in an atomic.Value", make: hvNew(func() any {
			s := &struct{ V atomic.Value }{}
			s.V.Store(ch)
			return s
		}), want: hvFail(".V", hvChanType, "chan")},
		{name: "func behind an atomic.Pointer", make: hvNew(func() any {
			s := &struct{ P atomic.Pointer[func()] }{}
			s.P.Store(pfn)
			return s
		}), want: hvFail(".P", hvFuncType, "func")},
		{name: "nil funcs, chans and unsafe.Pointers clone to nil", make: hvVal(&struct {
			Fn   func()
			fn   func()
			Ch   chan int
			ch   <-chan string
			P    unsafe.Pointer
			p    unsafe.Pointer
			PP   **func()
			I    any
			L    []func()
			A    [2]chan int
			M    map[string]chan int
			Keys map[chan int]int
			F    fmt.Stringer
		}{
			PP:   &[]*func(){&nilFn}[0],
			I:    nilFn,
			L:    []func(){nil, nil},
			M:    map[string]chan int{"c": nil},
			Keys: map[chan int]int{nil: 1},
			F:    hvFuncStringer(nil),
		}), check: func(t *testing.T, r hvResult) {
			c := reflect.ValueOf(r.got).Elem()
			if f, ok := c.FieldByName("I").Interface().(func()); !ok || f != nil {
				t.Errorf("a nil func in an interface became %#v, want a nil func()", c.FieldByName("I").Interface())
			}
			if s, ok := c.FieldByName("F").Interface().(hvFuncStringer); !ok || s != nil {
				t.Errorf("a nil hvFuncStringer became %#v", c.FieldByName("F").Interface())
			}
		}},

		// ---- cycles ----
		{name: "self-referencing map", make: hvNew(func() any {
			m := map[string]any{"n": 1}
			m["self"] = m
			return m
		}), check: func(t *testing.T, r hvResult) {
			c := r.got.(map[string]any)
			if !hvSame(c["self"], c) || hvSame(c, r.orig) {
				t.Error(`the clone's m["self"] is not the clone itself`)
			}
		}},
		{name: "maps referencing each other through a slice", make: hvNew(func() any {
			a, b := map[string]any{}, map[string]any{}
			a["list"] = []any{b}
			b["back"] = a
			return a
		}), check: func(t *testing.T, r hvResult) {
			c := r.got.(map[string]any)
			b := c["list"].([]any)[0].(map[string]any)
			if !hvSame(b["back"], c) || hvSame(b, r.orig.(map[string]any)["list"].([]any)[0]) {
				t.Error("the cycle a -> list -> b -> a is not preserved in the clone")
			}
		}},
		{name: "self-referencing slice", make: hvNew(func() any {
			s := make([]any, 3)
			s[0], s[1], s[2] = s, "x", 2
			return s
		}), check: func(t *testing.T, r hvResult) {
			c := r.got.([]any)
			inner, ok := c[0].([]any)
			if !ok || len(inner) != 3 || unsafe.SliceData(inner) != unsafe.SliceData(c) {
				t.Fatal("the clone's s[0] is not the clone itself")
			}
			if unsafe.SliceData(c) == unsafe.SliceData(r.orig.([]any)) {
				t.Error("the clone shares the original's array")
			}
		}},
		// cmp.Diff cannot judge the next two: the clone is the same value
		// but, as documented, slices sharing an array are copied separately,
		// so s[:1] no longer aliases s's own array, and cmp compares pointer
		// map keys by address.
		{name: "subslices of one array holding each other (documented: s[:1] gets an array of its own)", noDiff: true, make: hvNew(func() any {
			s := make([]any, 3)
			s[0], s[1], s[2] = s[1:2], s[:1], "x"
			return s
		}), check: func(t *testing.T, r hvResult) {
			hvNoSharing(t, r)
			c := r.got.([]any)
			a, b := c[0].([]any), c[1].([]any)
			if len(c) != 3 || c[2] != "x" || len(a) != 1 || len(b) != 1 {
				t.Fatalf("clone %v", c)
			}
			if unsafe.SliceData(a[0].([]any)) != unsafe.SliceData(b) || unsafe.SliceData(b[0].([]any)) != unsafe.SliceData(a) {
				t.Error("the cycle s[1:2] -> s[:1] -> s[1:2] is not preserved in the clone")
			}
		}},
		{name: "pointer to an array holding a slice of itself (documented: the slice gets an array of its own)", make: hvNew(func() any {
			arr := new([2]any)
			arr[0], arr[1] = arr[:], 1
			return arr
		}), check: func(t *testing.T, r hvResult) {
			c := r.got.(*[2]any)
			inner := c[0].([]any)
			if len(inner) != 2 || unsafe.SliceData(inner[0].([]any)) != unsafe.SliceData(inner) || inner[1] != 1 {
				t.Error("the slice in the clone does not hold itself")
			}
		}},
		{name: "cycle through a map key", noDiff: true, make: hvNew(func() any {
			a := &hvMapKeyed{Name: "a"}
			a.M = map[*hvMapKeyed]int{a: 1}
			return a
		}), check: func(t *testing.T, r hvResult) {
			hvNoSharing(t, r)
			c := r.got.(*hvMapKeyed)
			if c.Name != "a" || len(c.M) != 1 || c.M[c] != 1 {
				t.Error("the clone's map is not keyed by the clone itself")
			}
		}},
		{name: "mutually referencing structs", make: hvNew(func() any {
			a := &hvA{Name: "a"}
			a.B = &hvB{Name: "b", a: a}
			return a
		}), check: func(t *testing.T, r hvResult) {
			c := r.got.(*hvA)
			if c.B.a != c || c == r.orig {
				t.Error("a.B.a is not the cloned a")
			}
		}},
		{name: "pointer cycle through an interface field", make: hvNew(func() any {
			n := &hvIfaceNode{V: 1}
			n.Next = &hvIfaceNode{V: 2, Next: n}
			return n
		}), check: func(t *testing.T, r hvResult) {
			c := r.got.(*hvIfaceNode)
			if c.Next.(*hvIfaceNode).Next != any(c) || c == r.orig {
				t.Error("n.Next.Next is not the cloned n")
			}
		}},
		{name: "pointer to an interface holding itself", make: hvNew(func() any {
			p := new(any)
			*p = p
			return p
		}), check: func(t *testing.T, r hvResult) {
			c := r.got.(*any)
			if *c != any(c) || c == r.orig {
				t.Error("*p is not the cloned p")
			}
		}},

		// ---- giant values ----
		{name: fmt.Sprintf("%d-deep linked list", deep), noDiff: true, make: func(hvEnv) (any, []msgport.Transferable) {
			return list(), nil
		}, check: func(t *testing.T, r hvResult) {
			n := 0
			a, b := r.orig.(*hvNode), r.got.(*hvNode)
			for ; a != nil; a, b = a.Next, b.Next {
				if b == nil || b == a || b.V != a.V || b.Fn != nil {
					t.Fatalf("node %d: clone %p %+v, original %p %+v", n, b, b, a, a)
				}
				n++
			}
			if b != nil || n != deep {
				t.Fatalf("the clone is longer than the original's %d nodes", n)
			}
		}},
		{name: fmt.Sprintf("%d-deep linked list with a func at the end", deep), make: func(hvEnv) (any, []msgport.Transferable) {
			return badList(), nil
		}, want: hvFail(hvDeepPath(deep), hvFuncType, "func")},
		{name: fmt.Sprintf("%d-entry map", mapSize), noDiff: true, make: func(hvEnv) (any, []msgport.Transferable) {
			return bigMap(), nil
		}, check: func(t *testing.T, r hvResult) {
			m, c := r.orig.(map[int]int), r.got.(map[int]int)
			if len(c) != len(m) || hvSame(c, m) {
				t.Fatalf("len %d, want %d, or the map itself was shared", len(c), len(m))
			}
			for k, v := range c {
				if v != -k {
					t.Fatalf("c[%d] = %d", k, v)
				}
			}
		}},
		{name: fmt.Sprintf("%d-byte slice", byteSize), noDiff: true, make: func(hvEnv) (any, []msgport.Transferable) {
			return bigBytes(), nil
		}, check: func(t *testing.T, r hvResult) {
			b, c := r.orig.([]byte), r.got.([]byte)
			if !bytes.Equal(b, c) {
				t.Fatal("the bytes differ")
			}
			if unsafe.SliceData(c) == unsafe.SliceData(b) {
				t.Fatal("the bytes were shared, not copied")
			}
		}},

		// ---- sync and sync/atomic ----
		{name: "locked Mutex, RWMutex with a reader, WaitGroup with a count, atomics, sync.Map",
			noDiff: true,
			make: func(e hvEnv) (any, []msgport.Transferable) {
				s := &hvSyncs{Count: 3}
				s.Mu.Lock()
				s.RW.RLock()
				s.WG.Add(2)
				s.Once.Do(func() {})
				s.N.Store(42)
				s.B.Store(true)
				s.U32.Store(7)
				s.P.Store(&[]int{1, 2})
				s.V.Store([]string{"v"})
				s.M.Store("a", []int{1, 2})
				s.M.Store(7, &hvErrDetail{Msg: "x"})
				e.t.Cleanup(func() { s.Mu.Unlock(); s.RW.RUnlock(); s.WG.Add(-2) })
				return s, nil
			},
			check: func(t *testing.T, r hvResult) {
				s, c := r.orig.(*hvSyncs), r.got.(*hvSyncs)
				if c == s {
					t.Fatal("the struct itself was shared")
				}
				if !c.Mu.TryLock() {
					t.Error("the clone's Mutex is locked")
				}
				if !c.RW.TryLock() {
					t.Error("the clone's RWMutex has a reader")
				}
				if s.Mu.TryLock() || s.RW.TryLock() {
					t.Error("cloning released the original's locks")
				}
				waited := make(chan struct{})
				go func() { c.WG.Wait(); close(waited) }()
				await(t, waited, "the clone's WaitGroup (documented: zero count)")
				ran := false
				c.Once.Do(func() { ran = true })
				if !ran {
					t.Error("the clone's Once is done (documented: zero value, not done)")
				}
				if c.N.Load() != 42 || !c.B.Load() || c.U32.Load() != 7 || c.Count != 3 {
					t.Errorf("atomics lost their values: %d %v %d %d", c.N.Load(), c.B.Load(), c.U32.Load(), c.Count)
				}
				if p := c.P.Load(); p == nil || p == s.P.Load() || !slices.Equal(*p, []int{1, 2}) || unsafe.SliceData(*p) == unsafe.SliceData(*s.P.Load()) {
					t.Errorf("atomic.Pointer: %v, want a clone of [1 2]", p)
				}
				if v, _ := c.V.Load().([]string); !slices.Equal(v, []string{"v"}) || unsafe.SliceData(v) == unsafe.SliceData(s.V.Load().([]string)) {
					t.Errorf("atomic.Value: %v, want a clone of [v]", v)
				}
				n := 0
				c.M.Range(func(k, v any) bool {
					n++
					o, _ := s.M.Load(k)
					switch k {
					case "a":
						if !slices.Equal(v.([]int), o.([]int)) || unsafe.SliceData(v.([]int)) == unsafe.SliceData(o.([]int)) {
							t.Errorf(`sync.Map["a"] = %v, want a clone of %v`, v, o)
						}
					case 7:
						if d := v.(*hvErrDetail); d == o || d.Msg != "x" {
							t.Errorf("sync.Map[7] = %p %v, want a clone of %p", d, d, o)
						}
					default:
						t.Errorf("sync.Map has an unexpected key %v", k)
					}
					return true
				})
				if n != 2 {
					t.Errorf("sync.Map has %d entries, want 2", n)
				}
			}},
		{name: "cycle through an atomic.Pointer", noDiff: true, make: hvNew(func() any {
			n := &hvAtomicNode{Name: "n"}
			n.P.Store(n)
			return n
		}), check: func(t *testing.T, r hvResult) {
			if c := r.got.(*hvAtomicNode); c.P.Load() != c || c.Name != "n" {
				t.Error("the clone's P does not point to the clone")
			}
		}},
		{name: "cycle through an atomic.Value", noDiff: true, make: hvNew(func() any {
			s := &struct{ V atomic.Value }{}
			s.V.Store(s)
			return s
		}), check: func(t *testing.T, r hvResult) {
			if c := r.got.(*struct{ V atomic.Value }); c.V.Load() != any(c) {
				t.Error("the clone's V does not hold the clone")
			}
		}},
		{name: "cycle through a sync.Map", noDiff: true, make: hvNew(func() any {
			s := &struct{ M sync.Map }{}
			s.M.Store("self", s)
			return s
		}), check: func(t *testing.T, r hvResult) {
			c := r.got.(*struct{ M sync.Map })
			if v, _ := c.M.Load("self"); v != any(c) {
				t.Errorf(`the clone's M["self"] is %p, want the clone %p`, v, c)
			}
		}},
		{name: "sync.Cond by pointer", make: hvVal(&struct {
			Name string
			C    *sync.Cond
		}{C: sync.NewCond(&sync.Mutex{})}), want: hvFail(".C", reflect.TypeFor[sync.Cond](), "sync.Cond")},
		{name: "sync.Cond by value", make: hvNew(func() any {
			h := &hvCondHolder{Name: "h"}
			h.C.L = &sync.Mutex{}
			return h
		}), want: hvFail(".C", reflect.TypeFor[sync.Cond](), "sync.Cond")},

		// ---- reflect ----
		{name: "reflect.Value at the root", make: hvVal(reflect.ValueOf(42)),
			want: hvFail("", reflect.TypeFor[reflect.Value](), "reflect.Value")},
		{name: "reflect.Value in a field", make: hvVal(&struct {
			Name string
			V    reflect.Value
		}{V: reflect.ValueOf(&x)}), want: hvFail(".V", reflect.TypeFor[reflect.Value](), "reflect.Value")},
		{name: "reflect.Value in a slice of any", make: hvVal([]any{1, reflect.ValueOf("s")}),
			want: hvFail("[1]", reflect.TypeFor[reflect.Value](), "reflect.Value")},
		{name: "zero reflect.Value is refused too", make: hvVal(struct{ V reflect.Value }{}),
			want: hvFail(".V", reflect.TypeFor[reflect.Value](), "reflect.Value")},
		{name: "reflect.Type is an immutable descriptor: shared, clone OK and ==", make: hvVal(&struct {
			T      reflect.Type
			Ts     []reflect.Type
			ByType map[reflect.Type]int
			A      any
		}{
			T:      reflect.TypeFor[hvNode](),
			Ts:     []reflect.Type{reflect.TypeFor[int](), reflect.TypeFor[map[string][]any](), reflect.TypeFor[func()]()},
			ByType: map[reflect.Type]int{reflect.TypeFor[string](): 1, reflect.TypeFor[chan int](): 2},
			A:      reflect.TypeFor[error](),
		}), check: func(t *testing.T, r hvResult) {
			o, c := reflect.ValueOf(r.orig).Elem(), reflect.ValueOf(r.got).Elem()
			if c.Field(0).Interface() != o.Field(0).Interface() || c.Field(3).Interface() != o.Field(3).Interface() {
				t.Error("a reflect.Type is not == to the original")
			}
			if c.Field(2).Interface().(map[reflect.Type]int)[reflect.TypeFor[chan int]()] != 2 {
				t.Error("a reflect.Type map key no longer finds its entry")
			}
		}},

		// ---- ports and buffers ----
		{name: "own port in the data, not in the transfer list", make: func(e hvEnv) (any, []msgport.Transferable) {
			return &struct{ Reply *msgport.MessagePort }{e.self}, nil
		}, want: hvFail(".Reply", hvPortType, "transfer list")},
		{name: "own port in the data and the transfer list (StructuredClone has no sender: OK)", noDiff: true,
			make: func(e hvEnv) (any, []msgport.Transferable) {
				return &struct{ Reply *msgport.MessagePort }{e.self}, []msgport.Transferable{e.self}
			},
			post: &hvWant{err: true, reason: "posting port itself"},
			check: func(t *testing.T, r hvResult) {
				hvMovedPort(t, r, r.transfer[0].(*msgport.MessagePort), r.got.(*struct{ Reply *msgport.MessagePort }).Reply)
			}},
		{name: "peer in the data, not in the transfer list", make: func(e hvEnv) (any, []msgport.Transferable) {
			return []any{"x", e.peer}, nil
		}, want: hvFail("[1]", hvPortType, "transfer list")},
		{name: "peer in the data and the transfer list (StructuredClone has no sender: OK)", noDiff: true,
			make: func(e hvEnv) (any, []msgport.Transferable) {
				return []any{"x", e.peer}, []msgport.Transferable{e.peer}
			},
			post: &hvWant{err: true, reason: "entangled peer"},
			check: func(t *testing.T, r hvResult) {
				hvMovedPort(t, r, r.transfer[0].(*msgport.MessagePort), r.got.([]any)[1].(*msgport.MessagePort))
			}},
		{name: "another channel's port in the data and the transfer list", noDiff: true,
			make: func(e hvEnv) (any, []msgport.Transferable) {
				return map[string]any{"reply": e.other.Port2}, []msgport.Transferable{e.other.Port2}
			},
			check: func(t *testing.T, r hvResult) {
				hvMovedPort(t, r, r.transfer[0].(*msgport.MessagePort), r.got.(map[string]any)["reply"].(*msgport.MessagePort))
			}},
		{name: "own port in the data, another port in the transfer list", make: func(e hvEnv) (any, []msgport.Transferable) {
			return []*msgport.MessagePort{e.other.Port2, e.self}, []msgport.Transferable{e.other.Port2}
		}, want: hvFail("[1]", hvPortType, "transfer list")},
		{name: "detached Buffer in the data", make: func(e hvEnv) (any, []msgport.Transferable) {
			return map[string]any{"buf": hvDetachedBuffer(e.t)}, nil
		}, want: hvFail(`["buf"]`, hvBufType, "detached")},
		{name: "detached Buffer in the data, a live one in the transfer list", make: func(e hvEnv) (any, []msgport.Transferable) {
			live := msgport.NewBuffer([]byte("live"))
			return []*msgport.Buffer{live, hvDetachedBuffer(e.t)}, []msgport.Transferable{live}
		}, want: hvFail("[1]", hvBufType, "detached")},
		{name: "Buffer twice in the transfer list", make: func(e hvEnv) (any, []msgport.Transferable) {
			b := msgport.NewBuffer([]byte("twice"))
			return []any{b}, []msgport.Transferable{b, b}
		}, want: hvWant{err: true, reason: "same object twice"}},
		{name: "nil Buffer and nil port in the data", make: hvVal(&struct {
			B *msgport.Buffer
			P *msgport.MessagePort
			I []any
		}{I: []any{(*msgport.Buffer)(nil), (*msgport.MessagePort)(nil)}})},
		{name: "one Buffer twice in the data, not transferred: one copy", make: hvNew(func() any {
			b := msgport.NewBuffer([]byte("data"))
			return []*msgport.Buffer{b, b}
		}), check: func(t *testing.T, r hvResult) {
			c := r.got.([]*msgport.Buffer)
			if c[0] != c[1] || c[0].Detached() || r.orig.([]*msgport.Buffer)[0].Detached() {
				t.Error("identity of a Buffer met twice is lost, or a buffer was detached")
			}
		}},

		// ---- error values ----
		{name: "io.EOF at the root: passed as is", make: hvVal(io.EOF), check: func(t *testing.T, r hvResult) {
			if r.got != io.EOF {
				t.Errorf("got %v, want io.EOF itself", r.got)
			}
		}},
		{name: "errors in interfaces: passed as is", make: hvNew(func() any {
			d := &hvErrDetail{Msg: "detail"}
			return &struct {
				EOF     error
				Wrapped error
				Joined  error
				Custom  error
				Value   error
				Any     any
				List    []error
				ByName  map[string]error
			}{
				EOF:     io.EOF,
				Wrapped: fmt.Errorf("read: %w", io.EOF),
				Joined:  errors.Join(io.ErrUnexpectedEOF, &hvPtrErr{Code: 1, Detail: d}),
				Custom:  &hvPtrErr{Code: 2, Detail: d},
				Value:   hvValErr{Detail: d},
				Any:     fmt.Errorf("wrapped twice: %w", fmt.Errorf("once: %w", io.EOF)),
				List:    []error{io.EOF, &hvPtrErr{Code: 3, Detail: d}},
				ByName:  map[string]error{"e": &hvPtrErr{Code: 4, Detail: d}},
			}
		}), check: func(t *testing.T, r hvResult) {
			o, c := reflect.ValueOf(r.orig).Elem(), reflect.ValueOf(r.got).Elem()
			if c.Addr().UnsafePointer() == o.Addr().UnsafePointer() {
				t.Fatal("the struct holding the errors was shared")
			}
			for i := range o.NumField() {
				switch o.Field(i).Kind() {
				case reflect.Interface:
					if !hvSameError(o.Field(i).Interface(), c.Field(i).Interface()) {
						t.Errorf("field %s: %#v, want the original error itself", o.Type().Field(i).Name, c.Field(i).Interface())
					}
				}
			}
			cl, ol := c.FieldByName("List").Interface().([]error), o.FieldByName("List").Interface().([]error)
			if unsafe.SliceData(cl) == unsafe.SliceData(ol) || cl[0] != io.EOF || cl[1] != ol[1] {
				t.Error("[]error: the slice must be copied, its errors passed as is")
			}
			cm, om := c.FieldByName("ByName").Interface().(map[string]error), o.FieldByName("ByName").Interface().(map[string]error)
			if hvSame(cm, om) || cm["e"] != om["e"] {
				t.Error("map[string]error: the map must be copied, its errors passed as is")
			}
			for _, name := range []string{"EOF", "Wrapped", "Any"} {
				if !errors.Is(c.FieldByName(name).Interface().(error), io.EOF) {
					t.Errorf("errors.Is(%s, io.EOF) is false", name)
				}
			}
			var pe *hvPtrErr
			if !errors.As(c.FieldByName("Joined").Interface().(error), &pe) || pe.Code != 1 || !errors.Is(c.FieldByName("Joined").Interface().(error), io.ErrUnexpectedEOF) {
				t.Error("errors.As / errors.Is through errors.Join fail")
			}
			if c.FieldByName("Value").Interface().(hvValErr).Detail != o.FieldByName("Value").Interface().(hvValErr).Detail {
				t.Error("a value-receiver error with a pointer field was copied, not passed as is")
			}
		}},
		{name: "func-typed error in an interface: passed as is (the error rule)", make: hvVal(struct{ Err error }{hvFuncError(func() string { return "f" })}),
			noDiff: true, check: func(t *testing.T, r hvResult) {
				got := r.got.(struct{ Err error }).Err
				if got == nil || got.Error() != "f" || reflect.ValueOf(got).Pointer() != reflect.ValueOf(r.orig.(struct{ Err error }).Err).Pointer() {
					t.Errorf("got %#v, want the original func", got)
				}
			}},
		{name: "concrete *error-type field: copied like any pointer", make: hvVal(&struct{ E *hvPtrErr }{&hvPtrErr{Code: 5, Detail: &hvErrDetail{Msg: "m"}}})},

		// ---- strings, floats, nil and empty ----
		{name: "32 MiB string: shared, not copied", make: hvVal(&struct {
			S string
			M map[string]string
			I any
		}{S: huge, M: map[string]string{huge: huge}, I: huge}), check: func(t *testing.T, r hvResult) {
			c := r.got.(*struct {
				S string
				M map[string]string
				I any
			})
			if unsafe.StringData(c.S) != unsafe.StringData(huge) || unsafe.StringData(c.M[huge]) != unsafe.StringData(huge) ||
				unsafe.StringData(c.I.(string)) != unsafe.StringData(huge) {
				t.Error("a string was copied; strings are immutable and shared")
			}
			for k := range c.M {
				if unsafe.StringData(k) != unsafe.StringData(huge) {
					t.Error("a string map key was copied")
				}
			}
		}},
		{name: "NaN map keys", noDiff: true, make: hvNew(func() any {
			m := map[float64]string{1: "one"}
			m[nan] = "a"
			m[nan] = "b"
			return map[string]any{"m": m, "i": map[any]int{nan: 1, math.NaN(): 2, "s": 3}}
		}), check: func(t *testing.T, r hvResult) {
			c := r.got.(map[string]any)
			m := c["m"].(map[float64]string)
			var nans []string
			for k, v := range m {
				if math.IsNaN(k) {
					nans = append(nans, v)
				}
			}
			sort.Strings(nans)
			if len(m) != 3 || m[1] != "one" || !slices.Equal(nans, []string{"a", "b"}) || hvSame(m, r.orig.(map[string]any)["m"]) {
				t.Errorf("map[float64]string with two NaN keys cloned to %v", m)
			}
			mi := c["i"].(map[any]int)
			sum := 0
			for k, v := range mi {
				if f, ok := k.(float64); ok && math.IsNaN(f) {
					sum += v
				}
			}
			if len(mi) != 3 || sum != 3 || mi["s"] != 3 {
				t.Errorf("map[any]int with two NaN keys cloned to %v", mi)
			}
		}},
		{name: "negative zero", noDiff: true, make: hvVal(&signedZeros{F: negZero, F32: float32(negZero), C: complex(negZero, negZero), A: negZero, L: []float64{0, negZero},
			M: map[float64]string{negZero: "z"}}), check: func(t *testing.T, r hvResult) {
			c := r.got.(*signedZeros)
			ok := math.Signbit(c.F) && math.Signbit(float64(c.F32)) && math.Signbit(real(c.C)) && math.Signbit(imag(c.C)) &&
				math.Signbit(c.A.(float64)) && !math.Signbit(c.L[0]) && math.Signbit(c.L[1]) && len(c.M) == 1
			for k, v := range c.M {
				ok = ok && math.Signbit(k) && v == "z"
			}
			if !ok {
				t.Errorf("negative zero lost its sign: %+v", c)
			}
		}},
		{name: "empty vs nil slices and maps at depth", make: hvVal(&struct {
			L []map[string][]int
			M map[string]map[string]int
			A [2][]string
			I []any
			p *[]int
		}{
			L: []map[string][]int{nil, {}, {"nil": nil, "empty": {}}},
			M: map[string]map[string]int{"nil": nil, "empty": {}},
			A: [2][]string{nil, {}},
			I: []any{[]int(nil), []int{}, map[string]int(nil), map[string]int{}, nil, (*int)(nil)},
			p: &[]int{},
		}), check: func(t *testing.T, r hvResult) {
			c := reflect.ValueOf(r.got).Elem()
			L := c.Field(0).Interface().([]map[string][]int)
			M := c.Field(1).Interface().(map[string]map[string]int)
			A := c.Field(2).Interface().([2][]string)
			I := c.Field(3).Interface().([]any)
			p := (*[]int)(c.Field(4).UnsafePointer())
			if L[0] != nil || L[1] == nil || L[2]["nil"] != nil || L[2]["empty"] == nil ||
				M["nil"] != nil || M["empty"] == nil || A[0] != nil || A[1] == nil ||
				I[0].([]int) != nil || I[1].([]int) == nil || I[2].(map[string]int) != nil || I[3].(map[string]int) == nil ||
				I[4] != nil || I[5].(*int) != nil || p == nil || *p == nil {
				t.Errorf("nil and empty mixed up: %+v", c.Interface())
			}
		}},
	}

	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Run("StructuredClone", func(t *testing.T) { hvRun(t, tc, false) })
			t.Run("PostMessage", func(t *testing.T) { hvRun(t, tc, true) })
		})
	}
}

func hvDetachedBuffer(t *testing.T) *msgport.Buffer {
	b := msgport.NewBuffer([]byte("gone"))
	if _, err := msgport.StructuredClone(nil, b); err != nil || !b.Detached() {
		t.Fatalf("could not detach a buffer: %v", err)
	}
	return b
}

// hvSameError reports whether b is the error value a itself: the same
// pointer, or == for comparable non-pointer types.
func hvSameError(a, b any) bool {
	if reflect.TypeOf(a) != reflect.TypeOf(b) {
		return false
	}
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	switch va.Kind() {
	case reflect.Pointer, reflect.Func, reflect.Map, reflect.Chan, reflect.Slice:
		return va.Pointer() == vb.Pointer()
	}
	if va.Comparable() {
		return a == b
	}
	return false
}

func hvRun(t *testing.T, tc hvCase, viaPost bool) {
	c, other := msgport.NewMessageChannel(), msgport.NewMessageChannel()
	closeAll(t, c, other)
	e := hvEnv{t: t, self: c.Port1, peer: c.Port2, other: other}
	v, transfer := tc.make(e)
	want := tc.want
	if viaPost && tc.post != nil {
		want = *tc.post
	}

	var (
		got   any
		err   error
		ports []*msgport.MessagePort
	)
	if viaPost {
		err = e.self.PostMessage(v, transfer...)
		if err == nil {
			ev := receive(t, e.peer)
			got, ports = ev.Data, ev.Ports
		}
	} else {
		got, err = msgport.StructuredClone(v, transfer...)
	}

	if want.err {
		var dce *msgport.DataCloneError
		if !errors.As(err, &dce) {
			t.Fatalf("err = %v (%T), want a *DataCloneError", err, err)
		}
		if got != nil {
			t.Errorf("a failed clone returned %v", got)
		}
		if dce.Path != want.path {
			t.Errorf("Path = %q\n          want %q", hvShort(dce.Path), hvShort(want.path))
		}
		if dce.Type != want.typ {
			t.Errorf("Type = %v, want %v", dce.Type, want.typ)
		}
		if !strings.Contains(dce.Reason, want.reason) {
			t.Errorf("Reason = %q, want it to mention %q", dce.Reason, want.reason)
		}
		for _, x := range transfer {
			if hvDetached(x) {
				t.Errorf("a failed clone detached %T %p", x, x)
			}
		}
		if viaPost {
			if ev, ok := e.peer.TryReceive(); ok {
				t.Fatalf("a failed post delivered %v", ev.Data)
			}
			// The port still works, and nothing arrives before this.
			post(t, e.self, "after")
			if ev := receive(t, e.peer); ev.Data != "after" {
				t.Fatalf("after a failed post the peer got %v", ev.Data)
			}
		}
		return
	}

	if err != nil {
		t.Fatalf("err = %v, want a clone", err)
	}
	if viaPost {
		nports := 0
		for _, x := range transfer {
			if _, ok := x.(*msgport.MessagePort); ok {
				nports++
			}
		}
		if len(ports) != nports {
			t.Errorf("MessageEvent.Ports = %v, want %d ports", ports, nports)
		}
	}
	if !tc.noDiff {
		if reflect.TypeOf(got) != reflect.TypeOf(v) {
			t.Fatalf("clone has type %T, want %T", got, v)
		}
		if d := cmp.Diff(v, got, hvCmp); d != "" {
			t.Fatalf("clone differs (-original +clone):\n%s", d)
		}
		hvNoSharing(t, hvResult{orig: v, got: got})
	}
	if tc.check != nil {
		tc.check(t, hvResult{orig: v, got: got, transfer: transfer, ports: ports, viaPost: viaPost})
	}
}

// hvNoSharing is the sharing check of hvRun, for cases that skip it.
func hvNoSharing(t *testing.T, r hvResult) {
	t.Helper()
	for _, p := range hvShared(r.orig, r.got) {
		t.Errorf("the clone shares the original's memory at %q", p)
	}
}

// hvShort keeps the ends of a long path readable in a failure message.
func hvShort(p string) string {
	if len(p) <= 400 {
		return p
	}
	return p[:200] + " ... " + p[len(p)-200:]
}

// hvShared returns the paths (at most 5) where the clone reaches memory
// the original reaches (see sharecheck.Shared). Ports are shared by design:
// a transferred one keeps its peer and queue.
func hvShared(orig, clone any) []string {
	return sharecheck.Shared(orig, clone, hvPortType)
}

// The sharing check of TestHostileValues is not vacuous: it finds memory
// that a shallow copy shares, wherever it sits.
func TestHostileSharingCheck(t *testing.T) {
	inner := []int{1, 2, 3}
	m := map[string][]int{"k": inner}
	type holder struct {
		P *int
		m map[string][]int
		I any
	}
	x := 1
	orig := &holder{P: &x, m: m, I: &inner}
	shallow := &holder{P: orig.P, m: map[string][]int{"k": inner[1:]}, I: new([]int)}
	if got, want := hvShared(orig, shallow), []string{`.m["k"]`, ".P"}; !slices.Equal(got, want) {
		t.Errorf("hvShared = %q, want %q", got, want)
	}
	deep, err := msgport.Clone(orig)
	if err != nil {
		t.Fatal(err)
	}
	if got := hvShared(orig, deep); got != nil {
		t.Errorf("hvShared found sharing in a real clone: %q", got)
	}
	// Errors in interfaces are shared by design and not reported.
	e := &hvPtrErr{Detail: &hvErrDetail{}}
	if got := hvShared([]error{e}, []error{e}); got != nil {
		t.Errorf("hvShared reported an error value: %q", got)
	}
}
