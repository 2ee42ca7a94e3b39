package msgport_test

import (
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/seed01aa7ee5/msgport"
)

var stressScale = flag.Int("stress.scale", 1, "multiplies the size of the stress tests")

// msg identifies one post: which sender, which of its posts.
type msg struct{ Sender, Seq int }

// scenario is what happens to one channel during the stress run.
type scenario int

const (
	steady       scenario = iota // nothing: every post delivered
	senderCloses                 // Port1 closes mid-stream: every accepted post still delivered
	ownerCloses                  // Port2 closes itself mid-stream from outside: a prefix delivered
	handlerClose                 // Port2's handler closes its own port: a prefix delivered
	transferred                  // Port2 moves to a new owner mid-stream: every post delivered
	bounded                      // capacity 4 with a slow receiver: every post delivered
	scenarios
)

func (s scenario) String() string {
	return [...]string{"steady", "sender closes", "receiver closes", "handler closes", "transferred", "bounded"}[s]
}

// lane is one channel under stress and everything observed on it.
type lane struct {
	scenario scenario
	c        *msgport.MessageChannel
	accepted [][]int // per sender, the Seq of every post that returned nil

	mu       sync.Mutex
	got      []msg // deliveries, in dispatch order, across a transfer
	closes   map[*msgport.MessagePort]int
	afterEnd []string // events seen on a port after its close event
	closed   atomic.Bool
	late     atomic.Int32 // handlers seen entering after the owner's Close returned
	ended    chan *msgport.MessagePort
}

func (l *lane) record(p *msgport.MessagePort) func(*msgport.MessageEvent) {
	return func(e *msgport.MessageEvent) {
		l.mu.Lock()
		defer l.mu.Unlock()
		if l.closes[p] > 0 {
			l.afterEnd = append(l.afterEnd, e.Type)
		}
		switch e.Type {
		case "message":
			l.got = append(l.got, e.Data.(msg))
		case "close":
			l.closes[p]++
			l.ended <- p
		}
	}
}

