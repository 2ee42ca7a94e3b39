// Package mailbox is the queue and dispatcher behind msgport's ports and
// broadcast channels: a FIFO of items, drained in batches by a goroutine that
// exists only while a started mailbox has work (and for a short linger after,
// see dispatcher.go), entangled in pairs for MessageChannel and standing
// alone for BroadcastChannel.
//
// The two mailboxes of a pair share one mutex, so posting, closing and
// transferring see one consistent picture of the pair. A Handler receives the
// items, one at a time, on the dispatcher goroutine, then a single End call
// once the mailbox is closed and drained.
package mailbox

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
)

// Handler receives what a mailbox dispatches. Its methods are called on the
// dispatcher goroutine, never concurrently with each other for one mailbox.
type Handler[T any] interface {
	// Deliver handles one item and reports whether it did. It returns
	// false only if it found the mailbox halted (see Halted) before handing
	// item on: halting raced with the dispatcher, which then treats item as
	// never taken. The handler may keep item.
	Deliver(item *T) bool
	// End is called exactly once, after the last item, when the mailbox
	// is closed (by its owner or, for a pair, by the peer) and drained.
	End()
}

// State is where a mailbox is in its life.
type State uint32

const (
	// Open accepts and dispatches items.
	Open State = iota
	// Ended belongs to a mailbox whose peer closed: nothing more arrives,
	// what is queued is still dispatched, then End.
	Ended
	// Stopped belongs to a mailbox whose owner closed it: what is queued is
	// dropped and End comes next.
	Stopped
	// Detached belongs to a mailbox that was moved (transferred) away; it
	// will never dispatch again.
	Detached
)

// Errors returned by mailbox operations.
var (
	// ErrEnded: the mailbox (or its pair) is closed or detached.
	ErrEnded = errors.New("mailbox: ended")
	// The move errors' texts are written to be shown to msgport's users
	// as the reason of a DataCloneError.

	// ErrSelf: a move names the posting mailbox itself.
	ErrSelf = errors.New("the transfer list holds the posting port itself")
	// ErrPeer: a move names the posting mailbox's peer.
	ErrPeer = errors.New("the transfer list holds the posting port's entangled peer")
	// ErrNotOpen: a move names a mailbox that is closed or detached.
	ErrNotOpen = errors.New("the transfer list holds a closed or detached port")
)

// closedChan is returned by Done for mailboxes that are already finished.
var closedChan = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// Mailbox is a FIFO of items with an on-demand dispatcher. The zero value is
// not usable; make one with New or Pair.
type Mailbox[T any] struct {
	mu   *sync.Mutex // guards the fields below; shared by the two of a pair
	h    Handler[T]
	peer *Mailbox[T] // the entangled mailbox, nil when unpaired or disentangled

	state atomic.Uint32 // a State; written under mu, read anywhere
	halt  atomic.Bool   // Stopped or Detached: the dispatcher delivers no more

	q     queue[*T] // the items waiting
	spare []T       // preallocated items for a burst (see boxLocked)

	capacity int // 0: unbounded
	waiting  int // queued + taken by the dispatcher but not begun; kept when capacity > 0

	started  bool // dispatch of items is enabled
	running  bool // a dispatcher goroutine owns delivery
	held     bool // waiting for a detached predecessor's dispatcher to hand back its batch
	endFired bool // End has been called or is being called
	finished bool // no more dispatch will ever happen: done is (or will be) closed

	movedTo *Mailbox[T] // for Detached: where its remaining batch goes

	d *dispatcher[T] // made when the first dispatcher starts

	waiters     waitList[T]               // Takes waiting for an item or a change of state
	spareWaiter atomic.Pointer[waiter[T]] // a waiter to reuse
	space       chan struct{}             // closed when room frees or the state changes (Post waits on it)
	done        chan struct{}             // closed when finished; made on demand
}

// New returns an unpaired mailbox that dispatches to h. Items are added
// with Push.
func New[T any](h Handler[T]) *Mailbox[T] {
	return &Mailbox[T]{mu: new(sync.Mutex), h: h}
}

// Pair returns two entangled mailboxes sharing one mutex: what one Posts,
// the other dispatches. capacity bounds each direction (0: unbounded).
func Pair[T any](capacity int, h1, h2 Handler[T]) (*Mailbox[T], *Mailbox[T]) {
	mu := new(sync.Mutex)
	a := &Mailbox[T]{mu: mu, h: h1, capacity: capacity}
	b := &Mailbox[T]{mu: mu, h: h2, capacity: capacity}
	a.peer, b.peer = b, a
	return a, b
}

// State reports the mailbox's state without locking.
func (m *Mailbox[T]) State() State { return State(m.state.Load()) }

