package msgport_test

// Benchmarks of the public clone API (msgport.Clone, msgport.StructuredClone),
// each beside a hand-written copy (the floor) and github.com/huandu/go-clone
// (the nearest peer) in the same run:
//
//	BenchmarkClone/{small,slice100}/{msgport,msgport-any,handwritten,goclone}
//	BenchmarkClone/flat/{msgport-any,handwritten}        pointer-free: 1 alloc
//	BenchmarkCloneSize/bytes/N/{msgport,handwritten}     N = 1 B … 1 MB
//	BenchmarkCloneSize/items/N/{msgport,handwritten}     N = 1 … 10,000 benchItems
//
// msgport is Clone[T] (typed); msgport-any is StructuredClone (through an
// interface, as PostMessage clones). The engine's own micro-benchmarks live
// in internal/clone.

import (
	"strconv"
	"testing"

	goclone "github.com/huandu/go-clone"

	"github.com/seed01aa7ee5/msgport"
)

func BenchmarkClone(b *testing.B) {
	small := newBenchItem(1)
	slice := newBenchItems(100)
	b.Run("small/msgport", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			v, err := msgport.Clone(small)
			if err != nil {
				b.Fatal(err)
			}
			sinkItem = v
		}
	})
	b.Run("small/msgport-any", func(b *testing.B) { benchStructuredClone(b, small) })
	b.Run("small/handwritten", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			sinkItem = copyBenchItem(small)
		}
	})
	b.Run("small/goclone", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			sinkItem = goclone.Slowly(small).(benchItem)
		}
	})
	b.Run("slice100/msgport", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			v, err := msgport.Clone(slice)
			if err != nil {
				b.Fatal(err)
			}
			sinkItems = v
		}
	})
	b.Run("slice100/msgport-any", func(b *testing.B) { benchStructuredClone(b, slice) })
	b.Run("slice100/handwritten", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			sinkItems = copyBenchItems(slice)
		}
	})
	b.Run("slice100/goclone", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			sinkItems = goclone.Slowly(slice).([]benchItem)
		}
	})
	flat := benchFlat{ID: 7, X: 1, Y: 2, Counts: [8]int32{1, 2, 3}}
	b.Run("flat/msgport-any", func(b *testing.B) { benchStructuredClone(b, flat) })
	b.Run("flat/handwritten", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			c := flat
			sinkAny = c // boxing: the one allocation a clone into `any` needs
		}
	})
}

func benchStructuredClone(b *testing.B, v any) {
	b.ReportAllocs()
	for b.Loop() {
		out, err := msgport.StructuredClone(v)
		if err != nil {
			b.Fatal(err)
		}
		sinkAny = out
	}
}

// cloneBytes and cloneItems are the sizes of BenchmarkCloneSize.
var (
	cloneBytes = []int{1, 16, 256, 4 << 10, 64 << 10, 1 << 20}
	cloneItems = []int{1, 10, 100, 1_000, 10_000}
)

// BenchmarkCloneSize measures how the cost of a clone grows with the
// payload: a []byte from 1 B to 1 MB (SetBytes, so MB/s is reported), and a
// []benchItem from 1 to 10,000 elements.
func BenchmarkCloneSize(b *testing.B) {
	for _, n := range cloneBytes {
		src := make([]byte, n)
		for i := range src {
			src[i] = byte(i)
		}
		b.Run("bytes/"+strconv.Itoa(n)+"/msgport", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(n))
			for b.Loop() {
				v, err := msgport.Clone(src)
				if err != nil {
					b.Fatal(err)
				}
				sinkBytes = v
			}
		})
		b.Run("bytes/"+strconv.Itoa(n)+"/handwritten", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(n))
			for b.Loop() {
				sinkBytes = append([]byte(nil), src...)
			}
		})
	}
	for _, n := range cloneItems {
		src := newBenchItems(n)
		b.Run("items/"+strconv.Itoa(n)+"/msgport", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				v, err := msgport.Clone(src)
				if err != nil {
					b.Fatal(err)
				}
				sinkItems = v
			}
		})
		b.Run("items/"+strconv.Itoa(n)+"/handwritten", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				sinkItems = copyBenchItems(src)
			}
		})
	}
}
