// Package psscript writes the collection script of `exhunt collect
// --script`: a Windows PowerShell script for the Exchange servers on which
// exhunt cannot run (Go programs do not start on Windows Server 2012 R2 and
// older, where many Exchange 2013 and 2016 servers live). The script needs
// nothing but what Windows has (PowerShell 2.0, robocopy, wevtutil, reg);
// it copies what `exhunt scan` reads into a folder laid out as package
// triage describes, which the responder takes away and scans elsewhere:
//
//	exhunt collect --script > collect.ps1
//	powershell -ExecutionPolicy Bypass -File collect.ps1 -OutDir E:\evidence
//	exhunt scan --root E:\evidence\EX01-20210305T101500Z
//
// The command prints it with:
//
//	script, err := psscript.Script(psscript.Options{Version: version})
//	if err != nil {
//		return err
//	}
//	fmt.Fprint(stdout, script)
//
// The script is a template (collect.ps1.tmpl) filled from Go data: the
// places, event log channels and hives it collects (places.go, built from
// the constants and tables of the scan's own packages where they are
// exported), and triage's names, statuses, methods and time format. The
// output depends on Options alone. The tests read the tables back out of
// the generated script, check it for constructs Windows PowerShell 2.0
// lacks, and run a Go model of its copying on a synthetic attacked server
// to show that scanning the collection gives the findings of scanning the
// server.
package psscript

import (
	_ "embed"
	"fmt"
	"strconv"
	"strings"
	"text/template"

	"github.com/exhunt/exhunt/facts"
	"github.com/exhunt/exhunt/triage"
)

// ToolName is the collector's name in collection.json.
const ToolName = "exhunt-collect.ps1"

// Options shape the script.
type Options struct {
	// Version is exhunt's version, written into the script and, by the
	// script, into collection.json.
	Version string
}

//go:embed collect.ps1.tmpl
var scriptTemplate string

// The template's delimiters: PowerShell uses braces everywhere but never
// "[%".
var tmpl = template.Must(template.New("collect.ps1").Delims("[%", "%]").Parse(scriptTemplate))

// Script returns the collection script, with Windows line ends (the
// Notepad of Windows Server 2012 R2 shows a file without them as one line).
func Script(opts Options) (string, error) {
	version := opts.Version
	if version == "" {
		version = "unknown"
	}
	if err := checkText(version); err != nil {
		return "", fmt.Errorf("psscript: version %q: %w", version, err)
	}
	timeFormat, err := dotNetTimeFormat(triage.TimeLayout)
	if err != nil {
		return "", fmt.Errorf("psscript: %w", err)
	}
	data := map[string]string{
		"VersionText":          version,
		"Version":              psQuote(version),
		"ToolName":             psQuote(ToolName),
		"Format":               psQuote(triage.Format),
		"FormatVersion":        strconv.Itoa(triage.FormatVersion),
		"ManifestName":         psQuote(triage.ManifestName),
		"HashListName":         psQuote(triage.HashListName),
		"RecordName":           psQuote(triage.RecordName),
		"ManifestHeader":       psList(triage.ManifestHeader),
		"StatusCollected":      psQuote(string(triage.Collected)),
		"StatusPartial":        psQuote(string(triage.Partial)),
		"StatusSkipped":        psQuote(string(triage.Skipped)),
		"StatusFailed":         psQuote(string(triage.Failed)),
		"MethodRead":           psQuote(string(triage.MethodRead)),
		"MethodRobocopy":       psQuote(string(triage.MethodRobocopy)),
		"MethodEventLogExport": psQuote(string(triage.MethodEventLogExport)),
		"MethodRegistrySave":   psQuote(string(triage.MethodRegistrySave)),
		"TimeFormat":           psQuote(timeFormat),
		"SkipSince":            psQuote(SkipSince),
		"SkipFileSize":         psQuote(SkipFileSize),
		"SkipTotalSize":        psQuote(SkipTotalSize),
		"SkipDiskSpace":        psQuote(SkipDiskSpace),
		"DefaultExchangeDir":   psQuote(winPath(facts.DefaultExchangeDir)),
		"DefaultWebRoot":       psQuote(winPath(facts.DefaultWebRoot)),
		"DefaultIISLogDir":     psQuote(facts.DefaultIISLogDir),
		"IISConfigFile":        psQuote(winPath(facts.IISConfigFile)),
		"IISHistoryDir":        psQuote(winPath(facts.IISHistoryDir)),
		"EventLogDir":          psQuote(EventLogDir),
		"HiveDir":              psQuote(HiveDir),
		"Places":               renderPlaces(Places),
		"Channels":             renderChannels(Channels),
		"Hives":                renderHives(Hives),
	}
	var b strings.Builder
	if err := tmpl.Execute(&b, data); err != nil {
		return "", fmt.Errorf("psscript: %w", err)
	}
	out := b.String()
	if err := checkASCII(out); err != nil {
		// Windows PowerShell reads a script without a byte order mark in
		// the system's code page: anything but ASCII could be misread.
		return "", fmt.Errorf("psscript: the script must be ASCII: %w", err)
	}
	return strings.ReplaceAll(out, "\n", "\r\n"), nil
}

