package msgport_test

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/seed01aa7ee5/msgport"
)

// SPEC 5.1, 5.2: every other started channel of the name gets its own
// clone; never the sender, never other names, never a channel made after
// the post.
func TestBroadcastReachesEveryOtherChannel(t *testing.T) {
	bus := msgport.NewLocalBus()
	on := func(name string) (*msgport.BroadcastChannel, *recorder) {
		r := newRecorder()
		b := msgport.NewBroadcastChannel(name, msgport.WithBus(bus), msgport.WithOnMessage(r.fn))
		t.Cleanup(func() { b.Close() })
		return b, r
	}
	sender, self := on("room")
	_, r1 := on("room")
	_, r2 := on("room")
	_, other := on("other room")
	postOnly := msgport.NewBroadcastChannel("room", msgport.WithBus(bus)) // never started
	defer postOnly.Close()
	if sender.Name() != "room" {
		t.Fatalf("Name() = %q", sender.Name())
	}
	msg := map[string][]int{"n": {1, 2}}
	if err := sender.PostMessage(msg); err != nil {
		t.Fatal(err)
	}
	msg["n"][0] = 100 // after PostMessage: receivers must not see it
	_, late := on("room")
	got1, got2 := r1.next(t).Data.(map[string][]int), r2.next(t).Data.(map[string][]int)
	want := map[string][]int{"n": {1, 2}}
	if d := cmp.Diff(want, got1); d != "" {
		t.Fatalf("receiver 1 (-want +got):\n%s", d)
	}
	if d := cmp.Diff(want, got2); d != "" {
		t.Fatalf("receiver 2 (-want +got):\n%s", d)
	}
	if &got1["n"][0] == &got2["n"][0] {
		t.Fatal("two receivers share one copy")
	}
	// A second post, to flush: whoever got nothing so far gets only it.
	if err := sender.PostMessage("flush"); err != nil {
		t.Fatal(err)
	}
	r1.next(t)
	r2.next(t)
	if e := late.next(t); e.Data != "flush" {
		t.Fatalf("a channel made after the post got %v", e.Data)
	}
	if ev, ok := postOnly.TryReceive(); ok {
		t.Fatalf("a channel not yet started kept %v", ev.Data)
	}
	self.none(t)
	other.none(t)
}

// SPEC 5.2: in one process each receiver sees posts in the order the
// PostMessage calls returned, whoever posted them.
func TestBroadcastOrder(t *testing.T) {
	bus := msgport.NewLocalBus()
	const senders, each = 4, 500
	var chans []*msgport.BroadcastChannel
	for range senders {
		chans = append(chans, msgport.NewBroadcastChannel("order", msgport.WithBus(bus)))
	}
	rx := msgport.NewBroadcastChannel("order", msgport.WithBus(bus))
	rx.TryReceive() // start receiving
	defer rx.Close()
	// Senders take turns: each post happens-after the previous one.
	var turn sync.Mutex
	var seq atomic.Int64
	var wg sync.WaitGroup
	for _, c := range chans {
		wg.Go(func() {
			defer c.Close()
			for range each {
				turn.Lock()
				if err := c.PostMessage(seq.Add(1)); err != nil {
					t.Error(err)
				}
				turn.Unlock()
			}
		})
	}
	wg.Wait()
	for i := int64(1); i <= senders*each; i++ {
		if v := receive(t, rx).Data; v != i {
			t.Fatalf("message %v arrived as number %d", v, i)
		}
	}
}

// SPEC 5.3, 5.5: a channel closed before dispatch gets nothing, even what
// was queued for it; closing inside a handler cancels queued deliveries.
func TestBroadcastCloseDropsQueued(t *testing.T) {
	bus := msgport.NewLocalBus()
	sender := msgport.NewBroadcastChannel("c", msgport.WithBus(bus))
	defer sender.Close()
	var calls atomic.Int32
	var rx *msgport.BroadcastChannel
	rx = msgport.NewBroadcastChannel("c", msgport.WithBus(bus), msgport.WithOnMessage(func(*msgport.MessageEvent) {
		calls.Add(1)
		rx.Close()
	}))
	queuedOnly := msgport.NewBroadcastChannel("c", msgport.WithBus(bus))
	queuedOnly.TryReceive()
	for i := range 100 {
		if err := sender.PostMessage(i); err != nil {
			t.Fatal(err)
		}
	}
	await(t, rx.Done(), "rx closed")
	if n := calls.Load(); n != 1 {
		t.Fatalf("handler ran %d times after closing itself", n)
	}
	queuedOnly.Close()
	if ev, ok := queuedOnly.TryReceive(); ok {
		t.Fatalf("closed channel still delivered %v", ev.Data)
	}
	if err := queuedOnly.Close(); err != nil { // idempotent
		t.Fatal(err)
	}
}

// SPEC 5.4: ErrClosed after Close (checked before cloning); DataCloneError
// for an uncloneable value.
func TestBroadcastPostErrors(t *testing.T) {
	b := msgport.NewBroadcastChannel("errs", msgport.WithBus(msgport.NewLocalBus()))
	var dce *msgport.DataCloneError
	if err := b.PostMessage(map[string]any{"f": func() {}}); !errors.As(err, &dce) || dce.Path != `["f"]` {
		t.Fatalf("PostMessage(func) = %v, want DataCloneError at [\"f\"]", err)
	}
	b.Close()
	if err := b.PostMessage(func() {}); !errors.Is(err, msgport.ErrClosed) {
		t.Fatalf("PostMessage after Close = %v, want ErrClosed", err)
	}
	if _, err := b.Receive(ctxT(t)); !errors.Is(err, msgport.ErrClosed) {
		t.Fatalf("Receive after Close = %v, want ErrClosed", err)
	}
}

