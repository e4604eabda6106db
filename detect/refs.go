package detect

// Public sources that rules cite in the catalogue.
const (
	RefMicrosoftHafnium = "https://www.microsoft.com/security/blog/2021/03/02/hafnium-targeting-exchange-servers/"
	// RefCompareExchangeHashes is where Microsoft kept its baseline
	// comparison script and the baselines (removed in April 2021).
	RefCompareExchangeHashes = "https://github.com/microsoft/CSS-Exchange/tree/main/Security"
	RefTestProxyLogon        = "https://github.com/microsoft/CSS-Exchange/blob/main/Security/src/Test-ProxyLogon.ps1"
	RefMSRCMitigations       = "https://msrc.microsoft.com/blog/2021/03/microsoft-exchange-server-vulnerabilities-mitigations-march-2021/"
	RefCISAAA21062A          = "https://www.cisa.gov/news-events/cybersecurity-advisories/aa21-062a"
	RefEOMT                  = "https://github.com/microsoft/CSS-Exchange/blob/main/Security/src/EOMT.ps1"
	// RefVolexity is Volexity's report of the first exploitation
	// (request paths, user agents, addresses).
	RefVolexity = "https://www.volexity.com/blog/2021/03/02/active-exploitation-of-microsoft-exchange-zero-day-vulnerabilities/"
	// RefSigmaHafnium and RefSigmaIISRCE are the community's web server
	// rules for the campaign's requests.
	RefSigmaHafnium = "https://github.com/SigmaHQ/sigma/blob/master/rules-emerging-threats/2021/TA/HAFNIUM/web_exchange_exploitation_hafnium.yml"
	RefSigmaIISRCE  = "https://github.com/SigmaHQ/sigma/blob/master/rules-emerging-threats/2021/Exploits/CVE-2021-26858/web_cve_2021_26858_iis_rce.yml"
	// RefSigmaWebshellAccess is the community's rule for command lines in
	// web server access logs.
	RefSigmaWebshellAccess = "https://github.com/SigmaHQ/sigma/blob/master/rules/web/webserver_generic/web_win_webshells_in_access_logs.yml"
)
