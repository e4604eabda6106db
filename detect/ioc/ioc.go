// Package ioc holds the checks of log records against the indicator set
// (the built-in indicators and the user's --ioc feeds): requests from
// indicator addresses, with indicator user agents, or to indicator URLs,
// in the HttpProxy and IIS logs alike.
package ioc

import (
	"strings"
	"sync"

	"github.com/exhunt/exhunt/detect"
	"github.com/exhunt/exhunt/finding"
	"github.com/exhunt/exhunt/indicators"
	"github.com/exhunt/exhunt/source/literal"
)

// Rules of the indicator checks.
var (
	RuleClientIP = finding.Rule{
		ID:    "ioc-client-ip",
		Title: "Request from an indicator address (published attacker address, or one of the --ioc feeds)",
		Remediation: "The address is listed as an attacker's (most published ones are VPS and VPN exits: " +
			"investigate, do not conclude on it alone). Look at what else this client requested and whether any " +
			"request of it succeeded.",
		Grading:    "medium",
		References: []string{detect.RefCISAAA21062A, detect.RefVolexity},
		Stage:      finding.StageAttempt,
	}
	RuleUserAgent = finding.Rule{
		ID:          "ioc-user-agent",
		Title:       "Request with a user agent of the --ioc feeds",
		Remediation: "A feed you loaded lists this user agent. Look at what else this client requested and whether any request of it succeeded.",
		Grading:     "medium",
		Stage:       finding.StageAttempt,
	}
	RuleURL = finding.Rule{
		ID:          "ioc-url",
		Title:       "Request for a URL of the --ioc feeds",
		Remediation: "A feed you loaded lists this URL. Check what the server answered and who asked.",
		Grading:     "medium",
		Stage:       finding.StageAttempt,
	}
)

// fields are the names of a request's parts in one log family.
type fields struct {
	client, agent, host, stem, query, status string
}

var familyFields = map[detect.LogFamily]fields{
	detect.HttpProxy: {finding.KeyClientIP, finding.KeyUserAgent, finding.KeyURLHost, finding.KeyURLStem, finding.KeyURLQuery, finding.KeyHTTPStatus},
	detect.IIS:       {finding.KeyW3CClientIP, finding.KeyW3CUserAgent, finding.KeyW3CHost, finding.KeyW3CStem, finding.KeyW3CQuery, finding.KeyW3CStatus},
}

func get(rec *detect.LogRecord, name string) string {
	if name == "" {
		return ""
	}
	v := rec.Get(name)
	if v == "-" {
		return ""
	}
	return v
}

// evidence is the request's fields as the log names them, then the
// indicator.
func evidence(rec *detect.LogRecord, f fields, hit *indicators.Indicator) finding.Evidence {
	var ev finding.Evidence
	for _, name := range []string{finding.KeyDateTime, "date", "time", f.client, finding.KeyMethod, finding.KeyW3CMethod,
		f.host, f.stem, f.query, f.status, f.agent, finding.KeyRequestID} {
		if !rec.Has(name) {
			continue
		}
		if v := get(rec, name); v != "" {
			ev = append(ev, finding.Field{Name: name, Value: v})
		}
	}
	ev = append(ev, finding.Field{Name: "indicator", Value: string(hit.Kind) + ":" + hit.Value}, finding.Field{Name: "source", Value: hit.Source})
	if hit.Label != "" {
		ev = append(ev, finding.Field{Name: "known_as", Value: hit.Label})
	}
	if hit.Date != "" {
		ev = append(ev, finding.Field{Name: "published", Value: hit.Date})
	}
	if hit.Ref != "" {
		ev = append(ev, finding.Field{Name: "indicator_ref", Value: hit.Ref})
	}
	return ev
}

func newFinding(r *finding.Rule, rec *detect.LogRecord, f fields, hit *indicators.Indicator) finding.Finding {
	at, _ := rec.Time()
	return r.New(finding.Medium, rec.Path, rec.Line, at, evidence(rec, f, hit))
}

// ClientIPs finds requests from indicator addresses. The reader looks up
// every record's client field in the set (no literal search can select
// thousands of addresses at speed).
type ClientIPs struct {
	// On is the log family: HttpProxy or IIS.
	On detect.LogFamily
}

func (c ClientIPs) Name() string             { return "ioc-client-ips-" + strings.ToLower(string(c.On)) }
func (c ClientIPs) Family() detect.LogFamily { return c.On }
func (ClientIPs) Literals() []string         { return nil }

func (ClientIPs) Check() detect.Check {
	return detect.Check{ID: "ioc-requests", Title: "Requests from indicator addresses, with indicator user agents or to indicator URLs (HttpProxy and IIS logs)",
		Needs: "the HttpProxy or IIS logs"}
}

func (ClientIPs) Rules() []*finding.Rule { return []*finding.Rule{&RuleClientIP} }

func (ClientIPs) WatchClients(ctx *detect.Context) func([]byte) bool {
	if ctx == nil || ctx.Indicators == nil || ctx.Indicators.Count()[indicators.KindIP]+ctx.Indicators.Count()[indicators.KindCIDR] == 0 {
		return nil
	}
	set := ctx.Indicators
	return detect.RepeatedAddresses(func(addr []byte) bool { return set.IPText(addr) != nil })
}

// ClientHints are the addresses' texts when the set holds a few IPv4
// addresses and no network (the built-in list alone), so stretches of log
// without any are passed over.
func (ClientIPs) ClientHints(ctx *detect.Context) [][]byte {
	if ctx == nil || ctx.Indicators == nil || ctx.Indicators.Count()[indicators.KindCIDR] > 0 {
		return nil
	}
	var addrs []string
	for ind := range ctx.Indicators.All() {
		if ind.Kind == indicators.KindIP {
			addrs = append(addrs, ind.Value)
		}
	}
	return detect.IPv4Hints(addrs)
}

