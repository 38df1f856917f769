//! The `skytale rcv` subcommand: run a contest from an RCTab config file unchanged.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use skytale_rcv::report::round_table;
use skytale_rcv::RcvError;

/// Arguments of `skytale rcv`.
#[derive(clap::Args, Debug, Clone)]
pub struct RcvArgs {
    /// RCTab contest configuration (JSON); CVR paths in it are relative to this file.
    #[arg(long)]
    pub rctab_config: PathBuf,
    /// Write RCTab's detailed-report JSON here (sequential contests: one file per pass,
    /// `_1`, `_2`, … before the extension).
    #[arg(long)]
    pub report_json: Option<PathBuf>,
    /// Never show a progress bar.
    #[arg(long, default_value_t = false)]
    pub quiet: bool,
}

/// Path of pass `n` (1-based) of `total` passes: `out.json` → `out_2.json`.
pub fn pass_path(base: &Path, n: usize, total: usize) -> PathBuf {
    if total <= 1 {
        return base.to_path_buf();
    }
    let stem = base
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = match base.extension() {
        Some(ext) => format!("{stem}_{n}.{}", ext.to_string_lossy()),
        None => format!("{stem}_{n}"),
    };
    base.with_file_name(name)
}

/// Runs the subcommand; returns the text to print on stdout (round table) — writes report
/// files when asked.
pub fn run(args: &RcvArgs) -> Result<String, RcvError> {
    let bar = if !args.quiet && std::io::stderr().is_terminal() {
        let b = indicatif::ProgressBar::new_spinner();
        b.set_draw_target(indicatif::ProgressDrawTarget::stderr());
        b.set_message("reading CVRs");
        Some(b)
    } else {
        None
    };
    let mut progress = |n: u64| {
        if let Some(b) = &bar {
            b.set_position(n);
            b.set_message(format!("read {n} CVRs"));
            b.tick();
        }
    };
    let result = skytale_rcv::session::run_config_file(&args.rctab_config, &mut progress);
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    let (_config, passes) = result?;
    let mut out = String::new();
    for (i, p) in passes.iter().enumerate() {
        if passes.len() > 1 {
            out.push_str(&format!("Pass {}\n", i + 1));
        }
        out.push_str(&round_table(&p.report));
        out.push_str(&format!("Winner(s): {}\n", p.winners.join(", ")));
    }
    if let Some(base) = &args.report_json {
        for (i, p) in passes.iter().enumerate() {
            let path = pass_path(base, i + 1, passes.len());
            let json = skytale_rcv::report::to_json_string(&p.report);
            std::fs::write(&path, json).map_err(|e| RcvError::Write {
                path: path.clone(),
                why: e.to_string(),
            })?;
        }
        out.clear();
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pass_paths() {
        assert_eq!(
            pass_path(Path::new("/a/r.json"), 1, 1),
            PathBuf::from("/a/r.json")
        );
        assert_eq!(
            pass_path(Path::new("/a/r.json"), 2, 3),
            PathBuf::from("/a/r_2.json")
        );
        assert_eq!(pass_path(Path::new("r"), 1, 2), PathBuf::from("r_1"));
    }
}
