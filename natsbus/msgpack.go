package natsbus

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/vmihailenco/msgpack/v5/msgpcode"
)

// This file holds the msgpack primitives: appending values to a byte slice
// and reading them back with every length checked against the bytes that
// are left. No input, however hostile, makes the reader index out of range
// or return a length longer than the bytes left, so a container is never
// made for more elements than the input has bytes (each element may still
// take many more bytes in memory than on the wire: see decoder). The
// format is standard msgpack
// (https://github.com/msgpack/msgpack/blob/master/spec.md); the tests
// check it against github.com/vmihailenco/msgpack/v5.

// Extension types. -1 is msgpack's own timestamp; the others are natsbus's.
const (
	extTime       int8 = -1
	extStruct     int8 = 1 // registered struct value: type name, field map
	extStructPtr  int8 = 2 // pointer to a registered struct: type name, field map
	extError      int8 = 3 // error value: its text
	extBuffer     int8 = 4 // *msgport.Buffer: its bytes
	extComplex64  int8 = 5 // two big-endian float32
	extComplex128 int8 = 6 // two big-endian float64
)

func appendNil(b []byte) []byte { return append(b, msgpcode.Nil) }

func appendBool(b []byte, v bool) []byte {
	if v {
		return append(b, msgpcode.True)
	}
	return append(b, msgpcode.False)
}

func appendInt8(b []byte, v int8) []byte { return append(b, msgpcode.Int8, byte(v)) }
func appendInt16(b []byte, v int16) []byte {
	return binary.BigEndian.AppendUint16(append(b, msgpcode.Int16), uint16(v))
}
func appendInt32(b []byte, v int32) []byte {
	return binary.BigEndian.AppendUint32(append(b, msgpcode.Int32), uint32(v))
}
func appendInt64(b []byte, v int64) []byte {
	return binary.BigEndian.AppendUint64(append(b, msgpcode.Int64), uint64(v))
}

// appendInt appends an int or int64: a fixint from -32 to 127 (one byte),
// else the 64-bit form. Both arrive as int64 where the table decides, as
// the 8-, 16- and 32-bit forms would not (they keep their size).
func appendInt(b []byte, v int64) []byte {
	if v >= -32 && v <= 127 {
		return append(b, byte(v))
	}
	return appendInt64(b, v)
}
func appendUint8(b []byte, v uint8) []byte { return append(b, msgpcode.Uint8, v) }
func appendUint16(b []byte, v uint16) []byte {
	return binary.BigEndian.AppendUint16(append(b, msgpcode.Uint16), v)
}
func appendUint32(b []byte, v uint32) []byte {
	return binary.BigEndian.AppendUint32(append(b, msgpcode.Uint32), v)
}
func appendUint64(b []byte, v uint64) []byte {
	return binary.BigEndian.AppendUint64(append(b, msgpcode.Uint64), v)
}
func appendFloat32(b []byte, v float32) []byte {
	return binary.BigEndian.AppendUint32(append(b, msgpcode.Float), math.Float32bits(v))
}
func appendFloat64(b []byte, v float64) []byte {
	return binary.BigEndian.AppendUint64(append(b, msgpcode.Double), math.Float64bits(v))
}

func appendComplex64(b []byte, c complex64) []byte {
	b = append(b, msgpcode.FixExt8, byte(extComplex64))
	b = binary.BigEndian.AppendUint32(b, math.Float32bits(real(c)))
	return binary.BigEndian.AppendUint32(b, math.Float32bits(imag(c)))
}

func appendComplex128(b []byte, c complex128) []byte {
	b = append(b, msgpcode.FixExt16, byte(extComplex128))
	b = binary.BigEndian.AppendUint64(b, math.Float64bits(real(c)))
	return binary.BigEndian.AppendUint64(b, math.Float64bits(imag(c)))
}

// appendUintCompact appends v in its smallest encoding (used for the
// envelope's version only).
func appendUintCompact(b []byte, v uint64) []byte {
	if v <= uint64(msgpcode.PosFixedNumHigh) {
		return append(b, byte(v))
	}
	return appendUint64(b, v)
}

