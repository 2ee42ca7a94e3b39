package msgport

import "testing"

// fire reports whether the event was dispatched: false only when halting
// stopped it before any listener was called, so that the dispatcher hands
// the message on instead of losing it (a port transferred as its dispatcher
// took the message).
func TestFireReportsWhetherItDispatched(t *testing.T) {
	tests := []struct {
		name      string
		listeners int
		removed   int // how many of the first listeners are being removed (still in the list dispatch reads)
		haltAfter int // halted once this many listeners were called
		want      bool
		wantCalls int
	}{
		{"no listeners", 0, 0, 0, true, 0},
		{"halted before the first", 2, 0, 0, false, 0},
		{"halted before the first live one", 2, 1, 0, false, 0},
		{"halted after the first", 2, 0, 1, true, 1},
		{"not halted", 2, 0, 2, true, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var tg target
			calls := 0
			for i := range tc.listeners {
				l := &listener{fn: func(*MessageEvent) { calls++ }}
				l.removed.Store(i < tc.removed)
				tg.add(typeMessage, l)
			}
			halted := func() bool { return calls >= tc.haltAfter }
			got := tg.dispatchMessage(&MessageEvent{Event: Event{Type: typeMessage}}, halted)
			if got != tc.want || calls != tc.wantCalls {
				t.Fatalf("dispatchMessage = %v after %d calls, want %v after %d", got, calls, tc.want, tc.wantCalls)
			}
		})
	}
}
