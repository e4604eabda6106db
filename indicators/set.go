package indicators

import (
	"errors"
	"fmt"
	"iter"
	"net/netip"
	"regexp"
	"slices"
	"strings"
)

// Kind names what an indicator's value is.
type Kind string

// The kinds of indicator a Set holds.
const (
	KindIP   Kind = "ip"   // one IPv4 or IPv6 address
	KindCIDR Kind = "cidr" // an IPv4 or IPv6 network, address/bits
	KindMD5  Kind = "md5"
	KindSHA1 Kind = "sha1"
	// KindSHA256 and the other hashes are hex digests of a file's content.
	KindSHA256 Kind = "sha256"
	// KindDomain matches the domain and every name below it.
	KindDomain Kind = "domain"
	// KindURL matches the URL and, without a query, every URL below its
	// path (see Set.URL).
	KindURL Kind = "url"
	// KindFileName is a file's base name, matched ignoring case.
	KindFileName Kind = "file-name"
	// KindFileNameRegex is a Go (RE2) regular expression over a file's
	// full path, as Loki's filename IOCs are.
	KindFileNameRegex Kind = "file-name-regex"
	// KindFilePath is an absolute Windows path as published (C:\...),
	// matched against the end of a path in a copy (see Set.FileName).
	KindFilePath Kind = "file-path"
	// KindUserAgent is an HTTP User-Agent, matched exactly once IIS's '+'
	// for a space is undone.
	KindUserAgent Kind = "user-agent"
)

// kindOrder is the order in which kinds are listed.
var kindOrder = []Kind{KindIP, KindCIDR, KindMD5, KindSHA1, KindSHA256, KindDomain, KindURL,
	KindFileName, KindFileNameRegex, KindFilePath, KindUserAgent}

// Kinds returns every kind, in the order listings use.
func Kinds() []Kind { return slices.Clone(kindOrder) }

// Valid reports whether k is one of the kinds a Set holds.
func (k Kind) Valid() bool { return slices.Contains(kindOrder, k) }

// Indicator is one thing to look for, with where it comes from.
type Indicator struct {
	Kind Kind
	// Value is the indicator; Add writes addresses, networks, hashes and
	// domains in their canonical form (lower case, masked network) and
	// keeps the others as given.
	Value string
	// Source is the feed or file the indicator was read from, or the
	// publication of a built-in one.
	Source string
	// Date is when the indicator was published or added, if known.
	Date string
	// Label says what it is: the feed's comment, family or STIX name.
	Label string
	// Ref finds the indicator in its source: a STIX id, or file:line.
	Ref string
	// Except is, for a file-name-regex, a regular expression of paths
	// that are not hits although the indicator matches them (the third
	// column of Loki's filename IOCs).
	Except string
}

// Limits of a Set, so that a hostile or mistaken feed cannot exhaust
// memory or time.
const (
	// MaxIndicators bounds the indicators one feed may load.
	MaxIndicators = 4_000_000
	// maxValue bounds an indicator's value; user agents and URLs are the
	// long ones and stay far below it.
	maxValue = 8 << 10
	// maxRegex bounds a regular expression, whose compiled form grows
	// with its length.
	maxRegex = 4 << 10
	// maxPatterns bounds the file-name regexes: each is tried on every
	// path looked up.
	maxPatterns = 100_000
)

// indicatorLimit is MaxIndicators; tests lower it.
var indicatorLimit = MaxIndicators

// ErrTooMany is wrapped by Add's error when the Set holds MaxIndicators,
// or the most file-name regexes it takes.
var ErrTooMany = errors.New("too many indicators")

// entry is an indicator with what its lookups need.
type entry struct {
	Indicator
	re, except *regexp.Regexp
}

// Set is a collection of indicators with a lookup for each kind. The zero
// value is an empty set ready to use. Add and Merge must not run while
// other goroutines look up; after loading, lookups are safe from any
// number of goroutines. The Indicator a lookup returns belongs to the Set:
// read it, do not change it.
//
// Each lookup costs a few map lookups whatever the number of indicators;
// networks are kept per prefix length, so an address is tested once per
// length present (at most 33 for IPv4), not once per network. Only the
// file-name regexes are tried one after the other.
type Set struct {
	all   []*entry // in the order added, for All and Merge
	slab  []entry  // storage of entries, allocated in blocks
	count map[Kind]int

	ip4      map[uint32]*entry
	ip6      map[[16]byte]*entry
	net4     [33]map[uint32]*entry
	net4Bits []int // prefix lengths present, longest first
	net6     [129]map[[16]byte]*entry
	net6Bits []int

	md5    map[[16]byte]*entry
	sha1   map[[20]byte]*entry
	sha256 map[[32]byte]*entry

	domains     map[string]*entry // lower case, no trailing dot
	urls        map[string]*entry // urlKey: host + path [+ "?" + query]
	agents      map[string]*entry // normalised with normUserAgent
	names       map[string]*entry // lower-case base names
	paths       map[string]*entry // pathKey: lower case, '/', no drive
	patterns    []*entry
	patternKeys map[string]bool // expression and exception, for duplicates
}