// Halted reports whether the mailbox was stopped by its owner or detached:
// from then on no new delivery may begin. It does not lock.
func (m *Mailbox[T]) Halted() bool { return m.halt.Load() }

// Start enables dispatch of items. It does not block.
func (m *Mailbox[T]) Start() {
	m.mu.Lock()
	m.started = true
	spawn := m.kickLocked()
	m.mu.Unlock()
	if spawn {
		go m.run()
	}
}

// Push adds item to m's own queue (for unpaired mailboxes). It returns
// ErrEnded if m is not open. It does not block.
func (m *Mailbox[T]) Push(item T) error {
	m.mu.Lock()
	if m.State() != Open {
		m.mu.Unlock()
		return ErrEnded
	}
	m.pushUnlock(item)
	return nil
}

// pushUnlock adds item to m's queue, unlocks m, and starts m's dispatcher
// if it must.
func (m *Mailbox[T]) pushUnlock(item T) {
	spawn, _ := m.pushLocked(item)
	m.mu.Unlock()
	if spawn {
		go m.run()
	}
}

// Post adds item to the peer's queue. When the peer's queue is bounded and
// full, Post blocks until there is room, the pair closes (ErrEnded) or ctx
// is done (ctx.Err()); in both failure cases nothing is enqueued. If mv is
// not nil its moves are applied atomically with the enqueue: either both
// happen or neither.
func (m *Mailbox[T]) Post(ctx context.Context, item T, mv *Moves[T]) error {
	if mv != nil {
		moveMu.Lock()
	}
	m.mu.Lock()
	for {
		p := m.peer
		if m.State() != Open || p == nil {
			m.unlockPost(mv)
			return ErrEnded
		}
		if p.capacity > 0 && p.waiting >= p.capacity {
			ch := p.spaceLocked()
			m.unlockPost(mv)
			select {
			case <-ch:
			case <-ctx.Done():
				return ctx.Err()
			}
			if mv != nil {
				moveMu.Lock()
			}
			m.mu.Lock()
			continue
		}
		if mv != nil {
			if err := mv.applyLocked(m); err != nil {
				m.unlockPost(mv)
				return err
			}
		}
		spawn, woke := p.pushLocked(item)
		if woke {
			m.answeredLocked()
		}
		m.unlockPost(mv)
		if spawn {
			go p.run()
		}
		return nil
	}
}

// PostPastBound adds item to the peer's queue without waiting for room: on
// a bounded queue that is full, item is queued anyway, one past the
// capacity, and counted like any other. It is for an item that must not
// wait on the peer (a worker's "error" event, which the peer's own
// listener may be waiting for). It returns ErrEnded if the pair is closed.
// It does not block.
func (m *Mailbox[T]) PostPastBound(item T) error {
	m.mu.Lock()
	p := m.peer
	if m.State() != Open || p == nil {
		m.mu.Unlock()
		return ErrEnded
	}
	p.pushUnlock(item) // p shares m's mutex
	return nil
}

func (m *Mailbox[T]) unlockPost(mv *Moves[T]) {
	m.mu.Unlock()
	if mv != nil {
		moveMu.Unlock()
	}
}

// Close closes m by its owner's choice: queued items are dropped, no new
// delivery begins, and End is dispatched next. For a pair, the peer stops
// accepting items and gets End after its queue drains. Close is idempotent,
// does not block, and does nothing on a detached mailbox.
func (m *Mailbox[T]) Close() {
	m.mu.Lock()
	switch m.State() {
	case Stopped, Detached:
		m.mu.Unlock()
		return
	}
	m.setStateLocked(Stopped)
	if m.capacity > 0 {
		m.waiting -= m.q.len()
	}
	m.q, m.spare = queue[*T]{}, nil
	m.wakeLocked()
	var spawnPeer *Mailbox[T]
	if p := m.peer; p != nil {
		m.peer, p.peer = nil, nil
		p.setStateLocked(Ended)
		p.wakeLocked()
		if p.kickLocked() {
			spawnPeer = p
		}
	}
	spawn := m.kickLocked()
	m.mu.Unlock()
	if spawn {
		go m.run()
	}
	if spawnPeer != nil {
		go spawnPeer.run()
	}
}

// Done returns a channel that is closed once m will dispatch nothing more:
// after End has returned, or once m is detached.
func (m *Mailbox[T]) Done() <-chan struct{} {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.finished && m.done == nil {
		return closedChan
	}
	if m.done == nil {
		m.done = make(chan struct{})
	}
	return m.done
}

// setStateLocked records a new state, raising halt for the states in
// which no new delivery may begin.
func (m *Mailbox[T]) setStateLocked(s State) {
	m.state.Store(uint32(s))
	if s == Stopped || s == Detached {
		m.halt.Store(true)
	}
}

