//! Store derivations: their ATerm text, their "modulo" hash and the paths
//! of their outputs and of the `.drv` file itself.
//!
//! A derivation's output paths are derived from a hash of its own text with
//! the output paths blanked out and every input derivation replaced by that
//! input's hash, so that equal build recipes get equal outputs however their
//! inputs were named. Fixed-output derivations are named by their declared
//! content hash instead.

use std::collections::{BTreeMap, BTreeSet};

use bstr::BString;

use super::hash::Hash;
use super::{
    make_fixed_output_path, make_output_path, make_text_path, DrvInfo, Ingestion, StoreState,
};
use crate::error::{Error, Result};

/// The content a fixed-output derivation promises to produce.
#[derive(Clone, Debug)]
pub struct FixedOutput {
    /// How the content is hashed.
    pub method: Ingestion,
    /// The expected hash.
    pub hash: Hash,
}

impl FixedOutput {
    /// `r:sha256`, `sha1`, …: the method and algorithm as the ATerm has them.
    pub fn method_algo(&self) -> String {
        format!("{}{}", self.method.prefix(), self.hash.algo.name())
    }
}

/// One output of a derivation.
#[derive(Clone, Debug)]
pub enum Output {
    /// Not yet known: written with an empty path (while hashing).
    Deferred,
    /// Named by the derivation's modulo hash.
    InputAddressed(String),
    /// Named by its declared content.
    Fixed { path: String, fixed: FixedOutput },
}

/// A store derivation.
#[derive(Clone, Debug, Default)]
pub struct Derivation {
    /// The derivation's name (without `.drv`).
    pub name: String,
    /// The outputs by name.
    pub outputs: BTreeMap<String, Output>,
    /// Source paths the build reads.
    pub input_srcs: BTreeSet<String>,
    /// Input derivations and which of their outputs are used.
    pub input_drvs: BTreeMap<String, BTreeSet<String>>,
    /// `system`.
    pub platform: String,
    /// The program run to build.
    pub builder: String,
    /// Its arguments: bytes, as in Nix, which does not require them to be
    /// UTF-8.
    pub args: Vec<BString>,
    /// Its environment (values are bytes, as the arguments).
    pub env: BTreeMap<String, BString>,
}

/// Appends `s` as an ATerm string literal. Its bytes are written as they
/// are but for the escapes, as Nix writes them, UTF-8 or not.
fn push_string(out: &mut Vec<u8>, s: impl AsRef<[u8]>) {
    crate::print::write_quoted(out, s.as_ref(), |_, _, _| false)
}

/// Appends `[ "a","b" ]` (without spaces).
fn push_strings<S: AsRef<[u8]>>(out: &mut Vec<u8>, items: impl IntoIterator<Item = S>) {
    push_list(out, items, push_string);
}

/// Appends a comma-separated list whose elements `each` writes.
fn push_list<T>(
    out: &mut Vec<u8>,
    items: impl IntoIterator<Item = T>,
    mut each: impl FnMut(&mut Vec<u8>, T),
) {
    out.push(b'[');
    for (i, item) in items.into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        each(out, item);
    }
    out.push(b']');
}

impl Derivation {
    /// The ATerm text. With `mask`, output paths and the environment
    /// variables named after outputs are blank; `inputs` replaces the input
    /// derivations (by their hashes, when computing the modulo hash).
    pub fn unparse(
        &self,
        mask: bool,
        inputs: Option<&BTreeMap<String, BTreeSet<String>>>,
    ) -> Vec<u8> {
        let mut out = b"Derive(".to_vec();
        push_list(&mut out, &self.outputs, |out, (name, output)| {
            let (path, algo, hash) = match output {
                Output::Deferred => (String::new(), String::new(), String::new()),
                Output::InputAddressed(p) => (p.clone(), String::new(), String::new()),
                Output::Fixed { path, fixed } => {
                    (path.clone(), fixed.method_algo(), fixed.hash.to_base16())
                }
            };
            let path = if mask { String::new() } else { path };
            out.push(b'(');
            push_string(out, name);
            for field in [&path, &algo, &hash] {
                out.push(b',');
                push_string(out, field);
            }
            out.push(b')');
        });
        out.push(b',');
        push_list(
            &mut out,
            inputs.unwrap_or(&self.input_drvs),
            |out, (path, outputs)| {
                out.push(b'(');
                push_string(out, path);
                out.push(b',');
                push_strings(out, outputs);
                out.push(b')');
            },
        );
        out.push(b',');
        push_strings(&mut out, &self.input_srcs);
        out.push(b',');
        push_string(&mut out, &self.platform);
        out.push(b',');
        push_string(&mut out, &self.builder);
        out.push(b',');
        push_strings(&mut out, &self.args);
        out.push(b',');
        push_list(&mut out, &self.env, |out, (key, value)| {
            let blank = mask && self.outputs.contains_key(key);
            out.push(b'(');
            push_string(out, key);
            out.push(b',');
            push_string(out, if blank { &b""[..] } else { value });
            out.push(b')');
        });
        out.push(b')');
        out
    }

