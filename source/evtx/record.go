package evtx

import (
	"encoding/binary"
	"strconv"
	"strings"
	"time"
)

// Record is one decoded event. A Record handed to a callback stays valid
// after the callback returns: its strings are ordinary Go strings (the Data
// values of one record share one allocation) and it holds no decoding
// buffer. XML decodes the record again: called from the callback, or before
// RecordsParallel has delivered the chunk's last record, it uses the chunk's
// decoder at hand; later it reads the chunk again through the io.ReaderAt
// given to Open, which must then still be readable (else XML returns "").
type Record struct {
	RecordID uint64    // System/EventRecordID, else the record header's id
	HeaderID uint64    // the record header's id (an exported log renumbers it from 1; chunk headers count these)
	Time     time.Time // System/TimeCreated@SystemTime, else the record header time
	Written  time.Time // the record header's written time
	EventID  uint32
	Provider string // System/Provider@Name
	Channel  string
	Computer string
	Level    uint8
	Data     []DataItem // EventData (or UserData) values in document order

	src      *chunkSource // for XML
	at, size int          // the record's place in the chunk
}

// DataItem is one EventData/UserData value. EventData <Data Name="x"> gives
// Name "x" (empty for unnamed Data), other elements give their element name.
// An array value has its elements in Values, and Value holds them joined by
// newlines.
type DataItem struct {
	Name   string
	Value  string
	Values []string
}

// Get returns the value of the first data item with that name.
func (r *Record) Get(name string) (string, bool) {
	for _, d := range r.Data {
		if d.Name == name {
			return d.Value, true
		}
	}
	return "", false
}

// xnode is resolved XML: templates applied, substitution values in place.
type xnode struct {
	name   string // empty for text
	attrs  []xattr
	kids   []*xnode
	text   string
	val    *value // the typed value the text came from, if any
	pi     bool
	target string
}

type xattr struct {
	name, value string
	val         *value
}

type resolver struct {
	count    int
	text     int // bytes of text produced: one long value used by many substitutions must not exhaust memory
	overflow bool
}

func (rs *resolver) addText(s string) bool {
	rs.text += len(s)
	if rs.text > maxTextBytes {
		rs.overflow = true
	}
	return !rs.overflow
}

func (rs *resolver) add() bool {
	rs.count++
	if rs.count > maxNodes {
		rs.overflow = true
	}
	return !rs.overflow
}

var entities = map[string]string{"amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'"}

// resolve applies substitution values to decoded nodes.
func (rs *resolver) resolve(nodes []*node, values []value) []*xnode {
	out := make([]*xnode, 0, len(nodes))
	for _, n := range nodes {
		if !rs.add() {
			return out
		}
		switch n.kind {
		case kindElement:
			x := &xnode{name: n.name}
			for _, a := range n.attrs {
				var sb strings.Builder
				var val *value
				present := false
				for i, v := range a.value {
					if n := rs.resolve(a.value[i:i+1], values); len(n) > 0 {
						for _, t := range n {
							sb.WriteString(t.text)
							val = t.val
						}
						present = true
					} else if !v.optional {
						present = true
					}
				}
				if present {
					x.attrs = append(x.attrs, xattr{a.name, sb.String(), val})
				}
			}
			x.kids = rs.resolve(n.children, values)
			if len(x.kids) == 0 && onlyOptional(n.children) {
				// Windows leaves out an element whose optional values are
				// all absent, attributes or not (MS-EVEN6 3.1.4.7.2).
				continue
			}
			out = append(out, x)
		case kindText, kindCDATA:
			out = append(out, &xnode{text: n.text})
		case kindCharRef:
			out = append(out, &xnode{text: string(rune(n.char))})
		case kindEntityRef:
			s, ok := entities[n.name]
			if !ok {
				s = "&" + n.name + ";"
			}
			out = append(out, &xnode{text: s})
		case kindPI:
			out = append(out, &xnode{pi: true, target: n.name, text: n.text})
		case kindSubstitution:
			if int(n.substID) >= len(values) {
				continue
			}
			v := &values[n.substID]
			switch {
			case v.typ == typeNull || (len(v.data) == 0 && v.typ != typeString):
			case v.typ == typeBinXML:
				out = append(out, rs.resolve(v.nested, nil)...)
			default:
				if rs.text+len(v.data)*3 > maxTextBytes { // UTF-16 to UTF-8 at most triples the size
					rs.overflow = true
					return out
				}
				var text string
				if v.typ&typeArrayFlag == 0 {
					text = formatScalar(v.typ, v.data)
				} else {
					text = strings.Join(v.strings(), "\n")
				}
				if !rs.addText(text) {
					return out
				}
				out = append(out, &xnode{text: text, val: v})
			}
		case kindTemplate:
			out = append(out, rs.resolve(n.tmpl.nodes, n.values)...)
		}
	}
	return out
}

func (x *xnode) child(name string) *xnode {
	for _, k := range x.kids {
		if k.name == name {
			return k
		}
	}
	return nil
}

func (x *xnode) attr(name string) (xattr, bool) {
	for _, a := range x.attrs {
		if a.name == name {
			return a, true
		}
	}
	return xattr{}, false
}

// textContent is the concatenated text directly inside the element.
func (x *xnode) textContent() (string, *value) {
	var sb strings.Builder
	var val *value
	for _, k := range x.kids {
		if k.name == "" && !k.pi {
			sb.WriteString(k.text)
			val = k.val
		}
	}
	return sb.String(), val
}

