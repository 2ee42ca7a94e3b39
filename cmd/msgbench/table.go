package main

import (
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"
)

// Kind says how a target compares a measurement with its reference.
type Kind int

const (
	// AtMost: msgport's time divided by the reference's is at most Limit.
	AtMost Kind = iota
	// Faster: the reference's time divided by msgport's (the speed-up) is at
	// least Limit.
	Faster
	// Ceiling: msgport's value itself is at most Limit.
	Ceiling
)

// Ref names one measured figure.
type Ref struct {
	Node bool   // from the Node baseline rather than go test
	Name string // benchmark or figure name
	Unit string // "ns/op", "allocs/op", "ns/msg", …
}

func (r Ref) String() string {
	if r.Node {
		return "node " + r.Name + " " + r.Unit
	}
	return r.Name + " " + r.Unit
}

// Target is one row of the table.
type Target struct {
	What      string // what is measured
	Short     string // label in the chart
	Subject   Ref    // msgport's figure
	Base      Ref    // floor or peer; unused for Ceiling
	BaseLabel string // what Base is, for people
	Kind      Kind
	Limit     float64
	Info      bool // shown for reference only: no pass or miss
	// Floor, if set, is the least any implementation of the API does for
	// this row, measured against the same Base: a missed target says
	// whether its floor misses it too (then the target is out of reach).
	Floor Ref
}

