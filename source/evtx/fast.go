package evtx

import (
	"encoding/binary"
	"strconv"
	"strings"
	"time"
)

// The fast path fills a Record straight from a template instance's
// substitution values, without building the XML tree: a plan compiled once
// per template (per chunk) says which values and literal texts make each
// field. It handles the shapes Windows writes, nested binary XML values
// included (EventData usually comes that way); anything else, and any record
// the plan cannot vouch for (limits that could be exceeded, values whose type
// the plan did not expect), is left to the generic path, which must give the
// same Record. TestFastPathAgreesWithGeneric checks that on every record of the
// samples and of the fuzz corpus, and FuzzFile on every input.

// maxFastNesting is how deep binary XML values may nest inside each other on
// the fast path; Windows nests one level (EventData under Event).
const maxFastNesting = 4

// piece is one part of a text: a literal, or substitution value subst.
type piece struct {
	subst int // -1 for a literal
	text  string
}

// elemPlan is one child element of EventData (or of UserData's element): one DataItem.
type elemPlan struct {
	name      string
	isData    bool    // a <Data>: inside EventData the item is named by its Name attribute
	nameText  []piece // that attribute's value (nil when it has none)
	nameTwice bool    // more than one Name attribute: which names the item depends on which are present
	text      []piece
	drop      *dropRule
}

// dropRule is set on an element the generic path leaves out when its
// children (only optional substitutions) all come out empty, whatever its
// attributes; these are the substitutions.
type dropRule struct {
	substs []int
}

// dataPlan gives the DataItems of an element's children.
type dataPlan struct {
	elems  []elemPlan
	substs []int // substitutions among the children: a binary XML value could add elements
}

// seqItem is one node of a sequence the fast path searches for an element
// (EventData or UserData among <Event>'s children, the first element inside
// UserData), following binary XML values into their templates.
type seqItem struct {
	subst int      // a substitution, or -1
	elem  *seqElem // an element, or nil
	other bool     // a node that is neither (text, reference, processing instruction): it always gives a node
}

type seqElem struct {
	name string
	drop *dropRule
	node *node     // the element, whose children are compiled when needed:
	data *dataPlan // as data items
	kids []seqItem // as a sequence, for UserData
}

func (e *seqElem) dataPlan() *dataPlan {
	if e.data == nil {
		e.data = compileData(e.node.children)
	}
	return e.data
}

func (e *seqElem) kidSeq() []seqItem {
	if e.kids == nil {
		e.kids = compileSeq(e.node.children)
	}
	return e.kids
}

// eventPlan is a template whose root is <Event> with a <System> the plan understands.
type eventPlan struct {
	provider, eventID, level, recordID, channel, computer, systemTime []piece
	kids                                                              []seqItem // Event's children
}

// plan is what the fast path knows of one template definition.
type plan struct {
	usable bool       // false if the template holds a template instance, which the plans do not follow
	nodes  int        // nodes the generic resolver counts in the template
	refs   []int      // refs[i]: substitution nodes that use value i
	roots  []seqItem  // the root nodes, for a template that is a binary XML value
	event  *eventPlan // nil unless the template's root is a recognised <Event>
}

func (t *template) fastPlan() *plan {
	if t.plan == nil {
		t.plan = compilePlan(t.nodes)
	}
	return t.plan
}

func compilePlan(nodes []*node) *plan {
	p := &plan{}
	if !p.count(nodes) {
		return p
	}
	p.usable = true
	p.roots = compileSeq(nodes)
	if len(nodes) == 1 && nodes[0].kind == kindElement && nodes[0].name == "Event" {
		p.event = compileEvent(nodes[0])
	}
	return p
}

// count adds up the nodes as the generic resolver counts them (attribute
// values included) and the uses of each substitution value. It reports false
// on a template instance.
func (p *plan) count(nodes []*node) bool {
	for _, n := range nodes {
		p.nodes++
		switch n.kind {
		case kindTemplate:
			return false
		case kindSubstitution:
			p.ref(n.substID)
		case kindElement:
			for _, a := range n.attrs {
				for _, v := range a.value {
					p.nodes++
					if v.kind == kindSubstitution {
						p.ref(v.substID)
					}
				}
			}
			if !p.count(n.children) {
				return false
			}
		}
	}
	return true
}

