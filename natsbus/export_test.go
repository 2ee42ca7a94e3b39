package natsbus

// Encode returns what b puts on the wire for msg posted on channel name.
func (b *Bus) Encode(name string, msg any) ([]byte, error) {
	return b.AppendEncoded(nil, name, msg)
}

// AppendEncoded appends what b puts on the wire for msg to buf.
func (b *Bus) AppendEncoded(buf []byte, name string, msg any) ([]byte, error) {
	return encodeMessage(buf, &b.reg, 0, b.id, name, msg)
}

// AppendEncodedOriginal appends what b puts on the wire for msg posted on
// channel name when it encodes the sender's own value (PublishOriginal).
func (b *Bus) AppendEncodedOriginal(buf []byte, name string, msg any) ([]byte, error) {
	return encodeOriginal(buf, &b.reg, 0, b.id, name, msg)
}

// Pending returns how many messages of channel name nats.go holds for b,
// counting the one being delivered until its delivery loop has moved on.
func (b *Bus) Pending(name string) int {
	b.mu.RLock()
	t := b.topics[name]
	b.mu.RUnlock()
	if t == nil {
		return 0
	}
	n, _, _ := t.sub.Pending()
	return n
}

// Decode reads what Encode wrote, as a subscriber of b would.
func (b *Bus) Decode(data []byte) (any, error) {
	_, v, err := decodeMessage(data, &b.reg)
	return v, err
}
