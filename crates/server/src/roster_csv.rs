//! The roster as CSV: `GET /agents/export` streams a list's agents (the `csv` crate,
//! UTF-8 with a byte-order mark, cells defused for spreadsheets), and
//! `POST /agents/import` reads a file as it arrives (at most [`MAX_IMPORT_BYTES`], on
//! this route only) into rows for the store's import.

use std::io::{BufRead, BufReader, Read};

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use tokio_util::io::{StreamReader, SyncIoBridge};

use alc_domain::import::{
    Columns, ImportPreview, ImportQuery, ImportRow, MAX_IMPORT_ROWS, defuse, export_row, header,
};
use alc_domain::{Agent, AgentQuery, ErrorCode, FieldError, FieldPath};

use crate::error::{ApiError, Json, Query};
use crate::store::{ImportRefused, Store, StoreError};

/// The largest import file: 50,000 rows of a few hundred bytes.
pub const MAX_IMPORT_BYTES: usize = 32 * 1024 * 1024;

/// `GET /agents/export?…`: every agent the list's query admits, in its order, as
/// `agents.csv`. The rows are written as the store reads them, a few hundred at a time.
pub async fn export(State(store): State<Store>, Query(query): Query<AgentQuery>) -> Response {
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<Agent>, StoreError>>(2);
    tokio::spawn(async move { store.export_agents(&query, tx).await });
    let head = futures::stream::once(async { Ok::<Bytes, std::io::Error>(head_bytes()) });
    let rows = futures::stream::unfold(rx, |mut rx| async move {
        let chunk = rx.recv().await?;
        let bytes = match chunk {
            Ok(agents) => Ok(rows_bytes(&agents)),
            Err(e) => {
                tracing::error!(error = %e, "export failed");
                Err(std::io::Error::other("the export could not be read"))
            }
        };
        Some((bytes, rx))
    });
    // Fused: the compression layer may poll again after the end.
    csv_file("agents.csv", Body::from_stream(head.chain(rows).fuse()))
}

/// A CSV download named `name`.
fn csv_file(name: &str, body: Body) -> Response {
    let disposition = format!("attachment; filename=\"{name}\"");
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            ),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_str(&disposition).expect("a plain file name"),
            ),
        ],
        body,
    )
        .into_response()
}

fn writer() -> csv::Writer<Vec<u8>> {
    csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new())
}

/// The byte-order mark (so spreadsheet programs read the file as UTF-8) and the header.
fn head_bytes() -> Bytes {
    with_bom(writer_with_header())
}

fn writer_with_header() -> csv::Writer<Vec<u8>> {
    let mut w = writer();
    w.write_record(header()).expect("a record to memory");
    w
}

/// The byte-order mark, then what `w` wrote.
fn with_bom(w: csv::Writer<Vec<u8>>) -> Bytes {
    let mut out = "\u{feff}".as_bytes().to_vec();
    out.extend(w.into_inner().expect("a writer to memory"));
    out.into()
}

fn rows_bytes(agents: &[Agent]) -> Bytes {
    let mut w = writer();
    for a in agents {
        let row = export_row(a);
        w.write_record(row.iter().map(|c| defuse(c).into_owned()))
            .expect("a record to memory");
    }
    w.into_inner().expect("a writer to memory").into()
}

/// `GET /agents/import-template`: the header and one example row of a new agent.
pub async fn template() -> Response {
    let mut w = writer_with_header();
    w.write_record([
        "Jordan Example",
        "jordan.example@example.com",
        "2101",
        "WebRTC",
        "yes",
        "no",
        "no",
        "no",
        "",
        "",
        "",
    ])
    .expect("a record to memory");
    csv_file("agents-template.csv", Body::from(with_bom(w)))
}

/// `POST /agents/import?file=…[&apply=…][&leave_out_errors=true]`, the file as the body.
pub async fn import(
    State(store): State<Store>,
    who: axum::Extension<crate::store::access::Principal>,
    Query(q): Query<ImportQuery>,
    body: Body,
) -> Result<Json<ImportPreview>, ApiError> {
    let q = ImportQuery {
        file: clean_file_name(&q.file),
        ..q
    };
    let rows = read_rows(body).await?;
    match store.import(&who.actor(), &q, &rows).await? {
        Ok(preview) => Ok(Json(preview)),
        Err(ImportRefused::Changed(_)) => Err(ApiError::new(
            StatusCode::CONFLICT,
            ErrorCode::ImportChanged,
            "The agents or the file changed since the preview, and nothing was imported. Preview the file again and check it before applying.",
        )),
        Err(ImportRefused::HasErrors(preview)) => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::ImportHasErrors,
            format!(
                "{} rows are in error and nothing was imported. Fix them, or leave them out.",
                preview.errors
            ),
        )
        .with_fields(
            preview
                .rows
                .iter()
                .filter_map(|r| match &r.status {
                    alc_domain::import::RowStatus::Error { code, reason } => Some(FieldError {
                        field: FieldPath::Input(format!("rows[{}]", r.line)),
                        code: *code,
                        message: reason.clone(),
                    }),
                    _ => None,
                })
                .take(100)
                .collect(),
        )),
    }
}

