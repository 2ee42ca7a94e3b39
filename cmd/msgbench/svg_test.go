package main

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"testing"
)

// checkSVG fails unless doc is well-formed XML with an <svg> root, no
// attribute given twice on one element (renderers reject that), and no NaN
// or Inf in it.
func checkSVG(t *testing.T, doc string) {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(doc))
	root := ""
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("malformed SVG: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok {
			if root == "" {
				root = se.Name.Local
			}
			seen := map[string]bool{}
			for _, a := range se.Attr {
				if seen[a.Name.Local] {
					t.Errorf("<%s> has attribute %s twice", se.Name.Local, a.Name.Local)
				}
				seen[a.Name.Local] = true
			}
		}
	}
	if root != "svg" {
		t.Errorf("root element is %q, want svg", root)
	}
	for _, bad := range []string{"NaN", "Inf"} {
		if strings.Contains(doc, bad) {
			t.Errorf("SVG contains %s", bad)
		}
	}
}

func TestTargetsChart(t *testing.T) {
	rows := Evaluate(Targets, canned(t))
	doc := TargetsChart(rows, "canned <data> & more")
	checkSVG(t, doc)
	for _, want := range []string{
		"hand-off / chan", "3.00×", // a missed row with its ratio
		"end to end small vs Node", "5.00×", // a met row
		"n/a (not measured)",             // rows without figures
		"canned &lt;data&gt; &amp; more", // escaped text
		colorPass, colorMiss,
	} {
		if !strings.Contains(doc, want) {
			t.Errorf("chart lacks %q", want)
		}
	}
	if strings.Contains(doc, "StructuredClone small vs Node") {
		t.Error("reference rows are charted")
	}
}

func TestTargetsChartEmpty(t *testing.T) {
	checkSVG(t, TargetsChart(Evaluate(Targets, NewResults()), ""))
}

func TestLineChart(t *testing.T) {
	r := NewResults()
	in := `BenchmarkCloneSize/bytes/1/msgport-2 1 20 ns/op
BenchmarkCloneSize/bytes/1024/msgport-2 1 120 ns/op
BenchmarkCloneSize/bytes/1048576/msgport-2 1 90000 ns/op
BenchmarkCloneSize/bytes/1/handwritten-2 1 18 ns/op
BenchmarkCloneSize/bytes/1048576/handwritten-2 1 85000 ns/op
`
	if err := ParseGo(strings.NewReader(in), "", r); err != nil {
		t.Fatal(err)
	}
	doc := Plots[2].Chart(r).SVG()
	checkSVG(t, doc)
	for _, want := range []string{"Clone cost vs []byte size", "1 B", "1 KiB", "1 MiB", "10 ns", "100 µs",
		"hand-written copy (floor)", "msgport at 1 MiB: 90.0 µs"} {
		if !strings.Contains(doc, want) {
			t.Errorf("chart lacks %q", want)
		}
	}
	if n := strings.Count(doc, "<polyline"); n != 2 {
		t.Errorf("%d lines, want 2", n)
	}
}

func TestLineChartEmpty(t *testing.T) {
	doc := Plots[0].Chart(NewResults()).SVG()
	checkSVG(t, doc)
	if !strings.Contains(doc, "n/a") {
		t.Error("an empty chart does not say n/a")
	}
}

func TestLogTicks(t *testing.T) {
	for _, c := range []struct {
		lo, hi float64
		want   string
	}{
		{60, 170, "[50 100 200]"},
		{12, 1.2e6, "[10 100 1000 10000 100000 1e+06 1e+07]"},
		{100, 100, "[100 200]"},
	} {
		if got := fmt.Sprint(logTicks(c.lo, c.hi)); got != c.want {
			t.Errorf("logTicks(%v, %v) = %s, want %s", c.lo, c.hi, got, c.want)
		}
	}
}
