package msgport_test

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/seed01aa7ee5/msgport"
)

var errBoom = errors.New("boom")

// doubler answers every int it receives with twice its value, until its
// port closes.
func doubler(ctx context.Context, port *msgport.MessagePort) error {
	for ev := range port.Messages(ctx) {
		if err := port.PostMessage(ev.Data.(int) * 2); err != nil {
			return err
		}
	}
	return ctx.Err()
}

func TestWorkerRequestReplyInOrder(t *testing.T) {
	w := msgport.NewWorker(ctxT(t), doubler)
	const n = 1000
	go func() {
		for i := range n {
			if err := w.PostMessage(i); err != nil {
				t.Errorf("PostMessage(%d): %v", i, err)
				return
			}
		}
	}()
	for i := range n {
		if got := receive(t, w).Data; got != 2*i {
			t.Fatalf("reply %d = %v, want %d", i, got, 2*i)
		}
	}
	w.Close() // the worker's loop ends, its function returns nil
	if err := w.Wait(); err != nil {
		t.Fatalf("Wait = %v, want nil", err)
	}
	if _, err := w.Receive(ctxT(t)); !errors.Is(err, msgport.ErrClosed) {
		t.Fatalf("Receive after the worker ended = %v, want ErrClosed", err)
	}
}

// The error event comes after every message the worker posted before it
// failed, then the close event; none of them overlaps another listener.
func TestWorkerErrorEventFollowsItsMessages(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fail  func() error
		check func(t *testing.T, err error)
	}{
		{"error", func() error { return errBoom }, func(t *testing.T, err error) {
			if !errors.Is(err, errBoom) {
				t.Errorf("error = %v, want errBoom", err)
			}
		}},
		{"panic", func() error { panic(errBoom) }, func(t *testing.T, err error) {
			var pe *msgport.PanicError
			if !errors.As(err, &pe) || !errors.Is(err, errBoom) {
				t.Fatalf("error = %#v, want a *PanicError wrapping errBoom", err)
			}
			if !strings.Contains(string(pe.Stack), "worker_test.go") {
				t.Errorf("the panic's stack is not kept:\n%s", pe.Stack)
			}
		}},
		{"Goexit", func() error { runtime.Goexit(); return nil }, func(t *testing.T, err error) {
			if err == nil || !strings.Contains(err.Error(), "Goexit") {
				t.Errorf("error = %v, want one naming runtime.Goexit", err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const n = 500
			w := msgport.NewWorker(ctxT(t), func(ctx context.Context, port *msgport.MessagePort) error {
				for i := range n {
					if err := port.PostMessage(i); err != nil {
						return err
					}
				}
				return tc.fail()
			})
			var inside atomic.Bool
			overlap := make(chan string, 3)
			r := newRecorder()
			record := func(e *msgport.MessageEvent) {
				if !inside.CompareAndSwap(false, true) {
					overlap <- e.Type
				}
				runtime.Gosched() // widen the window an overlap would need
				r.fn(e)
				inside.Store(false)
			}
			w.AddEventListener("close", record)
			w.SetOnError(record)
			w.SetOnMessage(record)
			for i := range n {
				if e := r.next(t); e.Type != "message" || e.Data != i {
					t.Fatalf("event %d = %s %v, want message %d", i, e.Type, e.Data, i)
				}
			}
			e := r.next(t)
			if e.Type != "error" {
				t.Fatalf("after the messages: %s event, want error", e.Type)
			}
			tc.check(t, e.Data.(error))
			if e := r.next(t); e.Type != "close" {
				t.Fatalf("after the error: %s event, want close", e.Type)
			}
			if err := w.Wait(); err != e.Data {
				t.Fatalf("Wait = %v, want the error event's %v", err, e.Data)
			}
			<-w.Done()
			r.none(t)
			select {
			case typ := <-overlap:
				t.Fatalf("a %s listener ran while another was running", typ)
			default:
			}
		})
	}
}

// A parent that takes messages with Receive gets the error event in line.
func TestWorkerErrorEventWithReceive(t *testing.T) {
	w := msgport.NewWorker(ctxT(t), func(ctx context.Context, port *msgport.MessagePort) error {
		post(t, port, "last words")
		return errBoom
	}, msgport.WithCapacity(1))
	if e := receive(t, w); e.Type != "message" || e.Data != "last words" {
		t.Fatalf("first = %s %v, want the message", e.Type, e.Data)
	}
	if e := receive(t, w); e.Type != "error" || !errors.Is(e.Data.(error), errBoom) {
		t.Fatalf("second = %s %v, want the error", e.Type, e.Data)
	}
	if _, err := w.Receive(ctxT(t)); !errors.Is(err, msgport.ErrClosed) {
		t.Fatalf("third Receive = %v, want ErrClosed", err)
	}
	if err := w.Wait(); !errors.Is(err, errBoom) {
		t.Fatalf("Wait = %v, want errBoom", err)
	}
}

// A worker that fails with its parent's bounded queue full does not wait
// for room: Wait returns before the parent has taken anything, and the
// error event still comes in line, one past the bound.
func TestWorkerFailsIntoFullQueue(t *testing.T) {
	w := msgport.NewWorker(ctxT(t), func(ctx context.Context, port *msgport.MessagePort) error {
		post(t, port, "last words") // fills the parent's queue
		return errBoom
	}, msgport.WithCapacity(1))
	waited := make(chan error, 1)
	go func() { waited <- w.Wait() }()
	if err := await(t, waited, "Wait with the parent's queue full"); !errors.Is(err, errBoom) {
		t.Fatalf("Wait = %v, want errBoom", err)
	}
	if e := receive(t, w); e.Type != "message" || e.Data != "last words" {
		t.Fatalf("first = %s %v, want the message", e.Type, e.Data)
	}
	if e := receive(t, w); e.Type != "error" || !errors.Is(e.Data.(error), errBoom) {
		t.Fatalf("second = %s %v, want the error", e.Type, e.Data)
	}
}

func TestWorkerTerminate(t *testing.T) {
	for _, tc := range []struct {
		name string
		fn   msgport.WorkerFunc
		want error
	}{
		{"blocked on its context", func(ctx context.Context, _ *msgport.MessagePort) error {
			<-ctx.Done()
			if !errors.Is(context.Cause(ctx), msgport.ErrTerminated) {
				return errors.New("the cause is not ErrTerminated")
			}
			return ctx.Err()
		}, nil},
		{"blocked in Receive", func(ctx context.Context, port *msgport.MessagePort) error {
			_, err := port.Receive(context.Background())
			return err // ErrClosed
		}, nil},
		{"returning its own error", func(ctx context.Context, _ *msgport.MessagePort) error {
			<-ctx.Done()
			return errBoom
		}, errBoom},
	} {
		t.Run(tc.name, func(t *testing.T) {
			started := make(chan struct{})
			w := msgport.NewWorker(ctxT(t), func(ctx context.Context, port *msgport.MessagePort) error {
				close(started)
				return tc.fn(ctx, port)
			})
			r := newRecorder()
			w.SetOnError(r.fn)
			w.AddEventListener("close", r.fn)
			w.Start()
			await(t, started, "the worker to start")
			w.Terminate()
			w.Terminate() // idempotent
			if err := w.Wait(); !errors.Is(err, tc.want) || (tc.want == nil && err != nil) {
				t.Fatalf("Wait = %v, want %v", err, tc.want)
			}
			if e := r.next(t); e.Type != "close" {
				t.Fatalf("event = %s, want close", e.Type)
			}
			<-w.Done()
			r.none(t) // no error event after Terminate
			if err := w.PostMessage(1); !errors.Is(err, msgport.ErrClosed) {
				t.Fatalf("PostMessage after Terminate = %v, want ErrClosed", err)
			}
		})
	}
}

// The worker's context ends with the parent's; its error is reported.
func TestWorkerParentContext(t *testing.T) {
	ctx, cancel := context.WithCancel(ctxT(t))
	w := msgport.NewWorker(ctx, func(ctx context.Context, _ *msgport.MessagePort) error {
		<-ctx.Done()
		return ctx.Err()
	})
	r := newRecorder()
	w.SetOnError(r.fn)
	w.Start()
	cancel()
	if e := r.next(t); !errors.Is(e.Data.(error), context.Canceled) {
		t.Fatalf("error event = %v, want context.Canceled", e.Data)
	}
	if err := w.Wait(); !errors.Is(err, context.Canceled) {
		t.Fatalf("Wait = %v, want context.Canceled", err)
	}
}

// A function that closed its own port cannot send the error event; Wait
// still reports the error.
func TestWorkerClosedItsOwnPort(t *testing.T) {
	w := msgport.NewWorker(ctxT(t), func(ctx context.Context, port *msgport.MessagePort) error {
		defer port.Close()
		post(t, port, 1)
		return errBoom
	})
	r := newRecorder()
	w.SetOnError(r.fn)
	w.AddEventListener("close", r.fn)
	w.SetOnMessage(r.fn)
	if e := r.next(t); e.Type != "message" {
		t.Fatalf("event = %s, want message", e.Type)
	}
	if e := r.next(t); e.Type != "close" {
		t.Fatalf("event = %s, want close", e.Type)
	}
	if err := w.Wait(); !errors.Is(err, errBoom) {
		t.Fatalf("Wait = %v, want errBoom", err)
	}
	<-w.Done()
	r.none(t)
}

// Wait may be called from the parent's close listener.
func TestWorkerWaitFromCloseListener(t *testing.T) {
	w := msgport.NewWorker(ctxT(t), func(context.Context, *msgport.MessagePort) error { return errBoom })
	got := make(chan error, 1)
	w.SetOnClose(func(*msgport.Event) { got <- w.Wait() })
	w.Start()
	if err := await(t, got, "Wait in the close listener"); !errors.Is(err, errBoom) {
		t.Fatalf("Wait = %v, want errBoom", err)
	}
}

func TestNewWorkerNilPanics(t *testing.T) {
	defer func() {
		if r := recover(); r == nil || !strings.HasPrefix(r.(string), "msgport:") {
			t.Fatalf("recover() = %v, want a msgport panic", r)
		}
	}()
	msgport.NewWorker(context.Background(), nil)
}
