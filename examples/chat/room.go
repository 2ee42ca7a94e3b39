package main

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/seed01aa7ee5/msgport"
)

// RoomEvent is what travels on a room's BroadcastChannel: a member joined,
// left, or said something. It is a plain struct of strings and numbers, so
// it clones in-process and encodes for natsbus (registered with
// natsbus.WithTypes in connectBus).
type RoomEvent struct {
	Type string // typeJoin, typeLeave or typeMessage
	Nick string
	Text string // for typeMessage
	Time int64  // Unix milliseconds, stamped by the sender's server
}

// frame is the event as the browser sees it.
func (e RoomEvent) frame(room string) serverFrame {
	return serverFrame{Type: e.Type, Room: room, Nick: e.Nick, Text: e.Text, Time: e.Time}
}

// member is one WebSocket connection's seat in a room: a BroadcastChannel of
// its own, named after the room. A BroadcastChannel never receives what it
// posts itself, so the member's own messages are echoed by the session, not
// by the bus.
type member struct {
	room string
	nick string
	ch   *msgport.BroadcastChannel
}

// joinRoom joins room on bus as nick and announces it to the room. From
// when it returns until leave, deliver is called with every event other
// members of the room post — in this process or, with natsbus, in any
// process on the same NATS server — one at a time, in order, on the
// channel's dispatch goroutine. deliver must not block for long.
func joinRoom(bus msgport.Bus, room, nick string, deliver func(serverFrame), log *slog.Logger) (*member, error) {
	m := &member{room: room, nick: nick}
	// WithOnMessage starts receiving before the join is posted, so nothing
	// another member says after seeing our join is missed.
	m.ch = msgport.NewBroadcastChannel(room,
		msgport.WithBus(bus),
		msgport.WithOnMessage(func(ev *msgport.MessageEvent) {
			switch e := ev.Data.(type) {
			case RoomEvent:
				deliver(e.frame(room))
			case *RoomEvent:
				deliver(e.frame(room))
			default:
				log.Warn("chat: unexpected value on room channel", "room", room, "type", fmt.Sprintf("%T", ev.Data))
			}
		}))
	m.ch.SetOnMessageError(func(ev *msgport.MessageEvent) {
		log.Warn("chat: room message lost", "room", room, "err", ev.Data)
	})
	if _, err := m.post(typeJoin, ""); err != nil {
		m.ch.Close()
		return nil, err
	}
	return m, nil
}

// say posts a chat message to the other members and returns it as posted.
func (m *member) say(text string) (RoomEvent, error) {
	return m.post(typeMessage, text)
}

// leave announces that the member leaves and closes its channel. Once it
// returns no new call of deliver starts.
func (m *member) leave() {
	m.post(typeLeave, "") // best effort: the bus may already be gone
	m.ch.Close()
}

func (m *member) post(typ, text string) (RoomEvent, error) {
	e := RoomEvent{Type: typ, Nick: m.nick, Text: text, Time: time.Now().UnixMilli()}
	if err := m.ch.PostMessage(e); err != nil {
		return e, fmt.Errorf("chat: post %s to room %q: %w", typ, m.room, err)
	}
	return e, nil
}
