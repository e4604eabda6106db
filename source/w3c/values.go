package w3c

import (
	"net/netip"
	"strings"
	"time"
	"unicode/utf8"
)

// IsEmpty reports whether a value as written is empty: IIS writes "-" for
// a value it does not have.
func IsEmpty(tok []byte) bool { return len(tok) == 0 || len(tok) == 1 && tok[0] == '-' }

// Value turns a value as written into the value: "-" becomes "".
func Value(tok string) string {
	if tok == "-" {
		return ""
	}
	return tok
}

// DecodeUserAgent turns a logged header value (cs(User-Agent),
// cs(Referer), cs(Cookie)) back into the text the client sent: IIS writes
// '+' for each space. A '+' the client sent is logged as '+' too, so the
// decoding cannot tell them apart; "-" (no header) gives "".
func DecodeUserAgent(tok string) string {
	return strings.ReplaceAll(Value(tok), "+", " ")
}

// DecodeURI undoes percent-encoding in a logged stem or query: %XX, and
// the %uXXXX form that IIS also accepts (and attackers use to get past
// filters). An escape that is not one is kept as written; "-" (no query)
// gives "". The result may hold any bytes, as the request did.
func DecodeURI(tok string) string {
	s := Value(tok)
	i := strings.IndexByte(s, '%')
	if i < 0 {
		return s
	}
	out := make([]byte, 0, len(s))
	out = append(out, s[:i]...)
	for i < len(s) {
		c := s[i]
		if c != '%' {
			out = append(out, c)
			i++
			continue
		}
		if hi, lo := unhex(s, i+1), unhex(s, i+2); hi >= 0 && lo >= 0 {
			out = append(out, byte(hi<<4|lo))
			i += 3
			continue
		}
		if i+5 < len(s) && (s[i+1] == 'u' || s[i+1] == 'U') {
			r := 0
			ok := true
			for k := i + 2; k < i+6; k++ {
				d := unhex(s, k)
				if d < 0 {
					ok = false
					break
				}
				r = r<<4 | d
			}
			if ok {
				out = utf8.AppendRune(out, rune(r))
				i += 6
				continue
			}
		}
		out = append(out, c)
		i++
	}
	return string(out)
}

// unhex is the value of the hex digit at s[i], or -1 (also past the end).
func unhex(s string, i int) int {
	if i >= len(s) {
		return -1
	}
	switch c := s[i]; {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// ClientAddr reads a logged address (c-ip, s-ip, or a forwarding header of
// custom logging): IPv4, IPv6 with or without a zone (fe80::1%12, as IIS
// logs link-local clients), with or without a port ("1.2.3.4:5678",
// "[::1]:443"). An IPv4 address mapped into IPv6 (::ffff:1.2.3.4) is
// given as IPv4, so that it compares equal to indicator lists. "-" and
// anything else give false.
func ClientAddr(s string) (netip.Addr, bool) {
	if strings.HasPrefix(s, "[") {
		end := strings.IndexByte(s, ']')
		if end < 0 || (end+1 < len(s) && !isPort(s[end+1:])) {
			return netip.Addr{}, false
		}
		s = s[1:end]
	} else if i := strings.IndexByte(s, ':'); i >= 0 && strings.Count(s, ":") == 1 {
		// One colon: an IPv4 address and a port.
		if !isPort(s[i:]) {
			return netip.Addr{}, false
		}
		s = s[:i]
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, false
	}
	if a.Is4In6() {
		a = a.Unmap()
	}
	return a, true
}

// isPort accepts ":<1-5 digits>".
func isPort(s string) bool {
	if len(s) < 2 || len(s) > 6 || s[0] != ':' {
		return false
	}
	for _, c := range []byte(s[1:]) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

type text interface{ ~string | ~[]byte }

// parseDate reads the yyyy-mm-dd date IIS writes.
func parseDate[T text](b T) (y, m, d int, ok bool) {
	if len(b) != 10 || b[4] != '-' || b[7] != '-' {
		return 0, 0, 0, false
	}
	y, ok1 := number(b[0:4])
	m, ok2 := number(b[5:7])
	d, ok3 := number(b[8:10])
	if !ok1 || !ok2 || !ok3 || m < 1 || m > 12 || d < 1 || d > 31 {
		return 0, 0, 0, false
	}
	return y, m, d, true
}

// parseClock reads hh:mm:ss with an optional fraction of up to nine digits
// (IIS writes none; other writers of the format do).
func parseClock(b []byte) (h, mi, s, ns int, ok bool) {
	if len(b) < 8 || b[2] != ':' || b[5] != ':' {
		return 0, 0, 0, 0, false
	}
	h, ok1 := number(b[0:2])
	mi, ok2 := number(b[3:5])
	s, ok3 := number(b[6:8])
	if !ok1 || !ok2 || !ok3 || h > 23 || mi > 59 || s > 59 {
		return 0, 0, 0, 0, false
	}
	if len(b) > 8 {
		frac := b[9:]
		if b[8] != '.' || len(frac) == 0 || len(frac) > 9 {
			return 0, 0, 0, 0, false
		}
		f, okf := number(frac)
		if !okf {
			return 0, 0, 0, 0, false
		}
		for range 9 - len(frac) {
			f *= 10
		}
		ns = f
	}
	return h, mi, s, ns, true
}

func number[T text](b T) (int, bool) {
	n := 0
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, len(b) > 0
}

func dateTime[T text](date T, clock []byte) (time.Time, bool) {
	y, m, d, ok := parseDate(date)
	if !ok {
		return time.Time{}, false
	}
	h, mi, s, ns, ok := parseClock(clock)
	if !ok {
		return time.Time{}, false
	}
	t := time.Date(y, time.Month(m), d, h, mi, s, ns, time.UTC)
	if t.Day() != d {
		return time.Time{}, false // 2021-02-30
	}
	return t, true
}

// prefixTime reads the time of a data line without a field list: IIS
// writes its fields in a fixed order, date and time first when it logs
// them, so a line starts with "date time" or, without a date field, with
// the time on the day of the #Date directive.
func prefixTime(line []byte, headerDay string) (time.Time, bool) {
	first, rest := nextToken(line)
	if _, _, _, ok := parseDate(first); ok {
		clock, _ := nextToken(rest)
		return dateTime(first, clock)
	}
	if headerDay == "" {
		return time.Time{}, false
	}
	return dateTime(headerDay, first)
}

// headerDate is the day of the #Date directive ("2019-09-03 10:04:35").
func headerDate(h *Header) string {
	if h == nil || len(h.Date) < 10 {
		return ""
	}
	return h.Date[:10]
}
