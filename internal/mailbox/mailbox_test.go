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