// appendLen appends a length header: the fix form when n fits in mask, else
// the 8-bit form when c8 is non-zero, else the 16- or 32-bit form.
func appendLen(b []byte, n int, fix byte, mask int, c8, c16, c32 byte) ([]byte, error) {
	switch {
	case n <= mask:
		return append(b, fix|byte(n)), nil
	case c8 != 0 && n <= math.MaxUint8:
		return append(b, c8, byte(n)), nil
	case n <= math.MaxUint16:
		return binary.BigEndian.AppendUint16(append(b, c16), uint16(n)), nil
	case uint64(n) <= math.MaxUint32:
		return binary.BigEndian.AppendUint32(append(b, c32), uint32(n)), nil
	}
	return b, fmt.Errorf("length %d exceeds msgpack's limit", n)
}

func appendString(b []byte, s string) ([]byte, error) {
	b, err := appendLen(b, len(s), msgpcode.FixedStrLow, 31, msgpcode.Str8, msgpcode.Str16, msgpcode.Str32)
	return append(b, s...), err
}

func appendBinHeader(b []byte, n int) ([]byte, error) {
	if n <= math.MaxUint8 {
		return append(b, msgpcode.Bin8, byte(n)), nil
	}
	return appendLen(b, n, 0, -1, 0, msgpcode.Bin16, msgpcode.Bin32)
}

func appendArrayLen(b []byte, n int) ([]byte, error) {
	return appendLen(b, n, msgpcode.FixedArrayLow, 15, 0, msgpcode.Array16, msgpcode.Array32)
}

func appendMapLen(b []byte, n int) ([]byte, error) {
	return appendLen(b, n, msgpcode.FixedMapLow, 15, 0, msgpcode.Map16, msgpcode.Map32)
}

// appendExtStart appends an ext32 header whose length is patched by
// finishExt once the body is written; it returns where the body starts.
func appendExtStart(b []byte, typ int8) ([]byte, int) {
	b = append(b, msgpcode.Ext32, 0, 0, 0, 0, byte(typ))
	return b, len(b)
}

// finishExt writes the length of the extension whose body starts at start
// and runs to the end of b. A body of up to 255 bytes gets the ext8 header
// instead, three bytes shorter, and moves down to it: nothing may hold an
// offset into the body by then.
func finishExt(b []byte, start int) ([]byte, error) {
	n := len(b) - start
	if n <= math.MaxUint8 {
		h := start - 6 // the header: Ext32, four length bytes, the type
		b[h], b[h+1], b[h+2] = msgpcode.Ext8, byte(n), b[start-1]
		copy(b[h+3:], b[start:])
		return b[:len(b)-3], nil
	}
	if uint64(n) > math.MaxUint32 {
		return b, fmt.Errorf("extension length %d exceeds msgpack's limit", n)
	}
	binary.BigEndian.PutUint32(b[start-5:start-1], uint32(n))
	return b, nil
}

// appendTime appends t as a msgpack timestamp (extension -1), in the
// smallest of its three forms.
func appendTime(b []byte, t time.Time) []byte {
	sec, nsec := t.Unix(), uint64(t.Nanosecond())
	switch {
	case sec>>32 == 0 && nsec == 0:
		b = append(b, msgpcode.FixExt4, 0xff)
		return binary.BigEndian.AppendUint32(b, uint32(sec))
	case sec>>34 == 0:
		b = append(b, msgpcode.FixExt8, 0xff)
		return binary.BigEndian.AppendUint64(b, nsec<<34|uint64(sec))
	}
	b = append(b, msgpcode.Ext8, 12, 0xff)
	b = binary.BigEndian.AppendUint32(b, uint32(nsec))
	return binary.BigEndian.AppendUint64(b, uint64(sec))
}

// errShort reports input that ends inside a value.
var errShort = errors.New("unexpected end of data")

// reader reads msgpack from b, starting at off.
type reader struct {
	b   []byte
	off int
}

// errorf returns an error that says at which byte the problem is.
func (r *reader) errorf(format string, args ...any) error {
	return fmt.Errorf("at byte %d: %w", r.off, fmt.Errorf(format, args...))
}

