map (algo: builtins.hashFile algo ./data.txt) [
  "md5"
  "sha1"
  "sha256"
  "sha512"
]
