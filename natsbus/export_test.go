package natsbus

// Encode returns what b puts on the wire for msg posted on channel name.
func (b *Bus) Encode(name string, msg any) ([]byte, error) {
	return encodeMessage(nil, &b.reg, 0, b.id, name, msg)
}
