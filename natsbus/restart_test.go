package natsbus_test

import (
	"errors"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/seed01aa7ee5/msgport"
)

// signal returns a channel and a nats connection handler that sends on it.
func signal() (chan struct{}, func(*nats.Conn)) {
	c := make(chan struct{}, 16)
	return c, func(*nats.Conn) {
		select {
		case c <- struct{}{}:
		default:
		}
	}
}

func await(t *testing.T, c chan struct{}, what string) {
	t.Helper()
	select {
	case <-c:
	case <-time.After(waitFor):
		t.Fatalf("timed out waiting for %s", what)
	}
}

// The server goes away mid-stream and a new one comes up on the same port.
// During the outage posts neither block nor fail (nats.go buffers them) or,
// with the reconnect buffer disabled, fail at once; local channels still
// get every message. After reconnection messages flow again with nothing
// for the user to do, each sender's order intact.
func TestServerRestart(t *testing.T) {
	s1 := startServer(t, -1)
	port := s1.Addr().(*net.TCPAddr).Port
	url := s1.ClientURL()

	conn := func(opts ...nats.Option) (*nats.Conn, chan struct{}, chan struct{}) {
		down, onDown := signal()
		up, onUp := signal()
		opts = append(opts,
			nats.DisconnectErrHandler(func(nc *nats.Conn, _ error) { onDown(nc) }),
			nats.ReconnectHandler(onUp))
		return connect(t, url, opts...), down, up
	}
	nc1, down1, up1 := conn()
	nc2, down2, up2 := conn()
	nc3, down3, _ := conn(nats.ReconnectBufSize(-1))
	bus1, bus2, bus3 := newBus(t, nc1), newBus(t, nc2), newBus(t, nc3)

	from := sender(t, bus1, "r")
	local := join(t, bus1, "r")
	remote := join(t, bus2, "r")
	from3 := sender(t, bus3, "r3")
	local3 := join(t, bus3, "r3")
	n := 0
	postNext := func() {
		t.Helper()
		start := time.Now()
		post(t, from, n)
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("PostMessage blocked for %v", d)
		}
		if got := nextData(t, local); got != n {
			t.Fatalf("local channel got %v, want %d", got, n)
		}
		n++
	}
	for range 10 {
		postNext()
	}
	for i := range 10 {
		if got := nextData(t, remote); got != int64(i) {
			t.Fatalf("remote got %v, want %d", got, i)
		}
	}

	s1.Shutdown()
	s1.WaitForShutdown()
	await(t, down1, "disconnect 1")
	await(t, down2, "disconnect 2")
	await(t, down3, "disconnect 3")
	for range 10 { // buffered by nats.go while reconnecting
		postNext()
	}
	start := time.Now()
	err := from3.PostMessage("no buffer")
	if !errors.Is(err, nats.ErrReconnectBufExceeded) || time.Since(start) > 2*time.Second {
		t.Errorf("PostMessage without reconnect buffer = %v after %v, want ErrReconnectBufExceeded at once", err, time.Since(start))
	}
	if got := nextData(t, local3); got != "no buffer" {
		t.Errorf("local channel of the failed post got %v", got)
	}

	startServer(t, port)
	await(t, up1, "reconnect 1")
	await(t, up2, "reconnect 2")
	for _, nc := range []*nats.Conn{nc1, nc2} {
		if err := nc.FlushTimeout(waitFor); err != nil { // the server has the subscriptions again
			t.Fatal(err)
		}
	}
	for range 10 {
		postNext()
	}

	// The remote channel gets everything posted after the outage, and
	// may or may not get what was posted during it (core NATS is
	// at-most-once), always in order.
	got := []int{9}
	for len(got) == 0 || got[len(got)-1] != n-1 {
		v, ok := nextData(t, remote).(int64)
		if !ok || (len(got) > 0 && int(v) <= got[len(got)-1]) {
			t.Fatalf("remote got %v after %v", v, got)
		}
		got = append(got, int(v))
	}
	seen := map[int]bool{}
	for _, v := range got {
		seen[v] = true
	}
	for i := range n {
		if i >= 20 && !seen[i] {
			t.Errorf("remote missed %d, posted while connected: got %v", i, got)
		}
	}
	t.Logf("of the 10 posted during the outage, %d arrived", len(got)-11)

	// And the other way round.
	post(t, sender(t, bus2, "r"), "back")
	for _, ch := range []*msgport.BroadcastChannel{local, remote} {
		if v := nextData(t, ch); fmt.Sprint(v) != "back" {
			t.Errorf("got %v, want back", v)
		}
	}
}
