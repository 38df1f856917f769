//! The verification report: one entry per step, each failure naming what, where and why.

use std::fmt::Write as _;

use serde::Serialize;

/// Most failures kept per step (the rest are counted), so a wholesale forgery does not
/// produce a gigabyte report.
pub const MAX_FAILURES_PER_STEP: usize = 50;

/// One thing that does not hold.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Failure {
    /// What failed, as a short stable code (e.g. `entry_rejected`, `results_mismatch`).
    pub what: String,
    /// Where: entry index, tile path, URL/file and field.
    #[serde(rename = "where")]
    pub location: String,
    /// Why, in words.
    pub why: String,
}

impl Failure {
    /// A failure.
    pub fn new(what: &str, location: impl Into<String>, why: impl Into<String>) -> Failure {
        Failure {
            what: what.to_owned(),
            location: location.into(),
            why: why.into(),
        }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "[{}] {}: {}", self.what, self.location, self.why)
    }
}

/// The outcome of one step.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Step {
    /// Step number (1-5 as in the issue), for the reader.
    pub number: u8,
    /// Short name.
    pub name: String,
    /// `ok`, `failed` or `skipped`.
    pub status: StepStatus,
    /// One-line summary of what was checked.
    pub summary: String,
    /// Things worth knowing that are not failures (trust on first use, lag of a live site).
    pub notes: Vec<String>,
    /// What does not hold.
    pub failures: Vec<Failure>,
    /// Failures beyond [`MAX_FAILURES_PER_STEP`], counted only.
    pub more_failures: usize,
}

/// Status of a step.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StepStatus {
    /// Everything checked holds.
    #[default]
    Ok,
    /// Something does not hold.
    Failed,
    /// Not run because an earlier step failed.
    Skipped,
    /// Not asked for (e.g. step 5 without `--state`); does not make the report fail.
    NotRequested,
}

impl Step {
    /// A new step.
    pub fn new(number: u8, name: &str) -> Step {
        Step {
            number,
            name: name.to_owned(),
            ..Step::default()
        }
    }

    /// Records a failure (and marks the step failed).
    pub fn fail(&mut self, f: Failure) {
        self.status = StepStatus::Failed;
        if self.failures.len() < MAX_FAILURES_PER_STEP {
            self.failures.push(f);
        } else {
            self.more_failures += 1;
        }
    }

    /// Records a note.
    pub fn note(&mut self, n: impl Into<String>) {
        self.notes.push(n.into());
    }

    /// A skipped step with the reason.
    pub fn skipped(number: u8, name: &str, why: &str) -> Step {
        Step {
            number,
            name: name.to_owned(),
            status: StepStatus::Skipped,
            summary: why.to_owned(),
            ..Step::default()
        }
    }

    /// Whether the step holds.
    pub fn ok(&self) -> bool {
        self.status == StepStatus::Ok
    }
}

/// The whole report.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Report {
    /// The source verified.
    pub source: String,
    /// The election id.
    pub election: String,
    /// The checkpoint's tree size, if one was read.
    pub tree_size: Option<u64>,
    /// Every step, in order.
    pub steps: Vec<Step>,
    /// True only when no step failed and none was skipped.
    pub ok: bool,
    /// Seconds spent.
    pub seconds: f64,
    /// What was not compared, when something was not: a sample of the site's files, or
    /// artefacts the source could not serve (the verdict then never says that every check
    /// holds).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sample: Option<String>,
}

impl Report {
    /// Sets `ok` from the steps.
    pub fn finish(&mut self) {
        self.ok = !self.steps.is_empty()
            && self
                .steps
                .iter()
                .all(|s| matches!(s.status, StepStatus::Ok | StepStatus::NotRequested));
    }

    /// All failures of all steps.
    pub fn failures(&self) -> impl Iterator<Item = &Failure> {
        self.steps.iter().flat_map(|s| s.failures.iter())
    }

    /// The human-readable report.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "Verifying election {:?} from {}",
            self.election, self.source
        );
        for st in &self.steps {
            let mark = match st.status {
                StepStatus::Ok => "ok  ",
                StepStatus::Failed => "FAIL",
                StepStatus::Skipped => "skip",
                StepStatus::NotRequested => "--  ",
            };
            let _ = writeln!(s, "[{mark}] {}. {}: {}", st.number, st.name, st.summary);
            for n in &st.notes {
                let _ = writeln!(s, "       note: {n}");
            }
            for f in &st.failures {
                let _ = writeln!(s, "       {f}");
            }
            if st.more_failures > 0 {
                let _ = writeln!(s, "       … and {} more failures", st.more_failures);
            }
        }
        let _ = writeln!(
            s,
            "{} ({:.1} s)",
            match (self.ok, &self.sample) {
                (true, None) => "VERIFIED: every check holds.".to_owned(),
                (true, Some(s)) => format!("PARTLY VERIFIED: every check made holds, but {s}."),
                (false, _) => "NOT VERIFIED: see the failures above.".to_owned(),
            },
            self.seconds
        );
        s
    }

    /// The machine-readable report.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
    }
}
