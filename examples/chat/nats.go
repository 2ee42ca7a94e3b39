package main

import (
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/seed01aa7ee5/msgport"
	"github.com/seed01aa7ee5/msgport/natsbus"
)

// startNATS starts an embedded NATS server listening on hostport (port 0:
// a free port) and returns it once it accepts connections. Stop it with
// Shutdown and WaitForShutdown.
func startNATS(hostport string, log *slog.Logger) (*server.Server, error) {
	host, portStr, err := net.SplitHostPort(hostport)
	if err != nil {
		return nil, fmt.Errorf("NATS listen address %q: %w", hostport, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil || port < 0 || port > 65535 {
		return nil, fmt.Errorf("NATS listen address %q: bad port", hostport)
	}
	if port == 0 {
		port = server.RANDOM_PORT
	}
	ns, err := server.NewServer(&server.Options{
		ServerName: "msgport-chat",
		Host:       host,
		Port:       port,
		NoSigs:     true, // run handles signals
	})
	if err != nil {
		return nil, fmt.Errorf("embedded NATS server: %w", err)
	}
	ns.SetLoggerV2(natsLogger{log.With("component", "nats-server")}, false, false, false)
	ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		ns.Shutdown()
		ns.WaitForShutdown()
		return nil, fmt.Errorf("embedded NATS server did not start listening on %s", hostport)
	}
	return ns, nil
}

// connectBus connects to the NATS server at url and returns the bus the
// rooms meet on. close closes the bus, then the connection, after flushing
// what is still buffered (the last members' "leave" events).
func connectBus(url string) (bus msgport.Bus, close func(), err error) {
	nc, err := dialNATS(url)
	if err != nil {
		return nil, nil, err
	}
	// RoomEvent is registered so that it arrives as a RoomEvent, not as a
	// map of its fields.
	nb, err := natsbus.New(nc, natsbus.WithTypes(RoomEvent{}))
	if err != nil {
		nc.Close()
		return nil, nil, fmt.Errorf("natsbus: %w", err)
	}
	return nb, func() {
		nb.Close()
		nc.FlushTimeout(2 * time.Second)
		nc.Close()
	}, nil
}

// dialNATS connects to the NATS server at url. When the connection breaks,
// nats.go tries to reconnect every ReconnectWait (2 s) for as long as the
// chat runs, not the default 60 times: after those nats.go would close the
// connection for good, and every join and message after it would fail.
func dialNATS(url string) (*nats.Conn, error) {
	nc, err := nats.Connect(url, nats.Name("msgport chat"), nats.MaxReconnects(-1))
	if err != nil {
		return nil, fmt.Errorf("connect to NATS at %s: %w", url, err)
	}
	return nc, nil
}

// natsLogger sends the embedded server's log to slog, notices at debug
// level.
type natsLogger struct{ log *slog.Logger }

func (l natsLogger) Noticef(format string, v ...any) { l.log.Debug(fmt.Sprintf(format, v...)) }
func (l natsLogger) Warnf(format string, v ...any)   { l.log.Warn(fmt.Sprintf(format, v...)) }
func (l natsLogger) Fatalf(format string, v ...any)  { l.log.Error(fmt.Sprintf(format, v...)) }
func (l natsLogger) Errorf(format string, v ...any)  { l.log.Error(fmt.Sprintf(format, v...)) }
func (l natsLogger) Debugf(format string, v ...any)  { l.log.Debug(fmt.Sprintf(format, v...)) }
func (l natsLogger) Tracef(format string, v ...any)  { l.log.Debug(fmt.Sprintf(format, v...)) }
