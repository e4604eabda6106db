package proxylogon

import (
	"strings"

	"github.com/exhunt/exhunt/detect"
	"github.com/exhunt/exhunt/facts"
	"github.com/exhunt/exhunt/finding"
	"github.com/exhunt/exhunt/root"
	"github.com/exhunt/exhunt/source/literal"
)

// RuleOABDownloadOutside is the CVE-2021-26858 write: the OAB generator
// downloading a file to a path outside its own folder.
var RuleOABDownloadOutside = finding.Rule{
	ID:    "proxylogon-oab-download-outside",
	Title: "OAB generator wrote a file outside its folder (CVE-2021-26858)",
	CVEs:  []string{"CVE-2021-26858"},
	Remediation: "The offline address book generator only downloads into ClientAccess\\OAB; a path elsewhere is the " +
		"arbitrary file write of CVE-2021-26858. Inspect and preserve the file at that path (often an .aspx web " +
		"shell), then remove it; patch the server.",
	Grading:    "high",
	References: []string{detect.RefTestProxyLogon, detect.RefMicrosoftHafnium},
	Stage:      finding.StageWebshellWritten,
}

const oabFailedPhrase = "Download failed and temporary file"

// OABDownload checks OABGeneratorLog lines that say a failed download's
// temporary file must be removed, and flags paths outside
// <install>\ClientAccess\OAB, UNC paths included.
type OABDownload struct{}

func (OABDownload) Name() string             { return "proxylogon-oab-download" }
func (OABDownload) Family() detect.LogFamily { return detect.OABGenerator }
func (OABDownload) Literals() []string       { return []string{oabFailedPhrase} }

func (OABDownload) Inspect(ctx *detect.Context, rec *detect.LogRecord, emit detect.Emit) {
	line := string(rec.Raw)
	p, ok := oabTempPath(line)
	if !ok {
		return
	}
	install, known := "", false
	if ctx != nil && ctx.Server != nil {
		install, known = ctx.Server.InstallPath, ctx.Server.InstallPathKnown
	}
	if insideOABFolder(p, install) || !known && insideAnyOABFolder(p, install) {
		return
	}
	at, _ := rec.Time()
	ev := finding.Evidence{
		{Name: "Path", Value: p},
		{Name: "AllowedFolder", Value: oabFolder(install)},
		{Name: "Line", Value: line},
	}
	emit(RuleOABDownloadOutside.New(finding.High, rec.Path, rec.Line, at, ev))
}

// oabTempPath extracts <path> from "Download failed and temporary file
// '<path>' needs to be removed", with or without the quotes.
// Positions are found on the raw bytes: lower-casing a string can change
// its length (invalid UTF-8, some letters), and its offsets would then not
// fit the original.
func oabTempPath(line string) (string, bool) {
	i := literal.IndexFold([]byte(line), strings.ToLower(oabFailedPhrase))
	if i < 0 {
		return "", false
	}
	rest := strings.TrimLeft(line[i+len(oabFailedPhrase):], " ")
	end := literal.IndexFold([]byte(rest), " needs to be removed")
	if end < 0 {
		end = len(rest)
	}
	p := strings.TrimSpace(rest[:end])
	if len(p) >= 2 && (p[0] == '\'' || p[0] == '"') && p[len(p)-1] == p[0] {
		p = p[1 : len(p)-1]
	}
	return p, p != ""
}

// oabFolder is where the generator may write, as the server names it.
func oabFolder(install string) string {
	if install == "" {
		install = `C:\` + strings.ReplaceAll(facts.DefaultExchangeDir, "/", `\`)
	}
	return strings.TrimRight(install, `\/`) + `\ClientAccess\OAB\`
}

// insideOABFolder compares a logged path with the OAB folder after folding
// case and slashes and resolving ".." segments, so that
// ...\ClientAccess\OAB\..\..\FrontEnd\HttpProxy\owa\auth\x.aspx does not pass
// for an OAB download as it does with a plain prefix test. The drive letter
// is ignored: the install path of a copied disk may name another letter.
// UNC and device paths are never inside.
func insideOABFolder(p, install string) bool {
	if strings.HasPrefix(p, `\\`) || strings.HasPrefix(p, `//`) {
		return false
	}
	logged := root.SplitPath(p)
	allowed := root.SplitPath(oabFolder(install))
	logged, ok := resolveDots(logged)
	if !ok || len(logged) <= len(allowed) {
		return false
	}
	for i, part := range allowed {
		if !strings.EqualFold(part, logged[i]) {
			return false
		}
	}
	return true
}

// insideAnyOABFolder is the test when the install folder is only a guess
// (no registry hive in the copy): any ...\<install folder name>\ClientAccess\OAB\
// counts, wherever it sits.
func insideAnyOABFolder(p, install string) bool {
	if strings.HasPrefix(p, `\\`) || strings.HasPrefix(p, `//`) {
		return false
	}
	logged, ok := resolveDots(root.SplitPath(p))
	if !ok {
		return false
	}
	tail := []string{"ClientAccess", "OAB"}
	if parts := root.SplitPath(install); len(parts) > 0 {
		tail = append([]string{parts[len(parts)-1]}, tail...)
	}
	for i := 0; i+len(tail) < len(logged); i++ {
		match := true
		for j, part := range tail {
			if !strings.EqualFold(logged[i+j], part) {
				match = false
				break
			}
		}
		if match {
			return true
		}
	}
	return false
}

// resolveDots applies ".." segments ("." ones SplitPath already dropped);
// a ".." above the top fails.
func resolveDots(parts []string) ([]string, bool) {
	out := make([]string, 0, len(parts))
	for _, p := range parts {
		if p != ".." {
			out = append(out, p)
			continue
		}
		if len(out) == 0 {
			return nil, false
		}
		out = out[:len(out)-1]
	}
	return out, true
}