func (p *plan) ref(id uint16) {
	if int(id) >= maxValues {
		return // no instance has that many values: always absent
	}
	for len(p.refs) <= int(id) {
		p.refs = append(p.refs, 0)
	}
	p.refs[id]++
}

func compileSeq(nodes []*node) []seqItem {
	seq := make([]seqItem, 0, len(nodes))
	for _, n := range nodes {
		switch n.kind {
		case kindSubstitution:
			seq = append(seq, seqItem{subst: int(n.substID)})
		case kindElement:
			seq = append(seq, seqItem{subst: -1, elem: &seqElem{name: n.name, drop: dropRuleOf(n), node: n}})
		default:
			seq = append(seq, seqItem{subst: -1, other: true})
		}
	}
	return seq
}

func compileData(children []*node) *dataPlan {
	dp := &dataPlan{}
	for _, k := range children {
		switch {
		case k.kind == kindSubstitution:
			dp.substs = append(dp.substs, int(k.substID))
		case k.kind == kindElement && k.name != "": // the generic path skips nameless elements
			e := elemPlan{name: k.name, text: textPieces(k.children), drop: dropRuleOf(k)}
			if k.name == "Data" {
				e.isData = true
				for _, a := range k.attrs {
					if a.name == "Name" {
						e.nameTwice = e.nameText != nil
						e.nameText = attrPieces(a.value)
					}
				}
			}
			dp.elems = append(dp.elems, e)
		}
	}
	return dp
}

// dropRuleOf returns the element's drop rule, nil if the generic path always
// keeps it (it has children other than optional substitutions).
func dropRuleOf(n *node) *dropRule {
	if !onlyOptional(n.children) {
		return nil
	}
	r := &dropRule{}
	for _, c := range n.children {
		r.substs = append(r.substs, int(c.substID))
	}
	return r
}

func compileEvent(ev *node) *eventPlan {
	var sys *node
	for _, k := range ev.children {
		if k.kind == kindSubstitution {
			return nil // a value before <System> could hold another <System>
		}
		if k.kind == kindElement && k.name == "System" {
			sys = k
			break
		}
	}
	if sys == nil || dropRuleOf(sys) != nil || dropRuleOf(ev) != nil {
		return nil
	}
	e := &eventPlan{kids: compileSeq(ev.children)}
	seen := 0 // a bit per field
	for _, k := range sys.children {
		switch k.kind {
		case kindSubstitution:
			return nil
		case kindElement:
		default:
			continue
		}
		var field *[]piece
		attr := ""
		bit := 0
		switch k.name {
		case "Provider":
			field, attr, bit = &e.provider, "Name", 1
		case "EventID":
			field, bit = &e.eventID, 2
		case "Level":
			field, bit = &e.level, 4
		case "EventRecordID":
			field, bit = &e.recordID, 8
		case "Channel":
			field, bit = &e.channel, 16
		case "Computer":
			field, bit = &e.computer, 32
		case "TimeCreated":
			field, attr, bit = &e.systemTime, "SystemTime", 64
		default:
			continue
		}
		if seen&bit != 0 {
			return nil // the first may be left out, and then the second counts
		}
		seen |= bit
		if attr == "" {
			*field = textPieces(k.children)
			continue
		}
		found := false
		for _, a := range k.attrs {
			if a.name == attr {
				if found {
					return nil
				}
				found = true
				*field = attrPieces(a.value)
			}
		}
	}
	return e
}

// textPieces is the text of an element's content: its text-like children
// (child elements and processing instructions are not part of it).
func textPieces(children []*node) []piece {
	pieces := []piece{}
	for _, k := range children {
		if p, ok := literalOrSubst(k); ok {
			pieces = append(pieces, p)
		}
	}
	return pieces
}

