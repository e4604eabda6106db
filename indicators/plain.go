package indicators

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// plain reads a list with one indicator a line, the form most responders
// keep and Loki's IOC files have:
//
//   - Blank lines, and lines starting with '#' or "//", are skipped. A
//     comment labels the indicators that follow it up to the next blank
//     line or comment (Loki's files head each group with its source).
//   - A line may name its kind: "ip:", "cidr:", "hash:" (or "md5:",
//     "sha1:", "sha256:"), "domain:", "url:", "file:" (a file name),
//     "path:", "regex:" (a file-name regex), "ua:", or any Kind followed
//     by ':'.
//   - Loki's columns: "HASH;COMMENT", and "REGEX;SCORE[;FALSE-POSITIVE
//     REGEX]" for filename IOCs (the regex is tried on the full path).
//   - A row with tab-separated columns takes the column that is an
//     indicator, the others being its label. A row of comma-separated
//     columns of which one is a hash or an address takes every such column
//     (CSV exports: sha256,md5,sha1,date or name,path,sha256); so does a
//     row that starts with one and goes on after a space (sha256sum's
//     "HASH  FILE", "1.2.3.4 scanner"). A first row of column names is
//     skipped.
//   - Otherwise the line is classified: IP address or network; 32, 40 or
//     64 hex digits as a hash; a URL with a scheme; a Windows path
//     (C:\..., \\server\..., %ProgramFiles%\..., or any '\') or a path
//     starting with '/'; host/path as a URL; a file name with an extension
//     that files have (see fileExtensions); a user agent, which starts
//     with a product/version token as every browser and tool does
//     (Mozilla/5.0 ..., python-requests/2.25.1); a domain (labels with a
//     top-level domain of letters); another name with an extension as a
//     file name. Defanged values (1.2.3[.]4, hxxp://) are read refanged.
//
// A line that fits nothing, or whose value its kind refuses, is a Problem.
func (l *loader) plain() {
	heading := ""
	rows, lineNo := 0, 0
	for rest := l.data; len(rest) > 0 && l.fatal == nil; {
		var raw []byte
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			raw, rest = rest[:i], rest[i+1:]
		} else {
			raw, rest = rest, nil
		}
		lineNo++
		text := strings.TrimSpace(string(raw))
		switch {
		case text == "":
			heading = ""
			continue
		case strings.HasPrefix(text, "#") || strings.HasPrefix(text, "//"):
			heading = strings.TrimSpace(strings.TrimLeft(text, "#/"))
			continue
		}
		rows++
		inds, err := classifyLine(text, heading)
		if err != nil {
			if rows == 1 && isColumnNames(text) {
				continue
			}
			l.problem(lineNo, text, "%v", err)
			continue
		}
		for _, ind := range inds {
			if !l.add(lineNo, ind) {
				return
			}
		}
	}
}

// prefixKinds are the type prefixes a plain list line may start with.
var prefixKinds = map[string]Kind{
	"ip": KindIP, "ipv4": KindIP, "ipv6": KindIP, "cidr": KindCIDR,
	"hash": "", "md5": KindMD5, "sha1": KindSHA1, "sha256": KindSHA256, "sha-1": KindSHA1, "sha-256": KindSHA256,
	"domain": KindDomain, "url": KindURL, "file": KindFileName, "path": KindFilePath,
	"regex": KindFileNameRegex, "ua": KindUserAgent,
	"file-name": KindFileName, "file-path": KindFilePath, "file-name-regex": KindFileNameRegex, "user-agent": KindUserAgent,
}

// cutTypePrefix splits "kind:value". A scheme ("url://", "file://") is not
// a prefix.
func cutTypePrefix(text string) (Kind, string, string, bool) {
	name, value, ok := strings.Cut(text, ":")
	if !ok || strings.HasPrefix(value, "//") {
		return "", "", "", false
	}
	kind, ok := prefixKinds[strings.ToLower(strings.TrimSpace(name))]
	if !ok {
		return "", "", "", false
	}
	return kind, strings.ToLower(strings.TrimSpace(name)), strings.TrimSpace(value), true
}

