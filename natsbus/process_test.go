package natsbus_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/seed01aa7ee5/msgport"
	"github.com/seed01aa7ee5/msgport/natsbus"
)

// The separate-process test re-runs this test binary as two children
// (TestHelperProcess, told apart by environment variables). All three
// processes join the channel "procs" on the parent's NATS server:
//
//  1. each child joins, then says hello on "hello";
//  2. the parent, having both hellos, posts parentN messages and a "go";
//  3. each child, on "go", posts childN messages and a "done";
//  4. each child, having the parent's messages and the other child's,
//     reports what it saw on "report", flushes its connection, and exits.
//
// Everyone checks that it got every other process's messages once, in
// order, as the registered type ProcMsg, and never its own.
const (
	helperURL = "NATSBUS_TEST_HELPER_URL"
	helperID  = "NATSBUS_TEST_HELPER_ID"
	parentN   = 300
	childN    = 200
)

// ProcMsg is what the processes send each other.
type ProcMsg struct {
	Kind     string // "hello", "data", "go", "done", "report"
	From     string
	Seq      int
	At       time.Time
	Where    *Point
	Problems []string
}

var procTypes = natsbus.WithTypes(ProcMsg{}, Point{})

func TestSeparateProcesses(t *testing.T) {
	s := startServer(t, -1)
	bus := newBus(t, connectLogged(t, s.ClientURL(), "parent"), procTypes)
	hello := join(t, bus, "hello")
	report := join(t, bus, "report")
	procs := join(t, bus, "procs")

	children := []string{"child1", "child2"}
	var cmds []*exec.Cmd
	var outs []*bytes.Buffer
	for _, id := range children {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.v", "-test.timeout=2m")
		cmd.Env = append(os.Environ(), helperURL+"="+s.ClientURL(), helperID+"="+id)
		out := new(bytes.Buffer)
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds, outs = append(cmds, cmd), append(outs, out)
	}
	// On a failure, show the server's view: what each connection, open or
	// closed, sent and received, and why a closed one was closed.
	t.Cleanup(func() { // before the server's shutdown
		if !t.Failed() {
			return
		}
		cz, err := s.Connz(&server.ConnzOptions{State: server.ConnAll, Subscriptions: true})
		if err != nil {
			t.Logf("connz: %v", err)
			return
		}
		for _, c := range cz.Conns {
			stop := "open"
			if c.Stop != nil {
				stop = fmt.Sprintf("closed at %s (%s)", c.Stop.Format("15:04:05.000"), c.Reason)
			}
			t.Logf("server: connection %q from %s: in %d msgs, out %d msgs, %d bytes pending, subjects %q, %s",
				c.Name, c.Start.Format("15:04:05.000"), c.InMsgs, c.OutMsgs, c.Pending, c.Subs, stop)
		}
	})
	// On any failure, including a timeout in the parent, show what the
	// children said (once they have exited: their output is then complete).
	t.Cleanup(func() {
		for i, cmd := range cmds {
			if cmd.ProcessState == nil {
				cmd.Process.Kill()
				cmd.Wait()
			}
			if t.Failed() {
				t.Logf("%s output:\n%s", children[i], outs[i])
			}
		}
	})

	var hellos []string
	for range children {
		m := nextData(t, hello).(ProcMsg)
		hellos = append(hellos, m.From)
	}
	slices.Sort(hellos)
	if !slices.Equal(hellos, children) {
		t.Fatalf("hellos from %v", hellos)
	}

	for i := range parentN {
		post(t, procs, ProcMsg{Kind: "data", From: "parent", Seq: i, At: time.Unix(int64(i), 0).UTC(), Where: &Point{i, -i}})
	}
	post(t, procs, ProcMsg{Kind: "go", From: "parent"})

	// The parent gets each child's messages in order.
	problems := follow(t, procs, "parent", map[string]int{"child1": childN, "child2": childN}, nil)
	for _, p := range problems {
		t.Errorf("parent: %s", p)
	}

	reported := map[string]bool{}
	for range children {
		m, ok := nextData(t, report).(ProcMsg)
		if !ok || m.Kind != "report" {
			t.Fatalf("report channel got %#v", m)
		}
		reported[m.From] = true
		for _, p := range m.Problems {
			t.Errorf("%s: %s", m.From, p)
		}
	}
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Errorf("%s: %v", children[i], err)
		}
	}
	if len(reported) != len(children) {
		t.Errorf("reports from %v", reported)
	}
}

