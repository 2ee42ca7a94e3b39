package mailbox

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
)

// echo answers each item x by posting x+1 from its own mailbox to the peer,
// as a listener that replies does.
type echo struct{ box *Mailbox[int] }

func (e *echo) Deliver(x *int) bool {
	if err := e.box.Post(context.Background(), *x+1, nil); err != nil {
		panic(err)
	}
	return true
}
func (e *echo) End() {}

// A dispatcher whose listener answers a waiting Take yields instead of
// waiting, and the answer's answer finds it awake: a steady exchange does
// not park it (nor arm its linger timer). Without yielding it waits once per
// round trip. One P makes the schedule predictable: the Take woken by the
// answer runs as soon as the dispatcher yields.
func TestExchangeKeepsDispatcherAwake(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	e := &echo{}
	a, b := Pair[int](0, newRecorder(), e)
	e.box = b
	var waits atomic.Int64
	testHookWait = func(m any) {
		if m == b {
			waits.Add(1)
		}
	}
	defer func() { testHookWait = nil }()
	b.Start()
	ctx := context.Background()
	const rounds = 1000
	for i := range rounds {
		if err := a.Post(ctx, i, nil); err != nil {
			t.Fatal(err)
		}
		x, err := a.Take(ctx)
		if err != nil || *x != i+1 {
			t.Fatalf("round %d: Take = %v, %v; want %d", i, x, err, i+1)
		}
	}
	if n := waits.Load(); n > rounds/10 {
		t.Errorf("the answering dispatcher waited %d times in %d round trips, want at most %d", n, rounds, rounds/10)
	}
	a.Close()
	<-b.Done()
}

// The yield policy: yield only after a batch that answered the peer, at
// most maxYields times; after yields that found nothing, wait at once for
// the next skipAfterMiss answered idle moments, then try again; a batch
// found after yielding ends the skipping.
func TestYieldPolicy(t *testing.T) {
	var d dispatcher[int]
	// answered starts a new idle moment after a batch that answered the
	// peer.
	answered := func() { d.answered, d.yields = true, 0 }
	// waits checks a refusal, which must leave no answer noted for the
	// batch the waiting dispatcher will be handed.
	waits := func(why string) {
		t.Helper()
		if d.yieldLocked() {
			t.Fatal(why)
		}
		if d.answered || d.yields != 0 {
			t.Fatalf("after %q: answered %v, yields %d; want false, 0", why, d.answered, d.yields)
		}
	}

	waits("yielded after a batch that answered nobody")
	answered()
	for i := range maxYields {
		if !d.yieldLocked() {
			t.Fatalf("yield %d of %d refused", i+1, maxYields)
		}
	}
	waits(fmt.Sprintf("yielded more than %d times in one idle moment", maxYields))
	for i := range skipAfterMiss {
		answered()
		waits(fmt.Sprintf("yielded in idle moment %d after a miss, want none for %d", i+1, skipAfterMiss))
	}
	answered()
	if !d.yieldLocked() {
		t.Fatalf("no yield after skipping %d idle moments", skipAfterMiss)
	}

	for _, tc := range []struct {
		name         string
		yields, skip int
		wantSkip     int
	}{
		{"a batch found by yielding ends the skipping", 1, 7, 0},
		{"a batch found without yielding keeps it", 0, 7, 7},
	} {
		d.answered, d.yields, d.skip = true, tc.yields, tc.skip
		d.tookBatchLocked()
		if d.skip != tc.wantSkip || d.answered || d.yields != 0 {
			t.Errorf("%s: skip %d, answered %v, yields %d; want skip %d, answered false, yields 0",
				tc.name, d.skip, d.answered, d.yields, tc.wantSkip)
		}
	}
}
