package msgport

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"runtime"
	"sync"
	"sync/atomic"

	"golang.org/x/sync/errgroup"
	"golang.org/x/sync/semaphore"
)

// ErrPoolFull is returned by TrySubmit when the pool already has as many
// requests in flight as it allows.
var ErrPoolFull = errors.New("msgport: pool is full")

// Pool is a fixed set of Workers behind one front, each running the pool's
// function on the requests it is given: the Go analogue of a pool of Web
// Workers. A request (Submit, TrySubmit, Do, Map) is posted, as a structured
// clone, to the least busy worker (an idle one when there is one); the
// worker calls the function and posts back the result, again a clone, which
// resolves the request's Reply. Pool and workers share no mutable memory.
//
// Each request carries an identifier that its reply echoes, so replies are
// matched to their requests whatever order they come back in. A request's
// error, or a panic in the function (a *PanicError), fails that request
// only: the worker goes on with the next one.
//
// At most MaxInFlight requests (WithMaxInFlight; default twice the number
// of workers) are in flight at once, from the moment Submit hands one to a
// worker until its reply arrives; Submit blocks while the pool is full, so
// a fast producer is held back instead of queueing without bound.
//
// All methods are safe for concurrent use.
type Pool[In, Out any] struct {
	fn      func(context.Context, In) (Out, error)
	ctx     context.Context
	workers []*poolWorker
	limit   int
	sem     *semaphore.Weighted

	mu      sync.Mutex
	pending map[uint64]pending[Out]
	lastID  uint64
	next    int // where the search for the least busy worker starts

	closing    context.Context // done once Close has begun (cancelled under mu)
	beginClose context.CancelFunc
	closeOnce  sync.Once
	closeErr   error
}

// poolWorker is one of a pool's workers, with the number of requests it
// holds (queued at its port or being worked on).
type poolWorker struct {
	*Worker
	load    atomic.Int64
	stopped atomic.Bool // its port has closed: it takes no more requests
}

type pending[Out any] struct {
	reply  *Reply[Out]
	worker *poolWorker
}

// poolRequest and poolReply are the messages between a pool and its
// workers: the reply echoes the request's ID.
type poolRequest[In any] struct {
	ID uint64
	In In
}

type poolReply[Out any] struct {
	ID  uint64
	Out Out
	Err error
}

// PoolOption configures NewPool.
type PoolOption func(*poolConfig)

type poolConfig struct {
	maxInFlight int
}

// WithMaxInFlight bounds the number of requests in flight in the pool to n:
// Submit and Do wait, and TrySubmit fails, while n requests are waiting for
// their replies. It panics if n < 1.
func WithMaxInFlight(n int) PoolOption {
	if n < 1 {
		panic(fmt.Sprintf("msgport: WithMaxInFlight(%d): the bound must be at least 1", n))
	}
	return func(c *poolConfig) { c.maxInFlight = n }
}

// NewPool starts a pool of the given number of workers (runtime.GOMAXPROCS(0)
// if workers < 1), each calling fn on the requests it is given. fn's context
// is the pool's, derived from ctx: it is done when ctx is done or the pool is
// closed. When ctx is done, the workers stop, requests in flight fail with
// the context's error, and Submit fails; call Close to wait for them.
// NewPool panics if fn is nil.
func NewPool[In, Out any](ctx context.Context, workers int, fn func(ctx context.Context, in In) (Out, error), opts ...PoolOption) *Pool[In, Out] {
	if fn == nil {
		panic("msgport: NewPool with a nil function")
	}
	if workers < 1 {
		workers = runtime.GOMAXPROCS(0)
	}
	cfg := poolConfig{maxInFlight: 2 * workers}
	for _, o := range opts {
		o(&cfg)
	}
	p := &Pool[In, Out]{
		fn:      fn,
		ctx:     ctx,
		limit:   cfg.maxInFlight,
		sem:     semaphore.NewWeighted(int64(cfg.maxInFlight)),
		pending: make(map[uint64]pending[Out]),
	}
	p.closing, p.beginClose = context.WithCancel(context.Background())
	p.workers = make([]*poolWorker, workers)
	for i := range p.workers {
		pw := &poolWorker{Worker: NewWorker(ctx, p.serve)}
		pw.SetOnMessage(func(ev *MessageEvent) { p.onReply(ev) })
		pw.SetOnClose(func(*Event) { p.onWorkerClose(pw) })
		p.workers[i] = pw
	}
	return p
}

