package natsbus_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/seed01aa7ee5/msgport"
	"github.com/seed01aa7ee5/msgport/natsbus"
	"go.uber.org/goleak"
)

// The fault tests post numbered messages (Seq) and count, at every
// receiver, what arrived, what was lost and what broke a sender's order (a
// duplicate or a reordering), while a fault is injected: the server killed
// and restarted, the connection closed under the Bus, a consumer that falls
// behind, a flood of publishers. Each logs its figures (go test -v -run
// Fault).

// Seq is the message numbered N of sender From.
type Seq struct {
	From int
	N    int
}

var seqTypes = natsbus.WithTypes(Seq{})

// maxPostTime bounds every PostMessage in the fault tests: a liveness
// check (PostMessage does not hang), not a speed goal.
const maxPostTime = 2 * time.Second

// noLeaks checks, once everything the test started has been stopped, that
// no goroutine the test started is left. Call it first, so that its
// cleanup runs last.
func noLeaks(t *testing.T) {
	t.Helper()
	before := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, before) })
}

// gap is a run of one sender's messages, First to Last, that a receiver
// never got.
type gap struct{ First, Last int }

// tally is a receiving channel that checks numbered messages as they
// arrive: each sender's must come once and in order. It keeps the gaps (the
// messages lost) and the breaches (a message not after its sender's
// previous one: a duplicate or a reordering; anything not a Seq; a
// messageerror).
type tally struct {
	ch      *msgport.BroadcastChannel
	hold    <-chan struct{} // if not nil, every delivery waits for it to close
	changed chan struct{}   // a token after every message

	mu       sync.Mutex
	last     map[int]int   // by sender, the last N received
	gaps     map[int][]gap // by sender
	got      int           // messages received in order
	breaches int
	first    []string // the first few breaches
}

// startTally joins name on bus with a tally, closed when the test ends.
func startTally(tb testing.TB, bus msgport.Bus, name string) *tally {
	return startHeldTally(tb, bus, name, nil)
}

// startHeldTally is startTally with a handler that blocks until hold is
// closed: a channel as slow as can be.
func startHeldTally(tb testing.TB, bus msgport.Bus, name string, hold <-chan struct{}) *tally {
	tb.Helper()
	ty := &tally{
		ch:      msgport.NewBroadcastChannel(name, msgport.WithBus(bus)),
		hold:    hold,
		changed: make(chan struct{}, 1),
		last:    map[int]int{},
		gaps:    map[int][]gap{},
	}
	tb.Cleanup(func() { ty.ch.Close() })
	ty.ch.SetOnMessageError(func(ev *msgport.MessageEvent) { ty.breach("messageerror: %v", ev.Data) })
	ty.ch.SetOnMessage(ty.onMessage) // starts receiving
	return ty
}

func (ty *tally) onMessage(ev *msgport.MessageEvent) {
	if ty.hold != nil {
		<-ty.hold
	}
	s, ok := ev.Data.(Seq)
	if !ok {
		ty.breach("not a Seq: %#v", ev.Data)
		return
	}
	ty.mu.Lock()
	last, seen := ty.last[s.From]
	if !seen {
		last = -1
	}
	if s.N <= last {
		ty.mu.Unlock()
		ty.breach("from %d: #%d after #%d (a duplicate or out of order)", s.From, s.N, last)
		return
	}
	if s.N > last+1 {
		ty.gaps[s.From] = append(ty.gaps[s.From], gap{last + 1, s.N - 1})
	}
	ty.last[s.From] = s.N
	ty.got++
	ty.mu.Unlock()
	ty.signal()
}

func (ty *tally) breach(format string, args ...any) {
	ty.mu.Lock()
	ty.breaches++
	if len(ty.first) < 5 {
		ty.first = append(ty.first, fmt.Sprintf(format, args...))
	}
	ty.mu.Unlock()
	ty.signal()
}

func (ty *tally) signal() {
	select {
	case ty.changed <- struct{}{}:
	default:
	}
}

// lastOf returns the last N received from sender from, or -1.
func (ty *tally) lastOf(from int) int {
	ty.mu.Lock()
	defer ty.mu.Unlock()
	if n, ok := ty.last[from]; ok {
		return n
	}
	return -1
}

