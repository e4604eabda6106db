package exlog

import "bytes"

// splitCSV splits one CSV record (RFC 4180: fields with a comma, quote or
// line break are enclosed in double quotes and quotes inside are doubled)
// into fields, appending to dst. It is lenient the way log readers must be:
// a quote inside an unquoted field is kept as text, text after a closing
// quote is kept, and an unterminated quoted field runs to the end of the
// line. complete is false only for that last case.
func splitCSV(dst []string, line []byte) (fields []string, complete bool) {
	complete = true
	i := 0
	for {
		if i < len(line) && line[i] == '"' {
			var val []byte
			i++
			closed := false
			for i < len(line) {
				c := line[i]
				if c == '"' {
					if i+1 < len(line) && line[i+1] == '"' {
						val = append(val, '"')
						i += 2
						continue
					}
					i++
					closed = true
					break
				}
				val = append(val, c)
				i++
			}
			if !closed {
				complete = false
			}
			// Stray text between the closing quote and the next comma.
			for i < len(line) && line[i] != ',' {
				val = append(val, line[i])
				i++
			}
			dst = append(dst, string(val))
		} else {
			start := i
			for i < len(line) && line[i] != ',' {
				i++
			}
			dst = append(dst, string(line[start:i]))
		}
		if i >= len(line) {
			return dst, complete
		}
		i++ // the comma
	}
}

// quoteScanner follows splitCSV's reading of quotes across the lines of a
// record, so that a record spanning lines is scanned once, not once per
// added line.
type quoteScanner struct {
	in, justClosed, started bool
	atFieldStart            bool
}

// feed scans more of the record; in tells afterwards whether a quoted field
// is still open.
func (q *quoteScanner) feed(b []byte) {
	if !q.started {
		q.started, q.atFieldStart = true, true
	}
	for _, c := range b {
		if q.in {
			if c == '"' {
				q.in, q.justClosed = false, true
			}
			continue
		}
		switch {
		case c == '"' && (q.atFieldStart || q.justClosed):
			// Opening quote, or the second quote of a doubled pair.
			q.in = true
		case c == ',':
			q.atFieldStart, q.justClosed = true, false
			continue
		}
		q.atFieldStart, q.justClosed = false, false
	}
}

// fieldAt returns the raw bytes of the n-th (0-based) CSV field of line,
// without its quotes (a doubled quote inside stays doubled: addresses and
// the other values looked up this way have none), and false when the line
// has fewer fields. It does not allocate.
func fieldAt(line []byte, n int) ([]byte, bool) {
	i := 0
	for k := 0; ; k++ {
		start, end := i, i
		if i < len(line) && line[i] == '"' {
			i++
			start = i
			for {
				j := bytes.IndexByte(line[i:], '"')
				if j < 0 {
					i, end = len(line), len(line)
					break
				}
				i += j
				if i+1 < len(line) && line[i+1] == '"' {
					i += 2
					continue
				}
				end = i
				i++
				break
			}
			if j := bytes.IndexByte(line[i:], ','); j >= 0 {
				i += j
			} else {
				i = len(line)
			}
		} else {
			if j := bytes.IndexByte(line[i:], ','); j >= 0 {
				i += j
			} else {
				i = len(line)
			}
			end = i
		}
		if k == n {
			return line[start:end], true
		}
		if i >= len(line) {
			return nil, false
		}
		i++ // the comma
	}
}
