package msgport_test

// Benchmarks of MessageChannel, each beside its floor in the same run:
//
//	BenchmarkHandoff/{msgport,msgport-bounded,chan,chan-event}   an int, post → handler
//	BenchmarkPingPong/{msgport,msgport-listeners,msgport-stack,chan,chan-event,queue,queue-timer}   one round trip
//	BenchmarkEndToEnd/{small,large}/{msgport,chan}        Node's MessageChannel test
//	BenchmarkDepth/K/{msgport,chan}                       post K, then drain K
//	BenchmarkIdleChannels                                 memory and goroutines of 100,000 idle channels
//
// One op is one message (one round trip for PingPong). Every benchmark waits
// until the receiving side has handled all b.N messages before the timer
// stops, and closes what it opened, waiting for the dispatchers to finish.

import (
	"context"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/seed01aa7ee5/msgport"
)

// chanBuffer is the buffer of the Go channel floors: about the batch size
// of the Node baseline.
const chanBuffer = 1024

// BenchmarkHandoff measures handing an int from a sender to a handler on
// another goroutine: post b.N ints while the handler takes them, and stop
// when the handler has seen the last. The floor is a buffered Go channel
// drained by a goroutine. chan-event is the least that any implementation
// of this API does: the int boxed in an interface and a MessageEvent-sized
// event allocated per message, through the same buffered channel.
func BenchmarkHandoff(b *testing.B) {
	b.Run("msgport", func(b *testing.B) { benchHandoff(b) })
	b.Run("msgport-bounded", func(b *testing.B) { benchHandoff(b, msgport.WithCapacity(chanBuffer)) })
	b.Run("chan", func(b *testing.B) {
		b.ReportAllocs()
		ch := make(chan int, chanBuffer)
		done := make(chan int)
		n := b.N
		go func() {
			got, sum := 0, 0
			for v := range ch {
				sum += v
				got++
			}
			if got != n {
				sum = -1
			}
			done <- sum
		}()
		b.ResetTimer()
		for i := range n {
			ch <- i
		}
		close(ch)
		sum := <-done
		b.StopTimer()
		if sum < 0 {
			b.Fatal("the receiver missed messages")
		}
		sinkInt = sum
	})
	b.Run("chan-event", func(b *testing.B) {
		b.ReportAllocs()
		ch := make(chan *msgport.MessageEvent, chanBuffer)
		done := make(chan int)
		go func() {
			sum := 0
			for e := range ch {
				sum += e.Data.(int)
			}
			done <- sum
		}()
		b.ResetTimer()
		for i := range b.N {
			ch <- newFloorEvent(i)
		}
		close(ch)
		sinkInt = <-done
	})
}

func benchHandoff(b *testing.B, opts ...msgport.Option) {
	b.ReportAllocs()
	c := msgport.NewMessageChannel(opts...)
	defer closeChannels(b, c)
	n := b.N
	done := make(chan struct{})
	got, sum := 0, 0 // written by the handler only; listeners never overlap
	c.Port2.SetOnMessage(func(e *msgport.MessageEvent) {
		sum += e.Data.(int)
		if got++; got == n {
			close(done)
		}
	})
	b.ResetTimer()
	for i := range n {
		if err := c.Port1.PostMessage(i); err != nil {
			b.Fatal(err)
		}
	}
	<-done
	b.StopTimer()
	sinkInt = sum
}

