/*
 * exhunt built-in content rules: web shells as ASP.NET compiled them.
 *
 * ASP.NET compiles every page it serves into an assembly named
 * App_Web_<random>.dll under "Temporary ASP.NET Files", and that copy stays
 * after the page itself is deleted. In a .NET assembly the names of types
 * and members sit in the #Strings heap (ASCII) and the string literals of
 * the code in the #US heap (UTF-16LE), so the source of the page shows
 * through: a compiled China Chopper calls Microsoft.JScript's
 * Eval.JScriptEvaluate, reads the page's Request, and holds the literal
 * "unsafe"; a compiled OAB settings dump holds the dump's text (the
 * OfflineAddressBooks and ExternalUrl lines) as literals: UTF-16LE in the
 * #US heap, or in a resource of the assembly where ASP.NET moves long
 * literals (so these strings are looked for in ASCII too).
 *
 * The file must be a PE image (MZ header, PE signature where e_lfanew
 * points) with .NET metadata (the BSJB signature of the metadata root);
 * the engine's pe and dotnet modules are not relied on. Comments describe
 * the artefacts in words: see webshells.yar.
 */

rule compiled_webshell_chopper {
    meta:
        description = "Compiled China Chopper (App_Web_*.dll): a .NET page assembly that evaluates request data with JScript's eval"
        severity = "critical"
        kind = "compiled-webshell"
        reference = "https://www.bsi.bund.de/SharedDocs/Downloads/DE/BSI/Cyber-Sicherheit/Vorfaelle/Exchange-Schwachstellen-2021/MSExchange_Schwachstelle_Detektion_Reaktion.pdf"
        author = "exhunt"
    strings:
        $meta = { 42 53 4A 42 01 00 01 00 }
        $appweb = /App_Web_[a-z0-9_.]{4,60}\.dll/ ascii wide nocase
        $eval = "JScriptEvaluate" ascii wide fullword
        $req = "get_Request" ascii wide fullword
        $unsafe = "unsafe" wide fullword
    condition:
        uint16(0) == 0x5A4D and filesize < 10MB and uint32(uint32(0x3C)) == 0x00004550 and
        $meta and $eval and $req and ($appweb or $unsafe)
}

rule compiled_webshell_oab_dump {
    meta:
        description = "Compiled OAB settings dump web shell (App_Web_*.dll of a CVE-2021-27065 page)"
        severity = "critical"
        kind = "compiled-webshell"
        reference = "https://www.cisa.gov/news-events/analysis-reports/ar21-084a"
        author = "exhunt"
    strings:
        $meta = { 42 53 4A 42 01 00 01 00 }
        $appweb = /App_Web_[a-z0-9_.]{4,60}\.dll/ ascii wide nocase
        $f1 = "OfflineAddressBooks" ascii wide
        $f2 = "PollInterval" ascii wide
        $f3 = "ExtendedProtectionTokenChecking" ascii wide
        $f4 = "InternalAuthenticationMethods" ascii wide
        $url = /(External|Internal)Url[ \t]{0,40}:[ \t]{0,5}https?:\/\// ascii wide
    condition:
        uint16(0) == 0x5A4D and filesize < 10MB and uint32(uint32(0x3C)) == 0x00004550 and
        $meta and $appweb and 2 of ($f*) and $url
}
