package natsbus_test

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/seed01aa7ee5/msgport"
	"github.com/seed01aa7ee5/msgport/natsbus"
)

// A post reaches every other channel of its name once, whether on the same
// Bus or on another connection, and never the sender or another name.
//
// Nothing sleeps: "exactly once" is shown with fences. A fence posted on
// bus1 after the message reaches bus2 through the same connection and
// subject, so any copy of the message that bus2 would wrongly deliver
// arrives before it; likewise a fence from bus2 for what bus1 receives from
// NATS (its own echo, which it must ignore).
func TestDeliveryAcrossConnections(t *testing.T) {
	bus1, bus2 := pair(t)
	a := join(t, bus1, "room")
	b := join(t, bus2, "room")
	c := join(t, bus2, "room")
	d := join(t, bus1, "room")
	other1 := join(t, bus1, "hall")
	other2 := join(t, bus2, "hall")
	prefix1 := join(t, bus1, "roo")
	fence1 := sender(t, bus1, "room")
	fence2 := sender(t, bus2, "room")
	hallFence := sender(t, bus1, "hall")
	prefixFence := sender(t, bus1, "roo")

	post(t, a, "hello")
	for _, ch := range []*msgport.BroadcastChannel{b, c, d} {
		if got := nextData(t, ch); got != "hello" {
			t.Fatalf("got %v, want hello", got)
		}
	}
	post(t, fence1, "fence1")
	post(t, fence2, "fence2")
	post(t, hallFence, "hall fence")
	post(t, prefixFence, "roo fence")

	// Each receiver gets exactly the two fences now, in any order between
	// them.
	for name, ch := range map[string]*msgport.BroadcastChannel{"a": a, "b": b, "c": c, "d": d} {
		got := []any{nextData(t, ch), nextData(t, ch)}
		if !(got[0] == "fence1" && got[1] == "fence2" || got[0] == "fence2" && got[1] == "fence1") {
			t.Errorf("%s: got %v after the message, want the two fences only", name, got)
		}
		empty(t, ch)
	}
	for _, ch := range []*msgport.BroadcastChannel{other1, other2} {
		if got := nextData(t, ch); got != "hall fence" {
			t.Errorf("other name: got %v, want only the hall fence", got)
		}
		empty(t, ch)
	}
	if got := nextData(t, prefix1); got != "roo fence" {
		t.Errorf("name sharing a prefix: got %v, want only its fence", got)
	}
	empty(t, prefix1)
}

// Names are arbitrary strings: dots, wildcards, spaces, the empty string,
// invalid UTF-8 and very long names each get a subject of their own.
func TestArbitraryNames(t *testing.T) {
	bus1, bus2 := pair(t)
	names := []string{"", ".", "a.b", "*", ">", "a b", "\x00\xff", "日本", strings.Repeat("x", 193), strings.Repeat("x", 194), strings.Repeat("long.", 2000)}
	var recv []*msgport.BroadcastChannel
	seen := map[string]bool{}
	for _, n := range names {
		recv = append(recv, join(t, bus2, n))
		subj := bus1.Subject(n)
		if seen[subj] {
			t.Fatalf("two names share subject %s", subj)
		}
		seen[subj] = true
	}
	for _, n := range names {
		post(t, sender(t, bus1, n), n)
	}
	for i, n := range names {
		if got := nextData(t, recv[i]); got != n {
			t.Errorf("channel %.20q got %.20q", n, got)
		}
	}
	for _, ch := range recv {
		post(t, sender(t, bus1, ch.Name()), "fence")
		if got := nextData(t, ch); got != "fence" {
			t.Errorf("channel %.20q got %.20q, want only its own messages", ch.Name(), got)
		}
	}
}

// Messages from one sender arrive in post order, locally and remotely, and
// two senders on two Buses each keep their order at every receiver.
func TestPerSenderOrder(t *testing.T) {
	const n = 10000
	s := startServer(t, -1)
	bus1 := newBus(t, connect(t, s.ClientURL()))
	bus2 := newBus(t, connect(t, s.ClientURL()))
	bus3 := newBus(t, connect(t, s.ClientURL()))
	remote := join(t, bus2, "seq")
	local := join(t, bus1, "seq")
	s1 := sender(t, bus1, "seq")
	s3 := sender(t, bus3, "seq")

	var wg sync.WaitGroup
	for _, snd := range []struct {
		ch  *msgport.BroadcastChannel
		tag string
	}{{s1, "one"}, {s3, "three"}} {
		wg.Go(func() {
			for i := range n {
				if err := snd.ch.PostMessage(fmt.Sprintf("%s %d", snd.tag, i)); err != nil {
					t.Errorf("post: %v", err)
					return
				}
			}
		})
	}
	for _, ch := range []*msgport.BroadcastChannel{remote, local} {
		nextSeq := map[string]int{}
		for range 2 * n {
			var tag string
			var i int
			if _, err := fmt.Sscanf(nextData(t, ch).(string), "%s %d", &tag, &i); err != nil {
				t.Fatal(err)
			}
			if i != nextSeq[tag] {
				t.Fatalf("%s: from %s got #%d, want #%d", ch.Name(), tag, i, nextSeq[tag])
			}
			nextSeq[tag]++
		}
	}
	wg.Wait()
}

