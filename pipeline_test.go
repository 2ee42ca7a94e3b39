package msgport_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/seed01aa7ee5/msgport"
)

// sumStage adds up the ints it receives and posts the total once its input
// ends: a stage that aggregates.
func sumStage(ctx context.Context, in, out *msgport.MessagePort) error {
	total := 0
	for {
		ev, err := in.Receive(ctx)
		if errors.Is(err, msgport.ErrClosed) {
			if ctx.Err() != nil {
				return ctx.Err() // stopped, not finished
			}
			return out.PostMessage(total)
		}
		if err != nil {
			return err
		}
		total += ev.Data.(int)
	}
}

func inc(_ context.Context, v int) (int, error) { return v + 1, nil }

// drain takes everything from p until it closes.
func drain(t *testing.T, p *msgport.MessagePort) []any {
	t.Helper()
	var got []any
	for {
		ev, err := p.Receive(ctxT(t))
		if errors.Is(err, msgport.ErrClosed) {
			return got
		}
		if err != nil {
			t.Fatalf("Receive: %v", err)
		}
		got = append(got, ev.Data)
	}
}

// Messages come out in order; closing In mid-stream loses nothing and
// closes each stage in turn, then Out.
func TestPipelineOrderAndCloseDownstream(t *testing.T) {
	for _, opts := range [][]msgport.Option{nil, {msgport.WithCapacity(3)}} {
		t.Run(fmt.Sprintf("%d options", len(opts)), func(t *testing.T) {
			p := msgport.NewPipeline(ctxT(t), []msgport.Stage{
				msgport.MapStage(inc),
				msgport.MapStage(func(_ context.Context, v int) (string, error) {
					runtime.Gosched() // a slower stage: work queues in front of it
					return fmt.Sprint("#", v), nil
				}),
			}, opts...)
			const n = 500
			go func() {
				for i := range n {
					if err := p.In.PostMessage(i); err != nil {
						t.Errorf("PostMessage(%d): %v", i, err)
					}
				}
				p.In.Close() // while earlier messages are still on their way
			}()
			got := drain(t, p.Out)
			if len(got) != n {
				t.Fatalf("%d results, want %d", len(got), n)
			}
			for i, v := range got {
				if want := fmt.Sprint("#", i+1); v != want {
					t.Fatalf("result %d = %v, want %s", i, v, want)
				}
			}
			if err := p.Wait(); err != nil {
				t.Fatalf("Wait = %v", err)
			}
		})
	}
}

func TestPipelineAggregates(t *testing.T) {
	p := msgport.NewPipeline(ctxT(t), []msgport.Stage{msgport.MapStage(inc), sumStage})
	for i := range 100 {
		post(t, p.In, i)
	}
	p.In.Close()
	if got := drain(t, p.Out); len(got) != 1 || got[0] != 5050 {
		t.Fatalf("results = %v, want [5050]", got)
	}
	if err := p.Wait(); err != nil {
		t.Fatal(err)
	}
}

// With bounded links, a slow consumer holds the producer back: what is
// between In and Out never exceeds the links' room plus one message in
// each stage's hands.
func TestPipelineBackpressure(t *testing.T) {
	const capacity, stages, n = 2, 3, 300
	bound := int64((stages+1)*capacity + stages)
	p := msgport.NewPipeline(ctxT(t), []msgport.Stage{
		msgport.MapStage(inc), msgport.MapStage(inc), msgport.MapStage(inc),
	}, msgport.WithCapacity(capacity))
	var posted atomic.Int64
	go func() {
		for i := range n {
			if err := p.In.PostMessage(i); err != nil {
				t.Errorf("PostMessage: %v", err)
				return
			}
			posted.Add(1) // after it returned: can only undercount
		}
		p.In.Close()
	}()
	var received, worst int64
	for ev := range p.Out.Messages(ctxT(t)) {
		if ev.Data != int(received)+stages {
			t.Fatalf("result %d = %v", received, ev.Data)
		}
		received++
		worst = max(worst, posted.Load()-received)
		for range 20 {
			runtime.Gosched() // a slow consumer
		}
	}
	if received != n {
		t.Fatalf("%d results, want %d", received, n)
	}
	t.Logf("at most %d messages inside the pipeline (bound %d)", worst, bound)
	if worst > bound {
		t.Fatalf("%d messages were inside the pipeline at once, bound %d", worst, bound)
	}
	if err := p.Wait(); err != nil {
		t.Fatal(err)
	}
}

