package mailbox

import (
	"math/rand/v2"
	"testing"
)

// The queue against a plain slice model, through random pushes, pops,
// whole takes read in pieces, and handbacks at the front.
func TestQueueModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 9))
	var q queue[int]
	var model []int
	next := 0
	for step := range 200000 {
		switch op := rng.IntN(10); {
		case op < 6:
			q.push(next)
			model = append(model, next)
			next++
		case op < 8 && len(model) > 0:
			if got := q.pop(); got != model[0] {
				t.Fatalf("step %d: pop = %d, want %d", step, got, model[0])
			}
			model = model[1:]
		case op == 8 && len(model) > 0:
			sp := q.takeAll()
			// Pushes while the span is read must not disturb it.
			k := rng.IntN(3)
			var pushed []int
			for range k {
				q.push(next)
				pushed = append(pushed, next)
				next++
			}
			var got []int
			for {
				x, ok, spent := sp.next()
				if !ok {
					break
				}
				if spent != nil {
					q.recycle(spent)
				}
				got = append(got, x)
			}
			if len(got) != len(model) {
				t.Fatalf("step %d: span held %d items, want %d", step, len(got), len(model))
			}
			for i := range got {
				if got[i] != model[i] {
					t.Fatalf("step %d: span item %d = %d, want %d", step, i, got[i], model[i])
				}
			}
			model = pushed
		case op == 9:
			k := rng.IntN(4)
			front := make([]int, k)
			for i := range front {
				front[i] = -next
				next++
			}
			q.pushFront(front)
			model = append(front, model...)
		}
		if q.len() != len(model) {
			t.Fatalf("step %d: len = %d, want %d", step, q.len(), len(model))
		}
	}
}