/// A file's name as the audit log shows it: its last path part, printable, at most 120
/// characters ("upload.csv" when none is given).
fn clean_file_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let clean: String = base.chars().filter(|c| !c.is_control()).take(120).collect();
    let clean = clean.trim();
    if clean.is_empty() {
        "upload.csv".into()
    } else {
        clean.to_string()
    }
}

fn bad(code: ErrorCode, message: impl Into<String>) -> ApiError {
    let status = match code {
        ErrorCode::BodyTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    };
    ApiError::new(status, code, message)
}

/// The body's rows, parsed as the bytes arrive (on a blocking thread: the `csv`
/// crate reads synchronously); past [`MAX_IMPORT_BYTES`] the read stops.
async fn read_rows(body: Body) -> Result<Vec<ImportRow>, ApiError> {
    let mut seen = 0usize;
    let stream = body.into_data_stream().map(move |chunk| {
        let chunk = chunk.map_err(std::io::Error::other)?;
        seen += chunk.len();
        if seen > MAX_IMPORT_BYTES {
            return Err(std::io::Error::new(
                std::io::ErrorKind::FileTooLarge,
                "too large",
            ));
        }
        Ok(chunk)
    });
    let reader = SyncIoBridge::new(StreamReader::new(stream));
    tokio::task::spawn_blocking(move || parse(reader))
        .await
        .map_err(|_| ApiError::internal("the import's reader stopped"))?
}

/// Reads a CSV file: the header names the columns (see [`Columns::of`]); a row of empty
/// cells is skipped. Comma-separated, or semicolon-separated when the header has more
/// semicolons than commas (spreadsheets in many locales save so).
fn parse(reader: impl Read) -> Result<Vec<ImportRow>, ApiError> {
    let too_large = || {
        bad(
            ErrorCode::BodyTooLarge,
            format!(
                "The file is larger than the {} MiB one import may be. Split it into smaller files.",
                MAX_IMPORT_BYTES / 1024 / 1024
            ),
        )
    };
    let io = |e: std::io::Error| {
        if e.kind() == std::io::ErrorKind::FileTooLarge {
            too_large()
        } else {
            bad(ErrorCode::UnreadableBody, "The file could not be read.")
        }
    };
    let breaks = std::rc::Rc::new(std::cell::RefCell::new(Breaks::default()));
    let reader = Counted {
        inner: reader,
        at: 0,
        breaks: breaks.clone(),
    };
    let mut reader = BufReader::with_capacity(64 * 1024, reader);
    let head = reader.fill_buf().map_err(io)?;
    let first = head.split(|&b| b == b'\n').next().unwrap_or_default();
    let count = |c: u8| first.iter().filter(|&&b| b == c).count();
    let delimiter = if count(b';') > count(b',') {
        b';'
    } else {
        b','
    };
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(reader);
    let unreadable = |e: csv::Error| match e.kind() {
        csv::ErrorKind::Io(io_error) if io_error.kind() == std::io::ErrorKind::FileTooLarge => {
            too_large()
        }
        csv::ErrorKind::Utf8 { pos, .. } => bad(
            ErrorCode::InvalidCsv,
            format!(
                "Line {} is not UTF-8 text. Save the file as \"CSV UTF-8\" and try again.",
                breaks
                    .borrow_mut()
                    .line_at(pos.as_ref().map_or(0, |p| p.byte()))
            ),
        ),
        csv::ErrorKind::Io(_) => bad(ErrorCode::UnreadableBody, "The file could not be read."),
        _ => bad(
            ErrorCode::InvalidCsv,
            format!("The file is not CSV we can read: {e}"),
        ),
    };
    let mut record = csv::StringRecord::new();
    if !csv.read_record(&mut record).map_err(unreadable)? {
        return Err(bad(
            ErrorCode::InvalidCsv,
            "The file is empty: it needs a header row naming the columns.",
        ));
    }
    let header: Vec<&str> = record.iter().collect();
    let columns = Columns::of(&header).map_err(|m| bad(ErrorCode::InvalidCsv, m))?;
    let mut rows = Vec::new();
    loop {
        if !csv.read_record(&mut record).map_err(unreadable)? {
            break;
        }
        // The line where the record starts (a quoted cell may hold line breaks).
        let line = breaks
            .borrow_mut()
            .line_at(record.position().map_or(0, |p| p.byte()));
        if record.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        if rows.len() == MAX_IMPORT_ROWS {
            return Err(bad(
                ErrorCode::TooManyRows,
                format!(
                    "The file has more than {MAX_IMPORT_ROWS} rows, more than one import may hold. Split it into smaller files."
                ),
            ));
        }
        let cells: Vec<&str> = record.iter().collect();
        rows.push(columns.row(line, &cells));
    }
    Ok(rows)
}