// BenchmarkPingPong measures one round trip: post, the peer's handler posts
// the value back, the sender receives it, then the next. The floor is a
// goroutine echoing between two unbuffered Go channels (chan). Three more
// floors do the least this API asks for on top of that: chan-event carries
// each message as a freshly allocated event holding the boxed int and calls
// the listener through a panic-recovering frame; queue does the same
// through the simplest port there can be, since PostMessage never blocks: an
// unbounded queue under a mutex, with a doorbell channel for a waiting
// receiver (floorQueue); queue-timer is queue with one timer pending on the
// echoing goroutine's P, as any port must have one pending while its
// goroutine waits for more work and is to end when none comes (an idle port
// holds no goroutine: SPEC 3.1.4), since the scheduler then reads the clock
// each time that P looks for work.
func BenchmarkPingPong(b *testing.B) {
	b.Run("msgport", func(b *testing.B) { benchPingPong(b, func() {}) })
	// Both ends are handlers: the way a web page and a worker talk.
	b.Run("msgport-listeners", func(b *testing.B) {
		b.ReportAllocs()
		c := msgport.NewMessageChannel()
		defer closeChannels(b, c)
		n := b.N
		done := make(chan struct{})
		c.Port2.SetOnMessage(func(e *msgport.MessageEvent) {
			if err := c.Port2.PostMessage(e.Data); err != nil {
				panic(err)
			}
		})
		c.Port1.SetOnMessage(func(e *msgport.MessageEvent) {
			next := e.Data.(int) + 1
			if next == n {
				close(done)
				return
			}
			if err := c.Port1.PostMessage(next); err != nil {
				panic(err)
			}
		})
		b.ResetTimer()
		if err := c.Port1.PostMessage(0); err != nil {
			b.Fatal(err)
		}
		<-done
	})
	// The peer's listener uses about 2.5 KB of stack, as real listeners do
	// (a log line, an encoder): more than a new goroutine starts with.
	b.Run("msgport-stack", func(b *testing.B) { benchPingPong(b, func() { sinkInt = useStack(16) }) })
	b.Run("chan", func(b *testing.B) {
		b.ReportAllocs()
		ping, pong := make(chan int), make(chan int)
		go func() {
			for v := range ping {
				pong <- v
			}
			close(pong)
		}()
		b.ResetTimer()
		for i := range b.N {
			ping <- i
			if v := <-pong; v != i {
				b.Fatalf("got %d, want %d", v, i)
			}
		}
		b.StopTimer()
		close(ping)
		<-pong
	})
	b.Run("chan-event", func(b *testing.B) {
		b.ReportAllocs()
		ping, pong := make(chan *msgport.MessageEvent), make(chan *msgport.MessageEvent)
		echo := func(e *msgport.MessageEvent) { pong <- newFloorEvent(e.Data) }
		go func() {
			for e := range ping {
				callRecovering(echo, e)
			}
			close(pong)
		}()
		b.ResetTimer()
		for i := range b.N {
			ping <- newFloorEvent(i)
			if e := <-pong; e.Data.(int) != i {
				b.Fatalf("got %v, want %d", e.Data, i)
			}
		}
		b.StopTimer()
		close(ping)
		<-pong
	})
	b.Run("queue", func(b *testing.B) { benchQueuePingPong(b, false) })
	b.Run("queue-timer", func(b *testing.B) { benchQueuePingPong(b, true) })
}

// benchQueuePingPong is the ping-pong of two floorQueues, the echoing
// goroutine holding a pending timer if pending is set.
func benchQueuePingPong(b *testing.B, pending bool) {
	b.ReportAllocs()
	ping, pong := newFloorQueue(), newFloorQueue()
	echo := func(e *msgport.MessageEvent) { pong.post(newFloorEvent(e.Data)) }
	ready := make(chan struct{})
	go func() {
		if pending {
			t := time.AfterFunc(time.Hour, func() {})
			defer t.Stop()
		}
		close(ready)
		for e := ping.receive(); e.Data != nil; e = ping.receive() {
			callRecovering(echo, e)
		}
		pong.post(newFloorEvent(nil))
	}()
	<-ready
	b.ResetTimer()
	for i := range b.N {
		ping.post(newFloorEvent(i))
		if e := pong.receive(); e.Data.(int) != i {
			b.Fatalf("got %v, want %d", e.Data, i)
		}
	}
	b.StopTimer()
	ping.post(newFloorEvent(nil))
	pong.receive()
}

func newFloorEvent(data any) *msgport.MessageEvent {
	return &msgport.MessageEvent{Event: msgport.Event{Type: "message"}, Data: data}
}

