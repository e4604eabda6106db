package iis

import (
	"strings"
	"sync"

	"github.com/exhunt/exhunt/detect"
	"github.com/exhunt/exhunt/detect/webshell"
	"github.com/exhunt/exhunt/finding"
	"github.com/exhunt/exhunt/indicators"
	"github.com/exhunt/exhunt/source/literal"
)

// RuleAttackerUserAgent is a published attacker user agent on the request
// it was published with.
var RuleAttackerUserAgent = finding.Rule{
	ID:    "iis-attacker-user-agent",
	Title: "Published attacker user agent on the kind of request it was seen on (CISA AA21-062A, Volexity)",
	CVEs:  []string{"CVE-2021-26855"},
	Remediation: "These user agents were published with the requests the 2021 attackers made with them: POSTs to " +
		"OWA's static log-on resources or to ECP, and web shell access in aspnet_client and OWA. Follow this " +
		"client's other requests and the HttpProxy logs at this time.",
	Grading:    "medium",
	References: []string{detect.RefCISAAA21062A, detect.RefVolexity, detect.RefSigmaHafnium},
	Stage:      finding.StageAttempt,
}

// UserAgents finds the published user agents on the requests they were
// published with. Alone they prove nothing (most are crawlers' names, and
// crawlers visit OWA's log-on page for good): only a POST to those paths,
// or a request for a shell, is a finding.
type UserAgents struct{}

func (UserAgents) Name() string             { return "iis-attacker-user-agents" }
func (UserAgents) Family() detect.LogFamily { return detect.IIS }

func (UserAgents) Check() detect.Check {
	return detect.Check{ID: "iis-attacker-user-agents", Title: "Published attacker user agents on their requests in the IIS logs",
		CVEs: []string{"CVE-2021-26855"}, Needs: needsIIS}
}

func (UserAgents) Rules() []*finding.Rule { return []*finding.Rule{&RuleAttackerUserAgent} }

// publishedByAgent maps each published user agent (spaces, not '+') to the
// contexts it was seen in.
var publishedByAgent = sync.OnceValue(func() map[string][]string {
	m := map[string][]string{}
	for _, p := range indicators.PublishedUserAgents() {
		ua := strings.ReplaceAll(p.UA, "+", " ")
		m[ua] = append(m[ua], p.Context)
	}
	return m
})

// Literals are the agents as IIS writes them ('+' for spaces) and as
// copies converted back write them.
func (UserAgents) Literals() []string {
	var out []string
	for ua := range publishedByAgent() {
		out = append(out, ua, strings.ReplaceAll(ua, " ", "+"))
	}
	return out
}

// agentMarks are lower-case parts of the published agents, one of which
// each holds: a cheap raw test before the line is split.
var agentMarks = []string{"bot", "facebookexternalhit", "spider", "slurp", "python-requests", "exchangeservicesclient", "antsword", "chrome/51.0.2704.103"}

func (UserAgents) Precheck(line []byte) bool {
	for _, m := range agentMarks {
		if literal.IndexFold(line, m) >= 0 {
			return true
		}
	}
	return false
}

func (UserAgents) Inspect(_ *detect.Context, rec *detect.LogRecord, emit detect.Emit) {
	ua := strings.TrimSpace(strings.ReplaceAll(value(rec, finding.KeyW3CUserAgent), "+", " "))
	contexts := publishedByAgent()[ua]
	if len(contexts) == 0 {
		return
	}
	stem := stemOf(rec)
	post := isPost(rec)
	for _, c := range contexts {
		var seen bool
		switch c {
		case indicators.ContextOWAAuthCurrentPost:
			seen = post && hasPrefixFold(stem, "/owa/auth/current/")
		case indicators.ContextECPPost:
			seen = post && hasPrefixFold(stem, "/ecp/")
		case indicators.ContextWebshellAccess:
			// Shell access: a POST there, or any request for a script
			// that is not Exchange's own in a hot spot.
			if hasPrefixFold(stem, "/aspnet_client/") || hasPrefixFold(stem, "/owa/") {
				_, shell := webshell.SuspiciousRequestPath(stem)
				seen = post || shell
			}
		}
		if seen {
			emit(newFinding(&RuleAttackerUserAgent, finding.Medium, rec, "published user agent on a "+value(rec, finding.KeyW3CMethod)+" to "+stem+" ("+c+")"))
			return
		}
	}
}
