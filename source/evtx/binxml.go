package evtx

import (
	"encoding/binary"
	"fmt"
)

// Binary XML tokens (MS-EVEN6 2.2.12). The 0x40 bit means "has attributes"
// on open start element tokens and "more follow" on attribute/value tokens.
const (
	tokEOF             = 0x00
	tokOpenStart       = 0x01
	tokCloseStart      = 0x02
	tokCloseEmpty      = 0x03
	tokEndElement      = 0x04
	tokValue           = 0x05
	tokAttribute       = 0x06
	tokCDATA           = 0x07
	tokCharRef         = 0x08
	tokEntityRef       = 0x09
	tokPITarget        = 0x0a
	tokPIData          = 0x0b
	tokTemplate        = 0x0c
	tokSubstitution    = 0x0d
	tokOptSubstitution = 0x0e
	tokFragmentHeader  = 0x0f
	tokMoreBit         = 0x40
)

// Limits that keep hostile input from exhausting the stack or memory.
const (
	maxDepth       = 64      // nested elements + templates + nested binary XML
	maxNodes       = 20000   // nodes produced when one record is resolved
	maxTextBytes   = 4 << 20 // text produced when one record is resolved
	maxValues      = 4096    // substitution values of one template instance
	maxNameChars   = 4096
	maxAttributes  = 1024
	maxTemplateTry = 4 // nested template definitions being decoded at once
)

type nodeKind uint8

const (
	kindElement nodeKind = iota
	kindText
	kindCDATA
	kindCharRef
	kindEntityRef
	kindPI
	kindSubstitution
	kindTemplate
)

// node is one item of decoded binary XML, before substitution values are applied.
type node struct {
	kind     nodeKind
	name     string // element, entity, PI target
	text     string // text, CDATA, PI data
	char     uint16 // character reference
	attrs    []attribute
	children []*node
	// substitution
	substID  uint16
	substTyp uint8
	optional bool
	// template instance
	tmpl   *template
	values []value
}

type attribute struct {
	name  string
	value []*node
}

type template struct {
	offset uint32
	nodes  []*node
	plan   *plan // for the fast path, compiled on first use
}

// chunkDecoder decodes the binary XML of one chunk; names and templates are
// cached by their offset in the chunk, as the format references them so.
type chunkDecoder struct {
	data      []byte // the whole chunk
	base      int64  // file offset of the chunk, for problems
	names     map[uint32]string
	templates map[uint32]*template
	failed    map[uint32]error // templates that did not decode: decoding again on every use could take exponential time
	decoding  map[uint32]bool  // templates being decoded (cycle guard)

	ws      *workspace // the fast path's buffers, while the chunk is decoded
	generic bool       // no fast path (tests compare the two)

	// The nodes of templates, and their lists, are allocated in blocks,
	// reused when the decoder goes on to another chunk: a template has
	// dozens of nodes, a chunk a dozen templates, and every chunk defines
	// its templates again. Other nodes (a record's own, decoded again for
	// each XML()) are left to the garbage collector. Lists are gathered in
	// pending first.
	inTemplate   int
	nodes        blocks[node]
	lists        blocks[*node]
	attrs        blocks[attribute]
	pending      []*node
	pendingAttrs []attribute

	shared  map[string]string // see sharedText; kept by reset
	scratch []byte
}

func newChunkDecoder(data []byte, base int64) *chunkDecoder {
	return &chunkDecoder{data: data, base: base, names: map[uint32]string{}, templates: map[uint32]*template{}, failed: map[uint32]error{}, decoding: map[uint32]bool{},
		shared: map[string]string{}}
}

// reset readies the decoder for another chunk, read into the same buffer.
func (d *chunkDecoder) reset(base int64) {
	d.base = base
	clear(d.names)
	clear(d.templates)
	clear(d.failed)
	clear(d.decoding)
	d.nodes.reset()
	d.lists.reset()
	d.attrs.reset()
	d.pending, d.pendingAttrs = d.pending[:0], d.pendingAttrs[:0]
	d.ws, d.generic = nil, false
}

