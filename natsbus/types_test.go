package natsbus_test

import (
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/seed01aa7ee5/msgport"
	"github.com/seed01aa7ee5/msgport/natsbus"
)

var timeSample = time.Date(2024, 2, 29, 13, 14, 15, 161718, time.FixedZone("X", 3600))

// Point is registered in the type tests; Plain never is.
type Point struct{ X, Y int }

type Plain struct {
	A      int
	B      string
	hidden int
}

type Holder struct {
	Any  any
	Fn   func()
	Next *Holder
}

type (
	Celsius float64
	Color   string
	Bytes   []byte
)

// Each row of the package documentation's table, sent from one process (a
// Bus on one connection) and received in another. The row names follow the
// table.
func TestTypeTable(t *testing.T) {
	opts := natsbus.WithTypes(Point{})
	bus1, bus2 := pair(t, opts)
	one := 1
	rows := []struct {
		name string
		sent any
		want any
	}{
		{"nil", nil, nil},
		{"bool", true, true},
		{"int", -7, int64(-7)},
		{"int64", int64(math.MinInt64), int64(math.MinInt64)},
		{"int8", int8(-8), int8(-8)},
		{"int16", int16(-16), int16(-16)},
		{"int32", int32(-32), int32(-32)},
		{"uint", uint(7), uint64(7)},
		{"uint64", uint64(math.MaxUint64), uint64(math.MaxUint64)},
		{"uintptr", uintptr(9), uint64(9)},
		{"uint8", uint8(8), uint8(8)},
		{"uint16", uint16(16), uint16(16)},
		{"uint32", uint32(32), uint32(32)},
		{"float32", float32(1.5), float32(1.5)},
		{"float64", 2.25, 2.25},
		{"complex64", complex64(1 + 2i), complex64(1 + 2i)},
		{"complex128", 3 + 4i, 3 + 4i},
		{"string", "héllo", "héllo"},
		{"named string", Color("red"), "red"},
		{"named float", Celsius(21.5), 21.5},
		{"[]byte", []byte{1, 2, 3}, []byte{1, 2, 3}},
		{"empty []byte", []byte{}, []byte{}},
		{"nil []byte", []byte(nil), nil},
		{"named []byte", Bytes("ab"), []byte("ab")},
		{"[N]byte", [3]byte{4, 5, 6}, []byte{4, 5, 6}},
		{"slice", []int{1, 2}, []any{int64(1), int64(2)}},
		{"empty slice", []string{}, []any{}},
		{"nil slice", []string(nil), nil},
		{"array", [2]string{"a", "b"}, []any{"a", "b"}},
		{"[]any", []any{1, "x", nil, true}, []any{int64(1), "x", nil, true}},
		{"map[string]V", map[string]int{"a": 1}, map[string]any{"a": int64(1)}},
		{"empty map", map[int]string{}, map[string]any{}},
		{"nil map", map[string]int(nil), nil},
		{"nil map[string]any", map[string]any(nil), nil},
		{"nil []any", []any(nil), nil},
		{"nil inside", map[string]any{"m": map[string]any(nil), "s": []any(nil), "x": nil}, map[string]any{"m": nil, "s": nil, "x": nil}},
		{"map[K]V", map[int]string{1: "x"}, map[any]any{int64(1): "x"}},
		{"map[any]V mixed keys", map[any]int{"s": 1, 2: 2}, map[any]any{"s": int64(1), int64(2): int64(2)}},
		{"map[any]V string keys", map[any]int{"s": 1, Color("c"): 2}, map[string]any{"s": int64(1), "c": int64(2)}},
		{"nested", map[string]any{"l": []any{map[string]int{"z": 0}}}, map[string]any{"l": []any{map[string]any{"z": int64(0)}}}},
		{"unregistered struct", Plain{A: 1, B: "b", hidden: 3}, map[string]any{"A": int64(1), "B": "b"}},
		{"pointer to unregistered struct", &Plain{A: 2}, map[string]any{"A": int64(2), "B": ""}},
		{"interface and func fields", Holder{Any: uint8(1)}, map[string]any{"Any": uint8(1), "Fn": nil, "Next": nil}},
		{"registered struct", Point{1, 2}, Point{1, 2}},
		{"pointer to registered struct", &Point{3, 4}, &Point{3, 4}},
		{"registered structs inside", []any{Point{5, 6}, &Point{7, 8}, map[string]any{"p": Point{}}}, []any{Point{5, 6}, &Point{7, 8}, map[string]any{"p": Point{}}}},
		{"pointer to int", &one, int64(1)},
		{"nil pointer", (*Point)(nil), nil},
		{"nil func", (func())(nil), nil},
		{"nil chan", (chan int)(nil), nil},
		{"error", io.EOF, errors.New("EOF")},
		{"wrapped error", fmt.Errorf("read: %w", io.EOF), errors.New("read: EOF")},
		{"error inside", []any{io.ErrUnexpectedEOF}, []any{errors.New("unexpected EOF")}},
		{"error in a map", map[string]any{"err": io.EOF}, map[string]any{"err": errors.New("EOF")}},
		{"time.Time", timeSample, timeSample.UTC()},
		{"*msgport.Buffer", msgport.NewBuffer([]byte("buf")), msgport.NewBuffer([]byte("buf"))},
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			name := "table " + r.name
			recv := join(t, bus2, name)
			post(t, sender(t, bus1, name), r.sent)
			got := nextData(t, recv)
			if !sameValue(got, r.want) {
				t.Errorf("sent %T %#v, got %T %#v, want %T %#v", r.sent, r.sent, got, got, r.want, r.want)
			}
		})
	}
}