// classifyLine reads one line of a plain list.
func classifyLine(text, heading string) ([]Indicator, error) {
	if kind, prefix, value, ok := cutTypePrefix(text); ok {
		ind, err := explicitLine(kind, prefix, value, heading)
		if err != nil {
			return nil, err
		}
		return []Indicator{ind}, nil
	}
	// Loki's hash list: HASH;COMMENT.
	if first, comment, ok := strings.Cut(text, ";"); ok {
		if kind, ok := HashKind(strings.TrimSpace(first)); ok {
			return []Indicator{{Kind: kind, Value: strings.TrimSpace(first), Label: orDefault(strings.TrimSpace(comment), heading)}}, nil
		}
	}
	// Loki's filename IOCs: REGEX;SCORE[;FP].
	if ind, ok := lokiRegex(text, heading); ok {
		return []Indicator{ind}, nil
	}
	if strings.Contains(text, "\t") {
		return columns(strings.Split(text, "\t"), true, heading)
	}
	// An inline comment after a value that cannot hold " #".
	if value, comment, ok := cutInlineComment(text); ok {
		if kind, v, ok := classify(value); ok && kind != KindUserAgent && kind != KindFileName {
			return []Indicator{{Kind: kind, Value: v, Label: comment}}, nil
		}
	}
	// Rows of hashes or addresses with other columns: CSV exports
	// (sha256,md5,sha1,date or name,path,sha256) and sha256sum's
	// "HASH  FILE". Read before the whole line, which a path column would
	// make look like one path.
	if strings.Contains(text, ",") && slices.ContainsFunc(strings.Split(text, ","), isHashOrAddress) {
		return columns(strings.Split(text, ","), false, heading)
	}
	if f := strings.Fields(text); len(f) > 1 && isHashOrAddress(f[0]) {
		return columns(f, false, heading)
	}
	if kind, v, ok := classify(text); ok {
		return []Indicator{{Kind: kind, Value: v, Label: heading}}, nil
	}
	if first, _, _ := strings.Cut(text, ";"); isLongHex(strings.TrimSpace(first)) {
		return nil, fmt.Errorf("%d hex digits: not an MD5 (32), SHA-1 (40) or SHA-256 (64); cut short?", len(strings.TrimSpace(first)))
	}
	return nil, errors.New("not an IP address, network, hash, URL, path, file name, user agent or domain; a prefix such as ua: or regex: names the kind")
}

// isLongHex tells a hash of the wrong length from a word.
func isLongHex(s string) bool {
	if len(s) < 24 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if _, ok := unhex(s[i]); !ok {
			return false
		}
	}
	return true
}

// explicitLine reads the value of a line that names its kind.
func explicitLine(kind Kind, prefix, value, heading string) (Indicator, error) {
	ind := Indicator{Kind: kind, Value: value, Label: heading}
	switch kind {
	case "", KindMD5, KindSHA1, KindSHA256:
		h, comment, _ := strings.Cut(value, ";")
		h = strings.TrimSpace(h)
		k, ok := HashKind(h)
		if !ok || kind != "" && k != kind {
			return ind, fmt.Errorf("%s: not a hash of that kind: %q", prefix, h)
		}
		ind.Kind, ind.Value, ind.Label = k, h, orDefault(strings.TrimSpace(comment), heading)
	case KindIP, KindCIDR:
		// Either prefix takes an address or a network.
		ind.Value = refang(value)
		ind.Kind = KindIP
		if strings.Contains(ind.Value, "/") {
			ind.Kind = KindCIDR
		}
		if prefix == "ipv4" || prefix == "ipv6" {
			a := ind.Value
			if i := strings.IndexByte(a, '/'); i >= 0 {
				a = a[:i]
			}
			if p, err := netip.ParseAddr(a); err == nil && p.Unmap().Is4() != (prefix == "ipv4") {
				return ind, fmt.Errorf("%s: %q is not an %s address", prefix, value, strings.ToUpper(prefix[:2])+prefix[2:])
			}
		}
	case KindDomain, KindURL:
		ind.Value = refang(value)
	case KindFileNameRegex:
		if loki, ok := lokiRegex(value, heading); ok {
			return loki, nil
		}
	}
	return ind, nil
}

// lokiRegex reads Loki's "REGEX;SCORE[;FP]".
func lokiRegex(text, heading string) (Indicator, bool) {
	f := strings.Split(text, ";")
	if len(f) < 2 || len(f) > 3 || f[0] == "" {
		return Indicator{}, false
	}
	score, err := strconv.Atoi(strings.TrimSpace(f[1]))
	if err != nil || score < 0 || score > 1000 {
		return Indicator{}, false
	}
	if k, _, ok := classify(f[0]); ok && k == KindURL && strings.Contains(f[0], "://") {
		return Indicator{}, false // a URL with ";1" in it
	}
	label := fmt.Sprintf("score %d", score)
	if heading != "" {
		label = heading + " (" + label + ")"
	}
	ind := Indicator{Kind: KindFileNameRegex, Value: f[0], Label: label}
	if len(f) == 3 {
		ind.Except = f[2]
	}
	return ind, true
}

