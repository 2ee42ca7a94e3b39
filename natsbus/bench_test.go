package natsbus_test

import (
	"encoding/binary"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/nats-io/nats.go"
	"github.com/seed01aa7ee5/msgport"
	"github.com/seed01aa7ee5/msgport/natsbus"
	"github.com/vmihailenco/msgpack/v5"
)

// BenchMsg is the benchmark's message: a small struct, registered.
type BenchMsg struct {
	ID   int
	Name string
	Tags []string
	Meta map[string]any
}

var benchMsg = BenchMsg{
	ID:   42,
	Name: "order-42",
	Tags: []string{"red", "green", "blue"},
	Meta: map[string]any{"priority": 3, "note": "fragile", "weight": 1.25},
}

// window is how many messages may be in flight end to end, so that neither
// side's buffers decide the result.
const window = 1024

// BenchmarkThroughput sends b.N messages from one connection to another
// through a local NATS server, end to end, ns/op being per message:
//
//   - msgport: BroadcastChannel.PostMessage on bus1 to a BroadcastChannel's
//     handler on bus2 (encode, NATS, decode, dispatch: the sender's value
//     is encoded with no clone, as no other channel is on bus1, and the
//     lone receiver is handed the decoded value itself);
//   - raw: nats.go Publish of the same msgpack bytes to a nats.go handler,
//     the floor of the transport;
//   - raw+msgpack: nats.go with vmihailenco/msgpack Marshal and Unmarshal
//     of the struct, what one would write by hand;
//   - raw+handcoded: nats.go with an encoder and a decoder written for
//     BenchMsg alone (no reflection, no checks beyond what this message
//     needs): the least any bus that delivers a BenchMsg value must do;
//   - raw+handcoded+hop: the same, the decoded value then handed over a
//     buffered Go channel to another goroutine, as a Bus must: Subscriber
//     Deliver may not block, so listeners run on the channel's goroutine,
//     not on nats.go's;
//   - raw+handwire+hop: the same with a codec written by hand for the
//     bytes natsbus itself sends for BenchMsg (envelope, type and field
//     names): the least any implementation of natsbus's format does.
func BenchmarkThroughput(b *testing.B) {
	s := startServer(b, -1)
	url := s.ClientURL()
	types := natsbus.WithTypes(BenchMsg{})

	b.Run("msgport", func(b *testing.B) {
		bus1 := newBus(b, connect(b, url), types)
		bus2 := newBus(b, connect(b, url), types)
		credit := make(chan struct{}, window)
		done := make(chan struct{})
		n := 0
		recv := msgport.NewBroadcastChannel("bench", msgport.WithBus(bus2), msgport.WithOnMessage(func(ev *msgport.MessageEvent) {
			if _, ok := ev.Data.(BenchMsg); !ok {
				b.Errorf("got %T", ev.Data)
			}
			<-credit
			if n++; n == b.N {
				close(done)
			}
		}))
		defer recv.Close()
		from := sender(b, bus1, "bench")
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			credit <- struct{}{}
			if err := from.PostMessage(benchMsg); err != nil {
				b.Fatal(err)
			}
		}
		<-done
	})

	subject := "bench.raw"
	b.Run("raw", func(b *testing.B) {
		// The bytes msgport puts on the wire for benchMsg.
		data, err := newBus(b, connect(b, url), types).Encode("bench", benchMsg)
		if err != nil {
			b.Fatal(err)
		}
		runRaw(b, url, subject, func() ([]byte, error) { return data, nil }, func([]byte) error { return nil })
	})

	b.Run("raw+msgpack", func(b *testing.B) {
		runRaw(b, url, subject,
			func() ([]byte, error) { return msgpack.Marshal(&benchMsg) },
			func(p []byte) error { var m BenchMsg; return msgpack.Unmarshal(p, &m) })
	})

	b.Run("raw+handcoded", func(b *testing.B) {
		buf := make([]byte, 0, 256)
		runRaw(b, url, subject,
			func() ([]byte, error) { buf = appendBenchMsg(buf[:0], &benchMsg); return buf, nil },
			func(p []byte) error { _, err := decodeBenchMsg(p); return err })
	})

	b.Run("raw+handcoded+hop", func(b *testing.B) {
		buf := make([]byte, 0, 256)
		runRawHop(b, url, subject,
			func() []byte { buf = appendBenchMsg(buf[:0], &benchMsg); return buf },
			decodeBenchMsg)
	})

	b.Run("raw+handwire+hop", func(b *testing.B) {
		buf := make([]byte, 0, 256)
		runRawHop(b, url, subject,
			func() []byte { buf = appendBenchWire(buf[:0], wireSender, "bench", &benchMsg); return buf },
			decodeBenchWire)
	})
}

