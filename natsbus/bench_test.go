package natsbus_test

import (
	"testing"

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
//     handler on bus2 (clone, encode, NATS, decode, clone, dispatch);
//   - raw: nats.go Publish of the same msgpack bytes to a nats.go handler,
//     the floor of the transport;
//   - raw+msgpack: nats.go with vmihailenco/msgpack Marshal and Unmarshal
//     of the struct, what one would write by hand.
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
