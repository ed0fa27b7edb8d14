package codec

// bitReader reads big-endian bit fields and Exp-Golomb codes from an RBSP.
//
// Reading past the end does not panic: it sets a sticky flag and yields
// zeros, so a parser can read a whole syntax section and check once. Loops
// driven by values read from the input must still be bounded by the caller,
// because zeros keep flowing after the end.
type bitReader struct {
	buf  []byte
	pos  int // in bits
	over bool
}

// bitsLeft returns the number of unread bits.
func (r *bitReader) bitsLeft() int { return len(r.buf)*8 - r.pos }

// u reads an n-bit unsigned field, n <= 32.
func (r *bitReader) u(n int) uint32 {
	if n > r.bitsLeft() {
		r.over = true
		r.pos = len(r.buf) * 8
		return 0
	}
	var v uint32
	for n > 0 {
		// Take as many bits as remain in the current byte, at most n.
		bitOff := r.pos & 7
		take := 8 - bitOff
		if take > n {
			take = n
		}
		b := uint32(r.buf[r.pos>>3]) >> (8 - bitOff - take) & (1<<take - 1)
		v = v<<take | b
		r.pos += take
		n -= take
	}
	return v
}

// flag reads one bit as a boolean.
func (r *bitReader) flag() bool { return r.u(1) == 1 }

// skip advances n bits.
func (r *bitReader) skip(n int) {
	if n > r.bitsLeft() {
		r.over = true
		r.pos = len(r.buf) * 8
		return
	}
	r.pos += n
}

// ue reads an unsigned Exp-Golomb code. H.264 never codes a ue(v) value with
// more than 31 leading zeros (the largest is 2^32-2), so a longer prefix is
// treated like running off the end: it is corrupt input, and accepting it
// would let the value overflow 32 bits.
func (r *bitReader) ue() uint32 {
	zeros := 0
	for {
		if r.bitsLeft() <= 0 {
			r.over = true
			return 0
		}
		if r.u(1) == 1 {
			break
		}
		zeros++
		if zeros > 31 {
			r.over = true
			return 0
		}
	}
	if zeros == 0 {
		return 0
	}
	return (1<<zeros - 1) + r.u(zeros)
}

// se reads a signed Exp-Golomb code.
func (r *bitReader) se() int64 {
	k := int64(r.ue())
	if k&1 == 1 {
		return (k + 1) / 2
	}
	return -k / 2
}
