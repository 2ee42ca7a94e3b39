package msgport

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
)

// Event types, as on the web.
const (
	typeMessage      = "message"
	typeMessageError = "messageerror"
	typeClose        = "close"
	typeError        = "error"
)

// The listener lists, one per event type.
const (
	listMessage = iota
	listMessageError
	listClose
	listError
	lists
)

// eventIndex maps an event type to its listener list.
func eventIndex(typ string) int {
	switch typ {
	case typeMessage:
		return listMessage
	case typeMessageError:
		return listMessageError
	case typeClose:
		return listClose
	case typeError:
		return listError
	}
	panic(fmt.Sprintf("msgport: unknown event type %q (want \"message\", \"messageerror\", \"close\" or \"error\")", typ))
}

// ListenerOption configures AddEventListener.
type ListenerOption func(*listener)

// Once makes the listener run at most once: it is removed before it is
// called.
func Once() ListenerOption { return func(l *listener) { l.once = true } }

// WithContext removes the listener when ctx is done, like an AbortSignal on
// the web. If ctx is already done the listener is not added.
func WithContext(ctx context.Context) ListenerOption {
	return func(l *listener) { l.ctx = ctx }
}

type listener struct {
	fn      func(*MessageEvent)
	once    bool
	ctx     context.Context
	removed atomic.Bool
}

// target holds the listeners of a port or broadcast channel and calls them,
// recovering panics. Listener lists are copied on write, so dispatch reads
// them without locking.
type target struct {
	mu    sync.Mutex
	lists [lists]atomic.Pointer[[]*listener]
	attrs [lists]*listener // the slots set by SetOnMessage and friends

	onError func(error)
	// starting is true from a dispatcher's halt check until the listener
	// it decided to call has been entered; close waits it out, so that no
	// listener starts after Close has returned.
	starting atomic.Bool
}

// add appends l to the list for typ.
func (t *target) add(typ string, l *listener) (remove func()) {
	i := eventIndex(typ)
	remove = func() { t.remove(i, l) }
	if l.ctx != nil {
		if l.ctx.Err() != nil {
			return func() {}
		}
		stop := context.AfterFunc(l.ctx, remove)
		inner := remove
		remove = func() { stop(); inner() }
	}
	t.mu.Lock()
	t.appendLocked(i, l)
	t.mu.Unlock()
	return remove
}

func (t *target) appendLocked(i int, l *listener) {
	var next []*listener
	if old := t.lists[i].Load(); old != nil {
		next = append(make([]*listener, 0, len(*old)+1), *old...)
	}
	next = append(next, l)
	t.lists[i].Store(&next)
}

func (t *target) remove(i int, l *listener) {
	t.mu.Lock()
	t.removeLocked(i, l)
	t.mu.Unlock()
}

func (t *target) removeLocked(i int, l *listener) {
	l.removed.Store(true)
	old := t.lists[i].Load()
	if old == nil {
		return
	}
	next := make([]*listener, 0, len(*old))
	for _, x := range *old {
		if x != l {
			next = append(next, x)
		}
	}
	t.lists[i].Store(&next)
}

// setAttr implements SetOnMessage and friends: the slot keeps its place in
// the list when replaced, is appended when first set, removed when set to
// nil.
func (t *target) setAttr(typ string, fn func(*MessageEvent)) {
	i := eventIndex(typ)
	t.mu.Lock()
	defer t.mu.Unlock()
	old := t.attrs[i]
	if fn == nil {
		if old != nil {
			t.attrs[i] = nil
			t.removeLocked(i, old)
		}
		return
	}
	if old != nil {
		// Replace in place: same position, new function.
		l := &listener{fn: fn}
		list := *t.lists[i].Load()
		next := make([]*listener, len(list))
		for j, x := range list {
			if x == old {
				x = l
			}
			next[j] = x
		}
		old.removed.Store(true)
		t.attrs[i] = l
		t.lists[i].Store(&next)
		return
	}
	l := &listener{fn: fn}
	t.attrs[i] = l
	t.appendLocked(i, l)
}

// dispatchMessage calls the listeners of ev's type ("message", or a queued
// "messageerror" or Worker "error"). A "message" listener that panics is
// followed by a "messageerror" event carrying a *PanicError. halted reports
// whether the owner has closed or detached; from then on no listener starts.
// It reports false if halted stopped it before the first listener: then ev
// was not dispatched at all.
func (t *target) dispatchMessage(ev *MessageEvent, halted func() bool) bool {
	return t.fire(eventIndex(ev.Type), ev, halted)
}

// dispatchEnd calls the "close" listeners. They run whatever the halt state.
func (t *target) dispatchEnd() {
	t.fire(listClose, &MessageEvent{Event: Event{Type: typeClose}}, nil)
}

// fire calls the listeners in list idx with ev; see dispatchMessage.
func (t *target) fire(idx int, ev *MessageEvent, halted func() bool) bool {
	list := t.lists[idx].Load()
	if list == nil {
		return true
	}
	called := false
	for _, l := range *list {
		if l.removed.Load() {
			continue
		}
		if l.ctx != nil && l.ctx.Err() != nil {
			t.remove(idx, l) // its AfterFunc may not have run yet
			continue
		}
		if l.once {
			if !l.removed.CompareAndSwap(false, true) {
				continue
			}
			t.remove(idx, l)
		}
		if halted != nil {
			t.starting.Store(true)
			if halted() {
				t.starting.Store(false)
				return called
			}
		}
		called = true
		if p := t.call(l.fn, ev); p != nil {
			if idx == listMessage {
				t.fire(listMessageError, &MessageEvent{Event: Event{Type: typeMessageError}, Data: p}, halted)
			} else {
				t.report(p)
			}
		}
	}
	return true
}

// call runs fn, returning what it panicked with, if anything.
func (t *target) call(fn func(*MessageEvent), ev *MessageEvent) (pe *PanicError) {
	defer func() {
		if r := recover(); r != nil {
			pe = newPanicError(r)
		}
	}()
	t.starting.Store(false)
	fn(ev)
	return nil
}

// report hands err to the error hook; a hook that panics is logged instead.
func (t *target) report(err error) {
	defer func() {
		if r := recover(); r != nil {
			logError(newPanicError(r))
		}
	}()
	t.onError(err)
}

// waitStarting waits until no dispatcher is between its halt check and the
// listener it is about to call. The window is a few instructions long.
func (t *target) waitStarting() {
	for t.starting.Load() {
		runtime.Gosched()
	}
}