// TestStressInvariants posts from many goroutines over many channels while
// ports close from both ends, move to new owners, and close themselves from
// their handlers, then checks every invariant of SPEC 3.1 and 3.3:
// exactly-once delivery in per-sender order (a prefix where the receiver
// closed itself), one close event per port and nothing after it, and no
// handler started after its port's own Close returned.
func TestStressInvariants(t *testing.T) {
	lanes, senders, posts := 60**stressScale, 4, 300
	if testing.Short() {
		lanes = 12
	}
	rng := rand.New(rand.NewPCG(1, 2))
	all := make([]*lane, lanes)
	carrier := msgport.NewMessageChannel()
	closeAll(t, carrier)
	var wg sync.WaitGroup
	for i := range all {
		l := &lane{scenario: scenario(i % int(scenarios)), closes: map[*msgport.MessagePort]int{}, ended: make(chan *msgport.MessagePort, 4)}
		all[i] = l
		var opts []msgport.Option
		if l.scenario == bounded {
			opts = append(opts, msgport.WithCapacity(4))
		}
		l.c = msgport.NewMessageChannel(opts...)
		l.accepted = make([][]int, senders)
		p2 := l.c.Port2
		rec := p2.AddEventListener
		var n atomic.Int32
		cutAt := int32(rng.IntN(senders * posts))
		rec("message", func(e *msgport.MessageEvent) {
			if l.closed.Load() {
				l.late.Add(1)
			}
			l.record(p2)(e)
			k := n.Add(1)
			switch {
			case l.scenario == handlerClose && k == cutAt:
				p2.Close()
				l.closed.Store(true)
			case l.scenario == transferred && k == cutAt:
				post(t, carrier.Port1, i, p2)
			case l.scenario == bounded && k%64 == 0:
				runtimeYield()
			}
		})
		rec("close", l.record(p2))
		l.c.Port1.AddEventListener("close", l.record(l.c.Port1))
		l.c.Port1.Start()
		p2.Start()
		for s := range senders {
			wg.Go(func() {
				for q := range posts {
					if err := l.c.Port1.PostMessage(msg{s, q}); err != nil {
						if !errors.Is(err, msgport.ErrClosed) {
							t.Errorf("PostMessage: %v", err)
						}
						return
					}
					l.accepted[s] = append(l.accepted[s], q)
				}
			})
		}
		switch l.scenario {
		case senderCloses:
			wg.Go(func() {
				waitFor(func() bool { return n.Load() >= cutAt })
				l.c.Port1.Close()
			})
		case ownerCloses:
			wg.Go(func() {
				waitFor(func() bool { return n.Load() >= cutAt })
				p2.Close()
				l.closed.Store(true)
			})
		}
	}
	// The new owners of transferred ports take over their lanes.
	moved := make(map[int]*msgport.MessagePort)
	for _, l := range all {
		if l.scenario == transferred {
			ev := receive(t, carrier.Port2)
			np := ev.Ports[0]
			ln := all[ev.Data.(int)]
			moved[ev.Data.(int)] = np
			np.AddEventListener("message", ln.record(np))
			np.AddEventListener("close", ln.record(np))
			np.Start()
		}
	}
	wg.Wait()
	// Close the senders' ends: each receiving end drains what is queued,
	// then gets its close event. (Closing a receiving end itself would drop
	// its queue, by design.)
	for i, l := range all {
		l.c.Port1.Close()
		rx := l.c.Port2
		if np := moved[i]; np != nil {
			rx = np
		}
		await(t, rx.Done(), "receiving port done")
		await(t, l.c.Port1.Done(), "port1 done")
	}

	var delivered, accepted, closes, lost, injected int
	for i, l := range all {
		l.mu.Lock()
		name := fmt.Sprintf("lane %d (%v)", i, l.scenario)
		if l.scenario != steady && l.scenario != bounded {
			injected++
		}
		for p, n := range l.closes {
			if n != 1 {
				t.Errorf("%s: port %p got %d close events", name, p, n)
			}
			closes++
		}
		if want := 2; len(l.closes) != want {
			t.Errorf("%s: %d ports got a close event, want %d", name, len(l.closes), want)
		}
		if len(l.afterEnd) > 0 {
			t.Errorf("%s: events after close: %v", name, l.afterEnd)
		}
		// The one handler that had passed the halt check when Close
		// was called may be seen entering just after Close returns; a
		// second would have started after.
		if n := l.late.Load(); n > 1 {
			t.Errorf("%s: %d handlers started after Close returned", name, n)
		}
		// Per sender: delivered in order, exactly once, and all of
		// them unless the receiver closed itself (then a prefix).
		per := make([][]int, senders)
		for _, m := range l.got {
			per[m.Sender] = append(per[m.Sender], m.Seq)
		}
		for s := range senders {
			acc, got := l.accepted[s], per[s]
			accepted += len(acc)
			delivered += len(got)
			prefixOnly := l.scenario == ownerCloses || l.scenario == handlerClose
			if !prefixOnly {
				lost += len(acc) - len(got)
			}
			if len(got) > len(acc) || (!prefixOnly && len(got) != len(acc)) {
				t.Errorf("%s sender %d: %d accepted, %d delivered", name, s, len(acc), len(got))
				continue
			}
			for k, q := range got {
				if q != acc[k] {
					t.Errorf("%s sender %d: delivery %d is post %d, want %d", name, s, k, q, acc[k])
					break
				}
			}
		}
		l.mu.Unlock()
	}
	t.Logf("stress: %d channels, %d senders, %d posts accepted, %d delivered, %d close events, %d closes and transfers injected mid-stream, lost: %d",
		lanes, lanes*senders, accepted, delivered, closes, injected, lost)
}

func waitFor(cond func() bool) {
	for !cond() {
		runtimeYield()
	}
}

func runtimeYield() { runtime.Gosched() }
