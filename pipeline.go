package msgport

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"

	"golang.org/x/sync/errgroup"
)

// Stage is one step of a Pipeline. It runs on its own goroutine: it takes
// messages from in (with Receive or Messages) and posts what it makes of
// them on out. It returns nil when in is closed and drained (Receive then
// returns an error matching ErrClosed), an error to stop the whole pipeline,
// and ctx.Err() when ctx is done.
//
// When a stage stops the pipeline, ctx is done before its output is closed,
// so a stage that aggregates (posts something when its input ends) should
// check ctx.Err() at that point, to tell the end of the input from a stop.
//
// A stage may also stop early by returning: its in is closed behind it, so
// the stage before it sees ErrClosed from PostMessage and stops in turn. An
// error matching ErrClosed is therefore never a failure: it is how a stage
// learns that the stages after it have stopped.
type Stage func(ctx context.Context, in, out *MessagePort) error

// Pipeline is a chain of stages, each on its own goroutine, linked by
// message channels: what is posted on In goes through every stage in turn
// and comes out on Out, in order, as structured clones.
//
// Closing In ends the input: each stage gets the messages still queued for
// it, then sees its input closed and returns, which closes its output, and
// so on down the line, until Out is closed after the last result (close
// propagates downstream; nothing posted is lost). An error goes the other
// way and everywhere at once: the first stage to fail cancels the others'
// context and closes its input, so whoever posts upstream of it, In
// included, gets ErrClosed, and Wait returns that first error. Closing Out
// stops the pipeline early and cleanly: the last stage's next post fails
// with ErrClosed, it stops, and so on upstream; Wait returns nil. Each stage
// notices only when it next posts (a MapStage waiting in Receive, only once
// its next input has arrived), so a pipeline that is idle when Out is
// closed stops once more input comes through or In is closed. (A Stage of
// one's own can notice sooner by watching out.Done().) Cancelling the
// context given to NewPipeline stops every stage; Wait then returns the
// context's error.
//
// A Pipeline is made by NewPipeline. Call Wait to learn how it ended: once
// Wait has returned, no stage goroutine is left.
type Pipeline struct {
	// In is where the pipeline's input is posted; close it to end the
	// input. Use it only to post and close: the first stage takes what
	// arrives at its other end.
	In *MessagePort
	// Out is where the results arrive, in order, followed by its closing.
	// Take them with Receive, Messages or listeners.
	Out *MessagePort

	g    errgroup.Group
	ctx  context.Context // the stages'
	stop context.CancelCauseFunc
	once sync.Once
	err  error
}

// NewPipeline starts one goroutine per stage, linked in order by message
// channels made with opts: WithCapacity(n) bounds each link, so a fast
// stage (or poster on In) waits for a slow one instead of queueing without
// bound. The stages' context is derived from ctx. NewPipeline panics if
// there is no stage or a stage is nil.
func NewPipeline(ctx context.Context, stages []Stage, opts ...Option) *Pipeline {
	if len(stages) == 0 {
		panic("msgport: NewPipeline with no stage")
	}
	for i, s := range stages {
		if s == nil {
			panic(fmt.Sprintf("msgport: NewPipeline: stage %d is nil", i))
		}
	}
	links := make([]*MessageChannel, len(stages)+1)
	for i := range links {
		links[i] = NewMessageChannel(opts...)
	}
	// The first stage to fail stops the others with its error as the
	// cause, before it closes its ports.
	ctx, stop := context.WithCancelCause(ctx)
	p := &Pipeline{In: links[0].Port1, Out: links[len(stages)].Port2, ctx: ctx, stop: stop}
	for i, s := range stages {
		in, out := links[i].Port2, links[i+1].Port1
		p.g.Go(func() error { return runStage(ctx, stop, s, in, out) })
	}
	return p
}

// runStage runs s, then closes its output (the next stage sees its input
// end after what is queued) and its input (the previous stage sees
// ErrClosed), and waits until both have dispatched their last event. When s
// failed, it stops the other stages first, so that none mistakes the
// closing for the end of its input.
func runStage(ctx context.Context, stop context.CancelCauseFunc, s Stage, in, out *MessagePort) (err error) {
	returned := false
	defer func() {
		if !returned {
			if r := recover(); r != nil {
				err = newPanicError(r)
			} else {
				err = errGoexit
			}
		}
		var pe *PanicError
		if errors.Is(err, ErrClosed) && !errors.As(err, &pe) {
			err = nil
		}
		if err != nil {
			stop(err)
		}
		out.Close()
		in.Close()
		<-out.Done()
		<-in.Done()
	}()
	err = s(ctx, in, out)
	returned = true
	return err
}

// Wait blocks until every stage has returned and returns the first error
// (nil if the pipeline ran to its end or was stopped by closing Out). When
// the first error is a stage's panic, it is a *PanicError. Wait may be
// called any number of times, from any goroutine.
func (p *Pipeline) Wait() error {
	p.once.Do(func() {
		if p.err = p.g.Wait(); p.err != nil {
			p.err = context.Cause(p.ctx) // the first failure, not its echoes
		}
		p.stop(nil)
	})
	return p.err
}

// MapStage returns a Stage that calls fn on each message it receives, in
// order, and posts the result: a message whose Data is not an In stops the
// pipeline with an error, as does an error from fn. Posting waits for room
// on a bounded link.
func MapStage[In, Out any](fn func(ctx context.Context, v In) (Out, error)) Stage {
	return func(ctx context.Context, in, out *MessagePort) error {
		for {
			ev, err := in.Receive(ctx)
			if err != nil {
				return err
			}
			v, ok := dataAs[In](ev.Data)
			if !ok {
				return fmt.Errorf("msgport: MapStage got a message of type %T, want %v", ev.Data, reflect.TypeFor[In]())
			}
			r, err := fn(ctx, v)
			if err != nil {
				return err
			}
			if err := out.PostMessageContext(ctx, r); err != nil {
				return err
			}
		}
	}
}

// dataAs converts a message's Data to T; a nil Data converts to the zero T
// when T can be nil.
func dataAs[T any](data any) (T, bool) {
	v, ok := data.(T)
	if ok || data != nil {
		return v, ok
	}
	switch reflect.TypeFor[T]().Kind() {
	case reflect.Interface, reflect.Pointer, reflect.Map, reflect.Slice, reflect.Func, reflect.Chan:
		return v, true
	}
	return v, false
}
