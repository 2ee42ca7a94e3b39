package main

import (
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestFindRoot(t *testing.T) {
	root := t.TempDir()
	write(t, filepath.Join(root, "go.mod"), "module "+modulePath+"\n\ngo 1.25.0\n")
	write(t, filepath.Join(root, "natsbus", "go.mod"), "module "+modulePath+"/natsbus\n")
	deep := filepath.Join(root, "natsbus", "sub", "dir")
	if err := os.MkdirAll(deep, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{root, deep} {
		if got, err := findRoot(dir); err != nil || got != root {
			t.Errorf("findRoot(%s) = %q, %v; want %q", dir, got, err, root)
		}
	}
	if _, err := findRoot(t.TempDir()); err == nil {
		t.Error("findRoot outside the repository did not fail")
	}
}

func TestNodeBaseline(t *testing.T) {
	dir := t.TempDir()
	root := filepath.Join(dir, "main")
	base := filepath.Join(dir, "shared", "bench", "node-baseline")
	write(t, filepath.Join(base, "bench.mjs"), "// bench\n")
	other := filepath.Join(dir, "elsewhere", "b.mjs")
	write(t, other, "// other\n")

	t.Setenv("MSGBENCH_NODE_BASELINE", "")
	if got, why := nodeBaseline(root, ""); got != filepath.Join(base, "bench.mjs") {
		t.Errorf("default: %q (%s)", got, why)
	}
	if got, _ := nodeBaseline(root, other); got != other {
		t.Errorf("-node file: %q", got)
	}
	if got, _ := nodeBaseline(root, base); got != filepath.Join(base, "bench.mjs") {
		t.Errorf("-node dir: %q", got)
	}
	t.Setenv("MSGBENCH_NODE_BASELINE", other)
	if got, _ := nodeBaseline(root, ""); got != other {
		t.Errorf("env: %q", got)
	}
	if got, why := nodeBaseline(root, "off"); got != "" || !strings.Contains(why, "skipped") {
		t.Errorf("-node=off: %q (%s)", got, why)
	}
	if got, why := nodeBaseline(root, filepath.Join(dir, "missing")); got != "" || why == "" {
		t.Errorf("missing: %q (%s)", got, why)
	}
}

func TestGoTestArgs(t *testing.T) {
	got := goTestArgs("Handoff", "")
	want := []string{"test", "-run=^$", "-bench=Handoff", "-benchmem", "-count=1", "-timeout=3h", "."}
	if !slices.Equal(got, want) {
		t.Errorf("goTestArgs = %q, want %q", got, want)
	}
	if got := goTestArgs(".", "50ms"); !slices.Contains(got, "-benchtime=50ms") {
		t.Errorf("goTestArgs with benchtime = %q", got)
	}
}

// TestRunFrom runs the whole report path on canned raw outputs: nothing is
// benchmarked.
func TestRunFrom(t *testing.T) {
	from, out := t.TempDir(), t.TempDir()
	write(t, filepath.Join(from, rawGo), goOutput)
	write(t, filepath.Join(from, rawNode), nodeOutput)
	var stdout strings.Builder
	c := config{from: from, out: out}
	if err := run(c, t.TempDir(), &stdout, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stdout.String(), "port hand-off of an int") || !strings.Contains(stdout.String(), "1.90×") {
		t.Errorf("stdout lacks the hand-off row:\n%s", stdout.String())
	}
	files := []string{"results.md", "targets.svg"}
	for _, p := range Plots {
		files = append(files, p.File)
	}
	for _, f := range files {
		data, err := os.ReadFile(filepath.Join(out, f))
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(f, ".svg") {
			checkSVG(t, string(data))
		}
	}
	md, _ := os.ReadFile(filepath.Join(out, "results.md"))
	for _, want := range []string{"## Targets", "| port hand-off of an int (post → handler) | 190 ns | buffered Go channel 100 ns | 1.90× | ≤ 2× | ✅ met (in 2 of 3 passes) |",
		"![msgport against its targets](targets.svg)", "raw-natsbus.txt is missing", "medians of 3 passes", "medians of 2 runs of `bench.mjs`"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("results.md lacks %q", want)
		}
	}
}

func write(t *testing.T, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}
