builtins.convertHash {
  hash = "md5:d41d8cd98f00b204e9800998ecf8427e";
  toHashFormat = "base58";
}
