package indicators

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// IsHash reports whether s is an MD5, SHA-1 or SHA-256 digest in hex.
func IsHash(s string) bool {
	switch len(s) {
	case 32, 40, 64:
	default:
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// maxHashListLine bounds a line of a hash list; longer lines are an error.
const maxHashListLine = 64 << 10

// ReadHashList reads only the hashes of a list, strictly: a line without
// one is an error. Load reads the same lists (and every other kind and
// format) into a Set, naming the lines it could not use instead.
//
// ReadHashList reads a list of hash indicators in the forms responders
// keep them: one hash per line; Loki's "hash;description"; CSV or TSV rows
// with one or more hash columns (Microsoft's feed has sha256,md5,sha1);
// blank lines and lines starting with '#' or "//" are skipped, and so is a
// first row without a hash (a header). Every hash column of a row is
// taken, described by the row's other columns. A later line without a hash
// is an error naming the list and the line, so a wrong file is not taken
// for an empty list.
func ReadHashList(name string, r io.Reader) (map[string]HashInfo, error) {
	out := map[string]HashInfo{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), maxHashListLine)
	n, rows := 0, 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(strings.TrimPrefix(sc.Text(), "\ufeff"))
		if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, "//") {
			continue
		}
		rows++
		fields := strings.FieldsFunc(line, func(r rune) bool { return r == ';' || r == ',' || r == '\t' || r == ' ' })
		var hashes, words []string
		for _, f := range fields {
			f = strings.Trim(f, `"'`)
			if IsHash(f) {
				hashes = append(hashes, strings.ToLower(f))
			} else if f != "" {
				words = append(words, f)
			}
		}
		if len(hashes) == 0 {
			if rows == 1 {
				continue // a header row
			}
			return nil, fmt.Errorf("%s:%d: no MD5, SHA-1 or SHA-256 on this line", name, n)
		}
		what := strings.Join(words, " ")
		if what == "" {
			what = "hash listed"
		}
		for _, h := range hashes {
			out[h] = HashInfo{What: what, Source: name}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s:%d: %w", name, n+1, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no hashes found", name)
	}
	return out, nil
}
