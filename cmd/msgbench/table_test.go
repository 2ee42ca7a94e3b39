package main

import (
	"math"
	"strings"
	"testing"
)

// canned returns results in which some targets are met, some missed and
// some not measured.
func canned(t *testing.T) *Results {
	t.Helper()
	r := NewResults()
	goOut := `BenchmarkClone/small/msgport-2      1 150 ns/op 1 allocs/op
BenchmarkClone/small/handwritten-2  1 100 ns/op
BenchmarkClone/small/goclone-2      1 600 ns/op
BenchmarkHandoff/msgport-2          1 300 ns/op 3 allocs/op
BenchmarkHandoff/chan-2             1 100 ns/op 0 allocs/op
BenchmarkEndToEnd/small/msgport-2   1 200 ns/op
BenchmarkBroadcast/8/msgport-2      1 1600 ns/op 200 ns/delivery
BenchmarkIdleChannels-2             1 5 ns/op 80 MB/100k 0 goroutines
`
	if err := ParseGo(strings.NewReader(goOut), "", r); err != nil {
		t.Fatal(err)
	}
	if err := ParseGo(strings.NewReader("BenchmarkThroughput/msgport-2 1 130 ns/op\nBenchmarkThroughput/raw-2 1 100 ns/op\n"), "natsbus:", r); err != nil {
		t.Fatal(err)
	}
	if err := ParseNode(strings.NewReader("mc_small_per_msg 1000 ns/msg\nbc_fanout_per_delivery 500 ns/delivery\n"), r); err != nil {
		t.Fatal(err)
	}
	return r
}

func rowFor(t *testing.T, rows []Row, what string, base string) Row {
	t.Helper()
	for _, r := range rows {
		if r.What == what && (base == "" || r.BaseLabel == base) {
			return r
		}
	}
	t.Fatalf("no row %q (%q)", what, base)
	return Row{}
}

func TestEvaluate(t *testing.T) {
	rows := Evaluate(Targets, canned(t))
	for _, c := range []struct {
		what, base string
		ratio      float64
		status     Status
	}{
		{"clone, small struct", "hand-written copy", 1.5, Pass},             // 150/100 ≤ 1.5: on the limit
		{"clone, small struct", "go-clone Slowly", 0.25, Pass},              // 150/600 ≤ 0.5
		{"clone, 100-element slice", "hand-written copy", 0, NA},            // not measured
		{"port hand-off of an int (post → handler)", "", 3, Miss},           // 300/100 > 2
		{"small struct end to end (post → handler)", "", 5, Pass},           // 1000/200 ≥ 4
		{"100-element payload end to end", "", 0, NA},                       // neither side measured
		{"broadcast to 8 receivers, per delivery", "", 2.5, Miss},           // 500/200 < 3
		{"natsbus small struct throughput", "", 1.3, Pass},                  // 130/100 ≤ 1.5
		{"100,000 idle channels: memory", "", 0, Pass},                      // 80 ≤ 100
		{"100,000 idle channels: goroutines held", "", 0, Pass},             // 0 ≤ 0: a measured zero
		{"allocations: hand-off of an int", "", 0, Miss},                    // 3 > 2
		{"allocations: clone of a pointer-free value", "", 0, NA},           // not measured
		{"structuredClone, small struct", "Node.js structuredClone", 0, NA}, // reference row, no Node figure
	} {
		row := rowFor(t, rows, c.what, c.base)
		if math.Abs(row.Ratio-c.ratio) > 1e-9 || row.Status != c.status {
			t.Errorf("%s vs %s: ratio %v status %v; want %v %v", c.what, c.base, row.Ratio, row.Status, c.ratio, c.status)
		}
	}
	if pass, miss, na := Tally(rows); pass != 6 || miss != 3 || na != 5 {
		t.Errorf("Tally = %d met, %d missed, %d n/a; want 6, 3, 5", pass, miss, na)
	}
}

func TestEvaluateReferenceRows(t *testing.T) {
	r := canned(t)
	if err := ParseNode(strings.NewReader("structuredClone_small 600 ns/op\n"), r); err != nil {
		t.Fatal(err)
	}
	if err := ParseGo(strings.NewReader("BenchmarkClone/small/msgport-any-2 1 200 ns/op\n"), "", r); err != nil {
		t.Fatal(err)
	}
	row := rowFor(t, Evaluate(Targets, r), "structuredClone, small struct", "")
	if row.Status != Shown || row.Ratio != 3 {
		t.Errorf("reference row: status %v ratio %v; want Shown, 3", row.Status, row.Ratio)
	}
	if c := row.Cells(true); c[3] != "3.00× faster" || c[4] != "—" || c[5] != "reference" {
		t.Errorf("reference row cells %q", c)
	}
}

