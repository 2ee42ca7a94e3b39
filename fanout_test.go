package msgport_test

// The fan-out (DeliverAll) and how a broadcast's copies are made: the
// sender takes one clone, each receiving channel takes its own from that one
// when the message reaches it, and the last to take it gets the sender's
// clone itself.

import (
	"errors"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/seed01aa7ee5/msgport"
)

// tally counts the clones taken of it (and of its clones).
type tally struct{ clones *atomic.Int64 }

func (t *tally) CloneMessage() (any, error) {
	t.clones.Add(1)
	return &tally{clones: t.clones}, nil
}

// pullChannels makes n started channels called name on bus, in pull mode.
func pullChannels(t *testing.T, bus msgport.Bus, name string, n int) []*msgport.BroadcastChannel {
	t.Helper()
	rs := make([]*msgport.BroadcastChannel, n)
	for i := range rs {
		rs[i] = msgport.NewBroadcastChannel(name, msgport.WithBus(bus))
		rs[i].TryReceive() // starts it
		t.Cleanup(func() { rs[i].Close() })
	}
	return rs
}

// PostMessage takes one clone; then each receiver takes its own as it
// receives the message (Receive or TryReceive), except the last, which gets
// the sender's clone. No two hold the same object.
func TestBroadcastReceiversTakeTheirOwnClones(t *testing.T) {
	bus := msgport.NewLocalBus()
	rs := pullChannels(t, bus, "c", 3)
	tx := msgport.NewBroadcastChannel("c", msgport.WithBus(bus))
	defer tx.Close()
	orig := &tally{clones: new(atomic.Int64)}
	if err := tx.PostMessage(orig); err != nil {
		t.Fatal(err)
	}
	if n := orig.clones.Load(); n != 1 {
		t.Fatalf("PostMessage took %d clones, want 1 (the sender's)", n)
	}
	seen := map[*tally]int{orig: -1}
	for i, want := range []int64{2, 3, 3} { // the last takes the sender's clone
		var ev *msgport.MessageEvent
		if i == 0 {
			var err error
			if ev, err = rs[i].Receive(ctxT(t)); err != nil {
				t.Fatal(err)
			}
		} else if ev, _ = rs[i].TryReceive(); ev == nil { // queued by PostMessage
			t.Fatalf("receiver %d has nothing queued", i)
		}
		got := ev.Data.(*tally)
		if j, ok := seen[got]; ok {
			t.Fatalf("receiver %d got the same object as %d (-1: the original)", i, j)
		}
		seen[got] = i
		if n := orig.clones.Load(); n != want {
			t.Fatalf("after receiver %d took it: %d clones in all, want %d", i, n, want)
		}
	}
}

// gate's copies (copy set) clone only once release is closed, announcing on
// entered that they have begun.
type gate struct {
	copy     bool
	entered  chan<- struct{}
	release  <-chan struct{}
	refusing bool // copies refuse to be cloned instead
}

func (g gate) CloneMessage() (any, error) {
	if g.copy {
		if g.refusing {
			return nil, errors.New("a copy cannot be copied")
		}
		g.entered <- struct{}{}
		<-g.release
	}
	g.copy = true
	return g, nil
}

// A receiver's clone holds up neither the sender nor the other receivers.
func TestBroadcastClonesRunOnTheReceivers(t *testing.T) {
	bus := msgport.NewLocalBus()
	r1, r2 := newRecorder(), newRecorder()
	for _, r := range []*recorder{r1, r2} {
		b := msgport.NewBroadcastChannel("c", msgport.WithBus(bus), msgport.WithOnMessage(r.fn))
		t.Cleanup(func() { b.Close() })
	}
	tx := msgport.NewBroadcastChannel("c", msgport.WithBus(bus))
	defer tx.Close()
	entered, release := make(chan struct{}), make(chan struct{})
	posted := make(chan error, 1)
	go func() { posted <- tx.PostMessage(gate{entered: entered, release: release}) }()
	if err := await(t, posted, "PostMessage to return while the receivers clone"); err != nil {
		t.Fatal(err)
	}
	await(t, entered, "one receiver's clone to begin")
	await(t, entered, "the other receiver's clone to begin beside it")
	close(release)
	for _, r := range []*recorder{r1, r2} {
		if g, ok := r.next(t).Data.(gate); !ok || !g.copy {
			t.Fatalf("got %#v, want a copy of the gate", g)
		}
	}
}