// One NATS subscription per name with receivers, whatever their number;
// none once the last has left.
func TestOneSubscriptionPerName(t *testing.T) {
	s := startServer(t, -1)
	nc := connect(t, s.ClientURL())
	bus := newBus(t, nc)
	want := func(n int) {
		t.Helper()
		if got := nc.NumSubscriptions(); got != n {
			t.Fatalf("%d NATS subscriptions, want %d", got, n)
		}
	}
	want(0)
	sender(t, bus, "quiet") // a channel that only posts does not subscribe
	want(0)
	x1 := join(t, bus, "x")
	x2 := join(t, bus, "x")
	want(1)
	y := join(t, bus, "y")
	want(2)
	x1.Close()
	want(2)
	x2.Close()
	want(1)
	x3 := join(t, bus, "x") // a name can come back
	want(2)
	x3.Close()
	y.Close()
	want(0)

	// cancel is idempotent, and one cancel takes out one subscription of
	// a subscriber that joined twice.
	sub := &recorder{}
	c1, err := bus.Subscribe("z", sub)
	if err != nil {
		t.Fatal(err)
	}
	c2, err := bus.Subscribe("z", sub)
	if err != nil {
		t.Fatal(err)
	}
	c1()
	c1()
	want(1)
	c2()
	want(0)
}

// recorder is a msgport.Subscriber that keeps what it gets.
type recorder struct {
	mu   sync.Mutex
	msgs []any
	errs []error
	got  chan struct{}
}

func (r *recorder) Deliver(msg any) {
	r.mu.Lock()
	r.msgs = append(r.msgs, msg)
	r.mu.Unlock()
	r.signal()
}

func (r *recorder) DeliverError(err error) {
	r.mu.Lock()
	r.errs = append(r.errs, err)
	r.mu.Unlock()
	r.signal()
}

func (r *recorder) signal() {
	if r.got != nil {
		select {
		case r.got <- struct{}{}:
		default:
		}
	}
}

// Close unsubscribes, is idempotent, leaves the connection open, and makes
// Publish and Subscribe fail with ErrClosed; channels on the closed Bus
// receive nothing more.
func TestClose(t *testing.T) {
	s := startServer(t, -1)
	nc1 := connect(t, s.ClientURL())
	bus1 := newBus(t, nc1)
	bus2 := newBus(t, connect(t, s.ClientURL()))
	gone := join(t, bus1, "c")
	peer := join(t, bus2, "c")
	from2 := sender(t, bus2, "c")

	post(t, from2, "before")
	if got := nextData(t, gone); got != "before" {
		t.Fatalf("got %v", got)
	}
	if got := nextData(t, peer); got != "before" {
		t.Fatalf("got %v", got)
	}

	if err := bus1.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := bus1.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if n := nc1.NumSubscriptions(); n != 0 {
		t.Errorf("%d NATS subscriptions left after Close", n)
	}
	if !nc1.IsConnected() {
		t.Error("Close closed the connection")
	}
	if err := bus1.Publish("c", nil, "x"); !isClosed(err) {
		t.Errorf("Publish after Close: %v, want ErrClosed", err)
	}
	if _, err := bus1.Subscribe("c", &recorder{}); !isClosed(err) {
		t.Errorf("Subscribe after Close: %v, want ErrClosed", err)
	}
	if err := sender(t, bus1, "c").PostMessage("x"); !isClosed(err) {
		t.Errorf("PostMessage on a closed Bus: %v, want ErrClosed", err)
	}

	// The channel on the closed Bus hears nothing more; its peer does.
	post(t, from2, "after")
	if got := nextData(t, peer); got != "after" {
		t.Fatalf("got %v", got)
	}
	// (With no NATS subscription left on nc1, nothing can reach it.)
	empty(t, gone)
	gone.Close() // the cancel of a closed Bus is harmless
}

