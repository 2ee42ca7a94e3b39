package natsbus

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/seed01aa7ee5/msgport"
)

// record is a registered type with a field of every kind, so that fuzzing
// reaches the typed decoder too.
type record struct {
	I8    int8
	U     uint
	F32   float32
	S     string
	Strs  []string
	B     []byte
	A     [2]int
	Bytes [3]byte
	M     map[string]int
	K     map[int]bool
	IK    map[any]string
	P     *record
	L     []record
	I     any
	T     time.Time
	E     error
	C     complex64
	Buf   *msgport.Buffer
	Fn    func()
}

var testReg = func() *registry {
	var r registry
	r.add(record{})
	return &r
}()

// seedValues are encoded into FuzzDecode's seeds.
func seedValues() []any {
	return []any{
		nil, true, 1, int8(-1), uint64(math.MaxUint64), 1.5, float32(2), 1 + 2i, "s", []byte("b"),
		[]any{1, "a", nil}, map[string]any{"k": []int{1}}, map[int]string{1: "x"},
		time.Unix(1, 2), time.Unix(-1, 0), io.EOF, msgport.NewBuffer([]byte("buf")),
		record{I8: 1, S: "x", Strs: []string{"a", ""}, L: []record{{U: 2}}, P: &record{}, I: record{}, K: map[int]bool{1: true}, IK: map[any]string{1: "a"}, T: time.Unix(3, 0)},
		&record{M: map[string]int{"a": 1}, E: io.EOF, C: 1i, Buf: msgport.NewBuffer(nil), Bytes: [3]byte{1, 2, 3}},
	}
}

func seedMessages(t testing.TB) [][]byte {
	var out [][]byte
	for _, v := range seedValues() {
		b, err := encodeMessage(nil, testReg, 0, "seed", "chan", v)
		if err != nil {
			t.Fatalf("seed %#v: %v", v, err)
		}
		out = append(out, b)
	}
	return append(out, nil, []byte{0x94, 0x02}, []byte{0x94, 0x01, 0xa0, 0xa0, 0xdd, 0xff, 0xff, 0xff, 0xff})
}

// FuzzDecode feeds arbitrary bytes to the envelope decoder: it must return
// an error or a value, never panic or run away; and a value it returns must
// encode again and decode to something that encodes to as many bytes.
// Encoded as a sender's own value (PublishOriginal), it must take as many
// bytes as well, or be declined as one whose clone is not a plain copy.
func FuzzDecode(f *testing.F) {
	for _, b := range seedMessages(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		h, v, err := decodeMessage(data, testReg)
		if err != nil {
			return
		}
		again, err := encodeMessage(nil, testReg, 0, string(h.sender), string(h.name), v)
		if err != nil {
			t.Fatalf("decoded %#v, which does not encode: %v", v, err)
		}
		orig, err := encodeOriginal(nil, testReg, 0, string(h.sender), string(h.name), v)
		if !errors.Is(err, errNotAsClone) && (err != nil || len(orig) != len(again)) {
			t.Fatalf("decoded %#v: encoded as an original, %d bytes (%v); as a copy, %d", v, len(orig), err, len(again))
		}
		_, v2, err := decodeMessage(again, testReg)
		if err != nil {
			t.Fatalf("re-encoded %#v, which does not decode: %v", v, err)
		}
		third, err := encodeMessage(nil, testReg, 0, string(h.sender), string(h.name), v2)
		if err != nil || len(third) != len(again) {
			t.Fatalf("second round trip: %d bytes then %d (%v)", len(again), len(third), err)
		}
	})
}

// TestWriteFuzzSeeds writes FuzzDecode's seeds to testdata/fuzz/FuzzDecode
// when NATSBUS_WRITE_SEEDS is set (after a change to the wire format).
func TestWriteFuzzSeeds(t *testing.T) {
	if os.Getenv("NATSBUS_WRITE_SEEDS") == "" {
		t.Skip("set NATSBUS_WRITE_SEEDS=1 to rewrite testdata/fuzz/FuzzDecode")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzDecode")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for i, b := range seedMessages(t) {
		body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", b)
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("seed%02d", i)), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