// Targets are the rows of the issue "Performance: ahead of every peer, close
// to the floor", then reference rows. Ratios are taken between medians of
// the same msgbench run: a Go figure's median is over its -count passes
// (each a separate go test run; natsbus's figures come from passes of their
// own in natsbus/, after the root package's), a Node figure's over the
// -node-runs runs of the baseline. For an AtMost row between two Go
// figures, Row.Passes and Row.PassesMet count the passes and those whose
// own ratio met the target.
var Targets = []Target{
	{What: "clone, small struct", Short: "clone small / hand-written",
		Subject: goRef("BenchmarkClone/small/msgport", "ns/op"), Base: goRef("BenchmarkClone/small/handwritten", "ns/op"),
		BaseLabel: "hand-written copy", Kind: AtMost, Limit: 1.5},
	{What: "clone, 100-element slice", Short: "clone slice100 / hand-written",
		Subject: goRef("BenchmarkClone/slice100/msgport", "ns/op"), Base: goRef("BenchmarkClone/slice100/handwritten", "ns/op"),
		BaseLabel: "hand-written copy", Kind: AtMost, Limit: 1.5},
	{What: "clone, small struct", Short: "clone small / go-clone",
		Subject: goRef("BenchmarkClone/small/msgport", "ns/op"), Base: goRef("BenchmarkClone/small/goclone", "ns/op"),
		BaseLabel: "go-clone Slowly", Kind: AtMost, Limit: 0.5},
	{What: "clone, 100-element slice", Short: "clone slice100 / go-clone",
		Subject: goRef("BenchmarkClone/slice100/msgport", "ns/op"), Base: goRef("BenchmarkClone/slice100/goclone", "ns/op"),
		BaseLabel: "go-clone Slowly", Kind: AtMost, Limit: 0.5},
	{What: "port hand-off of an int (post → handler)", Short: "hand-off / chan",
		Subject: goRef("BenchmarkHandoff/msgport", "ns/op"), Base: goRef("BenchmarkHandoff/chan", "ns/op"),
		BaseLabel: "buffered Go channel", Kind: AtMost, Limit: 2, Floor: goRef("BenchmarkHandoff/chan-event", "ns/op")},
	{What: "ping-pong round trip through two ports", Short: "ping-pong / chans",
		Subject: goRef("BenchmarkPingPong/msgport", "ns/op"), Base: goRef("BenchmarkPingPong/chan", "ns/op"),
		BaseLabel: "two Go channels", Kind: AtMost, Limit: 2},
	{What: "small struct end to end (post → handler)", Short: "end to end small vs Node",
		Subject: goRef("BenchmarkEndToEnd/small/msgport", "ns/op"), Base: nodeRef("mc_small_per_msg", "ns/msg"),
		BaseLabel: "Node.js MessageChannel", Kind: Faster, Limit: 4, Floor: goRef("BenchmarkEndToEnd/small/chan", "ns/op")},
	{What: "100-element payload end to end", Short: "end to end large vs Node",
		Subject: goRef("BenchmarkEndToEnd/large/msgport", "ns/op"), Base: nodeRef("mc_large_per_msg", "ns/msg"),
		BaseLabel: "Node.js MessageChannel", Kind: Faster, Limit: 2},
	{What: "broadcast to 8 receivers, per delivery", Short: "broadcast ×8 vs Node",
		Subject: goRef("BenchmarkBroadcast/8/msgport", "ns/delivery"), Base: nodeRef("bc_fanout_per_delivery", "ns/delivery"),
		BaseLabel: "Node.js BroadcastChannel", Kind: Faster, Limit: 3, Floor: goRef("BenchmarkBroadcast/8/chan-copy-event", "ns/delivery")},
	{What: "natsbus small struct throughput", Short: "natsbus / raw nats.go",
		Subject: goRef("natsbus:BenchmarkThroughput/msgport", "ns/op"), Base: goRef("natsbus:BenchmarkThroughput/raw", "ns/op"),
		BaseLabel: "raw nats.go pub/sub", Kind: AtMost, Limit: 1.5, Floor: goRef("natsbus:BenchmarkThroughput/raw+handcoded+hop", "ns/op")},
	{What: "100,000 idle channels: memory", Subject: goRef("BenchmarkIdleChannels", "MB/100k"), Kind: Ceiling, Limit: 100},
	{What: "100,000 idle channels: goroutines held", Subject: goRef("BenchmarkIdleChannels", "goroutines"), Kind: Ceiling, Limit: 0},
	{What: "allocations: hand-off of an int", Subject: goRef("BenchmarkHandoff/msgport", "allocs/op"), Kind: Ceiling, Limit: 2},
	{What: "allocations: clone of a pointer-free value", Subject: goRef("BenchmarkClone/flat/msgport-any", "allocs/op"), Kind: Ceiling, Limit: 1},

	{What: "floor of the API for hand-off: a boxed int and an event per message, through a buffered Go channel", Short: "hand-off chan-event / chan",
		Subject: goRef("BenchmarkHandoff/chan-event", "ns/op"), Base: goRef("BenchmarkHandoff/chan", "ns/op"),
		BaseLabel: "buffered Go channel", Kind: AtMost, Info: true},
	{What: "floor of the API: ping-pong with an event per message and a recovering listener call, over two Go channels", Short: "ping-pong chan-event / chans",
		Subject: goRef("BenchmarkPingPong/chan-event", "ns/op"), Base: goRef("BenchmarkPingPong/chan", "ns/op"),
		BaseLabel: "two Go channels", Kind: AtMost, Info: true},
	{What: "floor of a never-blocking port: ping-pong through two locked unbounded queues with a doorbell", Short: "ping-pong queue / chans",
		Subject: goRef("BenchmarkPingPong/queue", "ns/op"), Base: goRef("BenchmarkPingPong/chan", "ns/op"),
		BaseLabel: "two Go channels", Kind: AtMost, Info: true},
	{What: "floor of a port that gives its goroutine back: the same with a timer pending on the echoing goroutine's P", Short: "ping-pong queue-timer / chans",
		Subject: goRef("BenchmarkPingPong/queue-timer", "ns/op"), Base: goRef("BenchmarkPingPong/chan", "ns/op"),
		BaseLabel: "two Go channels", Kind: AtMost, Info: true},
	{What: "ping-pong round trip through two ports, against that floor", Short: "ping-pong / queue-timer floor",
		Subject: goRef("BenchmarkPingPong/msgport", "ns/op"), Base: goRef("BenchmarkPingPong/queue-timer", "ns/op"),
		BaseLabel: "locked queues + doorbell + pending timer", Kind: AtMost, Info: true},
	{What: "ping-pong round trip, the peer's listener using 2.5 KB of stack", Short: "ping-pong deep / chans",
		Subject: goRef("BenchmarkPingPong/msgport-stack", "ns/op"), Base: goRef("BenchmarkPingPong/chan", "ns/op"),
		BaseLabel: "two Go channels", Kind: AtMost, Info: true},
	{What: "floor: small struct end to end over a Go channel with a hand-written copy", Short: "chan + copy vs Node",
		Subject: goRef("BenchmarkEndToEnd/small/chan", "ns/op"), Base: nodeRef("mc_small_per_msg", "ns/msg"),
		BaseLabel: "Node.js MessageChannel", Kind: Faster, Info: true},
	{What: "floor of a broadcast: a hand-written snapshot per post and a hand-written copy per receiver (the last keeps the snapshot), over Go channels", Short: "broadcast chan + copies vs Node",
		Subject: goRef("BenchmarkBroadcast/8/chan-copy", "ns/delivery"), Base: nodeRef("bc_fanout_per_delivery", "ns/delivery"),
		BaseLabel: "Node.js BroadcastChannel", Kind: Faster, Info: true},
	{What: "floor of the API for a broadcast: the same, each delivery an event whose Data holds the copy", Short: "broadcast chan + copies + events vs Node",
		Subject: goRef("BenchmarkBroadcast/8/chan-copy-event", "ns/delivery"), Base: nodeRef("bc_fanout_per_delivery", "ns/delivery"),
		BaseLabel: "Node.js BroadcastChannel", Kind: Faster, Info: true},
	{What: "a broadcast's copies and events alone, made on the sender's goroutine and handed to nobody", Short: "broadcast copies + events alone vs Node",
		Subject: goRef("BenchmarkBroadcast/8/copy-event-alone", "ns/delivery"), Base: nodeRef("bc_fanout_per_delivery", "ns/delivery"),
		BaseLabel: "Node.js BroadcastChannel", Kind: Faster, Info: true},
	{What: "broadcast to 8 receivers, per delivery, against that floor", Short: "broadcast ×8 / chan + copies + events",
		Subject: goRef("BenchmarkBroadcast/8/msgport", "ns/delivery"), Base: goRef("BenchmarkBroadcast/8/chan-copy-event", "ns/delivery"),
		BaseLabel: "copies and events over Go channels", Kind: AtMost, Info: true},
	{What: "floor: nats.go + a codec hand-written for the struct", Short: "nats.go + hand-coded / raw",
		Subject: goRef("natsbus:BenchmarkThroughput/raw+handcoded", "ns/op"), Base: goRef("natsbus:BenchmarkThroughput/raw", "ns/op"),
		BaseLabel: "raw nats.go pub/sub", Kind: AtMost, Info: true},
	{What: "floor of a Bus: the same, the value then handed to another goroutine (Deliver may not block)", Short: "nats.go + hand-coded + hop / raw",
		Subject: goRef("natsbus:BenchmarkThroughput/raw+handcoded+hop", "ns/op"), Base: goRef("natsbus:BenchmarkThroughput/raw", "ns/op"),
		BaseLabel: "raw nats.go pub/sub", Kind: AtMost, Info: true},
	{What: "floor of natsbus's format: the bytes natsbus sends (envelope, type and field names), coded by hand for the struct, then the hop", Short: "nats.go + hand-coded natsbus format + hop / raw",
		Subject: goRef("natsbus:BenchmarkThroughput/raw+handwire+hop", "ns/op"), Base: goRef("natsbus:BenchmarkThroughput/raw", "ns/op"),
		BaseLabel: "raw nats.go pub/sub", Kind: AtMost, Info: true},
	{What: "natsbus small struct throughput, against the floor of its format", Short: "natsbus / hand-coded natsbus format + hop",
		Subject: goRef("natsbus:BenchmarkThroughput/msgport", "ns/op"), Base: goRef("natsbus:BenchmarkThroughput/raw+handwire+hop", "ns/op"),
		BaseLabel: "nats.go + hand-coded natsbus format + hop", Kind: AtMost, Info: true},
	{What: "natsbus small struct throughput", Short: "natsbus / nats.go + msgpack",
		Subject: goRef("natsbus:BenchmarkThroughput/msgport", "ns/op"), Base: goRef("natsbus:BenchmarkThroughput/raw+msgpack", "ns/op"),
		BaseLabel: "nats.go + msgpack by hand", Kind: AtMost, Info: true},
	{What: "structuredClone, small struct", Short: "StructuredClone small vs Node",
		Subject: goRef("BenchmarkClone/small/msgport-any", "ns/op"), Base: nodeRef("structuredClone_small", "ns/op"),
		BaseLabel: "Node.js structuredClone", Kind: Faster, Info: true},
	{What: "structuredClone, 100-element slice", Short: "StructuredClone large vs Node",
		Subject: goRef("BenchmarkClone/slice100/msgport-any", "ns/op"), Base: nodeRef("structuredClone_large", "ns/op"),
		BaseLabel: "Node.js structuredClone", Kind: Faster, Info: true},
	{What: "round trip (Node: to a worker thread)", Short: "round trip vs Node worker",
		Subject: goRef("BenchmarkPingPong/msgport", "ns/op"), Base: nodeRef("worker_rtt_median", "ns"),
		BaseLabel: "Node.js Worker MessagePort", Kind: Faster, Info: true},
}

