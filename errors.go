package msgport

import (
	"errors"
	"fmt"
	"reflect"
	"runtime/debug"
)

// ErrClosed is returned by operations on a port or broadcast channel that is
// closed, disentangled from its peer, or detached by a transfer. Test for it
// with errors.Is.
var ErrClosed = errors.New("msgport: closed")

// DataCloneError reports a value that cannot be structured-cloned or a
// transfer list that cannot be honoured. It is returned by PostMessage,
// StructuredClone and Clone; when it is returned nothing was sent and nothing
// was detached.
type DataCloneError struct {
	// Path says where in the value the problem sits, written as Go would
	// reach it from the root: ".Jobs[2].Done", `["key"]`, ".Next.Next".
	// It is empty when the root itself is the problem and for transfer-list
	// errors.
	Path string
	// Type is the type that cannot be cloned, or nil for transfer-list
	// errors.
	Type reflect.Type
	// Reason says why, in a few words.
	Reason string
}

// Error says where cloning failed and why, naming the type when there is one.
func (e *DataCloneError) Error() string {
	where := e.Path
	if where == "" {
		where = "(root)"
	}
	if e.Type == nil {
		return fmt.Sprintf("msgport: cannot clone %s: %s", where, e.Reason)
	}
	return fmt.Sprintf("msgport: cannot clone %s at %s: %s", e.Type, where, e.Reason)
}

// PanicError is the Data of a "messageerror" event fired because a "message"
// listener panicked, what the error hook receives when any other listener
// panics, and what a Worker, Pool or Pipeline reports for a panicking
// function. Its text contains the panic value; when that value is an error,
// errors.Is and errors.As see through to it.
type PanicError struct {
	Value any    // the value passed to panic
	Stack []byte // the panicking goroutine's stack, as runtime/debug.Stack
}

// Error returns "msgport: panic: " followed by the panic value, formatted with %v.
func (e *PanicError) Error() string {
	return fmt.Sprintf("msgport: panic: %v", e.Value)
}

// newPanicError records a recovered panic value with the stack. Call it
// from the deferred function that recovered, so the stack shows the panic.
func newPanicError(r any) *PanicError {
	return &PanicError{Value: r, Stack: debug.Stack()}
}

// Unwrap returns the panic value when it is an error, so errors.Is and
// errors.As can match it.
func (e *PanicError) Unwrap() error {
	err, _ := e.Value.(error)
	return err
}
