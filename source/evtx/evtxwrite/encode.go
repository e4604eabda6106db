package evtxwrite

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"hash/fnv"
	"unicode/utf16"
)

const (
	fileHeaderSize = 4096
	chunkSize      = 65536
	// recordsEnd is where the records of a chunk must end by: libevtx
	// 20181227 does not see a last record that ends at the chunk's end.
	recordsEnd      = chunkSize - 8
	chunkHeaderSize = 512
)

// Binary XML tokens (MS-EVEN6 2.2.12). The 0x40 bit on an element start
// means "has attributes", on an attribute "another attribute follows".
const (
	tokEOF            = 0x00
	tokOpenStart      = 0x01
	tokCloseStart     = 0x02
	tokCloseEmpty     = 0x03
	tokEndElement     = 0x04
	tokValue          = 0x05
	tokAttribute      = 0x06
	tokTemplate       = 0x0c
	tokSubstitution   = 0x0d
	tokOptSubst       = 0x0e
	tokFragmentHeader = 0x0f
	tokMore           = 0x40
)

// The System template's values, numbered as Windows numbers them (see the
// records of any Security or Application log); Windows writes Channel and
// Computer as text in the template, here they are values 17 and 18 so one
// template serves every log and computer. The last value is the event's
// EventData or UserData, a nested binary XML fragment.
const (
	vLevel = iota
	vOpcode
	vTask
	vEventID
	vQualifiers
	vKeywords
	vTime
	vActivityID
	vProcessID
	vThreadID
	vRecordID
	vVersion
	vUserID
	vRelatedActivityID
	vProvider
	vProviderGUID
	vEventSourceName
	vChannel
	vComputer
	vPayload
	systemValues
)

// xnode is an element of a template, or (name "") text or a substitution.
type xnode struct {
	name  string
	attrs []xattr
	kids  []xnode
	text  string
	sub   *subst
}

type xattr struct {
	name string
	text string // literal value, when sub is nil
	sub  *subst
}

type subst struct {
	id       uint16
	typ      byte
	optional bool // the element or attribute is left out when the value is null
}

func opt(id int, typ byte) *subst { return &subst{id: uint16(id), typ: typ, optional: true} }

func elem(name string, attrs []xattr, kids ...xnode) xnode {
	return xnode{name: name, attrs: attrs, kids: kids}
}

// optElem is <name>value</name> with an optional substitution.
func optElem(name string, id int, typ byte) xnode {
	return xnode{name: name, kids: []xnode{{sub: opt(id, typ)}}}
}

// template is a template definition; its GUID (and the identifier Windows
// derives from it) names it inside a chunk.
type template struct {
	guid [16]byte
	root xnode
}

func (t *template) id() uint32 { return binary.LittleEndian.Uint32(t.guid[:]) }

func newTemplate(shape string, root xnode) *template {
	h := fnv.New128a()
	h.Write([]byte(shape))
	t := &template{root: root}
	copy(t.guid[:], h.Sum(nil))
	return t
}

const eventNamespace = "http://schemas.microsoft.com/win/2004/08/events/event"

// systemTemplate builds the <Event><System>...</System>payload</Event>
// template; classic events lack Version, Opcode, Correlation and Execution.
func systemTemplate(classic bool) *template {
	sys := []xnode{
		elem("Provider", []xattr{{name: "Name", sub: opt(vProvider, typeString)}, {name: "Guid", sub: opt(vProviderGUID, typeGUID)}, {name: "EventSourceName", sub: opt(vEventSourceName, typeString)}}),
		elem("EventID", []xattr{{name: "Qualifiers", sub: opt(vQualifiers, typeUint16)}}, xnode{sub: opt(vEventID, typeUint16)}),
	}
	if !classic {
		sys = append(sys, optElem("Version", vVersion, typeUint8))
	}
	sys = append(sys, optElem("Level", vLevel, typeUint8), optElem("Task", vTask, typeUint16))
	if !classic {
		sys = append(sys, optElem("Opcode", vOpcode, typeUint8))
	}
	sys = append(sys,
		optElem("Keywords", vKeywords, typeHexInt64),
		elem("TimeCreated", []xattr{{name: "SystemTime", sub: opt(vTime, typeFileTime)}}),
		optElem("EventRecordID", vRecordID, typeUint64))
	if !classic {
		sys = append(sys,
			elem("Correlation", []xattr{{name: "ActivityID", sub: opt(vActivityID, typeGUID)}, {name: "RelatedActivityID", sub: opt(vRelatedActivityID, typeGUID)}}),
			elem("Execution", []xattr{{name: "ProcessID", sub: opt(vProcessID, typeUint32)}, {name: "ThreadID", sub: opt(vThreadID, typeUint32)}}))
	}
	sys = append(sys,
		optElem("Channel", vChannel, typeString),
		optElem("Computer", vComputer, typeString),
		elem("Security", []xattr{{name: "UserID", sub: opt(vUserID, typeSID)}}))
	root := elem("Event", []xattr{{name: "xmlns", text: eventNamespace}},
		elem("System", nil, sys...),
		xnode{sub: opt(vPayload, typeBinXML)})
	return newTemplate(fmt.Sprintf("evtxwrite System template 1 classic=%v", classic), root)
}

