# addDrvOutputDependencies (absent from Nix 2.8) turns a plain reference to
# a derivation file into one to the derivation and all its outputs, and is
# undone by unsafeDiscardOutputDependency.
with builtins;
let
  drv = "/nix/store/0c6b0wn3h5qs6hhnyxhah4nfzf8z0kg4-foo.drv";
  plain = appendContext drv { ${drv} = { path = true; }; };
  deep = appendContext drv { ${drv} = { allOutputs = true; }; };
in
if builtins ? addDrvOutputDependencies then
  getContext (addDrvOutputDependencies plain) == getContext deep
  && getContext (addDrvOutputDependencies deep) == getContext deep
  && getContext (unsafeDiscardOutputDependency (addDrvOutputDependencies plain)) == getContext plain
else
  true
