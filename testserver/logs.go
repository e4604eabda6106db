package testserver

import (
	"bufio"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/exhunt/exhunt/finding"
	"github.com/exhunt/exhunt/source/exlog"
)

// benignRowBytes is the mean size of a generated benign HttpProxy row,
// measured; it turns TargetLogBytes into rows per hour.
const benignRowBytes = 1060

// logFile writes one log file and counts its physical lines.
type logFile struct {
	g     *generator
	rel   string
	f     *os.File
	w     *bufio.Writer
	lines int
	bytes int64
	// iis counts the file among the IIS logs too.
	iis bool
}

func (g *generator) create(rel string) (*logFile, error) {
	full := g.host(rel)
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		return nil, err
	}
	f, err := os.Create(full)
	if err != nil {
		return nil, err
	}
	return &logFile{g: g, rel: rel, f: f, w: bufio.NewWriterSize(f, 256<<10)}, nil
}

// line writes one physical line and returns its number.
func (l *logFile) line(s string) int {
	l.w.WriteString(s)
	l.w.WriteString("\r\n")
	l.lines++
	l.bytes += int64(len(s) + 2)
	return l.lines
}

// lineBytes is line for a line built in a buffer.
func (l *logFile) lineBytes(b []byte) int {
	l.w.Write(b)
	l.w.WriteString("\r\n")
	l.lines++
	l.bytes += int64(len(b) + 2)
	return l.lines
}

func (l *logFile) close() error {
	l.g.man.LogFiles++
	l.g.man.LogBytes += l.bytes
	if l.iis {
		l.g.man.IISLogFiles++
		l.g.man.IISLogBytes += l.bytes
	}
	if err := l.w.Flush(); err != nil {
		l.f.Close()
		return err
	}
	return l.f.Close()
}

func header(logType, version string, date time.Time, fields []string) []string {
	return []string{
		"#Software: Microsoft Exchange Server",
		"#Version: " + version,
		"#Log-type: " + logType,
		"#Date: " + stampMS(date),
		"#Fields: " + strings.Join(fields, ","),
	}
}

