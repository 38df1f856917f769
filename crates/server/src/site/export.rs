//! The static export: everything the server serves for an election at one snapshot, as files.

use axum::body::{Body, Bytes};
use axum::http::{header, StatusCode};

use super::routes::archive_languages;
use crate::AppState;

/// One file of a published directory: the URL path and the bytes the server sends for it.
#[derive(Debug, Clone)]
pub struct ExportedFile {
    pub path: String,
    pub content_type: String,
    pub body: Bytes,
    pub gzip: Option<Bytes>,
    pub br: Option<Bytes>,
}

/// Why an election could not be exported.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("no election {0:?} in this data directory")]
    UnknownElection(String),
    #[error("the site of election {0:?} was not rendered in time")]
    NotReady(String),
    #[error("GET {path} answered {status}")]
    Status { path: String, status: StatusCode },
    #[error("GET {path}: {why}")]
    Body { path: String, why: String },
}

/// Everything the server serves for election `id` as static files (pages, assets, feeds, the
/// JSON, CSV and CDF documents, the definition, the snapshot document, the checkpoint, every
/// hash tile at its size and the entry bundles of the published prefix, the archive), each
/// fetched through the server's own router, so the bytes are by construction the ones the
/// server sends for that URL path. Compressed variants are the server's own for site files
/// (absent for the rest). Every artefact is of one snapshot (the runtime takes no submissions
/// while it is exported: `publish` loads its own), which `snapshot` names; under an embargo,
/// the sealed entries are not written, as the server does not serve them.
pub async fn export(state: &AppState, id: &str) -> Result<Vec<ExportedFile>, ExportError> {
    use tower::ServiceExt as _;

    let rt = state
        .election(id)
        .ok_or_else(|| ExportError::UnknownElection(id.to_string()))?;
    if !super::ready(&rt, std::time::Duration::from_secs(600)).await {
        return Err(ExportError::NotReady(id.to_string()));
    }
    let e = skytale_render::html::seg(id);
    let mut paths: Vec<String> = rt.site.current().paths();
    paths.push("/".to_string());
    paths.extend(archive_languages().iter().map(|l| format!("/{l}/")));
    paths.extend([
        "/api/v1/elections".to_string(),
        "/api/v1/schema/election.json".to_string(),
        format!("/api/v1/elections/{e}"),
        format!("/api/v1/elections/{e}/results"),
        format!("/api/v1/elections/{e}/cdf.json"),
        format!("/api/v1/elections/{e}/cdf.xml"),
        format!("/api/v1/elections/{e}/cdf.google.xml"),
        format!("/api/v1/elections/{e}/eml.510.xml"),
        format!("/api/v1/elections/{e}/eml.520.xml"),
        format!("/api/v1/elections/{e}/snapshot"),
        format!("/api/v1/elections/{e}/approvals"),
        format!("/log/{e}/checkpoint"),
    ]);
    let def = rt.definition.clone();
    for c in def.contests() {
        let rounds = c.kind == skytale_model::ContestKind::RankedChoice;
        let c = skytale_render::html::seg(&c.id);
        paths.push(format!("/api/v1/elections/{e}/results/{c}"));
        paths.push(format!("/api/v1/elections/{e}/results/{c}.csv"));
        if rounds {
            paths.push(format!("/api/v1/elections/{e}/results/{c}.rounds.csv"));
        }
    }
    // The hash tiles at the size of the checkpoint that is served with them; the entry
    // bundles of the published prefix only.
    let (size, published, cp_body) = {
        let log = rt.log.read().unwrap_or_else(|p| p.into_inner());
        (log.size, log.published, log.checkpoint.clone())
    };
    for t in skytale_tlog::tiles::tiles_for_size(size) {
        if matches!(t, skytale_tlog::tiles::TilePath::Hash { .. }) {
            paths.push(format!("/log/{e}/{}", t.to_path()));
        }
    }
    for t in skytale_tlog::tiles::tiles_for_size(published) {
        if matches!(t, skytale_tlog::tiles::TilePath::Entries { .. }) {
            paths.push(format!("/log/{e}/{}", t.to_path()));
        }
    }
    paths.sort();
    paths.dedup();

    let router = crate::api::router(state.clone());
    let get = |path: String, enc: Option<&'static str>| {
        let router = router.clone();
        async move {
            let mut req = axum::http::Request::builder().uri(path.as_str());
            if let Some(enc) = enc {
                req = req.header(header::ACCEPT_ENCODING, enc);
            }
            let req = req.body(Body::empty()).map_err(|e| ExportError::Body {
                path: path.clone(),
                why: e.to_string(),
            })?;
            let resp = router.oneshot(req).await.map_err(|e| ExportError::Body {
                path: path.clone(),
                why: e.to_string(),
            })?;
            if resp.status() != StatusCode::OK {
                return Err(ExportError::Status {
                    path,
                    status: resp.status(),
                });
            }
            let ct = resp
                .headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("application/octet-stream")
                .to_string();
            let coding = resp
                .headers()
                .get(header::CONTENT_ENCODING)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            let body = axum::body::to_bytes(resp.into_body(), usize::MAX)
                .await
                .map_err(|e| ExportError::Body {
                    path: path.clone(),
                    why: e.to_string(),
                })?;
            Ok::<_, ExportError>((ct, coding, body))
        }
    };
    let mut out = Vec::with_capacity(paths.len());
    for path in paths {
        let (content_type, _, body) = get(path.clone(), None).await?;
        let (_, gz_coding, gz) = get(path.clone(), Some("gzip")).await?;
        let (_, br_coding, br) = get(path.clone(), Some("br")).await?;
        out.push(ExportedFile {
            path,
            content_type,
            body,
            gzip: (gz_coding.as_deref() == Some("gzip")).then_some(gz),
            br: (br_coding.as_deref() == Some("br")).then_some(br),
        });
    }
    // The checkpoint must not have moved while the tiles were read (a quiet runtime: publish
    // loads its own, which takes no submissions).
    let cp_now = rt
        .log
        .read()
        .unwrap_or_else(|p| p.into_inner())
        .checkpoint
        .clone();
    if cp_now != cp_body {
        return Err(ExportError::Body {
            path: format!("/log/{e}/checkpoint"),
            why: "the log grew while it was being exported".into(),
        });
    }
    Ok(out)
}
