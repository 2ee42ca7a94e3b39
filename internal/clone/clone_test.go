package clone

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"github.com/google/go-cmp/cmp"
)

// checkClone clones v with Value and checks the SPEC 4 properties every
// successful clone has: no error, equal to the original, the same dynamic
// type, no shared mutable memory, the same aliasing.
func checkClone(t *testing.T, v any) any {
	t.Helper()
	c, err := Value(v, nil)
	if err != nil {
		t.Fatalf("Value(%T): %v", v, err)
	}
	if reflect.TypeOf(c) != reflect.TypeOf(v) {
		t.Fatalf("Value(%T) returned a %T", v, c)
	}
	if d := cmp.Diff(v, c, allFields); d != "" {
		t.Fatalf("Value(%T) differs (-orig +clone):\n%s", v, d)
	}
	if s := sharesMutable(v, c); s != "" {
		t.Fatalf("Value(%T): %s", v, s)
	}
	if s := identityShape(v, c); s != "" {
		t.Fatalf("Value(%T): identity: %s", v, s)
	}
	return c
}

// Clause 1: booleans, numbers and strings by value.
func TestScalars(t *testing.T) {
	type myInt int
	type myString string
	for _, v := range []any{
		true, false, 0, -1, int8(-8), int16(16), int32(-32), int64(math.MinInt64),
		uint(1), uint8(8), uint16(16), uint32(32), uint64(math.MaxUint64), uintptr(0xdeadbeef),
		float32(1.5), math.Inf(-1), 0.1, complex64(1 + 2i), complex(-1, math.Pi),
		"", "héllo", myInt(7), myString("s"),
	} {
		t.Run(fmt.Sprintf("%T(%v)", v, v), func(t *testing.T) {
			checkClone(t, v)
		})
	}
	nan, err := Typed(math.NaN())
	if err != nil || !math.IsNaN(nan) {
		t.Errorf("Typed(NaN) = %v, %v", nan, err)
	}
}

type point struct {
	X, Y int
	name string
}

type inner struct {
	N    []int
	note string
}

type outer struct {
	In      inner
	P       *inner
	s       []string
	m       map[string]int
	arr     [3]*int
	private *point
}

