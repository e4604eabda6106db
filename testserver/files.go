package testserver

import (
	"fmt"
	"sort"

	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/exhunt/exhunt/builds"
	"github.com/exhunt/exhunt/source/peversion/peversiontest"

	"github.com/exhunt/exhunt/finding"
	"github.com/exhunt/exhunt/source/minidump/minidumptest"
)

// installTime is when the server's own files were written.
var installTime = time.Date(2020, 12, 15, 11, 0, 0, 0, time.UTC)

// oabDump is what CVE-2021-27065 leaves on disk: Exchange's export of the
// OAB virtual directory's settings, with the script from ExternalUrl, saved
// under an .aspx name.
func oabDump() []byte {
	return []byte("Name                            : OAB (Default Web Site)\r\n" +
		"PollInterval                    : 480\r\n" +
		"OfflineAddressBooks             :\r\n" +
		"RequireSSL                      : True\r\n" +
		"BasicAuthentication             : False\r\n" +
		"WindowsAuthentication           : True\r\n" +
		"OAuthAuthentication             : True\r\n" +
		"InternalAuthenticationMethods   : {WindowsIntegrated, OAuth}\r\n" +
		"ExternalAuthenticationMethods   : {WindowsIntegrated, OAuth}\r\n" +
		"ExtendedProtectionTokenChecking : None\r\n" +
		"InternalUrl                     : https://ex01.contoso.local/OAB\r\n" +
		"ExternalUrl                     : http://f/" + reveal(chopperPayload) + "\r\n" +
		"AdminDisplayVersion             : Version 15.1 (Build 2176.2)\r\n")
}

