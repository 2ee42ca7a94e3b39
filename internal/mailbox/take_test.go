package mailbox

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"
)

// waiting returns how many Takes wait on m.
func waiting[T any](m *Mailbox[T]) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for w := m.waiters.head; w != nil; w = w.next {
		n++
	}
	return n
}

// awaitWaiting returns once n Takes wait on m.
func awaitWaiting[T any](t *testing.T, m *Mailbox[T], n int) {
	t.Helper()
	waitUntil(t, fmt.Sprintf("%d Takes wait", n), func() bool { return waiting(m) == n })
}

type taken struct {
	item int
	err  error
}

// goTake runs Take on m in a new goroutine and returns where its result
// arrives.
func goTake(ctx context.Context, m *Mailbox[int]) chan taken {
	c := make(chan taken, 1)
	go func() {
		x, err := m.Take(ctx)
		if err != nil {
			c <- taken{err: err}
			return
		}
		c <- taken{item: *x}
	}()
	return c
}

func result(t *testing.T, c chan taken) taken {
	t.Helper()
	select {
	case r := <-c:
		return r
	case <-time.After(10 * time.Second):
		t.Fatal("Take did not return")
		return taken{}
	}
}

// Takes that wait are served in the order they began to wait.
func TestTakersServedInOrder(t *testing.T) {
	a, b := Pair[int](0, newRecorder(), newRecorder())
	defer a.Close()
	var results []chan taken
	for i := range 3 {
		results = append(results, goTake(context.Background(), b))
		awaitWaiting(t, b, i+1)
	}
	for i := range 3 {
		if err := a.Post(context.Background(), i, nil); err != nil {
			t.Fatal(err)
		}
	}
	for i, c := range results {
		if r := result(t, c); r.err != nil || r.item != i {
			t.Errorf("Take %d got %+v, want item %d", i, r, i)
		}
	}
}

// A Take whose context ends just as an item is handed to it returns the
// item: nothing posted is lost. The hook makes both happen after the Take
// has become a waiter and before it parks, so its select finds both ready
// and picks one at random.
func TestCancelledTakeKeepsItsItem(t *testing.T) {
	a, b := Pair[int](0, newRecorder(), newRecorder())
	defer a.Close()
	defer func() { testHookTakeWaits = nil }()
	const n = 200
	for i := range n {
		ctx, cancel := context.WithCancel(context.Background())
		testHookTakeWaits = func() {
			if err := a.Post(context.Background(), i, nil); err != nil {
				t.Error(err)
			}
			cancel()
		}
		x, err := b.Take(ctx)
		cancel()
		if err != nil {
			t.Fatalf("Take %d = %v; the item handed to it is lost", i, err)
		}
		if *x != i {
			t.Fatalf("Take %d got item %d", i, *x)
		}
		if _, ok := b.TryTake(); ok {
			t.Fatal("an item was queued instead of handed to the waiting Take")
		}
	}
}

// blocker delivers items to got and holds the first one until release is
// closed.
type blocker struct {
	got     chan int
	release chan struct{}
}

func (b *blocker) Deliver(x *int) bool {
	b.got <- *x
	if *x == 1 {
		<-b.release
	}
	return true
}
func (b *blocker) End() {}

// midBatch returns a pair whose second mailbox's dispatcher is delivering
// the first item of one batch of 1, 2, 3 to h and holds it there until
// h.release is closed.
func midBatch(t *testing.T) (h *blocker, a, b *Mailbox[int]) {
	t.Helper()
	h = &blocker{got: make(chan int, 3), release: make(chan struct{})}
	a, b = Pair[int](0, newRecorder(), h)
	for i := 1; i <= 3; i++ {
		if err := a.Post(context.Background(), i, nil); err != nil {
			t.Fatal(err)
		}
	}
	b.Start()
	if x := <-h.got; x != 1 {
		t.Fatalf("first delivery %d", x)
	}
	return h, a, b
}

// A mailbox moved while its dispatcher is mid-batch is held until the rest
// of that batch comes back to its front. An item posted meanwhile queues
// behind that batch, even when a Take is waiting.
func TestHeldMailboxKeepsOrderForTakes(t *testing.T) {
	h, a, b := midBatch(t)
	defer a.Close()
	mv := &Moves[int]{From: []*Mailbox[int]{b}, To: []Handler[int]{newRecorder()}}
	if err := Move(mv); err != nil {
		t.Fatal(err)
	}
	nb := mv.Out[0]
	first := goTake(context.Background(), nb)
	awaitWaiting(t, nb, 1)
	if err := a.Post(context.Background(), 4, nil); err != nil {
		t.Fatal(err)
	}
	close(h.release)
	for want := 2; want <= 4; want++ {
		var r taken
		if want == 2 {
			r = result(t, first)
		} else {
			r = result(t, goTake(context.Background(), nb))
		}
		if r.err != nil || r.item != want {
			t.Fatalf("Take got %+v, want item %d", r, want)
		}
	}
}

// An item handed to an idle dispatcher that is moved before it runs goes,
// in order, to the mailbox it was moved to.
func TestHandOffSurvivesMove(t *testing.T) {
	withLinger(t, time.Hour)
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1)) // the dispatcher runs only when this goroutine waits
	r, m := startRecorder()
	pushAndGet(t, r, m, 1) // the dispatcher now waits idle
	if err := m.Push(2); err != nil {
		t.Fatal(err)
	}
	r2 := newRecorder()
	mv := &Moves[int]{From: []*Mailbox[int]{m}, To: []Handler[int]{r2}}
	if err := Move(mv); err != nil {
		t.Fatal(err)
	}
	nm := mv.Out[0]
	nm.Start()
	if err := nm.Push(3); err != nil {
		t.Fatal(err)
	}
	r2.expect(t, 2)
	r2.expect(t, 3)
	nm.Close()
	<-nm.Done()
}

