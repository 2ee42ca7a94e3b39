package msgport_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/seed01aa7ee5/msgport"
)

func ExampleNewMessageChannel() {
	ch := msgport.NewMessageChannel()
	done := make(chan struct{})
	ch.Port2.SetOnMessage(func(e *msgport.MessageEvent) {
		fmt.Println("port2 got:", e.Data)
	})
	ch.Port2.SetOnClose(func(*msgport.Event) { close(done) })
	ch.Port1.PostMessage("hello")
	ch.Port1.PostMessage([]int{1, 2, 3})
	ch.Port1.Close() // queued messages are still delivered, then "close"
	<-done
	// Output:
	// port2 got: hello
	// port2 got: [1 2 3]
}

func ExampleMessagePort_Receive() {
	ch := msgport.NewMessageChannel()
	defer ch.Port1.Close()
	ch.Port1.PostMessage(42)
	ev, err := ch.Port2.Receive(context.Background())
	fmt.Println(ev.Data, err)
	// Output: 42 <nil>
}

func ExampleMessagePort_Messages() {
	ch := msgport.NewMessageChannel()
	for i := range 3 {
		ch.Port1.PostMessage(i * i)
	}
	ch.Port1.Close()
	for ev := range ch.Port2.Messages(context.Background()) {
		fmt.Println(ev.Data)
	}
	// Output:
	// 0
	// 1
	// 4
}

func ExampleMessagePort_PostMessage_transfer() {
	// Hand a reply port to a worker: the port moves, the sender's copy is
	// detached.
	work, reply := msgport.NewMessageChannel(), msgport.NewMessageChannel()
	defer work.Port1.Close()
	work.Port2.SetOnMessage(func(e *msgport.MessageEvent) {
		e.Ports[0].PostMessage(fmt.Sprint("done: ", e.Data))
		e.Ports[0].Close()
	})
	work.Port1.PostMessage("job 1", reply.Port2)
	fmt.Println(errors.Is(reply.Port2.PostMessage("x"), msgport.ErrClosed))
	ev, _ := reply.Port1.Receive(context.Background())
	fmt.Println(ev.Data)
	// Output:
	// true
	// done: job 1
}

func ExampleMessagePort_SetOnMessageError() {
	ch := msgport.NewMessageChannel()
	done := make(chan struct{})
	ch.Port2.SetOnMessage(func(e *msgport.MessageEvent) {
		if e.Data == "bad" {
			panic("cannot handle it")
		}
		fmt.Println("handled", e.Data)
		close(done)
	})
	ch.Port2.SetOnMessageError(func(e *msgport.MessageEvent) {
		fmt.Println("messageerror:", e.Data)
	})
	ch.Port1.PostMessage("bad")
	ch.Port1.PostMessage("good")
	<-done
	ch.Port1.Close()
	// Output:
	// messageerror: msgport: panic: cannot handle it
	// handled good
}

func ExampleNewBroadcastChannel() {
	bus := msgport.NewLocalBus() // or omit WithBus for the process-wide bus
	got := make(chan any, 2)
	a := msgport.NewBroadcastChannel("news", msgport.WithBus(bus),
		msgport.WithOnMessage(func(e *msgport.MessageEvent) { got <- e.Data }))
	b := msgport.NewBroadcastChannel("news", msgport.WithBus(bus),
		msgport.WithOnMessage(func(e *msgport.MessageEvent) { got <- e.Data }))
	sender := msgport.NewBroadcastChannel("news", msgport.WithBus(bus))
	defer a.Close()
	defer b.Close()
	defer sender.Close()

	sender.PostMessage("extra!") // a and b each get their own copy
	fmt.Println(<-got, <-got)
	// Output: extra! extra!
}

func ExampleWithCapacity() {
	ch := msgport.NewMessageChannel(msgport.WithCapacity(1))
	defer ch.Port1.Close()
	ch.Port1.PostMessage(1) // fills the queue
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := ch.Port1.PostMessageContext(ctx, 2) // would block: gives up
	fmt.Println(err)
	// Output: context canceled
}
