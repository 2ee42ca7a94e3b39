package natsbus

import (
	"fmt"
	"log/slog"
	"strings"

	"github.com/nats-io/nats.go"
)

// DefaultSubjectPrefix is the subject prefix of a Bus made without
// WithSubjectPrefix.
const DefaultSubjectPrefix = "msgport.broadcast"

// Option configures a Bus (see New).
type Option func(*config)

type config struct {
	prefix      string
	reg         registry
	onError     func(error)
	pendingMsgs int
	pendingSize int
}

func defaultConfig() config {
	return config{
		prefix:      DefaultSubjectPrefix,
		onError:     logError,
		pendingMsgs: nats.DefaultSubPendingMsgsLimit,
		pendingSize: nats.DefaultSubPendingBytesLimit,
	}
}

// WithSubjectPrefix sets the NATS subject under which the Bus publishes and
// subscribes: channel name n travels on prefix + "." + a token encoding n
// (see Bus.Subject). Buses meet only if their prefixes are equal, so a
// prefix separates applications or tenants sharing one NATS system.
// WithSubjectPrefix panics if prefix is not a valid NATS subject without
// wildcards.
func WithSubjectPrefix(prefix string) Option {
	for _, tok := range strings.Split(prefix, ".") {
		if tok == "" || tok == "*" || tok == ">" || strings.ContainsAny(tok, " \t\r\n") {
			panic(fmt.Sprintf("natsbus: WithSubjectPrefix(%q): not a valid subject without wildcards", prefix))
		}
	}
	return func(c *config) { c.prefix = prefix }
}

// WithTypes registers the struct types of samples (a value or a pointer
// serves for its struct type) so that a T sent on the Bus arrives as a T, and
// a *T as a *T, in any process whose Bus registered T too; elsewhere it
// arrives as map[string]any. Types are named by package path and type name
// (see TypeName), so both sides must use the same package. WithTypes panics
// if a sample is not a named struct type or a pointer to one.
func WithTypes(samples ...any) Option {
	var r registry
	for _, s := range samples {
		r.add(s)
	}
	return func(c *config) {
		for name, rt := range r.byName {
			c.reg.addType(rt.r.t, name)
		}
	}
}

// WithErrorHandler sets the function that receives the errors no call can
// return: messages that nats.go dropped because a channel name's
// subscription fell behind its pending limits (reported right after the
// delivery during which they were dropped; they match
// nats.ErrSlowConsumer), a subscription the server had not confirmed within
// the connection's Timeout, and a failed unsubscription. It is called on
// nats.go's delivery goroutines, or in Subscribe and the cancel functions,
// holding no lock of the Bus; it must not block for long. The default logs
// with log/slog at error level; nil restores it.
func WithErrorHandler(fn func(error)) Option {
	if fn == nil {
		fn = logError
	}
	return func(c *config) { c.onError = fn }
}

// WithPendingLimits sets how many messages, and how many bytes of them, may
// wait in nats.go for one channel name's subscription before nats.go drops
// what arrives next (see the package documentation on slow consumers). The
// defaults are nats.go's: nats.DefaultSubPendingMsgsLimit and
// nats.DefaultSubPendingBytesLimit. A negative value means no limit;
// WithPendingLimits panics if either is zero.
func WithPendingLimits(msgs, bytes int) Option {
	if msgs == 0 || bytes == 0 {
		panic("natsbus: WithPendingLimits: limits must not be zero")
	}
	return func(c *config) { c.pendingMsgs, c.pendingSize = msgs, bytes }
}

// logError is the default error handler.
func logError(err error) {
	slog.Error("natsbus: asynchronous error", "err", err)
}