// lost returns how many of sender from's messages up to its last received
// never arrived.
func (ty *tally) lost(from int) int {
	ty.mu.Lock()
	defer ty.mu.Unlock()
	n := 0
	for _, g := range ty.gaps[from] {
		n += g.Last - g.First + 1
	}
	return n
}

// gapsOf returns a copy of sender from's gaps.
func (ty *tally) gapsOf(from int) []gap {
	ty.mu.Lock()
	defer ty.mu.Unlock()
	return append([]gap(nil), ty.gaps[from]...)
}

// count returns the messages received in order.
func (ty *tally) count() int {
	ty.mu.Lock()
	defer ty.mu.Unlock()
	return ty.got
}

// reach waits until the tally has received message n of sender from, or a
// later one, failing the test after waitFor.
func (ty *tally) reach(tb testing.TB, from, n int) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	for ty.lastOf(from) < n {
		select {
		case <-ty.changed:
		case <-ctx.Done():
			tb.Fatalf("channel %q: timed out waiting for #%d from %d: %s", ty.ch.Name(), n, from, ty)
		}
	}
}

// breachCount returns the number of breaches.
func (ty *tally) breachCount() int {
	ty.mu.Lock()
	defer ty.mu.Unlock()
	return ty.breaches
}

// clean fails the test if the tally saw a breach.
func (ty *tally) clean(tb testing.TB) {
	tb.Helper()
	ty.mu.Lock()
	defer ty.mu.Unlock()
	if ty.breaches > 0 {
		tb.Errorf("channel %q: %d duplicates, reorderings or errors; the first: %s", ty.ch.Name(), ty.breaches, strings.Join(ty.first, "; "))
	}
}

func (ty *tally) String() string {
	ty.mu.Lock()
	defer ty.mu.Unlock()
	return fmt.Sprintf("%d received, last %v, gaps %v, %d breaches %q", ty.got, ty.last, ty.gaps, ty.breaches, ty.first)
}

// publisher posts Seq{from, 0}, Seq{from, 1}, … on a channel of its own,
// timing every PostMessage, until stopped, until max posts, or afterFail
// posts after the first failure. It posts as fast as it can, or, if burst
// is set, burst messages a millisecond: a steady stream that receivers keep
// up with.
type publisher struct {
	from      int
	ch        *msgport.BroadcastChannel
	allow     func(error) bool // the errors the test expects
	max       int
	afterFail int // stop this many posts after the first failure; 0: never
	burst     int // posts a millisecond; 0: no limit
	stop      chan struct{}
	done      chan struct{}
	progress  chan struct{} // a token after every post

	posted  atomic.Int64 // PostMessage calls that returned, failed or not
	failed  atomic.Int64 // of those, the ones that returned an allowed error
	slowest atomic.Int64 // the longest PostMessage, in nanoseconds

	// Read after done.
	firstFail   int   // the N of the first failed post, or -1
	okAfterFail int   // posts that succeeded after the first failure
	err         error // an error not allowed, which stopped the publisher
}

// startPublisher starts a publisher on bus, stopped when the test ends.
func startPublisher(tb testing.TB, bus msgport.Bus, name string, from, max, burst, afterFail int, allow func(error) bool) *publisher {
	p := &publisher{
		from:      from,
		ch:        sender(tb, bus, name),
		allow:     allow,
		max:       max,
		burst:     burst,
		afterFail: afterFail,
		stop:      make(chan struct{}),
		done:      make(chan struct{}),
		progress:  make(chan struct{}, 1),
		firstFail: -1,
	}
	go p.run()
	tb.Cleanup(func() { p.halt(tb) })
	return p
}

