package correlate

import (
	"net/url"
	"sort"
	"strings"

	"github.com/exhunt/exhunt/finding"
	"github.com/exhunt/exhunt/result"
)

// mention is one mailbox named in one field of a finding.
type mention struct {
	address, kind, field string
}

// mailbox is the working state of one listed mailbox.
type mailbox struct {
	out     result.Mailbox
	ips     map[string]bool
	sources map[result.MailboxSource]bool
	rank    int // best outcome rank of its sessions, -1 for none
}

// mailboxFields are evidence keys whose whole value names a mailbox:
// the forged requests' logon mailbox header, and the target of a mailbox
// export when a rule records one.
var mailboxFields = []string{"msExchLogonMailbox", "X-AnchorMailbox", "Mailbox", "TargetMailbox"}

// accountFields are evidence keys naming the account a request ran as.
var accountFields = []string{"AuthenticatedUser", finding.KeyW3CUserName}

// queryFields are evidence keys that hold a URL's query alone.
var queryFields = []string{finding.KeyURLQuery, finding.KeyW3CQuery}

// queryMailboxParams are URL parameters that name a mailbox (Email= of
// autodiscover, the logon mailbox some tools pass in the query).
var queryMailboxParams = []string{"email", "msexchlogonmailbox", "mailbox", "anchormailbox", "x-anchormailbox", "emailaddress"}

// mailboxesIn returns the mailboxes a finding's evidence names, each with
// the field it was found in.
func mailboxesIn(f *finding.Finding) []mention {
	var out []mention
	seen := map[mention]bool{}
	add := func(m mention) {
		if m.address != "" && !seen[m] {
			seen[m] = true
			out = append(out, m)
		}
	}
	for _, e := range f.Evidence {
		v := strings.TrimSpace(e.Value)
		if v == "" || v == "-" {
			continue
		}
		switch {
		case strings.EqualFold(e.Name, "AnchorMailbox"):
			addr, kind := anchorMailbox(v)
			add(mention{addr, kind, e.Name})
		case equalFoldAny(e.Name, accountFields):
			add(mention{account(v), result.MailboxAccount, e.Name})
			continue
		case strings.EqualFold(e.Name, "S:SID"):
			// The identity the ECP session ran as: the account the
			// attacker impersonated.
			if isSID(v) {
				add(mention{strings.ToUpper(v), result.MailboxSID, e.Name})
			}
			continue
		case equalFoldAny(e.Name, mailboxFields):
			addr, kind := classify(v)
			add(mention{addr, kind, e.Name})
			continue
		}
		q := v
		if equalFoldAny(e.Name, queryFields) && !strings.Contains(q, "?") {
			q = "?" + q
		}
		for _, m := range queryMailboxes(q) {
			add(mention{m[0], m[1], e.Name})
		}
		if hasPrefixFold(v, "/o=") {
			add(mention{legacyDN(v), result.MailboxLegacyDN, e.Name})
		}
	}
	for _, m := range queryMailboxes(f.URL) {
		add(mention{m[0], m[1], "url"})
	}
	return out
}

