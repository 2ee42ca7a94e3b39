package main

import (
	"reflect"
	"strings"
	"testing"
)

// goOutput is canned `go test -bench -benchmem -count=3` output, with the
// noise go test prints around results.
const goOutput = `goos: linux
goarch: amd64
pkg: github.com/seed01aa7ee5/msgport
cpu: AMD EPYC
BenchmarkHandoff/msgport-2         	 3000000	       180.0 ns/op	      48 B/op	       2 allocs/op
BenchmarkHandoff/msgport-2         	 3000000	       200.0 ns/op	      48 B/op	       2 allocs/op
BenchmarkHandoff/msgport-2         	 3000000	       190.0 ns/op	      48 B/op	       2 allocs/op
BenchmarkHandoff/chan-2            	10000000	       100.0 ns/op	       0 B/op	       0 allocs/op
BenchmarkHandoff/chan-2            	10000000	       110.0 ns/op	       0 B/op	       0 allocs/op
BenchmarkHandoff/chan-2            	10000000	       90.00 ns/op	       0 B/op	       0 allocs/op
BenchmarkBroadcast/8/msgport-2     	  100000	      1600 ns/op	       200.0 ns/delivery	    1135 B/op	      12 allocs/op
BenchmarkCloneSize/bytes/4096/msgport-2 	 1000000	      1000 ns/op	4096.00 MB/s	    4096 B/op	       1 allocs/op
BenchmarkIdleChannels-2            	       3	146539190 ns/op	        80.00 MB/100k	         0 goroutines	81602837 B/op	 1300001 allocs/op
BenchmarkNoProcs                   	     100	        10.0 ns/op
BenchmarkLogged-2
    bench_test.go:10: some log line
--- FAIL: BenchmarkBroken-2
PASS
ok  	github.com/seed01aa7ee5/msgport	56.439s
`

func TestParseGo(t *testing.T) {
	r := NewResults()
	if err := ParseGo(strings.NewReader(goOutput), "", r); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, unit string
		want       float64
		runs       int
	}{
		{"BenchmarkHandoff/msgport", "ns/op", 190, 3},
		{"BenchmarkHandoff/msgport", "allocs/op", 2, 3},
		{"BenchmarkHandoff/chan", "ns/op", 100, 3},
		{"BenchmarkBroadcast/8/msgport", "ns/delivery", 200, 1},
		{"BenchmarkCloneSize/bytes/4096/msgport", "MB/s", 4096, 1},
		{"BenchmarkIdleChannels", "MB/100k", 80, 1},
		{"BenchmarkIdleChannels", "goroutines", 0, 1},
		{"BenchmarkNoProcs", "ns/op", 10, 1},
	} {
		got, ok := r.Go.Median(c.name, c.unit)
		if !ok || got != c.want {
			t.Errorf("Median(%q, %q) = %v, %v; want %v", c.name, c.unit, got, ok, c.want)
		}
		if n := r.Go.Runs(c.name, c.unit); n != c.runs {
			t.Errorf("Runs(%q, %q) = %d, want %d", c.name, c.unit, n, c.runs)
		}
	}
	for _, name := range []string{"BenchmarkLogged", "BenchmarkBroken", "BenchmarkHandoff/msgport-2"} {
		if _, ok := r.Go[name]; ok {
			t.Errorf("%s was parsed as a result", name)
		}
	}
	if want := []string{"goos: linux", "goarch: amd64", "cpu: AMD EPYC"}; !reflect.DeepEqual(r.Env, want) {
		t.Errorf("Env = %q, want %q", r.Env, want)
	}
	if n := r.Go.MaxRuns(); n != 3 {
		t.Errorf("MaxRuns = %d, want 3", n)
	}
}

func TestParseGoPrefix(t *testing.T) {
	r := NewResults()
	in := "BenchmarkThroughput/raw-2 \t 1000 \t 500 ns/op\n"
	if err := ParseGo(strings.NewReader(in), "natsbus:", r); err != nil {
		t.Fatal(err)
	}
	if v, ok := r.Go.Median("natsbus:BenchmarkThroughput/raw", "ns/op"); !ok || v != 500 {
		t.Errorf("got %v, %v", v, ok)
	}
}

func TestParseGoBadValue(t *testing.T) {
	r := NewResults()
	in := "BenchmarkX-2 \t 1000 \t 5x0 ns/op\n"
	if err := ParseGo(strings.NewReader(in), "", r); err == nil {
		t.Fatal("no error for a malformed value")
	}
}

// nodeOutput is two runs of bench.mjs, one after the other.
const nodeOutput = `# node v20.20.2 nproc 2 small_bytes 54 large_bytes 5243
mc_small_throughput 1000000 msg/s
mc_small_per_msg 1000 ns/msg
mc_large_per_msg 20000 ns/msg
bc_fanout_per_delivery 600.5 ns/delivery
# node v20.20.2 nproc 2 small_bytes 54 large_bytes 5243
mc_small_per_msg 1200 ns/msg
mc_large_per_msg 22000 ns/msg
bc_fanout_per_delivery 599.5 ns/delivery
`

func TestParseNode(t *testing.T) {
	r := NewResults()
	if err := ParseNode(strings.NewReader(nodeOutput), r); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]float64{"mc_small_per_msg": 1100, "mc_large_per_msg": 21000, "bc_fanout_per_delivery": 600} {
		unit := "ns/msg"
		if strings.HasPrefix(name, "bc_") {
			unit = "ns/delivery"
		}
		if got, ok := r.Node.Median(name, unit); !ok || got != want {
			t.Errorf("%s = %v, %v; want %v", name, got, ok, want)
		}
	}
	if len(r.Env) != 1 || !strings.HasPrefix(r.Env[0], "# node v20") {
		t.Errorf("Env = %q, want the node header once", r.Env)
	}
	if err := ParseNode(strings.NewReader("oops\n"), NewResults()); err == nil {
		t.Error("no error for a malformed line")
	}
}

func TestMedian(t *testing.T) {
	for _, c := range []struct {
		in   []float64
		want float64
	}{
		{[]float64{3}, 3},
		{[]float64{3, 1, 2}, 2},
		{[]float64{4, 1, 3, 2}, 2.5},
		{[]float64{5, 5, 1, 9, 7}, 5},
	} {
		in := append([]float64(nil), c.in...)
		if got := median(in); got != c.want {
			t.Errorf("median(%v) = %v, want %v", c.in, got, c.want)
		}
		if !reflect.DeepEqual(in, c.in) {
			t.Errorf("median modified its input: %v", in)
		}
	}
}

func TestScaling(t *testing.T) {
	r := NewResults()
	in := `BenchmarkDepth/100/msgport-2 	 1 	 30 ns/op
BenchmarkDepth/1/msgport-2 	 1 	 10 ns/op
BenchmarkDepth/10/msgport-2 	 1 	 20 ns/op
BenchmarkDepth/1/chan-2 	 1 	 5 ns/op
BenchmarkDepthy/1/msgport-2 	 1 	 99 ns/op
`
	if err := ParseGo(strings.NewReader(in), "", r); err != nil {
		t.Fatal(err)
	}
	got := r.Go.Scaling("BenchmarkDepth/", "ns/op", "msgport", "chan", "missing")
	want := []Series{
		{"msgport", []Point{{1, 10}, {10, 20}, {100, 30}}},
		{"chan", []Point{{1, 5}}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Scaling = %v, want %v", got, want)
	}
}
