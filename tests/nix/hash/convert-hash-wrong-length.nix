builtins.convertHash {
  hash = "md5:abc";
  toHashFormat = "nix32";
}