func equalFoldAny(s string, list []string) bool {
	for _, l := range list {
		if strings.EqualFold(s, l) {
			return true
		}
	}
	return false
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// anchorMailbox reads HttpProxy's AnchorMailbox: SMTP:, Smtp~ and
// LiveIdMemberName~ carry an address, Sid~ a SID; ServerInfo~ routes to a
// server and names no mailbox (its target path may, in its query).
func anchorMailbox(v string) (string, string) {
	for _, p := range []string{"smtp:", "smtp~", "liveidmembername~"} {
		if hasPrefixFold(v, p) {
			return classify(v[len(p):])
		}
	}
	if hasPrefixFold(v, "sid~") && isSID(v[4:]) {
		return strings.ToUpper(v[4:]), result.MailboxSID
	}
	if hasPrefixFold(v, "serverinfo~") {
		if m := queryMailboxes(v); len(m) > 0 {
			return m[0][0], m[0][1]
		}
	}
	return "", ""
}

// classify reads a value that should name a mailbox: an SMTP address, a
// legacy DN or a SID.
func classify(v string) (string, string) {
	v = strings.TrimSpace(v)
	if hasPrefixFold(v, "smtp:") {
		v = v[5:]
	}
	switch {
	case hasPrefixFold(v, "/o="):
		return legacyDN(v), result.MailboxLegacyDN
	case isSID(v):
		return strings.ToUpper(v), result.MailboxSID
	case isSMTP(v):
		return strings.ToLower(v), result.MailboxSMTP
	}
	return "", ""
}

// queryMailboxes reads the mailbox parameters of a URL or of a value
// holding one (a forged request's target path), decoded.
func queryMailboxes(v string) [][2]string {
	q := strings.IndexByte(v, '?')
	if q < 0 {
		return nil
	}
	rest := v[q+1:]
	if i := strings.IndexByte(rest, '#'); i >= 0 {
		rest = rest[:i]
	}
	var out [][2]string
	for _, pair := range strings.Split(rest, "&") {
		name, value, ok := strings.Cut(pair, "=")
		if !ok || !equalFoldAny(name, queryMailboxParams) {
			continue
		}
		if d, err := url.QueryUnescape(value); err == nil {
			value = d
		}
		if a, k := classify(value); a != "" {
			out = append(out, [2]string{a, k})
		}
	}
	return out
}

// isSMTP accepts local@domain with a dotted domain of host name
// characters, and no URL or path characters in the local part: ProxyShell's
// Email=autodiscover/autodiscover.json?@x is not an address.
func isSMTP(v string) bool {
	at := strings.LastIndexByte(v, '@')
	if at <= 0 || at > 64 || len(v) > 320 {
		return false
	}
	local, domain := v[:at], v[at+1:]
	for i := 0; i < len(local); i++ {
		c := local[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`/\?#&=<>"'@,;:()[]`, c) >= 0 {
			return false
		}
	}
	if !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") || strings.Contains(domain, "..") {
		return false
	}
	for i := 0; i < len(domain); i++ {
		c := domain[i] | 0x20
		if !(c >= 'a' && c <= 'z' || domain[i] >= '0' && domain[i] <= '9' || domain[i] == '-' || domain[i] == '.') {
			return false
		}
	}
	return true
}

// isSID accepts the text form of a Windows security identifier.
func isSID(v string) bool {
	if !hasPrefixFold(v, "s-1-") || len(v) > 200 {
		return false
	}
	for i := 4; i < len(v); i++ {
		if !(v[i] >= '0' && v[i] <= '9' || v[i] == '-') {
			return false
		}
	}
	return len(v) > 4
}

// legacyDN cuts an Exchange legacy DN (/o=Org/ou=.../cn=Recipients/cn=x)
// at the first character that cannot be part of it in a log or URL.
func legacyDN(v string) string {
	if i := strings.IndexAny(v, "?&#\";\t\r\n"); i >= 0 {
		v = v[:i]
	}
	return strings.TrimSpace(v)
}

// account reads the account a request ran as (DOMAIN\user or a UPN);
// anonymous values are none.
func account(v string) string {
	if len(v) > 256 || strings.EqualFold(v, "anonymous") {
		return ""
	}
	for i := 0; i < len(v); i++ {
		if v[i] < ' ' || v[i] == 0x7f {
			return ""
		}
	}
	return v
}

// userPart is the name a system mailbox is recognised by: the local part
// of an address, the user of DOMAIN\user, the last cn= of a legacy DN.
func userPart(addr, kind string) string {
	switch kind {
	case result.MailboxSMTP:
		return addr[:strings.LastIndexByte(addr, '@')]
	case result.MailboxLegacyDN:
		low := strings.ToLower(addr)
		if i := strings.LastIndex(low, "/cn="); i >= 0 {
			return addr[i+4:]
		}
	case result.MailboxAccount:
		if i := strings.LastIndexByte(addr, '\\'); i >= 0 {
			return addr[i+1:]
		}
		if i := strings.LastIndexByte(addr, '@'); i >= 0 {
			return addr[:i]
		}
	}
	return addr
}

// systemMailboxes are Exchange's own mailboxes and accounts, by the prefix
// of their name: the servers' own traffic, not an attacker's target.
var systemMailboxes = []struct{ prefix, why string }{
	{"healthmailbox", "Exchange health mailbox (Managed Availability probes)"},
	{"systemmailbox{", "Exchange system (arbitration) mailbox"},
	{"federatedemail.", "Exchange federation mailbox"},
	{"migration.", "Exchange migration mailbox"},
	{"discoverysearchmailbox", "Exchange discovery search mailbox"},
	{"sm_", "account of an Exchange system mailbox"},
	{"extest_", "Exchange test account (Test-* cmdlets)"},
}

// wellKnownSIDs are the service identities of Windows.
var wellKnownSIDs = map[string]string{
	"S-1-5-18": "the local system account", "S-1-5-19": "the local service account", "S-1-5-20": "the network service account",
}