// A receiver whose clone fails gets a "messageerror" event with the
// *DataCloneError, both when the message is dispatched and when it is
// received; the others still get the message.
func TestBroadcastReceiverCloneFails(t *testing.T) {
	bus := msgport.NewLocalBus()
	rs := pullChannels(t, bus, "c", 2)
	tx := msgport.NewBroadcastChannel("c", msgport.WithBus(bus))
	defer tx.Close()
	for _, take := range []string{"Receive", "dispatch"} { // dispatch last: it starts rs[0]
		t.Run(take, func(t *testing.T) {
			if err := tx.PostMessage(gate{refusing: true}); err != nil {
				t.Fatal(err)
			}
			// rs[0] takes it first, and so clones; rs[1] then gets the
			// sender's clone.
			var ev *msgport.MessageEvent
			if take == "dispatch" {
				errs := newRecorder()
				rs[0].SetOnMessageError(errs.fn)
				rs[0].SetOnMessage(func(e *msgport.MessageEvent) { t.Errorf("message %v", e.Data) })
				ev = errs.next(t)
				rs[0].SetOnMessage(nil)
			} else {
				var err error
				if ev, err = rs[0].Receive(ctxT(t)); err != nil {
					t.Fatal(err)
				}
			}
			var ce *msgport.DataCloneError
			if ev.Type != "messageerror" || !errors.As(ev.Data.(error), &ce) {
				t.Fatalf("first receiver got a %q event with %v, want messageerror with a *DataCloneError", ev.Type, ev.Data)
			}
			ev, err := rs[1].Receive(ctxT(t))
			if err != nil {
				t.Fatal(err)
			}
			if g, ok := ev.Data.(gate); ev.Type != "message" || !ok || !g.copy {
				t.Fatalf("second receiver got a %q event with %#v, want the sender's copy", ev.Type, ev.Data)
			}
		})
	}
}

// Receivers own what they get: each may change its copy at once, whatever
// the others are doing with theirs (the race detector watches).
func TestBroadcastReceiversOwnTheirCopies(t *testing.T) {
	bus := msgport.NewLocalBus()
	const receivers, posts = 8, 50
	var wg sync.WaitGroup
	wg.Add(receivers * posts)
	var shared atomic.Int64
	for j := range receivers {
		b := msgport.NewBroadcastChannel("c", msgport.WithBus(bus), msgport.WithOnMessage(func(e *msgport.MessageEvent) {
			defer wg.Done()
			m := e.Data.(map[string][]string)
			if len(m) != 1 || len(m["by"]) != 0 {
				shared.Add(1) // another receiver's change shows
			}
			m["by"] = append(m["by"], strconv.Itoa(j))
			m[strconv.Itoa(j)] = nil
		}))
		t.Cleanup(func() { b.Close() })
	}
	tx := msgport.NewBroadcastChannel("c", msgport.WithBus(bus))
	defer tx.Close()
	for range posts {
		if err := tx.PostMessage(map[string][]string{"by": {}}); err != nil {
			t.Fatal(err)
		}
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	await(t, done, "every delivery")
	if n := shared.Load(); n != 0 {
		t.Fatalf("%d deliveries saw another receiver's changes", n)
	}
}

// plainSub records Deliver calls; ownerSub also takes DeliverOwned.
type plainSub struct{ got []string }

func (s *plainSub) Deliver(any)        { s.got = append(s.got, "Deliver") }
func (s *plainSub) DeliverError(error) { s.got = append(s.got, "DeliverError") }

type ownerSub struct{ plainSub }

func (s *ownerSub) DeliverOwned(any) { s.got = append(s.got, "DeliverOwned") }

// DeliverAll skips the sender and hands msg itself only to the last
// receiving member, if it is an Owner.
func TestDeliverAll(t *testing.T) {
	for _, tc := range []struct {
		name    string
		members string // p: plain, o: Owner, F: the sender (an Owner)
		want    []string
	}{
		{"owner last", "pFo", []string{"Deliver", "", "DeliverOwned"}},
		{"sender last", "ooF", []string{"Deliver", "DeliverOwned", ""}},
		{"plain last", "op", []string{"Deliver", "Deliver"}},
		{"sender alone", "F", []string{""}},
		{"nobody", "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var members []msgport.Subscriber
			var from msgport.Subscriber
			var subs []*plainSub
			for _, c := range tc.members {
				switch c {
				case 'p':
					s := &plainSub{}
					members, subs = append(members, s), append(subs, s)
				default:
					s := &ownerSub{}
					members, subs = append(members, s), append(subs, &s.plainSub)
					if c == 'F' {
						from = s
					}
				}
			}
			msgport.DeliverAll(members, from, "x")
			var got []string
			for _, s := range subs {
				got = append(got, strings.Join(s.got, ","))
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("calls (-want +got):\n%s", diff)
			}
		})
	}
}

// With channels of this package among the members, DeliverAll gives other
// kinds of subscriber a Deliver (they clone), and a lone channel the
// message itself.
func TestDeliverAllMixed(t *testing.T) {
	bus := &faultyBus{LocalBus: msgport.NewLocalBus()}
	ch := pullChannels(t, bus, "c", 1)[0]
	other := &ownerSub{}
	msg := &tally{clones: new(atomic.Int64)}
	msgport.DeliverAll(append(bus.subs, other), nil, msg)
	if len(other.got) != 1 || other.got[0] != "Deliver" {
		t.Fatalf("the other subscriber got %v, want [Deliver]", other.got)
	}
	ev, err := ch.Receive(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	if ev.Data != any(msg) || msg.clones.Load() != 0 {
		t.Fatalf("the lone channel got %p after %d clones, want msg (%p) itself", ev.Data, msg.clones.Load(), msg)
	}
}