// fill sets the structured fields from the resolved XML: the generic path.
func (r *Record) fill(root []*xnode) {
	r.Time = r.Written
	var event *xnode
	for _, x := range root {
		if x.name == "Event" {
			event = x
			break
		}
	}
	if event == nil {
		return
	}
	if sys := event.child("System"); sys != nil {
		if p := sys.child("Provider"); p != nil {
			a, _ := p.attr("Name")
			r.Provider = a.value
		}
		if e := sys.child("EventID"); e != nil {
			s, _ := e.textContent()
			n, _ := strconv.ParseUint(strings.TrimSpace(s), 10, 32)
			r.EventID = uint32(n)
		}
		if e := sys.child("Level"); e != nil {
			s, _ := e.textContent()
			n, _ := strconv.ParseUint(strings.TrimSpace(s), 10, 8)
			r.Level = uint8(n)
		}
		if e := sys.child("EventRecordID"); e != nil {
			s, _ := e.textContent()
			if n, err := strconv.ParseUint(strings.TrimSpace(s), 10, 64); err == nil {
				r.RecordID = n
			}
		}
		if e := sys.child("Channel"); e != nil {
			r.Channel, _ = e.textContent()
		}
		if e := sys.child("Computer"); e != nil {
			r.Computer, _ = e.textContent()
		}
		if e := sys.child("TimeCreated"); e != nil {
			if a, ok := e.attr("SystemTime"); ok {
				if a.val != nil && a.val.typ == typeFileTime && len(a.val.data) == 8 {
					r.Time = fileTime(binary.LittleEndian.Uint64(a.val.data))
				} else if t, err := time.Parse(time.RFC3339Nano, a.value); err == nil {
					r.Time = t.UTC()
				}
			}
		}
	}
	if ed := event.child("EventData"); ed != nil {
		r.Data = dataItems(ed.kids, true)
	} else if ud := event.child("UserData"); ud != nil {
		for _, k := range ud.kids {
			if k.name != "" {
				r.Data = dataItems(k.kids, false)
				break
			}
		}
	}
}

func dataItems(kids []*xnode, eventData bool) []DataItem {
	var items []DataItem
	for _, k := range kids {
		if k.name == "" {
			continue
		}
		name := k.name
		if eventData && k.name == "Data" {
			a, _ := k.attr("Name")
			name = a.value
		}
		s, val := k.textContent()
		item := DataItem{Name: name, Value: s}
		if val != nil && val.typ&typeArrayFlag != 0 {
			item.Values = val.strings()
		}
		items = append(items, item)
	}
	return items
}

// XML renders the record as XML text, as the event was logged (without the
// schema's default namespaces beyond what the record holds).
func (r *Record) XML() string {
	var sb strings.Builder
	r.withTree(func(root []*xnode) {
		for _, x := range root {
			writeXML(&sb, x, 0)
		}
	})
	return sb.String()
}

// escapeXML escapes the characters XML text may not hold raw; quotes too
// inside attribute values. Newlines stay as they are, as evtxexport and
// Event Viewer show them.
func escapeXML(sb *strings.Builder, s string, attribute bool) {
	for _, r := range s {
		switch {
		case r == '&':
			sb.WriteString("&amp;")
		case r == '<':
			sb.WriteString("&lt;")
		case r == '>':
			sb.WriteString("&gt;")
		case r == '"' && attribute:
			sb.WriteString("&quot;")
		default:
			sb.WriteRune(r)
		}
	}
}

func writeXML(sb *strings.Builder, x *xnode, indent int) {
	pad := strings.Repeat("  ", indent)
	switch {
	case x.pi:
		sb.WriteString(pad + "<?" + x.target + " " + x.text + "?>\n")
		return
	case x.name == "":
		escapeXML(sb, x.text, false)
		return
	}
	// An array substitution as the only content repeats the element once
	// per array element, as Windows renders it.
	if len(x.kids) == 1 && x.kids[0].name == "" && x.kids[0].val != nil && x.kids[0].val.typ&typeArrayFlag != 0 {
		for _, s := range x.kids[0].val.strings() {
			one := *x
			one.kids = nil
			if s != "" {
				one.kids = []*xnode{{text: s}}
			}
			writeXML(sb, &one, indent)
		}
		return
	}
	sb.WriteString(pad + "<" + x.name)
	for _, a := range x.attrs {
		sb.WriteString(" " + a.name + "=\"")
		escapeXML(sb, a.value, true)
		sb.WriteString("\"")
	}
	if allEmptyText(x.kids) {
		sb.WriteString("/>\n")
		return
	}
	sb.WriteString(">")
	onlyText := true
	for _, k := range x.kids {
		if k.name != "" || k.pi {
			onlyText = false
		}
	}
	if onlyText {
		for _, k := range x.kids {
			escapeXML(sb, k.text, false)
		}
		sb.WriteString("</" + x.name + ">\n")
		return
	}
	sb.WriteString("\n")
	for _, k := range x.kids {
		if k.name == "" && !k.pi {
			sb.WriteString(pad + "  ")
			escapeXML(sb, k.text, false)
			sb.WriteString("\n")
			continue
		}
		writeXML(sb, k, indent+1)
	}
	sb.WriteString(pad + "</" + x.name + ">\n")
}

func onlyOptional(nodes []*node) bool {
	for _, n := range nodes {
		if n.kind != kindSubstitution || !n.optional {
			return false
		}
	}
	return len(nodes) > 0
}

func allEmptyText(kids []*xnode) bool {
	for _, k := range kids {
		if k.name != "" || k.pi || k.text != "" {
			return false
		}
	}
	return true
}
