package main

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// The charts are plain SVG 1.1 written by hand: no scripts, no external
// fonts, readable by browsers, GitHub and rsvg-convert alike.

const (
	colorPass  = "#2e7d32"
	colorMiss  = "#c62828"
	colorNA    = "#9e9e9e"
	colorGrid  = "#e0e0e0"
	colorAxis  = "#424242"
	colorText  = "#212121"
	colorFaint = "#616161"
)

// svg accumulates the elements of one SVG document.
type svg struct {
	b    strings.Builder
	w, h float64
}

func newSVG(w, h float64) *svg {
	s := &svg{w: w, h: h}
	fmt.Fprintf(&s.b, `<svg xmlns="http://www.w3.org/2000/svg" width="%g" height="%g" viewBox="0 0 %g %g" font-family="DejaVu Sans, Helvetica, Arial, sans-serif" font-size="13">`+"\n", w, h, w, h)
	s.rect(0, 0, w, h, "#ffffff", "")
	return s
}

func (s *svg) rect(x, y, w, h float64, fill, title string) {
	if title == "" {
		fmt.Fprintf(&s.b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"/>`+"\n", x, y, w, h, fill)
		return
	}
	fmt.Fprintf(&s.b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s</title></rect>`+"\n", x, y, w, h, fill, esc(title))
}

func (s *svg) line(x1, y1, x2, y2 float64, stroke string, width float64, dash string) {
	d := ""
	if dash != "" {
		d = fmt.Sprintf(` stroke-dasharray="%s"`, dash)
	}
	fmt.Fprintf(&s.b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="%g"%s/>`+"\n", x1, y1, x2, y2, stroke, width, d)
}

// text writes str at (x, y); anchor is start, middle or end; extra holds
// more attributes (font-weight, fill…).
func (s *svg) text(x, y float64, anchor, extra, str string) {
	if !strings.Contains(extra, "fill=") {
		extra += ` fill="` + colorText + `"`
	}
	fmt.Fprintf(&s.b, `<text x="%.1f" y="%.1f" text-anchor="%s" %s>%s</text>`+"\n", x, y, anchor, strings.TrimSpace(extra), esc(str))
}

func (s *svg) polyline(xs, ys []float64, stroke string, width float64, dash string) {
	var pts []string
	for i := range xs {
		pts = append(pts, fmt.Sprintf("%.1f,%.1f", xs[i], ys[i]))
	}
	d := ""
	if dash != "" {
		d = fmt.Sprintf(` stroke-dasharray="%s"`, dash)
	}
	fmt.Fprintf(&s.b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="%g"%s/>`+"\n", strings.Join(pts, " "), stroke, width, d)
}

func (s *svg) circle(x, y, r float64, fill, title string) {
	fmt.Fprintf(&s.b, `<circle cx="%.1f" cy="%.1f" r="%g" fill="%s"><title>%s</title></circle>`+"\n", x, y, r, fill, esc(title))
}

func (s *svg) String() string { return s.b.String() + "</svg>\n" }

func esc(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;").Replace(s)
}

// TargetsChart draws the ratio of every target row as a bar, with the
// target as a black tick: one panel for the "at most" rows (cost relative
// to the floor or peer, lower is better), one for the "faster than Node.js"
// rows (higher is better). Green bars meet their target, red ones miss it;
// rows not measured say n/a.
func TargetsChart(rows []Row, subtitle string) string {
	var lower, higher []Row
	for _, r := range rows {
		switch {
		case r.Info:
		case r.Kind == AtMost:
			lower = append(lower, r)
		case r.Kind == Faster:
			higher = append(higher, r)
		}
	}
	const (
		width   = 940.0
		labelX  = 300.0 // labels end here
		plotX0  = 312.0
		plotX1  = 830.0
		rowH    = 30.0
		barH    = 16.0
		headH   = 44.0
		axisH   = 34.0
		gapH    = 20.0
		titleH  = 58.0
		legendH = 30.0
	)
	panelH := func(n int) float64 { return headH + float64(n)*rowH + axisH }
	height := titleH + panelH(len(lower)) + gapH + panelH(len(higher)) + legendH
	s := newSVG(width, height)
	s.text(20, 28, "start", `font-size="18" font-weight="bold"`, "msgport against its performance targets")
	s.text(20, 48, "start", `font-size="12" fill="`+colorFaint+`"`, subtitle)

	// Each panel has a log scale (ratios), with bars growing from 1×
	// (parity) to the ratio: left of 1× msgport takes less time than the
	// reference, right of it more (top panel) or is that much faster
	// (bottom panel).
	panel := func(y float64, title string, rows []Row) float64 {
		s.text(20, y+22, "start", `font-size="14" font-weight="bold"`, title)
		top := y + headH
		lo, hi := 1.0, 1.0
		for _, r := range rows {
			lo, hi = min(lo, r.Limit), max(hi, r.Limit)
			if r.Ratio > 0 {
				lo, hi = min(lo, r.Ratio), max(hi, r.Ratio)
			}
		}
		ticks := logTicks(lo/1.2, hi*1.2)
		l0, l1 := math.Log10(ticks[0]), math.Log10(ticks[len(ticks)-1])
		xOf := func(v float64) float64 { return plotX0 + (plotX1-plotX0)*(math.Log10(v)-l0)/(l1-l0) }
		bottom := top + float64(len(rows))*rowH
		for _, v := range ticks {
			x := xOf(v)
			s.line(x, top-4, x, bottom, colorGrid, 1, "")
			s.text(x, bottom+16, "middle", `font-size="11" fill="`+colorFaint+`"`, strconv.FormatFloat(v, 'g', -1, 64)+"×")
		}
		s.line(xOf(1), top-4, xOf(1), bottom, colorFaint, 1.5, "4 3")
		s.line(plotX0, bottom, plotX1, bottom, colorAxis, 1, "")
		s.text(plotX1, bottom+30, "end", `font-size="11" fill="`+colorFaint+`"`, "log scale")
		for i, r := range rows {
			cy := top + float64(i)*rowH + rowH/2
			label := r.Short
			if label == "" {
				label = r.What
			}
			s.text(labelX, cy+4, "end", "", label)
			tx := xOf(r.Limit)
			if r.Status == NA {
				s.text(plotX0+4, cy+4, "start", `fill="`+colorNA+`" font-style="italic"`, "n/a (not measured)")
			} else {
				color := colorPass
				if r.Status == Miss {
					color = colorMiss
				}
				x0, x1 := xOf(1), xOf(r.Ratio)
				s.rect(min(x0, x1), cy-barH/2, max(math.Abs(x1-x0), 2), barH, color,
					fmt.Sprintf("%s: %s× (target %g×)", r.What, formatRatio(r.Ratio), r.Limit))
				// The value goes right of the bar, the parity line and the
				// target tick, whichever ends furthest right.
				lx := max(x0, x1)
				if tx > lx-4 && tx < lx+64 {
					lx = tx
				}
				s.text(lx+8, cy+4, "start", `font-weight="bold"`, formatRatio(r.Ratio)+"×")
			}
			s.line(tx, cy-barH/2-5, tx, cy+barH/2+5, "#000000", 3, "")
		}
		return bottom + axisH
	}
	y := panel(titleH, "Cost relative to the floor or peer (msgport time ÷ theirs) — lower is better", lower)
	y = panel(y+gapH, "Speed-up over Node.js (Node time ÷ msgport time) — higher is better", higher)
	// Legend.
	ly := y + 10
	s.rect(20, ly, 14, 12, colorPass, "")
	s.text(40, ly+11, "start", "", "meets its target")
	s.rect(170, ly, 14, 12, colorMiss, "")
	s.text(190, ly+11, "start", "", "misses it")
	s.line(290, ly-2, 290, ly+14, "#000000", 3, "")
	s.text(298, ly+11, "start", "", "target")
	s.line(370, ly-2, 370, ly+14, colorFaint, 1, "4 3")
	s.text(378, ly+11, "start", "", "1× (parity)")
	return s.String()
}

func trimFloat(v float64) string {
	return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.2f", v), "0"), ".")
}

// LineChart is a log–log plot of scaling series.
type LineChart struct {
	Title, Subtitle string
	XLabel, YLabel  string
	Series          []Series
	XFormat         func(float64) string // tick labels of x
	YFormat         func(float64) string // tick labels of y
	Names           map[string]string    // legend text per series name
}

// seriesStyle is how a series is drawn, by implementation name.
func seriesStyle(name string, i int) (color string, width float64, dash string) {
	switch name {
	case "msgport":
		return "#1565c0", 3, ""
	case "chan", "handwritten":
		return "#616161", 2, "7 4"
	case "goclone":
		return "#ef6c00", 2, "2 3"
	}
	palette := []string{"#6a1b9a", "#00838f", "#ad1457", "#558b2f"}
	return palette[i%len(palette)], 2, ""
}

// SVG renders the chart.
func (c LineChart) SVG() string {
	const (
		width, height         = 900.0, 460.0
		left, right           = 96.0, 620.0
		top, bottom           = 74.0, 390.0
		legendX, legendY, lh  = 640.0, 96.0, 24.0
		tickFont, labelWeight = `font-size="11" fill="` + colorFaint + `"`, `font-weight="bold"`
	)
	s := newSVG(width, height)
	s.text(20, 28, "start", `font-size="18" font-weight="bold"`, c.Title)
	s.text(20, 48, "start", `font-size="12" fill="`+colorFaint+`"`, c.Subtitle)

	var xs, ys []float64
	for _, sr := range c.Series {
		for _, p := range sr.Points {
			if p.X > 0 && p.Y > 0 {
				xs = append(xs, p.X)
				ys = append(ys, p.Y)
			}
		}
	}
	if len(xs) == 0 {
		s.text(width/2, height/2, "middle", `fill="`+colorNA+`" font-size="16"`, "n/a: not measured")
		return s.String()
	}
	xmin, xmax := slices.Min(xs), slices.Max(xs)
	if xmin == xmax {
		xmin, xmax = xmin/2, xmax*2
	}
	yticks := logTicks(slices.Min(ys), slices.Max(ys))
	ymin, ymax := yticks[0], yticks[len(yticks)-1]
	lx0, lx1 := math.Log10(xmin), math.Log10(xmax)
	ly0, ly1 := math.Log10(ymin), math.Log10(ymax)
	px := func(x float64) float64 { return left + (right-left)*(math.Log10(x)-lx0)/(lx1-lx0) }
	py := func(y float64) float64 { return bottom - (bottom-top)*(math.Log10(y)-ly0)/(ly1-ly0) }

	// Grid and ticks.
	for _, y := range yticks {
		s.line(left, py(y), right, py(y), colorGrid, 1, "")
		s.text(left-8, py(y)+4, "end", tickFont, c.YFormat(y))
	}
	seen := map[float64]bool{}
	for _, x := range xs {
		if seen[x] {
			continue
		}
		seen[x] = true
		s.line(px(x), top, px(x), bottom, colorGrid, 1, "")
		s.text(px(x), bottom+18, "middle", tickFont, c.XFormat(x))
	}
	s.line(left, bottom, right, bottom, colorAxis, 1, "")
	s.line(left, top, left, bottom, colorAxis, 1, "")
	s.text((left+right)/2, bottom+44, "middle", labelWeight, c.XLabel+" (log scale)")
	fmt.Fprintf(&s.b, `<text x="22" y="%.1f" text-anchor="middle" fill="%s" font-weight="bold" transform="rotate(-90 22 %.1f)">%s</text>`+"\n",
		(top+bottom)/2, colorText, (top+bottom)/2, esc(c.YLabel+" (log scale)"))

	// Series and legend.
	for i, sr := range c.Series {
		color, w, dash := seriesStyle(sr.Name, i)
		var lxs, lys []float64
		for _, p := range sr.Points {
			if p.X <= 0 || p.Y <= 0 {
				continue
			}
			lxs = append(lxs, px(p.X))
			lys = append(lys, py(p.Y))
		}
		s.polyline(lxs, lys, color, w, dash)
		for _, p := range sr.Points {
			if p.X > 0 && p.Y > 0 {
				s.circle(px(p.X), py(p.Y), w+1, color, fmt.Sprintf("%s at %s: %s", sr.Name, c.XFormat(p.X), formatNs(p.Y)))
			}
		}
		name := sr.Name
		if n, ok := c.Names[sr.Name]; ok {
			name = n
		}
		y := legendY + float64(i)*lh
		s.line(legendX, y, legendX+34, y, color, w, dash)
		s.text(legendX+42, y+4, "start", "", name)
	}
	return s.String()
}

// logTicks returns tick values covering [lo, hi] on a log scale: powers of
// ten, with 2 and 5 in between when the range spans fewer than three
// decades.
func logTicks(lo, hi float64) []float64 {
	d0, d1 := math.Floor(math.Log10(lo)), math.Ceil(math.Log10(hi))
	if d1 == d0 {
		d1++
	}
	mults := []float64{1}
	if d1-d0 < 3 {
		mults = []float64{1, 2, 5}
	}
	var t []float64
	for d := d0; d <= d1; d++ {
		for _, m := range mults {
			v := m * math.Pow(10, d)
			t = append(t, v)
		}
	}
	// Trim to the ticks just around the data.
	for len(t) > 2 && t[1] <= lo {
		t = t[1:]
	}
	for len(t) > 2 && t[len(t)-2] >= hi {
		t = t[:len(t)-1]
	}
	return t
}

// formatCount prints 1, 10, 1k, 100k, 1M.
func formatCount(v float64) string {
	switch {
	case v >= 1e6 && math.Mod(v, 1e6) == 0:
		return fmt.Sprintf("%gM", v/1e6)
	case v >= 1e3 && math.Mod(v, 1e3) == 0:
		return fmt.Sprintf("%gk", v/1e3)
	}
	return fmt.Sprintf("%g", v)
}

// formatBytes prints 1 B, 4 KiB, 1 MiB.
func formatBytes(v float64) string {
	switch {
	case v >= 1<<20 && math.Mod(v, 1<<20) == 0:
		return fmt.Sprintf("%g MiB", v/(1<<20))
	case v >= 1<<10 && math.Mod(v, 1<<10) == 0:
		return fmt.Sprintf("%g KiB", v/(1<<10))
	}
	return fmt.Sprintf("%g B", v)
}

// formatNsTick is formatNs for axis ticks: no trailing zeros.
func formatNsTick(ns float64) string {
	for _, u := range []struct {
		scale float64
		name  string
	}{{1e9, "s"}, {1e6, "ms"}, {1e3, "µs"}} {
		if ns >= u.scale {
			return trimFloat(ns/u.scale) + " " + u.name
		}
	}
	return trimFloat(ns) + " ns"
}
