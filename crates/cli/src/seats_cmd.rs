//! The `skytale seats` subcommand: an allocation from a CSV file, for journalists' what-ifs
//! and for checking a published allocation by hand.
//!
//! Input: UTF-8 CSV with a header `constituency,party,votes[,seats]` (any column order, no
//! other columns). One constituency: a single allocation of `--seats` seats (default: the sum
//! of the `seats` column). Several constituencies: one allocation each with `--seats` seats per
//! constituency (default: each constituency's `seats` sum, less its levelling seats), plus
//! optional national levelling seats (`--levelling-seats N` per constituency,
//! `--levelling-threshold PCT`), or `--system norway` for the Storting rules. When the file
//! has a `seats` column the output also lists where the official seats differ.
//!
//! Output: a readable report, or with `--csv` the lines `party,votes,seats` (one
//! constituency) or `constituency,party,votes,seats,levelling_seats` (several; seats include
//! levelling seats).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;

use skytale_seats::{
    allocate_system, allocate_with, Allocation, ConstituencySeats, Context, Fraction, Levelling,
    LevellingStatus, Method, Placement, Rules, Scope, SeatsError, SystemAllocation, SystemRules,
    Threshold, TieRule,
};

/// Most data rows a file may have.
pub const MAX_ROWS: usize = 1_000_000;

/// A preset multi-constituency system.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum SystemPreset {
    /// Norwegian Storting: modified Sainte-Laguë 1.4 with (seats − 1) district seats per
    /// county, one levelling seat per county to parties with 4 % nationally (§ 11-6).
    Norway,
}

/// Arguments of `skytale seats`.
#[derive(clap::Args, Debug, Clone)]
#[command(about = "Allocate party-list seats from a CSV file (constituency,party,votes[,seats])")]
pub struct SeatsArgs {
    /// Method: dhondt, sainte-lague, modified-sainte-lague, imperiali, danish, hare, droop,
    /// hagenbach-bischoff, imperiali-quota. Required unless --system is given.
    #[arg(long, short = 'm')]
    pub method: Option<Method>,
    /// Seats to fill (per constituency). Default: the sum of the file's `seats` column.
    #[arg(long, short = 's')]
    pub seats: Option<u32>,
    /// First divisor of a highest-averages method, e.g. 1.4 or 7/5.
    #[arg(long)]
    pub first_divisor: Option<Fraction>,
    /// Threshold in percent of valid votes, e.g. 5 or 2.5.
    #[arg(long)]
    pub threshold: Option<Fraction>,
    /// Where the threshold is measured (several constituencies only).
    #[arg(long, value_enum, default_value_t = ThresholdScope::Constituency)]
    pub threshold_scope: ThresholdScope,
    /// Valid votes the threshold is a share of, when the file lists only some lists
    /// (national total when there are several constituencies). Default: the sum of the rows.
    #[arg(long)]
    pub valid_votes: Option<u64>,
    /// Tie-break criteria in order, comma separated: most-votes, list-order, lot.
    #[arg(long, value_delimiter = ',', default_value = "most-votes,list-order")]
    pub tie_break: Vec<TieRuleArg>,
    /// The published seed for drawing lots (with --tie-break lot).
    #[arg(long)]
    pub lot_seed: Option<String>,
    /// Levelling seats per constituency (several constituencies).
    #[arg(long)]
    pub levelling_seats: Option<u32>,
    /// Share of the national vote, in percent, that qualifies for levelling seats.
    #[arg(long)]
    pub levelling_threshold: Option<Fraction>,
    /// A preset system; the file's `seats` column (or --seats) gives each constituency's
    /// total seats, levelling included.
    #[arg(long, value_enum)]
    pub system: Option<SystemPreset>,
    /// Print `party,votes,seats` lines for scripts instead of the report.
    #[arg(long)]
    pub csv: bool,
    /// The CSV file.
    pub file: PathBuf,
}

/// `--threshold-scope`.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ThresholdScope {
    /// Share of each constituency's votes.
    Constituency,
    /// Share of the national votes.
    National,
}

/// `--tie-break` values.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum TieRuleArg {
    /// More votes wins.
    MostVotes,
    /// Listed first in the file wins.
    ListOrder,
    /// Drawn by lot from --lot-seed.
    Lot,
}

