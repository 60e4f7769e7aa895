//! Just enough of an ELF reader to tell whether a Linux binary runs on AWS
//! Lambda's `provided.al2023` runtime: the machine it was built for, the
//! shared libraries it needs (`DT_NEEDED`) and the symbol versions it needs
//! from them (`.gnu.version_r`), which is where a too-new glibc shows up
//! (`GLIBC_2.35` and later are absent from Amazon Linux 2023's glibc 2.34).
//!
//! Hand-written rather than a dependency: it reads three tables of a 64-bit
//! little-endian ELF file, and every read is bounds-checked, so a truncated or
//! foreign file is an error, never a panic.

use std::collections::BTreeSet;

use anyhow::{Context, Result, bail};

/// glibc of Amazon Linux 2023, the base of `provided.al2023`.
pub(crate) const AL2023_GLIBC: (u32, u32) = (2, 34);

pub(crate) const EM_X86_64: u16 = 62;
pub(crate) const EM_AARCH64: u16 = 183;

const SHT_DYNAMIC: u32 = 6;
const SHT_GNU_VERNEED: u32 = 0x6fff_fffe;
const DT_NULL: u64 = 0;
const DT_NEEDED: u64 = 1;

/// Shared libraries that every `provided.al2023` image has: glibc's own and
/// libgcc's unwinder, which Rust's `panic = "unwind"` needs.
const AL2023_LIBRARIES: &[&str] = &[
    "libc.so.6",
    "libm.so.6",
    "libdl.so.2",
    "libpthread.so.0",
    "librt.so.1",
    "libutil.so.1",
    "libgcc_s.so.1",
    "ld-linux-x86-64.so.2",
    "ld-linux-aarch64.so.1",
];

/// What a binary needs from the system it runs on.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Requirements {
    pub(crate) machine: u16,
    /// `DT_NEEDED` entries, in file order.
    pub(crate) needed: Vec<String>,
    /// Every version name needed from any library, e.g. `GLIBC_2.34`.
    pub(crate) versions: BTreeSet<String>,
}

impl Requirements {
    /// The newest `GLIBC_x.y` needed, if any.
    pub(crate) fn max_glibc(&self) -> Option<(u32, u32)> {
        self.versions.iter().filter_map(|v| parse_glibc(v)).max()
    }
}

/// `GLIBC_2.34` -> (2, 34); `GLIBC_2.2.5` -> (2, 2); anything else -> None.
fn parse_glibc(name: &str) -> Option<(u32, u32)> {
    let rest = name.strip_prefix("GLIBC_")?;
    let mut parts = rest.split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    Some((major, minor))
}

/// Reads the machine, needed libraries and needed symbol versions.
pub(crate) fn requirements(elf: &[u8]) -> Result<Requirements> {
    if elf.get(..4) != Some(b"\x7fELF".as_slice()) {
        bail!("not an ELF file");
    }
    if elf.get(4) != Some(&2) || elf.get(5) != Some(&1) {
        bail!("not a 64-bit little-endian ELF file");
    }
    let machine = u16_at(elf, 18)?;
    let shoff = usize_at(elf, 0x28)?;
    let shentsize = usize::from(u16_at(elf, 0x3a)?);
    let shnum = usize::from(u16_at(elf, 0x3c)?);
    if shoff == 0 || shnum == 0 {
        bail!("the ELF file has no section headers; cannot read its library requirements");
    }
    if shentsize < 64 {
        bail!("ELF section header size {shentsize} is too small");
    }
    let table_end = shnum
        .checked_mul(shentsize)
        .and_then(|len| len.checked_add(shoff));
    if table_end.is_none_or(|end| end > elf.len()) {
        bail!("the ELF section header table lies outside the file (truncated?)");
    }
    let sections = (0..shnum)
        .map(|i| Section::read(elf, shoff + i * shentsize))
        .collect::<Result<Vec<_>>>()?;
    let strings_of = |s: &Section| -> Result<&[u8]> {
        let linked = sections
            .get(usize::try_from(s.link)?)
            .context("ELF section links to a missing string table")?;
        linked.bytes(elf)
    };

    let mut req = Requirements {
        machine,
        ..Requirements::default()
    };
    for section in &sections {
        match section.kind {
            SHT_DYNAMIC => {
                let table = section.bytes(elf)?;
                let strings = strings_of(section)?;
                for entry in table.chunks_exact(16) {
                    let tag = u64_at(entry, 0)?;
                    if tag == DT_NULL {
                        break;
                    }
                    if tag == DT_NEEDED {
                        req.needed.push(c_str(strings, usize_at(entry, 8)?)?);
                    }
                }
            }
            SHT_GNU_VERNEED => {
                let table = section.bytes(elf)?;
                let strings = strings_of(section)?;
                // sh_info holds the number of Verneed records.
                let mut at = 0usize;
                for _ in 0..section.info {
                    let count = u16_at(table, at + 2)?;
                    let mut aux = at + usize_from(u32_at(table, at + 8)?)?;
                    for _ in 0..count {
                        let name = usize_from(u32_at(table, aux + 8)?)?;
                        req.versions.insert(c_str(strings, name)?);
                        let next = usize_from(u32_at(table, aux + 12)?)?;
                        if next == 0 {
                            break;
                        }
                        aux += next;
                    }
                    let next = usize_from(u32_at(table, at + 12)?)?;
                    if next == 0 {
                        break;
                    }
                    at += next;
                }
            }
            _ => {}
        }
    }
    Ok(req)
}

