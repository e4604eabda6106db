package report

import (
	"bufio"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"iter"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/exhunt/exhunt/detect/scope"
	"github.com/exhunt/exhunt/finding"
	"github.com/exhunt/exhunt/result"
)

// The HTML report is one self-contained page for the people who decide:
// the verdict first, what to do, the timeline drawn as SVG, the findings by
// attack stage with their evidence, and what the scan could and could not
// see. It makes no request of its own (no CDN, font or image by URL; a
// Content-Security-Policy allows only its own style and script, by hash)
// and reads completely without script; the script only sorts, filters and
// searches the findings tables.
//
// Evidence is attacker-controlled. The page is made with html/template,
// whose contextual escaping covers text, attributes and the SVG; no
// evidence is ever given to it as trusted HTML, and evidence never becomes
// a link. Values also go through Terminal, so control characters and
// bidirectional overrides are shown as escapes rather than reordering what
// the reader sees, and through a bound, so one huge log field cannot make
// the page unreadable.

//go:embed html/report.html html/report.css html/report.js
var htmlAssets embed.FS

// Bounds of the HTML report. Findings are bounded by the scan; these keep
// each finding's part of the page small (the JSON report has every value
// whole).
const (
	maxHTMLValue     = 400  // bytes of one value shown
	maxHTMLProse     = 4000 // bytes of one of exhunt's sentences shown
	maxHTMLFields    = 24   // evidence fields shown per finding
	maxHTMLErrors    = 500
	maxHTMLSessions  = maxTextSessions
	maxHTMLMailboxes = maxTextMailboxes
	maxHTMLPerCell   = 5
)

// htmlPageKit is the parsed template with its style and script and the
// policy that allows exactly those.
type htmlPageKit struct {
	tmpl   *template.Template
	style  template.CSS
	script template.JS
	csp    string
}

// htmlKit parses the template once, on first use, so that commands that
// write no HTML do not pay for it at start-up.
var htmlKit = sync.OnceValue(func() *htmlPageKit {
	read := func(name string) string {
		b, err := htmlAssets.ReadFile(name)
		if err != nil {
			panic(err)
		}
		return string(b)
	}
	style, script := read("html/report.css"), read("html/report.js")
	tmpl := template.Must(template.New("report.html").Funcs(htmlFuncs).Parse(read("html/report.html")))
	return &htmlPageKit{
		tmpl: tmpl,
		// Our own files, embedded: the only content the page trusts.
		style:  template.CSS(style),
		script: template.JS(script),
		csp:    htmlPolicy(style, script),
	}
})

// htmlPolicy allows the page's one style element and one script element by
// their hashes and nothing else (the page has no images): no request
// leaves the page, and injected markup, were any to get through, would
// not run.
func htmlPolicy(style, script string) string {
	hash := func(s string) string {
		sum := sha256.Sum256([]byte(s))
		return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
	}
	return "default-src 'none'; style-src " + hash(style) + "; script-src " + hash(script) +
		"; base-uri 'none'; form-action 'none'"
}

// HTML writes the report as one self-contained HTML page.
func HTML(w io.Writer, rep *result.Report, _ Options) error {
	kit := htmlKit()
	page := newHTMLPage(rep)
	page.CSP, page.Style, page.Script = kit.csp, kit.style, kit.script
	bw := bufio.NewWriterSize(w, 64<<10)
	if err := kit.tmpl.Execute(bw, page); err != nil {
		return err
	}
	return bw.Flush()
}

// htmlPage is what the template renders.
type htmlPage struct {
	CSP        string
	Style      template.CSS
	Script     template.JS
	Title      string
	Tool       result.Tool
	Scan       result.Scan
	Case       *htmlCase
	Servers    []*htmlServer
	NotReached []string
	Skipped    []result.SkippedFolder
}

// htmlCase is the view of a run over several servers: the table of them
// and what they share.
type htmlCase struct {
	Summary  result.Summary
	Rows     []htmlCaseRow
	Verdicts []htmlCount
	Campaign []htmlCampaignRow
}

// htmlCaseRow is one server in the case table; ID links to its section.
type htmlCaseRow struct {
	result.SummaryServer
	ID, Build, Vulnerable string
}

