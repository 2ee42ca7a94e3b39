package msgport

import (
	"context"
	"errors"
	"iter"

	"github.com/seed01aa7ee5/msgport/internal/mailbox"
)

// MessagePort is one end of a MessageChannel. Messages posted on it are
// delivered, as structured clones, on its entangled peer.
//
// A port's incoming messages wait in its queue until the port is started
// (Start, or SetOnMessage with a non-nil function), then are dispatched to
// its "message" listeners one at a time, in order, on a goroutine that starts
// when there is work and exits once the port has had nothing to dispatch for
// 50–100 µs, or up to 3.2 ms after a long stream (so that a burst, or a
// conversation, keeps one goroutine and its grown stack). An idle port holds
// no goroutine. Listeners of one port never run concurrently with each
// other; different ports dispatch concurrently. Alternatively, Receive and
// TryReceive take messages straight from the queue (use one style per
// port).
//
// All methods are safe for concurrent use. Ports are made by
// NewMessageChannel or arrive in MessageEvent.Ports; the zero value is not
// usable.
type MessagePort struct {
	box     *mailbox.Mailbox[MessageEvent]
	target  target
	onError func(error)
}

func newPort(onError func(error)) *MessagePort {
	p := &MessagePort{onError: onError}
	p.target.onError = onError
	return p
}

// portHandler is MessagePort as the mailbox sees it; the conversion keeps
// Deliver and End out of MessagePort's method set.
type portHandler MessagePort

func (h *portHandler) Deliver(ev *MessageEvent) bool {
	p := (*MessagePort)(h)
	return p.target.dispatchMessage(ev, p.box.Halted)
}

func (h *portHandler) End() { h.target.dispatchEnd() }

func (p *MessagePort) isTransferable() {}

// PostMessage sends a structured clone of message to the entangled port,
// moving the objects in transfer along with it (see Transferable). It returns
// ErrClosed if either port is closed or this one was transferred away (before
// cloning anything), and a *DataCloneError if message cannot be cloned or the
// transfer list cannot be honoured; then nothing is sent and nothing is
// detached.
//
// PostMessage does not block, except on a channel made WithCapacity whose
// peer queue is full: then it waits for room or for either port to close.
// Messages posted from one port arrive in the order PostMessage returned.
func (p *MessagePort) PostMessage(message any, transfer ...Transferable) error {
	return p.PostMessageContext(context.Background(), message, transfer...)
}

// PostMessageContext is PostMessage with a context for the wait on a full
// bounded queue: if ctx ends before there is room it returns ctx.Err() and
// the message is not enqueued. When there is room it enqueues the message
// even if ctx is already done.
func (p *MessagePort) PostMessageContext(ctx context.Context, message any, transfer ...Transferable) error {
	if p.box.State() != mailbox.Open {
		return ErrClosed
	}
	if len(transfer) == 0 {
		data, err := cloneValue(message, nil)
		if err != nil {
			return err
		}
		return portError(p.box.Post(ctx, MessageEvent{Event: Event{Type: typeMessage}, Data: data}, nil))
	}
	t, err := prepareTransfer(transfer)
	if err != nil {
		return err
	}
	data, err := cloneValue(message, t.seeds)
	if err != nil {
		return err
	}
	ev := MessageEvent{Event: Event{Type: typeMessage}, Data: data, Ports: t.newPorts}
	return portError(p.box.Post(ctx, ev, t.moves()))
}

// Start enables dispatch of the port's queued and future messages to its
// "message" listeners. A started port stays started. Start does not block;
// it does nothing on a port closed by its own owner or transferred away. On
// a port whose peer closed, it dispatches the messages still queued there,
// then the "close" event (which fires even if the port is never started,
// once its queue has been taken).
func (p *MessagePort) Start() { p.box.Start() }

// Close disentangles the port from its peer: from then on PostMessage on
// either returns ErrClosed. Messages already queued at the peer are still
// delivered there; this port's own undispatched messages are dropped, and
// once Close has returned no new listener call starts on this port (one
// already running finishes). Both ports then get one "close" event, their
// last: this one next, with nothing queued ahead of it, the peer after its
// queue is drained. Both are dispatched asynchronously, on the ports'
// dispatchers: Close returns before the close listeners have run (Done
// tells when they have).
//
// Close is idempotent, never blocks on listeners, may be called from any
// goroutine including from inside a listener, and does nothing on a port
// that was transferred away. It always returns nil.
func (p *MessagePort) Close() error {
	p.box.Close()
	p.target.waitStarting()
	return nil
}

