package msgport_test

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/seed01aa7ee5/msgport"
)

// SPEC 3.4.1, 3.4.2: a panicking message listener fires messageerror on the
// same port with the panic value reachable; the other listeners and later
// messages still run.
func TestPanicFiresMessageError(t *testing.T) {
	var nilMap map[string]int
	for _, tc := range []struct {
		name   string
		panic  func()
		text   string
		target error // errors.Is target, if any
	}{
		{"string", func() { panic("boom") }, "boom", nil},
		{"error value", func() { panic(io.ErrUnexpectedEOF) }, "unexpected EOF", io.ErrUnexpectedEOF},
		{"wrapped error", func() { panic(errWrap{io.EOF}) }, "wrapped: EOF", io.EOF},
		{"runtime error", func() { nilMap["x"] = 1 }, "assignment to entry in nil map", nil},
		{"panic(nil)", func() { panic(nil) }, "nil", nil},
		{"custom value", func() { panic(struct{ Code int }{42}) }, "{42}", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := msgport.NewMessageChannel()
			closeAll(t, c)
			r := newRecorder()
			c.Port2.AddEventListener("message", func(e *msgport.MessageEvent) {
				if e.Data == "bad" {
					tc.panic()
				}
			})
			c.Port2.AddEventListener("message", r.fn) // still runs
			c.Port2.SetOnMessageError(r.fn)
			c.Port2.Start()
			post(t, c.Port1, "bad")
			post(t, c.Port1, "good")
			var got []string
			var perr error
			for range 3 {
				e := r.next(t)
				got = append(got, e.Type)
				if e.Type == "messageerror" {
					perr = e.Data.(error)
				}
			}
			if d := cmp.Diff([]string{"messageerror", "message", "message"}, got); d != "" {
				t.Fatalf("events (-want +got):\n%s", d)
			}
			if !strings.Contains(perr.Error(), tc.text) {
				t.Errorf("messageerror text %q does not contain %q", perr, tc.text)
			}
			if tc.target != nil && !errors.Is(perr, tc.target) {
				t.Errorf("errors.Is(%v, %v) = false", perr, tc.target)
			}
			var pe *msgport.PanicError
			if !errors.As(perr, &pe) || !strings.Contains(string(pe.Stack), "messageerror_test.go") {
				t.Errorf("the stack of the panic is not kept: %v", perr)
			}
		})
	}
}

type errWrap struct{ err error }

func (e errWrap) Error() string { return "wrapped: " + e.err.Error() }
func (e errWrap) Unwrap() error { return e.err }

// SPEC 3.4.3: a panic in a messageerror or close listener goes to the error
// hook; dispatch continues.
func TestPanicsInErrorAndCloseListenersGoToTheHook(t *testing.T) {
	var mu sync.Mutex
	var hooked []string
	hook := func(err error) {
		mu.Lock()
		hooked = append(hooked, err.Error())
		mu.Unlock()
	}
	c := msgport.NewMessageChannel(msgport.WithErrorHandler(hook))
	closeAll(t, c)
	r := newRecorder()
	c.Port2.AddEventListener("message", func(e *msgport.MessageEvent) {
		if e.Data == 1 {
			panic("in message")
		}
	})
	c.Port2.AddEventListener("message", r.fn)
	c.Port2.AddEventListener("messageerror", func(*msgport.MessageEvent) { panic("in messageerror") })
	c.Port2.AddEventListener("close", func(*msgport.MessageEvent) { panic("in close") })
	c.Port2.AddEventListener("close", r.fn)
	c.Port2.Start()
	post(t, c.Port1, 1)
	post(t, c.Port1, 2)
	c.Port1.Close()
	for _, want := range []any{1, 2, nil} {
		if e := r.next(t); e.Data != want {
			t.Fatalf("got %s %v, want %v", e.Type, e.Data, want)
		}
	}
	await(t, c.Port2.Done(), "port2 done")
	mu.Lock()
	defer mu.Unlock()
	if len(hooked) != 2 || !strings.Contains(hooked[0], "in messageerror") || !strings.Contains(hooked[1], "in close") {
		t.Fatalf("hook got %q", hooked)
	}
}

// The default hook logs with log/slog at error level, stack included; a
// panicking close listener never crashes the process.
func TestDefaultHookLogs(t *testing.T) {
	var buf syncBuffer
	old := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&buf, nil)))
	defer slog.SetDefault(old)
	c := msgport.NewMessageChannel()
	c.Port1.SetOnClose(func(*msgport.Event) { panic("logged, not fatal") })
	c.Port1.Close()
	await(t, c.Port1.Done(), "close")
	out := buf.String()
	for _, want := range []string{"level=ERROR", "logged, not fatal", "stack=", "messageerror_test.go"} {
		if !strings.Contains(out, want) {
			t.Errorf("log %q lacks %q", out, want)
		}
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// A listener that ends its goroutine (runtime.Goexit, as t.FailNow does)
// does not stall the port: dispatch carries on.
func TestGoexitInListenerDoesNotStallThePort(t *testing.T) {
	c := msgport.NewMessageChannel()
	closeAll(t, c)
	r := newRecorder()
	c.Port2.AddEventListener("message", func(e *msgport.MessageEvent) {
		if e.Data == 1 {
			runtime.Goexit()
		}
	})
	c.Port2.AddEventListener("message", r.fn)
	c.Port2.AddEventListener("close", r.fn)
	c.Port2.Start()
	post(t, c.Port1, 1)
	post(t, c.Port1, 2)
	c.Port1.Close()
	if e := r.next(t); e.Data != 2 {
		t.Fatalf("after Goexit got %s %v, want message 2", e.Type, e.Data)
	}
	if e := r.next(t); e.Type != "close" {
		t.Fatalf("got %s, want close", e.Type)
	}
}

// A panicking error hook is logged, not fatal.
func TestPanickingHook(t *testing.T) {
	var buf syncBuffer
	old := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&buf, nil)))
	defer slog.SetDefault(old)
	c := msgport.NewMessageChannel(msgport.WithErrorHandler(func(error) { panic("hook") }))
	c.Port1.SetOnClose(func(*msgport.Event) { panic("close") })
	c.Port1.Close()
	await(t, c.Port1.Done(), "close")
	if !strings.Contains(buf.String(), "hook") {
		t.Fatalf("hook panic not logged: %q", buf.String())
	}
}
