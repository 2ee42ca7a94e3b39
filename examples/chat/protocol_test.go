package main

import (
	"strings"
	"testing"
)

func TestValidRoom(t *testing.T) {
	for _, tc := range []struct {
		room string
		ok   bool
	}{
		{"lobby", true},
		{"a", true},
		{"0", true},
		{"go-nuts_2", true},
		{strings.Repeat("x", maxRoomLen), true},
		{"", false},
		{strings.Repeat("x", maxRoomLen+1), false},
		{"Lobby", false},
		{"-lobby", false},
		{"_lobby", false},
		{"two words", false},
		{"a.b", false},  // a NATS subject separator
		{"a*", false},   // a NATS wildcard
		{"a>", false},   // a NATS wildcard
		{"café", false}, // ASCII only
		{"lobby\n", false},
	} {
		err := validRoom(tc.room)
		if (err == nil) != tc.ok {
			t.Errorf("validRoom(%q) = %v, want ok=%v", tc.room, err, tc.ok)
		}
		if err != nil && err.Code != "invalid_room" {
			t.Errorf("validRoom(%q).Code = %q, want invalid_room", tc.room, err.Code)
		}
	}
}

func TestCleanNick(t *testing.T) {
	for _, tc := range []struct {
		nick, want string
		ok         bool
	}{
		{"ada", "ada", true},
		{"  Ada Lovelace ", "Ada Lovelace", true},
		{"Zoë_2.0-b", "Zoë_2.0-b", true},
		{"李雷", "李雷", true},
		{strings.Repeat("é", maxNickRunes), strings.Repeat("é", maxNickRunes), true},
		{"", "", false},
		{"   ", "", false},
		{strings.Repeat("a", maxNickRunes+1), "", false},
		{"<script>", "", false},
		{"a\tb", "", false},
		{"bob!", "", false},
	} {
		got, err := cleanNick(tc.nick)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("cleanNick(%q) = %q, %v; want %q, ok=%v", tc.nick, got, err, tc.want, tc.ok)
		}
		if err != nil && err.Code != "invalid_nick" {
			t.Errorf("cleanNick(%q).Code = %q, want invalid_nick", tc.nick, err.Code)
		}
	}
}

func TestCleanText(t *testing.T) {
	for _, tc := range []struct {
		name, text, want, code string
	}{
		{"plain", "hello", "hello", ""},
		{"trimmed", "  hi there \n", "hi there", ""},
		{"multi-line", "one\n\ttwo", "one\n\ttwo", ""},
		{"html stays text", "<b>bold</b>", "<b>bold</b>", ""},
		{"at the limit", strings.Repeat("ü", maxTextRunes), strings.Repeat("ü", maxTextRunes), ""},
		{"empty", "", "", "empty_message"},
		{"blank", " \n\t ", "", "empty_message"},
		{"too long", strings.Repeat("a", maxTextRunes+1), "", "message_too_long"},
		{"control character", "bell\a", "", "invalid_text"},
		{"escape sequence", "\x1b[31mred", "", "invalid_text"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := cleanText(tc.text)
			code := ""
			if err != nil {
				code = err.Code
			}
			if got != tc.want || code != tc.code {
				t.Errorf("cleanText(%q) = %q, %v; want %q, code %q", tc.text, got, err, tc.want, tc.code)
			}
		})
	}
}

func TestParseFrame(t *testing.T) {
	for _, tc := range []struct {
		name, data, code string
		want             clientFrame
	}{
		{"join", `{"type":"join","room":"lobby","nick":"ada"}`, "", clientFrame{Type: "join", Room: "lobby", Nick: "ada"}},
		{"message", `{"type":"message","text":"hi"}`, "", clientFrame{Type: "message", Text: "hi"}},
		{"unknown fields are ignored", `{"type":"message","text":"hi","x":1}`, "", clientFrame{Type: "message", Text: "hi"}},
		{"not JSON", `hello`, "bad_json", clientFrame{}},
		{"truncated", `{"type":"join"`, "bad_json", clientFrame{}},
		{"trailing data", `{"type":"join"} {}`, "bad_json", clientFrame{}},
		{"not an object", `["join"]`, "bad_json", clientFrame{}},
		{"wrong field type", `{"type":"message","text":42}`, "bad_json", clientFrame{}},
		{"null", `null`, "bad_request", clientFrame{}},
		{"no type", `{"text":"hi"}`, "bad_request", clientFrame{}},
		{"unknown type", `{"type":"shout"}`, "unknown_type", clientFrame{}},
		{"server-only type", `{"type":"joined"}`, "unknown_type", clientFrame{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseFrame([]byte(tc.data))
			if tc.code != "" {
				if err == nil || err.Code != tc.code {
					t.Fatalf("parseFrame(%s) error = %v, want code %q", tc.data, err, tc.code)
				}
				if err.Msg == "" {
					t.Errorf("parseFrame(%s): error without a message", tc.data)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("parseFrame(%s) = %+v, %v; want %+v", tc.data, got, err, tc.want)
			}
		})
	}
}