var (
	manifestSystem = systemTemplate(false)
	classicSystem  = systemTemplate(true)
)

// value is one substitution value; nested, when set, is written in place
// as a binary XML fragment (type 0x21).
type value struct {
	typ    byte
	data   []byte
	nested *instance
}

type instance struct {
	t      *template
	values []value
}

// record is an event ready to be placed in a chunk.
type record struct {
	number  uint64 // the record header's id
	written uint64
	body    instance
}

// prepare checks the event and turns it into its template instance, with
// EventRecordID id and record number number.
func prepare(e *Event, id, number uint64) (*record, error) {
	created, err := FileTime(e.Time)
	if err != nil {
		return nil, fmt.Errorf("Time: %w", err)
	}
	written := created
	if !e.Written.IsZero() {
		if written, err = FileTime(e.Written); err != nil {
			return nil, fmt.Errorf("Written: %w", err)
		}
	}
	vals := make([]value, systemValues)
	set := func(i int, v any) error {
		typ, data, err := encodeValue(v)
		if err != nil {
			return err
		}
		if len(data) > 0xffff {
			return fmt.Errorf("value of %d bytes (at most 65535)", len(data))
		}
		vals[i] = value{typ: typ, data: data}
		return nil
	}
	optional := func(i int, present bool, v any) error {
		if !present {
			return nil // null
		}
		return set(i, v)
	}
	for _, err := range []error{
		set(vLevel, e.Level),
		set(vOpcode, e.Opcode),
		set(vTask, e.Task),
		set(vEventID, e.EventID),
		optional(vQualifiers, e.Qualifiers != 0, e.Qualifiers),
		set(vKeywords, Hex64(e.Keywords)),
		set(vTime, e.Time),
		optional(vActivityID, e.ActivityID != "", e.ActivityID),
		set(vProcessID, e.ProcessID),
		set(vThreadID, e.ThreadID),
		set(vRecordID, id),
		set(vVersion, e.Version),
		optional(vUserID, e.UserSID != "", e.UserSID),
		optional(vRelatedActivityID, e.RelatedActivity != "", e.RelatedActivity),
		optional(vProvider, e.Provider != "", e.Provider),
		optional(vProviderGUID, e.ProviderGUID != "", e.ProviderGUID),
		optional(vEventSourceName, e.EventSourceName != "", e.EventSourceName),
		set(vChannel, e.Channel),
		set(vComputer, e.Computer),
	} {
		if err != nil {
			return nil, err
		}
	}
	switch {
	case e.UserData != nil && len(e.Data) > 0:
		return nil, fmt.Errorf("both Data and UserData")
	case e.UserData != nil:
		p, err := userData(e.UserData)
		if err != nil {
			return nil, err
		}
		vals[vPayload] = value{typ: typeBinXML, nested: p}
	default:
		// Without data too: every record of the samples has this value, and
		// libevtx cannot read a record whose value is null.
		p, err := eventData(e.Data)
		if err != nil {
			return nil, err
		}
		vals[vPayload] = value{typ: typeBinXML, nested: p}
	}
	t := manifestSystem
	if e.Classic {
		t = classicSystem
	}
	return &record{number: number, written: written, body: instance{t: t, values: vals}}, nil
}

