package registry

import (
	"slices"
	"sync"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestAddRemoveMembers(t *testing.T) {
	var r Registry[int]
	if r.Members("a") != nil {
		t.Fatal("empty registry has members")
	}
	if !r.Add("a", 1) || r.Add("a", 2) || !r.Add("b", 3) {
		t.Fatal("Add did not report the first member of each group")
	}
	snap := r.Members("a")
	if r.Remove("a", 1) {
		t.Fatal("Remove reported an empty group while a member remains")
	}
	if !slices.Equal(snap, []int{1, 2}) {
		t.Fatalf("a snapshot changed after Remove: %v", snap)
	}
	if got := r.Members("a"); !slices.Equal(got, []int{2}) {
		t.Fatalf("Members = %v, want [2]", got)
	}
	if r.Remove("a", 7) {
		t.Fatal("removing a stranger reported the group empty")
	}
	if !r.Remove("a", 2) || r.Members("a") != nil {
		t.Fatal("the last Remove did not empty the group")
	}
	if !r.Add("a", 4) {
		t.Fatal("a group emptied and refilled has a first member again")
	}
}

// Readers iterate snapshots while writers add and remove: no member is
// seen twice in one snapshot, and the race detector sees no conflict.
func TestConcurrentSnapshots(t *testing.T) {
	var r Registry[int]
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := range 1000 {
				r.Add("g", w*1000+i)
				if i%2 == 0 {
					r.Remove("g", w*1000+i)
				}
			}
		})
	}
	for range 2 {
		wg.Go(func() {
			for range 1000 {
				seen := map[int]bool{}
				for _, m := range r.Members("g") {
					if seen[m] {
						t.Errorf("member %d twice in one snapshot", m)
						return
					}
					seen[m] = true
				}
			}
		})
	}
	wg.Wait()
	if n := len(r.Members("g")); n != 2000 {
		t.Fatalf("%d members left, want 2000", n)
	}
}