func attrPieces(value []*node) []piece {
	pieces := []piece{}
	for _, v := range value {
		if p, ok := literalOrSubst(v); ok {
			pieces = append(pieces, p)
		}
	}
	return pieces
}

func literalOrSubst(n *node) (piece, bool) {
	switch n.kind {
	case kindText, kindCDATA:
		return piece{subst: -1, text: n.text}, true
	case kindCharRef:
		return piece{subst: -1, text: string(rune(n.char))}, true
	case kindEntityRef:
		s, ok := entities[n.name]
		if !ok {
			s = "&" + n.name + ";"
		}
		return piece{subst: -1, text: s}, true
	case kindSubstitution:
		return piece{subst: int(n.substID)}, true
	}
	return piece{}, false
}

// fastValue is a substitution value seen by the fast path: size bytes at
// off in the chunk; inst is the instance a binary XML value holds (-1 for
// other values). It holds no pointer, so that filling the workspace costs
// the garbage collector nothing.
type fastValue struct {
	typ       uint8
	off, size int32
	inst      int32
}

// instance is a template instance seen by the fast path; its values are
// workspace.values[first : first+count].
type instance struct {
	plan         *plan
	first, count int
}

// workspace holds the fast path's buffers, reused from record to record and
// chunk to chunk by one goroutine.
type workspace struct {
	values    []fastValue
	instances []instance
	text      []byte // the record's text being built
	ends      []int  // array element ends in text
	items     []pendingItem
	strings   map[string]string // Provider, Channel, Computer seen lately: one string each
	fast      int               // records the fast path decoded (for tests)
	spare     *chunkDecoder     // a decoder and its chunk buffer, between two chunks
}

// pendingItem is a DataItem whose strings are offsets in workspace.text until
// the record's text becomes one string.
type pendingItem struct {
	name                 string // when the name is not in text
	nameFrom, nameTo     int32  // else
	valueFrom, valueTo   int32
	arrayFrom            int32 // where the array value's text starts, when hasArray
	endsFrom, endsTo     int32 // its elements' ends in workspace.ends
	nameInText, hasArray bool
}

func newWorkspace() *workspace { return &workspace{strings: map[string]string{}} }

// intern returns b as a string, the same string for the same bytes as long as
// the cache is not full: Provider, Channel and Computer repeat on every record.
func (ws *workspace) intern(b []byte) string {
	if s, ok := ws.strings[string(b)]; ok {
		return s
	}
	if len(b) > 256 {
		return string(b)
	}
	if len(ws.strings) >= 4096 {
		clear(ws.strings)
	}
	s := string(b)
	ws.strings[s] = s
	return s
}

// fastFragment reads a fragment [pos, end) made of one template instance, as
// every record and binary XML value Windows writes is, and returns the
// instance's index in ws.instances; -1 for anything else or anything wrong.
// depth is the generic cursor's, so that templates decoded here are decoded
// (and cached) exactly as the generic path would.
func (d *chunkDecoder) fastFragment(pos, end, depth, nesting int) int {
	ws := d.ws
	data := d.data
	depth += 2 // the fragment and the template instance
	if nesting > maxFastNesting || depth > maxDepth || pos+4+10 > end || data[pos] != tokFragmentHeader || data[pos+4] != tokTemplate {
		return -1
	}
	pos += 4 + 6 // fragment header; template instance token, unknown byte, template id
	defOff := binary.LittleEndian.Uint32(data[pos:])
	pos += 4
	tmpl, err := d.template(defOff, depth)
	if err != nil {
		return -1
	}
	if int(defOff) == pos {
		// sizes compared as read, unsigned: an int may have 32 bits
		size := binary.LittleEndian.Uint32(data[defOff+20:])
		if end-pos < 24 || uint64(size) > uint64(end-pos-24) {
			return -1
		}
		pos += 24 + int(size)
	}
	if pos+4 > end {
		return -1
	}
	n := binary.LittleEndian.Uint32(data[pos:])
	pos += 4
	if n > maxValues || int(n)*4 > end-pos {
		return -1
	}
	count := int(n)
	desc := pos
	pos += 4 * count
	first := len(ws.values)
	for i := 0; i < count; i++ {
		size := int(binary.LittleEndian.Uint16(data[desc+4*i:]))
		typ := data[desc+4*i+2]
		if size > end-pos {
			return -1
		}
		ws.values = append(ws.values, fastValue{typ: typ, off: int32(pos), size: int32(size), inst: -1})
		if typ == typeBinXML && size > 0 {
			in := d.fastFragment(pos, pos+size, depth, nesting+1)
			if in < 0 {
				return -1
			}
			ws.values[first+i].inst = int32(in)
		}
		pos += size
	}
	if pos < end && data[pos]&^tokMoreBit != tokEOF {
		return -1 // more nodes after the instance
	}
	p := tmpl.fastPlan()
	if !p.usable {
		return -1 // its node count, which budget needs, is not known
	}
	ws.instances = append(ws.instances, instance{plan: p, first: first, count: count})
	return len(ws.instances) - 1
}

