//! What every fuzz target does with its input: `derive_definition` from the bytes, then
//! `import_results` of the same bytes into that definition (when it derives and validates), so
//! both halves of `election create --from FILE` + `submit FILE` run on every input. Errors are
//! expected; a panic, overflow or hang is a finding.

use skytale_formats::{
    derive_definition_with, import_results, DeriveOptions, Format, ImportOptions, Mapping,
};
use skytale_model::ReportStatus;
use skytale_note::SigningKey;

const ELECTION: &str = "fuzz-2024-01-01";

/// Derive, then import the same bytes into the derived definition.
pub fn exercise(format: Format, data: &[u8], mapping: Option<&Mapping>) {
    let (Ok(a), Ok(r)) = (
        SigningKey::from_seed("authority", [1; 32]),
        SigningKey::from_seed("county", [2; 32]),
    ) else {
        return;
    };
    let opts = DeriveOptions {
        date: None,
        mapping,
    };
    let Ok(def) = derive_definition_with(
        format,
        data,
        ELECTION,
        a.verifier(),
        "c",
        r.verifier(),
        &opts,
    ) else {
        return;
    };
    let Ok(def) = def.validate() else {
        return;
    };
    let io = ImportOptions {
        election: ELECTION,
        version: 1,
        submitted_at: "2024-01-01T00:00:00Z",
        status: ReportStatus::Partial,
        mapping,
        source_name: Some("fuzz"),
    };
    let _ = import_results(format, data, &def, &io);
}

/// The CVR readers of skytale-rcv (ranked-choice cast vote records) read the files an RCTab
/// config names; each target gives its input as that file, in memory
/// ([`skytale_rcv::readers::files::Memory`]: no temporary file), and reads it with
/// [`skytale_rcv::readers::read_all_in`]. For the folder formats the input is split at NUL
/// bytes into the folder's files (Dominion: contest manifest, candidate manifest, CVR export;
/// Hart: one XML file per part). Errors are expected; a panic, overflow or hang is a finding.
pub mod cvr {
    use std::path::Path;

    use skytale_rcv::config::ContestConfig;
    use skytale_rcv::readers::files::Memory;
    use skytale_rcv::readers::read_all_in;

    /// Which reader, with what its config source says.
    #[derive(Clone, Copy)]
    pub enum Provider {
        GenericCsv,
        ClearBallot,
        Ess,
        CdfJson,
        CdfXml,
        Dominion,
        Hart,
    }

    impl Provider {
        fn name(self) -> &'static str {
            match self {
                Provider::GenericCsv => "genericCsv",
                Provider::ClearBallot => "clearBallot",
                Provider::Ess => "ess",
                Provider::CdfJson | Provider::CdfXml => "cdf",
                Provider::Dominion => "dominion",
                Provider::Hart => "hart",
            }
        }
        fn file(self) -> &'static str {
            match self {
                Provider::GenericCsv | Provider::ClearBallot => "cvr.csv",
                Provider::Ess => "cvr.xlsx",
                Provider::CdfJson => "cvr.json",
                Provider::CdfXml => "cvr.xml",
                Provider::Dominion | Provider::Hart => "cvr",
            }
        }
    }

    fn config(p: Provider) -> String {
        let columns = match p {
            Provider::GenericCsv => ("4", "2", "1"),
            Provider::Ess => ("4", "2", "1"),
            _ => ("", "", ""),
        };
        format!(
            r#"{{"tabulatorVersion":"TEST","outputSettings":{{"contestName":"Fuzz","outputDirectory":"output","contestDate":"","contestJurisdiction":"","contestOffice":"","tabulateByPrecinct":false,"generateCdfJson":false}},
"cvrFileSources":[{{"filePath":"{}","contestId":"1","firstVoteColumnIndex":"{}","firstVoteRowIndex":"{}","idColumnIndex":"{}","batchColumnIndex":"","precinctColumnIndex":"","overvoteDelimiter":"","provider":"{}","overvoteLabel":"","skippedRankLabel":"","undeclaredWriteInLabel":"UWI","treatBlankAsUndeclaredWriteIn":false}}],
"candidates":[{{"name":"A","excluded":false,"aliases":["1"]}},{{"name":"B","excluded":false,"aliases":["2"]}},{{"name":"C","excluded":false,"aliases":["3"]}}],
"rules":{{"tiebreakMode":"useCandidateOrder","overvoteRule":"exhaustImmediately","winnerElectionMode":"singleWinnerMajority","randomSeed":"","numberOfWinners":"1","multiSeatBottomsUpPercentageThreshold":"","decimalPlacesForVoteArithmetic":"4","minimumVoteThreshold":"0","maxSkippedRanksAllowed":"1","maxRankingsAllowed":"15","nonIntegerWinningThreshold":false,"doesFirstRoundDetermineThreshold":false,"hareQuota":false,"batchElimination":true,"continueUntilTwoCandidatesRemain":false,"stopTabulationEarlyAfterRound":"","exhaustOnDuplicateCandidate":false,"rulesDescription":"fuzz","treatBlankAsUndeclaredWriteIn":false}}}}"#,
            p.file(),
            columns.0,
            columns.1,
            columns.2,
            p.name()
        )
    }

    /// Where the config sits (never on disk: every file is in memory).
    const ROOT: &str = "/fuzz";

    fn input_files(p: Provider, data: &[u8]) -> Memory {
        let mut files = Memory::new();
        let target = Path::new(ROOT).join(p.file());
        match p {
            Provider::Dominion | Provider::Hart => {
                let names: &[&str] = match p {
                    Provider::Dominion => &[
                        "ContestManifest.json",
                        "CandidateManifest.json",
                        "CvrExport.json",
                    ],
                    _ => &["a.xml", "b.xml", "c.xml", "d.xml"],
                };
                for (name, part) in names.iter().zip(data.split(|b| *b == 0)) {
                    files.insert(target.join(name), part.to_vec());
                }
            }
            _ => files.insert(target, data.to_vec()),
        }
        files
    }

    /// Reads `data` as the CVR of provider `p`.
    pub fn exercise(p: Provider, data: &[u8]) {
        let Ok(raw) = serde_json::from_str(&config(p)) else {
            return;
        };
        let Ok(config) = ContestConfig::from_raw(raw, &Path::new(ROOT).join("config.json"))
        else {
            return;
        };
        let table = skytale_rcv::ballots::CandidateTable::from_config(&config);
        let read = read_all_in(&input_files(p, data), &config, &table, &mut |_| {});
        // `SKYTALE_FUZZ_SHOW=1 target/.../cvr_x FILE` shows what a seed input gives, to check
        // that valid inputs get past the config to the reader.
        if std::env::var_os("SKYTALE_FUZZ_SHOW").is_some() {
            match read {
                Ok(store) => eprintln!("read {} ballots", store.total()),
                Err(e) => eprintln!("refused: {e}"),
            }
        }
    }
}
