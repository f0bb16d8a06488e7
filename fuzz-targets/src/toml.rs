//! `builtins.fromTOML`'s reader on arbitrary text, with and without the
//! `parse-toml-timestamps` feature; what it accepts must print.

use spindle::builtins::parse_toml;

pub fn run(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for timestamps in [false, true] {
        if let Ok(value) = parse_toml(text, timestamps) {
            spindle::print::print_value(&value).expect("a parsed TOML value prints");
        }
    }
}
