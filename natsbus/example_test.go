package natsbus_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/seed01aa7ee5/msgport"
	"github.com/seed01aa7ee5/msgport/natsbus"
)

type Greeting struct {
	From string
	Text string
}

// Two processes, here two connections to an embedded NATS server, share
// the channel "greetings".
func Example() {
	srv, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, NoLog: true, NoSigs: true})
	if err != nil {
		log.Fatal(err)
	}
	srv.Start()
	defer func() { srv.Shutdown(); srv.WaitForShutdown() }()
	if !srv.ReadyForConnections(10 * time.Second) {
		log.Fatal("nats-server did not start")
	}

	// Each process: connect, make a Bus, open the channel.
	open := func() (*nats.Conn, *natsbus.Bus, *msgport.BroadcastChannel) {
		nc, err := nats.Connect(srv.ClientURL())
		if err != nil {
			log.Fatal(err)
		}
		bus, err := natsbus.New(nc, natsbus.WithTypes(Greeting{}))
		if err != nil {
			log.Fatal(err)
		}
		return nc, bus, msgport.NewBroadcastChannel("greetings", msgport.WithBus(bus))
	}
	nc1, bus1, alice := open()
	defer nc1.Close()
	defer bus1.Close()
	defer alice.Close()
	nc2, bus2, bob := open()
	defer nc2.Close()
	defer bus2.Close()
	defer bob.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	bob.TryReceive() // start receiving before Alice posts
	if err := alice.PostMessage(Greeting{From: "alice", Text: "hello"}); err != nil {
		log.Fatal(err)
	}
	ev, err := bob.Receive(ctx)
	if err != nil {
		log.Fatal(err)
	}
	g := ev.Data.(Greeting)
	fmt.Printf("%T from %s: %s\n", g, g.From, g.Text)
	// Output: natsbus_test.Greeting from alice: hello
}
