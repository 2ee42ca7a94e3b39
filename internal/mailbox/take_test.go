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

func (b *blocker) Deliver(x *int) {
	b.got <- *x
	if *x == 1 {
		<-b.release
	}
}
func (b *blocker) End() {}

// A mailbox moved while its dispatcher is mid-batch is held until the rest
// of that batch comes back to its front. An item posted meanwhile queues
// behind that batch, even when a Take is waiting.
func TestHeldMailboxKeepsOrderForTakes(t *testing.T) {
	h := &blocker{got: make(chan int, 3), release: make(chan struct{})}
	a, b := Pair[int](0, newRecorder(), h)
	defer a.Close()
	for i := 1; i <= 3; i++ {
		if err := a.Post(context.Background(), i, nil); err != nil {
			t.Fatal(err)
		}
	}
	b.Start() // one batch: 1, 2, 3
	if x := <-h.got; x != 1 {
		t.Fatalf("first delivery %d", x)
	}
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
