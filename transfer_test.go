package msgport_test

import (
	"errors"
	"testing"

	"github.com/seed01aa7ee5/msgport"
)

// SPEC 3.5.1: a transferred port moves to the receiver with its queue; the
// sender's is detached.
func TestTransferPort(t *testing.T) {
	carrier, moved := msgport.NewMessageChannel(), msgport.NewMessageChannel()
	closeAll(t, carrier, moved)
	// Messages queued at the port before it moves go with it, in order.
	post(t, moved.Port1, "queued 1")
	post(t, moved.Port1, "queued 2")
	type envelope struct {
		Reply *msgport.MessagePort
	}
	old := moved.Port2
	post(t, carrier.Port1, envelope{Reply: old}, old)
	ev := receive(t, carrier.Port2)
	if len(ev.Ports) != 1 {
		t.Fatalf("Ports = %v, want one", ev.Ports)
	}
	np := ev.Ports[0]
	if np == old {
		t.Fatal("the receiver got the sender's own *MessagePort")
	}
	if got := ev.Data.(envelope).Reply; got != np {
		t.Fatalf("the port inside the data is %p, want the same new port %p", got, np)
	}
	// The old one is detached.
	if err := old.PostMessage(1); !errors.Is(err, msgport.ErrClosed) {
		t.Fatalf("PostMessage on the detached port = %v, want ErrClosed", err)
	}
	if _, err := old.Receive(ctxT(t)); !errors.Is(err, msgport.ErrClosed) {
		t.Fatalf("Receive on the detached port = %v, want ErrClosed", err)
	}
	if err := old.Close(); err != nil {
		t.Fatalf("Close on the detached port = %v", err)
	}
	post(t, moved.Port1, "after")
	for _, want := range []string{"queued 1", "queued 2", "after"} {
		if got := receive(t, np).Data; got != want {
			t.Fatalf("new port got %v, want %v", got, want)
		}
	}
	// And it still talks to the peer: entangled as before.
	post(t, np, "back")
	if got := receive(t, moved.Port1).Data; got != "back" {
		t.Fatalf("peer got %v", got)
	}
}

// Transferring a started port from inside its own listener: the messages
// still queued behind the current one move with it, in order.
func TestTransferPortMidDispatch(t *testing.T) {
	carrier, moved := msgport.NewMessageChannel(), msgport.NewMessageChannel()
	closeAll(t, carrier, moved)
	const n = 200
	var first []int
	moved.Port2.SetOnMessage(func(e *msgport.MessageEvent) {
		first = append(first, e.Data.(int))
		if e.Data.(int) == 9 {
			post(t, carrier.Port1, nil, moved.Port2)
		}
	})
	for i := range n {
		post(t, moved.Port1, i)
	}
	np := receive(t, carrier.Port2).Ports[0]
	var rest []int
	for ev := range np.Messages(ctxT(t)) {
		rest = append(rest, ev.Data.(int))
		if len(first)+len(rest) == n {
			break
		}
	}
	all := append(first, rest...)
	for i, v := range all {
		if v != i {
			t.Fatalf("message %d arrived as number %d (first %d on the old port)", v, i, len(first))
		}
	}
}

// SPEC 3.5.3: a transferred Buffer moves without copying; one not in the
// list is copied.
func TestTransferBuffer(t *testing.T) {
	c := msgport.NewMessageChannel()
	closeAll(t, c)
	bytes := []byte("payload")
	moved, copied := msgport.NewBuffer(bytes), msgport.NewBuffer([]byte("copy me"))
	post(t, c.Port1, []*msgport.Buffer{moved, copied}, moved)
	got := receive(t, c.Port2).Data.([]*msgport.Buffer)
	if !moved.Detached() || moved.Len() != 0 || moved.Bytes() != nil {
		t.Fatalf("sender's buffer not detached: %v %d %v", moved.Detached(), moved.Len(), moved.Bytes())
	}
	if &got[0].Bytes()[0] != &bytes[0] || string(got[0].Bytes()) != "payload" {
		t.Fatal("transferred buffer was copied, or lost its bytes")
	}
	if copied.Detached() || string(got[1].Bytes()) != "copy me" || &got[1].Bytes()[0] == &copied.Bytes()[0] {
		t.Fatal("buffer not in the transfer list was not copied")
	}
}

