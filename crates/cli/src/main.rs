//! `skytale`: verifiable election night reporting. See `skytale --help`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Result;
use clap::{Parser, Subcommand};

use skytale::{bench, commands, demo, fsck, publish, sealed, submit, submit_cvr};

/// Skytale: election results signed at the source, logged in a public append-only Merkle log
/// (C2SP tlog formats), tallied and published so that anyone can verify every number.
#[derive(Parser, Debug)]
#[command(name = "skytale", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

const DEFAULT_DATA_DIR: &str = "./skytale-data";
const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

#[derive(Subcommand, Debug)]
enum Command {
    /// The newcomer's first run: a synthetic election night, served and fed live.
    Demo {
        #[arg(long, default_value = DEFAULT_DATA_DIR)]
        data_dir: PathBuf,
        #[arg(long, default_value = DEFAULT_LISTEN)]
        listen: SocketAddr,
        /// Polling stations in the synthetic election.
        #[arg(long, default_value_t = 3_000)]
        units: usize,
        /// How long feeding the results takes, in seconds.
        #[arg(long, default_value_t = 90)]
        duration: u64,
        /// Stop the server once all results are in (instead of waiting for Ctrl-C).
        #[arg(long)]
        exit_when_done: bool,
    },
    /// Signing keys.
    #[command(subcommand)]
    Key(KeyCommand),
    /// Elections.
    #[command(subcommand)]
    Election(ElectionCommand),
    /// The server: ingest API, results feeds, log tiles. SIGTERM or Ctrl-C drains: the
    /// listener closes, open requests finish (every submission handed over is answered), then
    /// it exits 0.
    // A setting given twice takes its last value, so a wrapper (`bench ingest --serve-arg`) can
    // change a setting another layer set.
    #[command(args_override_self = true)]
    Serve {
        #[arg(long, default_value = DEFAULT_DATA_DIR)]
        data_dir: PathBuf,
        /// Where the database is: `sqlite` (the file skytale.sqlite in the data directory)
        /// or a PostgreSQL URL, postgres://user@host:port/db (log keys and kept checkpoints
        /// stay in the data directory).
        #[arg(long, default_value = "sqlite")]
        store: skytale_store::Location,
        /// Follow the sequencer at this base URL instead of sequencing (a node of the other
        /// data centre, with --store its PostgreSQL standby): serve reads, fold in new entries
        /// from the database, send submissions there (307); take over when the standby is
        /// promoted (`skytale failover`).
        #[arg(long, value_name = "URL")]
        follow: Option<String>,
        #[arg(long, default_value = DEFAULT_LISTEN)]
        listen: SocketAddr,
        #[command(flatten)]
        limits: EdgeArgs,
        /// The server's public address (https://results.example.org): absolute links in
        /// webhook payloads, and each election's ActivityPub actor (fediverse users follow
        /// `<election>@<host>`). Without it the ActivityPub endpoints answer 404.
        #[arg(long)]
        public_url: Option<String>,
        /// Under `automatic` publication, the fewest minutes between two announced
        /// publications (webhooks of `publication` events, fediverse posts).
        #[arg(long, value_name = "MINUTES", default_value_t = 10)]
        announce_every: u64,
        /// Let webhooks and followers' inboxes be on loopback or private addresses (a
        /// newsroom's own network; off by default, so nobody points the server at it).
        #[arg(long)]
        allow_private_push_targets: bool,
    },
    /// Fail over to the standby data centre: promote its PostgreSQL standby to primary and
    /// check it holds what this node's log keys signed; then start `skytale serve` with the
    /// same --store here. Run only once the primary data centre is down or cut off.
    Failover {
        /// The standby's PostgreSQL, postgres://user@host:port/db.
        #[arg(long)]
        store: skytale_store::Location,
        /// This node's data directory (the log keys, the kept checkpoints).
        #[arg(long, default_value = DEFAULT_DATA_DIR)]
        data_dir: PathBuf,
        /// Let the promoted server commit without waiting for a standby until one is attached
        /// again (otherwise commits wait for the standby its settings name).
        #[arg(long)]
        alone: bool,
        /// Seconds to wait for the promotion.
        #[arg(long, default_value_t = 60)]
        wait: u64,
    },
    /// Check a data directory from its stored entries up: every tile and the root, the stored
    /// and kept checkpoints, every entry against the rules. Exit 0 only if all holds.
    Fsck {
        #[arg(long, default_value = DEFAULT_DATA_DIR)]
        data_dir: PathBuf,
        /// Where the database is: `sqlite` (the file skytale.sqlite in the data directory)
        /// or a PostgreSQL URL, postgres://user@host:port/db (log keys and kept checkpoints
        /// stay in the data directory).
        #[arg(long, default_value = "sqlite")]
        store: skytale_store::Location,
        /// Check only this election.
        #[arg(long)]
        election: Option<String>,
    },
    /// Write an election's public site, feeds and log as static files (the bytes the server
    /// sends), for nginx, a CDN or an archive. Replaces --out atomically.
    Publish {
        #[arg(long, default_value = DEFAULT_DATA_DIR)]
        data_dir: PathBuf,
        /// Where the database is: `sqlite` (the file skytale.sqlite in the data directory)
        /// or a PostgreSQL URL, postgres://user@host:port/db (log keys and kept checkpoints
        /// stay in the data directory).
        #[arg(long, default_value = "sqlite")]
        store: skytale_store::Location,
        #[arg(long)]
        election: String,
        /// Output directory (created or replaced as a whole).
        #[arg(long)]
        out: PathBuf,
    },
    /// Sign results files and send them to the server; checks and stores the receipts.
    Submit {
        #[arg(long, env = "SKYTALE_SERVER")]
        server: String,
        #[arg(long, env = "SKYTALE_ELECTION")]
        election: String,
        /// The reporting authority's signing key file.
        #[arg(long, env = "SKYTALE_KEY")]
        key: PathBuf,
        /// Format of every results file: native, nist-json, nist-xml, clarity-xml, csv, eml510
        /// (when left out, told from each file's structure).
        #[arg(long, conflicts_with = "rctab_config")]
        format: Option<String>,
        /// Version to use for statements that do not name one.
        #[arg(long)]
        version: Option<u64>,
        /// Where receipts are stored (one JSON file per statement).
        #[arg(long, default_value = "./skytale-receipts")]
        receipts: PathBuf,
        /// Show what would be signed, sign and send nothing.
        #[arg(long)]
        dry_run: bool,
        /// Name mapping / CSV layout file (TOML) for tabulator exports.
        #[arg(long)]
        mapping: Option<PathBuf>,
        /// Cast vote records of a ranked-choice contest: the RCTab contest config whose CVR
        /// sources (any format RCTab reads) are read and sent as signed `cvr` batches.
        #[arg(long, requires_all = ["contest", "unit"], conflicts_with = "files")]
        rctab_config: Option<PathBuf>,
        /// The ranked-choice contest the CVRs are for (with --rctab-config).
        #[arg(long)]
        contest: Option<String>,
        /// The reporting unit the CVRs cover (with --rctab-config).
        #[arg(long)]
        unit: Option<String>,
        #[arg(required_unless_present = "rctab_config")]
        files: Vec<PathBuf>,
    },
    /// Approve the publication of the log's results (approval policy): join the round other
    /// approvers started, else approve the latest content; prints how many approvals it has.
    Approve {
        #[arg(long, env = "SKYTALE_SERVER")]
        server: String,
        #[arg(long, env = "SKYTALE_ELECTION")]
        election: String,
        /// The approver's signing key file.
        #[arg(long, env = "SKYTALE_KEY")]
        key: PathBuf,
        /// Approve this tree size: one the server lists (published, pending or content size).
        #[arg(long)]
        size: Option<u64>,
    },
    /// A test day on a real definition: generated, plausible results for every polling
    /// station the keys may report, signed with them and sent over --duration seconds. Only
    /// for an election whose definition says `test = true`.
    Rehearse {
        #[arg(long, env = "SKYTALE_SERVER")]
        server: String,
        #[arg(long, env = "SKYTALE_ELECTION")]
        election: String,
        /// A reporting authority's signing key (repeatable): its scope's stations report.
        #[arg(long, required = true)]
        key: Vec<PathBuf>,
        /// Seconds the sending is spread over.
        #[arg(long, default_value_t = 60)]
        duration: u64,
        /// Seed of the generated figures.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Give published figures a result type, as the officials' signed word: estimate,
    /// projection, provisional, final or certified, for the election, a contest or a unit.
    Status {
        #[arg(long, env = "SKYTALE_SERVER")]
        server: String,
        #[arg(long, env = "SKYTALE_ELECTION")]
        election: String,
        /// The authority's root key or an approver's key.
        #[arg(long, env = "SKYTALE_KEY")]
        key: PathBuf,
        /// estimate, projection, provisional, final or certified.
        #[arg(long, value_parser = parse_result_type)]
        result_type: skytale_model::ResultType,
        /// The contest (default: every contest).
        #[arg(long)]
        contest: Option<String>,
        /// The unit, in the contest's area (default: the whole area).
        #[arg(long)]
        unit: Option<String>,
        /// Why (needed to leave `certified`).
        #[arg(long)]
        reason: Option<String>,
    },
    /// An official's read of the committed entries not yet published (approval embargo):
    /// signs in with the key and shows what the key's scope covers.
    Sealed {
        #[arg(long, env = "SKYTALE_SERVER")]
        server: String,
        #[arg(long, env = "SKYTALE_ELECTION")]
        election: String,
        /// The official's signing key file (authority, approver or reporting authority).
        #[arg(long, env = "SKYTALE_KEY")]
        key: PathBuf,
        /// First log index to read.
        #[arg(long, default_value_t = 0)]
        from: u64,
        /// Most log indexes to read (default: to the end of the log).
        #[arg(long)]
        limit: Option<u64>,
        /// Write the entries as JSON to this file instead of printing them.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Submissions held for review (implausible counts), for officials.
    #[command(subcommand)]
    Held(HeldCommand),
    /// Webhooks told of each publication (or each served snapshot), signed with the Standard
    /// Webhooks scheme; registered by the election authority or an approver.
    Webhook {
        #[command(subcommand)]
        command: skytale::webhook::WebhookCommand,
    },
    /// Party-list seat allocation from a CSV (what-ifs and checks of published seats).
    Seats(skytale::seats_cmd::SeatsArgs),
    /// Ranked-choice tabulation from an RCTab configuration file.
    Rcv(skytale::rcv_cmd::RcvArgs),
    /// Recompute everything from the log (a URL or a published directory); exit 0 only if all holds.
    Verify(skytale::verify_cmd::VerifyArgs),
    /// Verify continuously, on every new checkpoint; alert on any failure.
    Monitor(skytale::verify_cmd::MonitorArgs),
    /// A C2SP tlog-witness (Ed25519 and ML-DSA-44 cosignatures).
    #[command(subcommand)]
    Witness(WitnessCommand),
    /// Load tools (benchmarks run by hand, not in CI).
    #[command(subcommand)]
    Bench(BenchCommand),
}

#[derive(Subcommand, Debug)]
enum KeyCommand {
    /// Write a new Ed25519 signing key (mode 0600) and print its C2SP verifier key.
    Generate {
        #[arg(long)]
        name: String,
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Subcommand, Debug)]
enum ElectionCommand {
    /// Validate a definition (TOML or JSON) and sign it as entry 0 of a new election log; or,
    /// with --from, derive the definition from a tabulator export (CDF, Clarity XML, CSV).
    Create {
        #[arg(long, required_unless_present = "from", conflicts_with = "from")]
        definition: Option<PathBuf>,
        /// A results export to derive the definition from.
        #[arg(long, requires_all = ["reporter", "id"])]
        from: Option<PathBuf>,
        /// With --from: the file's format, nist-json, nist-xml, clarity-xml, csv or eml510 (when
        /// left out, told from the file's structure).
        #[arg(long, requires = "from")]
        format: Option<String>,
        /// With --from: the election id.
        #[arg(long)]
        id: Option<String>,
        /// With --from: the reporter's verifier key, authorised for every unit.
        #[arg(long)]
        reporter: Option<String>,
        /// With --from: election day (YYYY-MM-DD) when the file does not state it.
        #[arg(long)]
        date: Option<String>,
        /// With --from: mapping table (TOML) for what the file lacks: party names and colours
        /// (`[party_names]`, `[party_colors]`), the public `origin`, names, CSV layout.
        #[arg(long, requires = "from")]
        mapping: Option<PathBuf>,
        /// With --from: unit boundaries for the site's maps, TopoJSON (such as us-atlas's
        /// counties-10m.json) or GeoJSON, joined to the units by id or by name; only the
        /// shapes of this election's units are kept in its definition.
        #[arg(long, requires = "from")]
        map: Option<PathBuf>,
        /// The log's origin, HOST/PATH (e.g. results.example.org/eu-2029): where readers reach
        /// the site, named on its verification page (replaces the definition's own).
        #[arg(long)]
        origin: Option<String>,
        /// The election authority's root signing key.
        #[arg(long)]
        key: PathBuf,
        #[arg(long, default_value = DEFAULT_DATA_DIR)]
        data_dir: PathBuf,
        /// Where the database is: `sqlite` (the file skytale.sqlite in the data directory)
        /// or a PostgreSQL URL, postgres://user@host:port/db (log keys and kept checkpoints
        /// stay in the data directory).
        #[arg(long, default_value = "sqlite")]
        store: skytale_store::Location,
    },
    /// Fill a definition's `previous` section with an earlier election's published figures
    /// from the archive (a Skytale server), matched to this definition's ids, so pages and
    /// feeds show the change since then.
    Baseline {
        /// The server (or static copy) that publishes the earlier election.
        #[arg(long)]
        server: String,
        /// The earlier election's id.
        #[arg(long)]
        previous: String,
        /// The new election's definition (TOML or JSON).
        #[arg(long)]
        definition: PathBuf,
        /// A contest whose id changed: NOW=THEN (repeatable).
        #[arg(long)]
        contest: Vec<String>,
        /// A unit whose id changed: NOW=THEN (repeatable).
        #[arg(long)]
        unit: Vec<String>,
        /// Where to write the definition with its earlier figures.
        #[arg(long)]
        out: PathBuf,
    },
    /// Print the JSON Schema of the native election definition format.
    Schema,
    /// Print a `ranked_choice` contest (TOML, to paste into a definition) built from an RCTab
    /// contest config: its rules, one selection per candidate, the write-in selection.
    RctabContest {
        /// The RCTab contest config (`*_config.json`).
        #[arg(long)]
        config: PathBuf,
        /// The contest id.
        #[arg(long)]
        id: String,
        /// The unit(s) the contest is held in.
        #[arg(long, required = true)]
        area: Vec<String>,
        /// The language of the names (the definition's default language).
        #[arg(long, default_value = "en")]
        lang: String,
    },
}

#[derive(Subcommand, Debug)]
enum HeldCommand {
    /// List the held submissions the key's scope covers, oldest first, with their reasons.
    List {
        #[arg(long, env = "SKYTALE_SERVER")]
        server: String,
        #[arg(long, env = "SKYTALE_ELECTION")]
        election: String,
        /// The official's signing key file.
        #[arg(long, env = "SKYTALE_KEY")]
        key: PathBuf,
    },
    /// Release a held submission into the count, as a signed statement in the log (the
    /// authority's root key or an approver; the reason is published with it).
    Release(HeldReviewArgs),
    /// Reject a held submission, as a signed statement in the log (its digest and the reason).
    Reject(HeldReviewArgs),
}

#[derive(clap::Args, Debug)]
struct HeldReviewArgs {
    #[arg(long, env = "SKYTALE_SERVER")]
    server: String,
    #[arg(long, env = "SKYTALE_ELECTION")]
    election: String,
    /// The official's signing key file (the authority's root key or an approver's).
    #[arg(long, env = "SKYTALE_KEY")]
    key: PathBuf,
    /// The held submission's id, as `skytale held list` shows it.
    #[arg(long)]
    id: i64,
    /// Why: published in the log with the decision.
    #[arg(long)]
    reason: String,
}

#[derive(Subcommand, Debug)]
enum WitnessCommand {
    /// Serve add-checkpoint for the configured logs.
    Serve(skytale::witness_cmd::WitnessServeArgs),
    /// Generate a witness signing key and print its verifier key.
    Key(skytale::witness_cmd::WitnessKeyArgs),
}

#[derive(Subcommand, Debug)]
enum BenchCommand {
    /// Sign N results statements and post them concurrently to a fresh server process.
    Ingest {
        #[arg(long, default_value_t = 200_000)]
        stations: usize,
        /// Statements to send (default: one per station).
        #[arg(long)]
        statements: Option<usize>,
        #[arg(long, default_value_t = 64)]
        concurrency: usize,
        #[arg(long)]
        data_dir: Option<PathBuf>,
        /// Readers of the public pages during the wave (new visitors, no conditional GETs).
        #[arg(long, default_value_t = 0)]
        readers: usize,
        /// Newsrooms following the change feed during the wave (and as many polling the whole
        /// results JSON beside them, to compare): req/s, bytes and p99 of each.
        #[arg(long, default_value_t = 0)]
        followers: usize,
        /// Milliseconds between a follower's polls.
        #[arg(long, default_value_t = 3000)]
        follow_every_ms: u64,
        /// A flood of bad input from 127.0.0.2 during the wave.
        #[arg(long, value_enum)]
        flood: Option<skytale::sideload::FloodClass>,
        /// Connections of the flood.
        #[arg(long, default_value_t = 200)]
        flood_connections: usize,
        /// Extra arguments for `skytale serve`, e.g. `--serve-arg=--max-connections=20000`.
        #[arg(long = "serve-arg", allow_hyphen_values = true)]
        serve_args: Vec<String>,
        /// Statements per request: 1 posts each note alone; more uses the batch endpoint (a
        /// county's file in one request, all or none).
        #[arg(long, default_value_t = 1)]
        batch: usize,
        /// Run the server under this command, one word per flag, e.g. `--serve-wrapper=strace
        /// --serve-wrapper=-f --serve-wrapper=-e --serve-wrapper=inject=fdatasync:error=EIO:when=300`.
        #[arg(long = "serve-wrapper", allow_hyphen_values = true)]
        serve_wrapper: Vec<String>,
        /// Publication by approval: the wave goes in under the embargo, then its approver
        /// approves it, and the time until the results and every page are public is reported.
        #[arg(long)]
        approval: bool,
        /// The server's port (default: a free one), for a `skytale monitor` beside the run.
        #[arg(long)]
        port: Option<u16>,
        /// Seconds the server stays up after the wave (a monitor's last rounds).
        #[arg(long, default_value_t = 0)]
        linger: u64,
        /// Webhooks of `change` events registered before the wave, all to a receiver the bench
        /// runs (what pushed updates cost the server during the wave).
        #[arg(long, default_value_t = 0)]
        webhooks: usize,
        /// The server's database: `sqlite` or a PostgreSQL URL (the bench makes a schema of
        /// its own in it).
        #[arg(long, default_value = "sqlite")]
        store: skytale_store::Location,
    },
    /// The crash drill: post at full speed, SIGKILL the server at random moments, restart,
    /// and check every receipt against the store after every kill.
    Crash {
        #[arg(long, default_value_t = 20_000)]
        stations: usize,
        /// Versions signed per station (the supply is stations × versions statements).
        #[arg(long, default_value_t = 5)]
        versions: u64,
        #[arg(long, default_value_t = 200)]
        kills: usize,
        #[arg(long, default_value_t = 64)]
        concurrency: usize,
        /// Longest run under load before a kill, in milliseconds (each kill falls at a random
        /// moment up to it).
        #[arg(long, default_value_t = 1500)]
        max_run_ms: u64,
        #[arg(long)]
        data_dir: Option<PathBuf>,
        /// Extra arguments for `skytale serve`, e.g. `--serve-arg=--rate-limit-per-address=0`.
        #[arg(long = "serve-arg", allow_hyphen_values = true)]
        serve_args: Vec<String>,
    },
    /// The two-data-centre drill: a PostgreSQL primary and synchronous standby on this
    /// machine (initdb and pg_basebackup, as `postgres`), a node beside each; upload at full
    /// speed, SIGKILL the primary's cluster and node at random moments, fail over, rebuild the
    /// lost side as the new standby, check every receipt and run `skytale verify` each time.
    Failover {
        #[arg(long, default_value_t = 5_000)]
        stations: usize,
        /// Versions signed per station (the supply is stations × versions statements).
        #[arg(long, default_value_t = 40)]
        versions: u64,
        #[arg(long, default_value_t = 100)]
        failovers: usize,
        #[arg(long, default_value_t = 32)]
        concurrency: usize,
        /// Longest run under load before a kill, in milliseconds (each kill falls at a random
        /// moment up to it, once the standby is synchronous).
        #[arg(long, default_value_t = 2000)]
        max_run_ms: u64,
        /// Working directory (must not exist; default a temporary one).
        #[arg(long)]
        dir: Option<PathBuf>,
        /// Ports of the two PostgreSQL clusters.
        #[arg(long, default_value_t = 55432)]
        port1: u16,
        #[arg(long, default_value_t = 55433)]
        port2: u16,
        /// Skip `skytale verify` after each failover.
        #[arg(long)]
        no_verify: bool,
    },
}

/// The budgets of `skytale serve` (defaults: `skytale_server::Limits::default`, listed in the
/// README under "Limits").
#[derive(clap::Args, Debug)]
struct EdgeArgs {
    /// Seconds a request's header may take to arrive, from its first byte.
    #[arg(long, value_name = "SECONDS", default_value_t = 10)]
    header_timeout: u64,
    /// Seconds a connection may stay with no byte moving before it is closed (keep above 15:
    /// event streams send a comment every 15 s).
    #[arg(long, value_name = "SECONDS", default_value_t = 60)]
    idle_timeout: u64,
    /// Open connections at most (lowered to the open-file limit less 128).
    #[arg(long, value_name = "N", default_value_t = 4096)]
    max_connections: usize,
    /// Seconds open requests get to finish on SIGTERM or Ctrl-C.
    #[arg(long, value_name = "SECONDS", default_value_t = 20)]
    drain_timeout: u64,
    /// Write requests (submissions, sign-in) per second per client address; 0 for no limit.
    #[arg(long, value_name = "PER_SECOND", default_value_t = 200)]
    address_rate: u32,
    /// Write requests one address may send at once before its rate applies.
    #[arg(long, value_name = "N", default_value_t = 2000)]
    address_burst: u32,
    /// Submissions per second per reporter key (counted once the signature verified); 0 for
    /// no limit.
    #[arg(long, value_name = "PER_SECOND", default_value_t = 100)]
    key_rate: u32,
    /// Submissions one key may send at once before its rate applies.
    #[arg(long, value_name = "N", default_value_t = 1000)]
    key_burst: u32,
    /// Submissions in the server's hands (verifying, queued, being committed) at most; more
    /// are answered 503 with Retry-After.
    #[arg(long, value_name = "N", default_value_t = 4096)]
    submission_queue: usize,
    /// MiB of pages rendered on demand (a national election's county and station pages) kept
    /// for the next reader, all elections together.
    #[arg(long, value_name = "MIB", default_value_t = 64)]
    page_cache_mib: usize,
}

impl EdgeArgs {
    fn limits(&self) -> skytale_server::Limits {
        skytale_server::Limits {
            header_timeout: Duration::from_secs(self.header_timeout),
            idle_timeout: Duration::from_secs(self.idle_timeout),
            max_connections: self.max_connections,
            drain_timeout: Duration::from_secs(self.drain_timeout),
            per_address: skytale_server::Rate {
                per_second: self.address_rate,
                burst: self.address_burst,
            },
            per_key: skytale_server::Rate {
                per_second: self.key_rate,
                burst: self.key_burst,
            },
            submission_queue: self.submission_queue,
            page_cache: self.page_cache_mib << 20,
        }
    }
}

/// Resolves on SIGTERM (what service managers and container runtimes send) or SIGINT.
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

fn init_logs() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}

fn run(cli: Cli) -> Result<bool> {
    match cli.command {
        Command::Demo {
            data_dir,
            listen,
            units,
            duration,
            exit_when_done,
        } => {
            init_logs();
            runtime()?.block_on(demo::run(demo::DemoOptions {
                data_dir,
                listen,
                units,
                duration: Duration::from_secs(duration),
                exit_when_done,
            }))?;
            Ok(true)
        }
        Command::Key(KeyCommand::Generate { name, out }) => {
            println!("{}", commands::key_generate(&name, &out)?);
            Ok(true)
        }
        Command::Election(ElectionCommand::Create {
            definition,
            from,
            format,
            id,
            reporter,
            date,
            mapping,
            map,
            origin,
            key,
            data_dir,
            store,
        }) => {
            let out = match (definition, from) {
                (Some(d), _) => {
                    commands::election_create(&d, origin.as_deref(), &key, &data_dir, &store)?
                }
                (None, Some(f)) => {
                    let id = id.as_deref().unwrap_or_default();
                    commands::election_create_from(
                        &f,
                        format.as_deref(),
                        id,
                        origin.as_deref(),
                        &key,
                        reporter.as_deref().unwrap_or_default(),
                        date.as_deref(),
                        mapping.as_deref(),
                        map.as_deref(),
                        &data_dir,
                        &store,
                    )?
                }
                (None, None) => anyhow::bail!("give --definition FILE or --from FILE"),
            };
            print!("{out}");
            Ok(true)
        }
        Command::Election(ElectionCommand::RctabContest {
            config,
            id,
            area,
            lang,
        }) => {
            let cfg = skytale_rcv::config::ContestConfig::load(&config)?;
            let name = [(lang.clone(), cfg.contest_name.clone())].into();
            let contest = skytale_model::rctab::ranked_choice_contest(&cfg, &id, name, area, &lang)
                .map_err(|e| anyhow::anyhow!("{}: {e}", config.display()))?;
            #[derive(serde::Serialize)]
            struct Contests {
                contests: Vec<skytale_model::Contest>,
            }
            print!(
                "{}",
                toml::to_string(&Contests {
                    contests: vec![contest]
                })?
            );
            Ok(true)
        }
        Command::Election(ElectionCommand::Baseline {
            server,
            previous,
            definition,
            contest,
            unit,
            out,
        }) => {
            let maps = skytale::baseline::IdMaps::parse(&contest, &unit)?;
            print!(
                "{}",
                runtime()?.block_on(skytale::baseline::run(
                    &server,
                    &previous,
                    &definition,
                    &maps,
                    &out
                ))?
            );
            Ok(true)
        }
        Command::Election(ElectionCommand::Schema) => {
            println!(
                "{}",
                serde_json::to_string_pretty(&skytale_model::Definition::json_schema())?
            );
            Ok(true)
        }
        Command::Serve {
            data_dir,
            store,
            follow,
            listen,
            limits,
            public_url,
            announce_every,
            allow_private_push_targets,
        } => {
            init_logs();
            runtime()?.block_on(async move {
                let push = skytale_server::push::PushSettings {
                    public_url,
                    announce_every: Duration::from_secs(announce_every.saturating_mul(60)),
                    allow_private_targets: allow_private_push_targets,
                    ..Default::default()
                };
                let state = skytale_server::AppState::open_as(&data_dir, &store, follow)?
                    .with_limits(limits.limits())
                    .with_push(push)?;
                let listener = skytale_server::bind(listen).await?;
                tracing::info!("listening on http://{}", listener.local_addr()?);
                skytale_server::serve(state, listener, async {
                    stop_signal().await;
                    tracing::info!("shutting down: draining open requests");
                })
                .await?;
                Ok::<_, anyhow::Error>(())
            })?;
            Ok(true)
        }
        Command::Failover {
            store,
            data_dir,
            alone,
            wait,
        } => {
            print!(
                "{}",
                skytale::failover::failover(&data_dir, &store, alone, Duration::from_secs(wait))?
            );
            Ok(true)
        }
        Command::Fsck {
            data_dir,
            store,
            election,
        } => {
            let verdicts = fsck::fsck_at(&data_dir, &store, election.as_deref())?;
            Ok(fsck::print(&verdicts))
        }
        Command::Publish {
            data_dir,
            store,
            election,
            out,
        } => {
            let r = runtime()?.block_on(publish::publish_at(&data_dir, &store, &election, &out))?;
            println!(
                "published {election} to {}: snapshot {} (root {}) of a log of {} entries; {} files, {} bytes ({} with the .gz/.br siblings); {} pages in {:.1} s, {:.0} pages/s",
                out.display(),
                r.snapshot,
                r.snapshot_root,
                r.tree_size,
                r.files,
                r.bytes,
                r.bytes_with_siblings,
                r.pages,
                r.seconds,
                r.pages as f64 / r.seconds.max(1e-9),
            );
            Ok(true)
        }
        Command::Submit {
            server,
            election,
            key,
            format,
            version,
            receipts,
            dry_run,
            mapping,
            rctab_config,
            contest,
            unit,
            files,
        } => {
            let opts = submit::SubmitOptions {
                server,
                election,
                key,
                format,
                files,
                version,
                receipts,
                dry_run,
                mapping,
            };
            match (rctab_config, contest, unit) {
                (Some(config), Some(contest), Some(unit)) => {
                    let target = submit_cvr::CvrTarget {
                        config,
                        contest,
                        unit,
                    };
                    runtime()?.block_on(submit_cvr::submit_cvr(&opts, &target))
                }
                _ => runtime()?.block_on(submit::submit(opts)),
            }
        }
        Command::Approve {
            server,
            election,
            key,
            size,
        } => {
            print!(
                "{}",
                runtime()?.block_on(submit::approve(&server, &election, &key, size))?
            );
            Ok(true)
        }
        Command::Rehearse {
            server,
            election,
            key,
            duration,
            seed,
        } => {
            let opts = skytale::rehearse::RehearseOptions {
                server,
                election,
                keys: key,
                duration: std::time::Duration::from_secs(duration),
                seed,
            };
            let done = runtime()?.block_on(skytale::rehearse::rehearse(&opts))?;
            println!(
                "Rehearsal of {}: {} statements accepted (every receipt checked), {} held for review.",
                opts.election, done.accepted, done.held
            );
            Ok(true)
        }
        Command::Status {
            server,
            election,
            key,
            result_type,
            contest,
            unit,
            reason,
        } => {
            let req = submit::ResultTypeRequest {
                election: &election,
                result_type,
                contest: contest.as_deref(),
                unit: unit.as_deref(),
                reason: reason.as_deref(),
            };
            print!(
                "{}",
                runtime()?.block_on(submit::set_result_type(&server, &key, &req))?
            );
            Ok(true)
        }
        Command::Sealed {
            server,
            election,
            key,
            from,
            limit,
            out,
        } => {
            print!(
                "{}",
                runtime()?.block_on(sealed::sealed(&sealed::SealedOptions {
                    server,
                    election,
                    key,
                    from,
                    limit,
                    out,
                }))?
            );
            Ok(true)
        }
        Command::Held(HeldCommand::List {
            server,
            election,
            key,
        }) => {
            print!(
                "{}",
                runtime()?.block_on(sealed::held_list(&server, &election, &key))?
            );
            Ok(true)
        }
        Command::Held(HeldCommand::Release(a)) => {
            held_review(&a, skytale_model::ReviewDecision::Release)
        }
        Command::Held(HeldCommand::Reject(a)) => {
            held_review(&a, skytale_model::ReviewDecision::Reject)
        }
        Command::Webhook { command } => {
            print!("{}", runtime()?.block_on(skytale::webhook::run(&command))?);
            Ok(true)
        }
        Command::Seats(args) => {
            print!("{}", skytale::seats_cmd::run(&args)?);
            Ok(true)
        }
        Command::Rcv(args) => {
            print!("{}", skytale::rcv_cmd::run(&args)?);
            Ok(true)
        }
        Command::Verify(args) => {
            let (report, ok) = runtime()?.block_on(skytale::verify_cmd::run_verify(&args))?;
            print!("{report}");
            Ok(ok)
        }
        Command::Monitor(args) => {
            let (report, ok) = runtime()?.block_on(skytale::verify_cmd::run_monitor(&args))?;
            print!("{report}");
            Ok(ok)
        }
        Command::Witness(WitnessCommand::Key(args)) => {
            println!("{}", skytale::witness_cmd::run_witness_key(&args)?);
            Ok(true)
        }
        Command::Witness(WitnessCommand::Serve(args)) => {
            init_logs();
            runtime()?.block_on(skytale::witness_cmd::run_witness_serve(&args, async {
                let _ = tokio::signal::ctrl_c().await;
            }))?;
            Ok(true)
        }
        Command::Bench(BenchCommand::Ingest {
            stations,
            statements,
            concurrency,
            data_dir,
            readers,
            followers,
            follow_every_ms,
            flood,
            flood_connections,
            serve_args,
            batch,
            serve_wrapper,
            approval,
            port,
            linger,
            webhooks,
            store,
        }) => {
            let out = runtime()?.block_on(bench::ingest(bench::IngestOptions {
                stations,
                statements,
                concurrency,
                data_dir,
                readers,
                followers,
                follow_every: std::time::Duration::from_millis(follow_every_ms),
                flood,
                flood_connections,
                serve_args,
                batch,
                serve_wrapper,
                approval,
                port,
                linger,
                webhooks,
                store,
            }))?;
            print!("{out}");
            Ok(true)
        }
        Command::Bench(BenchCommand::Failover {
            stations,
            versions,
            failovers,
            concurrency,
            max_run_ms,
            dir,
            port1,
            port2,
            no_verify,
        }) => {
            let out = runtime()?.block_on(skytale::failover_drill::failover(
                skytale::failover_drill::FailoverOptions {
                    stations,
                    versions,
                    failovers,
                    concurrency,
                    max_run: Duration::from_millis(max_run_ms),
                    dir,
                    ports: (port1, port2),
                    verify: !no_verify,
                },
            ))?;
            print!("{out}");
            Ok(true)
        }
        Command::Bench(BenchCommand::Crash {
            stations,
            versions,
            kills,
            concurrency,
            max_run_ms,
            data_dir,
            serve_args,
        }) => {
            let out = runtime()?.block_on(skytale::drill::crash(skytale::drill::CrashOptions {
                stations,
                versions,
                kills,
                concurrency,
                max_run: Duration::from_millis(max_run_ms),
                data_dir,
                serve_args,
            }))?;
            print!("{out}");
            Ok(true)
        }
    }
}

/// A `--result-type` value: one of the five names, or an error listing them.
fn parse_result_type(s: &str) -> Result<skytale_model::ResultType, String> {
    skytale_model::ResultType::parse(s).ok_or_else(|| {
        let names: Vec<&str> = skytale_model::ResultType::ALL
            .iter()
            .map(|t| t.as_str())
            .collect();
        format!(
            "{s:?} is not a result type; use one of {}",
            names.join(", ")
        )
    })
}

/// `skytale held release|reject`.
fn held_review(a: &HeldReviewArgs, decision: skytale_model::ReviewDecision) -> Result<bool> {
    let req = sealed::ReviewRequest {
        server: &a.server,
        election: &a.election,
        key: &a.key,
        id: a.id,
        decision,
        reason: &a.reason,
    };
    print!("{}", runtime()?.block_on(sealed::held_review(&req))?);
    Ok(true)
}
