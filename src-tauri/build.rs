//! Tauri's build step, with the app's own commands declared so that the capability in
//! `capabilities/main.json` grants each one by name (and nothing the UI does not use).

fn main() {
    // Read at run time: a build script compiled in another checkout keeps working.
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let ui_dist = std::path::Path::new(&manifest_dir).join("../ui/dist/index.html");
    println!("cargo:rerun-if-changed=../ui/dist");
    if !ui_dist.exists() {
        panic!(
            "the front end is not built: run `npm ci && npm run build` in ui/ (`cargo xtask test` and `cargo xtask demo` do it)"
        );
    }
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(taller_desktop_commands::COMMANDS)),
    )
    .expect("tauri build step");
}

/// The commands of `src/commands/`, by name (kept equal to `collect_commands!` in
/// `src/bindings.rs` by the test `every_command_is_granted`).
mod taller_desktop_commands {
    include!("src/command_names.rs");
}
