package mailbox

import (
	"context"
	"runtime"
	"sync"
	"testing"
)

type counter struct {
	mu   sync.Mutex
	got  map[int][]int
	end  chan struct{}
	slow bool
}

func (c *counter) Deliver(x *[2]int) bool {
	c.mu.Lock()
	c.got[x[0]] = append(c.got[x[0]], x[1])
	n := len(c.got[x[0]])
	c.mu.Unlock()
	if c.slow && n%64 == 0 {
		runtime.Gosched()
	}
	return true
}
func (c *counter) End() { close(c.end) }

// Concurrent posters into bounded and unbounded pairs: every accepted item is
// delivered once, in each poster's order.
func TestPairDeliversEverything(t *testing.T) {
	for _, capacity := range []int{0, 1, 4, 64} {
		for round := range 20 {
			rx := &counter{got: map[int][]int{}, end: make(chan struct{}), slow: round%2 == 0}
			a, b := Pair[[2]int](capacity, &counter{got: map[int][]int{}, end: make(chan struct{})}, rx)
			b.Start()
			const posters, each = 4, 500
			var wg sync.WaitGroup
			for p := range posters {
				wg.Go(func() {
					for i := range each {
						if err := a.Post(context.Background(), [2]int{p, i}, nil); err != nil {
							t.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
			a.Close()
			<-rx.end
			for p := range posters {
				got := rx.got[p]
				if len(got) != each {
					t.Fatalf("capacity %d round %d: poster %d: %d of %d delivered", capacity, round, p, len(got), each)
				}
				for i, v := range got {
					if v != i {
						t.Fatalf("capacity %d round %d: poster %d: item %d is %d", capacity, round, p, i, v)
					}
				}
			}
		}
	}
}

// PostPastBound queues into a full bounded queue without waiting; the item
// counts, so Post waits until two have been taken.
func TestPostPastBound(t *testing.T) {
	a, b := Pair[int](1, newRecorder(), newRecorder())
	defer a.Close()
	ctx := context.Background()
	if err := a.Post(ctx, 1, nil); err != nil {
		t.Fatal(err)
	}
	if err := a.PostPastBound(2); err != nil {
		t.Fatalf("PostPastBound into a full queue = %v", err)
	}
	full, cancel := context.WithCancel(ctx)
	cancel()
	for i, want := range []int{1, 2} {
		if err := a.Post(full, 3, nil); err != context.Canceled {
			t.Fatalf("Post with %d taken = %v, want it to wait for room", i, err)
		}
		if got, ok := b.TryTake(); !ok || *got != want {
			t.Fatalf("take %d = %v %v, want %d", i, got, ok, want)
		}
	}
	if err := a.Post(full, 3, nil); err != nil {
		t.Fatalf("Post into the drained queue = %v", err)
	}
	b.Close()
	if err := a.PostPastBound(4); err != ErrEnded {
		t.Fatalf("PostPastBound into a closed pair = %v, want ErrEnded", err)
	}
}
