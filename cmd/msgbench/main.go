// Command msgbench measures msgport against its performance targets.
//
// It runs, with go test, the root package's benchmarks that the targets
// use (the defaultBench pattern; -bench picks others) in -count passes, each
// its own go test run, then as many passes of natsbus's benchmarks matching
// -bench=Throughput, in natsbus/, when natsbus/go.mod exists; then the
// Node.js baseline's bench.mjs -node-runs times, found at -node, else
// $MSGBENCH_NODE_BASELINE, else ../shared/bench/node-baseline relative to
// the repository root. It takes the median of every figure, prints the
// targets table with ratios and a verdict per row, and writes results.md,
// the raw outputs and SVG charts to docs/bench:
//
//	go run ./cmd/msgbench                 # full run: several minutes
//	go run ./cmd/msgbench -quick          # smoke run
//	go run ./cmd/msgbench -from docs/bench  # redraw from saved raw outputs
//
// Rows whose figures could not be measured (no node, no natsbus
// benchmarks) read n/a instead of failing the run.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Raw output files, written to and read from the output directory.
const (
	rawGo      = "raw-go.txt"
	rawNatsbus = "raw-natsbus.txt"
	rawNode    = "raw-node.txt"
)

// defaultBench selects the root package's benchmarks that the targets and
// charts use.
const defaultBench = "^Benchmark(Handoff|PingPong|EndToEnd|Depth|IdleChannels|Broadcast|Fanout|Clone|CloneSize)$"

type config struct {
	count     int
	quick     bool
	out       string
	node      string
	nodeRuns  int
	bench     string
	benchtime string
	from      string
	idle      time.Duration
}

func main() {
	var c config
	flag.IntVar(&c.count, "count", 5, "passes over the Go benchmarks (one go test run each); the median is reported")
	flag.BoolVar(&c.quick, "quick", false, "smoke run: -benchtime=50ms, -count=1, one Node run")
	flag.StringVar(&c.out, "out", "docs/bench", "output directory, relative to the repository root unless absolute")
	flag.StringVar(&c.node, "node", "", "the Node baseline: bench.mjs or its directory (default $MSGBENCH_NODE_BASELINE, then ../shared/bench/node-baseline); off to skip")
	flag.IntVar(&c.nodeRuns, "node-runs", 3, "runs of the Node baseline (about 25 s each)")
	flag.StringVar(&c.bench, "bench", defaultBench, "go test -bench pattern for the root package (. for all of them)")
	flag.StringVar(&c.benchtime, "benchtime", "", "go test -benchtime (default go test's 1s)")
	flag.DurationVar(&c.idle, "idle", 0, "wait up to this long for the 1-minute load average to fall below 0.5 before measuring")
	flag.StringVar(&c.from, "from", "", "read the raw outputs of an earlier run from this directory instead of running anything")
	flag.Parse()
	if c.quick {
		c.count, c.nodeRuns = 1, 1
		if c.benchtime == "" {
			c.benchtime = "50ms"
		}
	}
	wd, err := os.Getwd()
	if err == nil {
		var root string
		if root, err = findRoot(wd); err == nil {
			err = run(c, root, os.Stdout, os.Stderr)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "msgbench:", err)
		os.Exit(1)
	}
}

// run measures (or reads c.from), prints the table to stdout and writes the
// report and charts. root is the repository root; progress gets the
// benchmarks' output as they run.
func run(c config, root string, stdout, progress io.Writer) error {
	out := c.out
	if !filepath.IsAbs(out) {
		out = filepath.Join(root, out)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}

	res := NewResults()
	meta := Meta{
		Date:      time.Now().UTC().Format("2006-01-02 15:04 UTC"),
		Command:   "go run ./cmd/msgbench" + flagsUsed(),
		Benchtime: c.benchtime,
	}
	var failed error
	if c.from != "" {
		meta.Notes = append(meta.Notes, "Redrawn from the raw outputs in "+c.from+".")
		if err := readRaw(c.from, res, &meta); err != nil {
			return err
		}
	} else {
		failed = measure(c, root, out, res, &meta, progress)
	}

	meta.Count, meta.NodeRuns = res.Go.MaxRuns(), res.Node.MaxRuns()
	rows := Evaluate(Targets, res)
	fmt.Fprintln(stdout)
	if err := WriteText(stdout, rows); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\n%s Report: %s\n", Verdicts(rows), filepath.Join(out, "results.md"))

	var report bytes.Buffer
	if err := WriteReport(&report, rows, res, meta); err != nil {
		return err
	}
	files := map[string]string{
		"results.md":  report.String(),
		"targets.svg": TargetsChart(rows, fmt.Sprintf("medians of %s and %s on one machine, %s", plural(meta.Count, "Go pass"), plural(meta.NodeRuns, "Node.js run"), meta.Date)),
	}
	for _, p := range Plots {
		files[p.File] = p.Chart(res).SVG()
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(out, name), []byte(text), 0o644); err != nil {
			return err
		}
	}
	return failed
}