// budget is what resolving the instance costs the generic path: the nodes it
// counts, exactly, and at most how much text it makes (every value's text is
// at most 5 times its size: an int8 array element, "-128\n").
func (d *chunkDecoder) budget(in int) (nodes int, text int64) {
	inst := d.ws.instances[in]
	nodes = 1 + inst.plan.nodes // the template instance node, then the template's
	for i, refs := range inst.plan.refs {
		if nodes > maxNodes || text > maxTextBytes {
			break
		}
		if refs == 0 || i >= inst.count {
			continue
		}
		v := d.ws.values[inst.first+i]
		if v.inst >= 0 {
			n, t := d.budget(int(v.inst))
			nodes += refs * n
			text += int64(refs) * t
		} else {
			text += int64(refs) * 5 * int64(v.size)
		}
	}
	if nodes > maxNodes || text > maxTextBytes {
		return maxNodes + 1, maxTextBytes + 1 // what is over needs no more precision, and must not overflow
	}
	return nodes, text
}

// value returns substitution value i of an instance, nil when there is none.
func (d *chunkDecoder) value(in, i int) *fastValue {
	inst := &d.ws.instances[in]
	if i < 0 || i >= inst.count {
		return nil
	}
	return &d.ws.values[inst.first+i]
}

// absent reports that the generic path gives no node for the value.
func (v *fastValue) absent() bool {
	return v == nil || v.typ == typeNull || (v.size == 0 && v.typ != typeString)
}

func (v *fastValue) binXML() bool { return v != nil && v.typ == typeBinXML && v.size > 0 }

func (d *chunkDecoder) bytesOf(v *fastValue) []byte { return d.data[v.off : v.off+v.size] }

// appendText appends the text of pieces to ws.text. last is the value the
// text ended with, as the generic path keeps it (nil after a literal); ok is
// false when a value is binary XML, which only the generic path expands.
func (d *chunkDecoder) appendText(pieces []piece, in int) (last *fastValue, ok bool) {
	for _, p := range pieces {
		v, present, ok := d.appendPiece(p, in)
		if !ok {
			return nil, false
		}
		if present {
			last = v
		}
	}
	return last, true
}

// appendPiece appends the text of one piece; present is false when the
// generic path gives it no node (an absent value), v is nil for a literal.
func (d *chunkDecoder) appendPiece(p piece, in int) (v *fastValue, present, ok bool) {
	ws := d.ws
	if p.subst < 0 {
		ws.text = append(ws.text, p.text...)
		return nil, true, true
	}
	v = d.value(in, p.subst)
	switch {
	case v.absent():
		return nil, false, true
	case v.binXML():
		return nil, false, false
	case v.typ&typeArrayFlag != 0:
		ws.text = appendArray(ws.text, v.typ, d.bytesOf(v), &ws.ends)
	default:
		ws.text = appendScalar(ws.text, v.typ, d.bytesOf(v))
	}
	return v, true, true
}