// Workers returns the number of workers.
func (p *Pool[In, Out]) Workers() int { return len(p.workers) }

// MaxInFlight returns the bound on requests in flight.
func (p *Pool[In, Out]) MaxInFlight() int { return p.limit }

// Submit hands in to a worker and returns the Reply that will hold the
// result. It blocks while the pool is full, until a reply frees room or ctx
// is done (ctx.Err()). It returns ErrClosed once Close has begun or the
// pool's context is done (a Submit waiting for room when Close begins
// returns ErrClosed then), and a *DataCloneError, sending nothing, if in
// cannot be cloned.
//
// Once Submit has returned, the request runs to its end even if ctx is done
// later: ctx bounds the wait for room, not the work (fn sees the pool's
// context).
func (p *Pool[In, Out]) Submit(ctx context.Context, in In) (*Reply[Out], error) {
	if err := ctx.Err(); err != nil {
		return nil, err // as the semaphore's Acquire would, even with room
	}
	if !p.sem.TryAcquire(1) {
		if err := p.acquire(ctx); err != nil {
			return nil, err
		}
	}
	return p.send(in)
}

// acquire waits for one unit of room, giving up with ctx.Err() when ctx is
// done, or with ErrClosed when Close begins: Close holds all the room while
// it drains, and the semaphore serves its waiters in order, so a Submit
// waiting behind it would otherwise wait for the whole drain.
func (p *Pool[In, Out]) acquire(ctx context.Context) error {
	if p.closing.Err() != nil {
		return ErrClosed
	}
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(p.closing, cancel)
	defer stop()
	if err := p.sem.Acquire(wctx, 1); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return ErrClosed
	}
	return nil
}

// TrySubmit is Submit without the wait: when the pool is full it returns
// ErrPoolFull at once, or ErrClosed once Close has begun.
func (p *Pool[In, Out]) TrySubmit(in In) (*Reply[Out], error) {
	if !p.sem.TryAcquire(1) {
		if p.closing.Err() != nil {
			return nil, ErrClosed
		}
		return nil, ErrPoolFull
	}
	return p.send(in)
}

// Do submits in and waits for its reply: it returns fn's result for in, or
// its error. It returns ctx.Err() if ctx is done first (see Submit for what
// happens to the request).
func (p *Pool[In, Out]) Do(ctx context.Context, in In) (Out, error) {
	r, err := p.Submit(ctx, in)
	if err != nil {
		var zero Out
		return zero, err
	}
	return r.Wait(ctx)
}

// send posts in to the least busy worker; the caller holds one unit of the
// semaphore, which the reply (or a failure here) gives back.
func (p *Pool[In, Out]) send(in In) (*Reply[Out], error) {
	if p.ctx.Err() != nil {
		p.sem.Release(1)
		return nil, ErrClosed
	}
	r := &Reply[Out]{done: make(chan struct{})}
	p.mu.Lock()
	if p.closing.Err() != nil {
		p.mu.Unlock()
		p.sem.Release(1)
		return nil, ErrClosed
	}
	pw := p.leastBusy() // under p.mu, so that concurrent senders spread
	if pw == nil {
		p.mu.Unlock()
		p.sem.Release(1)
		return nil, ErrClosed
	}
	p.lastID++
	id := p.lastID
	pw.load.Add(1)
	p.pending[id] = pending[Out]{reply: r, worker: pw}
	p.mu.Unlock()

	if err := pw.PostMessage(poolRequest[In]{ID: id, In: in}); err != nil {
		// Not sent. Unless the worker's close already failed it, forget it.
		if _, ok := p.take(id); ok {
			p.sem.Release(1)
		}
		return nil, err
	}
	return r, nil
}

