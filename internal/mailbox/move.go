package mailbox

import "sync"

// moveMu serialises every operation that locks more than one pair: with it
// held, mutexes of different pairs can be taken in any order without
// deadlock, because nobody else holds two at once.
var moveMu sync.Mutex

// Moves describes mailboxes to move (transfer) to new owners, atomically with
// a Post or on their own with Move.
type Moves[T any] struct {
	From []*Mailbox[T] // the mailboxes to move; each must be open
	To   []Handler[T]  // the handler of each new mailbox
	// Check, if set, runs once everything is locked and before anything
	// moves; an error aborts the whole operation.
	Check func() error
	// Commit, if set, runs right after the moves, still under the locks.
	Commit func()
	// Out receives the new mailboxes, in the order of From.
	Out []*Mailbox[T]
}

// Move applies mv on its own. On error nothing has moved.
func Move[T any](mv *Moves[T]) error {
	moveMu.Lock()
	defer moveMu.Unlock()
	return mv.applyLocked(nil)
}

// applyLocked moves every mailbox in mv, with moveMu held and, when sender is
// not nil, sender's mutex held too.
func (mv *Moves[T]) applyLocked(sender *Mailbox[T]) error {
	var held *sync.Mutex
	if sender != nil {
		held = sender.mu
	}
	locked := make([]*sync.Mutex, 0, len(mv.From))
	defer func() {
		for _, mu := range locked {
			mu.Unlock()
		}
	}()
	for _, b := range mv.From {
		if b.mu == held || contains(locked, b.mu) {
			continue
		}
		b.mu.Lock()
		locked = append(locked, b.mu)
	}
	for _, b := range mv.From {
		switch {
		case sender != nil && b == sender:
			return ErrSelf
		case sender != nil && b == sender.peer:
			return ErrPeer
		case b.State() != Open:
			return ErrNotOpen
		}
	}
	if mv.Check != nil {
		if err := mv.Check(); err != nil {
			return err
		}
	}
	mv.Out = make([]*Mailbox[T], len(mv.From))
	for i, b := range mv.From {
		mv.Out[i] = b.moveLocked(mv.To[i])
	}
	if mv.Commit != nil {
		mv.Commit()
	}
	return nil
}

func contains(s []*sync.Mutex, mu *sync.Mutex) bool {
	for _, x := range s {
		if x == mu {
			return true
		}
	}
	return false
}

// moveLocked detaches m and returns the mailbox that replaces it: same pair,
// same queue, a new handler, not started. If m's dispatcher is mid-batch,
// the new mailbox is held until that dispatcher hands the rest of its batch
// back, so the order of items is kept.
func (m *Mailbox[T]) moveLocked(h Handler[T]) *Mailbox[T] {
	nm := &Mailbox[T]{
		mu:       m.mu,
		h:        h,
		peer:     m.peer,
		q:        m.q,
		capacity: m.capacity,
		waiting:  m.waiting,
		held:     m.running || m.held,
	}
	nm.state.Store(m.state.Load())
	if m.peer != nil {
		m.peer.peer = nm
	}
	m.peer, m.q, m.spare = nil, queue[*T]{}, nil
	m.movedTo = nm
	m.setStateLocked(Detached)
	m.wakeLocked()
	if !m.running {
		m.finishLocked()
		if !m.held {
			m.movedTo = nil
		}
	}
	return nm
}
