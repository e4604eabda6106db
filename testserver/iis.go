package testserver

import (
	"fmt"
	"math/rand"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/exhunt/exhunt/finding"
)

// IIS W3C logs of the two sites Exchange runs in: the front end ("Default
// Web Site", W3SVC1, ports 443 and 80) and the back end ("Exchange Back
// End", W3SVC2, port 444). One file per UTC day and site, the default
// fields of IIS 10, times in UTC, values without spaces (IIS writes a
// space as '+' and an empty value as '-').

// IISFields are the default W3C fields of IIS 10, in the order of the
// #Fields line.
var IISFields = []string{"date", "time", "s-ip", "cs-method", "cs-uri-stem", "cs-uri-query", "s-port", "cs-username", "c-ip",
	"cs(User-Agent)", "cs(Referer)", "sc-status", "sc-substatus", "sc-win32-status", "time-taken"}

// DefaultIISLogDir is where IIS logs unless applicationHost.config says
// otherwise (%SystemDrive%\inetpub\logs\LogFiles).
const DefaultIISLogDir = "inetpub/logs/LogFiles"

// iisRequestBytes is the mean size of a generated benign request's lines
// on both sites (front end and, for most, back end), measured; it turns
// IISTargetBytes into requests per hour.
const iisRequestBytes = 610

const (
	// frontEndIP is the server's address on the front end's lines.
	frontEndIP = "10.0.1.21"
	// backEndIP is the address the front end reaches the back end from
	// and at on the same server (a link-local IPv6 address with its zone,
	// as real back-end lines show).
	backEndIP = "fe80::7d4c:19a2:e6b1:3c05%12"
)

// iisDirs are the IIS log folders of the generated server and when IIS
// moved from the previous one to the current one.
type iisDirs struct {
	current, previous string // root-relative or "D:/..." paths
	moveAt            int64  // Unix milliseconds; 0: no move
}

// iisLogDirs resolves the options into the folders IIS wrote to.
func (g *generator) iisLogDirs() (iisDirs, error) {
	cur, err := g.iisDirRel(g.opt.IISLogDir)
	if err != nil {
		return iisDirs{}, err
	}
	prev, err := g.iisDirRel(g.opt.IISPreviousLogDir)
	if err != nil {
		return iisDirs{}, err
	}
	d := iisDirs{current: cur, previous: prev}
	if !strings.EqualFold(cur, prev) {
		// The administrator moved the logs half-way through the span.
		d.moveAt = g.opt.Start.Add(time.Duration(g.opt.Hours/2) * time.Hour).UnixMilli()
	}
	return d, nil
}

