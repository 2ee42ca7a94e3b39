package natsbus

import (
	"errors"
	"fmt"
)

// The envelope is a msgpack array of four: the format version, the sending
// Bus's id, the channel name, and the message.
const (
	envelopeVersion = 1
	envelopeLen     = 4
)

// header is the envelope without its message. Its fields alias the
// message's bytes.
type header struct {
	sender []byte
	name   []byte
}

// encodeMessage appends the envelope of msg to buf. It fails if msg cannot
// be encoded or its envelope would be longer than limit (0: no limit).
func encodeMessage(buf []byte, reg *registry, limit int, sender, name string, msg any) ([]byte, error) {
	return encodeEnvelope(buf, encoder{reg: reg, limit: limit}, sender, name, msg)
}

// encodeEnvelope is encodeMessage with the encoder e (its reg, limit and
// mode); the envelope goes into buf, whatever e.buf holds.
func encodeEnvelope(buf []byte, e encoder, sender, name string, msg any) ([]byte, error) {
	b := append(buf, 0x90|envelopeLen) // fixarray
	b = appendUintCompact(b, envelopeVersion)
	b, _ = appendString(b, sender)
	b, err := appendString(b, name)
	if err != nil {
		return buf, err
	}
	e.buf = b
	if err := e.encodeAny(msg, 0); err != nil {
		return buf, err
	}
	if e.limit > 0 && len(e.buf) > e.limit {
		return buf, fmt.Errorf("%w: %d bytes, the limit is %d", errTooLarge, len(e.buf), e.limit)
	}
	return e.buf, nil
}

// decodeHeader reads the envelope up to the message and returns a decoder
// positioned there.
func decodeHeader(data []byte, reg *registry) (header, decoder, error) {
	d := decoder{r: reader{b: data}, reg: reg}
	var h header
	n, err := d.r.readArrayLen()
	if err != nil {
		return h, d, fmt.Errorf("not a natsbus envelope: %w", err)
	}
	if n < 1 {
		return h, d, errors.New("not a natsbus envelope: want an array of 4")
	}
	v, err := d.r.readInt()
	if err != nil {
		return h, d, fmt.Errorf("not a natsbus envelope: version: %w", err)
	}
	if v.neg || v.u != envelopeVersion {
		return h, d, fmt.Errorf("unsupported envelope version %d (this natsbus reads version %d)", v.i, envelopeVersion)
	}
	if n != envelopeLen {
		return h, d, fmt.Errorf("malformed envelope: array of %d, want %d", n, envelopeLen)
	}
	var ok bool
	if h.sender, ok, err = d.r.readStringBytes(); err != nil || !ok {
		return h, d, fmt.Errorf("malformed envelope: sender: %w", stringError(&d, err))
	}
	if h.name, ok, err = d.r.readStringBytes(); err != nil || !ok {
		return h, d, fmt.Errorf("malformed envelope: channel name: %w", stringError(&d, err))
	}
	return h, d, nil
}

// stringError is err, or for a nil where a string belongs, an error
// saying so.
func stringError(d *decoder, err error) error {
	if err == nil {
		err = d.r.errorf("want a string, got nil")
	}
	return err
}

// decodeBody reads the message that follows the header; nothing may follow
// it.
func decodeBody(d *decoder) (any, error) {
	v, err := d.readAny(0)
	if err != nil {
		return nil, fmt.Errorf("message: %w", err)
	}
	if n := d.r.left(); n != 0 {
		return nil, fmt.Errorf("trailing data after the message (%d bytes)", n)
	}
	return v, nil
}

// decodeMessage reads a whole envelope.
func decodeMessage(data []byte, reg *registry) (header, any, error) {
	h, d, err := decodeHeader(data, reg)
	if err != nil {
		return h, d, err
	}
	v, err := decodeBody(&d)
	return h, v, err
}