// leastBusy picks the running worker holding the fewest requests, looking
// from a rotating start so that ties are spread; nil if none is running.
// The caller holds p.mu.
func (p *Pool[In, Out]) leastBusy() *poolWorker {
	n := len(p.workers)
	p.next = (p.next + 1) % n
	var best *poolWorker
	var bestLoad int64
	for i := range n {
		w := p.workers[(p.next+i)%n]
		if w.stopped.Load() {
			continue
		}
		if l := w.load.Load(); best == nil || l < bestLoad {
			best, bestLoad = w, l
			if l == 0 {
				break // idle
			}
		}
	}
	return best
}

// take removes request id from the pending set, reporting whether it was
// there: whoever takes it resolves it and gives its room back.
func (p *Pool[In, Out]) take(id uint64) (pending[Out], bool) {
	p.mu.Lock()
	e, ok := p.pending[id]
	delete(p.pending, id)
	p.mu.Unlock()
	if ok {
		e.worker.load.Add(-1)
	}
	return e, ok
}

// onReply resolves the request a worker's reply answers. It runs on that
// worker's port's dispatcher.
func (p *Pool[In, Out]) onReply(ev *MessageEvent) {
	rep, ok := ev.Data.(poolReply[Out])
	if !ok {
		return // not a reply: nothing else is ever posted
	}
	if e, ok := p.take(rep.ID); ok {
		e.reply.resolve(rep.Out, rep.Err)
		p.sem.Release(1)
	}
}

// onWorkerClose fails the requests a stopped worker still held: after its
// "close" event no reply can come from it.
func (p *Pool[In, Out]) onWorkerClose(pw *poolWorker) {
	pw.stopped.Store(true)
	err := error(ErrClosed)
	if cause := context.Cause(p.ctx); cause != nil {
		err = cause
	}
	p.mu.Lock()
	var lost []*Reply[Out]
	for id, e := range p.pending {
		if e.worker == pw {
			lost = append(lost, e.reply)
			delete(p.pending, id)
		}
	}
	p.mu.Unlock()
	pw.load.Add(-int64(len(lost)))
	var zero Out
	for _, r := range lost {
		r.resolve(zero, err)
	}
	p.sem.Release(int64(len(lost)))
}

// serve is each worker's function: a loop that answers requests one at a
// time until the pool stops it.
func (p *Pool[In, Out]) serve(ctx context.Context, port *MessagePort) error {
	for {
		ev, err := port.Receive(ctx)
		if err != nil {
			return nil // the pool is closing, or its context is done
		}
		req, ok := ev.Data.(poolRequest[In])
		if !ok {
			return fmt.Errorf("msgport: pool worker got a %T", ev.Data)
		}
		out, err := p.call(ctx, req.In)
		err = port.PostMessage(poolReply[Out]{ID: req.ID, Out: out, Err: err})
		if err != nil && !errors.Is(err, ErrClosed) {
			// The result cannot be cloned: the request fails with why.
			err = port.PostMessage(poolReply[Out]{ID: req.ID, Err: err})
		}
		if err != nil {
			return nil // closed: the pool is going away
		}
	}
}

// call runs fn, turning a panic into a *PanicError.
func (p *Pool[In, Out]) call(ctx context.Context, in In) (out Out, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = newPanicError(r)
		}
	}()
	return p.fn(ctx, in)
}