// callRecovering calls fn as a listener is called: a panic is recovered
// and returned.
func callRecovering(fn func(*msgport.MessageEvent), e *msgport.MessageEvent) (panicked any) {
	defer func() { panicked = recover() }()
	fn(e)
	return nil
}

// floorQueue is the simplest port there can be: an unbounded FIFO under a
// mutex, and a doorbell that the poster rings when the receiver is waiting.
// One receiver at a time.
type floorQueue struct {
	mu      sync.Mutex
	items   []*msgport.MessageEvent
	head    int // items[head:] are queued
	waiting bool
	bell    chan struct{}
}

func newFloorQueue() *floorQueue { return &floorQueue{bell: make(chan struct{}, 1)} }

func (q *floorQueue) post(e *msgport.MessageEvent) {
	q.mu.Lock()
	q.items = append(q.items, e)
	if q.waiting {
		q.waiting = false
		q.bell <- struct{}{}
	}
	q.mu.Unlock()
}

// receive blocks until an item is queued and returns it.
func (q *floorQueue) receive() *msgport.MessageEvent {
	q.mu.Lock()
	for q.head == len(q.items) {
		q.waiting = true
		q.mu.Unlock()
		<-q.bell
		q.mu.Lock()
	}
	e := q.items[q.head]
	q.items[q.head] = nil
	if q.head++; q.head == len(q.items) {
		q.items, q.head = q.items[:0], 0 // empty: reuse the array
	}
	q.mu.Unlock()
	return e
}

// BenchmarkEndToEnd is Node's MessageChannel test (section a of bench.mjs):
// post a batch of 1,000 messages, wait until the handler has received the
// last, post the next. small: a benchItem built fresh per message with
// ID = message index; large: 100 benchItems built once and posted again and
// again (each post copies them in full). The floor (chan) sends a
// hand-written copy over a buffered Go channel, batched the same way.
func BenchmarkEndToEnd(b *testing.B) {
	large := newBenchItems(100)
	payloads := []struct {
		name string
		make func(i int) any
		copy func(i int) any
	}{
		{"small", func(i int) any { return newBenchItem(i) }, func(i int) any { return copyBenchItem(newBenchItem(i)) }},
		{"large", func(int) any { return large }, func(int) any { return copyBenchItems(large) }},
	}
	const batch = 1000
	for _, p := range payloads {
		b.Run(p.name+"/msgport", func(b *testing.B) {
			b.ReportAllocs()
			c := msgport.NewMessageChannel()
			defer closeChannels(b, c)
			n := b.N
			done := make(chan struct{}, 1)
			got := 0
			c.Port2.SetOnMessage(func(e *msgport.MessageEvent) {
				if e.Data == nil {
					panic("no data")
				}
				if got++; got%batch == 0 || got == n {
					done <- struct{}{}
				}
			})
			b.ResetTimer()
			for sent := 0; sent < n; {
				end := min(sent+batch, n)
				for ; sent < end; sent++ {
					if err := c.Port1.PostMessage(p.make(sent)); err != nil {
						b.Fatal(err)
					}
				}
				<-done
			}
			b.StopTimer()
			if got != n {
				b.Fatalf("received %d of %d", got, n)
			}
		})
		b.Run(p.name+"/chan", func(b *testing.B) {
			b.ReportAllocs()
			ch := make(chan any, batch)
			done, exited := make(chan struct{}, 1), make(chan struct{})
			n := b.N
			go func() {
				defer close(exited)
				got := 0
				for v := range ch {
					if v == nil {
						panic("no data")
					}
					if got++; got%batch == 0 || got == n {
						done <- struct{}{}
					}
				}
			}()
			b.ResetTimer()
			for sent := 0; sent < n; {
				end := min(sent+batch, n)
				for ; sent < end; sent++ {
					ch <- p.copy(sent)
				}
				<-done
			}
			b.StopTimer()
			close(ch)
			<-exited
		})
	}
}

