package natsbus_test

import (
	"encoding/binary"
	"errors"
	"strings"
	"testing"

	"github.com/seed01aa7ee5/msgport"
	"github.com/seed01aa7ee5/msgport/natsbus"
	"github.com/vmihailenco/msgpack/v5"
)

// marshal encodes v with an independent msgpack implementation.
func marshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := msgpack.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// envelope builds a natsbus envelope by hand around an encoded body.
func envelope(t *testing.T, version int, sender, name string, body []byte) []byte {
	head := append([]byte{0x94}, marshal(t, version)...)
	head = append(head, marshal(t, sender)...)
	head = append(head, marshal(t, name)...)
	return append(head, body...)
}

// ext32 wraps body in a msgpack extension of type typ.
func ext32(typ int8, body []byte) []byte {
	b := binary.BigEndian.AppendUint32([]byte{0xc9}, uint32(len(body)))
	return append(append(b, byte(typ)), body...)
}

// A message that cannot be decoded fires "messageerror" on every receiving
// channel of its name with a *DecodeError that says what is wrong; the
// messages after it still arrive.
func TestDecodeFailures(t *testing.T) {
	s := startServer(t, -1)
	nc := connect(t, s.ClientURL())
	opts := natsbus.WithTypes(Point{})
	bus1 := newBus(t, connect(t, s.ClientURL()), opts)
	bus2 := newBus(t, connect(t, s.ClientURL()), opts)
	r1 := join(t, bus2, "d")
	r2 := join(t, bus2, "d")
	r3 := join(t, bus1, "d")
	from := sender(t, bus1, "d")
	subject := bus2.Subject("d")

	pointName := natsbus.TypeName(Point{})
	badPoint := append(marshal(t, pointName), marshal(t, map[string]any{"X": "one", "Y": 2})...)
	cases := []struct {
		name string
		data []byte
		want string // in the error text
	}{
		{"garbage", []byte("this is not msgpack"), "not a natsbus envelope"},
		{"empty", nil, "not a natsbus envelope"},
		{"invalid code", []byte{0xc1}, "not a natsbus envelope"},
		{"unknown version", envelope(t, 2, "x", "d", marshal(t, nil)), "unsupported envelope version 2"},
		{"short envelope", append([]byte{0x92}, marshal(t, 1)...), "array of 2"},
		{"wrong channel", envelope(t, 1, "x", "other", marshal(t, "hi")), `names channel "other"`},
		{"truncated", envelope(t, 1, "x", "d", marshal(t, "hello")[:3]), "unexpected end"},
		{"trailing bytes", envelope(t, 1, "x", "d", append(marshal(t, 1), 0)), "trailing data after the message"},
		{"registered type mismatch", envelope(t, 1, "x", "d", ext32(1, badPoint)), ".X: at byte"},
		{"unknown extension", envelope(t, 1, "x", "d", ext32(99, []byte{1})), "unknown extension type 99"},
		{"lying length", envelope(t, 1, "x", "d", []byte{0xdd, 0xff, 0xff, 0xff, 0xff}), "array of length 4294967295"},
		{"unhashable key", envelope(t, 1, "x", "d", append([]byte{0x81, 0x90}, 1)), "cannot be a map key"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := nc.Publish(subject, c.data); err != nil {
				t.Fatal(err)
			}
			for _, r := range []*msgport.BroadcastChannel{r1, r2, r3} {
				err := nextError(t, r)
				var de *natsbus.DecodeError
				if !errors.As(err, &de) {
					t.Fatalf("messageerror Data is a %T, want *natsbus.DecodeError", err)
				}
				if de.Channel != "d" || de.Subject != subject {
					t.Errorf("DecodeError names channel %q, subject %q", de.Channel, de.Subject)
				}
				if r == r1 {
					t.Log(err)
				}
				if !strings.Contains(err.Error(), c.want) {
					t.Errorf("error %q does not say %q", err, c.want)
				}
			}
			post(t, from, c.name)
			// r3 shares bus1 with from: it gets the message directly.
			for _, r := range []*msgport.BroadcastChannel{r1, r2, r3} {
				if got := nextData(t, r); got != c.name {
					t.Fatalf("after the bad message got %v, want %q", got, c.name)
				}
			}
		})
	}
}

// What a Bus puts on the wire is standard msgpack that another
// implementation reads: [version, sender, channel, message].
func TestWireFormat(t *testing.T) {
	s := startServer(t, -1)
	nc := connect(t, s.ClientURL())
	bus := newBus(t, connect(t, s.ClientURL()))
	sub, err := nc.SubscribeSync(bus.Subject("w"))
	if err != nil {
		t.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	post(t, sender(t, bus, "w"), map[string]any{"n": int16(-3), "s": []string{"a"}})
	m, err := sub.NextMsg(waitFor)
	if err != nil {
		t.Fatal(err)
	}
	var env []any
	if err := msgpack.Unmarshal(m.Data, &env); err != nil {
		t.Fatalf("not msgpack: %v", err)
	}
	if len(env) != 4 || env[1] != bus.ID() || env[2] != "w" {
		t.Fatalf("envelope %#v", env)
	}
	body, ok := env[3].(map[string]any)
	if !ok || body["n"] != int16(-3) {
		t.Fatalf("message %#v", env[3])
	}
}