func goRef(name, unit string) Ref   { return Ref{Name: name, Unit: unit} }
func nodeRef(name, unit string) Ref { return Ref{Node: true, Name: name, Unit: unit} }

// Status is a row's verdict.
type Status int

const (
	NA    Status = iota // a figure is missing
	Pass                // the target is met
	Miss                // the target is missed
	Shown               // a reference row: measured, no verdict
)

// Row is a target with what was measured.
type Row struct {
	Target
	Value, BaseValue    float64 // medians
	HaveValue, HaveBase bool    // whether they were measured
	Ratio               float64 // Subject/Base for AtMost, Base/Subject for Faster
	Status              Status
	// For an AtMost target between two Go figures with one sample per
	// pass: how many passes there were, and in how many the pass's own ratio
	// met the target. Zero otherwise.
	Passes, PassesMet int
	// For a target with a Floor whose figure was measured: the floor's
	// ratio to Base, taken as Ratio is, and whether it misses the target.
	FloorRatio  float64
	FloorMisses bool
}

// Evaluate measures every target against r.
func Evaluate(targets []Target, r *Results) []Row {
	rows := make([]Row, len(targets))
	for i, t := range targets {
		row := Row{Target: t, Status: NA}
		row.Value, row.HaveValue = r.lookup(t.Subject)
		if t.Kind != Ceiling {
			row.BaseValue, row.HaveBase = r.lookup(t.Base)
		}
		switch {
		case !row.HaveValue:
		case t.Kind == Ceiling:
			row.Status = verdict(row.Value <= t.Limit, t.Info)
		case !row.HaveBase || row.BaseValue <= 0 || row.Value <= 0:
		default:
			var miss bool
			row.Ratio, miss = ratio(t.Kind, row.Value, row.BaseValue, t.Limit)
			row.Status = verdict(!miss, t.Info)
		}
		if row.Status == Pass || row.Status == Miss {
			row.Passes, row.PassesMet = passesMet(t, r)
		}
		if t.Floor.Name != "" && row.Ratio > 0 {
			if f, ok := r.lookup(t.Floor); ok && f > 0 {
				row.FloorRatio, row.FloorMisses = ratio(t.Kind, f, row.BaseValue, t.Limit)
			}
		}
		rows[i] = row
	}
	return rows
}

