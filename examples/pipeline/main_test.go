package main

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestRun(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	text := "The cat and the dog.\nA dog, a cat, a bird!\n\nDog's day."
	var out bytes.Buffer
	if err := run(ctx, strings.NewReader(text), 3, &out); err != nil {
		t.Fatal(err)
	}
	want := `stages:   split words → drop stop words → count
lines:    4
words:    13 (7 kept)
distinct: 5
top 3:
     2  cat
     2  dog
     1  bird
`
	if out.String() != want {
		t.Errorf("output:\n%s\nwant:\n%s", out.String(), want)
	}
}

func TestRunSample(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), strings.NewReader(sample), 1, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "lines:    8\n") || !strings.Contains(out.String(), "     4  stage\n") {
		t.Errorf("output:\n%s", out.String())
	}
}

// A reader that fails stops the pipeline with its error.
func TestRunReadError(t *testing.T) {
	errRead := errors.New("disk on fire")
	var out bytes.Buffer
	err := run(context.Background(), &failingReader{strings.NewReader("one line\n"), errRead}, 3, &out)
	if !errors.Is(err, errRead) || out.Len() != 0 {
		t.Fatalf("run = %v, output %q; want the read error and no output", err, out.String())
	}
}

type failingReader struct {
	r   *strings.Reader
	err error
}

func (f *failingReader) Read(p []byte) (int, error) {
	if f.r.Len() > 0 {
		return f.r.Read(p)
	}
	return 0, f.err
}
