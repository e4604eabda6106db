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
)