// Map submits every value of ins, in order, and yields each one's result
// and error in the same order, as the results come in. A request's error is
// yielded in its place and the others go on. A failure to submit (ctx done,
// pool closed, a value that cannot be cloned) is yielded after the results
// of the values before it and ends the sequence.
//
// When ctx is done Map also stops waiting for results: it goes on yielding
// the results that have arrived, in order, up to the first one that has
// not, which it replaces by ctx.Err() to end the sequence; the results
// after it are dropped (their requests still run).
//
// ins is read on another goroutine, ahead of the consumer by at most
// MaxInFlight values; together with the pool's own bound, at most about
// twice MaxInFlight results wait to be yielded. Breaking out of the loop
// stops reading ins; requests in flight still run. Map may be called from
// several goroutines at once; each call keeps its own order.
func (p *Pool[In, Out]) Map(ctx context.Context, ins iter.Seq[In]) iter.Seq2[Out, error] {
	return func(yield func(Out, error) bool) {
		ctx, cancel := context.WithCancel(ctx)
		replies := make(chan *Reply[Out], p.limit)
		var g errgroup.Group
		g.Go(func() error {
			defer close(replies)
			for in := range ins {
				r, err := p.Submit(ctx, in)
				if err != nil {
					return err
				}
				replies <- r // waits while the consumer is behind
			}
			return nil
		})
		defer func() {
			// Stop the feeder and let it finish, whatever ended the loop.
			cancel()
			for range replies {
			}
			_ = g.Wait()
		}()
		for r := range replies {
			out, arrived, err := r.wait(ctx)
			if !arrived {
				var zero Out
				yield(zero, err) // ctx's error
				return
			}
			if !yield(out, err) {
				return
			}
		}
		if err := g.Wait(); err != nil {
			var zero Out
			yield(zero, err)
		}
	}
}

// Close stops the pool from taking new requests (from then on Submit and
// TrySubmit return ErrClosed, and a Submit waiting for room gives up with
// it), waits for the requests in flight to be answered, then stops the
// workers and waits for them. It returns the workers' errors, joined
// (normally nil). To abandon requests in flight instead of waiting for them,
// cancel the pool's context first. Close is idempotent: later calls wait for
// the first and return its result. It must not be called from the pool's
// function, which it would wait for.
func (p *Pool[In, Out]) Close() error {
	p.closeOnce.Do(func() {
		// Under mu: a send that found the pool open has registered its
		// request before this, and holds room that Close waits for below.
		p.mu.Lock()
		p.beginClose() // and Submits waiting for room give up
		p.mu.Unlock()
		// Holding all the room means no request is in flight.
		_ = p.sem.Acquire(context.Background(), int64(p.limit))
		errs := make([]error, 0, len(p.workers))
		for _, w := range p.workers {
			w.Terminate()
		}
		for _, w := range p.workers {
			errs = append(errs, w.Wait())
			<-w.Done() // its close listener (onWorkerClose) has run
		}
		p.sem.Release(int64(p.limit))
		p.closeErr = errors.Join(errs...)
	})
	return p.closeErr
}

// Reply is the future result of a request submitted to a Pool.
type Reply[T any] struct {
	done chan struct{}
	val  T
	err  error
}

func (r *Reply[T]) resolve(v T, err error) {
	r.val, r.err = v, err
	close(r.done)
}

// Done returns a channel that is closed once the reply has arrived.
func (r *Reply[T]) Done() <-chan struct{} { return r.done }

// Wait blocks until the reply has arrived, then returns the result and the
// request's error (the function's, a *PanicError if it panicked, a
// *DataCloneError if the result could not be cloned, or the pool's context
// error if the pool stopped first). If ctx is done first it returns
// ctx.Err(); the reply still arrives later. Wait may be called any number of
// times.
func (r *Reply[T]) Wait(ctx context.Context) (T, error) {
	v, _, err := r.wait(ctx)
	return v, err
}

// wait is Wait, also reporting whether the reply arrived: if not, err is
// ctx's.
func (r *Reply[T]) wait(ctx context.Context) (v T, arrived bool, err error) {
	select {
	case <-r.done:
		return r.val, true, r.err
	default:
	}
	select {
	case <-r.done:
		return r.val, true, r.err
	case <-ctx.Done():
		return v, false, ctx.Err()
	}
}
