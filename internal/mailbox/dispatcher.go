package mailbox

// The dispatcher: a goroutine that delivers a started mailbox's items in
// batches, started when there is work and ended once it has had nothing to
// do for a while.

import (
	"runtime"
	"sync/atomic"
	"time"
)

// dispatcher is the state of a mailbox's dispatcher goroutine, made when
// the first one starts (a mailbox that never dispatches does without).
type dispatcher[T any] struct {
	// Owned by the running dispatcher, not guarded by mu.
	batch span[*T]     // the batch being delivered
	spent *segment[*T] // a segment of batch read through, to recycle
	one   segment[*T]  // holds an item handed to the idle dispatcher (handToDispatcherLocked)
	slot  [1]*T        // one's storage

	// Guarded by the mailbox's mu.
	answered bool // a post from this mailbox, during the batch, woke a goroutine waiting on the peer
	yields   int  // Gosched calls since the last batch (see yieldLocked)
	skip     int  // idle moments left to wait without yielding, after yields that found nothing

	idle    bool          // the running dispatcher is waiting for work on rouse
	busy    bool          // it took a batch since linger was armed
	ticking bool          // linger is armed
	expired bool          // the idle dispatcher is roused to exit
	rouse   chan struct{} // wakes the idle dispatcher (buffered)
	linger  *time.Timer   // runs tick; made on the first idle wait

	lingerFor  time.Duration // the timer's period: baseLinger, doubled by each tick that finds work done
	baseLinger time.Duration // defaultLinger when made
}

// defaultLinger is how long, in nanoseconds, a dispatcher with nothing to do
// waits for more before it exits: between one and two of it after its last
// batch. Keeping the goroutine that long spares the next burst a new
// goroutine, whose stack would have to grow again to fit the listeners.
// (Atomic for the tests, which change it.)
//
// A dispatcher that keeps finding work waits longer: each tick of its timer
// that finds it has worked since the last doubles the period, up to
// maxLingerGrowth times defaultLinger, so a steady stream costs one tick
// every few milliseconds instead of one every 50 µs (each tick runs on a
// goroutine of its own and takes the mailbox's lock). The period is back to
// defaultLinger when the dispatcher exits.
var defaultLinger atomic.Int64

func init() { defaultLinger.Store(int64(50 * time.Microsecond)) }

// maxLingerGrowth caps the linger period at 32 × 50 µs = 1.6 ms by default:
// after a long stream, a dispatcher exits 1.6–3.2 ms after its last batch.
const maxLingerGrowth = 32

func newDispatcher[T any]() *dispatcher[T] {
	base := time.Duration(defaultLinger.Load())
	d := &dispatcher[T]{lingerFor: base, baseLinger: base}
	d.one.items = d.slot[:]
	return d
}

// handToDispatcherLocked makes item the whole batch of a dispatcher that waits idle,
// wakes it, and reports whether it did. The dispatcher delivers it as any
// batch, without taking the lock first. (An idle dispatcher belongs to an
// open, started mailbox that is not held and has nothing queued: loop waits
// only then.)
func (m *Mailbox[T]) handToDispatcherLocked(item *T) bool {
	d := m.d
	if d == nil || !d.idle {
		return false
	}
	d.slot[0] = item
	d.batch = span[*T]{head: &d.one, tail: &d.one, ti: 1}
	d.busy = true
	m.rouseLocked()
	return true
}

// rouseLocked wakes the dispatcher if it is idle, to look at m again.
func (m *Mailbox[T]) rouseLocked() {
	if d := m.d; d != nil && d.idle {
		d.idle = false
		d.rouse <- struct{}{} // never blocks: one wake per idle wait
	}
}