// webFolders writes the front end's auth folders, the web root, and the
// planted shells next to Exchange's own files.
func (g *generator) webFolders() error {
	owaAuth := g.exchange("FrontEnd/HttpProxy/owa/auth")
	ecpAuth := g.exchange("FrontEnd/HttpProxy/ecp/auth")
	page := []byte("<%@ Page Language=\"C#\" AutoEventWireup=\"true\" Inherits=\"Microsoft.Exchange.HttpProxy.Logon\" %>\r\n<html><body></body></html>\r\n")
	own := map[string][]byte{
		owaAuth + "/logon.aspx": page, owaAuth + "/errorFE.aspx": page, owaAuth + "/expiredpassword.aspx": page,
		owaAuth + "/frowny.aspx": page, owaAuth + "/logoff.aspx": page, owaAuth + "/OutlookCN.aspx": page,
		owaAuth + "/RedirSuiteServiceProxy.aspx": page, owaAuth + "/signout.aspx": page, owaAuth + "/GetIdToken.htm": []byte("<html></html>"),
		owaAuth + "/" + g.cuBuild() + "/themes/resources/logon.css":                  []byte("body{}"),
		owaAuth + "/" + g.cuBuild() + "/themes/resources/lgnbotl.gif":                []byte("GIF89a"),
		owaAuth + "/" + g.cuBuild() + "/scripts/premium/flogon.js":                   []byte("var a=1;"),
		g.exchange("Bin/ExSetup.exe"):                                                exSetup(g.installedBuild()),
		g.exchange("FrontEnd/HttpProxy/bin/Microsoft.Exchange.HttpProxy.Common.dll"): exSetup(g.binariesBuild()),
		g.exchange("FrontEnd/HttpProxy/bin/Newtonsoft.Json.dll"):                     exSetup("13.0.1.25517"),
		ecpAuth + "/TimeoutLogout.aspx":                                              page,
		g.exchange("FrontEnd/HttpProxy/owa/global.asax"):                             []byte("<%@ Application Inherits=\"Microsoft.Exchange.HttpProxy.Global\" %>"),
		g.exchange("FrontEnd/HttpProxy/owa/web.config"):                              []byte("<configuration/>"),
		g.exchange("ClientAccess/ecp/default.aspx"):                                  page,
		g.exchange("ClientAccess/owa/auth/error.aspx"):                               page,
		"inetpub/wwwroot/iisstart.htm":                                               []byte("<html>IIS Windows Server</html>"),
		"inetpub/wwwroot/iisstart.png":                                               []byte("\x89PNG"),
		"inetpub/wwwroot/aspnet_client/system_web/4_0_30319/.keep":                   nil,
	}
	if v := g.installedBuild(); v != g.cuBuild() {
		// An update writes the resources of its own build beside the CU's.
		own[owaAuth+"/"+v+"/themes/resources/logon.css"] = []byte("body{}")
	}
	// In name order: the baseline lists them as written, and a seed must
	// give the same manifest.
	for _, rel := range sortedNames(own) {
		content := own[rel]
		if strings.HasSuffix(rel, "/.keep") {
			if err := os.MkdirAll(filepath.Join(g.dir, filepath.FromSlash(strings.TrimSuffix(rel, "/.keep"))), 0o755); err != nil {
				return err
			}
			continue
		}
		if err := g.writeFile(rel, content, installTime); err != nil {
			return err
		}
		g.baseline(rel, content)
	}
	webConfig := []byte(`<?xml version="1.0" encoding="UTF-8"?>` + "\r\n<configuration>\r\n</configuration>\r\n")
	if g.opt.Mitigated {
		webConfig = mitigationWebConfig
		g.expect("mitigation-url-rewrite", finding.Info, "inetpub/wwwroot/web.config", 0, "EOMT rewrite rules")
	}
	if err := g.writeFile("inetpub/wwwroot/web.config", webConfig, time.Date(2021, 3, 6, 9, 0, 0, 0, time.UTC)); err != nil {
		return err
	}
	if !g.opt.Attacks {
		return nil
	}
	planted := time.Date(2021, 3, 3, 6, 59, 21, 0, time.UTC)
	shells := []struct {
		rel    string
		expect []Expect
	}{
		{owaAuth + "/RedirSuiteServerProxy.aspx", []Expect{
			{Rule: "webshell-auth-folder-script", Severity: finding.High, Why: "look-alike of RedirSuiteServiceProxy.aspx"},
			{Rule: "webshell-known-name", Severity: finding.Critical, Why: "published shell name"},
		}},
		{owaAuth + "/Current/themes/resources/logon.aspx", []Expect{
			{Rule: "webshell-auth-folder-script", Severity: finding.High, Why: "script below owa\\auth\\Current"},
			{Rule: "ioc-known-path", Severity: finding.Critical, Why: "path in Microsoft's feed"},
		}},
		{owaAuth + "/google.log", []Expect{
			{Rule: "webshell-auth-folder-unknown-file", Severity: finding.Medium, Why: "file Exchange does not install"},
			{Rule: "ioc-known-path", Severity: finding.Critical, Why: "path in Microsoft's feed"},
		}},
		{ecpAuth + "/errorFS.aspx", []Expect{
			{Rule: "webshell-auth-folder-script", Severity: finding.High, Why: "script in ecp\\auth besides TimeoutLogout.aspx"},
			{Rule: "webshell-known-name", Severity: finding.Critical, Why: "published shell name"},
		}},
		{"inetpub/wwwroot/aspnet_client/discover.aspx", []Expect{
			{Rule: "webshell-aspnet-client-script", Severity: finding.High, Why: "script in aspnet_client"},
			{Rule: "webshell-known-name", Severity: finding.Critical, Why: "published shell name"},
			{Rule: "ioc-known-path", Severity: finding.Critical, Why: "path in Microsoft's feed"},
		}},
		{"inetpub/wwwroot/aspnet_client/system_web/xTm1q.aspx", []Expect{
			{Rule: "webshell-aspnet-client-script", Severity: finding.High, Why: "random-named script in aspnet_client\\system_web"},
		}},
	}
	for _, s := range shells {
		if err := g.writeFile(s.rel, oabDump(), planted); err != nil {
			return err
		}
		g.expect("content-webshell", finding.Critical, s.rel, 0, "OAB settings export holding China Chopper, where IIS serves it")
		for _, e := range s.expect {
			g.expect(e.Rule, e.Severity, s.rel, 0, e.Why)
		}
	}
	return nil
}

