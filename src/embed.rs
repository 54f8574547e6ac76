//! Embedding: a host page mounts the console into an element it owns.
//!
//! `mount(element, options)` is exported to JavaScript from the wasm module (Trunk's
//! `agent-licensing-console.js`); `public/agent-licensing-console-element.js` builds the
//! `<agent-licensing-console>` custom element on it. docs/EMBEDDING.md is the host's
//! guide.
//!
//! The console lives in an open shadow root of the host element, with its stylesheet
//! adopted there (a constructed `CSSStyleSheet`, not a `<style>` element, so a host's
//! CSP need not allow inline styles): the host page's selectors cannot reach in and
//! ours cannot reach out. Only inherited properties cross a shadow boundary, so the
//! first element inside resets them all; custom properties still cross, which is how
//! a host themes the console.
//!
//! The host can hand a new token to a mounted console (`setToken`) and give it a
//! `fetchToken` to call once when the server refuses the token; the console tells the
//! host what happens through DOM events (`alc-ready`, `alc-error`,
//! `alc-session-expired`, `alc-navigate`, `alc-dirty-change`), dispatched from inside
//! the shadow root, bubbling and composed, so they reach the host's element.

use std::sync::Arc;

use leptos::mount::{UnmountHandle, mount_to};
use leptos::prelude::*;
use leptos::tachys::view::any_view::AnyViewState;
use send_wrapper::SendWrapper;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{
    CssStyleSheet, CustomEvent, CustomEventInit, Element, EventTarget, HtmlElement, ShadowRoot,
    ShadowRootInit, ShadowRootMode,
};

use crate::api::{Bearer, Renew};
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

/// The theme option as a stylesheet: it follows the defaults and the inheritance rule
/// of [`shadow_css`], with the same specificity, so it wins over both (and over the
/// host's rules for its element). Names are `--alc-` and word characters only; values
/// lose anything that could end the declaration.
fn theme_css(theme: &[(String, String)]) -> String {
    let mut css = String::from(":host .alc {");
    for (name, value) in theme {
        if name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            css.push_str(&format!(
                " {name}: {};",
                value.replace([';', '{', '}', '\\'], "")
            ));
        }
    }
    css.push_str(" }");
    css
}

fn sheet(css: &str) -> Result<CssStyleSheet, JsValue> {
    let sheet = CssStyleSheet::new()?;
    sheet.replace_sync(css)?;
    Ok(sheet)
}

/// Dispatches `name` from `target` with `detail`'s fields, bubbling and composed (it
/// leaves the shadow root and reaches the host's element).
pub(crate) fn emit(target: &EventTarget, name: &str, detail: &[(&str, JsValue)]) {
    let object = js_sys::Object::new();
    for (key, value) in detail {
        let _ = js_sys::Reflect::set(&object, &JsValue::from_str(key), value);
    }
    let init = CustomEventInit::new();
    init.set_bubbles(true);
    init.set_composed(true);
    init.set_detail(&object);
    if let Ok(event) = CustomEvent::new_with_event_init_dict(name, &init) {
        let _ = target.dispatch_event(&event);
    }
}

/// A mounted console. `unmount()` removes it and everything it put in the shadow root;
/// calling it again does nothing. `setToken(token)` gives it a new bearer token.
#[wasm_bindgen]
pub struct Mounted {
    mounted: Option<(UnmountHandle<AnyViewState>, ShadowRoot)>,
    bearer: Bearer,
}

#[wasm_bindgen]
impl Mounted {
    pub fn unmount(&mut self) {
        if let Some((handle, shadow)) = self.mounted.take() {
            // The host's callbacks are let go, and a late setToken does nothing.
            self.bearer.on_renew(None);
            self.bearer.on_set(|| ());
            // Dropping the handle disposes of the console's reactive graph (effects,
            // requests, window listeners) before its nodes go.
            drop(handle);
            shadow.set_inner_html("");
            shadow.set_adopted_style_sheets(&js_sys::Array::new());
        }
    }

    /// The token the next calls carry, at once: nothing is remounted, unsaved ticks
    /// stay. After "Session ended", a new token lets the console back in.
    #[wasm_bindgen(js_name = setToken)]
    pub fn set_token(&self, token: Option<String>) {
        if self.mounted.is_some() {
            self.bearer.set(token);
        }
    }

    /// Replaces (or, with `null`, removes) the `fetchToken` callback.
    #[wasm_bindgen(js_name = setFetchToken)]
    pub fn set_fetch_token(&self, fetch_token: JsValue) -> Result<(), JsValue> {
        if self.mounted.is_some() {
            self.bearer.on_renew(renew_from(&fetch_token)?);
        }
        Ok(())
    }
}