// fastRecord fills r from the record's binary XML [pos, end) if the fast path
// can; false leaves the record to the generic path (r may be half filled).
func (d *chunkDecoder) fastRecord(r *Record, pos, end int) bool {
	ws := d.ws
	ws.values, ws.instances, ws.text, ws.ends, ws.items = ws.values[:0], ws.instances[:0], ws.text[:0], ws.ends[:0], ws.items[:0]
	root := d.fastFragment(pos, end, 0, 0)
	if root < 0 {
		return false
	}
	ev := ws.instances[root].plan.event
	if ev == nil {
		return false
	}
	if nodes, text := d.budget(root); nodes > maxNodes || text > maxTextBytes {
		return false // the generic path reports the record
	}

	var ok bool
	if r.Provider, ok = d.fieldString(ev.provider, root); !ok {
		return false
	}
	if r.Channel, ok = d.fieldString(ev.channel, root); !ok {
		return false
	}
	if r.Computer, ok = d.fieldString(ev.computer, root); !ok {
		return false
	}
	// As the generic path: an event ID or level that is not a number is
	// 0, one too large its type's maximum.
	n, ok, _ := d.fieldUint(ev.eventID, root, 32)
	if !ok {
		return false
	}
	r.EventID = uint32(n)
	if n, ok, _ = d.fieldUint(ev.level, root, 8); !ok {
		return false
	}
	r.Level = uint8(n)
	var err error
	if n, ok, err = d.fieldUint(ev.recordID, root, 64); !ok {
		return false
	} else if err == nil {
		r.RecordID = n
	}
	if ev.systemTime != nil {
		ws.text = ws.text[:0]
		last, ok := d.appendText(ev.systemTime, root)
		if !ok {
			return false
		}
		if last != nil && last.typ == typeFileTime && last.size == 8 {
			r.Time = fileTime(binary.LittleEndian.Uint64(d.bytesOf(last)))
		} else if t, err := time.Parse(time.RFC3339Nano, string(ws.text)); err == nil {
			r.Time = t.UTC()
		}
	}

	e, in, found, ok := d.findElem(ev.kids, root, "EventData", 0)
	if !ok {
		return false
	}
	if found {
		return d.fastData(r, e.dataPlan(), in, true)
	}
	if e, in, found, ok = d.findElem(ev.kids, root, "UserData", 0); !ok || !found {
		return ok
	}
	// the data items are the children of UserData's first element
	if e, in, found, ok = d.findElem(e.kidSeq(), in, "", 0); !ok || !found {
		return ok
	}
	return d.fastData(r, e.dataPlan(), in, false)
}

// fieldString is the text of a System field, one string per distinct text.
func (d *chunkDecoder) fieldString(pieces []piece, in int) (string, bool) {
	if len(pieces) == 1 && pieces[0].subst < 0 {
		return pieces[0].text, true
	}
	d.ws.text = d.ws.text[:0]
	if _, ok := d.appendText(pieces, in); !ok {
		return "", false
	}
	return d.ws.intern(d.ws.text), true
}

// fieldUint parses a System number as the generic path does
// (strconv.ParseUint of the trimmed text, whose result is kept even on a
// range error), without making a string of plain digits.
func (d *chunkDecoder) fieldUint(pieces []piece, in int, bits int) (uint64, bool, error) {
	d.ws.text = d.ws.text[:0]
	if _, ok := d.appendText(pieces, in); !ok {
		return 0, false, nil
	}
	b := d.ws.text
	if len(b) == 0 || len(b) > 19 {
		n, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, bits)
		return n, true, err
	}
	var n uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			n, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, bits)
			return n, true, err
		}
		n = n*10 + uint64(c-'0')
	}
	if limit := uint64(1)<<bits - 1; bits < 64 && n > limit {
		return limit, true, strconv.ErrRange
	}
	return n, true, nil
}