// checkText refuses text that would break out of the script's help comment
// or is not plain ASCII.
func checkText(s string) error {
	if err := checkASCII(s); err != nil {
		return err
	}
	for _, c := range s {
		if c < 0x20 || c == 0x7f {
			return fmt.Errorf("control character %q", c)
		}
	}
	if strings.Contains(s, "#>") || strings.Contains(s, "<#") {
		return fmt.Errorf("comment delimiter")
	}
	return nil
}

func checkASCII(s string) error {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			line := strings.Count(s[:i], "\n") + 1
			return fmt.Errorf("byte 0x%02x on line %d", s[i], line)
		}
	}
	return nil
}

// psQuote writes a PowerShell single-quoted literal: nothing in it is
// expanded; a quote is doubled, the typographic single quotes too, since
// PowerShell takes them for quotes.
func psQuote(s string) string {
	r := strings.NewReplacer("'", "''", "\u2018", "\u2018\u2018", "\u2019", "\u2019\u2019", "\u201a", "\u201a\u201a", "\u201b", "\u201b\u201b")
	return "'" + r.Replace(s) + "'"
}

func psList(items []string) string {
	q := make([]string, len(items))
	for i, s := range items {
		q[i] = psQuote(s)
	}
	return "@(" + strings.Join(q, ", ") + ")"
}

func psBool(b bool) string {
	if b {
		return "$true"
	}
	return "$false"
}

// renderPlaces writes the places as an array of hashtables, one a line.
func renderPlaces(places []Place) string {
	var b strings.Builder
	b.WriteString("$Places = @(\n")
	for _, p := range places {
		fmt.Fprintf(&b, "    @{ Base = %s; Path = %s; Depth = %d; Include = %s; Exclude = %s; Logs = %s; OnlyWith = %s; Why = %s }\n",
			psQuote(string(p.Base)), psQuote(p.Path), p.Depth, psList(p.Include), psList(p.Exclude), psBool(p.Logs), psQuote(p.Switch), psQuote(p.Why))
	}
	b.WriteString(")")
	return b.String()
}

func renderChannels(channels []string) string {
	var b strings.Builder
	b.WriteString("$Channels = @(\n")
	for _, c := range channels {
		b.WriteString("    " + psQuote(c) + "\n")
	}
	b.WriteString(")")
	return b.String()
}

func renderHives(hives []Hive) string {
	var b strings.Builder
	b.WriteString("$Hives = @(\n")
	for _, h := range hives {
		fmt.Fprintf(&b, "    @{ Key = %s; File = %s; Secret = %s; Why = %s }\n", psQuote(h.Key), psQuote(h.File), psBool(h.Secret), psQuote(h.Why))
	}
	b.WriteString(")")
	return b.String()
}

// dotNetTimeFormat turns a Go time layout into the .NET custom format that
// writes the same text, for the layouts of fixed-width UTC times triage
// uses ("2006-01-02T15:04:05.0000000Z").
func dotNetTimeFormat(layout string) (string, error) {
	tokens := []struct{ goTok, net string }{
		{"2006", "yyyy"}, {"01", "MM"}, {"02", "dd"}, {"15", "HH"}, {"04", "mm"}, {"05", "ss"},
	}
	var b strings.Builder
	for i := 0; i < len(layout); {
		matched := false
		for _, t := range tokens {
			if strings.HasPrefix(layout[i:], t.goTok) {
				b.WriteString(t.net)
				i += len(t.goTok)
				matched = true
				break
			}
		}
		if matched {
			continue
		}
		switch c := layout[i]; {
		case c == '.' && i+1 < len(layout) && layout[i+1] == '0':
			n := 0
			for i+1+n < len(layout) && layout[i+1+n] == '0' {
				n++
			}
			if n > 7 {
				return "", fmt.Errorf("time layout %q: .NET keeps 7 fraction digits at most", layout)
			}
			b.WriteString("." + strings.Repeat("f", n))
			i += 1 + n
		case c == '-' || c == ':':
			// .NET's ":" is the culture's time separator; the script
			// formats with the invariant culture, where it is ":".
			b.WriteByte(c)
			i++
		case c == 'T' || c == 'Z':
			b.WriteString("'" + string(c) + "'")
			i++
		default:
			return "", fmt.Errorf("time layout %q: %q at %d has no .NET equivalent here", layout, c, i)
		}
	}
	return b.String(), nil
}