// New refuses a nil or closed connection; the options panic on misuse.
func TestNewAndOptions(t *testing.T) {
	if _, err := natsbus.New(nil); err == nil {
		t.Error("New(nil) succeeded")
	}
	s := startServer(t, -1)
	nc := connect(t, s.ClientURL())
	nc.Close()
	if _, err := natsbus.New(nc); !errors.Is(err, nats.ErrConnectionClosed) {
		t.Errorf("New(closed conn) = %v, want ErrConnectionClosed", err)
	}
	for name, f := range map[string]func(){
		"empty prefix":         func() { natsbus.WithSubjectPrefix("") },
		"wildcard prefix":      func() { natsbus.WithSubjectPrefix("a.*") },
		"trailing dot":         func() { natsbus.WithSubjectPrefix("a.") },
		"register int":         func() { natsbus.WithTypes(1) },
		"register nil":         func() { natsbus.WithTypes(nil) },
		"register anon struct": func() { natsbus.WithTypes(struct{}{}) },
		"register time":        func() { natsbus.WithTypes(timeSample) },
		"zero pending limit":   func() { natsbus.WithPendingLimits(0, 1) },
	} {
		func() {
			defer func() {
				r := recover()
				if r == nil || !strings.HasPrefix(fmt.Sprint(r), "natsbus: ") {
					t.Errorf("%s: recovered %v, want a natsbus panic", name, r)
				}
			}()
			f()
		}()
	}
}

// Buses with different prefixes do not meet; with equal ones they do.
func TestSubjectPrefix(t *testing.T) {
	s := startServer(t, -1)
	a := newBus(t, connect(t, s.ClientURL()), natsbus.WithSubjectPrefix("tenant.a"))
	a2 := newBus(t, connect(t, s.ClientURL()), natsbus.WithSubjectPrefix("tenant.a"))
	b := newBus(t, connect(t, s.ClientURL()), natsbus.WithSubjectPrefix("tenant.b"))
	if got := a.Subject("x"); got != "tenant.a.beA" {
		t.Errorf("Subject = %q", got)
	}
	onB := join(t, b, "x")
	onA2 := join(t, a2, "x")
	post(t, sender(t, a, "x"), "for a")
	if got := nextData(t, onA2); got != "for a" {
		t.Fatalf("got %v", got)
	}
	post(t, sender(t, b, "x"), "for b") // fence on b's subject
	if got := nextData(t, onB); got != "for b" {
		t.Fatalf("b got %v, want only its own", got)
	}
}

// A message larger than the server's max_payload fails before anything is
// delivered, locally or remotely.
func TestTooLarge(t *testing.T) {
	bus1, bus2 := pair(t)
	local := join(t, bus1, "big")
	remote := join(t, bus2, "big")
	from := sender(t, bus1, "big")
	err := from.PostMessage(make([]byte, 2<<20))
	if err == nil || !strings.Contains(err.Error(), "too large") {
		t.Fatalf("PostMessage of 2 MiB = %v, want a too large error", err)
	}
	post(t, from, "small")
	for _, ch := range []*msgport.BroadcastChannel{local, remote} {
		if got := nextData(t, ch); got != "small" {
			t.Fatalf("got %v, want small only", got)
		}
	}
}

// Two Buses on one connection are two members of the system like any
// other.
func TestTwoBusesOneConnection(t *testing.T) {
	s := startServer(t, -1)
	nc := connect(t, s.ClientURL())
	bus1, bus2 := newBus(t, nc), newBus(t, nc)
	a := join(t, bus1, "n")
	b := join(t, bus2, "n")
	post(t, a, 1)
	if got := nextData(t, b); got != int64(1) {
		t.Fatalf("got %#v", got)
	}
	post(t, b, 2)
	if got := nextData(t, a); got != int64(2) {
		t.Fatalf("got %#v", got)
	}
	post(t, sender(t, bus1, "n"), 3) // fence for b, through the subscription its own post would have come back on
	if got := nextData(t, b); got != int64(3) {
		t.Fatalf("got %#v", got)
	}
}

// Subscribe waits for the server's confirmation, so a message posted from
// another connection right after it returns is not lost.
func TestSubscribeIsConfirmed(t *testing.T) {
	bus1, bus2 := pair(t)
	for i := range 50 {
		ch := join(t, bus2, fmt.Sprint("late", i))
		post(t, sender(t, bus1, ch.Name()), i)
		if got := nextData(t, ch); got != int64(i) {
			t.Fatalf("got %v", got)
		}
	}
}