// connectLogged is connect under the name name, and on a failed test it
// also logs when the connection was lost and regained, if it was: core
// NATS drops what is published to a client while it is reconnecting.
func connectLogged(t *testing.T, url, name string) *nats.Conn {
	var mu sync.Mutex
	var events []string
	record := func(what string) {
		mu.Lock()
		defer mu.Unlock()
		events = append(events, time.Now().Format("15:04:05.000 ")+what)
	}
	nc := connect(t, url, nats.Name(name),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) { record(fmt.Sprintf("disconnected: %v", err)) }),
		nats.ReconnectHandler(func(*nats.Conn) { record("reconnected") }))
	t.Cleanup(func() { // before connect's Close: the events of the test only
		if t.Failed() {
			mu.Lock()
			defer mu.Unlock()
			t.Logf("connection events: %q", events)
		}
	})
	return nc
}

// follow reads "procs" as process me until every sender in want has
// finished: sent its "go" (the parent) or "done" (a child) after as many
// data messages as want says. On a "go" it calls onGo, if not nil. It
// returns what was wrong.
func follow(t *testing.T, procs *msgport.BroadcastChannel, me string, want map[string]int, onGo func()) []string {
	t.Helper()
	var problems []string
	next := map[string]int{}
	finished := 0
	defer func() {
		if t.Failed() { // a timeout in nextData: say how far it got
			t.Logf("%s had received %v when it failed", me, next)
		}
	}()
	for finished < len(want) {
		m, ok := nextData(t, procs).(ProcMsg)
		if !ok {
			problems = append(problems, fmt.Sprintf("got a %T, want ProcMsg", m))
			continue
		}
		if m.From == me {
			problems = append(problems, fmt.Sprintf("got its own message %+v", m))
		}
		switch m.Kind {
		case "data":
			if m.Seq != next[m.From] {
				problems = append(problems, fmt.Sprintf("from %s got #%d, want #%d", m.From, m.Seq, next[m.From]))
			}
			if m.From == "parent" && (!m.At.Equal(time.Unix(int64(m.Seq), 0)) || m.Where == nil || *m.Where != (Point{m.Seq, -m.Seq})) {
				problems = append(problems, fmt.Sprintf("from parent got %+v", m))
			}
			next[m.From] = m.Seq + 1
		case "go", "done":
			if n, ok := want[m.From]; !ok || next[m.From] != n {
				problems = append(problems, fmt.Sprintf("%s from %s after %d messages, want %d", m.Kind, m.From, next[m.From], n))
			}
			finished++
			if m.Kind == "go" && onGo != nil {
				onGo()
			}
		default:
			problems = append(problems, fmt.Sprintf("unexpected %+v", m))
		}
	}
	t.Logf("%s received %v", me, next)
	return problems
}

func TestHelperProcess(t *testing.T) {
	url, me := os.Getenv(helperURL), os.Getenv(helperID)
	if url == "" {
		t.Skip("run by TestSeparateProcesses")
	}
	nc := connectLogged(t, url, me)
	bus := newBus(t, nc, procTypes)
	procs := join(t, bus, "procs")
	post(t, sender(t, bus, "hello"), ProcMsg{Kind: "hello", From: me})

	other := "child1"
	if me == "child1" {
		other = "child2"
	}
	problems := follow(t, procs, me, map[string]int{"parent": parentN, other: childN}, func() {
		for i := range childN {
			post(t, procs, ProcMsg{Kind: "data", From: me, Seq: i})
		}
		post(t, procs, ProcMsg{Kind: "done", From: me})
	})
	post(t, sender(t, bus, "report"), ProcMsg{Kind: "report", From: me, Problems: problems})
	// As the package documentation says: flush before closing. A process
	// that closes its connection (or exits) with messages still in nats.go's
	// buffer or unread by the server loses them: here, under load, most of
	// a child's data, the server closing the connection on a write error
	// with only part of it read.
	if err := nc.FlushTimeout(waitFor); err != nil {
		t.Fatalf("flush: %v", err)
	}
}