func (p *publisher) run() {
	defer close(p.done)
	var tick <-chan time.Time
	if p.burst > 0 {
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		tick = t.C
	}
	for i := 0; i < p.max; i++ {
		if tick != nil && i%p.burst == 0 {
			select {
			case <-p.stop:
				return
			case <-tick:
			}
		} else {
			select {
			case <-p.stop:
				return
			default:
			}
		}
		start := time.Now()
		err := p.ch.PostMessage(Seq{p.from, i})
		if d := int64(time.Since(start)); d > p.slowest.Load() {
			p.slowest.Store(d)
		}
		p.posted.Add(1)
		select {
		case p.progress <- struct{}{}:
		default:
		}
		switch {
		case err == nil:
			if p.firstFail >= 0 {
				p.okAfterFail++
			}
		case p.allow(err):
			p.failed.Add(1)
			if p.firstFail < 0 {
				p.firstFail = i
			}
		default:
			p.err = fmt.Errorf("PostMessage #%d: %w", i, err)
			return
		}
		if p.afterFail > 0 && p.firstFail >= 0 && i-p.firstFail >= p.afterFail {
			return
		}
	}
}

// reach waits until the publisher has posted n messages, failing the test
// after waitFor or if it stopped short.
func (p *publisher) reach(tb testing.TB, n int64) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	for p.posted.Load() < n {
		select {
		case <-p.progress:
		case <-p.done:
			if p.posted.Load() < n {
				tb.Fatalf("publisher %d stopped after %d posts (%v), want %d", p.from, p.posted.Load(), p.err, n)
			}
		case <-ctx.Done():
			tb.Fatalf("publisher %d: timed out at %d posts, want %d", p.from, p.posted.Load(), n)
		}
	}
}

// halt stops the publisher and waits for it, then checks that it met no
// unexpected error and that no post took longer than maxPostTime. It
// returns the number of posts. halt is idempotent.
func (p *publisher) halt(tb testing.TB) int {
	tb.Helper()
	select {
	case <-p.stop:
	default:
		close(p.stop)
	}
	select {
	case <-p.done:
	case <-time.After(waitFor):
		tb.Fatalf("publisher %d did not stop: a PostMessage hangs", p.from)
	}
	if p.err != nil {
		tb.Errorf("publisher %d: %v", p.from, p.err)
		p.err = nil
	}
	if d := time.Duration(p.slowest.Load()); d > maxPostTime {
		tb.Errorf("publisher %d: a PostMessage took %v, bound %v", p.from, d, maxPostTime)
	}
	return int(p.posted.Load())
}

