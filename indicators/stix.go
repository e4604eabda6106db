package indicators

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strings"
)

// jsonObject holds the keys exhunt reads of a STIX 2.1 object or of a row
// of Microsoft's JSON feed; a JSON object is one or the other.
type jsonObject struct {
	// STIX 2.1.
	Type        string          `json:"type"`
	ID          string          `json:"id"`
	Name        string          `json:"name"`
	Description string          `json:"description"`
	Pattern     string          `json:"pattern"`
	PatternType *string         `json:"pattern_type"`
	ValidFrom   string          `json:"valid_from"`
	Created     string          `json:"created"`
	Revoked     bool            `json:"revoked"`
	Objects     json.RawMessage `json:"objects"` // of a bundle inside an array
	// Microsoft's feed.
	DateAdded          string          `json:"DateAdded"`
	FirstSeen          string          `json:"FirstSeen"`
	Indicator          string          `json:"Indicator"`
	IndicatorType      string          `json:"IndicatorType"`
	TLP                string          `json:"TLP"`
	AdditionalMetadata json.RawMessage `json:"AdditionalMetadata"`
}

// stixNotIndicators are the STIX 2.1 objects that describe (who, what,
// how they relate) but hold no indicator: skipped without a problem.
var stixNotIndicators = map[string]bool{
	"identity": true, "marking-definition": true, "relationship": true, "sighting": true, "malware": true,
	"attack-pattern": true, "campaign": true, "course-of-action": true, "grouping": true, "infrastructure": true,
	"intrusion-set": true, "location": true, "malware-analysis": true, "note": true, "opinion": true,
	"report": true, "threat-actor": true, "tool": true, "vulnerability": true, "language-content": true,
	"extension-definition": true,
}

// maxJSONDepth bounds bundles inside arrays inside bundles.
const maxJSONDepth = 3

// json reads a JSON feed: one value (a bundle, an array, an object) or
// JSON Lines. A pretty-printed value is streamed, so a large bundle is
// not held twice; JSON Lines are read line by line, so that a bad line
// costs only itself.
func (l *loader) json() {
	if isJSONLines(l.data) {
		lineNo := 0
		for rest := l.data; len(rest) > 0 && l.fatal == nil; {
			var line []byte
			if i := bytes.IndexByte(rest, '\n'); i >= 0 {
				line, rest = rest[:i], rest[i+1:]
			} else {
				line, rest = rest, nil
			}
			lineNo++
			if line = bytes.TrimSpace(line); len(line) > 0 {
				l.jsonValue(lineNo, line, 0)
			}
		}
		return
	}
	dec := json.NewDecoder(bytes.NewReader(l.data))
	lines := &lineCounter{data: l.data}
	for l.fatal == nil {
		tok, err := dec.Token()
		if err == io.EOF {
			return
		}
		if err != nil {
			l.problem(lines.at(int(dec.InputOffset())), "", "not valid JSON: %v; the rest was not read", err)
			return
		}
		start := lines.at(int(dec.InputOffset()) - 1)
		switch tok {
		case json.Delim('['):
			if !l.jsonArray(dec, lines, 0) {
				return
			}
		case json.Delim('{'):
			if !l.jsonTopObject(dec, lines, start) {
				return
			}
		default:
			l.problem(start, "", "a JSON %T at the top level is not a feed", tok)
		}
	}
}

// isJSONLines tells JSON Lines (a whole object on the first line and more
// lines after it) from one pretty-printed value.
func isJSONLines(data []byte) bool {
	data = bytes.TrimLeft(data, " \t\r\n")
	i := bytes.IndexByte(data, '\n')
	if i < 0 || data[0] != '{' {
		return false
	}
	return json.Valid(bytes.TrimSpace(data[:i])) && len(bytes.TrimSpace(data[i:])) > 0
}

