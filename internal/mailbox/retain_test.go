package mailbox

import (
	"runtime"
	"testing"
	"time"
)

// payload is an item's data; its cleanup tells when it was collected.
type payload struct{ _ [64]byte }

// discard drops what it is given.
type discard struct{}

func (discard) Deliver(*[1]*payload) bool { return true }
func (discard) End()                      {}

// pushBurst pushes n items, each holding a fresh payload, into m's queue
// (queued behind each other, so most are carved from one burst block) and
// returns a channel closed once all those payloads have been collected.
func pushBurst(t *testing.T, m *Mailbox[[1]*payload], n int) <-chan struct{} {
	t.Helper()
	collected := make(chan struct{}, n)
	for range n {
		p := new(payload)
		runtime.AddCleanup(p, func(c chan struct{}) { c <- struct{}{} }, collected)
		if err := m.Push([1]*payload{p}); err != nil {
			t.Fatal(err)
		}
	}
	all := make(chan struct{})
	go func() {
		for range n {
			<-collected
		}
		close(all)
	}()
	return all
}

// awaitCollected collects garbage until all is closed.
func awaitCollected(t *testing.T, all <-chan struct{}) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		runtime.GC()
		select {
		case <-all:
			return
		case <-time.After(time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("a drained mailbox still holds messages it handed out")
		}
	}
}

// Once its queue is drained and nobody holds the items it handed out, a
// mailbox keeps none of their data alive (items are carved from burst
// blocks; the block's unused rest must not pin the used part).
func TestDrainedMailboxKeepsNoItems(t *testing.T) {
	t.Run("taken", func(t *testing.T) {
		m := New[[1]*payload](discard{})
		defer m.Close()
		all := pushBurst(t, m, 3)
		for range 3 {
			if _, ok := m.TryTake(); !ok {
				t.Fatal("an item is missing")
			}
		}
		awaitCollected(t, all)
	})
	t.Run("dispatched", func(t *testing.T) {
		withLinger(t, 50*time.Microsecond)
		m := New[[1]*payload](discard{})
		defer m.Close()
		all := pushBurst(t, m, 3)
		m.Start()
		waitUntil(t, "the dispatcher exits", func() bool { return !running(m) })
		awaitCollected(t, all)
	})
}
