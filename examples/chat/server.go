package main

import (
	"context"
	"embed"
	"io/fs"
	"log/slog"
	"net/http"
	"sync"

	"github.com/coder/websocket"
	"github.com/seed01aa7ee5/msgport"
)

//go:embed static
var staticFiles embed.FS

// chatServer serves the page and the WebSocket endpoint /ws. Each
// connection is a session; rooms live on the bus.
type chatServer struct {
	bus msgport.Bus
	cfg config
	log *slog.Logger
	mux *http.ServeMux

	mu       sync.Mutex
	sessions map[*session]struct{}
	closed   bool
	wg       sync.WaitGroup // running sessions
}

// newChatServer returns a server whose rooms meet on bus. cfg must have its
// defaults filled in (config.withDefaults).
func newChatServer(bus msgport.Bus, cfg config) *chatServer {
	s := &chatServer{
		bus:      bus,
		cfg:      cfg,
		log:      cfg.Logger,
		mux:      http.NewServeMux(),
		sessions: make(map[*session]struct{}),
	}
	static, err := fs.Sub(staticFiles, "static")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	s.mux.Handle("GET /", http.FileServerFS(static))
	s.mux.HandleFunc("GET /ws", s.serveWS)
	return s
}

func (s *chatServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy",
		"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	s.mux.ServeHTTP(w, r)
}

// serveWS upgrades the request to a WebSocket and serves it as a session.
func (s *chatServer) serveWS(w http.ResponseWriter, r *http.Request) {
	// Origin check, explicitly: a browser always sends Origin with a
	// WebSocket handshake, and Accept refuses it with 403 Forbidden unless
	// its host is the request's Host (the page was served from here) or
	// matches one of OriginPatterns (the -allow-origin flag). Without it any
	// web page the user visits could chat in their name. Clients that send
	// no Origin (not browsers: curl, Go programs) are let in.
	conn, err := websocket.Accept(w, r, &websocket.AcceptOptions{
		InsecureSkipVerify: false,
		OriginPatterns:     s.cfg.OriginPatterns,
	})
	if err != nil {
		s.log.Info("chat: WebSocket handshake refused", "remote", r.RemoteAddr, "origin", r.Header.Get("Origin"), "err", err)
		return // Accept has written the HTTP error
	}
	conn.SetReadLimit(maxFrameBytes)

	sess := newSession(s, conn, s.log.With("remote", r.RemoteAddr))
	if !s.add(sess) {
		conn.Close(websocket.StatusGoingAway, "server shutting down")
		return
	}
	defer s.remove(sess)
	sess.run()
}

func (s *chatServer) add(sess *session) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.sessions[sess] = struct{}{}
	s.wg.Add(1)
	return true
}

func (s *chatServer) remove(sess *session) {
	s.mu.Lock()
	delete(s.sessions, sess)
	s.mu.Unlock()
	s.wg.Done()
}

// Shutdown closes every connection with status 1001 (going away), each
// member leaving its room, and waits for them to end. If ctx ends first,
// the connections still open are dropped without a close handshake and
// Shutdown returns ctx.Err() once they are gone. Connections arriving after
// Shutdown started are turned away. The caller closes the bus afterwards.
func (s *chatServer) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closed = true
	sessions := make([]*session, 0, len(s.sessions))
	for sess := range s.sessions {
		sessions = append(sessions, sess)
	}
	s.mu.Unlock()

	for _, sess := range sessions {
		sess.closeWith(websocket.StatusGoingAway, "server shutting down", nil)
	}
	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
	}
	for _, sess := range sessions {
		sess.conn.CloseNow()
	}
	<-done
	return ctx.Err()
}
