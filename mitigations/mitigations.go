// Package mitigations names the temporary mitigations Microsoft published
// for the March 2021 Exchange vulnerabilities (the URL Rewrite rules of
// EOMT and ExchangeMitigations.ps1, the stopped ECP and OAB application
// pools, the disabled Unified Messaging services) and writes a PowerShell
// script that applies or removes them, for an administrator to review and
// run. exhunt itself never changes a server.
//
// The scan recognises exactly what the script writes: both use the names
// below.
package mitigations

// RewriteRules are the names of the two URL Rewrite rules that abort
// requests carrying the forged back-end cookies (CVE-2021-26855).
var RewriteRules = []string{"X-AnonResource-Backend Abort - inbound", "X-BEResource Abort - inbound"}

// Application pools whose stop mitigates CVE-2021-27065 (ECP) and
// CVE-2021-26858 (OAB).
const (
	ECPAppPool = "MSExchangeECPAppPool"
	OABAppPool = "MSExchangeOABAppPool"
)

// UMServices are the Unified Messaging services whose disabling mitigates
// CVE-2021-26857 (Exchange 2013 and 2016; 2019 has no UM).
var UMServices = []string{"MSExchangeUM", "MSExchangeUMCR"}

// HealthServices are Managed Availability's services, stopped so that it
// does not undo the mitigations.
var HealthServices = []string{"MSExchangeHM", "MSExchangeHMRecovery"}

// ServiceDisabled is the Start value of a disabled Windows service.
const ServiceDisabled = 4
