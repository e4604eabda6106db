package finding

import (
	"fmt"
	"net/netip"
	"strings"
	"unicode/utf8"
)

// Evidence keys that more than one rule uses. Log fields keep the name the
// log gives them (ClientIpAddress, UserAgent, ...), so a responder can find
// the column; keys that exhunt adds are lower case.
const (
	KeyClientIP   = "ClientIpAddress"
	KeyUserAgent  = "UserAgent"
	KeyURLHost    = "UrlHost"
	KeyURLStem    = "UrlStem"
	KeyURLQuery   = "UrlQuery"
	KeyHTTPStatus = "HttpStatus"
	KeyRequestID  = "RequestId"
	KeyMethod     = "Method"
	KeyDateTime   = "DateTime"

	// IIS W3C fields, by the names the #Fields directive gives them.
	KeyW3CClientIP  = "c-ip"
	KeyW3CUserAgent = "cs(User-Agent)"
	KeyW3CHost      = "cs-host"
	KeyW3CStem      = "cs-uri-stem"
	KeyW3CQuery     = "cs-uri-query"
	KeyW3CStatus    = "sc-status"
	KeyW3CMethod    = "cs-method"
	KeyW3CUserName  = "cs-username"
	KeyW3CServerIP  = "s-ip"
	KeyW3CPort      = "s-port"

	KeyOutcome  = "outcome"
	KeyWhy      = "why"
	KeySize     = "size"
	KeyModified = "modified"
	KeySHA256   = "sha256"
)

// Normalise fills the machine fields a SIEM keys on (source address, user
// agent, URL) from the raw evidence, and the finding's id. The evidence
// itself is left as it was.
func (f *Finding) Normalise() {
	f.ID = f.Fingerprint()
	if !utf8.ValidString(f.Path) {
		// JSON would turn the bytes into U+FFFD and lose the name.
		f.PathEscaped = EscapeInvalidUTF8(f.Path)
	}
	if f.SourceIP == "" {
		f.SourceIP = NormaliseIP(f.Evidence.Get(KeyClientIP))
	}
	if f.SourceIP == "" {
		f.SourceIP = NormaliseIP(f.Evidence.Get(KeyW3CClientIP))
	}
	if f.UserAgent == "" {
		f.UserAgent = strings.TrimSpace(f.Evidence.Get(KeyUserAgent))
	}
	if f.UserAgent == "" {
		f.UserAgent = strings.TrimSpace(DecodeW3CAgent(f.Evidence.Get(KeyW3CUserAgent)))
	}
	if f.URL == "" {
		f.URL = requestURL(f.Evidence.Get(KeyURLHost), f.Evidence.Get(KeyURLStem), f.Evidence.Get(KeyURLQuery))
	}
	if f.URL == "" {
		f.URL = requestURL(f.Evidence.Get(KeyW3CHost), f.Evidence.Get(KeyW3CStem), f.Evidence.Get(KeyW3CQuery))
	}
}

// NormaliseIP returns the canonical text of an address as logs write it
// (1.2.3.4, 1.2.3.4:51234, [2001:db8::1]:443, fe80::1%12,
// ::ffff:1.2.3.4), or "" when it is not an address.
func NormaliseIP(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap().WithZone("").String()
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap().WithZone("").String()
	}
	if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		return NormaliseIP(s[1 : len(s)-1])
	}
	return ""
}

func requestURL(host, stem, query string) string {
	// IIS writes "-" for an empty field.
	if host == "-" {
		host = ""
	}
	if query == "-" {
		query = ""
	}
	if stem == "" || stem == "-" {
		return ""
	}
	u := stem
	if host != "" && strings.HasPrefix(stem, "/") {
		u = "https://" + host + stem
	}
	if query = strings.TrimPrefix(query, "?"); query != "" {
		u += "?" + query
	}
	return u
}

// EscapeInvalidUTF8 writes the bytes of s that are not UTF-8 as \xNN (and
// a backslash as \\), so a file name that is not text can still be found.
func EscapeInvalidUTF8(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\\':
			b.WriteString(`\\`)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// DecodeW3CAgent undoes IIS's writing of a user agent's spaces as '+'. A
// real '+' is written the same way, so the text is ambiguous; crawlers
// write "(+http://...)" and "; +http://...", so a '+' after '(' or after a
// '+' taken for a space is kept as a '+'.
func DecodeW3CAgent(s string) string {
	if s == "-" {
		return ""
	}
	if strings.IndexByte(s, '+') < 0 {
		return s
	}
	b := []byte(s)
	for i := range b {
		if b[i] != '+' {
			continue
		}
		if i > 0 && (s[i-1] == '(' || s[i-1] == '+' && b[i-1] == ' ') {
			continue
		}
		b[i] = ' '
	}
	return string(b)
}
