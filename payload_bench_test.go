package msgport_test

// Shared payloads and helpers of the benchmarks (port_bench_test.go,
// broadcast_bench_test.go, clone_bench_test.go). The payloads have the same
// shape as the Node.js baseline's (shared/bench/node-baseline/bench.mjs), so
// that end-to-end rows compare like with like:
//
//	small: {id: i, name: "item", tags: ["a","b","c"],
//	        meta: {owner: "x", retry: 3, ok: true, w: 0.5}}
//	large: an array of 100 small objects, ids 0..99, built once and reused.

import (
	"testing"

	"github.com/seed01aa7ee5/msgport"
)

// benchItem is the small payload.
type benchItem struct {
	ID   int
	Name string
	Tags []string
	Meta map[string]any
}

// newBenchItem builds a fresh small payload, as Node's makeSmall(i) does.
func newBenchItem(i int) benchItem {
	return benchItem{
		ID:   i,
		Name: "item",
		Tags: []string{"a", "b", "c"},
		Meta: map[string]any{"owner": "x", "retry": 3, "ok": true, "w": 0.5},
	}
}

// newBenchItems builds n small payloads with ids 0..n-1.
func newBenchItems(n int) []benchItem {
	s := make([]benchItem, n)
	for i := range s {
		s[i] = newBenchItem(i)
	}
	return s
}

// copyBenchItem is the hand-written deep copy of a benchItem: the floor the
// reflection-free engine is measured against. Meta's values are immutable
// scalars, so copying the interface values is a deep copy.
func copyBenchItem(it benchItem) benchItem {
	out := it
	if it.Tags != nil {
		out.Tags = make([]string, len(it.Tags))
		copy(out.Tags, it.Tags)
	}
	if it.Meta != nil {
		out.Meta = make(map[string]any, len(it.Meta))
		for k, v := range it.Meta {
			out.Meta[k] = v
		}
	}
	return out
}

// copyBenchItems is the hand-written deep copy of a []benchItem.
func copyBenchItems(s []benchItem) []benchItem {
	if s == nil {
		return nil
	}
	out := make([]benchItem, len(s))
	for i := range s {
		out[i] = copyBenchItem(s[i])
	}
	return out
}

// benchFlat is a pointer-free value: its clone must cost one allocation
// (the boxed result of StructuredClone) and nothing else.
type benchFlat struct {
	ID     int64
	X, Y   float64
	Flags  [4]bool
	Counts [8]int32
}

// Sinks keep the compiler from dropping the work being measured.
var (
	sinkAny   any
	sinkItem  benchItem
	sinkItems []benchItem
	sinkBytes []byte
	sinkInt   int
)

// closeChannels closes both ports of every channel and waits until neither
// dispatches anything more, so that a benchmark leaves no goroutine behind
// (TestMain runs goleak).
func closeChannels(b testing.TB, cs ...*msgport.MessageChannel) {
	b.Helper()
	for _, c := range cs {
		c.Port1.Close()
		c.Port2.Close()
	}
	for _, c := range cs {
		<-c.Port1.Done()
		<-c.Port2.Done()
	}
}

// closeBroadcast closes the channels and waits until none dispatches.
func closeBroadcast(b testing.TB, bcs ...*msgport.BroadcastChannel) {
	b.Helper()
	for _, bc := range bcs {
		bc.Close()
	}
	for _, bc := range bcs {
		<-bc.Done()
	}
}

// lastOfBatch reports whether message i (0-based, of n) ends a batch of
// size batch: the benchmarks post a batch, wait until it is received, and
// post the next, as the Node baseline does.
func lastOfBatch(i, n, batch int) bool { return (i+1)%batch == 0 || i == n-1 }
