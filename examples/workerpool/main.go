// Command workerpool hashes a few thousand items on a msgport.Pool, drawing
// a progress bar while it works and printing a summary at the end.
//
// Each item goes, as a structured clone, to the least busy worker (an idle
// one when there is one), with at most twice as many items in flight as
// there are workers; the worker stretches it with rounds of SHA-256 and
// posts back the digest; Pool.Map hands the digests back in item order, so
// the checksum over all of them is the same whatever the number of workers.
//
//	go run ./examples/workerpool
//	go run ./examples/workerpool -n 20000 -workers 8 -rounds 500
package main

import (
	"context"
	"crypto/sha256"
	"errors"
	"flag"
	"fmt"
	"io"
	"iter"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"time"

	"github.com/seed01aa7ee5/msgport"
)

type config struct {
	items   int // how many items to hash
	workers int // pool size
	rounds  int // SHA-256 rounds per item: the work per item
	width   int // progress bar width, in cells
}

// item is what a worker receives: its own copy.
type item struct {
	ID   int
	Data []byte
}

// digest is what a worker sends back.
type digest struct {
	ID  int
	Sum [sha256.Size]byte
}

func main() {
	cfg := config{width: 40}
	flag.IntVar(&cfg.items, "n", 5000, "number of items to hash")
	flag.IntVar(&cfg.workers, "workers", runtime.GOMAXPROCS(0), "number of workers")
	flag.IntVar(&cfg.rounds, "rounds", 1000, "SHA-256 rounds per item")
	flag.Parse()
	if cfg.items < 0 || cfg.workers < 1 || cfg.rounds < 1 {
		fmt.Fprintln(os.Stderr, "workerpool: -n must be >= 0, -workers and -rounds >= 1")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, cfg, os.Stderr, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "workerpool:", err)
		os.Exit(1)
	}
}

// run hashes cfg.items items on a pool, drawing progress on progress and
// writing the summary on out.
func run(ctx context.Context, cfg config, progress, out io.Writer) error {
	start := time.Now()
	pool := msgport.NewPool(ctx, cfg.workers, func(ctx context.Context, it item) (digest, error) {
		return digest{ID: it.ID, Sum: stretch(it.Data, cfg.rounds)}, nil
	})
	defer pool.Close()

	bar := &progressBar{w: progress, total: cfg.items, width: cfg.width, start: start}
	checksum := sha256.New()
	done := 0
	for d, err := range pool.Map(ctx, items(cfg.items)) {
		if err != nil {
			bar.end()
			return err
		}
		if d.ID != done {
			bar.end()
			return fmt.Errorf("digest of item %d arrived in place of item %d", d.ID, done)
		}
		checksum.Write(d.Sum[:])
		done++
		bar.set(done)
	}
	bar.end()
	if err := pool.Close(); err != nil {
		return err
	}
	if done != cfg.items {
		return errors.New("the pool stopped early")
	}
	elapsed := time.Since(start)
	fmt.Fprintf(out, "items:    %d\n", done)
	fmt.Fprintf(out, "workers:  %d\n", pool.Workers())
	fmt.Fprintf(out, "elapsed:  %v\n", elapsed.Round(time.Millisecond))
	fmt.Fprintf(out, "rate:     %.0f items/s\n", float64(done)/elapsed.Seconds())
	fmt.Fprintf(out, "checksum: %x\n", checksum.Sum(nil))
	return nil
}

// items generates the inputs: a few hundred bytes each, different per item.
func items(n int) iter.Seq[item] {
	return func(yield func(item) bool) {
		for i := range n {
			data := []byte(strings.Repeat(fmt.Sprintf("item %d;", i), 32))
			if !yield(item{ID: i, Data: data}) {
				return
			}
		}
	}
}

// stretch is the work: rounds of SHA-256 over data.
func stretch(data []byte, rounds int) [sha256.Size]byte {
	sum := sha256.Sum256(data)
	for range rounds - 1 {
		sum = sha256.Sum256(sum[:])
	}
	return sum
}

// progressBar redraws one line, with \r, each time the percentage changes.
type progressBar struct {
	w      io.Writer
	total  int
	width  int
	start  time.Time
	shown  int // the percentage last drawn
	drawn  bool
	closed bool
}

func (b *progressBar) set(done int) {
	pct := 100
	if b.total > 0 {
		pct = done * 100 / b.total
	}
	if b.drawn && pct == b.shown {
		return
	}
	b.shown, b.drawn = pct, true
	full := pct * b.width / 100
	rate := float64(done) / time.Since(b.start).Seconds()
	fmt.Fprintf(b.w, "\r[%s%s] %3d%% %d/%d %.0f items/s ",
		strings.Repeat("#", full), strings.Repeat(".", b.width-full), pct, done, b.total, rate)
}

// end finishes the line.
func (b *progressBar) end() {
	if b.drawn && !b.closed {
		fmt.Fprintln(b.w)
	}
	b.closed = true
}