// On a connection closed for good, PostMessage still delivers in the process
// and says that NATS did not take the message.
func TestClosedConnection(t *testing.T) {
	s := startServer(t, -1)
	nc := connect(t, s.ClientURL())
	bus := newBus(t, nc)
	local := join(t, bus, "c")
	from := sender(t, bus, "c")
	nc.Close()
	err := from.PostMessage("still here")
	if !errors.Is(err, nats.ErrConnectionClosed) {
		t.Errorf("PostMessage on a closed connection = %v, want ErrConnectionClosed", err)
	}
	if got := nextData(t, local); got != "still here" {
		t.Errorf("local channel got %v", got)
	}
	if _, err := bus.Subscribe("other", &recorder{}); !errors.Is(err, nats.ErrConnectionClosed) {
		t.Errorf("Subscribe on a closed connection = %v", err)
	}
}

// blocker is a Subscriber whose first Deliver blocks until release is
// closed (breaking the contract on purpose, to make the Bus fall behind).
type blocker struct {
	entered chan struct{}
	release chan struct{}
	once    sync.Once
	got     chan any
}

func (b *blocker) Deliver(msg any) {
	b.once.Do(func() {
		close(b.entered)
		<-b.release
	})
	b.got <- msg
}

func (b *blocker) DeliverError(err error) { b.got <- err }

// When nats.go drops messages for a subscription that fell behind its
// pending limits, the error handler hears of it, and delivery goes on.
func TestSlowConsumer(t *testing.T) {
	s := startServer(t, -1)
	quiet := nats.ErrorHandler(func(*nats.Conn, *nats.Subscription, error) {}) // nats.go's own report of the drop
	nc1, nc2 := connect(t, s.ClientURL()), connect(t, s.ClientURL(), quiet)
	sink := make(errorSink, 16)
	bus1 := newBus(t, nc1)
	bus2 := newBus(t, nc2, natsbus.WithPendingLimits(1, -1), sink.option())
	sub := &blocker{entered: make(chan struct{}), release: make(chan struct{}), got: make(chan any, 100)}
	cancel, err := bus2.Subscribe("slow", sub)
	if err != nil {
		t.Fatal(err)
	}
	defer cancel()

	if err := bus1.Publish("slow", nil, 0); err != nil {
		t.Fatal(err)
	}
	<-sub.entered // message 0 is being delivered, and blocks
	for i := 1; i <= 10; i++ {
		if err := bus1.Publish("slow", nil, i); err != nil {
			t.Fatal(err)
		}
	}
	// Once both round trips are done, nc2 has read all ten and dropped
	// them: the one being delivered already fills the limit.
	if err := nc1.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := nc2.Flush(); err != nil {
		t.Fatal(err)
	}
	close(sub.release)
	select {
	case err := <-sink:
		if !errors.Is(err, nats.ErrSlowConsumer) || !strings.Contains(err.Error(), "dropped 10 messages") {
			t.Errorf("error handler got %v", err)
		}
	case <-time.After(waitFor):
		t.Fatal("no slow consumer error")
	}
	// The error is reported from inside nats.go's delivery callback, and
	// nats.go counts message 0 as pending until its loop comes round
	// again; nats.go has no signal for that, so poll for it.
	for deadline := time.Now().Add(waitFor); bus2.Pending("slow") != 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("nats.go still holds message 0")
		}
	}
	if err := bus1.Publish("slow", nil, 11); err != nil {
		t.Fatal(err)
	}
	var got []any
	for len(got) == 0 || got[len(got)-1] != int64(11) {
		select {
		case v := <-sub.got:
			got = append(got, v)
		case <-time.After(waitFor):
			t.Fatalf("delivery stopped after %v", got)
		}
	}
	if want := []any{int64(0), int64(11)}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

// owner is a recorder that also takes messages as a msgport.Owner.
type owner struct {
	recorder
	owned []any
}

func (o *owner) DeliverOwned(msg any) {
	o.mu.Lock()
	o.owned = append(o.owned, msg)
	o.mu.Unlock()
	o.signal()
}