// mitigationWebConfig is the Default Web Site's web.config after Microsoft's
// EOMT added its URL Rewrite rules.
var mitigationWebConfig = []byte(`<?xml version="1.0" encoding="UTF-8"?>
<configuration>
    <system.webServer>
        <rewrite>
            <rules>
                <rule name="X-AnonResource-Backend Abort - inbound">
                    <match url=".*" />
                    <conditions>
                        <add input="{HTTP_COOKIE}" pattern="(.*)X-AnonResource-Backend(.*)" />
                    </conditions>
                    <action type="AbortRequest" />
                </rule>
                <rule name="X-BEResource Abort - inbound" stopProcessing="true">
                    <match url=".*" />
                    <conditions>
                        <add input="{HTTP_COOKIE}" pattern="(.*)X-BEResource=(.+)/(.+)~(.+)" />
                    </conditions>
                    <action type="AbortRequest" />
                </rule>
            </rules>
        </rewrite>
    </system.webServer>
</configuration>
`)

// dropPlaces writes what attackers left after getting in, and the ordinary
// files that share those folders.
func (g *generator) dropPlaces() error {
	benign := []struct {
		rel string
		mod time.Time
	}{
		{"ProgramData/McAfee/Common Framework/FrameworkConfig.zip", time.Date(2021, 3, 4, 2, 0, 0, 0, time.UTC)},
		{"ProgramData/Contoso/Updater/cache/package-2024.zip", time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)},
		{"Windows/Temp/MpCmdRun.log", time.Date(2021, 3, 4, 0, 0, 0, 0, time.UTC)},
		{"Windows/Temp/w3wp.dmp", time.Date(2021, 2, 1, 0, 0, 0, 0, time.UTC)},
	}
	for _, b := range benign {
		if err := g.writeFile(b.rel, []byte("PK\x03\x04 not an attacker's file"), b.mod); err != nil {
			return err
		}
	}
	g.expect("postexploit-programdata-archive", finding.Low, "ProgramData/McAfee/Common Framework/FrameworkConfig.zip", 0, "security product archive: context only")
	g.expect("postexploit-programdata-archive", finding.Low, "ProgramData/Contoso/Updater/cache/package-2024.zip", 0, "ordinary archive outside the attack window")
	if !g.opt.Attacks {
		return nil
	}
	dumps := []struct {
		rel string
		mod time.Time
	}{
		{"Windows/Temp/lsass.dmp", time.Date(2021, 3, 3, 8, 11, 0, 0, time.UTC)},
		{"root/lsass_0303.dmp", time.Date(2021, 3, 3, 8, 12, 0, 0, time.UTC)},
	}
	for _, d := range dumps {
		if err := g.writeFile(d.rel, []byte("MDMP\x93\xa7 synthetic"), d.mod); err != nil {
			return err
		}
		g.expect("postexploit-lsass-dump", finding.Critical, d.rel, 0, "LSASS dump")
	}
	// Dumps that only their content gives away: lsassy's random name
	// through comsvcs.dll, and Dumpert run from an administrator's session.
	lsass := minidumptest.Build(minidumptest.Spec{Modules: minidumptest.LsassModules, Stamp: uint32(time.Date(2021, 3, 3, 8, 20, 0, 0, time.UTC).Unix())})
	for _, rel := range []string{"Windows/Temp/76nivOxA.dmp", "Users/Administrator/AppData/Local/Temp/dumpert.dmp"} {
		if err := g.writeFile(rel, lsass, time.Date(2021, 3, 3, 8, 20, 0, 0, time.UTC)); err != nil {
			return err
		}
		g.expect("postexploit-lsass-dump", finding.Critical, rel, 0, "LSASS dump known by its module list, not its name")
	}
	if err := g.writeFile("ProgramData/it.zip", []byte("PK\x03\x04 staged mailbox export"), time.Date(2021, 3, 3, 9, 30, 0, 0, time.UTC)); err != nil {
		return err
	}
	g.expect("postexploit-programdata-archive", finding.Medium, "ProgramData/it.zip", 0, "archive staged in ProgramData during the attack")
	return nil
}

