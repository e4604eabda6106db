// Command gen makes exhunt's Exchange build table (builds/data/releases.tsv)
// and security-update CVE map (builds/data/su-cves.tsv) from the published
// lists:
//
//   - ExchangeBuildNumbers.csv, Microsoft's list behind
//     https://aka.ms/ExchangeBuildNumberDefinition (Get-ExchangeBuildNumber):
//     product name, build, date, KB;
//   - a CU/SU → build dictionary from CSS-Exchange's
//     Get-ExchangeBuildVersionInformation.ps1, which adds security updates
//     of 2018-2021 that Microsoft's list omits;
//   - a security update → CVE map from CSS-Exchange's HealthChecker, plus
//     builds/data/su-cves-extra.tsv.
//
// To refresh the table, fetch newer copies of these lists into a folder
// with the same file names and run, from the module root:
//
//	go run ./builds/gen -from ../shared/data/versions
//
// Where the two build lists disagree (the March 2021 update of Exchange
// 2016 CU8 and CU9 has two build numbers) both builds are kept, so both
// count as patched.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/exhunt/exhunt/builds"
)

func main() {
	from := flag.String("from", "../shared/data/versions", "folder with ExchangeBuildNumbers.csv, css-exchange_build_dictionary.csv and css-exchange_su_to_cves.csv")
	out := flag.String("out", "builds/data", "folder to write releases.tsv and su-cves.tsv to")
	flag.Parse()
	releases, suCVEs, err := builds.Generate(*from, filepath.Join(*out, "su-cves-extra.tsv"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
	for name, data := range map[string][]byte{"releases.tsv": releases, "su-cves.tsv": suCVEs} {
		if err := os.WriteFile(filepath.Join(*out, name), data, 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "gen:", err)
			os.Exit(1)
		}
	}
}
