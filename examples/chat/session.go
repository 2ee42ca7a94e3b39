package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
)

// session is one WebSocket connection. Its goroutine reads the client's
// frames; a writer goroutine writes frames queued on out; a pinger checks
// the client is still there. A session joins at most one room.
type session struct {
	srv  *chatServer
	conn *websocket.Conn
	log  *slog.Logger
	out  chan serverFrame

	// joinMu is held while joining, so that the room's events queue behind
	// the "joined" frame.
	joinMu sync.Mutex
	member *member // set and read by the reading goroutine only
	joined atomic.Bool

	closeOnce   sync.Once
	closing     chan struct{} // closed by closeWith
	closeCode   websocket.StatusCode
	closeReason string
	final       *serverFrame // written just before the close frame
}

func newSession(srv *chatServer, conn *websocket.Conn, log *slog.Logger) *session {
	return &session{
		srv:     srv,
		conn:    conn,
		log:     log,
		out:     make(chan serverFrame, srv.cfg.Outbox),
		closing: make(chan struct{}),
	}
}

// run serves the connection until it ends, then leaves the room. It returns
// once the session's goroutines have stopped and the connection is closed.
func (s *session) run() {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { s.writeLoop(ctx) })
	wg.Go(func() { s.pingLoop(ctx) })
	joinTimer := time.AfterFunc(s.srv.cfg.JoinTimeout, func() {
		if !s.joined.Load() {
			s.closeWith(websocket.StatusPolicyViolation, "join timeout",
				errorf("join_timeout", "no valid join frame within %s", s.srv.cfg.JoinTimeout))
		}
	})

	err := s.readLoop()

	joinTimer.Stop()
	if s.member != nil {
		s.member.leave()
		s.log.Info("chat: left", "room", s.member.room, "nick", s.member.nick, "why", s.endReason(err))
	}
	cancel()
	wg.Wait()
	s.conn.CloseNow()
}

// readLoop handles the client's frames until the connection fails or
// closes. Problems with a frame are answered with an "error" frame and the
// connection stays open; a binary frame closes it.
func (s *session) readLoop() error {
	for {
		typ, data, err := s.conn.Read(context.Background())
		if err != nil {
			return err
		}
		select {
		case <-s.closing:
			continue // closing: ignore what still arrives
		default:
		}
		if typ != websocket.MessageText {
			s.closeWith(websocket.StatusUnsupportedData, "text frames only",
				errorf("bad_frame", "only text frames carrying JSON are accepted"))
			continue
		}
		f, perr := parseFrame(data)
		if perr == nil {
			perr = s.handle(f)
		}
		if perr != nil {
			s.send(perr.frame())
		}
	}
}

// handle carries out one well-formed frame.
func (s *session) handle(f clientFrame) *protoError {
	switch f.Type {
	case typeJoin:
		if s.member != nil {
			return errorf("already_joined", "already in room %q; open another connection for another room", s.member.room)
		}
		if perr := validRoom(f.Room); perr != nil {
			return perr
		}
		nick, perr := cleanNick(f.Nick)
		if perr != nil {
			return perr
		}
		s.joinMu.Lock()
		defer s.joinMu.Unlock()
		m, err := joinRoom(s.srv.bus, f.Room, nick, s.deliver, s.log)
		if err != nil {
			s.log.Error("chat: join failed", "room", f.Room, "err", err)
			return errorf("internal", "could not join the room, try again later")
		}
		s.member = m
		s.joined.Store(true)
		s.send(serverFrame{Type: typeJoined, Room: m.room, Nick: m.nick, Time: time.Now().UnixMilli()})
		s.log.Info("chat: joined", "room", m.room, "nick", m.nick)
		return nil

	case typeMessage:
		if s.member == nil {
			return errorf("not_joined", `join a room first: {"type":"join","room":…,"nick":…}`)
		}
		text, perr := cleanText(f.Text)
		if perr != nil {
			return perr
		}
		e, err := s.member.say(text)
		if err != nil {
			s.log.Error("chat: post failed", "room", s.member.room, "err", err)
			return errorf("internal", "message not sent, try again later")
		}
		echo := e.frame(s.member.room)
		echo.Self = true
		s.send(echo)
		return nil
	}
	return errorf("unknown_type", "unknown frame type %q", f.Type) // parseFrame let it through
}

// deliver queues an event of the room for the client. It is the member's
// message handler, called on the room channel's dispatch goroutine.
func (s *session) deliver(f serverFrame) {
	s.joinMu.Lock()
	defer s.joinMu.Unlock()
	s.send(f)
}

// send queues f for the client without blocking. A client so slow that its
// queue is full is disconnected.
func (s *session) send(f serverFrame) {
	select {
	case s.out <- f:
	default:
		s.closeWith(websocket.StatusPolicyViolation, "too slow: frames are not being read", nil)
	}
}

// closeWith starts closing the connection with code and reason, after
// writing final as an "error" frame if it is not nil. Only the first call
// counts.
func (s *session) closeWith(code websocket.StatusCode, reason string, final *protoError) {
	s.closeOnce.Do(func() {
		s.closeCode, s.closeReason = code, reason
		if final != nil {
			f := final.frame()
			s.final = &f
		}
		close(s.closing)
	})
}

// writeLoop writes queued frames until ctx is done or closeWith is called,
// and then does the close handshake.
func (s *session) writeLoop(ctx context.Context) {
	for {
		select {
		case f := <-s.out:
			if err := s.write(f); err != nil {
				s.conn.CloseNow() // the reader sees the error and ends the session
				return
			}
		case <-s.closing:
			if s.final != nil {
				s.write(*s.final)
			}
			s.conn.Close(s.closeCode, s.closeReason)
			return
		case <-ctx.Done():
			return
		}
	}
}

func (s *session) write(f serverFrame) error {
	data, err := json.Marshal(f)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.srv.cfg.WriteTimeout)
	defer cancel()
	return s.conn.Write(ctx, websocket.MessageText, data)
}

// pingLoop pings the client every PingInterval; one that does not answer
// within PingTimeout is taken for dead and its connection closed at once.
// Browsers answer pings by themselves.
func (s *session) pingLoop(ctx context.Context) {
	t := time.NewTicker(s.srv.cfg.PingInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.closing:
			return
		case <-t.C:
		}
		pctx, cancel := context.WithTimeout(ctx, s.srv.cfg.PingTimeout)
		err := s.conn.Ping(pctx)
		cancel()
		if err != nil {
			if ctx.Err() == nil {
				s.log.Info("chat: client did not answer ping, closing", "err", err)
				s.conn.CloseNow()
			}
			return
		}
	}
}

// endReason describes how the connection ended, for the log: the server's
// reason if it closed it, else what the reader saw.
func (s *session) endReason(err error) string {
	select {
	case <-s.closing:
		return "closed by server: " + s.closeReason
	default:
	}
	if st := websocket.CloseStatus(err); st != -1 {
		return "closed by client: " + st.String()
	}
	return err.Error()
}
