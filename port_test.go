package msgport_test

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/seed01aa7ee5/msgport"
)

// SPEC 3.1.1: a message posted on one port arrives on the other, never on
// the sender.
func TestDeliveryGoesToThePeerOnly(t *testing.T) {
	for _, tc := range []struct {
		name     string
		from, to func(*msgport.MessageChannel) *msgport.MessagePort
	}{
		{"port1 to port2", func(c *msgport.MessageChannel) *msgport.MessagePort { return c.Port1 }, func(c *msgport.MessageChannel) *msgport.MessagePort { return c.Port2 }},
		{"port2 to port1", func(c *msgport.MessageChannel) *msgport.MessagePort { return c.Port2 }, func(c *msgport.MessageChannel) *msgport.MessagePort { return c.Port1 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := msgport.NewMessageChannel()
			closeAll(t, c)
			from, to := tc.from(c), tc.to(c)
			post(t, from, "hello")
			if got := receive(t, to).Data; got != "hello" {
				t.Fatalf("peer got %v, want hello", got)
			}
			if ev, ok := from.TryReceive(); ok {
				t.Fatalf("sender received its own message %v", ev.Data)
			}
		})
	}
}

// SPEC 3.1.2: the receiver gets a structured clone taken during PostMessage.
func TestMessageIsACloneTakenAtPost(t *testing.T) {
	type job struct {
		Items []int
		Meta  map[string]string
		Next  *job
	}
	c := msgport.NewMessageChannel()
	closeAll(t, c)
	sent := &job{Items: []int{1, 2, 3}, Meta: map[string]string{"k": "v"}, Next: &job{Items: []int{4}}}
	post(t, c.Port1, sent)
	// Mutate everything after PostMessage returned.
	sent.Items[0], sent.Meta["k"], sent.Next.Items[0] = 100, "changed", 400
	got := receive(t, c.Port2).Data.(*job)
	want := &job{Items: []int{1, 2, 3}, Meta: map[string]string{"k": "v"}, Next: &job{Items: []int{4}}}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("received value changed with the sender's (-want +got):\n%s", d)
	}
	if got == sent || &got.Items[0] == &sent.Items[0] || got.Next == sent.Next {
		t.Fatal("received value shares memory with the sent one")
	}
}

// SPEC 3.1.3: order is post order.
func TestOrderIsPostOrder(t *testing.T) {
	const n = 10000
	for _, style := range []string{"listener", "receive"} {
		t.Run(style, func(t *testing.T) {
			c := msgport.NewMessageChannel()
			closeAll(t, c)
			got := make(chan int, n)
			if style == "listener" {
				c.Port2.SetOnMessage(func(e *msgport.MessageEvent) { got <- e.Data.(int) })
			}
			for i := range n {
				post(t, c.Port1, i)
			}
			for i := range n {
				var v int
				if style == "listener" {
					v = await(t, got, "a message")
				} else {
					v = receive(t, c.Port2).Data.(int)
				}
				if v != i {
					t.Fatalf("message %d arrived as number %d", v, i)
				}
			}
		})
	}
}

// SPEC 3.1.3: PostMessage on a closed port returns ErrClosed before any
// cloning is attempted (an uncloneable value proves it).
func TestPostOnClosedPortFailsBeforeCloning(t *testing.T) {
	for _, tc := range []struct {
		name  string
		close func(*msgport.MessageChannel)
	}{
		{"own port closed", func(c *msgport.MessageChannel) { c.Port1.Close() }},
		{"peer closed", func(c *msgport.MessageChannel) { c.Port2.Close() }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := msgport.NewMessageChannel()
			closeAll(t, c)
			tc.close(c)
			err := c.Port1.PostMessage(func() {})
			if !errors.Is(err, msgport.ErrClosed) {
				t.Fatalf("PostMessage of a func on a closed port = %v, want ErrClosed", err)
			}
		})
	}
}

