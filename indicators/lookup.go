package indicators

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"strings"
)

// IP returns the indicator of the address, or of the most specific network
// holding it, or nil. An IPv4-mapped IPv6 address is looked up as its IPv4
// address; a zone is ignored.
func (s *Set) IP(a netip.Addr) *Indicator {
	if !a.IsValid() {
		return nil
	}
	a = a.Unmap()
	if a.Is4() {
		return s.lookup4(addr4(a))
	}
	return s.lookup6(a.As16())
}

func (s *Set) lookup4(u uint32) *Indicator {
	if e := s.ip4[u]; e != nil {
		return &e.Indicator
	}
	for _, bits := range s.net4Bits {
		// A shift by 32 gives 0 in Go, which is the /0 mask.
		if e := s.net4[bits][u&(0xFFFFFFFF<<(32-bits))]; e != nil {
			return &e.Indicator
		}
	}
	return nil
}

func (s *Set) lookup6(a [16]byte) *Indicator {
	if e := s.ip6[a]; e != nil {
		return &e.Indicator
	}
	for _, bits := range s.net6Bits {
		m := a
		for i := range m {
			switch left := bits - 8*i; {
			case left <= 0:
				m[i] = 0
			case left < 8:
				m[i] &= 0xFF << (8 - left)
			}
		}
		if e := s.net6[bits][m]; e != nil {
			return &e.Indicator
		}
	}
	return nil
}

// IPText is IP for an address as logs write it: "1.2.3.4",
// "1.2.3.4:5555", "[::1]:443", "fe80::1%12", "::ffff:1.2.3.4", with
// surrounding spaces or double quotes. Text that is not an address gives
// nil. IPv4 text is parsed here without allocating; IPv6 text goes
// through net/netip.
func (s *Set) IPText(b []byte) *Indicator {
	if len(s.ip4) == 0 && len(s.ip6) == 0 && len(s.net4Bits) == 0 && len(s.net6Bits) == 0 {
		return nil
	}
	b = bytes.Trim(b, " \t\"")
	if u, ok := parseIPv4Text(b); ok {
		return s.lookup4(u)
	}
	if len(b) == 0 || len(b) > 64 {
		return nil
	}
	if b[0] == '[' {
		end := bytes.IndexByte(b, ']')
		if end < 0 || !isPort(b[end+1:]) {
			return nil
		}
		b = b[1:end]
	}
	if i := bytes.IndexByte(b, '%'); i >= 0 {
		b = b[:i]
	}
	if bytes.IndexByte(b, ':') < 0 {
		return nil // neither IPv4 (tried above) nor IPv6
	}
	a, err := netip.ParseAddr(string(b))
	if err != nil {
		return nil
	}
	return s.IP(a)
}

// parseIPv4Text reads a dotted quad, optionally followed by ":port".
// Octets with a leading zero are refused, as net/netip refuses them: some
// parsers read them as octal.
func parseIPv4Text(b []byte) (uint32, bool) {
	var u uint32
	i := 0
	for part := 0; part < 4; part++ {
		if part > 0 {
			if i >= len(b) || b[i] != '.' {
				return 0, false
			}
			i++
		}
		start, v := i, 0
		for i < len(b) && '0' <= b[i] && b[i] <= '9' && i-start < 3 {
			v = v*10 + int(b[i]-'0')
			i++
		}
		if i == start || v > 255 || (i-start > 1 && b[start] == '0') {
			return 0, false
		}
		u = u<<8 | uint32(v)
	}
	if !isPort(b[i:]) {
		return 0, false
	}
	return u, true
}

