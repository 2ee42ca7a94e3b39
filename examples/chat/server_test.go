package main

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

func TestJoinChatLeave(t *testing.T) {
	_, url := newTestServer(t, config{})
	ada := dial(t, url, nil)
	ada.join("lobby", "ada")

	bob := dial(t, url, nil)
	bob.join("lobby", " bob ") // the nickname is trimmed
	if f := ada.expect(typeJoin); f.Nick != "bob" || f.Room != "lobby" || f.Time == 0 {
		t.Fatalf("ada got %+v, want bob's join", f)
	}

	bob.say("  hello, ada  ")
	echo := bob.expect(typeMessage)
	if !echo.Self || echo.Nick != "bob" || echo.Text != "hello, ada" {
		t.Fatalf("bob's echo = %+v, want his own trimmed message marked self", echo)
	}
	got := ada.expect(typeMessage)
	if got.Self || got.Nick != "bob" || got.Text != "hello, ada" || got.Room != "lobby" || got.Time != echo.Time {
		t.Fatalf("ada got %+v, want bob's message as he saw it, not marked self", got)
	}

	ada.say("hi bob")
	ada.expect(typeMessage) // echo
	if f := bob.expect(typeMessage); f.Nick != "ada" || f.Text != "hi bob" {
		t.Fatalf("bob got %+v", f)
	}

	bob.close()
	if f := ada.expect(typeLeave); f.Nick != "bob" {
		t.Fatalf("ada got %+v, want bob's leave", f)
	}
}

func TestRoomsAreSeparate(t *testing.T) {
	_, url := newTestServer(t, config{})
	ada := dial(t, url, nil)
	ada.join("lobby", "ada")
	cy := dial(t, url, nil)
	cy.join("garden", "cy")

	ada.say("only for the lobby")
	ada.expect(typeMessage)

	// What reaches cy's room after ada's message must be the first thing
	// cy sees: posts are delivered in the order they were made.
	dee := dial(t, url, nil)
	dee.join("garden", "dee")
	if f := cy.expect(typeJoin); f.Nick != "dee" || f.Room != "garden" {
		t.Fatalf("cy got %+v, want dee's join (and nothing from the lobby)", f)
	}
}

func TestSameNickTwice(t *testing.T) {
	// Nicknames are not unique (there is no room-wide roster across
	// instances): two "ada"s may chat, and neither sees its own posts twice.
	_, url := newTestServer(t, config{})
	a1 := dial(t, url, nil)
	a1.join("lobby", "ada")
	a2 := dial(t, url, nil)
	a2.join("lobby", "ada")
	a1.expect(typeJoin)
	a2.say("me too")
	if f := a2.expect(typeMessage); !f.Self {
		t.Fatalf("a2 got %+v, want its echo", f)
	}
	if f := a1.expect(typeMessage); f.Self || f.Text != "me too" {
		t.Fatalf("a1 got %+v", f)
	}
}

func TestInvalidFramesAreAnswered(t *testing.T) {
	// Each bad frame gets an "error" frame with a code and a message, and
	// the connection stays usable.
	_, url := newTestServer(t, config{})
	c := dial(t, url, nil)
	before := []struct {
		name  string
		frame string
		code  string
	}{
		{"malformed JSON", `{"type":"join",`, "bad_json"},
		{"not an object", `"join"`, "bad_json"},
		{"no type", `{}`, "bad_request"},
		{"unknown type", `{"type":"dance"}`, "unknown_type"},
		{"message before join", `{"type":"message","text":"hi"}`, "not_joined"},
		{"empty room", `{"type":"join","room":"","nick":"ada"}`, "invalid_room"},
		{"upper-case room", `{"type":"join","room":"Lobby","nick":"ada"}`, "invalid_room"},
		{"room with a dot", `{"type":"join","room":"a.b","nick":"ada"}`, "invalid_room"},
		{"long room", `{"type":"join","room":"` + strings.Repeat("r", maxRoomLen+1) + `","nick":"ada"}`, "invalid_room"},
		{"no nick", `{"type":"join","room":"lobby"}`, "invalid_nick"},
		{"markup nick", `{"type":"join","room":"lobby","nick":"<b>ada</b>"}`, "invalid_nick"},
		{"long nick", `{"type":"join","room":"lobby","nick":"` + strings.Repeat("n", maxNickRunes+1) + `"}`, "invalid_nick"},
	}
	for _, tc := range before {
		c.sendRaw(websocket.MessageText, []byte(tc.frame))
		if f := c.next(); f.Type != typeError || f.Code != tc.code || f.Error == "" {
			t.Errorf("%s: got %+v, want error %q", tc.name, f, tc.code)
		}
	}

	c.join("lobby", "ada")
	after := []struct {
		name  string
		frame clientFrame
		code  string
	}{
		{"second join", clientFrame{Type: typeJoin, Room: "garden", Nick: "ada"}, "already_joined"},
		{"empty message", clientFrame{Type: typeMessage, Text: "   "}, "empty_message"},
		{"oversized message", clientFrame{Type: typeMessage, Text: strings.Repeat("x", maxTextRunes+1)}, "message_too_long"},
		{"control characters", clientFrame{Type: typeMessage, Text: "\x1b[2J"}, "invalid_text"},
	}
	for _, tc := range after {
		c.sendJSON(tc.frame)
		if f := c.next(); f.Type != typeError || f.Code != tc.code || f.Error == "" {
			t.Errorf("%s: got %+v, want error %q", tc.name, f, tc.code)
		}
	}
	c.say("still here")
	if f := c.expect(typeMessage); f.Text != "still here" {
		t.Fatalf("got %+v", f)
	}
}