// htmlCampaignRow is one value seen on several servers, and where.
type htmlCampaignRow struct {
	What, Value string
	On          []string
}

// htmlCount is a number with what it counts, in a fixed order.
type htmlCount struct {
	Name string
	N    int
}

// htmlServer is one server's section: its result and what the page adds
// to it (words for the verdict, the chart, the findings by stage, the
// bounded lists).
type htmlServer struct {
	ID    string
	N, Of int
	Res   *result.Server
	Level string
	Badge string
	// Meaning says the verdict level in plain words; Since is when the
	// attack began, SinceWhat which time that is.
	Meaning    string
	SinceWhat  string
	Since      *time.Time
	Counts     []htmlCount
	Context    int
	Caveats    []string
	NotChecked []result.CheckStatus
	Advisories []result.Advisory
	Chart      *svgChart
	Milestones []htmlMilestone
	Groups     []htmlGroup
	Listed     int
	Severities []htmlCount
	Rules      []htmlRule
	Preserve   []htmlArtefact
	Coverage   []htmlCoverage
	Gaps       []result.Gap
	Errors     []finding.ScanError
	// ErrorsNotShown, SessionsNotShown and MailboxesNotShown count what
	// the page's bounds leave out.
	ErrorsNotShown    int
	Sessions          []result.Session
	SessionsNotShown  int
	Mailboxes         []result.Mailbox
	MailboxesNotShown int
}

// htmlMilestone is a milestone with its number on the chart and links to
// the rows of its findings.
type htmlMilestone struct {
	result.Milestone
	N     int
	Label string
	When  string
	Rows  []htmlRef
}

// htmlRef is a link to a finding's row.
type htmlRef struct {
	Anchor, Text string
}

// htmlGroup is the findings of one attack stage (or of the server's state,
// or of context).
type htmlGroup struct {
	Key, Title, About string
	Findings          []int
	res               *result.Server
	// anchor starts the rows' ids (the server's id and "-f").
	anchor string
}

// htmlRule is one rule that fired, with what to do about it.
type htmlRule struct {
	Rule, Title, Remediation string
	CVEs                     []string
	Severity                 finding.Severity
	N                        int
}

// htmlArtefact is a file to preserve with every reason it was flagged.
type htmlArtefact struct {
	Where    string
	Severity finding.Severity
	Reasons  []string
}

// htmlCoverage is one log folder's coverage with its name for a person.
type htmlCoverage struct {
	result.Coverage
	Name string
}

// findingGroups are the sections of the findings table, in the order of an
// attack: the server's state first, then each stage, then what has no
// stage, then background.
var findingGroups = []struct{ key, title, about string }{
	{"vulnerable", "Vulnerable", "the server's state: a build without the fixes, an update half applied, temporary mitigations. Not evidence of an attack."},
	{string(finding.StageAttempt), "Attempted", "reconnaissance and exploitation attempts that did not get through."},
	{string(finding.StageExploitation), "Exploited", "forged requests that reached Exchange's back end or changed its configuration."},
	{string(finding.StageWebshellWritten), "Web shell written", "web shells and other files written through the exploit, in the logs or on disk."},
	{string(finding.StageWebshellUse), "Web shell used", "web shells answering requests or running commands."},
	{string(finding.StagePostExploitation), "Post-exploitation", "what followed: credential dumps, staged archives, tools, new services."},
	{"other", "Other evidence", "evidence that belongs to no single attack step."},
	{"context", "Context", "background for a person, not on its own a sign of attack, and the scan's own notes."},
}

// groupOf is the findings table section of a finding.
func groupOf(f *finding.Finding) string {
	switch {
	case f.Exposure:
		return "vulnerable"
	case f.Context || f.Severity == finding.Info:
		return "context"
	case f.Stage != "":
		return string(f.Stage)
	}
	return "other"
}

var levelBadges = map[string]string{
	result.VerdictCompromised:  "Compromised",
	result.VerdictAttempted:    "Exploitation attempted",
	result.VerdictClean:        "No evidence found",
	result.VerdictInconclusive: "Inconclusive",
}

var severityOrder = []finding.Severity{finding.Critical, finding.High, finding.Medium, finding.Low, finding.Info}