// isPort accepts nothing or ":" and one to five digits.
func isPort(b []byte) bool {
	if len(b) == 0 {
		return true
	}
	if b[0] != ':' || len(b) < 2 || len(b) > 6 {
		return false
	}
	for _, c := range b[1:] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// Hash returns the indicator of an MD5, SHA-1 or SHA-256 hex digest, in
// either case, or nil.
func (s *Set) Hash(hexDigest string) *Indicator {
	h := strings.TrimSpace(hexDigest)
	var e *entry
	switch len(h) {
	case 32:
		var k [16]byte
		if decodeHex(k[:], h) {
			e = s.md5[k]
		}
	case 40:
		var k [20]byte
		if decodeHex(k[:], h) {
			e = s.sha1[k]
		}
	case 64:
		var k [32]byte
		if decodeHex(k[:], h) {
			e = s.sha256[k]
		}
	}
	if e == nil {
		return nil
	}
	return &e.Indicator
}

// UserAgent returns the indicator of a User-Agent, or nil. IIS writes a
// space as '+', Exchange's own logs write the space: both sides are
// compared with every '+' read as a space and outer spaces trimmed, so
// either form of a published agent matches either form in a log. (IIS
// leaves a real '+' as it is; a real "; +http" becomes ";  http" in both.)
// The comparison is otherwise exact, case included.
func (s *Set) UserAgent(ua string) *Indicator {
	if len(s.agents) == 0 {
		return nil
	}
	var buf [256]byte
	k := appendUserAgent(buf[:0], ua)
	if e := s.agents[string(k)]; e != nil {
		return &e.Indicator
	}
	return nil
}

func appendUserAgent(dst []byte, ua string) []byte {
	ua = strings.TrimSpace(ua)
	start := len(dst)
	for i := 0; i < len(ua); i++ {
		c := ua[i]
		if c == '+' {
			c = ' '
		}
		dst = append(dst, c)
	}
	return append(dst[:start], bytes.TrimSpace(dst[start:])...)
}

func normUserAgent(ua string) string { return string(appendUserAgent(nil, ua)) }

// Domain returns the indicator of a host name or of any domain above it
// (an indicator "krebsonsecurity.top" matches "brian.krebsonsecurity.top"
// but not "evilkrebsonsecurity.top"), ignoring case, a trailing dot and a
// ":port"; or nil.
func (s *Set) Domain(host string) *Indicator {
	if len(s.domains) == 0 {
		return nil
	}
	h := strings.TrimSpace(host)
	if i := strings.IndexByte(h, ':'); i >= 0 && strings.LastIndexByte(h, ':') == i {
		h = h[:i]
	}
	h = strings.TrimSuffix(h, ".")
	var buf [256]byte
	k := appendLower(buf[:0], h)
	for {
		if e := s.domains[string(k)]; e != nil {
			return &e.Indicator
		}
		i := bytes.IndexByte(k, '.')
		if i < 0 {
			return nil
		}
		k = k[i+1:]
		if bytes.IndexByte(k, '.') < 0 {
			return nil // a top-level domain alone is never an indicator
		}
	}
}

// normDomain checks a domain indicator and writes it in lower case. A
// single label is refused: it would match every name under a top-level
// domain.
func normDomain(v string) (string, error) {
	d := strings.ToLower(strings.TrimSuffix(strings.TrimPrefix(v, "*."), "."))
	if len(d) > 253 {
		return "", errors.New("domain longer than 253 characters")
	}
	labels := strings.Split(d, ".")
	if len(labels) < 2 {
		return "", fmt.Errorf("%q is a single label, not a domain", v)
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 {
			return "", fmt.Errorf("%q has an empty or over-long label", v)
		}
		for _, r := range l {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r >= 0x80) {
				return "", fmt.Errorf("%q has a character not allowed in a domain", v)
			}
		}
	}
	if tld := labels[len(labels)-1]; strings.Trim(tld, "0123456789") == "" {
		return "", fmt.Errorf("%q ends in a number: an address is not a domain", v)
	}
	return d, nil
}

// urlParts are the parts of a URL that matching compares.
type urlParts struct {
	host        string // lower case, no port, no brackets
	path, query string // as written; path "/" when empty
}

// key is where the Set files a URL indicator.
func (u urlParts) key() string {
	k := u.host + u.path
	if u.query != "" {
		k += "?" + u.query
	}
	return k
}

