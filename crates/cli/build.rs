//! Links the binary with packed relative relocations where the linker and C library support
//! them. The dynamic loader then has a few kilobytes of relocations to read at start instead of
//! megabytes, which cuts the start-up time and the memory of every short run.

use std::path::PathBuf;
use std::process::Command;

const FLAG: &str = "-Wl,-z,pack-relative-relocs";

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let linux_gnu = std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux")
        && std::env::var("CARGO_CFG_TARGET_ENV").as_deref() == Ok("gnu");
    let native = std::env::var("TARGET").ok() == std::env::var("HOST").ok();
    if linux_gnu && native && links_and_runs() {
        println!("cargo:rustc-link-arg-bins={FLAG}");
    }
}

/// Builds and runs a tiny C program with the flag: an old linker rejects the flag, and an old C
/// library cannot load the result.
fn links_and_runs() -> bool {
    let Some(out) = std::env::var_os("OUT_DIR").map(PathBuf::from) else {
        return false;
    };
    let source = out.join("probe.c");
    let program = out.join("probe");
    if std::fs::write(&source, "int main(void) { return 0; }\n").is_err() {
        return false;
    }
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".to_owned());
    let built = Command::new(cc)
        .arg(FLAG)
        .arg("-o")
        .arg(&program)
        .arg(&source)
        .output()
        .is_ok_and(|o| o.status.success());
    built && Command::new(&program).status().is_ok_and(|s| s.success())
}
