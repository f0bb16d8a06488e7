# readFileType (absent from Nix 2.8) reports a path's type without
# following a final symlink.
if builtins ? readFileType then
  [
    (builtins.readFileType ./read-file-type.nix)
    (builtins.readFileType ./.)
    (builtins.readFileType "${toString ./.}/read-file-type.nix")
  ] == [
    "regular"
    "directory"
    "regular"
  ]
else
  true