func stampMS(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// csvField quotes a value the way Exchange's CSV writer does.
func csvField(s string) string {
	if strings.ContainsAny(s, ",\"\r\n") {
		return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
	}
	return s
}

// plantedRow is an attack row waiting for its place in a file.
type plantedRow struct {
	at     time.Time
	fields map[string]string
	expect []Expect // Line and Path are filled in when written
}

// httpProxyRow renders a row of the 74-field HttpProxy schema.
func httpProxyRow(values map[string]string) string {
	var b strings.Builder
	for i, name := range exlog.HttpProxyFields {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(csvField(values[name]))
	}
	return b.String()
}

const (
	server     = "EX01"
	serverFQDN = "EX01.contoso.local"
	buildStr   = "15.01.2176.002"
)

// benignHttpProxy makes a benign row of a protocol at time t.
func (g *generator) benignHttpProxy(protocol string, t time.Time) map[string]string {
	r := g.rng
	user := fmt.Sprintf("CONTOSO\\user%03d", r.Intn(400))
	sid := fmt.Sprintf("Sid~S-1-5-21-3623811015-3361044348-30300820-%d", 1100+r.Intn(400))
	ip := fmt.Sprintf("10.%d.%d.%d", 10+r.Intn(20), r.Intn(250), 1+r.Intn(250))
	v := map[string]string{
		"DateTime": stampMS(t), "RequestId": g.guid(), "MajorVersion": "15", "MinorVersion": "1",
		"BuildVersion": "2176", "RevisionVersion": "2", "Protocol": protocol, "UrlHost": "mail.contoso.com",
		"IsAuthenticated": "true", "AuthenticatedUser": user, "Organization": "", "AnchorMailbox": sid,
		"ClientIpAddress": ip, "ServerHostName": g.opt.HostName, "HttpStatus": "200", "BackEndStatus": "200",
		"Method": "POST", "ProxyAction": "Proxy", "TargetServer": serverFQDN, "TargetServerVersion": "15.01.2176.000",
		"RoutingType": "IntraForest", "RoutingHint": "WindowsIdentity", "ServerLocatorHost": serverFQDN,
		"ServerLocatorLatency": "0", "RequestBytes": fmt.Sprint(200 + r.Intn(4000)), "ResponseBytes": fmt.Sprint(300 + r.Intn(30000)),
		"TargetOutstandingRequests": "0", "HttpPipelineLatency": "0", "CalculateTargetBackEndLatency": "1", "TotalGlsLatency": "0",
		"TotalAccountForestLatency": "0", "TotalResourceForestLatency": "0", "ADLatency": "0", "TotalSharedCacheLatency": "0",
		"ActivityContextLifeTime": fmt.Sprint(r.Intn(400)), "ModuleToHandlerSwitchingLatency": "0", "ClientReqStreamLatency": "0",
		"BackendReqInitLatency": "0", "BackendReqStreamLatency": "1", "BackendProcessingLatency": fmt.Sprint(r.Intn(300)),
		"BackendRespInitLatency": "0", "BackendRespStreamLatency": "0", "ClientRespStreamLatency": "0",
		"KerberosAuthHeaderLatency": "0", "HandlerCompletionLatency": "0", "RequestHandlerLatency": "12",
		"HandlerToModuleSwitchingLatency": "0", "ProxyTime": "13", "CoreLatency": "1", "RoutingLatency": "1",
		"HttpProxyOverhead": "2", "TotalRequestTime": fmt.Sprint(10 + r.Intn(300)), "RoutingStatus": "CafeV1",
		"GenericInfo": fmt.Sprintf("BeginRequest=%s;CorrelationID=<empty>;ProxyState-Run=None;FEAuth=BEVersion-1942062522;"+
			"RoutingEntry=DatabaseGuid:%s%%40contoso.local%%40contoso.local Server:%s+1942062522@637503456789012345;"+
			"NewConnection=%s&0;BeginGetRequestStream=%s;OnRequestStreamReady=%s;BeginGetResponse=%s;OnResponseReady=%s;"+
			"EndGetResponse=%s;ProxyState-Complete=ProxyResponseData;SharedCacheGuard=0;EndRequest=%s;",
			stampMS(t), g.guid(), serverFQDN, ip, stampMS(t), stampMS(t), stampMS(t), stampMS(t), stampMS(t), stampMS(t)),
		"BackEndGenericInfo": "", "GenericErrors": "", "DatabaseGuid": g.guid(),
		"UserADObjectGuid": g.guid(),
	}
	ua := []string{
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML  like Gecko) Chrome/88.0.4324.190 Safari/537.36",
		"Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.13801; Pro)",
		"Outlook-iOS-Android/1.0",
		"Apple-iPhone12C1/1805.212",
		"MapiHttpClient",
	}[r.Intn(5)]
	v["UserAgent"] = ua
	switch protocol {
	case "Mapi":
		v["UrlStem"], v["AuthenticationType"] = "/mapi/emsmdb/", "Negotiate"
		v["AnchorMailbox"] = "MailboxGuid~" + g.guid()
		v["UrlQuery"] = "?MailboxId=" + g.guid() + "@contoso.com"
	case "Eas":
		v["UrlStem"], v["AuthenticationType"] = "/Microsoft-Server-ActiveSync/default.eas", "Basic"
		v["UrlQuery"] = "?Cmd=Sync&User=user&DeviceId=" + strings.ReplaceAll(g.guid(), "-", "") + "&DeviceType=iPhone"
		v["BackEndCookie"] = "Database~" + g.guid() + "~~" + t.Add(30*24*time.Hour).Format("2006-01-02T15:04:05")
	case "Owa", "OwaCalendar":
		v["UrlStem"], v["AuthenticationType"] = "/owa/service.svc", "BEARER"
		v["UrlQuery"] = "?action=GetItem&app=Mail&n=" + fmt.Sprint(r.Intn(100))
		// Log-on pages and their resources: Exchange's own scripts in
		// owa\auth, next to which the shells were planted.
		if protocol == "Owa" && r.Intn(6) == 0 {
			v["UrlStem"] = []string{"/owa/auth/logon.aspx", "/owa/auth/15.1.2176/themes/resources/logon.css",
				"/owa/auth/15.1.2176/scripts/premium/flogon.js", "/owa/auth/RedirSuiteServiceProxy.aspx", "/owa/auth/errorFE.aspx"}[r.Intn(5)]
			v["Method"], v["AuthenticationType"], v["IsAuthenticated"], v["AuthenticatedUser"] = "GET", "", "false", ""
		}
		// The benign form of the cookie Microsoft's updated query looks at.
		v["BackEndCookie"] = "Server~" + strings.ToLower(serverFQDN) + "~1942062522~" + t.Add(time.Hour).Format("2006-01-02T15:04:05")
	case "Autodiscover":
		v["UrlStem"], v["AuthenticationType"] = "/autodiscover/autodiscover.xml", "NTLM"
		v["RoutingHint"] = "WindowsIdentity"
	case "Ews":
		v["UrlStem"], v["AuthenticationType"] = "/EWS/Exchange.asmx", "NTLM"
	case "Ecp":
		v["UrlStem"], v["AuthenticationType"] = "/ecp/default.aspx", "FBA"
		v["AnchorMailbox"] = "ServerVersion~Version 15.1 (Build 2176.2)"
	case "PowerShell":
		v["UrlStem"], v["AuthenticationType"] = "/powershell", "Kerberos"
		v["UrlQuery"] = "?serializationLevel=Full;ExchClientVer=15.1.2176.2;clientApplication=ManagementShell;TargetServer=;PSVersion=5.1.14393.4350"
	case "Oab":
		v["UrlStem"], v["AuthenticationType"], v["Method"] = "/OAB/"+g.guid()+"/oab.xml", "NTLM", "GET"
	default:
		v["UrlStem"], v["AuthenticationType"] = "/rpc/rpcproxy.dll", "Ntlm"
		v["UrlQuery"] = "?" + serverFQDN + ":6001"
	}
	// Managed Availability probes route by server, without a path: the
	// health-probe anchor that Microsoft's ServerInfo~*/* filter leaves alone.
	if r.Intn(25) == 0 {
		v["AnchorMailbox"] = "ServerInfo~" + serverFQDN
		v["UserAgent"] = "AMProbe/Local/ClientAccess"
		v["AuthenticatedUser"] = "CONTOSO\\HealthMailbox" + strings.ReplaceAll(g.guid()[:12], "-", "")
	}
	return v
}

