package natsbus

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/seed01aa7ee5/msgport"
	"github.com/vmihailenco/msgpack/v5"
	"github.com/vmihailenco/msgpack/v5/msgpcode"
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
// this codec and vmihailenco/msgpack; each value's first byte shows the
// class it was written in.
func TestLengthClasses(t *testing.T) {
	for _, c := range []struct {
		n                int
		str, bin, arr, m byte // the header codes n is written with
	}{
		{0, msgpcode.FixedStrLow, msgpcode.Bin8, msgpcode.FixedArrayLow, msgpcode.FixedMapLow},
		{1, msgpcode.FixedStrLow | 1, msgpcode.Bin8, msgpcode.FixedArrayLow | 1, msgpcode.FixedMapLow | 1},
		{15, msgpcode.FixedStrLow | 15, msgpcode.Bin8, msgpcode.FixedArrayLow | 15, msgpcode.FixedMapLow | 15},
		{16, msgpcode.FixedStrLow | 16, msgpcode.Bin8, msgpcode.Array16, msgpcode.Map16},
		{31, msgpcode.FixedStrLow | 31, msgpcode.Bin8, msgpcode.Array16, msgpcode.Map16},
		{32, msgpcode.Str8, msgpcode.Bin8, msgpcode.Array16, msgpcode.Map16},
		{255, msgpcode.Str8, msgpcode.Bin8, msgpcode.Array16, msgpcode.Map16},
		{256, msgpcode.Str16, msgpcode.Bin16, msgpcode.Array16, msgpcode.Map16},
		{65535, msgpcode.Str16, msgpcode.Bin16, msgpcode.Array16, msgpcode.Map16},
		{65536, msgpcode.Str32, msgpcode.Bin32, msgpcode.Array32, msgpcode.Map32},
	} {
		n := c.n
		s := strings.Repeat("x", n)
		bs := bytes.Repeat([]byte{7}, n)
		arr := make([]any, n)
		for i := range arr {
			arr[i] = int64(i)
		}
		m := make(map[string]any, n)
		for i := range n {
			m[strconv.Itoa(i)] = true // n distinct keys
		}
		for _, w := range []struct {
			v      any
			header byte
		}{{s, c.str}, {bs, c.bin}, {arr, c.arr}, {m, c.m}} {
			v := w.v
			ours := body(t, v)
			if ours[0] != w.header {
				t.Fatalf("n=%d %T: written with header 0x%02x, want 0x%02x", n, v, ours[0], w.header)
			}
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
	I16 int16
	I32 int32
	I64 int64
	U8  uint8
	U16 uint16
	U32 uint32
	U64 uint64
	U   uint
	F32 float32
	F   float64
	B   bool
	S   string
	Ss  []string
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

// Inside a registered struct, values convert to the field's type as the
// package documentation says (integers within range, any number into a
// float field, rounded); anything else is a descriptive error naming the
// field.
func TestTypedDecode(t *testing.T) {
	var reg registry
	reg.add(typed{})
	ok := []struct {
		field string
		v     any
		check func(typed) bool
	}{
		{"I8", -128, func(x typed) bool { return x.I8 == -128 }},
		{"I16", -32768, func(x typed) bool { return x.I16 == -32768 }},
		{"I32", math.MaxInt32, func(x typed) bool { return x.I32 == math.MaxInt32 }},
		{"I64", math.MinInt64, func(x typed) bool { return x.I64 == math.MinInt64 }},
		{"U16", uint64(math.MaxUint16), func(x typed) bool { return x.U16 == math.MaxUint16 }},
		{"U32", int64(math.MaxUint32), func(x typed) bool { return x.U32 == math.MaxUint32 }},
		{"U64", uint64(math.MaxUint64), func(x typed) bool { return x.U64 == math.MaxUint64 }},
		{"F32", math.NaN(), func(x typed) bool { return math.IsNaN(float64(x.F32)) }},
		{"F32", -math.MaxFloat32, func(x typed) bool { return x.F32 == -math.MaxFloat32 }},
		{"U8", uint64(255), func(x typed) bool { return x.U8 == 255 }},
		{"U", int8(3), func(x typed) bool { return x.U == 3 }},
		{"F32", 2, func(x typed) bool { return x.F32 == 2 }},
		{"F32", math.Inf(1), func(x typed) bool { return math.IsInf(float64(x.F32), 1) }},
		{"F", float32(0.5), func(x typed) bool { return x.F == 0.5 }},
		{"F32", 0.1, func(x typed) bool { return x.F32 == float32(0.1) }},
		{"F", uint64(1<<53 + 1), func(x typed) bool { return x.F == 1<<53 }},
		{"S", []byte("bin"), func(x typed) bool { return x.S == "bin" }},
		{"Ss", []string{"a", "b"}, func(x typed) bool { return reflect.DeepEqual(x.Ss, []string{"a", "b"}) }},
		{"Ss", []string{}, func(x typed) bool { return x.Ss != nil && len(x.Ss) == 0 }},
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
		x, isTyped := got.(typed)
		if !isTyped || !c.check(x) {
			t.Errorf("%s = %#v: got %#v", c.field, c.v, got)
			continue
		}
		// Nothing was written beside the field.
		if f := reflect.ValueOf(&x).Elem().FieldByName(c.field); f.IsValid() {
			f.SetZero()
		}
		if !reflect.DeepEqual(x, typed{}) {
			t.Errorf("%s = %#v: other fields changed: %#v", c.field, c.v, x)
		}
	}
	bad := []struct {
		field string
		v     any
		want  string
	}{
		{"I8", 128, "overflows int8"},
		{"I16", -32769, "overflows int16"},
		{"I32", math.MaxInt32 + 1, "overflows int32"},
		{"I64", uint64(math.MaxInt64 + 1), "overflows int64"},
		{"U16", math.MaxUint16 + 1, "overflows uint16"},
		{"U32", math.MaxUint32 + 1, "overflows uint32"},
		{"U64", -1, "overflows uint64"},
		{"F32", -math.MaxFloat64, "overflows float32"},
		{"U8", -1, "overflows uint8"},
		{"U", 1.5, "want uint, got a float"},
		{"F32", math.MaxFloat64, "overflows float32"},
		{"B", 1, "want bool, got an integer"},
		{"S", 1, "want string, got an integer"},
		{"Ss", []any{"a", 1}, "[1]: at byte"},
		{"Ss", "a", "want an array"},
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

// Registered struct types that Go boxes in different ways, received as
// values: the decoder hands over the struct it filled, in place of a copy,
// only where an interface holds a pointer to the value.
type (
	refOnly  struct{ P *int }        // pointer-shaped: the interface holds P itself
	unit     struct{}                // zero size
	mapOnly  struct{ M map[int]int } // pointer-shaped too
	twoWords struct{ A, B int }
)

func TestRegisteredBoxing(t *testing.T) {
	var reg registry
	for _, sample := range []any{refOnly{}, unit{}, mapOnly{}, twoWords{}} {
		reg.add(sample)
	}
	n := 7
	for _, v := range []any{refOnly{&n}, refOnly{}, unit{}, mapOnly{map[int]int{1: 2}}, twoWords{3, 4}} {
		b, err := encodeMessage(nil, &reg, 0, "s", "n", v)
		if err != nil {
			t.Fatal(err)
		}
		for range 2 { // each decoding its own value
			_, got, err := decodeMessage(b, &reg)
			if err != nil {
				t.Fatalf("%#v: %v", v, err)
			}
			if !reflect.DeepEqual(got, v) {
				t.Errorf("got %#v, want %#v", got, v)
			}
		}
	}
}

// The short forms natsbus writes: an int or int64 from -32 to 127 as a
// fixint, an extension of up to 255 bytes with the ext8 header. Both read
// back as the long forms do.
type sized struct{ S string }

func TestShortForms(t *testing.T) {
	for _, n := range []int64{math.MinInt64, -33, -32, -1, 0, 1, 127, 128, math.MaxInt64} {
		size := 9
		if n >= -32 && n <= 127 {
			size = 1
		}
		for _, v := range []any{n, int(n)} {
			if b := body(t, v); len(b) != size {
				t.Errorf("%T(%d): %d bytes (% x), want %d", v, n, len(b), b, size)
			}
			if got := roundTrip(t, v); got != n {
				t.Errorf("%T(%d) arrived as %T(%v)", v, n, got, got)
			}
		}
	}

	var reg registry
	reg.add(sized{})
	seen := map[byte]bool{}
	for l := 0; l < 300; l++ {
		v := sized{S: strings.Repeat("x", l)}
		b, err := encodeMessage(nil, &reg, 0, "s", "n", v)
		if err != nil {
			t.Fatal(err)
		}
		_, d, err := decodeHeader(b, &reg)
		if err != nil {
			t.Fatal(err)
		}
		c, header, want := b[d.r.off], 3, byte(msgpcode.Ext8)
		if c == msgpcode.Ext32 {
			header = 6
		}
		bodyLen := len(b) - d.r.off - header
		if bodyLen > 255 {
			want = msgpcode.Ext32
		}
		if c != want {
			t.Fatalf("a body of %d bytes has header %#x, want %#x", bodyLen, c, want)
		}
		seen[c] = true
		if _, got, err := decodeMessage(b, &reg); err != nil || got != v {
			t.Fatalf("a body of %d bytes: got %#v, %v", bodyLen, got, err)
		}
	}
	if !seen[msgpcode.Ext8] || !seen[msgpcode.Ext32] {
		t.Fatalf("headers seen: %v", seen)
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

// link is a registered struct whose chains find where the encoder and the
// decoder put the depth limit.
type link struct {
	Next *link // a *T hop, read into the field's type
	Any  any   // a T or *T hop, read by the type table
}

// Encoder and decoder count depth alike: the deepest chain of registered
// structs the encoder accepts decodes, whether or not the receiver
// registered the type, and one level more does not.
func TestDepthAgrees(t *testing.T) {
	var reg registry
	reg.add(link{})
	chains := map[string]func(n int) any{
		"*T fields": func(n int) any {
			l := &link{}
			for range n {
				l = &link{Next: l}
			}
			return l
		},
		"T in interfaces": func(n int) any {
			var v any = link{}
			for range n {
				v = link{Any: v}
			}
			return v
		},
		"*T in interfaces": func(n int) any {
			var v any = &link{}
			for range n {
				v = &link{Any: v}
			}
			return v
		},
	}
	encode := func(v any) ([]byte, error) {
		e := encoder{reg: &reg}
		err := e.encodeAny(v, 0)
		return e.buf, err
	}
	for name, chain := range chains {
		// The longest chain that encodes, then one []any around it if
		// that still encodes: its deepest value sits at exactly maxDepth.
		n := sort.Search(maxDepth, func(n int) bool {
			_, err := encode(chain(n))
			return err != nil
		}) - 1
		b, err := encode(chain(n))
		if err != nil || n < maxDepth/3 {
			t.Fatalf("%s: the longest chain that encodes has %d links (%v)", name, n, err)
		}
		if wrapped, err := encode([]any{chain(n)}); err == nil {
			b = wrapped
		}
		for _, r := range []*registry{&reg, {}} {
			if _, err := decodeBody(&decoder{r: reader{b: b}, reg: r}); err != nil {
				t.Errorf("%s, %d types registered: the deepest value that encodes does not decode: %.300v", name, len(r.byName), err)
			}
			deeper := append([]byte{0x91}, b...) // in one array more
			if _, err := decodeBody(&decoder{r: reader{b: deeper}, reg: r}); err == nil || !strings.Contains(err.Error(), "nested deeper") {
				t.Errorf("%s, %d types registered: one level deeper than the encoder allows decodes (%v)", name, len(r.byName), err)
			}
		}
	}
}

// Types for the map key tests: keyed is registered, so its maps' keys are
// read into their declared types; regKey is registered and plainKey not.
type (
	keyed struct {
		Bytes map[[2]byte]int
		Plain map[plainKey]int
		Any   map[any]int
		Arr   map[[1]any]int
		Reg   map[regKey]int
		Times map[time.Time]int
		Ptrs  map[*int]int
	}
	regKey   struct{ A any }
	plainKey struct{ A int }
	keyErr   struct{ A int } // an error type, not registered
)

func (keyErr) Error() string { return "key error" }

// A map key that would arrive as a value Go cannot use as a key ([]byte,
// []any, a map) fails encoding, naming the key; one that arrives
// comparable still travels.
func TestMapKeysArriveComparable(t *testing.T) {
	var reg registry
	reg.add(keyed{})
	reg.add(regKey{})
	encode := func(v any) ([]byte, error) {
		return encodeMessage(nil, &reg, 0, "s", "n", v)
	}
	p := &plainKey{}
	bad := []struct {
		v    any
		path string // where the error says it is
	}{
		{map[[2]byte]int{{1, 2}: 1}, "[[2]uint8{0x1, 0x2}](key)"},
		{map[[2]int]int{{1, 2}: 1}, "[[2]int{1, 2}](key)"},
		{map[[0]string]int{{}: 1}, "[[0]string{}](key)"},
		{map[plainKey]int{{1}: 1}, "[natsbus.plainKey{A:1}](key)"},
		{map[*plainKey]int{{1}: 1}, "[&natsbus.plainKey{A:1}](key)"},
		{map[any]int{p: 1}, fmt.Sprintf("[(*natsbus.plainKey)(%p)](key)", p)},
		{map[any]int{[2]byte{}: 1}, "[[2]uint8{0x0, 0x0}](key)"},
		{map[any]int{plainKey{}: 1}, "[natsbus.plainKey{A:0}](key)"},
		{map[regKey]int{{A: [1]int{1}}: 1}, "[natsbus.regKey{A:[1]int{1}}](key).A"},
		{[]any{map[any]int{regKey{A: plainKey{}}: 1}}, "[0][natsbus.regKey{A:natsbus.plainKey{A:0}}](key).A"},
		{keyed{Any: map[any]int{[2]byte{}: 1}}, ".Any[[2]uint8{0x0, 0x0}](key)"},
		{regKey{A: map[[2]byte]int{{1, 2}: 1}}, ".A[[2]uint8{0x1, 0x2}](key)"}, // by the table again
		{keyed{Arr: map[[1]any]int{{[2]int{}}: 1}}, ".Arr[[1]interface {}{[2]int{0, 0}}](key)[0]"},
		{keyed{Reg: map[regKey]int{{A: plainKey{}}: 1}}, ".Reg[natsbus.regKey{A:natsbus.plainKey{A:0}}](key).A"},
	}
	for _, c := range bad {
		_, err := encode(c.v)
		if err == nil || !strings.Contains(err.Error(), "cannot be a map key") || !strings.Contains(err.Error(), "at "+c.path+":") {
			t.Errorf("%#v: encode = %v; want an error at %s saying it cannot be a map key", c.v, err, c.path)
		}
	}
	one := 1
	good := []any{
		map[int]string{1: "a"},
		map[bool]int{true: 1},
		map[float64]int{1.5: 1},
		map[complex64]int{1i: 1},
		map[time.Time]int{time.Unix(1, 0): 1},
		map[*int]int{&one: 1},
		map[*regKey]int{{A: []int{1}}: 1},
		map[regKey]int{{A: "x"}: 1, {A: nil}: 2, {A: regKey{A: 1}}: 3},
		map[any]int{nil: 0, 1: 1, "s": 2, keyErr{}: 3, &regKey{}: 4, time.Time{}: 5},
		keyed{
			Bytes: map[[2]byte]int{{1, 2}: 1},
			Plain: map[plainKey]int{{1}: 1},
			Any:   map[any]int{1: 1, regKey{A: 1}: 2},
			Arr:   map[[1]any]int{{"x"}: 1},
			Reg:   map[regKey]int{{A: &regKey{A: []int{}}}: 1},
		},
	}
	checkArrives(t, &reg, good)
}

// Two keys of one map that would arrive as one key fail encoding, naming
// a key: the receiver would keep one of the entries and drop the other
// without a word. Keys that stay apart on arrival, by Go's map rules (a NaN
// is no key's equal, pointers decoded apart are distinct), still travel,
// every entry arriving.
func TestMapKeysArriveDistinct(t *testing.T) {
	var reg registry
	reg.add(keyed{})
	reg.add(regKey{})
	type label string
	three, three2 := 3, 3
	utc := time.Unix(5, 0).UTC()
	east := utc.In(time.FixedZone("east", 3600)) // the same instant, another key here
	bad := []any{
		map[any]int{1: 1, int64(1): 2},
		map[any]int{uint(7): 1, uint64(7): 2},
		map[any]int{"x": 1, label("x"): 2},
		map[any]int{0.0: 1, celsius(math.Copysign(0, -1)): 2}, // -0 == 0
		map[any]int{nil: 1, (*int)(nil): 2},
		map[any]int{&three: 1, &three2: 2}, // by the table, what they point to
		map[*int]int{&three: 1, &three2: 2},
		map[time.Time]int{utc: 1, east: 2},
		map[any]int{utc: 1, east: 2},
		[]any{map[any]int{regKey{A: 1}: 1, regKey{A: int64(1)}: 2}},
		keyed{Any: map[any]int{"a": 1, label("a"): 2}},
		keyed{Times: map[time.Time]int{utc: 1, east: 2}},
		keyed{Arr: map[[1]any]int{{1}: 1, {int64(1)}: 2}},
	}
	for _, v := range bad {
		_, err := encodeMessage(nil, &reg, 0, "s", "n", v)
		if err == nil || !strings.Contains(err.Error(), "as another key of the map does") {
			t.Errorf("%#v: encode = %v; want an error saying a key arrives as another key does", v, err)
		}
	}
	nan := math.NaN()
	good := []struct {
		v     any
		entry func(any) reflect.Value // the map in what arrives
	}{
		{map[any]int{int8(1): 1, 1: 2, uint8(1): 3, uint(1): 4, float32(1): 5, 1.0: 6, "1": 7, true: 8, 1i: 9}, nil},
		{map[any]int{nan: 1, math.NaN(): 2}, nil},
		{map[float64]int{nan: 1, math.NaN(): 2}, nil},
		{map[any]int{&regKey{A: 1}: 1, &regKey{A: 1}: 2}, nil}, // arrive as two pointers
		{map[any]int{keyErr{A: 1}: 1, keyErr{A: 2}: 2}, nil},   // two errors of one text
		{map[any]int{utc: 1, utc.Add(1): 2, regKey{A: 1}: 3, regKey{A: int8(1)}: 4}, nil},
		{map[*int]int{&three: 1, new(int): 2}, nil},
		{keyed{Ptrs: map[*int]int{&three: 1, &three2: 2}}, func(x any) reflect.Value { return reflect.ValueOf(x.(keyed).Ptrs) }},
		{keyed{Times: map[time.Time]int{utc: 1, utc.Add(time.Second): 2}}, func(x any) reflect.Value { return reflect.ValueOf(x.(keyed).Times) }},
		{keyed{Arr: map[[1]any]int{{int8(1)}: 1, {1}: 2}}, func(x any) reflect.Value { return reflect.ValueOf(x.(keyed).Arr) }},
	}
	for _, c := range good {
		b, err := encodeMessage(nil, &reg, 0, "s", "n", c.v)
		if err != nil {
			t.Errorf("%#v: encode: %v", c.v, err)
			continue
		}
		_, got, err := decodeMessage(b, &reg)
		if err != nil {
			t.Errorf("%#v: decode: %v", c.v, err)
			continue
		}
		sent, arrived := reflect.ValueOf(c.v), reflect.ValueOf(got)
		if c.entry != nil {
			sent, arrived = c.entry(c.v), c.entry(got)
		}
		if arrived.Len() != sent.Len() {
			t.Errorf("%#v arrived as %#v: %d entries, want %d", c.v, got, arrived.Len(), sent.Len())
		}
	}
}

// Types for the interface field tests: shown, regStringer and ptrStringer
// are registered; the others are not.
type (
	shown struct {
		S     fmt.Stringer
		L     []fmt.Stringer
		M     map[string]fmt.Stringer
		E     error
		T     interface{ Timeout() bool }
		B     interface{ Bytes() []byte }
		Inner struct{ S fmt.Stringer } // read into its declared type too
		Any   any                      // by the table: anything arrives
	}
	regStringer   struct{ A int }
	ptrStringer   struct{ A int }
	unregStringer struct{ A int }
	celsius       float64
	rawBytes      []byte
	timeoutErr    struct{}
)

func (regStringer) String() string   { return "reg" }
func (*regStringer) Timeout() bool   { return false }
func (*ptrStringer) String() string  { return "ptr" }
func (ptrStringer) Error() string    { return "ptr error" }
func (unregStringer) String() string { return "unreg" }
func (unregStringer) Timeout() bool  { return true }
func (*unregStringer) Error() string { return "unreg error" }
func (celsius) String() string       { return "°C" }
func (r rawBytes) String() string    { return string(r) }
func (r rawBytes) Bytes() []byte     { return r }
func (timeoutErr) Error() string     { return "timeout" }
func (timeoutErr) Timeout() bool     { return true }

// A value in a field of a non-empty interface type (fmt.Stringer, not
// error) of a registered struct must arrive as a type that implements it:
// a registered struct or a pointer to one, a time.Time, a
// *msgport.Buffer, an error's text where the interface asks for no more
// than Error. Anything else fails encoding, naming the field; in an
// interface the table's types satisfy nothing but any.
func TestInterfaceFieldsArrive(t *testing.T) {
	var reg registry
	reg.add(shown{})
	reg.add(regStringer{})
	reg.add(ptrStringer{})
	encode := func(v any) ([]byte, error) {
		return encodeMessage(nil, &reg, 0, "s", "n", v)
	}
	good := []any{
		shown{},
		shown{S: time.Unix(1, 0)},
		shown{S: regStringer{1}},
		shown{S: &ptrStringer{2}},
		shown{S: (*ptrStringer)(nil)},
		shown{S: (*unregStringer)(nil)},
		shown{L: []fmt.Stringer{time.Time{}, regStringer{}, nil}},
		shown{M: map[string]fmt.Stringer{"k": &ptrStringer{}}},
		shown{E: keyErr{}},
		shown{E: &ptrStringer{}},
		shown{T: &regStringer{}},
		shown{B: msgport.NewBuffer([]byte("buf"))},
		shown{Inner: struct{ S fmt.Stringer }{regStringer{}}},
		shown{Any: unregStringer{}},
		shown{Any: struct{ S fmt.Stringer }{celsius(1)}}, // a map by the table
		[]fmt.Stringer{celsius(1), unregStringer{}},      // []any by the table
	}
	checkArrives(t, &reg, good)
	bad := []struct {
		v          any
		path, says string
	}{
		{shown{S: celsius(1)}, ".S", "a natsbus.celsius arrives as float64, which does not implement fmt.Stringer"},
		{shown{S: unregStringer{}}, ".S", "arrives as map[string]interface {}"},
		{shown{S: &unregStringer{}}, ".S", "a *natsbus.unregStringer arrives as *errors.errorString"},
		{shown{S: rawBytes("x")}, ".S", "arrives as []uint8"},
		{shown{L: []fmt.Stringer{time.Time{}, celsius(1)}}, ".L[1]", "does not implement fmt.Stringer"},
		{shown{M: map[string]fmt.Stringer{"k": celsius(1)}}, `.M["k"]`, "does not implement fmt.Stringer"},
		{shown{T: timeoutErr{}}, ".T", "arrives as *errors.errorString, which does not implement interface { Timeout() bool }"},
		{shown{T: unregStringer{}}, ".T", "does not implement"},
		{shown{B: rawBytes("x")}, ".B", "does not implement"},
		{shown{Inner: struct{ S fmt.Stringer }{celsius(1)}}, ".Inner.S", "does not implement"},
		{[]any{shown{S: celsius(1)}}, "[0].S", "does not implement"},
	}
	for _, c := range bad {
		_, err := encode(c.v)
		if err == nil || !strings.Contains(err.Error(), c.path+": ") || !strings.Contains(err.Error(), c.says) {
			t.Errorf("%#v: encode = %v; want an error at %s saying %q", c.v, err, c.path, c.says)
		}
	}
}

// checkArrives checks that each value encodes and decodes.
func checkArrives(t *testing.T, reg *registry, values []any) {
	t.Helper()
	for _, v := range values {
		b, err := encodeMessage(nil, reg, 0, "s", "n", v)
		if err != nil {
			t.Errorf("%#v: encode: %v", v, err)
			continue
		}
		if _, _, err := decodeMessage(b, reg); err != nil {
			t.Errorf("%#v: decode: %v", v, err)
		}
	}
}
