package msgport_test

// Benchmarks of BroadcastChannel on the in-process bus, each beside its floor
// (one Go channel per receiver) in the same run:
//
//	BenchmarkBroadcast/8/{msgport,chan}      Node's BroadcastChannel test
//	BenchmarkBroadcast/8/chan-copy           the floor with msgport's copies
//	BenchmarkBroadcast/8/chan-copy-event     the same with the API's event
//	BenchmarkBroadcast/8/copy-event-alone    those copies and events, handed to nobody
//	BenchmarkFanout/K/{msgport,chan}         K = 1 … 1024 receivers
//	BenchmarkFanout/K/msgport-stack          listeners using 2.5 KB of stack
//
// One op is one post; ns/delivery (op time / receivers) is the figure to
// compare. Posts go out in batches, and the next batch is posted once every
// receiver has received the last message of the previous one, as in the
// Node baseline (section c of bench.mjs): 500 posts for 8 receivers, about
// 4,000 deliveries per batch in general.

import (
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/seed01aa7ee5/msgport"
)

// fanouts are the receiver counts of BenchmarkFanout.
var fanouts = []int{1, 4, 16, 64, 256, 1024}

// broadcastSeq makes channel names unique, so that no benchmark run sees
// another's channels on the default bus.
var broadcastSeq atomic.Int64

// BenchmarkBroadcast is Node's BroadcastChannel test: one sender and 8
// receivers of the same name, small payloads built fresh per post, batches
// of 500 posts.
func BenchmarkBroadcast(b *testing.B) {
	b.Run("8/msgport", func(b *testing.B) { benchBroadcast(b, 8, 500, false) })
	b.Run("8/chan", func(b *testing.B) { benchBroadcastChan(b, 8, 500) })
	b.Run("8/chan-copy", func(b *testing.B) { benchBroadcastChanCopy(b, 8, 500, false) })
	b.Run("8/chan-copy-event", func(b *testing.B) { benchBroadcastChanCopy(b, 8, 500, true) })
	b.Run("8/copy-event-alone", func(b *testing.B) { benchBroadcastWorkAlone(b, 8) })
}

// BenchmarkFanout measures the cost per delivery as receivers are added.
// Its msgport-stack listeners use about 2.5 KB of stack, as real listeners
// do (a log line, an encoder): more than a new goroutine starts with. With
// many receivers each dispatcher idles between its messages long enough to
// end, so the listeners run on fresh goroutines.
func BenchmarkFanout(b *testing.B) {
	for _, k := range fanouts {
		batch := max(1, 4000/k)
		b.Run(strconv.Itoa(k)+"/msgport", func(b *testing.B) { benchBroadcast(b, k, batch, false) })
		b.Run(strconv.Itoa(k)+"/msgport-stack", func(b *testing.B) { benchBroadcast(b, k, batch, true) })
		b.Run(strconv.Itoa(k)+"/chan", func(b *testing.B) { benchBroadcastChan(b, k, batch) })
	}
}

// benchBroadcast posts b.N small payloads from one BroadcastChannel to k
// others of the same name; deep listeners use 2.5 KB of stack.
func benchBroadcast(b *testing.B, k, batch int, deep bool) {
	b.ReportAllocs()
	name := "msgport-bench-" + strconv.FormatInt(broadcastSeq.Add(1), 10)
	n := b.N
	done := make(chan struct{}, k)
	counts := make([]int, k) // counts[j] and used[j] are written by receiver j's handler only
	used := make([]int, k)
	rs := make([]*msgport.BroadcastChannel, k, k+1)
	for j := range rs {
		rs[j] = msgport.NewBroadcastChannel(name, msgport.WithOnMessage(func(e *msgport.MessageEvent) {
			it := e.Data.(benchItem)
			counts[j]++
			if deep {
				used[j] = useStack(16)
			}
			if lastOfBatch(it.ID, n, batch) {
				done <- struct{}{}
			}
		}))
	}
	sender := msgport.NewBroadcastChannel(name)
	defer closeBroadcast(b, append(rs, sender)...)
	b.ResetTimer()
	for sent := 0; sent < n; {
		end := min(sent+batch, n)
		for ; sent < end; sent++ {
			if err := sender.PostMessage(newBenchItem(sent)); err != nil {
				b.Fatal(err)
			}
		}
		for range k {
			<-done
		}
	}
	b.StopTimer()
	for j, got := range counts {
		if got != n {
			b.Fatalf("receiver %d got %d of %d", j, got, n)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n*k), "ns/delivery")
}

