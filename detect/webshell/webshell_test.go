package webshell_test

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/exhunt/exhunt/detect"
	"github.com/exhunt/exhunt/detect/detecttest"
	"github.com/exhunt/exhunt/detect/webshell"
	"github.com/exhunt/exhunt/indicators"
	"github.com/exhunt/exhunt/scan"
)

const (
	fe      = "Program Files/Microsoft/Exchange Server/V15/FrontEnd/HttpProxy/"
	owaAuth = fe + "owa/auth/"
	ecpAuth = fe + "ecp/auth/"
	aspnet  = "inetpub/wwwroot/aspnet_client/"
)

func TestWebshellLocations(t *testing.T) {
	// Exchange's own files next to each case, so that a false alarm on them
	// shows up in every case.
	own := []detecttest.File{
		{Path: owaAuth + "logon.aspx"}, {Path: owaAuth + "errorFE.aspx"}, {Path: owaAuth + "RedirSuiteServiceProxy.aspx"},
		{Path: owaAuth + "OutlookCN.aspx"}, {Path: owaAuth + "GetIdToken.htm"}, {Path: owaAuth + "SvmFeedback.aspx"},
		{Path: owaAuth + "15.1.2176/themes/resources/logon.css"}, {Path: owaAuth + "15.1.2176/scripts/premium/flogon.js"},
		{Path: ecpAuth + "TimeoutLogout.aspx"}, {Path: fe + "owa/global.asax"}, {Path: fe + "ecp/web.config"},
		{Path: "inetpub/wwwroot/iisstart.htm"}, {Path: aspnet + "system_web/4_0_30319/readme.txt"},
		{Path: "Program Files/Microsoft/Exchange Server/V15/ClientAccess/ecp/default.aspx"},
		{Path: "Program Files/Microsoft/Exchange Server/V15/Logging/HttpProxy/Ecp/x.LOG", Content: "#Fields: DateTime\n"},
	}
	tests := []struct {
		name string
		file detecttest.File
		want []string
	}{
		{"look-alike of RedirSuiteServiceProxy", detecttest.File{Path: owaAuth + "RedirSuiteServerProxy.aspx"}, []string{
			"webshell-auth-folder-script high " + owaAuth + "RedirSuiteServerProxy.aspx",
			"webshell-known-name critical " + owaAuth + "RedirSuiteServerProxy.aspx"}},
		{"look-alike of errorFE in ecp auth", detecttest.File{Path: ecpAuth + "errorFS.aspx"}, []string{
			"webshell-auth-folder-script high " + ecpAuth + "errorFS.aspx",
			"webshell-known-name critical " + ecpAuth + "errorFS.aspx"}},
		{"unknown name in owa auth, other case", detecttest.File{Path: owaAuth + "Logon2.ASPX"}, []string{
			"webshell-auth-folder-script high " + owaAuth + "Logon2.ASPX"}},
		{"script in the build folder", detecttest.File{Path: owaAuth + "15.1.2176/scripts/premium/fexppw.aspx"}, []string{
			"webshell-auth-folder-script high " + owaAuth + "15.1.2176/scripts/premium/fexppw.aspx"}},
		{"script below Current", detecttest.File{Path: owaAuth + "Current/one1.aspx"}, []string{
			"ioc-known-path critical " + owaAuth + "Current/one1.aspx",
			"webshell-auth-folder-script high " + owaAuth + "Current/one1.aspx"}},
		{"non-script unknown file in owa auth", detecttest.File{Path: owaAuth + "notes.txt"}, []string{
			"webshell-auth-folder-unknown-file medium " + owaAuth + "notes.txt"}},
		{"ashx deep in aspnet_client", detecttest.File{Path: aspnet + "system_web/4_0_30319/a/b.ashx"}, []string{
			"webshell-aspnet-client-script high " + aspnet + "system_web/4_0_30319/a/b.ashx"}},
		{"published name and path in aspnet_client", detecttest.File{Path: aspnet + "supp0rt.aspx"}, []string{
			"ioc-known-path critical " + aspnet + "supp0rt.aspx",
			"webshell-aspnet-client-script high " + aspnet + "supp0rt.aspx",
			"webshell-known-name critical " + aspnet + "supp0rt.aspx"}},
		{"published name elsewhere in the front end", detecttest.File{Path: fe + "ews/shell.aspx"}, []string{
			"webshell-known-name high " + fe + "ews/shell.aspx"}},
		// Benign.
		{"non-script in aspnet_client", detecttest.File{Path: aspnet + "system_web/readme.txt"}, nil},
		{"published name as non-script", detecttest.File{Path: fe + "owa/shell.aspx.txt"}, nil},
		{"script in the back end", detecttest.File{Path: "Program Files/Microsoft/Exchange Server/V15/ClientAccess/owa/auth/error2.aspx"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			files := append(append([]detecttest.File(nil), own...), tc.file)
			got := detecttest.Scan(t, files, "webshell-", "ioc-")
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("got:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(tc.want, "\n  "))
			}
		})
	}
}