impl From<TieRuleArg> for TieRule {
    fn from(a: TieRuleArg) -> TieRule {
        match a {
            TieRuleArg::MostVotes => TieRule::MostVotes,
            TieRuleArg::ListOrder => TieRule::ListOrder,
            TieRuleArg::Lot => TieRule::Lot,
        }
    }
}

/// One data row of the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    /// The constituency.
    pub constituency: String,
    /// The party.
    pub party: String,
    /// Its votes.
    pub votes: u64,
    /// Its official seats, when the file has them.
    pub seats: Option<u32>,
    /// The 1-based line in the file.
    pub line: u64,
}

/// Runs the subcommand and returns what to print on stdout (pure except reading FILE).
pub fn run(args: &SeatsArgs) -> Result<String, SeatsError> {
    let file = args.file.display().to_string();
    let bytes = std::fs::read(&args.file).map_err(|e| SeatsError::Input {
        file: file.clone(),
        line: 0,
        column: None,
        why: format!("cannot read: {e}"),
    })?;
    let rows = parse_rows(&file, &bytes)?;
    run_rows(args, &file, &rows)
}

/// Parses the CSV text of a file named `file` (for messages).
pub fn parse_rows(file: &str, bytes: &[u8]) -> Result<Vec<Row>, SeatsError> {
    let input = |line: u64, column: Option<&str>, why: String| SeatsError::Input {
        file: file.to_string(),
        line,
        column: column.map(str::to_string),
        why,
    };
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .trim(csv::Trim::All)
        .from_reader(bytes);
    let headers = rdr
        .headers()
        .map_err(|e| input(1, None, format!("header: {e}")))?
        .clone();
    let mut col: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, h) in headers.iter().enumerate() {
        let h = h.trim_start_matches('\u{feff}');
        let known = ["constituency", "party", "votes", "seats"];
        let Some(k) = known.iter().find(|k| k.eq_ignore_ascii_case(h)) else {
            return Err(input(
                1,
                Some(h),
                "unknown column; expected constituency,party,votes[,seats]".into(),
            ));
        };
        if col.insert(k, i).is_some() {
            return Err(input(1, Some(h), "column appears twice".into()));
        }
    }
    for need in ["constituency", "party", "votes"] {
        if !col.contains_key(need) {
            return Err(input(
                1,
                Some(need),
                "missing column; expected constituency,party,votes[,seats]".into(),
            ));
        }
    }
    let mut rows = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line());
            input(line, None, e.to_string())
        })?;
        let line = rec.position().map_or(0, |p| p.line());
        if rows.len() >= MAX_ROWS {
            return Err(input(line, None, format!("more than {MAX_ROWS} rows")));
        }
        let field = |name: &str| col.get(name).and_then(|&i| rec.get(i)).unwrap_or("");
        let text = |name: &'static str| -> Result<String, SeatsError> {
            let v = field(name);
            if v.is_empty() {
                return Err(input(line, Some(name), "empty".into()));
            }
            Ok(v.to_string())
        };
        let number = |name: &'static str, max: u64| -> Result<u64, SeatsError> {
            let v = field(name);
            if v.is_empty() {
                return Err(input(line, Some(name), "empty".into()));
            }
            if v.starts_with('-') {
                return Err(input(line, Some(name), format!("{v:?} is negative")));
            }
            if !v.bytes().all(|b| b.is_ascii_digit()) {
                return Err(input(
                    line,
                    Some(name),
                    format!("{v:?} is not a whole number (digits only, no separators)"),
                ));
            }
            match v.parse::<u64>() {
                Ok(n) if n <= max => Ok(n),
                _ => Err(input(
                    line,
                    Some(name),
                    format!("{v} is more than the largest accepted value {max}"),
                )),
            }
        };
        let constituency = text("constituency")?;
        let party = text("party")?;
        let votes = number("votes", u64::MAX)?;
        let seats = if col.contains_key("seats") {
            Some(number("seats", u64::from(skytale_seats::MAX_SEATS))? as u32)
        } else {
            None
        };
        if !seen.insert((constituency.clone(), party.clone())) {
            return Err(input(
                line,
                Some("party"),
                format!("{party:?} appears twice in constituency {constituency:?}"),
            ));
        }
        rows.push(Row {
            constituency,
            party,
            votes,
            seats,
            line,
        });
    }
    if rows.is_empty() {
        return Err(input(1, None, "no data rows".into()));
    }
    Ok(rows)
}