// SPEC 3.1.3: the listeners of one port never run concurrently, whoever
// posts; different ports dispatch concurrently.
func TestListenersOfOnePortNeverOverlap(t *testing.T) {
	const senders, each = 8, 500
	c := msgport.NewMessageChannel()
	closeAll(t, c)
	var inside, overlaps atomic.Int32
	var count sync.WaitGroup
	count.Add(senders * each * 2)
	for range 2 {
		c.Port2.AddEventListener("message", func(*msgport.MessageEvent) {
			if inside.Add(1) != 1 {
				overlaps.Add(1)
			}
			runtime.Gosched()
			inside.Add(-1)
			count.Done()
		})
	}
	c.Port2.Start()
	// Posting from several goroutines through transferred... the same port.
	var wg sync.WaitGroup
	for range senders {
		wg.Go(func() {
			for i := range each {
				post(t, c.Port1, i)
			}
		})
	}
	wg.Wait()
	count.Wait()
	if n := overlaps.Load(); n != 0 {
		t.Fatalf("%d listener calls overlapped", n)
	}
}

func TestDifferentPortsDispatchConcurrently(t *testing.T) {
	a, b := msgport.NewMessageChannel(), msgport.NewMessageChannel()
	closeAll(t, a, b)
	// Each listener waits for the other to have started: this only
	// finishes if both run at once.
	var started sync.WaitGroup
	started.Add(2)
	done := make(chan struct{}, 2)
	for _, p := range []*msgport.MessagePort{a.Port2, b.Port2} {
		p.SetOnMessage(func(*msgport.MessageEvent) {
			started.Done()
			started.Wait()
			done <- struct{}{}
		})
	}
	post(t, a.Port1, 1)
	post(t, b.Port1, 2)
	await(t, done, "first listener")
	await(t, done, "second listener")
}

// SPEC 3.1.4: an idle port holds no goroutine.
func TestIdlePortsHoldNoGoroutine(t *testing.T) {
	base := runtime.NumGoroutine()
	const n = 200
	chans := make([]*msgport.MessageChannel, n)
	var got sync.WaitGroup
	got.Add(n)
	for i := range chans {
		c := msgport.NewMessageChannel()
		chans[i] = c
		c.Port2.SetOnMessage(func(*msgport.MessageEvent) { got.Done() })
		post(t, c.Port1, i)
	}
	closeAll(t, chans...)
	got.Wait()
	// Every dispatcher exits once its queue is drained.
	deadline := time.Now().Add(wait)
	for runtime.NumGoroutine() > base {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines remain for %d idle started ports (baseline %d)", runtime.NumGoroutine(), n, base)
		}
		runtime.Gosched()
	}
}

// SPEC 3.2: the start rules.
func TestStartRules(t *testing.T) {
	for _, tc := range []struct {
		name    string
		setup   func(p *msgport.MessagePort, r *recorder)
		started bool
	}{
		{"nothing", func(p *msgport.MessagePort, r *recorder) {}, false},
		{"AddEventListener does not start", func(p *msgport.MessagePort, r *recorder) { p.AddEventListener("message", r.fn) }, false},
		{"SetOnMessage(nil) does not start", func(p *msgport.MessagePort, r *recorder) {
			p.AddEventListener("message", r.fn)
			p.SetOnMessage(nil)
		}, false},
		{"SetOnMessageError does not start", func(p *msgport.MessagePort, r *recorder) {
			p.AddEventListener("message", r.fn)
			p.SetOnMessageError(func(*msgport.MessageEvent) {})
		}, false},
		{"Start starts", func(p *msgport.MessagePort, r *recorder) {
			p.AddEventListener("message", r.fn)
			p.Start()
		}, true},
		{"SetOnMessage starts", func(p *msgport.MessagePort, r *recorder) { p.SetOnMessage(r.fn) }, true},
		{"started stays started", func(p *msgport.MessagePort, r *recorder) {
			took := make(chan any, 1)
			p.SetOnMessage(func(e *msgport.MessageEvent) { took <- e.Data })
			<-took // "early" went to this first handler
			p.SetOnMessage(nil)
			p.AddEventListener("message", r.fn)
		}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := msgport.NewMessageChannel()
			closeAll(t, c)
			r := newRecorder()
			// Posted before the port is set up: queued, not lost.
			post(t, c.Port1, "early")
			tc.setup(c.Port2, r)
			post(t, c.Port1, "late")
			if tc.started {
				want := []string{"early", "late"}
				if tc.name == "started stays started" {
					want = want[1:] // "early" went to the first handler
				}
				for _, want := range want {
					if got := r.next(t).Data; got != want {
						t.Fatalf("dispatched %v, want %v", got, want)
					}
				}
				return
			}
			// Not started: both messages are still in the queue, and
			// no listener was called.
			for _, want := range []string{"early", "late"} {
				ev, ok := c.Port2.TryReceive()
				if !ok || ev.Data != want {
					t.Fatalf("TryReceive = %v, %v; want %v queued", ev, ok, want)
				}
			}
			r.none(t)
		})
	}
}

