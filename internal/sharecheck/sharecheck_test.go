package sharecheck

import (
	"errors"
	"reflect"
	"slices"
	"testing"
)

type node struct {
	P    *int
	S    []int
	M    map[string]*int
	I    any
	Next *node
}

func TestShared(t *testing.T) {
	x, y := 1, 2
	arr := []int{1, 2, 3, 4}
	orig := &node{P: &x, S: arr, M: map[string]*int{"k": &y}, I: errors.New("e")}
	orig.Next = orig // a cycle
	for _, tc := range []struct {
		name  string
		clone any
		want  []string
	}{
		{"deep copy", &node{P: new(int), S: []int{1, 2, 3, 4}, M: map[string]*int{"k": new(int)}}, nil},
		{"shared pointer", &node{P: &x}, []string{".P"}},
		{"slice inside the original's array", &node{S: arr[1:2]}, []string{".S"}},
		{"map value", &node{M: map[string]*int{"k": &y}}, []string{`.M["k"]`}},
		{"whole map", &node{M: orig.M}, []string{".M", `.M["k"]`}},
		{"the root", orig, []string{"", ".M", `.M["k"]`, ".S", ".P"}},
		{"errors are passed on", &node{I: orig.I}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Shared(orig, tc.clone); !slices.Equal(got, tc.want) {
				t.Errorf("Shared = %q, want %q", got, tc.want)
			}
		})
	}
	// Opaque types are not counted.
	if got := Shared(orig, &node{P: &x}, reflect.TypeFor[*int]()); got != nil {
		t.Errorf("opaque *int reported: %q", got)
	}
}
