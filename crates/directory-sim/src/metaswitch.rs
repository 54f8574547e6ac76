//! A fake MetaView Sh SOAP service: `POST /mvweb/services/ShService`, `ShPull`, HTTP
//! Basic auth against `sim.credentials.username` / `password`.
//!
//! `sim.credentials.tenant` is the business group as "MetaSwitchName/BusinessGroupName";
//! a UserIdentity is its form-URL-encoded parts joined with `/` (a third part names a
//! hunt group). People are "Individual line"s with directory number
//! [`directory_number`]; each queue is a hunt group named like the queue, with a
//! "MLHG pilot" line of its own. Every answer is one page: the Sh interface has no
//! paging we know of. Result codes: 2001 success, 5001 unknown identity, 5100 unknown
//! service indication. A queue in [`crate::Faults::vanished_queues`] is listed, but its
//! members answer 5001. Requests must send `Accept: text/xml`. The shapes are the
//! connector's assumptions, not verified ones.

use std::fmt::Write;
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use quick_xml::Reader;
use quick_xml::escape::escape;
use quick_xml::events::Event;

use crate::{Directory, Gate, Queue, Sim};

const LINES: &str = "Meta_BusinessGroup_ChildrenList_Subscriber";
const HUNT_GROUPS: &str = "Meta_BusinessGroup_ChildrenList_MLHG";
const MEMBERS: &str = "Meta_MLHG_MembersList";
const SOAP_ACTION: &str = "http://www.metaswitch.com/srb/soap/sh/ShPull";

/// The directory number the fake gives the person with id `person_id`.
pub fn directory_number(person_id: &str) -> String {
    format!("1555{person_id:0>6}")
}

fn pilot_number(queue: &Queue) -> String {
    format!("1556{:0>6}", queue.id)
}

pub fn router(sim: Arc<Sim>) -> Router {
    Router::new()
        .route("/mvweb/services/ShService", post(sh_pull))
        .with_state(sim)
}

async fn sh_pull(State(sim): State<Arc<Sim>>, headers: HeaderMap, body: String) -> Response {
    let expected = crate::basic_auth(&sim.credentials.username, &sim.credentials.password);
    let authorised = headers
        .get(header::AUTHORIZATION)
        .is_some_and(|v| v.as_bytes() == expected.as_bytes());
    match sim.gate(authorised.then_some("")) {
        Gate::Serve => {}
        Gate::Unauthorized => {
            return (
                StatusCode::UNAUTHORIZED,
                [(header::WWW_AUTHENTICATE, "Basic realm=\"MetaView\"")],
                "<html><body>401 Unauthorized</body></html>",
            )
                .into_response();
        }
        Gate::RateLimited(secs) => {
            return (
                StatusCode::TOO_MANY_REQUESTS,
                [(header::RETRY_AFTER, secs.to_string())],
                "",
            )
                .into_response();
        }
        Gate::ServerError => return fault("Server", "MetaView Server is busy"),
        Gate::Hostile(kind) => return crate::hostile(kind, "text/xml; charset=utf-8"),
        Gate::Malformed => {
            return xml(
                StatusCode::OK,
                "<soapenv:Envelope><soapenv:Body><sh:ShPullResponse><sh:ResultCode>2001\
                 </sh:ResultCode><sh:UserData><Sh-Data><RepositoryData>"
                    .into(),
            );
        }
    }
    let action = headers.get("SOAPAction").and_then(|v| v.to_str().ok());
    if action.map(|a| a.trim_matches('"')) != Some(SOAP_ACTION) {
        return fault("Client", "missing or unknown SOAPAction");
    }
    let Some((identity, indication)) = read_request(&body) else {
        return fault("Client", "not an ShPull request");
    };
    let parts: Option<Vec<String>> = identity.split('/').map(form_decode).collect();
    let (owner, hunt_group) = match parts.as_deref() {
        Some([ms, bg]) => (format!("{ms}/{bg}"), None),
        Some([ms, bg, mlhg]) => (format!("{ms}/{bg}"), Some(mlhg.as_str())),
        _ => return result(5001, "Unknown user identity", None),
    };
    if owner != sim.credentials.tenant {
        return result(5001, "Unknown user identity", None);
    }
    let directory = sim.directory.lock().unwrap();
    let data = match (indication.as_str(), hunt_group) {
        (LINES, None) => lines(&directory),
        (HUNT_GROUPS, None) => hunt_groups(&directory),
        (MEMBERS, Some(name)) => {
            match (directory.queues.iter()).find(|q| q.name == name && !sim.vanished(&q.id)) {
                Some(queue) => members(queue),
                None => return result(5001, "Unknown user identity", None),
            }
        }
        _ => return result(5100, "Service indication not recognised", None),
    };
    result(2001, "Success", Some((&indication, &data)))
}

