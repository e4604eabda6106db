package indicators

import (
	_ "embed"
	"fmt"
	"regexp"
	"strings"
	"sync"
)

//go:embed data/attacker-ips.tsv
var attackerIPs string

//go:embed data/domains.tsv
var campaignDomains string

//go:embed data/user-agents.tsv
var publishedUserAgents string

// The contexts of the published user agents: the request each was seen on.
// The agents are ordinary crawler and library agents, so a check that uses
// one without its context would flag the whole internet.
const (
	ContextOWAAuthCurrentPost = "owa-auth-current-post" // POST to /owa/auth/Current/...
	ContextECPPost            = "ecp-post"              // POST to /ecp/...
	ContextWebshellAccess     = "webshell-access"       // requests to web shells
)

// UserAgentIndicator is a published user agent with the request it was
// seen on.
type UserAgentIndicator struct {
	// UA is as published, in IIS's form ('+' for a space); Set.UserAgent
	// matches it in either form.
	UA      string
	Context string // one of the Context constants
	Source  string
}

// PublishedUserAgents returns the user agents published for the campaign,
// each with its context; an agent seen in two contexts is listed twice.
func PublishedUserAgents() []UserAgentIndicator {
	return append([]UserAgentIndicator(nil), builtinData().agents...)
}

// Builtin returns a new Set of the built-in indicators: the attackers'
// addresses, the campaign's domains, the published user agents, the
// known-bad hashes and the planted file paths, each with its source and
// date. Each call builds an independent Set (a few hundred indicators),
// so the caller may merge its own into it.
func Builtin() *Set {
	s := &Set{}
	for _, ind := range builtinData().indicators {
		if err := s.Add(ind); err != nil {
			panic(fmt.Sprintf("indicators: built-in %s: %v", ind.Ref, err)) // checked by tests
		}
	}
	return s
}

type builtinTables struct {
	indicators []Indicator
	agents     []UserAgentIndicator
}

// builtinData parses the embedded tables once; they are compiled in and
// checked by tests, so a failure is a build defect and panics.
var builtinData = sync.OnceValue(func() builtinTables {
	t, err := parseBuiltin()
	if err != nil {
		panic(err)
	}
	return t
})

// iocPathBases are the default-install folders the published paths were
// found in, as Microsoft's feed writes them.
var iocPathBases = map[PathBase]string{
	BaseExchange: `C:\Program Files\Microsoft\Exchange Server\V15\`,
	BaseWebRoot:  `C:\inetpub\wwwroot\`,
	BaseDrive:    `C:\`,
}

var dateInText = regexp.MustCompile(`\b20\d\d-\d\d-\d\d\b`)

func isDate(s string) bool { return len(s) == 10 && dateInText.MatchString(s) }

func parseBuiltin() (builtinTables, error) {
	var t builtinTables
	ref := func(file string, n int) string { return fmt.Sprintf("indicators/data/%s:%d", file, n) }
	err := eachLine("attacker-ips.tsv", attackerIPs, func(n int, line string) error {
		c := strings.Split(line, "\t")
		if len(c) != 4 || c[3] == "" || c[1] != "" && !isDate(c[1]) {
			return fmt.Errorf("want address<TAB>date or nothing<TAB>what<TAB>source")
		}
		t.indicators = append(t.indicators, Indicator{Kind: KindIP, Value: c[0], Date: c[1], Label: c[2], Source: c[3], Ref: ref("attacker-ips.tsv", n)})
		return nil
	})
	if err != nil {
		return t, err
	}
	err = eachLine("domains.tsv", campaignDomains, func(n int, line string) error {
		c := strings.Split(line, "\t")
		if len(c) != 4 || !isDate(c[1]) || c[3] == "" {
			return fmt.Errorf("want domain<TAB>date<TAB>what<TAB>source")
		}
		t.indicators = append(t.indicators, Indicator{Kind: KindDomain, Value: c[0], Date: c[1], Label: c[2], Source: c[3], Ref: ref("domains.tsv", n)})
		return nil
	})
	if err != nil {
		return t, err
	}
	// An agent seen in several contexts is one indicator naming them all.
	agentAt := map[string]int{}
	err = eachLine("user-agents.tsv", publishedUserAgents, func(n int, line string) error {
		c := strings.Split(line, "\t")
		if len(c) != 4 || !isDate(c[2]) || c[3] == "" {
			return fmt.Errorf("want context<TAB>user agent<TAB>date<TAB>source")
		}
		switch c[0] {
		case ContextOWAAuthCurrentPost, ContextECPPost, ContextWebshellAccess:
		default:
			return fmt.Errorf("unknown context %q", c[0])
		}
		t.agents = append(t.agents, UserAgentIndicator{UA: c[1], Context: c[0], Source: c[3]})
		if i, ok := agentAt[c[1]]; ok {
			t.indicators[i].Label += ", " + c[0]
			return nil
		}
		agentAt[c[1]] = len(t.indicators)
		t.indicators = append(t.indicators, Indicator{Kind: KindUserAgent, Value: c[1], Date: c[2],
			Label: "seen in ProxyLogon exploitation on: " + c[0], Source: c[3], Ref: ref("user-agents.tsv", n)})
		return nil
	})
	if err != nil {
		return t, err
	}
	err = eachLine("known-bad-hashes.tsv", knownBadHashes, func(n int, line string) error {
		c := strings.Split(line, "\t")
		kind, ok := HashKind(c[0])
		if len(c) != 3 || !ok || c[2] == "" {
			return fmt.Errorf("want hash<TAB>what<TAB>source, the hash an MD5, SHA-1 or SHA-256 in hex")
		}
		// The source column names the date: "..., added 2021-03-25, first
		// seen 2021-03-16" for Microsoft's feed, "(2021-03-10)" or "blog
		// 2021-03-02" for the others.
		source, label := c[2], c[1]
		if feed, when, ok := strings.Cut(source, ", added "); ok {
			source = feed
			if _, seen, ok := strings.Cut(when, "first seen "); ok && seen != "" {
				label += ", first seen " + seen
			}
		}
		t.indicators = append(t.indicators, Indicator{Kind: kind, Value: c[0], Date: dateInText.FindString(c[2]),
			Label: label, Source: source, Ref: ref("known-bad-hashes.tsv", n)})
		return nil
	})
	if err != nil {
		return t, err
	}
	paths, err := parseIOCPaths()
	if err != nil {
		return t, err
	}
	for _, p := range paths {
		t.indicators = append(t.indicators, Indicator{Kind: KindFilePath, Value: iocPathBases[p.Base] + p.Rel, Date: p.Added,
			Label: "file planted in the attacks", Source: "Microsoft MSTIC Exchange IOC feed (Azure-Sentinel)",
			Ref: ref("ioc-paths.tsv", p.Line)})
	}
	return t, nil
}
