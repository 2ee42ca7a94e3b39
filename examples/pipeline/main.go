// Command pipeline counts words with a three-stage msgport.Pipeline:
//
//	lines → [split into words] → [drop stop words] → [count] → summary
//
// Each stage is a goroutine; the stages talk only through message ports, so
// each gets its own copy of what the previous one made. The main goroutine
// posts the input's lines on the pipeline's In and closes it at the end of
// the input; the closing travels down the stages, and the last one, which
// aggregates, posts its summary on Out when its input ends.
//
//	go run ./examples/pipeline                        # a built-in text
//	go run ./examples/pipeline -top 5 -file - < file  # standard input
//	go run ./examples/pipeline -file README.md
package main

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"unicode"

	"github.com/seed01aa7ee5/msgport"
)

// sample is the text used when no file is given.
const sample = `A message port is one end of a channel.
What is posted on one port arrives on the other, as a copy:
the sender and the receiver share no memory, so neither can
change what the other holds. A pipeline is a chain of ports,
with a goroutine between each pair. Each stage takes a message,
makes something of it, and posts the result on the next port.
When the input ends, the end travels down the chain, stage by stage.
When a stage fails, the stages before it are told to stop.`

// stopWords are dropped by the second stage.
var stopWords = map[string]bool{
	"a": true, "an": true, "and": true, "are": true, "as": true, "at": true,
	"by": true, "can": true, "each": true, "is": true, "it": true, "of": true,
	"on": true, "or": true, "so": true, "the": true, "to": true, "what": true,
	"when": true, "with": true, "be": true, "in": true,
}

// WordCount is one line of the summary.
type WordCount struct {
	Word  string
	Count int
}

// Summary is what the last stage posts when its input ends.
type Summary struct {
	Lines, Words, Kept int
	Distinct           int
	Top                []WordCount
}

func main() {
	file := flag.String("file", "", "text file to read (- for standard input; default: a built-in text)")
	top := flag.Int("top", 10, "how many of the most frequent words to show")
	flag.Parse()

	var in io.Reader = strings.NewReader(sample)
	switch *file {
	case "":
	case "-":
		in = os.Stdin
	default:
		f, err := os.Open(*file)
		if err != nil {
			fmt.Fprintln(os.Stderr, "pipeline:", err)
			os.Exit(1)
		}
		defer f.Close()
		in = f
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, in, *top, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "pipeline:", err)
		os.Exit(1)
	}
}

// run feeds the lines of r through the pipeline and prints the summary on
// out.
func run(ctx context.Context, r io.Reader, top int, out io.Writer) error {
	p := msgport.NewPipeline(ctx, []msgport.Stage{
		msgport.MapStage(splitWords),
		msgport.MapStage(dropStopWords),
		countWords(top),
	}, msgport.WithCapacity(64)) // a slow stage holds the reader back

	// The source: post every line, then close In to end the input. A
	// failing stage makes PostMessage return ErrClosed; Wait says why.
	scan := bufio.NewScanner(r)
	for scan.Scan() {
		if err := p.In.PostMessageContext(ctx, scan.Text()); err != nil {
			break
		}
	}
	p.In.Close()

	var summary *Summary
	for ev := range p.Out.Messages(ctx) {
		s := ev.Data.(Summary)
		summary = &s
	}
	if err := errors.Join(scan.Err(), p.Wait()); err != nil {
		return err
	}
	if summary == nil {
		return ctx.Err()
	}
	fmt.Fprintln(out, "stages:   split words → drop stop words → count")
	fmt.Fprintf(out, "lines:    %d\n", summary.Lines)
	fmt.Fprintf(out, "words:    %d (%d kept)\n", summary.Words, summary.Kept)
	fmt.Fprintf(out, "distinct: %d\n", summary.Distinct)
	fmt.Fprintf(out, "top %d:\n", len(summary.Top))
	for _, wc := range summary.Top {
		fmt.Fprintf(out, "%6d  %s\n", wc.Count, wc.Word)
	}
	return nil
}

// words is what the first two stages pass on: the words of one line, and
// how many the line had before any was dropped.
type words struct {
	List  []string
	Total int
}

// splitWords, the first stage, turns a line into its lower-case words.
func splitWords(_ context.Context, line string) (words, error) {
	list := strings.FieldsFunc(strings.ToLower(line), func(r rune) bool {
		return !unicode.IsLetter(r) && r != '\''
	})
	return words{List: list, Total: len(list)}, nil
}

// dropStopWords, the second stage, keeps the words that say something. It
// changes its own copy of the list: the first stage's is not affected.
func dropStopWords(_ context.Context, w words) (words, error) {
	w.List = slices.DeleteFunc(w.List, func(s string) bool { return stopWords[s] })
	return w, nil
}

// countWords, the last stage, aggregates: it counts until its input ends,
// then posts one Summary with the top most frequent words.
func countWords(top int) msgport.Stage {
	return func(ctx context.Context, in, out *msgport.MessagePort) error {
		var s Summary
		counts := map[string]int{}
		for ev := range in.Messages(ctx) {
			w := ev.Data.(words)
			s.Lines++
			s.Words += w.Total
			s.Kept += len(w.List)
			for _, word := range w.List {
				counts[word]++
			}
		}
		if err := ctx.Err(); err != nil {
			return err // stopped, not finished: no summary
		}
		s.Distinct = len(counts)
		for word, n := range counts {
			s.Top = append(s.Top, WordCount{word, n})
		}
		slices.SortFunc(s.Top, func(a, b WordCount) int {
			return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Word, b.Word))
		})
		s.Top = s.Top[:max(0, min(top, len(s.Top)))]
		return out.PostMessage(s)
	}
}
