package proxylogon

import (
	"net/url"
	"strings"

	"github.com/exhunt/exhunt/detect"
	"github.com/exhunt/exhunt/finding"
	"github.com/exhunt/exhunt/source/exlog"
	"github.com/exhunt/exhunt/source/literal"
)

// Rules of the ECP Server log check.
var (
	RuleVDirScript = finding.Rule{
		ID:    "proxylogon-vdir-script",
		Title: "Script written into a virtual directory setting through ECP (CVE-2021-27065)",
		CVEs:  cves27065,
		Remediation: "The attacker stored server-side script in a virtual directory property and then had Exchange " +
			"export it to an .aspx file. Find and preserve that file (see the reset-vdir finding and the OWA/ECP auth " +
			"folders and aspnet_client), remove it, and reset the virtual directory's URLs to valid values.",
		Grading:    "high",
		References: []string{detect.RefTestProxyLogon, detect.RefMicrosoftHafnium},
		Stage:      finding.StageExploitation,
	}
	RuleVDirInvalidURL = finding.Rule{
		ID:    "proxylogon-vdir-invalid-url",
		Title: "Virtual directory URL set to a value that is not a valid URL",
		CVEs:  cves27065,
		Remediation: "InternalUrl and ExternalUrl should only hold valid URLs. Check who made the change and whether " +
			"the value hides script; correct the setting.",
		Grading: "medium",
		Stage:   finding.StageExploitation,
	}
)

// ECPVirtualDirectory decodes S:CMD items of the ECP Server log and checks
// Set-*VirtualDirectory and New-*VirtualDirectory calls for markup or
// invalid URLs. Test-ProxyLogon's regular expression needs a second
// "VirtualDirectory" later on the line, so it misses lines that hold only the
// S:CMD item; the decoder does not care where the item stands.
type ECPVirtualDirectory struct{}

func (ECPVirtualDirectory) Name() string             { return "proxylogon-ecp-vdir" }
func (ECPVirtualDirectory) Family() detect.LogFamily { return detect.ECPServer }
func (ECPVirtualDirectory) Literals() []string       { return []string{"VirtualDirectory"} }

func (ECPVirtualDirectory) Inspect(_ *detect.Context, rec *detect.LogRecord, emit detect.Emit) {
	for _, cmd := range ecpCommands(rec) {
		c := strings.ToLower(cmd.Cmdlet)
		if !(strings.HasPrefix(c, "set-") || strings.HasPrefix(c, "new-")) || !strings.HasSuffix(c, "virtualdirectory") {
			continue
		}
		var script, invalid *exlog.Param
		for i := range cmd.Params {
			p := &cmd.Params[i]
			switch {
			case hasMarkup(p.Value):
				if script == nil {
					script = p
				}
			case strings.HasSuffix(strings.ToLower(p.Name), "url") && !validURLSetting(p.Value):
				if invalid == nil {
					invalid = p
				}
			}
		}
		at, _ := rec.Time()
		if script != nil {
			emit(RuleVDirScript.New(finding.High, rec.Path, rec.Line, at, ecpEvidence(rec, cmd, script)))
		} else if invalid != nil {
			emit(RuleVDirInvalidURL.New(finding.Medium, rec.Path, rec.Line, at, ecpEvidence(rec, cmd, invalid)))
		}
		return // one S:CMD per ECP record
	}
}

// ecpCommands finds the S:CMD items of a record. The EventData field is
// decoded when it holds them (the normal case); when it does not although
// the line does (excerpts and copies whose columns were cut, CSV quoting
// lost), the raw line after its timestamp is decoded instead.
func ecpCommands(rec *detect.LogRecord) []exlog.Command {
	cmds := commandsIn(rec.Get("EventData"))
	if len(cmds) > 0 || literal.IndexFold(rec.Raw, "s:cmd=") < 0 {
		return cmds
	}
	text := string(rec.Raw)
	if rec.NumFields() > 1 {
		if _, ok := exlog.ParseTime(rec.Field(0)); ok {
			text = text[strings.IndexByte(text, ',')+1:]
		}
	}
	return commandsIn(text)
}

func commandsIn(eventData string) []exlog.Command {
	var cmds []exlog.Command
	for _, it := range exlog.ParseEventData(eventData) {
		if strings.EqualFold(it.Key, "S:CMD") {
			cmds = append(cmds, exlog.ParseCommand(it.Value))
		}
	}
	return cmds
}

func ecpEvidence(rec *detect.LogRecord, cmd exlog.Command, p *exlog.Param) finding.Evidence {
	at := rec.Get("TimeStamp")
	if at == "" {
		at = rec.Field(0)
	}
	ev := finding.Evidence{
		{Name: "TimeStamp", Value: at},
		{Name: "Cmdlet", Value: cmd.Cmdlet},
		{Name: "Property", Value: p.Name},
		{Name: "Value", Value: p.Value},
	}
	if id, ok := cmd.Param("Identity"); ok {
		ev = append(ev, finding.Field{Name: "Identity", Value: id})
	}
	for _, name := range []string{"ServerName", "EventId"} {
		if v := rec.Get(name); v != "" {
			ev = append(ev, finding.Field{Name: name, Value: v})
		}
	}
	for _, it := range exlog.ParseEventData(rec.Get("EventData")) {
		if strings.EqualFold(it.Key, "S:URL") || strings.EqualFold(it.Key, "S:SID") {
			ev = append(ev, finding.Field{Name: it.Key, Value: it.Value})
		}
	}
	return ev
}

// hasMarkup reports whether a setting holds HTML or ASP.NET markup: a tag
// opener (<x, </, <!, <%), or a runat attribute. No URL or name legitimately
// contains either.
func hasMarkup(v string) bool {
	for i := 0; i+1 < len(v); i++ {
		if v[i] != '<' {
			continue
		}
		c := v[i+1]
		if c == '/' || c == '!' || c == '%' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' {
			return true
		}
	}
	return strings.Contains(strings.ToLower(v), "runat")
}

// validURLSetting accepts what a URL property may legitimately hold: nothing,
// $null, or an absolute http(s) URL made of URL characters.
func validURLSetting(v string) bool {
	v = strings.TrimSpace(v)
	if v == "" || strings.EqualFold(v, "$null") {
		return true
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		// Bytes above 0x7f are allowed: host names may be international.
		if c <= ' ' || c == 0x7f || strings.IndexByte("<>\"{}|\\^`", c) >= 0 {
			return false
		}
	}
	u, err := url.Parse(v)
	if err != nil || u.Host == "" {
		return false
	}
	return strings.EqualFold(u.Scheme, "http") || strings.EqualFold(u.Scheme, "https")
}