/// The constituencies in order of first appearance.
fn constituencies(rows: &[Row]) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::new();
    for r in rows {
        if !out.contains(&r.constituency.as_str()) {
            out.push(&r.constituency);
        }
    }
    out
}

/// Runs on parsed rows.
pub fn run_rows(args: &SeatsArgs, file: &str, rows: &[Row]) -> Result<String, SeatsError> {
    let cs = constituencies(rows);
    let has_official = rows.iter().all(|r| r.seats.is_some());
    let official_sum = |c: &str| -> u32 {
        rows.iter()
            .filter(|r| r.constituency == c)
            .map(|r| r.seats.unwrap_or(0))
            .sum()
    };
    let tie_break: Vec<TieRule> = args.tie_break.iter().map(|t| (*t).into()).collect();
    let missing_seats = || SeatsError::Input {
        file: file.to_string(),
        line: 1,
        column: Some("seats".into()),
        why: "give --seats N or a `seats` column".into(),
    };
    let threshold = args.threshold.map(|percent| Threshold {
        percent,
        scope: match args.threshold_scope {
            ThresholdScope::Constituency => Scope::Constituency,
            ThresholdScope::National => Scope::National,
        },
        or_constituency_seats: None,
    });

    if cs.len() == 1 && args.system.is_none() && args.levelling_seats.is_none() {
        let method = args.method.ok_or_else(missing_method)?;
        let seats = match args.seats {
            Some(s) => s,
            None if has_official => official_sum(cs[0]),
            None => return Err(missing_seats()),
        };
        let rules = Rules {
            method,
            seats,
            first_divisor: args.first_divisor,
            threshold,
            tie_break,
            lot_seed: args.lot_seed.clone(),
        };
        let votes: Vec<(&str, u64)> = rows.iter().map(|r| (r.party.as_str(), r.votes)).collect();
        let ctx = Context {
            valid_votes: args.valid_votes,
            ..Context::default()
        };
        let a = allocate_with(&rules, &votes, &ctx)?;
        let official: Option<Vec<u32>> = rows.iter().map(|r| r.seats).collect();
        return Ok(if args.csv {
            single_csv(&a)
        } else {
            single_report(&a, official.as_deref(), args.valid_votes.is_some())
        });
    }

    // Several constituencies (or levelling).
    let mut rules = match args.system {
        Some(SystemPreset::Norway) => {
            let counties: Vec<(&str, u32)> = cs
                .iter()
                .map(|c| {
                    let s = match args.seats {
                        Some(s) => s,
                        None if has_official => official_sum(c),
                        None => 0,
                    };
                    (*c, s)
                })
                .collect();
            if counties.iter().all(|(_, s)| *s == 0) {
                return Err(missing_seats());
            }
            let mut r = SystemRules::norway(&counties);
            if let Some(m) = args.method {
                r.method = m;
            }
            r
        }
        None => {
            let method = args.method.ok_or_else(missing_method)?;
            let lev = args.levelling_seats.unwrap_or(0);
            let mut list = Vec::new();
            for c in &cs {
                let total = match args.seats {
                    Some(s) => s + lev,
                    None if has_official => official_sum(c),
                    None => return Err(missing_seats()),
                };
                list.push(ConstituencySeats {
                    id: c.to_string(),
                    seats: total.saturating_sub(lev),
                    levelling_seats: lev,
                });
            }
            SystemRules {
                method,
                first_divisor: None,
                threshold: None,
                constituencies: list,
                levelling: args.levelling_seats.map(|_| Levelling {
                    threshold: Threshold {
                        percent: args.levelling_threshold.unwrap_or(Fraction::ZERO),
                        scope: Scope::National,
                        or_constituency_seats: None,
                    },
                    method: None,
                    first_divisor: None,
                    placement: Placement::RelativeQuotient,
                }),
                tie_break: Vec::new(),
                lot_seed: None,
            }
        }
    };
    if args.first_divisor.is_some() {
        rules.first_divisor = args.first_divisor;
    }
    if threshold.is_some() {
        rules.threshold = threshold;
    }
    if let (Some(l), Some(t)) = (rules.levelling.as_mut(), args.levelling_threshold) {
        l.threshold.percent = t;
    }
    rules.tie_break = tie_break;
    rules.lot_seed = args.lot_seed.clone();
    let votes: Vec<(&str, &str, u64)> = rows
        .iter()
        .map(|r| (r.constituency.as_str(), r.party.as_str(), r.votes))
        .collect();
    let sys = allocate_system(&rules, &votes, args.valid_votes)?;
    Ok(if args.csv {
        system_csv(&sys)
    } else {
        system_report(&rules, &sys, rows, has_official)
    })
}

