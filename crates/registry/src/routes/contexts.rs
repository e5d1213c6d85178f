//! `/contexts/{ctx}/…` addressing (reference §7.2, Confluent's
//! `ContextFilter`): rewritten to the qualified form before routing.
//! - `/contexts/.ctx/subjects/s/…` → `/subjects/:.ctx:s/…` (a subject that
//!   already names a context is left alone);
//! - `/contexts/.ctx/subjects` → `/subjects?subjectPrefix=:.ctx:`;
//! - `/contexts/.ctx/config` and `/mode` → `/config/:.ctx:`, `/mode/:.ctx:`;
//!   `/contexts/.ctx/config/s` → `/config/:.ctx:s` (likewise mode);
//! - `/contexts/.ctx/schemas/…` → `/schemas/…?subject=:.ctx:`;
//! - `/contexts/.ctx/compatibility/subjects/s/…` →
//!   `/compatibility/subjects/:.ctx:s/…`.

use axum::extract::Request;
use axum::http::Uri;
use axum::middleware::Next;
use axum::response::Response;

/// Middleware on the outer router: rewrites the URI, then routes.
pub(crate) async fn rewrite(mut request: Request, next: Next) -> Response {
    if let Some(uri) = rewritten(request.uri()) {
        *request.uri_mut() = uri;
    }
    next.run(request).await
}

fn qualify(context: &str, subject: &str) -> String {
    let qualified = ["%3A.", "%3a.", ":."]
        .iter()
        .any(|p| subject.starts_with(p));
    if qualified || context == "." {
        subject.to_owned()
    } else {
        format!(":{context}:{subject}")
    }
}

fn rewritten(uri: &Uri) -> Option<Uri> {
    let path = uri.path().strip_prefix("/contexts/")?;
    let (context, rest) = path.split_once('/')?;
    let context = if context.starts_with('.') {
        context.to_owned()
    } else {
        format!(".{context}")
    };
    let prefix = if context == "." {
        String::new()
    } else {
        format!(":{context}:")
    };
    let mut extra_query: Option<String> = None;
    let segments: Vec<&str> = rest.split('/').collect();
    let new_path = match segments.as_slice() {
        ["subjects"] => {
            extra_query = Some(format!("subjectPrefix={prefix}"));
            "/subjects".to_owned()
        }
        ["subjects", subject, tail @ ..] => join("/subjects", &qualify(&context, subject), tail),
        ["compatibility", "subjects", subject, tail @ ..] => {
            join("/compatibility/subjects", &qualify(&context, subject), tail)
        }
        [root @ ("config" | "mode")] => format!("/{root}/{prefix}"),
        [root @ ("config" | "mode"), subject] => {
            format!("/{root}/{}", qualify(&context, subject))
        }
        ["schemas", ..] => {
            extra_query = Some(format!("subject={prefix}"));
            format!("/{rest}")
        }
        _ => return None,
    };
    let query = match (uri.query(), extra_query) {
        (Some(q), Some(e)) => Some(format!("{q}&{e}")),
        (Some(q), None) => Some(q.to_owned()),
        (None, e) => e,
    };
    let text = match query {
        Some(q) => format!("{new_path}?{q}"),
        None => new_path,
    };
    text.parse().ok()
}

fn join(root: &str, subject: &str, tail: &[&str]) -> String {
    let mut out = format!("{root}/{subject}");
    for t in tail {
        out.push('/');
        out.push_str(t);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(path: &str) -> Option<String> {
        let uri: Uri = path.parse().ok()?;
        rewritten(&uri).map(|u| u.to_string())
    }

    #[test]
    fn paths_are_qualified() {
        assert_eq!(
            r("/contexts/.ctx/subjects/foo/versions").as_deref(),
            Some("/subjects/:.ctx:foo/versions")
        );
        assert_eq!(
            r("/contexts/ctx/subjects/foo/versions/1?deleted=true").as_deref(),
            Some("/subjects/:.ctx:foo/versions/1?deleted=true")
        );
        assert_eq!(
            r("/contexts/.ctx/subjects/:.other:foo").as_deref(),
            Some("/subjects/:.other:foo")
        );
        assert_eq!(
            r("/contexts/.ctx/subjects").as_deref(),
            Some("/subjects?subjectPrefix=:.ctx:")
        );
        assert_eq!(
            r("/contexts/.ctx/config").as_deref(),
            Some("/config/:.ctx:")
        );
        assert_eq!(r("/contexts/.ctx/mode/s").as_deref(), Some("/mode/:.ctx:s"));
        assert_eq!(
            r("/contexts/.ctx/schemas/ids/3").as_deref(),
            Some("/schemas/ids/3?subject=:.ctx:")
        );
        assert_eq!(
            r("/contexts/./subjects/foo/versions").as_deref(),
            Some("/subjects/foo/versions")
        );
        assert_eq!(r("/contexts"), None);
        assert_eq!(r("/subjects/x"), None);
    }
}