// SPEC 3.2.4, 3.2.5: Receive and TryReceive take messages directly, started
// or not, and dispatch no event; Receive waits, and ends with ErrClosed.
func TestReceive(t *testing.T) {
	t.Run("takes without dispatching, started or not", func(t *testing.T) {
		c := msgport.NewMessageChannel()
		closeAll(t, c)
		r := newRecorder()
		c.Port2.AddEventListener("message", r.fn)
		post(t, c.Port1, 1)
		if ev, ok := c.Port2.TryReceive(); !ok || ev.Data != 1 {
			t.Fatalf("TryReceive = %v, %v", ev, ok)
		}
		if ev, ok := c.Port2.TryReceive(); ok {
			t.Fatalf("TryReceive on an empty queue = %v", ev.Data)
		}
		r.none(t)
	})
	t.Run("blocks until a message arrives", func(t *testing.T) {
		c := msgport.NewMessageChannel()
		closeAll(t, c)
		got := make(chan any)
		go func() {
			ev, err := c.Port2.Receive(context.Background())
			if err != nil {
				got <- err
				return
			}
			got <- ev.Data
		}()
		post(t, c.Port1, "x")
		if v := await(t, got, "Receive"); v != "x" {
			t.Fatalf("Receive = %v", v)
		}
	})
	t.Run("returns ctx.Err when ctx ends", func(t *testing.T) {
		c := msgport.NewMessageChannel()
		closeAll(t, c)
		ctx, cancel := context.WithCancel(context.Background())
		errc := make(chan error)
		go func() { _, err := c.Port2.Receive(ctx); errc <- err }()
		cancel()
		if err := await(t, errc, "Receive"); !errors.Is(err, context.Canceled) {
			t.Fatalf("Receive = %v, want context.Canceled", err)
		}
	})
	t.Run("drains then ErrClosed after peer close", func(t *testing.T) {
		c := msgport.NewMessageChannel()
		closeAll(t, c)
		post(t, c.Port1, 1)
		post(t, c.Port1, 2)
		c.Port1.Close()
		for _, want := range []int{1, 2} {
			if got := receive(t, c.Port2).Data; got != want {
				t.Fatalf("Receive = %v, want %v", got, want)
			}
		}
		if _, err := c.Port2.Receive(ctxT(t)); !errors.Is(err, msgport.ErrClosed) {
			t.Fatalf("Receive after drain = %v, want ErrClosed", err)
		}
	})
	t.Run("a blocked Receive ends with ErrClosed on close", func(t *testing.T) {
		for _, closer := range []string{"own", "peer"} {
			c := msgport.NewMessageChannel()
			closeAll(t, c)
			errc := make(chan error)
			go func() { _, err := c.Port2.Receive(context.Background()); errc <- err }()
			if closer == "own" {
				c.Port2.Close()
			} else {
				c.Port1.Close()
			}
			if err := await(t, errc, "Receive"); !errors.Is(err, msgport.ErrClosed) {
				t.Fatalf("%s close: Receive = %v, want ErrClosed", closer, err)
			}
		}
	})
	t.Run("Messages iterates until closed", func(t *testing.T) {
		c := msgport.NewMessageChannel()
		closeAll(t, c)
		for i := range 5 {
			post(t, c.Port1, i)
		}
		c.Port1.Close()
		var got []any
		for ev := range c.Port2.Messages(ctxT(t)) {
			got = append(got, ev.Data)
		}
		if d := cmp.Diff([]any{0, 1, 2, 3, 4}, got); d != "" {
			t.Fatalf("Messages (-want +got):\n%s", d)
		}
	})
}

