package iis

import (
	"strings"

	"github.com/exhunt/exhunt/detect"
	"github.com/exhunt/exhunt/finding"
	"github.com/exhunt/exhunt/source/literal"
)

// RuleWebTunnel is a web shell used as a network tunnel.
var RuleWebTunnel = finding.Rule{
	ID:    "iis-webshell-tunnel",
	Title: "Request that opens a network tunnel through a web shell (Tunna, reGeorg)",
	CVEs:  cvesChain,
	Remediation: "A tunnelling web shell (reGeorg was among the 2021 attackers' tools) relays the attacker's " +
		"connections into the network through the web server: the script named by the request is a web shell, " +
		"and the address and port in the query are what the attacker reached (RDP, SMB, LDAP...). Preserve the " +
		"script and the logs, and look for the same client's other requests and for logons from the server.",
	Grading:    "critical when the server answered 2xx (the tunnel script exists and ran); high otherwise",
	References: []string{detect.RefVolexity},
	Stage:      finding.StageWebshellUse,
}

// Tunnels finds the query strings by which web tunnels are driven: Tunna
// opens its tunnel with proxy&port=<port>&ip=<address>, reGeorg with
// cmd=connect&target=<address>&port=<port>.
type Tunnels struct{}

func (Tunnels) Name() string             { return "iis-webshell-tunnels" }
func (Tunnels) Family() detect.LogFamily { return detect.IIS }

func (Tunnels) Check() detect.Check {
	return detect.Check{ID: "iis-webshell-tunnels", Title: "Web shell tunnels (Tunna, reGeorg) in the IIS logs", CVEs: cvesChain, Needs: needsIIS}
}

func (Tunnels) Rules() []*finding.Rule { return []*finding.Rule{&RuleWebTunnel} }

func (Tunnels) Literals() []string { return []string{"proxy&port=", "cmd=connect&target="} }

func (Tunnels) Precheck(line []byte) bool {
	return literal.IndexFold(line, "proxy&port=") >= 0 || literal.IndexFold(line, "cmd=connect&target=") >= 0
}

func (Tunnels) Inspect(_ *detect.Context, rec *detect.LogRecord, emit detect.Emit) {
	// The record reached here for another check's literal, most likely.
	if literal.IndexFold(rec.Raw, "proxy&port=") < 0 && literal.IndexFold(rec.Raw, "cmd=connect&target=") < 0 {
		return
	}
	q := strings.ToLower(value(rec, finding.KeyW3CQuery))
	var tool, target string
	params := queryParams(q)
	switch {
	case strings.HasPrefix(q, "proxy&") && params["port"] != "":
		tool, target = "Tunna", params["ip"]+":"+params["port"]
	case params["cmd"] == "connect" && params["target"] != "" && params["port"] != "":
		tool, target = "reGeorg", params["target"]+":"+params["port"]
	default:
		return
	}
	why := tool + " tunnel opened to " + target
	if statusClass(rec) == 2 {
		emit(newFinding(&RuleWebTunnel, finding.Critical, rec, why))
		return
	}
	emit(newFinding(&RuleWebTunnel, finding.High, rec, why+"; the server did not answer with success"))
}

// queryParams splits a query string into its values by name (the first
// of each name), decoded.
func queryParams(q string) map[string]string {
	out := map[string]string{}
	for _, pair := range strings.Split(q, "&") {
		k, v, _ := strings.Cut(pair, "=")
		if _, ok := out[k]; !ok {
			out[k] = decodeQueryValue(v)
		}
	}
	return out
}