// TestKnownBadHash uses files whose hashes are added to the indicator set:
// no sample of the published malware can be shipped with the project.
func TestKnownBadHash(t *testing.T) {
	shell := `<%@ Page Language="Jscript"%><%eval(Request.Item["x"],"unsafe");%>`
	sum := sha256.Sum256([]byte(shell))
	set := &indicators.Set{}
	mustAdd(t, set, indicators.Indicator{Kind: indicators.KindSHA256, Value: hex.EncodeToString(sum[:]), Label: "test shell", Source: "this test"})
	// The user's list names two other files by MD5 and SHA-1.
	byMD5, bySHA1 := "dropped tool one", "dropped tool two"
	m := md5.Sum([]byte(byMD5))
	s1 := sha1.Sum([]byte(bySHA1))
	user := &indicators.Set{}
	user.Merge(set)
	mustAdd(t, user, indicators.Indicator{Kind: indicators.KindMD5, Value: hex.EncodeToString(m[:]), Label: "tool one", Source: "my.txt"})
	mustAdd(t, user, indicators.Indicator{Kind: indicators.KindSHA1, Value: strings.ToUpper(hex.EncodeToString(s1[:])), Label: "tool two", Source: "my.txt"})
	files := []detecttest.File{
		{Path: "inetpub/wwwroot/aspnet_client/a.aspx", Content: shell},
		{Path: "inetpub/wwwroot/js/a.js", Content: shell},            // web folder, renamed to look static
		{Path: "ProgramData/tools/t.exe", Content: shell},            // drop place
		{Path: "ProgramData/tools/ok.exe", Content: "ordinary file"}, // different hash
		{Path: "ProgramData/tools/one.exe", Content: byMD5},
		{Path: "Windows/Temp/two.ps1", Content: bySHA1},
		{Path: "Windows/System32/drivers/deep.sys", Content: shell}, // not a place that is checked
		{Path: "Program Files/Microsoft/Exchange Server/V15/Logging/x.LOG", Content: ""},
	}
	got := detecttest.ScanWith(t, scan.Config{FileDetectors: []detect.FileDetector{webshell.Known{Indicators: user}}}, files, "ioc-known-bad-hash")
	want := []string{
		"ioc-known-bad-hash critical ProgramData/tools/one.exe",
		"ioc-known-bad-hash critical ProgramData/tools/t.exe",
		"ioc-known-bad-hash critical Windows/Temp/two.ps1",
		"ioc-known-bad-hash critical inetpub/wwwroot/aspnet_client/a.aspx",
		"ioc-known-bad-hash critical inetpub/wwwroot/js/a.js",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got %q\nwant %q", got, want)
	}
	// Without the user's list the two tools are not known.
	got = detecttest.ScanWith(t, scan.Config{FileDetectors: []detect.FileDetector{webshell.Known{Indicators: set}}}, files, "ioc-known-bad-hash")
	if len(got) != 3 {
		t.Errorf("built-in only: %q", got)
	}
}

func mustAdd(t *testing.T, s *indicators.Set, ind indicators.Indicator) {
	t.Helper()
	if err := s.Add(ind); err != nil {
		t.Fatal(err)
	}
}

func TestShellRequests(t *testing.T) {
	fields := "DateTime,RequestId,UrlStem,Method,HttpStatus,ClientIpAddress,UserAgent"
	logFile := func(folder string, rows ...string) detecttest.File {
		return detecttest.File{
			Path:    "Program Files/Microsoft/Exchange Server/V15/Logging/HttpProxy/" + folder + "/HttpProxy_2021030507-1.LOG",
			Content: "#Fields: " + fields + "\r\n" + strings.Join(rows, "\r\n") + "\r\n",
		}
	}
	row := func(stem, method, status string) string {
		return "2021-03-05T07:00:00.000Z,r1," + stem + "," + method + "," + status + ",139.162.202.236,Mozilla/5.0"
	}
	tests := []struct {
		name, folder, stem, method, status, want string
	}{
		{"look-alike answered", "Owa", "/owa/auth/RedirSuiteServerProxy.aspx", "GET", "200", "webshell-request-success critical"},
		{"POST to a shell below Current", "Owa", "/owa/auth/Current/themes/resources/logon.aspx", "POST", "200", "webshell-request-success critical"},
		{"shell in ecp auth", "Ecp", "/ecp/auth/errorFS.aspx", "GET", "200", "webshell-request-success critical"},
		{"upper-case path", "Owa", "/OWA/AUTH/ONE1.ASPX", "GET", "200", "webshell-request-success critical"},
		{"encoded extension", "Owa", "/owa/auth/x%2Easpx", "GET", "200", "webshell-request-success critical"},
		{"shell failing with a server error", "Owa", "/owa/auth/shell.aspx", "POST", "500", "webshell-request-success high"},
		{"probe answered by a redirect", "Owa", "/owa/auth/OutlookEN.aspx", "GET", "302", "webshell-request-probe low"},
		{"probe of a legit ecp name under owa", "Owa", "/owa/auth/TimeoutLogout.aspx", "GET", "302", "webshell-request-probe low"},
		{"probe, not found", "Owa", "/owa/auth/Currentthemes/resources/win.ashx", "GET", "404", "webshell-request-probe low"},
		// Benign.
		{"Exchange's logon page", "Owa", "/owa/auth/logon.aspx", "GET", "200", ""},
		{"Exchange's look-alike original", "Owa", "/owa/auth/RedirSuiteServiceProxy.aspx", "GET", "200", ""},
		{"ecp timeout page", "Ecp", "/ecp/auth/TimeoutLogout.aspx", "GET", "200", ""},
		{"static resource", "Owa", "/owa/auth/15.1.2176/themes/resources/logon.css", "GET", "200", ""},
		{"OWA service", "Owa", "/owa/service.svc", "POST", "200", ""},
		{"ECP page outside auth", "Ecp", "/ecp/default.aspx", "GET", "200", ""},
		{"other protocol folder is not searched", "Ews", "/owa/auth/shell.aspx", "GET", "200", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := logFile(tc.folder, row(tc.stem, tc.method, tc.status))
			got := detecttest.Scan(t, []detecttest.File{f}, "webshell-request")
			want := ""
			if tc.want != "" {
				want = tc.want + " " + f.Path
			}
			if strings.Join(got, ",") != want {
				t.Errorf("got %v, want %q", got, want)
			}
		})
	}
}
