package natsbus_test

import (
	"testing"

	"github.com/seed01aa7ee5/msgport"
	"github.com/seed01aa7ee5/msgport/natsbus"
)

// BenchmarkCodec measures one side of BenchmarkThroughput at a time:
// natsbus's encoding of the sender's own value (envelope included) and
// decoding of benchMsg, each beside two floors in the same run, the
// hand-written codec of raw+handcoded and that of raw+handwire+hop, which
// reads and writes natsbus's own format (the encoders append to a reused
// buffer, as Publish does); and, with no floor beside it, the clone that
// PostMessage takes first where the encoding cannot be the copy (another
// channel on the sender's Bus, see PublishOriginal), which
// BenchmarkThroughput skips.
func BenchmarkCodec(b *testing.B) {
	s := startServer(b, -1)
	bus := newBus(b, connect(b, s.ClientURL()), natsbus.WithTypes(BenchMsg{}))
	data, err := bus.Encode("bench", benchMsg)
	if err != nil {
		b.Fatal(err)
	}
	hand := appendBenchMsg(nil, &benchMsg)
	var msg any = benchMsg // boxed once, as PostMessage receives it

	b.Run("encode/natsbus", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if sinkBytes, err = bus.AppendEncodedOriginal(sinkBytes[:0], "bench", msg); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encode/handcoded", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			sinkBytes = appendBenchMsg(sinkBytes[:0], &benchMsg)
		}
	})
	b.Run("encode/handwire", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			sinkBytes = appendBenchWire(sinkBytes[:0], wireSender, "bench", &benchMsg)
		}
	})
	b.Run("decode/natsbus", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := bus.Decode(data); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("decode/handcoded", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := decodeBenchMsg(hand); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("decode/handwire", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := decodeBenchWire(data); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("clone/msgport", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := msgport.StructuredClone(msg); err != nil {
				b.Fatal(err)
			}
		}
	})
}

var sinkBytes []byte
