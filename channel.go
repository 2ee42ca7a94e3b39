package msgport

import "github.com/seed01aa7ee5/msgport/internal/mailbox"

// MessageChannel is a pair of entangled ports: what is posted on one is
// delivered on the other.
type MessageChannel struct {
	Port1, Port2 *MessagePort
}

// NewMessageChannel returns a new channel whose two ports are entangled,
// open, and not yet started: messages posted before a port is started wait
// in its queue. Options: WithCapacity, WithErrorHandler.
func NewMessageChannel(opts ...Option) *MessageChannel {
	cfg := channelConfig{onError: logError}
	for _, o := range opts {
		o.applyChannel(&cfg)
	}
	p1, p2 := newPort(cfg.onError), newPort(cfg.onError)
	p1.box, p2.box = mailbox.Pair[MessageEvent](cfg.capacity, (*portHandler)(p1), (*portHandler)(p2))
	return &MessageChannel{Port1: p1, Port2: p2}
}
