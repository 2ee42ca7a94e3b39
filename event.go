package msgport

// Event is what a listener receives. Type is "message", "messageerror" or
// "close" (and "error" for a Worker).
type Event struct {
	Type string
}

// MessageEvent carries a message to "message" and "messageerror" listeners.
//
// For "message", Data is the structured clone of what the sender posted and
// Ports holds the ports that were transferred with it, in transfer-list
// order. For "messageerror", Data is an error: a *PanicError when a
// "message" listener panicked; on a BroadcastChannel also a *DataCloneError
// when the channel's own clone of a message failed, the error a Bus passed
// to DeliverError (for natsbus, a message that could not be decoded), or
// the error of the Bus's Subscribe when the channel could not start
// receiving. For a Worker's "error", Data is the error of the worker's
// function. Listeners added with AddEventListener("close", …) also receive a
// MessageEvent, whose Data and Ports are nil.
//
// Each listener of one message receives the same *MessageEvent; the receiver
// owns Data, which shares no mutable memory with the sender. Events of a
// burst are allocated several at a time, so a listener that keeps the
// *MessageEvent itself (rather than its Data) also keeps the memory of up to
// seven neighbouring events.
type MessageEvent struct {
	Event
	Data  any
	Ports []*MessagePort
}
