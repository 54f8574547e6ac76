//! The release site's wasm in chunks: the console is built once more with the app's
//! `split` feature (the split points are in src/chunk.rs), cut by the splitter
//! (`wasm_split_cli_support`, the library behind `wasm-split-cli`; Trunk cannot split),
//! run through wasm-bindgen and wasm-opt as Trunk would, and written over Trunk's
//! module in `dist/`.
//!
//! Names: the module and its JS glue keep Trunk's stable names
//! (`agent-licensing-console.js`, `…_bg.wasm`: host pages import them by URL, and the
//! server revalidates them with an ETag). The chunks and the link module that loads
//! them carry their content's hash (`split_audit-<16 hex>.wasm`,
//! `__wasm_split-<16 hex>.js`): cached for a year, and a page still open from an
//! earlier deployment can never fetch a chunk of a later one (it finds none, and says
//! so with Try again; the server's tests and crates/e2e/tests/chunks.rs).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

use crate::{APP_PACKAGE, Result, Tools, WASM_TARGET, cargo, root, sh, step};

/// The link module's name as the splitter writes it and the main module imports it.
const LINK: &str = "__wasm_split.js";
/// Prefixes of the files this step writes into `dist/` (earlier builds' are removed).
const OURS: [&str; 3] = ["split_", "chunk_", "__wasm_split"];

/// Builds, splits and installs the chunks into `dist` (Trunk's release build of it).
pub fn install(tools: &Tools, dist: &Path) -> Result {
    step("splitting the wasm: screens in chunks loaded on first use (src/chunk.rs)");
    sh(cargo()
        .args([
            "rustc",
            "--locked",
            "--offline",
            "--release",
            "--target",
            WASM_TARGET,
            "-p",
            APP_PACKAGE,
            "--bin",
            APP_PACKAGE,
            "--features",
            "split",
            "--",
            // The splitter reads the linker's relocations to move code between modules.
            "-Clink-args=--emit-relocs",
        ])
        .env("PATH", &tools.path))?;
    let input = root().join(format!("target/{WASM_TARGET}/release/{APP_PACKAGE}.wasm"));
    let wasm = fs::read(&input).map_err(|e| format!("cannot read {}: {e}", input.display()))?;

    let work = root().join("target/split");
    if work.exists() {
        fs::remove_dir_all(&work).map_err(|e| e.to_string())?;
    }
    let chunks = work.join("chunks");
    let main_wasm = chunks.join("main.wasm");
    let main_module = format!("./{APP_PACKAGE}.js");
    let split = wasm_split_cli_support::transform({
        let mut opts = wasm_split_cli_support::Options::new(&wasm);
        opts.output_dir = &chunks;
        opts.main_out_path = &main_wasm;
        opts.link_name = "./__wasm_split.js";
        opts.main_module = &main_module;
        opts.target.web();
        opts
    })
    .map_err(|e| format!("the splitter failed: {e:?}"))?;

    let bindgen = work.join("bindgen");
    sh(Command::new("wasm-bindgen")
        .args(["--target", "web", "--no-typescript", "--keep-lld-exports"])
        .args(["--out-name", APP_PACKAGE, "--out-dir"])
        .arg(&bindgen)
        .arg(&main_wasm)
        .env("PATH", &tools.path))?;
    let main_bg = bindgen.join(format!("{APP_PACKAGE}_bg.wasm"));
    wasm_opt(tools, &main_bg)?;

    // The chunks, optimised and named by their content.
    let mut link_js = fs::read_to_string(chunks.join(LINK)).map_err(|e| e.to_string())?;
    let mut installed = Vec::new();
    for chunk in &split.split_modules {
        wasm_opt(tools, chunk)?;
        let stem = chunk
            .file_stem()
            .and_then(|s| s.to_str())
            .ok_or("a chunk without a name")?
            .to_string();
        let data = fs::read(chunk).map_err(|e| e.to_string())?;
        let named = format!("{stem}-{}.wasm", hash16(&data));
        let before = format!("\"./{stem}.wasm\"");
        if !link_js.contains(&before) {
            return Err(format!("the link module does not load {stem}.wasm"));
        }
        link_js = link_js.replace(&before, &format!("\"./{named}\""));
        installed.push((named, data));
    }
    let link_name = format!("__wasm_split-{}.js", hash16(link_js.as_bytes()));
    let glue_path = bindgen.join(format!("{APP_PACKAGE}.js"));
    let glue = fs::read_to_string(&glue_path).map_err(|e| e.to_string())?;
    let glue = replace_import(&glue, LINK, &link_name)?;

    // Out with Trunk's unsplit module and any earlier build's chunks; in with these.
    for entry in fs::read_dir(dist).map_err(|e| e.to_string())? {
        let path = entry.map_err(|e| e.to_string())?.path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if OURS.iter().any(|p| name.starts_with(p)) {
            fs::remove_file(&path).map_err(|e| e.to_string())?;
        }
    }
    let copy = |from: &Path, to: &str| -> Result {
        fs::copy(from, dist.join(to))
            .map(|_| ())
            .map_err(|e| format!("cannot install {to}: {e}"))
    };
    copy(&main_bg, &format!("{APP_PACKAGE}_bg.wasm"))?;
    fs::write(dist.join(format!("{APP_PACKAGE}.js")), glue).map_err(|e| e.to_string())?;
    fs::write(dist.join(&link_name), link_js).map_err(|e| e.to_string())?;
    preload_link_module(dist, &link_name)?;
    let mut total = 0;
    for (name, data) in &installed {
        total += data.len();
        fs::write(dist.join(name), data).map_err(|e| e.to_string())?;
    }
    let main_len = fs::metadata(dist.join(format!("{APP_PACKAGE}_bg.wasm")))
        .map(|m| m.len())
        .unwrap_or_default();
    println!(
        "main module {:.1} KB, {} chunks {:.1} KB in all (raw)",
        main_len as f64 / 1000.0,
        installed.len(),
        total as f64 / 1000.0
    );
    Ok(())
}