// splitURL takes a URL apart, with or without a scheme ("evil.com/x" is
// read as http://evil.com/x). The scheme, user, port and fragment are
// dropped: matching compares the host and what follows.
func splitURL(v string) (urlParts, bool) {
	var u urlParts
	v = strings.TrimSpace(v)
	if i := strings.Index(v, "://"); i > 0 && isScheme(v[:i]) {
		v = v[i+3:]
	}
	end := strings.IndexAny(v, "/?#")
	if end < 0 {
		end = len(v)
	}
	auth, rest := v[:end], v[end:]
	if i := strings.LastIndexByte(auth, '@'); i >= 0 {
		auth = auth[i+1:]
	}
	if strings.HasPrefix(auth, "[") {
		j := strings.IndexByte(auth, ']')
		if j < 0 {
			return u, false
		}
		auth = auth[1:j]
	} else if i := strings.IndexByte(auth, ':'); i >= 0 {
		auth = auth[:i]
	}
	u.host = strings.ToLower(strings.TrimSuffix(auth, "."))
	if strings.ContainsAny(u.host, " \t\"<>\\") {
		return u, false
	}
	if i := strings.IndexByte(rest, '#'); i >= 0 {
		rest = rest[:i]
	}
	u.path, u.query, _ = strings.Cut(rest, "?")
	if u.path == "" {
		u.path = "/"
	}
	return u, true
}