func newHTMLPage(rep *result.Report) *htmlPage {
	p := &htmlPage{Tool: rep.Tool, Scan: rep.Scan, NotReached: rep.NotReached, Skipped: rep.Skipped}
	var names []string
	for i, s := range rep.Servers {
		p.Servers = append(p.Servers, newHTMLServer(s, i+1, len(rep.Servers)))
		names = append(names, s.Server.Name)
	}
	switch {
	case len(names) == 1:
		p.Title = names[0] + ": " + levelBadges[rep.Servers[0].Verdict.Level]
	case len(names) > 1:
		p.Title = fmt.Sprintf("%d servers", len(names))
	default:
		p.Title = "no server scanned"
	}
	if len(rep.Servers) > 1 {
		p.Case = newHTMLCase(rep, p.Servers)
	}
	return p
}

func newHTMLCase(rep *result.Report, servers []*htmlServer) *htmlCase {
	c := &htmlCase{Summary: rep.Summary()}
	for _, level := range []string{result.VerdictCompromised, result.VerdictAttempted, result.VerdictInconclusive, result.VerdictClean} {
		if n := c.Summary.Verdicts[level]; n > 0 {
			c.Verdicts = append(c.Verdicts, htmlCount{levelBadges[level], n})
		}
	}
	for i, row := range c.Summary.Table {
		c.Rows = append(c.Rows, htmlCaseRow{SummaryServer: row, ID: servers[i].ID, Build: rep.Servers[i].Verdict.Exposure.Build,
			Vulnerable: map[string]string{result.ExposureVulnerable: "yes", result.ExposurePatched: "no", result.ExposureUnknown: "unknown"}[row.Vulnerable]})
	}
	if cp := c.Summary.Campaign; cp != nil {
		lists := []struct {
			what string
			list []result.CampaignIndicator
		}{{"address", cp.SourceIPs}, {"user agent", cp.UserAgents}, {"web shell name", cp.WebshellNames}}
		for _, l := range lists {
			for i, ind := range l.list {
				if i == maxHTMLSessions {
					c.Campaign = append(c.Campaign, htmlCampaignRow{What: l.what, Value: fmt.Sprintf("… and %d more of this kind (--format json lists all)", len(l.list)-i)})
					break
				}
				row := htmlCampaignRow{What: l.what, Value: ind.Value}
				for _, s := range ind.Servers {
					on := s.Name + " [" + s.Root + "] (" + between(s.First, s.Last)
					if s.Outcome != "" {
						on += ", " + s.Outcome
					}
					row.On = append(row.On, on+")")
				}
				c.Campaign = append(c.Campaign, row)
			}
		}
	}
	return c
}