// runRawHop is runRaw with the decoded value handed over a buffered Go
// channel to another goroutine, as a Bus must hand it on.
func runRawHop(b *testing.B, url, subject string, encode func() []byte, decode func([]byte) (BenchMsg, error)) {
	hop := make(chan any, window)
	handled := make(chan struct{})
	go func() {
		n := 0
		for m := range hop {
			if _, ok := m.(BenchMsg); !ok {
				panic("not a BenchMsg")
			}
			if n++; n == b.N {
				close(handled)
			}
		}
	}()
	defer close(hop)
	runRaw(b, url, subject,
		func() ([]byte, error) { return encode(), nil },
		func(p []byte) error { m, err := decode(p); hop <- m; return err })
	<-handled
}

// runRaw sends b.N messages made by encode from one nats.go connection to
// a handler on another that calls decode.
func runRaw(b *testing.B, url, subject string, encode func() ([]byte, error), decode func([]byte) error) {
	nc1, nc2 := connect(b, url), connect(b, url)
	credit := make(chan struct{}, window)
	done := make(chan struct{})
	n := 0
	sub, err := nc2.Subscribe(subject, func(m *nats.Msg) {
		if err := decode(m.Data); err != nil {
			b.Error(err)
		}
		<-credit
		if n++; n == b.N {
			close(done)
		}
	})
	if err != nil {
		b.Fatal(err)
	}
	defer sub.Unsubscribe()
	if err := nc2.Flush(); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		credit <- struct{}{}
		data, err := encode()
		if err != nil {
			b.Fatal(err)
		}
		if err := nc1.Publish(subject, data); err != nil {
			b.Fatal(err)
		}
	}
	<-done
}

// appendBenchMsg encodes m as a msgpack array [ID, Name, Tags, Meta].
func appendBenchMsg(b []byte, m *BenchMsg) []byte {
	b = append(b, 0x94)
	b = appendInt(b, int64(m.ID))
	b = appendStr(b, m.Name)
	b = appendTags(b, m.Tags)
	return appendMeta(b, m.Meta)
}

// appendTags writes the tags of a BenchMsg.
func appendTags(b []byte, tags []string) []byte {
	b = append(b, 0x90|byte(len(tags)))
	for _, t := range tags {
		b = appendStr(b, t)
	}
	return b
}

// appendMeta writes the map of a BenchMsg.
func appendMeta(b []byte, meta map[string]any) []byte {
	b = append(b, 0x80|byte(len(meta)))
	for k, v := range meta {
		b = appendStr(b, k)
		switch v := v.(type) {
		case int:
			b = appendInt(b, int64(v))
		case string:
			b = appendStr(b, v)
		case float64:
			b = binary.BigEndian.AppendUint64(append(b, 0xcb), math.Float64bits(v))
		}
	}
	return b
}

// appendInt writes an integer as natsbus does: a fixint from -32 to 127,
// else int 64.
func appendInt(b []byte, v int64) []byte {
	if v >= -32 && v <= 127 {
		return append(b, byte(v))
	}
	return binary.BigEndian.AppendUint64(append(b, 0xd3), uint64(v))
}

func appendStr(b []byte, s string) []byte {
	if len(s) < 32 {
		return append(append(b, 0xa0|byte(len(s))), s...)
	}
	return append(append(b, 0xd9, byte(len(s))), s...) // up to 255 bytes
}

var errBench = errors.New("not a BenchMsg")

// benchReader decodes what appendBenchMsg writes.
type benchReader struct {
	p   []byte
	err error
}

func (r *benchReader) byte() byte {
	if len(r.p) == 0 {
		r.err = errBench
		return 0
	}
	c := r.p[0]
	r.p = r.p[1:]
	return c
}

// next returns the next n bytes, or n zeros if fewer are left.
func (r *benchReader) next(n int) []byte {
	if len(r.p) < n {
		r.err = errBench
		return make([]byte, n)
	}
	b := r.p[:n]
	r.p = r.p[n:]
	return b
}

func (r *benchReader) u64() uint64 { return binary.BigEndian.Uint64(r.next(8)) }

// int reads what appendInt writes.
func (r *benchReader) int() int64 {
	switch c := r.byte(); {
	case c == 0xd3:
		return int64(r.u64())
	case c <= 0x7f || c >= 0xe0:
		return int64(int8(c))
	}
	r.err = errBench
	return 0
}

func (r *benchReader) str(c byte) string {
	return string(r.raw(c))
}

// raw reads a string whose code c was read, and returns its bytes.
func (r *benchReader) raw(c byte) []byte {
	n := int(c & 0x1f)
	if c == 0xd9 {
		n = int(r.byte())
	} else if c&0xe0 != 0xa0 {
		r.err = errBench
		return nil
	}
	return r.next(n)
}