// payloadValues encodes the data values; a null value's substitution is
// declared a string, as a manifest would declare it.
func payloadValues(items []Data, what string) ([]value, []byte, error) {
	vals := make([]value, len(items))
	types := make([]byte, len(items))
	for i, d := range items {
		typ, data, err := encodeValue(d.Value)
		if err != nil {
			return nil, nil, fmt.Errorf("%s %d (%q): %w", what, i, d.Name, err)
		}
		if len(data) > 0xffff {
			return nil, nil, fmt.Errorf("%s %d (%q): value of %d bytes (at most 65535)", what, i, d.Name, len(data))
		}
		if len(d.Name) > 0xffff/3 {
			return nil, nil, fmt.Errorf("%s %d: name too long", what, i)
		}
		vals[i] = value{typ: typ, data: data}
		types[i] = typ
		if typ == typeNull {
			types[i] = typeString
		}
	}
	return vals, types, nil
}

// eventData builds <EventData><Data Name="n">%i</Data>...</EventData>. The
// substitutions are normal ones: an element with a null value stays, empty.
func eventData(items []Data) (*instance, error) {
	vals, types, err := payloadValues(items, "Data")
	if err != nil {
		return nil, err
	}
	shape := "evtxwrite EventData 1"
	kids := make([]xnode, len(items))
	for i, d := range items {
		var attrs []xattr
		if d.Name != "" {
			attrs = []xattr{{name: "Name", text: d.Name}}
		}
		kids[i] = elem("Data", attrs, xnode{sub: &subst{id: uint16(i), typ: types[i], optional: vals[i].typ == typeNull}})
		shape += fmt.Sprintf("\x00%q %d %v", d.Name, types[i], vals[i].typ == typeNull)
	}
	return &instance{t: newTemplate(shape, elem("EventData", nil, kids...)), values: vals}, nil
}

// userData builds <UserData><Name xmlns="ns"><Field>%i</Field>...</Name></UserData>.
func userData(u *UserData) (*instance, error) {
	if u.Name == "" {
		return nil, fmt.Errorf("UserData without an element name")
	}
	vals, types, err := payloadValues(u.Fields, "UserData field")
	if err != nil {
		return nil, err
	}
	shape := fmt.Sprintf("evtxwrite UserData 1 %q %q", u.Name, u.Namespace)
	kids := make([]xnode, len(u.Fields))
	for i, f := range u.Fields {
		if f.Name == "" {
			return nil, fmt.Errorf("UserData field %d without a name", i)
		}
		kids[i] = elem(f.Name, nil, xnode{sub: &subst{id: uint16(i), typ: types[i], optional: vals[i].typ == typeNull}})
		shape += fmt.Sprintf("\x00%q %d %v", f.Name, types[i], vals[i].typ == typeNull)
	}
	var attrs []xattr
	if u.Namespace != "" {
		attrs = []xattr{{name: "xmlns", text: u.Namespace}}
	}
	if len(u.Name) > 0xffff/3 {
		return nil, fmt.Errorf("UserData name too long")
	}
	root := elem("UserData", nil, elem(u.Name, attrs, kids...))
	return &instance{t: newTemplate(shape, root), values: vals}, nil
}

// chunk is a 64 KiB chunk being filled. Names and template definitions are
// written once per chunk and referenced by their chunk offset afterwards;
// the header's hash tables list them (buckets of 64 names by name hash, 32
// templates by template id: the bucket function for templates is our own,
// readers only follow the chains).
type chunk struct {
	buf         []byte
	used        int // end of the records
	lastOff     int // offset of the last record
	first, last uint64
	names       map[string]uint32
	templates   map[[16]byte]uint32
	strHeads    [64]uint32
	tmplHeads   [32]uint32
	// what the record being added defined, to undo when it does not fit
	newNames []string
	newTmpls [][16]byte
	scratch  []byte // where records are built, reused
}

func newChunk() *chunk {
	return &chunk{buf: make([]byte, chunkSize), used: chunkHeaderSize, names: map[string]uint32{}, templates: map[[16]byte]uint32{}}
}

// add places the record after the others; false if it does not fit, the
// chunk then being as it was.
func (c *chunk) add(r *record) bool {
	strHeads, tmplHeads := c.strHeads, c.tmplHeads
	c.newNames, c.newTmpls = c.newNames[:0], c.newTmpls[:0]
	w := &builder{c: c, b: c.scratch[:0], base: c.used}
	w.record(r)
	c.scratch = w.b
	if w.tooBig || c.used+len(w.b) > recordsEnd {
		c.strHeads, c.tmplHeads = strHeads, tmplHeads
		for _, s := range c.newNames {
			delete(c.names, s)
		}
		for _, g := range c.newTmpls {
			delete(c.templates, g)
		}
		return false
	}
	if c.used == chunkHeaderSize {
		c.first = r.number
	}
	c.last = r.number
	c.lastOff = c.used
	copy(c.buf[c.used:], w.b)
	c.used += len(w.b)
	return true
}

