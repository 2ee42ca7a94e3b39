package natsbus

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nuid"
	"github.com/seed01aa7ee5/msgport"
)

// Bus is a msgport.Bus that joins the broadcast channels of every process
// whose Bus shares its NATS system and subject prefix. Make one with New and
// pass it to msgport.NewBroadcastChannel with msgport.WithBus.
//
// A Bus delivers a message to the channels of its own process directly and
// publishes it once to NATS for the others; it ignores its own messages when
// NATS echoes them back. It holds one NATS subscription, and so one nats.go
// delivery goroutine, per channel name that has a receiving channel on it.
//
// All methods are safe for concurrent use.
type Bus struct {
	nc          *nats.Conn
	id          string
	prefix      string
	reg         registry
	onError     func(error)
	pendingMsgs int
	pendingSize int

	subjects  sync.Map     // name -> subject, for the first maxSubjects names
	nsubjects atomic.Int64 // entries in subjects

	closed atomic.Bool
	mu     sync.RWMutex      // guards topics and each topic's members and sub
	topics map[string]*topic // by channel name; only names with subscribers
}

var _ msgport.Bus = (*Bus)(nil)

// topic is one channel name with subscribers on this Bus.
type topic struct {
	name      string
	sub       *nats.Subscription
	members   atomic.Pointer[[]msgport.Subscriber] // copy-on-write under Bus.mu
	confirmed atomic.Bool                          // the server acknowledged sub
	dropped   int                                  // as last reported; used by the delivery goroutine only
}

func (t *topic) load() []msgport.Subscriber {
	if p := t.members.Load(); p != nil {
		return *p
	}
	return nil
}

// New returns a Bus that carries messages over nc. nc stays the caller's:
// the Bus neither closes it nor changes its options or handlers, and several
// Buses may share one connection (unless it was made with nats.NoEcho, which
// keeps them from hearing each other). New does not block; it fails only if
// nc is nil or closed.
func New(nc *nats.Conn, opts ...Option) (*Bus, error) {
	if nc == nil {
		return nil, errors.New("natsbus: New: nil *nats.Conn")
	}
	if nc.IsClosed() {
		return nil, fmt.Errorf("natsbus: New: %w", nats.ErrConnectionClosed)
	}
	cfg := defaultConfig()
	for _, o := range opts {
		o(&cfg)
	}
	return &Bus{
		nc:          nc,
		id:          nuid.Next(),
		prefix:      cfg.prefix,
		reg:         cfg.reg,
		onError:     cfg.onError,
		pendingMsgs: cfg.pendingMsgs,
		pendingSize: cfg.pendingSize,
		topics:      make(map[string]*topic),
	}, nil
}

// ID returns the Bus's identity on the wire, unique among Buses: every
// message it sends carries it, and DecodeError.Sender reports it.
func (b *Bus) ID() string { return b.id }

// Subject returns the NATS subject on which the channel called name travels:
// the subject prefix, a dot, and a token made from name ("b" and the
// unpadded base64url of name, or for names over 192 bytes "h" and that of
// its SHA-256). The name itself travels in each message and is checked on
// arrival. Subject is useful for NATS permissions and monitoring.
func (b *Bus) Subject(name string) string {
	if len(name) <= 192 {
		return b.prefix + ".b" + base64.RawURLEncoding.EncodeToString([]byte(name))
	}
	sum := sha256.Sum256([]byte(name))
	return b.prefix + ".h" + base64.RawURLEncoding.EncodeToString(sum[:])
}

// maxSubjects bounds the Bus's cache of subjects.
const maxSubjects = 4096

// subject is Subject, cached.
func (b *Bus) subject(name string) string {
	if s, ok := b.subjects.Load(name); ok {
		return s.(string)
	}
	s := b.Subject(name)
	if b.nsubjects.Add(1) <= maxSubjects {
		b.subjects.Store(name, s)
	}
	return s
}