// tags reads the tags of a BenchMsg.
func (r *benchReader) tags() []string {
	tags := make([]string, r.byte()&0x0f)
	for i := range tags {
		tags[i] = r.str(r.byte())
	}
	return tags
}

// meta reads the map of a BenchMsg.
func (r *benchReader) meta() map[string]any {
	n := int(r.byte() & 0x0f)
	m := make(map[string]any, n)
	for range n {
		k := r.str(r.byte())
		m[k] = r.value()
	}
	return m
}

func (r *benchReader) value() any {
	if len(r.p) == 0 {
		r.err = errBench
		return nil
	}
	switch c := r.p[0]; {
	case c == 0xcb:
		r.byte()
		return math.Float64frombits(r.u64())
	case c&0xe0 == 0xa0:
		return r.str(r.byte())
	}
	return r.int()
}

func decodeBenchMsg(p []byte) (BenchMsg, error) {
	r := &benchReader{p: p}
	var m BenchMsg
	if r.byte() != 0x94 {
		return m, errBench
	}
	m.ID = int(r.int())
	m.Name = r.str(r.byte())
	m.Tags = r.tags()
	m.Meta = r.meta()
	return m, r.err
}

// appendBenchWire writes what natsbus sends for m on channel name, byte
// for byte: the envelope, then m as a registered struct with its type and
// field names. Written by hand for BenchMsg alone, it is the least any
// encoder of natsbus's format does; decodeBenchWire, which finds each
// field by its name as a reader of a self-describing format must, is the
// least any decoder does.
func appendBenchWire(b []byte, sender, name string, m *BenchMsg) []byte {
	b = append(b, 0x94, 1) // envelope: version 1, sender, channel, message
	b = appendStr(b, sender)
	b = appendStr(b, name)
	b = append(b, 0xc7, 0, 1) // ext8 of type 1, a registered struct; its length below
	start := len(b)
	b = appendStr(b, benchTypeName)
	b = append(b, 0x84)
	b = appendInt(appendStr(b, "ID"), int64(m.ID))
	b = appendStr(appendStr(b, "Name"), m.Name)
	b = appendTags(appendStr(b, "Tags"), m.Tags)
	b = appendMeta(appendStr(b, "Meta"), m.Meta)
	b[start-2] = byte(len(b) - start) // this message's body is under 256 bytes
	return b
}

// benchTypeName is BenchMsg's registered name; wireSender is as long as a
// Bus's id.
var (
	benchTypeName = natsbus.TypeName(BenchMsg{})
	wireSender    = strings.Repeat("s", 22)
)

func decodeBenchWire(p []byte) (BenchMsg, error) {
	r := &benchReader{p: p}
	var m BenchMsg
	if r.byte() != 0x94 || r.byte() != 1 {
		return m, errBench
	}
	r.raw(r.byte()) // sender
	r.raw(r.byte()) // channel name
	if r.byte() != 0xc7 || int(r.byte()) != len(r.p)-1 || r.byte() != 1 || string(r.raw(r.byte())) != benchTypeName {
		return m, errBench
	}
	n := int(r.byte() & 0x0f)
	for range n {
		switch string(r.raw(r.byte())) {
		case "ID":
			m.ID = int(r.int())
		case "Name":
			m.Name = r.str(r.byte())
		case "Tags":
			m.Tags = r.tags()
		case "Meta":
			m.Meta = r.meta()
		default:
			return m, errBench
		}
	}
	return m, r.err
}

// The hand-written coder of natsbus's format writes what natsbus does and
// reads what it writes.
func TestHandwireBenchMsg(t *testing.T) {
	s := startServer(t, -1)
	bus := newBus(t, connect(t, s.ClientURL()), natsbus.WithTypes(BenchMsg{}))
	want := benchMsg
	want.Meta = map[string]any{"priority": int64(3), "note": "fragile", "weight": 1.25}

	hand := appendBenchWire(nil, wireSender, "bench", &benchMsg)
	got, err := bus.Decode(hand)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("natsbus decoding the hand-written encoding (-want +got):\n%s", diff)
	}
	data, err := bus.Encode("bench", benchMsg)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) != len(hand) {
		t.Errorf("natsbus writes %d bytes, the hand-written encoder %d", len(data), len(hand))
	}
	got, err = decodeBenchWire(data)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("hand-written decoding of natsbus's encoding (-want +got):\n%s", diff)
	}
}

// The hand-coded floor round-trips the benchmark's message.
func TestHandcodedBenchMsg(t *testing.T) {
	got, err := decodeBenchMsg(appendBenchMsg(nil, &benchMsg))
	if err != nil {
		t.Fatal(err)
	}
	want := benchMsg
	want.Meta = map[string]any{"priority": int64(3), "note": "fragile", "weight": 1.25}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
}