// Clause 2: slices, arrays, maps, structs (also unexported fields) and
// pointers are deep-copied.
func TestDeepCopy(t *testing.T) {
	one, two := 1, 2
	tests := []struct {
		name string
		v    any
	}{
		{"slice", []int{1, 2, 3}},
		{"slice of slices", [][]byte{[]byte("ab"), nil, {}}},
		{"slice of strings", []string{"a", "b"}},
		{"slice of pointers", []*int{&one, &two, nil}},
		{"slice of structs", []point{{1, 2, "a"}, {3, 4, "b"}}},
		{"slice of time", []time.Time{time.Unix(1, 0)}},
		{"array", [3]int{1, 2, 3}},
		{"array of slices", [2][]int{{1}, {2, 3}}},
		{"array of pointers", [2]*int{&one, nil}},
		{"map", map[string]int{"a": 1, "b": 2}},
		{"map of slices", map[string][]int{"a": {1}, "b": nil}},
		{"map of structs", map[int]point{1: {1, 2, "p"}}},
		{"map of maps", map[string]map[string]int{"x": {"y": 1}}},
		{"map float keys", map[float64]string{1.5: "a", math.Copysign(0, -1): "z"}},
		{"map struct keys", map[point]int{{1, 2, "k"}: 3}},
		{"map array values", map[string][2]string{"a": {"x", "y"}}},
		{"map int32 keys", map[int32]bool{1: true}},
		{"map bytes values", map[uint64][]byte{7: []byte("seven")}},
		{"pointer", &one},
		{"pointer to struct", &point{1, 2, "p"}},
		{"pointer to pointer", func() any { p := &one; return &p }()},
		{"struct with unexported", outer{
			In:      inner{N: []int{1}, note: "n"},
			P:       &inner{N: []int{2}},
			s:       []string{"s"},
			m:       map[string]int{"k": 1},
			arr:     [3]*int{&one, &two, nil},
			private: &point{5, 6, "q"},
		}},
		{"pointer to struct with unexported", &outer{s: []string{"x"}, private: &point{}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { checkClone(t, tt.v) })
	}
}

func TestNilAndEmpty(t *testing.T) {
	type holder struct {
		NilSlice   []int
		EmptySlice []int
		NilMap     map[string]int
		EmptyMap   map[string]int
		NilPtr     *int
		NilIface   any
		EmptyAny   []any
		NilAnyMap  map[string]any
		EmptyAnyM  map[string]any
	}
	h := holder{EmptySlice: []int{}, EmptyMap: map[string]int{}, EmptyAny: make([]any, 0, 5), EmptyAnyM: map[string]any{}}
	c, err := Typed(h)
	if err != nil {
		t.Fatal(err)
	}
	if c.NilSlice != nil || c.NilMap != nil || c.NilPtr != nil || c.NilIface != nil || c.NilAnyMap != nil {
		t.Errorf("nil fields did not stay nil: %+v", c)
	}
	if c.EmptySlice == nil || len(c.EmptySlice) != 0 || c.EmptyMap == nil || len(c.EmptyMap) != 0 ||
		c.EmptyAny == nil || c.EmptyAnyM == nil {
		t.Errorf("empty fields did not stay empty and non-nil: %#v", c)
	}
	for _, v := range []any{[]int{}, []any{}, []string{}, map[int]int{}, map[string]any{}, map[point]bool{}} {
		c, _ := Value(v, nil)
		if rv := reflect.ValueOf(c); rv.IsNil() || rv.Len() != 0 {
			t.Errorf("Value(%#v) = %#v, want empty non-nil", v, c)
		}
	}
	for _, v := range []any{[]int(nil), []any(nil), map[int]int(nil), map[string]any(nil), (*int)(nil)} {
		c, _ := Value(v, nil)
		if rv := reflect.ValueOf(c); reflect.TypeOf(c) != reflect.TypeOf(v) || !rv.IsNil() {
			t.Errorf("Value(%#v) = %#v, want typed nil", v, c)
		}
	}
}

func TestNaNKeys(t *testing.T) {
	m := map[float64]int{math.NaN(): 1, math.NaN(): 2, 1: 3}
	c, err := Typed(m)
	if err != nil || len(c) != 3 || c[1] != 3 {
		t.Errorf("NaN keys: %v %v", c, err)
	}
	sum := 0
	for k, v := range c {
		if math.IsNaN(k) {
			sum += v
		}
	}
	if sum != 3 {
		t.Errorf("NaN entries: %v", c)
	}
}

func TestSliceCapacity(t *testing.T) {
	s := make([]int, 2, 10)
	c, _ := Typed(s)
	if len(c) != 2 || cap(c) != 2 {
		t.Errorf("len, cap = %d, %d; want 2, 2", len(c), cap(c))
	}
	p := make([]*int, 1, 4)
	cp, _ := Typed(p)
	if cap(cp) != 1 {
		t.Errorf("cap = %d, want 1", cap(cp))
	}
}

// Clause 3: interfaces keep their dynamic type; immutable dynamic values
// are copied as is, at no cost.
func TestInterfaces(t *testing.T) {
	type wrap struct {
		A any
		S fmt.Stringer
	}
	tests := []struct {
		name string
		v    any
	}{
		{"any int", wrap{A: 1}},
		{"any slice", wrap{A: []int{1, 2}}},
		{"any map", wrap{A: map[string]any{"x": []any{1, "a", map[string]any{}}}}},
		{"any pointer", wrap{A: &point{1, 2, "x"}}},
		{"any struct with slice", wrap{A: inner{N: []int{3}}}},
		{"stringer", wrap{S: stringerSlice{"a", "b"}}},
		{"stringer pointer", wrap{S: &stringerStruct{V: []int{1}}}},
		{"nested any", []any{[]any{[]any{1}}, map[int]any{1: []any{"x"}}}},
		{"any of named map", map[string]any{"m": namedMap{"k": {1}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { checkClone(t, tt.v) })
	}
}

type stringerSlice []string

func (s stringerSlice) String() string { return strings.Join(s, ",") }

type stringerStruct struct{ V []int }

func (s *stringerStruct) String() string { return fmt.Sprint(s.V) }

type namedMap map[string][]int

func TestImmutableAllocs(t *testing.T) {
	type flat struct {
		A, B int
		S    string
		F    [4]float64
		T    time.Time
		E    error
	}
	var (
		i   any = 12345
		s   any = "a string"
		f   any = flat{A: 1, S: "x", T: time.Now(), E: io.EOF}
		fv      = flat{A: 1}
		pf      = &point{1, 2, "p"}
		err any = io.EOF
	)
	for _, tc := range []struct {
		name string
		want float64
		fn   func()
	}{
		{"Value(int)", 0, func() { Value(i, nil) }},
		{"Value(string)", 0, func() { Value(s, nil) }},
		{"Value(flat struct)", 0, func() { Value(f, nil) }},
		{"Value(error)", 0, func() { Value(err, nil) }},
		{"Typed(flat struct)", 0, func() { Typed(fv) }},
		{"Typed(*point)", 1, func() { Typed(pf) }},
		{"Typed(*flat)", 1, func() { Typed(&fv) }},
	} {
		if got := testing.AllocsPerRun(100, tc.fn); got != tc.want {
			t.Errorf("%s: %v allocs, want %v", tc.name, got, tc.want)
		}
	}
	// The boxed value itself is returned.
	if c, _ := Value(f, nil); efaceOf(&c).data != efaceOf(&f).data {
		t.Error("Value(flat struct) copied the boxed value")
	}
}

type node struct {
	V    int
	Next *node
}

type cyc struct {
	Self *cyc
	Any  any
	M    map[string]*cyc
}

// Clause 4: identity and cycles.
func TestIdentity(t *testing.T) {
	t.Run("shared pointer", func(t *testing.T) {
		p := &point{1, 2, "shared"}
		c := checkClone(t, []*point{p, p, {3, 4, "other"}}).([]*point)
		if c[0] != c[1] || c[0] == c[2] || c[0] == p {
			t.Errorf("identity lost: %p %p %p", c[0], c[1], c[2])
		}
	})
	t.Run("shared map", func(t *testing.T) {
		m := map[string]int{"a": 1}
		c := checkClone(t, [2]map[string]int{m, m}).([2]map[string]int)
		c[0]["b"] = 2
		if c[1]["b"] != 2 || m["b"] == 2 {
			t.Error("the two references to one map do not share one clone")
		}
	})
	t.Run("self pointer", func(t *testing.T) {
		n := &node{V: 1}
		n.Next = n
		c := checkClone(t, n).(*node)
		if c.Next != c || c == n {
			t.Error("self-reference not kept")
		}
	})
	t.Run("two-node cycle", func(t *testing.T) {
		a, b := &node{V: 1}, &node{V: 2}
		a.Next, b.Next = b, a
		c := checkClone(t, a).(*node)
		if c.Next.Next != c {
			t.Error("cycle not kept")
		}
	})
	t.Run("map holding itself", func(t *testing.T) {
		m := map[string]any{"x": 1}
		m["self"] = m
		c := checkClone(t, m).(map[string]any)
		if reflect.ValueOf(c["self"]).Pointer() != reflect.ValueOf(c).Pointer() {
			t.Error("map cycle not kept")
		}
	})
	t.Run("generic map holding itself", func(t *testing.T) {
		m := map[point]any{}
		m[point{X: 1}] = m
		c := checkClone(t, m).(map[point]any)
		if reflect.ValueOf(c[point{X: 1}]).Pointer() != reflect.ValueOf(c).Pointer() {
			t.Error("map cycle not kept")
		}
	})
	t.Run("slice holding its own pointer", func(t *testing.T) {
		s := make([]any, 2)
		s[0] = &s
		s[1] = "x"
		c := checkClone(t, &s).(*[]any)
		if (*c)[0].(*[]any) != c {
			t.Error("slice/pointer cycle not kept")
		}
	})
	t.Run("slice holding itself", func(t *testing.T) {
		s := make([]any, 2)
		s[0] = s
		c := checkClone(t, s).([]any)
		if &c[0].([]any)[0] != &c[0] {
			t.Error("slice cycle not kept")
		}
	})
	t.Run("recursive slice type", func(t *testing.T) {
		type tree struct {
			Kids []tree
			N    int
		}
		x := tree{Kids: make([]tree, 1)}
		x.Kids[0] = x // the element's Kids is the array itself
		c := checkClone(t, x).(tree)
		if &c.Kids[0].Kids[0] != &c.Kids[0] {
			t.Error("recursive slice cycle not kept")
		}
	})
	t.Run("struct cycle through everything", func(t *testing.T) {
		x := &cyc{M: map[string]*cyc{}}
		x.Self = x
		x.Any = x
		x.M["me"] = x
		c := checkClone(t, x).(*cyc)
		if c.Self != c || c.Any.(*cyc) != c || c.M["me"] != c {
			t.Error("cycle not kept")
		}
	})
	t.Run("many shared pointers", func(t *testing.T) {
		// Past the inline memo, into the hash table, and again with the
		// table reused from the pool.
		for round := 0; round < 3; round++ {
			ps := make([]*point, 1000)
			for i := range ps {
				ps[i] = &point{X: i}
			}
			v := append(append([]*point(nil), ps...), ps...)
			c, err := Typed(v)
			if err != nil {
				t.Fatal(err)
			}
			for i := range ps {
				if c[i] != c[i+len(ps)] || c[i] == ps[i] || c[i].X != i {
					t.Fatalf("round %d: identity of %d lost", round, i)
				}
			}
		}
	})
	t.Run("pointer map keys", func(t *testing.T) {
		k := &point{X: 1}
		m := map[*point]*point{k: k}
		c, err := Typed(m)
		if err != nil || len(c) != 1 {
			t.Fatal(c, err)
		}
		for ck, cv := range c {
			if ck != cv || ck == k || *ck != *k {
				t.Errorf("key/value identity lost: %p %p (orig %p)", ck, cv, k)
			}
		}
	})
	t.Run("struct keys with pointers", func(t *testing.T) {
		type key struct{ P *int }
		n := 7
		m := map[key]*int{{&n}: &n}
		c, _ := Typed(m)
		for ck, cv := range c {
			if ck.P != cv || ck.P == &n || *cv != 7 {
				t.Error("struct key identity lost")
			}
		}
	})
	t.Run("aliased slices are copied separately", func(t *testing.T) {
		a := []int{1, 2, 3}
		c := checkClone(t, [2][]int{a, a[:2]}).([2][]int)
		if &c[0][0] == &c[1][0] {
			t.Error("documented: aliased slices are separate copies")
		}
	})
	t.Run("seed", func(t *testing.T) {
		from, to := &point{X: 1}, &point{X: 2}
		v := []any{from, map[string]*point{"p": from}}
		c, err := Value(v, []Seed{{From: from, To: to}})
		if err != nil {
			t.Fatal(err)
		}
		cs := c.([]any)
		if cs[0].(*point) != to || cs[1].(map[string]*point)["p"] != to {
			t.Errorf("seed not applied: %v", cs)
		}
	})
}

// Clause 5: time, sync, sync/atomic, errors.
func TestTime(t *testing.T) {
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		loc = time.FixedZone("X", 3600)
	}
	for _, tm := range []time.Time{time.Now(), time.Unix(0, 0).UTC(), time.Date(2024, 3, 31, 2, 30, 0, 0, loc), {}} {
		c, err := Typed(tm)
		if err != nil || c != tm {
			t.Errorf("Typed(%v) = %v, %v; want ==", tm, c, err)
		}
		type ev struct {
			At  time.Time
			Ptr *time.Time
		}
		ce, err := Typed(ev{At: tm, Ptr: &tm})
		if err != nil || ce.At != tm || *ce.Ptr != tm || ce.Ptr == &tm {
			t.Errorf("in a struct: %v, %v", ce, err)
		}
	}
}

type withLocks struct {
	Mu   sync.Mutex
	RW   sync.RWMutex
	WG   sync.WaitGroup
	Once sync.Once
	Pool sync.Pool
	N    int
}

func TestSyncTypes(t *testing.T) {
	w := &withLocks{N: 3, Pool: sync.Pool{New: func() any { return 1 }}}
	w.Mu.Lock()
	w.RW.RLock()
	w.WG.Add(2)
	w.Once.Do(func() {})
	c, err := Typed(w)
	if err != nil {
		t.Fatal(err)
	}
	if !c.Mu.TryLock() || !c.RW.TryLock() {
		t.Error("a lock was held in the clone")
	}
	c.WG.Wait() // zero: does not block
	ran := false
	c.Once.Do(func() { ran = true })
	if !ran || c.N != 3 || c.Pool.New != nil {
		t.Errorf("ran=%v N=%d Pool.New set=%v", ran, c.N, c.Pool.New != nil)
	}
	if w.Mu.TryLock() {
		t.Error("the original's lock was released")
	}
	w.Mu.Unlock()
	w.RW.RUnlock()
	w.WG.Add(-2)

	t.Run("Map", func(t *testing.T) {
		type holder struct{ M sync.Map }
		h := &holder{}
		p := &point{X: 1}
		h.M.Store("a", []int{1})
		h.M.Store(2, p)
		h.M.Store(p, "key is a pointer")
		c, err := Typed(h)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		c.M.Range(func(k, v any) bool {
			n++
			switch k := k.(type) {
			case string:
				if s := v.([]int); len(s) != 1 || s[0] != 1 {
					t.Errorf("a: %v", v)
				}
			case int:
				if v.(*point) == p || v.(*point).X != 1 {
					t.Errorf("2: %v", v)
				}
			case *point:
				if k == p {
					t.Error("pointer key shared")
				}
			}
			return true
		})
		v2, _ := c.M.Load(2)
		var pk *point
		c.M.Range(func(k, _ any) bool {
			if kp, ok := k.(*point); ok {
				pk = kp
			}
			return true
		})
		if n != 3 || v2.(*point) != pk {
			t.Errorf("n=%d, identity between key and value lost", n)
		}
		if s := sharesMutable(h, c); s != "" {
			t.Error(s)
		}
	})
	t.Run("Cond", func(t *testing.T) {
		type holder struct{ C *sync.Cond }
		_, err := Typed(holder{C: sync.NewCond(&sync.Mutex{})})
		var e *Error
		if !errors.As(err, &e) || e.Path != ".C" || e.Type != reflect.TypeFor[sync.Cond]() {
			t.Errorf("err = %v", err)
		}
	})
}

func TestAtomicTypes(t *testing.T) {
	type counters struct {
		B   atomic.Bool
		I32 atomic.Int32
		I64 atomic.Int64
		U32 atomic.Uint32
		U64 atomic.Uint64
		UP  atomic.Uintptr
		V   atomic.Value
		VN  atomic.Value
		P   atomic.Pointer[point]
		PN  atomic.Pointer[point]
	}
	c := &counters{}
	c.B.Store(true)
	c.I32.Store(-32)
	c.I64.Store(-64)
	c.U32.Store(32)
	c.U64.Store(64)
	c.UP.Store(0x10)
	c.V.Store([]int{1, 2})
	pt := &point{X: 9}
	c.P.Store(pt)

	// Writers run while the clone is taken: go test -race must stay quiet.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			// Each write keeps the value the clone must carry, so the
			// check below holds whichever moment the clone loads.
			c.I64.Store(-64)
			c.I32.CompareAndSwap(-32, -32)
			c.B.Store(true)
		}
	}()
	cc, err := Typed(c)
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if !cc.B.Load() || cc.I32.Load() != -32 || cc.I64.Load() != -64 || cc.U32.Load() != 32 ||
		cc.U64.Load() != 64 || cc.UP.Load() != 0x10 {
		t.Errorf("values not carried: %v %v %v %v %v %v", cc.B.Load(), cc.I32.Load(), cc.I64.Load(), cc.U32.Load(), cc.U64.Load(), cc.UP.Load())
	}
	if v := cc.V.Load().([]int); len(v) != 2 || &v[0] == &c.V.Load().([]int)[0] {
		t.Errorf("atomic.Value: %v", v)
	}
	if cc.VN.Load() != nil || cc.PN.Load() != nil {
		t.Error("empty atomics not empty")
	}
	if p := cc.P.Load(); p == nil || p == pt || p.X != 9 {
		t.Errorf("atomic.Pointer: %v", p)
	}
	// The same target through atomic.Pointer and a plain pointer is one object.
	type both struct {
		A atomic.Pointer[point]
		B *point
	}
	b := &both{B: pt}
	b.A.Store(pt)
	cb, _ := Typed(b)
	if cb.A.Load() != cb.B {
		t.Error("identity through atomic.Pointer lost")
	}
}

