let
  base = {
    name = "nulls";
    system = "x86_64-linux";
    builder = "/bin/sh";
    maybe = null;
  };
in
[
  (builtins.derivationStrict base)
  (builtins.derivationStrict (base // { __ignoreNulls = true; }))
  (builtins.derivationStrict (base // { __ignoreNulls = true; __structuredAttrs = true; }))
  (builtins.derivationStrict (base // { __structuredAttrs = false; }))
]