// Subscribe implements msgport.Bus: sub receives the messages published to
// name by any other subscriber on this Bus, and those that reach the name's
// subject from other Buses. The first subscriber of a name makes the Bus
// subscribe on NATS; Subscribe then blocks until the server has confirmed
// that subscription, for at most the connection's Timeout option (while
// disconnected it does not wait: nats.go subscribes again on reconnecting).
// cancel is idempotent; the last cancel of a name unsubscribes from NATS.
// After Close, Subscribe returns an error matching msgport.ErrClosed.
func (b *Bus) Subscribe(name string, sub msgport.Subscriber) (cancel func(), err error) {
	if sub == nil {
		return nil, errors.New("natsbus: Subscribe: nil Subscriber")
	}
	b.mu.Lock()
	if b.closed.Load() {
		b.mu.Unlock()
		return nil, fmt.Errorf("natsbus: subscribe to channel %q: %w", name, msgport.ErrClosed)
	}
	t := b.topics[name]
	if t == nil {
		t = &topic{name: name}
		ns, err := b.nc.Subscribe(b.subject(name), func(m *nats.Msg) { b.receive(t, m) })
		if err != nil {
			b.mu.Unlock()
			return nil, fmt.Errorf("natsbus: subscribe to channel %q: %w", name, err)
		}
		// Cannot fail on a subscription just made by Subscribe, and
		// the limits were checked by WithPendingLimits.
		_ = ns.SetPendingLimits(b.pendingMsgs, b.pendingSize)
		t.sub = ns
		b.topics[name] = t
	}
	old := t.load()
	members := append(old[:len(old):len(old)], sub)
	t.members.Store(&members)
	b.mu.Unlock()

	if !t.confirmed.Load() && b.nc.IsConnected() {
		if err := b.nc.FlushTimeout(b.nc.Opts.Timeout); err != nil {
			b.onError(fmt.Errorf("natsbus: subscription to channel %q not confirmed by the server: %w", name, err))
		} else {
			t.confirmed.Store(true)
		}
	}
	var once sync.Once
	return func() { once.Do(func() { b.leave(t, sub) }) }, nil
}

// leave takes sub out of t, and unsubscribes t from NATS if it was the
// last.
func (b *Bus) leave(t *topic, sub msgport.Subscriber) {
	var err error
	b.mu.Lock()
	old := t.load()
	if i := slices.Index(old, sub); i >= 0 {
		next := append(old[:i:i], old[i+1:]...)
		t.members.Store(&next)
		if len(next) == 0 && b.topics[t.name] == t {
			delete(b.topics, t.name)
			err = t.sub.Unsubscribe()
		}
	}
	b.mu.Unlock()
	if err != nil && !errors.Is(err, nats.ErrConnectionClosed) {
		b.onError(fmt.Errorf("natsbus: unsubscribe from channel %q: %w", t.name, err))
	}
}

// bufPool holds encoding buffers.
var bufPool = sync.Pool{New: func() any { return new([]byte) }}

// maxPooled is the largest buffer put back in bufPool.
const maxPooled = 64 << 10

// putBuf returns bp to bufPool, unless it grew too large to keep.
func putBuf(bp *[]byte) {
	if cap(*bp) <= maxPooled {
		*bp = (*bp)[:0]
		bufPool.Put(bp)
	}
}

// Publish implements msgport.Bus. It encodes msg (failing, with nothing
// delivered, if msg holds something that cannot be sent or its encoding is
// larger than the server's max_payload), delivers it to the other
// subscribers of name on this Bus, and publishes it once to NATS.
//
// Publish never blocks on subscribers. It blocks on NATS only as nats.go's
// Publish does: while the connection is up, at most for the connection's
// FlusherTimeout when the socket stops draining; while it is reconnecting,
// not at all, as the message goes to nats.go's reconnect buffer (sent after
// reconnecting) or, once that buffer is full, fails with
// nats.ErrReconnectBufExceeded; just after the connection breaks, before
// nats.go notices, it may fail with the socket's write error. When NATS
// refuses the message, the local subscribers already have it and the
// returned error says so. After Close, Publish returns an error matching
// msgport.ErrClosed.
func (b *Bus) Publish(name string, from msgport.Subscriber, msg any) error {
	if b.closed.Load() {
		return fmt.Errorf("natsbus: publish on channel %q: %w", name, msgport.ErrClosed)
	}
	bp := bufPool.Get().(*[]byte)
	defer putBuf(bp)
	data, err := encodeMessage((*bp)[:0], &b.reg, int(b.nc.MaxPayload()), b.id, name, msg)
	*bp = data
	if err != nil {
		return fmt.Errorf("natsbus: cannot send message on channel %q: %w", name, err)
	}

	msgport.DeliverAll(b.members(name), from, msg)
	return b.publishEncoded(name, data)
}