fn missing_method() -> SeatsError {
    SeatsError::InvalidRules {
        field: "method",
        why: format!(
            "give --method (one of {}) or --system",
            skytale_seats::known_methods()
        ),
    }
}

/// `1234567` → `1,234,567`.
pub fn thousands(n: u128) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// A quotient as `347,631.154 (4519205/13)`.
fn quotient(q: Fraction) -> String {
    let d = q.to_decimal(3);
    let (w, f) = d.split_once('.').unwrap_or((&d, ""));
    let whole = thousands(w.parse().unwrap_or(0));
    let r = q.reduced();
    if r.denom() == 1 {
        whole
    } else {
        format!("{whole}.{f} ({r})")
    }
}

fn width(items: impl Iterator<Item = usize>, min: usize) -> usize {
    items.max().unwrap_or(0).max(min)
}

fn pad(s: &str, w: usize) -> String {
    let n = s.chars().count();
    format!("{s}{}", " ".repeat(w.saturating_sub(n)))
}

fn single_csv(a: &Allocation) -> String {
    let mut out = String::from("party,votes,seats\n");
    for p in &a.parties {
        let _ = writeln!(out, "{},{},{}", csv_field(&p.party), p.votes, p.seats);
    }
    out
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn threshold_text(a: &Allocation) -> String {
    match a.threshold_percent {
        Some(t) => format!("threshold {}%", t.to_decimal_trimmed()),
        None => "no threshold".into(),
    }
}

fn single_report(a: &Allocation, official: Option<&[u32]>, explicit_base: bool) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}: {} seats among {} lists, {}",
        a.method.describe(a.first_divisor),
        a.seats,
        a.parties.len(),
        threshold_text(a)
    );
    let _ = writeln!(
        out,
        "Valid votes: {} ({})",
        thousands(u128::from(a.threshold_base)),
        if explicit_base {
            "given"
        } else {
            "sum of the rows"
        }
    );
    if let Some(q) = a.quota {
        let _ = writeln!(out, "Quota: {}", quotient(q));
    }
    out.push('\n');
    let pw = width(a.parties.iter().map(|p| p.party.chars().count()), 5);
    let _ = writeln!(
        out,
        "{}  {:>12}  {:>7}  {:>5}{}  {:>15}",
        pad("party", pw),
        "votes",
        "share",
        "seats",
        if official.is_some() { "  official" } else { "" },
        "+votes for +1"
    );
    for (i, p) in a.parties.iter().enumerate() {
        let share = Fraction::new(
            u128::from(p.votes) * 100,
            u128::from(a.threshold_base).max(1),
        )
        .unwrap_or(Fraction::ZERO);
        let off = official
            .and_then(|o| o.get(i))
            .map(|o| {
                let mark = if *o == p.seats { ' ' } else { '*' };
                format!("  {o:>7}{mark} ")
            })
            .unwrap_or_default();
        let next = p
            .votes_to_next_seat
            .map_or("-".to_string(), |v| thousands(u128::from(v)));
        let _ = write!(
            out,
            "{}  {:>12}  {:>6}%  {:>5}{}  {:>15}",
            pad(&p.party, pw),
            thousands(u128::from(p.votes)),
            share.to_decimal(2),
            p.seats,
            off,
            next
        );
        if let Some(always) = p.votes_to_next_seat_always {
            // Droop's whole-number quota: a few votes more can lose the seat again.
            let _ = write!(
                out,
                "  (for certain from +{})",
                thousands(u128::from(always))
            );
        }
        if let Some(e) = &p.exclusion {
            let _ = write!(out, "  excluded: {e}");
        }
        out.push('\n');
    }
    out.push('\n');
    let label = if a.quota.is_some() {
        "remainder"
    } else {
        "quotient"
    };
    match &a.last_seat {
        Some(s) => {
            let _ = writeln!(
                out,
                "Last seat won:     {} (its seat {}), {label} {}",
                s.party,
                s.party_seat,
                quotient(s.quotient)
            );
        }
        None => {
            let _ = writeln!(out, "Last seat won:     - (no seat went by {label})");
        }
    }
    if let Some(s) = &a.first_missed {
        let _ = writeln!(
            out,
            "First seat missed: {} (its seat {}), {label} {}",
            s.party,
            s.party_seat,
            quotient(s.quotient)
        );
    }
    tie_lines(&mut out, &a.ties);
    for n in &a.notes {
        let _ = writeln!(out, "Note: {n}");
    }
    if let Some(o) = official {
        let diffs: Vec<String> = a
            .parties
            .iter()
            .zip(o)
            .filter(|(p, o)| p.seats != **o)
            .map(|(p, o)| format!("{}: official {o}, computed {}", p.party, p.seats))
            .collect();
        if diffs.is_empty() {
            let _ = writeln!(out, "Official seats: all {} lists match.", a.parties.len());
        } else {
            let _ = writeln!(
                out,
                "Official seats differ (marked *): {}",
                diffs.join("; ")
            );
        }
    }
    out
}