func isScheme(s string) bool {
	if s == "" || !isLetter(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !(isLetter(c) || '0' <= c && c <= '9' || c == '+' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

// URL returns the indicator of a URL, or nil. A URL is given with or
// without its scheme. Host names compare ignoring case; the scheme, user,
// port and fragment are ignored; path and query compare exactly (no
// percent-decoding, case kept). An indicator with a query matches only the
// same host, path and query. One without a query matches the same host
// with the same path, or with a path that continues it after a '/': an
// indicator http://evil.com/dl matches http://evil.com/dl,
// https://evil.com/dl/x.exe and http://evil.com/dl?id=1, not
// http://evil.com/dl2; an indicator of a bare host (http://evil.com or
// http://evil.com/) matches every URL on that host.
func (s *Set) URL(u string) *Indicator {
	if len(s.urls) == 0 {
		return nil
	}
	p, ok := splitURL(u)
	if !ok {
		return nil
	}
	var buf [512]byte
	k := append(append(buf[:0], p.host...), p.path...)
	base := len(p.host)
	if p.query != "" {
		q := append(append(k, '?'), p.query...)
		if e := s.urls[string(q)]; e != nil {
			return &e.Indicator
		}
		k = q[:base+len(p.path)]
	}
	if e := s.urls[string(k)]; e != nil {
		return &e.Indicator
	}
	for i := len(p.path) - 1; i >= 0; i-- {
		if p.path[i] != '/' {
			continue
		}
		if e := s.urls[string(k[:base+i+1])]; e != nil {
			return &e.Indicator
		}
		if i > 0 {
			if e := s.urls[string(k[:base+i])]; e != nil {
				return &e.Indicator
			}
		}
	}
	return nil
}

// FileName returns the indicator of a file, or nil. The path is the file's
// path in a copy or on the live system, with '/' or '\'. In this order:
//
//   - file-path indicators are absolute default-install paths
//     ("C:\Program Files\Microsoft\Exchange Server\V15\...\x.aspx"); without
//     the drive they must match the end of the path, whole folder names,
//     ignoring case, so that a copy mounted anywhere
//     (/mnt/ex01/Program Files/...) is found. An indicator of a file in the
//     root of the drive ("C:\x.dll") matches only a path that is that name
//     alone: as a suffix it would match the file in every folder.
//   - file-name indicators match the base name, ignoring case.
//   - file-name-regex indicators are tried on the path with '/' and with
//     '\' (Loki's expressions are written for '\'), case as the expression
//     says; a hit that its Except expression also matches does not count.
func (s *Set) FileName(path string) *Indicator {
	if len(s.paths) == 0 && len(s.names) == 0 && len(s.patterns) == 0 {
		return nil
	}
	var buf [512]byte
	k := appendPathKey(buf[:0], path)
	if len(s.paths) > 0 {
		if e := s.paths[string(k)]; e != nil {
			return &e.Indicator
		}
		for i := 0; i < len(k); i++ {
			if k[i] != '/' {
				continue
			}
			rest := k[i+1:]
			if bytes.IndexByte(rest, '/') < 0 {
				break // the base name alone: only the whole path may be one
			}
			if e := s.paths[string(rest)]; e != nil {
				return &e.Indicator
			}
		}
	}
	if len(s.names) > 0 {
		base := k[bytes.LastIndexByte(k, '/')+1:]
		if e := s.names[string(base)]; e != nil {
			return &e.Indicator
		}
	}
	if len(s.patterns) > 0 {
		fwd := strings.ReplaceAll(path, `\`, "/")
		back := strings.ReplaceAll(path, "/", `\`)
		for _, e := range s.patterns {
			if !e.re.MatchString(fwd) && !e.re.MatchString(back) {
				continue
			}
			if e.except != nil && (e.except.MatchString(fwd) || e.except.MatchString(back)) {
				continue
			}
			return &e.Indicator
		}
	}
	return nil
}

// appendPathKey writes a path the way file-path indicators are filed:
// '/' for '\', lower case, without a \\?\ prefix, a drive letter, leading
// or repeated slashes.
func appendPathKey(dst []byte, p string) []byte {
	start := len(dst)
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c == '\\' {
			c = '/'
		}
		dst = append(dst, c)
	}
	k := dst[start:]
	for _, pre := range []string{"//?/", "//./"} {
		if bytes.HasPrefix(k, []byte(pre)) {
			k = k[len(pre):]
		}
	}
	if len(k) >= 2 && k[1] == ':' && isLetter(k[0]) {
		k = k[2:]
	}
	out := dst[:start]
	for i, c := range k {
		if c == '/' && (len(out) == start || i > 0 && k[i-1] == '/') {
			continue
		}
		out = append(out, c)
	}
	return lowerInPlace(out, start)
}

// lowerInPlace lower-cases dst[start:], in place when it is ASCII.
func lowerInPlace(dst []byte, start int) []byte {
	for i := start; i < len(dst); i++ {
		if dst[i] >= 0x80 {
			return append(dst[:start], strings.ToLower(string(dst[start:]))...)
		}
		if 'A' <= dst[i] && dst[i] <= 'Z' {
			dst[i] += 'a' - 'A'
		}
	}
	return dst
}

func appendLower(dst []byte, s string) []byte {
	start := len(dst)
	return lowerInPlace(append(dst, s...), start)
}

// windowsFolders are the environment variables a published path may start
// with that name the same folder on every Windows server.
var windowsFolders = map[string]string{
	"%programfiles%":        `C:\Program Files`,
	"%programw6432%":        `C:\Program Files`,
	"%programfiles(x86)%":   `C:\Program Files (x86)`,
	"%commonprogramfiles%":  `C:\Program Files\Common Files`,
	"%systemroot%":          `C:\Windows`,
	"%windir%":              `C:\Windows`,
	"%programdata%":         `C:\ProgramData`,
	"%allusersprofile%":     `C:\ProgramData`,
	"%public%":              `C:\Users\Public`,
	"%systemdrive%":         `C:`,
	"%exchangeinstallpath%": `C:\Program Files\Microsoft\Exchange Server\V15\`,
}

// pathKey files a file-path indicator: a leading environment variable that
// names a fixed folder is expanded; one that does not (%TEMP%, %APPDATA%:
// they depend on the user) is refused rather than kept as a path that can
// never match.
func pathKey(v string) (string, error) {
	if strings.HasPrefix(v, "%") {
		end := strings.IndexByte(v[1:], '%')
		if end < 0 {
			return "", fmt.Errorf("unclosed environment variable in %q", v)
		}
		name := strings.ToLower(v[:end+2])
		dir, ok := windowsFolders[name]
		if !ok {
			return "", fmt.Errorf("%s differs between users and servers; give the path without it, or the file name", v[:end+2])
		}
		v = dir + v[end+2:]
	}
	if strings.Contains(v, "%") {
		return "", fmt.Errorf("environment variable inside %q cannot be resolved", v)
	}
	k := string(appendPathKey(nil, v))
	if k == "" || strings.HasSuffix(k, "/") {
		return "", fmt.Errorf("%q names no file", v)
	}
	return k, nil
}