// PrecheckFor: no line is wanted for a literal; the records come by
// their client address.
func (ClientIPs) PrecheckFor(*detect.Context) func([]byte) bool { return nil }

func (c ClientIPs) Inspect(ctx *detect.Context, rec *detect.LogRecord, emit detect.Emit) {
	if ctx == nil || ctx.Indicators == nil {
		return
	}
	f := familyFields[c.On]
	if hit := ctx.Indicators.IPText([]byte(get(rec, f.client))); hit != nil {
		emit(newFinding(&RuleClientIP, rec, f, hit))
	}
}

// maxRequestLiterals bounds the literals the feeds' user agents and URLs
// add to the prefilter.
const maxRequestLiterals = 2000

// Requests finds requests with a user agent or to a URL of the user's
// feeds. The published user agents are not among them: they are checked
// with the requests they were seen on (iis-attacker-user-agent), since
// most are crawlers' that also visit for good.
type Requests struct {
	On detect.LogFamily
}

func (r Requests) Name() string             { return "ioc-requests-" + strings.ToLower(string(r.On)) }
func (r Requests) Family() detect.LogFamily { return r.On }
func (Requests) Literals() []string         { return nil }

func (Requests) Check() detect.Check { return ClientIPs{}.Check() }

func (Requests) Rules() []*finding.Rule { return []*finding.Rule{&RuleUserAgent, &RuleURL} }

// LiteralsFor are the feeds' user agents in both spellings (IIS writes
// spaces as '+') and their URLs' paths.
func (Requests) LiteralsFor(ctx *detect.Context) []string {
	if ctx == nil || ctx.Indicators == nil {
		return nil
	}
	published := publishedAgents()
	var lits []string
	for ind := range ctx.Indicators.All() {
		if len(lits) >= maxRequestLiterals {
			break
		}
		switch ind.Kind {
		case indicators.KindUserAgent:
			if !published[normalAgent(ind.Value)] {
				lits = append(lits, ind.Value, strings.ReplaceAll(ind.Value, " ", "+"))
			}
		case indicators.KindURL:
			if p := urlPath(ind.Value); len(p) > 1 {
				lits = append(lits, p)
			}
		}
	}
	return lits
}

// maxPrecheckLiterals bounds the literals the raw test looks for one by
// one; beyond it every line holding one of the literals is read.
const maxPrecheckLiterals = 16

func (r Requests) PrecheckFor(ctx *detect.Context) func([]byte) bool {
	lits := r.LiteralsFor(ctx)
	switch {
	case len(lits) == 0:
		return nil
	case len(lits) > maxPrecheckLiterals:
		return func([]byte) bool { return true }
	}
	lower := make([]string, len(lits))
	for i, l := range lits {
		lower[i] = strings.ToLower(l)
	}
	return func(line []byte) bool {
		for _, l := range lower {
			if literal.IndexFold(line, l) >= 0 {
				return true
			}
		}
		return false
	}
}

// hasRequestIndicators remembers, per indicator set, whether it holds user
// agents (other than the published ones, checked with their requests) or
// URLs to look up: without them Inspect, which sees every record
// another check of the family selected, returns at once.
var hasRequestIndicators sync.Map // *indicators.Set -> bool

func wantsRequests(set *indicators.Set) bool {
	if v, ok := hasRequestIndicators.Load(set); ok {
		return v.(bool)
	}
	has := false
	for ind := range set.All() {
		if ind.Kind == indicators.KindURL || ind.Kind == indicators.KindUserAgent && !publishedAgents()[normalAgent(ind.Value)] {
			has = true
			break
		}
	}
	hasRequestIndicators.Store(set, has)
	return has
}

func (r Requests) Inspect(ctx *detect.Context, rec *detect.LogRecord, emit detect.Emit) {
	if ctx == nil || ctx.Indicators == nil || !wantsRequests(ctx.Indicators) {
		return
	}
	f := familyFields[r.On]
	if ua := get(rec, f.agent); ua != "" && !publishedAgents()[normalAgent(ua)] {
		if hit := ctx.Indicators.UserAgent(ua); hit != nil {
			emit(newFinding(&RuleUserAgent, rec, f, hit))
		}
	}
	if stem := get(rec, f.stem); stem != "" {
		u := stem
		if host := get(rec, f.host); host != "" {
			u = "https://" + host + stem
		}
		if q := strings.TrimPrefix(get(rec, f.query), "?"); q != "" {
			u += "?" + q
		}
		if hit := ctx.Indicators.URL(u); hit != nil {
			emit(newFinding(&RuleURL, rec, f, hit))
		}
	}
}

// normalAgent is a user agent as the published lists compare them.
func normalAgent(ua string) string { return strings.TrimSpace(strings.ReplaceAll(ua, "+", " ")) }

// publishedAgents are the published user agents, normalised.
var publishedAgents = sync.OnceValue(func() map[string]bool {
	m := map[string]bool{}
	for _, p := range indicators.PublishedUserAgents() {
		m[normalAgent(p.UA)] = true
	}
	return m
})

// urlPath is the path of a URL indicator ("" when it has none).
func urlPath(u string) string {
	if i := strings.Index(u, "://"); i >= 0 {
		u = u[i+3:]
	}
	if i := strings.IndexByte(u, '/'); i >= 0 {
		p := u[i:]
		if j := strings.IndexAny(p, "?#"); j >= 0 {
			p = p[:j]
		}
		return p
	}
	return ""
}