type myErr struct{ msg []byte }

func (e *myErr) Error() string { return string(e.msg) }

type valErr struct{ Codes []int }

func (e valErr) Error() string { return fmt.Sprint(e.Codes) }

func TestErrors(t *testing.T) {
	perr := &os.PathError{Op: "open", Path: "/x", Err: os.ErrNotExist}
	me := &myErr{msg: []byte("mine")}
	type report struct {
		Err   error
		Any   any
		List  []error
		Map   map[string]any
		Owned *myErr // a concrete type: copied like any other
		Value valErr // a concrete type: copied like any other
	}
	r := report{
		Err:   io.EOF,
		Any:   perr,
		List:  []error{context.Canceled, me, valErr{Codes: []int{1}}},
		Map:   map[string]any{"e": fs.ErrNotExist, "w": fmt.Errorf("wrapped: %w", io.ErrUnexpectedEOF)},
		Owned: me,
		Value: valErr{Codes: []int{2}},
	}
	c, err := Typed(r)
	if err != nil {
		t.Fatal(err)
	}
	if c.Err != io.EOF || c.Any.(*os.PathError) != perr || c.List[0] != context.Canceled || c.List[1].(*myErr) != me {
		t.Error("errors in interfaces were copied")
	}
	if &c.List[2].(valErr).Codes[0] != &r.List[2].(valErr).Codes[0] {
		t.Error("an error value held in an interface was copied")
	}
	if !errors.Is(c.Map["e"].(error), os.ErrNotExist) || !errors.Is(c.Map["w"].(error), io.ErrUnexpectedEOF) {
		t.Error("errors.Is fails after clone")
	}
	if c.Owned == me || string(c.Owned.msg) != "mine" || &c.Value.Codes[0] == &r.Value.Codes[0] {
		t.Error("fields of concrete error types must be copied")
	}
	for _, e := range []error{io.EOF, context.Canceled, perr, me} {
		got, err := Value(e, nil)
		if err != nil || got != e {
			t.Errorf("Value(%v) = %v, %v; want the error itself", e, got, err)
		}
	}
	if got, _ := Typed[error](me); got != me {
		t.Error("Typed[error] copied the error")
	}
}

