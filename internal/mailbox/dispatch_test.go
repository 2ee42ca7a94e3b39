package mailbox

import (
	"bytes"
	"context"
	"errors"
	"runtime"
	"sync"
	"testing"
	"time"
)

// goid returns the calling goroutine's id.
func goid() string {
	buf := make([]byte, 64)
	buf = buf[:runtime.Stack(buf, false)]
	f := bytes.Fields(buf)
	return string(f[1]) // "goroutine N [running]:"
}

// recorder records, for each item, the goroutine that delivered it.
type recorder struct {
	mu   sync.Mutex
	by   []string
	got  chan int
	ends chan struct{}
}

func newRecorder() *recorder {
	return &recorder{got: make(chan int, 100), ends: make(chan struct{})}
}

func (r *recorder) Deliver(x *int) bool {
	r.mu.Lock()
	r.by = append(r.by, goid())
	r.mu.Unlock()
	r.got <- *x
	return true
}
func (r *recorder) End() { close(r.ends) }

func (r *recorder) goroutines() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.by...)
}

// pushAndGet pushes x and waits until the recorder has received it.
func pushAndGet(t *testing.T, r *recorder, m *Mailbox[int], x int) {
	t.Helper()
	if err := m.Push(x); err != nil {
		t.Fatal(err)
	}
	r.expect(t, x)
}

// expect waits for the recorder's next item and checks that it is want.
func (r *recorder) expect(t *testing.T, want int) {
	t.Helper()
	select {
	case got := <-r.got:
		if got != want {
			t.Fatalf("got %d, want %d", got, want)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("item %d not delivered", want)
	}
}

// waitUntil returns once cond holds, checking it every 100 µs; after 10 s
// it fails the test, naming what was awaited.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("timed out waiting until " + what)
		}
		time.Sleep(100 * time.Microsecond)
	}
}

// startRecorder returns a started mailbox delivering to a recorder.
func startRecorder() (*recorder, *Mailbox[int]) {
	r := newRecorder()
	m := New[int](r)
	m.Start()
	return r, m
}

func withLinger(t *testing.T, d time.Duration) {
	old := defaultLinger.Swap(int64(d))
	t.Cleanup(func() { defaultLinger.Store(old) })
}

func running[T any](m *Mailbox[T]) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.running
}

// A dispatcher that has drained its queue waits for more before it exits,
// so the next message reuses its goroutine (and its grown stack).
func TestDispatcherLingers(t *testing.T) {
	withLinger(t, time.Hour)
	r, m := startRecorder()
	for i := range 3 {
		pushAndGet(t, r, m, i)
	}
	if by := r.goroutines(); by[0] != by[1] || by[1] != by[2] {
		t.Errorf("items delivered by goroutines %v, want one", by)
	}
	if !running(m) {
		t.Error("the dispatcher exited within its linger time")
	}
	m.Close() // rouses it to deliver End, then it exits
	<-r.ends
	<-m.Done()
}

// A dispatcher with nothing to do for its linger time exits: an idle
// mailbox holds no goroutine.
func TestDispatcherExitsWhenIdle(t *testing.T) {
	withLinger(t, time.Millisecond)
	r, m := startRecorder()
	pushAndGet(t, r, m, 1)
	waitUntil(t, "the dispatcher of an idle mailbox exits", func() bool { return !running(m) })
	// A new dispatcher starts for the next item.
	pushAndGet(t, r, m, 2)
	m.Close()
	<-m.Done()
}

// A dispatcher that keeps working is checked on less and less often: each
// tick that finds it has worked doubles its linger period, up to the cap;
// the first idle period ends it, and the next dispatcher starts from the
// default again. (The ticks are called by hand; the real timer is an hour
// away.)
func TestLingerGrowsWithWork(t *testing.T) {
	withLinger(t, time.Hour)
	r, m := startRecorder()
	defer func() { m.Close(); <-m.Done() }()
	period := func() time.Duration {
		m.mu.Lock()
		defer m.mu.Unlock()
		return m.d.lingerFor
	}
	want := time.Hour
	for i := range 8 {
		pushAndGet(t, r, m, i)
		waitUntil(t, "the dispatcher waits idle", func() bool {
			m.mu.Lock()
			defer m.mu.Unlock()
			return m.d.idle
		})
		m.tick()
		want = min(2*want, maxLingerGrowth*time.Hour)
		if got := period(); got != want {
			t.Fatalf("after %d busy ticks the period is %v, want %v", i+1, got, want)
		}
	}
	m.tick() // idle for the whole period
	waitUntil(t, "the idle dispatcher exits", func() bool { return !running(m) })
	if got := period(); got != time.Hour {
		t.Fatalf("after the dispatcher exited the period is %v, want the default %v", got, time.Hour)
	}
}

// Items pushed right as the linger timer ends the dispatcher are still
// delivered (the timer and the push race for the idle dispatcher).
func TestLingerExpiryRacesPush(t *testing.T) {
	withLinger(t, time.Microsecond)
	r, m := startRecorder()
	for i := range 2000 {
		pushAndGet(t, r, m, i)
	}
	m.Close()
	<-m.Done()
}

// Many Takes wait at once: every item goes to exactly one of them, and
// closing wakes all that are left.
func TestManyTakers(t *testing.T) {
	a, b := Pair[int](0, newRecorder(), newRecorder())
	const takers, items = 8, 4000
	ctx := context.Background()
	var wg sync.WaitGroup
	got := make(chan int, items)
	ended := make(chan error, takers)
	for range takers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				x, err := b.Take(ctx)
				if err != nil {
					ended <- err
					return
				}
				got <- *x
			}
		}()
	}
	// A Take that gives up leaves the waiters; it takes no item with it.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := b.Take(cctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Take with a cancelled context = %v", err)
	}
	for i := range items {
		if err := a.Post(ctx, i, nil); err != nil {
			t.Fatal(err)
		}
	}
	seen := make([]bool, items)
	for range items {
		select {
		case x := <-got:
			if seen[x] {
				t.Fatalf("item %d taken twice", x)
			}
			seen[x] = true
		case <-time.After(10 * time.Second):
			t.Fatal("items left untaken")
		}
	}
	a.Close()
	wg.Wait()
	for range takers {
		if err := <-ended; !errors.Is(err, ErrEnded) {
			t.Errorf("a waiting Take ended with %v", err)
		}
	}
}

// Moving a mailbox whose dispatcher lingers idle wakes that dispatcher at
// once: the old mailbox finishes and the new one dispatches without
// waiting out the linger.
func TestMoveRousesIdleDispatcher(t *testing.T) {
	withLinger(t, time.Hour)
	r, m := startRecorder()
	pushAndGet(t, r, m, 1)
	r2 := newRecorder()
	mv := &Moves[int]{From: []*Mailbox[int]{m}, To: []Handler[int]{r2}}
	if err := Move(mv); err != nil {
		t.Fatal(err)
	}
	select {
	case <-m.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the moved mailbox's idle dispatcher was not woken")
	}
	nm := mv.Out[0]
	nm.Start()
	pushAndGet(t, r2, nm, 2)
	nm.Close()
	<-nm.Done()
}
