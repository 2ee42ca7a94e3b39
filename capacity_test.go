package msgport_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/seed01aa7ee5/msgport"
)

// SPEC 3.6: WithCapacity bounds the waiting messages; PostMessage blocks,
// PostMessageContext gives up with ctx.Err(), nothing is enqueued then.
func TestBoundedQueue(t *testing.T) {
	c := msgport.NewMessageChannel(msgport.WithCapacity(2))
	closeAll(t, c)
	post(t, c.Port1, 1)
	post(t, c.Port1, 2)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := c.Port1.PostMessageContext(ctx, 3); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("PostMessageContext on a full queue = %v, want DeadlineExceeded", err)
	}
	// A blocked PostMessage proceeds once a message is taken.
	errc := make(chan error)
	go func() { errc <- c.Port1.PostMessage(4) }()
	select {
	case err := <-errc:
		t.Fatalf("PostMessage on a full queue returned %v without blocking", err)
	default:
	}
	if ev := receive(t, c.Port2); ev.Data != 1 {
		t.Fatalf("got %v", ev.Data)
	}
	if err := await(t, errc, "blocked PostMessage"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []int{2, 4} { // 3 was never enqueued
		if ev := receive(t, c.Port2); ev.Data != want {
			t.Fatalf("got %v, want %v", ev.Data, want)
		}
	}
	// The other direction is bounded separately.
	post(t, c.Port2, "a")
	post(t, c.Port2, "b")
}

// A message whose dispatch has begun no longer counts against the capacity.
func TestCapacityCountsWaitingMessagesOnly(t *testing.T) {
	c := msgport.NewMessageChannel(msgport.WithCapacity(1))
	closeAll(t, c)
	entered, release := make(chan struct{}), make(chan struct{})
	c.Port2.SetOnMessage(func(*msgport.MessageEvent) {
		entered <- struct{}{}
		<-release
	})
	post(t, c.Port1, 1)
	await(t, entered, "dispatch")
	post(t, c.Port1, 2) // room: 1 is being dispatched, not waiting
	close(release)
	await(t, entered, "second dispatch")
}

// SPEC 3.3.6: a PostMessage blocked on a full queue returns ErrClosed when
// either port closes, and enqueues nothing.
func TestBlockedPostEndsOnClose(t *testing.T) {
	for _, closer := range []string{"sender", "receiver"} {
		t.Run(closer, func(t *testing.T) {
			c := msgport.NewMessageChannel(msgport.WithCapacity(1))
			closeAll(t, c)
			post(t, c.Port1, 1)
			errc := make(chan error)
			go func() { errc <- c.Port1.PostMessage(2) }()
			if closer == "sender" {
				c.Port1.Close()
			} else {
				c.Port2.Close()
			}
			if err := await(t, errc, "blocked PostMessage"); !errors.Is(err, msgport.ErrClosed) {
				t.Fatalf("blocked PostMessage = %v, want ErrClosed", err)
			}
		})
	}
}

func TestWithCapacityRejectsNonPositive(t *testing.T) {
	for _, n := range []int{0, -1} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("WithCapacity(%d) did not panic", n)
				}
			}()
			msgport.WithCapacity(n)
		}()
	}
}
