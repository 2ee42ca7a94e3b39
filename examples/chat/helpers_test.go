package main

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/seed01aa7ee5/msgport"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// waitTimeout bounds every wait of a test for something that should happen.
const waitTimeout = 10 * time.Second

// testLogger logs to the test's output at debug level.
func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// newTestServer serves a chatServer on a fresh in-process bus with httptest.
// It returns the server and the base URL; cleanup shuts both down.
func newTestServer(t *testing.T, cfg config) (*chatServer, string) {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = testLogger(t)
	}
	chat := newChatServer(msgport.NewLocalBus(), cfg.withDefaults())
	hs := httptest.NewServer(chat)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		defer cancel()
		if err := chat.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		hs.Close()
	})
	return chat, hs.URL
}

// wsClient is a test's end of a chat WebSocket.
type wsClient struct {
	t    *testing.T
	conn *websocket.Conn
}

// dial opens a WebSocket to the chat at base (an http:// URL) with the
// given request headers; cleanup closes it.
func dial(t *testing.T, base string, header http.Header) *wsClient {
	t.Helper()
	c, err := tryDial(t, base, header)
	if err != nil {
		t.Fatalf("dial %s: %v", base, err)
	}
	return c
}

func tryDial(t *testing.T, base string, header http.Header) (*wsClient, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), waitTimeout)
	defer cancel()
	conn, resp, err := websocket.Dial(ctx, base+"/ws", &websocket.DialOptions{HTTPHeader: header})
	if err != nil {
		if resp != nil {
			return nil, &httpError{resp.StatusCode, err}
		}
		return nil, err
	}
	t.Cleanup(func() { conn.CloseNow() })
	return &wsClient{t: t, conn: conn}, nil
}

type httpError struct {
	status int
	err    error
}

func (e *httpError) Error() string { return http.StatusText(e.status) + ": " + e.err.Error() }

// sendJSON sends v as a JSON text frame.
func (c *wsClient) sendJSON(v any) {
	c.t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		c.t.Fatal(err)
	}
	c.sendRaw(websocket.MessageText, data)
}

func (c *wsClient) sendRaw(typ websocket.MessageType, data []byte) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(c.t.Context(), waitTimeout)
	defer cancel()
	if err := c.conn.Write(ctx, typ, data); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// read returns the next frame, or the error that ended the connection.
func (c *wsClient) read() (serverFrame, error) {
	ctx, cancel := context.WithTimeout(c.t.Context(), waitTimeout)
	defer cancel()
	_, data, err := c.conn.Read(ctx)
	if err != nil {
		return serverFrame{}, err
	}
	var f serverFrame
	if err := json.Unmarshal(data, &f); err != nil {
		c.t.Fatalf("server sent malformed JSON %q: %v", data, err)
	}
	return f, nil
}

// next returns the next frame, failing the test if there is none.
func (c *wsClient) next() serverFrame {
	c.t.Helper()
	f, err := c.read()
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	return f
}

// expect reads the next frame and checks its type (and, for "error", its
// code).
func (c *wsClient) expect(typ string) serverFrame {
	c.t.Helper()
	f := c.next()
	if f.Type != typ {
		c.t.Fatalf("got frame %+v, want type %q", f, typ)
	}
	return f
}

func (c *wsClient) expectError(code string) serverFrame {
	c.t.Helper()
	f := c.expect(typeError)
	if f.Code != code || f.Error == "" {
		c.t.Fatalf("got error frame %+v, want code %q with a message", f, code)
	}
	return f
}

// expectClosed reads until the connection ends and checks the close status
// the server sent.
func (c *wsClient) expectClosed(code websocket.StatusCode) {
	c.t.Helper()
	for {
		f, err := c.read()
		if err == nil {
			c.t.Logf("frame before close: %+v", f)
			continue
		}
		if got := websocket.CloseStatus(err); got != code {
			c.t.Fatalf("connection ended with %v (status %v), want status %v", err, got, code)
		}
		return
	}
}

// join joins room as nick and waits for the server's acknowledgement.
func (c *wsClient) join(room, nick string) {
	c.t.Helper()
	c.sendJSON(clientFrame{Type: typeJoin, Room: room, Nick: nick})
	f := c.expect(typeJoined)
	if f.Room != room || f.Nick != strings.TrimSpace(nick) {
		c.t.Fatalf("joined %+v, want room %q nick %q", f, room, nick)
	}
}

func (c *wsClient) say(text string) {
	c.t.Helper()
	c.sendJSON(clientFrame{Type: typeMessage, Text: text})
}

// close closes the connection normally.
func (c *wsClient) close() {
	c.t.Helper()
	if err := c.conn.Close(websocket.StatusNormalClosure, "bye"); err != nil && !errors.Is(err, context.Canceled) {
		c.t.Logf("close: %v", err)
	}
}