// columns reads a row of several columns. Addresses, networks, hashes and
// URLs are taken all; otherwise, if tabs separate the columns, the one
// column that is an indicator is. The other columns label it.
func columns(fields []string, anyKind bool, heading string) ([]Indicator, error) {
	var strong, weak []Indicator
	var words []string
	weakAt := -1 // the index in words of the one weak column
	for _, f := range fields {
		f = strings.Trim(strings.TrimSpace(f), `"'`)
		if f == "" {
			continue
		}
		kind, v, ok := classify(f)
		switch {
		case ok && (kind == KindIP || kind == KindCIDR || kind == KindURL && strings.Contains(v, "://") ||
			kind == KindMD5 || kind == KindSHA1 || kind == KindSHA256):
			strong = append(strong, Indicator{Kind: kind, Value: v})
		case ok && anyKind:
			weak = append(weak, Indicator{Kind: kind, Value: v})
			weakAt = len(words)
			words = append(words, f)
		default:
			words = append(words, f)
		}
	}
	out := strong
	switch {
	case len(out) > 0:
	case len(weak) == 1:
		out = weak
		words = append(words[:weakAt], words[weakAt+1:]...)
	case len(weak) > 1:
		return nil, errors.New("several columns could be the indicator; give one a line, or name its kind with a prefix such as ua:")
	default:
		return nil, errors.New("no column is an indicator")
	}
	label := orDefault(strings.Join(words, " "), heading)
	for i := range out {
		out[i].Label = label
	}
	return out, nil
}

// isHashOrAddress tells the columns a row of several is read for.
func isHashOrAddress(f string) bool {
	kind, _, ok := classify(strings.Trim(strings.TrimSpace(f), `"'`))
	return ok && (kind == KindIP || kind == KindCIDR || kind == KindMD5 || kind == KindSHA1 || kind == KindSHA256)
}

// isColumnNames tells a header row (sha256,md5,sha1,DateAdded) from data.
func isColumnNames(text string) bool {
	if !strings.ContainsAny(text, ",;\t") {
		return false
	}
	for _, f := range strings.FieldsFunc(text, func(r rune) bool { return r == ',' || r == ';' || r == '\t' }) {
		f = strings.Trim(strings.TrimSpace(f), `"'`)
		if f == "" || !isLetter(f[0]) {
			return false
		}
		for i := 0; i < len(f); i++ {
			if c := f[i]; !(isLetter(c) || '0' <= c && c <= '9' || c == '_' || c == '-' || c == ' ') {
				return false
			}
		}
	}
	return true
}

// cutInlineComment splits "value # comment".
func cutInlineComment(text string) (string, string, bool) {
	for _, sep := range []string{" #", "\t#"} {
		if i := strings.Index(text, sep); i > 0 {
			return strings.TrimSpace(text[:i]), strings.TrimSpace(strings.TrimLeft(text[i+len(sep):], "#")), true
		}
	}
	return "", "", false
}

func orDefault(s, def string) string {
	if s != "" {
		return s
	}
	return def
}

// refang undoes the usual defanging of shared indicators.
func refang(v string) string {
	if len(v) >= 4 && strings.EqualFold(v[:4], "hxxp") {
		v = "http" + v[4:]
	}
	if strings.ContainsAny(v, "[(") {
		v = strings.NewReplacer("[.]", ".", "(.)", ".", "[dot]", ".", "[:]", ":", "[://]", "://").Replace(v)
	}
	return v
}

