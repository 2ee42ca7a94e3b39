package main

import "testing"

// A chat server keeps trying to reach NATS: with nats.go's default of 60
// attempts 2 s apart, a NATS outage of two minutes would close the
// connection for good, and every join and message after it would fail.
func TestNATSConnectionReconnectsForever(t *testing.T) {
	ns, err := startNATS("127.0.0.1:0", testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		ns.Shutdown()
		ns.WaitForShutdown()
	}()
	nc, err := dialNATS(ns.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if !nc.Opts.AllowReconnect || nc.Opts.MaxReconnect >= 0 {
		t.Fatalf("AllowReconnect %v, MaxReconnect %d: want reconnecting without a limit (MaxReconnect < 0)",
			nc.Opts.AllowReconnect, nc.Opts.MaxReconnect)
	}
}
