package msgport

import (
	"sync/atomic"

	"github.com/seed01aa7ee5/msgport/internal/registry"
)

// Bus is where broadcast channels of the same name meet. The default bus
// joins the channels of one process; natsbus joins processes and machines.
// To write another (Redis, a test double), implement the two methods below:
// BroadcastChannel subscribes when it starts receiving and publishes on
// PostMessage.
type Bus interface {
	// Subscribe adds sub to the channel called name: from when Subscribe
	// returns until cancel is called, sub receives every message published
	// to name with a from other than sub (publishers need not be
	// subscribed), in each publisher's order. A Publish already under way
	// when cancel is called may still reach sub; none that starts after
	// cancel returns does. An error means sub was not added.
	Subscribe(name string, sub Subscriber) (cancel func(), err error)

	// Publish delivers msg to every subscriber of name except from (which
	// may or may not be subscribed), on this bus and wherever the bus
	// reaches. msg is already a private clone; it must not be modified, and
	// is the same value for every subscriber (each clones its own copy).
	// Publish must not block on a slow subscriber and must be safe for
	// concurrent use.
	Publish(name string, from Subscriber, msg any) error
}

// OriginalPublisher is an optional interface of a Bus that copies messages
// by encoding them, so that the clone PostMessage takes first would be a
// copy made only to be read once and dropped. BroadcastChannel.PostMessage
// on such a Bus calls PublishOriginal with the sender's own message
// instead of Publish with a clone.
//
// PublishOriginal must behave exactly as Publish(name, from, c) would with
// c, err := StructuredClone(msg): fail with that *DataCloneError, unwrapped,
// where the clone fails, and otherwise deliver and return what Publish
// would. msg belongs to the sender: PublishOriginal reads it on the
// calling goroutine only, modifies nothing in it, and keeps nothing it
// reaches once it returns. natsbus implements it.
type OriginalPublisher interface {
	PublishOriginal(name string, from Subscriber, msg any) error
}

// Subscriber is the receiving end of a BroadcastChannel, as a Bus sees it.
// Its methods are safe for concurrent use and do not block.
type Subscriber interface {
	// Deliver queues msg for the channel. It does not keep or modify msg:
	// the channel takes its own clone.
	Deliver(msg any)
	// DeliverError reports a message for the channel that could not be
	// received (for instance, not decoded); the channel fires
	// "messageerror" with err as Data.
	DeliverError(err error)
}

// Owner is an optional interface of a Subscriber: DeliverOwned queues msg
// itself, without taking a clone. A Bus may call it instead of Deliver when
// msg is a value nobody else holds or will read again — the last use of a
// published clone, or a message it has just decoded — and must not touch
// msg afterwards. The subscribers of BroadcastChannels implement it.
type Owner interface {
	Subscriber
	DeliverOwned(msg any)
}

// LocalBus is a Bus inside one process: Publish hands the message to every
// other subscriber of the name directly. Channels made without WithBus share
// one LocalBus; make another for an isolated group (tests, tenants).
type LocalBus struct {
	reg registry.Registry[Subscriber]
}

// defaultBus is the process-wide bus of channels made without WithBus.
var defaultBus = new(LocalBus)

// NewLocalBus returns a new, empty in-process bus.
func NewLocalBus() *LocalBus { return new(LocalBus) }

// Subscribe implements Bus. It never fails.
func (b *LocalBus) Subscribe(name string, sub Subscriber) (func(), error) {
	b.reg.Add(name, sub)
	return func() { b.reg.Remove(name, sub) }, nil
}

// Publish implements Bus with DeliverAll over the subscribers of name, in
// the calling goroutine, holding no lock. It never fails.
func (b *LocalBus) Publish(name string, from Subscriber, msg any) error {
	DeliverAll(b.reg.Members(name), from, msg)
	return nil
}

// DeliverAll is the fan-out of a Bus: it delivers msg to every member but
// from, and msg must not be used after it. Members of other kinds come
// first: Deliver takes its clone before it returns, and the last of them,
// if it is an Owner and no BroadcastChannel of this package follows, is
// handed msg itself with DeliverOwned. This package's BroadcastChannels
// then share msg: each takes its own clone when the message reaches it —
// on its dispatcher, or on the goroutine that calls Receive — so the copies
// of a fan-out are made in parallel and a slow one holds up neither the
// publisher nor the other channels; a channel that finds every other one
// has taken its clone gets msg itself, sparing a clone (not always the last
// one: see BroadcastChannel). DeliverAll does not block.
func DeliverAll(members []Subscriber, from Subscriber, msg any) {
	ours := 0
	var prev Subscriber // the previous member of another kind, not yet delivered to
	for _, s := range members {
		if s == from {
			continue
		}
		if _, ok := s.(*subscriber); ok {
			ours++
			continue
		}
		if prev != nil {
			prev.Deliver(msg)
		}
		prev = s
	}
	if own, ok := prev.(Owner); ok && ours == 0 {
		own.DeliverOwned(msg)
	} else if prev != nil {
		prev.Deliver(msg)
	}
	if ours == 0 {
		return
	}
	data := msg
	if ours > 1 {
		sh := &sharedMessage{msg: msg}
		sh.left.Store(int64(ours))
		data = sh
	}
	for _, s := range members {
		if sub, ok := s.(*subscriber); ok && s != from {
			sub.DeliverOwned(data) // msg itself, or shared
		}
	}
}

// sharedMessage is a published message queued for several channels, each
// of which takes its own clone of it when it receives it.
type sharedMessage struct {
	msg  any
	left atomic.Int64 // channels that have not yet taken their clone
}

// unshare replaces a shared message in ev, which its channel is about to
// hand out, by the channel's own copy: msg itself when every other channel
// has taken its clone already, else a clone. (A channel closed with the
// message still queued never takes it, so then the last one clones too.) A
// clone that fails makes ev a "messageerror" event carrying the error.
func unshare(ev *MessageEvent) {
	sh, ok := ev.Data.(*sharedMessage)
	if !ok {
		return
	}
	if sh.left.Load() == 1 {
		ev.Data = sh.msg // the others are done reading it
		return
	}
	data, err := cloneValue(sh.msg, nil)
	sh.left.Add(-1) // after the clone: whoever sees 1 next may own msg
	if err != nil {
		ev.Type, ev.Data = typeMessageError, err
		return
	}
	ev.Data = data
}
