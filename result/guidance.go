package result

// What a verdict means and where to read more, in words for the person who
// has to act on it. Writers take the wording from here, so that every
// report says the same thing; the next steps themselves are part of each
// verdict (Verdict.NextSteps).

// verdictMeanings say each verdict level in plain words.
var verdictMeanings = map[string]string{
	VerdictCompromised: "The evidence shows an attack that worked: requests that reached Exchange's back end, " +
		"web shells written or used, or what attackers do once inside. Treat the server, and the accounts used on it, " +
		"as in the attacker's hands since the first sign of compromise.",
	VerdictAttempted: "Someone tried, or something needs a person's judgement: the evidence shows exploitation " +
		"attempts, probes or suspicious files, but no proof that an attack worked.",
	VerdictClean: "Nothing of these attacks was found in what was read. That covers only the period the logs reach " +
		"and the checks that ran (see the caveats and the checks not run): it is not proof that nothing happened.",
	VerdictInconclusive: "No answer could be given: nothing of an Exchange server was found to examine, or the scan " +
		"did not finish. Silence here means nothing either way.",
}

// VerdictMeaning says a verdict level in plain words; "" for a level it
// does not know.
func VerdictMeaning(level string) string { return verdictMeanings[level] }

// Advisory is a public source of guidance on the 2021 attacks that a
// report links to, never fetches.
type Advisory struct {
	Publisher string
	Title     string
	URL       string
	// About says what a reader finds there.
	About string
}

// The advisories reports point to.
var (
	AdvisoryMSRCUpdates = Advisory{
		Publisher: "Microsoft Security Response Center",
		Title:     "Multiple Security Updates Released for Exchange Server (2 March 2021)",
		URL:       "https://msrc.microsoft.com/blog/2021/03/multiple-security-updates-released-for-exchange-server/",
		About:     "the security updates for each Exchange version, and Microsoft's guidance for servers that cannot be updated at once",
	}
	AdvisoryCISA = Advisory{
		Publisher: "CISA",
		Title:     "AA21-062A: Mitigate Microsoft Exchange Server Vulnerabilities",
		URL:       "https://www.cisa.gov/news-events/cybersecurity-advisories/aa21-062a",
		About:     "the response to a compromise: forensic images and logs to keep, indicators to search for, what to do once compromise is found",
	}
	AdvisoryHafnium = Advisory{
		Publisher: "Microsoft Threat Intelligence",
		Title:     "HAFNIUM targeting Exchange Servers with 0-day exploits",
		URL:       "https://www.microsoft.com/en-us/security/blog/2021/03/02/hafnium-targeting-exchange-servers/",
		About:     "what the attackers did after getting in (web shells, credential dumps, mailbox exports, archives) and how to hunt for it",
	}
)

// AdvisoriesFor lists the advisories that help with a verdict: all of
// them where there is evidence of an attack, the updates alone otherwise.
func AdvisoriesFor(level string) []Advisory {
	switch level {
	case VerdictCompromised, VerdictAttempted:
		return []Advisory{AdvisoryMSRCUpdates, AdvisoryCISA, AdvisoryHafnium}
	}
	return []Advisory{AdvisoryMSRCUpdates}
}
