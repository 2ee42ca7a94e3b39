package mailbox

// The queue is a chain of fixed-size segments. Posting appends to the tail
// segment; the dispatcher takes everything queued in one step (a span from
// the head to the tail) and reads it without the lock while posters go on
// writing further into the tail segment, beyond the span. Segments the
// dispatcher has read through are recycled, so a burst costs no growing,
// copying or clearing of one large array. An idle mailbox keeps its last
// tail segment and one recycled segment (each of at most maxSegment items).

const (
	minSegment = 8    // items in the first segment of a queue
	maxSegment = 1024 // items in a segment at most
)

type segment[T any] struct {
	items []T
	next  *segment[T]
}

// span is a run of queued items: from (head, hi) up to, not including,
// (tail, ti).
type span[T any] struct {
	head, tail *segment[T]
	hi, ti     int
}

// queue is a FIFO of items. It is guarded by its mailbox's mutex, except for
// the spans handed to the dispatcher.
type queue[T any] struct {
	span[T]
	n    int         // items queued
	free *segment[T] // one recycled segment, ready for reuse
}

func (q *queue[T]) len() int { return q.n }

func (q *queue[T]) push(x T) {
	if q.tail == nil || q.ti == len(q.tail.items) {
		q.grow()
	}
	q.tail.items[q.ti] = x
	q.ti++
	q.n++
}

// grow links a new tail segment, twice the size of the last one.
func (q *queue[T]) grow() {
	size := minSegment
	if q.tail != nil {
		size = min(2*len(q.tail.items), maxSegment)
	}
	var s *segment[T]
	if f := q.free; f != nil && len(f.items) >= size {
		s, q.free = f, nil
	} else {
		s = &segment[T]{items: make([]T, size)}
	}
	if q.tail == nil {
		q.head, q.hi = s, 0
	} else {
		q.tail.next = s
	}
	q.tail, q.ti = s, 0
}

// pop removes the head item. The queue must not be empty.
func (q *queue[T]) pop() T {
	for q.hi == len(q.head.items) {
		// Read through (not recycled: a dispatcher's batch may still end
		// in it).
		q.head, q.hi = q.head.next, 0
	}
	var zero T
	x := q.head.items[q.hi]
	q.head.items[q.hi] = zero
	q.hi++
	q.n--
	return x
}

// takeAll empties the queue and returns what it held, to be read with
// span.next outside the lock. Later pushes go after it in the tail segment or
// in new ones, so they never touch the span's items.
func (q *queue[T]) takeAll() span[T] {
	s := q.span
	q.head, q.hi = q.tail, q.ti
	q.n = 0
	return s
}

// pushFront puts items back at the head, in order (a transfer hands back
// what a detached mailbox's dispatcher had not delivered).
func (q *queue[T]) pushFront(items []T) {
	if len(items) == 0 {
		return
	}
	s := &segment[T]{items: append([]T(nil), items...)}
	if q.n == 0 {
		*q = queue[T]{free: q.free}
		q.head, q.tail, q.ti = s, s, len(items)
	} else {
		// The old head keeps its read position: cut what was read.
		rest := &segment[T]{items: q.head.items[q.hi:], next: q.head.next}
		if q.head == q.tail {
			q.tail, q.ti = rest, q.ti-q.hi
		}
		s.next = rest
		q.head = s
	}
	q.hi = 0
	q.n += len(items)
}

// recycle keeps a fully read segment for reuse.
func (q *queue[T]) recycle(s *segment[T]) {
	s.next = nil
	if q.free == nil || len(s.items) > len(q.free.items) {
		q.free = s
	}
}

// next returns the first item of the span and removes it from the span,
// clearing its slot. The second result is false when the span is empty. A
// segment read through is returned in done, for recycling under the lock.
func (s *span[T]) next() (x T, ok bool, done *segment[T]) {
	if s.head == nil {
		return x, false, nil
	}
	for s.hi == len(s.head.items) && s.head != s.tail {
		done = s.head
		s.head, s.hi = s.head.next, 0
	}
	if s.head == s.tail && s.hi == s.ti {
		return x, false, done
	}
	var zero T
	x = s.head.items[s.hi]
	s.head.items[s.hi] = zero
	s.hi++
	return x, true, done
}

// rest returns the span's remaining items, clearing their slots.
func (s *span[T]) rest() []T {
	var out []T
	for {
		x, ok, _ := s.next()
		if !ok {
			return out
		}
		out = append(out, x)
	}
}
