package msgport_test

// Benchmarks of Pool, each beside its floor in the same run: a hand-written
// pool of goroutines over Go channels, with as many workers and the same
// bound on requests in flight.
//
//	BenchmarkPoolDo/{rounds}/{msgport,chan}    request/reply from GOMAXPROCS callers
//	BenchmarkPoolMap/{rounds}/{msgport,chan}   one ordered stream of b.N requests
//	BenchmarkWorkerRoundTrip/{msgport,chan}    one Worker, one request at a time
//
// The task is SHA-256 over a 64-byte block, repeated rounds times (one
// round is about 0.2µs); one op is one request answered. The ratio of
// msgport to chan at one round is the pool's overhead per request; it fades
// as the task grows.

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"runtime"
	"testing"

	"github.com/seed01aa7ee5/msgport"
)

var (
	benchRounds = []int{1, 16, 256}
	sinkDigest  [32]byte
)

// hashTask is the small CPU task: rounds of SHA-256 seeded with i.
func hashTask(i, rounds int) [32]byte {
	var block [64]byte
	binary.LittleEndian.PutUint64(block[:], uint64(i))
	var sum [32]byte
	for range rounds {
		sum = sha256.Sum256(block[:])
		copy(block[:], sum[:])
	}
	return sum
}

// chanPool is the floor: the pool one writes by hand with goroutines and
// channels, one reply channel per request.
type chanPool struct {
	jobs chan chanJob
	done chan struct{}
}

type chanJob struct {
	in    int
	reply chan [32]byte
}

func newChanPool(workers, inFlight, rounds int) *chanPool {
	p := &chanPool{jobs: make(chan chanJob, inFlight-workers), done: make(chan struct{})}
	finished := make(chan struct{}, workers)
	for range workers {
		go func() {
			for j := range p.jobs {
				j.reply <- hashTask(j.in, rounds)
			}
			finished <- struct{}{}
		}()
	}
	go func() {
		for range workers {
			<-finished
		}
		close(p.done)
	}()
	return p
}

func (p *chanPool) submit(i int) chan [32]byte {
	r := make(chan [32]byte, 1)
	p.jobs <- chanJob{i, r}
	return r
}

func (p *chanPool) close() { close(p.jobs); <-p.done }

func benchPool(rounds int) *msgport.Pool[int, [32]byte] {
	return msgport.NewPool(context.Background(), runtime.GOMAXPROCS(0), func(_ context.Context, i int) ([32]byte, error) {
		return hashTask(i, rounds), nil
	})
}

// BenchmarkPoolDo: GOMAXPROCS goroutines each send requests and wait for
// their replies.
func BenchmarkPoolDo(b *testing.B) {
	for _, rounds := range benchRounds {
		b.Run(fmt.Sprint(rounds), func(b *testing.B) {
			b.Run("msgport", func(b *testing.B) {
				b.ReportAllocs()
				p := benchPool(rounds)
				ctx := context.Background()
				b.ResetTimer()
				b.RunParallel(func(pb *testing.PB) {
					i := 0
					for pb.Next() {
						if _, err := p.Do(ctx, i); err != nil {
							b.Error(err)
							return
						}
						i++
					}
				})
				b.StopTimer()
				if err := p.Close(); err != nil {
					b.Fatal(err)
				}
			})
			b.Run("chan", func(b *testing.B) {
				b.ReportAllocs()
				w := runtime.GOMAXPROCS(0)
				p := newChanPool(w, 2*w, rounds)
				b.ResetTimer()
				b.RunParallel(func(pb *testing.PB) {
					i := 0
					for pb.Next() {
						<-p.submit(i)
						i++
					}
				})
				b.StopTimer()
				p.close()
			})
		})
	}
}

// BenchmarkPoolMap: one ordered stream of b.N requests, results consumed
// in input order.
func BenchmarkPoolMap(b *testing.B) {
	for _, rounds := range benchRounds {
		b.Run(fmt.Sprint(rounds), func(b *testing.B) {
			b.Run("msgport", func(b *testing.B) {
				b.ReportAllocs()
				p := benchPool(rounds)
				b.ResetTimer()
				n := 0
				for d, err := range p.Map(context.Background(), count(b.N)) {
					if err != nil {
						b.Fatal(err)
					}
					sinkDigest = d
					n++
				}
				b.StopTimer()
				if n != b.N {
					b.Fatalf("%d results, want %d", n, b.N)
				}
				if err := p.Close(); err != nil {
					b.Fatal(err)
				}
			})
			b.Run("chan", func(b *testing.B) {
				b.ReportAllocs()
				w := runtime.GOMAXPROCS(0)
				p := newChanPool(w, 2*w, rounds)
				futures := make(chan chan [32]byte, 2*w)
				b.ResetTimer()
				go func() {
					for i := range b.N {
						futures <- p.submit(i)
					}
					close(futures)
				}()
				n := 0
				for f := range futures {
					sinkDigest = <-f
					n++
				}
				b.StopTimer()
				p.close()
				if n != b.N {
					b.Fatalf("%d results, want %d", n, b.N)
				}
			})
		})
	}
}

// BenchmarkWorkerRoundTrip: one request at a time to one worker — the
// latency of a round trip, with the task at one round.
func BenchmarkWorkerRoundTrip(b *testing.B) {
	b.Run("msgport", func(b *testing.B) {
		b.ReportAllocs()
		ctx := context.Background()
		w := msgport.NewWorker(ctx, func(ctx context.Context, port *msgport.MessagePort) error {
			for ev := range port.Messages(ctx) {
				if err := port.PostMessage(hashTask(ev.Data.(int), 1)); err != nil {
					return err
				}
			}
			return nil
		})
		b.ResetTimer()
		for i := range b.N {
			if err := w.PostMessage(i); err != nil {
				b.Fatal(err)
			}
			ev, err := w.Receive(ctx)
			if err != nil {
				b.Fatal(err)
			}
			sinkDigest = ev.Data.([32]byte)
		}
		b.StopTimer()
		w.Terminate()
		if err := w.Wait(); err != nil {
			b.Fatal(err)
		}
	})
	b.Run("chan", func(b *testing.B) {
		b.ReportAllocs()
		p := newChanPool(1, 1, 1)
		b.ResetTimer()
		for i := range b.N {
			sinkDigest = <-p.submit(i)
		}
		b.StopTimer()
		p.close()
	})
}
