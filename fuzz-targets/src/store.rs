//! Store paths and derivations: hashes parsed and printed back, store path
//! names and splitting, NAR serialisation of a file tree held in memory
//! against the same tree read through the I/O layer, and
//! `builtins.derivation` with fuzzed attributes. The input is structured
//! by `arbitrary`.

use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::path::{Path, PathBuf};

use arbitrary::{Arbitrary, Unstructured};
use spindle::io::{EvalIo, FileType};
use spindle::print::escape_string;
use spindle::store::hash::{decode_base32, to_base32, Hash, HashAlgo};
use spindle::store::nar::{dump, Node};
use spindle::store::{self, Ingestion};
use spindle::VmKind;

use crate::common::{evaluator, render};

#[derive(Arbitrary, Debug)]
struct Input {
    name: String,
    contents: Vec<u8>,
    references: Vec<String>,
    hash_text: String,
    algo: u8,
    path: String,
    tree: Tree,
    derivation: Derivation,
}

/// A file tree; names are made valid before use.
#[derive(Arbitrary, Debug)]
enum Tree {
    File { executable: bool, contents: Vec<u8> },
    Symlink(Vec<u8>),
    Directory(Vec<(Vec<u8>, Tree)>),
}

#[derive(Arbitrary, Debug)]
struct Derivation {
    name: String,
    builder: String,
    system: String,
    outputs: Vec<String>,
    attrs: Vec<(String, Attr)>,
    fixed: Option<(String, u8, bool)>,
    structured_attrs: bool,
    ignore_nulls: bool,
    depends: bool,
}

#[derive(Arbitrary, Debug)]
enum Attr {
    Text(String),
    Int(i64),
    Bool(bool),
    Null,
    List(Vec<String>),
    Dependency,
}

const ALGOS: [Option<HashAlgo>; 5] = [
    None,
    Some(HashAlgo::Md5),
    Some(HashAlgo::Sha1),
    Some(HashAlgo::Sha256),
    Some(HashAlgo::Sha512),
];

fn hashes(input: &Input) {
    let algo = ALGOS[usize::from(input.algo) % ALGOS.len()];
    if let Ok(hash) = Hash::parse_allow_empty(&input.hash_text, algo) {
        assert_eq!(hash.bytes.len(), hash.algo.size(), "{hash:?}");
        for printed in [
            format!("{}:{}", hash.algo.name(), hash.to_base16()),
            hash.to_typed_base32(),
        ] {
            let again = Hash::parse(&printed, None)
                .unwrap_or_else(|e| panic!("a printed hash does not parse: {printed}: {e}"));
            assert_eq!(again, hash, "{printed}");
        }
    }
    let encoded = to_base32(&input.contents);
    assert_eq!(
        decode_base32(&encoded).as_deref(),
        Some(&input.contents[..]),
        "base-32 round trip"
    );
    decode_base32(&input.hash_text);
}

fn paths(input: &Input) {
    let references: BTreeSet<String> = input.references.iter().cloned().collect();
    let made = [
        store::make_text_path("/nix/store", &input.name, &input.contents, &references),
        store::make_fixed_output_path(
            "/nix/store",
            if input.algo.is_multiple_of(2) {
                Ingestion::Flat
            } else {
                Ingestion::Recursive
            },
            &Hash::sha256(&input.contents),
            &input.name,
        ),
    ];
    for path in made.into_iter().flatten() {
        let (base, rest) = store::split_store_path("/nix/store", &path)
            .unwrap_or_else(|| panic!("a made store path does not split: {path}"));
        assert_eq!((base, rest), (&path[..], ""));
    }
    store::split_store_path("/nix/store", &input.path);
}

/// A directory entry's name as a file system allows it: not empty, no
/// `/` or NUL, not `.` or `..`.
fn valid_name(name: &[u8]) -> Option<Vec<u8>> {
    let name: Vec<u8> = name
        .iter()
        .copied()
        .filter(|&b| b != b'/' && b != 0)
        .collect();
    (!name.is_empty() && name != b"." && name != b"..").then_some(name)
}

/// The tree as a NAR describes it: entries named validly, once, sorted.
fn node_of(tree: &Tree) -> Node {
    match tree {
        Tree::File {
            executable,
            contents,
        } => Node::Regular {
            executable: *executable,
            contents: contents.clone(),
        },
        Tree::Symlink(target) => Node::Symlink {
            target: target.clone(),
        },
        Tree::Directory(entries) => {
            let unique: BTreeMap<Vec<u8>, Node> = entries
                .iter()
                .filter_map(|(name, child)| Some((valid_name(name)?, node_of(child))))
                .collect();
            Node::Directory(unique.into_iter().collect())
        }
    }
}

/// A file system held in memory: the tree below `/root`.
struct MemoryFs(BTreeMap<PathBuf, Node>);

impl MemoryFs {
    fn new(root: &Node) -> MemoryFs {
        let mut files = BTreeMap::new();
        fn add(files: &mut BTreeMap<PathBuf, Node>, path: PathBuf, node: &Node) {
            if let Node::Directory(entries) = node {
                for (name, child) in entries {
                    add(files, path.join(spindle::path::os_path(name)), child);
                }
            }
            files.insert(path, node.clone());
        }
        add(&mut files, PathBuf::from("/root"), root);
        MemoryFs(files)
    }

    fn node(&self, path: &Path) -> io::Result<&Node> {
        self.0
            .get(path)
            .ok_or_else(|| io::ErrorKind::NotFound.into())
    }
}