// pushLocked adds item and reports whether the caller must start the
// dispatcher (after unlocking), and whether it woke a goroutine waiting
// for it. Into an empty queue the item goes straight to a waiting Take or,
// failing that, to an idle dispatcher, sparing the woken goroutine a trip
// through the queue and the lock.
func (m *Mailbox[T]) pushLocked(item T) (spawn, woke bool) {
	box := m.boxLocked(item)
	if m.handToTakerLocked(box) {
		return false, true // taken at once: it never counts as waiting
	}
	if m.capacity > 0 {
		m.waiting++ // until the dispatcher begins delivering it
	}
	if m.handToDispatcherLocked(box) {
		return false, true
	}
	m.q.push(box)
	return m.kickLocked(), false
}

// burst is how many items boxLocked allocates at once while items queue up.
const burst = 8

// boxLocked returns item in the memory the handler will receive. Into an
// empty queue items are allocated one by one; while items queue up they are
// carved out of blocks of burst items, one allocation for several messages.
// A handler that keeps an item therefore keeps the memory of at most
// burst-1 others. The mailbox drops the unused rest of a block once the
// burst is over — when Take empties the queue or the dispatcher exits — so
// an idle mailbox keeps nothing it has handed out.
func (m *Mailbox[T]) boxLocked(item T) *T {
	if len(m.spare) == 0 {
		if m.q.len() == 0 {
			p := new(T)
			*p = item
			return p
		}
		m.spare = make([]T, burst)
	}
	p := &m.spare[0]
	m.spare = m.spare[1:]
	*p = item
	return p
}

// popLocked dequeues the head item, if any is available to take. spawn
// reports whether the caller must start the dispatcher: taking the last item
// of an ended mailbox makes its End due.
func (m *Mailbox[T]) popLocked() (item *T, ok, spawn bool) {
	if m.held || m.q.len() == 0 {
		return item, false, false
	}
	item = m.q.pop()
	if m.q.len() == 0 {
		m.spare = nil // see boxLocked
	}
	m.freeLocked(1)
	return item, true, m.kickLocked()
}

// freeLocked accounts for n items leaving the bounded queue and wakes
// posters waiting for room.
func (m *Mailbox[T]) freeLocked(n int) {
	if m.capacity == 0 {
		return
	}
	m.waiting -= n
	if m.space != nil {
		close(m.space)
		m.space = nil
	}
}

// wakeLocked wakes everybody waiting on m — Takes, posters waiting for
// room, an idle dispatcher — so they look at its new state.
func (m *Mailbox[T]) wakeLocked() {
	m.wakeWaitersLocked()
	m.rouseLocked()
	if m.space != nil {
		close(m.space)
		m.space = nil
	}
}

func (m *Mailbox[T]) spaceLocked() chan struct{} {
	if m.space == nil {
		m.space = make(chan struct{})
	}
	return m.space
}

// endDueLocked reports whether End should be dispatched now.
func (m *Mailbox[T]) endDueLocked() bool {
	s := m.State()
	return (s == Ended || s == Stopped) && !m.endFired && !m.held && m.q.len() == 0
}

// kickLocked reports whether a dispatcher must be started, and if so marks
// it running: the caller starts it after unlocking.
func (m *Mailbox[T]) kickLocked() bool {
	if m.held {
		return false
	}
	due := (m.started && m.q.len() > 0) || m.endDueLocked()
	if m.running {
		if due {
			m.rouseLocked()
		}
		return false
	}
	if due && m.State() != Detached {
		m.running = true
		if m.d == nil {
			m.d = newDispatcher[T]()
		}
		return true
	}
	return false
}

// finishLocked marks m as done dispatching forever.
func (m *Mailbox[T]) finishLocked() {
	m.finished = true
	if m.done != nil {
		close(m.done)
	}
}

// handBackLocked gives the items a detached mailbox's dispatcher still held
// to the live mailbox it was moved to (following further moves), in front of
// what is queued there, and releases that mailbox's hold. The live mailbox
// counts them as waiting already (moveLocked copied the count), except the
// first if freed: it had been freed from m's count before the move.
func (m *Mailbox[T]) handBackLocked(rest []*T, freed bool) {
	to := m.movedTo
	m.movedTo = nil
	for to.State() == Detached {
		to = to.movedTo
	}
	switch n := len(rest); {
	case to.State() == Stopped:
		if freed {
			n--
		}
		to.freeLocked(n)
	default:
		if freed && to.capacity > 0 {
			to.waiting++
		}
		to.q.pushFront(rest)
	}
	to.held = false
	to.wakeLocked()
	if to.kickLocked() {
		go to.run()
	}
}