// findElem finds the first element of that name in seq ("": the first
// element with a name) as the generic path resolves it: elements it leaves
// out are skipped, binary XML values stand for their template's nodes. ok is
// false when only the generic path can tell.
func (d *chunkDecoder) findElem(seq []seqItem, in int, name string, nesting int) (e *seqElem, at int, found, ok bool) {
	for _, it := range seq {
		if it.elem != nil {
			match := it.elem.name == name
			if name == "" {
				match = it.elem.name != ""
			}
			if !match {
				continue
			}
			if it.elem.drop != nil {
				dropped, ok := d.dropped(it.elem.drop, in)
				if !ok {
					return nil, 0, false, false
				}
				if dropped {
					continue
				}
			}
			return it.elem, in, true, true
		}
		if it.subst < 0 {
			continue
		}
		v := d.value(in, it.subst)
		if !v.binXML() {
			continue // other values are text, which is no element
		}
		nested := d.ws.instances[v.inst].plan
		if nesting >= maxFastNesting {
			return nil, 0, false, false
		}
		if e, at, found, ok := d.findElem(nested.roots, int(v.inst), name, nesting+1); found || !ok {
			return e, at, found, ok
		}
	}
	return nil, 0, false, true
}

// dropped applies a drop rule: true when all its substitutions come out empty.
func (d *chunkDecoder) dropped(rule *dropRule, in int) (dropped, ok bool) {
	for _, s := range rule.substs {
		v := d.value(in, s)
		switch {
		case v.absent():
			continue
		case !v.binXML():
			return false, true
		}
		// Binary XML gives the nodes of its template: some when the template
		// has a root that always gives one.
		for _, it := range d.ws.instances[v.inst].plan.roots {
			if it.other || (it.elem != nil && it.elem.drop == nil) {
				return false, true
			}
		}
		return false, false
	}
	return true, true
}

// fastData sets r.Data from a data plan applied to instance in; the items of
// EventData's <Data> elements are named by their Name attribute.
func (d *chunkDecoder) fastData(r *Record, dp *dataPlan, in int, eventData bool) bool {
	ws := d.ws
	for _, s := range dp.substs {
		if d.value(in, s).binXML() {
			return false // may hold elements, hence data items
		}
	}
	ws.text = ws.text[:0]
	ws.ends = ws.ends[:0]
	ws.items = ws.items[:0]
	for i := range dp.elems {
		e := &dp.elems[i]
		if e.drop != nil {
			dropped, ok := d.dropped(e.drop, in)
			if !ok {
				return false
			}
			if dropped {
				continue
			}
		}
		it := pendingItem{name: e.name}
		if eventData && e.isData {
			if e.nameTwice {
				return false
			}
			if len(e.nameText) == 1 && e.nameText[0].subst < 0 {
				it.name = e.nameText[0].text // as Windows writes it: the record's text need not hold it
			} else {
				it.nameInText = true
				it.nameFrom = int32(len(ws.text))
				if _, ok := d.appendText(e.nameText, in); !ok {
					return false
				}
				it.nameTo = int32(len(ws.text))
			}
		}
		it.valueFrom = int32(len(ws.text))
		for _, p := range e.text {
			start, ends := len(ws.text), len(ws.ends)
			v, present, ok := d.appendPiece(p, in)
			if !ok {
				return false
			}
			if present {
				// the item's Values come from the last value, if it is an array
				it.hasArray = v != nil && v.typ&typeArrayFlag != 0
				it.arrayFrom, it.endsFrom, it.endsTo = int32(start), int32(ends), int32(len(ws.ends))
			}
		}
		it.valueTo = int32(len(ws.text))
		ws.items = append(ws.items, it)
	}
	if len(ws.items) == 0 {
		return true
	}
	text := string(ws.text)
	r.Data = make([]DataItem, len(ws.items))
	for i, it := range ws.items {
		item := &r.Data[i]
		item.Name = it.name
		if it.nameInText {
			item.Name = text[it.nameFrom:it.nameTo]
		}
		item.Value = text[it.valueFrom:it.valueTo]
		if it.hasArray && it.endsTo > it.endsFrom {
			item.Values = make([]string, it.endsTo-it.endsFrom)
			start := int(it.arrayFrom)
			for k, end := range ws.ends[it.endsFrom:it.endsTo] {
				item.Values[k] = text[start:end]
				start = end + 1
			}
		}
	}
	return true
}