// excluded says why a mailbox is Exchange's or Windows' own, or "".
func excluded(addr, kind string) string {
	if kind == result.MailboxSID {
		return wellKnownSIDs[addr]
	}
	user := strings.ToLower(userPart(addr, kind))
	for _, s := range systemMailboxes {
		if strings.HasPrefix(user, s.prefix) {
			return s.why
		}
	}
	if kind == result.MailboxAccount {
		switch {
		case strings.HasSuffix(user, "$"):
			return "computer account: the server's own identity, as forged back-end requests run"
		case strings.HasPrefix(strings.ToLower(addr), `nt authority\`):
			return "Windows service account"
		}
	}
	return ""
}

// attackerEvidence lists the findings whose mailboxes are listed: those
// of the sessions, and exploitation or later steps without a client
// address (ECP and OAB log lines, files) that no session took in.
func (c *correlation) attackerEvidence() []int {
	var out []int
	for _, i := range c.attack {
		f := &c.fs[i]
		switch {
		case len(c.sessionsOf(i)) > 0:
			out = append(out, i)
		case f.SourceIP == "" && stageRank(f.Stage) >= stageRank(finding.StageExploitation) && f.Severity >= finding.Medium:
			out = append(out, i)
		}
	}
	for _, i := range c.activity {
		if len(c.sessionsOf(i)) > 0 {
			out = append(out, i)
		}
	}
	return out
}

// collectMailboxes gathers the mailboxes attacker evidence names.
func (c *correlation) collectMailboxes() {
	for _, i := range c.attackerEvidence() {
		f := &c.fs[i]
		sessions := c.sessionsOf(i)
		for _, m := range mailboxesIn(f) {
			key := m.kind + "\x00" + strings.ToLower(m.address)
			mb := c.mailboxes[key]
			if mb == nil {
				mb = &mailbox{out: result.Mailbox{Address: m.address, Kind: m.kind, Excluded: excluded(m.address, m.kind)},
					ips: map[string]bool{}, sources: map[result.MailboxSource]bool{}, rank: -1}
				c.mailboxes[key] = mb
			}
			if f.Time != nil {
				t := f.Time.UTC()
				if mb.out.First == nil || t.Before(*mb.out.First) {
					mb.out.First = timePtr(t)
				}
				if mb.out.Last == nil || t.After(*mb.out.Last) {
					mb.out.Last = timePtr(t)
				}
			}
			mb.sources[result.MailboxSource{Finding: fingerprint(f), Field: m.field}] = true
			for _, s := range sessions {
				mb.ips[s.ip] = true
				if s.rank > mb.rank {
					mb.rank = s.rank
				}
				if mb.out.Excluded == "" {
					if s.mailboxes == nil {
						s.mailboxes = map[string]bool{}
					}
					s.mailboxes[m.address] = true
				}
			}
		}
	}
}

// listMailboxes returns the mailboxes and the excluded system ones, each
// by first time, then address; bounded, with the rest counted.
func (c *correlation) listMailboxes() (list []result.Mailbox, dropped int, systems []result.Mailbox) {
	keys := make([]string, 0, len(c.mailboxes))
	for k := range c.mailboxes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		mb := c.mailboxes[k]
		out := mb.out
		if len(mb.ips) > 0 {
			out.SourceIPs = sortedKeys(mb.ips)
		}
		if mb.rank >= 0 {
			out.Outcome = outcomes[mb.rank]
		}
		srcs := make([]result.MailboxSource, 0, len(mb.sources))
		for s := range mb.sources {
			srcs = append(srcs, s)
		}
		sort.Slice(srcs, func(a, b int) bool {
			if srcs[a].Finding != srcs[b].Finding {
				return srcs[a].Finding < srcs[b].Finding
			}
			return srcs[a].Field < srcs[b].Field
		})
		if len(srcs) > maxMailboxSources {
			out.SourcesNotListed = len(srcs) - maxMailboxSources
			srcs = srcs[:maxMailboxSources]
		}
		out.Sources = srcs
		if out.Excluded != "" {
			systems = append(systems, out)
		} else {
			list = append(list, out)
		}
	}
	for _, l := range []*[]result.Mailbox{&list, &systems} {
		sortMailboxes(*l)
		if len(*l) > MaxMailboxes {
			dropped += len(*l) - MaxMailboxes
			*l = (*l)[:MaxMailboxes]
		}
	}
	return list, dropped, systems
}

func sortMailboxes(l []result.Mailbox) {
	sort.SliceStable(l, func(a, b int) bool {
		fa, fb := l[a].First, l[b].First
		if (fa == nil) != (fb == nil) {
			return fa != nil
		}
		if fa != nil && !fa.Equal(*fb) {
			return fa.Before(*fb)
		}
		if l[a].Address != l[b].Address {
			return l[a].Address < l[b].Address
		}
		return l[a].Kind < l[b].Kind
	})
}