// ratio compares value with base as a target of kind k does (AtMost:
// value/base, Faster: base/value) and reports whether that misses limit.
func ratio(k Kind, value, base, limit float64) (r float64, miss bool) {
	if k == AtMost {
		r = value / base
		return r, r > limit
	}
	r = base / value
	return r, r < limit
}

// passesMet pairs the samples of an AtMost target's two Go figures by pass
// (the i-th sample of each comes from pass i) and counts the passes whose
// ratio meets the target. It returns zeros for other targets and for
// figures without the same number of samples, at least two.
func passesMet(t Target, r *Results) (passes, met int) {
	if t.Subject.Node || t.Base.Node || t.Kind != AtMost {
		return 0, 0
	}
	xs, bs := r.Go[t.Subject.Name][t.Subject.Unit], r.Go[t.Base.Name][t.Base.Unit]
	if len(xs) < 2 || len(xs) != len(bs) {
		return 0, 0
	}
	for i, x := range xs {
		if x <= 0 || bs[i] <= 0 {
			continue
		}
		if _, miss := ratio(t.Kind, x, bs[i], t.Limit); !miss {
			met++
		}
	}
	return len(xs), met
}

func verdict(ok, info bool) Status {
	switch {
	case info:
		return Shown
	case ok:
		return Pass
	}
	return Miss
}