// blocks hands out zeroed slices from blocks of size elements.
type blocks[T any] struct {
	all  [][]T
	used int // blocks handed out since the last reset
	cur  []T
}

func (b *blocks[T]) take(n, size int) []T {
	if n > size {
		return make([]T, n)
	}
	if cap(b.cur)-len(b.cur) < n {
		if b.used == len(b.all) {
			b.all = append(b.all, make([]T, 0, size))
		}
		b.cur = b.all[b.used][:0]
		b.used++
	}
	k := len(b.cur)
	b.cur = b.cur[:k+n]
	s := b.cur[k : k+n : k+n]
	clear(s)
	return s
}

func (b *blocks[T]) reset() { b.used, b.cur = 0, nil }

func (d *chunkDecoder) newNode() *node {
	if d.inTemplate == 0 {
		return &node{}
	}
	return &d.nodes.take(1, 64)[0]
}

func (d *chunkDecoder) leaf(n node) *node {
	p := d.newNode()
	*p = n
	return p
}

// nodeList moves the pending nodes above mark to a list of their own (nil if none).
func (d *chunkDecoder) nodeList(mark int) []*node {
	n := len(d.pending) - mark
	if n == 0 {
		return nil
	}
	var list []*node
	if d.inTemplate == 0 {
		list = make([]*node, n)
	} else {
		list = d.lists.take(n, 1024)
	}
	copy(list, d.pending[mark:])
	d.pending = d.pending[:mark]
	return list
}

func (d *chunkDecoder) attrList(mark int) []attribute {
	n := len(d.pendingAttrs) - mark
	if n == 0 {
		return nil
	}
	var list []attribute
	if d.inTemplate == 0 {
		list = make([]attribute, n)
	} else {
		list = d.attrs.take(n, 128)
	}
	copy(list, d.pendingAttrs[mark:])
	d.pendingAttrs = d.pendingAttrs[:mark]
	return list
}

// decodeError is a binary XML defect at a chunk offset.
type decodeError struct {
	pos int
	msg string
}

func (e *decodeError) Error() string { return e.msg }

// cursor reads binary XML inside [pos, end) of the chunk.
type cursor struct {
	d     *chunkDecoder
	pos   int
	end   int
	depth int
}

func (c *cursor) fail(format string, args ...any) error {
	return &decodeError{c.pos, fmt.Sprintf(format, args...)}
}

func (c *cursor) need(n int) error {
	if n < 0 || c.pos+n > c.end {
		return c.fail("binary XML runs past its end (need %d bytes, %d left)", n, c.end-c.pos)
	}
	return nil
}

func (c *cursor) u8() (uint8, error) {
	if err := c.need(1); err != nil {
		return 0, err
	}
	c.pos++
	return c.d.data[c.pos-1], nil
}

func (c *cursor) u16() (uint16, error) {
	if err := c.need(2); err != nil {
		return 0, err
	}
	c.pos += 2
	return binary.LittleEndian.Uint16(c.d.data[c.pos-2:]), nil
}

func (c *cursor) u32() (uint32, error) {
	if err := c.need(4); err != nil {
		return 0, err
	}
	c.pos += 4
	return binary.LittleEndian.Uint32(c.d.data[c.pos-4:]), nil
}

func (c *cursor) bytes(n int) ([]byte, error) {
	if err := c.need(n); err != nil {
		return nil, err
	}
	c.pos += n
	return c.d.data[c.pos-n : c.pos], nil
}

func (c *cursor) peek() (uint8, error) {
	if err := c.need(1); err != nil {
		return 0, err
	}
	return c.d.data[c.pos], nil
}

// utf16String reads a u16 character count followed by that many UTF-16 units.
func (c *cursor) utf16String() (string, error) {
	n, err := c.u16()
	if err != nil {
		return "", err
	}
	b, err := c.bytes(int(n) * 2)
	if err != nil {
		return "", err
	}
	if c.d.inTemplate > 0 {
		return c.d.sharedText(b), nil
	}
	return string(appendUTF16(nil, b)), nil
}