// Len returns the number of distinct indicators.
func (s *Set) Len() int { return len(s.all) }

// Count returns the number of distinct indicators of each kind present.
func (s *Set) Count() map[Kind]int {
	out := make(map[Kind]int, len(s.count))
	for k, n := range s.count {
		out[k] = n
	}
	return out
}

// All yields every indicator in the order it was added.
func (s *Set) All() iter.Seq[Indicator] {
	return func(yield func(Indicator) bool) {
		for _, e := range s.all {
			if !yield(e.Indicator) {
				return
			}
		}
	}
}

// Add checks an indicator's value for its kind, writes it in canonical
// form and adds it. An indicator whose kind and value the Set already
// holds is not added again: the first one added is the one lookups return.
func (s *Set) Add(ind Indicator) error {
	return s.add(ind, nil, nil, true)
}

// Merge adds o's indicators that s does not hold yet, in o's order. Both
// sets were bounded when they were loaded, so Merge does not apply
// MaxIndicators again.
func (s *Set) Merge(o *Set) {
	if o == nil || o == s {
		return
	}
	for _, e := range o.all {
		// Values in o are valid already; only the bound could refuse them,
		// and Merge does not apply it.
		_ = s.add(e.Indicator, e.re, e.except, false)
	}
}

func (s *Set) add(ind Indicator, re, except *regexp.Regexp, bounded bool) error {
	if !ind.Kind.Valid() {
		return fmt.Errorf("unknown kind %q", ind.Kind)
	}
	v := strings.TrimSpace(ind.Value)
	if v == "" {
		return errors.New("empty value")
	}
	if len(v) > maxValue {
		return fmt.Errorf("value longer than %d bytes", maxValue)
	}
	ind.Value = v
	n := &pending{Indicator: ind, set: s, bounded: bounded}
	switch ind.Kind {
	case KindIP:
		a, err := parseAddr(v)
		if err != nil {
			return err
		}
		n.Value = a.String()
		if a.Is4() {
			return put(&s.ip4, addr4(a), n)
		}
		return put(&s.ip6, a.As16(), n)
	case KindCIDR:
		p, err := parsePrefix(v)
		if err != nil {
			return err
		}
		n.Value = p.String()
		if p.Addr().Is4() {
			if err := put(&s.net4[p.Bits()], addr4(p.Addr()), n); err != nil {
				return err
			}
			s.net4Bits = addBits(s.net4Bits, p.Bits())
			return nil
		}
		if err := put(&s.net6[p.Bits()], p.Addr().As16(), n); err != nil {
			return err
		}
		s.net6Bits = addBits(s.net6Bits, p.Bits())
		return nil
	case KindMD5:
		var k [16]byte
		if !decodeHex(k[:], v) {
			return errors.New("not an MD5 digest (32 hex digits)")
		}
		n.Value = strings.ToLower(v)
		return put(&s.md5, k, n)
	case KindSHA1:
		var k [20]byte
		if !decodeHex(k[:], v) {
			return errors.New("not a SHA-1 digest (40 hex digits)")
		}
		n.Value = strings.ToLower(v)
		return put(&s.sha1, k, n)
	case KindSHA256:
		var k [32]byte
		if !decodeHex(k[:], v) {
			return errors.New("not a SHA-256 digest (64 hex digits)")
		}
		n.Value = strings.ToLower(v)
		return put(&s.sha256, k, n)
	case KindDomain:
		d, err := normDomain(v)
		if err != nil {
			return err
		}
		n.Value = d
		return put(&s.domains, d, n)
	case KindURL:
		u, ok := splitURL(v)
		if !ok || u.host == "" {
			return errors.New("not a URL with a host")
		}
		return put(&s.urls, u.key(), n)
	case KindUserAgent:
		k := normUserAgent(v)
		if k == "" {
			return errors.New("empty user agent")
		}
		return put(&s.agents, k, n)
	case KindFileName:
		if strings.ContainsAny(v, `/\`) {
			return errors.New("a file name has no folder (a path is a file-path)")
		}
		if strings.ContainsAny(v, ":\x00") {
			return errors.New("a Windows file name has no ':' (an alternate data stream) and no NUL")
		}
		return put(&s.names, strings.ToLower(v), n)
	case KindFilePath:
		k, err := pathKey(v)
		if err != nil {
			return err
		}
		return put(&s.paths, k, n)
	case KindFileNameRegex:
		if len(v) > maxRegex || len(ind.Except) > maxRegex {
			return fmt.Errorf("regular expression longer than %d bytes", maxRegex)
		}
		var err error
		if re == nil {
			if re, err = regexp.Compile(v); err != nil {
				return fmt.Errorf("regular expression: %v", err)
			}
		}
		if except == nil && ind.Except != "" {
			if except, err = regexp.Compile(ind.Except); err != nil {
				return fmt.Errorf("exception regular expression: %v", err)
			}
		}
		key := v + "\x00" + ind.Except
		if _, dup := s.patternKeys[key]; dup {
			return nil
		}
		if bounded && len(s.patterns) >= maxPatterns {
			return fmt.Errorf("%w (more than %d file-name regexes, each tried on every path)", ErrTooMany, maxPatterns)
		}
		e, err := n.alloc()
		if err != nil {
			return err
		}
		e.re, e.except = re, except
		s.patterns = append(s.patterns, e)
		if s.patternKeys == nil {
			s.patternKeys = map[string]bool{}
		}
		s.patternKeys[key] = true
		return nil
	}
	return fmt.Errorf("unknown kind %q", ind.Kind)
}

// pending is an indicator about to be stored.
type pending struct {
	Indicator
	set     *Set
	bounded bool
}

// slabSize is how many entries are allocated at once; entries never move,
// so lookups can hand out pointers to them.
const slabSize = 1024

func (p *pending) alloc() (*entry, error) {
	s := p.set
	if p.bounded && len(s.all) >= indicatorLimit {
		return nil, fmt.Errorf("%w (more than %d)", ErrTooMany, indicatorLimit)
	}
	if len(s.slab) == cap(s.slab) {
		s.slab = make([]entry, 0, slabSize)
	}
	s.slab = append(s.slab, entry{Indicator: p.Indicator})
	e := &s.slab[len(s.slab)-1]
	s.all = append(s.all, e)
	if s.count == nil {
		s.count = map[Kind]int{}
	}
	s.count[p.Kind]++
	return e, nil
}

// put stores a new indicator under key k, unless one is there already.
func put[K comparable](m *map[K]*entry, k K, p *pending) error {
	if _, dup := (*m)[k]; dup {
		return nil
	}
	e, err := p.alloc()
	if err != nil {
		return err
	}
	if *m == nil {
		*m = map[K]*entry{}
	}
	(*m)[k] = e
	return nil
}

// addBits adds a prefix length to a list kept longest first, so that the
// most specific network is the one found.
func addBits(list []int, bits int) []int {
	i, found := slices.BinarySearchFunc(list, bits, func(a, b int) int { return b - a })
	if found {
		return list
	}
	return slices.Insert(list, i, bits)
}

// parseAddr reads one address; an IPv4-mapped IPv6 address is its IPv4
// address and a zone is dropped (it names the interface of the machine
// that logged it, not the peer).
func parseAddr(v string) (netip.Addr, error) {
	a, err := netip.ParseAddr(v)
	if err != nil {
		return a, fmt.Errorf("not an IP address: %q", v)
	}
	return a.Unmap().WithZone(""), nil
}

// parsePrefix reads a network and masks it; an IPv4-mapped IPv6 network
// of at least 96 bits is its IPv4 network.
func parsePrefix(v string) (netip.Prefix, error) {
	p, err := netip.ParsePrefix(v)
	if err != nil {
		return p, fmt.Errorf("not a network (address/bits): %q", v)
	}
	if a := p.Addr(); a.Is4In6() {
		if p.Bits() < 96 {
			return p, fmt.Errorf("IPv4-mapped network shorter than /96: %q", v)
		}
		p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
	}
	return p.Masked(), nil
}

func addr4(a netip.Addr) uint32 {
	b := a.As4()
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

// decodeHex decodes a digest of exactly len(dst) bytes, in either case.
func decodeHex(dst []byte, s string) bool {
	if len(s) != 2*len(dst) {
		return false
	}
	for i := range dst {
		hi, ok1 := unhex(s[2*i])
		lo, ok2 := unhex(s[2*i+1])
		if !ok1 || !ok2 {
			return false
		}
		dst[i] = hi<<4 | lo
	}
	return true
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// HashKind tells which digest a hex string is by its length.
func HashKind(hexDigest string) (Kind, bool) {
	if !IsHash(hexDigest) {
		return "", false
	}
	switch len(hexDigest) {
	case 32:
		return KindMD5, true
	case 40:
		return KindSHA1, true
	}
	return KindSHA256, true
}
