//! Saves text the console fetched (a CSV export, the import's template) as a file the
//! browser downloads: a Blob and a link with `download`, so it works with a bearer
//! token inside a portal, where a plain link to the API would carry none.

use wasm_bindgen::JsCast;

/// Downloads `text` as `name`, a UTF-8 CSV file with a byte-order mark (spreadsheet
/// programs read accents right only with one; `fetch` drops the server's when it
/// decodes the answer). Answers whether the browser took it.
pub fn save_csv(name: &str, text: &str) -> bool {
    let parts = js_sys::Array::of2(&"\u{feff}".into(), &text.into());
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("text/csv;charset=utf-8");
    let Ok(blob) = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options) else {
        return false;
    };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else {
        return false;
    };
    let saved = (|| {
        let document = web_sys::window()?.document()?;
        let link: web_sys::HtmlAnchorElement =
            document.create_element("a").ok()?.dyn_into().ok()?;
        link.set_href(&url);
        link.set_download(name);
        link.set_hidden(true);
        // In the document while clicked: some browsers ignore a detached link.
        let body = document.body()?;
        body.append_child(&link).ok()?;
        link.click();
        body.remove_child(&link).ok()?;
        Some(())
    })()
    .is_some();
    // Revoked once the download has surely started.
    let revoke = wasm_bindgen::closure::Closure::once_into_js(move || {
        let _ = web_sys::Url::revoke_object_url(&url);
    });
    if let Some(w) = web_sys::window() {
        let _ =
            w.set_timeout_with_callback_and_timeout_and_arguments_0(revoke.unchecked_ref(), 60_000);
    }
    saved
}

/// `agents-2026-12-04.csv`: today's date, so that exports do not overwrite each other.
pub fn dated_name(stem: &str) -> String {
    let iso = String::from(js_sys::Date::new_0().to_iso_string());
    format!("{stem}-{}.csv", &iso[..10.min(iso.len())])
}