/// Adds a modulepreload of the link module to `index.html`, beside the glue's: the
/// glue imports it, and without one the browser asks for it only once it has parsed
/// the glue (issue 13).
fn preload_link_module(dist: &Path, link_name: &str) -> Result {
    let index = dist.join("index.html");
    let html = fs::read_to_string(&index).map_err(|e| format!("cannot read index.html: {e}"))?;
    let glue = format!("{APP_PACKAGE}.js\"");
    let tag = html
        .match_indices("<link rel=\"modulepreload\"")
        .map(|(at, _)| &html[at..at + html[at..].find('>').map_or(0, |e| e + 1)])
        .find(|tag| tag.contains(&glue))
        .ok_or("index.html has no modulepreload of the glue (Trunk.toml pattern_preload)")?;
    let ours = tag.replace(&glue, &format!("{link_name}\""));
    let html = html.replacen(tag, &format!("{tag}{ours}"), 1);
    fs::write(&index, html).map_err(|e| format!("cannot write index.html: {e}"))
}

/// wasm-opt at Trunk's level (`data-wasm-opt="z"`), in place. Its output is shown only
/// when it fails: it warns of every name subsection it does not know (rustc's, harmless).
fn wasm_opt(tools: &Tools, wasm: &Path) -> Result {
    let out: PathBuf = wasm.with_extension("opt.wasm");
    let run = Command::new("wasm-opt")
        .arg("-Oz")
        // The features rustc's wasm32 target emits by default.
        .args([
            "--enable-bulk-memory",
            "--enable-mutable-globals",
            "--enable-nontrapping-float-to-int",
            "--enable-sign-ext",
            "--enable-reference-types",
            "--enable-multivalue",
        ])
        .arg(wasm)
        .arg("-o")
        .arg(&out)
        .env("PATH", &tools.path)
        .output()
        .map_err(|e| format!("cannot run wasm-opt: {e}"))?;
    if !run.status.success() {
        return Err(format!(
            "wasm-opt failed on {} ({}): {}",
            wasm.display(),
            run.status,
            String::from_utf8_lossy(&run.stderr)
        ));
    }
    fs::rename(&out, wasm).map_err(|e| e.to_string())
}

/// The glue's import of the link module, renamed: wasm-bindgen writes it as
/// `from './snippets/…'` or `from './__wasm_split.js'` depending on version; both end
/// in the name.
fn replace_import(glue: &str, from: &str, to: &str) -> Result<String> {
    let mut out = String::with_capacity(glue.len());
    let mut found = false;
    for line in glue.split_inclusive('\n') {
        if line.trim_start().starts_with("import") && line.contains(from) {
            found = true;
            out.push_str(&line.replace(from, to));
        } else {
            out.push_str(line);
        }
    }
    if found {
        Ok(out)
    } else {
        Err(format!("wasm-bindgen's glue does not import {from}"))
    }
}

/// The first 8 bytes of a SHA-256, as 16 hex digits.
fn hash16(data: &[u8]) -> String {
    Sha256::digest(data)[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