// jsonValue reads one complete value held in memory (a line of JSON Lines,
// or a bundle inside an array).
func (l *loader) jsonValue(line int, raw []byte, depth int) {
	if depth > maxJSONDepth {
		l.problem(line, "", "JSON nested more than %d bundles or arrays deep", maxJSONDepth)
		return
	}
	switch raw[0] {
	case '[':
		var items []json.RawMessage
		if err := json.Unmarshal(raw, &items); err != nil {
			l.problem(line, "", "not valid JSON: %v", err)
			return
		}
		for _, it := range items {
			if it = bytes.TrimSpace(it); len(it) > 0 && l.fatal == nil {
				l.jsonValue(line, it, depth+1)
			}
		}
	case '{':
		var o jsonObject
		if err := json.Unmarshal(raw, &o); err != nil {
			var syntax *json.SyntaxError
			if errors.As(err, &syntax) {
				l.problem(line, "", "not valid JSON: %v", err)
			} else {
				l.problem(line, "", "not an object exhunt can read: %v", err)
			}
			return
		}
		l.jsonObject(line, &o, depth)
	default:
		l.problem(line, "", "a JSON value that is not an object is not a feed entry")
	}
}

// jsonArray streams the elements of an array whose '[' was read. It
// returns false when the JSON cannot be read on.
func (l *loader) jsonArray(dec *json.Decoder, lines *lineCounter, depth int) bool {
	for dec.More() && l.fatal == nil {
		line := lines.at(l.valueStart(dec))
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			l.problem(line, "", "not valid JSON: %v; the rest was not read", err)
			return false
		}
		if raw = bytes.TrimSpace(raw); len(raw) > 0 {
			l.jsonValue(line, raw, depth)
		}
	}
	if l.fatal != nil {
		return false
	}
	if _, err := dec.Token(); err != nil { // ']'
		l.problem(lines.at(int(dec.InputOffset())), "", "not valid JSON: %v; the rest was not read", err)
		return false
	}
	return true
}

// jsonTopObject streams an object whose '{' was read at the top level: a
// bundle's objects one by one, or else the object itself.
func (l *loader) jsonTopObject(dec *json.Decoder, lines *lineCounter, start int) bool {
	fields := map[string]json.RawMessage{}
	bundle := false
	for dec.More() && l.fatal == nil {
		tok, err := dec.Token()
		key, ok := tok.(string)
		if err != nil || !ok {
			l.problem(lines.at(int(dec.InputOffset())), "", "not valid JSON: %v; the rest was not read", err)
			return false
		}
		if key == "objects" {
			tok, err := dec.Token()
			if err != nil || tok != json.Delim('[') {
				l.problem(lines.at(int(dec.InputOffset())), "", "a bundle's objects must be an array")
				return false
			}
			bundle = true
			if !l.jsonArray(dec, lines, 1) {
				return false
			}
			continue
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			l.problem(lines.at(int(dec.InputOffset())), "", "not valid JSON: %v; the rest was not read", err)
			return false
		}
		fields[key] = raw
	}
	if l.fatal != nil {
		return false
	}
	if _, err := dec.Token(); err != nil { // '}'
		l.problem(lines.at(int(dec.InputOffset())), "", "not valid JSON: %v", err)
		return false
	}
	if bundle {
		var typ string
		_ = json.Unmarshal(fields["type"], &typ)
		if typ != "bundle" {
			l.problem(start, typ, "an object with objects that is not a STIX bundle; its objects were read as a bundle's")
		}
		return true
	}
	raw, err := json.Marshal(fields)
	if err != nil {
		l.problem(start, "", "%v", err)
		return true
	}
	l.jsonValue(start, raw, 0)
	return true
}

// valueStart finds where the next array element begins, for its line.
func (l *loader) valueStart(dec *json.Decoder) int {
	off := int(dec.InputOffset())
	for off < len(l.data) && strings.IndexByte(" \t\r\n,", l.data[off]) >= 0 {
		off++
	}
	return off
}

