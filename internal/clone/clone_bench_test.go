package clone

// Benchmarks, each beside its floor in the same run: a hand-written copy
// function for the exact type, and github.com/huandu/go-clone's Slowly
// (the reflection-based deep copier that, like this package, keeps
// identity and cycles).
//
//	go test -run='^$' -bench=Clone -benchmem ./internal/clone/
//	go test -run='^$' -bench=Clone -benchmem -tags clone_nolinkname ./internal/clone/

import (
	"fmt"
	"strconv"
	"testing"

	goclone "github.com/huandu/go-clone"
)

// Item is the "small struct" of the benchmarks.
type Item struct {
	ID   int
	Name string
	Tags []string
	Meta map[string]any
}

func newItem(i int) Item {
	return Item{
		ID:   i,
		Name: "item-" + strconv.Itoa(i),
		Tags: []string{"red", "green", "blue"},
		Meta: map[string]any{"owner": "ann", "count": 42, "ok": true, "ratio": 0.5},
	}
}

// copyItem is the hand-written deep copy of an Item. Meta's values go
// through copyAny, as they must for a correct deep copy of map[string]any.
func copyItem(it Item) Item {
	c := it
	if it.Tags != nil {
		c.Tags = make([]string, len(it.Tags))
		copy(c.Tags, it.Tags)
	}
	if it.Meta != nil {
		c.Meta = make(map[string]any, len(it.Meta))
		for k, v := range it.Meta {
			c.Meta[k] = copyAny(v)
		}
	}
	return c
}

func copyAny(v any) any {
	switch x := v.(type) {
	case []any:
		c := make([]any, len(x))
		for i, e := range x {
			c[i] = copyAny(e)
		}
		return c
	case map[string]any:
		c := make(map[string]any, len(x))
		for k, e := range x {
			c[k] = copyAny(e)
		}
		return c
	case []byte:
		return append([]byte(nil), x...)
	default:
		return v
	}
}

func copyItems(items []Item) []Item {
	c := make([]Item, len(items))
	for i, it := range items {
		c[i] = copyItem(it)
	}
	return c
}

// flat is the pointer-free struct of the benchmarks.
type flat struct {
	ID    int64
	X, Y  float64
	Flags [8]bool
	Code  uint32
}

var (
	sink     any
	boxedInt any = 12345
)

func BenchmarkClone(b *testing.B) {
	item := newItem(1)
	items := make([]Item, 100)
	for i := range items {
		items[i] = newItem(i)
	}
	fl := flat{ID: 1, X: 2, Y: 3, Code: 4}
	buf := make([]byte, 1024)
	doc := map[string]any{
		"id": 7, "name": "doc", "score": 9.5, "tags": []any{"a", "b", "c"},
		"owner": map[string]any{"name": "ann", "age": 31},
		"items": []any{map[string]any{"n": 1}, map[string]any{"n": 2}},
	}

	run := func(name string, fns map[string]func()) {
		b.Run(name, func(b *testing.B) {
			for _, impl := range []string{"msgport", "handwritten", "goclone"} {
				fn := fns[impl]
				if fn == nil {
					continue
				}
				b.Run(impl, func(b *testing.B) {
					b.ReportAllocs()
					for b.Loop() {
						fn()
					}
				})
			}
		})
	}
	run("small", map[string]func(){
		"msgport":     func() { c, _ := Typed(item); sink = c.Meta },
		"handwritten": func() { c := copyItem(item); sink = c.Meta },
		"goclone":     func() { c := goclone.Slowly(item).(Item); sink = c.Meta },
	})
	run("slice100", map[string]func(){
		"msgport":     func() { c, _ := Typed(items); sink = &c[0] },
		"handwritten": func() { c := copyItems(items); sink = &c[0] },
		"goclone":     func() { c := goclone.Slowly(items).([]Item); sink = &c[0] },
	})
	run("flat", map[string]func(){
		"msgport":     func() { c, _ := Typed(fl); sink = c.Code },
		"handwritten": func() { c := fl; sink = c.Code },
		"goclone":     func() { c := goclone.Slowly(fl).(flat); sink = c.Code },
	})
	run("bytes1k", map[string]func(){
		"msgport":     func() { c, _ := Typed(buf); sink = &c[0] },
		"handwritten": func() { c := append([]byte(nil), buf...); sink = &c[0] },
		"goclone":     func() { c := goclone.Slowly(buf).([]byte); sink = &c[0] },
	})
	run("mapany", map[string]func(){
		"msgport":     func() { c, _ := Typed(doc); sink = c },
		"handwritten": func() { sink = copyAny(doc) },
		"goclone":     func() { sink = goclone.Slowly(doc) },
	})
	run("value-int", map[string]func(){
		"msgport":     func() { c, _ := Value(boxedInt, nil); sink = c },
		"handwritten": func() { sink = boxedInt },
	})
}

func BenchmarkDeepList(b *testing.B) {
	for _, n := range []int{1000, 1_000_000} {
		var head *node
		for i := range n {
			head = &node{V: i, Next: head}
		}
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				c, _ := Typed(head)
				sink = c
			}
		})
	}
}
