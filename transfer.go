package msgport

import (
	"errors"
	"reflect"
	"sync"

	"github.com/seed01aa7ee5/msgport/internal/clone"
	"github.com/seed01aa7ee5/msgport/internal/mailbox"
)

// Transferable is an object that can be moved, rather than copied, by
// PostMessage and StructuredClone: a *MessagePort or a *Buffer. After a
// successful transfer the sender's object is detached.
type Transferable interface{ isTransferable() }

// Buffer is a byte buffer that can be transferred without copying, like an
// ArrayBuffer: listed in a transfer list, its bytes move to a new *Buffer on
// the receiving side and this one is detached (Len 0, Bytes nil). A Buffer
// met in a message but not in the transfer list is copied.
//
// Its methods are safe for concurrent use; the bytes themselves are the
// owner's to synchronise.
type Buffer struct {
	mu       sync.Mutex
	b        []byte
	detached bool
}

// NewBuffer returns a Buffer that owns b: the caller must not use b
// afterwards.
func NewBuffer(b []byte) *Buffer { return &Buffer{b: b} }

// Bytes returns the buffer's bytes, or nil once it is detached.
func (b *Buffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b
}

// Len returns len(b.Bytes()): 0 once detached.
func (b *Buffer) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.b)
}

// Detached reports whether the buffer's bytes were transferred away.
func (b *Buffer) Detached() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.detached
}

func (b *Buffer) isTransferable() {}

var (
	errPortNotTransferred = errors.New("a MessagePort in the data must also be in the transfer list")
	errDetachedBuffer     = errors.New("the Buffer is detached")
)

func init() {
	clone.Register(reflect.TypeFor[*MessagePort](), func(any) (any, error) {
		return nil, errPortNotTransferred
	})
	clone.Register(reflect.TypeFor[*Buffer](), func(v any) (any, error) {
		b := v.(*Buffer)
		b.mu.Lock()
		defer b.mu.Unlock()
		if b.detached {
			return nil, errDetachedBuffer
		}
		return &Buffer{b: append([]byte(nil), b.b...)}, nil
	})
}

// cloneValue clones v for sending, translating the engine's errors.
func cloneValue(v any, seeds []clone.Seed) (any, error) {
	out, err := clone.Value(v, seeds)
	if err != nil {
		return nil, cloneError(err)
	}
	return out, nil
}

// transfer is a validated transfer list: the replacement of each object is
// made up front, and the originals are detached only on commit.
type transfer struct {
	ports, newPorts []*MessagePort
	bufs, newBufs   []*Buffer
	seeds           []clone.Seed
}

func transferError(reason string) error { return &DataCloneError{Reason: reason} }

// prepareTransfer checks list for nil and repeated entries and prepares the
// replacements. Whether each port and buffer can move (not the sender or its
// peer, not closed, not detached) is checked once, when the transfer
// commits under the locks (moves).
func prepareTransfer(list []Transferable) (*transfer, error) {
	t := &transfer{seeds: make([]clone.Seed, 0, len(list))}
	seen := make(map[Transferable]bool, len(list))
	for _, x := range list {
		if x == nil || reflect.ValueOf(x).IsNil() {
			return nil, transferError("the transfer list holds nil")
		}
		if seen[x] {
			return nil, transferError("the transfer list holds the same object twice")
		}
		seen[x] = true
		switch o := x.(type) {
		case *MessagePort:
			np := newPort(o.onError)
			t.ports = append(t.ports, o)
			t.newPorts = append(t.newPorts, np)
			t.seeds = append(t.seeds, clone.Seed{From: o, To: np})
		case *Buffer:
			nb := &Buffer{}
			t.bufs = append(t.bufs, o)
			t.newBufs = append(t.newBufs, nb)
			t.seeds = append(t.seeds, clone.Seed{From: o, To: nb})
		}
	}
	return t, nil
}

// moves returns the mailbox moves that commit t: every port's queue moves to
// its replacement and every buffer's bytes to its own, all or nothing.
func (t *transfer) moves() *mailbox.Moves[MessageEvent] {
	mv := &mailbox.Moves[MessageEvent]{
		From: make([]*mailbox.Mailbox[MessageEvent], len(t.ports)),
		To:   make([]mailbox.Handler[MessageEvent], len(t.ports)),
	}
	for i, p := range t.ports {
		mv.From[i] = p.box
		mv.To[i] = (*portHandler)(t.newPorts[i])
	}
	mv.Check = func() error {
		for _, b := range t.bufs {
			if b.Detached() {
				return transferError("the transfer list holds a detached Buffer")
			}
		}
		return nil
	}
	mv.Commit = func() {
		for i, np := range t.newPorts {
			np.box = mv.Out[i]
		}
		for i, b := range t.bufs {
			b.mu.Lock()
			t.newBufs[i].b, b.b, b.detached = b.b, nil, true
			b.mu.Unlock()
		}
	}
	return mv
}

// commit detaches the originals for StructuredClone.
func (t *transfer) commit() error {
	return portError(mailbox.Move(t.moves()))
}