// classify tells what a value is, in the order the plain list documents.
func classify(v string) (Kind, string, bool) {
	v = refang(strings.TrimSpace(v))
	if v == "" || len(v) > maxValue || strings.ContainsFunc(v, isControl) {
		return "", "", false
	}
	if _, err := netip.ParseAddr(v); err == nil {
		return KindIP, v, true
	}
	if strings.Contains(v, "/") {
		if _, err := netip.ParsePrefix(v); err == nil {
			return KindCIDR, v, true
		}
	}
	if k, ok := HashKind(v); ok {
		return k, v, true
	}
	if i := strings.Index(v, "://"); i > 0 && isScheme(v[:i]) {
		if u, ok := splitURL(v); ok && u.host != "" {
			return KindURL, v, true
		}
		return "", "", false
	}
	if isWindowsPath(v) || strings.HasPrefix(v, "/") {
		return KindFilePath, v, true
	}
	if host, _, ok := strings.Cut(v, "/"); ok && isHostName(host) {
		return KindURL, v, true
	}
	if isFileName(v) && fileExtensions[strings.ToLower(v[strings.LastIndexByte(v, '.')+1:])] {
		return KindFileName, v, true
	}
	if isUserAgent(v) {
		return KindUserAgent, v, true
	}
	if isDomainName(v) {
		return KindDomain, v, true
	}
	if isFileName(v) {
		return KindFileName, v, true
	}
	return "", "", false
}

func isControl(r rune) bool { return r < 0x20 && r != '\t' || r == 0x7f }

func isWindowsPath(v string) bool {
	switch {
	case len(v) >= 3 && isLetter(v[0]) && v[1] == ':' && (v[2] == '\\' || v[2] == '/'):
		return true
	case strings.HasPrefix(v, `\\`):
		return true
	case strings.HasPrefix(v, "%") && strings.Contains(v, `%\`):
		return true
	}
	return strings.Contains(v, `\`)
}

// isHostName accepts a domain or an address, with an optional port: the
// part of a URL without its scheme before the first '/'.
func isHostName(h string) bool {
	if i := strings.LastIndexByte(h, ':'); i > 0 && !strings.Contains(h[:i], ":") {
		if _, err := strconv.ParseUint(h[i+1:], 10, 16); err != nil {
			return false
		}
		h = h[:i]
	}
	if _, err := netip.ParseAddr(strings.Trim(h, "[]")); err == nil {
		return true
	}
	return isDomainName(h)
}

// isDomainName accepts dotted labels ending in a top-level domain of
// letters (or an internationalised one, xn--).
func isDomainName(v string) bool {
	d, err := normDomain(v)
	if err != nil {
		return false
	}
	tld := d[strings.LastIndexByte(d, '.')+1:]
	if strings.HasPrefix(tld, "xn--") {
		return true
	}
	if len(tld) < 2 {
		return false
	}
	for i := 0; i < len(tld); i++ {
		if !isLetter(tld[i]) {
			return false
		}
	}
	return true
}

// isFileName accepts a name without folder with an extension of letters
// and digits.
func isFileName(v string) bool {
	if len(v) > 255 || strings.ContainsAny(v, `/\:*?"<>|`) {
		return false
	}
	dot := strings.LastIndexByte(v, '.')
	if dot <= 0 || dot == len(v)-1 || len(v)-dot > 11 {
		return false
	}
	for i := dot + 1; i < len(v); i++ {
		if c := v[i]; !(isLetter(c) || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

// fileExtensions are extensions that make a name a file rather than a
// domain. Extensions that are also common top-level domains (.com, .pl,
// .sh, .app) are left out: such a name is read as a domain unless a
// prefix says file:. Exchange's attackers dropped it.zip, so .zip is a
// file here although it is also a top-level domain.
var fileExtensions = map[string]bool{}

func init() {
	for _, e := range strings.Fields(`aspx asp ashx asmx ascx axd config cshtml js jse vbs vbe wsf hta
		ps1 psm1 psd1 bat cmd exe dll sys scr cpl msi msp lnk ocx drv efi
		jar war jsp jspx php phtml py rb
		txt log dat tmp bin dmp mdmp zip 7z rar gz tgz tar cab iso img vhd vhdx
		xml json csv doc docx docm xls xlsx xlsm ppt pptx pdf rtf ini inf reg chm hlp evtx pst ost edb`) {
		fileExtensions[e] = true
	}
}

// isUserAgent accepts a value that starts with a product/version token
// (RFC 9110's product), the way every browser, crawler and HTTP library
// names itself; IIS's '+' for a space ends the token as a space does.
func isUserAgent(v string) bool {
	end := strings.IndexAny(v, " +;(")
	if end < 0 {
		end = len(v)
	}
	product, version, ok := strings.Cut(v[:end], "/")
	if !ok || product == "" || version == "" {
		return false
	}
	for _, s := range []string{product, version} {
		for i := 0; i < len(s); i++ {
			if !isTokenChar(s[i]) {
				return false
			}
		}
	}
	return true
}

// isTokenChar is RFC 9110's tchar.
func isTokenChar(c byte) bool {
	return isLetter(c) || '0' <= c && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}
