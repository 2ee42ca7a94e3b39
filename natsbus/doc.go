// Package natsbus carries msgport's broadcast channels across processes and
// machines over NATS. A [Bus] is a [msgport.Bus]: a BroadcastChannel made
// with msgport.WithBus(bus) reaches every channel of the same name in every
// process that has a Bus on the same NATS system, as Deno Deploy's
// BroadcastChannel reaches every isolate.
//
// # Use
//
// Connect to NATS with nats.go, make a Bus over the connection, and pass it
// to the channels:
//
//	nc, err := nats.Connect(nats.DefaultURL)
//	if err != nil { ... }
//	defer nc.Close()
//	bus, err := natsbus.New(nc, natsbus.WithTypes(Order{}))
//	if err != nil { ... }
//	defer bus.Close()
//
//	ch := msgport.NewBroadcastChannel("orders", msgport.WithBus(bus),
//		msgport.WithOnMessage(func(ev *msgport.MessageEvent) {
//			order := ev.Data.(Order)
//			...
//		}))
//	defer ch.Close()
//	err = ch.PostMessage(Order{ID: 1})
//
// The connection stays the caller's: configure reconnection, TLS and
// credentials on it as usual, and close it after the Bus.
//
// # Delivery
//
// A message posted on a channel reaches every other receiving channel of
// the same name, once: those on the sender's Bus directly, without a trip
// through NATS, and those on other Buses through NATS. It never reaches the
// sender itself or a channel of another name. The Bus publishes each message
// once, on a subject made from the channel's name (see [Bus.Subject]), and
// ignores its own messages when NATS echoes them back. Two Buses in one
// process, on two connections or one, are to each other as two processes.
//
// Each channel receives the messages of one sender in the order in which
// they were posted. Messages from different senders interleave in no
// particular order, and two receivers in different processes may see them
// interleaved differently. Channels on the sender's own Bus see messages in
// the order the PostMessage calls returned, as with msgport's in-process bus.
//
// A channel receives messages from other Buses from the moment it starts
// receiving (its first handler or Receive): starting it makes the Bus
// subscribe and wait for the server to confirm, so a message posted
// elsewhere after that moment is not missed for want of a subscription.
//
// Delivery is at most once, as in core NATS: the server keeps nothing for a
// subscriber that is not there. A message is lost for a receiver whose Bus
// was disconnected while it was sent, or that falls behind (see Slow
// consumers); it is lost for all remote receivers if the sender's
// connection cannot hand it to a server (see Outages). Nothing is
// acknowledged, retried or persisted; use JetStream directly where that is
// needed.
//
// # Outages
//
// While the connection is down, PostMessage still delivers to the channels
// on the sender's Bus, and never blocks: nats.go keeps the message in its
// reconnect buffer (8 MiB by default, nats.ReconnectBufSize) and sends it
// after reconnecting, or, once that buffer is full or if it is disabled, the
// message stays local and PostMessage returns nats.ErrReconnectBufExceeded.
// In the moment between the server's failure and nats.go's noticing it, a
// PostMessage that fills nats.go's write buffer writes it to the dead socket
// and returns that write's error (a net.Error, wrapped): the message stays
// local, and those nats.go had buffered before it are lost. Messages
// buffered while reconnecting reach only the receivers that are subscribed
// again by the time they are sent: core NATS is at-most-once. When the
// server comes back, nats.go subscribes again and messages flow with nothing
// for the user to do. When the connection is closed for good, PostMessage
// delivers locally and returns nats.ErrConnectionClosed (wrapped).
//
// Flush the connection (nc.Flush) before closing it, and before a process
// that posted exits: nats.go writes out what it holds when closed, but a
// connection closed while messages from the server wait unread is reset,
// and the server may drop what it had not yet read, messages that
// PostMessage accepted just before.
//
// While the connection is up, PostMessage blocks only as nats.go's Publish
// does: when the socket stops draining, for at most the connection's
// FlusherTimeout (one minute by default).
//
// PostMessage encodes the message before it returns, so later changes to
// it are not seen. When no other channel of the name is on the sender's
// Bus, that encoding is the only copy made: Bus implements
// msgport.OriginalPublisher, and msgport's structured clone is skipped.
// Where the clone is not a plain copy of what is encoded (a CloneMessage
// method, a *msgport.Buffer, the types of sync, sync/atomic and reflect, a
// func, chan or unsafe.Pointer, an interface in an unexported field), the
// message is cloned first, as for channels on the sender's Bus; what
// arrives and what fails are the same either way.
//
// # Types on the wire
//
// Messages travel as msgpack. Channels on the sender's own Bus receive a
// structured clone of the message, exactly as msgport makes it; channels on
// other Buses receive what the message decodes to. Where a value sits in an
// interface (the message itself, the elements of an []any, the values of a
// map[string]any, a field of type any or error), it arrives as:
//
//	sent                                        received
//	nil; a nil pointer, slice, map, func, chan  nil
//	bool                                        bool
//	int, int64                                  int64
//	int8, int16, int32                          int8, int16, int32
//	uint, uint64, uintptr                       uint64
//	uint8, uint16, uint32                       uint8, uint16, uint32
//	float32, float64                            float32, float64
//	complex64, complex128                       complex64, complex128
//	string                                      string
//	[]byte, [N]byte                             []byte (an empty one stays empty and non-nil)
//	any other slice or array                    []any
//	a map whose keys all arrive as strings      map[string]any
//	  (a map[string]V, any empty map, a
//	  map[any]V holding only string keys)
//	any other map                               map[any]any, its keys also by this table
//	time.Time                                   time.Time in UTC, the same instant (Equal)
//	error, of a type not registered             an error with the same Error() text
//	*msgport.Buffer                             *msgport.Buffer holding a copy of the bytes
//	registered struct T                         T
//	pointer *T to a registered struct T         *T
//	any other struct, or pointer to one         map[string]any of its exported fields
//	pointer to anything else                    what it points to, by this table
//	a named type (type Celsius float64)         by its underlying type (float64)
//
// Register struct types with [WithTypes] on every Bus that sends or
// receives them. Inside a registered struct every field arrives with its
// declared type, whatever the table says: an int field as an int, a field of
// an unregistered struct type as that struct, a map[int]string as a
// map[int]string. Where the sender's field has another type than the
// receiver's (the type changed between versions), numbers convert: an
// integer into an integer field only within the field's range, and any
// number into a float field, rounded to it (0.1 into a float32, an integer
// above 2^53 into a float64), failing only if it overflows; a float never
// goes into an integer field. A string field accepts bytes and a []byte
// field a string. Unexported fields are not sent. A field the receiver's
// type lacks is skipped and one the message lacks keeps its zero value, so
// a type can gain and lose fields while old and new processes still talk. A
// Bus that has not registered a type receives its values as maps, like any
// unregistered struct.
//
// A field of type any or error holds what arrives by the table. A field of
// another interface type, such as fmt.Stringer (or a slice, array or map
// of one), can hold only a value that arrives as a type implementing it: a
// registered struct or a pointer to one (on a receiver that registered it
// too), a time.Time, a *msgport.Buffer, or, where the interface asks for
// no more than Error, an error (which arrives as its text). Any other
// value there, such as a number, a string or a struct that is not
// registered, fails PostMessage, naming the field.
//
// What msgport's structured clone keeps and the wire does not: the sharing
// of memory (two references to one object arrive as two objects),
// unexported fields, the identity of error values (errors.Is(err, io.EOF)
// does not hold on the far side), a time's Location and monotonic reading.
// What cannot be sent at all, failing PostMessage with nothing delivered
// anywhere: a non-nil func, chan or unsafe.Pointer, a cycle or anything
// nested more than 10,000 levels deep, a detached *msgport.Buffer, a value
// in a registered struct's field of non-empty interface type that would not
// arrive as one (see above), a map key that would arrive as a value Go
// cannot use as a key, two keys of one map that would arrive as one key,
// and a message larger than the server's max_payload (1 MiB by default).
//
// Map keys arrive by the table, so an array key (a [N]byte too) would
// arrive as a []byte or []any, and a key of a struct type that is not
// registered, or a pointer to one, as a map: such keys fail PostMessage,
// naming the key. Numbers, strings, bools, times, errors, *msgport.Buffer,
// registered structs and pointers to them make keys that arrive (a
// registered struct's fields arrive with their declared types, so of those
// only a value in an interface field is looked at, again by the table).
// Inside a registered struct a map's keys arrive with the declared key
// type, so there only what sits in an interface in them can fail.
//
// Keys that differ here but that the table makes equal would arrive as one
// key, and the receiver would keep one of their entries: int(1) and
// int64(1) in a map[any]V, a string and a named string of the same text,
// two pointers to equal values, one instant in two locations (times arrive
// in UTC, even as keys of a map[time.Time]V in a registered struct). Such
// a map fails PostMessage, naming one of the keys. Keys that stay apart
// by Go's map rules on the far side still travel: NaNs, and pointers to
// registered structs, which arrive as pointers of their own.
//
// # Undecodable messages
//
// A message that arrives on a channel's subject but cannot be decoded (not
// an envelope of this package, a newer envelope version, a registered type
// whose fields do not fit, a different channel name inside) fires
// "messageerror" on every receiving channel of that name on the Bus, with a
// [*DecodeError] as the event's Data saying what is wrong and where. Nothing
// else is lost: the messages before and after it arrive as usual.
//
// # Slow consumers
//
// A Bus holds one NATS subscription per channel name that has receiving
// channels on it, and nats.go runs one goroutine for each; these deliver to
// the channels' queues, which are unbounded, so a slow channel never holds
// up NATS or other channels. nats.go drops a subscription's messages only if
// decoding itself falls behind by more than the pending limits
// ([WithPendingLimits]; by default nats.go's 500,000 messages or 64 MiB);
// the Bus then reports an error matching nats.ErrSlowConsumer to its error
// handler ([WithErrorHandler]). The server, too, disconnects a client that
// reads too slowly; nats.go reconnects.
package natsbus
