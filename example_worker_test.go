package msgport_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/seed01aa7ee5/msgport"
)

// A worker answers what its parent posts until the parent closes the
// channel.
func ExampleWorker() {
	ctx := context.Background()
	w := msgport.NewWorker(ctx, func(ctx context.Context, port *msgport.MessagePort) error {
		for ev := range port.Messages(ctx) {
			if err := port.PostMessage(strings.ToUpper(ev.Data.(string))); err != nil {
				return err
			}
		}
		return nil
	})
	for _, s := range []string{"hello", "worker"} {
		w.PostMessage(s)
	}
	for range 2 {
		ev, _ := w.Receive(ctx)
		fmt.Println(ev.Data)
	}
	w.Close() // the worker's loop ends and its function returns
	fmt.Println("Wait:", w.Wait())
	// Output:
	// HELLO
	// WORKER
	// Wait: <nil>
}

// When the worker's function fails, the parent gets an "error" event after
// the worker's messages and before "close".
func ExampleWorker_SetOnError() {
	w := msgport.NewWorker(context.Background(), func(ctx context.Context, port *msgport.MessagePort) error {
		port.PostMessage("half done")
		return errors.New("disk full")
	})
	w.SetOnError(func(ev *msgport.MessageEvent) { fmt.Println("error:", ev.Data) })
	w.SetOnClose(func(*msgport.Event) { fmt.Println("close") })
	w.SetOnMessage(func(ev *msgport.MessageEvent) { fmt.Println("message:", ev.Data) })
	<-w.Done() // the parent's port has dispatched its last event
	fmt.Println("Wait:", w.Wait())
	// Output:
	// message: half done
	// error: disk full
	// close
	// Wait: disk full
}

// Do sends one request to an idle worker and waits for its reply.
func ExamplePool() {
	ctx := context.Background()
	p := msgport.NewPool(ctx, 4, func(ctx context.Context, n int) (int, error) {
		if n < 0 {
			return 0, fmt.Errorf("negative: %d", n)
		}
		return n * n, nil
	})
	defer p.Close()
	for _, n := range []int{3, -1, 12} {
		sq, err := p.Do(ctx, n)
		fmt.Println(sq, err)
	}
	// Output:
	// 9 <nil>
	// 0 negative: -1
	// 144 <nil>
}

// Map spreads a sequence over the workers and yields the results in input
// order.
func ExamplePool_Map() {
	ctx := context.Background()
	p := msgport.NewPool(ctx, 3, func(ctx context.Context, word string) (int, error) {
		return len(word), nil
	})
	defer p.Close()
	words := []string{"structured", "clone", "of", "every", "message"}
	var lengths []int
	for n, err := range p.Map(ctx, slices.Values(words)) {
		if err != nil {
			fmt.Println(err)
			continue
		}
		lengths = append(lengths, n)
	}
	fmt.Println(lengths)
	// Output:
	// [10 5 2 5 7]
}

// Three stages: parse, filter-and-square, and a sum posted when the input
// ends. Closing In closes each stage in turn, then Out.
func ExampleNewPipeline() {
	ctx := context.Background()
	p := msgport.NewPipeline(ctx, []msgport.Stage{
		msgport.MapStage(func(ctx context.Context, s string) (int, error) {
			var n int
			_, err := fmt.Sscan(s, &n)
			return n, err
		}),
		func(ctx context.Context, in, out *msgport.MessagePort) error {
			for ev := range in.Messages(ctx) {
				if n := ev.Data.(int); n%2 == 1 {
					if err := out.PostMessage(n * n); err != nil {
						return err
					}
				}
			}
			return ctx.Err()
		},
		func(ctx context.Context, in, out *msgport.MessagePort) error {
			sum := 0
			for ev := range in.Messages(ctx) {
				sum += ev.Data.(int)
			}
			if ctx.Err() != nil {
				return ctx.Err() // stopped, not finished: no sum
			}
			return out.PostMessage(fmt.Sprint("sum of odd squares: ", sum))
		},
	}, msgport.WithCapacity(16))
	for _, s := range []string{"1", "2", "3", "4", "5"} {
		p.In.PostMessage(s)
	}
	p.In.Close()
	for ev := range p.Out.Messages(ctx) {
		fmt.Println(ev.Data)
	}
	fmt.Println("Wait:", p.Wait())
	// Output:
	// sum of odd squares: 35
	// Wait: <nil>
}