// The server is killed and restarted on the same port, three times, while
// two publishers on two connections post steadily (20,000 messages a
// second each) and two channels count: one on a third connection, one on the first publisher's
// Bus. Nothing panics; no PostMessage takes longer than maxPostTime;
// after each restart messages flow again with nothing done by the user;
// every receiver gets each sender's messages in order and never twice;
// the local channel gets every message of the publisher beside it; and
// every message lost was posted during an outage: between the last one a
// receiver had from that sender when the server was killed, and the
// recovery (all three connections back and subscribed again). The figures
// are logged: delivery is at most once.
func TestFaultServerRestartMidStream(t *testing.T) {
	noLeaks(t)
	const (
		kills = 3
		name  = "stream"
		step  = 500 // messages each phase waits for from each publisher
		burst = 20  // 20,000 messages a second from each publisher
		max   = 1_000_000
	)
	s := startServer(t, -1)
	port := s.Addr().(*net.TCPAddr).Port
	url := s.ClientURL()

	type link struct {
		nc       *nats.Conn
		down, up chan struct{}
	}
	var links []link
	var buses []*natsbus.Bus
	var asyncErrs atomic.Int64 // nats.go's: the flusher's failed writes
	for range 3 {
		down, onDown := signal()
		up, onUp := signal()
		nc := connect(t, url,
			nats.DisconnectErrHandler(func(nc *nats.Conn, _ error) { onDown(nc) }),
			nats.ReconnectHandler(onUp),
			nats.ErrorHandler(func(*nats.Conn, *nats.Subscription, error) { asyncErrs.Add(1) }))
		links = append(links, link{nc, down, up})
		buses = append(buses, newBus(t, nc, seqTypes))
	}
	remote := startTally(t, buses[2], name)
	local := startTally(t, buses[0], name)
	tallies := []*tally{remote, local}
	// While the server is down, nats.go refuses a message once its
	// reconnect buffer is full; and in the moment between the server's
	// death and nats.go's noticing it, a publish that fills nats.go's
	// write buffer flushes it into the dead socket and returns the
	// socket's error. Either way the message reached the channels on the
	// sender's Bus and not NATS.
	refusable := func(err error) bool {
		var netErr net.Error
		return errors.Is(err, nats.ErrReconnectBufExceeded) || errors.As(err, &netErr)
	}
	pubs := []*publisher{
		startPublisher(t, buses[0], name, 0, max, burst, 0, refusable),
		startPublisher(t, buses[1], name, 1, max, burst, 0, refusable),
	}

	// outage is where a tally may have lost a sender's messages: after
	// the last it had when the server was killed, before the first one
	// posted after the recovery.
	type outage struct{ after, before int }
	outages := map[*tally]map[int][]outage{remote: {}, local: {}}
	recovered := []int{0, 0} // by publisher: posts before the last recovery
	for k := range kills {
		for _, ty := range tallies {
			for _, p := range pubs {
				ty.reach(t, p.from, recovered[p.from]+step)
			}
		}
		had := map[*tally][]int{}
		for _, ty := range tallies {
			had[ty] = []int{ty.lastOf(0), ty.lastOf(1)}
		}

		s.Shutdown()
		s.WaitForShutdown()
		for i, l := range links {
			await(t, l.down, fmt.Sprintf("disconnect %d of connection %d", k+1, i))
		}
		for _, p := range pubs { // posting on into the outage
			p.reach(t, p.posted.Load()+step)
		}

		s = startServer(t, port)
		for i, l := range links {
			await(t, l.up, fmt.Sprintf("reconnect %d of connection %d", k+1, i))
		}
		for _, l := range links { // the server has every subscription again
			if err := l.nc.FlushTimeout(waitFor); err != nil {
				t.Fatalf("flush after reconnecting: %v", err)
			}
		}
		for _, p := range pubs {
			// The post under way may have been published before the
			// flushes; the next one was not.
			recovered[p.from] = int(p.posted.Load()) + 1
			for _, ty := range tallies {
				outages[ty][p.from] = append(outages[ty][p.from], outage{had[ty][p.from], recovered[p.from]})
			}
		}
	}
	for _, ty := range tallies {
		for _, p := range pubs {
			ty.reach(t, p.from, recovered[p.from]+step)
		}
	}
	posted := make([]int, len(pubs))
	for i, p := range pubs {
		posted[i] = p.halt(t)
		for _, ty := range tallies {
			ty.reach(t, p.from, posted[i]-1)
		}
	}

	for _, ty := range tallies {
		ty.clean(t)
		for _, p := range pubs {
			if ty == local && p.from == 0 {
				if g := ty.gapsOf(0); len(g) > 0 {
					t.Errorf("the channel beside publisher 0 lost its messages %v", g)
				}
				continue
			}
		gaps:
			for _, g := range ty.gapsOf(p.from) {
				for _, o := range outages[ty][p.from] {
					if o.after < g.First && g.Last < o.before {
						continue gaps
					}
				}
				t.Errorf("channel on bus %d lost messages %d to %d of publisher %d outside the outages %v",
					map[*tally]int{remote: 2, local: 0}[ty], g.First, g.Last, p.from, outages[ty][p.from])
			}
		}
	}
	total, refused, lost := 0, 0, 0
	for i, p := range pubs {
		total += posted[i]
		refused += int(p.failed.Load())
		lost += remote.lost(p.from)
		t.Logf("publisher %d: %d posted, %d refused (reconnect buffer full, or a write to the dead socket), slowest PostMessage %v; remote channel lost %d, the channel on bus 0 lost %d",
			p.from, posted[i], p.failed.Load(), time.Duration(p.slowest.Load()), remote.lost(p.from), local.lost(p.from))
	}
	t.Logf("server restart: %d kills, %d messages posted, %d refused, remote channel received %d, lost %d, duplicates or reorderings %d; nats.go reported %d asynchronous errors",
		kills, total, refused, remote.count(), lost, remote.breachCount()+local.breachCount(), asyncErrs.Load())
}