// Yielding before waiting. A dispatcher whose listener has just answered
// the peer — posted an item that woke a Take or the peer's idle dispatcher —
// is likely to be answered in turn: the goroutine it woke was readied on
// this P and will run as soon as this one steps aside. So, finding its queue
// empty, it yields the processor (runtime.Gosched) rather than waiting, up
// to maxYields times, and the answer finds it awake: it takes its next
// batch without having parked or been woken. A steady exchange then never
// parks its dispatchers, and so never arms their linger timers — a pending
// timer makes the scheduler read the clock each time its P looks for work,
// which cost about 8% of a ping-pong round trip on two Ps. Yields that find
// nothing are not repeated for the next skipAfterMiss idle moments that
// would have yielded: a listener that answers a peer which does not answer
// back (a reply to a pool's listener, say) costs a wasted yield only once
// in a while.
const (
	maxYields     = 4
	skipAfterMiss = 32
)

// answeredLocked records that a post from m woke a goroutine waiting on the
// peer. Only a dispatcher that is delivering takes note: the post came from
// one of its listeners, or from another goroutine posting on the port while
// it delivers (then the yields of one idle moment may be spent for nothing).
func (m *Mailbox[T]) answeredLocked() {
	if m.running && !m.d.idle {
		m.d.answered = true
	}
}

// yieldLocked reports whether the dispatcher, having found nothing to do,
// should yield (and look again) rather than wait. When it says wait, it
// leaves no answer noted: the batch an idle dispatcher is handed
// (handToDispatcherLocked) starts with a clean slate.
func (d *dispatcher[T]) yieldLocked() bool {
	switch {
	case !d.answered:
		return false
	case d.yields == 0 && d.skip > 0:
		d.skip--
	case d.yields < maxYields:
		d.yields++
		return true
	default:
		d.skip = skipAfterMiss // the answer did not come
	}
	d.answered, d.yields = false, 0
	return false
}

// tookBatchLocked starts the yield policy afresh for a new batch; a batch
// found after yielding shows that yielding pays.
func (d *dispatcher[T]) tookBatchLocked() {
	if d.yields > 0 {
		d.skip = 0
	}
	d.answered, d.yields = false, 0
}

// testHookWait, if set, runs in waitLocked, under mu, each time a
// dispatcher is about to wait; it is given the mailbox.
var testHookWait func(m any)

// waitLocked is the dispatcher with nothing to do: it waits, unlocked, to be
// roused by more work or by the linger timer (which sets expired). Called
// with mu held, it returns with mu released.
func (m *Mailbox[T]) waitLocked() {
	if testHookWait != nil {
		testHookWait(m)
	}
	if m.d.rouse == nil {
		m.d.rouse = make(chan struct{}, 1)
		m.d.linger = time.AfterFunc(m.d.lingerFor, m.tick)
		m.d.ticking = true
	} else if !m.d.ticking {
		m.d.linger.Reset(m.d.lingerFor)
		m.d.ticking = true
		m.d.busy = false
	}
	m.d.idle = true
	m.mu.Unlock()
	<-m.d.rouse
}

// tick runs m.d.lingerFor after the dispatcher first waited idle: it ends a
// dispatcher that has been idle, taking no batch, for that long. A
// dispatcher that is working is left alone, and the timer is armed again
// when it next waits, so a busy stream costs no ticks. Either way a
// dispatcher found to have worked gets a longer period (see defaultLinger).
func (m *Mailbox[T]) tick() {
	m.mu.Lock()
	defer m.mu.Unlock()
	switch {
	case !m.d.ticking:
	case !m.d.idle:
		m.d.ticking = false
		m.d.growLinger()
	case m.d.busy:
		// Idle now, but it worked since the timer was armed.
		m.d.busy = false
		m.d.growLinger()
		m.d.linger.Reset(m.d.lingerFor)
	default:
		m.d.ticking = false
		m.d.expired = true
		m.rouseLocked()
	}
}

// growLinger doubles the linger period, up to its cap.
func (d *dispatcher[T]) growLinger() {
	d.lingerFor = min(2*d.lingerFor, maxLingerGrowth*d.baseLinger)
}

// run is the dispatcher: it drains the queue in batches, swapping the
// queue's buffer out under one lock acquisition per batch (and, on a
// bounded mailbox, one more per item, to free its slot), and exits once
// it has had nothing to do for lingerFor (see tick). If a handler ends the
// goroutine with runtime.Goexit (t.FailNow in a test, say), a new goroutine
// carries on where it stopped.
func (m *Mailbox[T]) run() {
	finished := false
	defer func() {
		if !finished {
			go m.run()
		}
	}()
	growStack()
	m.loop()
	finished = true
}