fn file_type(node: &Node) -> FileType {
    match node {
        Node::Regular { .. } => FileType::Regular,
        Node::Symlink { .. } => FileType::Symlink,
        Node::Directory(_) => FileType::Directory,
    }
}

impl EvalIo for MemoryFs {
    fn read_file(&self, path: &Path) -> io::Result<Vec<u8>> {
        match self.node(path)? {
            Node::Regular { contents, .. } => Ok(contents.clone()),
            _ => Err(io::ErrorKind::InvalidInput.into()),
        }
    }
    fn file_type(&self, path: &Path) -> io::Result<FileType> {
        self.node(path).map(file_type)
    }
    fn read_dir(&self, path: &Path) -> io::Result<Vec<(Vec<u8>, FileType)>> {
        match self.node(path)? {
            Node::Directory(entries) => Ok(entries
                .iter()
                .map(|(name, child)| (name.clone(), file_type(child)))
                .collect()),
            _ => Err(io::ErrorKind::InvalidInput.into()),
        }
    }
    fn path_exists(&self, path: &Path) -> io::Result<bool> {
        Ok(self.0.contains_key(path))
    }
    fn get_env(&self, _name: &str) -> io::Result<Option<String>> {
        Ok(None)
    }
    fn current_time(&self) -> io::Result<i64> {
        Ok(0)
    }
    fn read_link(&self, path: &Path) -> io::Result<Vec<u8>> {
        match self.node(path)? {
            Node::Symlink { target } => Ok(target.clone()),
            _ => Err(io::ErrorKind::InvalidInput.into()),
        }
    }
    fn is_executable(&self, path: &Path) -> io::Result<bool> {
        Ok(matches!(
            self.node(path)?,
            Node::Regular {
                executable: true,
                ..
            }
        ))
    }
}

/// The NAR of a tree in memory and of the same tree read through the I/O
/// layer must agree, and reading must give the tree back.
fn nar(tree: &Tree) {
    let node = node_of(tree);
    let in_memory = node.nar_hash().expect("a tree in memory serialises");
    let fs = MemoryFs::new(&node);
    let read = dump(&fs, Path::new("/root"), &mut |_, _| Ok(true), true)
        .expect("a tree in memory reads back");
    assert_eq!(read.nar, in_memory, "the two NAR serialisations differ");
    assert_eq!(
        read.tree.as_ref(),
        Some(&node),
        "the tree read back differs"
    );
}

/// `s` as a Nix string literal.
fn lit(s: &str) -> String {
    String::from_utf8_lossy(&escape_string(s.as_bytes())).into_owned()
}

/// The Nix program that instantiates `d` and lists its paths.
fn derivation_program(d: &Derivation) -> String {
    let mut attrs: BTreeMap<String, String> = BTreeMap::new();
    for (name, value) in &d.attrs {
        let value = match value {
            Attr::Text(s) => lit(s),
            Attr::Int(n) => format!("({n})"),
            Attr::Bool(b) => b.to_string(),
            Attr::Null => "null".into(),
            Attr::List(items) => {
                let items: Vec<String> = items.iter().map(|s| lit(s)).collect();
                format!("[ {} ]", items.join(" "))
            }
            Attr::Dependency => "dep".into(),
        };
        attrs.insert(name.clone(), value);
    }
    attrs.insert("name".into(), lit(&d.name));
    let builder = if d.depends {
        format!("\"${{dep}}/{}\"", &lit(&d.builder)[1..])
    } else {
        lit(&d.builder)
    };
    attrs.insert("builder".into(), builder);
    attrs.insert("system".into(), lit(&d.system));
    if !d.outputs.is_empty() {
        let outputs: Vec<String> = d.outputs.iter().map(|s| lit(s)).collect();
        attrs.insert("outputs".into(), format!("[ {} ]", outputs.join(" ")));
    }
    if let Some((hash, algo, recursive)) = &d.fixed {
        attrs.insert("outputHash".into(), lit(hash));
        if let Some(algo) = ALGOS[usize::from(*algo) % ALGOS.len()] {
            attrs.insert("outputHashAlgo".into(), lit(algo.name()));
        }
        let mode = if *recursive { "recursive" } else { "flat" };
        attrs.insert("outputHashMode".into(), lit(mode));
    }
    if d.structured_attrs {
        attrs.insert("__structuredAttrs".into(), "true".into());
    }
    if d.ignore_nulls {
        attrs.insert("__ignoreNulls".into(), "true".into());
    }
    let body: String = attrs
        .iter()
        .map(|(name, value)| format!("{} = {value}; ", lit(name)))
        .collect();
    format!(
        "let dep = derivation {{ name = \"dep\"; builder = \"/bin/sh\"; system = \"x\"; }}; \
         d = derivation {{ {body}}}; \
         in [ d.drvPath d.outPath d.type ] ++ map (o: d.${{o}}.outPath) d.outputs"
    )
}

fn derivation(d: &Derivation) {
    let source = derivation_program(d);
    let evaluator = evaluator(VmKind::Fiber);
    let result = evaluator
        .eval_str(&source)
        .and_then(|v| evaluator.print(&v, true));
    if let Err(e) = result {
        render(&evaluator, &e);
    }
}

pub fn run(data: &[u8]) {
    let Ok(input) = Input::arbitrary_take_rest(Unstructured::new(data)) else {
        return;
    };
    hashes(&input);
    paths(&input);
    nar(&input.tree);
    derivation(&input.derivation);
}
