//! The subcommands that need no server: keys and election creation, and the shared helpers.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context, Result};
use skytale_model::{Definition, DefinitionFormat};
use skytale_note::SigningKey;
use skytale_store::{write_private, Location, Store};

/// `skytale key generate`: a new Ed25519 key in the C2SP private-key form, mode 0600; the
/// verifier key goes to stdout and to `FILE.pub`.
pub fn key_generate(name: &str, out: &Path) -> Result<String> {
    let key = SigningKey::generate(name).map_err(|e| anyhow!("invalid key name {name:?}: {e}"))?;
    if out.exists() {
        bail!(
            "{} already exists; refusing to overwrite a key",
            out.display()
        );
    }
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    write_private(out, format!("{}\n", key.to_skey_string()).as_bytes())
        .with_context(|| format!("cannot write {}", out.display()))?;
    let vkey = key.verifier().to_string();
    let pub_path = pub_path(out);
    fs::write(&pub_path, format!("{vkey}\n"))
        .with_context(|| format!("cannot write {}", pub_path.display()))?;
    Ok(vkey)
}

fn pub_path(p: &Path) -> PathBuf {
    let mut s = p.as_os_str().to_owned();
    s.push(".pub");
    PathBuf::from(s)
}

/// Reads a signing key file written by `key generate`.
pub fn load_key(path: &Path) -> Result<SigningKey> {
    let text = fs::read_to_string(path)
        .with_context(|| format!("cannot read key file {}", path.display()))?;
    SigningKey::parse(text.trim())
        .map_err(|e| anyhow!("{}: not a skytale signing key: {e}", path.display()))
}

/// Reads a definition file (TOML or JSON by extension, else by content).
pub fn read_definition(path: &Path) -> Result<Definition> {
    let text =
        fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let format = match path.extension().and_then(|e| e.to_str()) {
        Some("json") => DefinitionFormat::Json,
        Some("toml") => DefinitionFormat::Toml,
        _ if text.trim_start().starts_with('{') => DefinitionFormat::Json,
        _ => DefinitionFormat::Toml,
    };
    Definition::parse(&text, format).map_err(|e| anyhow!("{}: {e}", path.display()))
}

/// Signs a definition as the head of a new log (entry 0, and its parts when it is large).
pub fn sign_definition(def: &Definition, key: &SigningKey) -> Result<Vec<Vec<u8>>> {
    Ok(skytale_model::sign_definition(def, key)?)
}

/// Checks an `--origin` given on the command line beyond the definition's own rule (checked
/// when the definition is validated): no URL scheme, since an origin is the checkpoint's
/// `HOST/PATH` line and the verification page puts `https://` before its host.
pub fn parse_origin(origin: &str) -> Result<String> {
    if origin.contains("://") {
        bail!("--origin {origin:?}: give HOST/PATH (e.g. results.example.org/eu-2029), without a scheme");
    }
    Ok(origin.to_string())
}

/// What `election create --from` says when no `--origin` names the public address.
pub fn no_origin_warning(id: &str) -> String {
    format!(
        "warning: no --origin: the log's origin will be skytale.invalid/{id}, so the verification page will not name a public address to verify from; give --origin HOST/PATH (e.g. results.example.org/{id})"
    )
}

/// `skytale election create`: validate, sign as entry 0, start the log in the data directory.
/// `origin` replaces the definition's own.
pub fn election_create(
    definition: &Path,
    origin: Option<&str>,
    key: &Path,
    data_dir: &Path,
    location: &Location,
) -> Result<String> {
    let mut def = read_definition(definition)?;
    if let Some(o) = origin {
        def.origin = Some(parse_origin(o)?);
    }
    def.clone()
        .validate()
        .map_err(|e| anyhow!("{}: {e}", definition.display()))?;
    let key = load_key(key)?;
    let head = sign_definition(&def, &key)?;
    let store = Store::open_at(data_dir, location)?;
    let (id, log_key) = skytale_server::create_election(&store, &head)?;
    Ok(format!(
        "created election {id} in {}\nlog origin: {}\nlog verifier key: {log_key}\n",
        data_dir.display(),
        def.origin()
    ))
}

/// `skytale election create --from FILE`: derive the definition from a tabulator export, sign it
/// with the authority key and authorise `reporter` for all its units. A `mapping` table gives
/// what the file lacks (party names and colours, the origin, which `origin` replaces).
#[allow(clippy::too_many_arguments)]
pub fn election_create_from(
    file: &Path,
    format: Option<&str>,
    id: &str,
    origin: Option<&str>,
    key: &Path,
    reporter: &str,
    date: Option<&str>,
    mapping: Option<&Path>,
    map: Option<&Path>,
    data_dir: &Path,
    location: &Location,
) -> Result<String> {
    let name = file.display().to_string();
    let named_format = crate::submit::parse_format(format)?;
    let origin = origin.map(parse_origin).transpose()?;
    let mapping = crate::submit::load_mapping(mapping)?;
    let (input, format) = crate::submit::open_results(
        file,
        named_format,
        "a definition is derived from NIST SP 1500-100 JSON or XML, Clarity XML or CSV",
    )?;
    let key = load_key(key)?;
    let reporter = skytale_note::VerifierKey::parse(reporter.trim())
        .map_err(|e| anyhow!("--reporter: {e}"))?;
    let opts = skytale_formats::DeriveOptions {
        date,
        mapping: mapping.as_ref(),
    };
    let mut def = skytale_formats::derive_definition_from(
        format,
        input,
        id,
        key.verifier(),
        reporter.name(),
        reporter.clone(),
        &opts,
    )
    .map_err(|e| anyhow!("{}", e.with_file(&name)))?;
    if origin.is_some() {
        def.origin = origin;
    }
    if let Some(path) = map {
        let bytes = fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        let value: serde_json::Value = serde_json::from_slice(&bytes)
            .with_context(|| format!("{} is not JSON", path.display()))?;
        let n = crate::map_file::attach(&mut def, &value)?;
        eprintln!(
            "map: {n} of {} units have a shape from {}",
            def.units.len(),
            path.display()
        );
    }
    if def.origin.is_none() {
        eprintln!("{}", no_origin_warning(id));
    }
    let out = data_dir.join(format!("{id}.definition.json"));
    fs::create_dir_all(data_dir)
        .with_context(|| format!("cannot create {}", data_dir.display()))?;
    fs::write(&out, serde_json::to_vec_pretty(&def)?)
        .with_context(|| format!("cannot write {}", out.display()))?;
    def.clone()
        .validate()
        .map_err(|e| anyhow!("the derived definition is invalid: {e}"))?;
    let head = sign_definition(&def, &key)?;
    let store = Store::open_at(data_dir, location)?;
    let (id, log_key) = skytale_server::create_election(&store, &head)?;
    Ok(format!(
        "created election {id} from {name} ({} units, {} contests); definition saved to {}\nlog origin: {}\nlog verifier key: {log_key}\n",
        def.units.len(),
        def.contests.len(),
        out.display(),
        def.origin()
    ))
}
