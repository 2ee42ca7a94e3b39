package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The chat protocol: JSON text frames over one WebSocket per room member.
//
// Client to server:
//
//	{"type":"join","room":"lobby","nick":"ada"}   first frame; once
//	{"type":"message","text":"hello"}             after joining
//
// Server to client:
//
//	{"type":"joined","room":"lobby","nick":"ada","time":…}   join accepted
//	{"type":"join","room":"lobby","nick":"bob","time":…}     someone joined
//	{"type":"leave","room":"lobby","nick":"bob","time":…}    someone left
//	{"type":"message","room":"lobby","nick":"bob","text":"hi","time":…}
//	{"type":"message",…,"self":true}    the echo of the client's own message
//	{"type":"error","code":"invalid_room","error":"…"}
//
// time is Unix milliseconds, stamped by the server that accepted the post.

// Frame types.
const (
	typeJoin    = "join"
	typeJoined  = "joined"
	typeLeave   = "leave"
	typeMessage = "message"
	typeError   = "error"
)

// Limits. A frame larger than maxFrameBytes closes the connection with
// status 1009 (message too big); every valid frame fits well inside it.
const (
	maxRoomLen    = 32   // bytes; rooms are ASCII
	maxNickRunes  = 24   // characters
	maxTextRunes  = 1000 // characters
	maxFrameBytes = 8 << 10
)

// clientFrame is a frame from the browser.
type clientFrame struct {
	Type string `json:"type"`
	Room string `json:"room"`
	Nick string `json:"nick"`
	Text string `json:"text"`
}

// serverFrame is a frame to the browser.
type serverFrame struct {
	Type  string `json:"type"`
	Room  string `json:"room,omitempty"`
	Nick  string `json:"nick,omitempty"`
	Text  string `json:"text,omitempty"`
	Time  int64  `json:"time,omitempty"`
	Self  bool   `json:"self,omitempty"`
	Code  string `json:"code,omitempty"`
	Error string `json:"error,omitempty"`
}

// protoError is a problem with what the client sent, reported to it as an
// "error" frame with Code and the message as error.
type protoError struct {
	Code string
	Msg  string
}

func (e *protoError) Error() string { return e.Code + ": " + e.Msg }

func errorf(code, format string, args ...any) *protoError {
	return &protoError{Code: code, Msg: fmt.Sprintf(format, args...)}
}

func (e *protoError) frame() serverFrame {
	return serverFrame{Type: typeError, Code: e.Code, Error: e.Msg}
}

// parseFrame decodes one client frame. Anything but a single JSON object
// with string fields, and a known type, is an error.
func parseFrame(data []byte) (clientFrame, *protoError) {
	var f clientFrame
	if err := json.Unmarshal(data, &f); err != nil {
		return f, errorf("bad_json", "malformed JSON frame: %v", err)
	}
	switch f.Type {
	case typeJoin, typeMessage:
		return f, nil
	case "":
		return f, errorf("bad_request", `frame has no "type"`)
	default:
		return f, errorf("unknown_type", "unknown frame type %q (want %q or %q)", f.Type, typeJoin, typeMessage)
	}
}

// validRoom reports whether room is a valid room name: 1 to maxRoomLen
// characters, lowercase ASCII letters, digits, '-' or '_', starting with a
// letter or digit. Room names become bus channel names, so the charset is
// kept safe for any bus (NATS subjects included).
func validRoom(room string) *protoError {
	ok := len(room) >= 1 && len(room) <= maxRoomLen
	for i := 0; ok && i < len(room); i++ {
		c := room[i]
		switch {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		case (c == '-' || c == '_') && i > 0:
		default:
			ok = false
		}
	}
	if !ok {
		return errorf("invalid_room",
			`room name must be 1-%d characters: lowercase letters, digits, "-" or "_", starting with a letter or digit`, maxRoomLen)
	}
	return nil
}

// cleanNick trims surrounding spaces from nick and checks it: 1 to
// maxNickRunes characters, letters, digits, spaces, '-', '_' or '.'.
func cleanNick(nick string) (string, *protoError) {
	nick = strings.TrimSpace(nick)
	n := utf8.RuneCountInString(nick)
	ok := n >= 1 && n <= maxNickRunes
	for _, r := range nick {
		if !ok {
			break
		}
		ok = unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune(" -_.", r)
	}
	if !ok {
		return "", errorf("invalid_nick",
			`nickname must be 1-%d characters: letters, digits, spaces, "-", "_" or "."`, maxNickRunes)
	}
	return nick, nil
}

// cleanText trims surrounding white space from a chat message and checks
// it: not empty, at most maxTextRunes characters, no control characters but
// newline and tab.
func cleanText(text string) (string, *protoError) {
	text = strings.TrimSpace(text)
	if text == "" {
		return "", errorf("empty_message", "message is empty")
	}
	if n := utf8.RuneCountInString(text); n > maxTextRunes {
		return "", errorf("message_too_long", "message is %d characters long; the limit is %d", n, maxTextRunes)
	}
	for _, r := range text {
		if unicode.IsControl(r) && r != '\n' && r != '\t' {
			return "", errorf("invalid_text", "message contains control character %U", r)
		}
	}
	return text, nil
}