func (r *reader) left() int { return len(r.b) - r.off }

func (r *reader) peek() (byte, error) {
	if r.off >= len(r.b) {
		return 0, r.errorf("%w", errShort)
	}
	return r.b[r.off], nil
}

func (r *reader) next(n int) ([]byte, error) {
	if n < 0 || n > r.left() {
		return nil, r.errorf("%w: need %d bytes, have %d", errShort, n, r.left())
	}
	p := r.b[r.off : r.off+n : r.off+n]
	r.off += n
	return p, nil
}

func (r *reader) uintN(size int) (uint64, error) {
	p, err := r.next(size)
	if err != nil {
		return 0, err
	}
	switch size {
	case 1:
		return uint64(p[0]), nil
	case 2:
		return uint64(binary.BigEndian.Uint16(p)), nil
	case 4:
		return uint64(binary.BigEndian.Uint32(p)), nil
	}
	return binary.BigEndian.Uint64(p), nil
}

// number is an integer read from the wire, with the code that carried it.
type number struct {
	code byte
	neg  bool   // the value is negative: i holds it
	i    int64  // the value, when it fits int64
	u    uint64 // the value, when not negative
}

// isInt reports whether c starts an integer.
func isInt(c byte) bool {
	return msgpcode.IsFixedNum(c) || (c >= msgpcode.Uint8 && c <= msgpcode.Int64)
}

// readInt reads an integer in any of msgpack's forms.
func (r *reader) readInt() (number, error) {
	c, err := r.peek()
	if err != nil {
		return number{}, err
	}
	r.off++
	n := number{code: c}
	switch {
	case c <= msgpcode.PosFixedNumHigh:
		n.i, n.u = int64(c), uint64(c)
		return n, nil
	case c >= msgpcode.NegFixedNumLow:
		n.i, n.neg = int64(int8(c)), true
		return n, nil
	case c >= msgpcode.Uint8 && c <= msgpcode.Uint64:
		v, err := r.uintN(1 << (c - msgpcode.Uint8))
		n.u, n.i = v, int64(v)
		return n, err
	case c >= msgpcode.Int8 && c <= msgpcode.Int64:
		size := 1 << (c - msgpcode.Int8)
		v, err := r.uintN(size)
		switch size {
		case 1:
			n.i = int64(int8(v))
		case 2:
			n.i = int64(int16(v))
		case 4:
			n.i = int64(int32(v))
		default:
			n.i = int64(v)
		}
		n.neg, n.u = n.i < 0, uint64(n.i)
		return n, err
	}
	r.off--
	return number{}, r.errorf("want an integer, got %s", codeName(c))
}

// readLen reads a header of the kind described: fix codes from fixLow to
// fixLow+mask, then the 8-, 16- and 32-bit forms (c8 may be 0 for none).
// It also accepts nil, returning -1.
func (r *reader) readLen(what string, fixLow byte, mask byte, c8, c16, c32 byte) (int, error) {
	c, err := r.peek()
	if err != nil {
		return 0, err
	}
	var size int
	switch {
	case c == msgpcode.Nil:
		r.off++
		return -1, nil
	case mask != 0 && c >= fixLow && c <= fixLow|mask:
		r.off++
		return int(c & mask), nil
	case c8 != 0 && c == c8:
		size = 1
	case c == c16:
		size = 2
	case c == c32:
		size = 4
	default:
		return 0, r.errorf("want %s, got %s", what, codeName(c))
	}
	r.off++
	n, err := r.uintN(size)
	if err != nil {
		return 0, err
	}
	if n > uint64(r.left()) {
		// Every element takes at least one byte (and every byte of a
		// string one byte), so a longer claim is a lie.
		return 0, r.errorf("%s of length %d in %d remaining bytes", what, n, r.left())
	}
	return int(n), nil
}

func (r *reader) readArrayLen() (int, error) {
	return r.readLen("an array", msgpcode.FixedArrayLow, 0x0f, 0, msgpcode.Array16, msgpcode.Array32)
}