// SPEC 3.3.1: Close on either port disentangles both.
func TestCloseDisentanglesBoth(t *testing.T) {
	for _, closer := range []int{1, 2} {
		c := msgport.NewMessageChannel()
		closeAll(t, c)
		if closer == 1 {
			c.Port1.Close()
		} else {
			c.Port2.Close()
		}
		for i, p := range []*msgport.MessagePort{c.Port1, c.Port2} {
			if err := p.PostMessage(1); !errors.Is(err, msgport.ErrClosed) {
				t.Fatalf("closing port%d: PostMessage on port%d = %v, want ErrClosed", closer, i+1, err)
			}
		}
	}
}

// SPEC 3.3.2: messages queued when the peer closes are still delivered.
func TestQueuedMessagesSurvivePeerClose(t *testing.T) {
	c := msgport.NewMessageChannel()
	closeAll(t, c)
	const n = 100
	for i := range n {
		post(t, c.Port1, i)
	}
	c.Port1.Close()
	r := newRecorder()
	c.Port2.AddEventListener("message", r.fn)
	c.Port2.AddEventListener("close", r.fn)
	c.Port2.Start()
	for i := range n {
		if ev := r.next(t); ev.Type != "message" || ev.Data != i {
			t.Fatalf("event %d = %s %v", i, ev.Type, ev.Data)
		}
	}
	if ev := r.next(t); ev.Type != "close" {
		t.Fatalf("last event = %s, want close", ev.Type)
	}
}

// SPEC 3.3.3: after a port's own Close returns, it starts no new message
// listener; undispatched messages are dropped.
func TestOwnCloseStopsDispatch(t *testing.T) {
	c := msgport.NewMessageChannel()
	closeAll(t, c)
	entered, release := make(chan int), make(chan struct{})
	var closed atomic.Bool
	var late atomic.Int32
	events := newRecorder()
	c.Port2.SetOnMessage(func(e *msgport.MessageEvent) {
		if closed.Load() {
			late.Add(1)
		}
		entered <- e.Data.(int)
		<-release
	})
	c.Port2.AddEventListener("close", events.fn)
	for i := range 10 {
		post(t, c.Port1, i)
	}
	if v := await(t, entered, "first message"); v != 0 {
		t.Fatalf("first message = %d", v)
	}
	c.Port2.Close()
	closed.Store(true)
	close(release) // the running listener finishes
	if ev := events.next(t); ev.Type != "close" {
		t.Fatalf("event after close = %s", ev.Type)
	}
	<-c.Port2.Done()
	if n := late.Load(); n != 0 {
		t.Fatalf("%d message listeners started after Close returned", n)
	}
}

// SPEC 3.3.4: close fires exactly once on each port, last; on the closer
// right away, on the peer after its queue is taken.
func TestCloseEvent(t *testing.T) {
	t.Run("both ports, once each, started or not", func(t *testing.T) {
		for _, started := range []bool{false, true} {
			c := msgport.NewMessageChannel()
			var n1, n2 atomic.Int32
			c.Port1.SetOnClose(func(e *msgport.Event) {
				if e.Type != "close" {
					t.Errorf("close event type %q", e.Type)
				}
				n1.Add(1)
			})
			c.Port2.SetOnClose(func(*msgport.Event) { n2.Add(1) })
			if started {
				c.Port1.Start()
				c.Port2.Start()
			}
			c.Port1.Close()
			c.Port1.Close()
			c.Port2.Close()
			await(t, c.Port1.Done(), "port1 close")
			await(t, c.Port2.Done(), "port2 close")
			if n1.Load() != 1 || n2.Load() != 1 {
				t.Fatalf("started=%v: close fired %d and %d times, want once each", started, n1.Load(), n2.Load())
			}
		}
	})
	t.Run("peer fires after its queue is dispatched", func(t *testing.T) {
		c := msgport.NewMessageChannel()
		closeAll(t, c)
		r := newRecorder()
		c.Port2.AddEventListener("message", r.fn)
		c.Port2.AddEventListener("close", r.fn)
		c.Port2.AddEventListener("messageerror", r.fn)
		post(t, c.Port1, "a")
		post(t, c.Port1, "b")
		closer := newRecorder()
		c.Port1.AddEventListener("close", closer.fn)
		c.Port1.Close()
		// The closer's event fires right away, while the peer, not
		// started, still holds its queue and its close event.
		closer.next(t)
		r.none(t)
		c.Port2.Start()
		var got []string
		for range 3 {
			e := r.next(t)
			got = append(got, e.Type)
		}
		if d := cmp.Diff([]string{"message", "message", "close"}, got); d != "" {
			t.Fatalf("events (-want +got):\n%s", d)
		}
	})
	t.Run("peer fires after its queue is received", func(t *testing.T) {
		c := msgport.NewMessageChannel()
		closeAll(t, c)
		r := newRecorder()
		c.Port2.AddEventListener("close", r.fn)
		post(t, c.Port1, "a")
		c.Port1.Close()
		await(t, c.Port1.Done(), "closer's close event")
		r.none(t) // a never-drained peer keeps its close event behind its queue
		if _, ok := c.Port2.TryReceive(); !ok {
			t.Fatal("queued message lost")
		}
		if e := r.next(t); e.Type != "close" {
			t.Fatalf("got %s, want close", e.Type)
		}
	})
}

