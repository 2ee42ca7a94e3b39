package msgport

import (
	"fmt"
	"log/slog"
)

// Option configures a MessageChannel (see NewMessageChannel).
type Option interface{ applyChannel(*channelConfig) }

// BroadcastOption configures a BroadcastChannel (see NewBroadcastChannel).
type BroadcastOption interface{ applyBroadcast(*broadcastConfig) }

// CommonOption is accepted by both NewMessageChannel and NewBroadcastChannel.
type CommonOption interface {
	Option
	BroadcastOption
}

type channelConfig struct {
	capacity int
	onError  func(error)
}

type broadcastConfig struct {
	bus       Bus
	onMessage func(*MessageEvent)
	onError   func(error)
}

type optionFunc struct {
	channel   func(*channelConfig)
	broadcast func(*broadcastConfig)
}

func (o optionFunc) applyChannel(c *channelConfig)     { o.channel(c) }
func (o optionFunc) applyBroadcast(c *broadcastConfig) { o.broadcast(c) }

type channelOption func(*channelConfig)

func (o channelOption) applyChannel(c *channelConfig) { o(c) }

type broadcastOption func(*broadcastConfig)

func (o broadcastOption) applyBroadcast(c *broadcastConfig) { o(c) }

// WithCapacity bounds each direction of the channel to n waiting messages
// (a message whose dispatch has begun no longer counts). PostMessage then
// blocks while the peer's queue is full; PostMessageContext gives up when its
// context ends. Without this option queues are unbounded and PostMessage
// never blocks, as on the web. WithCapacity panics if n < 1.
func WithCapacity(n int) Option {
	if n < 1 {
		panic(fmt.Sprintf("msgport: WithCapacity(%d): capacity must be at least 1", n))
	}
	return channelOption(func(c *channelConfig) { c.capacity = n })
}

// WithErrorHandler sets the error hook: it receives a *PanicError whenever a
// "messageerror" or "close" listener panics (a panicking "message" listener
// fires "messageerror" instead). It is called on the dispatching goroutine
// and must not block for long. The default logs with log/slog at error level,
// stack included. A nil fn restores the default.
func WithErrorHandler(fn func(error)) CommonOption {
	if fn == nil {
		fn = logError
	}
	return optionFunc{
		channel:   func(c *channelConfig) { c.onError = fn },
		broadcast: func(c *broadcastConfig) { c.onError = fn },
	}
}

// logError is the default error hook.
func logError(err error) {
	attrs := []any{"err", err}
	if pe, ok := err.(*PanicError); ok {
		attrs = append(attrs, "stack", string(pe.Stack))
	}
	slog.Error("msgport: listener panicked", attrs...)
}
