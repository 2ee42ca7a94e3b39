package msgport_test

import (
	"context"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/seed01aa7ee5/msgport"
)

// TestMain fails the package if any test leaves a goroutine behind.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// wait is how long a test waits for something that must happen. Nothing
// waits this long unless the library is broken.
const wait = 10 * time.Second

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	t.Cleanup(cancel)
	return ctx
}

// await fails the test unless ch is closed or delivers within wait.
func await[T any](t testing.TB, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(wait):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}

func receive(t testing.TB, p interface {
	Receive(context.Context) (*msgport.MessageEvent, error)
}) *msgport.MessageEvent {
	t.Helper()
	ev, err := p.Receive(ctxT(t))
	if err != nil {
		t.Fatalf("Receive: %v", err)
	}
	return ev
}

func post(t testing.TB, p *msgport.MessagePort, v any, transfer ...msgport.Transferable) {
	t.Helper()
	if err := p.PostMessage(v, transfer...); err != nil {
		t.Fatalf("PostMessage(%v): %v", v, err)
	}
}

// recorder collects events from listeners, in order, for later checks.
type recorder struct {
	ch chan *msgport.MessageEvent
}

func newRecorder() *recorder { return &recorder{ch: make(chan *msgport.MessageEvent, 1<<16)} }

func (r *recorder) fn(e *msgport.MessageEvent) { r.ch <- e }

func (r *recorder) next(t testing.TB) *msgport.MessageEvent {
	t.Helper()
	return await(t, r.ch, "an event")
}

// none fails if an event was recorded.
func (r *recorder) none(t testing.TB) {
	t.Helper()
	select {
	case e := <-r.ch:
		t.Fatalf("unexpected %q event: %v", e.Type, e.Data)
	default:
	}
}

func closeAll(t testing.TB, cs ...*msgport.MessageChannel) {
	t.Cleanup(func() {
		for _, c := range cs {
			c.Port1.Close()
			c.Port2.Close()
			<-c.Port1.Done()
			<-c.Port2.Done()
		}
	})
}