// The connection is closed for good under a Bus while two publishers post
// on it steadily, a third posts from another Bus, and channels
// on both Buses receive. Every PostMessage on the closed connection returns
// an error matching nats.ErrConnectionClosed, at once, and the channels on
// its Bus still get every message, in order; the other Bus gets what was
// posted before the close in order, without a hole, and nothing after (it
// may miss the last messages accepted before the close: nats.go flushes
// them, but closing a socket with unread input resets it, and the server's
// kernel may drop what it had not read yet); a channel that starts receiving on a new name gets a
// messageerror instead of hanging; closing the channels and the Bus works;
// and no goroutine is left behind.
func TestFaultConnectionClosedUnderBus(t *testing.T) {
	noLeaks(t)
	const (
		step      = 1000 // what the other Bus has from each publisher when the connection closes
		afterFail = 200  // posts after the first failure
		burst     = 20   // 20,000 messages a second from each publisher
		max       = 1_000_000
	)
	s := startServer(t, -1)
	nc1 := connect(t, s.ClientURL())
	bus1 := newBus(t, nc1, seqTypes)
	bus2 := newBus(t, connect(t, s.ClientURL()), seqTypes)
	names := []string{"a", "b"}
	var locals, remotes []*tally
	var pubs []*publisher
	closed := func(err error) bool { return errors.Is(err, nats.ErrConnectionClosed) }
	for i, name := range names {
		locals = append(locals, startTally(t, bus1, name))
		remotes = append(remotes, startTally(t, bus2, name))
		pubs = append(pubs, startPublisher(t, bus1, name, i, max, burst, afterFail, closed))
	}
	// From the other Bus to bus1: it never fails; bus1's channel gets its
	// messages until the close.
	never := func(error) bool { return false }
	other := startPublisher(t, bus2, "a", 2, max, burst, 0, never)

	for i, ty := range remotes {
		ty.reach(t, i, step)
	}
	locals[0].reach(t, other.from, step)
	nc1.Close()

	for i, p := range pubs {
		select {
		case <-p.done:
		case <-time.After(waitFor):
			t.Fatalf("publisher %d still running %v after the close", i, waitFor)
		}
		n := p.halt(t)
		if p.firstFail < 0 || p.okAfterFail > 0 {
			t.Errorf("publisher %d: first failure at #%d, %d successes after it", i, p.firstFail, p.okAfterFail)
		}
		locals[i].reach(t, i, n-1)
		if g := locals[i].gapsOf(i); len(g) > 0 {
			t.Errorf("the channel beside publisher %d lost %v", i, g)
		}
	}
	otherN := other.halt(t)
	remotes[0].reach(t, other.from, otherN-1) // on its own Bus

	// Once the server has dropped the closed connection, everything it
	// read from it is on its way to bus2, ahead of a fence sent now from
	// a third connection.
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	for s.NumClients() > 1 {
		select {
		case <-ctx.Done():
			t.Fatalf("the server still has %d clients", s.NumClients())
		case <-time.After(time.Millisecond):
		}
	}
	bus3 := newBus(t, connect(t, s.ClientURL()), seqTypes)
	for i, name := range names {
		post(t, sender(t, bus3, name), Seq{3, 0})
		remotes[i].reach(t, 3, 0)
	}
	for i, ty := range remotes {
		p := pubs[i]
		if g := ty.gapsOf(i); len(g) > 0 {
			t.Errorf("the channel on the other Bus lost %v, a hole in what was posted before the close", g)
		}
		if last := ty.lastOf(i); last >= p.firstFail {
			t.Errorf("the other Bus's channel %q has #%d from publisher %d, which failed from #%d", ty.ch.Name(), last, i, p.firstFail)
		}
		t.Logf("publisher %d: %d posted, %d failed with ErrConnectionClosed (from #%d), slowest PostMessage %v; the channel beside it received %d; the other Bus's received %d, lost %d accepted just before the close",
			i, p.posted.Load(), p.failed.Load(), p.firstFail, time.Duration(p.slowest.Load()), locals[i].lastOf(i)+1, ty.lastOf(i)+1, p.firstFail-1-ty.lastOf(i))
	}
	t.Logf("publisher on the other Bus: %d posted; the channel on the closed connection received %d of them, the last #%d",
		otherN, locals[0].count()-(locals[0].lastOf(0)+1), locals[0].lastOf(other.from))

	// A channel starting on a name new to bus1 cannot subscribe: it gets
	// a messageerror, not a hang. One joining a name bus1 already has
	// receives the local messages.
	fresh := msgport.NewBroadcastChannel("new", msgport.WithBus(bus1))
	defer fresh.Close()
	if err := nextError(t, fresh); !errors.Is(err, nats.ErrConnectionClosed) {
		t.Errorf("new channel on a closed connection: messageerror %v, want ErrConnectionClosed", err)
	}
	late := join(t, bus1, "a")
	if err := sender(t, bus1, "a").PostMessage(Seq{9, 0}); !errors.Is(err, nats.ErrConnectionClosed) {
		t.Errorf("PostMessage on the closed connection = %v, want ErrConnectionClosed", err)
	}
	if got := nextData(t, late); got != (Seq{9, 0}) {
		t.Errorf("late channel got %v", got)
	}

	// Closing everything works, and says so.
	for _, ty := range append(locals, remotes...) {
		ty.clean(t)
		if err := ty.ch.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		if err := ty.ch.PostMessage(0); !isClosed(err) {
			t.Errorf("PostMessage after Close = %v, want ErrClosed", err)
		}
	}
	if err := bus1.Close(); err != nil {
		t.Errorf("Bus.Close on a closed connection: %v", err)
	}
	if err := bus1.Publish("a", nil, 0); !isClosed(err) {
		t.Errorf("Publish after Bus.Close = %v, want ErrClosed", err)
	}
}

