package w3c

import (
	"strings"
)

// Field names as IIS writes them in #Fields. Lookups ignore case.
const (
	FieldDate          = "date"
	FieldTime          = "time"
	FieldSiteName      = "s-sitename"
	FieldComputerName  = "s-computername"
	FieldServerIP      = "s-ip"
	FieldMethod        = "cs-method"
	FieldStem          = "cs-uri-stem"
	FieldQuery         = "cs-uri-query"
	FieldPort          = "s-port"
	FieldUserName      = "cs-username"
	FieldClientIP      = "c-ip"
	FieldVersion       = "cs-version"
	FieldUserAgent     = "cs(User-Agent)"
	FieldCookie        = "cs(Cookie)"
	FieldReferer       = "cs(Referer)"
	FieldHost          = "cs-host"
	FieldStatus        = "sc-status"
	FieldSubStatus     = "sc-substatus"
	FieldWin32Status   = "sc-win32-status"
	FieldBytesSent     = "sc-bytes"
	FieldBytesReceived = "cs-bytes"
	FieldTimeTaken     = "time-taken"
)

// ExchangeDefaultFields is the field list IIS logs by default, which
// Exchange setup leaves alone: the list to assume for a file (or an
// excerpt) whose #Fields line is missing.
var ExchangeDefaultFields = []string{
	FieldDate, FieldTime, FieldServerIP, FieldMethod, FieldStem, FieldQuery,
	FieldPort, FieldUserName, FieldClientIP, FieldUserAgent, FieldReferer,
	FieldStatus, FieldSubStatus, FieldWin32Status, FieldTimeTaken,
}

// Schema is one field list: what a #Fields directive declares for the data
// lines after it, until the next one.
type Schema struct {
	// Names are the field names in the order of the values on a line.
	Names []string
	index map[string]int
	// Positions of the fields the reader itself needs, -1 when absent.
	date, time, userAgent int
}

// NewSchema builds a schema from field names. Names are matched ignoring
// case, as IIS itself and the usual log tools do; the first of duplicate
// names wins.
func NewSchema(names []string) *Schema {
	s := &Schema{Names: names, index: make(map[string]int, len(names))}
	for i, n := range names {
		if _, dup := s.index[strings.ToLower(n)]; !dup {
			s.index[strings.ToLower(n)] = i
		}
		if _, dup := s.index[n]; !dup {
			s.index[n] = i
		}
	}
	s.date, s.time, s.userAgent = s.Index(FieldDate), s.Index(FieldTime), s.Index(FieldUserAgent)
	return s
}

// Index returns the position of a field, or -1 when the list lacks it.
// Names as written in the file and lower-case names are found without
// allocating, which matters because detectors look fields up per record.
func (s *Schema) Index(name string) int {
	if s == nil {
		return -1
	}
	if i, ok := s.index[name]; ok {
		return i
	}
	for i, n := range s.Names {
		if strings.EqualFold(n, name) {
			return i
		}
	}
	return -1
}

// Has reports whether the list names the field.
func (s *Schema) Has(name string) bool { return s.Index(name) >= 0 }

// sameNames reports whether the #Fields value lists exactly the schema's
// names, so that a header block repeated after every IIS restart reuses
// the schema instead of building another.
func (s *Schema) sameNames(value []byte) bool {
	if s == nil {
		return false
	}
	i := 0
	for tok, rest := nextToken(value); tok != nil; tok, rest = nextToken(rest) {
		if i >= len(s.Names) || s.Names[i] != string(tok) {
			return false
		}
		i++
	}
	return i == len(s.Names)
}
