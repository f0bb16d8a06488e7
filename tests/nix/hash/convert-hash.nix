# Nix 2.8 lacks convertHash; where it exists, every notation of the md5 and
# sha256 hashes of "" converts to every other (values as printed by newer
# Nix in the upstream test eval-okay-convertHash).
let
  md5 = {
    base16 = "d41d8cd98f00b204e9800998ecf8427e";
    nix32 = "3y8bwfr609h3lh9ch0izcqq7fl";
    base64 = "1B2M2Y8AsgTpgAmY7PhCfg==";
    sri = "md5-1B2M2Y8AsgTpgAmY7PhCfg==";
  };
  sha256 = {
    base16 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    nix32 = "0mdqa9w1p6cmli6976v4wi0sw9r4p5prkj7lzfd1877wk11c9c73";
    base64 = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";
    sri = "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";
  };
  formats = [
    "base16"
    "nix32"
    "base64"
    "sri"
  ];
  checks =
    algo: expected:
    builtins.concatMap (
      from:
      map (
        to:
        let
          input = expected.${from};
          viaAlgo = builtins.convertHash {
            hash = input;
            hashAlgo = algo;
            toHashFormat = to;
          };
          viaPrefix = builtins.convertHash {
            hash = if from == "sri" then input else "${algo}:${input}";
            toHashFormat = to;
          };
        in
        viaAlgo == expected.${to} && viaPrefix == expected.${to}
      ) formats
    ) formats;
in
if builtins ? convertHash then
  builtins.all (x: x) (checks "md5" md5 ++ checks "sha256" sha256)
else
  true