// A channel whose handler is stuck while a publisher on another Bus floods
// its name holds up neither the publisher, nor the other channel of that
// name on its Bus, nor NATS: nothing is dropped (the stuck channel's queue
// takes the backlog, and the pending limits of the Bus's subscription are
// never approached), and once the handler moves again the channel gets
// every message, in order. The backlog is in the channel's queue, which is
// unbounded: memory grows with the flood (logged), not with the pending
// limits, which bound only what waits for the Bus's own delivery
// (TestFaultSlowConsumerDropsWithinLimits).
func TestFaultSlowHandler(t *testing.T) {
	noLeaks(t)
	const n = 10_000
	sink := make(errorSink, 16)
	bus1, bus2 := pair(t, seqTypes, sink.option())
	hold := make(chan struct{})
	slow := startHeldTally(t, bus2, "flood", hold)
	fast := startTally(t, bus2, "flood")
	from := sender(t, bus1, "flood")

	before := liveHeap()
	var slowest time.Duration
	start := time.Now()
	for i := range n {
		t0 := time.Now()
		post(t, from, Seq{0, i})
		slowest = max(slowest, time.Since(t0))
	}
	posting := time.Since(start)
	fast.reach(t, 0, n-1) // while slow's handler is stuck on #0
	backlog := liveHeap() - before
	select {
	case err := <-sink:
		t.Errorf("error handler: %v", err)
	default:
	}
	if slowest > maxPostTime {
		t.Errorf("a PostMessage took %v, bound %v", slowest, maxPostTime)
	}
	if got := slow.count(); got != 0 {
		t.Fatalf("the stuck channel handled %d messages", got)
	}
	close(hold)
	slow.reach(t, 0, n-1)
	for _, ty := range []*tally{slow, fast} {
		ty.clean(t)
		if g := ty.gapsOf(0); len(g) > 0 {
			t.Errorf("channel lost %v", g)
		}
	}
	t.Logf("slow handler: %d messages posted in %v (slowest %v), all received by both channels, none dropped; the stuck channel's backlog held %.1f MiB",
		n, posting, slowest, float64(backlog)/(1<<20))
}

// liveHeap returns the bytes of live heap objects, after a collection.
func liveHeap() int64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapAlloc)
}

