package msgport

import (
	"errors"

	"github.com/seed01aa7ee5/msgport/internal/clone"
)

// Cloner is implemented by types that copy themselves instead of being copied
// field by field. StructuredClone calls CloneMessage where it meets a value of
// such a type T (a method with a value receiver) or a non-nil *T (a method
// with a pointer receiver, called once per distinct pointer, and not for a T
// held by value); the result must have exactly the receiver's type, and an
// error fails the whole clone as a *DataCloneError. The method must return
// memory that the original does not share mutably.
//
// Two exceptions: a value whose type also implements error is passed on as
// is when it is held in an interface (any, error, ...), like every error,
// without calling the method; and a CloneMessage promoted from an embedded
// field counts as the outer type's own, so its result, of the embedded type,
// fails the check: such a type must define its own method. When a clone
// fails deeper than a fixed recursion depth, the value is walked a second
// time to name the place, so methods may run twice for a failed clone.
type Cloner interface {
	CloneMessage() (any, error)
}

// StructuredClone returns a deep copy of v that shares no mutable memory with
// it, by the rules in the package documentation ("Structured clone"). Objects
// in transfer move into the clone instead of being copied: a *Buffer's bytes
// are handed over and the original is detached; a *MessagePort is replaced by
// a new port that owns its queue, and the original is detached.
//
// On error (always a *DataCloneError) nothing is detached. StructuredClone is
// safe for concurrent use as long as nobody writes to v while it runs.
func StructuredClone(v any, transfer ...Transferable) (any, error) {
	if len(transfer) == 0 {
		return cloneValue(v, nil)
	}
	t, err := prepareTransfer(transfer)
	if err != nil {
		return nil, err
	}
	out, err := cloneValue(v, t.seeds)
	if err != nil {
		return nil, err
	}
	if err := t.commit(); err != nil {
		return nil, err
	}
	return out, nil
}

// Clone returns a deep copy of v of the same static type, by the rules of
// StructuredClone. It avoids boxing v in an interface, so it is the faster
// choice when the type is known.
func Clone[T any](v T) (T, error) {
	out, err := clone.Typed(v)
	return out, cloneError(err)
}

// cloneError turns the engine's error into the package's *DataCloneError.
func cloneError(err error) error {
	if err == nil {
		return nil // before errors.As, whose target would escape
	}
	var ce *clone.Error
	if errors.As(err, &ce) {
		return &DataCloneError{Path: ce.Path, Type: ce.Type, Reason: ce.Reason}
	}
	return err
}
