//! The built SPA and the Content-Security-Policy that lets it run.

use std::{path::Path, sync::Arc};

use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use sha2::{Digest, Sha256};
use tower::ServiceExt;
use tower_http::services::{ServeDir, ServeFile};

use super::{AppError, Settings};

pub fn is_api_path(path: &str) -> bool {
    path == "/api" || path.starts_with("/api/")
}

#[derive(Clone)]
pub enum Spa {
    Files(Arc<SpaFiles>),
    Missing(String),
}

pub struct SpaFiles {
    /// The build's files, index.html for any other path.
    app: ServeDir<ServeFile>,
    /// The build's files only: a missing one is a 404.
    assets: ServeDir,
}

/// Whether `path` names a file of the build (a module, script, style sheet,
/// image, font) rather than a page of the console. A missing one must be a
/// 404: index.html in its place would reach the browser as a wasm module or
/// a script, and fail as a MIME type error instead of a failed fetch.
pub fn is_asset_path(path: &str) -> bool {
    const EXTENSIONS: &[&str] = &[
        "wasm", "js", "mjs", "css", "map", "json", "ico", "png", "svg", "jpg", "webp", "woff",
        "woff2", "txt", "br", "gz",
    ];
    let name = path.rsplit('/').next().unwrap_or(path);
    name.rsplit_once('.')
        .is_some_and(|(stem, ext)| !stem.is_empty() && EXTENSIONS.contains(&ext))
}

/// Static files from `dist`, with index.html for client-side routes. A
/// `.br` or `.gz` twin written at build time (`scripts/lib.sh`) is sent as
/// is to a client that accepts it: the bundle is compressed once, harder
/// than on the fly, and not again on every first load.
pub fn spa(dist: &Path) -> Spa {
    let index = dist.join("index.html");
    if index.is_file() {
        let index = ServeFile::new(index)
            .precompressed_br()
            .precompressed_gzip();
        let assets = ServeDir::new(dist).precompressed_br().precompressed_gzip();
        Spa::Files(Arc::new(SpaFiles {
            app: assets.clone().fallback(index),
            assets,
        }))
    } else {
        Spa::Missing(format!(
            "The console is not built: {} is missing.\nBuild it with `make run` \
             (or `trunk build --release`), or point --dist / VIEWAS_DIST at a build.\n\
             The API is available under /api.\n",
            index.display()
        ))
    }
}

/// Anything no route claimed: JSON 404 under /api (never index.html), the
/// file or a 404 for a file's path, otherwise the SPA.
pub async fn fallback(spa: Spa, req: Request) -> Response {
    if is_api_path(req.uri().path()) {
        return AppError::NotFound.into_response();
    }
    match spa {
        Spa::Files(files) if is_asset_path(req.uri().path()) => {
            match files.assets.clone().oneshot(req).await {
                Ok(res) => res.into_response(),
                Err(never) => match never {},
            }
        }
        Spa::Files(files) => match files.app.clone().oneshot(req).await {
            Ok(res) => res.into_response(),
            Err(never) => match never {},
        },
        Spa::Missing(msg) => (StatusCode::SERVICE_UNAVAILABLE, msg).into_response(),
    }
}

/// The CSP of every response. Trunk boots the wasm with an inline module
/// script, so its exact text is allowed by hash rather than by
/// 'unsafe-inline'; styles come only from the stylesheets (the SPA writes no
/// style attributes); frames are allowed only from ourselves and the
/// configured partner portals.
pub fn content_security_policy(settings: &Settings) -> HeaderValue {
    let html = std::fs::read_to_string(settings.dist.join("index.html")).unwrap_or_default();
    let mut script_src = vec!["'self'".to_string(), "'wasm-unsafe-eval'".to_string()];
    script_src.extend(inline_script_hashes(&html));
    let mut ancestors = vec!["'self'".to_string()];
    ancestors.extend(settings.partner_origins.iter().cloned());
    let csp = format!(
        "default-src 'self'; script-src {}; style-src 'self'; \
         img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; \
         frame-ancestors {}",
        script_src.join(" "),
        ancestors.join(" ")
    );
    // Origins were validated at parse time; fall back to the strictest
    // policy rather than none if something still slipped through.
    HeaderValue::from_str(&csp).unwrap_or_else(|_| {
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; frame-ancestors 'self'",
        )
    })
}

/// `'sha256-…'` of each inline `<script>` (one without `src`), over its exact
/// text as the browser hashes it.
pub fn inline_script_hashes(html: &str) -> Vec<String> {
    // ASCII lower-casing keeps byte offsets, so positions found in `lower`
    // index `html` directly.
    let lower = html.to_ascii_lowercase();
    let mut out = Vec::new();
    let mut pos = 0;
    while let Some(i) = lower[pos..].find("<script") {
        let start = pos + i;
        let Some(gt) = lower[start..].find('>') else {
            break;
        };
        let tag = &lower[start..start + gt];
        let body_start = start + gt + 1;
        let Some(end) = lower[body_start..].find("</script") else {
            break;
        };
        let has_src = tag
            .split(|c: char| c.is_ascii_whitespace())
            .any(|attr| attr == "src" || attr.starts_with("src="));
        if !has_src {
            let body = &html[body_start..body_start + end];
            let digest = Sha256::digest(body.as_bytes());
            out.push(format!(
                "'sha256-{}'",
                base64::engine::general_purpose::STANDARD.encode(digest)
            ));
        }
        pos = body_start + end;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_inline_style_or_script_is_allowed() {
        let csp = content_security_policy(&Settings::default());
        let csp = csp.to_str().unwrap_or_default();
        assert!(!csp.contains("'unsafe-inline'"), "{csp}");
        assert!(csp.contains("style-src 'self';"), "{csp}");
    }

    #[test]
    fn asset_paths_are_told_from_pages() {
        for p in [
            "/viewas-1a2b_bg.wasm",
            "/chunk_12-4f.wasm",
            "/__wasm_split-9c.js",
            "/main-0e.css",
            "/public/logo.svg",
        ] {
            assert!(is_asset_path(p), "{p}");
        }
        for p in [
            "/",
            "/session/runs/7",
            "/summary/3",
            "/audit",
            "/login",
            "/.wasm",
            "/a.b/c",
        ] {
            assert!(!is_asset_path(p), "{p}");
        }
    }

    #[test]
    fn hashes_only_inline_scripts() {
        let html = r#"<html><head><script src="/a.js"></script>
<SCRIPT type="module">import init from '/x.js';await init();</SCRIPT></head></html>"#;
        let hashes = inline_script_hashes(html);
        assert_eq!(hashes.len(), 1);
        let want = base64::engine::general_purpose::STANDARD
            .encode(Sha256::digest(b"import init from '/x.js';await init();"));
        assert_eq!(hashes[0], format!("'sha256-{want}'"));
    }
}