func TestRejectedMessagesReachNobody(t *testing.T) {
	_, url := newTestServer(t, config{})
	ada := dial(t, url, nil)
	ada.join("lobby", "ada")
	bob := dial(t, url, nil)
	bob.join("lobby", "bob")
	ada.expect(typeJoin)

	bob.say(strings.Repeat("x", maxTextRunes+1))
	bob.expectError("message_too_long")
	bob.say("ok")
	if f := ada.expect(typeMessage); f.Text != "ok" {
		t.Fatalf("ada got %+v, want only the valid message", f)
	}
}

func TestOversizedFrameClosesConnection(t *testing.T) {
	_, url := newTestServer(t, config{})
	c := dial(t, url, nil)
	c.join("lobby", "ada")
	big := `{"type":"message","text":"` + strings.Repeat("x", maxFrameBytes) + `"}`
	c.sendRaw(websocket.MessageText, []byte(big))
	c.expectClosed(websocket.StatusMessageTooBig)
}

func TestBinaryFrameClosesConnection(t *testing.T) {
	_, url := newTestServer(t, config{})
	c := dial(t, url, nil)
	c.sendRaw(websocket.MessageBinary, []byte{1, 2, 3})
	c.expectError("bad_frame")
	c.expectClosed(websocket.StatusUnsupportedData)
}

func TestOriginCheck(t *testing.T) {
	_, url := newTestServer(t, config{OriginPatterns: []string{"chat.example.com"}})
	for _, tc := range []struct {
		origin string
		ok     bool
	}{
		{"", true},                         // not a browser: no Origin header
		{url, true},                        // the page this server serves
		{"https://chat.example.com", true}, // allowed by pattern
		{"https://evil.example", false},
		{"http://localhost.evil.example", false},
		{"null", false},
	} {
		h := http.Header{}
		if tc.origin != "" {
			h.Set("Origin", tc.origin)
		}
		c, err := tryDial(t, url, h)
		switch {
		case tc.ok && err != nil:
			t.Errorf("Origin %q: refused: %v", tc.origin, err)
		case !tc.ok && err == nil:
			t.Errorf("Origin %q: accepted, want 403", tc.origin)
			c.close()
		case !tc.ok:
			var he *httpError
			if !errors.As(err, &he) || he.status != http.StatusForbidden {
				t.Errorf("Origin %q: %v, want 403 Forbidden", tc.origin, err)
			}
		default:
			c.join("lobby", "ada")
			c.close()
		}
	}
}

func TestDeadClientIsDisconnected(t *testing.T) {
	_, url := newTestServer(t, config{PingInterval: 20 * time.Millisecond, PingTimeout: time.Second})
	ada := dial(t, url, nil) // keeps reading, so its pongs go out
	ada.join("lobby", "ada")
	bob := dial(t, url, nil)
	bob.join("lobby", "bob")
	ada.expect(typeJoin)

	// bob stops reading: coder/websocket answers pings only while reading,
	// so to the server he is a dead peer.
	if f := ada.expect(typeLeave); f.Nick != "bob" {
		t.Fatalf("ada got %+v, want bob's leave", f)
	}
	if _, err := bob.read(); err == nil {
		t.Fatal("bob's connection is still open")
	}
}

func TestJoinTimeout(t *testing.T) {
	_, url := newTestServer(t, config{JoinTimeout: 50 * time.Millisecond})
	c := dial(t, url, nil)
	c.expectError("join_timeout")
	c.expectClosed(websocket.StatusPolicyViolation)
}

func TestSlowClientIsDisconnected(t *testing.T) {
	chat, _ := newTestServer(t, config{Outbox: 1})
	s := newSession(chat, nil, chat.log)
	s.send(serverFrame{Type: typeMessage})
	select {
	case <-s.closing:
		t.Fatal("closing with room left in the queue")
	default:
	}
	s.send(serverFrame{Type: typeMessage})
	select {
	case <-s.closing:
	default:
		t.Fatal("a full queue did not start closing")
	}
	if s.closeCode != websocket.StatusPolicyViolation {
		t.Errorf("close code %v, want %v", s.closeCode, websocket.StatusPolicyViolation)
	}
}

func TestShutdownClosesConnections(t *testing.T) {
	chat, url := newTestServer(t, config{})
	ada := dial(t, url, nil)
	ada.join("lobby", "ada")
	bob := dial(t, url, nil)

	ctx, cancel := context.WithTimeout(t.Context(), waitTimeout)
	defer cancel()
	shut := make(chan error, 1)
	go func() { shut <- chat.Shutdown(ctx) }()
	// The clients read, and so answer the server's close frames.
	ada.expectClosed(websocket.StatusGoingAway)
	bob.expectClosed(websocket.StatusGoingAway)
	if err := <-shut; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}

	// Latecomers are turned away.
	late := dial(t, url, nil)
	late.expectClosed(websocket.StatusGoingAway)
}

func TestServesPage(t *testing.T) {
	_, url := newTestServer(t, config{})
	for _, tc := range []struct{ path, ctype, contains string }{
		{"/", "text/html", `<script src="app.js"`},
		{"/app.js", "text/javascript", `new WebSocket(`},
		{"/style.css", "text/css", `#log`},
	} {
		resp, err := http.Get(url + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), tc.ctype) || !strings.Contains(string(body), tc.contains) {
			t.Errorf("GET %s: %s %q, body without %q", tc.path, resp.Status, resp.Header.Get("Content-Type"), tc.contains)
		}
		if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "connect-src 'self'") {
			t.Errorf("GET %s: Content-Security-Policy %q", tc.path, csp)
		}
	}
	resp, err := http.Get(url + "/ws")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUpgradeRequired && resp.StatusCode != http.StatusBadRequest {
		t.Errorf("GET /ws without upgrade: %s", resp.Status)
	}
}
