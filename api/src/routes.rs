//! The route table. View routes are the only data an impersonation token can
//! reach, and they are GET-only: the SPA's request guard and the server's
//! enforcement layer both decide from [`VIEW_ROUTES`] and [`match_view`], so a
//! route added here is guarded on both sides at once.

/// Every view endpoint lives under this prefix.
pub const VIEW_PREFIX: &str = "/api/view";

/// The one method a view route answers.
pub const VIEW_METHOD: &str = "GET";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ViewRouteId {
    Assignments,
    Assignment,
    Runs,
    Run,
    Workspace,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ViewRoute {
    pub id: ViewRouteId,
    /// axum 0.8 syntax: `{id}` is one path segment.
    pub pattern: &'static str,
    /// The query parameters the route reads (the audit trail keeps these
    /// and drops the rest).
    pub query: &'static [&'static str],
}

pub const VIEW_ROUTES: [ViewRoute; 5] = [
    ViewRoute {
        id: ViewRouteId::Assignments,
        pattern: "/api/view/assignments",
        query: &[],
    },
    ViewRoute {
        id: ViewRouteId::Assignment,
        pattern: "/api/view/assignments/{id}",
        query: &[],
    },
    ViewRoute {
        id: ViewRouteId::Runs,
        pattern: "/api/view/runs",
        query: &["assignment_id", "status", "before", "limit", "cursor"],
    },
    ViewRoute {
        id: ViewRouteId::Run,
        pattern: "/api/view/runs/{id}",
        query: &[],
    },
    ViewRoute {
        id: ViewRouteId::Workspace,
        pattern: "/api/view/workspace",
        query: &[],
    },
];

/// A path matched against the table, with its `{id}` segment if it has one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ViewMatch<'a> {
    pub route: &'static ViewRoute,
    pub id: Option<&'a str>,
}

/// True for any path under `/api/view`, listed or not: the server treats the
/// whole prefix as impersonation territory.
pub fn is_view_path(path: &str) -> bool {
    path == VIEW_PREFIX
        || path
            .strip_prefix(VIEW_PREFIX)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// Matches a path (without query string) to a view route. A trailing slash,
/// an empty `{id}` segment, `.`/`..` segments or percent-escapes in the id do
/// not match.
pub fn match_view(path: &str) -> Option<ViewMatch<'_>> {
    let path = path.split(['?', '#']).next().unwrap_or_default();
    VIEW_ROUTES.iter().find_map(|route| {
        let mut id = None;
        let mut want = route.pattern.split('/');
        let mut got = path.split('/');
        loop {
            match (want.next(), got.next()) {
                (None, None) => return Some(ViewMatch { route, id }),
                (Some("{id}"), Some(seg)) if is_id_segment(seg) => id = Some(seg),
                (Some(w), Some(g)) if w == g => {}
                _ => return None,
            }
        }
    })
}

fn is_id_segment(seg: &str) -> bool {
    !seg.is_empty()
        && seg.len() <= 64
        && seg
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Client-side path builders, so the SPA never formats a view path by hand.
pub mod path {
    pub fn assignments() -> String {
        "/api/view/assignments".to_string()
    }
    pub fn assignment(id: i64) -> String {
        format!("/api/view/assignments/{id}")
    }
    pub fn runs() -> String {
        "/api/view/runs".to_string()
    }
    pub fn run(id: i64) -> String {
        format!("/api/view/runs/{id}")
    }
    pub fn workspace() -> String {
        "/api/view/workspace".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builder_matches_its_route() {
        let cases = [
            (path::assignments(), ViewRouteId::Assignments, None),
            (path::assignment(7), ViewRouteId::Assignment, Some("7")),
            (path::runs(), ViewRouteId::Runs, None),
            (path::run(42), ViewRouteId::Run, Some("42")),
            (path::workspace(), ViewRouteId::Workspace, None),
        ];
        for (p, want, id) in cases {
            let m = match_view(&p).unwrap_or_else(|| panic!("{p} did not match"));
            assert_eq!(m.route.id, want);
            assert_eq!(m.id, id);
        }
    }

    #[test]
    fn query_strings_are_ignored() {
        let m = match_view("/api/view/runs?status=failed&limit=50").unwrap();
        assert_eq!(m.route.id, ViewRouteId::Runs);
    }

    #[test]
    fn off_table_paths_do_not_match() {
        for p in [
            "/api/view",
            "/api/view/",
            "/api/view/assignments/",
            "/api/view/assignments/7/run",
            "/api/view/assignments/..",
            "/api/view/assignments/%2e%2e",
            "/api/view/secrets",
            "/api/viewx/assignments",
            "/api/impersonations",
            "/api/view/runs//",
            "",
        ] {
            assert!(match_view(p).is_none(), "{p} should not match");
        }
    }

    #[test]
    fn view_prefix_is_recognised_without_false_friends() {
        assert!(is_view_path("/api/view"));
        assert!(is_view_path("/api/view/anything"));
        assert!(!is_view_path("/api/viewer"));
        assert!(!is_view_path("/api/me"));
    }

    #[test]
    fn patterns_are_unique_and_under_the_prefix() {
        for (i, a) in VIEW_ROUTES.iter().enumerate() {
            assert!(a.pattern.starts_with(VIEW_PREFIX));
            for b in &VIEW_ROUTES[i + 1..] {
                assert_ne!(a.pattern, b.pattern);
                assert_ne!(a.id, b.id);
            }
        }
    }
}
