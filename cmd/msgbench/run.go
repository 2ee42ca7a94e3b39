package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// modulePath identifies the repository root's go.mod.
const modulePath = "github.com/seed01aa7ee5/msgport"

// findRoot walks up from dir to the directory whose go.mod declares
// msgport's module.
func findRoot(dir string) (string, error) {
	for d := dir; ; {
		if data, err := os.ReadFile(filepath.Join(d, "go.mod")); err == nil {
			if modLine(data) == modulePath {
				return d, nil
			}
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", fmt.Errorf("no go.mod of module %s in %s or above it: run msgbench inside the repository", modulePath, dir)
		}
		d = parent
	}
}

// modLine returns the module path declared in a go.mod file.
func modLine(gomod []byte) string {
	sc := bufio.NewScanner(bytes.NewReader(gomod))
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "module "); ok {
			return strings.Trim(strings.TrimSpace(rest), `"`)
		}
	}
	return ""
}

// goTestArgs returns the go test command line of one pass: every benchmark
// matching bench, once.
func goTestArgs(bench, benchtime string) []string {
	args := []string{"test", "-run=^$", "-bench=" + bench, "-benchmem", "-count=1", "-timeout=3h"}
	if benchtime != "" {
		args = append(args, "-benchtime="+benchtime)
	}
	return append(args, ".")
}

// runPasses runs go test in dir passes times (see goTestArgs) and returns
// the outputs concatenated. Passes, rather than -count, keep the rows that a
// target compares close together in time: the i-th sample of every
// benchmark comes from pass i, so a ratio can be taken per pass. It stops
// at the first failing pass.
func runPasses(dir string, passes int, bench, benchtime string, progress io.Writer) ([]byte, error) {
	return runRepeated(passes, "pass in "+filepath.Base(dir), dir, progress, "go", goTestArgs(bench, benchtime)...)
}

// runRepeated runs name with args in dir n times, one after the other (see
// runCommand), announcing each as what, and returns the outputs
// concatenated. It stops at the first failure.
func runRepeated(n int, what, dir string, progress io.Writer, name string, args ...string) ([]byte, error) {
	var all []byte
	for i := range n {
		fmt.Fprintf(progress, "msgbench: %s, %d of %d\n", what, i+1, n)
		out, err := runCommand(dir, progress, name, args...)
		all = append(all, out...)
		if err != nil {
			return all, err
		}
	}
	return all, nil
}

// runCommand runs name with args in dir, copying its standard output to
// progress as it comes (standard error goes to progress too), and returns
// the standard output. The error is the command's, if it failed.
func runCommand(dir string, progress io.Writer, name string, args ...string) ([]byte, error) {
	fmt.Fprintf(progress, "msgbench: (cd %s && %s %s)\n", dir, name, strings.Join(args, " "))
	var out bytes.Buffer
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Stdout = io.MultiWriter(&out, progress)
	cmd.Stderr = progress
	err := cmd.Run()
	if err != nil {
		err = fmt.Errorf("%s %s: %w", name, strings.Join(args, " "), err)
	}
	return out.Bytes(), err
}

// nodeBaseline finds the Node baseline script: the -node flag, then
// $MSGBENCH_NODE_BASELINE, then ../shared/bench/node-baseline beside the
// repository. Each may name bench.mjs or the directory holding it. It
// returns the script's path, or "" and why there is none.
func nodeBaseline(root, flagValue string) (script, why string) {
	candidates := []string{flagValue, os.Getenv("MSGBENCH_NODE_BASELINE"),
		filepath.Join(root, "..", "shared", "bench", "node-baseline")}
	for _, c := range candidates {
		if c == "" {
			continue
		}
		if c == "off" {
			return "", "skipped (-node=off)"
		}
		if st, err := os.Stat(c); err == nil && st.IsDir() {
			c = filepath.Join(c, "bench.mjs")
		}
		if _, err := os.Stat(c); err != nil {
			return "", fmt.Sprintf("no Node baseline at %s", c)
		}
		abs, err := filepath.Abs(c)
		if err != nil {
			return "", err.Error()
		}
		return abs, ""
	}
	return "", "no Node baseline found"
}

// runNode runs the Node baseline runs times, one after the other, and
// returns their output concatenated.
func runNode(script string, runs int, progress io.Writer) ([]byte, error) {
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, errors.New("node is not installed (no node in $PATH)")
	}
	return runRepeated(runs, "Node baseline run (about 25 s)", filepath.Dir(script), progress, node, filepath.Base(script))
}

// loadAverage returns the 1-minute load average (Linux), or -1 when it is
// not known.
func loadAverage() float64 {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return -1
	}
	f := strings.Fields(string(data))
	if len(f) == 0 {
		return -1
	}
	v, err := strconv.ParseFloat(f[0], 64)
	if err != nil {
		return -1
	}
	return v
}

// waitIdle waits, for at most limit, until the 1-minute load average is
// below threshold, and returns the last value seen.
func waitIdle(limit time.Duration, threshold float64, progress io.Writer) float64 {
	deadline := time.Now().Add(limit)
	for {
		l := loadAverage()
		if l < 0 || l < threshold || !time.Now().Before(deadline) {
			return l
		}
		fmt.Fprintf(progress, "msgbench: waiting for the machine to go idle (load average %.2f)\n", l)
		time.Sleep(15 * time.Second)
	}
}
