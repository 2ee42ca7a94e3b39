package clone

import (
	"reflect"
	"strconv"
	"testing"
	"unsafe"

	"github.com/google/go-cmp/cmp"
)

// The map fast paths read a map through the type of its representation
// (map.go), which is only right when both lay their slots out alike. A
// zero-size value of alignment 8 after a 4-byte key is the case where they
// differ: the slot {uint32; [0]int64} takes 16 bytes, {uint32; struct{}}
// 8. These tests clone maps of every key kind the fast paths take with
// values of each shape, in sizes spanning one group, several groups and
// several tables, and check the clone entry by entry, then check that the
// clone still works as a map by growing it.
func TestMapRepresentations(t *testing.T) {
	type (
		named32    int32
		namedStr   string
		zeroFunc   struct{ _ [0]func() } // alignment of a pointer
		zero64     [0]int64
		zero32     struct{ _ [0]uint32 }
		zeroNested struct {
			_ struct{}
			_ [0]float64
		}
	)
	t.Run("uint32/[0]int64", testMapRep(func(i int) uint32 { return uint32(i) }, [0]int64{}))
	t.Run("int32/[0]int64", testMapRep(func(i int) int32 { return int32(-i) }, [0]int64{}))
	t.Run("uint32/zero64", testMapRep(func(i int) uint32 { return uint32(i) * 7 }, zero64{}))
	t.Run("named32/zeroFunc", testMapRep(func(i int) named32 { return named32(i) }, zeroFunc{}))
	t.Run("int32/zeroNested", testMapRep(func(i int) int32 { return int32(i) }, zeroNested{}))
	t.Run("uint32/[0]int32", testMapRep(func(i int) uint32 { return uint32(i) }, [0]int32{}))
	t.Run("int32/zero32", testMapRep(func(i int) int32 { return int32(i) }, zero32{}))
	t.Run("uint32/struct{}", testMapRep(func(i int) uint32 { return uint32(i) }, struct{}{}))
	t.Run("uint64/[0]int64", testMapRep(func(i int) uint64 { return uint64(i) << 33 }, [0]int64{}))
	t.Run("int/zeroFunc", testMapRep(func(i int) int { return -i }, zeroFunc{}))
	t.Run("uintptr/[0]int32", testMapRep(func(i int) uintptr { return uintptr(i) }, [0]int32{}))
	t.Run("int64/struct{}", testMapRep(func(i int) int64 { return int64(i) }, struct{}{}))
	t.Run("string/[0]int64", testMapRep(strconv.Itoa, [0]int64{}))
	t.Run("namedStr/zeroFunc", testMapRep(func(i int) namedStr { return namedStr(strconv.Itoa(i)) }, zeroFunc{}))
	t.Run("string/zero32", testMapRep(strconv.Itoa, zero32{}))
	t.Run("string/struct{}", testMapRep(strconv.Itoa, struct{}{}))
	// Values of the other representations, keyed by every key kind, and
	// int whatever its size on the platform.
	t.Run("uint32/int64", testMapRep(func(i int) uint32 { return uint32(i) }, int64(-5)))
	t.Run("int32/int", testMapRep(func(i int) int32 { return int32(i) }, 9))
	t.Run("int/int32", testMapRep(func(i int) int { return i }, int32(-3)))
	t.Run("int/float64", testMapRep(func(i int) int { return i }, 2.5))
	t.Run("uint/bool", testMapRep(func(i int) uint { return uint(i) }, true))
	t.Run("uint32/float32", testMapRep(func(i int) uint32 { return uint32(i) }, float32(1.5)))
	t.Run("int32/string", testMapRep(func(i int) int32 { return int32(i) }, "v"))
	t.Run("string/int8", testMapRep(strconv.Itoa, int8(-8)))
	t.Run("string/uintptr", testMapRep(strconv.Itoa, uintptr(8)))
	t.Run("int/any", testMapRep(func(i int) int { return i }, any(new(int))))
	t.Run("uint32/any", testMapRep(func(i int) uint32 { return uint32(i) }, any("x")))
}

// testMapRep returns a test cloning maps from key(i) to v, with Value
// and with Typed.
func testMapRep[K comparable, V any](key func(int) K, v V) func(*testing.T) {
	return func(t *testing.T) {
		for _, n := range []int{1, 3, 8, 9, 100, 3000} {
			m := make(map[K]V, n)
			for i := range n {
				m[key(i)] = v
			}
			checkClone(t, m)
			c, err := Typed(m)
			if err != nil {
				t.Fatalf("n=%d: Typed: %v", n, err)
			}
			if d := cmp.Diff(m, c, allFields); d != "" {
				t.Fatalf("n=%d: Typed differs (-orig +clone):\n%s", n, d)
			}
			for i := range n {
				if _, ok := c[key(i)]; !ok {
					t.Fatalf("n=%d: key %v missing from the clone", n, key(i))
				}
			}
			for i := n; i < 2*n+10; i++ {
				c[key(i)] = v
			}
			for i := range 2*n + 10 {
				if _, ok := c[key(i)]; !ok {
					t.Fatalf("n=%d: key %v missing from the clone after growing it", n, key(i))
				}
			}
			if len(m) != n || len(c) != 2*n+10 {
				t.Fatalf("n=%d: len(original) = %d, len(clone) = %d after growing it, want %d and %d",
					n, len(m), len(c), n, 2*n+10)
			}
		}
	}
}

// TestMapFastPathChosen pins which maps take a fast path: every
// representation where the slots agree, and none where they do not.
func TestMapFastPathChosen(t *testing.T) {
	type (
		zeroFunc struct{ _ [0]func() }
		myString string
	)
	ptr8 := unsafe.Sizeof(uintptr(0)) == 8
	for _, c := range []struct {
		v    any
		fast bool
	}{
		{map[string]string{}, true},
		{map[myString]int{}, true},
		{map[int]float64{}, true},
		{map[uint64]bool{}, true},
		{map[uint32]float32{}, true},
		{map[int32]int8{}, true},
		{map[uintptr]any{}, true},
		{map[int32]any{}, true},
		{map[string]struct{}{}, true},
		{map[uint32]struct{}{}, true},
		{map[uint32][0]int32{}, true},
		{map[string][0]int64{}, true},
		{map[uint64][0]int64{}, true},
		{map[uint32]zeroFunc{}, !ptr8},
		{map[int32][0]uint64{}, unsafe.Alignof(uint64(0)) <= 4},
		{map[string]int16{}, false},
		{map[int16]int{}, false},
		{map[string]complex64{}, false},
		{map[string][]int{}, false},
		{map[string]error{}, false},
		{map[[2]int]int{}, false},
	} {
		if got := planOf(reflect.TypeOf(c.v)).mapFast != nil; got != c.fast {
			t.Errorf("%T: fast path %v, want %v", c.v, got, c.fast)
		}
	}
}