// When the Bus's delivery for a name stalls (a Subscriber breaking the
// contract by blocking) while another Bus floods the name with 4 KiB
// messages, nats.go holds at most the pending limits (here 64 messages,
// 256 KiB) and drops the rest: the heap does not grow with the flood. The
// error handler hears of every dropped message (matching
// nats.ErrSlowConsumer), so that what arrived and what was reported
// dropped add up to what was sent; nothing panics; and once delivery moves
// again the channels of the name receive as before.
func TestFaultSlowConsumerDropsWithinLimits(t *testing.T) {
	noLeaks(t)
	const (
		n         = 5_000
		size      = 4 << 10
		limitMsgs = 64
		limitSize = 256 << 10
	)
	s := startServer(t, -1)
	quiet := nats.ErrorHandler(func(*nats.Conn, *nats.Subscription, error) {}) // nats.go's own report of the drop
	nc1, nc2 := connect(t, s.ClientURL()), connect(t, s.ClientURL(), quiet)
	sink := make(errorSink, 1024)
	bus1 := newBus(t, nc1)
	bus2 := newBus(t, nc2, natsbus.WithPendingLimits(limitMsgs, limitSize), sink.option())
	ch := join(t, bus2, "slow") // a channel beside the stalled subscriber
	stall := &blocker{entered: make(chan struct{}), release: make(chan struct{}), got: make(chan any, n+2)}
	cancel, err := bus2.Subscribe("slow", stall)
	if err != nil {
		t.Fatal(err)
	}
	defer cancel()

	payload := make([]byte, size)
	if err := bus1.Publish("slow", nil, payload); err != nil {
		t.Fatal(err)
	}
	await(t, stall.entered, "the stalled delivery")
	before := liveHeap()
	for range n - 1 {
		if err := bus1.Publish("slow", nil, payload); err != nil {
			t.Fatal(err)
		}
	}
	// Once both round trips are done, nc2 has read the whole flood:
	// what it kept is pending, the rest dropped.
	if err := nc1.FlushTimeout(waitFor); err != nil {
		t.Fatal(err)
	}
	if err := nc2.FlushTimeout(waitFor); err != nil {
		t.Fatal(err)
	}
	growth := liveHeap() - before
	if flood := int64(n * size); growth > flood/8 {
		t.Errorf("while stalled the heap grew by %d bytes, for a flood of %d bytes and pending limits of %d bytes", growth, flood, limitSize)
	}

	close(stall.release)
	// The first delivery after the stall reports what was dropped during
	// it; then what nats.go kept arrives, and a fence after it.
	dropped := 0
	select {
	case err := <-sink:
		var k int
		if !errors.Is(err, nats.ErrSlowConsumer) {
			t.Fatalf("error handler got %v, want ErrSlowConsumer", err)
		}
		if _, serr := fmt.Sscanf(err.Error()[strings.Index(err.Error(), "dropped "):], "dropped %d messages", &k); serr != nil {
			t.Fatalf("error handler got %v: %v", err, serr)
		}
		dropped = k
	case <-time.After(waitFor):
		t.Fatal("no slow consumer error")
	}
	kept := n - dropped
	if kept < 1 || kept > limitMsgs {
		t.Errorf("%d dropped, %d kept, want at most %d kept", dropped, kept, limitMsgs)
	}
	for i := range kept {
		if got := nextData(t, ch); !bytes.Equal(got.([]byte), payload) {
			t.Fatalf("message %d of those kept: got %T", i, got)
		}
	}
	post(t, sender(t, bus1, "slow"), "after") // the queue is empty: it cannot be dropped
	if got := nextData(t, ch); got != "after" {
		t.Errorf("after the stall got %v, want only the message posted after it", got)
	}
	for i := range kept + 1 {
		select {
		case <-stall.got:
		case <-time.After(waitFor):
			t.Fatalf("the stalled subscriber got %d messages, want %d", i, kept+1)
		}
	}
	select {
	case err := <-sink:
		t.Errorf("error handler: %v after the stall", err)
	default:
	}
	t.Logf("slow consumer: %d messages of %d KiB sent while delivery stalled, %d kept (limits %d messages, %d KiB), %d dropped and reported; heap growth while stalled %.1f MiB for a %.1f MiB flood",
		n, size>>10, kept, limitMsgs, limitSize>>10, dropped, float64(growth)/(1<<20), float64(n*size)/(1<<20))
}