// finish writes the chunk header and returns the chunk.
func (c *chunk) finish() []byte {
	le := binary.LittleEndian
	b := c.buf
	copy(b, "ElfChnk\x00")
	le.PutUint64(b[8:], c.first) // record numbers and ids: the same in the logs of the samples
	le.PutUint64(b[16:], c.last)
	le.PutUint64(b[24:], c.first)
	le.PutUint64(b[32:], c.last)
	le.PutUint32(b[40:], 128)
	le.PutUint32(b[44:], uint32(c.lastOff))
	le.PutUint32(b[48:], uint32(c.used))
	le.PutUint32(b[52:], crc32.ChecksumIEEE(b[chunkHeaderSize:c.used]))
	le.PutUint32(b[120:], 1) // every chunk Windows wrote in the samples has 1 here; its meaning is not documented
	for i, off := range c.strHeads {
		le.PutUint32(b[128+4*i:], off)
	}
	for i, off := range c.tmplHeads {
		le.PutUint32(b[384+4*i:], off)
	}
	crc := crc32.Update(crc32.ChecksumIEEE(b[:120]), crc32.IEEETable, b[128:chunkHeaderSize])
	le.PutUint32(b[124:], crc)
	return b
}

func fileHeader(counted []*chunk, minor uint16, dirty bool) []byte {
	le := binary.LittleEndian
	h := make([]byte, fileHeaderSize)
	copy(h, "ElfFile\x00")
	next := uint64(1)
	if n := len(counted); n > 0 {
		le.PutUint64(h[16:], uint64(n-1)) // last chunk number; the first is 0
		next = counted[n-1].last + 1
	}
	le.PutUint64(h[24:], next)
	le.PutUint32(h[32:], 128)
	le.PutUint16(h[36:], minor)
	le.PutUint16(h[38:], 3)
	le.PutUint16(h[40:], fileHeaderSize)
	le.PutUint16(h[42:], uint16(len(counted)))
	if dirty {
		le.PutUint32(h[120:], 1)
	}
	le.PutUint32(h[124:], crc32.ChecksumIEEE(h[:120]))
	return h
}

// builder writes binary XML for a chunk, starting at chunk offset base.
type builder struct {
	c      *chunk
	b      []byte
	base   int
	tooBig bool // a size does not fit its field: the record cannot be written
}

func (w *builder) pos() uint32       { return uint32(w.base + len(w.b)) }
func (w *builder) u8(v byte)         { w.b = append(w.b, v) }
func (w *builder) u16(v uint16)      { w.b = binary.LittleEndian.AppendUint16(w.b, v) }
func (w *builder) u32(v uint32)      { w.b = binary.LittleEndian.AppendUint32(w.b, v) }
func (w *builder) u64(v uint64)      { w.b = binary.LittleEndian.AppendUint64(w.b, v) }
func (w *builder) patch32(at, v int) { binary.LittleEndian.PutUint32(w.b[at:], uint32(v)) }

// record writes the event record: signature, size, id, written time, the
// binary XML and the size again, padded to 8 bytes as Windows pads.
func (w *builder) record(r *record) {
	w.b = append(w.b, 0x2a, 0x2a, 0, 0)
	w.u32(0)
	w.u64(r.number)
	w.u64(r.written)
	w.fragment(&r.body)
	for (len(w.b)+4)%8 != 0 {
		w.u8(0)
	}
	w.u32(uint32(len(w.b) + 4))
	w.patch32(4, len(w.b))
}

// fragment writes a fragment header, the template instance and the end token.
func (w *builder) fragment(in *instance) {
	w.b = append(w.b, tokFragmentHeader, 1, 1, 0)
	w.instance(in)
	w.u8(tokEOF)
}