func newHTMLServer(s *result.Server, n, of int) *htmlServer {
	v := s.Verdict
	h := &htmlServer{ID: "s" + strconv.Itoa(n), N: n, Of: of, Res: s, Level: v.Level, Badge: levelBadges[v.Level],
		Meaning: result.VerdictMeaning(v.Level), Advisories: result.AdvisoriesFor(v.Level)}
	if h.Badge == "" {
		h.Badge = v.Level
	}
	if v.Interrupted {
		h.Badge = "Interrupted, incomplete"
	}
	switch {
	case v.FirstCompromise != nil:
		h.Since, h.SinceWhat = v.FirstCompromise, "first sign of compromise"
	case v.FirstEvidence != nil:
		h.Since, h.SinceWhat = v.FirstEvidence, "first evidence"
	}

	// The counts of the verdict cover every finding raised, listed or not.
	counts, listed := map[finding.Severity]int{}, map[finding.Severity]int{}
	groups := map[string][]int{}
	for i := range s.Findings {
		f := &s.Findings[i]
		if f.Rule == scope.RuleLogCoverage.ID {
			h.Context++
			continue // the coverage table shows these
		}
		g := groupOf(f)
		groups[g] = append(groups[g], i)
		listed[f.Severity]++
		h.Listed++
		if f.Context || f.Severity == finding.Info {
			h.Context++
		} else {
			counts[f.Severity]++
		}
	}
	for name, n := range v.Counts {
		if sev, err := finding.ParseSeverity(name); err == nil && sev > finding.Info && n > counts[sev] {
			counts[sev] = n
		}
	}
	for _, sev := range severityOrder[:4] {
		if counts[sev] > 0 {
			h.Counts = append(h.Counts, htmlCount{sev.String(), counts[sev]})
		}
	}
	for _, sev := range severityOrder {
		h.Severities = append(h.Severities, htmlCount{sev.String(), listed[sev]})
	}
	for _, g := range findingGroups {
		if len(groups[g.key]) > 0 {
			h.Groups = append(h.Groups, htmlGroup{Key: g.key, Title: g.title, About: g.about, Findings: groups[g.key], res: s, anchor: h.ID + "-f"})
		}
	}
	for _, c := range v.Caveats {
		if !strings.HasPrefix(c, result.NotCheckedPrefix) {
			h.Caveats = append(h.Caveats, c)
		}
	}
	h.NotChecked = v.ChecksNotRun

	h.Chart = newChart(s)
	if tl := s.Timeline; tl != nil {
		rowOf := milestoneRows(s)
		for i, m := range tl.Milestones {
			hm := htmlMilestone{Milestone: m, N: i + 1, Label: milestoneLabels[m.Name], When: clock(m.Time, m.Basis)}
			for j, id := range m.Findings {
				if j == maxHTMLPerCell {
					hm.Rows = append(hm.Rows, htmlRef{Text: fmt.Sprintf("and %d more", len(m.Findings)-j)})
					break
				}
				ref := htmlRef{Text: id}
				if row, ok := rowOf[id]; ok {
					ref.Anchor = h.rowAnchor(row)
					ref.Text = where(&s.Findings[row]) + " (" + s.Findings[row].Rule + ")"
				}
				hm.Rows = append(hm.Rows, ref)
			}
			h.Milestones = append(h.Milestones, hm)
		}
		h.Gaps = tl.Gaps
	}

	// Rules in the order their first finding comes (most severe first).
	index := map[string]int{}
	for i := range s.Findings {
		f := &s.Findings[i]
		if f.Context || f.Severity == finding.Info {
			continue
		}
		j, ok := index[f.Rule]
		if !ok {
			j = len(h.Rules)
			index[f.Rule] = j
			h.Rules = append(h.Rules, htmlRule{Rule: f.Rule, Title: f.Title, Remediation: f.Remediation, CVEs: f.CVEs, Severity: f.Severity})
		}
		h.Rules[j].N++
		if f.Severity > h.Rules[j].Severity {
			h.Rules[j].Severity = f.Severity
		}
	}
	for _, a := range toPreserve(s.Findings) {
		h.Preserve = append(h.Preserve, htmlArtefact{Where: a.where, Severity: a.severity, Reasons: a.reasons})
	}

	for _, c := range s.Coverage {
		name := c.Family
		if c.Folder != "" {
			name += " / " + c.Folder
		}
		h.Coverage = append(h.Coverage, htmlCoverage{Coverage: c, Name: name})
	}
	h.Errors = s.Errors
	if len(h.Errors) > maxHTMLErrors {
		h.Errors, h.ErrorsNotShown = h.Errors[:maxHTMLErrors], len(s.Errors)-maxHTMLErrors
	}
	h.Sessions, h.SessionsNotShown = s.Sessions, s.SessionsNotListed
	if len(h.Sessions) > maxHTMLSessions {
		h.Sessions, h.SessionsNotShown = h.Sessions[:maxHTMLSessions], len(s.Sessions)-maxHTMLSessions+s.SessionsNotListed
	}
	h.Mailboxes, h.MailboxesNotShown = s.Mailboxes, s.MailboxesNotListed
	if len(h.Mailboxes) > maxHTMLMailboxes {
		h.Mailboxes, h.MailboxesNotShown = h.Mailboxes[:maxHTMLMailboxes], len(s.Mailboxes)-maxHTMLMailboxes+s.MailboxesNotListed
	}
	return h
}

