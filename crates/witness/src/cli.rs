//! `skytale witness serve` and `skytale witness key`: clap arguments and their `run`
//! functions, for the binary to wire in.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use skytale_note::VerifierKey;

use crate::cosignature::{CosignatureKind, WitnessSigner};
use crate::witness::Witness;

/// Arguments of `skytale witness serve`.
#[derive(clap::Args, Debug, Clone)]
#[command(about = "Run a C2SP tlog-witness: cosign checkpoints of the given logs")]
pub struct WitnessServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8091")]
    pub listen: SocketAddr,
    /// Witness private key files (from `skytale witness key`), one per key; give one
    /// ML-DSA-44 and/or one Ed25519 key.
    #[arg(long = "key", required = true)]
    pub keys: Vec<PathBuf>,
    /// A log to witness, as its C2SP verifier key (`<origin>+<hexid>+<base64>`); repeat.
    #[arg(long = "log", required = true)]
    pub logs: Vec<String>,
    /// Where the latest cosigned checkpoint of each log is kept.
    #[arg(long, default_value = "./skytale-witness")]
    pub state_dir: PathBuf,
}

/// Arguments of `skytale witness key`.
#[derive(clap::Args, Debug, Clone)]
#[command(about = "Generate a witness key (ML-DSA-44 by default) and print its verifier key")]
pub struct WitnessKeyArgs {
    /// The witness name, a schema-less URL such as `witness.example.org/w1`.
    #[arg(long)]
    pub name: String,
    /// Cosignature type.
    #[arg(long, value_enum, default_value_t = CosignatureKind::MlDsa44)]
    pub kind: CosignatureKind,
    /// File to write the private key to (mode 0600).
    #[arg(long)]
    pub out: PathBuf,
}

/// Errors of the witness subcommands.
#[derive(Debug, thiserror::Error)]
pub enum WitnessCliError {
    /// A file could not be read or written.
    #[error("{path}: {why}")]
    File {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        why: String,
    },
    /// A key did not parse.
    #[error("{what}: {why}")]
    Key {
        /// Which argument.
        what: String,
        /// Why.
        why: String,
    },
    /// The witness could not start.
    #[error(transparent)]
    Witness(#[from] crate::witness::WitnessError),
    /// Listening or serving failed.
    #[error("serving on {addr}: {why}")]
    Serve {
        /// The address.
        addr: SocketAddr,
        /// Why.
        why: String,
    },
}

/// Generates a key, writes it (0600) and returns its verifier key text.
pub fn run_witness_key(args: &WitnessKeyArgs) -> Result<String, WitnessCliError> {
    let k = WitnessSigner::generate(args.kind, &args.name).map_err(|e| WitnessCliError::Key {
        what: "--name".into(),
        why: e.to_string(),
    })?;
    write_private(&args.out, format!("{}\n", k.to_skey_string()).as_bytes()).map_err(|e| {
        WitnessCliError::File {
            path: args.out.clone(),
            why: e.to_string(),
        }
    })?;
    Ok(k.verifier().to_string())
}

fn write_private(path: &std::path::Path, data: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        o.mode(0o600);
    }
    let mut f = o.open(path)?;
    f.write_all(data)?;
    f.sync_all()
}

/// Builds the witness described by `args` (keys read, logs parsed, state dir created).
pub fn build_witness(args: &WitnessServeArgs) -> Result<Witness, WitnessCliError> {
    let mut signers = Vec::new();
    for p in &args.keys {
        let text = std::fs::read_to_string(p).map_err(|e| WitnessCliError::File {
            path: p.clone(),
            why: e.to_string(),
        })?;
        signers.push(
            WitnessSigner::parse(&text).map_err(|e| WitnessCliError::Key {
                what: p.display().to_string(),
                why: e.to_string(),
            })?,
        );
    }
    let mut logs = Vec::new();
    for l in &args.logs {
        logs.push(VerifierKey::parse(l).map_err(|e| WitnessCliError::Key {
            what: format!("--log {l}"),
            why: e.to_string(),
        })?);
    }
    Ok(Witness::new(signers, logs, &args.state_dir)?)
}

/// Runs the witness until `shutdown` resolves.
pub async fn run_witness_serve(
    args: &WitnessServeArgs,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), WitnessCliError> {
    let w = Arc::new(build_witness(args)?);
    for s in w.signers() {
        tracing::info!(name = s.name(), kind = %s.kind(), key = %s.verifier(), "witness key");
    }
    let serve_err = |e: std::io::Error| WitnessCliError::Serve {
        addr: args.listen,
        why: e.to_string(),
    };
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(serve_err)?;
    crate::server::serve(w, listener, shutdown)
        .await
        .map_err(serve_err)
}