// A decoded message belongs to nobody, and a published clone is not used
// after local delivery, so the Bus hands either over with msgport.DeliverAll:
// the last member that is not a BroadcastChannel gets the message itself
// with DeliverOwned, if it is a msgport.Owner and no BroadcastChannel is
// among the members; every other member gets Deliver (and takes its own
// clone). Here the two members are plain subscribers, the last an Owner.
func TestOwnedDelivery(t *testing.T) {
	bus1, bus2 := pair(t)
	for _, tc := range []struct {
		name string
		via  *natsbus.Bus // the bus that publishes
	}{
		{"decoded from NATS", bus1},
		{"published in this process", bus2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ch := "owned-" + strings.ReplaceAll(tc.name, " ", "-")
			first := &recorder{got: make(chan struct{}, 1)}
			last := &owner{recorder: recorder{got: make(chan struct{}, 1)}}
			for _, s := range []msgport.Subscriber{first, last} {
				cancel, err := bus2.Subscribe(ch, s)
				if err != nil {
					t.Fatal(err)
				}
				defer cancel()
			}
			if err := tc.via.Publish(ch, nil, map[string]any{"n": int64(1)}); err != nil {
				t.Fatal(err)
			}
			for _, got := range []chan struct{}{first.got, last.got} {
				select {
				case <-got:
				case <-time.After(waitFor):
					t.Fatal("not delivered")
				}
			}
			first.mu.Lock()
			last.mu.Lock()
			defer first.mu.Unlock()
			defer last.mu.Unlock()
			if len(first.msgs) != 1 || len(last.owned) != 1 || len(last.msgs) != 0 {
				t.Fatalf("Deliver to the first: %v; DeliverOwned to the last: %v, Deliver: %v", first.msgs, last.owned, last.msgs)
			}
		})
	}
}

type (
	// Secretive is registered in TestPostMessageOriginal: its clone
	// hides the secret.
	Secretive struct{ Secret string }
	// hiddenHook holds a func where the encoder does not look.
	hiddenHook struct {
		Name string
		hook func()
	}
)

func (Secretive) CloneMessage() (any, error) { return Secretive{Secret: "***"}, nil }

// PostMessage on a Bus hands it the sender's own message
// (msgport.OriginalPublisher), and what arrives, or the error, is what the
// clone would have given: later changes by the sender are not seen, a
// value the clone refuses fails with its *DataCloneError and one that
// cannot be encoded with Publish's error, both reaching nobody, a
// CloneMessage method is applied, and a channel on the sending Bus gets
// its own copy.
func TestPostMessageOriginal(t *testing.T) {
	bus1, bus2 := pair(t, natsbus.WithTypes(Secretive{}))
	remote := join(t, bus2, "orig")
	from := join(t, bus1, "orig") // subscribed itself: no other local member

	msg := map[string]any{"list": []any{1, "a"}}
	post(t, from, msg)
	msg["list"].([]any)[0] = 2
	if got := nextData(t, remote); !reflect.DeepEqual(got, map[string]any{"list": []any{int64(1), "a"}}) {
		t.Fatalf("got %#v, want the message as posted", got)
	}

	err := from.PostMessage(hiddenHook{Name: "x", hook: func() {}})
	var dce *msgport.DataCloneError
	if !errors.As(err, &dce) || dce.Path != ".hook" {
		t.Fatalf("PostMessage = %v, want a *DataCloneError at .hook", err)
	}

	// The clone succeeds; encoding fails, as encoding the clone would.
	err = from.PostMessage(map[any]int{1: 1, int64(1): 2})
	if err == nil || !strings.HasPrefix(err.Error(), "natsbus: cannot send") {
		t.Fatalf("PostMessage = %v, want Publish's error for keys that would arrive as one", err)
	}

	post(t, from, Secretive{Secret: "s"})
	if got := nextData(t, remote); got != (Secretive{Secret: "***"}) {
		t.Fatalf("got %#v, want what CloneMessage returns", got)
	}

	local := join(t, bus1, "orig")
	post(t, from, "both")
	for _, ch := range []*msgport.BroadcastChannel{local, remote} {
		if got := nextData(t, ch); got != "both" {
			t.Fatalf("channel on %v: got %#v, want both", ch, got)
		}
	}
	empty(t, from)
}

// With no other subscriber of the name on the sending Bus than the sender
// itself, a plain message is encoded without a clone: PublishOriginal
// allocates less than cloning and publishing.
func TestPublishOriginalSkipsClone(t *testing.T) {
	bus1, _ := pair(t)
	self := &recorder{}
	cancel, err := bus1.Subscribe("skip", self)
	if err != nil {
		t.Fatal(err)
	}
	defer cancel()
	msg := map[string]any{"tags": []any{"a", "b", "c"}, "n": 1.5}
	original := testing.AllocsPerRun(200, func() {
		if err := bus1.PublishOriginal("skip", self, msg); err != nil {
			t.Fatal(err)
		}
	})
	cloned := testing.AllocsPerRun(200, func() {
		c, err := msgport.StructuredClone(msg)
		if err != nil {
			t.Fatal(err)
		}
		if err := bus1.Publish("skip", self, c); err != nil {
			t.Fatal(err)
		}
	})
	if original+3 > cloned {
		t.Fatalf("PublishOriginal: %v allocations, clone and Publish: %v; want at least 3 fewer", original, cloned)
	}
}
