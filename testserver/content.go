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

// The payloads below are stored encoded (see reveal), so that the
// project's sources are not themselves taken for web shells.

// jscriptChopper is a China Chopper in its JScript form, with a decoy
// concatenation of the split word beside the eval of the request parameter.
var jscriptChopper = reveal("Zn8aego7PT96Fjs0PS87PT9neBApOSgzKi54eh4/OC89Zzw7Nik/f2RXUGZ/LDsoeip6Z3p4CD8reHpxengvPykueGF6Pyw7NnIIPysvPykudBMuPzcBeC5peAd2engvNCk7PD94c2F/ZFdQ")

// obfuscatedShell is a JScript page run through a JavaScript obfuscator:
// the strings sit in a hex-named (_0x) array and the eval is reached
// through it.
var obfuscatedShell = reveal("Zn8aego7PT96Fjs0PS87PT9neBAJOSgzKi54f2Rmfyw7KHoFaiJuPGg7ZwF9BiJuYwYibW4GImxvBiJsPn12fQYibW8GImw/BiJtaQYibGsGImxsBiJsb312fQYib2gGImxvBiJtawYibW8GImxvBiJtaQYibW59B2FyPC80OS4zNTRyBWoiazhtOXYFaiJuPGg7YzlzISw7KHoFaiJpP2s+ZzwvNDkuMzU0cgVqIm87ajhzIS0yMzY/cnd3BWoibztqOHMhBWoiazhtOQF9Ki8pMn0HcgVqIms4bTkBfSkyMzwufQdyc3NhJydhBWoiaT9rPnJxcQVqIm48aDtjOXNhJ3IFaiJuPGg7dmoibThzc2EsOyh6BWoiaTliP2c8LzQ5LjM1NHIFaiJrOG05cyEoPy4vKDR6BWoibjxoOwEFaiJrOG05B2EnYT8sOzZyLjIzKQEFaiJpOWI/cmoiaHMHAQVqImk5Yj9yaiJqcwcBfQYibTt9B3YFaiJpOWI/cmoia3NzYX9k")

// appendedChopper is a China Chopper in a server-side script block, as
// appended to one of Exchange's own pages.
var appendedChopper = reveal("Zik5KDMqLno2OzQ9Lzs9P2d4EAk5KDMqLnh6KC80Oy5neCk/KCw/KHhkPC80OS4zNTR6Cjs9PwUWNTs+cnMhPyw7NnIIPysvPykuAXg5NT4/eAd2eC80KTs8P3hzYSdmdSk5KDMqLmRXUA==")

// compiledShell is what ASP.NET leaves in Temporary ASP.NET Files after
// running a China Chopper page: a small .NET assembly whose user strings
// (UTF-16) hold the page's code.
func compiledShell() []byte {
	b := make([]byte, 0x400)
	copy(b, "MZ")
	binary.LittleEndian.PutUint32(b[0x3c:], 0x80)
	copy(b[0x80:], "PE\x00\x00")
	binary.LittleEndian.PutUint16(b[0x84:], 0x14c)
	// The metadata root (BSJB) and its strings heap: the names of the
	// members the page used.
	copy(b[0x200:], "BSJB\x01\x00\x01\x00\x00\x00\x00\x00\x0cv4.0.30319\x00\x00"+
		"\x00<Module>\x00App_Web_errorfs.aspx.cdcab7d2.dll\x00Microsoft.JScript\x00JScriptEvaluate\x00get_Request\x00get_Item\x00Microsoft.JScript.Vsa\x00")
	for _, s := range []string{"Request", "Item", "unsafe", "Jscript"} {
		for _, c := range utf16.Encode([]rune(s)) {
			b = binary.LittleEndian.AppendUint16(b, c)
		}
		b = append(b, 0, 0)
	}
	return b
}

// dearCryNote is a ransom note of the DearCry family that followed the
// Exchange exploitation (its two published contact addresses), with a
// made-up key.
var dearCryNote = reveal("AzUvKHo8MzY/ejI7KXo4Pz80ej80OSgjKi4/PntXUBM8eiM1L3otOzQuei41ej4/OSgjKi52eio2PzspP3o5NTQuOzkuei8pdFdQMTU0Pz4zPyMqGjszKDc7MzZ0OTl6NSh6Lz80LTU0MT80Gjc/NzszNnQ5NTdXUBs0PnoqNj87KT96KT80Pno3P3ouMj96PDU2NjUtMzQ9ejI7KTJ7V1BqO2s4aDlpPm4/bzxsam1rYmhjaTtuOG85bD5tP2I8Y1dQ")

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
		rule              string
		sev               finding.Severity
	}{
		// Exchange's own logon page with a China Chopper appended: its name
		// is Exchange's, only its content (and hash) differ.
		{owaAuth + "/logon.aspx", page + appendedChopper,
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
		g.exchange("FrontEnd/HttpProxy/owa/" + g.cuBuild() + "/scripts/premium/json.js"):                                                      []byte("function parse(t){return eval('(' + t + ')');}\r\n"),
		"Windows/Microsoft.NET/Framework64/v4.0.30319/Temporary ASP.NET Files/owa/9c8b7a6d/5e4f3a2b/App_Web_logon.aspx.cdcab7d2.a1b2c3d4.dll": []byte("MZ\x90\x00 Microsoft.Exchange.HttpProxy.Logon App_Web_logon"),
	}
	// In name order: the baseline lists them as written, and a seed must
	// give the same manifest.
	for _, rel := range sortedNames(benign) {
		content := benign[rel]
		if err := g.writeFile(rel, content, installTime); err != nil {
			return err
		}
		if path.Ext(rel) == ".js" {
			g.baseline(rel, content)
		}
	}
	return nil
}
