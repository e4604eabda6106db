/*
 * exhunt built-in content rules: web shells planted through the 2021
 * Exchange ProxyLogon exploitation (CVE-2021-26855 with CVE-2021-27065 or
 * CVE-2021-26858) and by the groups that followed.
 *
 * Written for exhunt from the published descriptions of the artefacts (the
 * sources are in each rule's reference). Every rule carries the meta the
 * scan reads: description, severity (critical, high, medium, low), kind,
 * reference and author.
 *
 * Conventions of this file:
 * - Pages may be saved as UTF-8 (with or without a byte-order mark), as
 *   UTF-16LE, with CRLF or LF line ends: text strings are "ascii wide" and
 *   nothing is anchored at offset 0.
 * - A server page is recognised by its ASP/ASP.NET code delimiters or by a
 *   script block that runs on the server; log lines that quote such a page
 *   with doubled quotes (as the ECP Server log does) are recognised too.
 * - Comments describe code in words and never quote it, and the code
 *   delimiter is written with its percent sign escaped (\x25): these files
 *   are compiled into the exhunt binary, and neither the binary nor the
 *   rule files may match the rules themselves.
 */

/*
 * China Chopper, the one-line server of the campaign, in its JScript.NET
 * (ASPX) and VBScript (classic ASP) forms: the page evaluates the value of
 * a request parameter. Covers the direct form through Request, Request.Item,
 * Request.Form, Request.QueryString, Request.Params, a cookie, a header or
 * a server variable, with brackets or parentheses and any spacing or case;
 * the JScript.NET full-trust form that passes the "unsafe" option to eval
 * whatever the first argument is (which also catches a Request object
 * reached through a concatenated name); the form that decodes Base64 from
 * the request before evaluating it; and the forms that build the words
 * Request or unsafe by string concatenation.
 */