func TestCells(t *testing.T) {
	rows := Evaluate(Targets, canned(t))
	for _, c := range []struct {
		what, base string
		want       [6]string
	}{
		{"port hand-off of an int (post → handler)", "",
			[6]string{"port hand-off of an int (post → handler)", "300 ns", "buffered Go channel 100 ns", "3.00×", "≤ 2×", "❌ missed"}},
		{"small struct end to end (post → handler)", "",
			[6]string{"small struct end to end (post → handler)", "200 ns", "Node.js MessageChannel 1.00 µs", "5.00× faster", "≥ 4× faster", "✅ met"}},
		{"100-element payload end to end", "",
			[6]string{"100-element payload end to end", "n/a", "Node.js MessageChannel n/a", "n/a", "≥ 2× faster", "n/a"}},
		{"100,000 idle channels: memory", "",
			[6]string{"100,000 idle channels: memory", "80.0 MB", "—", "—", "≤ 100 MB", "✅ met"}},
		{"100,000 idle channels: goroutines held", "",
			[6]string{"100,000 idle channels: goroutines held", "0 goroutines", "—", "—", "≤ 0 goroutines", "✅ met"}},
	} {
		if got := rowFor(t, rows, c.what, c.base).Cells(true); got != c.want {
			t.Errorf("Cells:\n got %q\nwant %q", got, c.want)
		}
	}
}

// A Go target's samples are paired by pass: the result says in how many
// passes the pass's own ratio met the target when that is not all of them
// (for a met target) or not none (for a missed one).
func TestPassesMet(t *testing.T) {
	r := NewResults()
	goOut := `BenchmarkPingPong/msgport-2 1 190 ns/op
BenchmarkPingPong/msgport-2 1 230 ns/op
BenchmarkPingPong/msgport-2 1 150 ns/op
BenchmarkPingPong/chan-2 1 100 ns/op
BenchmarkPingPong/chan-2 1 100 ns/op
BenchmarkPingPong/chan-2 1 100 ns/op
BenchmarkHandoff/msgport-2 1 150 ns/op
BenchmarkHandoff/msgport-2 1 250 ns/op
BenchmarkHandoff/msgport-2 1 260 ns/op
BenchmarkHandoff/chan-2 1 100 ns/op
BenchmarkHandoff/chan-2 1 100 ns/op
BenchmarkHandoff/chan-2 1 100 ns/op
BenchmarkClone/small/msgport-2 1 120 ns/op
BenchmarkClone/small/msgport-2 1 130 ns/op
BenchmarkClone/small/handwritten-2 1 100 ns/op
BenchmarkClone/small/handwritten-2 1 100 ns/op
BenchmarkClone/slice100/msgport-2 1 120 ns/op
BenchmarkClone/slice100/handwritten-2 1 100 ns/op
BenchmarkClone/slice100/handwritten-2 1 100 ns/op
`
	if err := ParseGo(strings.NewReader(goOut), "", r); err != nil {
		t.Fatal(err)
	}
	rows := Evaluate(Targets, r)
	for _, c := range []struct {
		what, base  string
		passes, met int
		result      string
	}{
		// Median ratio 1.9 meets ≤ 2×; pass 2 (2.3×) did not.
		{"ping-pong round trip through two ports", "", 3, 2, "✅ met (in 2 of 3 passes)"},
		// Median ratio 2.5 misses ≤ 2×; pass 1 (1.5×) met it.
		{"port hand-off of an int (post → handler)", "", 3, 1, "❌ missed (met in 1 of 3 passes)"},
		// Every pass agrees: nothing added.
		{"clone, small struct", "hand-written copy", 2, 2, "✅ met"},
		// Unequal sample counts cannot be paired.
		{"clone, 100-element slice", "hand-written copy", 0, 0, "✅ met"},
	} {
		row := rowFor(t, rows, c.what, c.base)
		if row.Passes != c.passes || row.PassesMet != c.met {
			t.Errorf("%s: passes %d, met %d; want %d, %d", c.what, row.Passes, row.PassesMet, c.passes, c.met)
		}
		if got := row.Cells(true)[5]; got != c.result {
			t.Errorf("%s: result %q, want %q", c.what, got, c.result)
		}
	}
}

func TestWriteTables(t *testing.T) {
	rows := Evaluate(Targets, canned(t))
	var md, txt strings.Builder
	if err := WriteMarkdown(&md, rows); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(md.String()), "\n")
	if len(lines) != len(Targets)+2 {
		t.Fatalf("markdown table has %d lines, want %d", len(lines), len(Targets)+2)
	}
	for i, l := range lines {
		if n := strings.Count(strings.ReplaceAll(l, `\|`, ""), "|"); n != 7 {
			t.Errorf("markdown line %d has %d pipes, want 7: %s", i, n, l)
		}
	}
	if err := WriteText(&txt, rows); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"MISS", "pass", "n/a", "3.00×"} {
		if !strings.Contains(txt.String(), want) {
			t.Errorf("text table lacks %q:\n%s", want, txt.String())
		}
	}
}

