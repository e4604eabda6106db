/*
 * exhunt built-in content rules: archives by their magic number.
 *
 * Microsoft saw the 2021 Exchange intruders stage stolen data with 7-Zip
 * and makecab in ProgramData, Windows\Temp and the web folders (mailbox
 * exports, LSASS dumps, recon output). These rules only say what kind of
 * archive a file is, whatever its name; the scan decides where an archive
 * matters (web folders, ProgramData, Temp) and grades it there.
 */

rule staging_archive_cab {
    meta:
        description = "Microsoft Cabinet (CAB) archive"
        severity = "medium"
        kind = "staging-archive"
        reference = "https://www.microsoft.com/security/blog/2021/03/02/hafnium-targeting-exchange-servers/"
        author = "exhunt"
    strings:
        $magic = { 4D 53 43 46 00 00 00 00 }
    condition:
        $magic at 0
}

rule staging_archive_7z {
    meta:
        description = "7-Zip archive"
        severity = "medium"
        kind = "staging-archive"
        reference = "https://www.microsoft.com/security/blog/2021/03/02/hafnium-targeting-exchange-servers/"
        author = "exhunt"
    strings:
        $magic = { 37 7A BC AF 27 1C }
    condition:
        $magic at 0
}

rule staging_archive_rar {
    meta:
        description = "RAR archive (RAR 4 or RAR 5)"
        severity = "medium"
        kind = "staging-archive"
        reference = "https://www.microsoft.com/security/blog/2021/03/02/hafnium-targeting-exchange-servers/"
        author = "exhunt"
    strings:
        $magic = { 52 61 72 21 1A 07 ( 00 | 01 00 ) }
    condition:
        $magic at 0
}

rule staging_archive_zip {
    meta:
        description = "ZIP archive (or a ZIP-based format: Office document, JAR, NuGet package)"
        severity = "medium"
        kind = "staging-archive"
        reference = "https://www.microsoft.com/security/blog/2021/03/02/hafnium-targeting-exchange-servers/"
        author = "exhunt"
    strings:
        $magic = { 50 4B 03 04 }
    condition:
        $magic at 0
}
