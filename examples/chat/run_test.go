package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// instance is a chat started in-process with run.
type instance struct {
	url     string // http://host:port
	natsURL string
}

// startInstance runs the chat with cfg on a free loopback port (and, when
// cfg.NATSURL is empty, an embedded NATS server on another) until the test
// ends; cleanup stops it and checks that run returned nil.
func startInstance(t *testing.T, cfg config) *instance {
	t.Helper()
	cfg.Addr = "127.0.0.1:0"
	cfg.NATSListen = "127.0.0.1:0"
	if cfg.Logger == nil {
		cfg.Logger = testLogger(t)
	}
	ctx, cancel := context.WithCancel(context.Background())
	type addrs struct{ http, nats string }
	ready := make(chan addrs, 1)
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, cfg, func(addr, natsURL string) { ready <- addrs{addr, natsURL} })
	}()
	select {
	case a := <-ready:
		t.Cleanup(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("run: %v", err)
			}
		})
		return &instance{url: "http://" + a.http, natsURL: a.nats}
	case err := <-done:
		cancel()
		t.Fatalf("run: %v", err)
	case <-time.After(waitTimeout):
		cancel()
		t.Fatalf("run did not become ready within %v", waitTimeout)
	}
	return nil
}

func TestTwoInstancesShareRooms(t *testing.T) {
	one := startInstance(t, config{})
	if !strings.HasPrefix(one.natsURL, "nats://127.0.0.1:") {
		t.Fatalf("embedded NATS URL %q", one.natsURL)
	}
	two := startInstance(t, config{NATSURL: one.natsURL})
	if two.natsURL != one.natsURL {
		t.Fatalf("second instance uses %q, want %q", two.natsURL, one.natsURL)
	}

	ada := dial(t, one.url, nil)
	ada.join("lobby", "ada")
	bob := dial(t, two.url, nil)
	bob.join("lobby", "bob")
	if f := ada.expect(typeJoin); f.Nick != "bob" {
		t.Fatalf("ada got %+v, want bob's join from the other instance", f)
	}
	cy := dial(t, two.url, nil) // same instance as bob, other room
	cy.join("garden", "cy")

	ada.say("hello from one")
	ada.expect(typeMessage)
	// Bob may also get ada's own join, announced before he joined: nats.go
	// flushes instance one's publish asynchronously, and it can reach the
	// server after instance two has subscribed for bob. Either is right.
	f := bob.next()
	if f.Type == typeJoin && f.Nick == "ada" {
		f = bob.next()
	}
	if f.Type != typeMessage || f.Nick != "ada" || f.Text != "hello from one" || f.Room != "lobby" || f.Self {
		t.Fatalf("bob got %+v", f)
	}
	bob.say("hello from two")
	bob.expect(typeMessage)
	if f := ada.expect(typeMessage); f.Nick != "bob" || f.Text != "hello from two" {
		t.Fatalf("ada got %+v", f)
	}

	// Messages from one sender arrive in order.
	for _, s := range []string{"1", "2", "3", "4", "5"} {
		ada.say(s)
		ada.expect(typeMessage)
	}
	for _, s := range []string{"1", "2", "3", "4", "5"} {
		if f := bob.expect(typeMessage); f.Text != s {
			t.Fatalf("bob got %+v, want text %q", f, s)
		}
	}

	bob.close()
	if f := ada.expect(typeLeave); f.Nick != "bob" {
		t.Fatalf("ada got %+v, want bob's leave", f)
	}
	// cy, in another room, heard none of it: the next thing cy sees is
	// what reaches the garden after it.
	dee := dial(t, one.url, nil)
	dee.join("garden", "dee")
	if f := cy.expect(typeJoin); f.Nick != "dee" {
		t.Fatalf("cy got %+v, want dee's join and nothing from the lobby", f)
	}
}

func TestRunShutdownClosesEverything(t *testing.T) {
	cfg := config{Addr: "127.0.0.1:0", NATSListen: "127.0.0.1:0", Logger: testLogger(t)}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- run(ctx, cfg, func(addr, _ string) { ready <- addr }) }()
	addr := <-ready

	ada := dial(t, "http://"+addr, nil)
	ada.join("lobby", "ada")
	cancel() // as SIGINT would
	ada.expectClosed(websocket.StatusGoingAway)
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run: %v", err)
		}
	case <-time.After(waitTimeout):
		t.Fatal("run did not return after its context ended")
	}
	if _, err := tryDial(t, "http://"+addr, nil); err == nil {
		t.Fatal("still accepting connections after shutdown")
	}
}

func TestRunFailsOnBadConfig(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  config
	}{
		{"unreachable NATS", config{NATSURL: "nats://127.0.0.1:1"}},
		{"bad HTTP address", config{Addr: "127.0.0.1:99999", NATSListen: "127.0.0.1:0"}},
		{"bad NATS listen address", config{NATSListen: "nowhere"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.Logger = testLogger(t)
			err := run(t.Context(), tc.cfg, func(string, string) { t.Error("ready called") })
			if err == nil {
				t.Fatal("run returned nil")
			}
			t.Log(err)
		})
	}
}

func TestParseFlags(t *testing.T) {
	cfg, err := parseFlags([]string{"-addr", "0.0.0.0:9000", "-nats", "nats://10.0.0.1:4222", "-allow-origin", "a.example, *.b.example", "-ping", "4s"}, new(bytes.Buffer))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Addr != "0.0.0.0:9000" || cfg.NATSURL != "nats://10.0.0.1:4222" || cfg.PingInterval != 4*time.Second || cfg.PingTimeout != 2*time.Second {
		t.Errorf("parsed %+v", cfg)
	}
	if len(cfg.OriginPatterns) != 2 || cfg.OriginPatterns[0] != "a.example" || cfg.OriginPatterns[1] != "*.b.example" {
		t.Errorf("origin patterns %q", cfg.OriginPatterns)
	}

	cfg, err = parseFlags(nil, new(bytes.Buffer))
	if err != nil || cfg.Addr != "127.0.0.1:8080" || cfg.NATSURL != "" {
		t.Errorf("defaults: %+v, %v", cfg, err)
	}
	var out bytes.Buffer
	if _, err := parseFlags([]string{"extra"}, &out); err == nil || !strings.Contains(out.String(), "-addr") {
		t.Errorf("stray argument: %v, usage %q", err, out.String())
	}
}

func TestPrintBanner(t *testing.T) {
	var b bytes.Buffer
	printBanner(&b, "127.0.0.1:8080", "nats://127.0.0.1:4321", true)
	for _, want := range []string{
		"http://127.0.0.1:8080/",
		"NATS server (embedded): nats://127.0.0.1:4321",
		"go run ./examples/chat -addr 127.0.0.1:8081 -nats nats://127.0.0.1:4321",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("banner lacks %q:\n%s", want, b.String())
		}
	}
	b.Reset()
	printBanner(&b, "[::]:80", "nats://h:1", false)
	if !strings.Contains(b.String(), "http://localhost:80/") || !strings.Contains(b.String(), "(joined)") {
		t.Errorf("banner:\n%s", b.String())
	}
}
