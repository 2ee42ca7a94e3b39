package msgport

import (
	"context"
	"iter"
	"sync"

	"github.com/seed01aa7ee5/msgport/internal/mailbox"
)

// BroadcastChannel is a named channel: a message posted on it is delivered,
// as a separate structured clone, to every other open BroadcastChannel of the
// same name on the same Bus — never to itself. The default bus reaches the
// channels of this process; natsbus reaches other processes and machines.
//
// A channel receives from the moment it is started: SetOnMessage with a
// non-nil function, AddEventListener("message", …), WithOnMessage, or its
// first Receive or TryReceive (for Messages, when the loop first asks for a
// message, not when Messages is called). Before that nothing is kept for
// it, so a channel that only posts holds no memory. Messages are dispatched
// to its listeners one at a time, in order, on a goroutine that exists only
// while there is work (and for 50 µs to 3.2 ms after, in case more comes);
// a slow channel never holds up the sender or other channels.
//
// PostMessage takes one clone of the message, so that later changes to it
// are not seen and a value that cannot be cloned fails there (on a Bus that
// copies by encoding, an OriginalPublisher such as natsbus, the encoding
// made during PostMessage is that copy). Each receiving
// channel in the process then takes its own clone from that one when the
// message reaches it: on its dispatcher goroutine, or on the goroutine that
// calls Receive or TryReceive. The copies of a fan-out are thus made in
// parallel. A receiver that finds every other one has already taken its
// clone gets the sender's clone itself, sparing a copy; this is best
// effort: two receivers that get there at the same time both clone, and
// the last one clones too when another never takes the message (closed
// with it still queued, or no longer receiving). Should a receiver's clone
// fail (only a CloneMessage method that refuses a value it returned itself
// can make it), that channel gets a "messageerror" event with the
// *DataCloneError.
//
// All methods are safe for concurrent use.
type BroadcastChannel struct {
	name    string
	bus     Bus
	box     *mailbox.Mailbox[MessageEvent]
	target  target
	onError func(error)

	mu     sync.Mutex
	cancel func() // set once subscribed
	closed bool
}

// NewBroadcastChannel joins the channel called name on its bus (WithBus;
// by default the process's in-process bus). Options: WithBus, WithOnMessage,
// WithErrorHandler.
func NewBroadcastChannel(name string, opts ...BroadcastOption) *BroadcastChannel {
	cfg := broadcastConfig{bus: defaultBus, onError: logError}
	for _, o := range opts {
		o.applyBroadcast(&cfg)
	}
	b := &BroadcastChannel{name: name, bus: cfg.bus, onError: cfg.onError}
	b.target.onError = cfg.onError
	b.box = mailbox.New[MessageEvent]((*broadcastHandler)(b))
	if cfg.onMessage != nil {
		b.SetOnMessage(cfg.onMessage)
	}
	return b
}

// WithBus makes the channel meet others on bus b instead of the default
// in-process bus.
func WithBus(b Bus) BroadcastOption {
	return broadcastOption(func(c *broadcastConfig) { c.bus = b })
}

// WithOnMessage sets the channel's onmessage handler at creation, so that no
// message posted by another goroutine between NewBroadcastChannel and
// SetOnMessage is missed.
func WithOnMessage(fn func(*MessageEvent)) BroadcastOption {
	return broadcastOption(func(c *broadcastConfig) { c.onMessage = fn })
}

// broadcastHandler is BroadcastChannel as its mailbox sees it.
type broadcastHandler BroadcastChannel

func (h *broadcastHandler) Deliver(ev *MessageEvent) bool {
	unshare(ev)
	return h.target.dispatchMessage(ev, h.box.Halted)
}

func (h *broadcastHandler) End() {}

// subscriber is BroadcastChannel as its bus sees it.
type subscriber BroadcastChannel

// Deliver queues the channel's own clone of msg; a closed channel drops it.
func (s *subscriber) Deliver(msg any) {
	data, err := cloneValue(msg, nil)
	if err != nil {
		s.DeliverError(err)
		return
	}
	s.DeliverOwned(data)
}

// DeliverOwned queues msg itself (see Owner).
func (s *subscriber) DeliverOwned(msg any) {
	s.box.Push(MessageEvent{Event: Event{Type: typeMessage}, Data: msg})
}

// DeliverError queues a "messageerror" event carrying err.
func (s *subscriber) DeliverError(err error) {
	s.box.Push(MessageEvent{Event: Event{Type: typeMessageError}, Data: err})
}

// Name returns the channel's name.
func (b *BroadcastChannel) Name() string { return b.name }