fn tie_lines(out: &mut String, ties: &[skytale_seats::TieRecord]) {
    if ties.is_empty() {
        let _ = writeln!(out, "Ties: none decided a seat.");
    }
    for t in ties {
        let _ = writeln!(
            out,
            "Tie at {} ({} seat(s), quotient {}): {} tied, {} won by {}{}",
            t.at,
            t.seats,
            quotient(t.quotient),
            t.tied.join(", "),
            t.winners.join(", "),
            t.decided_by.name(),
            t.seed
                .as_ref()
                .map(|s| format!(" (seed {s:?})"))
                .unwrap_or_default()
        );
    }
}

fn system_csv(s: &SystemAllocation) -> String {
    let mut out = String::from("constituency,party,votes,seats,levelling_seats\n");
    for c in &s.constituencies {
        if let Some(a) = &c.district {
            for p in &a.parties {
                let lev = c.levelling.get(&p.party).copied().unwrap_or(0);
                let _ = writeln!(
                    out,
                    "{},{},{},{},{}",
                    csv_field(&c.id),
                    csv_field(&p.party),
                    p.votes,
                    p.seats + lev,
                    lev
                );
            }
        }
    }
    out
}

fn system_report(
    rules: &SystemRules,
    s: &SystemAllocation,
    rows: &[Row],
    has_official: bool,
) -> String {
    let mut out = String::new();
    let district: u32 = rules.constituencies.iter().map(|c| c.seats).sum();
    let lev: u32 = rules.constituencies.iter().map(|c| c.levelling_seats).sum();
    let _ = writeln!(
        out,
        "{}: {} constituencies, {} district + {} levelling seats",
        rules
            .method
            .describe(rules.first_divisor.or(rules.method.default_first_divisor())),
        rules.constituencies.len(),
        district,
        lev
    );
    if let Some(t) = &rules.threshold {
        let _ = writeln!(
            out,
            "District threshold: {}% ({})",
            t.percent.to_decimal_trimmed(),
            match t.scope {
                Scope::Constituency => "per constituency",
                Scope::National => "national",
            }
        );
    }
    if let Some(l) = &rules.levelling {
        let _ = writeln!(
            out,
            "Levelling: parties with at least {}% of the national votes",
            l.threshold.percent.to_decimal_trimmed()
        );
    }
    let official = |c: &str, p: &str| -> Option<u32> {
        rows.iter()
            .find(|r| r.constituency == c && r.party == p)
            .and_then(|r| r.seats)
    };
    let mut diffs = Vec::new();
    for c in &s.constituencies {
        let Some(a) = &c.district else {
            let _ = writeln!(out, "\n== {}: no votes yet", c.id);
            continue;
        };
        let levs: u32 = c.levelling.values().sum();
        let _ = writeln!(
            out,
            "\n== {} ({} district seats{})",
            c.id,
            a.seats,
            if levs > 0 {
                format!(" + {levs} levelling")
            } else {
                String::new()
            }
        );
        let pw = width(a.parties.iter().map(|p| p.party.chars().count()), 5);
        for p in a
            .parties
            .iter()
            .filter(|p| p.seats > 0 || c.levelling.contains_key(&p.party))
        {
            let l = c.levelling.get(&p.party).copied().unwrap_or(0);
            let total = p.seats + l;
            let off = official(&c.id, &p.party);
            let _ = writeln!(
                out,
                "  {}  {:>10}  {:>3}{}{}",
                pad(&p.party, pw),
                thousands(u128::from(p.votes)),
                p.seats,
                if l > 0 {
                    format!(" +{l} levelling")
                } else {
                    String::new()
                },
                match off {
                    Some(o) if o != total => format!("  (official {o})"),
                    _ => String::new(),
                }
            );
        }
        for p in &a.parties {
            let total = c.seats_of(&p.party);
            if let Some(o) = official(&c.id, &p.party) {
                if o != total {
                    diffs.push(format!(
                        "{} in {}: official {o}, computed {total}",
                        p.party, c.id
                    ));
                }
            }
        }
        if let (Some(l), Some(m)) = (&a.last_seat, &a.first_missed) {
            let _ = writeln!(
                out,
                "  last seat: {} {}; first missed: {} {}",
                l.party,
                quotient(l.quotient),
                m.party,
                quotient(m.quotient)
            );
        }
        for t in &a.ties {
            let _ = writeln!(
                out,
                "  tie at {}: {} won by {}",
                t.at,
                t.winners.join(", "),
                t.decided_by.name()
            );
        }
    }
    let _ = writeln!(out, "\n== National");
    let total_votes: u64 = s.parties.iter().map(|p| p.votes).sum();
    let pw = width(s.parties.iter().map(|p| p.party.chars().count()), 5);
    let _ = writeln!(
        out,
        "{}  {:>12}  {:>7}  {:>8}  {:>9}  {:>5}  status",
        pad("party", pw),
        "votes",
        "share",
        "district",
        "levelling",
        "total"
    );
    let mut parties: Vec<_> = s.parties.iter().collect();
    parties.sort_by(|a, b| b.votes.cmp(&a.votes).then(a.party.cmp(&b.party)));
    for p in parties {
        let share = Fraction::new(u128::from(p.votes) * 100, u128::from(total_votes).max(1))
            .unwrap_or(Fraction::ZERO);
        let status = match &p.levelling_status {
            LevellingStatus::NotApplicable => String::new(),
            LevellingStatus::Qualified { national_seats } => {
                format!("qualified, national share {national_seats}")
            }
            LevellingStatus::BelowThreshold { .. } => "below the levelling threshold".into(),
            LevellingStatus::OverRepresented {
                national_seats,
                round,
            } => format!("over-represented (share {national_seats}), removed in round {round}"),
        };
        let _ = writeln!(
            out,
            "{}  {:>12}  {:>6}%  {:>8}  {:>9}  {:>5}  {}",
            pad(&p.party, pw),
            thousands(u128::from(p.votes)),
            share.to_decimal(2),
            p.district_seats,
            p.levelling_seats,
            p.district_seats + p.levelling_seats,
            status
        );
    }
    if let Some(l) = &s.levelling {
        let _ = writeln!(
            out,
            "\nLevelling: {} seats shared nationally in the final round (round {}).",
            l.seats_shared, l.rounds
        );
        let _ = writeln!(out, "Placement of levelling seats:");
        for p in &l.placements {
            let _ = writeln!(
                out,
                "  {:>2}. {} in {} (relative quotient {})",
                p.order,
                p.party,
                p.constituency,
                p.quotient.to_decimal(6)
            );
        }
        tie_lines(&mut out, &l.ties);
    }
    if !s.pending.is_empty() {
        let _ = writeln!(out, "\nPending (no votes yet): {}", s.pending.join(", "));
    }
    if has_official {
        if diffs.is_empty() {
            let _ = writeln!(
                out,
                "\nOfficial seats: all match (every list in every constituency)."
            );
        } else {
            let _ = writeln!(out, "\nOfficial seats differ:");
            for d in diffs {
                let _ = writeln!(out, "  {d}");
            }
        }
    }
    out
}