func (g *generator) guid() string {
	r := g.rng
	return fmt.Sprintf("%08x-%04x-%04x-%04x-%012x", r.Uint32(), r.Intn(1<<16), r.Intn(1<<16), r.Intn(1<<16), r.Int63n(1<<48))
}

func (g *generator) httpProxy() error {
	planted := map[string][]plantedRow{} // protocol -> rows
	if g.incident != nil {
		for _, r := range g.incident.requests {
			if r.proxy != nil {
				planted[r.proxy.protocol] = append(planted[r.proxy.protocol], r.proxy.row)
			}
		}
		end := g.opt.Start.Add(time.Duration(g.opt.Hours) * time.Hour)
		for proto, rows := range planted {
			if !hasProtocol(g.opt.Protocols, proto) {
				return fmt.Errorf("the attack needs the %s HttpProxy folder", proto)
			}
			for _, r := range rows {
				if r.at.Before(g.opt.Start) || !r.at.Before(end) {
					return fmt.Errorf("the attack at %s lies outside the log span", r.at)
				}
			}
			sort.Slice(rows, func(i, j int) bool { return rows[i].at.Before(rows[j].at) })
		}
	}
	for _, proto := range g.opt.Protocols {
		rows := planted[proto]
		for h := 0; h < g.opt.Hours; h++ {
			hour := g.opt.Start.Add(time.Duration(h) * time.Hour)
			var err error
			rows, err = g.httpProxyHour(proto, hour, rows)
			if err != nil {
				return err
			}
		}
	}
	return nil
}

func hasProtocol(ps []string, p string) bool {
	for _, x := range ps {
		if x == p {
			return true
		}
	}
	return false
}

// httpProxyHour writes the hour's files of one protocol, rolling over at
// MaxFileBytes, and places the planted rows that fall in the hour.
func (g *generator) httpProxyHour(proto string, hour time.Time, planted []plantedRow) ([]plantedRow, error) {
	dir := path.Join(g.exchange("Logging/HttpProxy"), proto)
	seq := 0
	var lf *logFile
	open := func() error {
		seq++
		var err error
		lf, err = g.create(fmt.Sprintf("%s/HttpProxy_%s-%d.LOG", dir, hour.Format("2006010215"), seq))
		if err != nil {
			return err
		}
		// Exchange writes a bare CSV header before the directive block.
		lf.line(strings.Join(exlog.HttpProxyFields, ","))
		for _, h := range header("HttpProxy Logs", buildStr, hour, exlog.HttpProxyFields) {
			lf.line(h)
		}
		return nil
	}
	if err := open(); err != nil {
		return planted, err
	}
	writePlanted := func(r plantedRow) {
		n := lf.line(httpProxyRow(r.fields))
		for _, e := range r.expect {
			g.expect(e.Rule, e.Severity, lf.rel, n, e.Why)
		}
	}
	step := time.Hour / time.Duration(g.opt.RowsPerHour+1)
	for i := 0; i < g.opt.RowsPerHour; i++ {
		t := hour.Add(time.Duration(i+1) * step)
		for len(planted) > 0 && !planted[0].at.After(t) {
			writePlanted(planted[0])
			planted = planted[1:]
		}
		if lf.bytes >= g.opt.MaxFileBytes {
			if err := lf.close(); err != nil {
				return planted, err
			}
			if err := open(); err != nil {
				return planted, err
			}
		}
		lf.line(httpProxyRow(g.benignHttpProxy(proto, t)))
	}
	for len(planted) > 0 && planted[0].at.Before(hour.Add(time.Hour)) {
		writePlanted(planted[0])
		planted = planted[1:]
	}
	return planted, lf.close()
}