func TestFormat(t *testing.T) {
	for _, c := range []struct {
		v    float64
		unit string
		want string
	}{
		{1.234, "ns/op", "1.23 ns"},
		{12.34, "ns/op", "12.3 ns"},
		{123.4, "ns/op", "123 ns"},
		{1234, "ns/msg", "1.23 µs"},
		{1.5e6, "ns", "1.50 ms"},
		{2, "allocs/op", "2 allocs"},
		{81.6, "MB/100k", "81.6 MB"},
	} {
		if got := formatValue(c.v, c.unit); got != c.want {
			t.Errorf("formatValue(%v, %q) = %q, want %q", c.v, c.unit, got, c.want)
		}
	}
	for v, want := range map[float64]string{12.345: "12.3", 1.234: "1.23", 0.0123: "0.012", 0.00001: "<0.001"} {
		if got := formatRatio(v); got != want {
			t.Errorf("formatRatio(%v) = %q, want %q", v, got, want)
		}
	}
}

func TestSlope(t *testing.T) {
	flat := Series{"a", []Point{{1, 5}, {10, 5}, {100, 5}}}
	linear := Series{"b", []Point{{1, 3}, {10, 30}, {100, 300}}}
	bent := Series{"c", []Point{{1, 50}, {10, 50}, {100, 100}, {1000, 1000}, {10000, 10000}}}
	for _, c := range []struct {
		s    Series
		n    int
		want float64
		word string
	}{
		{flat, 0, 0, "flat"},
		{linear, 0, 1, "linear"},
		{bent, 3, 1, "linear"},
	} {
		if got := Slope(c.s, c.n); math.Abs(got-c.want) > 1e-9 || slopeWord(got) != c.word {
			t.Errorf("Slope(%s, %d) = %v (%s), want %v (%s)", c.s.Name, c.n, got, slopeWord(got), c.want, c.word)
		}
	}
	if !math.IsNaN(Slope(Series{"d", []Point{{1, 1}}}, 0)) {
		t.Error("Slope of one point is not NaN")
	}
}

func TestSummary(t *testing.T) {
	r := NewResults()
	in := `BenchmarkDepth/1/msgport-2 1 200 ns/op
BenchmarkDepth/100000/msgport-2 1 200 ns/op
BenchmarkDepth/1/chan-2 1 100 ns/op
BenchmarkDepth/100000/chan-2 1 100 ns/op
`
	if err := ParseGo(strings.NewReader(in), "", r); err != nil {
		t.Fatal(err)
	}
	got := Plots[0].Summary(r)
	for _, want := range []string{"msgport 200 ns at 1 → 200 ns at 100k", "flat", "At 100k msgport costs 2.00× the Go channel."} {
		if !strings.Contains(got, want) {
			t.Errorf("Summary lacks %q: %s", want, got)
		}
	}
	if got := Plots[1].Summary(r); got != "n/a: not measured." {
		t.Errorf("Summary of an unmeasured plot = %q", got)
	}
}

// A missed target with a floor says whether the floor misses it too, and
// the summary counts those that do.
func TestFloorVerdict(t *testing.T) {
	r := NewResults()
	goOut := `BenchmarkHandoff/msgport-2          1 300 ns/op
BenchmarkHandoff/chan-2             1 100 ns/op
BenchmarkHandoff/chan-event-2       1 250 ns/op
BenchmarkEndToEnd/small/msgport-2   1 200 ns/op
BenchmarkEndToEnd/small/chan-2      1 150 ns/op
BenchmarkBroadcast/8/msgport-2      1 1600 ns/op 200 ns/delivery
BenchmarkBroadcast/8/chan-copy-event-2 1 1440 ns/op 180 ns/delivery
`
	if err := ParseGo(strings.NewReader(goOut), "", r); err != nil {
		t.Fatal(err)
	}
	nb := "BenchmarkThroughput/msgport-2 1 200 ns/op\nBenchmarkThroughput/raw-2 1 100 ns/op\nBenchmarkThroughput/raw+handcoded+hop-2 1 140 ns/op\n"
	if err := ParseGo(strings.NewReader(nb), "natsbus:", r); err != nil {
		t.Fatal(err)
	}
	if err := ParseNode(strings.NewReader("mc_small_per_msg 1000 ns/msg\nbc_fanout_per_delivery 500 ns/delivery\n"), r); err != nil {
		t.Fatal(err)
	}
	rows := Evaluate(Targets, r)
	for _, c := range []struct {
		what, result string
	}{
		{"port hand-off of an int (post → handler)", "❌ missed; its floor, 2.50×, misses too"},
		{"broadcast to 8 receivers, per delivery", "❌ missed; its floor, 2.78× faster, misses too"},
		{"natsbus small struct throughput", "❌ missed; its floor, 1.40×, meets it"},
		{"small struct end to end (post → handler)", "✅ met"}, // a met target says nothing of its floor
	} {
		if got := rowFor(t, rows, c.what, "").Cells(true)[5]; got != c.result {
			t.Errorf("%s: result %q, want %q", c.what, got, c.result)
		}
	}
	want := "1 met, 3 missed (2 of them missed by their floor too: out of reach on this machine), 10 not measured."
	if got := Verdicts(rows); got != want {
		t.Errorf("Verdicts = %q, want %q", got, want)
	}
	if got := Verdicts(Evaluate(Targets, canned(t))); got != "6 met, 3 missed, 5 not measured." {
		t.Errorf("Verdicts without floors measured = %q", got)
	}
}
