package msgport_test

// Acceptance table for SPEC section 4 (structured clone of Go values),
// through the public StructuredClone and Clone. Transfers are tested in
// transfer_test.go.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
	"unsafe"

	"github.com/google/go-cmp/cmp"
	"github.com/seed01aa7ee5/msgport"
)

type ctJob struct {
	Name string
	Done func()
	tags []string
}

type ctJobs struct {
	Owner string
	Jobs  []ctJob
	Meta  map[string]any
	next  *ctJobs
}

type ctNode struct {
	V    int
	Next *ctNode
}

type ctCopier struct {
	Secret []byte
}

// CloneMessage is the type's own clone: here it redacts.
func (c ctCopier) CloneMessage() (any, error) {
	return ctCopier{Secret: []byte("***")}, nil
}

var cmpAll = cmp.Exporter(func(reflect.Type) bool { return true })

func TestStructuredCloneValues(t *testing.T) {
	// 4.1 and 4.2: values equal to the original, by value or deeply.
	x := 5
	for _, v := range []any{
		true, 42, int8(-8), uint64(1 << 63), uintptr(7), 3.5, float32(1), complex(1, 2), "text",
		[]int{1, 2}, [2]string{"a", "b"}, map[string]int{"a": 1}, &x,
		ctJobs{Owner: "ann", Jobs: []ctJob{{Name: "a", tags: []string{"t"}}}, Meta: map[string]any{"n": 1, "l": []any{"x"}}},
		&ctJobs{next: &ctJobs{Owner: "inner"}},
		[]any{1, "two", []byte("three"), map[int]any{4: nil}},
	} {
		t.Run(fmt.Sprintf("%T", v), func(t *testing.T) {
			c, err := msgport.StructuredClone(v)
			if err != nil {
				t.Fatal(err)
			}
			if reflect.TypeOf(c) != reflect.TypeOf(v) { // 4.3: dynamic type kept
				t.Fatalf("type %T, want %T", c, v)
			}
			if d := cmp.Diff(v, c, cmpAll); d != "" {
				t.Fatalf("clone differs:\n%s", d)
			}
		})
	}
}

func TestCloneSharesNoMutableMemory(t *testing.T) {
	orig := &ctJobs{
		Owner: "ann",
		Jobs:  []ctJob{{Name: "a", tags: []string{"x"}}},
		Meta:  map[string]any{"list": []any{1}, "m": map[string]int{"k": 1}},
		next:  &ctJobs{Owner: "b"},
	}
	c, err := msgport.Clone(orig)
	if err != nil {
		t.Fatal(err)
	}
	c.Jobs[0].Name = "changed"
	c.Jobs[0].tags[0] = "changed"
	c.Meta["list"].([]any)[0] = "changed"
	c.Meta["m"].(map[string]int)["k"] = 2
	c.next.Owner = "changed"
	if orig.Jobs[0].Name != "a" || orig.Jobs[0].tags[0] != "x" || orig.Meta["list"].([]any)[0] != 1 ||
		orig.Meta["m"].(map[string]int)["k"] != 1 || orig.next.Owner != "b" || c == orig {
		t.Errorf("writing to the clone changed the original: %+v", orig)
	}
}

func TestCloneNilAndEmpty(t *testing.T) {
	type holder struct {
		NilS   []int
		EmptyS []int
		NilM   map[string]int
		EmptyM map[string]int
		NilP   *int
		NilI   any
	}
	c, err := msgport.Clone(holder{EmptyS: []int{}, EmptyM: map[string]int{}})
	if err != nil {
		t.Fatal(err)
	}
	if c.NilS != nil || c.NilM != nil || c.NilP != nil || c.NilI != nil {
		t.Error("nil did not stay nil")
	}
	if c.EmptyS == nil || c.EmptyM == nil || len(c.EmptyS) != 0 || len(c.EmptyM) != 0 {
		t.Error("empty did not stay empty and non-nil")
	}
}

func TestCloneIdentityAndCycles(t *testing.T) {
	shared := &ctNode{V: 1}
	pair, err := msgport.Clone([]*ctNode{shared, shared})
	if err != nil || pair[0] != pair[1] || pair[0] == shared {
		t.Errorf("shared pointer: %v %v", pair, err)
	}
	m := map[string]any{}
	m["self"] = m
	cm, err := msgport.StructuredClone(m)
	if err != nil || reflect.ValueOf(cm.(map[string]any)["self"]).Pointer() != reflect.ValueOf(cm).Pointer() {
		t.Errorf("map cycle: %v", err)
	}
	ring := &ctNode{V: 1}
	ring.Next = &ctNode{V: 2, Next: ring}
	cr, err := msgport.Clone(ring)
	if err != nil || cr.Next.Next != cr || cr == ring {
		t.Errorf("pointer cycle: %v", err)
	}
}

