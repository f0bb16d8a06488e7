# getContext shows a string's context as a set keyed by store path.
with builtins;
let
  drv = "/nix/store/0c6b0wn3h5qs6hhnyxhah4nfzf8z0kg4-foo.drv";
  src = "/nix/store/1b9p07z77phvv2hf6gm9f28syp39f1ag-src";
  deep = appendContext "a" { ${drv} = { allOutputs = true; }; };
  outs = appendContext "b" { ${drv} = { outputs = [ "out" "dev" ]; }; };
  plain = appendContext "c" { ${src} = { path = true; }; };
  all = deep + outs + plain;
in
[
  (getContext "")
  (getContext deep)
  (getContext outs)
  (getContext all)
  (hasContext all)
  (hasContext "x")
  (getContext (unsafeDiscardStringContext all))
  (getContext (unsafeDiscardOutputDependency all))
  (getContext (appendContext all { }))
  (appendContext "x" { ${src} = { path = false; }; })
  (getContext (appendContext "x" { ${drv} = { outputs = [ ]; }; }))
  (all == "abc")
]