// A mailbox moved on again while still held for its predecessor's batch is
// detached like any other: Take on it returns ErrEnded at once, before and
// after the batch comes back, and the batch reaches the last mailbox.
func TestMovedOnWhileHeld(t *testing.T) {
	h, a, b := midBatch(t)
	defer a.Close()
	move := func(m *Mailbox[int]) *Mailbox[int] {
		mv := &Moves[int]{From: []*Mailbox[int]{m}, To: []Handler[int]{newRecorder()}}
		if err := Move(mv); err != nil {
			t.Fatal(err)
		}
		return mv.Out[0]
	}
	middle := move(b) // held: b's dispatcher is mid-batch
	last := move(middle)
	if r := result(t, goTake(context.Background(), middle)); r.err != ErrEnded {
		t.Fatalf("Take on the mailbox moved on, while held: %+v, want ErrEnded", r)
	}
	close(h.release)
	<-b.Done()
	if r := result(t, goTake(context.Background(), middle)); r.err != ErrEnded {
		t.Fatalf("Take on the mailbox moved on, after the hand-back: %+v, want ErrEnded", r)
	}
	for want := 2; want <= 3; want++ {
		if r := result(t, goTake(context.Background(), last)); r.err != nil || r.item != want {
			t.Fatalf("Take on the last mailbox got %+v, want item %d", r, want)
		}
	}
}

// mover moves its mailbox away as the first item's delivery begins and
// declines that item, as a port does when it is transferred between the
// dispatcher's halt check and its listener's start.
type mover struct {
	t     *testing.T
	m     *Mailbox[int]
	moved chan *Mailbox[int]
}

func (h *mover) Deliver(x *int) bool {
	if *x != 1 {
		h.t.Errorf("the moved mailbox delivered %d", *x)
		return true
	}
	mv := &Moves[int]{From: []*Mailbox[int]{h.m}, To: []Handler[int]{newRecorder()}}
	if err := Move(mv); err != nil {
		h.t.Error(err)
	}
	h.moved <- mv.Out[0]
	return false
}
func (h *mover) End() {}

// An item the handler declines because its mailbox was moved as its
// delivery began goes, in order, to the mailbox it was moved to, and a
// bounded one counts it again.
func TestDeclinedItemFollowsMove(t *testing.T) {
	for _, capacity := range []int{0, 3} {
		t.Run(fmt.Sprint("capacity ", capacity), func(t *testing.T) {
			h := &mover{t: t, moved: make(chan *Mailbox[int], 1)}
			a, b := Pair[int](capacity, newRecorder(), h)
			defer a.Close()
			h.m = b
			for i := 1; i <= 3; i++ {
				if err := a.Post(context.Background(), i, nil); err != nil {
					t.Fatal(err)
				}
			}
			b.Start() // one batch: 1, 2, 3
			nb := <-h.moved
			<-b.Done() // the batch is back
			if capacity > 0 {
				done, cancel := context.WithCancel(context.Background())
				cancel()
				if err := a.Post(done, 4, nil); err != context.Canceled {
					t.Fatalf("Post to a full queue: %v, want context.Canceled", err)
				}
			}
			for want := 1; want <= 3; want++ {
				if r := result(t, goTake(context.Background(), nb)); r.err != nil || r.item != want {
					t.Fatalf("Take got %+v, want item %d", r, want)
				}
			}
		})
	}
}

// haltAware delivers items to got unless its mailbox is halted, as a port
// does.
type haltAware struct {
	m   *Mailbox[int]
	got chan int
}

func (h *haltAware) Deliver(x *int) bool {
	if h.m.Halted() {
		return false
	}
	h.got <- *x
	return true
}
func (h *haltAware) End() {}

// A bounded mailbox moved between the dispatcher's taking an item and that
// item's delivery beginning hands the item back counted once: the queue it
// was moved to holds exactly its capacity again once it is drained.
func TestMoveAsDeliveryBeginsKeepsTheCount(t *testing.T) {
	const capacity = 3
	h := &haltAware{got: make(chan int, capacity)}
	a, b := Pair[int](capacity, newRecorder(), h)
	defer a.Close()
	h.m = b
	for i := 1; i <= capacity; i++ {
		if err := a.Post(context.Background(), i, nil); err != nil {
			t.Fatal(err)
		}
	}
	var nb *Mailbox[int]
	testHookItemTaken = func() {
		testHookItemTaken = nil
		mv := &Moves[int]{From: []*Mailbox[int]{b}, To: []Handler[int]{newRecorder()}}
		if err := Move(mv); err != nil {
			t.Error(err)
		}
		nb = mv.Out[0]
	}
	defer func() { testHookItemTaken = nil }()
	b.Start()
	<-b.Done() // the batch is back, nb set
	for want := 1; want <= capacity; want++ {
		if r := result(t, goTake(context.Background(), nb)); r.err != nil || r.item != want {
			t.Fatalf("Take got %+v, want item %d", r, want)
		}
	}
	done, cancel := context.WithCancel(context.Background())
	cancel()
	for i := range capacity { // room for these, whatever ctx says
		if err := a.Post(done, 10+i, nil); err != nil {
			t.Fatalf("post %d into the drained queue: %v", i+1, err)
		}
	}
	if err := a.Post(done, 20, nil); err != context.Canceled {
		t.Fatalf("post beyond the capacity: %v, want context.Canceled", err)
	}
	if len(h.got) != 0 {
		t.Fatalf("the moved mailbox delivered %d", <-h.got)
	}
}
