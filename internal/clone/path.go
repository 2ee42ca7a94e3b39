package clone

// Where in a value an error happened.
//
// A path is a sequence of segments, each written as Go would reach the
// value from its parent: ".Field", "[3]", `["key"]`, "[42]". Pointer
// dereferences and interface unwraps add nothing. Segments are collected
// only when something fails: the failure travels up the recursion and
// every level appends its own segment (so a successful clone pays nothing
// for paths). Work deferred to the explicit work stack (see state.go) has
// lost its callers; for it the engine walks the value a second time with
// tracking on, when each deferred task records the path that led to it
// (pathSnap).

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
)

// Paths longer than pathHead+pathTail segments are shortened to their
// first pathHead and last pathTail segments around an "...(N more)..."
// marker, so that an error 1,000,000 pointers deep stays readable.
const (
	pathHead = 32
	pathTail = 32
)

// failure is the engine's internal error: segs holds the path from the
// failing value outwards (innermost first).
type failure struct {
	segs   []string
	typ    reflect.Type
	reason string
}

func (f *failure) Error() string { return f.reason }

// fail returns a failure for a value of type t at the current position.
func fail(t reflect.Type, reason string) error {
	return &failure{typ: t, reason: reason}
}

// wrap adds the segment seg on the way out of the recursion.
func wrap(err error, seg string) error {
	if f, ok := err.(*failure); ok {
		f.segs = append(f.segs, seg)
	}
	return err
}

// indexSeg returns the segment of slice or array element i.
func indexSeg(i int) string { return "[" + strconv.Itoa(i) + "]" }

// keySeg returns the segment of the map or sync.Map entry with key k:
// strings are quoted (["key"]), other keys printed with %v ([42]).
func keySeg(k reflect.Value) string {
	if k.Kind() == reflect.Interface && !k.IsNil() {
		k = k.Elem()
	}
	if k.Kind() == reflect.String {
		return "[" + strconv.Quote(k.String()) + "]"
	}
	if k.CanInterface() {
		return fmt.Sprintf("[%v]", k.Interface())
	}
	return fmt.Sprintf("[%v]", k)
}

// mapKeySeg marks a failure inside a map key rather than its value:
// "[key](key)" followed by the path inside the key.
func mapKeySeg(k reflect.Value) string { return keySeg(k) + "(key)" }

// pathSnap is a shortened path prefix recorded for a deferred task in
// tracking mode: the first segments, how many were dropped, the last ones.
type pathSnap struct {
	head    []string
	skipped int
	tail    []string
}

// extend returns the path s followed by segs (outermost first).
func (s *pathSnap) extend(segs []string) *pathSnap {
	n := &pathSnap{}
	if s != nil {
		n.head = s.head[:len(s.head):len(s.head)]
		n.skipped = s.skipped
		n.tail = append([]string(nil), s.tail...)
	}
	for _, seg := range segs {
		if n.skipped == 0 && len(n.tail) == 0 && len(n.head) < pathHead {
			n.head = append(n.head, seg)
			continue
		}
		n.tail = append(n.tail, seg)
		if len(n.tail) > pathTail {
			n.tail = n.tail[1:]
			n.skipped++
		}
	}
	return n
}

func (s *pathSnap) String() string {
	if s == nil {
		return ""
	}
	var b strings.Builder
	for _, seg := range s.head {
		b.WriteString(seg)
	}
	if s.skipped > 0 {
		fmt.Fprintf(&b, "...(%d more)...", s.skipped)
	}
	for _, seg := range s.tail {
		b.WriteString(seg)
	}
	return b.String()
}

// toError turns a failure into the exported *Error, prefixing the path of
// the task it happened in (nil for the root).
func toError(err error, base *pathSnap) error {
	f, ok := err.(*failure)
	if !ok {
		return err
	}
	rel := make([]string, len(f.segs))
	for i, seg := range f.segs {
		rel[len(rel)-1-i] = seg
	}
	return &Error{Path: base.extend(rel).String(), Type: f.typ, Reason: f.reason}
}
