package natsbus_test

import (
	"encoding/binary"
	"errors"
	"math"
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
//     not on nats.go's.
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
			func() ([]byte, error) { buf = appendBenchMsg(buf[:0], &benchMsg); return buf, nil },
			func(p []byte) error { m, err := decodeBenchMsg(p); hop <- m; return err })
		<-handled
	})
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
	b = append(b, 0x90|byte(len(m.Tags)))
	for _, t := range m.Tags {
		b = appendStr(b, t)
	}
	b = append(b, 0x80|byte(len(m.Meta)))
	for k, v := range m.Meta {
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

func appendInt(b []byte, v int64) []byte {
	return binary.BigEndian.AppendUint64(append(b, 0xd3), uint64(v))
}

func appendStr(b []byte, s string) []byte {
	return append(append(b, 0xa0|byte(len(s))), s...) // short strings only
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

func (r *benchReader) u64() uint64 {
	if len(r.p) < 8 {
		r.err = errBench
		return 0
	}
	v := binary.BigEndian.Uint64(r.p)
	r.p = r.p[8:]
	return v
}

func (r *benchReader) str(c byte) string {
	n := int(c & 0x1f)
	if c&0xe0 != 0xa0 || len(r.p) < n {
		r.err = errBench
		return ""
	}
	s := string(r.p[:n])
	r.p = r.p[n:]
	return s
}

func (r *benchReader) value() any {
	switch c := r.byte(); c {
	case 0xd3:
		return int64(r.u64())
	case 0xcb:
		return math.Float64frombits(r.u64())
	default:
		return r.str(c)
	}
}

func decodeBenchMsg(p []byte) (BenchMsg, error) {
	r := &benchReader{p: p}
	var m BenchMsg
	if r.byte() != 0x94 || r.byte() != 0xd3 {
		return m, errBench
	}
	m.ID = int(r.u64())
	m.Name = r.str(r.byte())
	m.Tags = make([]string, r.byte()&0x0f)
	for i := range m.Tags {
		m.Tags[i] = r.str(r.byte())
	}
	n := int(r.byte() & 0x0f)
	m.Meta = make(map[string]any, n)
	for range n {
		k := r.str(r.byte())
		m.Meta[k] = r.value()
	}
	return m, r.err
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
