package mitigations

import (
	"fmt"
	"strings"
)

// psQuote writes a PowerShell single-quoted string literal: nothing in it
// is expanded, and a quote is doubled.
func psQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

func psList(items []string) string {
	q := make([]string, len(items))
	for i, s := range items {
		q[i] = psQuote(s)
	}
	return "@(" + strings.Join(q, ", ") + ")"
}

// rewriteRule is one of the two published rules with its condition.
type rewriteRule struct {
	name, pattern string
	stop          bool
}

var rules = []rewriteRule{
	{RewriteRules[0], "(.*)X-AnonResource-Backend(.*)", false},
	{RewriteRules[1], "(.*)X-BEResource=(.+)/(.+)~(.+)", true},
}

const header = `#Requires -Version 3
<#
%s
Written by exhunt %s for an administrator to review and run on the Exchange
server, in an elevated PowerShell ("Run as administrator"). exhunt itself
never changes a server. -WhatIf shows what would change without changing it.

These are Microsoft's temporary mitigations of March 2021. They block the
published exploits, not the vulnerabilities: install the security update
for your build (exhunt build BUILD names it), then remove them with the
script of "exhunt mitigate --script --rollback".
#>
[CmdletBinding(SupportsShouldProcess = $true)]
param(
    [string]$WebSiteName = 'Default Web Site'
)
$ErrorActionPreference = 'Stop'

$identity = [Security.Principal.WindowsIdentity]::GetCurrent()
$principal = New-Object Security.Principal.WindowsPrincipal($identity)
if (-not $principal.IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator)) {
    throw 'Run this script in an elevated PowerShell (Run as administrator).'
}
Import-Module WebAdministration

$site = "IIS:\Sites\$WebSiteName"
$rules = 'system.webServer/rewrite/rules'

function Set-ServiceState {
    [CmdletBinding(SupportsShouldProcess = $true)]
    param([string[]]$Names, [string]$StartupType, [bool]$Running)
    foreach ($name in $Names) {
        $service = Get-Service -Name $name -ErrorAction SilentlyContinue
        if ($null -eq $service) { continue }
        if ($PSCmdlet.ShouldProcess($name, "Set startup type $StartupType")) {
            if (-not $Running) { Stop-Service -Name $name -Force }
            Set-Service -Name $name -StartupType $StartupType
            if ($Running) { Start-Service -Name $name }
        }
    }
}
`

// Script returns the PowerShell script that applies the mitigations, or
// removes them when rollback is set. version names the exhunt that wrote
// it.
func Script(rollback bool, version string) string {
	var b strings.Builder
	title := "Applies Microsoft's temporary mitigations of CVE-2021-26855, CVE-2021-26857,\nCVE-2021-26858 and CVE-2021-27065 to this Exchange server."
	if rollback {
		title = "Removes Microsoft's temporary mitigations of CVE-2021-26855, CVE-2021-26857,\nCVE-2021-26858 and CVE-2021-27065 from this Exchange server, once it is patched."
	}
	fmt.Fprintf(&b, header, title, version)
	if rollback {
		writeRollback(&b)
	} else {
		writeApply(&b)
	}
	return b.String()
}

func writeApply(b *strings.Builder) {
	fmt.Fprintf(b, `
# CVE-2021-26855 needs the IIS URL Rewrite module (2.1), which this script
# does not fetch: check it before changing anything.
if (-not (Test-Path (Join-Path $env:windir 'System32\inetsrv\rewrite.dll'))) {
    throw 'The IIS URL Rewrite module is not installed: install URL Rewrite 2.1 from Microsoft, then run this script again. Nothing was changed.'
}

# Managed Availability would start what the mitigations stop: stop it first.
Set-ServiceState -Names %s -StartupType Disabled -Running $false

# CVE-2021-26855: abort requests that carry the forged back-end cookies.
`, psList(HealthServices))
	for _, r := range rules {
		name := psQuote(r.name)
		stop := "$false"
		if r.stop {
			stop = "$true"
		}
		fmt.Fprintf(b, `if ($PSCmdlet.ShouldProcess($WebSiteName, 'Add URL Rewrite rule ' + %[1]s)) {
    $rule = "$rules/rule[@name=" + "'" + %[1]s + "'" + "]"
    Clear-WebConfiguration -PSPath $site -Filter $rule -ErrorAction SilentlyContinue
    Add-WebConfigurationProperty -PSPath $site -Filter $rules -Name '.' -Value @{ name = %[1]s; patternSyntax = 'Regular Expressions'; stopProcessing = %[2]s }
    Set-WebConfigurationProperty -PSPath $site -Filter "$rule/match" -Name 'url' -Value '.*'
    Add-WebConfigurationProperty -PSPath $site -Filter "$rule/conditions" -Name '.' -Value @{ input = '{HTTP_COOKIE}'; pattern = %[3]s }
    Set-WebConfigurationProperty -PSPath $site -Filter "$rule/action" -Name 'type' -Value 'AbortRequest'
}
`, name, stop, psQuote(r.pattern))
	}
	fmt.Fprintf(b, `
# CVE-2021-26857: disable Unified Messaging (Exchange 2013 and 2016).
Set-ServiceState -Names %s -StartupType Disabled -Running $false

# CVE-2021-27065 and CVE-2021-26858: stop the ECP and OAB application pools.
# The Exchange admin center (ECP) is unavailable while they are stopped.
foreach ($pool in %s) {
    $path = "IIS:\AppPools\$pool"
    if (-not (Test-Path $path)) { continue }
    if ($PSCmdlet.ShouldProcess($pool, 'Stop and keep from starting')) {
        Set-ItemProperty -Path $path -Name startMode -Value OnDemand
        Set-ItemProperty -Path $path -Name autoStart -Value $false
        Stop-WebAppPool -Name $pool -ErrorAction SilentlyContinue
    }
}

Write-Host 'The mitigations are in place. Scan the server again with exhunt: it reports them as "mitigated, temporary".'
`, psList(UMServices), psList([]string{ECPAppPool, OABAppPool}))
}

func writeRollback(b *strings.Builder) {
	fmt.Fprintf(b, `
# Remove the URL Rewrite rules of CVE-2021-26855.
foreach ($name in %s) {
    if ($PSCmdlet.ShouldProcess($WebSiteName, 'Remove URL Rewrite rule ' + $name)) {
        Clear-WebConfiguration -PSPath $site -Filter ("$rules/rule[@name=" + "'" + $name + "'" + "]") -ErrorAction SilentlyContinue
    }
}

# Start the ECP and OAB application pools again.
foreach ($pool in %s) {
    $path = "IIS:\AppPools\$pool"
    if (-not (Test-Path $path)) { continue }
    if ($PSCmdlet.ShouldProcess($pool, 'Start and start automatically')) {
        Set-ItemProperty -Path $path -Name autoStart -Value $true
        Start-WebAppPool -Name $pool -ErrorAction SilentlyContinue
    }
}

# Enable Unified Messaging and Managed Availability again.
Set-ServiceState -Names %s -StartupType Automatic -Running $true
Set-ServiceState -Names %s -StartupType Automatic -Running $true

Write-Host 'The mitigations are removed.'
`, psList(RewriteRules), psList([]string{ECPAppPool, OABAppPool}), psList(UMServices), psList(HealthServices))
}