// sameValue is reflect.DeepEqual, except that times are compared with
// Equal (and must be in UTC), buffers and errors by content.
func sameValue(got, want any) bool {
	switch w := want.(type) {
	case time.Time:
		g, ok := got.(time.Time)
		return ok && g.Equal(w) && g.Location() == time.UTC
	case *msgport.Buffer:
		g, ok := got.(*msgport.Buffer)
		return ok && string(g.Bytes()) == string(w.Bytes())
	case error:
		g, ok := got.(error)
		return ok && g.Error() == w.Error()
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) || (g == nil) != (w == nil) {
			return false
		}
		for i := range w {
			if !sameValue(g[i], w[i]) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(got, want)
}

// Order is a registered struct with nested fields of many kinds; inside it,
// every field arrives with its declared Go type.
type Order struct {
	ID       int
	Customer Customer // not registered, but typed here
	Lines    []Line
	First    *Line
	Tags     map[string][]string
	ByID     map[int]Line
	When     time.Time
	Extra    any
	Point    *Point
	Note     *string
	Err      error
	Raw      []byte
	Fixed    [2]uint16
	Temp     Celsius
	Ratio    float32
	Flag     bool
	Nothing  *Line
	Empty    []Line
	private  int
}

type Customer struct {
	Name    string
	Address struct{ City string }
}

type Line struct {
	SKU   string
	Qty   uint8
	Price complex128
}

// A registered struct, by value and by pointer, arrives as the same Go type
// with every nested field.
func TestRegisteredRoundTrip(t *testing.T) {
	opts := natsbus.WithTypes(Order{}, &Point{})
	bus1, bus2 := pair(t, opts)
	recv := join(t, bus2, "orders")
	from := sender(t, bus1, "orders")
	note := "fragile"
	o := Order{
		ID:       42,
		Customer: Customer{Name: "Ada", Address: struct{ City string }{"London"}},
		Lines:    []Line{{"a", 1, 2.5}, {"b", 255, 1i}},
		First:    &Line{SKU: "first"},
		Tags:     map[string][]string{"x": {"1", "2"}, "y": nil},
		ByID:     map[int]Line{7: {SKU: "seven"}},
		When:     time.Date(2025, 1, 2, 3, 4, 5, 6, time.UTC),
		Extra:    map[string]any{"p": Point{1, 2}, "n": 1.5},
		Point:    &Point{3, 4},
		Note:     &note,
		Raw:      []byte{0, 1},
		Fixed:    [2]uint16{9, 10},
		Temp:     -3.5,
		Ratio:    0.25,
		Flag:     true,
		Empty:    []Line{},
		private:  99,
	}
	post(t, from, o)
	post(t, from, &o)

	want := o
	want.private = 0 // unexported fields do not travel
	gotValue, ok := nextData(t, recv).(Order)
	if !ok {
		t.Fatalf("value: got a %T, want natsbus_test.Order", gotValue)
	}
	if !reflect.DeepEqual(gotValue, want) {
		t.Errorf("value:\n got %#v\nwant %#v", gotValue, want)
	}
	gotPtr, ok := nextData(t, recv).(*Order)
	if !ok {
		t.Fatalf("pointer: got a %T, want *natsbus_test.Order", gotPtr)
	}
	if !reflect.DeepEqual(*gotPtr, want) {
		t.Errorf("pointer:\n got %#v\nwant %#v", *gotPtr, want)
	}

}

// A process that has not registered a type gets a map of its exported
// fields, wherever the value sits.
func TestUnregisteredReceiver(t *testing.T) {
	s := startServer(t, -1)
	bus1 := newBus(t, connect(t, s.ClientURL()), natsbus.WithTypes(Point{}))
	bus2 := newBus(t, connect(t, s.ClientURL()))
	recv := join(t, bus2, "p")
	post(t, sender(t, bus1, "p"), []any{Point{1, 2}, &Point{3, 4}})
	want := []any{map[string]any{"X": int64(1), "Y": int64(2)}, map[string]any{"X": int64(3), "Y": int64(4)}}
	if got := nextData(t, recv); !reflect.DeepEqual(got, want) {
		t.Errorf("got %#v, want %#v", got, want)
	}
}

func TestTypeName(t *testing.T) {
	for _, s := range []any{Point{}, &Point{}, (*Point)(nil)} {
		if got := natsbus.TypeName(s); got != "github.com/seed01aa7ee5/msgport/natsbus_test.Point" {
			t.Errorf("TypeName(%T) = %q", s, got)
		}
	}
}

// Labelled is registered in TestCannotSend: its field reads into a
// fmt.Stringer.
type Labelled struct{ Label fmt.Stringer }

// What cannot be sent fails PostMessage, with nothing delivered anywhere,
// and says where in the value it is.
func TestCannotSend(t *testing.T) {
	bus1, bus2 := pair(t, natsbus.WithTypes(Labelled{}))
	local := join(t, bus1, "bad")
	remote := join(t, bus2, "bad")
	from := sender(t, bus1, "bad")
	cyclic := &Holder{}
	cyclic.Next = cyclic
	cases := map[string]any{"cycle": cyclic}
	if b := detachedBuffer(t); b.Detached() {
		cases["detached buffer"] = b
	} else {
		t.Error("transferring a buffer did not detach it")
	}
	for name, v := range cases {
		err := bus1.Publish("bad", nil, v)
		if err == nil || !strings.HasPrefix(err.Error(), "natsbus: cannot send") {
			t.Errorf("%s: Publish = %v, want a cannot send error", name, err)
		}
	}
	err := bus1.Publish("bad", nil, map[string]any{"jobs": []any{1, func() {}}})
	if err == nil || !strings.Contains(err.Error(), `["jobs"][1]`) {
		t.Errorf("func: Publish = %v, want an error naming [\"jobs\"][1]", err)
	}
	// A [2]byte key would arrive as a []byte, which cannot be a map key.
	err = bus1.Publish("bad", nil, map[[2]byte]string{{1, 2}: "x"})
	if err == nil || !strings.Contains(err.Error(), "[[2]uint8{0x1, 0x2}](key)") || !strings.Contains(err.Error(), "cannot be a map key") {
		t.Errorf("[2]byte key: Publish = %v, want an error naming the key", err)
	}
	// A time.Duration is a fmt.Stringer, but would arrive as an int64.
	err = bus1.Publish("bad", nil, Labelled{Label: time.Second})
	if err == nil || !strings.Contains(err.Error(), ".Label") || !strings.Contains(err.Error(), "does not implement fmt.Stringer") {
		t.Errorf("Stringer field: Publish = %v, want an error naming .Label", err)
	}
	post(t, from, "ok")
	for _, ch := range []*msgport.BroadcastChannel{local, remote} {
		if got := nextData(t, ch); got != "ok" {
			t.Fatalf("got %v, want only ok", got)
		}
	}
}

// detachedBuffer returns a buffer whose bytes were transferred away.
func detachedBuffer(t *testing.T) *msgport.Buffer {
	b := msgport.NewBuffer([]byte("x"))
	mc := msgport.NewMessageChannel()
	defer mc.Port1.Close()
	if err := mc.Port1.PostMessage(nil, b); err != nil {
		t.Fatalf("transfer: %v", err)
	}
	return b
}