rule webshell_chopper_eval {
    meta:
        description = "China Chopper web shell: a server page that evaluates code sent in a request"
        severity = "critical"
        kind = "webshell"
        reference = "https://us-cert.cisa.gov/ncas/alerts/aa21-062a"
        author = "exhunt"
    strings:
        $srv1 = "<\x25" ascii wide
        $srv2 = /runat\s{0,5}=\s{0,5}["']{0,2}server/ ascii wide nocase
        // eval, execute or executeglobal of a request value; not as a
        // member (Server.Execute is ASP.NET's page include)
        $in1 = /[^.\w](eval|execute|executeglobal)\s{0,10}\(?\s{0,10}((this|page|context|httpcontext\s{0,5}\.\s{0,5}current)\s{0,5}\.\s{0,5})?request\s{0,5}(\.\s{0,5}(item|form|querystring|params|cookies|headers|servervariables)\s{0,5})?[\[(]/ ascii wide nocase
        // JScript.NET eval with the "unsafe" option
        $in2 = /[^.\w]eval\s{0,10}\([^\r\n]{1,400},\s{0,10}["']{1,2}unsafe["']{1,2}/ ascii wide nocase
        // Base64 decoded from the request, then evaluated
        $in3 = /[^.\w]eval\s{0,10}\([^\r\n]{0,200}FromBase64String\s{0,10}\([^\r\n]{0,100}Request/ ascii wide nocase
        $call = /[^.\w]eval\s{0,10}\(/ ascii wide nocase
        // the words Request and unsafe split into concatenated pieces
        $cat1 = /(Re["']\s{0,5}\+\s{0,5}["']quest|Req["']\s{0,5}\+\s{0,5}["']uest|Requ["']\s{0,5}\+\s{0,5}["']est|Reque["']\s{0,5}\+\s{0,5}["']st)\b/ ascii wide nocase
        $cat2 = /(un["']\s{0,5}\+\s{0,5}["']safe|uns["']\s{0,5}\+\s{0,5}["']afe|unsa["']\s{0,5}\+\s{0,5}["']fe)\b/ ascii wide nocase
    condition:
        filesize < 5MB and any of ($srv*) and (any of ($in*) or ($call and any of ($cat*)))
}

/*
 * China Chopper passed through a JavaScript obfuscator: variables and
 * functions named _0x followed by hex digits, the strings moved into an
 * array, inside a page whose server-side language is JScript (a page
 * directive or a script block running on the server, as in the OAB
 * ExternalUrl injections), which evaluates code (eval, a Function
 * constructor, or the "unsafe" option kept as a string in the array).
 * Obfuscated browser scripts have no server-side JScript page around them.
 */
rule webshell_chopper_obfuscated {
    meta:
        description = "Obfuscated China Chopper: a server-side JScript page with JS-obfuscator names (_0x…) that evaluates code"
        severity = "critical"
        kind = "webshell"
        reference = "https://www.microsoft.com/security/blog/2021/03/25/analyzing-attacks-taking-advantage-of-the-exchange-server-vulnerabilities/"
        author = "exhunt"
    strings:
        $js1 = /<\x25@\s{0,10}Page\s[^>]{0,200}Language\s{0,5}=\s{0,5}["']{0,2}(jscript|javascript|js)\b/ ascii wide nocase
        $js2 = /<script\s[^>]{0,200}language\s{0,5}=\s{0,5}["']{0,2}(jscript|javascript|js)\b[^>]{0,200}runat\s{0,5}=\s{0,5}["']{0,2}server/ ascii wide nocase
        $js3 = /<script\s[^>]{0,200}runat\s{0,5}=\s{0,5}["']{0,2}server\b[^>]{0,200}language\s{0,5}=\s{0,5}["']{0,2}(jscript|javascript|js)\b/ ascii wide nocase
        $hex = /\b_0x[0-9a-f]{3,8}\b/ ascii wide nocase
        $ev1 = /\beval\b/ ascii wide
        $ev2 = /\bFunction\s{0,5}\(/ ascii wide
        $ev3 = /["']unsafe["']/ ascii wide
    condition:
        filesize < 2MB and any of ($js*) and #hex >= 5 and any of ($ev*)
}

/*
 * The file CVE-2021-27065 writes: Exchange's export of the OAB virtual
 * directory's settings (the Name, PollInterval, OfflineAddressBooks,
 * RequireSSL, authentication and InternalUrl/ExternalUrl lines), saved
 * under an .aspx name, where ExternalUrl or InternalUrl holds script
 * instead of a URL. ASP.NET runs the script block and ignores the rest.
 */
rule oab_config_dump_script {
    meta:
        description = "OAB virtual directory settings dump with script in ExternalUrl/InternalUrl (CVE-2021-27065 web shell)"
        severity = "critical"
        kind = "oab-config-dump"
        reference = "https://www.cisa.gov/news-events/analysis-reports/ar21-084a"
        author = "exhunt"
    strings:
        $f1 = /\bName\s{0,40}:\s{0,5}OAB\s\(/ ascii wide
        $f2 = /\bPollInterval\s{0,40}:/ ascii wide
        $f3 = /\bOfflineAddressBooks\s{0,40}:/ ascii wide
        $f4 = /\bRequireSSL\s{0,40}:/ ascii wide
        $f5 = /\bInternalAuthenticationMethods\s{0,40}:/ ascii wide
        $f6 = /\bExtendedProtectionTokenChecking\s{0,40}:/ ascii wide
        $url = /\b(External|Internal)Url[ \t]{0,40}:[^\r\n]{0,300}(<script|<\x25|runat\s{0,5}=|[^.\w]eval\s{0,10}\(|Request\s{0,5}[.\[(])/ ascii wide nocase
    condition:
        filesize < 2MB and 3 of ($f*) and $url
}

/*
 * SecChecker (Microsoft: Backdoor:ASP/SecChecker.A; the first web shell
 * hash of Microsoft's HAFNIUM post): a tiny page that tells its caller which
 * endpoint security product is installed by testing whether the product's
 * program file exists (FireEye's agent, CrowdStrike Falcon) and writing a
 * code into the response.
 */
rule webshell_secchecker {
    meta:
        description = "SecChecker page: probes for installed endpoint security products and reports them to the caller"
        severity = "critical"
        kind = "webshell"
        reference = "https://www.microsoft.com/security/blog/2021/03/02/hafnium-targeting-exchange-servers/"
        author = "exhunt"
    strings:
        $srv = "<\x25" ascii wide
        $exists = /File\s{0,5}\.\s{0,5}Exists\s{0,5}\(/ ascii wide nocase
        $write = /Response\s{0,5}\.\s{0,5}Write\s{0,5}\(/ ascii wide nocase
        $edr1 = /\\fireeye\\{1,2}xagt\.exe/ ascii wide nocase
        $edr2 = /\\{1,2}csfalconservice\.exe/ ascii wide nocase
    condition:
        filesize < 64KB and $srv and $exists and $write and any of ($edr*)
}

/*
 * Upload pages: a server page that saves a posted file (Request.Files with
 * SaveAs) to a path it builds with Server.MapPath or Path.Combine, or that
 * writes request data to a path taken from the request: a StreamWriter
 * opened on one request value and written with another, or File.WriteAll*
 * given request data. Volexity's SimpleSeeSharp and the C# writer injected
 * next to China Chopper are of this kind.
 */
rule webshell_aspx_upload {
    meta:
        description = "File upload page: saves a file or request data to a path chosen by the request"
        severity = "high"
        kind = "webshell"
        reference = "https://www.volexity.com/blog/2021/03/02/active-exploitation-of-microsoft-exchange-zero-day-vulnerabilities/"
        author = "exhunt"
    strings:
        $srv1 = "<\x25" ascii wide
        $srv2 = /runat\s{0,5}=\s{0,5}["']{0,2}server/ ascii wide nocase
        $files = /Request\s{0,5}\.\s{0,5}Files\b/ ascii wide nocase
        $saveas = /\.\s{0,5}SaveAs\s{0,5}\(/ ascii wide nocase
        $path1 = /Server\s{0,5}\.\s{0,5}MapPath\s{0,5}\(/ ascii wide nocase
        $path2 = /Path\s{0,5}\.\s{0,5}Combine\s{0,5}\(/ ascii wide nocase
        $w1 = /StreamWriter\s{0,5}\(\s{0,5}(Server\s{0,5}\.\s{0,5}MapPath\s{0,5}\(\s{0,5})?Request\s{0,5}(\.\s{0,5}(Form|Item|QueryString|Params)\s{0,5})?[\[(]/ ascii wide nocase
        $w2 = /\.\s{0,5}Write\s{0,5}\(\s{0,5}Request\s{0,5}(\.\s{0,5}(Form|Item|QueryString|Params)\s{0,5})?[\[(]/ ascii wide nocase
        $w3 = /File\s{0,5}\.\s{0,5}WriteAll(Bytes|Text)\s{0,5}\([^;\r\n]{0,200}Request\s{0,5}[.\[(]/ ascii wide nocase
    condition:
        filesize < 1MB and any of ($srv*) and (($files and $saveas and any of ($path*)) or ($w1 and $w2) or $w3)
}

/*
 * Command execution pages: a server page that starts a process (a
 * Process object, Process.Start or ProcessStartInfo) for cmd.exe (also
 * found through the ComSpec variable) or PowerShell and reads request
 * input, as Volexity's SPORTSBALL does; or a classic ASP page that runs
 * commands through the WScript.Shell object with request input.
 */
rule webshell_aspx_cmdexec {
    meta:
        description = "Command execution page: runs cmd.exe or PowerShell with input from the request"
        severity = "high"
        kind = "webshell"
        reference = "https://www.volexity.com/blog/2021/03/02/active-exploitation-of-microsoft-exchange-zero-day-vulnerabilities/"
        author = "exhunt"
    strings:
        $srv1 = "<\x25" ascii wide
        $srv2 = /runat\s{0,5}=\s{0,5}["']{0,2}server/ ascii wide nocase
        $req = /Request\s{0,5}(\.\s{0,5}(Form|Item|QueryString|Params|Headers|Cookies)\s{0,5})?[\[(]/ ascii wide nocase
        $p1 = /Process\s{0,5}\.\s{0,5}Start\s{0,5}\(/ ascii wide nocase
        $p2 = "ProcessStartInfo" ascii wide nocase
        $p3 = /new\s{1,5}(System\s{0,5}\.\s{0,5}Diagnostics\s{0,5}\.\s{0,5})?Process\s{0,5}\(/ ascii wide nocase
        $c1 = /\bcmd(\.exe)?["']/ ascii wide nocase
        $c2 = /\bpowershell(\.exe)?["']/ ascii wide nocase
        $c3 = /["']ComSpec["']/ ascii wide nocase
        $ws = /WScript\s{0,5}\.\s{0,5}Shell/ ascii wide nocase
        $wsrun = /\.\s{0,5}(Exec|Run)\s{0,5}\(/ ascii wide nocase
    condition:
        filesize < 1MB and any of ($srv*) and $req and ((any of ($p*) and any of ($c*)) or ($ws and $wsrun))
}

/*
 * Tunnels through the web server (reGeorg, Neo-reGeorg and their ASPX
 * relatives): a server page that opens sockets for the caller and is
 * driven by its own headers (X-CMD, X-TARGET, X-STATUS, X-ERROR,
 * X-REDIRECTURL) or by the commands CONNECT, DISCONNECT and FORWARD.
 */
rule webshell_aspx_tunnel {
    meta:
        description = "Web tunnel page (reGeorg-style): relays network connections for the caller through the web server"
        severity = "high"
        kind = "webshell"
        reference = "https://github.com/sensepost/reGeorg"
        author = "exhunt"
    strings:
        $srv1 = "<\x25" ascii wide
        $srv2 = /runat\s{0,5}=\s{0,5}["']{0,2}server/ ascii wide nocase
        $s1 = /new\s{1,5}(System\s{0,5}\.\s{0,5}Net\s{0,5}\.\s{0,5}Sockets\s{0,5}\.\s{0,5})?(Socket|TcpClient)\s{0,5}\(/ ascii wide nocase
        $req = /Request\s{0,5}\.\s{0,5}(Headers|QueryString|InputStream|BinaryRead)\b/ ascii wide nocase
        $h1 = /["']X-CMD["']/ ascii wide nocase
        $h2 = /["']X-TARGET["']/ ascii wide nocase
        $h3 = /["']X-STATUS["']/ ascii wide nocase
        $h4 = /["']X-ERROR["']/ ascii wide nocase
        $h5 = /["']X-REDIRECTURL["']/ ascii wide nocase
        $k1 = /["']CONNECT["']/ ascii wide
        $k2 = /["']DISCONNECT["']/ ascii wide
        $k3 = /["']FORWARD["']/ ascii wide
    condition:
        filesize < 1MB and any of ($srv*) and $s1 and $req and (2 of ($h*) or all of ($k*))
}

/*
 * File manager shells (ASPXSpy and its like): a server page that lists
 * drives and folders and deletes, moves, copies, uploads or sends files on
 * request. ASPXSpy's own name together with file operations is enough.
 */
rule webshell_aspx_filemanager {
    meta:
        description = "File manager web shell (ASPXSpy-like): browses drives and reads, writes or deletes files on request"
        severity = "high"
        kind = "webshell"
        reference = "https://attack.mitre.org/software/S0073/"
        author = "exhunt"
    strings:
        $srv1 = "<\x25" ascii wide
        $srv2 = /runat\s{0,5}=\s{0,5}["']{0,2}server/ ascii wide nocase
        $name = /\bASPXSpy/ ascii wide nocase
        $req = /Request\s{0,5}(\.\s{0,5}(Form|Item|QueryString|Params)\s{0,5})?[\[(]/ ascii wide nocase
        $d1 = /GetLogicalDrives\s{0,5}\(/ ascii wide nocase
        $d2 = /DriveInfo\s{0,5}\.\s{0,5}GetDrives\s{0,5}\(/ ascii wide nocase
        $d3 = /\.\s{0,5}GetDirectories\s{0,5}\(/ ascii wide nocase
        $d4 = /\.\s{0,5}GetFiles\s{0,5}\(/ ascii wide nocase
        $o1 = /File\s{0,5}\.\s{0,5}(Delete|Move|Copy)\s{0,5}\(/ ascii wide nocase
        $o2 = /Directory\s{0,5}\.\s{0,5}(Delete|Move|CreateDirectory)\s{0,5}\(/ ascii wide nocase
        $o3 = /Response\s{0,5}\.\s{0,5}(WriteFile|TransmitFile)\s{0,5}\(/ ascii wide nocase
        $o4 = /\.\s{0,5}SaveAs\s{0,5}\(/ ascii wide nocase
        $o5 = /File\s{0,5}\.\s{0,5}(ReadAllBytes|ReadAllText|WriteAllBytes|WriteAllText)\s{0,5}\(/ ascii wide nocase
    condition:
        filesize < 2MB and any of ($srv*) and (($name and 2 of ($o*)) or ($req and 2 of ($d*) and 2 of ($o*)))
}

/*
 * The C# relatives of China Chopper (the ASPX C# shells of AntSword,
 * Behinder and Godzilla): a server page that loads a .NET assembly from
 * bytes taken from the request, usually Base64 or AES encoded, and
 * instantiates or invokes it.
 */
rule webshell_aspx_assembly_loader {
    meta:
        description = "C# China Chopper relative: a server page that loads and runs a .NET assembly sent in the request"
        severity = "critical"
        kind = "webshell"
        reference = "https://us-cert.cisa.gov/ncas/alerts/aa21-062a"
        author = "exhunt"
    strings:
        $srv1 = "<\x25" ascii wide
        $srv2 = /runat\s{0,5}=\s{0,5}["']{0,2}server/ ascii wide nocase
        $load = /Assembly\s{0,5}\.\s{0,5}Load\s{0,5}\(/ ascii wide nocase
        $bin = /Request\s{0,5}\.\s{0,5}(BinaryRead|InputStream)\b/ ascii wide nocase
        $req = /Request\s{0,5}(\.\s{0,5}(Form|Item|QueryString|Params|Cookies|Headers)\s{0,5})?[\[(]/ ascii wide nocase
        $b64 = /FromBase64String\s{0,5}\(/ ascii wide nocase
        $aes = /TransformFinalBlock\s{0,5}\(/ ascii wide nocase
        $run = /\.\s{0,5}(CreateInstance|Invoke)\s{0,5}\(/ ascii wide nocase
    condition:
        filesize < 1MB and any of ($srv*) and $load and $run and ($bin or $aes or ($req and $b64))
}
