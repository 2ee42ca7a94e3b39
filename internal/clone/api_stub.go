// Package clone is the structured-clone engine behind msgport: it compiles a
// copy plan per reflect.Type once, caches it, and runs it over raw memory.
//
// STUB: the real engine replaces this file.
package clone

import "reflect"

// Cloner is implemented by types that supply their own clone.
type Cloner interface {
	CloneMessage() (any, error)
}

// Seed says that, wherever the pointer From is met in the source, the clone
// holds To instead (both pointers of the same type). Transfers use it.
type Seed struct{ From, To any }

// Error reports where and why a value cannot be cloned.
type Error struct {
	Path   string
	Type   reflect.Type
	Reason string
}

func (e *Error) Error() string { return "clone: " + e.Path + ": " + e.Reason }

// Hook clones a value of a registered type; v holds a value of that type.
type Hook func(v any) (any, error)

// Register installs a hook for type t. Call it from init, before any clone.
func Register(t reflect.Type, h Hook) {}

// Value returns a structured clone of v (see package doc), with seeds applied.
func Value(v any, seeds []Seed) (any, error) { return v, nil }

// Typed returns a structured clone of v.
func Typed[T any](v T) (T, error) { return v, nil }
