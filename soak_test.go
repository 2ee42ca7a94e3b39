package msgport_test

import (
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/seed01aa7ee5/msgport"
)

// With WithCapacity, a producer flooding a slow consumer holds at most the
// capacity: whenever the consumer starts on message k, at most k+capacity
// posts have returned.
func TestBoundedFloodHoldsAtMostTheCapacity(t *testing.T) {
	const capacity, total = 8, 2000
	c := msgport.NewMessageChannel(msgport.WithCapacity(capacity))
	closeAll(t, c)
	var posted atomic.Int64
	var worst atomic.Int64
	done := make(chan struct{})
	entered := int64(0)
	c.Port2.SetOnMessage(func(*msgport.MessageEvent) {
		entered++
		if ahead := posted.Load() - entered; ahead > worst.Load() {
			worst.Store(ahead)
		}
		if entered%16 == 0 {
			runtime.Gosched() // a slow consumer
		}
		if entered == total {
			close(done)
		}
	})
	go func() {
		for i := range total {
			if err := c.Port1.PostMessage(i); err != nil {
				t.Error(err)
				return
			}
			posted.Add(1)
		}
	}()
	await(t, done, "all messages")
	if w := worst.Load(); w > capacity {
		t.Fatalf("the producer got %d messages ahead of the consumer, capacity %d", w, capacity)
	}
	t.Logf("producer at most %d ahead (capacity %d)", worst.Load(), capacity)
}

// A soak of millions of messages leaves no growth in the heap after GC:
// nothing is retained per message, per batch or per dispatcher start.
func TestSoakHeapStaysFlat(t *testing.T) {
	rounds, perRound := 20, 100_000
	if testing.Short() || raceEnabled {
		rounds = 10
	}
	type item struct {
		ID   int
		Name string
		Tags []string
	}
	c := msgport.NewMessageChannel()
	closeAll(t, c)
	got := make(chan struct{})
	var n int
	c.Port2.SetOnMessage(func(*msgport.MessageEvent) {
		if n++; n == perRound {
			n = 0
			got <- struct{}{}
		}
	})
	heap := func() uint64 {
		runtime.GC()
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	var base uint64
	for r := range rounds {
		for i := range perRound {
			if err := c.Port1.PostMessage(item{ID: i, Name: "item", Tags: []string{"a", "b"}}); err != nil {
				t.Fatal(err)
			}
		}
		await(t, got, "a round")
		if r == 1 { // after warm-up: pools, caches, segments
			base = heap()
		}
	}
	end := heap()
	const slack = 2 << 20
	if end > base+slack {
		t.Fatalf("heap grew from %d to %d bytes over %d messages", base, end, rounds*perRound)
	}
	t.Logf("soak: %d messages, heap after GC %d -> %d bytes", rounds*perRound, base, end)
}
