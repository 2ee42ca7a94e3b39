package mailbox

// Taking items without dispatching them: Take parks as a waiter until a
// poster hands it an item or the mailbox changes state.

import "context"

// A waiter is one parked Take. A poster that finds waiters and nothing
// queued hands its item straight to the first of them, so the woken Take
// returns without locking the mailbox again; a change of state wakes every
// waiter empty-handed, to look again.
type waiter[T any] struct {
	item *T            // handed over by a poster; nil when woken to look again
	wake chan struct{} // buffered: one wake per wait
	next *waiter[T]
}

// waitList is a FIFO of waiters, guarded by the mailbox's mu.
type waitList[T any] struct{ head, tail *waiter[T] }

func (l *waitList[T]) empty() bool { return l.head == nil }

func (l *waitList[T]) push(w *waiter[T]) {
	if l.tail == nil {
		l.head = w
	} else {
		l.tail.next = w
	}
	l.tail = w
}

func (l *waitList[T]) pop() *waiter[T] {
	w := l.head
	if l.head = w.next; l.head == nil {
		l.tail = nil
	}
	w.next = nil
	return w
}

// remove takes w out of the list and reports whether it was there.
func (l *waitList[T]) remove(w *waiter[T]) bool {
	var prev *waiter[T]
	for x := l.head; x != nil; prev, x = x, x.next {
		if x != w {
			continue
		}
		if prev == nil {
			l.head = x.next
		} else {
			prev.next = x.next
		}
		if l.tail == x {
			l.tail = prev
		}
		x.next = nil
		return true
	}
	return false
}

// testHookTakeWaits, if set, runs in Take after it has become a waiter and
// before it parks.
var testHookTakeWaits func()

// Take removes and returns the next queued item, whether or not m is
// started, without dispatching it. It blocks until an item is there, m is
// closed and drained or detached (ErrEnded), or ctx is done (ctx.Err()).
// Waiting Takes are served in the order they began to wait. An item handed
// to a Take whose ctx ends at that moment is returned, not lost.
func (m *Mailbox[T]) Take(ctx context.Context) (*T, error) {
	m.mu.Lock()
	for {
		if item, ok, spawn := m.popLocked(); ok {
			m.mu.Unlock()
			if spawn {
				go m.run()
			}
			return item, nil
		}
		// A held mailbox still expects its predecessor's batch, unless it
		// was moved on itself: that batch goes past it.
		if s := m.State(); s == Detached || (s != Open && !m.held) {
			m.mu.Unlock()
			return nil, ErrEnded
		}
		w := m.spareWaiter.Swap(nil)
		if w == nil {
			w = &waiter[T]{wake: make(chan struct{}, 1)}
		}
		m.waiters.push(w)
		m.mu.Unlock()
		if testHookTakeWaits != nil {
			testHookTakeWaits()
		}
		if item, err := m.await(ctx, w); item != nil || err != nil {
			return item, err
		}
		m.mu.Lock()
	}
}

// await parks until w is woken or ctx is done, then returns what w was
// handed (nil: woken to look again) or ctx's error, and keeps w for reuse.
// A w handed an item just as ctx ends returns the item.
func (m *Mailbox[T]) await(ctx context.Context, w *waiter[T]) (item *T, err error) {
	if done := ctx.Done(); done == nil {
		<-w.wake
	} else {
		select {
		case <-w.wake:
		case <-done:
			m.mu.Lock()
			gone := m.waiters.remove(w)
			m.mu.Unlock()
			if !gone {
				<-w.wake // woken as ctx ended
			}
			if w.item == nil {
				err = ctx.Err()
			}
		}
	}
	item, w.item = w.item, nil
	m.spareWaiter.Store(w)
	return item, err
}

// handToTakerLocked gives item to the first waiting Take, if there is one, and
// reports whether it did. Takes wait only while nothing can be taken, so
// nothing is queued ahead of item — unless m is held, waiting for a batch to
// be handed back to its front: then item queues behind it.
func (m *Mailbox[T]) handToTakerLocked(item *T) bool {
	if m.waiters.empty() || m.held {
		return false
	}
	w := m.waiters.pop()
	w.item = item
	w.wake <- struct{}{}
	return true
}

// wakeWaitersLocked wakes every waiting Take empty-handed, to look at m's
// new state.
func (m *Mailbox[T]) wakeWaitersLocked() {
	for !m.waiters.empty() {
		m.waiters.pop().wake <- struct{}{}
	}
}

// TryTake removes and returns the next queued item if there is one. It
// never blocks.
func (m *Mailbox[T]) TryTake() (*T, bool) {
	m.mu.Lock()
	item, ok, spawn := m.popLocked()
	m.mu.Unlock()
	if spawn {
		go m.run()
	}
	return item, ok
}
