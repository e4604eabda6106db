package w3c

import (
	"strconv"
	"strings"
)

// Format is the log format an IIS log file's name declares.
type Format int

const (
	FormatUnknown Format = iota
	// FormatW3C is the W3C extended format, the one Read reads and the
	// default of every IIS since 6.0.
	FormatW3C
	// FormatIIS is Microsoft's fixed comma-separated format.
	FormatIIS
	// FormatNCSA is the NCSA common log format.
	FormatNCSA
)

func (f Format) String() string {
	switch f {
	case FormatW3C:
		return "W3C extended"
	case FormatIIS:
		return "IIS"
	case FormatNCSA:
		return "NCSA common"
	}
	return "unknown"
}

// NameFormat tells from a file name (with or without folders, either slash)
// which format IIS wrote it in, ignoring case. IIS names a file by format,
// then period:
//
//	[u_]ex<period>[_x].log   W3C extended; _x when custom fields are logged (IIS 8.5+)
//	[u_]extend<N>.log        W3C extended, a new file by size or never
//	[u_]in<period>.log       IIS format; [u_]inetsv<N>.log by size
//	[u_]nc<period>.log       NCSA format; [u_]ncsa<N>.log by size
//
// where <period> is yymm (monthly), yymmww (weekly: week of the month),
// yymmdd (daily, the default) or yymmddhh (hourly), and u_ marks a UTF-8
// file (IIS 7 and later), the others being in the ANSI code page.
func NameFormat(name string) Format {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.ToLower(name)
	stem, ok := strings.CutSuffix(name, ".log")
	if !ok {
		return FormatUnknown
	}
	stem = strings.TrimPrefix(stem, "u_")
	for _, f := range []struct {
		prefix, bySize string
		format         Format
	}{
		{"ex", "extend", FormatW3C},
		{"in", "inetsv", FormatIIS},
		{"nc", "ncsa", FormatNCSA},
	} {
		if n, ok := strings.CutPrefix(stem, f.bySize); ok && allDigits(n) {
			return f.format
		}
		period, ok := strings.CutPrefix(stem, f.prefix)
		if !ok {
			continue
		}
		if f.format == FormatW3C {
			period = strings.TrimSuffix(period, "_x")
		}
		if (len(period) == 4 || len(period) == 6 || len(period) == 8) && allDigits(period) {
			return f.format
		}
	}
	return FormatUnknown
}

// IsLogName reports whether a file name is one IIS gives its site logs, in
// any of the formats NameFormat lists; only FormatW3C files are what Read
// reads, the others are worth naming as logs that were not read.
func IsLogName(name string) bool { return NameFormat(name) != FormatUnknown }

func allDigits(s string) bool {
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

// SiteID finds the site a log belongs to from its folder: IIS writes the
// logs of site n to a folder W3SVC<n> (W3SVC1 the Default Web Site, which
// is Exchange's front end; W3SVC2 Exchange Back End). The innermost such
// folder of the path wins; either slash, any case.
func SiteID(path string) (int, bool) {
	for path != "" {
		elem := path
		if i := strings.LastIndexAny(path, `/\`); i >= 0 {
			elem, path = path[i+1:], path[:i]
		} else {
			path = ""
		}
		if len(elem) <= 5 || len(elem) > 5+9 || !strings.EqualFold(elem[:5], "w3svc") || !allDigits(elem[5:]) {
			continue
		}
		if id, err := strconv.Atoi(elem[5:]); err == nil && id > 0 {
			return id, true
		}
	}
	return 0, false
}