// sharedText decodes UTF-16 text that recurs in every chunk (names, the
// texts of templates, which every chunk defines again) to one string for
// all, remembered by the decoder from chunk to chunk.
func (d *chunkDecoder) sharedText(b []byte) string {
	d.scratch = appendUTF16(d.scratch[:0], b)
	if s, ok := d.shared[string(d.scratch)]; ok {
		return s
	}
	s := string(d.scratch)
	if len(s) <= 256 {
		if len(d.shared) >= 4096 {
			clear(d.shared)
		}
		d.shared[s] = s
	}
	return s
}

// nameAt reads the name structure at a chunk offset: next-name offset (u32),
// hash (u16), character count (u16), the characters and a NUL.
// The size is always that of the bytes: a record decoded again (XML())
// skips an inline name it already knows.
func (d *chunkDecoder) nameAt(off uint32) (string, int, error) {
	if s, ok := d.names[off]; ok {
		// Its bounds were checked when it was first read.
		return s, 8 + 2*int(binary.LittleEndian.Uint16(d.data[off+6:])) + 2, nil
	}
	if off < chunkHeaderSize || off >= uint32(len(d.data)) || int(off)+8 > len(d.data) {
		return "", 0, &decodeError{int(off), fmt.Sprintf("name offset %d out of the chunk", off)}
	}
	n := int(binary.LittleEndian.Uint16(d.data[off+6:]))
	size := 8 + 2*n + 2
	if n > maxNameChars || int(off)+size > len(d.data) {
		return "", 0, &decodeError{int(off), fmt.Sprintf("name of %d characters at %d runs past the chunk", n, off)}
	}
	s := d.sharedText(d.data[int(off)+8 : int(off)+8+2*n])
	d.names[off] = s
	return s, size, nil
}

// name reads a u32 name offset; a name defined right here (offset equal to
// the current position) is skipped over.
func (c *cursor) name() (string, error) {
	off, err := c.u32()
	if err != nil {
		return "", err
	}
	s, size, err := c.d.nameAt(off)
	if err != nil {
		return "", err
	}
	if int(off) == c.pos {
		if err := c.need(size); err != nil {
			return "", err
		}
		c.pos += size
	}
	return s, nil
}

// fragment decodes a fragment header followed by one element or template
// instance, up to the end-of-fragment token or the end of the range. On error
// the nodes decoded so far are dropped: callers give up on the whole record
// or template.
func (c *cursor) fragment() ([]*node, error) {
	c.depth++
	defer func() { c.depth-- }()
	if c.depth > maxDepth {
		return nil, c.fail("binary XML nested too deep")
	}
	d := c.d
	mark := len(d.pending)
	defer func() { d.pending = d.pending[:mark] }()
	for c.pos < c.end {
		t, err := c.peek()
		if err != nil {
			return nil, err
		}
		var n *node
		switch t &^ tokMoreBit {
		case tokEOF:
			c.pos++
			return d.nodeList(mark), nil
		case tokFragmentHeader:
			if _, err := c.bytes(4); err != nil {
				return nil, err
			}
			continue
		case tokOpenStart:
			n, err = c.element()
		case tokTemplate:
			n, err = c.templateInstance()
		default:
			n, err = c.content()
		}
		if err != nil {
			return nil, err
		}
		d.pending = append(d.pending, n)
	}
	return d.nodeList(mark), nil
}