func TestCloneSpecialTypes(t *testing.T) {
	now := time.Now()
	if c, err := msgport.Clone(now); err != nil || c != now {
		t.Errorf("time.Time: %v != %v (%v)", c, now, err)
	}

	type guarded struct {
		Mu    sync.Mutex
		Count int
	}
	g := &guarded{Count: 3}
	g.Mu.Lock()
	defer g.Mu.Unlock()
	cg, err := msgport.Clone(g)
	if err != nil || !cg.Mu.TryLock() || cg.Count != 3 {
		t.Errorf("sync.Mutex: the clone's lock is held or the count is lost (%v)", err)
	}

	perr := &os.PathError{Op: "open", Path: "/nope", Err: fs.ErrNotExist}
	type report struct {
		Read   error
		Ctx    error
		Detail any
	}
	cv, err := msgport.StructuredClone(report{Read: io.EOF, Ctx: context.Canceled, Detail: perr})
	if err != nil {
		t.Fatal(err)
	}
	r := cv.(report)
	if !errors.Is(r.Read, io.EOF) || !errors.Is(r.Ctx, context.Canceled) || !errors.Is(r.Detail.(error), os.ErrNotExist) {
		t.Errorf("errors.Is fails after clone: %+v", r)
	}
	if e, _ := msgport.StructuredClone(io.EOF); e != io.EOF {
		t.Error("an error value was copied")
	}
}

func TestCloneMessageMethod(t *testing.T) {
	c, err := msgport.Clone(map[string]ctCopier{"k": {Secret: []byte("hunter2")}})
	if err != nil || string(c["k"].Secret) != "***" {
		t.Errorf("CloneMessage not used: %v %v", c, err)
	}
}

func TestDataCloneErrorPaths(t *testing.T) {
	fn := func() {}
	ch := make(chan int)
	x := 0
	tests := []struct {
		name string
		v    any
		path string
		typ  reflect.Type
	}{
		{"root func", fn, "", reflect.TypeFor[func()]()},
		{"job in a slice", ctJobs{Jobs: []ctJob{{}, {}, {Done: fn}}}, ".Jobs[2].Done", reflect.TypeFor[func()]()},
		{"map key", map[string]any{"key": ch}, `["key"]`, reflect.TypeFor[chan int]()},
		{"nested map", ctJobs{Meta: map[string]any{"a": []any{0, unsafe.Pointer(&x)}}}, `.Meta["a"][1]`, reflect.TypeFor[unsafe.Pointer]()},
		{"through pointers", &ctJobs{next: &ctJobs{Jobs: []ctJob{{Done: fn}}}}, ".next.Jobs[0].Done", reflect.TypeFor[func()]()},
		{"int keys", map[int][]func(){7: {nil, fn}}, "[7][1]", reflect.TypeFor[func()]()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := msgport.StructuredClone(tt.v)
			var dce *msgport.DataCloneError
			if !errors.As(err, &dce) {
				t.Fatalf("err = %v, want *DataCloneError", err)
			}
			if c != nil {
				t.Errorf("failed clone returned %v", c)
			}
			if dce.Path != tt.path || dce.Type != tt.typ {
				t.Errorf("Path, Type = %q, %v; want %q, %v", dce.Path, dce.Type, tt.path, tt.typ)
			}
			if dce.Reason == "" || !strings.Contains(err.Error(), tt.typ.String()) {
				t.Errorf("unhelpful error %q", err)
			}
		})
	}
	// Nil ones clone to nil.
	if _, err := msgport.Clone(ctJobs{Jobs: []ctJob{{Name: "idle"}}}); err != nil {
		t.Errorf("nil func: %v", err)
	}
	// Clone returns the zero value on failure.
	if c, err := msgport.Clone(ctJobs{Owner: "x", Jobs: []ctJob{{Done: fn}}}); err == nil || c.Owner != "" {
		t.Errorf("Clone = %+v, %v; want the zero value and an error", c, err)
	}
}

func TestCloneFailureLeavesSourceAlone(t *testing.T) {
	src := map[string]any{"ok": []int{1, 2}, "bad": []any{func() {}}}
	before := fmt.Sprint(src["ok"])
	if _, err := msgport.StructuredClone(src); err == nil {
		t.Fatal("no error")
	}
	if fmt.Sprint(src["ok"]) != before || len(src) != 2 {
		t.Error("source changed")
	}
}

func TestCloneDeepList(t *testing.T) {
	var head *ctNode
	for i := range 1_000_000 {
		head = &ctNode{V: i, Next: head}
	}
	c, err := msgport.Clone(head)
	if err != nil || c == head || c.V != head.V || c.Next.V != head.Next.V {
		t.Fatalf("deep list: %v", err)
	}
}
