package clone

// The per-call state of a clone: the identity memo, the recursion depth and
// the explicit work stack that keeps deep values from growing the goroutine
// stack without bound.

import (
	"fmt"
	"math/bits"
	"reflect"
	"sync"
	"unsafe"
)

// maxDepth bounds the recursion: a pointer, slice, map or boxed interface
// value met deeper than this is allocated and linked into the clone at
// once, and the copy of its contents is pushed on the work stack and run
// after the recursion unwinds. A 1,000,000-node linked list thus clones
// in 1,000,000/maxDepth rounds of bounded recursion.
const maxDepth = 256

// memoInline is how many identity entries are kept in a small array
// before the memo moves to a hash table; most messages meet only a few
// pointers and maps.
const memoInline = 8

// memoKey identifies a source object: its address, its type (a struct and
// its first field share an address) and, for slice arrays, the length.
// Addresses are kept as integers: the source keeps its objects alive
// during the clone, and the garbage collector has fewer words to scan.
type memoKey struct {
	p uintptr
	t uintptr
	n int
}

type memoEntry struct {
	k memoKey
	v unsafe.Pointer
}

// taskFunc fills an object that was allocated and linked into the clone
// but whose contents were deferred (see maxDepth).
type taskFunc func(st *state, p *plan, dst, src unsafe.Pointer, n int) error

type task struct {
	fn       taskFunc
	p        *plan
	dst, src unsafe.Pointer
	n        int
	base     *pathSnap // tracking mode: the path that led here
}

type state struct {
	depth int

	// The memo maps source objects (pointer targets, maps, slice arrays
	// that may be part of a cycle) to their clones. It starts in memoArr
	// and moves to the open-addressing table memoTab once that is full
	// (memoTab != nil says so; memoN then counts the table's entries).
	memoN     int
	memoArr   [memoInline]memoEntry
	memoTab   []memoEntry
	memoShift uint    // 64 - log2(len(memoTab))
	hint      uintptr // the free slot where seen stopped looking for hintKey
	hintKey   memoKey
	spareTab  []memoEntry // a cleared table kept from an earlier clone

	tasks []task

	// Tracking mode (see path.go): segs is the path from the current
	// task's start, base the path to that start.
	track bool
	segs  []string
	base  *pathSnap
}

var statePool = sync.Pool{New: func() any { return new(state) }}

func getState() *state { return statePool.Get().(*state) }

// putState clears st (it must not keep the caller's memory alive) and
// returns it to the pool.
func putState(st *state) {
	st.reset()
	statePool.Put(st)
}

func (st *state) reset() {
	if st.memoTab != nil {
		if len(st.memoTab) <= 4096 {
			clear(st.memoTab)
			st.spareTab = st.memoTab
		}
		st.memoTab = nil
	} else {
		clear(st.memoArr[:st.memoN])
	}
	st.memoN = 0
	st.hintKey = memoKey{}
	if cap(st.tasks) > 1024 {
		st.tasks = nil
	} else {
		clear(st.tasks) // left over after a failure
		st.tasks = st.tasks[:0]
	}
	st.depth = 0
	if st.track {
		st.track = false
		st.segs = nil
		st.base = nil
	}
}

// memoHash places a key in a table of 1<<(64-shift) slots (Fibonacci
// hashing: the top bits of the product spread even regular addresses
// evenly).
func memoHash(k memoKey, shift uint) uintptr {
	h := uint64(k.p) ^ uint64(k.t)<<7 ^ uint64(k.n)<<29
	return uintptr(h * 0x9E3779B97F4A7C15 >> shift)
}

// seen returns the clone already made of the source object k, if any.
func (st *state) seen(p, t unsafe.Pointer, n int) (unsafe.Pointer, bool) {
	k := memoKey{uintptr(p), uintptr(t), n}
	if tab := st.memoTab; tab != nil {
		mask := uintptr(len(tab) - 1)
		for i := memoHash(k, st.memoShift); ; i = (i + 1) & mask {
			e := &tab[i]
			if e.k == k {
				return e.v, true
			}
			if e.k.p == 0 {
				st.hint, st.hintKey = i, k // where remember(k) will go
				return nil, false
			}
		}
	}
	for i := range st.memoArr[:st.memoN] {
		if st.memoArr[i].k == k {
			return st.memoArr[i].v, true
		}
	}
	return nil, false
}