// element decodes an open start element token through its end element.
func (c *cursor) element() (*node, error) {
	c.depth++
	defer func() { c.depth-- }()
	if c.depth > maxDepth {
		return nil, c.fail("elements nested too deep")
	}
	start := c.pos
	tok, _ := c.u8()
	// The dependency identifier (u16) is present in most files but absent in
	// some (notably inside nested binary XML): the name offset tells which
	// layout is right, since an inline name starts right after it.
	c.skipDependencyID(start)
	if _, err := c.u32(); err != nil { // data size: not needed, the tokens end the element
		return nil, err
	}
	name, err := c.name()
	if err != nil {
		return nil, err
	}
	d := c.d
	el := d.newNode()
	el.kind, el.name = kindElement, name
	mark, attrMark := len(d.pending), len(d.pendingAttrs)
	defer func() { d.pending, d.pendingAttrs = d.pending[:mark], d.pendingAttrs[:attrMark] }()
	if tok&tokMoreBit != 0 {
		if _, err := c.u32(); err != nil { // attribute list size
			return nil, err
		}
		for {
			t, err := c.peek()
			if err != nil {
				return nil, err
			}
			if t&^tokMoreBit != tokAttribute {
				break
			}
			if len(d.pendingAttrs)-attrMark >= maxAttributes {
				return nil, c.fail("too many attributes")
			}
			c.pos++
			an, err := c.name()
			if err != nil {
				return nil, err
			}
			for {
				t, err := c.peek()
				if err != nil {
					return nil, err
				}
				if !isValueToken(t) {
					break
				}
				v, err := c.content()
				if err != nil {
					return nil, err
				}
				d.pending = append(d.pending, v)
			}
			d.pendingAttrs = append(d.pendingAttrs, attribute{name: an, value: d.nodeList(mark)})
		}
		el.attrs = d.attrList(attrMark)
	}
	t, err := c.u8()
	if err != nil {
		return nil, err
	}
	switch t {
	case tokCloseEmpty:
		return el, nil
	case tokCloseStart:
	default:
		c.pos--
		return nil, c.fail("unexpected token 0x%02x after element start <%s>", t, name)
	}
	for {
		t, err := c.peek()
		if err != nil {
			return nil, err
		}
		var ch *node
		switch t &^ tokMoreBit {
		case tokEndElement:
			c.pos++
			el.children = d.nodeList(mark)
			return el, nil
		case tokOpenStart:
			ch, err = c.element()
		case tokTemplate:
			ch, err = c.templateInstance()
		default:
			ch, err = c.content()
		}
		if err != nil {
			return nil, err
		}
		d.pending = append(d.pending, ch)
	}
}

func (c *cursor) skipDependencyID(start int) {
	plausible := func(at int) bool {
		if at+8 > c.end {
			return false
		}
		off := int(binary.LittleEndian.Uint32(c.d.data[at+4:]))
		// Only the bytes decide, never what was decoded before: a record
		// decoded again for XML must take the same layout it took the first
		// time, whatever else of the chunk was decoded meanwhile.
		return off == at+8 || (off >= chunkHeaderSize && off < start)
	}
	with, without := start+3, start+1
	switch {
	case plausible(with):
		c.pos = with
	case plausible(without):
		c.pos = without
	default:
		c.pos = with
	}
}

func isValueToken(t uint8) bool {
	switch t &^ tokMoreBit {
	case tokValue, tokCDATA, tokCharRef, tokEntityRef, tokSubstitution, tokOptSubstitution:
		return true
	}
	return false
}

// content decodes one text-like token: value text, CDATA, references,
// processing instructions and substitutions.
func (c *cursor) content() (*node, error) {
	t, err := c.u8()
	if err != nil {
		return nil, err
	}
	switch t &^ tokMoreBit {
	case tokValue:
		typ, err := c.u8()
		if err != nil {
			return nil, err
		}
		if typ != typeString {
			return nil, c.fail("value text of type 0x%02x (only strings are defined)", typ)
		}
		s, err := c.utf16String()
		return c.d.leaf(node{kind: kindText, text: s}), err
	case tokCDATA:
		s, err := c.utf16String()
		return c.d.leaf(node{kind: kindCDATA, text: s}), err
	case tokCharRef:
		v, err := c.u16()
		return c.d.leaf(node{kind: kindCharRef, char: v}), err
	case tokEntityRef:
		s, err := c.name()
		return c.d.leaf(node{kind: kindEntityRef, name: s}), err
	case tokPITarget:
		target, err := c.name()
		if err != nil {
			return nil, err
		}
		n := c.d.leaf(node{kind: kindPI, name: target})
		if p, err := c.peek(); err == nil && p == tokPIData {
			c.pos++
			n.text, err = c.utf16String()
			if err != nil {
				return nil, err
			}
		}
		return n, nil
	case tokSubstitution, tokOptSubstitution:
		id, err := c.u16()
		if err != nil {
			return nil, err
		}
		typ, err := c.u8()
		return c.d.leaf(node{kind: kindSubstitution, substID: id, substTyp: typ, optional: t&^tokMoreBit == tokOptSubstitution}), err
	}
	c.pos--
	return nil, c.fail("unexpected binary XML token 0x%02x", t)
}