type protoRow struct {
	protocol string
	row      plantedRow
}

// ecpLine renders an ECP Server log line.
func ecpLine(at time.Time, items [][2]string) string {
	var parts []string
	for _, it := range items {
		s := it[0] + "=" + it[1]
		if strings.ContainsAny(s, ";'") {
			s = "'" + strings.ReplaceAll(s, "'", "''") + "'"
		}
		parts = append(parts, s)
	}
	return stampMS(at) + "," + server + ",ECP.Request," + csvField(strings.Join(parts, ";"))
}

func (g *generator) ecpItems(cmd, url string) [][2]string {
	return [][2]string{
		{"S:TIME", fmt.Sprint(5 + g.rng.Intn(200))}, {"S:SID", g.guid()}, {"S:CMD", cmd}, {"S:REQID", ""},
		{"S:URL", url}, {"S:REFERRER", ""}, {"S:EX", ""}, {"S:ACTID", g.guid()}, {"S:RS", "0"}, {"S:BLD", "15.1.2176.2"},
	}
}

func (g *generator) ecpServer() error {
	end := g.opt.Start.Add(time.Duration(g.opt.Hours) * time.Hour)
	perHour := max(2, g.opt.RowsPerHour/20)
	for day := g.opt.Start.Truncate(24 * time.Hour); day.Before(end); day = day.Add(24 * time.Hour) {
		lf, err := g.create(fmt.Sprintf("%s/ECPServer%s-1.LOG", g.exchange("Logging/ECP/Server"), day.Format("20060102")))
		if err != nil {
			return err
		}
		for _, h := range header("ECP Server Log", "15.0.0.0", day, exlog.ECPServerFields) {
			lf.line(h)
		}
		benign := []string{"Get-InboxRule", "Get-Mailbox.Identity='user042'", "Get-OwaVirtualDirectory.Identity='EX01\\owa (Default Web Site)'", "Get-CalendarProcessing"}
		for h := 0; h < 24; h++ {
			hour := day.Add(time.Duration(h) * time.Hour)
			if hour.Before(g.opt.Start) || !hour.Before(end) {
				continue
			}
			for i := 0; i < perHour; i++ {
				at := hour.Add(time.Duration(i+1) * time.Hour / time.Duration(perHour+1))
				lf.line(ecpLine(at, g.ecpItems(benign[g.rng.Intn(len(benign))], "/ecp/RulesEditor/InboxRules.svc/GetList?msExchEcpCanary="+g.guid())))
			}
			if g.opt.Attacks && hour.Equal(attackDay.Add(6*time.Hour)) {
				g.plantECP(lf, hour)
			}
		}
		if err := lf.close(); err != nil {
			return err
		}
	}
	return nil
}