// PostMessage sends a structured clone of message to every other open,
// receiving channel of the same name on the bus. It returns ErrClosed after
// Close (before cloning), a *DataCloneError if message cannot be cloned, or
// the bus's error. It does not block on receivers. On a bus that is an
// OriginalPublisher, the bus is handed message itself and copies it as it
// encodes it.
func (b *BroadcastChannel) PostMessage(message any) error {
	if b.box.State() != mailbox.Open {
		return ErrClosed
	}
	if op, ok := b.bus.(OriginalPublisher); ok {
		return op.PublishOriginal(b.name, (*subscriber)(b), message)
	}
	data, err := cloneValue(message, nil)
	if err != nil {
		return err
	}
	return b.bus.Publish(b.name, (*subscriber)(b), data)
}

// subscribe starts receiving, once.
func (b *BroadcastChannel) subscribe() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.cancel != nil || b.closed {
		return
	}
	cancel, err := b.bus.Subscribe(b.name, (*subscriber)(b))
	if err != nil {
		(*subscriber)(b).DeliverError(err)
		return
	}
	b.cancel = cancel
}

// start begins receiving and dispatching.
func (b *BroadcastChannel) start() {
	b.subscribe()
	b.box.Start()
}

// Close leaves the channel: it receives nothing more, messages queued for it
// and not yet dispatched are dropped, and once Close has returned no new
// listener call starts. Close is idempotent, does not block on listeners,
// may be called from inside a listener, and returns nil.
func (b *BroadcastChannel) Close() error {
	b.mu.Lock()
	cancel := b.cancel
	b.cancel, b.closed = nil, true
	b.mu.Unlock()
	b.box.Close()
	if cancel != nil {
		cancel()
	}
	b.target.waitStarting()
	return nil
}

// AddEventListener adds fn as a listener for "message" or "messageerror"
// events and returns a function that removes it. Adding a "message" listener
// starts the channel, even one that is not added because of WithContext
// with a context already done (a nil fn is ignored and starts nothing).
// "close" and "error" are accepted too, as on a MessagePort, but never fire
// on a BroadcastChannel; any other type panics, even with a nil fn.
func (b *BroadcastChannel) AddEventListener(typ string, fn func(*MessageEvent), opts ...ListenerOption) (remove func()) {
	remove = addListener(&b.target, typ, fn, opts)
	if typ == typeMessage && fn != nil {
		b.start()
	}
	return remove
}

// SetOnMessage sets the onmessage handler, replacing the previous one in
// place; nil removes it. A non-nil fn starts the channel.
func (b *BroadcastChannel) SetOnMessage(fn func(*MessageEvent)) {
	b.target.setAttr(typeMessage, fn)
	if fn != nil {
		b.start()
	}
}

// SetOnMessageError sets the onmessageerror handler; nil removes it. Its
// event's Data is a *PanicError when a "message" listener panicked, a
// *DataCloneError when the channel's own clone of a message failed, the
// bus's error when a message could not be received (for natsbus: decoded),
// or the error of the bus's Subscribe when the channel could not start
// receiving (it tries again each time it is started or receives).
func (b *BroadcastChannel) SetOnMessageError(fn func(*MessageEvent)) {
	b.target.setAttr(typeMessageError, fn)
}

// Receive takes the next message for the channel without dispatching it,
// starting to receive if the channel had not. It blocks until a message
// arrives, ctx is done (ctx.Err()), or the channel is closed (ErrClosed). A
// message the bus could not receive, or that the channel could not clone,
// and a failed Subscribe come back as an event of Type "messageerror" with
// the error as Data.
func (b *BroadcastChannel) Receive(ctx context.Context) (*MessageEvent, error) {
	b.subscribe()
	ev, err := b.box.Take(ctx)
	if err != nil {
		return nil, portError(err)
	}
	unshare(ev)
	return ev, nil
}

// TryReceive takes the next message if one is queued, without blocking,
// starting to receive if the channel had not.
func (b *BroadcastChannel) TryReceive() (*MessageEvent, bool) {
	b.subscribe()
	ev, ok := b.box.TryTake()
	if ok {
		unshare(ev)
	}
	return ev, ok
}

// Messages returns an iterator over the channel's messages, taken with
// Receive, until the channel is closed or ctx is done. Like Receive, it
// starts receiving, but only when the loop first asks for a message.
func (b *BroadcastChannel) Messages(ctx context.Context) iter.Seq[*MessageEvent] {
	return receiveAll(ctx, b.Receive)
}

// Done returns a channel that is closed once the channel is closed and will
// dispatch nothing more.
func (b *BroadcastChannel) Done() <-chan struct{} { return b.box.Done() }
