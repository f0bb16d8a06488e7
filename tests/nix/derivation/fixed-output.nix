# Fixed-output derivations are named by the content they promise.
let
  fixed =
    attrs:
    builtins.derivationStrict ({
      name = "fixed";
      system = "x86_64-linux";
      builder = "/bin/sh";
    } // attrs);
  user = dep: (derivation {
    name = "user";
    system = "x86_64-linux";
    builder = "/bin/sh";
    inherit dep;
  }).outPath;
in
[
  (fixed { outputHash = "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="; })
  (fixed { outputHash = "0mdqa9w1p6cmli6976v4wi0sw9r4p5prkj7lzfd1877wk11c9c73"; outputHashAlgo = "sha256"; })
  (fixed { outputHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"; outputHashAlgo = "sha256"; outputHashMode = "recursive"; })
  (fixed { outputHash = "sha256:0mdqa9w1p6cmli6976v4wi0sw9r4p5prkj7lzfd1877wk11c9c73"; outputHashMode = "flat"; })
  (fixed { outputHash = "da39a3ee5e6b4b0d3255bfef95601890afd80709"; outputHashAlgo = "sha1"; })
  (fixed { outputHash = "d41d8cd98f00b204e9800998ecf8427e"; outputHashAlgo = "md5"; outputHashMode = "recursive"; })
  (fixed { outputHash = "sha512-z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/SpIdNs6c5H0NE8XYXysP+DGNKHfuwvY7kxvUdBeoGlODJ6+SfaPg=="; })
  (fixed { outputHash = ""; outputHashAlgo = "sha256"; })
  # Two fixed-output derivations with the same content give the same output
  # path, and their users the same paths too, however they were built.
  (user (fixed { outputHash = "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="; }).out)
  (user (fixed { outputHash = "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="; builder = "/other"; }).out)
]