// plantECP writes the attacker's cmdlets (from the real incident) and the
// administrator changes that look like them.
func (g *generator) plantECP(lf *logFile, hour time.Time) {
	at := func(m, s int) time.Time { return hour.Add(time.Duration(m)*time.Minute + time.Duration(s)*time.Second) }
	const identity = "982d48c8-8bfa-4b6b-b431-53fd7ea4e9b3"
	shell := "http://f/" + reveal(chopperPayload)
	canary := "/ecp/DDI/DDIService.svc/SetObject?msExchEcpCanary=M1xSxxxDuw.&schema=OABVirtualDirectory"
	lf.line(ecpLine(at(49, 51), g.ecpItems("Get-OabVirtualDirectory.ADPropertiesOnly=$true.Identity=$null", canary)))
	n := lf.line(ecpLine(at(49, 53), g.ecpItems("Set-OabVirtualDirectory.ExternalUrl='"+shell+"'.Identity='"+identity+"'", canary)))
	g.expect("proxylogon-vdir-script", finding.High, lf.rel, n, "Set-OabVirtualDirectory with script in ExternalUrl")
	// The same command in a line holding only the S:CMD item: Microsoft's
	// regular expression needs a later "VirtualDirectory" and misses it.
	n = lf.line(stampMS(at(49, 54)) + "," + server + ",ECP.Request," + csvField("'S:CMD=Set-OabVirtualDirectory.InternalUrl=''"+strings.ReplaceAll(shell, "'", "''")+"''.Identity=''"+identity+"'''"))
	g.expect("proxylogon-vdir-script", finding.High, lf.rel, n, "script in InternalUrl, line without a later VirtualDirectory")
	lf.line(ecpLine(at(49, 58), g.ecpItems("Set-OabVirtualDirectory.ExternalUrl=$null.Identity='"+identity+"'", canary)))
	lf.line(ecpLine(at(50, 0), g.ecpItems("Remove-OABVirtualDirectory.Force=$true.Identity='EX01\\OAB (Default Web Site)'", canary)))
	lf.line(ecpLine(at(50, 8), g.ecpItems("New-OABVirtualDirectory.WebSiteName='Default Web Site'.Server='EX01'.Role='ClientAccess'.InternalURL='https://ex01.contoso.local/OAB'.Path='C:\\Program Files\\Microsoft\\Exchange Server\\V15\\FrontEnd\\HttpProxy\\OAB'", canary)))
	// An administrator setting a valid URL: Microsoft's blog regex flags
	// it, a correct check does not.
	lf.line(ecpLine(at(55, 0), g.ecpItems("Set-OwaVirtualDirectory.ExternalUrl='https://mail.contoso.com/owa'.Identity='EX01\\owa (Default Web Site)'", "/ecp/DDI/DDIService.svc/SetObject?msExchEcpCanary=adm.&schema=OWAVirtualDirectory")))
}

// chopperPayload is the one-line China Chopper the real incident wrote into
// ExternalUrl, encoded (see reveal).
const chopperPayload = "Zik5KDMqLno2OzQ9Lzs9P2d4EAk5KDMqLnh6KC80Oy5neCk/KCw/KHhkPC80OS4zNTR6Cjs9PwUWNTs+cnMhPyw7NnIIPysvPykuAXgxNjFraGlub2x4B3Z4LzQpOzw/eHNhJ2Z1KTkoMyouZA=="

func (g *generator) oabGenerator() error {
	day := g.opt.Start.Truncate(24 * time.Hour)
	if g.opt.Attacks {
		day = attackDay
	}
	lf, err := g.create(fmt.Sprintf("%s/OABGeneratorLog%s-1.LOG", g.exchange("Logging/OABGeneratorLog"), day.Format("20060102")))
	if err != nil {
		return err
	}
	fields := []string{"DateTime", "ThreadId", "Level", "Message"}
	for _, h := range header("OABGenerator Log", buildStr, day, fields) {
		lf.line(h)
	}
	oab := strings.TrimSuffix(g.windowsInstallPath(), `\`) + `\ClientAccess\OAB`
	msg := func(at time.Time, text string) int {
		return lf.line(stampMS(at) + ",12,Information," + csvField(text))
	}
	for i := 0; i < 20; i++ {
		msg(day.Add(time.Duration(i)*time.Hour), "OABGenerator completed generation of offline address book '\\Default Offline Address Book'.")
	}
	msg(day.Add(2*time.Hour), "Download failed and temporary file '"+oab+`\Temp\9f1c2b7e\oab.xml' needs to be removed.`)
	if g.opt.Attacks {
		at := day.Add(7*time.Hour + 3*time.Minute)
		for _, p := range []struct{ path, why string }{
			{`C:\inetpub\wwwroot\aspnet_client\system_web\xTm1q.aspx`, "OAB download into aspnet_client"},
			{`\\198.51.100.5\share\shell.aspx`, "OAB download to a UNC path"},
			{oab + `\..\..\FrontEnd\HttpProxy\owa\auth\y.aspx`, "path that passes a prefix test but leaves the OAB folder"},
		} {
			n := msg(at, "Download failed and temporary file '"+p.path+"' needs to be removed.")
			g.expect("proxylogon-oab-download-outside", finding.High, lf.rel, n, p.why)
			at = at.Add(time.Second)
		}
	}
	return lf.close()
}
