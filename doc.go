// Package msgport is the web's MessageChannel, MessagePort and
// BroadcastChannel, for goroutines. Ports deliver structured-clone deep
// copies, so sender and receiver never share mutable memory; both ends of a
// channel get a "close" event; a "message" listener that panics fires
// "messageerror" instead of crashing the process; and named broadcast
// channels reach every goroutine in the process or, with the natsbus
// module, every connected process.
//
// # Overview
//
// A [MessageChannel] is a pair of entangled ports, Port1 and Port2, each a
// [MessagePort]: a message posted on one is delivered, as a structured
// clone, on the other. A port's listeners (SetOnMessage, AddEventListener)
// run one at a time, in order, once the port is started; Receive,
// TryReceive and Messages take messages without listeners instead. Close
// on either port disentangles both, and each gets a "close" event as its
// last event. A panicking "message" listener is recovered and the port
// fires "messageerror" with a [*PanicError]; later messages are still
// delivered.
//
// A [BroadcastChannel] is a named channel: a message posted on it is
// delivered, as a separate clone, to every other open channel of the same
// name on the same [Bus]. By default that is one [LocalBus] per process;
// the natsbus module is a Bus across processes and machines, and [Bus],
// [Subscriber], [Owner] and [DeliverAll] are what another bus is built on.
//
// A [Worker] is a goroutine with its own message channel, a [Pool] a fixed
// set of workers behind one front, and a [Pipeline] a chain of stages linked
// by message channels.
//
// [*MessagePort] and [*Buffer] are [Transferable]: listed in a transfer list,
// they move to the receiver instead of being copied, and the sender's are
// detached. [StructuredClone] and [Clone] make the copies that PostMessage
// sends and can be called directly. Operations on a closed port or channel
// return [ErrClosed]; a value that cannot be cloned, or a transfer list that
// cannot be honoured, is a [*DataCloneError] saying where and why.
//
// # Structured clone
//
// StructuredClone and Clone, and so PostMessage, copy values by these
// rules:
//
//   - Booleans, numbers and strings are copied by value (strings are
//     immutable and shared).
//   - Slices, arrays, maps, structs (exported and unexported fields) and
//     pointers are copied deeply. A nil slice, map or pointer stays nil; an
//     empty non-nil one stays empty and non-nil. A cloned slice's capacity
//     equals its length. Map keys are cloned too, so map[*T]V keys keep
//     their identity. NaN keys are kept: each NaN entry of the original
//     has one in the clone.
//   - An interface keeps its dynamic type, and its dynamic value is cloned.
//     When that value reaches no mutable memory (numbers, strings, structs
//     and arrays of those) the interface is copied as is, at no cost.
//   - Identity is kept: two pointers to one object, or two references to
//     one map, refer to one object or map in the clone, and cycles stay
//     cycles. Two slices sharing a backing array are copied separately,
//     except where a slice leads back to its own array without a pointer or
//     map in between (a []any holding itself), which stays a cycle. A
//     pointer to a field or element of another object in the value is
//     cloned as an object of its own.
//   - Error values are passed on as they are, not copied: wherever an
//     interface (any, error, ...) holds a value whose type implements error,
//     the clone holds that same value, so errors.Is keeps matching sentinels
//     such as io.EOF. Whatever the error value holds travels with it
//     unchecked. A field of a concrete type that happens to implement error
//     is copied like any other.
//   - A time.Time is copied as is (its *time.Location is shared, being
//     immutable), so the clone is == to the original.
//   - A sync.Mutex, RWMutex, WaitGroup, Once or Pool becomes its zero value
//     (unlocked, not done, empty); a sync.Map becomes a new sync.Map holding
//     clones of the entries. The sync/atomic types Bool, Int32, Int64,
//     Uint32, Uint64, Uintptr, Value and Pointer become new ones holding a
//     clone of the value, loaded atomically.
//   - A non-nil func, chan or unsafe.Pointer cannot be cloned (nil ones clone
//     to nil), nor can a sync.Cond or a reflect.Value: the clone fails with a
//     *DataCloneError whose Path names the place, such as ".Jobs[2].Done" or
//     `["key"]`.
//   - A *Buffer is copied, or moved when it is in the transfer list; a
//     detached one cannot be cloned. A *MessagePort cannot be copied: it
//     must be in the transfer list, and then it moves.
//   - A type that implements [Cloner] is cloned by its CloneMessage method.
//   - The source is never modified, and failure is atomic: on error nothing
//     is sent and nothing is detached.
//   - Depth does not matter: a deep value, such as a linked list of a
//     million nodes, clones without overflowing the stack.
package msgport
