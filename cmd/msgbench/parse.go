package main

import (
	"bufio"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Metrics holds benchmark samples: name → unit → one value per run.
type Metrics map[string]map[string][]float64

// add records one sample.
func (m Metrics) add(name, unit string, v float64) {
	units := m[name]
	if units == nil {
		units = make(map[string][]float64)
		m[name] = units
	}
	units[unit] = append(units[unit], v)
}

// Median returns the median of the samples of name in unit, and whether
// there are any.
func (m Metrics) Median(name, unit string) (float64, bool) {
	xs := m[name][unit]
	if len(xs) == 0 {
		return 0, false
	}
	return median(xs), true
}

// Runs returns how many samples name has in unit.
func (m Metrics) Runs(name, unit string) int { return len(m[name][unit]) }

// MaxRuns returns the largest number of samples any figure has.
func (m Metrics) MaxRuns() int {
	n := 0
	for _, units := range m {
		for _, xs := range units {
			n = max(n, len(xs))
		}
	}
	return n
}

// median returns the middle value of xs (the mean of the two middle values
// for an even count). xs is not modified.
func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// Results is everything one msgbench run measured.
type Results struct {
	Go   Metrics // Go benchmarks: "BenchmarkHandoff/msgport"; natsbus ones prefixed "natsbus:"
	Node Metrics // Node baseline figures: "mc_small_per_msg"
	// Env describes where it ran: "goos: linux", "cpu: …", "# node v20…".
	Env []string
}

// NewResults returns empty results.
func NewResults() *Results { return &Results{Go: Metrics{}, Node: Metrics{}} }

// procsSuffix is the "-GOMAXPROCS" that go test appends to benchmark names.
var procsSuffix = regexp.MustCompile(`-\d+$`)

// ParseGo reads `go test -bench` output and adds its samples to r, with
// prefix in front of every benchmark name. A result line is
//
//	BenchmarkName-2   1000   123.4 ns/op   16 B/op   1 allocs/op   45.6 ns/delivery
//
// the name without its -GOMAXPROCS suffix, the iteration count, then
// value–unit pairs. Other lines are ignored, except goos/goarch/cpu headers,
// which go to r.Env.
func ParseGo(in io.Reader, prefix string, r *Results) error {
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		for _, h := range []string{"goos: ", "goarch: ", "cpu: "} {
			if strings.HasPrefix(line, h) && !slices.Contains(r.Env, line) {
				r.Env = append(r.Env, line)
			}
		}
		f := strings.Fields(line)
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") || len(f)%2 != 0 {
			continue
		}
		if _, err := strconv.ParseUint(f[1], 10, 64); err != nil {
			continue
		}
		name := prefix + procsSuffix.ReplaceAllString(f[0], "")
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				return fmt.Errorf("benchmark %s: bad value %q for %s", name, f[i], f[i+1])
			}
			r.Go.add(name, f[i+1], v)
		}
	}
	return sc.Err()
}

// ParseNode reads the Node baseline's output: one `name value unit` line per
// figure, `#` comment lines (kept in r.Env). Several runs may follow each
// other in one stream.
func ParseNode(in io.Reader, r *Results) error {
	sc := bufio.NewScanner(in)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		if strings.HasPrefix(line, "#") {
			if !slices.Contains(r.Env, line) {
				r.Env = append(r.Env, line)
			}
			continue
		}
		f := strings.Fields(line)
		if len(f) != 3 {
			return fmt.Errorf("node baseline: unexpected line %q", line)
		}
		v, err := strconv.ParseFloat(f[1], 64)
		if err != nil {
			return fmt.Errorf("node baseline: bad value in %q", line)
		}
		r.Node.add(f[0], f[2], v)
	}
	return sc.Err()
}

// Point is one measurement of a scaling series.
type Point struct{ X, Y float64 }

// Series is one implementation's line in a scaling plot.
type Series struct {
	Name   string
	Points []Point // sorted by X
}

// Scaling collects the series of a scaling benchmark: every name
// group+"N/impl" with a value in unit gives the point (N, median) of impl's
// series. Series come in the order of impls; impls without points are left
// out.
func (m Metrics) Scaling(group, unit string, impls ...string) []Series {
	var out []Series
	for _, impl := range impls {
		s := Series{Name: impl}
		for name := range m {
			rest, ok := strings.CutPrefix(name, group)
			if !ok {
				continue
			}
			n, im, ok := strings.Cut(rest, "/")
			if !ok || im != impl {
				continue
			}
			x, err := strconv.ParseFloat(n, 64)
			if err != nil {
				continue
			}
			if y, ok := m.Median(name, unit); ok {
				s.Points = append(s.Points, Point{x, y})
			}
		}
		if len(s.Points) > 0 {
			slices.SortFunc(s.Points, func(a, b Point) int {
				switch {
				case a.X < b.X:
					return -1
				case a.X > b.X:
					return 1
				}
				return 0
			})
			out = append(out, s)
		}
	}
	return out
}