    /// The hash each output stands for when another derivation depends on
    /// it. Input derivations must be known to `state`.
    pub fn hash_modulo(&self, state: &StoreState, mask: bool) -> Result<BTreeMap<String, Hash>> {
        let fixed: BTreeMap<String, Hash> = self
            .outputs
            .iter()
            .filter_map(|(name, output)| match output {
                Output::Fixed { path, fixed } => {
                    let text = format!(
                        "fixed:out:{}:{}:{path}",
                        fixed.method_algo(),
                        fixed.hash.to_base16()
                    );
                    Some((name.clone(), Hash::sha256(text.as_bytes())))
                }
                _ => None,
            })
            .collect();
        if !fixed.is_empty() {
            return Ok(fixed);
        }
        let mut inputs: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (drv_path, outputs) in &self.input_drvs {
            let info = state
                .derivation(drv_path)
                .ok_or_else(|| Error::other(format!("path '{drv_path}' is not valid")))?;
            for output in outputs {
                let hash = info.output_hashes.get(output).ok_or_else(|| {
                    Error::other(format!(
                        "no hash for output '{output}' of derivation '{}'",
                        self.name
                    ))
                })?;
                inputs
                    .entry(hash.to_base16())
                    .or_default()
                    .insert(output.clone());
            }
        }
        let hash = Hash::sha256(&self.unparse(mask, Some(&inputs)));
        Ok(self
            .outputs
            .keys()
            .map(|name| (name.clone(), hash.clone()))
            .collect())
    }

    /// Fills in the output paths (and the environment variables named after
    /// the outputs), computes the path of the `.drv` file, writes it when
    /// `state` writes derivations, and records the derivation in `state`. `output_names` are the outputs to create
    /// unless `fixed` makes this a fixed-output derivation.
    pub fn instantiate(
        &mut self,
        store_dir: &str,
        state: &StoreState,
        output_names: &[String],
        fixed: Option<FixedOutput>,
    ) -> Result<String> {
        self.outputs.clear();
        if let Some(fixed) = fixed {
            let path = make_fixed_output_path(store_dir, fixed.method, &fixed.hash, &self.name)?;
            self.env.insert("out".to_string(), path.clone().into());
            self.outputs
                .insert("out".to_string(), Output::Fixed { path, fixed });
        } else {
            for name in output_names {
                self.env.insert(name.clone(), BString::default());
                self.outputs.insert(name.clone(), Output::Deferred);
            }
            let hashes = self.hash_modulo(state, true)?;
            for (name, hash) in hashes {
                let path = make_output_path(store_dir, &name, &hash, &self.name)?;
                self.env.insert(name.clone(), path.clone().into());
                self.outputs.insert(name, Output::InputAddressed(path));
            }
        }
        let references: BTreeSet<String> = self
            .input_srcs
            .iter()
            .chain(self.input_drvs.keys())
            .cloned()
            .collect();
        let text = self.unparse(false, None);
        let drv_path =
            make_text_path(store_dir, &format!("{}.drv", self.name), &text, &references)?;
        if state.read_write() {
            let outputs = self
                .output_paths()
                .map(|(name, path)| (name.clone(), path.to_string()))
                .collect();
            state.write_text(&drv_path, &text, &references, outputs)?;
        }
        let output_hashes = self.hash_modulo(state, false)?;
        state.add_references(&drv_path, references);
        state.add_derivation(&drv_path, DrvInfo { output_hashes });
        Ok(drv_path)
    }

    /// The path of each output, once instantiated.
    pub fn output_paths(&self) -> impl Iterator<Item = (&String, &str)> {
        self.outputs.iter().map(|(name, output)| {
            let path = match output {
                Output::Deferred => "",
                Output::InputAddressed(p) => p,
                Output::Fixed { path, .. } => path,
            };
            (name, path)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn simple(name: &str) -> Derivation {
        let mut drv = Derivation {
            name: name.to_string(),
            platform: "x".to_string(),
            builder: "/bin/sh".to_string(),
            ..Default::default()
        };
        for (k, v) in [("builder", "/bin/sh"), ("name", name), ("system", "x")] {
            drv.env.insert(k.to_string(), v.into());
        }
        drv
    }

    #[test]
    fn paths_match_nix() {
        // nix-instantiate --eval --strict -E
        //   'derivation { name = "x"; system = "x"; builder = "/bin/sh"; }'
        let state = StoreState::default();
        let mut drv = simple("x");
        let drv_path = drv
            .instantiate("/nix/store", &state, &["out".to_string()], None)
            .unwrap();
        assert_eq!(
            drv_path,
            "/nix/store/safnr1ywsblyl5qfbca0178m104hzxaw-x.drv"
        );
        assert_eq!(
            drv.env["out"],
            "/nix/store/wrjy0zpx12zvynnga8wrzngbbg6yq3vr-x"
        );
    }

    #[test]
    fn strings_are_escaped() {
        let mut out = Vec::new();
        push_string(&mut out, "a\"b\\c\nd\te\r\u{e9}\x01");
        assert_eq!(out, "\"a\\\"b\\\\c\\nd\\te\\r\u{e9}\x01\"".as_bytes());
        // Bytes that are not UTF-8 are written as they are, as Nix does.
        let mut out = Vec::new();
        push_string(&mut out, b"\xe2 \x82");
        assert_eq!(out, b"\"\xe2 \x82\"");
    }
}