// milestoneRows finds the rows of the findings the milestones cite, by
// fingerprint: a handful, where a map of every finding would hold them
// all.
func milestoneRows(s *result.Server) map[string]int {
	rows := map[string]int{}
	for _, m := range s.Timeline.Milestones {
		for _, id := range m.Findings[:min(len(m.Findings), maxHTMLPerCell)] {
			rows[id] = -1
		}
	}
	for i := range s.Findings {
		f := &s.Findings[i]
		for _, id := range []string{f.ID, f.Fingerprint()} {
			if row, ok := rows[id]; ok && row < 0 {
				rows[id] = i
			}
		}
	}
	for id, row := range rows {
		if row < 0 {
			delete(rows, id)
		}
	}
	return rows
}

// rowAnchor is the id of a finding's row (see htmlGroup.Rows).
func (h *htmlServer) rowAnchor(i int) string { return h.ID + "-f" + strconv.Itoa(i) }

// htmlRow is one finding as the findings table shows it, made as the
// template reaches it so that the page is never held whole.
type htmlRow struct {
	Anchor       string
	Severity     string
	Rank         int
	Context      bool
	Group        string
	Time, ISO    string
	Rule, Title  string
	CVEs         string
	Where        string
	Evidence     []htmlField
	FieldsHidden int
}

type htmlField struct{ Name, Value string }

// Rows yields the group's findings as table rows.
func (g htmlGroup) Rows() iter.Seq[htmlRow] {
	return func(yield func(htmlRow) bool) {
		for _, i := range g.Findings {
			f := &g.res.Findings[i]
			r := htmlRow{Anchor: g.anchor + strconv.Itoa(i), Severity: f.Severity.String(), Rank: int(f.Severity), Context: f.Context, Group: g.Key,
				Rule: f.Rule, Title: f.Title, CVEs: showList(f.CVEs), Where: where(f)}
			if f.Time != nil {
				r.Time, r.ISO = stamp(*f.Time), f.Time.UTC().Format(time.RFC3339Nano)
			}
			for _, e := range f.Evidence {
				if e.Value == "" {
					continue
				}
				if len(r.Evidence) == maxHTMLFields {
					r.FieldsHidden++
					continue
				}
				r.Evidence = append(r.Evidence, htmlField{e.Name, e.Value})
			}
			if !yield(r) {
				return
			}
		}
	}
}

// show makes an attacker-controlled value fit to read on the page:
// bounded, with a visible marker where it was cut, and with control
// characters, invalid UTF-8 and bidirectional overrides as escapes.
func show(s string) string { return bounded(s, maxHTMLValue) }

// prose is show for exhunt's own sentences (headlines, caveats, what to
// do), which may quote evidence but are longer than one value should be.
func prose(s string) string { return bounded(s, maxHTMLProse) }

func bounded(s string, limit int) string {
	if len(s) <= limit {
		return Terminal(s)
	}
	cut := limit
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return Terminal(s[:cut]) + fmt.Sprintf(" … [%d more bytes not shown; --format json has the whole value]", len(s)-cut)
}

// items shows up to maxHTMLPerCell values, one per line of a cell, and
// counts the rest.
func items(values []string) []string {
	var out []string
	for i, v := range values {
		if i == maxHTMLPerCell {
			out = append(out, fmt.Sprintf("(and %d more)", len(values)-i))
			break
		}
		out = append(out, show(v))
	}
	return out
}

// showList is items on one line.
func showList(values []string) string { return strings.Join(items(values), ", ") }

// token keeps what a class name may hold, for values that name a class.
func token(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return -1
	}, s)
}

var htmlFuncs = template.FuncMap{
	"token":      token,
	"show":       show,
	"prose":      prose,
	"collection": CollectionSummary,
	"items":      items,
	"showList":   showList,
	"stamp": func(t any) string {
		switch t := t.(type) {
		case time.Time:
			if t.IsZero() {
				return "unknown"
			}
			return stamp(t)
		case *time.Time:
			return stampPtr(t)
		}
		return ""
	},
	"date": func(t *time.Time) string {
		if t == nil {
			return "–"
		}
		return t.UTC().Format("2006-01-02")
	},
	"between": between,
	"size":    sizeText,
	"plus":    func(a, b int) int { return a + b },
	"stage":   func(s finding.Stage) string { return stageLabels[s] },
}