/// Fails, naming what is wrong and how to fix it, unless the binary runs on
/// `provided.al2023` on the given machine.
pub(crate) fn check_al2023(req: &Requirements, machine: u16) -> Result<()> {
    if req.machine != machine {
        bail!(
            "bootstrap is built for ELF machine {} but the function's architecture needs {} \
             ({}); build it with `cargo xtask dist --arch` matching the Terraform variable `architecture`",
            req.machine,
            machine,
            machine_name(machine)
        );
    }
    if let Some(private) = req.versions.iter().find(|v| v.ends_with("_PRIVATE")) {
        bail!("bootstrap needs {private}, an internal glibc interface that differs between builds");
    }
    if let Some(max) = req.max_glibc()
        && max > AL2023_GLIBC
    {
        let (major, minor) = max;
        let newest: Vec<&str> = req
            .versions
            .iter()
            .filter(|v| parse_glibc(v).is_some_and(|g| g > AL2023_GLIBC))
            .map(String::as_str)
            .collect();
        bail!(
            "bootstrap needs glibc {major}.{minor} ({}) but provided.al2023 has glibc 2.34, so it \
             would fail at start with `version GLIBC_{major}.{minor} not found`; build against an \
             older glibc with `cargo xtask dist --zigbuild` (installs cargo-zigbuild and ziglang)",
            newest.join(", ")
        );
    }
    let foreign: Vec<&str> = req
        .needed
        .iter()
        .map(String::as_str)
        .filter(|lib| !AL2023_LIBRARIES.contains(lib))
        .collect();
    if !foreign.is_empty() {
        bail!(
            "bootstrap needs shared libraries that provided.al2023 does not have: {}; \
             link them statically (e.g. rustls instead of OpenSSL)",
            foreign.join(", ")
        );
    }
    Ok(())
}

pub(crate) fn machine_name(machine: u16) -> &'static str {
    match machine {
        EM_X86_64 => "x86_64",
        EM_AARCH64 => "arm64",
        _ => "unknown",
    }
}

struct Section {
    kind: u32,
    offset: usize,
    size: usize,
    link: u32,
    info: u32,
}

impl Section {
    fn read(elf: &[u8], at: usize) -> Result<Section> {
        Ok(Section {
            kind: u32_at(elf, at + 4)?,
            offset: usize_at(elf, at + 24)?,
            size: usize_at(elf, at + 32)?,
            link: u32_at(elf, at + 40)?,
            info: u32_at(elf, at + 44)?,
        })
    }

    fn bytes<'a>(&self, elf: &'a [u8]) -> Result<&'a [u8]> {
        self.offset
            .checked_add(self.size)
            .and_then(|end| elf.get(self.offset..end))
            .context("ELF section lies outside the file (truncated?)")
    }
}

fn field<const N: usize>(bytes: &[u8], at: usize) -> Result<[u8; N]> {
    at.checked_add(N)
        .and_then(|end| bytes.get(at..end))
        .and_then(|s| s.try_into().ok())
        .context("ELF file is truncated")
}

fn u16_at(bytes: &[u8], at: usize) -> Result<u16> {
    Ok(u16::from_le_bytes(field(bytes, at)?))
}

fn u32_at(bytes: &[u8], at: usize) -> Result<u32> {
    Ok(u32::from_le_bytes(field(bytes, at)?))
}

fn u64_at(bytes: &[u8], at: usize) -> Result<u64> {
    Ok(u64::from_le_bytes(field(bytes, at)?))
}

fn usize_at(bytes: &[u8], at: usize) -> Result<usize> {
    usize::try_from(u64_at(bytes, at)?).context("ELF offset does not fit in memory")
}

