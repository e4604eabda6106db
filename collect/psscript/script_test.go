package psscript

import (
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/exhunt/exhunt/source/eventlog"
	"github.com/exhunt/exhunt/sysreg"
	"github.com/exhunt/exhunt/triage"
)

func generated(t *testing.T) (string, []psToken) {
	t.Helper()
	s, err := Script(Options{Version: "1.2.3-test"})
	if err != nil {
		t.Fatal(err)
	}
	toks, err := tokenize(s)
	if err != nil {
		t.Fatalf("the script does not tokenize: %v", err)
	}
	return s, toks
}

func TestScriptIsDeterministic(t *testing.T) {
	a, err := Script(Options{Version: "v1"})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Script(Options{Version: "v1"})
	if a != b {
		t.Fatal("two scripts of the same options differ")
	}
	c, _ := Script(Options{Version: "v2"})
	if a == c || !strings.Contains(c, "$ToolVersion = 'v2'") {
		t.Fatal("the version is not in the script")
	}
	t.Logf("script: %d bytes, %d lines", len(a), strings.Count(a, "\n"))
}

func TestScriptRefusesVersionsThatBreakIt(t *testing.T) {
	for _, v := range []string{"1.0 #> Remove-Item C:\\", "1.0\nx", "v\u00e9", "<# x"} {
		if _, err := Script(Options{Version: v}); err == nil {
			t.Errorf("version %q accepted", v)
		}
	}
	s, err := Script(Options{Version: "it's"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(s, "$ToolVersion = 'it''s'") {
		t.Error("a quote in the version is not doubled")
	}
	if s, _ := Script(Options{}); !strings.Contains(s, "$ToolVersion = 'unknown'") {
		t.Error("no version is not 'unknown'")
	}
}

// Windows PowerShell reads a script without a byte order mark in the ANSI
// code page, and Notepad of 2012 R2 wants CRLF.
func TestScriptIsASCIIWithCRLF(t *testing.T) {
	s, _ := generated(t)
	if err := checkASCII(s); err != nil {
		t.Fatal(err)
	}
	if strings.Count(s, "\n") != strings.Count(s, "\r\n") {
		t.Fatal("a line does not end in CRLF")
	}
	if !strings.HasPrefix(s, "#requires -Version 2.0\r\n") {
		t.Fatal("the script does not start by requiring PowerShell 2.0")
	}
}

func TestScriptBracketsBalance(t *testing.T) {
	_, toks := generated(t)
	if err := checkBrackets(toks); err != nil {
		t.Fatal(err)
	}
}

// ps2Problems lists the constructs of the tokens that Windows PowerShell 2.0
// (on .NET 2.0/3.5) lacks, and the cmdlets the script must not use.
func ps2Problems(toks []psToken) []string {
	var out []string
	bad := func(t psToken, why string) { out = append(out, fmt.Sprintf("line %d: %s: %s", t.line, t.text, why)) }
	// Whole words, any case.
	words := map[string]string{
		"convertto-json": "PowerShell 3", "convertfrom-json": "PowerShell 3", "get-filehash": "PowerShell 4",
		"invoke-webrequest": "PowerShell 3", "invoke-restmethod": "PowerShell 3", "get-ciminstance": "PowerShell 3",
		"compress-archive": "PowerShell 5", "expand-archive": "PowerShell 5", "new-temporaryfile": "PowerShell 5",
		"write-information": "PowerShell 5", "-in": "PowerShell 3", "-notin": "PowerShell 3", "-shl": "PowerShell 3",
		"-shr": "PowerShell 3", "class": "PowerShell 5", "enum": "PowerShell 5", "using": "PowerShell 5",
		"workflow": "PowerShell 3", "-parallel": "PowerShell 7", "-asutc": "PowerShell 7", "-ashashtable": "PowerShell 6",
		"-pipelinevariable": "PowerShell 4", "-pv": "PowerShell 4",
		"add-type": "compiles into %TEMP%, a folder the script collects",
	}
	// Parts of words: members of .NET 4 and later, PowerShell 3+ methods.
	parts := map[string]string{
		"::new": "PowerShell 5", ".foreach": "PowerShell 4", ".where": "PowerShell 4",
		"enumeratefiles": ".NET 4", "enumeratedirectories": ".NET 4", "enumeratefilesysteminfos": ".NET 4",
		"isnullorwhitespace": ".NET 4", "is64bitprocess": ".NET 4", "is64bitoperatingsystem": ".NET 4",
		"hasflag": ".NET 4", ".copyto": "Stream.CopyTo is .NET 4", "::join": "String.Join of a list is .NET 4; use -join",
	}
	// Type literals.
	types := map[string]string{
		"ordered": "PowerShell 3", "pscustomobject": "PowerShell 3", "system.io.compression": ".NET 4.5",
		"io.compression": ".NET 4.5", "system.io.compression.zipfile": ".NET 4.5",
	}
	// Parameters that exist only later, by cmdlet.
	params := map[string]map[string]string{
		"get-childitem": {"-file": "PowerShell 3", "-directory": "PowerShell 3", "-attributes": "PowerShell 3",
			"-hidden": "PowerShell 3", "-readonly": "PowerShell 3", "-system": "PowerShell 3", "-depth": "PowerShell 5"},
		"get-content": {"-raw": "PowerShell 3", "-tail": "PowerShell 3"},
		"set-content": {"-nonewline": "PowerShell 5"}, "add-content": {"-nonewline": "PowerShell 5"},
		"out-file": {"-nonewline": "PowerShell 5"}, "sort-object": {"-top": "PowerShell 7", "-bottom": "PowerShell 7"},
		"export-csv": {"-append": "PowerShell 3"}, "get-item": {"-stream": "PowerShell 3"},
	}
	aliases := map[string]string{"gci": "get-childitem", "dir": "get-childitem", "ls": "get-childitem", "gc": "get-content", "cat": "get-content", "type": "get-content", "sort": "sort-object"}
	for i, t := range toks {
		switch t.kind {
		case tkComment:
			if strings.Contains(strings.ToLower(t.text), "#requires -runasadministrator") {
				bad(t, "PowerShell 4")
			}
		case tkVariable, tkExpandString:
			names := []string{t.text}
			if t.kind == tkExpandString {
				names = t.vars
			}
			for _, n := range names {
				switch l := strings.ToLower(n); {
				case l == "psscriptroot" || l == "pscommandpath":
					bad(t, "$"+n+" is PowerShell 3 outside modules")
				case strings.HasPrefix(l, "using:"):
					bad(t, "$using: is PowerShell 3")
				case l == "psdefaultparametervalues":
					bad(t, "PowerShell 3")
				}
			}
		case tkPunct:
			switch t.text {
			case "??", "?.", "?[":
				bad(t, "PowerShell 7")
			case "[":
				if i+2 < len(toks) && toks[i+1].kind == tkWord && toks[i+2].text == "]" {
					if why, ok := types[strings.ToLower(toks[i+1].text)]; ok {
						bad(toks[i+1], why)
					}
				}
			}
		case tkWord:
			l := strings.ToLower(t.text)
			if why, ok := words[l]; ok {
				bad(t, why)
			}
			for p, why := range parts {
				if strings.Contains(l, p) {
					bad(t, why)
				}
			}
			if (l == "-erroraction" || l == "-ea" || l == "-warningaction" || l == "-wa") && i+1 < len(toks) && strings.EqualFold(toks[i+1].text, "ignore") {
				bad(toks[i+1], "the Ignore action is PowerShell 3")
			}
			cmd := l
			if a, ok := aliases[l]; ok {
				cmd = a
			}
			if ps, ok := params[cmd]; ok {
				// The cmdlet's parameters: to the end of its statement.
				depth := 0
			statement:
				for _, u := range toks[i+1:] {
					switch {
					case u.kind == tkNewline || u.text == ";" || u.text == "|":
						if depth == 0 {
							break statement
						}
					case u.kind == tkPunct && closing[u.text] != "":
						depth++
					case u.text == ")" || u.text == "}" || u.text == "]":
						if depth == 0 {
							break statement
						}
						depth--
					case u.kind == tkWord:
						if why, ok := ps[strings.ToLower(u.text)]; ok {
							bad(u, t.text+" "+u.text+" is "+why)
						}
					}
				}
			}
		}
	}
	return out
}

func TestScriptHasNothingPowerShell2Lacks(t *testing.T) {
	_, toks := generated(t)
	for _, p := range ps2Problems(toks) {
		t.Error(p)
	}
}

// The checks above must catch what they look for: each snippet holds one
// thing PowerShell 2.0 lacks.
func TestPS2ChecksCatchTheirTargets(t *testing.T) {
	for _, snippet := range []string{
		"$x = [System.Text.StringBuilder]::new()",
		"$h = [ordered]@{ a = 1 }",
		"$o = [PSCustomObject]@{ a = 1 }",
		"$j = $o | ConvertTo-Json",
		"$h = Get-FileHash -Path $p",
		"Get-ChildItem -LiteralPath $d -File",
		"gci $d -Recurse -Directory | ForEach-Object { $_ }",
		"dir $d -Depth 2",
		"$here = $PSScriptRoot",
		"Write-Host \"from $PSScriptRoot\"",
		"$a = $b ?? 'c'",
		"$n = $o?.Name",
		"class Thing { }",
		"using namespace System.IO",
		"if ($a -in $list) { }",
		"$t = Get-Content $f -Raw",
		"$x = Get-Item $p -ErrorAction Ignore",
		"$list.ForEach({ $_ })",
		"[string]::IsNullOrWhiteSpace($s)",
		"[System.IO.Directory]::EnumerateFiles($d)",
		"$in.CopyTo($out)",
		"Add-Type -TypeDefinition $code",
		"Invoke-WebRequest -Uri $u",
	} {
		toks, err := tokenize(snippet)
		if err != nil {
			t.Errorf("%q: %v", snippet, err)
			continue
		}
		if len(ps2Problems(toks)) == 0 {
			t.Errorf("not caught: %q", snippet)
		}
	}
	// And PowerShell 2.0's own forms pass.
	for _, snippet := range []string{
		"$files = @($d.GetFileSystemInfos())",
		"Get-ChildItem -LiteralPath $d -Force | Where-Object { -not $_.PSIsContainer }",
		"$text = [System.IO.File]::ReadAllText($f)",
		"$x = @{ File = 'SYSTEM'; Directory = 'x' }",
		"'-File is a PowerShell 3 switch' | Write-Host",
	} {
		toks, err := tokenize(snippet)
		if err != nil {
			t.Fatalf("%q: %v", snippet, err)
		}
		if p := ps2Problems(toks); len(p) > 0 {
			t.Errorf("%q flagged: %v", snippet, p)
		}
	}
}

func TestTokenizerFindsBrokenScripts(t *testing.T) {
	for _, snippet := range []string{
		"$a = 'open",
		"$a = \"open",
		"<# never closed",
		"$a = @'\nbody\n",
		"$a = @' text on the opening line\nbody\n'@",
		"$a = \"sub $(Get-Date)\"",
	} {
		if _, err := tokenize(snippet); err == nil {
			t.Errorf("%q tokenized", snippet)
		}
	}
	for _, snippet := range []string{"if ($a) { $b = @(1, 2 }", "$a = (1", "$a = @{ x = 1 ]", ")"} {
		toks, err := tokenize(snippet)
		if err != nil {
			t.Errorf("%q: %v", snippet, err)
			continue
		}
		if checkBrackets(toks) == nil {
			t.Errorf("%q: brackets pass", snippet)
		}
	}
	// What is inside strings, here-strings and comments is no code.
	toks, err := tokenize("$a = 'it''s ( [ {'\n$b = @\"\n\"quoted\" ) $v ]\n\"@\n<# ) #> # (\n$c = \u2018smart\u2019\u2019s\u2019\n$d = \"x`\"y(\"")
	if err != nil {
		t.Fatal(err)
	}
	if err := checkBrackets(toks); err != nil {
		t.Fatal(err)
	}
	var strs []string
	for _, tk := range toks {
		if tk.kind == tkString || tk.kind == tkExpandString {
			strs = append(strs, tk.text)
		}
	}
	want := []string{"it's ( [ {", "\"quoted\" ) $v ]", "smart\u2019s", "x`\"y("}
	if !reflect.DeepEqual(strs, want) {
		t.Fatalf("strings %q, want %q", strs, want)
	}
	if toks[len(toks)-1].line != 7 {
		t.Fatalf("last line %d, want 7", toks[len(toks)-1].line)
	}
}

// helpParams reads the .PARAMETER names of the script's comment-based
// help; params the names of its param( ) block.
func helpAndParams(t *testing.T, toks []psToken) (help map[string]bool, sections map[string]bool, params []string) {
	help, sections = map[string]bool{}, map[string]bool{}
	for _, tk := range toks {
		if tk.kind == tkComment && strings.HasPrefix(tk.text, "<#") {
			for _, l := range strings.Split(tk.text, "\n") {
				f := strings.Fields(l)
				if len(f) > 0 && strings.HasPrefix(f[0], ".") {
					sections[strings.ToUpper(f[0])] = true
					if strings.EqualFold(f[0], ".PARAMETER") && len(f) > 1 {
						help[strings.ToLower(f[1])] = true
					}
				}
			}
			break
		}
	}
	for i, tk := range toks {
		if tk.kind == tkWord && strings.EqualFold(tk.text, "param") && i+1 < len(toks) && toks[i+1].text == "(" {
			depth := 0
			for _, u := range toks[i+1:] {
				switch {
				case u.kind == tkPunct && closing[u.text] != "":
					depth++
				case u.text == ")" || u.text == "}" || u.text == "]":
					depth--
				case u.kind == tkVariable && depth == 1:
					params = append(params, u.text)
				}
				if depth == 0 {
					break
				}
			}
			return
		}
	}
	t.Fatal("no param( ) block")
	return
}

func TestScriptHelpDocumentsEveryParameter(t *testing.T) {
	_, toks := generated(t)
	help, sections, params := helpAndParams(t, toks)
	for _, s := range []string{".SYNOPSIS", ".DESCRIPTION", ".EXAMPLE", ".NOTES"} {
		if !sections[s] {
			t.Errorf("the help has no %s", s)
		}
	}
	if len(params) < 7 {
		t.Fatalf("params %v", params)
	}
	seen := map[string]bool{}
	for _, p := range params {
		seen[strings.ToLower(p)] = true
		if !help[strings.ToLower(p)] {
			t.Errorf("-%s has no .PARAMETER help", p)
		}
	}
	for h := range help {
		if !seen[h] {
			t.Errorf(".PARAMETER %s names no parameter", h)
		}
	}
	// The switches the places name are parameters.
	for _, p := range Places {
		if p.Switch != "" && !seen[strings.ToLower(p.Switch)] {
			t.Errorf("place %s\\%s is turned on by -%s, which is no parameter", p.Base, p.Path, p.Switch)
		}
	}
	for _, sw := range []string{SwitchAllExchangeLogs, SwitchAllEventLogs, SwitchSkipSecretHives} {
		if !seen[strings.ToLower(sw)] {
			t.Errorf("-%s is no parameter", sw)
		}
	}
}

// A small reader of PowerShell literals: strings, integers, $true and
// $false, @( ) lists and @{ } tables.
type literalReader struct {
	toks []psToken
	i    int
}

func (r *literalReader) skipSpace() {
	for r.i < len(r.toks) && (r.toks[r.i].kind == tkNewline || r.toks[r.i].kind == tkComment) {
		r.i++
	}
}

func (r *literalReader) value() (any, error) {
	r.skipSpace()
	if r.i >= len(r.toks) {
		return nil, fmt.Errorf("value expected at the end")
	}
	t := r.toks[r.i]
	r.i++
	switch {
	case t.kind == tkString:
		return t.text, nil
	case t.kind == tkVariable && strings.EqualFold(t.text, "true"):
		return true, nil
	case t.kind == tkVariable && strings.EqualFold(t.text, "false"):
		return false, nil
	case t.kind == tkWord:
		n, err := strconv.Atoi(t.text)
		if err != nil {
			return nil, fmt.Errorf("%v: not a literal", t)
		}
		return n, nil
	case t.text == "@(":
		var list []any
		for {
			r.skipSpace()
			if r.i < len(r.toks) && r.toks[r.i].text == ")" {
				r.i++
				return list, nil
			}
			v, err := r.value()
			if err != nil {
				return nil, err
			}
			list = append(list, v)
			if r.i < len(r.toks) && r.toks[r.i].text == "," {
				r.i++
			}
		}
	case t.text == "@{":
		m := map[string]any{}
		for {
			for r.i < len(r.toks) && (r.toks[r.i].text == ";" || r.toks[r.i].kind == tkNewline) {
				r.i++
			}
			if r.i < len(r.toks) && r.toks[r.i].text == "}" {
				r.i++
				return m, nil
			}
			if r.i+1 >= len(r.toks) || r.toks[r.i].kind != tkWord || r.toks[r.i+1].text != "=" {
				return nil, fmt.Errorf("key = value expected at %v", r.toks[r.i])
			}
			key := r.toks[r.i].text
			r.i += 2
			v, err := r.value()
			if err != nil {
				return nil, err
			}
			m[key] = v
		}
	}
	return nil, fmt.Errorf("%v: not a literal", t)
}

// assignments reads the script's top-level assignments of literals
// ("$Name = literal" at the start of a line).
func assignments(t *testing.T, toks []psToken) map[string]any {
	out := map[string]any{}
	for i := 0; i+2 < len(toks); i++ {
		if (i == 0 || toks[i-1].kind == tkNewline) && toks[i].kind == tkVariable && toks[i+1].text == "=" {
			r := &literalReader{toks: toks, i: i + 2}
			if v, err := r.value(); err == nil && (r.i >= len(toks) || toks[r.i].kind == tkNewline) {
				if _, dup := out[toks[i].text]; dup {
					continue // assigned again later: not a constant
				}
				out[toks[i].text] = v
			}
		}
	}
	return out
}

// between returns the tokens between two marker comments.
func between(t *testing.T, toks []psToken, begin, end string) []psToken {
	t.Helper()
	from, to := -1, -1
	for i, tk := range toks {
		if tk.kind == tkComment && tk.text == begin {
			from = i
		}
		if tk.kind == tkComment && tk.text == end {
			to = i
		}
	}
	if from < 0 || to < from {
		t.Fatalf("markers %q and %q not found", begin, end)
	}
	return toks[from+1 : to]
}

func strs(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}

// The tables in the script are the Go tables they were generated from.
func TestScriptTablesAreTheGoTables(t *testing.T) {
	_, toks := generated(t)

	placeToks := between(t, toks, "# BEGIN places", "# END places")
	vals := assignments(t, placeToks)
	var places []Place
	for _, v := range vals["Places"].([]any) {
		m := v.(map[string]any)
		places = append(places, Place{Base: Base(m["Base"].(string)), Path: m["Path"].(string), Depth: m["Depth"].(int),
			Include: strs(m["Include"]), Exclude: strs(m["Exclude"]), Logs: m["Logs"].(bool), Switch: m["OnlyWith"].(string), Why: m["Why"].(string)})
	}
	if !reflect.DeepEqual(places, Places) {
		t.Errorf("places in the script:\n%+v\nin Go:\n%+v", places, Places)
	}

	chToks := between(t, toks, "# BEGIN channels", "# END channels")
	if got := strs(assignments(t, chToks)["Channels"]); !reflect.DeepEqual(got, Channels) {
		t.Errorf("channels %q, want %q", got, Channels)
	}
	if !reflect.DeepEqual(Channels, eventlog.ReadChannels) {
		t.Errorf("the script exports %q, the scan reads %q", Channels, eventlog.ReadChannels)
	}

	hvToks := between(t, toks, "# BEGIN hives", "# END hives")
	var hives []Hive
	for _, v := range assignments(t, hvToks)["Hives"].([]any) {
		m := v.(map[string]any)
		hives = append(hives, Hive{Key: m["Key"].(string), File: m["File"].(string), Secret: m["Secret"].(bool), Why: m["Why"].(string)})
	}
	if !reflect.DeepEqual(hives, Hives) {
		t.Errorf("hives %+v, want %+v", hives, Hives)
	}
	for _, h := range []sysreg.Hive{sysreg.System, sysreg.Software} {
		found := false
		for _, hv := range Hives {
			found = found || hv.File == string(h) && !hv.Secret && "Windows/System32/config/"+hv.File == sysreg.HivePath(h)
		}
		if !found {
			t.Errorf("the scan reads the %s hive, which the script does not save where the scan reads it", h)
		}
	}

	// The collection's layout is triage's.
	all := assignments(t, toks)
	want := map[string]any{
		"ToolName": ToolName, "Format": triage.Format, "FormatVersion": triage.FormatVersion,
		"ManifestName": triage.ManifestName, "HashListName": triage.HashListName, "RecordName": triage.RecordName,
		"StatusCollected": string(triage.Collected), "StatusPartial": string(triage.Partial),
		"StatusSkipped": string(triage.Skipped), "StatusFailed": string(triage.Failed),
		"MethodRead": string(triage.MethodRead), "MethodRobocopy": string(triage.MethodRobocopy),
		"MethodEventLogExport": string(triage.MethodEventLogExport), "MethodRegistrySave": string(triage.MethodRegistrySave),
		"SkipSince": SkipSince, "SkipFileSize": SkipFileSize, "SkipTotalSize": SkipTotalSize, "SkipDiskSpace": SkipDiskSpace,
		"EventLogDir": `Windows\System32\winevt\Logs`, "HiveDir": `Windows\System32\config`,
	}
	for k, v := range want {
		if !reflect.DeepEqual(all[k], v) {
			t.Errorf("$%s = %#v in the script, want %#v", k, all[k], v)
		}
	}
	if got := strs(all["ManifestHeader"]); !reflect.DeepEqual(got, triage.ManifestHeader) {
		t.Errorf("manifest header %q, want %q", got, triage.ManifestHeader)
	}
	// Every status and method the script writes is triage's.
	for _, v := range []string{"StatusCollected", "StatusPartial", "StatusSkipped", "StatusFailed", "MethodRead", "MethodRobocopy", "MethodEventLogExport", "MethodRegistrySave"} {
		if _, ok := all[v]; !ok {
			t.Errorf("$%s is not set once from a literal", v)
		}
	}
	// The time format writes what triage.TimeLayout writes.
	at := time.Date(2021, 3, 3, 8, 11, 4, 123456700, time.UTC)
	if got, want := formatDotNet(t, all["TimeFormat"].(string), at), at.Format(triage.TimeLayout); got != want {
		t.Errorf("the script's time format writes %q, triage writes %q", got, want)
	}
}

// formatDotNet formats a time with the .NET custom format the script uses,
// for the specifiers it uses (invariant culture).
func formatDotNet(t *testing.T, format string, at time.Time) string {
	t.Helper()
	var b strings.Builder
	for i := 0; i < len(format); {
		c := format[i]
		n := 1
		for i+n < len(format) && format[i+n] == c {
			n++
		}
		switch {
		case c == '\'':
			end := strings.IndexByte(format[i+1:], '\'')
			if end < 0 {
				t.Fatalf("format %q: quote does not close", format)
			}
			b.WriteString(format[i+1 : i+1+end])
			i += end + 2
			continue
		case c == 'y' && n == 4:
			fmt.Fprintf(&b, "%04d", at.Year())
		case c == 'M' && n == 2:
			fmt.Fprintf(&b, "%02d", int(at.Month()))
		case c == 'd' && n == 2:
			fmt.Fprintf(&b, "%02d", at.Day())
		case c == 'H' && n == 2:
			fmt.Fprintf(&b, "%02d", at.Hour())
		case c == 'm' && n == 2:
			fmt.Fprintf(&b, "%02d", at.Minute())
		case c == 's' && n == 2:
			fmt.Fprintf(&b, "%02d", at.Second())
		case c == 'f' && n <= 7:
			b.WriteString(fmt.Sprintf("%07d", at.Nanosecond()/100)[:n])
		case c == '-' || c == ':' || c == '.':
			b.WriteString(format[i : i+n])
		default:
			t.Fatalf("format %q: %q is not handled", format, format[i:i+n])
		}
		i += n
	}
	return b.String()
}

// The script writes only into its own collection: every call that writes
// names a variable that holds a path inside it, and those variables are
// made from the collection's folder only.
func TestScriptWritesOnlyIntoItsCollection(t *testing.T) {
	s, toks := generated(t)
	allowed := map[string]bool{"destination": true, "destinationdir": true, "rundir": true, "recordpath": true,
		"recordtemp": true, "manifestpath": true, "hashlistpath": true}
	// Cmdlets that write or change anything.
	for _, tk := range toks {
		if tk.kind != tkWord {
			continue
		}
		switch strings.ToLower(tk.text) {
		case "remove-item", "set-content", "out-file", "add-content", "new-item", "copy-item", "move-item", "rename-item",
			"set-itemproperty", "new-itemproperty", "remove-itemproperty", "clear-content", "clear-item", "set-acl",
			"clear-eventlog", "limit-eventlog", "export-csv", "start-transcript", "tee-object":
			t.Errorf("line %d: %s changes files or settings", tk.line, tk.text)
		}
	}
	writers := map[string]bool{"::delete": true, "::setattributes": true, "::setcreationtimeutc": true, "::setlastwritetimeutc": true,
		"::setlastaccesstimeutc": true, "::move": true, "::writealltext": true, "::writeallbytes": true, "::appendalltext": true,
		"::createdirectory": true, "::copy": true, "::replace": true}
	destParam := map[string]int{"copy-byread": 2, "set-copytimes": 2, "remove-copy": 1}
	checked := 0
	for i, tk := range toks {
		if tk.kind != tkWord {
			continue
		}
		l := strings.ToLower(tk.text)
		if writers[l] || l == "::open" || destParam[l] > 0 {
			checked++
		}
		switch {
		case writers[l]:
			if i+2 >= len(toks) || toks[i+1].text != "(" || toks[i+2].kind != tkVariable || !allowed[strings.ToLower(toks[i+2].text)] {
				t.Errorf("line %d: %s on something not known to be in the collection", tk.line, tk.text)
			}
		case l == "::open":
			// Opening for writing only what is in the collection.
			depth, readOnly := 0, false
			for _, u := range toks[i+1:] {
				if u.kind == tkPunct && closing[u.text] != "" {
					depth++
				} else if u.text == ")" {
					if depth--; depth == 0 {
						break
					}
				}
				if u.kind == tkWord && strings.EqualFold(u.text, "::Read") {
					readOnly = true
				}
			}
			if !readOnly && (toks[i+2].kind != tkVariable || !allowed[strings.ToLower(toks[i+2].text)]) {
				t.Errorf("line %d: a file not in the collection opened for writing", tk.line)
			}
		case destParam[l] > 0 && (i == 0 || !strings.EqualFold(toks[i-1].text, "function")):
			arg := toks[i+destParam[l]]
			if arg.kind != tkVariable || !allowed[strings.ToLower(arg.text)] {
				t.Errorf("line %d: %s given %v as its copy", tk.line, tk.text, arg)
			}
		}
	}
	if checked < 20 {
		t.Errorf("only %d writing calls checked: the check no longer sees the script's calls", checked)
	}
	// The variables that hold paths in the collection are made from it.
	for i, tk := range toks {
		if tk.kind == tkVariable && allowed[strings.ToLower(tk.text)] && i+2 < len(toks) && toks[i+1].text == "=" {
			rhs := toks[i+2]
			ok := rhs.kind == tkVariable && (allowed[strings.ToLower(rhs.text)] || rhs.text == "OutFull") ||
				rhs.kind == tkWord && rhs.text == "Get-CollectionPath"
			if !ok {
				t.Errorf("line %d: $%s = %v", tk.line, tk.text, rhs)
			}
		}
	}
	if !strings.Contains(s, "return ($RunDir + '\\' + $rel)") {
		t.Error("Get-CollectionPath does not build on $RunDir")
	}
	// Native programs: robocopy (reading from the server, writing into
	// the collection), wevtutil gl and epl, reg save; nothing else.
	natives := regexp.MustCompile(`&\s+\$(\w+)([^\r\n]*)`)
	calls := natives.FindAllStringSubmatch(s, -1)
	if len(calls) != 4 {
		t.Errorf("%d native calls, want 4", len(calls))
	}
	for _, m := range calls {
		switch call := m[1] + m[2]; {
		case call == "RobocopyExe $arguments 2>&1)":
		case call == "WevtutilExe 'gl' $channel 2>&1)":
		case call == "WevtutilExe 'epl' $channel $Destination 2>&1)":
		case call == "RegExe 'save' $hive.Key $Destination '/y' 2>&1)":
		default:
			t.Errorf("native call %q", m[0])
		}
	}
	if !strings.Contains(s, "$arguments = @((Format-Dir $SourceDir), (Format-Dir $DestinationDir))") {
		t.Error("robocopy's destination is not the collection's folder")
	}
	for _, opt := range []string{"'/B'", "'/COPY:DAT'", "'/DCOPY:T'", "'/R:0'", "'/W:0'"} {
		if !strings.Contains(s, opt) {
			t.Errorf("robocopy is not given %s", opt)
		}
	}
	for _, forbidden := range []string{"/MOV", "/PURGE", "/MIR", "'cl'", "/XO"} {
		if strings.Contains(s, forbidden) {
			t.Errorf("the script holds %s", forbidden)
		}
	}
}

// The places name what the script needs: a base it knows, a depth, no
// rooted path; the script reads only the keys the tables have.
func TestPlacesAreWellFormed(t *testing.T) {
	script, toks := generated(t)
	bases := map[Base]bool{SystemDrive: true, Exchange: true, WebRoot: true, IISLogs: true, EventLogs: true}
	for b := range bases {
		if !strings.Contains(script, "'"+string(b)+"' {") {
			t.Errorf("Get-BaseDirs does not know the base %s", b)
		}
	}
	keys := map[string]map[string]bool{
		"place": {".base": true, ".path": true, ".depth": true, ".include": true, ".exclude": true, ".logs": true, ".onlywith": true, ".why": true},
		"hive":  {".key": true, ".file": true, ".secret": true, ".why": true},
	}
	members := 0
	for i, tk := range toks {
		if tk.kind == tkVariable && i+1 < len(toks) && toks[i+1].kind == tkWord && strings.HasPrefix(toks[i+1].text, ".") {
			if k, ok := keys[strings.ToLower(tk.text)]; ok {
				members++
				m := strings.ToLower(strings.SplitN(toks[i+1].text[1:], ".", 2)[0])
				if !k["."+m] {
					t.Errorf("line %d: $%s%s is no key of the table", tk.line, tk.text, toks[i+1].text)
				}
			}
		}
	}
	if members < 10 {
		t.Fatalf("%d members of the tables' entries seen", members)
	}
	seen := map[string]bool{}
	for _, p := range Places {
		key := fmt.Sprintf("%s %s %d %q", p.Base, p.Path, p.Depth, p.Include)
		if seen[key] {
			t.Errorf("place listed twice: %s", key)
		}
		seen[key] = true
		if !bases[p.Base] {
			t.Errorf("%s: unknown base", key)
		}
		if p.Depth < 0 || strings.Contains(p.Path, "/") || strings.HasPrefix(p.Path, `\`) || strings.Contains(p.Path, ":") || p.Path == "" {
			t.Errorf("%s: malformed", key)
		}
		if p.Why == "" {
			t.Errorf("%s: says not why", key)
		}
	}
	var names []string
	for _, c := range Channels {
		names = append(names, EventLogFileName(c))
	}
	sort.Strings(names)
	if !reflect.DeepEqual(names, []string{"Application.evtx", "MSExchange Management.evtx", "Microsoft-Windows-Sysmon%4Operational.evtx",
		"Microsoft-Windows-Windows Defender%4Operational.evtx", "Security.evtx", "System.evtx"}) {
		t.Errorf("event log file names %q", names)
	}
}

func TestDotNetTimeFormat(t *testing.T) {
	got, err := dotNetTimeFormat(triage.TimeLayout)
	if err != nil || got != "yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'" {
		t.Fatalf("%q, %v", got, err)
	}
	for _, bad := range []string{"Jan 2 2006", "2006-01-02T15:04:05.000000000Z", "2006-01-02 MST"} {
		if _, err := dotNetTimeFormat(bad); err == nil {
			t.Errorf("%q translated", bad)
		}
	}
}

// Without PowerShell here, a misspelt variable would be an empty value on
// the server: every variable the script reads is one it sets (assigned,
// a loop's variable, a parameter) or one PowerShell sets.
func TestScriptReadsOnlyVariablesItSets(t *testing.T) {
	_, toks := generated(t)
	automatic := map[string]bool{"_": true, "true": true, "false": true, "null": true, "lastexitcode": true, "matches": true,
		"myinvocation": true, "psboundparameters": true, "psversiontable": true, "executioncontext": true}
	name := func(v string) string {
		l := strings.ToLower(v)
		return strings.TrimPrefix(l, "script:")
	}
	set := map[string]bool{}
	for i, tk := range toks {
		if tk.kind != tkVariable {
			continue
		}
		next := ""
		if i+1 < len(toks) {
			next = toks[i+1].text
		}
		switch {
		case next == "=" || next == "+=":
			set[name(tk.text)] = true
		case next == "in" && i >= 2 && toks[i-1].text == "(" && strings.EqualFold(toks[i-2].text, "foreach"):
			set[name(tk.text)] = true
		}
	}
	// Parameters: the variables of a function's ( ) and of param( ).
	for i, tk := range toks {
		start := -1
		switch {
		case tk.kind == tkWord && strings.EqualFold(tk.text, "function") && i+2 < len(toks) && toks[i+2].text == "(":
			start = i + 2
		case tk.kind == tkWord && strings.EqualFold(tk.text, "param") && i+1 < len(toks) && toks[i+1].text == "(":
			start = i + 1
		}
		if start < 0 {
			continue
		}
		depth := 0
		for _, u := range toks[start:] {
			if u.kind == tkPunct && closing[u.text] != "" {
				depth++
			} else if u.text == ")" || u.text == "]" || u.text == "}" {
				if depth--; depth == 0 {
					break
				}
			}
			if u.kind == tkVariable && depth == 1 {
				set[name(u.text)] = true
			}
		}
	}
	for _, tk := range toks {
		var names []string
		switch tk.kind {
		case tkVariable:
			names = []string{tk.text}
		case tkExpandString:
			names = tk.vars
		}
		for _, n := range names {
			l := name(n)
			if strings.HasPrefix(l, "env:") || automatic[l] {
				continue
			}
			if !set[l] {
				t.Errorf("line %d: $%s is read but never set", tk.line, n)
			}
		}
	}
	if len(set) < 50 {
		t.Fatalf("only %d variables seen set: the check no longer reads the script", len(set))
	}
}

// Every command the script runs is one of its functions or a cmdlet
// Windows PowerShell 2.0 has.
func TestScriptCallsOnlyWhatExists(t *testing.T) {
	_, toks := generated(t)
	cmdlets := map[string]bool{"write-host": true, "get-itemproperty": true, "new-object": true, "get-variable": true,
		"foreach-object": true, "sort-object": true}
	functions := map[string]bool{}
	for i, tk := range toks {
		if tk.kind == tkWord && strings.EqualFold(tk.text, "function") && i+1 < len(toks) {
			functions[strings.ToLower(toks[i+1].text)] = true
		}
	}
	verbNoun := regexp.MustCompile(`^[A-Z][a-z]+-[A-Z][A-Za-z0-9]+$`)
	for i, tk := range toks {
		if tk.kind != tkWord || !verbNoun.MatchString(tk.text) {
			continue
		}
		if i > 0 && strings.EqualFold(toks[i-1].text, "function") {
			continue
		}
		l := strings.ToLower(tk.text)
		if !functions[l] && !cmdlets[l] {
			t.Errorf("line %d: %s is neither a function of the script nor a cmdlet it may use", tk.line, tk.text)
		}
	}
	for f := range functions {
		used := false
		for i, tk := range toks {
			used = used || tk.kind == tkWord && strings.EqualFold(tk.text, f) && (i == 0 || !strings.EqualFold(toks[i-1].text, "function"))
		}
		if !used {
			t.Errorf("function %s is never called", f)
		}
	}
}