// instance writes a template instance: the definition inline at its first
// use in the chunk, else its offset; then the value descriptors and values.
func (w *builder) instance(in *instance) {
	t := in.t
	w.u8(tokTemplate)
	w.u8(1)
	w.u32(t.id())
	if off, ok := w.c.templates[t.guid]; ok {
		w.u32(off)
	} else {
		off := w.pos() + 4
		w.u32(off)
		bucket := t.id() % 32
		w.u32(w.c.tmplHeads[bucket]) // next definition in the bucket
		w.b = append(w.b, t.guid[:]...)
		sizeAt := len(w.b)
		w.u32(0)
		w.b = append(w.b, tokFragmentHeader, 1, 1, 0)
		w.element(&t.root)
		w.u8(tokEOF)
		w.patch32(sizeAt, len(w.b)-sizeAt-4)
		w.c.tmplHeads[bucket] = off
		w.c.templates[t.guid] = off
		w.c.newTmpls = append(w.c.newTmpls, t.guid)
	}
	w.u32(uint32(len(in.values)))
	descAt := len(w.b)
	for _, v := range in.values {
		w.u16(uint16(len(v.data)))
		w.u8(v.typ)
		w.u8(0)
	}
	for i, v := range in.values {
		if v.nested == nil {
			w.b = append(w.b, v.data...)
			continue
		}
		start := len(w.b)
		w.fragment(v.nested)
		size := len(w.b) - start
		if size > 0xffff {
			w.tooBig = true
		}
		binary.LittleEndian.PutUint16(w.b[descAt+4*i:], uint16(size))
	}
}

// element writes an element start (with the dependency identifier 0xffff:
// the element depends on no value), its attributes and its content.
func (w *builder) element(n *xnode) {
	tok := byte(tokOpenStart)
	if len(n.attrs) > 0 {
		tok |= tokMore
	}
	w.u8(tok)
	w.u16(0xffff)
	sizeAt := len(w.b)
	w.u32(0)
	w.name(n.name)
	if len(n.attrs) > 0 {
		listAt := len(w.b)
		w.u32(0)
		for i, a := range n.attrs {
			tok := byte(tokAttribute)
			if i < len(n.attrs)-1 {
				tok |= tokMore
			}
			w.u8(tok)
			w.name(a.name)
			w.content(a.text, a.sub)
		}
		w.patch32(listAt, len(w.b)-listAt-4)
	}
	if len(n.kids) == 0 {
		w.u8(tokCloseEmpty)
	} else {
		w.u8(tokCloseStart)
		for i := range n.kids {
			k := &n.kids[i]
			if k.name != "" {
				w.element(k)
			} else {
				w.content(k.text, k.sub)
			}
		}
		w.u8(tokEndElement)
	}
	w.patch32(sizeAt, len(w.b)-sizeAt-4)
}

// content writes a substitution, or else the text as a string value.
func (w *builder) content(text string, s *subst) {
	if s != nil {
		tok := byte(tokSubstitution)
		if s.optional {
			tok = tokOptSubst
		}
		w.u8(tok)
		w.u16(s.id)
		w.u8(s.typ)
		return
	}
	u := utf16.Encode([]rune(text))
	if len(u) > 0xffff {
		w.tooBig = true
		u = u[:0xffff]
	}
	w.u8(tokValue)
	w.u8(typeString)
	w.u16(uint16(len(u)))
	for _, c := range u {
		w.u16(c)
	}
}

// name writes a name reference; a name new to the chunk is written right
// after its reference (next name in the hash bucket, hash, length, UTF-16, NUL).
func (w *builder) name(s string) {
	if off, ok := w.c.names[s]; ok {
		w.u32(off)
		return
	}
	off := w.pos() + 4
	w.u32(off)
	u := utf16.Encode([]rune(s))
	if len(u) > 0xffff {
		w.tooBig = true
		u = u[:0xffff]
	}
	h := nameHash(u)
	bucket := h % 64
	w.u32(w.c.strHeads[bucket])
	w.u16(h)
	w.u16(uint16(len(u)))
	for _, c := range u {
		w.u16(c)
	}
	w.u16(0)
	w.c.strHeads[bucket] = off
	w.c.names[s] = off
	w.c.newNames = append(w.c.newNames, s)
}

// nameHash is the hash Windows stores with each name: h = h*65599 + c over
// the UTF-16 code units, low 16 bits (checked against every name of the
// samples in shared/data/evtx).
func nameHash(u []uint16) uint16 {
	var h uint32
	for _, c := range u {
		h = h*65599 + uint32(c)
	}
	return uint16(h)
}
