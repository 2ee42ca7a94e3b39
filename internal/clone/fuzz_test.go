package clone

import (
	"io"
	"math"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// FuzzClone builds a value from the fuzzer's bytes — nested structs with
// unexported fields, slices, maps, pointers, interfaces, shared objects and
// cycles — and checks that its clone equals it, shares no mutable memory
// with it and has the same aliasing. The seed corpus is in
// testdata/fuzz/FuzzClone and runs with every go test.
func FuzzClone(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte("\x04\x01\x02\x05\x00\x02\x03\x00\x01\x01"))
	f.Fuzz(func(t *testing.T, data []byte) {
		b := &fuzzBuilder{data: data}
		v := b.value(0)
		c, err := Value(v, nil)
		if err != nil {
			t.Fatalf("Value: %v", err)
		}
		// reflect.DeepEqual first: it visits shared objects once, where cmp
		// walks a DAG as a tree; cmp then judges NaNs and explains.
		opts := []cmp.Option{allFields, cmpopts.EquateNaNs()}
		if !reflect.DeepEqual(v, c) {
			if d := cmp.Diff(v, c, opts...); d != "" {
				t.Fatalf("clone differs (-orig +clone):\n%s", d)
			}
		}
		if s := sharesMutable(v, c); s != "" {
			t.Fatal(s)
		}
		if s := identityShape(v, c); s != "" {
			t.Fatalf("identity: %s", s)
		}
		// The statically typed entry point agrees.
		if root, ok := v.(*fuzzNode); ok {
			tc, err := Typed(root)
			if err != nil || !reflect.DeepEqual(root, tc) && !cmp.Equal(root, tc, opts...) {
				t.Fatalf("Typed: %v", err)
			}
		}
	})
}

type fuzzNode struct {
	V    int
	Next *fuzzNode
	Any  any
	kids []*fuzzNode
}

type fuzzStruct struct {
	A    int8
	s    string
	b    []byte
	m    map[int]string
	n    *fuzzNode
	arr  [2]any
	When time.Time
	Err  error
}

type fuzzLocked struct {
	//lint:ignore U1000 present so that cloning a struct with a sync.Mutex is fuzzed
	mu    sync.Mutex
	count atomic.Int64
	Vals  []float64
}

type fuzzBuilder struct {
	data []byte
	pos  int
	objs []any // pointers, maps and slices made so far, for sharing
}

func (b *fuzzBuilder) next() byte {
	if b.pos >= len(b.data) {
		return 0
	}
	c := b.data[b.pos]
	b.pos++
	return c
}

func (b *fuzzBuilder) value(depth int) any {
	if depth > 6 {
		return int(b.next())
	}
	switch b.next() % 16 {
	case 0:
		return int(b.next())
	case 1:
		n := int(b.next() % 8)
		return string(b.data[b.pos:min(b.pos+n, len(b.data))])
	case 2:
		s := make([]any, b.next()%4)
		b.objs = append(b.objs, s)
		for i := range s {
			s[i] = b.value(depth + 1)
		}
		return s
	case 3:
		m := map[string]any{}
		b.objs = append(b.objs, m)
		for range b.next() % 4 {
			m[string(rune('a'+b.next()%26))] = b.value(depth + 1)
		}
		return m
	case 4:
		n := &fuzzNode{V: int(b.next())}
		b.objs = append(b.objs, n)
		n.Any = b.value(depth + 1)
		if next, ok := b.value(depth + 1).(*fuzzNode); ok {
			n.Next = next
		}
		for range b.next() % 3 {
			if k, ok := b.value(depth + 1).(*fuzzNode); ok {
				n.kids = append(n.kids, k)
			}
		}
		return n
	case 5:
		if len(b.objs) == 0 {
			return nil
		}
		return b.objs[int(b.next())%len(b.objs)]
	case 6:
		s := &fuzzStruct{A: int8(b.next()), s: "x", m: map[int]string{}, When: time.Unix(int64(b.next()), 0)}
		b.objs = append(b.objs, s)
		if b.next()%2 == 0 {
			s.b = []byte{b.next(), b.next()}
		}
		for range b.next() % 3 {
			s.m[int(b.next())] = "v"
		}
		s.n, _ = b.value(depth + 1).(*fuzzNode)
		s.arr[0] = b.value(depth + 1)
		if b.next()%2 == 0 {
			s.Err = io.EOF
		}
		return s
	case 7:
		return []byte{b.next(), b.next(), b.next()}
	case 8:
		return math.Float64frombits(uint64(b.next())<<56 | uint64(b.next()))
	case 9:
		m := map[int]*fuzzNode{}
		b.objs = append(b.objs, m)
		for range b.next() % 3 {
			n, _ := b.value(depth + 1).(*fuzzNode)
			m[int(b.next())] = n
		}
		return m
	case 10:
		p := new(int)
		*p = int(b.next())
		b.objs = append(b.objs, p)
		return p
	case 11:
		l := &fuzzLocked{Vals: []float64{float64(b.next())}}
		l.count.Store(int64(b.next()))
		b.objs = append(b.objs, l)
		return l
	case 12:
		return [3]any{b.value(depth + 1), nil, b.value(depth + 1)}
	case 13:
		// a struct value (boxed) holding shared objects
		return fuzzStruct{s: "boxed", arr: [2]any{b.value(depth + 1), b.value(depth + 1)}}
	case 14:
		var x any = b.value(depth + 1)
		return &x
	default:
		return nil
	}
}
