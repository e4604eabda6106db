// Package probe checks Exchange servers over HTTP(S) from outside, as the
// internet sees them: which hosts run Exchange, which build, and to which
// CVEs that build is open. It contacts only the targets it is given.
package probe

import (
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
)

// Target is one server to check.
type Target struct {
	// Input is the line or argument the target came from.
	Input string
	// Scheme is "https" or "http".
	Scheme string
	// Host is a name or an IP address (without brackets).
	Host string
	Port int
	// Base is the path Exchange's virtual directories hang below: "" for
	// the site's root, "/mail" for a URL that gave one.
	Base string
}

// URL is the address of path on the target.
func (t Target) URL(path string) string {
	return (&url.URL{Scheme: t.Scheme, Host: t.HostPort(), Path: t.Base + path}).String()
}

// HostPort is host:port, with brackets around an IPv6 address.
func (t Target) HostPort() string { return net.JoinHostPort(t.Host, strconv.Itoa(t.Port)) }

// String names the target as reports do: its URL without a path when it
// uses the usual port of its scheme.
func (t Target) String() string {
	host := t.HostPort()
	if t.Port == defaultPort(t.Scheme) {
		host = t.Host
		if strings.Contains(host, ":") {
			host = "[" + host + "]"
		}
	}
	return t.Scheme + "://" + host + t.Base
}

func defaultPort(scheme string) int {
	if scheme == "http" {
		return 80
	}
	return 443
}

// ErrTooMany is a list of targets longer than the bound the user
// confirmed.
var ErrTooMany = errors.New("more targets than allowed")

// Parse reads targets: host names, IP addresses, host:port, http(s) URLs
// (a path is where Exchange's folders hang) and CIDR ranges of addresses.
// Blank entries and those starting with # are passed over; duplicates are
// kept once. More than max targets in all (a range given by mistake, a
// /8) is ErrTooMany, so that nothing the user did not mean is contacted.
func Parse(entries []string, max int) ([]Target, error) {
	var out []Target
	seen := map[Target]bool{}
	for _, e := range entries {
		e = strings.TrimSpace(e)
		if e == "" || strings.HasPrefix(e, "#") {
			continue
		}
		ts, err := parseOne(e, max)
		if err != nil {
			return nil, err
		}
		for _, t := range ts {
			key := t
			key.Input = ""
			if seen[key] {
				continue
			}
			if len(out) == max {
				return nil, fmt.Errorf("%w: more than %d targets in all (%q and after); raise the limit to confirm", ErrTooMany, max, e)
			}
			seen[key] = true
			out = append(out, t)
		}
	}
	return out, nil
}

// parseOne reads one entry, expanding a range of at most max addresses.
func parseOne(e string, max int) ([]Target, error) {
	if strings.ContainsAny(e, " \t\r\n\x00") {
		return nil, fmt.Errorf("target %q: contains blanks or control characters", e)
	}
	if strings.Contains(e, "/") && !strings.Contains(e, "://") {
		return parseRange(e, max)
	}
	t := Target{Input: e, Scheme: "https"}
	if strings.Contains(e, "://") {
		u, err := url.Parse(e)
		if err != nil {
			return nil, fmt.Errorf("target %q: %v", e, err)
		}
		if u.Scheme != "http" && u.Scheme != "https" {
			return nil, fmt.Errorf("target %q: only http and https URLs can be probed", e)
		}
		if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
			return nil, fmt.Errorf("target %q: give the server's address, without user, query or fragment", e)
		}
		t.Scheme = u.Scheme
		t.Base = strings.TrimRight(u.Path, "/")
		for _, v := range []string{"/owa", "/ecp"} {
			// A URL of OWA or ECP itself names the site they hang below.
			if strings.HasSuffix(strings.ToLower(t.Base), v) {
				t.Base = t.Base[:len(t.Base)-len(v)]
			}
		}
		e = u.Host
	}
	t.Port = defaultPort(t.Scheme)
	host := e
	if h, p, err := net.SplitHostPort(e); err == nil {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("target %q: port %q is not a number from 1 to 65535", t.Input, p)
		}
		host, t.Port = h, n
	} else if strings.HasPrefix(e, "[") && strings.HasSuffix(e, "]") {
		host = e[1 : len(e)-1]
	}
	if addr, err := netip.ParseAddr(host); err == nil {
		if addr.Zone() != "" {
			return nil, fmt.Errorf("target %q: an address with a zone cannot be probed", t.Input)
		}
		t.Host = addr.String()
	} else if validHostName(host) {
		t.Host = strings.ToLower(strings.TrimSuffix(host, "."))
	} else {
		return nil, fmt.Errorf("target %q: %q is neither a host name nor an IP address", t.Input, host)
	}
	return []Target{t}, nil
}

// validHostName accepts DNS names of letters, digits, hyphens and
// underscores (found in real internal names).
func validHostName(h string) bool {
	h = strings.TrimSuffix(h, ".")
	if h == "" || len(h) > 253 {
		return false
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, c := range []byte(label) {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return true
}

// parseRange expands a CIDR range to its host addresses (for IPv4 ranges
// wider than /31, without the network and broadcast addresses), on port
// 443 over HTTPS.
func parseRange(e string, max int) ([]Target, error) {
	p, err := netip.ParsePrefix(e)
	if err != nil {
		return nil, fmt.Errorf("target %q: not a CIDR range (e.g. 192.0.2.0/24): %v", e, err)
	}
	p = p.Masked()
	bits := p.Addr().BitLen() - p.Bits()
	size := new(big.Int).Lsh(big.NewInt(1), uint(bits))
	skipEnds := p.Addr().Is4() && bits >= 2
	if skipEnds {
		size.Sub(size, big.NewInt(2))
	}
	if !size.IsInt64() || size.Int64() > int64(max) {
		return nil, fmt.Errorf("%w: %s holds %s addresses, more than the %d allowed; give a narrower range, or raise the limit to confirm", ErrTooMany, e, size.String(), max)
	}
	out := make([]Target, 0, size.Int64())
	a := p.Addr()
	if skipEnds {
		a = a.Next()
	}
	for range size.Int64() {
		out = append(out, Target{Input: e, Scheme: "https", Host: a.String(), Port: 443})
		a = a.Next()
	}
	return out, nil
}