// depths are the queue depths of BenchmarkDepth.
var depths = []int{1, 10, 100, 1_000, 10_000, 100_000}

// BenchmarkDepth measures the hand-off cost per message against queue
// depth: post K ints to a port nobody is dispatching, then take all K with
// TryReceive, and again. The floor is a Go channel with room for K.
func BenchmarkDepth(b *testing.B) {
	for _, k := range depths {
		b.Run(strconv.Itoa(k)+"/msgport", func(b *testing.B) {
			b.ReportAllocs()
			c := msgport.NewMessageChannel()
			defer closeChannels(b, c)
			b.ResetTimer()
			for done := 0; done < b.N; {
				m := min(k, b.N-done)
				for i := range m {
					if err := c.Port1.PostMessage(done + i); err != nil {
						b.Fatal(err)
					}
				}
				for range m {
					if _, ok := c.Port2.TryReceive(); !ok {
						b.Fatal("a message is missing")
					}
				}
				done += m
			}
		})
		b.Run(strconv.Itoa(k)+"/chan", func(b *testing.B) {
			b.ReportAllocs()
			ch := make(chan int, k)
			b.ResetTimer()
			for done := 0; done < b.N; {
				m := min(k, b.N-done)
				for i := range m {
					ch <- done + i
				}
				for range m {
					sinkInt += <-ch
				}
				done += m
			}
		})
	}
}

// idleChannels is how many channels BenchmarkIdleChannels holds at once.
const idleChannels = 100_000

// BenchmarkIdleChannels makes 100,000 channels whose two ports both have a
// handler and nothing to do, and reports the live heap they hold
// (MB/100k, 1 MB = 10^6 bytes) and the goroutines they hold (goroutines;
// SPEC 3.1.4 wants 0). ns/op is the time to make and start the 100,000.
func BenchmarkIdleChannels(b *testing.B) {
	b.ReportAllocs()
	noop := func(*msgport.MessageEvent) {}
	var bytes float64
	held := 0
	for range b.N {
		b.StopTimer()
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		g0 := runtime.NumGoroutine()
		b.StartTimer()

		cs := make([]*msgport.MessageChannel, idleChannels)
		for i := range cs {
			c := msgport.NewMessageChannel()
			c.Port1.SetOnMessage(noop)
			c.Port2.SetOnMessage(noop)
			cs[i] = c
		}

		b.StopTimer()
		runtime.GC()
		runtime.ReadMemStats(&after)
		held = max(held, runtime.NumGoroutine()-g0)
		bytes += float64(after.HeapAlloc) - float64(before.HeapAlloc)
		closeChannels(b, cs...)
		b.StartTimer()
	}
	b.ReportMetric(bytes/float64(b.N)/1e6, "MB/100k")
	b.ReportMetric(float64(held), "goroutines")
}

// benchPingPong: Port1 posts and receives with Receive, Port2's listener
// calls work, then posts the value back.
func benchPingPong(b *testing.B, work func()) {
	b.ReportAllocs()
	c := msgport.NewMessageChannel()
	defer closeChannels(b, c)
	c.Port2.SetOnMessage(func(e *msgport.MessageEvent) {
		work()
		if err := c.Port2.PostMessage(e.Data); err != nil {
			panic(err)
		}
	})
	ctx := context.Background()
	b.ResetTimer()
	for i := range b.N {
		if err := c.Port1.PostMessage(i); err != nil {
			b.Fatal(err)
		}
		ev, err := c.Port1.Receive(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if ev.Data.(int) != i {
			b.Fatalf("got %v, want %d", ev.Data, i)
		}
	}
}

// useStack recurses depth times with a 128-byte frame, to use stack as a
// real listener would.
//
//go:noinline
func useStack(depth int) int {
	var buf [128]byte
	buf[depth%len(buf)] = byte(depth)
	if depth == 0 {
		return int(buf[0])
	}
	return useStack(depth-1) + int(buf[1])
}