// SPEC 3.4 on broadcast channels: a panicking handler fires messageerror;
// a delivery error from the bus fires messageerror too (5.6, Deno).
func TestBroadcastMessageError(t *testing.T) {
	bus := &faultyBus{LocalBus: msgport.NewLocalBus()}
	r := newRecorder()
	rx := msgport.NewBroadcastChannel("e", msgport.WithBus(bus))
	defer rx.Close()
	rx.AddEventListener("message", func(e *msgport.MessageEvent) {
		if e.Data == "panic" {
			panic("boom")
		}
	})
	rx.AddEventListener("message", r.fn)
	rx.SetOnMessageError(r.fn)
	tx := msgport.NewBroadcastChannel("e", msgport.WithBus(bus))
	defer tx.Close()
	tx.PostMessage("panic")
	bus.failNext("e")
	tx.PostMessage("after")
	var got []string
	for range 4 {
		e := r.next(t)
		got = append(got, fmt.Sprintf("%s:%v", e.Type, e.Data))
	}
	want := []string{"messageerror:msgport: panic: boom", "message:panic", "messageerror:undecodable", "message:after"}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("events (-want +got):\n%s", d)
	}
}

// faultyBus is a test double Bus: it reports one undecodable message to
// every subscriber when told to.
type faultyBus struct {
	*msgport.LocalBus
	mu   sync.Mutex
	subs []msgport.Subscriber
}

func (b *faultyBus) Subscribe(name string, s msgport.Subscriber) (func(), error) {
	b.mu.Lock()
	b.subs = append(b.subs, s)
	b.mu.Unlock()
	return b.LocalBus.Subscribe(name, s)
}

func (b *faultyBus) failNext(string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, s := range b.subs {
		s.DeliverError(errors.New("undecodable"))
	}
}

// Pull style: Receive starts the channel and Messages iterates.
func TestBroadcastPull(t *testing.T) {
	bus := msgport.NewLocalBus()
	rx := msgport.NewBroadcastChannel("pull", msgport.WithBus(bus))
	rx.TryReceive()
	tx := msgport.NewBroadcastChannel("pull", msgport.WithBus(bus))
	defer tx.Close()
	for i := range 3 {
		tx.PostMessage(i)
	}
	var got []any
	for ev := range rx.Messages(ctxT(t)) {
		got = append(got, ev.Data)
		if len(got) == 3 {
			rx.Close()
		}
	}
	if d := cmp.Diff([]any{0, 1, 2}, got); d != "" {
		t.Fatalf("(-want +got):\n%s", d)
	}
}

// originalBus is a test double OriginalPublisher: it records what
// PublishOriginal is handed.
type originalBus struct {
	*msgport.LocalBus
	got  []any
	from []msgport.Subscriber
}

func (b *originalBus) PublishOriginal(name string, from msgport.Subscriber, msg any) error {
	b.got = append(b.got, msg)
	b.from = append(b.from, from)
	return errors.New("refused")
}

// On an OriginalPublisher, PostMessage hands the bus the sender's own
// message, returns the bus's error as is, and still checks for Close
// first; on any other Bus, Publish gets a clone.
func TestBroadcastOriginalPublisher(t *testing.T) {
	msg := &[]int{1, 2}
	bus := &originalBus{LocalBus: msgport.NewLocalBus()}
	tx := msgport.NewBroadcastChannel("orig", msgport.WithBus(bus))
	if err := tx.PostMessage(msg); err == nil || err.Error() != "refused" {
		t.Fatalf("PostMessage = %v, want the bus's error", err)
	}
	if len(bus.got) != 1 || bus.got[0] != any(msg) {
		t.Fatalf("PublishOriginal got %v, want the sender's pointer %p", bus.got, msg)
	}
	if bus.from[0] == nil {
		t.Fatal("PublishOriginal got a nil from")
	}
	tx.Close()
	if err := tx.PostMessage(msg); !errors.Is(err, msgport.ErrClosed) {
		t.Fatalf("PostMessage after Close = %v, want ErrClosed", err)
	}
	if len(bus.got) != 1 {
		t.Fatalf("PublishOriginal called after Close")
	}

	local := &recordingBus{LocalBus: msgport.NewLocalBus()}
	tx = msgport.NewBroadcastChannel("orig", msgport.WithBus(local))
	defer tx.Close()
	if err := tx.PostMessage(msg); err != nil {
		t.Fatal(err)
	}
	if got, ok := local.got.(*[]int); !ok || got == msg || !cmp.Equal(*got, *msg) {
		t.Fatalf("Publish got %v (%p), want a clone of %v", local.got, local.got, *msg)
	}
}

// recordingBus is a Bus that records the last message published.
type recordingBus struct {
	*msgport.LocalBus
	got any
}

func (b *recordingBus) Publish(name string, from msgport.Subscriber, msg any) error {
	b.got = msg
	return b.LocalBus.Publish(name, from, msg)
}
