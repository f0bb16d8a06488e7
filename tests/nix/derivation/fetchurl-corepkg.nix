# <nix/fetchurl.nix> is built in: a fixed-output derivation, nothing fetched.
let
  fetchurl = import <nix/fetchurl.nix>;
  pick = d: { inherit (d) name outPath drvPath outputHash outputHashAlgo outputHashMode; };
in
[
  (builtins.typeOf fetchurl)
  (builtins.functionArgs fetchurl)
  (pick (fetchurl { url = "https://example.org/a/file.tar.gz"; sha256 = "0mdqa9w1p6cmli6976v4wi0sw9r4p5prkj7lzfd1877wk11c9c73"; }))
  (pick (fetchurl { url = "https://example.org/b"; hash = "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="; unpack = true; }))
  (pick (fetchurl { url = "https://example.org/c"; sha1 = "da39a3ee5e6b4b0d3255bfef95601890afd80709"; executable = true; name = "tool"; }))
  (pick (fetchurl { url = "https://example.org/d"; md5 = "d41d8cd98f00b204e9800998ecf8427e"; }))
  (builtins.findFile [ ] "nix/fetchurl.nix")
]