// Sixteen goroutines post as fast as they can, each on a channel of its own,
// on four names over one Bus; each name has a receiving channel on that Bus
// and one on each of two other connections. With the server up and the
// consumers keeping up, every receiver gets every message of each of its
// name's senders, in that sender's order, once, and nothing of the other
// names. (PostMessage's time is logged, not bounded: with sixteen senders
// on few CPUs under the race detector, a sender may wait long for its turn.)
func TestFaultPublisherFlood(t *testing.T) {
	noLeaks(t)
	const (
		senders   = 16
		names     = 4
		perSender = 1_500
	)
	s := startServer(t, -1)
	var buses []*natsbus.Bus
	for range 3 {
		buses = append(buses, newBus(t, connect(t, s.ClientURL()), seqTypes))
	}
	receivers := make([][]*tally, names)
	for i := range names {
		for _, bus := range buses {
			receivers[i] = append(receivers[i], startTally(t, bus, fmt.Sprint("flood", i)))
		}
	}
	chans := make([]*msgport.BroadcastChannel, senders)
	for g := range senders {
		chans[g] = sender(t, buses[0], fmt.Sprint("flood", g%names))
	}

	var wg sync.WaitGroup
	var slowest atomic.Int64
	begin := make(chan struct{})
	start := time.Now()
	for g, ch := range chans {
		wg.Go(func() {
			<-begin
			for i := range perSender {
				t0 := time.Now()
				if err := ch.PostMessage(Seq{g, i}); err != nil {
					t.Errorf("sender %d: PostMessage #%d: %v", g, i, err)
					return
				}
				if d := int64(time.Since(t0)); d > slowest.Load() {
					slowest.Store(d) // a lost race only understates it
				}
			}
		})
	}
	close(begin)
	posted := make(chan struct{})
	go func() { wg.Wait(); close(posted) }()
	select {
	case <-posted:
	case <-time.After(waitFor):
		t.Fatalf("the senders still post after %v: a PostMessage hangs", waitFor)
	}
	posting := time.Since(start)
	for g := range senders {
		for _, ty := range receivers[g%names] {
			ty.reach(t, g, perSender-1)
		}
	}
	elapsed := time.Since(start)

	deliveries := 0
	for i, tys := range receivers {
		for _, ty := range tys {
			ty.clean(t)
			for g := i; g < senders; g += names {
				if gaps := ty.gapsOf(g); len(gaps) > 0 {
					t.Errorf("channel %q lost %v from sender %d", ty.ch.Name(), gaps, g)
				}
			}
			if got, want := ty.count(), senders/names*perSender; got != want {
				t.Errorf("channel %q received %d messages, want %d", ty.ch.Name(), got, want)
			}
			deliveries += ty.count()
		}
	}
	t.Logf("publisher flood: %d senders on %d names, %d messages posted in %v (slowest PostMessage %v), %d deliveries in %v, lost 0, duplicates 0",
		senders, names, senders*perSender, posting, time.Duration(slowest.Load()), deliveries, elapsed)
}

// What the package documentation advises before closing a connection:
// flushed first, a connection closed under a flood loses nothing that
// PostMessage accepted, though the echoes of the flood wait unread on it
// (a channel of the name on the same Bus makes the Bus subscribe). Without
// the flush this loses messages, as TestFaultConnectionClosedUnderBus
// shows.
func TestFaultFlushThenClose(t *testing.T) {
	noLeaks(t)
	const n = 5_000
	s := startServer(t, -1)
	nc1 := connect(t, s.ClientURL())
	bus1 := newBus(t, nc1, seqTypes)
	bus2 := newBus(t, connect(t, s.ClientURL()), seqTypes)
	startTally(t, bus1, "last")
	remote := startTally(t, bus2, "last")
	from := sender(t, bus1, "last")
	for i := range n {
		post(t, from, Seq{0, i})
	}
	if err := nc1.Flush(); err != nil {
		t.Fatal(err)
	}
	nc1.Close()
	remote.reach(t, 0, n-1)
	remote.clean(t)
	if g := remote.gapsOf(0); len(g) > 0 {
		t.Errorf("lost %v", g)
	}
}
