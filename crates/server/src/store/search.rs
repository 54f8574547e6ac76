//! Agent search (`GET /agents?q=`): which rows a query matches, as a condition for
//! [`Store::list_agents`](super::Store::list_agents) to add to its count and its page.
//!
//! A query matches an agent when its name, email or extension contains it, without
//! regard to case: `agents.search_text` holds the three lowercased (ASCII letters, as
//! both backends' `lower()` does under our collation) and joined by U+001F, and the
//! query is lowercased in Rust, so matching is "`search_text` contains the query" on
//! both backends (migration 0011). How that is found quickly:
//!
//! - 1–2 characters have no trigram: a scan of `search_text LIKE '%q%'`, one column
//!   already lowercased (SQLite reads it from a covering index). The page stops early,
//!   walking the name index, because short queries match many agents.
//! - 3 or more, PostgreSQL: the same `LIKE`, which pg_trgm's GIN index answers; the
//!   planner, from its statistics, scans instead when most rows match.
//! - 3 or more, SQLite: the FTS5 trigram table `agents_search`, a phrase MATCH (exact
//!   substring: the tokenizer is case sensitive over lowercased text). SQLite's planner
//!   cannot tell a query matching ten agents from one matching all of them, and
//!   through the index the second costs more than the scan (every match is counted,
//!   looked up and sorted), so the index is asked first for at most [`BROAD`] + 1
//!   matches: more than [`BROAD`], and the query is answered by the scan above.
//! - A query holding U+001F itself (which could match across two fields of
//!   `search_text`): each column on its own, as before the index.

use sqlx::AnyConnection;

use super::{Backend, Sql, contains_pattern};

/// What joins the fields in `search_text` (migration 0011).
const SEPARATOR: char = '\u{1f}';

/// `search_text` of an agent, as migration 0011's triggers make it (`lower()` folds
/// ASCII letters only, on both backends): for SQLite's bulk insert of a refresh, which
/// writes it with the row instead of leaving the trigger to rewrite every new row.
pub(crate) fn text(name: &str, email: &str, extension: &str) -> String {
    let mut t = String::with_capacity(name.len() + email.len() + extension.len() + 2);
    for (i, field) in [name, email, extension].into_iter().enumerate() {
        if i > 0 {
            t.push(SEPARATOR);
        }
        t.push_str(&field.to_ascii_lowercase());
    }
    t
}

/// How many index matches SQLite's search takes through the index; beyond this a scan
/// of `search_text` is cheaper than looking each match up and sorting them.
pub(crate) const BROAD: i64 = 2_000;

/// The shortest query a trigram index can answer.
const TRIGRAM: usize = 3;

/// A search, as the condition the list adds (after `WHERE …`).
pub(crate) enum Filter {
    /// `search_text LIKE pattern`: a scan, or PostgreSQL's trigram index.
    Like(String),
    /// SQLite's trigram index: the agents whose `search_text` holds the phrase.
    Trigrams(String),
    /// Name, email and extension one by one (a query holding the separator).
    Columns(String),
}

impl Filter {
    /// The condition for query `q` (trimmed, not empty). On SQLite, asks the index how
    /// broad it is first.
    pub(crate) async fn new(
        conn: &mut AnyConnection,
        backend: Backend,
        q: &str,
    ) -> Result<Filter, sqlx::Error> {
        let lowered = q.to_lowercase();
        let pattern = contains_pattern(&lowered);
        if lowered.contains(SEPARATOR) {
            return Ok(Filter::Columns(pattern));
        }
        if backend == Backend::Sqlite && lowered.chars().count() >= TRIGRAM {
            let phrase = fts_phrase(&lowered);
            let matches: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM (SELECT rowid FROM agents_search
                   WHERE agents_search MATCH $1 LIMIT $2)",
            )
            .bind(&phrase)
            .bind(BROAD + 1)
            .fetch_one(&mut *conn)
            .await?;
            if matches <= BROAD {
                return Ok(Filter::Trigrams(phrase));
            }
        }
        Ok(Filter::Like(pattern))
    }

    /// Appends ` AND <condition>`.
    pub(crate) fn push(&self, qb: &mut Sql) {
        match self {
            Filter::Like(pattern) => {
                qb.push(" AND search_text LIKE ")
                    .bind(pattern.clone())
                    .push(" ESCAPE '\\'");
            }
            Filter::Trigrams(phrase) => {
                qb.push(" AND id IN (SELECT rowid FROM agents_search WHERE agents_search MATCH ")
                    .bind(phrase.clone())
                    .push(")");
            }
            Filter::Columns(pattern) => {
                qb.push(" AND (lower(name) LIKE ")
                    .bind(pattern.clone())
                    .push(" ESCAPE '\\' OR lower(extension) LIKE ")
                    .bind(pattern.clone())
                    .push(" ESCAPE '\\' OR lower(email) LIKE ")
                    .bind(pattern.clone())
                    .push(" ESCAPE '\\')");
            }
        }
    }
}

/// An FTS5 string (`"…"`, a `"` doubled): the query as one phrase, every character
/// literal, which the trigram tokenizer matches as a substring.
fn fts_phrase(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specials_are_literal() {
        assert_eq!(contains_pattern(r"A%b_c\d"), r"%a\%b\_c\\d%");
        assert_eq!(fts_phrase(r#"say "hi""#), r#""say ""hi""""#);
    }
}
