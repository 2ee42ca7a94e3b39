package natsbus

import (
	"io"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/seed01aa7ee5/msgport"
)

type (
	plainMsg struct {
		ID   int
		Name string
		Tags []string
		Meta map[string]any
	}
	inert    struct{ X, y int }
	listNode struct {
		V    int
		Next *listNode
	}
	// redacted clones to a copy without its secret.
	redacted struct{ Secret string }
	// clonerError is an error, so held in an interface it is never cloned.
	clonerError struct{ Text string }
	hiddenFn    struct {
		X  int
		fn func()
	}
	hiddenAny struct {
		X int
		v any
	}
	// hiddenChain reads X where it is exported, but not in next.
	hiddenChain struct {
		X    any
		next *hiddenChain
	}
	withMutex struct {
		X  int
		mu sync.Mutex
	}
	withCounter struct{ N atomic.Int64 }
	withFn      struct{ Fn func() }
	withPort    struct{ P *msgport.MessagePort }
	withCond    struct{ C *sync.Cond }
)

func (r redacted) CloneMessage() (any, error)    { return redacted{Secret: "***"}, nil }
func (e clonerError) Error() string              { return e.Text }
func (e clonerError) CloneMessage() (any, error) { return clonerError{Text: "cloned"}, nil }

// Encoding the sender's own message writes what encoding its clone would,
// or fails: it never succeeds where StructuredClone fails, nor sends what
// a CloneMessage method would have changed. For plain values (direct) it
// succeeds, so no clone is taken.
func TestEncodeOriginalAsClone(t *testing.T) {
	var reg registry
	reg.add(plainMsg{})
	reg.add(redacted{})
	reg.add(clonerError{})
	port := msgport.NewMessageChannel().Port1
	defer port.Close()
	cases := []struct {
		name   string
		v      any
		direct bool
	}{
		{"registered struct", plainMsg{ID: 1, Name: "n", Tags: []string{"a"}, Meta: map[string]any{"k": 1, "s": "x", "f": 1.5}}, true},
		{"pointer to registered struct", &plainMsg{ID: 2}, true},
		{"table types", map[string]any{"t": time.Unix(5, 0), "e": io.EOF, "l": []any{1, "x", map[string]any{}}, "b": []byte("b")}, true},
		{"unexported inert field", inert{X: 1, y: 2}, true},
		{"recursive type", &listNode{V: 1, Next: &listNode{V: 2}}, true},
		{"error with CloneMessage in an interface", map[string]any{"err": clonerError{Text: "sent"}}, true},
		{"registered error with CloneMessage", clonerError{Text: "sent"}, true},
		{"nil", nil, true},

		{"CloneMessage", redacted{Secret: "s"}, false},
		{"CloneMessage in an interface", map[string]any{"r": redacted{Secret: "s"}}, false},
		{"CloneMessage in a slice of any", []any{1, redacted{Secret: "s"}}, false},
		{"sync.Mutex, held", lockedMutex(), false},
		{"sync/atomic", &withCounter{}, false},
		{"buffer", msgport.NewBuffer([]byte("b")), false},
		{"nil func field", withFn{}, false},

		{"func in an unexported field", hiddenFn{X: 1, fn: func() {}}, false},
		{"func in an unexported interface", hiddenAny{X: 1, v: func() {}}, false},
		{"func in an unexported field of an unexported field", hiddenChain{X: 1, next: &hiddenChain{X: func() {}}}, false},
		{"func behind an interface", map[string]any{"h": hiddenFn{fn: func() {}}}, false},
		{"chan", map[string]any{"c": make(chan int)}, false},
		{"port not transferred", withPort{P: port}, false},
		{"sync.Cond", withCond{C: sync.NewCond(new(sync.Mutex))}, false},
		{"reflect.Value", []any{reflect.ValueOf(1)}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if direct := checkAsClone(t, &reg, c.v); direct != c.direct {
				t.Fatalf("encoded as the original: %v, want %v", direct, c.direct)
			}
		})
	}
	// FuzzDecode's seeds, the whole type table among them.
	for _, v := range seedValues() {
		checkAsClone(t, testReg, v)
	}
}

// checkAsClone fails t if encoding v as the sender's own value succeeds
// where its clone fails, or arrives otherwise than its clone's encoding;
// it reports whether that encoding succeeded.
func checkAsClone(t *testing.T, reg *registry, v any) (direct bool) {
	t.Helper()
	orig, errO := encodeOriginal(nil, reg, 0, "s", "n", v)
	cl, errC := msgport.StructuredClone(v)
	switch {
	case errO != nil:
		return false
	case errC != nil:
		t.Fatalf("%#v: encoded as the original, but its clone fails: %v", v, errC)
	}
	viaClone, err := encodeMessage(nil, reg, 0, "s", "n", cl)
	if err != nil {
		t.Fatalf("%#v: encoded as the original, but its clone does not encode: %v", v, err)
	}
	_, got, err1 := decodeMessage(orig, reg)
	_, want, err2 := decodeMessage(viaClone, reg)
	if err1 != nil || err2 != nil {
		t.Fatalf("%#v: decode: %v, %v", v, err1, err2)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("the original arrives as %#v, its clone as %#v", got, want)
	}
	return true
}

func lockedMutex() *withMutex {
	w := &withMutex{X: 1}
	w.mu.Lock()
	return w
}

// encodesAsClone decides a recursive type by its parts, telling a type the
// encoder reads from the same type where it does not.
func TestEncodesAsCloneRecursive(t *testing.T) {
	for _, c := range []struct {
		t    reflect.Type
		want bool
	}{
		{reflect.TypeFor[listNode](), true},
		{reflect.TypeFor[map[string]*listNode](), true},
		{reflect.TypeFor[hiddenChain](), false},
		{reflect.TypeFor[*hiddenChain](), false},
		{reflect.TypeFor[[]hiddenAny](), false},
		{reflect.TypeFor[time.Time](), true},
		{reflect.TypeFor[chan int](), false},
	} {
		if got := encodesAsClone(c.t); got != c.want {
			t.Errorf("encodesAsClone(%v) = %v, want %v", c.t, got, c.want)
		}
	}
}
