//! Feeds arbitrary bytes to the string entry point and, when they parse as
//! JSON, checks the converter's invariants: no panic, deterministic output,
//! one final newline, and the same result with HTML disabled not panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let opts = adf_md::Options::new();
    let Ok(out) = adf_md::convert_str(text, &opts) else { return };
    let again = adf_md::convert_str(text, &opts).expect("parsed once, parses again");
    assert_eq!(out.markdown, again.markdown, "output is not deterministic");
    let is_string = text.trim_start().starts_with('"');
    assert!(is_string || out.markdown.is_empty() || (out.markdown.ends_with('\n') && !out.markdown.ends_with("\n\n")));
    let _ = adf_md::convert_str(text, &adf_md::Options::new().html(false).max_depth(8));
});
