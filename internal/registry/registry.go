// Package registry keeps named groups of members for a broadcast bus. Reading
// a group takes no lock that a writer holds for long: members are kept in
// copy-on-write slices, so a publisher iterates a snapshot while others join
// and leave.
package registry

import (
	"sync"
	"sync/atomic"
)

// Registry maps names to groups of members. The zero value is ready to use.
type Registry[M comparable] struct {
	mu     sync.Mutex
	groups sync.Map // string -> *atomic.Pointer[[]M]
}

// Add puts m in the group name. It reports whether m is the group's first
// member.
func (r *Registry[M]) Add(name string, m M) (first bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	g := r.group(name, true)
	old := *g.Load()
	next := append(append(make([]M, 0, len(old)+1), old...), m)
	g.Store(&next)
	return len(old) == 0
}

// Remove takes m out of the group name. It reports whether the group is now
// empty (and was removed).
func (r *Registry[M]) Remove(name string, m M) (last bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	g := r.group(name, false)
	if g == nil {
		return false
	}
	old := *g.Load()
	next := make([]M, 0, len(old))
	for _, x := range old {
		if x != m {
			next = append(next, x)
		}
	}
	if len(next) == len(old) {
		return false
	}
	if len(next) == 0 {
		r.groups.Delete(name)
		g.Store(&next)
		return true
	}
	g.Store(&next)
	return false
}

// Members returns a snapshot of the group name. The caller must not modify
// it.
func (r *Registry[M]) Members(name string) []M {
	g := r.group(name, false)
	if g == nil {
		return nil
	}
	return *g.Load()
}

func (r *Registry[M]) group(name string, create bool) *atomic.Pointer[[]M] {
	if g, ok := r.groups.Load(name); ok {
		return g.(*atomic.Pointer[[]M])
	}
	if !create {
		return nil
	}
	// Published with an empty list already in it: a reader may load the
	// group before the first member is stored.
	g := new(atomic.Pointer[[]M])
	g.Store(new([]M))
	r.groups.Store(name, g)
	return g
}
