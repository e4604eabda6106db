/*
 * exhunt built-in content rules: DearCry (DoejoCrypt), the ransomware that
 * encrypted unpatched Exchange servers from 9 March 2021.
 *
 * Public reporting describes its note, readme.txt, with the two contact
 * addresses below and the request to send the victim's hash, and the
 * marker DEARCRY! that it writes at the start of every file it encrypts.
 *
 * Each text is written with one character escaped (\x40 for the at sign,
 * \x21 for the exclamation mark and so on): the rule files are compiled
 * into the exhunt binary, and neither may match these rules.
 */

rule ransom_dearcry_note {
    meta:
        description = "DearCry ransom note (readme.txt with the attackers' contact addresses)"
        severity = "critical"
        kind = "ransom-note"
        reference = "https://www.bleepingcomputer.com/news/security/ransomware-now-attacks-microsoft-exchange-servers-with-proxylogon-exploits/"
        author = "exhunt"
    strings:
        $mail1 = "konedieyp\x40airmail.cc" ascii wide nocase
        $mail2 = "uenwonken\x40memail.com" ascii wide nocase
        $text1 = "Your file has been encrypted\x21" ascii wide nocase
        $text2 = "And please send me the following hash\x21" ascii wide nocase
        $text3 = "If you want to decrypt, please contact us\x2e" ascii wide nocase
    condition:
        filesize < 1MB and (any of ($mail*) or 2 of ($text*))
}

rule ransom_dearcry_encrypted {
    meta:
        description = "File encrypted by DearCry (starts with its DEARCRY! marker)"
        severity = "critical"
        kind = "ransom-note"
        reference = "https://www.bleepingcomputer.com/news/security/ransomware-now-attacks-microsoft-exchange-servers-with-proxylogon-exploits/"
        author = "exhunt"
    strings:
        $marker = { 44 45 41 52 43 52 59 21 }
    condition:
        $marker at 0
}