func (r *reader) readMapLen() (int, error) {
	n, err := r.readLen("a map", msgpcode.FixedMapLow, 0x0f, 0, msgpcode.Map16, msgpcode.Map32)
	if err == nil && n > r.left()/2 {
		return 0, r.errorf("map of %d entries in %d remaining bytes", n, r.left())
	}
	return n, err
}

// readStringBytes reads a str (or bin) and returns its bytes, which alias
// the input. ok is false for nil.
func (r *reader) readStringBytes() (p []byte, ok bool, err error) {
	c, err := r.peek()
	if err != nil {
		return nil, false, err
	}
	var n int
	if msgpcode.IsBin(c) {
		n, err = r.readLen("a string", 0, 0, msgpcode.Bin8, msgpcode.Bin16, msgpcode.Bin32)
	} else {
		n, err = r.readLen("a string", msgpcode.FixedStrLow, 0x1f, msgpcode.Str8, msgpcode.Str16, msgpcode.Str32)
	}
	if err != nil || n < 0 {
		return nil, false, err
	}
	p, err = r.next(n)
	return p, true, err
}

func (r *reader) readString() (string, error) {
	p, ok, err := r.readStringBytes()
	if err == nil && !ok {
		return "", r.errorf("want a string, got nil")
	}
	return string(p), err
}

// readExtHeader reads an extension header (the code must be one).
func (r *reader) readExtHeader() (typ int8, n int, err error) {
	c, err := r.peek()
	if err != nil {
		return 0, 0, err
	}
	switch c {
	case msgpcode.FixExt1, msgpcode.FixExt2, msgpcode.FixExt4, msgpcode.FixExt8, msgpcode.FixExt16:
		r.off++
		n = 1 << (c - msgpcode.FixExt1)
	case msgpcode.Ext8, msgpcode.Ext16, msgpcode.Ext32:
		r.off++
		v, err := r.uintN(1 << (c - msgpcode.Ext8))
		if err != nil {
			return 0, 0, err
		}
		if v >= uint64(r.left()) {
			return 0, 0, r.errorf("extension of length %d in %d remaining bytes", v, r.left())
		}
		n = int(v)
	default:
		return 0, 0, r.errorf("want an extension, got %s", codeName(c))
	}
	t, err := r.next(1)
	if err != nil {
		return 0, 0, err
	}
	if n > r.left() {
		return 0, 0, r.errorf("%w: extension of length %d in %d remaining bytes", errShort, n, r.left())
	}
	return int8(t[0]), n, nil
}

// parseTime decodes the body of a msgpack timestamp.
func parseTime(p []byte) (time.Time, error) {
	var sec int64
	var nsec uint64
	switch len(p) {
	case 4:
		sec = int64(binary.BigEndian.Uint32(p))
	case 8:
		v := binary.BigEndian.Uint64(p)
		sec, nsec = int64(v&(1<<34-1)), v>>34
	case 12:
		nsec, sec = uint64(binary.BigEndian.Uint32(p)), int64(binary.BigEndian.Uint64(p[4:]))
	default:
		return time.Time{}, fmt.Errorf("timestamp of %d bytes (want 4, 8 or 12)", len(p))
	}
	if nsec >= 1e9 {
		return time.Time{}, fmt.Errorf("timestamp with %d nanoseconds", nsec)
	}
	return time.Unix(sec, int64(nsec)).UTC(), nil
}

// codeName names what a msgpack code starts, for error messages.
func codeName(c byte) string {
	switch {
	case c == msgpcode.Nil:
		return "nil"
	case c == msgpcode.True || c == msgpcode.False:
		return "a bool"
	case isInt(c):
		return "an integer"
	case c == msgpcode.Float || c == msgpcode.Double:
		return "a float"
	case msgpcode.IsString(c):
		return "a string"
	case msgpcode.IsBin(c):
		return "bytes"
	case msgpcode.IsFixedArray(c) || c == msgpcode.Array16 || c == msgpcode.Array32:
		return "an array"
	case msgpcode.IsFixedMap(c) || c == msgpcode.Map16 || c == msgpcode.Map32:
		return "a map"
	case msgpcode.IsExt(c):
		return "an extension"
	}
	return fmt.Sprintf("invalid code 0x%02x", c)
}