type job struct {
	Name string
	Done func()
	Ch   chan int
	Ptr  unsafe.Pointer
}

type jobs struct {
	Jobs []job
	next *jobs
	Fn   func()
}

// Clause 6: func, chan and unsafe.Pointer fail with a path; nil ones clone.
func TestUncloneable(t *testing.T) {
	x := 1
	ch := make(chan int)
	fn := func() {}
	tests := []struct {
		name string
		v    any
		path string
		typ  reflect.Type
	}{
		{"func at root", fn, "", reflect.TypeFor[func()]()},
		{"chan at root", ch, "", reflect.TypeFor[chan int]()},
		{"unsafe.Pointer at root", unsafe.Pointer(&x), "", reflect.TypeFor[unsafe.Pointer]()},
		{"field in slice", jobs{Jobs: []job{{}, {}, {Done: fn}}}, ".Jobs[2].Done", reflect.TypeFor[func()]()},
		{"chan field", &jobs{Jobs: []job{{Ch: ch}}}, ".Jobs[0].Ch", reflect.TypeFor[chan int]()},
		{"unsafe field", jobs{Jobs: []job{{}, {Ptr: unsafe.Pointer(&x)}}}, ".Jobs[1].Ptr", reflect.TypeFor[unsafe.Pointer]()},
		{"through pointers", &jobs{next: &jobs{next: &jobs{Fn: fn}}}, ".next.next.Fn", reflect.TypeFor[func()]()},
		{"map value", map[string]any{"key": fn}, `["key"]`, reflect.TypeFor[func()]()},
		{"map int key", map[int]func(){42: fn}, "[42]", reflect.TypeFor[func()]()},
		{"map generic", map[point][]any{{X: 1}: {1, ch}}, "[{1 0 }][1]", reflect.TypeFor[chan int]()},
		{"any in array", [2]any{1, []any{fn}}, "[1][0]", reflect.TypeFor[func()]()},
		{"reflect.Value", struct{ V reflect.Value }{reflect.ValueOf(1)}, ".V", reflect.TypeFor[reflect.Value]()},
		{"nested any", []any{map[string]any{"a": []any{0, struct{ F func() }{fn}}}}, `[0]["a"][1].F`, reflect.TypeFor[func()]()},
		{"atomic.Value", func() any { var v atomic.Value; v.Store(fn); return &v }(), "", reflect.TypeFor[func()]()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Value(tt.v, nil)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Value = %v, %v; want *Error", c, err)
			}
			if c != nil {
				t.Errorf("failed clone returned %v, want nil", c)
			}
			if e.Path != tt.path || e.Type != tt.typ {
				t.Errorf("Path, Type = %q, %v; want %q, %v (%v)", e.Path, e.Type, tt.path, tt.typ, e)
			}
		})
	}
	t.Run("map key", func(t *testing.T) {
		type key struct{ C chan int }
		_, err := Value(map[key]int{{ch}: 1}, nil)
		var e *Error
		if !errors.As(err, &e) || !strings.HasSuffix(e.Path, "(key).C") || !strings.HasPrefix(e.Path, "[{0x") {
			t.Errorf("err = %v", err)
		}
		_, err = Value(map[chan int]bool{ch: true}, nil)
		if !errors.As(err, &e) || !strings.HasSuffix(e.Path, "](key)") {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("reason", func(t *testing.T) {
		_, err := Value(struct{ V reflect.Value }{reflect.ValueOf(1)}, nil)
		if err == nil || !strings.Contains(err.Error(), "reflect.Value cannot be cloned") {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("nil ones clone", func(t *testing.T) {
		checkClone(t, jobs{Jobs: []job{{Name: "a"}}})
		checkClone(t, map[string]any{"f": (func())(nil), "c": (chan int)(nil)})
	})
}

type selfCloner struct {
	Data  []int
	calls *int
}

func (s selfCloner) CloneMessage() (any, error) {
	*s.calls++
	return selfCloner{Data: append([]int(nil), s.Data...), calls: s.calls}, nil
}

type ptrCloner struct{ N int }

func (p *ptrCloner) CloneMessage() (any, error) { return &ptrCloner{N: p.N * 10}, nil }

type badCloner struct{}

func (badCloner) CloneMessage() (any, error) { return 42, nil }

type failCloner struct{}

func (failCloner) CloneMessage() (any, error) { return nil, errors.New("not today") }

// Clause 7: types that clone themselves.
func TestCloner(t *testing.T) {
	calls := 0
	s := selfCloner{Data: []int{1, 2}, calls: &calls}
	c, err := Typed(s)
	if err != nil || calls != 1 || &c.Data[0] == &s.Data[0] || len(c.Data) != 2 {
		t.Errorf("value receiver: %v %v calls=%d", c, err, calls)
	}
	if v, _ := Value(s, nil); calls != 2 || v.(selfCloner).Data[1] != 2 {
		t.Errorf("in an interface: calls=%d", calls)
	}
	p := &ptrCloner{N: 1}
	cp, err := Typed([]*ptrCloner{p, p, nil})
	if err != nil || cp[0].N != 10 || cp[0] != cp[1] || cp[2] != nil {
		t.Errorf("pointer receiver: %v %v", cp, err)
	}
	// A pointer-receiver method is not called on a value.
	cv, _ := Typed(ptrCloner{N: 3})
	if cv.N != 3 {
		t.Errorf("value of a pointer-receiver type: %v", cv)
	}
	_, err = Typed(struct{ B badCloner }{})
	var e *Error
	if !errors.As(err, &e) || e.Path != ".B" || !strings.Contains(e.Reason, "returned a int, want a clone.badCloner") {
		t.Errorf("wrong result type: %v", err)
	}
	_, err = Typed(map[string]any{"f": failCloner{}})
	if !errors.As(err, &e) || e.Path != `["f"]` || e.Reason != "not today" || e.Type != reflect.TypeFor[failCloner]() {
		t.Errorf("method error: %v", err)
	}
}

type hooked struct{ secret []byte }

// hookedWord is pointer-shaped: its hook gets and returns the one word.
type hookedWord struct{ m map[string]int }

type hookedPtr struct{ N int }

var hookedPtrCalls atomic.Int32

func init() {
	Register(reflect.TypeFor[hooked](), func(v any) (any, error) {
		h := v.(hooked)
		if string(h.secret) == "fail" {
			return nil, errors.New("hook refused")
		}
		return hooked{secret: []byte("redacted")}, nil
	})
	Register(reflect.TypeFor[hookedWord](), func(v any) (any, error) {
		return hookedWord{m: map[string]int{"hooked": len(v.(hookedWord).m)}}, nil
	})
	Register(reflect.TypeFor[*hookedPtr](), func(v any) (any, error) {
		hookedPtrCalls.Add(1)
		return &hookedPtr{N: v.(*hookedPtr).N + 1}, nil
	})
}

func TestHooks(t *testing.T) {
	c, err := Typed([]hooked{{secret: []byte("pw")}})
	if err != nil || string(c[0].secret) != "redacted" {
		t.Errorf("hook: %v %v", c, err)
	}
	_, err = Typed(struct{ H any }{hooked{secret: []byte("fail")}})
	var e *Error
	if !errors.As(err, &e) || e.Path != ".H" || e.Reason != "hook refused" {
		t.Errorf("hook error: %v", err)
	}
	w, err := Value([]any{hookedWord{m: map[string]int{"a": 1}}}, nil)
	if err != nil || w.([]any)[0].(hookedWord).m["hooked"] != 1 {
		t.Errorf("hook on a pointer-shaped type: %v %v", w, err)
	}
	p := &hookedPtr{N: 1}
	before := hookedPtrCalls.Load()
	cp, err := Typed([]*hookedPtr{p, p, nil})
	if err != nil || cp[0] != cp[1] || cp[0].N != 2 || cp[2] != nil || hookedPtrCalls.Load()-before != 1 {
		t.Errorf("pointer hook: %v %v calls=%d", cp, err, hookedPtrCalls.Load()-before)
	}
	// Seeds come before the hook.
	to := &hookedPtr{N: 100}
	cs, _ := Value(p, []Seed{{From: p, To: to}})
	if cs.(*hookedPtr) != to {
		t.Error("seed not applied before the hook")
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("registering twice did not panic")
			}
		}()
		Register(reflect.TypeFor[hooked](), func(v any) (any, error) { return v, nil })
	}()
}

type lateHooked struct{ N int }

// lateRegistered keeps TestRegisterAfterUse repeatable (-count=N): hooks
// are registered once per process.
var lateRegistered bool

func TestRegisterAfterUse(t *testing.T) {
	if !lateRegistered {
		if c, _ := Value([]any{lateHooked{1}}, nil); c.([]any)[0].(lateHooked).N != 1 {
			t.Fatal("plain copy failed")
		}
		Register(reflect.TypeFor[lateHooked](), func(v any) (any, error) { return lateHooked{N: -1}, nil })
		lateRegistered = true
	}
	if c, _ := Value([]any{lateHooked{1}}, nil); c.([]any)[0].(lateHooked).N != -1 {
		t.Error("a hook registered after the type was first cloned is not used")
	}
}

// Clause 8: failure is atomic: the source is untouched and the result is
// the zero value.
func TestFailureIsAtomic(t *testing.T) {
	build := func() *outer {
		one := 1
		return &outer{In: inner{N: []int{1, 2}}, P: &inner{note: "p"}, s: []string{"a"}, m: map[string]int{"k": 1}, arr: [3]*int{&one}}
	}
	type msg struct {
		O    *outer
		Bad  map[string]any
		More []int
	}
	src := msg{O: build(), Bad: map[string]any{"ok": []int{1}, "bad": make(chan int)}, More: []int{3}}
	want := msg{O: build(), Bad: map[string]any{"ok": []int{1}, "bad": src.Bad["bad"]}, More: []int{3}}
	c, err := Typed(src)
	if err == nil {
		t.Fatal("no error")
	}
	if d := cmp.Diff(msg{}, c, allFields); d != "" {
		t.Errorf("result is not the zero value:\n%s", d)
	}
	if d := cmp.Diff(want, src, allFields, cmp.Comparer(func(a, b chan int) bool { return a == b })); d != "" {
		t.Errorf("source modified:\n%s", d)
	}
	cv, err := Value(src, nil)
	if err == nil || cv != nil {
		t.Errorf("Value = %v, %v", cv, err)
	}
}

// Clause 9: depth does not overflow the stack.
func TestDeepList(t *testing.T) {
	const n = 1_000_000
	var head *node
	for i := n - 1; i >= 0; i-- {
		head = &node{V: i, Next: head}
	}
	start := time.Now()
	c, err := Typed(head)
	t.Logf("cloned %d nodes in %v", n, time.Since(start))
	if err != nil {
		t.Fatal(err)
	}
	i := 0
	for p, q := c, head; p != nil; p, q = p.Next, q.Next {
		if p == q || p.V != i {
			t.Fatalf("node %d: %v shared=%v", i, p.V, p == q)
		}
		i++
	}
	if i != n {
		t.Fatalf("%d nodes, want %d", i, n)
	}
}

func TestDeepFailure(t *testing.T) {
	type fnode struct {
		Next *fnode
		Fn   func()
	}
	const n = 1_000_000
	var head *fnode
	for i := 0; i < n; i++ {
		head = &fnode{Next: head}
	}
	last := head
	for last.Next != nil {
		last = last.Next
	}
	last.Fn = func() {}
	_, err := Typed(head)
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("err = %v", err)
	}
	want := strings.Repeat(".Next", 32) + fmt.Sprintf("...(%d more)...", n-64) + strings.Repeat(".Next", 31) + ".Fn"
	if e.Path != want {
		t.Errorf("Path = %q\nwant %q", e.Path, want)
	}
	// A failure at a moderate depth, past the recursion limit, has its
	// full path.
	var mid *fnode
	for i := 0; i < 600; i++ {
		mid = &fnode{Next: mid}
	}
	mid.Next.Next.Fn = func() {}
	_, err = Value(mid, nil)
	if !errors.As(err, &e) || e.Path != ".Next.Next.Fn" {
		t.Errorf("err = %v", err)
	}
	deep := mid
	for i := 0; i < 400; i++ {
		deep = deep.Next
	}
	mid.Next.Next.Fn = nil
	deep.Fn = func() {}
	_, err = Value([]any{map[string]any{"list": mid}}, nil)
	want = `[0]["list"]` + strings.Repeat(".Next", 30) + "...(339 more)..." + strings.Repeat(".Next", 31) + ".Fn"
	if !errors.As(err, &e) || e.Path != want {
		t.Errorf("Path = %q\nwant %q", e.Path, want)
	}
}

func TestDeepMixedFailure(t *testing.T) {
	// Past the recursion limit through slices, maps, structs and sync.Map.
	var v any = func() {}
	var segs []string
	for i := 0; i < 400; i++ {
		switch i % 4 {
		case 0:
			v = []any{0, v}
			segs = append(segs, "[1]")
		case 1:
			v = map[string]any{"k": v}
			segs = append(segs, `["k"]`)
		case 2:
			v = struct{ A any }{v}
			segs = append(segs, ".A")
		default:
			m := &sync.Map{}
			m.Store(7, v)
			v = m
			segs = append(segs, "[7]")
		}
	}
	for i, j := 0, len(segs)-1; i < j; i, j = i+1, j-1 {
		segs[i], segs[j] = segs[j], segs[i]
	}
	want := strings.Join(segs[:32], "") + "...(336 more)..." + strings.Join(segs[len(segs)-32:], "")
	_, err := Value(v, nil)
	var e *Error
	if !errors.As(err, &e) || e.Path != want {
		t.Errorf("Path = %q\nwant %q (%v)", e.Path, want, err)
	}
}

func TestDeepInterfaces(t *testing.T) {
	// Depth through slices, maps and interfaces, not only pointers.
	var v any = "leaf"
	for i := 0; i < 100_000; i++ {
		switch i % 3 {
		case 0:
			v = []any{v}
		case 1:
			v = map[string]any{"k": v}
		default:
			v = struct{ A any }{v}
		}
	}
	c, err := Value(v, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(v, c) { // cmp is quadratic in the depth
		t.Error("deep value differs")
	}
}

func TestConcurrentUse(t *testing.T) {
	shared := map[string]any{"a": []any{1, "x", map[string]any{"b": 2.5}}, "p": &point{X: 1}}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 200 {
				c, err := Value(shared, nil)
				if err != nil || !cmp.Equal(shared, c, allFields) {
					t.Error("concurrent clone failed")
					return
				}
			}
		}()
	}
	wg.Wait()
}
