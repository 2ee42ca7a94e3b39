// Command chat is a WebSocket chat with rooms, after the Deno examples: each
// room is a msgport.BroadcastChannel named after it, and every WebSocket
// connection has a channel of its own for its room. The channels meet on
// natsbus, so instances of the program that share a NATS server share
// their rooms. By default the program embeds a NATS server and prints the
// command that starts a second instance joining it.
//
//	go run ./examples/chat                      # from the repository root
//	go run ./examples/chat -addr 127.0.0.1:8081 -nats nats://127.0.0.1:PORT
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// config is what run needs; zero fields take the defaults of withDefaults.
type config struct {
	Addr           string   // HTTP listen address (-addr)
	NATSURL        string   // NATS server to join; empty: embed one (-nats)
	NATSListen     string   // the embedded server's listen address (-nats-listen)
	OriginPatterns []string // other page origins allowed to connect (-allow-origin)

	PingInterval    time.Duration // how often each client is pinged
	PingTimeout     time.Duration // how long a pong may take before the client counts as dead
	JoinTimeout     time.Duration // how long a new connection may take to join a room
	WriteTimeout    time.Duration // how long one frame may take to write
	ShutdownTimeout time.Duration // how long closing handshakes may take on shutdown
	Outbox          int           // frames queued per client before it counts as too slow

	Logger *slog.Logger
}

func (c config) withDefaults() config {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	if c.Addr == "" {
		c.Addr = "127.0.0.1:8080"
	}
	if c.NATSListen == "" {
		c.NATSListen = "127.0.0.1:0"
	}
	def(&c.PingInterval, 20*time.Second)
	def(&c.PingTimeout, 10*time.Second)
	def(&c.JoinTimeout, 30*time.Second)
	def(&c.WriteTimeout, 10*time.Second)
	def(&c.ShutdownTimeout, 5*time.Second)
	if c.Outbox <= 0 {
		c.Outbox = 64
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

func main() {
	cfg, err := parseFlags(os.Args[1:], os.Stderr)
	if err != nil {
		os.Exit(2) // flag has printed the problem and the usage
	}
	cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, nil))

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		stop() // a second Ctrl-C kills the program at once
	}()

	err = run(ctx, cfg, func(addr, natsURL string) {
		printBanner(os.Stdout, addr, natsURL, cfg.NATSURL == "")
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "chat:", err)
		os.Exit(1)
	}
}

// parseFlags reads the command line into a config.
func parseFlags(args []string, stderr io.Writer) (config, error) {
	var cfg config
	var origins string
	fs := flag.NewFlagSet("chat", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.Addr, "addr", "127.0.0.1:8080", "HTTP listen address, host:port")
	fs.StringVar(&cfg.NATSURL, "nats", "", "URL of a NATS server to join (another instance's), instead of embedding one")
	fs.StringVar(&cfg.NATSListen, "nats-listen", "127.0.0.1:0", "listen address of the embedded NATS server; port 0 picks a free port")
	fs.StringVar(&origins, "allow-origin", "", "comma-separated host patterns of other origins whose pages may connect (path.Match syntax, e.g. \"*.example.com\"); same-origin pages always may")
	fs.DurationVar(&cfg.PingInterval, "ping", 20*time.Second, "how often to ping each client; one that does not answer within half as long is disconnected")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: chat [flags]\n\nA WebSocket chat with rooms on msgport BroadcastChannels over NATS.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		err := fmt.Errorf("unexpected argument %q", fs.Arg(0))
		fmt.Fprintln(stderr, err)
		fs.Usage()
		return cfg, err
	}
	for _, o := range strings.Split(origins, ",") {
		if o = strings.TrimSpace(o); o != "" {
			cfg.OriginPatterns = append(cfg.OriginPatterns, o)
		}
	}
	cfg.PingTimeout = cfg.PingInterval / 2
	return cfg, nil
}

// run serves the chat until ctx is done, then shuts down gracefully: it
// stops accepting, closes every WebSocket (each member leaving its room),
// and closes the bus, the NATS connection and the embedded NATS server. It
// calls ready, if not nil, with the HTTP address it listens on and the URL
// of the NATS server in use once it accepts connections.
func run(ctx context.Context, cfg config, ready func(addr, natsURL string)) (err error) {
	cfg = cfg.withDefaults()
	log := cfg.Logger

	natsURL := cfg.NATSURL
	if natsURL == "" {
		ns, err := startNATS(cfg.NATSListen, log)
		if err != nil {
			return err
		}
		defer func() {
			ns.Shutdown()
			ns.WaitForShutdown()
		}()
		natsURL = ns.ClientURL()
	}

	bus, closeBus, err := connectBus(natsURL)
	if err != nil {
		return err
	}
	defer closeBus()

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	chat := newChatServer(bus, cfg)
	srv := &http.Server{
		Handler:           chat,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	if ready != nil {
		ready(ln.Addr().String(), natsURL)
	}

	select {
	case <-ctx.Done():
		log.Info("chat: shutting down")
	case err = <-served: // the listener failed
		served <- err
	}
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if e := srv.Shutdown(sctx); e != nil {
		log.Warn("chat: HTTP shutdown", "err", e)
	}
	if e := chat.Shutdown(sctx); e != nil {
		log.Warn("chat: some connections did not close in time", "err", e)
	}
	if e := <-served; !errors.Is(e, http.ErrServerClosed) {
		return e
	}
	return nil
}

// printBanner tells the user what to open and how to start a second
// instance.
func printBanner(w io.Writer, addr, natsURL string, embedded bool) {
	host, port, _ := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "localhost"
	}
	next := port
	if p, err := strconv.Atoi(port); err == nil {
		next = strconv.Itoa(p + 1)
	}
	which := "NATS server (joined):  "
	if embedded {
		which = "NATS server (embedded):"
	}
	fmt.Fprintf(w, "msgport chat\n")
	fmt.Fprintf(w, "  open:                   http://%s/\n", net.JoinHostPort(host, port))
	fmt.Fprintf(w, "  %s %s\n", which, natsURL)
	fmt.Fprintf(w, "  another instance (run from the repository root):\n")
	fmt.Fprintf(w, "    go run ./examples/chat -addr %s -nats %s\n", net.JoinHostPort(host, next), natsURL)
}
