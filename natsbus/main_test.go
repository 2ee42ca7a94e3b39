package natsbus_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/seed01aa7ee5/msgport"
	"github.com/seed01aa7ee5/msgport/natsbus"
	"go.uber.org/goleak"
)

// The tests run a real NATS server inside the test process (or the
// benchmark's), on a random loopback port, so that go test needs nothing
// installed. Everything a test starts is stopped by t.Cleanup, and
// TestMain checks that no goroutine outlives the tests.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// waitFor bounds every wait in the tests; nothing sleeps for a set time.
const waitFor = 20 * time.Second

// startServer runs a NATS server on port (-1: a random one) until the test
// ends.
func startServer(tb testing.TB, port int) *server.Server {
	tb.Helper()
	s, err := server.NewServer(&server.Options{
		Host:   "127.0.0.1",
		Port:   port,
		NoLog:  true,
		NoSigs: true,
	})
	if err != nil {
		tb.Fatalf("nats-server: %v", err)
	}
	s.Start()
	if !s.ReadyForConnections(waitFor) {
		s.Shutdown()
		tb.Fatal("nats-server did not start")
	}
	tb.Cleanup(func() {
		s.Shutdown()
		s.WaitForShutdown()
	})
	return s
}

// connect opens a connection that reconnects forever, quickly, until the
// test ends.
func connect(tb testing.TB, url string, opts ...nats.Option) *nats.Conn {
	tb.Helper()
	opts = append([]nats.Option{
		nats.MaxReconnects(-1),
		nats.ReconnectWait(20 * time.Millisecond),
		nats.ReconnectJitter(0, 0),
	}, opts...)
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		tb.Fatalf("connect: %v", err)
	}
	tb.Cleanup(nc.Close)
	return nc
}

// newBus makes a Bus over nc, closed when the test ends.
func newBus(tb testing.TB, nc *nats.Conn, opts ...natsbus.Option) *natsbus.Bus {
	tb.Helper()
	b, err := natsbus.New(nc, opts...)
	if err != nil {
		tb.Fatalf("natsbus.New: %v", err)
	}
	tb.Cleanup(func() {
		if err := b.Close(); err != nil {
			tb.Errorf("Bus.Close: %v", err)
		}
	})
	return b
}

// join opens a channel on bus that receives (its subscription confirmed by
// the server when join returns), closed when the test ends.
func join(tb testing.TB, bus msgport.Bus, name string) *msgport.BroadcastChannel {
	tb.Helper()
	ch := msgport.NewBroadcastChannel(name, msgport.WithBus(bus))
	tb.Cleanup(func() { ch.Close() })
	if ev, ok := ch.TryReceive(); ok { // starts receiving
		tb.Fatalf("new channel %q already holds %v", name, ev)
	}
	return ch
}

// sender opens a channel on bus that only posts.
func sender(tb testing.TB, bus msgport.Bus, name string) *msgport.BroadcastChannel {
	tb.Helper()
	ch := msgport.NewBroadcastChannel(name, msgport.WithBus(bus))
	tb.Cleanup(func() { ch.Close() })
	return ch
}

// next returns the next event of ch, failing the test after waitFor.
func next(tb testing.TB, ch *msgport.BroadcastChannel) *msgport.MessageEvent {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	ev, err := ch.Receive(ctx)
	if err != nil {
		tb.Fatalf("channel %q: Receive: %v", ch.Name(), err)
	}
	return ev
}

// nextData returns the Data of the next event of ch, which must be a
// "message".
func nextData(tb testing.TB, ch *msgport.BroadcastChannel) any {
	tb.Helper()
	ev := next(tb, ch)
	if ev.Type != "message" {
		tb.Fatalf("channel %q: got a %q event (%v), want a message", ch.Name(), ev.Type, ev.Data)
	}
	return ev.Data
}

// nextError returns the error of the next event of ch, which must be a
// "messageerror".
func nextError(tb testing.TB, ch *msgport.BroadcastChannel) error {
	tb.Helper()
	ev := next(tb, ch)
	if ev.Type != "messageerror" {
		tb.Fatalf("channel %q: got a %q event (%#v), want a messageerror", ch.Name(), ev.Type, ev.Data)
	}
	err, ok := ev.Data.(error)
	if !ok {
		tb.Fatalf("channel %q: messageerror Data is a %T, want an error", ch.Name(), ev.Data)
	}
	return err
}

// empty fails the test if ch holds an event.
func empty(tb testing.TB, ch *msgport.BroadcastChannel) {
	tb.Helper()
	if ev, ok := ch.TryReceive(); ok {
		tb.Fatalf("channel %q: unexpected %q event: %#v", ch.Name(), ev.Type, ev.Data)
	}
}

// post posts v on ch, failing the test on error.
func post(tb testing.TB, ch *msgport.BroadcastChannel, v any) {
	tb.Helper()
	if err := ch.PostMessage(v); err != nil {
		tb.Fatalf("channel %q: PostMessage(%v): %v", ch.Name(), v, err)
	}
}

// pair returns two Buses on two connections to a new server: for the
// purposes of the tests, two processes.
func pair(tb testing.TB, opts ...natsbus.Option) (*natsbus.Bus, *natsbus.Bus) {
	tb.Helper()
	s := startServer(tb, -1)
	b1 := newBus(tb, connect(tb, s.ClientURL()), opts...)
	b2 := newBus(tb, connect(tb, s.ClientURL()), opts...)
	return b1, b2
}

// errorSink collects a Bus's asynchronous errors.
type errorSink chan error

func (s errorSink) handle(err error) {
	select {
	case s <- err:
	default:
	}
}

func (s errorSink) option() natsbus.Option { return natsbus.WithErrorHandler(s.handle) }

func isClosed(err error) bool { return errors.Is(err, msgport.ErrClosed) }