func (r *Results) lookup(ref Ref) (float64, bool) {
	if ref.Node {
		return r.Node.Median(ref.Name, ref.Unit)
	}
	return r.Go.Median(ref.Name, ref.Unit)
}

// Cells are a row's table cells: what, msgport, floor or peer, ratio,
// target, result. Figures that were not measured read "n/a".
func (row Row) Cells(markdown bool) [6]string {
	c := [6]string{row.What, "n/a", "—", "—", "", row.Status.mark(markdown)}
	switch {
	case row.Status == Pass && row.PassesMet < row.Passes:
		c[5] += fmt.Sprintf(" (in %d of %d passes)", row.PassesMet, row.Passes)
	case row.Status == Miss && row.PassesMet > 0:
		c[5] += fmt.Sprintf(" (met in %d of %d passes)", row.PassesMet, row.Passes)
	}
	if row.Status == Miss && row.FloorRatio > 0 {
		unit := "×"
		if row.Kind == Faster {
			unit = "× faster"
		}
		if row.FloorMisses {
			c[5] += fmt.Sprintf("; its floor, %s%s, misses too", formatRatio(row.FloorRatio), unit)
		} else {
			c[5] += fmt.Sprintf("; its floor, %s%s, meets it", formatRatio(row.FloorRatio), unit)
		}
	}
	if row.HaveValue {
		c[1] = formatValue(row.Value, row.Subject.Unit)
	}
	if row.Kind == Ceiling {
		c[4] = "≤ " + formatLimit(row.Limit, row.Subject.Unit)
		return c
	}
	c[2] = row.BaseLabel + " n/a"
	if row.HaveBase {
		c[2] = row.BaseLabel + " " + formatValue(row.BaseValue, row.Base.Unit)
	}
	c[3] = "n/a"
	if row.Kind == AtMost {
		if row.Ratio > 0 {
			c[3] = formatRatio(row.Ratio) + "×"
		}
		c[4] = fmt.Sprintf("≤ %g×", row.Limit)
	} else {
		if row.Ratio > 0 {
			c[3] = formatRatio(row.Ratio) + "× faster"
		}
		c[4] = fmt.Sprintf("≥ %g× faster", row.Limit)
	}
	if row.Info {
		c[4] = "—"
	}
	return c
}

func (s Status) mark(markdown bool) string {
	switch s {
	case Pass:
		if markdown {
			return "✅ met"
		}
		return "pass"
	case Miss:
		if markdown {
			return "❌ missed"
		}
		return "MISS"
	case Shown:
		return "reference"
	}
	return "n/a"
}

