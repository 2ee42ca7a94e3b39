package msgport

import (
	"context"
	"errors"
)

// ErrTerminated is the cause (see context.Cause) of a worker's context when
// Terminate cancels it. The worker cancels that context itself, with cause
// context.Canceled, as soon as its function returns, so a Terminate that
// comes later leaves the cause at context.Canceled.
var ErrTerminated = errors.New("msgport: worker terminated")

// errGoexit is what Wait reports for a function that called runtime.Goexit.
var errGoexit = errors.New("msgport: worker function called runtime.Goexit")

// WorkerFunc is the body of a Worker. It runs on the worker's own goroutine
// with the worker's end of the channel: it receives what the parent posts
// (port.Receive, port.Messages, or listeners) and posts back to it. ctx is
// done when the context given to NewWorker is done or Terminate is called;
// the function should then return.
//
// The worker lives as long as the function runs: when it returns, the
// worker's port is closed (the parent gets its messages, then "close"). A
// function that serves with listeners instead of a receive loop must
// therefore block until it is done, e.g. until ctx.Done() or port.Done().
type WorkerFunc func(ctx context.Context, port *MessagePort) error

// Worker is a goroutine with its own message channel, the Go analogue of a
// Web Worker or a Node worker_threads Worker. The parent talks to it through
// the embedded *MessagePort, its end of the channel: PostMessage sends to
// the worker, SetOnMessage, Receive and Messages take what the worker posts.
// Everything crossing the channel is a structured clone, so parent and
// worker share no mutable memory.
//
// When the worker's function returns an error or panics, the parent's port
// gets an "error" event (see SetOnError) whose Data is that error (a
// *PanicError for a panic), and Wait returns it. The error event travels
// through the port's queue like a message, after everything the function
// posted before returning, and before the "close" event: so it is
// dispatched in order, never concurrently with the port's other listeners,
// and a parent that uses Receive or Messages gets it too, as a MessageEvent
// of Type "error". It is not sent when the function closed its own port or
// transferred it away before returning, when the parent closed its port, or
// after Terminate. On a channel made WithCapacity it is queued even when
// the parent's queue is full, one past the bound, so a failing worker never
// waits for its parent. Wait returns the error whether or not the event was
// sent (after Terminate, the errors a terminated function typically returns
// are reported as nil: see Wait).
//
// Close (of the embedded port) closes the channel: the worker's port sees
// ErrClosed once drained, and its function should return. Terminate also
// cancels the function's context.
type Worker struct {
	*MessagePort // the parent's end of the channel

	cancel context.CancelCauseFunc
	done   chan struct{}
	err    error // the function's outcome; written before done is closed
}

// NewWorker starts fn on a new goroutine with a new MessageChannel between
// the parent (the returned Worker) and the worker (fn's port), made with
// opts (e.g. WithCapacity). fn's context is derived from ctx. Neither port
// is started: the parent's messages wait in the worker's queue until fn
// takes them, and the worker's in the parent's until it calls Start,
// SetOnMessage, Receive or Messages. NewWorker panics if fn is nil.
func NewWorker(ctx context.Context, fn WorkerFunc, opts ...Option) *Worker {
	if fn == nil {
		panic("msgport: NewWorker with a nil function")
	}
	ch := NewMessageChannel(opts...)
	wctx, cancel := context.WithCancelCause(ctx)
	w := &Worker{MessagePort: ch.Port1, cancel: cancel, done: make(chan struct{})}
	go w.run(wctx, fn, ch.Port2)
	return w
}

// run calls fn and reports its outcome. The reporting is deferred so that it
// also happens when fn panics or calls runtime.Goexit.
func (w *Worker) run(ctx context.Context, fn WorkerFunc, port *MessagePort) {
	var err error
	returned := false
	defer func() { w.finish(ctx, port, err) }()
	defer func() {
		if returned {
			return
		}
		if r := recover(); r != nil {
			err = newPanicError(r)
		} else {
			err = errGoexit
		}
	}()
	err = fn(ctx, port)
	returned = true
}

func (w *Worker) finish(ctx context.Context, port *MessagePort, err error) {
	terminated := errors.Is(context.Cause(ctx), ErrTerminated)
	if err != nil && !terminated {
		// Post through the worker's own end, like its last message: it
		// queues behind everything fn posted and follows the parent's port
		// if that was transferred. It does not wait for room in a bounded
		// queue: the parent may be waiting in Wait. It fails, and nothing is
		// sent, when either end is already closed.
		_ = port.box.PostPastBound(MessageEvent{Event: Event{Type: typeError}, Data: err})
	}
	port.Close()
	w.cancel(nil)
	<-port.Done() // the worker's close listeners have run
	var pe *PanicError
	if terminated && !errors.As(err, &pe) && (errors.Is(err, context.Canceled) || errors.Is(err, ErrClosed)) {
		err = nil // what a terminated function returns is not a failure
	}
	w.err = err
	close(w.done)
}

// SetOnError sets the worker's onerror handler, called on the parent's port
// with an "error" event when the worker's function fails; nil removes it.
// It does not start the port. AddEventListener("error", …) adds further
// listeners.
func (w *Worker) SetOnError(fn func(*MessageEvent)) {
	w.target.setAttr(typeError, fn)
}

// Terminate stops the worker: it cancels the function's context (with
// cause ErrTerminated) and closes the channel, dropping the messages the
// parent has not yet taken; the parent's port then gets only its "close"
// event. Terminate does not wait for the function to return: call Wait.
// It is idempotent and safe from any goroutine, including the parent's
// listeners.
func (w *Worker) Terminate() {
	w.cancel(ErrTerminated)
	w.MessagePort.Close()
}

// Wait blocks until the worker's function has returned and the worker's port
// has dispatched its last event, then returns the function's error: a
// *PanicError if it panicked, nil if it returned nil. After Terminate, an
// error matching context.Canceled or ErrClosed (what a terminated function
// typically returns) is reported as nil. Wait may be called any number of
// times, from any goroutine, including from the parent's "error" and
// "close" listeners.
func (w *Worker) Wait() error {
	<-w.done
	return w.err
}
