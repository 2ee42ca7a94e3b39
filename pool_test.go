package msgport_test

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/seed01aa7ee5/msgport"
)

// job and result are what the correlation tests send: the reply names the
// request it answers, and a check value that only that request produces.
type job struct {
	ID   int
	Spin int // how long the function works on it, in yields
}

type result struct {
	ID    int
	Check string
}

func answer(_ context.Context, j job) (result, error) {
	for range j.Spin {
		runtime.Gosched()
	}
	return result{ID: j.ID, Check: fmt.Sprint("r", j.ID*7)}, nil
}

func closePool[In, Out any](t *testing.T, p *msgport.Pool[In, Out]) {
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Errorf("Close = %v", err)
		}
	})
}

// Replies reach the caller whose request they answer, whatever order the
// workers finish in and however many callers there are.
func TestPoolCorrelatesUnderConcurrency(t *testing.T) {
	p := msgport.NewPool(ctxT(t), 4, answer, msgport.WithMaxInFlight(6))
	closePool(t, p)
	const callers, each = 16, 100
	var wg sync.WaitGroup
	for c := range callers {
		wg.Go(func() {
			for i := range each {
				id := c*each + i
				got, err := p.Do(ctxT(t), job{ID: id, Spin: (id * 31) % 17})
				if err != nil {
					t.Errorf("Do(%d): %v", id, err)
					return
				}
				if want := (result{ID: id, Check: fmt.Sprint("r", id*7)}); got != want {
					t.Errorf("Do(%d) = %+v, want %+v", id, got, want)
					return
				}
			}
		})
	}
	wg.Wait()
}

