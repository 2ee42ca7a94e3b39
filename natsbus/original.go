package natsbus

// Publishing the sender's own message (msgport.OriginalPublisher): the
// encoding is the copy, so the clone PostMessage would take first is
// skipped wherever encoding the original is certain to give what encoding
// its clone would.

import (
	"errors"
	"reflect"
	"sync"

	"github.com/seed01aa7ee5/msgport"
)

// errNotAsClone stops an encoding of an original that met a dynamic type
// for which encodesAsClone is false.
var errNotAsClone = errors.New("natsbus: not encoded as its clone")

// PublishOriginal implements msgport.OriginalPublisher: it is Publish of
// StructuredClone(msg), without the clone where it can. When another
// channel of name on this Bus subscribes, it clones msg for it and
// publishes the clone. Otherwise it encodes msg itself; should that fail,
// or meet a value whose clone is not a plain copy (see encodesAsClone), it
// clones msg and publishes the clone after all, so that errors and what
// arrives are exactly Publish's. It reads msg on the calling goroutine
// only and keeps nothing of it.
func (b *Bus) PublishOriginal(name string, from msgport.Subscriber, msg any) error {
	if b.closed.Load() || b.hasOtherSubscribers(name, from) {
		return b.publishClone(name, from, msg)
	}
	bp := bufPool.Get().(*[]byte)
	defer putBuf(bp)
	data, err := encodeOriginal((*bp)[:0], &b.reg, int(b.nc.MaxPayload()), b.id, name, msg)
	*bp = data
	if err != nil {
		return b.publishClone(name, from, msg)
	}
	return b.publishEncoded(name, data)
}

// publishClone is Publish of a clone of msg, or the clone's error.
func (b *Bus) publishClone(name string, from msgport.Subscriber, msg any) error {
	c, err := msgport.StructuredClone(msg)
	if err != nil {
		return err
	}
	return b.Publish(name, from, c)
}

// hasOtherSubscribers reports whether a subscriber of name on this Bus
// other than from would be handed a published message.
func (b *Bus) hasOtherSubscribers(name string, from msgport.Subscriber) bool {
	for _, s := range b.members(name) {
		if s != from {
			return true
		}
	}
	return false
}

// encodeOriginal is encodeMessage of the sender's own msg: it fails with
// errNotAsClone, or the encoder's error, wherever encoding msg might not
// write what encoding StructuredClone(msg) would.
func encodeOriginal(buf []byte, reg *registry, limit int, sender, name string, msg any) ([]byte, error) {
	return encodeEnvelope(buf, encoder{reg: reg, limit: limit, original: true}, sender, name, msg)
}

// asClone caches encodesAsClone.
var asClone sync.Map // reflect.Type -> bool

// encodesAsClone reports whether a value of type t, held in an interface,
// encodes as its structured clone does: the encoding fails only where the
// clone would fail too, and otherwise writes the same thing. That holds
// where the clone is a plain deep copy of what the encoder reads: it is
// not for types with clone rules of their own (a CloneMessage method,
// *msgport.MessagePort, *msgport.Buffer, the types of sync, sync/atomic
// and reflect), nor for a func, chan or unsafe.Pointer or an interface
// that the encoder does not read (in an unexported field), as the clone
// fails on what the encoder skips. The encoder checks each dynamic type it
// meets; an error held in an interface is never cloned, so it always
// qualifies.
func encodesAsClone(t reflect.Type) bool {
	if ok, found := asClone.Load(t); found {
		return ok.(bool)
	}
	ok := plainCopy(t, true, map[seenType]bool{})
	asClone.Store(t, ok)
	return ok
}

// seenType is a type being checked, and whether the encoder reads it.
type seenType struct {
	t    reflect.Type
	read bool
}

// plainCopy is encodesAsClone of t, reached where the encoder reads it
// (read) or not. seen holds the types being checked further up, assumed to
// qualify: a recursive type is decided by its other parts.
func plainCopy(t reflect.Type, read bool, seen map[seenType]bool) bool {
	if seen[seenType{t, read}] {
		return true
	}
	if t.Implements(clonerType) || t == portType || t == bufferType {
		return false
	}
	switch t.PkgPath() {
	case "sync", "sync/atomic", "reflect":
		return false
	}
	switch t.Kind() {
	case reflect.Func, reflect.Chan, reflect.UnsafePointer:
		return false
	case reflect.Interface:
		return read // checked when met
	case reflect.Pointer, reflect.Slice, reflect.Array:
		seen[seenType{t, read}] = true
		return plainCopy(t.Elem(), read, seen)
	case reflect.Map:
		seen[seenType{t, read}] = true
		return plainCopy(t.Key(), read, seen) && plainCopy(t.Elem(), read, seen)
	case reflect.Struct:
		if t == timeType {
			return true
		}
		seen[seenType{t, read}] = true
		for i := range t.NumField() {
			f := t.Field(i)
			if !plainCopy(f.Type, read && f.IsExported(), seen) {
				return false
			}
		}
	}
	return true
}
