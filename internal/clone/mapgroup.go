package clone

// Reading a small map's entries without an iterator.
//
// fillAnyValues looks at every value of a map[K]any once. For the small
// maps most messages carry, starting a range loop (its random start
// position, its iterator state) costs as much as the look itself. Since
// Go 1.24 a map of at most 8 entries keeps them in a single group: a
// control word of eight bytes, one per slot (the high bit set when the
// slot is empty or deleted), followed by eight slots, each a
// struct{ key K; elem V }. The map header points at that group and has a
// directory length of zero.
//
// This is the runtime's private layout, not a promise, so it is checked
// before it is trusted: at start-up, maps of known content are read both
// ways and must agree, or every map is ranged over as before. The layout
// is only ever read, never written: replacements go through a map
// assignment.

import "unsafe"

// swissMap is the head of the runtime's map header (internal/runtime/maps.Map).
type swissMap struct {
	used   uint64
	seed   uintptr
	dirPtr unsafe.Pointer // the group of a small map
	dirLen int            // 0 for a small map
}

// slot is one entry of a group of a map[K]V.
type slot[K comparable, V any] struct {
	key  K
	elem V
}

// groupSlots is the offset of the first slot in a group: after the
// control word.
const groupSlots = 8

// smallMapsReadable reports whether this runtime lays out small maps as
// described above.
var smallMapsReadable = probeSmallMaps[string]([]string{"a", "b", "c", "d", "e"}) &&
	probeSmallMaps[uint64]([]uint64{1, 2, 3, 4, 5}) &&
	probeSmallMaps[uint32]([]uint32{1, 2, 3, 4, 5})

// smallGroup returns the group of m, a map in small mode, and a mask of
// its full slots (bit i for slot i). ok is false when m is not small or
// the layout is not trusted. A nil map, or one with no group yet, has no
// entry.
func smallGroup(m unsafe.Pointer) (g unsafe.Pointer, full uint8, ok bool) {
	if !smallMapsReadable {
		return nil, 0, false
	}
	return readGroup(m)
}

// readGroup is smallGroup without the check of the layout.
func readGroup(m unsafe.Pointer) (g unsafe.Pointer, full uint8, ok bool) {
	if m == nil {
		return nil, 0, true // the nil map
	}
	h := (*swissMap)(m)
	if h.dirLen != 0 {
		return nil, 0, false
	}
	g = h.dirPtr
	if g == nil {
		return nil, 0, true
	}
	ctrl := *(*uint64)(g)
	for i := range 8 {
		if ctrl>>(8*i)&0x80 == 0 {
			full |= 1 << i
		}
	}
	return g, full, true
}

// groupSlot returns slot i of g, a group of a map[K]V.
func groupSlot[K comparable, V any](g unsafe.Pointer, i int) *slot[K, V] {
	return (*slot[K, V])(unsafe.Add(g, groupSlots+uintptr(i)*unsafe.Sizeof(slot[K, V]{})))
}

// probeSmallMaps reads maps[K]any of known content through their groups
// and reports whether every reading matches the map: the empty map, a
// map with keys[:4], and the same map after deletions.
func probeSmallMaps[K comparable](keys []K) bool {
	m := make(map[K]any)
	if !matches(m) {
		return false
	}
	for i, k := range keys[:4] {
		m[k] = i
	}
	if !matches(m) {
		return false
	}
	delete(m, keys[1])
	m[keys[4]] = "x"
	delete(m, keys[4])
	return matches(m)
}

// matches reports whether reading m through its group finds exactly its
// entries: each key once, with the very value the map holds (the same
// interface words).
func matches[K comparable](m map[K]any) bool {
	g, full, ok := readGroup(*(*unsafe.Pointer)(unsafe.Pointer(&m)))
	if !ok {
		return false
	}
	seen := make(map[K]bool, len(m))
	for i := range 8 {
		if full&(1<<i) == 0 {
			continue
		}
		s := groupSlot[K, any](g, i)
		want, in := m[s.key]
		if !in || efaceOf(&want) != efaceOf(&s.elem) || seen[s.key] {
			return false
		}
		seen[s.key] = true
	}
	return len(seen) == len(m)
}