/// The runs of line-break bytes (`\r`, `\n`) a reader has passed, so that a record's
/// line can be told from its byte offset: the `csv` crate's own line count differs for
/// `\r\n` files and blank lines. Runs behind the last record asked for are dropped
/// (counted), so this holds only what the readers' buffers hold ahead.
#[derive(Default)]
struct Breaks {
    /// (first byte, bytes, `\n`s in it), in order.
    runs: std::collections::VecDeque<(u64, u64, u64)>,
    /// `\n`s in the runs dropped.
    behind: u64,
}

impl Breaks {
    fn push(&mut self, at: u64, lf: bool) {
        match self.runs.back_mut() {
            Some((start, len, lfs)) if *start + *len == at => {
                *len += 1;
                *lfs += u64::from(lf);
            }
            _ => self.runs.push_back((at, 1, u64::from(lf))),
        }
    }

    /// The line of the first byte at or after `byte` that is not a line break (where a
    /// record that the reader says starts at `byte` really begins). `byte`s must not
    /// go back.
    fn line_at(&mut self, byte: u64) -> u64 {
        while let Some(&(start, len, lfs)) = self.runs.front() {
            if start + len <= byte {
                self.behind += lfs;
                self.runs.pop_front();
            } else if start <= byte {
                // The record starts inside a run of breaks: after the whole run.
                self.behind += lfs;
                self.runs.pop_front();
                return self.behind + 1;
            } else {
                break;
            }
        }
        self.behind + 1
    }
}

/// A reader that notes each line-break byte in [`Breaks`].
struct Counted<R> {
    inner: R,
    at: u64,
    breaks: std::rc::Rc<std::cell::RefCell<Breaks>>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut breaks = self.breaks.borrow_mut();
        for (i, &b) in buf[..n].iter().enumerate() {
            if b == b'\n' || b == b'\r' {
                breaks.push(self.at + i as u64, b == b'\n');
            }
        }
        self.at += n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(text: &str) -> Result<Vec<ImportRow>, ApiError> {
        parse(text.as_bytes())
    }

    #[test]
    fn an_export_row_reads_back() {
        let agent = Agent {
            id: alc_domain::AgentId(1),
            name: "=HYPERLINK(\"x\")".into(),
            email: "ann@example.com".into(),
            extension: "1001".into(),
            source: alc_domain::AgentSource::Webrtc,
            licenses: [alc_domain::LicenseType::Voice].into_iter().collect(),
            version: alc_domain::Version(1),
            gone: false,
            disabled: false,
            no_queue: false,
        };
        let mut file = head_bytes().to_vec();
        file.extend(rows_bytes(&[agent]));
        let text = String::from_utf8(file).unwrap();
        assert!(text.starts_with("\u{feff}Name,Email,Extension,Source,Voice,"));
        assert!(text.contains("\"'=HYPERLINK(\"\"x\"\")\""), "{text}");
        let read = rows(&text).unwrap();
        assert_eq!(read.len(), 1);
        assert_eq!(read[0].name, "=HYPERLINK(\"x\")");
        assert_eq!(read[0].line, 2);
        assert_eq!(read[0].licenses[0], alc_domain::import::Cell::Set(true),);
    }

    #[test]
    fn semicolons_blank_rows_and_line_numbers() {
        let read = rows("Email;Voice\r\nann@example.com;yes\r\n;\r\n\"bo\r\n@example.com\";no\r\n")
            .unwrap();
        assert_eq!(read.len(), 2);
        assert_eq!(read[1].line, 4);
        let read = rows("Email\nann@example.com\n\n\"bo\n\n@example.com\"\nc@example.com").unwrap();
        assert_eq!(read.iter().map(|r| r.line).collect::<Vec<_>>(), [2, 4, 7]);
    }

    #[test]
    fn unreadable_files_are_refused_with_a_reason() {
        let err = |t: &[u8]| parse(t).unwrap_err().body.code;
        assert_eq!(err(b""), ErrorCode::InvalidCsv);
        assert_eq!(err(b"Name,Voice\nAnn,yes"), ErrorCode::InvalidCsv);
        assert_eq!(err(b"Email\n\xff\xfe"), ErrorCode::InvalidCsv);
        let mut many = String::from("Extension\n");
        for i in 0..=MAX_IMPORT_ROWS {
            many.push_str(&format!("{i}\n"));
        }
        assert_eq!(err(many.as_bytes()), ErrorCode::TooManyRows);
    }

    #[test]
    fn file_names_are_cleaned() {
        assert_eq!(clean_file_name("C:\\Users\\x\\roster.csv"), "roster.csv");
        assert_eq!(clean_file_name("a\u{7}b.csv"), "ab.csv");
        assert_eq!(clean_file_name(""), "upload.csv");
    }
}