// remember records v as the clone of the source object k (k.p != nil).
func (st *state) remember(p, t unsafe.Pointer, n int, v unsafe.Pointer) {
	k := memoKey{uintptr(p), uintptr(t), n}
	if st.memoTab == nil {
		if st.memoN < memoInline {
			st.memoArr[st.memoN] = memoEntry{k, v}
			st.memoN++
			return
		}
		st.memoTab, st.spareTab = st.spareTab, nil
		if st.memoTab == nil {
			st.memoTab = make([]memoEntry, 64)
		}
		st.memoShift = uint(64 - bits.TrailingZeros(uint(len(st.memoTab))))
		st.memoN = 0
		st.hintKey = memoKey{}
		for _, e := range st.memoArr {
			st.insert(e)
		}
		clear(st.memoArr[:])
	} else if 4*(st.memoN+1) <= 3*len(st.memoTab) {
		if st.hintKey == k && st.memoTab[st.hint].k.p == 0 {
			st.memoTab[st.hint] = memoEntry{k, v}
			st.memoN++
			return
		}
	} else {
		old := st.memoTab
		st.memoTab = make([]memoEntry, 2*len(old))
		st.memoShift--
		st.memoN = 0
		st.hintKey = memoKey{}
		for _, e := range old {
			if e.k.p != 0 {
				st.insert(e)
			}
		}
	}
	st.insert(memoEntry{k, v})
}

// insert adds e to the table, which has room.
func (st *state) insert(e memoEntry) {
	tab := st.memoTab
	mask := uintptr(len(tab) - 1)
	i := memoHash(e.k, st.memoShift)
	for tab[i].k.p != 0 {
		i = (i + 1) & mask
	}
	tab[i] = e
	st.memoN++
}

// descend copies the contents of an object just allocated for the clone
// (dst) from src with fn, one level deeper, or defers that copy to the
// work stack when the recursion is already maxDepth deep.
func (st *state) descend(fn taskFunc, p *plan, dst, src unsafe.Pointer, n int) error {
	if st.depth >= maxDepth {
		t := task{fn: fn, p: p, dst: dst, src: src, n: n}
		if st.track {
			t.base = st.base.extend(st.segs)
		}
		st.tasks = append(st.tasks, t)
		return nil
	}
	st.depth++
	err := fn(st, p, dst, src, n)
	st.depth--
	return err
}

// copyTask is the taskFunc that copies one value of p's type.
func copyTask(st *state, p *plan, dst, src unsafe.Pointer, _ int) error {
	return p.copy(st, dst, src)
}

// push and pop maintain the tracked path; they are no-ops unless tracking.
func (st *state) push(seg string) {
	if st.track {
		st.segs = append(st.segs, seg)
	}
}

func (st *state) pop() {
	if st.track {
		st.segs = st.segs[:len(st.segs)-1]
	}
}

// errRetrack says that a deferred task failed while not tracking paths:
// the caller runs the clone again with tracking on to name the path.
var errRetrack = &failure{reason: "retrack"}

// drain runs the work stack after the root copy returned err. It returns
// the *Error to report, errRetrack, or nil.
func (st *state) drain(err error) error {
	if err != nil {
		return toError(err, nil)
	}
	for len(st.tasks) > 0 {
		t := st.tasks[len(st.tasks)-1]
		st.tasks[len(st.tasks)-1] = task{}
		st.tasks = st.tasks[:len(st.tasks)-1]
		st.depth = 0
		if st.track {
			st.base = t.base
			st.segs = st.segs[:0]
		}
		if err := t.fn(st, t.p, t.dst, t.src, t.n); err != nil {
			if !st.track {
				return errRetrack
			}
			return toError(err, t.base)
		}
	}
	return nil
}

// run performs one whole clone with a pooled state: root does the root
// copy. When a deferred task fails, the clone is run again with path
// tracking so the error can name where the failure is.
func run(seeds []Seed, root func(st *state) error) error {
	st := getState()
	defer putState(st)
	st.seed(seeds)
	err := st.drain(root(st))
	if err != errRetrack {
		return err
	}
	st.reset()
	st.track = true
	st.seed(seeds)
	return st.drain(root(st))
}

// seed enters the seeds in the memo: From maps to To.
func (st *state) seed(seeds []Seed) {
	for i := range seeds {
		f, t := efaceOf(&seeds[i].From), efaceOf(&seeds[i].To)
		if f.typ == nil || f.typ != t.typ || typeOfRT(f.typ).Kind() != reflect.Pointer || f.data == nil || t.data == nil {
			panic(fmt.Sprintf("clone: a Seed needs two pointers of one type, not %T and %T", seeds[i].From, seeds[i].To))
		}
		st.remember(f.data, f.typ, 0, t.data)
	}
}