// iisDirRel turns an IIS log folder option into a generated path: empty is
// the default, "C:/x" and "x" are on the system drive, another letter must
// be Exchange's volume (the only other one the generator maps).
func (g *generator) iisDirRel(dir string) (string, error) {
	dir = strings.Trim(strings.ReplaceAll(dir, `\`, "/"), "/")
	if dir == "" {
		return DefaultIISLogDir, nil
	}
	if len(dir) >= 2 && dir[1] == ':' {
		letter := strings.ToUpper(dir[:1])
		rest := strings.TrimLeft(dir[2:], "/")
		if letter == "C" {
			return rest, nil
		}
		if letter != strings.ToUpper(g.opt.ExchangeVolume) {
			return "", fmt.Errorf("testserver: IIS log folder %s is on %s:, which only ExchangeVolume with VolumeDir can map", dir, letter)
		}
		return letter + ":/" + rest, nil
	}
	return dir, nil
}

// iisDirWindows is how applicationHost.config names a generated folder.
func iisDirWindows(rel string) string {
	if vol, rest, ok := strings.Cut(rel, ":/"); ok && len(vol) == 1 {
		return vol + `:\` + strings.ReplaceAll(rest, "/", `\`)
	}
	return `%SystemDrive%\` + strings.ReplaceAll(rel, "/", `\`)
}

// iisLogs writes the IIS logs of both sites.
func (g *generator) iisLogs() error {
	if g.opt.NoIISLogs {
		return nil
	}
	dirs, err := g.iisLogDirs()
	if err != nil {
		return err
	}
	start := g.opt.Start
	end := start.Add(time.Duration(g.opt.Hours) * time.Hour)
	var front, back []iisLine
	var quiet []*request
	place := func(r *request) {
		front = append(front, r.front)
		if r.back != nil {
			back = append(back, *r.back)
		}
	}
	if g.incident != nil {
		for _, r := range g.incident.requests {
			if r.at.Before(start) || !r.at.Before(end) {
				return fmt.Errorf("the attack at %s lies outside the log span", r.at)
			}
			place(r)
		}
	}
	for _, r := range g.lookAlikes() {
		// Benign: left out when the span does not reach them.
		if !r.at.Before(start) && r.at.Before(end) {
			place(r)
			quiet = append(quiet, r)
		}
	}
	sortLines := func(ls []iisLine) {
		sort.SliceStable(ls, func(i, j int) bool { return ls[i].at.Before(ls[j].at) })
	}
	sortLines(front)
	sortLines(back)
	fe := &iisSiteLog{g: g, id: 1, dirs: dirs, planted: front}
	be := &iisSiteLog{g: g, id: 2, dirs: dirs, planted: back}
	traffic := g.newIISTraffic()
	perHour := g.iisRequestsPerHour()
	var feLine, beLine []byte
	var clock [19]byte
	for h := 0; h < g.opt.Hours; h++ {
		hour := start.Add(time.Duration(h) * time.Hour).UnixMilli()
		step := int64(time.Hour/time.Millisecond) / int64(perHour+1)
		for i := 0; i < perHour; i++ {
			ms := hour + int64(i+1)*step
			formatClock(&clock, ms)
			var proxied bool
			feLine, beLine, proxied = traffic.request(feLine[:0], beLine[:0], clock[:])
			if err := fe.benign(ms, feLine); err != nil {
				return err
			}
			if proxied {
				if err := be.benign(ms, beLine); err != nil {
					return err
				}
			}
		}
	}
	for _, s := range []*iisSiteLog{fe, be} {
		if err := s.flushPlanted(end.UnixMilli()); err != nil {
			return err
		}
		if err := s.close(); err != nil {
			return err
		}
	}
	for _, r := range quiet {
		for _, l := range []*iisLine{&r.front, r.back} {
			if l != nil && l.written != "" {
				vol, rel := g.volumeOf(l.written)
				g.man.QuietIIS = append(g.man.QuietIIS, Expect{Path: rel, Volume: vol, Line: l.line, Why: l.why})
			}
		}
	}
	return nil
}

// iisRequestsPerHour is the benign requests each hour: from IISTargetBytes
// when set, else one per benign HttpProxy row (a real front end logs about
// one IIS line per proxied request, and the back end one more).
func (g *generator) iisRequestsPerHour() int {
	if g.opt.IISTargetBytes > 0 {
		return int(max(g.opt.IISTargetBytes/int64(iisRequestBytes*g.opt.Hours), 1))
	}
	return g.opt.RowsPerHour * len(g.opt.Protocols)
}

// iisSiteLog writes one site's files: a file per UTC day, a new one when
// the logs move to another folder, and a second header block where IIS
// restarted.
type iisSiteLog struct {
	g         *generator
	id        int
	dirs      iisDirs
	lf        *logFile
	end       int64 // when the open file ends (next day or the move), ms
	restartAt int64 // when IIS restarts in the open file, ms; 0: none
	planted   []iisLine
	buf       []byte
}

// restartOffset: on every second day of the span IIS restarts at this time
// and writes its header block again.
const restartOffset = 12*time.Hour + 31*time.Minute + 7*time.Second

func (s *iisSiteLog) ensure(ms int64) error {
	if s.lf == nil || ms >= s.end {
		if s.lf != nil {
			if err := s.lf.close(); err != nil {
				return err
			}
		}
		t := time.UnixMilli(ms).UTC()
		day := t.Truncate(24 * time.Hour)
		dir := s.dirs.current
		s.end = day.Add(24 * time.Hour).UnixMilli()
		if s.dirs.moveAt != 0 && ms < s.dirs.moveAt {
			dir = s.dirs.previous
			s.end = min(s.end, s.dirs.moveAt)
		}
		var err error
		s.lf, err = s.g.create(fmt.Sprintf("%s/W3SVC%d/u_ex%s.log", dir, s.id, day.Format("060102")))
		if err != nil {
			return err
		}
		s.lf.iis = true
		s.header(t)
		s.restartAt = 0
		dayIndex := int(day.Sub(s.g.opt.Start.Truncate(24*time.Hour)) / (24 * time.Hour))
		if restart := day.Add(restartOffset).UnixMilli(); dayIndex%2 == 1 && restart > ms && restart < s.end {
			s.restartAt = restart
		}
	}
	if s.restartAt != 0 && ms >= s.restartAt {
		s.header(time.UnixMilli(s.restartAt).UTC())
		s.restartAt = 0
	}
	return nil
}

func (s *iisSiteLog) header(t time.Time) {
	s.lf.line("#Software: Microsoft Internet Information Services 10.0")
	s.lf.line("#Version: 1.0")
	s.lf.line("#Date: " + t.Format("2006-01-02 15:04:05"))
	s.lf.line("#Fields: " + strings.Join(IISFields, " "))
}

// benign writes a benign line at ms, after the planted lines due by then.
func (s *iisSiteLog) benign(ms int64, line []byte) error {
	if err := s.flushPlanted(ms); err != nil {
		return err
	}
	if err := s.ensure(ms); err != nil {
		return err
	}
	s.lf.lineBytes(line)
	return nil
}

// flushPlanted writes the planted lines due by ms and records their
// expected findings.
func (s *iisSiteLog) flushPlanted(ms int64) error {
	for len(s.planted) > 0 && s.planted[0].at.UnixMilli() <= ms {
		l := &s.planted[0]
		if err := s.ensure(l.at.UnixMilli()); err != nil {
			return err
		}
		s.buf = s.appendPlanted(s.buf[:0], l)
		n := s.lf.lineBytes(s.buf)
		for _, e := range l.expect {
			s.g.expectIIS(e.Rule, e.Severity, s.lf.rel, n, e.Why)
		}
		if l.quiet != nil {
			l.quiet.written, l.quiet.line = s.lf.rel, n
		}
		s.planted = s.planted[1:]
	}
	return nil
}

func (s *iisSiteLog) close() error {
	if s.lf == nil {
		return nil
	}
	return s.lf.close()
}

// appendPlanted renders a planted line of this site.
func (s *iisSiteLog) appendPlanted(b []byte, l *iisLine) []byte {
	var clock [19]byte
	formatClock(&clock, l.at.UnixMilli())
	b = append(b, clock[:]...)
	sip, port, cip := frontEndIP, "443", l.clientIP
	if s.id == 2 {
		sip, port, cip = backEndIP, "444", backEndIP
	}
	b = append(b, ' ')
	b = append(b, sip...)
	b = append(b, ' ')
	b = append(b, l.method...)
	b = append(b, ' ')
	b = appendW3C(b, l.stem)
	b = append(b, ' ')
	b = appendW3C(b, l.query)
	b = append(b, ' ')
	b = append(b, port...)
	b = append(b, ' ')
	b = appendW3C(b, l.user)
	b = append(b, ' ')
	b = append(b, cip...)
	b = append(b, ' ')
	b = appendW3C(b, l.ua)
	b = append(b, " - "...)
	b = strconv.AppendInt(b, int64(l.status), 10)
	b = append(b, ' ')
	b = strconv.AppendInt(b, int64(l.sub), 10)
	b = append(b, ' ')
	b = strconv.AppendInt(b, int64(l.win32), 10)
	b = append(b, ' ')
	b = strconv.AppendInt(b, int64(l.taken), 10)
	return b
}

// appendW3C writes a value as IIS does: '-' when empty, spaces as '+'.
func appendW3C(b []byte, v string) []byte {
	if v == "" {
		return append(b, '-')
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; c == ' ' {
			b = append(b, '+')
		} else {
			b = append(b, c)
		}
	}
	return b
}

// formatClock writes "2006-01-02 15:04:05" for a time in Unix
// milliseconds, without allocating.
func formatClock(out *[19]byte, ms int64) {
	sec := ms / 1000
	days := sec / 86400
	rem := sec - days*86400
	y, m, d := civil(days)
	put := func(i, v, w int) {
		for k := w - 1; k >= 0; k-- {
			out[i+k] = byte('0' + v%10)
			v /= 10
		}
	}
	put(0, y, 4)
	out[4] = '-'
	put(5, m, 2)
	out[7] = '-'
	put(8, d, 2)
	out[10] = ' '
	put(11, int(rem/3600), 2)
	out[13] = ':'
	put(14, int(rem/60%60), 2)
	out[16] = ':'
	put(17, int(rem%60), 2)
}

// civil converts days since 1970-01-01 to a proleptic Gregorian date
// (Howard Hinnant's days_from_civil inverse).
func civil(z int64) (year, month, day int) {
	z += 719468
	era := z / 146097
	if z < 0 && z%146097 != 0 {
		era--
	}
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y := yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d := doy - (153*mp+2)/5 + 1
	m := mp + 3
	if m > 12 {
		m -= 12
	}
	if m <= 2 {
		y++
	}
	return int(y), int(m), int(d)
}

func (g *generator) expectIIS(rule string, sev finding.Severity, p string, line int, why string) {
	vol, rel := g.volumeOf(p)
	g.man.ExpectedIIS = append(g.man.ExpectedIIS, Expect{Rule: rule, Severity: sev, Path: rel, Volume: vol, Line: line, Why: why})
}

// lookAlikes are benign requests on the attack day that resemble the
// attack's and must not be reported: an administrator's ECP work (a POST
// to /ecp/ with a browser, and a virtual directory reset through ECP by a
// person, not the machine account), Exchange's own page whose name the
// shell imitates, Google's real crawler, a monitoring script with a
// python-requests user agent on the load balancer's health page.
func (g *generator) lookAlikes() []*request {
	day := attackDay
	at := func(h, m, s int) time.Time {
		return day.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute + time.Duration(s)*time.Second)
	}
	admin := g.netbios() + `\administrator`
	const adminIP, monitorIP, googleIP = "10.10.0.15", "10.0.0.5", "66.249.66.1" // 66.249.64.0/19 is Google's crawler range
	var out []*request
	add := func(why string, front iisLine, back *iisLine) {
		r := &request{at: front.at, front: front, back: back}
		r.front.why, r.front.quiet = why, &r.front
		if back != nil {
			r.back.why, r.back.quiet = why+" (back end)", r.back
		}
		out = append(out, r)
	}
	canary := "msExchEcpCanary=Zq3f0dBmE0y9XvJtS3kQxw8eVbN1TtgIaPo5rH2cL7uWnA4." // shape of ECP's canary
	getList := "schema=VirtualDirectory&" + canary
	add("administrator's POST to /ecp/ with a browser", iisLine{at: at(6, 52, 10), method: "POST", stem: "/ecp/DDI/DDIService.svc/GetList",
		query: g.cafeQuery(getList, "4d0a3c1e-6b2f-4e8a-9f1d-2c7b5a8e3f60", false), user: admin, clientIP: adminIP, ua: uaEdge, status: 200, taken: 143},
		&iisLine{at: at(6, 52, 10), method: "POST", stem: "/ecp/DDI/DDIService.svc/GetList", query: getList, user: admin, ua: uaEdge, status: 200, taken: 120})
	// ECP's "reset virtual directory" run by a person: the back end sees
	// the administrator, not the machine account (the schema name follows
	// ResetOABVirtualDirectory's).
	reset := canary + "&schema=ResetOWAVirtualDirectory"
	add("administrator resets the OWA virtual directory through ECP", iisLine{at: at(11, 4, 21), method: "POST", stem: "/ecp/DDI/DDIService.svc/SetObject",
		query: g.cafeQuery(reset, "9b61e2d4-0c3a-47f5-8e19-d5a4f7c2b830", false), user: admin, clientIP: adminIP, ua: uaEdge, status: 200, taken: 5120},
		&iisLine{at: at(11, 4, 21), method: "POST", stem: "/ecp/DDI/DDIService.svc/SetObject", query: reset, user: admin, ua: uaEdge, status: 200, taken: 5087})
	add("Exchange's own RedirSuiteServiceProxy.aspx, the name the shell imitates", iisLine{at: at(7, 21, 3), method: "GET", stem: "/owa/auth/RedirSuiteServiceProxy.aspx",
		query: g.cafeQuery("", "0f2e8d41-7a3b-4c95-b6e0-18d2c4f9a7b3", true), clientIP: "10.12.4.33", ua: uaEdge, status: 200, taken: 31}, nil)
	add("Exchange's own ECP sign-out page", iisLine{at: at(7, 45, 50), method: "GET", stem: "/ecp/auth/TimeoutLogout.aspx",
		query: g.cafeQuery("", "5c7a9e02-3d1f-4b68-a2c4-e9f0b1d3c586", false), clientIP: "10.12.4.33", ua: uaEdge, status: 200, taken: 9}, nil)
	add("Google's crawler on the web root", iisLine{at: at(10, 20, 0), method: "GET", stem: "/", clientIP: googleIP, ua: uaGooglebot, status: 200, taken: 2}, nil)
	add("Google's crawler on the OWA logon page", iisLine{at: at(10, 20, 2), method: "GET", stem: "/owa/auth/logon.aspx",
		query: g.cafeQuery("url=https%3a%2f%2fmail.contoso.com%2fowa%2f&reason=0", "e3b9c1d7-82f4-4a06-9d5e-7c1a0f4b2e98", true), clientIP: googleIP, ua: uaGooglebot, status: 200, taken: 46}, nil)
	add("monitoring script with python-requests on OWA's health page", iisLine{at: at(9, 0, 0), method: "GET", stem: "/owa/healthcheck.htm",
		query: g.cafeQuery("", "2a4c6e80-1b3d-4f57-9a8c-0e2d4f6a8b1c", false), clientIP: monitorIP, ua: uaPython2251, status: 200, taken: 4}, nil)
	return out
}

// iisTraffic makes benign requests: each writes the front end's line and,
// when the front end passed the request on, the back end's. It appends
// into the caller's buffers and allocates nothing per line.
type iisTraffic struct {
	r         *rand.Rand
	protocols []string
	user      []byte // "CONTOSO\user"
	health    []byte // "CONTOSO\HealthMailbox"
	admin     []byte
	machine   []byte
	build     string // "15.1.2176", OWA's resource folder
	fqdn      string
}

func (g *generator) newIISTraffic() *iisTraffic {
	nb := g.netbios()
	return &iisTraffic{
		// A stream of its own, so that the IIS logs do not depend on how
		// much randomness the other logs used.
		r:         rand.New(rand.NewSource(g.opt.Seed ^ 0x1157)),
		protocols: g.opt.Protocols,
		user:      []byte(nb + `\user`),
		health:    []byte(nb + `\HealthMailbox`),
		admin:     []byte(nb + `\administrator`),
		machine:   []byte(g.machineAccount()),
		build:     g.cuBuild()[:strings.LastIndexByte(g.cuBuild(), '.')],
		fqdn:      strings.ToLower(serverFQDN),
	}
}

// Benign user agents as IIS writes them.
var (
	iisUAOutlook = []byte("Microsoft+Office/16.0+(Windows+NT+10.0;+Microsoft+Outlook+16.0.13801;+Pro)")
	iisUABrowser = [][]byte{
		[]byte("Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64)+AppleWebKit/537.36+(KHTML,+like+Gecko)+Chrome/88.0.4324.190+Safari/537.36"),
		[]byte("Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64;+rv:86.0)+Gecko/20100101+Firefox/86.0"),
		[]byte("Mozilla/5.0+(Macintosh;+Intel+Mac+OS+X+11_2_2)+AppleWebKit/605.1.15+(KHTML,+like+Gecko)+Version/14.0.3+Safari/605.1.15"),
	}
	iisUAMobile = [][]byte{[]byte("Apple-iPhone12C1/1805.212"), []byte("Outlook-iOS-Android/1.0"), []byte("Android-Mail/2021.02.14.357848117.Release")}
	iisUAEWS    = [][]byte{
		iisUAOutlook,
		[]byte("MacOutlook/16.46.21021202+(Intelx64+Mac+OS+X+11.2.1+(Build+20D74))"),
		// The EWS Managed API's own agent with a real version: not the
		// published ExchangeServicesClient/0.0.0.0.
		[]byte("ExchangeServicesClient/15.00.0913.015"),
	}
	iisUAProbe = []byte("AMProbe/Local/ClientAccess")
	easCmds    = []string{"Sync", "Ping", "FolderSync", "SendMail", "ItemOperations", "GetItemEstimate"}
)

// Kinds of client query string of the benign requests.
const (
	qNone = iota
	qOwa
	qLogon
	qEas
	qMapi
	qEcp
	qPS
	qRPC
)

// request appends one benign request's lines (fe always, be when proxied).
// clock is "2006-01-02 15:04:05".
func (t *iisTraffic) request(fe, be, clock []byte) (feOut, beOut []byte, proxied bool) {
	r := t.r
	proto := t.protocols[r.Intn(len(t.protocols))]
	userN := r.Intn(400)
	cip0, cip1, cip2 := 10+r.Intn(20), r.Intn(250), 1+r.Intn(250)
	probe := r.Intn(25) == 0
	status, sub, win32 := 200, 0, 0
	taken := 2 + r.Intn(300)
	proxied = true

	// The parts that differ between protocols.
	var method, stem, beStem string
	var ua []byte
	user := 1    // 0 none, 1 user, 2 admin, 3 machine account, 4 health mailbox
	beUser := -1 // the back end's, when it differs
	port := " 443 "
	local := false // the client is the server itself
	encoding := false
	qkind := qNone
	switch proto {
	case "Autodiscover":
		method, stem, ua = "POST", "/Autodiscover/Autodiscover.xml", iisUAOutlook
		if r.Intn(3) == 0 {
			// NTLM's first leg: anonymous, refused, not proxied.
			status, sub, win32, user, proxied = 401, 2, 5, 0, false
		}
	case "Eas":
		method, stem, beStem, ua, qkind = "POST", "/Microsoft-Server-ActiveSync/default.eas", "/Microsoft-Server-ActiveSync/Proxy/default.eas", iisUAMobile[r.Intn(len(iisUAMobile))], qEas
	case "Ecp":
		ua, qkind = iisUABrowser[r.Intn(len(iisUABrowser))], qEcp
		switch r.Intn(4) {
		case 0:
			method, stem, qkind = "GET", "/ecp/PersonalSettings/HomePage.aspx", qOwa
		case 1:
			method, stem = "POST", "/ecp/RulesEditor/InboxRules.svc/GetList"
		case 2:
			method, stem = "POST", "/ecp/DDI/DDIService.svc/GetObject"
		default:
			method, stem, qkind, user, proxied = "GET", "/ecp/auth/TimeoutLogout.aspx", qNone, 0, false
		}
	case "Ews":
		method, stem, ua = "POST", "/EWS/Exchange.asmx", iisUAEWS[r.Intn(len(iisUAEWS))]
	case "Mapi":
		method, stem, ua, qkind = "POST", "/mapi/emsmdb/", iisUAOutlook, qMapi
	case "Oab":
		method, stem, ua = "GET", "/OAB/8c1d5e2f-4a7b-4e39-b0c6-2f9d7a1e5b43/oab.xml", iisUAOutlook
	case "Owa", "OwaCalendar":
		ua = iisUABrowser[r.Intn(len(iisUABrowser))]
		method, stem, qkind = "POST", "/owa/service.svc", qOwa
		if proto == "OwaCalendar" {
			// Published calendars are anonymous: the back end sees the
			// front end's machine account.
			method, stem, qkind, user, beUser = "GET", "/owa/calendar/", qNone, 0, 3
			break
		}
		// The logon pages and their resources: Exchange's own files in
		// owa\auth, answered by the front end itself.
		switch r.Intn(8) {
		case 0:
			method, stem, qkind, user, proxied, encoding = "GET", "/owa/auth/logon.aspx", qLogon, 0, false, true
		case 1:
			method, stem, user, proxied, status = "POST", "/owa/auth.owa", 0, false, 302
		case 2:
			method, stem, qkind, user, proxied = "GET", "/owa/auth/"+t.build+"/themes/resources/logon.css", qNone, 0, false
		case 3:
			method, stem, qkind, user, proxied, encoding = "GET", "/owa/auth/RedirSuiteServiceProxy.aspx", qNone, 0, false, true
		case 4:
			method, stem, qkind, user, proxied, status = "GET", "/owa/", qNone, 0, false, 302
		}
	case "PowerShell":
		method, stem, beStem, ua, qkind, user = "POST", "/powershell", "/PowerShell", []byte("Microsoft+WinRM+Client"), qPS, 2
		if r.Intn(2) == 0 {
			// The Exchange Management Shell on the server itself, which
			// connects over plain HTTP.
			port, local = " 80 ", true
		} else {
			cip0, cip1, cip2 = 10, 0, 15 // the administrator's workstation
		}
	default:
		method, stem, beStem, ua, qkind = "RPC_IN_DATA", "/rpc/rpcproxy.dll", "/rpcwithcert/rpcproxy.dll", iisUAOutlook, qRPC
		if r.Intn(2) == 0 {
			method = "RPC_OUT_DATA"
		}
	}
	if probe {
		// Managed Availability probes the front end from the server itself.
		ua, user = iisUAProbe, 4
	}
	if beStem == "" {
		beStem = stem
	}
	if beUser < 0 {
		beUser = user
	}
	var guid [36]byte
	t.guid(&guid)

	// Front end.
	fe = append(fe, clock...)
	fe = append(fe, ' ')
	fe = append(fe, frontEndIP...)
	fe = append(fe, ' ')
	fe = append(fe, method...)
	fe = append(fe, ' ')
	fe = t.appendStem(fe, stem, &guid)
	fe = append(fe, ' ')
	queryStart := len(fe)
	fe = t.appendQuery(fe, qkind, userN)
	// The client's part, copied to the back end (later appends to fe
	// leave these bytes as they are).
	query := fe[queryStart:]
	fe = append(fe, "&CorrelationID=<empty>;&cafeReqId="...)
	fe = append(fe, guid[:]...)
	fe = append(fe, ';')
	if encoding {
		fe = append(fe, "&encoding=;"...)
	}
	fe = append(fe, port...)
	fe = t.appendUser(fe, user, userN)
	fe = append(fe, ' ')
	switch {
	case local:
		fe = append(fe, frontEndIP...)
	case probe:
		if r.Intn(2) == 0 {
			fe = append(fe, "127.0.0.1"...)
		} else {
			fe = append(fe, "::1"...)
		}
	default:
		fe = appendIP(fe, cip0, cip1, cip2)
	}
	fe = append(fe, ' ')
	fe = append(fe, ua...)
	if qkind == qOwa && stem == "/owa/service.svc" {
		fe = append(fe, " https://mail.contoso.com/owa/ "...)
	} else {
		fe = append(fe, " - "...)
	}
	fe = appendStatus(fe, status, sub, win32, taken)
	if !proxied {
		return fe, be, false
	}

	// Back end: the same request as the front end passed it on, from the
	// server to itself, with the user the front end vouched for and the
	// diagnostics Exchange adds to the query.
	be = append(be, clock...)
	be = append(be, ' ')
	be = append(be, backEndIP...)
	be = append(be, ' ')
	be = append(be, method...)
	be = append(be, ' ')
	be = t.appendStem(be, beStem, &guid)
	be = append(be, ' ')
	be = append(be, query...)
	be = append(be, "&CorrelationID=<empty>;&cafeReqId="...)
	be = append(be, guid[:]...)
	be = append(be, ';')
	if qkind == qEas {
		be = t.appendEASLog(be, userN)
	}
	be = append(be, " 444 "...)
	be = t.appendUser(be, beUser, userN)
	be = append(be, ' ')
	be = append(be, backEndIP...)
	be = append(be, ' ')
	be = append(be, ua...)
	be = append(be, " - "...)
	be = appendStatus(be, status, sub, win32, max(1, taken-2-r.Intn(2)))
	return fe, be, true
}

func (t *iisTraffic) appendStem(b []byte, stem string, guid *[36]byte) []byte {
	if stem == "/owa/calendar/" {
		b = append(b, stem...)
		b = append(b, guid[:8]...)
		b = append(b, "@contoso.com/"...)
		b = append(b, guid[24:]...)
		return append(b, "/calendar.html"...)
	}
	return append(b, stem...)
}

// appendQuery writes the client's query string, nothing for none (the
// front end's additions follow it).
func (t *iisTraffic) appendQuery(b []byte, kind, userN int) []byte {
	r := t.r
	switch kind {
	case qOwa:
		b = append(b, "action=GetItem&app=Mail&n="...)
		return strconv.AppendInt(b, int64(r.Intn(100)), 10)
	case qLogon:
		return append(b, "url=https%3a%2f%2fmail.contoso.com%2fowa%2f&reason=0"...)
	case qEas:
		// Cmd= is ActiveSync's own parameter (MS-ASHTTP), not a command.
		b = append(b, "Cmd="...)
		b = append(b, easCmds[r.Intn(len(easCmds))]...)
		b = append(b, "&User=user"...)
		b = append3(b, userN)
		b = append(b, "&DeviceId="...)
		b = appendHex(b, r.Uint64(), 16, true)
		b = appendHex(b, r.Uint64(), 16, true)
		return append(b, "&DeviceType=iPhone"...)
	case qMapi:
		b = append(b, "MailboxId="...)
		b = appendHex(b, r.Uint64(), 16, false)
		return append(b, "@contoso.com"...)
	case qEcp:
		b = append(b, "msExchEcpCanary="...)
		b = appendHex(b, r.Uint64(), 16, false)
		b = appendHex(b, r.Uint64(), 16, false)
		return append(b, '.')
	case qPS:
		return append(b, "serializationLevel=Full;ExchClientVer=15.1.2176.2;clientApplication=ManagementShell;TargetServer=;PSVersion=5.1.14393.4350"...)
	case qRPC:
		b = append(b, t.fqdn...)
		return append(b, ":6001"...)
	}
	return b
}

// appendEASLog writes the statistics ActiveSync appends on the back end
// (the Log= parameter: proxy source, protocol version, folder type and
// sync counts, in its underscore-separated form).
func (t *iisTraffic) appendEASLog(b []byte, userN int) []byte {
	r := t.r
	b = append(b, "&Log=PrxFrom:fe80%3a%3a7d4c%3a19a2%3ae6b1%3a3c05%2512_V161_HH:mail.contoso.com_SmtpAdrs:user"...)
	b = append3(b, userN)
	b = append(b, "%40contoso.com_Fc1_Ty:Em_Filt3_St:S_Sk:"...)
	b = strconv.AppendInt(b, int64(r.Intn(2000000000)), 10)
	b = append(b, "_Cli:0A0C0D0F_Svr:"...)
	b = strconv.AppendInt(b, int64(r.Intn(5)), 10)
	b = append(b, "A0C0D0F_As:AllowedG_Mbx:"...)
	b = append(b, t.fqdn...)
	b = append(b, "_Throttle0_SN1_AdR1_RqT:"...)
	b = strconv.AppendInt(b, int64(r.Intn(900)), 10)
	return append(b, "ms_"...)
}

func (t *iisTraffic) appendUser(b []byte, kind, userN int) []byte {
	switch kind {
	case 1:
		b = append(b, t.user...)
		return append3(b, userN)
	case 2:
		return append(b, t.admin...)
	case 3:
		return append(b, t.machine...)
	case 4:
		b = append(b, t.health...)
		return appendHex(b, uint64(userN)*0x9e3779b97f4a7c15, 12, false)
	}
	return append(b, '-')
}

func (t *iisTraffic) guid(out *[36]byte) {
	const hex = "0123456789abcdef"
	a, b := t.r.Uint64(), t.r.Uint64()
	j := 0
	for i := 0; i < 36; i++ {
		if i == 8 || i == 13 || i == 18 || i == 23 {
			out[i] = '-'
			continue
		}
		v := a
		if j >= 16 {
			v = b
		}
		out[i] = hex[(v>>(4*(j%16)))&0xf]
		j++
	}
}

func appendIP(b []byte, x, y, z int) []byte {
	b = append(b, "10."...)
	b = strconv.AppendInt(b, int64(x), 10)
	b = append(b, '.')
	b = strconv.AppendInt(b, int64(y), 10)
	b = append(b, '.')
	return strconv.AppendInt(b, int64(z), 10)
}

func appendStatus(b []byte, status, sub, win32, taken int) []byte {
	b = strconv.AppendInt(b, int64(status), 10)
	b = append(b, ' ')
	b = strconv.AppendInt(b, int64(sub), 10)
	b = append(b, ' ')
	b = strconv.AppendInt(b, int64(win32), 10)
	b = append(b, ' ')
	return strconv.AppendInt(b, int64(taken), 10)
}

// append3 writes n as three digits.
func append3(b []byte, n int) []byte {
	return append(b, byte('0'+n/100%10), byte('0'+n/10%10), byte('0'+n%10))
}

// appendHex writes the low digits hex digits of v.
func appendHex(b []byte, v uint64, digits int, upper bool) []byte {
	hex := "0123456789abcdef"
	if upper {
		hex = "0123456789ABCDEF"
	}
	for i := digits - 1; i >= 0; i-- {
		b = append(b, hex[(v>>(4*i))&0xf])
	}
	return b
}

// iisSitesConfig is the sites part of applicationHost.config for a log
// folder: IIS's default in siteDefaults, and on each site the folder it
// was moved to, as IIS Manager writes it.
func (g *generator) iisSitesConfig(logDir string) string {
	install := strings.TrimSuffix(g.windowsInstallPath(), `\`)
	siteLog := ""
	if logDir != DefaultIISLogDir {
		siteLog = `
                <logFile directory="` + iisDirWindows(logDir) + `" />`
	}
	return `        <sites>
            <site name="Default Web Site" id="1">
                <application path="/" applicationPool="DefaultAppPool">
                    <virtualDirectory path="/" physicalPath="%SystemDrive%\inetpub\wwwroot" />
                </application>
                <application path="/owa" applicationPool="MSExchangeOWAAppPool">
                    <virtualDirectory path="/" physicalPath="` + install + `\FrontEnd\HttpProxy\owa" />
                </application>
                <application path="/ecp" applicationPool="MSExchangeECPAppPool">
                    <virtualDirectory path="/" physicalPath="` + install + `\FrontEnd\HttpProxy\ecp" />
                </application>
                <bindings>
                    <binding protocol="http" bindingInformation="*:80:" />
                    <binding protocol="https" bindingInformation=":443:" />
                    <binding protocol="http" bindingInformation="127.0.0.1:80:" />
                    <binding protocol="https" bindingInformation="127.0.0.1:443:" />
                </bindings>` + siteLog + `
            </site>
            <site name="Exchange Back End" id="2" serverAutoStart="true">
                <application path="/" applicationPool="MSExchangeServicesAppPool">
                    <virtualDirectory path="/" physicalPath="` + install + `\ClientAccess" />
                </application>
                <bindings>
                    <binding protocol="http" bindingInformation="*:81:" />
                    <binding protocol="https" bindingInformation="*:444:" />
                </bindings>` + siteLog + `
            </site>
            <siteDefaults>
                <logFile logFormat="W3C" directory="%SystemDrive%\inetpub\logs\LogFiles" />
                <traceFailedRequestsLogging directory="%SystemDrive%\inetpub\logs\FailedReqLogFiles" />
            </siteDefaults>
        </sites>
`
}

// itoa is strconv.Itoa, short.
func itoa(n int) string { return strconv.Itoa(n) }

// iisHistoryDir is where IIS keeps its configuration history; the
// generator writes one earlier configuration when the logs moved.
const iisHistoryDir = "inetpub/history/CFGHISTORY_0000000001"
