package msgport_test

import (
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/seed01aa7ee5/msgport"
)

func ExampleStructuredClone() {
	type Task struct {
		ID   int
		Tags []string
		Err  error
	}
	orig := map[string]any{
		"task": &Task{ID: 1, Tags: []string{"urgent"}, Err: io.EOF},
		"n":    42,
	}
	orig["self"] = orig // cycles are kept

	v, err := msgport.StructuredClone(orig)
	if err != nil {
		panic(err)
	}
	c := v.(map[string]any)
	task := c["task"].(*Task)
	task.Tags[0] = "later" // the clone shares no mutable memory

	fmt.Println(orig["task"].(*Task).Tags[0], task.Tags[0])
	fmt.Println(errors.Is(task.Err, io.EOF)) // errors are passed on as they are
	fmt.Println(c["self"].(map[string]any)["n"])
	// Output:
	// urgent later
	// true
	// 42
}

func ExampleStructuredClone_error() {
	type Job struct {
		Name string
		Done func()
	}
	type Batch struct{ Jobs []Job }

	_, err := msgport.StructuredClone(Batch{Jobs: []Job{{Name: "a"}, {Name: "b"}, {Name: "c", Done: func() {}}}})
	var dce *msgport.DataCloneError
	if errors.As(err, &dce) {
		fmt.Println(dce.Path, dce.Type)
	}
	// Output:
	// .Jobs[2].Done func()
}

func ExampleClone() {
	type Counter struct {
		mu sync.Mutex
		N  map[string]int
	}
	c := &Counter{N: map[string]int{"a": 1}}
	c.mu.Lock() // held while cloning: the clone's mutex is a fresh one

	d, err := msgport.Clone(c)
	if err != nil {
		panic(err)
	}
	d.N["a"]++
	fmt.Println(c.N["a"], d.N["a"], d.mu.TryLock())
	c.mu.Unlock()
	// Output:
	// 1 2 true
}