// jsonObject reads one object: a row of Microsoft's feed, a STIX
// indicator, a bundle inside an array; other STIX objects are skipped,
// and those that could hold indicators are named as problems.
func (l *loader) jsonObject(line int, o *jsonObject, depth int) {
	switch {
	case o.IndicatorType != "" || o.Indicator != "":
		l.msJSONRow(line, o)
	case o.Type == "indicator":
		l.stixIndicator(line, o)
	case o.Type == "bundle":
		if objs := bytes.TrimSpace(o.Objects); len(objs) > 0 {
			l.jsonValue(line, objs, depth+1)
		}
	case o.Type == "":
		l.problem(line, o.ID, "a JSON object with neither a STIX type nor Microsoft's IndicatorType")
	case stixNotIndicators[o.Type]:
	default:
		ref := o.ID
		if ref == "" {
			ref = o.Type
		}
		l.problem(line, ref, "STIX %s objects are not indicators (only indicator objects with patterns are loaded)", o.Type)
	}
}

// stixIndicator loads the comparisons of an indicator's pattern that say
// "this value is bad" on their own, and names every other part.
func (l *loader) stixIndicator(line int, o *jsonObject) {
	ref := o.ID
	if ref == "" {
		ref = fmt.Sprintf("indicator at %s:%d", l.name, line)
	}
	if o.Revoked {
		l.problem(line, ref, "revoked by its producer; not loaded")
		return
	}
	if o.PatternType != nil && !strings.EqualFold(*o.PatternType, "stix") {
		l.problem(line, ref, "pattern_type %q is not supported (only stix patterns)", *o.PatternType)
		return
	}
	if strings.TrimSpace(o.Pattern) == "" {
		l.problem(line, ref, "no pattern")
		return
	}
	alts, err := parsePattern(o.Pattern)
	if err != nil {
		l.problem(line, ref, "pattern %q: %v; nothing of it loaded", clip(o.Pattern), err)
		return
	}
	label := o.Name
	if label == "" {
		label, _, _ = strings.Cut(strings.TrimSpace(o.Description), "\n")
	}
	date := o.ValidFrom
	if date == "" {
		date = o.Created
	}
	for _, a := range alts {
		if a.why != "" {
			l.problem(line, ref, "%s not loaded: %s", a.text, a.why)
			continue
		}
		kind, value, why := stixTerm(a.path, a.value)
		if why != "" {
			l.problem(line, ref, "%s not loaded: %s", a.text, why)
			continue
		}
		if !l.add(line, Indicator{Kind: kind, Value: value, Label: clip(label), Date: date, Ref: o.ID}) {
			return
		}
	}
}

// stixTerm maps "object-path = 'value'" to an indicator, or says why not.
func stixTerm(path, value string) (Kind, string, string) {
	typ, prop, _ := strings.Cut(path, ":")
	switch typ {
	case "file":
		if prop == "name" {
			return KindFileName, value, ""
		}
		if algo, ok := strings.CutPrefix(prop, "hashes."); ok {
			switch strings.NewReplacer("-", "", "_", "").Replace(strings.ToUpper(algo)) {
			case "MD5":
				return KindMD5, value, ""
			case "SHA1":
				return KindSHA1, value, ""
			case "SHA256":
				return KindSHA256, value, ""
			}
			return "", "", fmt.Sprintf("hash algorithm %s is not supported (MD5, SHA-1, SHA-256)", algo)
		}
	case "ipv4-addr", "ipv6-addr":
		if prop != "value" {
			break
		}
		kind := KindIP
		a := value
		if i := strings.IndexByte(value, '/'); i >= 0 {
			kind, a = KindCIDR, value[:i]
		}
		if ip, err := netip.ParseAddr(a); err == nil && ip.Unmap().Is4() != (typ == "ipv4-addr") {
			return "", "", fmt.Sprintf("%q is not of the address family of %s", value, typ)
		}
		return kind, value, ""
	case "domain-name":
		if prop == "value" {
			return KindDomain, value, ""
		}
	case "url":
		if prop == "value" {
			return KindURL, value, ""
		}
	}
	return "", "", fmt.Sprintf("object path %s is not supported", path)
}