// SPEC 3.3.5: Close is idempotent and safe from inside listeners of either
// port.
func TestCloseFromInsideListeners(t *testing.T) {
	for _, tc := range []struct {
		name  string
		close func(c *msgport.MessageChannel)
	}{
		{"own port", func(c *msgport.MessageChannel) { c.Port2.Close() }},
		{"peer", func(c *msgport.MessageChannel) { c.Port1.Close() }},
		{"both, twice", func(c *msgport.MessageChannel) {
			c.Port2.Close()
			c.Port1.Close()
			c.Port2.Close()
			c.Port1.Close()
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := msgport.NewMessageChannel()
			closeAll(t, c)
			var calls atomic.Int32
			c.Port2.SetOnMessage(func(*msgport.MessageEvent) {
				calls.Add(1)
				tc.close(c)
			})
			post(t, c.Port1, 1)
			await(t, c.Port1.Done(), "port1 done")
			await(t, c.Port2.Done(), "port2 done")
			if calls.Load() != 1 {
				t.Fatalf("listener ran %d times", calls.Load())
			}
			if err := c.Port2.Close(); err != nil {
				t.Fatalf("Close again = %v", err)
			}
		})
	}
}

// Nil listeners are ignored; unknown event types panic (a programming error).
func TestListenerMisuse(t *testing.T) {
	c := msgport.NewMessageChannel()
	closeAll(t, c)
	c.Port2.AddEventListener("message", nil)() // ignored; remove is harmless
	func() {
		defer func() {
			if r := recover(); r == nil {
				t.Fatal("AddEventListener with an unknown type did not panic")
			}
		}()
		c.Port2.AddEventListener("mesage", func(*msgport.MessageEvent) {})
	}()
}

// Listener options: once, removal, context-bound removal, order.
func TestListenerOptions(t *testing.T) {
	c := msgport.NewMessageChannel()
	closeAll(t, c)
	var order []string
	var mu sync.Mutex
	note := func(s string) func(*msgport.MessageEvent) {
		return func(e *msgport.MessageEvent) {
			mu.Lock()
			order = append(order, s+":"+e.Data.(string))
			mu.Unlock()
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	c.Port2.AddEventListener("message", note("once"), msgport.Once())
	remove := c.Port2.AddEventListener("message", note("removed"))
	c.Port2.AddEventListener("message", note("ctx"), msgport.WithContext(ctx))
	c.Port2.SetOnMessage(note("attr"))
	done := make(chan struct{})
	c.Port2.AddEventListener("message", func(*msgport.MessageEvent) { done <- struct{}{} })
	remove()
	post(t, c.Port1, "a")
	await(t, done, "a")
	cancel()
	// Replacing the attribute keeps its place; the ctx listener is gone
	// as soon as ctx is done.
	c.Port2.SetOnMessage(note("attr2"))
	post(t, c.Port1, "b")
	await(t, done, "b")
	mu.Lock()
	defer mu.Unlock()
	if d := cmp.Diff([]string{"once:a", "ctx:a", "attr:a", "attr2:b"}, order); d != "" {
		t.Fatalf("calls (-want +got):\n%s", d)
	}
}
