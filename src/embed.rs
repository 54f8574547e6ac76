//! Embedding: a host page mounts the console into an element it owns.
//!
//! `mount(element, options)` is exported to JavaScript from the wasm module (Trunk's
//! `agent-licensing-console.js`); `public/agent-licensing-console-element.js` builds the
//! `<agent-licensing-console>` custom element on it. docs/EMBEDDING.md is the host's
//! guide.
//!
//! The console lives in an open shadow root of the host element, with its stylesheet
//! inside: the host page's selectors cannot reach in and ours cannot reach out. Only
//! inherited properties cross a shadow boundary, so the first element inside resets
//! them all; custom properties still cross, which is how a host themes the console.

use leptos::mount::{UnmountHandle, mount_to};
use leptos::prelude::*;
use leptos::tachys::view::any_view::AnyViewState;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{Element, HtmlElement, ShadowRoot, ShadowRootInit, ShadowRootMode};

use crate::{App, AppConfig};

const CONSOLE_CSS: &str = include_str!("../style/console.css");

/// The stylesheet of the shadow root: isolation and theme defaults, then console.css.
///
/// console.css declares its `--alc-*` defaults on `.alc`, which would hide any value a
/// host page sets on the element. Here they move to `:host`, which the page's own rules
/// for the element outrank, and `.alc` inherits them (a `theme` option still wins: it is
/// an inline style on `.alc`).
fn shadow_css() -> String {
    let defaults = CONSOLE_CSS
        .split_once(".alc {")
        .and_then(|(_, rest)| rest.split_once('}'))
        .map(|(block, _)| block)
        .unwrap_or_default();
    let declared: Vec<(&str, &str)> = defaults
        .split(';')
        .filter_map(|d| d.trim().split_once(':'))
        .filter(|(name, _)| name.starts_with("--alc-"))
        .collect();
    let mut css = String::from(":host { all: initial; display: block;");
    for (name, value) in &declared {
        css.push_str(&format!(" {name}: {};", value.trim()));
    }
    // `all` covers every inherited property (font, line-height, letter-spacing,
    // text-transform, color...) but not custom properties.
    css.push_str(" }\n.alc-embed { all: initial; display: block; }\n:host .alc {");
    for (name, _) in &declared {
        css.push_str(&format!(" {name}: inherit;"));
    }
    css.push_str(" }\n");
    css.push_str(CONSOLE_CSS);
    css
}

/// A mounted console. `unmount()` removes it and everything it put in the shadow root;
/// calling it again does nothing.
#[wasm_bindgen]
pub struct Mounted {
    mounted: Option<(UnmountHandle<AnyViewState>, ShadowRoot)>,
}

#[wasm_bindgen]
impl Mounted {
    pub fn unmount(&mut self) {
        if let Some((handle, shadow)) = self.mounted.take() {
            // Dropping the handle disposes of the console's reactive graph (effects,
            // requests, window listeners) before its nodes go.
            drop(handle);
            shadow.set_inner_html("");
        }
    }
}

impl Drop for Mounted {
    /// JavaScript's `free()` unmounts too.
    fn drop(&mut self) {
        self.unmount();
    }
}

/// Mounts the console into `host`'s open shadow root (attached if missing; anything in
/// it is replaced). `options` (all optional): `apiBase` (default `/api/v1`), `token`
/// (a bearer token), `basePath` (the path links live under), `routing` (`"history"`,
/// the default, or `"memory"`), `theme` (`{"--alc-accent": "#0a7", ...}`).
///
/// Mounting again into the same element without unmounting first leaves the first
/// console's reactive graph running with its nodes gone: unmount first.
#[wasm_bindgen]
pub fn mount(host: Element, options: JsValue) -> Result<Mounted, JsValue> {
    let config = config_from(&options)?;
    let shadow = match host.shadow_root() {
        Some(shadow) => shadow,
        None => host.attach_shadow(&ShadowRootInit::new(ShadowRootMode::Open))?,
    };
    let doc = document();
    let style = doc.create_element("style")?;
    style.set_text_content(Some(&shadow_css()));
    let root: HtmlElement = doc.create_element("div")?.unchecked_into();
    root.set_class_name("alc-embed");
    shadow.set_inner_html("");
    shadow.append_child(&style)?;
    shadow.append_child(&root)?;
    let handle = mount_to(root, move || view! { <App config /> }.into_any());
    Ok(Mounted {
        mounted: Some((handle, shadow)),
    })
}

/// Reads the JavaScript options object; a wrong type is an error the host sees at once
/// rather than a console quietly set up otherwise.
fn config_from(options: &JsValue) -> Result<AppConfig, JsValue> {
    if options.is_undefined() || options.is_null() {
        return Ok(AppConfig::default());
    }
    if !options.is_object() {
        return Err(js_sys::TypeError::new("mount options must be an object").into());
    }
    let routing = string_option(options, "routing")?;
    let memory_routing = match routing.as_deref() {
        None | Some("history") => false,
        Some("memory") => true,
        Some(other) => {
            return Err(js_sys::TypeError::new(&format!(
                "routing must be \"history\" or \"memory\", not {other:?}"
            ))
            .into());
        }
    };
    Ok(AppConfig {
        api_base: string_option(options, "apiBase")?.unwrap_or_default(),
        // An empty token (an attribute present but blank) means none.
        token: string_option(options, "token")?.filter(|t| !t.is_empty()),
        base_path: string_option(options, "basePath")?.unwrap_or_default(),
        memory_routing,
        theme: theme_option(options)?,
    })
}

fn get(options: &JsValue, key: &str) -> Result<Option<JsValue>, JsValue> {
    let value = js_sys::Reflect::get(options, &JsValue::from_str(key))?;
    Ok((!value.is_undefined() && !value.is_null()).then_some(value))
}

fn string_option(options: &JsValue, key: &str) -> Result<Option<String>, JsValue> {
    match get(options, key)? {
        None => Ok(None),
        Some(v) => v
            .as_string()
            .map(Some)
            .ok_or_else(|| js_sys::TypeError::new(&format!("{key} must be a string")).into()),
    }
}

/// `theme`: custom property → value. Values may be strings or numbers; names other
/// than `--alc-*` are ignored by the console, so they are reported here.
fn theme_option(options: &JsValue) -> Result<Vec<(String, String)>, JsValue> {
    let Some(theme) = get(options, "theme")? else {
        return Ok(Vec::new());
    };
    let Some(theme) = theme.dyn_ref::<js_sys::Object>() else {
        return Err(js_sys::TypeError::new("theme must be an object").into());
    };
    let mut out = Vec::new();
    for entry in js_sys::Object::entries(theme).iter() {
        let pair: js_sys::Array = entry.unchecked_into();
        let name = pair.get(0).as_string().unwrap_or_default();
        let value = pair.get(1);
        // Numbers are written by JavaScript, not Rust: Rust's float formatting would
        // cost the page kilobytes for this one line.
        let value = value.as_string().or_else(|| {
            value
                .as_f64()
                .and_then(|_| js_sys::JSON::stringify(&value).ok())
                .and_then(|s| s.as_string())
        });
        match value {
            Some(value) if name.starts_with("--alc-") => out.push((name, value)),
            _ => leptos::logging::warn!(
                "agent-licensing-console: theme entry {name:?} ignored (names are --alc-*, values strings)"
            ),
        }
    }
    Ok(out)
}