// growStack makes the new dispatcher's stack 8 KB at once. A goroutine
// starts with a small stack (2 KB, or the runtime's running average), while
// handlers, and the clones a broadcast channel takes, need more; growing it
// later means copying it with the handler's whole call chain on it, frame
// by frame, and a dispatcher is started again after each idle spell. Here
// the stack is two frames deep and the growth costs little.
//
//go:noinline
func growStack() {
	var frame [6 << 10]byte
	keep(&frame)
}

// keep makes the frame real: its address goes to a function that is not inlined.
//
//go:noinline
func keep(*[6 << 10]byte) {}

func (m *Mailbox[T]) loop() {
	for {
		m.deliver()
		m.mu.Lock()
		if m.d.spent != nil {
			m.q.recycle(m.d.spent)
			m.d.spent = nil
		}
		switch {
		case m.State() == Detached:
			if m.movedTo != nil {
				m.handBackLocked(nil, false)
			}
			m.stopLocked()
			return
		case m.endFired:
			m.stopLocked()
			return
		case m.started && !m.held && m.q.len() > 0:
			m.d.batch = m.q.takeAll()
			m.d.tookBatchLocked()
			m.d.busy = true
			m.d.expired = false // work that came after the tick is still this dispatcher's
			m.mu.Unlock()
		case m.endDueLocked():
			m.endFired = true
			m.mu.Unlock()
			m.h.End()
		case m.d.expired:
			// Idle for the whole linger: this dispatcher ends.
			m.d.expired = false
			m.d.lingerFor = m.d.baseLinger
			m.running = false
			m.spare = nil // the burst is long over
			m.mu.Unlock()
			return
		case m.d.yieldLocked():
			m.mu.Unlock()
			runtime.Gosched()
		default:
			m.waitLocked()
		}
	}
}

// stopLocked ends the dispatcher for good and unlocks.
func (m *Mailbox[T]) stopLocked() {
	m.running = false
	if m.d.ticking {
		m.d.linger.Stop()
		m.d.ticking = false
	}
	m.finishLocked()
	m.mu.Unlock()
}

// testHookItemTaken, if set, runs in deliver after an item is taken from
// the batch and before its delivery begins.
var testHookItemTaken func()

// deliver hands the current batch to the handler, one item at a time,
// stopping as soon as m is halted: a stopped mailbox drops the rest, a
// detached one hands it to its successor.
func (m *Mailbox[T]) deliver() {
	for {
		if m.halt.Load() {
			m.mu.Lock()
			m.haltLocked(nil, false)
			m.mu.Unlock()
			return
		}
		item, ok, spent := m.d.batch.next()
		if !ok {
			return
		}
		if spent != nil {
			m.d.spent = spent
		}
		if testHookItemTaken != nil {
			testHookItemTaken()
		}
		if m.capacity > 0 {
			m.mu.Lock()
			if m.halt.Load() { // since the check above: item is still counted
				m.haltLocked(item, false)
				m.mu.Unlock()
				return
			}
			m.freeLocked(1)
			m.mu.Unlock()
		}
		if !m.h.Deliver(item) {
			// Halted after the checks above, before the handler passed item
			// on: it goes back with the rest.
			m.mu.Lock()
			m.haltLocked(item, m.capacity > 0)
			m.mu.Unlock()
			return
		}
	}
}

// haltLocked ends the current batch of a halted m: back (an item taken from
// the batch and not delivered, or nil) and the rest of the batch go to the
// mailbox m was moved to, in front of its queue, or are dropped if m was
// stopped. freed says back was already freed from the bounded count.
func (m *Mailbox[T]) haltLocked(back *T, freed bool) {
	items := m.d.batch.rest()
	if back != nil {
		items = append([]*T{back}, items...)
	}
	if m.State() == Detached {
		m.handBackLocked(items, freed)
		return
	}
	n := len(items)
	if freed {
		n--
	}
	m.freeLocked(n)
}