fn lines(directory: &Directory) -> String {
    let mut out = String::with_capacity(150 * directory.people.len());
    let mut line = |dn: &str, ext: &str, kind: &str| {
        out.push_str("<Subscriber><DirectoryNumber>");
        out.push_str(dn);
        out.push_str("</DirectoryNumber>");
        if !ext.is_empty() {
            let _ = write!(
                out,
                "<IntercomDialingCode>{}</IntercomDialingCode>",
                escape(ext)
            );
        }
        let _ = write!(out, "<SubscriberType>{kind}</SubscriberType></Subscriber>");
    };
    for p in &directory.people {
        line(&directory_number(&p.id), &p.extension, "Individual line");
    }
    for q in &directory.queues {
        line(&pilot_number(q), &q.extension, "MLHG pilot");
    }
    out
}

fn hunt_groups(directory: &Directory) -> String {
    directory
        .queues
        .iter()
        .map(|q| {
            format!(
                "<MLHG><Name>{}</Name><DirectoryNumber>{}</DirectoryNumber>\
                 <IntercomDialingCode>{}</IntercomDialingCode></MLHG>",
                escape(&q.name),
                pilot_number(q),
                escape(&q.extension)
            )
        })
        .collect()
}

fn members(queue: &Queue) -> String {
    queue
        .members
        .iter()
        .map(|id| {
            format!(
                "<Member><MemberDirectoryNumber>{}</MemberDirectoryNumber>\
                 <SubscriberType>Individual line</SubscriberType></Member>",
                directory_number(id)
            )
        })
        .collect()
}

/// An `ShPullResponse`; `data` is the service indication and its content.
fn result(code: u32, detail: &str, data: Option<(&str, &str)>) -> Response {
    let user_data = data
        .map(|(indication, content)| {
            format!(
                "<sh:UserData><Sh-Data xmlns=\"http://www.metaswitch.com/srb/soap/data/userdata\">\
                 <RepositoryData><ServiceIndication>{indication}</ServiceIndication>\
                 <SequenceNumber>1</SequenceNumber><ServiceData><MetaSwitchData>\
                 <{indication}>{content}</{indication}>\
                 </MetaSwitchData></ServiceData></RepositoryData></Sh-Data></sh:UserData>"
            )
        })
        .unwrap_or_default();
    xml(
        StatusCode::OK,
        envelope(&format!(
            "<sh:ShPullResponse xmlns:sh=\"http://www.metaswitch.com/srb/soap/sh\">\
             <sh:ExtendedResult><sh:ExtendedResultCode>{code}</sh:ExtendedResultCode>\
             <sh:ExtendedResultDetail>{detail}</sh:ExtendedResultDetail></sh:ExtendedResult>\
             <sh:ResultCode>{code}</sh:ResultCode>{user_data}</sh:ShPullResponse>"
        )),
    )
}

fn fault(code: &str, message: &str) -> Response {
    xml(
        StatusCode::INTERNAL_SERVER_ERROR,
        envelope(&format!(
            "<soapenv:Fault><faultcode>soapenv:{code}</faultcode>\
             <faultstring>{}</faultstring></soapenv:Fault>",
            escape(message)
        )),
    )
}

fn envelope(body: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
         <soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\">\
         <soapenv:Body>{body}</soapenv:Body></soapenv:Envelope>"
    )
}

fn xml(status: StatusCode, body: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/xml; charset=utf-8")],
        body,
    )
        .into_response()
}

/// UserIdentity and ServiceIndication of an `ShPull`, by local names.
fn read_request(body: &str) -> Option<(String, String)> {
    let mut reader = Reader::from_str(body);
    let (mut current, mut identity, mut indication) = (Vec::new(), None, None);
    loop {
        match reader.read_event().ok()? {
            Event::Start(e) => current = e.local_name().as_ref().to_vec(),
            Event::End(_) => current.clear(),
            Event::Text(t) => {
                let text = t.unescape().ok()?.into_owned();
                match current.as_slice() {
                    b"UserIdentity" => identity = Some(text),
                    b"ServiceIndication" => indication = Some(text),
                    _ => {}
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Some((identity?, indication?))
}

fn form_decode(s: &str) -> Option<String> {
    let mut out = Vec::with_capacity(s.len());
    let mut bytes = s.bytes();
    while let Some(b) = bytes.next() {
        match b {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = [bytes.next()?, bytes.next()?];
                out.push(u8::from_str_radix(std::str::from_utf8(&hex).ok()?, 16).ok()?);
            }
            _ => out.push(b),
        }
    }
    String::from_utf8(out).ok()
}