// The bound is exact: with every worker held, MaxInFlight submissions go
// through and the next does not, and each reply lets exactly one more in.
func TestPoolBackpressureHoldsTheBound(t *testing.T) {
	const workers, limit = 3, 5
	proceed := make(chan struct{}, 100)
	p := msgport.NewPool(ctxT(t), workers, func(ctx context.Context, i int) (int, error) {
		select {
		case <-proceed:
			return i, nil
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}, msgport.WithMaxInFlight(limit))
	closePool(t, p)
	if p.MaxInFlight() != limit || p.Workers() != workers {
		t.Fatalf("MaxInFlight, Workers = %d, %d; want %d, %d", p.MaxInFlight(), p.Workers(), limit, workers)
	}
	done := make(chan int, 100)
	submit := func(i int) {
		t.Helper()
		r, err := p.Submit(ctxT(t), i)
		if err != nil {
			t.Fatalf("Submit(%d): %v", i, err)
		}
		go func() { <-r.Done(); v, _ := r.Wait(context.Background()); done <- v }()
	}
	for i := range limit {
		submit(i) // room for all of them: none blocks
	}
	if _, err := p.TrySubmit(-1); !errors.Is(err, msgport.ErrPoolFull) {
		t.Fatalf("TrySubmit on a full pool = %v, want ErrPoolFull", err)
	}
	next := limit
	for range 20 {
		proceed <- struct{}{} // one request may finish
		await(t, done, "a reply")
		submit(next) // waits for the room that reply freed
		next++
		if _, err := p.TrySubmit(-1); !errors.Is(err, msgport.ErrPoolFull) {
			t.Fatalf("TrySubmit after one reply and one Submit = %v, want ErrPoolFull", err)
		}
	}
	for range limit {
		proceed <- struct{}{}
		await(t, done, "a reply")
	}
}

// Under load from many goroutines, requests in flight never exceed the
// bound and no worker runs two requests at once.
func TestPoolInFlightNeverExceedsTheBound(t *testing.T) {
	const workers, limit, callers, each = 3, 4, 12, 150
	var submitted, completed, active, maxActive, maxInFlight atomic.Int64
	raise := func(m *atomic.Int64, v int64) {
		for {
			old := m.Load()
			if v <= old || m.CompareAndSwap(old, v) {
				return
			}
		}
	}
	p := msgport.NewPool(ctxT(t), workers, func(_ context.Context, i int) (int, error) {
		// submitted is counted after Submit returns and completed before
		// the reply is posted, so this can only overestimate what is in
		// flight.
		raise(&maxInFlight, submitted.Load()-completed.Load())
		raise(&maxActive, active.Add(1))
		for range i % 5 {
			runtime.Gosched()
		}
		active.Add(-1)
		completed.Add(1)
		return i, nil
	}, msgport.WithMaxInFlight(limit))
	closePool(t, p)
	var wg sync.WaitGroup
	for c := range callers {
		wg.Go(func() {
			var rs []*msgport.Reply[int]
			for i := range each {
				r, err := p.Submit(ctxT(t), c*each+i)
				if err != nil {
					t.Errorf("Submit: %v", err)
					return
				}
				submitted.Add(1)
				rs = append(rs, r)
			}
			for i, r := range rs {
				if v, err := r.Wait(ctxT(t)); err != nil || v != c*each+i {
					t.Errorf("reply %d = %v, %v", c*each+i, v, err)
				}
			}
		})
	}
	wg.Wait()
	if got := completed.Load(); got != callers*each {
		t.Errorf("%d requests completed, want %d", got, callers*each)
	}
	if got := maxInFlight.Load(); got > limit {
		t.Errorf("%d requests were in flight at once, bound %d", got, limit)
	}
	if got := maxActive.Load(); got > workers {
		t.Errorf("%d requests ran at once on %d workers", got, workers)
	}
}

// Requests go to idle workers: n requests submitted one after another to n
// idle workers all run at once (a barrier that needs all of them).
func TestPoolSpreadsOverIdleWorkers(t *testing.T) {
	const workers = 5
	var arrived atomic.Int32
	all := make(chan struct{})
	p := msgport.NewPool(ctxT(t), workers, func(ctx context.Context, i int) (int, error) {
		if arrived.Add(1) == workers {
			close(all)
		}
		select {
		case <-all:
			return i, nil
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}, msgport.WithMaxInFlight(2*workers))
	closePool(t, p)
	var rs []*msgport.Reply[int]
	for i := range workers {
		r, err := p.Submit(ctxT(t), i)
		if err != nil {
			t.Fatal(err)
		}
		rs = append(rs, r)
	}
	for i, r := range rs {
		if v, err := r.Wait(ctxT(t)); err != nil || v != i {
			t.Fatalf("reply %d = %v, %v (two requests went to one worker?)", i, v, err)
		}
	}
}

// An error or a panic fails its own request only; Map keeps input order
// and yields every result.
func TestPoolMapKeepsOrderAndEveryResult(t *testing.T) {
	p := msgport.NewPool(ctxT(t), 4, func(_ context.Context, i int) (string, error) {
		for range (i * 13) % 11 {
			runtime.Gosched() // finish out of order
		}
		switch {
		case i%15 == 0:
			panic(fmt.Sprint("panic ", i))
		case i%6 == 0:
			return "", fmt.Errorf("error %d: %w", i, errBoom)
		}
		return fmt.Sprint("ok ", i), nil
	})
	closePool(t, p)
	const n = 600
	i := 0
	for v, err := range p.Map(ctxT(t), count(n)) {
		var pe *msgport.PanicError
		switch {
		case i%15 == 0:
			if !errors.As(err, &pe) || !strings.Contains(err.Error(), fmt.Sprint("panic ", i)) {
				t.Fatalf("result %d: %q, %v; want the panic", i, v, err)
			}
		case i%6 == 0:
			if !errors.Is(err, errBoom) || !strings.Contains(err.Error(), fmt.Sprint("error ", i)) {
				t.Fatalf("result %d: %q, %v; want its error", i, v, err)
			}
		default:
			if err != nil || v != fmt.Sprint("ok ", i) {
				t.Fatalf("result %d: %q, %v", i, v, err)
			}
		}
		i++
	}
	if i != n {
		t.Fatalf("Map yielded %d results, want %d", i, n)
	}
}

// count yields 0, 1, …, n-1; n < 0 means forever.
func count(n int) iter.Seq[int] {
	return func(yield func(int) bool) {
		for i := 0; n < 0 || i < n; i++ {
			if !yield(i) {
				return
			}
		}
	}
}

// Breaking out of Map stops reading the input; the pool closes cleanly
// and nothing is left running (goleak checks).
func TestPoolMapBreak(t *testing.T) {
	p := msgport.NewPool(ctxT(t), 3, func(_ context.Context, i int) (int, error) { return i, nil })
	got := 0
	for v, err := range p.Map(ctxT(t), count(-1)) {
		if err != nil || v != got {
			t.Fatalf("result %d = %v, %v", got, v, err)
		}
		if got++; got == 50 {
			break
		}
	}
	if err := p.Close(); err != nil {
		t.Fatalf("Close = %v", err)
	}
}

// Cancelling Map's context ends it with the context's error.
func TestPoolMapCancel(t *testing.T) {
	p := msgport.NewPool(ctxT(t), 2, func(_ context.Context, i int) (int, error) { return i, nil })
	closePool(t, p)
	ctx, cancel := context.WithCancel(ctxT(t))
	defer cancel()
	var last error
	n := 0
	for _, err := range p.Map(ctx, count(-1)) {
		if err != nil {
			last = err
			continue
		}
		if n++; n == 20 {
			cancel()
		}
	}
	if !errors.Is(last, context.Canceled) {
		t.Fatalf("Map ended with %v, want context.Canceled", last)
	}
}

// When Map's context ends, a result that had already arrived is still
// yielded as it is, the request's own error included; only a result still
// awaited is replaced by the context's error.
func TestPoolMapCancelKeepsArrivedErrors(t *testing.T) {
	p := msgport.NewPool(ctxT(t), 1, func(_ context.Context, i int) (int, error) {
		if i == 1 {
			return 0, errBoom
		}
		return i, nil
	}, msgport.WithMaxInFlight(2))
	closePool(t, p)
	ctx, cancel := context.WithCancel(ctxT(t))
	defer cancel()
	submitted := make(chan struct{}) // Map has submitted both values
	ins := func(yield func(int) bool) {
		if yield(0) && yield(1) {
			close(submitted)
		}
	}
	var got []error
	for v, err := range p.Map(ctx, ins) {
		if len(got) == 0 {
			if err != nil || v != 0 {
				t.Fatalf("result 0 = %v, %v", v, err)
			}
			// One worker, one port: once a request submitted after request
			// 1 is answered, the reply to request 1 has arrived too.
			await(t, submitted, "Map to submit both values")
			if _, err := p.Do(ctxT(t), 2); err != nil {
				t.Fatal(err)
			}
			cancel()
		}
		got = append(got, err)
	}
	if len(got) != 2 || !errors.Is(got[1], errBoom) {
		t.Fatalf("Map yielded errors %v, want [<nil> boom]", got)
	}
}

// Submit waiting for room gives up when its context ends.
func TestPoolSubmitCancelled(t *testing.T) {
	proceed := make(chan struct{})
	p := msgport.NewPool(ctxT(t), 1, func(_ context.Context, i int) (int, error) {
		<-proceed
		return i, nil
	}, msgport.WithMaxInFlight(1))
	closePool(t, p)
	defer close(proceed)
	if _, err := p.Submit(ctxT(t), 1); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(ctxT(t))
	errc := make(chan error)
	go func() {
		_, err := p.Submit(ctx, 2)
		errc <- err
	}()
	cancel()
	if err := await(t, errc, "Submit to give up"); !errors.Is(err, context.Canceled) {
		t.Fatalf("Submit = %v, want context.Canceled", err)
	}
}

// Cancelling the pool's context fails what is in flight, running or
// queued, with the context's error; Submit then fails and Close returns.
func TestPoolContextCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(ctxT(t))
	started := make(chan struct{}, 10)
	p := msgport.NewPool(ctx, 2, func(ctx context.Context, i int) (int, error) {
		started <- struct{}{}
		<-ctx.Done()
		return 0, ctx.Err()
	}, msgport.WithMaxInFlight(6))
	var rs []*msgport.Reply[int]
	for i := range 6 {
		r, err := p.Submit(ctxT(t), i)
		if err != nil {
			t.Fatal(err)
		}
		rs = append(rs, r)
	}
	await(t, started, "a request to start")
	await(t, started, "another request to start")
	cancel()
	for i, r := range rs {
		if _, err := r.Wait(ctxT(t)); !errors.Is(err, context.Canceled) {
			t.Errorf("reply %d: %v, want context.Canceled", i, err)
		}
	}
	if _, err := p.Submit(ctxT(t), 9); !errors.Is(err, msgport.ErrClosed) {
		t.Errorf("Submit after cancel = %v, want ErrClosed", err)
	}
	if err := p.Close(); err != nil {
		t.Fatalf("Close = %v", err)
	}
}

// Close waits for the requests in flight, then refuses new ones.
func TestPoolCloseWaitsForInFlight(t *testing.T) {
	proceed := make(chan struct{})
	p := msgport.NewPool(ctxT(t), 2, func(_ context.Context, i int) (int, error) {
		<-proceed
		return i * i, nil
	})
	var rs []*msgport.Reply[int]
	for i := range p.MaxInFlight() {
		r, err := p.Submit(ctxT(t), i)
		if err != nil {
			t.Fatal(err)
		}
		rs = append(rs, r)
	}
	closed := make(chan error, 1)
	go func() { closed <- p.Close() }()
	close(proceed)
	if err := await(t, closed, "Close"); err != nil {
		t.Fatalf("Close = %v", err)
	}
	for i, r := range rs {
		select {
		case <-r.Done():
		default:
			t.Fatalf("Close returned before reply %d", i)
		}
		if v, err := r.Wait(ctxT(t)); err != nil || v != i*i {
			t.Errorf("reply %d = %v, %v", i, v, err)
		}
	}
	if _, err := p.Submit(ctxT(t), 1); !errors.Is(err, msgport.ErrClosed) {
		t.Errorf("Submit after Close = %v, want ErrClosed", err)
	}
	if _, err := p.TrySubmit(1); !errors.Is(err, msgport.ErrClosed) {
		t.Errorf("TrySubmit after Close = %v, want ErrClosed", err)
	}
	for range p.Map(ctxT(t), count(3)) {
	}
	if err := p.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
}

// Once Close has begun, Submit and TrySubmit fail with ErrClosed at once,
// while Close still waits for the request in flight (which holds all the
// room), and a Submit that was waiting for room gives up with ErrClosed.
func TestPoolSubmitDuringCloseFailsAtOnce(t *testing.T) {
	proceed := make(chan struct{})
	release := sync.OnceFunc(func() { close(proceed) })
	defer release()
	p := msgport.NewPool(ctxT(t), 1, func(_ context.Context, i int) (int, error) {
		<-proceed
		return i, nil
	}, msgport.WithMaxInFlight(1))
	r, err := p.Submit(ctxT(t), 1)
	if err != nil {
		t.Fatal(err)
	}
	waiting := make(chan error, 1)
	go func() {
		_, err := p.Submit(ctxT(t), 2) // waits for room, or finds Close begun
		waiting <- err
	}()
	closed := make(chan error, 1)
	go func() { closed <- p.Close() }()
	// Until Close begins the pool is full; then TrySubmit must say closed.
	ctx := ctxT(t)
	for {
		_, err := p.TrySubmit(3)
		if errors.Is(err, msgport.ErrClosed) {
			break
		}
		if !errors.Is(err, msgport.ErrPoolFull) {
			t.Fatalf("TrySubmit while full = %v, want ErrPoolFull", err)
		}
		if ctx.Err() != nil {
			t.Fatal("TrySubmit still returns ErrPoolFull while Close drains")
		}
		runtime.Gosched()
	}
	if _, err := p.Submit(ctxT(t), 4); !errors.Is(err, msgport.ErrClosed) {
		t.Errorf("Submit while Close drains = %v, want ErrClosed", err)
	}
	if err := await(t, waiting, "the waiting Submit"); !errors.Is(err, msgport.ErrClosed) {
		t.Errorf("Submit waiting for room when Close began = %v, want ErrClosed", err)
	}
	select {
	case err := <-closed:
		t.Fatalf("Close returned (%v) with a request in flight", err)
	default:
	}
	release()
	if err := await(t, closed, "Close"); err != nil {
		t.Fatalf("Close = %v", err)
	}
	if v, err := r.Wait(ctxT(t)); err != nil || v != 1 {
		t.Fatalf("reply = %v, %v", v, err)
	}
}

// Requests and replies cross ports as structured clones: what the worker
// does to its copy does not reach the caller's value, and a result that
// cannot be cloned fails its request with a *DataCloneError.
func TestPoolMessagesAreClones(t *testing.T) {
	if _, err := msgport.StructuredClone(func() {}); err == nil {
		t.Skip("the clone engine does not copy yet (stub)")
	}
	p := msgport.NewPool(ctxT(t), 2, func(_ context.Context, in []int) (any, error) {
		in[0] = -1
		if len(in) > 1 {
			return func() {}, nil
		}
		return in, nil
	})
	closePool(t, p)
	in := []int{1}
	out, err := p.Do(ctxT(t), in)
	if err != nil || in[0] != 1 || out.([]int)[0] != -1 {
		t.Fatalf("Do = %v, %v; caller's value now %v", out, err, in)
	}
	var dce *msgport.DataCloneError
	if _, err := p.Do(ctxT(t), []int{1, 2}); !errors.As(err, &dce) {
		t.Fatalf("Do with an uncloneable result = %v, want a *DataCloneError", err)
	}
}

func TestNewPoolMisuse(t *testing.T) {
	for name, f := range map[string]func(){
		"nil function":       func() { msgport.NewPool[int, int](context.Background(), 1, nil) },
		"WithMaxInFlight(0)": func() { msgport.WithMaxInFlight(0) },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if r, _ := recover().(string); !strings.HasPrefix(r, "msgport:") {
					t.Fatalf("recover() = %q, want a msgport panic", r)
				}
			}()
			f()
		})
	}
	p := msgport.NewPool(ctxT(t), 0, func(_ context.Context, i int) (int, error) { return i, nil })
	closePool(t, p)
	if p.Workers() != runtime.GOMAXPROCS(0) {
		t.Errorf("NewPool(0 workers) has %d, want GOMAXPROCS", p.Workers())
	}
}

// A worker whose function ends its goroutine (runtime.Goexit) fails the
// request it held; the pool goes on with the other workers.
func TestPoolSurvivesALostWorker(t *testing.T) {
	p := msgport.NewPool(ctxT(t), 3, func(_ context.Context, i int) (int, error) {
		if i < 0 {
			runtime.Goexit()
		}
		return i, nil
	})
	if _, err := p.Do(ctxT(t), -1); !errors.Is(err, msgport.ErrClosed) {
		t.Fatalf("Do on the lost worker = %v, want ErrClosed", err)
	}
	for i := range 30 {
		if v, err := p.Do(ctxT(t), i); err != nil || v != i {
			t.Fatalf("Do(%d) = %v, %v", i, v, err)
		}
	}
	if err := p.Close(); err == nil || !strings.Contains(err.Error(), "Goexit") {
		t.Fatalf("Close = %v, want the lost worker's error", err)
	}
}