// templateInstance decodes a template instance: the template definition
// (inline at its first use in the chunk, afterwards referenced by offset)
// and the substitution values.
func (c *cursor) templateInstance() (*node, error) {
	c.depth++
	defer func() { c.depth-- }()
	if c.depth > maxDepth {
		return nil, c.fail("templates nested too deep")
	}
	c.pos++                               // token
	if _, err := c.bytes(5); err != nil { // unknown byte, template id
		return nil, err
	}
	defOff, err := c.u32()
	if err != nil {
		return nil, err
	}
	tmpl, err := c.d.template(defOff, c.depth)
	if err != nil {
		return nil, err
	}
	if int(defOff) == c.pos {
		// defined here: skip the definition (24-byte header + data)
		size := int(binary.LittleEndian.Uint32(c.d.data[defOff+20:]))
		if err := c.need(24 + size); err != nil {
			return nil, err
		}
		c.pos += 24 + size
	}
	count, err := c.u32()
	if err != nil {
		return nil, err
	}
	if count > maxValues || int(count)*4 > c.end-c.pos {
		return nil, c.fail("template instance announces %d values", count)
	}
	type descriptor struct {
		size uint16
		typ  uint8
	}
	descs := make([]descriptor, count)
	for i := range descs {
		b, _ := c.bytes(4)
		descs[i] = descriptor{binary.LittleEndian.Uint16(b), b[2]}
	}
	n := c.d.leaf(node{kind: kindTemplate, tmpl: tmpl, values: make([]value, count)})
	for i, d := range descs {
		at := c.pos
		b, err := c.bytes(int(d.size))
		if err != nil {
			return nil, err
		}
		v := value{typ: d.typ, data: b}
		if d.typ == typeBinXML && len(b) > 0 {
			sub := &cursor{d: c.d, pos: at, end: at + len(b), depth: c.depth}
			v.nested, err = sub.fragment()
			if err != nil {
				return nil, err
			}
		}
		n.values[i] = v
	}
	return n, nil
}

// template returns the template defined at a chunk offset, decoding it on first use.
func (d *chunkDecoder) template(off uint32, depth int) (*template, error) {
	if t, ok := d.templates[off]; ok {
		return t, nil
	}
	if err, ok := d.failed[off]; ok {
		return nil, err
	}
	if d.decoding[off] || len(d.decoding) >= maxTemplateTry {
		return nil, &decodeError{int(off), "template definition refers to itself or nests too deep"}
	}
	if off < chunkHeaderSize || off >= uint32(len(d.data)) || int(off)+24 > len(d.data) {
		return nil, &decodeError{int(off), fmt.Sprintf("template definition offset %d out of the chunk", off)}
	}
	size := int(binary.LittleEndian.Uint32(d.data[off+20:]))
	start := int(off) + 24
	if size > len(d.data)-start {
		return nil, &decodeError{int(off), fmt.Sprintf("template definition of %d bytes runs past the chunk", size)}
	}
	d.decoding[off] = true
	d.inTemplate++
	defer func() {
		delete(d.decoding, off)
		d.inTemplate--
	}()
	c := &cursor{d: d, pos: start, end: start + size, depth: depth}
	nodes, err := c.fragment()
	if err != nil {
		d.failed[off] = err
		return nil, err
	}
	t := &template{offset: off, nodes: nodes}
	d.templates[off] = t
	return t, nil
}