// benchBroadcastChan is the floor: the same posts sent on k buffered Go
// channels, each drained by its own goroutine (no copy).
func benchBroadcastChan(b *testing.B, k, batch int) {
	benchChanFloor(b, k, batch,
		func(sent int, chans []chan benchItem) {
			it := newBenchItem(sent)
			for _, ch := range chans {
				ch <- it
			}
		},
		func(_ int, it benchItem) int { return it.ID })
}

// copySink is where a floor receiver keeps its copy, so that the copy
// lives on the heap as a message's Data does; 128 bytes, so that no two
// receivers write to one cache line.
type copySink struct {
	item benchItem
	ev   *msgport.MessageEvent
	_    [64]byte
}

// eventBlocks makes the floors' events as msgport makes them: eight at a
// time, in one allocation, for each receiver j.
type eventBlocks [][]msgport.MessageEvent

// next returns a "message" event for receiver j.
func (e eventBlocks) next(j int) *msgport.MessageEvent {
	if len(e[j]) == 0 {
		e[j] = make([]msgport.MessageEvent, 8)
	}
	ev := &e[j][0]
	e[j] = e[j][1:]
	ev.Type = "message"
	return ev
}

// copyDelivery is what benchBroadcastChanCopy sends a receiver.
type copyDelivery struct {
	snap *benchItem
	ev   *msgport.MessageEvent
}

// benchBroadcastChanCopy is the floor of a broadcast with msgport's
// copies: the sender takes a hand-written copy of each post (the snapshot
// PostMessage must take) and sends a pointer to it on k buffered Go
// channels; k-1 receivers each take a hand-written copy of the snapshot,
// and the last keeps the snapshot itself, as msgport's last receiver does.
// That is one copy per delivery, with none of the bookkeeping that makes
// it safe (the last receiver does not wait for the others to finish
// reading). With events, each delivery also gets what the API hands a
// listener: a *MessageEvent, made by the sender (8 at a time for each
// receiver, as msgport makes them), whose Data holds the receiver's copy
// in an interface.
func benchBroadcastChanCopy(b *testing.B, k, batch int, events bool) {
	sinks := make([]copySink, k)
	evs := make(eventBlocks, k)
	benchChanFloor(b, k, batch,
		func(sent int, chans []chan copyDelivery) {
			snap := copyBenchItem(newBenchItem(sent))
			for j, ch := range chans {
				d := copyDelivery{snap: &snap}
				if events {
					d.ev = evs.next(j)
				}
				ch <- d
			}
		},
		func(j int, d copyDelivery) int {
			it := *d.snap
			if j < k-1 {
				it = copyBenchItem(it)
			}
			if events {
				d.ev.Data = it
				sinks[j].ev = d.ev
			} else {
				sinks[j].item = it
			}
			return it.ID
		})
}

// benchBroadcastWorkAlone makes, on the benchmark's goroutine, what
// chan-copy-event's sender and receivers make for each post — the
// sender's copy, a copy for every receiver but the last, an event per
// receiver (8 at a time for each) holding its copy — and hands it to
// nobody: the cost of a broadcast's copies and events without the hand-over
// to the receivers' goroutines.
func benchBroadcastWorkAlone(b *testing.B, k int) {
	b.ReportAllocs()
	sinks := make([]copySink, k)
	evs := make(eventBlocks, k)
	for i := range b.N {
		snap := copyBenchItem(newBenchItem(i))
		for j := range k {
			ev := evs.next(j)
			if j < k-1 {
				ev.Data = copyBenchItem(snap)
			} else {
				ev.Data = snap
			}
			sinks[j].ev = ev
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*k), "ns/delivery")
}

// benchChanFloor runs a floor of the broadcast benchmarks: b.N posts, in
// batches, to k receivers, each a goroutine draining a buffered Go channel
// of D. post sends post number sent on every channel; take handles what
// receiver j was sent and returns the post's number.
func benchChanFloor[D any](b *testing.B, k, batch int, post func(sent int, chans []chan D), take func(j int, d D) int) {
	b.ReportAllocs()
	n := b.N
	done := make(chan struct{}, k)
	exited := make(chan int, k)
	chans := make([]chan D, k)
	for j := range chans {
		ch := make(chan D, batch)
		chans[j] = ch
		go func() {
			got := 0
			for d := range ch {
				got++
				if lastOfBatch(take(j, d), n, batch) {
					done <- struct{}{}
				}
			}
			exited <- got
		}()
	}
	b.ResetTimer()
	for sent := 0; sent < n; {
		end := min(sent+batch, n)
		for ; sent < end; sent++ {
			post(sent, chans)
		}
		for range k {
			<-done
		}
	}
	b.StopTimer()
	for _, ch := range chans {
		close(ch)
	}
	for range k {
		if got := <-exited; got != n {
			b.Fatalf("a receiver got %d of %d", got, n)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n*k), "ns/delivery")
}
