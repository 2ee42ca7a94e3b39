package clone

import (
	"runtime"
	"strconv"
	"strings"
	"testing"
	"unsafe"
)

// On the Go versions this package was written against, small maps must be
// read through their group; a toolchain whose layout the start-up probe
// rejects still clones correctly (by ranging), but this test says the fast
// read was lost.
func TestSmallMapsReadable(t *testing.T) {
	v := runtime.Version()
	for _, known := range []string{"go1.24", "go1.25", "go1.26"} {
		if v == known || strings.HasPrefix(v, known+".") {
			if !smallMapsReadable {
				t.Fatalf("%s: the start-up probe rejected the layout of small maps", v)
			}
			return
		}
	}
	t.Logf("%s: small maps readable through their group: %v", v, smallMapsReadable)
}

// readGroup must find exactly the entries of a map in every state a small
// map goes through, and decline maps that are not small.
func TestReadGroup(t *testing.T) {
	if !smallMapsReadable {
		t.Skip("layout not recognised on " + runtime.Version() + "; TestSmallMapsReadable reports it")
	}
	m := map[string]any{}
	check := func(what string, wantSmall bool) {
		t.Helper()
		_, _, ok := readGroup(*(*unsafe.Pointer)(unsafe.Pointer(&m)))
		if ok != wantSmall {
			t.Fatalf("%s (len %d): read as small = %v, want %v", what, len(m), ok, wantSmall)
		}
		if ok && !matches(m) {
			t.Fatalf("%s (len %d): the group's entries differ from the map's", what, len(m))
		}
	}
	check("empty", true)
	for i := range 8 {
		m[strconv.Itoa(i)] = i
		check("filling", true)
	}
	for i := 0; i < 8; i += 2 {
		delete(m, strconv.Itoa(i))
		check("after deletes", true)
	}
	m["x"], m["y"] = "x", []int{1}
	check("refilled", true)
	clear(m)
	check("cleared", true)
	for i := range 9 {
		m[strconv.Itoa(i)] = i
	}
	check("grown past a group", false)
	if !matches(map[string]any(nil)) {
		t.Fatal("the nil map is not read as empty")
	}
}

// A small map[string]any whose slots were emptied and reused clones with
// every value that needs a deep copy copied, each once.
func TestCloneSmallMapAfterDeletes(t *testing.T) {
	shared := &[]int{1, 2}
	m := map[string]any{}
	for i := range 8 {
		m[strconv.Itoa(i)] = []int{i}
	}
	for i := 1; i < 8; i += 3 {
		delete(m, strconv.Itoa(i))
	}
	m["p"], m["q"], m["self"] = shared, shared, m
	c := checkClone(t, m).(map[string]any)
	if c["self"].(map[string]any)["p"] != c["p"] {
		t.Fatal("the map met again through itself is not the clone")
	}
}