// measure runs the benchmarks, saving their raw outputs in out. A failure
// of the root benchmarks is returned (after the others ran); natsbus and
// Node failures only turn their rows to n/a, with a note.
func measure(c config, root, out string, res *Results, meta *Meta, progress io.Writer) error {
	var failed error
	load := loadAverage()
	if c.idle > 0 {
		load = waitIdle(c.idle, 0.5, progress)
		meta.Date = time.Now().UTC().Format("2006-01-02 15:04 UTC")
	}
	if load >= 0 {
		note := fmt.Sprintf("1-minute load average when the run started: %.2f", load)
		if load >= 0.5 {
			note += " (the machine was busy: figures are noisy, Node rows most of all)"
			fmt.Fprintln(progress, "msgbench: warning:", note)
		}
		meta.Notes = append(meta.Notes, note+".")
	}
	goOut, err := runPasses(root, c.count, c.bench, c.benchtime, progress)
	if err != nil {
		failed = err
		meta.Notes = append(meta.Notes, "The Go benchmarks failed: "+err.Error())
	}
	if err := save(out, rawGo, goOut); err != nil {
		return err
	}
	if err := ParseGo(bytes.NewReader(goOut), "", res); err != nil {
		return err
	}

	natsDir := filepath.Join(root, "natsbus")
	if _, err := os.Stat(filepath.Join(natsDir, "go.mod")); err == nil {
		natsOut, err := runPasses(natsDir, c.count, "Throughput", c.benchtime, progress)
		if err != nil {
			meta.Notes = append(meta.Notes, "natsbus benchmarks: "+err.Error())
		}
		if err := save(out, rawNatsbus, natsOut); err != nil {
			return err
		}
		if err := ParseGo(bytes.NewReader(natsOut), "natsbus:", res); err != nil {
			return err
		}
	} else {
		meta.Notes = append(meta.Notes, "natsbus: no natsbus module, its row is n/a.")
	}

	script, why := nodeBaseline(root, c.node)
	if script == "" {
		meta.Notes = append(meta.Notes, "Node.js rows are n/a: "+why+".")
		fmt.Fprintln(progress, "msgbench: Node.js rows are n/a:", why)
		return failed
	}
	nodeOut, err := runNode(script, c.nodeRuns, progress)
	if err != nil {
		meta.Notes = append(meta.Notes, "Node.js baseline: "+err.Error())
		fmt.Fprintln(progress, "msgbench: Node.js baseline:", err)
	}
	if err := save(out, rawNode, nodeOut); err != nil {
		return err
	}
	return firstErr(failed, ParseNode(bytes.NewReader(nodeOut), res))
}

// readRaw parses the raw outputs saved by an earlier run.
func readRaw(dir string, res *Results, meta *Meta) error {
	for _, f := range []struct {
		name  string
		parse func(io.Reader) error
	}{
		{rawGo, func(r io.Reader) error { return ParseGo(r, "", res) }},
		{rawNatsbus, func(r io.Reader) error { return ParseGo(r, "natsbus:", res) }},
		{rawNode, func(r io.Reader) error { return ParseNode(r, res) }},
	} {
		data, err := os.ReadFile(filepath.Join(dir, f.name))
		if os.IsNotExist(err) {
			meta.Notes = append(meta.Notes, f.name+" is missing: its rows are n/a.")
			continue
		}
		if err != nil {
			return err
		}
		if err := f.parse(bytes.NewReader(data)); err != nil {
			return fmt.Errorf("%s: %w", f.name, err)
		}
	}
	return nil
}

func save(dir, name string, data []byte) error {
	return os.WriteFile(filepath.Join(dir, name), data, 0o644)
}

// flagsUsed returns the flags given on the command line, for the report.
func flagsUsed() string {
	var s []string
	flag.Visit(func(f *flag.Flag) { s = append(s, "-"+f.Name+"="+f.Value.String()) })
	if len(s) == 0 {
		return ""
	}
	return " " + strings.Join(s, " ")
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// plural returns "1 run", "3 runs".
func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	if strings.HasSuffix(what, "s") {
		return fmt.Sprintf("%d %ses", n, what)
	}
	return fmt.Sprintf("%d %ss", n, what)
}