var header = [6]string{"what", "msgport", "floor or peer", "ratio", "target", "result"}

// WriteText prints rows as an aligned table for a terminal.
func WriteText(w io.Writer, rows []Row) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(header[:], "\t"))
	for _, row := range rows {
		c := row.Cells(false)
		fmt.Fprintln(tw, strings.Join(c[:], "\t"))
	}
	return tw.Flush()
}

// WriteMarkdown writes rows as a markdown table.
func WriteMarkdown(w io.Writer, rows []Row) error {
	var b strings.Builder
	b.WriteString("| " + strings.Join(header[:], " | ") + " |\n")
	b.WriteString("|---|--:|---|--:|---|---|\n")
	for _, row := range rows {
		c := row.Cells(true)
		for i := range c {
			c[i] = strings.ReplaceAll(c[i], "|", `\|`)
		}
		b.WriteString("| " + strings.Join(c[:], " | ") + " |\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Verdicts sums up rows in a sentence: how many targets were met, missed
// (and of those, how many are missed by their floors too) and not measured.
func Verdicts(rows []Row) string {
	pass, miss, na := Tally(rows)
	out := 0
	for _, r := range rows {
		if r.Status == Miss && r.FloorMisses {
			out++
		}
	}
	s := fmt.Sprintf("%d met, %d missed", pass, miss)
	if out > 0 {
		s += fmt.Sprintf(" (%d of them missed by their floor too: out of reach on this machine)", out)
	}
	return s + fmt.Sprintf(", %d not measured.", na)
}

// Tally counts the verdicts of rows.
func Tally(rows []Row) (pass, miss, na int) {
	for _, r := range rows {
		switch r.Status {
		case Pass:
			pass++
		case Miss:
			miss++
		case NA:
			if !r.Info {
				na++
			}
		}
	}
	return
}

// formatValue prints v in unit for people: times scaled to ns, µs or ms.
func formatValue(v float64, unit string) string {
	switch unit {
	case "ns/op", "ns/msg", "ns/delivery", "ns":
		return formatNs(v)
	case "allocs/op":
		return fmt.Sprintf("%g allocs", v)
	case "MB/100k":
		return fmt.Sprintf("%.1f MB", v)
	case "goroutines":
		return fmt.Sprintf("%g goroutines", v)
	case "B/op":
		return fmt.Sprintf("%g B", v)
	}
	return fmt.Sprintf("%g %s", v, unit)
}

// formatNs prints a duration given in nanoseconds with three significant
// digits.
func formatNs(ns float64) string {
	switch a := math.Abs(ns); {
	case a >= 1e9:
		return sig3(ns/1e9) + " s"
	case a >= 1e6:
		return sig3(ns/1e6) + " ms"
	case a >= 1e3:
		return sig3(ns/1e3) + " µs"
	}
	return sig3(ns) + " ns"
}

// sig3 formats v with three significant digits, without an exponent.
func sig3(v float64) string {
	switch a := math.Abs(v); {
	case a >= 100:
		return fmt.Sprintf("%.0f", v)
	case a >= 10:
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.2f", v)
}

// formatRatio prints a ratio with two decimals, or three significant digits
// when it is small.
func formatRatio(r float64) string {
	switch {
	case r >= 10:
		return fmt.Sprintf("%.1f", r)
	case r >= 0.1:
		return fmt.Sprintf("%.2f", r)
	case r >= 0.001:
		return fmt.Sprintf("%.3f", r)
	}
	return "<0.001"
}

// formatLimit prints a Ceiling target.
func formatLimit(v float64, unit string) string {
	switch unit {
	case "MB/100k":
		return fmt.Sprintf("%g MB", v)
	case "allocs/op":
		if v == 1 {
			return "1 alloc"
		}
	}
	return formatValue(v, unit)
}