// SPEC 3.5.2, 3.5.4: transfer mistakes are DataCloneErrors, atomic: nothing
// detached, nothing sent.
func TestTransferErrors(t *testing.T) {
	type fixture struct {
		c, other *msgport.MessageChannel
		buf      *msgport.Buffer
	}
	for _, tc := range []struct {
		name string
		make func(f fixture) (data any, list []msgport.Transferable)
	}{
		{"port in data, not in list", func(f fixture) (any, []msgport.Transferable) {
			return []any{f.other.Port2}, nil
		}},
		{"posting port itself", func(f fixture) (any, []msgport.Transferable) {
			return nil, []msgport.Transferable{f.buf, f.c.Port1}
		}},
		{"entangled peer", func(f fixture) (any, []msgport.Transferable) {
			return nil, []msgport.Transferable{f.buf, f.c.Port2}
		}},
		{"same port twice", func(f fixture) (any, []msgport.Transferable) {
			return nil, []msgport.Transferable{f.other.Port2, f.buf, f.other.Port2}
		}},
		{"same buffer twice", func(f fixture) (any, []msgport.Transferable) {
			return nil, []msgport.Transferable{f.buf, f.other.Port2, f.buf}
		}},
		{"closed port", func(f fixture) (any, []msgport.Transferable) {
			closed := msgport.NewMessageChannel()
			closed.Port1.Close()
			return nil, []msgport.Transferable{f.buf, f.other.Port2, closed.Port2}
		}},
		{"detached port", func(f fixture) (any, []msgport.Transferable) {
			x := msgport.NewMessageChannel()
			if _, err := msgport.StructuredClone(nil, x.Port1); err != nil {
				panic(err)
			}
			return nil, []msgport.Transferable{f.buf, f.other.Port2, x.Port1}
		}},
		{"detached buffer in list", func(f fixture) (any, []msgport.Transferable) {
			d := msgport.NewBuffer([]byte{1})
			if _, err := msgport.StructuredClone(nil, d); err != nil {
				panic(err)
			}
			return nil, []msgport.Transferable{f.buf, f.other.Port2, d}
		}},
		{"detached buffer in data", func(f fixture) (any, []msgport.Transferable) {
			d := msgport.NewBuffer([]byte{1})
			if _, err := msgport.StructuredClone(nil, d); err != nil {
				panic(err)
			}
			return map[string]any{"b": d}, []msgport.Transferable{f.buf, f.other.Port2}
		}},
		{"uncloneable data", func(f fixture) (any, []msgport.Transferable) {
			return struct{ F func() }{func() {}}, []msgport.Transferable{f.buf, f.other.Port2}
		}},
		{"nil in list", func(f fixture) (any, []msgport.Transferable) {
			return nil, []msgport.Transferable{f.buf, (*msgport.MessagePort)(nil)}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := fixture{c: msgport.NewMessageChannel(), other: msgport.NewMessageChannel(), buf: msgport.NewBuffer([]byte("b"))}
			closeAll(t, f.c, f.other)
			data, list := tc.make(f)
			err := f.c.Port1.PostMessage(data, list...)
			var dce *msgport.DataCloneError
			if !errors.As(err, &dce) {
				t.Fatalf("PostMessage = %v, want a *DataCloneError", err)
			}
			if f.buf.Detached() {
				t.Error("buffer detached by a failed post")
			}
			post(t, f.other.Port1, "still here")
			if ev, ok := f.other.Port2.TryReceive(); !ok || ev.Data != "still here" {
				t.Error("port detached by a failed post")
			}
			if ev, ok := f.c.Port2.TryReceive(); ok {
				t.Errorf("a failed post was delivered: %v", ev.Data)
			}
		})
	}
}

// StructuredClone with a transfer list moves ports and buffers too.
func TestStructuredCloneTransfers(t *testing.T) {
	c := msgport.NewMessageChannel()
	closeAll(t, c)
	buf := msgport.NewBuffer([]byte("x"))
	out, err := msgport.StructuredClone([]any{c.Port2, buf}, c.Port2, buf)
	if err != nil {
		t.Fatal(err)
	}
	got := out.([]any)
	np := got[0].(*msgport.MessagePort)
	closeAll(t, &msgport.MessageChannel{Port1: np, Port2: np})
	if np == c.Port2 || !buf.Detached() || string(got[1].(*msgport.Buffer).Bytes()) != "x" {
		t.Fatal("StructuredClone did not transfer")
	}
	post(t, c.Port1, 7)
	if v := receive(t, np).Data; v != 7 {
		t.Fatalf("moved port got %v", v)
	}
}