// AddEventListener adds fn as a listener for events of type typ: "message",
// "messageerror" or "close" (close listeners receive a MessageEvent with nil
// Data), or "error", which fires only on the parent's end of a Worker (see
// Worker.SetOnError) and is accepted but never fires on other ports.
// Listeners run in the order they were added. It returns a function that
// removes the listener; calling it more than once is harmless. A nil fn is
// ignored, and so is a listener whose WithContext context is already done.
// Any other type panics, even with a nil fn.
//
// Unlike SetOnMessage, adding a "message" listener does not start the port
// (as in the HTML standard and Deno): call Start.
func (p *MessagePort) AddEventListener(typ string, fn func(*MessageEvent), opts ...ListenerOption) (remove func()) {
	return addListener(&p.target, typ, fn, opts)
}

func addListener(t *target, typ string, fn func(*MessageEvent), opts []ListenerOption) func() {
	eventIndex(typ) // panics on unknown types, nil fn or not
	if fn == nil {
		return func() {}
	}
	l := &listener{fn: fn}
	for _, o := range opts {
		o(l)
	}
	return t.add(typ, l)
}

// SetOnMessage sets the port's onmessage handler, replacing the previous one
// in place; nil removes it. A non-nil fn also starts the port.
func (p *MessagePort) SetOnMessage(fn func(*MessageEvent)) {
	p.target.setAttr(typeMessage, fn)
	if fn != nil {
		p.Start()
	}
}

// SetOnMessageError sets the port's onmessageerror handler; nil removes it.
// It is called with a *PanicError as Data when a "message" listener panics.
func (p *MessagePort) SetOnMessageError(fn func(*MessageEvent)) {
	p.target.setAttr(typeMessageError, fn)
}

// SetOnClose sets the port's onclose handler; nil removes it.
func (p *MessagePort) SetOnClose(fn func(*Event)) {
	if fn == nil {
		p.target.setAttr(typeClose, nil)
		return
	}
	p.target.setAttr(typeClose, func(e *MessageEvent) { fn(&e.Event) })
}

// Receive removes the next queued message and returns it, without
// dispatching any event, whether or not the port is started (like Node's
// receiveMessageOnPort, but waiting). It blocks until a message arrives, ctx
// is done (ctx.Err()), or the port is closed or transferred and its queue is
// empty (an error matching ErrClosed). Several goroutines may Receive on
// one port: each message goes to one of them, in the order they began to
// wait, and a message that arrives just as ctx ends is returned, not lost.
func (p *MessagePort) Receive(ctx context.Context) (*MessageEvent, error) {
	ev, err := p.box.Take(ctx)
	return ev, portError(err)
}

// TryReceive removes and returns the next queued message if there is one,
// without blocking and without dispatching any event.
func (p *MessagePort) TryReceive() (*MessageEvent, bool) { return p.box.TryTake() }

// Messages returns an iterator over the port's messages, taken with
// Receive: the loop ends when the port is closed and drained, or ctx is done.
func (p *MessagePort) Messages(ctx context.Context) iter.Seq[*MessageEvent] {
	return receiveAll(ctx, p.Receive)
}

func receiveAll(ctx context.Context, receive func(context.Context) (*MessageEvent, error)) iter.Seq[*MessageEvent] {
	return func(yield func(*MessageEvent) bool) {
		for {
			ev, err := receive(ctx)
			if err != nil || !yield(ev) {
				return
			}
		}
	}
}

// Done returns a channel that is closed once the port will dispatch no more
// events: after its "close" event has been dispatched, or, for a port
// transferred away, once its dispatcher has let go of it — at once if it
// had none, else after the listener it was running, if any, has returned
// and the rest of its batch has been handed to the new port.
func (p *MessagePort) Done() <-chan struct{} { return p.box.Done() }

// portError translates the mailbox's errors into the package's.
func portError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, mailbox.ErrEnded):
		return ErrClosed
	case errors.Is(err, mailbox.ErrSelf), errors.Is(err, mailbox.ErrPeer), errors.Is(err, mailbox.ErrNotOpen):
		return &DataCloneError{Reason: err.Error()}
	}
	return err
}
