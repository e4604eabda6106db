/*
 * exhunt built-in content rules: tools and command lines of the 2021
 * Exchange intrusions after the web shell (credential dumping, reverse
 * shells, command and control), found in scripts, batch files and saved
 * command output that the intruders left behind, in ASCII or, as
 * PowerShell's redirection writes it, UTF-16LE.
 *
 * Text that would let the rule source match itself is written with one
 * character escaped (see ransomware.yar); comments describe the tools in
 * words.
 */

/*
 * LSASS memory dumped for credentials: Sysinternals ProcDump given a dump
 * switch and the lsass process (also when renamed, by its full-dump
 * switch), or rundll32 calling the MiniDump export (ordinal 24) of
 * comsvcs.dll with a process id, a file and the word full, the two ways
 * Microsoft and the Sigma HAFNIUM rules report.
 */
rule hacktool_lsass_dump_command {
    meta:
        description = "Command line that dumps LSASS memory (ProcDump on lsass, or the MiniDump export of comsvcs.dll)"
        severity = "high"
        kind = "hacktool"
        reference = "https://www.microsoft.com/security/blog/2021/03/02/hafnium-targeting-exchange-servers/"
        author = "exhunt"
    strings:
        $procdump1 = /\bprocdump(64)?(\.exe)?["']?\s([^\r\n]{0,200}\s)?[-\/](ma|mp|accepteula)\s[^\r\n]{0,200}\blsass(\.exe)?\b/ ascii wide nocase
        $procdump2 = /\bprocdump(64)?(\.exe)?["']?\s{1,5}lsass(\.exe)?\s/ ascii wide nocase
        $comsvcs = /\bcomsvcs(\.dll)?["']?\s{0,5},?\s{0,5}(MiniDumpW?|#\+?0{0,4}24)\s[^\r\n]{1,200}\sfull\b/ ascii wide nocase
        // ProcDump's full-dump switch aimed at lsass, for a renamed ProcDump
        $ma = /\s-ma\s{1,5}["']?lsass\b/ ascii wide nocase
    condition:
        filesize < 10MB and any of them
}

/*
 * Nishang's reverse and bind shells: the Invoke-PowerShellTcp function (and
 * its one-line version), or the one-liner's body: a TCPClient whose stream
 * feeds Invoke-Expression through a 64 KiB buffer; also the one-liner
 * passed Base64-encoded (UTF-16LE, as powershell -EncodedCommand takes it).
 */
rule hacktool_nishang_powershell_tcp {
    meta:
        description = "Nishang PowerShell reverse shell (Invoke-PowerShellTcp or its one-liner)"
        severity = "high"
        kind = "hacktool"
        reference = "https://github.com/samratashok/nishang/blob/master/Shells/Invoke-PowerShellTcp.ps1"
        author = "exhunt"
    strings:
        $func = /function\s{1,5}Invoke-PowerShellTcp(OneLine)?\b/ ascii wide nocase
        $t1 = /Net\.Sockets\.TCPClient\s{0,5}\(/ ascii wide nocase
        $t2 = /\.GetStream\s{0,5}\(\s{0,5}\)/ ascii wide nocase
        $t3 = /\b(iex|Invoke-Expression)\b/ ascii wide nocase
        $t4 = /\b0\.\.65535\b/ ascii wide
        $b1 = "T\x00C\x00P\x00C\x00l\x00i\x00e\x00n\x00t\x00" base64
        $b2 = "G\x00e\x00t\x00S\x00t\x00r\x00e\x00a\x00m\x00" base64
        $b3 = "0\x00.\x00.\x006\x005\x005\x003\x005\x00" base64
    condition:
        filesize < 10MB and ($func or all of ($t*) or all of ($b*))
}

/*
 * PowerCat, netcat in PowerShell, which Microsoft saw downloaded from
 * GitHub and run: the script itself (the powercat function with its
 * per-protocol Setup, ReadData and WriteData helpers) or the download
 * cradle that loads powercat.ps1 and connects out in the same line.
 */
rule hacktool_powercat {
    meta:
        description = "PowerCat (netcat in PowerShell): the script or a command that downloads and runs it"
        severity = "high"
        kind = "hacktool"
        reference = "https://github.com/besimorhino/powercat"
        author = "exhunt"
    strings:
        $func = /function\s{1,5}powercat\b/ ascii wide nocase
        $f1 = /function\s{1,5}Setup_(TCP|UDP|DNS|CMD)\b/ ascii wide nocase
        $f2 = /function\s{1,5}ReadData_(TCP|UDP|DNS|CMD)\b/ ascii wide nocase
        $f3 = /function\s{1,5}WriteData_(TCP|UDP|DNS|CMD)\b/ ascii wide nocase
        $cradle = /powercat\.ps1['"]?\s{0,5}\)\s{0,5};?[^\r\n]{0,20}\bpowercat\s{1,5}-c\s/ ascii wide nocase
    condition:
        filesize < 10MB and (($func and 2 of ($f*)) or $cradle)
}

/*
 * Covenant's Grunt implant and its stagers: the stager's type and its
 * method that runs the stage, and the template fields for the Covenant
 * server's address and certificate hash, in a compiled stager or in the C#
 * or PowerShell launcher that carries it.
 */
rule hacktool_covenant_grunt {
    meta:
        description = "Covenant C2 Grunt stager"
        severity = "high"
        kind = "hacktool"
        reference = "https://github.com/cobbr/Covenant"
        author = "exhunt"
    strings:
        $a1 = "Grunt\x53tager" ascii wide
        $a2 = "Execute\x53tager" ascii wide
        $a3 = "Covenant\x55RI" ascii wide
        $a4 = "Covenant\x43ertHash" ascii wide
    condition:
        filesize < 10MB and 2 of them
}
