//! `skytale witness serve` and `skytale witness key`: arguments and their `run` functions over
//! `skytale-witness`, which knows no command line.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context as _, Result};
use skytale_note::VerifierKey;
use skytale_witness::{CosignatureKind, Witness, WitnessSigner};

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

/// The cosignature types, as `--kind` names them.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum KindArg {
    /// Ed25519 `cosignature/v1` (type 0x04).
    Ed25519,
    /// ML-DSA-44 `subtree/v1` (type 0x06), post-quantum; recommended for new deployments.
    #[value(name = "ml-dsa-44")]
    MlDsa44,
}

impl From<KindArg> for CosignatureKind {
    fn from(k: KindArg) -> Self {
        match k {
            KindArg::Ed25519 => CosignatureKind::Ed25519,
            KindArg::MlDsa44 => CosignatureKind::MlDsa44,
        }
    }
}

/// Arguments of `skytale witness key`.
#[derive(clap::Args, Debug, Clone)]
#[command(about = "Generate a witness key (ML-DSA-44 by default) and print its verifier key")]
pub struct WitnessKeyArgs {
    /// The witness name, a schema-less URL such as `witness.example.org/w1`.
    #[arg(long)]
    pub name: String,
    /// Cosignature type.
    #[arg(long, value_enum, default_value_t = KindArg::MlDsa44)]
    pub kind: KindArg,
    /// File to write the private key to (mode 0600).
    #[arg(long)]
    pub out: PathBuf,
}

/// Generates a key, writes it (0600, never over an existing file) and returns its verifier key
/// text.
pub fn run_witness_key(args: &WitnessKeyArgs) -> Result<String> {
    let k = WitnessSigner::generate(args.kind.into(), &args.name).context("--name")?;
    skytale_store::write_private(&args.out, format!("{}\n", k.to_skey_string()).as_bytes())
        .with_context(|| args.out.display().to_string())?;
    Ok(k.verifier().to_string())
}

/// Builds the witness described by `args` (keys read, logs parsed, state dir created).
pub fn build_witness(args: &WitnessServeArgs) -> Result<Witness> {
    let mut signers = Vec::new();
    for p in &args.keys {
        let text = std::fs::read_to_string(p).with_context(|| p.display().to_string())?;
        signers.push(WitnessSigner::parse(&text).with_context(|| p.display().to_string())?);
    }
    let mut logs = Vec::new();
    for l in &args.logs {
        logs.push(VerifierKey::parse(l).with_context(|| format!("--log {l}"))?);
    }
    Ok(Witness::new(signers, logs, &args.state_dir)?)
}

/// Runs the witness until `shutdown` resolves.
pub async fn run_witness_serve(
    args: &WitnessServeArgs,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<()> {
    let w = Arc::new(build_witness(args)?);
    for s in w.signers() {
        tracing::info!(name = s.name(), kind = %s.kind(), key = %s.verifier(), "witness key");
    }
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("listening on {}", args.listen))?;
    skytale_witness::server::serve(w, listener, shutdown)
        .await
        .with_context(|| format!("serving on {}", args.listen))
}
