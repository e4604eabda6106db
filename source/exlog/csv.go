package exlog

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

// quotesBalanced reports whether line ends outside a quoted field, i.e.
// whether the record is complete on this physical line.
// It follows splitCSV's reading of stray quotes.
func quotesBalanced(line []byte) bool {
	in, atFieldStart, justClosed := false, true, false
	for _, c := range line {
		if in {
			if c == '"' {
				in, justClosed = false, true
			}
			continue
		}
		switch {
		case c == '"' && (atFieldStart || justClosed):
			// Opening quote, or the second quote of a doubled pair.
			in = true
		case c == ',':
			atFieldStart, justClosed = true, false
			continue
		}
		atFieldStart, justClosed = false, false
	}
	return !in
}