// A failing stage stops the pipeline: the producer on In gets ErrClosed,
// the results before the failure still come out, and Wait returns the
// stage's error, not what the others saw.
func TestPipelineErrorPropagatesUpstream(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fail  func(int) (int, error)
		check func(error) bool
	}{
		{"error", func(v int) (int, error) {
			if v == 10 {
				return 0, errBoom
			}
			return v, nil
		}, func(err error) bool { return errors.Is(err, errBoom) }},
		{"panic", func(v int) (int, error) {
			if v == 10 {
				panic(errBoom)
			}
			return v, nil
		}, func(err error) bool {
			var pe *msgport.PanicError
			return errors.As(err, &pe) && errors.Is(err, errBoom)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			upstream := make(chan error, 1)
			p := msgport.NewPipeline(ctxT(t), []msgport.Stage{
				func(ctx context.Context, in, out *msgport.MessagePort) error {
					err := msgport.MapStage(inc)(ctx, in, out)
					upstream <- err
					return err
				},
				msgport.MapStage(func(_ context.Context, v int) (int, error) { return tc.fail(v) }),
				msgport.MapStage(inc),
			}, msgport.WithCapacity(4))
			produced := make(chan error, 1)
			go func() {
				for i := 0; ; i++ {
					if err := p.In.PostMessage(i); err != nil {
						produced <- err
						return
					}
				}
			}()
			got := drain(t, p.Out)
			if len(got) > 9 {
				t.Fatalf("%d results came out, the stage failed at the 10th", len(got))
			}
			for i, v := range got {
				if v != i+2 {
					t.Fatalf("result %d = %v", i, v)
				}
			}
			if err := p.Wait(); !tc.check(err) {
				t.Fatalf("Wait = %#v, want the failing stage's", err)
			}
			if err := await(t, produced, "the producer to stop"); !errors.Is(err, msgport.ErrClosed) {
				t.Fatalf("producer's PostMessage = %v, want ErrClosed", err)
			}
			if err := await(t, upstream, "the upstream stage"); !errors.Is(err, msgport.ErrClosed) && !errors.Is(err, context.Canceled) {
				t.Fatalf("upstream stage saw %v, want ErrClosed or context.Canceled", err)
			}
		})
	}
}

// Closing Out stops the pipeline early, upstream stage by stage, and is
// not an error.
func TestPipelineCloseOutStopsEarly(t *testing.T) {
	p := msgport.NewPipeline(ctxT(t), []msgport.Stage{msgport.MapStage(inc), msgport.MapStage(inc)}, msgport.WithCapacity(2))
	produced := make(chan error, 1)
	go func() {
		for i := 0; ; i++ {
			if err := p.In.PostMessage(i); err != nil {
				produced <- err
				return
			}
		}
	}()
	for i := range 5 {
		if v := receive(t, p.Out).Data; v != i+2 {
			t.Fatalf("result %d = %v", i, v)
		}
	}
	p.Out.Close()
	if err := await(t, produced, "the producer to stop"); !errors.Is(err, msgport.ErrClosed) {
		t.Fatalf("producer's PostMessage = %v, want ErrClosed", err)
	}
	if err := p.Wait(); err != nil {
		t.Fatalf("Wait = %v, want nil", err)
	}
}

// Cancelling the context stops every stage; Wait reports it.
func TestPipelineContextCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(ctxT(t))
	defer cancel()
	p := msgport.NewPipeline(ctx, []msgport.Stage{msgport.MapStage(inc), msgport.MapStage(inc)})
	post(t, p.In, 1)
	if v := receive(t, p.Out).Data; v != 3 {
		t.Fatalf("result = %v, want 3", v)
	}
	cancel()
	if err := p.Wait(); !errors.Is(err, context.Canceled) {
		t.Fatalf("Wait = %v, want context.Canceled", err)
	}
	if err := p.In.PostMessage(2); !errors.Is(err, msgport.ErrClosed) {
		t.Fatalf("PostMessage after cancel = %v, want ErrClosed", err)
	}
	if got := drain(t, p.Out); len(got) != 0 {
		t.Fatalf("results after cancel: %v", got)
	}
}

func TestMapStageWrongType(t *testing.T) {
	p := msgport.NewPipeline(ctxT(t), []msgport.Stage{msgport.MapStage(inc)})
	post(t, p.In, "not an int")
	err := p.Wait()
	if err == nil || !strings.Contains(err.Error(), "string") || !strings.Contains(err.Error(), "int") {
		t.Fatalf("Wait = %v, want an error naming both types", err)
	}
	if got := drain(t, p.Out); len(got) != 0 {
		t.Fatalf("results: %v", got)
	}
}

// A nil message is the zero value for a stage whose input type can be nil.
func TestMapStageNil(t *testing.T) {
	p := msgport.NewPipeline(ctxT(t), []msgport.Stage{
		msgport.MapStage(func(_ context.Context, v []int) (int, error) { return len(v), nil }),
	})
	post(t, p.In, nil)
	p.In.Close()
	if got := drain(t, p.Out); len(got) != 1 || got[0] != 0 {
		t.Fatalf("results = %v, want [0]", got)
	}
	if err := p.Wait(); err != nil {
		t.Fatal(err)
	}
}

func TestNewPipelineMisuse(t *testing.T) {
	for name, stages := range map[string][]msgport.Stage{
		"no stage":  nil,
		"nil stage": {msgport.MapStage(inc), nil},
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if r, _ := recover().(string); !strings.HasPrefix(r, "msgport:") {
					t.Fatalf("recover() = %q, want a msgport panic", r)
				}
			}()
			msgport.NewPipeline(context.Background(), stages)
		})
	}
}

// An aggregating stage after a failing one posts nothing: the pipeline's
// context is done before its input closes.
func TestPipelineAggregateAfterFailure(t *testing.T) {
	p := msgport.NewPipeline(ctxT(t), []msgport.Stage{
		msgport.MapStage(func(_ context.Context, v int) (int, error) {
			if v == 5 {
				return 0, errBoom
			}
			return v, nil
		}),
		sumStage,
	})
	for i := range 10 {
		if err := p.In.PostMessage(i); err != nil {
			break // the stage has failed already
		}
	}
	if got := drain(t, p.Out); len(got) != 0 {
		t.Fatalf("results = %v, want none", got)
	}
	if err := p.Wait(); !errors.Is(err, errBoom) {
		t.Fatalf("Wait = %v, want errBoom", err)
	}
}