fn usize_from(v: u32) -> Result<usize> {
    usize::try_from(v).context("ELF offset does not fit in memory")
}

fn c_str(strings: &[u8], at: usize) -> Result<String> {
    let tail = strings
        .get(at..)
        .context("ELF string offset out of range")?;
    let end = tail
        .iter()
        .position(|&b| b == 0)
        .context("unterminated ELF string")?;
    String::from_utf8(tail[..end].to_vec()).context("ELF string is not UTF-8")
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Builds a minimal 64-bit ELF file with a `.dynamic` and a
    /// `.gnu.version_r` section, as a linker would lay them out.
    pub(crate) fn synthetic_elf(
        machine: u16,
        needed: &[&str],
        versions: &[(&str, &[&str])],
    ) -> Vec<u8> {
        let mut strtab = vec![0u8];
        let mut add = |s: &str| -> u32 {
            let at = u32::try_from(strtab.len()).unwrap();
            strtab.extend_from_slice(s.as_bytes());
            strtab.push(0);
            at
        };
        let mut dynamic = Vec::new();
        for lib in needed {
            dynamic.extend_from_slice(&DT_NEEDED.to_le_bytes());
            dynamic.extend_from_slice(&u64::from(add(lib)).to_le_bytes());
        }
        dynamic.extend_from_slice(&[0u8; 16]);
        let mut verneed = Vec::new();
        for (i, (file, names)) in versions.iter().enumerate() {
            let last = i + 1 == versions.len();
            let file = add(file);
            let count = u16::try_from(names.len()).unwrap();
            let size = 16 + 16 * u32::from(count);
            verneed.extend_from_slice(&1u16.to_le_bytes());
            verneed.extend_from_slice(&count.to_le_bytes());
            verneed.extend_from_slice(&file.to_le_bytes());
            verneed.extend_from_slice(&16u32.to_le_bytes());
            verneed.extend_from_slice(&(if last { 0 } else { size }).to_le_bytes());
            for (j, name) in names.iter().enumerate() {
                let name = add(name);
                verneed.extend_from_slice(&0u32.to_le_bytes());
                verneed.extend_from_slice(&0u16.to_le_bytes());
                verneed.extend_from_slice(&2u16.to_le_bytes());
                verneed.extend_from_slice(&name.to_le_bytes());
                let next: u32 = if j + 1 == names.len() { 0 } else { 16 };
                verneed.extend_from_slice(&next.to_le_bytes());
            }
        }
        // Layout: header, strtab, dynamic, verneed, section headers.
        let mut elf = vec![0u8; 64];
        elf[..4].copy_from_slice(b"\x7fELF");
        elf[4] = 2;
        elf[5] = 1;
        elf[6] = 1;
        elf[18..20].copy_from_slice(&machine.to_le_bytes());
        let place = |elf: &mut Vec<u8>, data: &[u8]| -> (u64, u64) {
            let at = elf.len() as u64;
            elf.extend_from_slice(data);
            (at, data.len() as u64)
        };
        let str_sec = place(&mut elf, &strtab);
        let dyn_sec = place(&mut elf, &dynamic);
        let ver_sec = place(&mut elf, &verneed);
        let shoff = elf.len() as u64;
        let header = |kind: u32, (offset, size): (u64, u64), link: u32, info: u32| {
            let mut h = vec![0u8; 64];
            h[4..8].copy_from_slice(&kind.to_le_bytes());
            h[24..32].copy_from_slice(&offset.to_le_bytes());
            h[32..40].copy_from_slice(&size.to_le_bytes());
            h[40..44].copy_from_slice(&link.to_le_bytes());
            h[44..48].copy_from_slice(&info.to_le_bytes());
            h
        };
        let version_count = u32::try_from(versions.len()).unwrap();
        for h in [
            vec![0u8; 64],
            header(3, str_sec, 0, 0),
            header(SHT_DYNAMIC, dyn_sec, 1, 0),
            header(SHT_GNU_VERNEED, ver_sec, 1, version_count),
        ] {
            elf.extend_from_slice(&h);
        }
        elf[0x28..0x30].copy_from_slice(&shoff.to_le_bytes());
        elf[0x3a..0x3c].copy_from_slice(&64u16.to_le_bytes());
        elf[0x3c..0x3e].copy_from_slice(&4u16.to_le_bytes());
        elf
    }

    const LIBC: &[&str] = &["libgcc_s.so.1", "libc.so.6"];

    #[test]
    fn reads_needed_libraries_and_versions() {
        let elf = synthetic_elf(
            EM_X86_64,
            LIBC,
            &[
                ("libgcc_s.so.1", &["GCC_3.0", "GCC_4.2.0"]),
                ("libc.so.6", &["GLIBC_2.2.5", "GLIBC_2.34", "GLIBC_2.28"]),
            ],
        );
        let req = requirements(&elf).unwrap();
        assert_eq!(req.machine, EM_X86_64);
        assert_eq!(req.needed, ["libgcc_s.so.1", "libc.so.6"]);
        assert_eq!(req.versions.len(), 5);
        assert_eq!(req.max_glibc(), Some((2, 34)));
        check_al2023(&req, EM_X86_64).unwrap();
    }

    #[test]
    fn glibc_newer_than_al2023_is_refused() {
        let elf = synthetic_elf(
            EM_X86_64,
            LIBC,
            &[("libc.so.6", &["GLIBC_2.17", "GLIBC_2.35"])],
        );
        let err = check_al2023(&requirements(&elf).unwrap(), EM_X86_64).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("GLIBC_2.35") && msg.contains("--zigbuild"),
            "{msg}"
        );
        // 2.4 < 2.34 < 2.100: versions compare as numbers, not strings.
        let elf = synthetic_elf(EM_X86_64, LIBC, &[("libc.so.6", &["GLIBC_2.100"])]);
        assert!(check_al2023(&requirements(&elf).unwrap(), EM_X86_64).is_err());
        let elf = synthetic_elf(EM_X86_64, LIBC, &[("libc.so.6", &["GLIBC_2.4"])]);
        assert!(check_al2023(&requirements(&elf).unwrap(), EM_X86_64).is_ok());
    }

    #[test]
    fn private_glibc_foreign_libraries_and_wrong_machine_are_refused() {
        let private = synthetic_elf(EM_X86_64, LIBC, &[("libc.so.6", &["GLIBC_PRIVATE"])]);
        assert!(check_al2023(&requirements(&private).unwrap(), EM_X86_64).is_err());
        let openssl = synthetic_elf(EM_X86_64, &["libssl.so.3", "libc.so.6"], &[]);
        let msg = check_al2023(&requirements(&openssl).unwrap(), EM_X86_64)
            .unwrap_err()
            .to_string();
        assert!(msg.contains("libssl.so.3"), "{msg}");
        let arm = synthetic_elf(EM_AARCH64, LIBC, &[("libc.so.6", &["GLIBC_2.17"])]);
        assert!(check_al2023(&requirements(&arm).unwrap(), EM_X86_64).is_err());
        assert!(check_al2023(&requirements(&arm).unwrap(), EM_AARCH64).is_ok());
    }

    #[test]
    fn a_static_binary_needs_nothing() {
        let elf = synthetic_elf(EM_X86_64, &[], &[]);
        let req = requirements(&elf).unwrap();
        assert_eq!(req.max_glibc(), None);
        check_al2023(&req, EM_X86_64).unwrap();
    }

    #[test]
    fn truncated_or_foreign_input_is_an_error_not_a_panic() {
        let elf = synthetic_elf(EM_X86_64, LIBC, &[("libc.so.6", &["GLIBC_2.34"])]);
        for len in 0..elf.len() {
            let _ = requirements(&elf[..len]);
        }
        assert!(requirements(&elf[..elf.len() - 1]).is_err());
        assert!(requirements(b"#!/bin/sh\necho hi\n").is_err());
        let mut elf32 = elf.clone();
        elf32[4] = 1;
        assert!(requirements(&elf32).is_err());
    }

    /// The reader agrees with binutils on a real binary: this test's own.
    #[test]
    fn agrees_with_readelf_on_a_real_binary() {
        let exe = std::env::current_exe().unwrap();
        let req = requirements(&std::fs::read(&exe).unwrap()).unwrap();
        assert!(req.needed.iter().any(|l| l == "libc.so.6"), "{req:?}");
        assert!(req.max_glibc().is_some(), "{req:?}");
        let Ok(out) = std::process::Command::new("readelf")
            .args(["-V", "-W"])
            .arg(&exe)
            .output()
        else {
            eprintln!("readelf not installed; cross-check skipped");
            return;
        };
        let text = String::from_utf8_lossy(&out.stdout);
        // Lines of the .gnu.version_r part look like
        // "  0x0010:   Name: GLIBC_2.34  Flags: none  Version: 3".
        let from_readelf: BTreeSet<String> = text
            .split("Version needs section")
            .nth(1)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| l.split("Name: ").nth(1))
            .filter_map(|rest| rest.split_whitespace().next())
            .map(str::to_owned)
            .collect();
        assert_eq!(req.versions, from_readelf);
    }
}