// members returns the subscribers of name on this Bus, if any.
func (b *Bus) members(name string) []msgport.Subscriber {
	b.mu.RLock()
	t := b.topics[name]
	b.mu.RUnlock()
	if t == nil {
		return nil
	}
	return t.load()
}

// publishEncoded publishes the envelope data of a message on name to NATS,
// after its delivery in this process.
func (b *Bus) publishEncoded(name string, data []byte) error {
	if err := b.nc.Publish(b.subject(name), data); err != nil {
		return fmt.Errorf("natsbus: message on channel %q delivered in this process but not published: %w", name, err)
	}
	return nil
}

// receive handles a message from NATS for t, on t's delivery goroutine,
// then reports what nats.go dropped meanwhile: messages are dropped only
// while one is being handled.
func (b *Bus) receive(t *topic, m *nats.Msg) {
	b.deliver(t, m)
	if n, err := m.Sub.Dropped(); err == nil && n > t.dropped {
		b.onError(fmt.Errorf("natsbus: channel %q: nats.go dropped %d messages: %w", t.name, n-t.dropped, nats.ErrSlowConsumer))
		t.dropped = n
	}
}

// deliver decodes m and hands it to t's subscribers.
func (b *Bus) deliver(t *topic, m *nats.Msg) {
	members := t.load()
	if len(members) == 0 {
		return
	}
	h, d, err := decodeHeader(m.Data, &b.reg)
	if err == nil && string(h.sender) == b.id {
		return // our own, delivered locally by Publish
	}
	if err == nil && string(h.name) != t.name {
		err = fmt.Errorf("the envelope names channel %q", h.name)
	}
	var msg any
	if err == nil {
		msg, err = decodeBody(&d)
	}
	if err != nil {
		derr := &DecodeError{Channel: t.name, Subject: m.Subject, Sender: string(h.sender), Err: err}
		for _, s := range members {
			s.DeliverError(derr)
		}
		return
	}
	msgport.DeliverAll(members, nil, msg)
}

// Close takes the Bus out of NATS: it unsubscribes every subscription it
// made, and its subscribers receive nothing more (a delivery already under
// way may finish). It does not close the *nats.Conn. Close is idempotent and
// does not block on the network; it returns the errors of the
// unsubscriptions, if any, other than those of a connection already closed.
// After Close, Publish and Subscribe return errors matching
// msgport.ErrClosed.
func (b *Bus) Close() error {
	if !b.closed.CompareAndSwap(false, true) {
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	var errs []error
	for name, t := range b.topics {
		t.members.Store(nil)
		if err := t.sub.Unsubscribe(); err != nil && !errors.Is(err, nats.ErrConnectionClosed) {
			errs = append(errs, fmt.Errorf("natsbus: unsubscribe from channel %q: %w", name, err))
		}
	}
	clear(b.topics)
	return errors.Join(errs...)
}

// DecodeError is the Data of the "messageerror" event that a channel fires
// when a message for it arrives from NATS but cannot be decoded: not a
// natsbus envelope, an unknown envelope version, a registered type whose
// fields do not fit, a channel name that does not match the subject.
type DecodeError struct {
	Channel string // the receiving channel's name
	Subject string // the NATS subject the message came on
	Sender  string // the sending Bus's ID, if the envelope was readable that far
	Err     error  // what is wrong, and where in the message
}

func (e *DecodeError) Error() string {
	from := ""
	if e.Sender != "" {
		from = " from bus " + e.Sender
	}
	return fmt.Sprintf("natsbus: cannot decode message for channel %q on subject %s%s: %v", e.Channel, e.Subject, from, e.Err)
}

// Unwrap returns Err.
func (e *DecodeError) Unwrap() error { return e.Err }
