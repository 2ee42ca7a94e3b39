package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestRun(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cfg := config{items: 300, workers: 3, rounds: 5, width: 20}
	var progress, out bytes.Buffer
	if err := run(ctx, cfg, &progress, &out); err != nil {
		t.Fatal(err)
	}

	// The checksum is the one a single goroutine computes.
	want := sha256.New()
	for it := range items(cfg.items) {
		sum := stretch(it.Data, cfg.rounds)
		want.Write(sum[:])
	}
	for _, line := range []string{
		"items:    300\n",
		"workers:  3\n",
		fmt.Sprintf("checksum: %x\n", want.Sum(nil)),
	} {
		if !strings.Contains(out.String(), line) {
			t.Errorf("summary lacks %q:\n%s", line, out.String())
		}
	}
	if !regexp.MustCompile(`(?m)^rate: +\d+ items/s$`).MatchString(out.String()) {
		t.Errorf("summary lacks the rate:\n%s", out.String())
	}

	// The bar redraws one line, ends full, then moves to the next line.
	p := progress.String()
	if strings.Count(p, "\n") != 1 || !strings.HasSuffix(p, "\n") {
		t.Errorf("progress is not one redrawn line: %q", p)
	}
	draws := strings.Split(strings.TrimSuffix(p, "\n"), "\r")[1:]
	if len(draws) < 2 || len(draws) > 101 {
		t.Errorf("%d redraws, want between 2 and 101", len(draws))
	}
	if last := draws[len(draws)-1]; !strings.HasPrefix(last, "[####################] 100% 300/300 ") {
		t.Errorf("last draw = %q, want a full bar", last)
	}
}

func TestRunCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var progress, out bytes.Buffer
	err := run(ctx, config{items: 100, workers: 2, rounds: 1, width: 10}, &progress, &out)
	if err == nil || out.Len() != 0 {
		t.Fatalf("run with a cancelled context = %v, summary %q; want an error and no summary", err, out.String())
	}
}