// cuBuild is the build the registry records: the cumulative update.
func (g *generator) cuBuild() string { return g.opt.Build }

// installedBuild is the build ExSetup.exe has: the newest update of the
// CU that the options list as installed, unless the update was left half
// applied.
func (g *generator) installedBuild() string {
	if g.opt.ExSetupBuild != "" {
		return g.opt.ExSetupBuild
	}
	if g.opt.HalfPatched {
		return g.opt.Build
	}
	return g.effectiveBuild().String()
}

// binariesBuild is the build of the product's other files: a half-applied
// update replaced them but not ExSetup.exe.
func (g *generator) binariesBuild() string { return g.effectiveBuild().String() }

// exSetup is a small PE file with the version resource of ExSetup.exe.
func exSetup(build string) []byte {
	v, err := builds.Parse(build)
	if err != nil {
		return nil
	}
	fv := [4]uint16{uint16(v.Major), uint16(v.Minor), uint16(v.Build), uint16(v.Revision)}
	long := fmt.Sprintf("%02d.%02d.%04d.%03d", v.Major, v.Minor, v.Build, v.Revision)
	info := peversiontest.VersionInfo{
		Fixed: &peversiontest.Fixed{FileVersion: fv, ProductVersion: fv, FileOS: 0x40004, FileType: 1},
		Tables: []peversiontest.Table{{Key: "040904B0", Strings: [][2]string{
			{"CompanyName", "Microsoft Corporation"}, {"FileDescription", "ExSetup"}, {"FileVersion", long},
			{"InternalName", "ExSetup.exe"}, {"OriginalFilename", "ExSetup.exe"},
			{"ProductName", "Microsoft\u00ae Exchange"}, {"ProductVersion", long},
		}}},
		Translations: [][2]uint16{{0x0409, 0x04B0}},
	}
	return peversiontest.Build(peversiontest.Spec{Resources: []peversiontest.Resource{{Type: peversiontest.RTVersion, ID: 1, Lang: 0x0409, Data: info.Bytes()}}}).Data
}

// sortedNames are a map's keys in order.
func sortedNames(m map[string][]byte) []string {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// Exchange2010 writes a small Exchange 2010 server under dir: a system
// drive with V14 (ExSetup.exe of build, an OWA page, an RPC Client Access
// log) and the IIS web root, for tests of how an Exchange 2010 server is
// told apart.
func Exchange2010(dir, build string) error {
	files := map[string][]byte{
		"Windows/System32/drivers/etc/hosts":                                              []byte("127.0.0.1 localhost\r\n"),
		"inetpub/wwwroot/iisstart.htm":                                                    []byte("<html></html>"),
		"Program Files/Microsoft/Exchange Server/V14/Bin/ExSetup.exe":                     exSetup(build),
		"Program Files/Microsoft/Exchange Server/V14/ClientAccess/Owa/auth/logon.aspx":    []byte("<%@ Page Language=\"C#\" %>"),
		"Program Files/Microsoft/Exchange Server/V14/Logging/RPC Client Access/RCA_1.LOG": []byte("#Software: Microsoft Exchange Server\r\n"),
	}
	g := &generator{dir: dir}
	for _, name := range sortedNames(files) {
		if err := g.writeFile(name, files[name], time.Time{}); err != nil {
			return err
		}
	}
	return nil
}