impl Drop for Mounted {
    /// JavaScript's `free()` unmounts too.
    fn drop(&mut self) {
        self.unmount();
    }
}

thread_local! {
    /// The console's stylesheet, parsed once and shared by every console on the page.
    static CONSOLE_SHEET: std::cell::OnceCell<CssStyleSheet> = const { std::cell::OnceCell::new() };
}

fn console_sheet() -> Result<CssStyleSheet, JsValue> {
    CONSOLE_SHEET.with(|cell| {
        if let Some(sheet) = cell.get() {
            return Ok(sheet.clone());
        }
        let made = sheet(&shadow_css())?;
        Ok(cell.get_or_init(|| made).clone())
    })
}

/// Mounts the console into `host`'s open shadow root (attached if missing; anything in
/// it is replaced). `options` (all optional): `apiBase` (default `/api/v1`), `token`
/// (a bearer token), `fetchToken` (a function answering a new token, or a promise of
/// one, called once when the server refuses the token), `basePath` (the path links
/// live under), `routing` (`"history"`, the default, or `"memory"`), `theme`
/// (`{"--alc-accent": "#0a7", ...}`).
///
/// Mounting again into the same element without unmounting first leaves the first
/// console's reactive graph running with its nodes gone: unmount first.
#[wasm_bindgen]
pub fn mount(host: Element, options: JsValue) -> Result<Mounted, JsValue> {
    let (mut config, theme, renew) = config_from(&options)?;
    let bearer = Bearer::default();
    bearer.set(config.token.clone());
    bearer.on_renew(renew);
    config.bearer = Some(bearer.clone());
    let (base, themed) = (console_sheet()?, sheet(&theme_css(&theme))?);
    let sheets = js_sys::Array::of2(&base, &themed);
    let shadow = match host.shadow_root() {
        Some(shadow) => shadow,
        None => host.attach_shadow(&ShadowRootInit::new(ShadowRootMode::Open))?,
    };
    let root: HtmlElement = document().create_element("div")?.unchecked_into();
    root.set_class_name("alc-embed");
    shadow.set_inner_html("");
    shadow.set_adopted_style_sheets(&sheets);
    shadow.append_child(&root)?;
    let handle = mount_to(root, move || view! { <App config /> }.into_any());
    Ok(Mounted {
        mounted: Some((handle, shadow)),
        bearer,
    })
}

/// `fetchToken`: a function whose answer (a string, or a promise of one) is the new
/// token; anything else, a throw or a rejection, means none.
fn renew_from(value: &JsValue) -> Result<Option<Renew>, JsValue> {
    if value.is_undefined() || value.is_null() {
        return Ok(None);
    }
    let Some(f) = value.dyn_ref::<js_sys::Function>() else {
        return Err(js_sys::TypeError::new("fetchToken must be a function").into());
    };
    let f = Arc::new(SendWrapper::new(f.clone()));
    let renew: Renew = Arc::new(move || {
        let f = f.clone();
        Box::pin(async move {
            let answer = match f.call0(&JsValue::NULL) {
                Ok(answer) => answer,
                Err(e) => {
                    leptos::logging::warn!("agent-licensing-console: fetchToken threw: {e:?}");
                    return None;
                }
            };
            let answer = match answer.dyn_into::<js_sys::Promise>() {
                Ok(promise) => wasm_bindgen_futures::JsFuture::from(promise).await,
                Err(value) => Ok(value),
            };
            match answer {
                Ok(token) => token.as_string().filter(|t| !t.is_empty()),
                Err(e) => {
                    leptos::logging::warn!("agent-licensing-console: fetchToken failed: {e:?}");
                    None
                }
            }
        })
    });
    Ok(Some(renew))
}

/// What the host's options set up: the app's configuration, the theme and the
/// `fetchToken` callback.
type Options = (AppConfig, Vec<(String, String)>, Option<Renew>);

/// Reads the JavaScript options object; a wrong type is an error the host sees at once
/// rather than a console quietly set up otherwise.
fn config_from(options: &JsValue) -> Result<Options, JsValue> {
    if options.is_undefined() || options.is_null() {
        return Ok((AppConfig::default(), Vec::new(), None));
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
    let config = AppConfig {
        api_base: string_option(options, "apiBase")?.unwrap_or_default(),
        // An empty token (an attribute present but blank) means none.
        token: string_option(options, "token")?.filter(|t| !t.is_empty()),
        base_path: string_option(options, "basePath")?.unwrap_or_default(),
        memory_routing,
        bearer: None,
    };
    let renew = renew_from(&get(options, "fetchToken")?.unwrap_or(JsValue::UNDEFINED))?;
    Ok((config, theme_option(options)?, renew))
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
