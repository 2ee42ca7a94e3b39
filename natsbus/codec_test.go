package natsbus

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/vmihailenco/msgpack/v5"
)

// roundTrip encodes v and decodes the result.
func roundTrip(t *testing.T, v any) any {
	t.Helper()
	b, err := encodeMessage(nil, testReg, 0, "s", "n", v)
	if err != nil {
		t.Fatalf("encode %T: %v", v, err)
	}
	_, got, err := decodeMessage(b, testReg)
	if err != nil {
		t.Fatalf("decode %T: %v", v, err)
	}
	return got
}

// body encodes v alone (no envelope) with the codec.
func body(t *testing.T, v any) []byte {
	t.Helper()
	e := encoder{reg: testReg}
	if err := e.encode(reflect.ValueOf(&v).Elem(), 0); err != nil {
		t.Fatal(err)
	}
	return e.buf
}

// readBody decodes a body alone.
func readBody(b []byte) (any, error) {
	return decodeBody(&decoder{r: reader{b: b}, reg: testReg})
}

// Every length class of strings, bytes, arrays and maps, both ways between
// this codec and vmihailenco/msgpack.
func TestLengthClasses(t *testing.T) {
	for _, n := range []int{0, 1, 15, 16, 31, 32, 255, 256, 65535, 65536} {
		s := strings.Repeat("x", n)
		bs := bytes.Repeat([]byte{7}, n)
		arr := make([]any, n)
		for i := range arr {
			arr[i] = int64(i)
		}
		m := map[string]any{}
		for i := range min(n, 70000) {
			m[strings.Repeat("k", i%5)+string(rune('a'+i%26))+string(rune(i))] = true
		}
		for _, v := range []any{s, bs, arr, m} {
			ours := body(t, v)
			var theirs any
			if err := msgpack.Unmarshal(ours, &theirs); err != nil {
				t.Fatalf("n=%d %T: msgpack cannot read ours: %v", n, v, err)
			}
			if !reflect.DeepEqual(normalize(theirs), v) {
				t.Fatalf("n=%d %T: msgpack read %T", n, v, theirs)
			}
			lib, err := msgpack.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			got, err := readBody(lib)
			if err != nil {
				t.Fatalf("n=%d %T: cannot read msgpack's: %v", n, v, err)
			}
			if !reflect.DeepEqual(normalize(got), v) {
				t.Fatalf("n=%d %T: read %T", n, v, got)
			}
		}
	}
}

// normalize turns the library's small integers into int64, as our arrays
// hold them.
func normalize(v any) any {
	switch v := v.(type) {
	case []any:
		for i := range v {
			v[i] = normalize(v[i])
		}
	case int8, int16, int32, uint8, uint16, uint32, uint64:
		return reflect.ValueOf(v).Convert(reflect.TypeFor[int64]()).Interface()
	}
	return v
}

// Integers in msgpack's compact forms (which natsbus does not write) read as
// int64; timestamps in all three forms read as UTC times.
func TestForeignForms(t *testing.T) {
	for _, c := range []struct {
		data []byte
		want any
	}{
		{[]byte{0x05}, int64(5)},
		{[]byte{0xff}, int64(-1)},
		{[]byte{0xd6, 0xff, 0, 0, 0, 9}, time.Unix(9, 0).UTC()},
		{binary.BigEndian.AppendUint64([]byte{0xd7, 0xff}, 7<<34|9), time.Unix(9, 7).UTC()},
		{binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint32([]byte{0xc7, 12, 0xff}, 7), uint64(1<<63)), time.Unix(math.MinInt64, 7).UTC()},
	} {
		got, err := readBody(c.data)
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("% x: got %#v, %v; want %#v", c.data, got, err, c.want)
		}
	}
	for _, tm := range []time.Time{time.Unix(1, 0), time.Unix(1, 1), time.Unix(1<<40, 5), time.Unix(-5, 5), {}} {
		lib, _ := msgpack.Marshal(tm)
		got, err := readBody(lib)
		if err != nil || !got.(time.Time).Equal(tm) {
			t.Errorf("%v: got %v, %v", tm, got, err)
		}
		if got := roundTrip(t, tm); !got.(time.Time).Equal(tm) {
			t.Errorf("%v: round trip %v", tm, got)
		}
	}
}

// typed holds fields of many types for the typed decoder.
type typed struct {
	I8  int8
	U8  uint8
	U   uint
	F32 float32
	F   float64
	B   bool
	S   string
	Bs  []byte
	A   [2]int
	Ab  [2]byte
	M   map[int]string
	IK  map[any]int
	T   time.Time
	P   *typed
	C   complex128
	St  error
	Ch  chan int
	Any any
}

// field encodes a registered typed value whose map holds only name: v
// (written by the msgpack library, to craft what natsbus would not send).
func field(t *testing.T, name string, v any) []byte {
	t.Helper()
	inner := append(mustMarshal(t, "github.com/seed01aa7ee5/msgport/natsbus.typed"), mustMarshal(t, map[string]any{name: v})...)
	b := binary.BigEndian.AppendUint32([]byte{0xc9}, uint32(len(inner)))
	return append(append(b, byte(extStruct)), inner...)
}

func mustMarshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := msgpack.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Inside a registered struct, values convert to the field's type only
// without loss; anything else is a descriptive error naming the field.
func TestTypedDecode(t *testing.T) {
	var reg registry
	reg.add(typed{})
	ok := []struct {
		field string
		v     any
		check func(typed) bool
	}{
		{"I8", -128, func(x typed) bool { return x.I8 == -128 }},
		{"U8", uint64(255), func(x typed) bool { return x.U8 == 255 }},
		{"U", int8(3), func(x typed) bool { return x.U == 3 }},
		{"F32", 2, func(x typed) bool { return x.F32 == 2 }},
		{"F32", math.Inf(1), func(x typed) bool { return math.IsInf(float64(x.F32), 1) }},
		{"F", float32(0.5), func(x typed) bool { return x.F == 0.5 }},
		{"S", []byte("bin"), func(x typed) bool { return x.S == "bin" }},
		{"Bs", "str", func(x typed) bool { return string(x.Bs) == "str" }},
		{"Ab", []byte{1, 2}, func(x typed) bool { return x.Ab == [2]byte{1, 2} }},
		{"A", []int{1, 2}, func(x typed) bool { return x.A == [2]int{1, 2} }},
		{"M", map[int]string{1: "a"}, func(x typed) bool { return x.M[1] == "a" }},
		{"IK", map[string]int{"k": 1}, func(x typed) bool { return x.IK["k"] == 1 }},
		{"P", map[string]any{"S": "inner"}, func(x typed) bool { return x.P != nil && x.P.S == "inner" }},
		{"S", nil, func(x typed) bool { return x.S == "" }},
		{"Unknown", []any{map[string]any{"deep": 1}}, func(x typed) bool { return true }},
		{"Any", []any{1}, func(x typed) bool { return reflect.DeepEqual(x.Any, []any{int64(1)}) }},
	}
	for _, c := range ok {
		_, got, err := decodeMessage(append([]byte{0x94, 1, 0xa1, 's', 0xa1, 'n'}, field(t, c.field, c.v)...), &reg)
		if err != nil {
			t.Errorf("%s = %#v: %v", c.field, c.v, err)
			continue
		}
		if x, isTyped := got.(typed); !isTyped || !c.check(x) {
			t.Errorf("%s = %#v: got %#v", c.field, c.v, got)
		}
	}
	bad := []struct {
		field string
		v     any
		want  string
	}{
		{"I8", 128, "overflows int8"},
		{"U8", -1, "overflows uint8"},
		{"U", 1.5, "want uint, got a float"},
		{"F32", math.MaxFloat64, "overflows float32"},
		{"B", 1, "want bool, got an integer"},
		{"S", 1, "want string, got an integer"},
		{"A", []int{1}, "want [2]int, got an array of 1"},
		{"Ab", []byte{1}, "want [2]uint8, got 1 bytes"},
		{"M", map[string]string{"x": "y"}, "(key): at byte"},
		{"IK", map[string]any{}, ""}, // fine, for the table below to stay honest
		{"T", 5, "want time.Time, got an integer"},
		{"C", "c", "want complex128, got a string"},
		{"St", 5, "want error, got a int64"},
		{"Ch", 1, "want chan int"},
		{"P", "x", "want natsbus.typed, got a string"},
	}
	for _, c := range bad {
		_, got, err := decodeMessage(append([]byte{0x94, 1, 0xa1, 's', 0xa1, 'n'}, field(t, c.field, c.v)...), &reg)
		if c.want == "" {
			if err != nil {
				t.Errorf("%s: %v", c.field, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "."+c.field) {
			t.Errorf("%s = %#v: got %#v, %v; want an error at .%s saying %q", c.field, c.v, got, err, c.field, c.want)
		}
	}
}

// Nesting is bounded both ways: no stack overflow, a clear error.
func TestDepth(t *testing.T) {
	nested := func(n int) []byte {
		b := append([]byte{0x94, 1, 0xa1, 's', 0xa1, 'n'}, bytes.Repeat([]byte{0x91}, n)...)
		return append(b, 0xc0)
	}
	if _, _, err := decodeMessage(nested(maxDepth), testReg); err != nil {
		t.Errorf("%d levels: %v", maxDepth, err)
	}
	for _, n := range []int{maxDepth + 1, 1 << 20} {
		if _, _, err := decodeMessage(nested(n), testReg); err == nil || !strings.Contains(err.Error(), "nested deeper") {
			t.Errorf("%d levels: %v", n, err)
		}
	}
	// The path of an error deep down is cut short (building it whole
	// would take quadratic time).
	deep := []byte{0x94, 1, 0xa1, 's', 0xa1, 'n'}
	for range maxDepth - 1 {
		deep = append(append(deep, 0x81, 0xd9, 90), bytes.Repeat([]byte("k"), 90)...)
	}
	_, _, err := decodeMessage(append(deep, 0xc1), testReg)
	if err == nil || len(err.Error()) > 2*maxPath || !strings.Contains(err.Error(), "invalid code 0xc1") {
		t.Errorf("deep error of %d bytes: %.200v", len(fmt.Sprint(err)), err)
	}

	cyc := []any{nil}
	cyc[0] = cyc
	m := map[string]any{}
	m["m"] = m
	type node struct{ Next *node }
	n := &node{}
	n.Next = n
	var self any
	self = &self
	for _, v := range []any{cyc, m, n, self} {
		if _, err := encodeMessage(nil, testReg, 0, "s", "n", v); err == nil || !strings.Contains(err.Error(), "nested deeper") {
			t.Errorf("cyclic %T: %v", v, err)
		}
	}
	// A value that is too large fails early, not after building it all.
	wide := []any{}
	for range 20 {
		wide = []any{wide, wide}
	}
	if _, err := encodeMessage(nil, testReg, 1<<16, "s", "n", wide); err == nil || !strings.Contains(err.Error(), "too large") {
		t.Errorf("2^20 leaves: %v", err)
	}
}
